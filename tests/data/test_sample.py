"""The sample company: deterministic, exactly the schema, and carrying its planted findings.

The findings (SIGNALS) are measured here with plain pandas, independently of the
generator's internals, on the default data (seed 7, scale 1).
"""

import re

import numpy as np
import pandas as pd
import pytest

from playbook.core import paths, schema
from playbook.core.errors import ParameterError
from playbook.data.sample import SAMPLE_AS_OF, SIGNALS, generate, write_tables

AS_OF = pd.Timestamp(SAMPLE_AS_OF)
START = pd.Timestamp("2023-01-01")
Y2025 = pd.Timestamp("2025-01-01")


@pytest.fixture(scope="module")
def tables():
    return generate(seed=7, scale=1)


def _csv_bytes(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.csv"))}


def _date_columns(table):
    return [c.name for c in schema.TABLES[table].columns if c.kind == "date"]


def _ytd_sales(orders, start=Y2025, end=AS_OF):
    o = orders[(orders["order_date"] >= start) & (orders["order_date"] <= end)]
    return o.groupby("rep_id")["amount"].sum()


def _full_year_peers(reps, rep_id):
    """Same role, employed for all of 2025 so far, not the rep himself."""
    role = reps.set_index("rep_id").loc[rep_id, "role"]
    return reps.loc[(reps["role"] == role) & (reps["hire_date"] < Y2025)
                    & reps["leave_date"].isna() & (reps["rep_id"] != rep_id), "rep_id"]


# --- determinism and files ------------------------------------------------------------


def test_same_seed_gives_identical_bytes(tmp_path):
    write_tables(generate(seed=7, scale=1), tmp_path / "a")
    write_tables(generate(seed=7, scale=1), tmp_path / "b")
    a, b = _csv_bytes(tmp_path / "a"), _csv_bytes(tmp_path / "b")
    assert sorted(a) == sorted(f"{t}.csv" for t in schema.TABLE_ORDER)
    assert a == b


def test_different_seed_gives_different_data(tables):
    other = generate(seed=8, scale=1)
    for name in ("customers", "orders", "opportunities", "activities"):
        assert not other[name].equals(tables[name]), name


def test_shipped_sample_is_what_the_code_writes(tables, tmp_path):
    files = write_tables(tables, tmp_path)
    assert [f.name for f in files] == [f"{t}.csv" for t in schema.TABLE_ORDER]
    shipped = _csv_bytes(paths.SAMPLE_DIR)
    assert sorted(shipped) == sorted(f.name for f in files)
    for name, data in _csv_bytes(tmp_path).items():
        assert shipped[name] == data, (
            f"data/sample/{name} differs from generate(seed=7, scale=1): "
            "regenerate with `playbook sample --out data/sample --seed 7 --scale 1`")


def test_csv_format(tables, tmp_path):
    write_tables(tables, tmp_path)
    orders = (tmp_path / "orders.csv").read_bytes()
    assert not orders.startswith(b"\xef\xbb\xbf") and b"\r" not in orders
    lines = orders.decode("utf-8").splitlines()
    assert lines[0] == ",".join(schema.column_names("orders"))
    assert all(re.fullmatch(r"O\d{6},C\d{5},R\d{3},\d{4}-\d{2}-\d{2},-?\d+\.\d{2},[^,]+,"
                            r"(True|False)", ln) for ln in lines[1:])
    reps = (tmp_path / "reps.csv").read_text(encoding="utf-8").splitlines()
    manager = next(ln for ln in reps if "销售经理" in ln)
    assert re.search(r",销售经理,,\d{4}-\d{2}-\d{2},,\d+\.00$", manager)  # empty cells
    back = pd.read_csv(tmp_path / "opportunities.csv", dtype=str, keep_default_na=False)
    assert (back["closed_date"] == "").sum() == tables["opportunities"]["closed_date"].isna().sum()


def test_write_tables_refuses_paths_as_table_names(tables, tmp_path):
    with pytest.raises(ParameterError, match="tables"):
        write_tables({"../orders": tables["orders"]}, tmp_path)


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"scale": 0}, "scale"), ({"scale": -1.0}, "scale"), ({"scale": float("nan")}, "scale"),
    ({"seed": -1}, "seed"), ({"seed": 1.5}, "seed"),
    ({"teams": 0}, "teams"), ({"teams": 4}, "teams"), ({"teams": 1.5}, "teams"), ({"teams": True}, "teams"),
], ids=["scale-0", "scale-negative", "scale-nan", "seed-negative", "seed-float",
        "teams-0", "teams-above-3-per-scale", "teams-float", "teams-bool"])
def test_bad_parameters_are_reported(kwargs, name):
    with pytest.raises(ParameterError, match=f"parameter {name}="):
        generate(**kwargs)


# --- schema ------------------------------------------------------------------------------


def test_tables_and_columns_follow_the_schema(tables):
    assert tuple(tables) == schema.TABLE_ORDER
    for name, frame in tables.items():
        assert frame.columns.tolist() == schema.column_names(name), name
        assert frame.index.equals(pd.RangeIndex(len(frame))), name
        for col in schema.TABLES[name].columns:
            s = frame[col.name]
            if col.kind == "date":
                assert pd.api.types.is_datetime64_dtype(s), (name, col.name)
            elif col.kind == "money":
                assert pd.api.types.is_float_dtype(s), (name, col.name)
                assert np.allclose(s.dropna(), s.dropna().round(2), rtol=0, atol=1e-9)
            elif col.kind in ("count", "level"):
                assert pd.api.types.is_integer_dtype(s) and (s >= 0).all(), (name, col.name)
            elif col.kind == "bool":
                assert pd.api.types.is_bool_dtype(s), (name, col.name)
            else:
                assert pd.api.types.is_string_dtype(s), (name, col.name)
            if not col.nullable:
                assert s.notna().all(), (name, col.name)
            if col.allowed:
                assert set(s.dropna()) <= set(col.allowed), (name, col.name)


def test_keys_are_unique_and_references_exist(tables):
    for name, table in schema.TABLES.items():
        key = [table.key] if isinstance(table.key, str) else list(table.key)
        assert not tables[name].duplicated(key).any(), name
        for col, (other, other_col) in table.references.items():
            values = tables[name][col].dropna()
            assert values.isin(tables[other][other_col]).all(), (name, col)
    assert tables["reps"]["rep_id"].str.fullmatch(r"R\d{3}").all()
    assert tables["customers"]["customer_id"].str.fullmatch(r"C\d{5}").all()
    assert tables["orders"]["order_id"].str.fullmatch(r"O\d{6}").all()
    assert tables["opportunities"]["opportunity_id"].str.fullmatch(r"P\d{6}").all()
    assert set(tables["opportunities"]["channel"]) == set(schema.CHANNELS)
    assert set(tables["customers"]["channel"]) == set(schema.CHANNELS)


def test_no_date_after_as_of_and_history_from_2023(tables):
    for name in schema.TABLE_ORDER:
        for col in _date_columns(name):
            if name != "quotas":
                assert (tables[name][col].dropna() <= AS_OF).all(), (name, col)
    for name, col in [("orders", "order_date"), ("opportunities", "created_date"),
                      ("activities", "week"), ("channel_spend", "month"),
                      ("customers", "first_order_date")]:
        assert tables[name][col].min() >= START, (name, col)
    months = tables["quotas"]["month"]
    assert (months.dt.day == 1).all()
    assert months.dt.year.isin([2024, 2025]).all() and months.nunique() == 24


def test_sizes_at_scale_1(tables):
    n = {name: len(frame) for name, frame in tables.items()}
    assert 20 <= n["reps"] <= 28 and 1200 <= n["customers"] <= 1800
    assert 12_000 <= n["orders"] <= 20_000 and 5_000 <= n["opportunities"] <= 8_000
    assert n["channel_spend"] == len(schema.CHANNELS) * 33


def test_scale_2_doubles_the_rows(tables):
    big = generate(seed=7, scale=2)
    assert big["reps"]["team"].nunique() == 2 * tables["reps"]["team"].nunique()
    for name in ("reps", "customers", "orders", "opportunities"):
        assert 1.7 <= len(big[name]) / len(tables[name]) <= 2.3, name


def test_fewer_teams_keep_the_volume_on_fewer_reps(tables):
    # scale 2 on 3 teams: the reps of scale 1, each with about twice the customers and orders
    few = generate(seed=7, scale=2, teams=3)
    assert few["reps"]["team"].nunique() == 3 and len(few["reps"]) == len(tables["reps"])
    for name in ("customers", "orders", "opportunities"):
        assert 1.7 <= len(few[name]) / len(tables[name]) <= 2.3, name
    per_rep = few["orders"].groupby("rep_id").size() / tables["orders"].groupby("rep_id").size()
    assert 1.5 <= per_rep.median() <= 2.5


def test_teams_of_the_scale_give_the_same_tables(tables):
    same = generate(seed=7, scale=1, teams=3)
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(same[name], frame)


# --- the data make sense --------------------------------------------------------------


def test_reps_teams_roles_and_salaries(tables):
    reps = tables["reps"]
    assert reps["team"].unique().tolist() == ["华东一组", "华北一组", "华南一组"]
    assert set(reps["region"]) == {"华东", "华北", "华南"}
    managers = reps[reps["role"] == "销售经理"]
    assert managers["team"].tolist() == reps["team"].unique().tolist()  # one per team
    assert managers["manager_id"].isna().all()
    others = reps[reps["role"] != "销售经理"]
    assert set(others["role"]) == {"销售专员", "高级销售"}
    boss = others["team"].map(managers.set_index("team")["rep_id"])
    assert (others["manager_id"] == boss).all()
    assert reps["base_salary"].between(6000, 15000).all()
    assert reps["name"].is_unique and reps["name"].str.fullmatch(r"[\u4e00-\u9fff]{2,4}").all()
    cohort = reps[reps["rep_id"].isin(SIGNALS.ramping_cohort)]
    assert len(cohort) >= 3
    assert cohort["hire_date"].between("2025-02-01", "2025-06-30").all()
    assert (reps.loc[~reps["rep_id"].isin(SIGNALS.ramping_cohort), "hire_date"] < START).all()
    left = reps[reps["leave_date"].notna()]
    assert left["rep_id"].tolist() == [SIGNALS.leaver]
    assert (left["leave_date"].dt.year == 2024).all()


def test_customers_first_order_date_is_their_first_order(tables):
    customers, orders = tables["customers"], tables["orders"]
    first = orders[~orders["is_refund"]].groupby("customer_id")["order_date"].min()
    got = customers.set_index("customer_id")["first_order_date"]
    pd.testing.assert_series_equal(got.sort_index(), first.sort_index(), check_names=False)
    assert customers["name"].is_unique
    assert customers["name"].str.endswith("公司").all()
    assert not customers["owner_rep_id"].isin([SIGNALS.leaver]).any()


def test_refunds_are_negative_and_follow_an_order(tables):
    orders = tables["orders"]
    assert ((orders["amount"] < 0) == orders["is_refund"]).all()
    assert (orders["amount"] != 0).all()
    assert 0.01 <= orders["is_refund"].mean() <= 0.03
    refunds = orders[orders["is_refund"]]
    sales = orders[~orders["is_refund"]]
    pairs = refunds.merge(sales, on=["customer_id", "rep_id"], suffixes=("", "_sale"))
    earlier = pairs[pairs["order_date_sale"] <= pairs["order_date"]]
    assert set(earlier["order_id"]) == set(refunds["order_id"])


def test_opportunity_stages_are_in_order(tables):
    p = tables["opportunities"]
    c, i, n, d = (p[x] for x in ("created_date", "intent_date", "negotiation_date",
                                  "closed_date"))
    assert (i.isna() | (c <= i)).all() and (n.isna() | (i <= n)).all()
    assert (d.isna() | (c <= d)).all() and (d.isna() | n.isna() | (n <= d)).all()
    assert (i.notna() | n.isna()).all()  # no negotiation without intent
    won, lost, open_ = (p["outcome"] == x for x in schema.OUTCOMES)
    assert (d.notna() == (won | lost)).all()
    assert n[won].notna().all()
    assert p.loc[lost, "lost_reason"].isin(["价格", "竞品", "预算", "无需求"]).all()
    assert p.loc[~lost, "lost_reason"].isna().all()
    assert (c[open_] >= AS_OF - pd.Timedelta(days=150)).all()  # open ones are recent
    assert p.loc[won, "customer_id"].notna().all()
    assert (p["amount"] > 0).all()


def test_won_opportunities_became_orders(tables):
    won = tables["opportunities"].query("outcome == 'won'")
    orders = tables["orders"][~tables["orders"]["is_refund"]]
    keys = ["customer_id", "rep_id", "amount"]
    hit = won.merge(orders, left_on=keys + ["closed_date"], right_on=keys + ["order_date"])
    assert hit["opportunity_id"].nunique() == len(won)


def test_activities_weekly_from_hire_to_leave(tables):
    acts, reps = tables["activities"], tables["reps"].set_index("rep_id")
    assert (acts["week"].dt.day_of_week == 0).all()
    span = acts.groupby("rep_id")["week"].agg(["min", "max", "size"])
    hire, leave = reps["hire_date"], reps["leave_date"]
    first_week = (hire - pd.to_timedelta(hire.dt.day_of_week, unit="D")).clip(lower=START)
    assert (span["min"] == first_week.loc[span.index].clip(lower="2023-01-02")).all()
    last = leave.fillna(AS_OF)
    assert (span["max"] <= last.loc[span.index]).all()
    assert (span["max"] > last.loc[span.index] - pd.Timedelta(days=7)).all()
    assert (span["size"] == (span["max"] - span["min"]).dt.days // 7 + 1).all()  # no gaps
    weekly = acts.groupby("week")["visits"].sum()
    for festival in ("2023-01-22", "2024-02-10", "2025-01-29"):  # Spring Festival weeks
        week = pd.Timestamp(festival) - pd.Timedelta(days=pd.Timestamp(festival).day_of_week)
        assert weekly[week] < 0.3 * weekly.median(), festival


def test_channel_spend_paid_ads_expensive_referral_cheap(tables):
    assert (tables["channel_spend"]["spend"] >= 0).all()
    spend = tables["channel_spend"].groupby("channel")["spend"].sum()
    won = tables["opportunities"].query("outcome == 'won'")
    first = won.merge(tables["customers"], on="customer_id", suffixes=("", "_customer"))
    acquired = first[first["closed_date"] == first["first_order_date"]]
    cac = spend / acquired.groupby("channel").size()  # cost per new customer
    assert cac[SIGNALS.referral_channel] < 2000
    for paid in SIGNALS.paid_ad_channels:
        assert cac[paid] > 4 * cac[SIGNALS.referral_channel]
        assert spend[paid] > spend[SIGNALS.referral_channel]


def test_assessments_each_rep_each_competency_twice(tables):
    a, reps = tables["assessments"], tables["reps"]
    assert set(a["rater"]) == {"manager", "self"} and a["level"].between(1, 5).all()
    rounds = a.groupby(["rep_id", "competency", "rater"])["assessed_date"].nunique()
    assert len(rounds) == len(reps) * len(schema.COMPETENCIES) * 2
    assert (rounds >= 2).all()
    assert (a.merge(reps, on="rep_id")["assessed_date"] >= a.merge(reps, on="rep_id")[
        "hire_date"]).all()


def test_quotas_cover_employment_and_ramp(tables):
    q, reps = tables["quotas"], tables["reps"].set_index("rep_id")
    assert (q["quota"] > 0).all()
    months = q.groupby("rep_id")["month"].agg(["min", "max", "size"])
    hire_month = reps["hire_date"].dt.to_period("M").dt.to_timestamp()
    expected_first = hire_month.clip(lower="2024-01-01").loc[months.index]
    assert (months["min"] == expected_first).all()
    leave_month = reps["leave_date"].dt.to_period("M").dt.to_timestamp()
    assert (months["max"] == leave_month.fillna(pd.Timestamp("2025-12-01"))
            .loc[months.index]).all()
    for rep_id in SIGNALS.ramping_cohort:  # quota grows while the new hire ramps up
        mine = q[q["rep_id"] == rep_id].set_index("month")["quota"]
        assert mine.iloc[1] < mine.loc["2025-09-01"] < mine.loc["2025-12-01"]


def test_growth_and_seasonality(tables):
    """Signal e: February weakest, December strongest; ~10-20% growth a year."""
    o = tables["orders"]
    monthly = o.groupby([o["order_date"].dt.year, o["order_date"].dt.month])["amount"].sum()
    for year in (2023, 2024, 2025):
        assert monthly.loc[year].idxmin() == SIGNALS.weakest_month == 2
    for year in (2023, 2024):
        assert monthly.loc[year].idxmax() == SIGNALS.strongest_month == 12
        q4 = monthly.loc[year].groupby((monthly.loc[year].index - 1) // 3).sum()
        assert q4.idxmax() == 3
    jan_sep = o[o["order_date"].dt.month <= 9].groupby(o["order_date"].dt.year)["amount"].sum()
    growth = jan_sep / jan_sep.shift()
    assert growth.loc[2024] == pytest.approx(1.15, abs=0.1)
    assert growth.loc[2025] == pytest.approx(1.15, abs=0.1)


# --- the planted findings -----------------------------------------------------------------


def test_signal_a_referral_converts_3x_paid_ads(tables):
    p = tables["opportunities"]
    won = p["outcome"] == "won"
    referral = won[p["channel"] == SIGNALS.referral_channel].mean()
    paid = won[p["channel"].isin(SIGNALS.paid_ad_channels)].mean()
    assert 2.5 <= referral / paid <= 3.5
    assert SIGNALS.referral_vs_paid_conversion == pytest.approx(3.0, abs=0.2)


def test_signal_b_one_team_leaks_at_negotiation(tables):
    p = tables["opportunities"].merge(tables["reps"][["rep_id", "team"]], on="rep_id")
    done = p[p["outcome"] != "open"]
    g = done.groupby("team").agg(
        leads=("opportunity_id", "size"), intent=("intent_date", "count"),
        negotiation=("negotiation_date", "count"),
        won=("outcome", lambda s: (s == "won").sum()))
    rates = pd.DataFrame({"lead_intent": g["intent"] / g["leads"],
                          "intent_negotiation": g["negotiation"] / g["intent"],
                          "negotiation_won": g["won"] / g["negotiation"]})
    leaky = rates.loc[SIGNALS.leaky_team]
    others = rates.drop(SIGNALS.leaky_team)
    assert leaky["negotiation_won"] <= 0.4
    assert (others["negotiation_won"] >= 0.5).all()
    assert (others["negotiation_won"] - leaky["negotiation_won"] >= 0.15).all()
    for stage in ("lead_intent", "intent_negotiation"):  # earlier stages look alike
        assert (others[stage] - leaky[stage]).abs().max() <= 0.06, stage
    lost_at_negotiation = done[(done["outcome"] == "lost") & done["negotiation_date"].notna()]
    top_reason = lost_at_negotiation.groupby("team")["lost_reason"].agg(lambda s: s.mode()[0])
    assert top_reason[SIGNALS.leaky_team] == "价格"


def test_signal_c_under_performer_meets_quota_but_trails_peers(tables):
    reps, orders, quotas = tables["reps"], tables["orders"], tables["quotas"]
    me = SIGNALS.under_performer
    rep = reps.set_index("rep_id").loc[me]
    assert rep["role"] == SIGNALS.peer_role == "销售专员"
    assert reps.set_index("rep_id").loc[rep["manager_id"], "role"] == "销售经理"
    assert rep["manager_id"] == SIGNALS.under_performer_manager

    sales = _ytd_sales(orders)
    q = quotas[(quotas["month"] >= Y2025) & (quotas["month"] <= AS_OF)]
    attainment = sales[me] / q.loc[q["rep_id"] == me, "quota"].sum()
    assert 1.05 <= attainment <= 1.15

    peers = _full_year_peers(reps, me)
    assert len(peers) >= 5
    assert 0.55 <= sales[me] / sales.reindex(peers, fill_value=0).median() <= 0.8
    # not a bad year: he trailed the same peers in 2024 too
    last_year = _ytd_sales(orders, pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31"))
    assert last_year[me] / last_year[peers].median() <= 0.85

    first = orders[~orders["is_refund"]].sort_values(["order_date", "order_id"])
    first = first.drop_duplicates("customer_id")
    new = first[first["order_date"] >= "2024-01-01"].groupby("rep_id").size()
    assert new.get(me, 0) <= 0.6 * new.reindex(peers, fill_value=0).median()

    a = tables["assessments"]
    mine = a[(a["rep_id"] == me) & (a["rater"] == "manager") & (a["assessed_date"] >= Y2025)]
    assert len(mine) == len(schema.COMPETENCIES)
    levels = mine.set_index("competency")["level"]
    assert levels["product_knowledge"] == 4 and levels["customer_communication"] == 3
    assert levels["market_awareness"] == 4 and levels["new_customer_development"] == 2
    assert levels.to_dict() == dict(SIGNALS.under_performer_levels)


def test_signal_d_2025_cohort_ramps_up(tables):
    reps, orders = tables["reps"].set_index("rep_id"), tables["orders"]
    o = orders[orders["rep_id"].isin(SIGNALS.ramping_cohort)]
    month = o["order_date"].dt.to_period("M")
    monthly = o.groupby(["rep_id", month])["amount"].sum()
    first_two, last_two = 0.0, 0.0
    for rep_id in SIGNALS.ramping_cohort:
        hired = reps.loc[rep_id, "hire_date"].to_period("M")
        mine = monthly.get(rep_id, pd.Series(dtype=float))
        early = sum(mine.get(hired + k, 0.0) for k in (1, 2))
        late = sum(mine.get(pd.Period(m, "M"), 0.0) for m in ("2025-08", "2025-09"))
        assert late > early, rep_id
        first_two += early
        last_two += late
    assert last_two > 1.5 * first_two
    # still ramping: below the established specialists in Q3
    q3 = _ytd_sales(orders, pd.Timestamp("2025-07-01"))
    established = _full_year_peers(reps.reset_index(), SIGNALS.under_performer)
    assert q3.reindex(list(SIGNALS.ramping_cohort), fill_value=0).mean() < q3[established].median()


def test_scale_allows_the_five_million_order_company_and_names_the_limit():
    from playbook.data.sample.generate import _check

    assert _check(7, 350) == (7, 350.0)  # `playbook sample --scale 350`: about 5 million orders
    with pytest.raises(ParameterError, match="at most 400"):
        generate(seed=7, scale=401)
