import math
import warnings
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from playbook import funnel
from playbook.core import paths
from playbook.core.errors import InputError, MissingColumnsError, ParameterError, PlaybookWarning
from playbook.funnel import (
    COMPARISON_COLUMNS,
    FUNNEL_COLUMNS,
    LEAK_COLUMNS,
    STAGE_COLUMNS,
    STEP_COLUMNS,
    add_period,
    channel_ratio,
    channel_table,
    compare_periods,
    duration_summary,
    funnel_table,
    load_leak_map,
    opportunity_problems,
    periods_around,
    pipeline_table,
    poisson_interval,
    proportion_test,
    rep_comparison,
    rep_leaks,
    repurchase_table,
    select,
    stage_durations,
    stage_table,
    step_table,
    stuck_deals,
    team_comparison,
    wilson_interval,
)
from playbook.present.funnel import channel_ratio_text, for_display

D = pd.to_datetime
NaT = None
# Ten opportunities; what each one tests is in the comment.
OPPS = pd.DataFrame({
    "opportunity_id": [f"o{i}" for i in range(1, 11)],
    "customer_id": ["C1", "C2", None, None, None, None, None, "C8", None, None],
    "rep_id": ["R1", "R1", "R1", "R1", "R2", "R2", "R2", "R3", "R3", "R3"],
    "channel": ["referral", "referral", "paid_search", "paid_search", "referral", "paid_social",
                "trade_show", "referral", "paid_search", "paid_search"],
    "amount": [1000.0, 500.0, 80.0, 90.0, 700.0, 60.0, 400.0, 300.0, 50.0, 40.0],
    "created_date": D(["2025-01-02", "2025-01-03", "2025-01-04", "2025-01-05", "2025-01-06",
                       "2025-01-07", "2025-01-08", "2025-02-01", "2025-02-02", "2025-02-03"]),
    "intent_date": D(["2025-01-05", NaT, NaT, "2025-01-07", "2025-01-08",
                      NaT, "2025-01-09", NaT, "2025-02-04", NaT]),
    "negotiation_date": D(["2025-01-10", "2025-01-08", NaT, NaT, "2025-01-12",
                           NaT, "2025-01-15", NaT, NaT, NaT]),
    "closed_date": D(["2025-01-20", "2025-01-25", "2025-01-09", NaT, "2025-01-30",
                      NaT, NaT, "2025-02-20", "2025-02-10", "2025-02-05"]),
    "outcome": ["won",    # o1: every stage
                "won",    # o2: skipped intent -> counts as having passed it
                "lost",   # o3: lost at lead
                "open",   # o4: sitting in intent -> negotiation
                "lost",   # o5: lost in negotiation
                "open",   # o6: sitting in lead -> intent
                "open",   # o7: sitting in negotiation -> deal
                "won",    # o8: won straight from lead (skipped intent and negotiation)
                "lost",   # o9: lost at intent
                "lost"],  # o10: lost at lead
})
REPS = pd.DataFrame({"rep_id": ["R1", "R2", "R3", "R9"], "name": ["Ann", "Bo", "Cy", "Di"],
                     "team": ["A", "A", "B", "B"]})  # R9 has no opportunity at all


@pytest.fixture
def stages():
    return stage_table(OPPS, reps=REPS)


# --------------------------------------------------------------------------- stage table
def test_stage_table_reached_and_pending(stages):
    assert list(stages.columns) == STAGE_COLUMNS
    got = stages.set_index("opportunity_id")
    assert got["stage_reached"].astype(str).tolist() == [
        "deal", "deal", "lead", "intent", "negotiation", "lead", "negotiation", "deal", "intent", "lead"]
    assert got.loc["o2", "reached_intent"] and got.loc["o8", "reached_negotiation"]  # skipped stages
    assert got["pending_step"].fillna("").tolist() == [
        "", "", "", "intent_to_negotiation", "", "lead_to_intent", "negotiation_to_deal", "", "", ""]
    assert got.loc["o4", "stage_entered_date"] == pd.Timestamp("2025-01-07")
    assert got.loc["o8", "stage_entered_date"] == pd.Timestamp("2025-02-20")
    assert got.loc["o5", "team"] == "A" and got.loc["o9", "name"] == "Cy"


def test_rep_join_names_unknown_and_missing_reps_and_counts_them_as_a_group():
    o = OPPS.assign(rep_id=["R1", "R1", "R1", "R1", "R2", "R2", "RX", None, "R3", "R3"])
    with pytest.warns(PlaybookWarning) as caught:
        s = stage_table(o, reps=REPS)
    assert sorted(str(w.message) for w in caught) == [
        "1 opportunit(ies) belong to rep_id(s) not in reps (RX): their team is empty.",
        "1 opportunit(ies) have no rep_id: their team is empty. Fill in the rep in the CRM."]
    assert s["team"].fillna("-").tolist() == ["A"] * 6 + ["-", "-", "B", "B"]
    assert s["name"].fillna("-").tolist() == ["Ann"] * 4 + ["Bo", "Bo", "-", "-", "Cy", "Cy"]
    assert str(s["team"].dtype) == "string" and str(s["pending_step"].dtype) == "string"
    # by hand: R1 has o1-o4 (won, won, lost, open at intent); the missing rep o8 (won from lead)
    f = funnel_table(s, by="rep_id")
    assert f["rep_id"].fillna("<NA>").tolist() == ["R1", "R2", "R3", "RX", "<NA>"]
    assert f[["leads", "intents", "deals", "open", "lost"]].to_numpy().tolist() == [
        [4, 3, 2, 1, 1], [2, 1, 0, 1, 1], [2, 1, 0, 0, 2], [1, 1, 0, 1, 0], [1, 1, 1, 0, 0]]
    assert f["won_amount"].tolist() == [1500.0, 0.0, 0.0, 0.0, 300.0]


def test_stage_table_does_not_mutate_input():
    before = OPPS.copy()
    stage_table(OPPS, reps=REPS, as_of="2025-01-21")
    pd.testing.assert_frame_equal(OPPS, before)


def test_as_of_view_reopens_later_closes_and_drops_later_leads():
    s = stage_table(OPPS, as_of="2025-01-21").set_index("opportunity_id")
    assert list(s.index) == [f"o{i}" for i in range(1, 8)]  # o8-o10 created in February
    assert s.loc["o1", "outcome"] == "won"  # closed 01-20
    assert s.loc["o2", "outcome"] == "open" and s.loc["o2", "pending_step"] == "negotiation_to_deal"
    assert s.loc["o5", "outcome"] == "open" and pd.isna(s.loc["o5", "closed_date"])


def test_other_column_names_through_columns_map():
    theirs = OPPS.rename(columns={"rep_id": "owner", "created_date": "created"})
    s = stage_table(theirs, columns={"rep_id": "owner", "created_date": "created"})
    assert s["rep_id"].tolist() == OPPS["rep_id"].tolist()


# --------------------------------------------------------------------------- funnel tables
def test_funnel_hand_computed(stages):
    f = funnel_table(stages)
    assert list(f.columns) == FUNNEL_COLUMNS
    row = f.iloc[0]
    # leads 10; intent: o1 o2 o4 o5 o7 o8 o9; negotiation: o1 o2 o5 o7 o8; deals o1 o2 o8
    assert (row["leads"], row["intents"], row["negotiations"], row["deals"]) == (10, 7, 5, 3)
    assert (row["lost"], row["open"]) == (4, 3)
    # pending: o6 in lead->intent, o4 in intent->negotiation, o7 in negotiation->deal
    assert row["rate_lead_to_intent"] == pytest.approx(7 / 9)
    assert row["rate_intent_to_negotiation"] == pytest.approx(5 / 6)
    assert row["rate_negotiation_to_deal"] == pytest.approx(3 / 4)
    assert row["conv_lead_to_negotiation"] == pytest.approx(7 / 9 * 5 / 6)
    assert row["conv_lead_to_deal"] == pytest.approx(7 / 9 * 5 / 6 * 3 / 4)
    assert row["win_rate"] == pytest.approx(3 / 7)
    assert row["won_amount"] == 1800.0 and row["avg_deal"] == 600.0


def test_funnel_by_team_hand_computed(stages):
    f = funnel_table(stages, by="team").set_index("team")
    # team A = o1..o7: intent o1 o2 o4 o5 o7, negotiation o1 o2 o5 o7, deals o1 o2
    assert f.loc["A", ["leads", "intents", "negotiations", "deals"]].tolist() == [7, 5, 4, 2]
    assert f.loc["A", "rate_lead_to_intent"] == pytest.approx(5 / 6)  # o6 pending
    assert f.loc["A", "rate_intent_to_negotiation"] == pytest.approx(4 / 4)  # o4 pending
    assert f.loc["A", "rate_negotiation_to_deal"] == pytest.approx(2 / 3)  # o7 pending
    # team B = o8..o10, nothing open
    assert f.loc["B", ["leads", "intents", "negotiations", "deals"]].tolist() == [3, 2, 1, 1]
    assert f.loc["B", "conv_lead_to_deal"] == pytest.approx(1 / 3)  # = deals / leads when all closed
    assert f.loc["B", "win_rate"] == pytest.approx(1 / 3)


def test_step_table_long_form(stages):
    got = step_table(stages)
    expected = pd.DataFrame({
        "step": ["lead_to_intent", "intent_to_negotiation", "negotiation_to_deal"],
        "entered": [10, 7, 5], "passed": [7, 5, 3], "pending": [1, 1, 1], "decided": [9, 6, 4],
        "rate": [7 / 9, 5 / 6, 3 / 4],
    })
    assert list(got.columns) == STEP_COLUMNS
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_funnel_by_period_and_channel(stages):
    by_month = funnel_table(stages.assign(month=stages["created_date"].dt.to_period("M")), by="month")
    assert by_month["leads"].tolist() == [7, 3]
    by_channel = funnel_table(stages, by="channel").set_index("channel")
    assert by_channel.loc["referral", "deals"] == 3  # o1 o2 o8; o5 lost
    assert by_channel.loc["referral", "win_rate"] == pytest.approx(3 / 4)


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("change", "code", "where"),
    [
        ({"intent_date": D(["2024-12-30"]).repeat(10)}, "dates_out_of_order", "intent_date is earlier"),
        ({"closed_date": [pd.NaT] + OPPS["closed_date"].tolist()[1:]},  # o1 is won
         "closed_without_date", "outcome is won or lost but closed_date is empty"),
        ({"amount": [None] + OPPS["amount"].tolist()[1:]}, "won_without_amount", "a won deal needs its signed amount"),
        ({"outcome": ["maybe"] + OPPS["outcome"].tolist()[1:]}, "unknown_outcome", "outcome must be one of"),
    ],
    ids=["dates out of order", "won without close date", "won without amount", "unknown outcome"],
)
def test_problems_are_named_and_stop_the_count(change, code, where):
    bad = OPPS.assign(**change)
    problems = opportunity_problems(bad)
    assert code in set(problems["code"])
    assert "o1" in set(problems.loc[problems["code"] == code, "opportunity_id"])
    with pytest.raises(InputError, match=rf"(?s){code}.*opportunity o1: {where}.*invalid='drop'"):
        stage_table(bad)


def test_out_of_order_close_date_is_caught():
    bad = OPPS.assign(closed_date=OPPS["closed_date"].where(OPPS["opportunity_id"] != "o5", D("2025-01-10")))
    problems = opportunity_problems(bad)  # o5 closed before its negotiation date (01-12)
    assert problems[["opportunity_id", "code", "column"]].values.tolist() == [
        ["o5", "dates_out_of_order", "closed_date"]]


def test_invalid_drop_warns_and_leaves_rows_out():
    bad = OPPS.assign(amount=[None] + OPPS["amount"].tolist()[1:])
    with pytest.warns(PlaybookWarning, match=r"1 opportunit\(ies\) with problems left out"):
        s = stage_table(bad, invalid="drop")
    assert "o1" not in set(s["opportunity_id"]) and len(s) == 9


def test_clean_data_has_no_problems():
    assert opportunity_problems(OPPS).empty


def test_missing_columns_listed():
    with pytest.raises(MissingColumnsError, match=r"opportunities: missing required column\(s\): channel, outcome"):
        stage_table(OPPS.drop(columns=["channel", "outcome"]))


def test_unknown_grouping_column_is_named(stages):
    with pytest.raises(MissingColumnsError, match=r"stages \(by=\): missing required column\(s\): region"):
        funnel_table(stages, by="region")


def test_bad_parameters_are_named():
    with pytest.raises(ParameterError, match="invalid='skip'"):
        stage_table(OPPS, invalid="skip")
    with pytest.raises(ParameterError, match="as_of='soon'"):
        stage_table(OPPS, as_of="soon")


def test_select_period_and_team(stages):
    assert len(select(stages, period_start="2025-02-01")) == 3
    assert set(select(stages, team="A")["rep_id"]) == {"R1", "R2"}
    assert len(select(stages, period_start="", period_end="", team="")) == 10


def test_period_with_no_opportunities_is_a_clear_error(stages):
    with pytest.raises(InputError, match="no opportunities created between 2025-03-01 and the end for team 'B'"):
        select(stages, period_start="2025-03-01", team="B")
    with pytest.raises(ParameterError, match=r"team='Z'.*one of 'A', 'B'"):
        select(stages, team="Z")
    with pytest.raises(ParameterError, match="period_end"):
        select(stages, period_start="2025-02-01", period_end="2025-01-01")


# --------------------------------------------------------------------------- statistics
def test_wilson_known_values():
    low, high = wilson_interval(20, 100)
    assert (round(float(low), 4), round(float(high), 4)) == (0.1334, 0.2888)
    z = NormalDist().inv_cdf(0.975)
    low, high = wilson_interval([0, 10], [10, 10])
    # closed forms: 0 of n -> [0, z^2 / (n + z^2)]; n of n -> [n / (n + z^2), 1]
    assert low[0] == 0 and high[0] == pytest.approx(z * z / (10 + z * z))
    assert low[1] == pytest.approx(10 / (10 + z * z)) and high[1] == 1
    low, high = wilson_interval(0, 0)
    assert np.isnan(low) and np.isnan(high)
    with pytest.raises(ParameterError, match="confidence"):
        wilson_interval(1, 2, confidence=95)


def test_proportion_tests_hand_computed():
    # z-test, pooled: p = 75/200, se = sqrt(p (1 - p) (1/100 + 1/100))
    p, used = proportion_test(45, 100, 30, 100)
    se = math.sqrt(0.375 * 0.625 * 0.02)
    assert used == "z" and p == pytest.approx(2 * (1 - NormalDist().cdf(0.15 / se)))
    # Fisher exact on [[6, 1], [1, 5]]: hypergeometric tables with p <= p(observed)
    probs = {x: math.comb(7, x) * math.comb(6, 7 - x) / math.comb(13, 7) for x in range(1, 8)}
    expected = sum(v for v in probs.values() if v <= probs[6] * (1 + 1e-9))  # x = 1, 6, 7
    p, used = proportion_test(6, 7, 1, 6)
    assert used == "fisher" and p == pytest.approx(expected) and p == pytest.approx(50 / 1716)
    assert math.isnan(proportion_test(0, 0, 3, 4)[0])
    with pytest.raises(ParameterError, match="test='t'"):
        proportion_test(1, 2, 1, 2, test="t")


def _negotiation_rows(rep, team, won, n, amount=10.0):
    """Stage rows of ``n`` opportunities that reached negotiation, ``won`` of them won."""
    deal = [True] * won + [False] * (n - won)
    return pd.DataFrame({"rep_id": rep, "name": rep, "team": team, "amount": amount,
                         "reached_intent": True, "reached_negotiation": True, "reached_deal": deal,
                         "outcome": np.where(deal, "won", "lost")})


@pytest.fixture
def team_at_60():
    # team rate (2 + 20 + 218) / (3 + 100 + 297) = 240 / 400 = 60%
    return pd.concat([_negotiation_rows("R1", "A", 2, 3), _negotiation_rows("R2", "A", 20, 100),
                      _negotiation_rows("R3", "A", 218, 297)], ignore_index=True)


def test_two_of_three_is_not_a_leak_but_twenty_of_hundred_is(team_at_60):
    c = rep_comparison(team_at_60).set_index(["rep_id", "step"])
    assert list(rep_comparison(team_at_60).columns) == COMPARISON_COLUMNS
    key = "negotiation_to_deal"
    assert c.loc[("R1", key), "peer_rate"] == pytest.approx(0.6)
    assert c.loc[("R1", key), "status"] == "not_enough_data"  # 3 decided < min_n
    assert c.loc[("R2", key), "status"] == "leak"  # Wilson upper 0.2888 < 0.6
    # even without a minimum, 2 of 3 is not credibly below 60% (upper bound 0.94)
    loose = rep_comparison(team_at_60, min_n=1).set_index(["rep_id", "step"])
    assert loose.loc[("R1", key), "status"] == "ok"
    assert loose.loc[("R1", key), "ci_high"] == pytest.approx(0.9385, abs=1e-4)


def test_revenue_at_stake_and_shrinkage(team_at_60):
    c = rep_comparison(team_at_60, prior_strength=10).set_index(["rep_id", "step"])
    row = c.loc[("R2", "negotiation_to_deal")]
    median = (0.2 + 218 / 297) / 2  # median of reps with >= 10 decided: R2 and R3
    assert row["peer_median_rate"] == pytest.approx(median)
    # (median - rate) x decided x average won deal (10.0) x 1 (deal is the last stage)
    assert row["revenue_at_stake"] == pytest.approx(round((median - 0.2) * 100 * 10.0, 2))
    assert row["shrunk_rate"] == pytest.approx((20 + 10 * 0.6) / (100 + 10))
    assert np.isnan(c.loc[("R3", "negotiation_to_deal"), "revenue_at_stake"])  # not a leak


def test_rep_without_deals_gets_not_enough_data(stages):
    c = rep_comparison(stages, REPS)
    di = c[c["rep_id"] == "R9"]
    assert len(di) == 3 and (di["status"] == "not_enough_data").all()
    assert (di["decided"] == 0).all() and di["rate"].isna().all() and di["name"].eq("Di").all()


def test_reps_against_the_company_and_teams_against_the_company():
    leaky = _negotiation_rows("L1", "Leaky", 30, 100)
    good = pd.concat([_negotiation_rows(f"G{i}", "Good", 60, 100) for i in range(3)], ignore_index=True)
    s = pd.concat([leaky, good], ignore_index=True)
    t = team_comparison(s).set_index(["team", "step"])
    assert t.loc[("Leaky", "negotiation_to_deal"), "status"] == "leak"
    assert t.loc[("Leaky", "negotiation_to_deal"), "peer_rate"] == pytest.approx(210 / 400)
    vs_team = rep_comparison(s).set_index(["rep_id", "step"])
    assert vs_team.loc[("L1", "negotiation_to_deal"), "status"] == "ok"  # a team of one
    vs_company = rep_comparison(s, reference="company").set_index(["rep_id", "step"])
    assert vs_company.loc[("L1", "negotiation_to_deal"), "status"] == "leak"
    assert vs_company.loc[("L1", "negotiation_to_deal"), "peers"] == "company"
    with pytest.raises(ParameterError, match="reference='region'"):
        rep_comparison(s, reference="region")


def test_leak_map_is_the_documented_one():
    assert load_leak_map() == {
        "lead_to_intent": "needs_diagnosis",
        "intent_to_negotiation": "solution_demo",
        "negotiation_to_deal": "negotiation",
        "new_customers": "new_customer_development",
        "repurchase": "customer_retention",
    }
    raw = yaml.safe_load((paths.TEMPLATES_DIR / "leak_competency_map.yaml").read_text(encoding="utf-8"))
    assert set(raw["leaks"]) == set(funnel.METRICS)


def test_leak_map_errors(tmp_path):
    bad = tmp_path / "map.yaml"
    bad.write_text("leaks:\n  closing: negotiation\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown step"):
        load_leak_map(bad)
    with pytest.raises(ParameterError, match="an existing YAML file"):
        load_leak_map(tmp_path / "nope.yaml")


def test_rep_leaks_for_the_idp(team_at_60):
    leaks = rep_leaks(rep_comparison(team_at_60))
    assert list(leaks.columns) == LEAK_COLUMNS
    assert leaks[["rep_id", "step", "competency", "unit"]].values.tolist() == [
        ["R2", "negotiation_to_deal", "negotiation", "share"]]
    assert leaks.loc[0, "rep_rate"] == pytest.approx(0.2)
    assert leaks.loc[0, "ci_high"] == pytest.approx(0.2888, abs=1e-4)
    custom = rep_leaks(rep_comparison(team_at_60), competency_map={"negotiation_to_deal": "closing"})
    assert custom.loc[0, "competency"] == "closing"


# --------------------------------------------------------------------------- repurchase
def test_repurchase_window_edges():
    s = stage_table(OPPS, reps=REPS)
    orders = pd.DataFrame({
        "customer_id": ["C1", "C1", "C2", "C8", "C8"],
        "order_date": D(["2025-01-20", "2025-04-20", "2025-04-26", "2025-02-20", "2025-03-01"]),
        "amount": [1000.0, 50.0, 70.0, 300.0, -20.0],
    })
    # C1 closed 01-20: order on 04-20 = day 90 -> counts. C2 closed 01-25: 04-26 is day 91 -> not.
    # C8 closed 02-20: only the deal order and a refund; its 90-day window ends 05-21 > as_of
    r = repurchase_table(s, orders, as_of="2025-05-01", window_days=90, by="team").set_index("team")
    assert r.loc["A", ["won_customers", "eligible", "repurchased"]].tolist() == [2, 2, 1]
    assert r.loc["A", "repurchase_rate"] == 0.5 and r.loc["A", "repurchase_revenue"] == 50.0
    assert r.loc["B", ["won_customers", "eligible", "repurchased"]].tolist() == [1, 0, 0]
    assert np.isnan(r.loc["B", "repurchase_rate"])
    with pytest.raises(ParameterError, match="window_days"):
        repurchase_table(s, orders, as_of="2025-05-01", window_days=0)


def test_orders_add_new_customers_per_month_and_repurchase(stages):
    orders = pd.DataFrame({"customer_id": ["C1", "C2", "C2", "C8"], "rep_id": "R1",
                           "order_date": D(["2025-01-20", "2024-06-01", "2025-01-25", "2025-02-20"]),
                           "amount": [1.0, 1.0, 1.0, 1.0]})
    c = rep_comparison(stages, REPS, orders=orders, as_of="2025-12-31", min_n=1).set_index(["rep_id", "step"])
    # REPS has no hire dates: every rep counts from the first lead (2025-01-02) to as_of: 364 days
    months = round(364 / (365.25 / 12), 1)
    # R1 won C1 (new) and C2 (ordered in 2024, before the lead): 1 new customer
    r1 = c.loc[("R1", "new_customers")]
    assert (r1["unit"], r1["passed"], r1["decided"]) == ("per_month", 1, months)
    assert r1["rate"] == pytest.approx(1 / months)
    z = NormalDist().inv_cdf(0.975)
    assert r1["ci_high"] == pytest.approx((1 + z * z / 2 + z * math.sqrt(1 + z * z / 4)) / months)
    # R9 (no opportunity) still has months employed: 0 new customers, judged (not a leak: team B is 1 in 24)
    r9 = c.loc[("R9", "new_customers")]
    assert (r9["passed"], r9["decided"], r9["rate"], r9["status"]) == (0, months, 0.0, "ok")
    assert c.loc[("R9", "negotiation_to_deal"), "status"] == "not_enough_data"
    assert c.loc[("R1", "repurchase"), ["unit", "passed", "decided"]].tolist() == ["share", 0, 2]


def test_months_employed_come_from_hire_and_leave_dates(stages):
    reps = REPS.assign(hire_date=D(["2020-01-01", "2025-07-02", "2020-01-01", "2020-01-01"]),
                       leave_date=D([None, None, "2025-04-01", None]))
    orders = pd.DataFrame({"customer_id": ["C1"], "order_date": D(["2025-01-20"]), "amount": [1.0]})
    c = rep_comparison(stages, reps, orders=orders, as_of="2025-12-31").set_index(["rep_id", "step"])
    month = 365.25 / 12
    assert c.loc[("R2", "new_customers"), "decided"] == round(183 / month, 1)  # 2025-07-02 .. 12-31
    assert c.loc[("R3", "new_customers"), "decided"] == round(90 / month, 1)  # 2025-01-02 .. 04-01
    with pytest.raises(ParameterError, match="min_months"):
        rep_comparison(stages, reps, orders=orders, min_months=0)


def test_poisson_interval_known_values():
    z = NormalDist().inv_cdf(0.975)
    low, high = poisson_interval([0, 20], [10, 10])
    assert low[0] == 0 and high[0] == pytest.approx(z * z / 10)  # 0 events: [0, z^2 / exposure]
    assert (round(float(low[1]), 2), round(float(high[1]), 2)) == (1.29, 3.09)
    assert all(np.isnan(poisson_interval(3, 0)))


# --------------------------------------------------------------------------- time
def test_stage_durations_hand_computed(stages):
    d = stage_durations(stages, as_of="2025-02-28")
    got = d.set_index(["opportunity_id", "stage"])["days"]
    assert got[("o1", "lead")] == 3 and got[("o1", "intent")] == 5 and got[("o1", "negotiation")] == 10
    assert got[("o1", "cycle")] == 18
    assert got[("o2", "lead")] == 5 and ("o2", "intent") not in got.index  # skipped
    assert got[("o4", "intent")] == 52 and d.set_index(["opportunity_id", "stage"]).loc[("o4", "intent"), "ongoing"]
    assert got[("o6", "lead")] == 52 and got[("o7", "negotiation")] == 44


def test_duration_summary_and_stuck_deals(stages):
    d = stage_durations(stages, as_of="2025-02-28")
    summary = duration_summary(d).set_index("stage")
    # completed intent stays: o1 5, o5 4, o7 6, o9 6
    assert summary.loc["intent", "completed"] == 4 and summary.loc["intent", "median_days"] == 5.5
    assert summary.loc["intent", "ongoing"] == 1
    stuck = stuck_deals(d, by=None)
    # p90 (linear): lead [1 2 2 2 2 3 5 5 19] -> 7.8; intent [4 5 6 6] -> 6; negotiation [10 17 18] -> 17.8
    assert stuck["opportunity_id"].tolist() == ["o4", "o6", "o7"]
    assert stuck["limit_days"].tolist() == pytest.approx([6.0, 7.8, 17.8])
    assert stuck["days_over"].tolist() == pytest.approx([46.0, 44.2, 26.2])
    assert stuck.loc[0, "name"] == "Ann"
    # team A alone has too few completed stays (min_completed=10): the company limit is used
    assert stuck_deals(d)["limit_days"].tolist() == pytest.approx([6.0, 7.8, 17.8])


# --------------------------------------------------------------------------- pipeline
def test_pipeline_velocity_and_coverage_hand_computed(stages):
    quotas = pd.DataFrame({"rep_id": ["R1", "R2", "R3", "R9"], "month": D(["2025-01-01"] * 3 + ["2025-02-01"]),
                           "quota": [1000.0, 500.0, 200.0, 100.0]})
    p = pipeline_table(stages, quotas, as_of="2025-02-28", by="team", reps=REPS).set_index("team")
    # team A: open o4 o6 o7 (90 + 60 + 400), won o1 o2 (1000, 500), lost o3 o5
    assert p.loc["A", "open_deals"] == 3 and p.loc["A", "open_amount"] == 550.0
    assert p.loc["A", "win_rate"] == 0.5 and p.loc["A", "avg_deal"] == 750.0
    assert p.loc["A", "cycle_days"] == 20.0  # (18 + 22) / 2
    assert p.loc["A", "expected_value"] == 3 * 0.5 * 750.0
    assert p.loc["A", "velocity_per_day"] == pytest.approx(1125.0 / 20)
    # Q1 quota A = 1500; won in Q1 up to 02-28 = 1500 -> nothing remains, coverage undefined
    assert p.loc["A", "remaining_quota"] == 0.0 and np.isnan(p.loc["A", "coverage"])
    # team B: quota 200 + 100 (R9 has no opportunity: found through reps), won 300 -> 0 left
    assert p.loc["B", "quota_horizon"] == 300.0 and p.loc["B", "open_deals"] == 0
    # with orders: net sales (a refund included) decide what is left
    orders = pd.DataFrame({"rep_id": ["R1", "R1", "R2"], "order_date": D(["2025-01-20", "2025-02-01", "2024-12-01"]),
                           "amount": [1000.0, -200.0, 999.0]})
    p2 = pipeline_table(stages, quotas, as_of="2025-02-28", orders=orders, reps=REPS).set_index("team")
    assert p2.loc["A", "closed_in_horizon"] == 800.0 and p2.loc["A", "remaining_quota"] == 700.0
    assert p2.loc["A", "coverage"] == round(550 / 700, 2)
    with pytest.raises(ParameterError, match="horizon='week'"):
        pipeline_table(stages, quotas, as_of="2025-02-28", horizon="week")


# --------------------------------------------------------------------------- channels
SPEND = pd.DataFrame({"channel": ["referral", "paid_search", "paid_search", "paid_social", "radio", "trade_show"],
                      "month": D(["2025-01-01", "2025-01-01", "2025-02-01", "2025-01-01", "2025-02-01", "2024-12-01"]),
                      "spend": [100.0, 300.0, 300.0, 600.0, 50.0, 10.0]})


def test_channel_table_hand_computed(stages):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = channel_table(stages, SPEND).set_index("channel")  # leads span Jan-Feb 2025
    # referral: 4 leads, won o1 o2 o8 = 1800, spend 100
    assert t.loc["referral", "leads"] == 4 and t.loc["referral", "cost_per_lead"] == 25.0
    assert t.loc["referral", "cac"] == round(100 / 3, 2) and t.loc["referral", "roi"] == 18.0
    # paid_search: 4 leads, no deal, 600 spent -> ROI 0, flagged; CAC undefined
    assert t.loc["paid_search", "roi"] == 0.0 and t.loc["paid_search", "low_roi"]
    assert np.isnan(t.loc["paid_search", "cac"])
    # radio: spend but no leads -> ROI 0, flagged
    assert t.loc["radio", "leads"] == 0 and t.loc["radio", "low_roi"]
    # trade_show: its only spend row is from 2024-12, outside the period: spend 0, ROI undefined
    assert t.loc["trade_show", "spend"] == 0.0
    assert np.isnan(t.loc["trade_show", "roi"]) and not t.loc["trade_show", "low_roi"]
    # highest ROI first, ties by name, undefined last (paid_social: one open lead, 600 spent)
    assert list(t.index) == ["referral", "paid_search", "paid_social", "radio", "trade_show"]


def test_unknown_channel_gets_nan_and_a_warning(stages):
    spend = SPEND[SPEND["channel"] != "paid_social"]
    with pytest.warns(PlaybookWarning, match=r"channel\(s\) paid_social have no rows in channel_spend"):
        t = channel_table(stages, spend, period_start="2024-12-01").set_index("channel")
    assert np.isnan(t.loc["paid_social", "spend"]) and np.isnan(t.loc["paid_social", "cost_per_lead"])
    assert np.isnan(t.loc["paid_social", "roi"]) and not t.loc["paid_social", "low_roi"]
    assert t.loc["trade_show", "spend"] == 10.0


def test_channel_ratio_hand_computed():
    s = pd.DataFrame({"channel": ["referral"] * 100 + ["paid_search"] * 60 + ["paid_social"] * 40,
                      "outcome": ["won"] * 30 + ["lost"] * 70 + ["won"] * 6 + ["lost"] * 54 + ["won"] * 4
                      + ["lost"] * 36})
    r = channel_ratio(s).iloc[0]
    assert r["versus"] == "paid_search+paid_social" and (r["versus_won"], r["versus_closed"]) == (10, 100)
    assert r["ratio"] == pytest.approx(3.0)
    se = math.sqrt(1 / 30 - 1 / 100 + 1 / 10 - 1 / 100)  # Katz log interval
    z = NormalDist().inv_cdf(0.975)
    assert r["ratio_ci_low"] == pytest.approx(3 * math.exp(-z * se))
    assert r["ratio_ci_high"] == pytest.approx(3 * math.exp(z * se))
    with pytest.warns(PlaybookWarning, match=r"channel\(s\) tv have no leads in the data"):
        none = channel_ratio(s, channel="tv").iloc[0]
    assert np.isnan(none["ratio"]) and none["closed"] == 0
    assert channel_ratio_text(channel_ratio(s), lang="zh").startswith("转介绍线索的赢单率是付费广告线索的 3.0 倍")


# --------------------------------------------------------------------------- before / after
def test_compare_periods(stages):
    c = compare_periods(stages, before=("2025-01-01", "2025-01-31"), after=("2025-02-01", "2025-02-28"))
    row = c.set_index("step").loc["lead_to_intent"]
    # January: 6 decided, 5 passed; February: 3 decided, 2 passed -> small counts: Fisher
    assert (row["before_passed"], row["before_decided"], row["after_passed"], row["after_decided"]) == (5, 6, 2, 3)
    assert row["test"] == "fisher" and not row["significant"]
    assert row["p_value"] == pytest.approx(proportion_test(5, 6, 2, 3, test="fisher")[0])
    assert c["step"].tolist() == ["lead_to_intent", "intent_to_negotiation", "negotiation_to_deal", "win_rate"]
    with pytest.raises(InputError, match="no opportunities created in the after period 2026-01-01"):
        compare_periods(stages, before=("2025-01-01", "2025-01-31"), after=("2026-01-01", "2026-02-01"))
    with pytest.raises(ParameterError, match="before"):
        compare_periods(stages, before=("2025-02-01", "2025-01-01"), after=("2025-02-01", "2025-02-28"))


def test_notebook_helpers():
    before, after = periods_around("", as_of="2025-09-30")  # this year against last year
    # 365 days each: 2024-10-01..2025-09-30, and 2023-10-02..2024-09-30 (2024 has a 29 February)
    assert before == (pd.Timestamp("2023-10-02"), pd.Timestamp("2024-09-30"))
    assert after == (pd.Timestamp("2024-10-01"), pd.Timestamp("2025-09-30"))
    with pytest.raises(ParameterError, match="change_date"):
        periods_around("2026-01-01", as_of="2025-09-30")
    s = add_period(pd.DataFrame({"created_date": D(["2024-12-31", "2025-01-01"])}), freq="M")
    assert s["period"].tolist() == ["2024-12", "2025-01"]


def test_for_display_translates_codes_and_keeps_unknown():
    f = pd.DataFrame({"step": ["lead_to_intent"], "status": ["leak"], "channel": ["radio"],
                      "competency": ["solution_demo"]})
    assert for_display(f, lang="zh").iloc[0].tolist() == ["线索→意向", "漏点", "radio", "方案演示"]
    assert for_display(f, lang="en").iloc[0].tolist() == ["Lead → intent", "Leak", "radio", "Solution demo"]
    nums = pd.DataFrame({"roi": [24.361, np.nan], "p_value": [0.0004, 0.25], "low_roi": [True, False],
                         "win_rate": [0.25, 0.5]})
    shown = for_display(nums, lang="en")
    assert shown["roi"].tolist() == ["24.36", "—"] and shown["p_value"].tolist() == ["< 0.001", "0.250"]
    assert shown["low_roi"].tolist() == ["yes", "no"] and shown["win_rate"].tolist() == ["25.0%", "50.0%"]
    other = for_display(pd.DataFrame({"versus": ["paid_search+paid_social"], "entered_date": D(["2025-03-04"]),
                                      "unit": ["per_month"], "rate": [0.456], "decided": [33.0]}), lang="zh")
    assert other.iloc[0].tolist() == ["搜索广告 + 社交媒体广告", "2025-03-04", "每月", "每月 0.46", "33.0 个月"]


# --------------------------------------------------------------------------- properties
@st.composite
def opportunity_frames(draw):
    n = draw(st.integers(1, 40))
    rows = []
    for i in range(n):
        level = draw(st.integers(0, 3))  # furthest stage: lead, intent, negotiation, deal
        outcome = "won" if level == 3 else draw(st.sampled_from(["lost", "open"]))
        gaps = draw(st.lists(st.integers(0, 20), min_size=3, max_size=3))
        created = pd.Timestamp("2025-01-01") + pd.Timedelta(days=draw(st.integers(0, 60)))
        intent = created + pd.Timedelta(days=gaps[0]) if level >= 1 and draw(st.booleans()) else pd.NaT
        neg = (created + pd.Timedelta(days=gaps[0] + gaps[1])) if level >= 2 and draw(st.booleans()) else pd.NaT
        closed = (created + pd.Timedelta(days=sum(gaps))) if outcome != "open" else pd.NaT
        rows.append({"opportunity_id": f"o{i}", "rep_id": draw(st.sampled_from(["R1", "R2", "R3"])),
                     "channel": "referral", "amount": 10.0, "created_date": created, "intent_date": intent,
                     "negotiation_date": neg if level < 3 or pd.notna(neg) else pd.NaT,
                     "closed_date": closed, "outcome": outcome})
    return pd.DataFrame(rows)


@settings(max_examples=30, deadline=None)
@given(opportunity_frames())
def test_counts_never_grow_and_rates_stay_in_range(opps):
    s = stage_table(opps)
    f = funnel_table(s, by="rep_id")
    assert (f["leads"] >= f["intents"]).all() and (f["intents"] >= f["negotiations"]).all()
    assert (f["negotiations"] >= f["deals"]).all()
    rates = f[["rate_lead_to_intent", "rate_intent_to_negotiation", "rate_negotiation_to_deal",
               "conv_lead_to_negotiation", "conv_lead_to_deal", "win_rate"]].to_numpy(dtype=float)
    assert ((rates[~np.isnan(rates)] >= 0) & (rates[~np.isnan(rates)] <= 1)).all()
    total = funnel_table(s)
    assert f["leads"].sum() == total.loc[0, "leads"] and f["deals"].sum() == total.loc[0, "deals"]
    steps = step_table(s)
    assert (steps["passed"] <= steps["decided"]).all() and (steps["decided"] <= steps["entered"]).all()


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 500), st.integers(0, 500))
def test_wilson_contains_the_estimate(k, extra):
    n = k + extra
    low, high = wilson_interval(k, n)
    if n == 0:
        assert np.isnan(low) and np.isnan(high)
    else:
        assert 0 <= low <= k / n + 1e-12 <= high + 2e-12 <= 1 + 2e-12


# --------------------------------------------------------------------------- sample company
@pytest.fixture(scope="module")
def sample():
    from playbook.data.sample import SAMPLE_AS_OF, SIGNALS, generate

    tables = generate(seed=7)
    s = stage_table(tables["opportunities"], reps=tables["reps"], as_of=SAMPLE_AS_OF)
    return tables, s, SIGNALS


def test_sample_leaky_team_is_flagged_at_negotiation(sample):
    tables, s, signals = sample
    t = team_comparison(s)
    flagged = t[t["status"] == "leak"][["team", "step"]].values.tolist()
    assert flagged == [[signals.leaky_team, "negotiation_to_deal"]]
    # against the company, the leaky team's reps are the negotiation leaks
    leaks = rep_leaks(rep_comparison(s, tables["reps"], reference="company"))
    neg = leaks[leaks["step"] == "negotiation_to_deal"]
    assert len(neg) >= 3 and (neg["team"] == signals.leaky_team).all()
    assert (neg["competency"] == "negotiation").all() and (neg["revenue_at_stake"] > 0).all()


def test_sample_under_performer_is_short_of_new_customers(sample):
    tables, s, signals = sample
    from playbook.data.sample import SAMPLE_AS_OF

    c = rep_comparison(s, tables["reps"], orders=tables["orders"], as_of=SAMPLE_AS_OF)
    leaks = rep_leaks(c)
    mine = leaks[leaks["rep_id"] == signals.under_performer]
    assert mine[["step", "competency"]].values.tolist() == [["new_customers", "new_customer_development"]]


def test_sample_referral_beats_paid_ads_about_three_times(sample):
    _, s, signals = sample
    r = channel_ratio(s, channel=signals.referral_channel, versus=signals.paid_ad_channels).iloc[0]
    assert 2.5 <= r["ratio"] <= 3.6
    assert r["ratio_ci_low"] > 2 and r["p_value"] < 1e-6


def test_benchmark_baseline_agrees_with_the_kit():
    from playbook.bench.cases.funnel import naive_rep_funnel, synthetic_opportunities

    opps, reps = synthetic_opportunities(3000, reps=20, teams=2)
    kit = funnel_table(stage_table(opps, reps=reps), by="rep_id")
    naive = naive_rep_funnel(opps, reps).sort_values("rep_id").reset_index(drop=True)
    cols = ["rep_id", "leads", "intents", "negotiations", "deals", "rate_lead_to_intent",
            "rate_intent_to_negotiation", "rate_negotiation_to_deal"]
    pd.testing.assert_frame_equal(kit[cols].astype({"rep_id": str}), naive[cols].astype({"rep_id": str}),
                                  check_dtype=False)


def test_no_warnings_on_clean_data(stages):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stage_table(OPPS, reps=REPS)
        rep_comparison(stages, REPS)


# --------------------------------------------------------------------------- the fifth stage: repurchase
def _five_stage_data():
    """11 leads (10 of team A, 1 of team B); 6 intents, 4 negotiations, 3 won customers; orders for repurchase."""
    ids = [f"O{i}" for i in range(1, 12)]
    d = pd.to_datetime
    opps = pd.DataFrame({
        "opportunity_id": ids, "rep_id": ["R1"] * 10 + ["R2"], "channel": "referral", "amount": 100.0,
        "customer_id": ["C1", "C2", "C3"] + [f"X{i}" for i in range(4, 12)],
        "created_date": d(["2025-01-02"] * 11),
        "intent_date": d(["2025-01-05"] * 6 + [None] * 5),
        "negotiation_date": d(["2025-01-08"] * 4 + [None] * 7),
        "closed_date": d(["2025-01-10", "2025-02-01", "2025-05-01", "2025-01-20", "2025-01-20", "2025-01-20",
                          "2025-01-20", "2025-01-20", "2025-01-20", "2025-01-20", "2025-01-20"]),
        "outcome": ["won"] * 3 + ["lost"] * 8,
    })
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann", "Bo"], "team": ["A", "B"]})
    # C1 orders again on 1 Mar (within 180 days of 10 Jan; window ends 9 Jul <= as-of): repurchased.
    # C2 orders only on its deal day: its window (to 31 Jul) has ended, no repurchase.
    # C3 orders again on 1 Jun, but its window runs to 28 Oct, after as-of: pending, not yet counted.
    orders = pd.DataFrame({"customer_id": ["C1", "C1", "C2", "C3", "C3"],
                           "order_date": d(["2025-01-10", "2025-03-01", "2025-02-01", "2025-05-01", "2025-06-01"]),
                           "amount": [100.0, 40.0, 100.0, 100.0, 30.0]})
    return stage_table(opps, reps=reps, as_of="2025-09-30"), orders


def test_five_stage_funnel_hand_built():
    stages, orders = _five_stage_data()
    steps = step_table(stages, orders=orders, as_of="2025-09-30", window_days=180)
    assert list(steps.columns) == STEP_COLUMNS
    assert steps["step"].tolist() == ["lead_to_intent", "intent_to_negotiation", "negotiation_to_deal",
                                      "deal_to_repurchase"]
    # lead 11 -> intent 6 -> negotiation 4 -> deal 3 -> repurchase 1 (of 2 decided; C3 still in its window)
    assert steps[["entered", "passed", "pending", "decided"]].values.tolist() == [
        [11, 6, 0, 11], [6, 4, 0, 6], [4, 3, 0, 4], [3, 1, 1, 2]]
    assert steps["rate"].tolist() == pytest.approx([6 / 11, 4 / 6, 3 / 4, 1 / 2])
    # without orders: the four-stage table as before
    assert step_table(stages)["step"].tolist() == list(funnel.STEPS)
    # grouped: each team's four steps, the repurchase step last; team B never won (nothing decided)
    by_team = step_table(stages, by="team", orders=orders, as_of="2025-09-30")
    assert by_team[["team", "step"]].values.tolist() == [
        ["A", "lead_to_intent"], ["A", "intent_to_negotiation"], ["A", "negotiation_to_deal"],
        ["A", "deal_to_repurchase"], ["B", "lead_to_intent"], ["B", "intent_to_negotiation"],
        ["B", "negotiation_to_deal"], ["B", "deal_to_repurchase"]]
    assert by_team.iloc[3][["entered", "passed", "pending", "decided"]].tolist() == [3, 1, 1, 2]
    assert by_team.iloc[7][["entered", "passed", "decided"]].tolist() == [0, 0, 0] and np.isnan(by_team.iloc[7]["rate"])
    # the funnel table's fifth-stage columns
    f = funnel_table(stages, orders=orders, as_of="2025-09-30").iloc[0]
    assert f[["leads", "intents", "negotiations", "deals", "repurchases"]].tolist() == [11, 6, 4, 3, 1]
    assert f["rate_deal_to_repurchase"] == 0.5
    plain = funnel_table(stages)
    assert list(plain.columns) == FUNNEL_COLUMNS and pd.isna(plain.loc[0, "repurchases"])
    teams = funnel_table(stages, by="team", orders=orders, as_of="2025-09-30").set_index("team")
    assert teams["repurchases"].tolist() == [1, 0] and teams.loc["A", "rate_deal_to_repurchase"] == 0.5


def test_five_stage_funnel_chart_and_table_in_both_languages():
    import matplotlib.pyplot as plt

    from playbook.present import funnel as present_funnel
    from playbook.present.charts.funnel import funnel_chart

    stages, orders = _five_stage_data()
    steps = step_table(stages, orders=orders, as_of="2025-09-30")
    ax = funnel_chart(steps, lang="zh")
    texts = [x.get_text() for x in ax.texts]
    assert [x for x in texts if "  " in x] == ["线索  11", "意向  6", "谈判  4", "成交  3", "复购  1"]
    assert "流失 50% （1 个仍在复购观察期内）" in texts
    en = [x.get_text() for x in funnel_chart(steps, lang="en").texts]
    assert "Repurchase  1" in en and "drop-off 50% (1 still within their repurchase window)" in en
    plt.close("all")
    shown = present_funnel.for_display(funnel_table(stages, orders=orders, as_of="2025-09-30"), lang="zh")
    assert shown.loc[0, ["deals", "repurchases", "rate_deal_to_repurchase"]].tolist() == [3, 1, "50.0%"]
    assert present_funnel.for_display(steps, lang="zh")["step"].tolist()[-1] == "成交→复购"
