"""The expected answers in FACILITATOR.md are the case data's figures (seed 7), computed again here.

Each figure is parsed from the guide's English text and compared, at the precision the guide
writes it, with the kit's computation on the case company: module 2 (the Q4 gap), module 3
(tier counts and the strategic share), module 4 (step rates before, the objection rate after the
change), module 5 (who gains most, by how much), module 6 (the rep's attainment and weakest level) and
module 7 (the key results measured).
"""

import re

import pandas as pd
import pytest

from playbook import rfm
from playbook.case import figures as case_figures
from playbook.core.paths import NOTEBOOKS_DIR
from playbook.data import case_study

GUIDE = (NOTEBOOKS_DIR / "workshop" / "FACILITATOR.md").read_text(encoding="utf-8")
ENGLISH = GUIDE.split("## 中文", 1)[0]


def _module(n: int) -> str:
    """The guide's talking points of module ``n``."""
    return re.search(rf"\*\*{n} · .*?(?=\n\*\*\d · |\n### )", ENGLISH, re.S).group(0)


@pytest.fixture(scope="module")
def case():
    return case_study.generate_case(seed=7)


def test_module_2_q4_gap(case):
    text = _module(2)
    gap, base, banked = (float(x) for x in re.search(
        r"about ([\d.]+) million CNY for Q4 \(1\.3 × ([\d.]+) M − ([\d.]+) M already", text).groups())
    orders = case["orders"]
    d = pd.to_datetime(orders["order_date"])
    sales_2022 = orders.loc[d.dt.year == 2022, "amount"].sum()
    banked_2023 = orders.loc[(d >= "2023-01-01") & (d <= "2023-09-30"), "amount"].sum()
    assert (round(sales_2022 / 1e6, 1), round(banked_2023 / 1e6, 1)) == (base, banked)
    assert round((1.3 * sales_2022 - banked_2023) / 1e6, 1) == gap


def test_module_3_tiers(case):
    text = _module(3)
    counts = dict(zip(("strategic", "growth", "basic"),
                      map(int, re.search(r"(\d+) strategic, (\d+) growth and (\d+) basic", text).groups()),
                      strict=True))
    share = int(re.search(r"strategic tier brings about (\d+)% of net sales", text).group(1))
    seg = rfm.segment_customers(case["orders"], as_of="2023-09-30", window_days=365, tiers="case")
    assert seg["tier"].value_counts().reindex(list(counts)).to_dict() == counts
    assert round(100 * seg.loc[seg["tier"] == "strategic", "monetary"].sum() / seg["monetary"].sum()) == share


def test_module_4_objections_after(case):
    rate, n = re.search(r"about (\d+)% of the after quarter's negotiations met an objection \((\d+) negotiations\)",
                        _module(4)).groups()
    value, count = case_figures.objection_rate(case["opportunities"], start="2023-07-01", end="2023-09-30")
    assert (round(100 * value), count) == (int(rate), int(n))


def test_module_4_step_rates_before(case):
    deal, lead, intent = (int(x) for x in re.search(
        r"about (\d+)%\nof negotiations won, against (\d+)% lead → intent and (\d+)% intent → negotiation",
        _module(4)).groups())
    opps = case["opportunities"]
    # by hand: leads created in 2023 Q1; a step counts the decided ones that passed it
    made = opps[opps["created_date"].between("2023-01-01", "2023-03-31") & opps["outcome"].isin(["won", "lost"])]
    intent_n = made["intent_date"].notna().sum()
    nego_n = made["negotiation_date"].notna().sum()
    won_n = (made["negotiation_date"].notna() & (made["outcome"] == "won")).sum()
    assert (round(100 * intent_n / len(made)), round(100 * nego_n / intent_n), round(100 * won_n / nego_n)) == (
        lead, intent, deal)


def _plan_change(case, team):
    from playbook import workshop

    return workshop.plan_comparison(case, plan_a="domain_marginal", plan_b="renewal_uplift", period="2023-Q3",
                                    team=team).set_index("rep_id")


def test_module_5_plan_gain(case):
    text = _module(5)
    name, rep, gain = re.search(r"Exercise: (\S+) \((S\d+)\) gains most .*?\(about ([\d,]+) CNY more\)", text,
                                re.S).groups()
    change = _plan_change(case, "大客户部")
    assert change["change_cents"].idxmax() == rep and change.loc[rep, "name"] == name
    assert round(change.loc[rep, "change_cents"] / 100, -3) == float(gain.replace(",", ""))
    smb, key = (int(x) for x in re.search(r"median rep gains about\n?(\d+)% of the payout against about (\d+)% in the "
                                          r"key-account team", text).groups())
    assert round(100 * _plan_change(case, "中小企业部")["change_pct"].median()) == smb
    assert round(100 * change["change_pct"].median()) == key


def test_module_6_idp_rep():
    from playbook import idp
    from playbook.data import loading, sample

    text = _module(6)
    attainment = int(re.search(r"meets his quota\n?\(about (\d+)%\)", text).group(1))
    level = int(re.search(r"new-customer\ndevelopment \(level (\d)\)", text).group(1))
    dataset = loading.load_inputs("data/sample")
    evidence = idp.dataset_evidence(dataset, as_of=dataset.orders["order_date"].max())
    mine = idp.rep_evidence(evidence, sample.SIGNALS.under_performer)
    assert round(100 * mine["actual"].iloc[0] / mine["quota"].iloc[0]) == attainment
    levels = idp.rep_levels(mine).set_index("competency")["level"]
    assert levels["new_customer_development"] == level == levels.min()


def test_module_7_key_results(case):
    text = _module(7)
    found = re.search(r"KR1 renewal (\d+)% ≥ 85%, KR2 needs-match (\d+)% ≥ 70% and KR3 objections (\d+)% ≤ 20%"
                      r"\s+achieved; KR4 cycle (\d+) > 30 days and KR5 first deals (\d+)% < 60%", text).groups()
    after = case_figures.case_figures(case)
    after = after[after["stage"] == "after"].drop_duplicates("figure", keep="last").set_index("figure")["value"]
    measured = [round(100 * after[f]) for f in ("key_account_renewal", "needs_match", "objection_rate")]
    measured += [round(after["cycle_days"]), round(100 * after["first_deal_rate"])]
    assert measured == [int(x) for x in found]


def test_module_4_authority(case):
    from playbook import funnel

    count, limit = re.search(r"(\d+) won or open deals are\nbeyond their rep's authority, all on contract value "
                             r"\(specialists above ([\d,]+) CNY\)", _module(4)).groups()
    flags = funnel.authority_check(case["opportunities"], case["reps"], case["orders"])
    assert len(flags) == int(count)
    assert set(flags["limit"]) == {"amount"} and set(flags["needs"]) == {"senior_sales"}
    assert set(flags["allowed"]) == {float(limit.replace(",", ""))}
    # by hand: won or open deals of the specialists above their limit
    opps = case["opportunities"].merge(case["reps"][["rep_id", "role"]], on="rep_id")
    planted = opps[opps["outcome"].isin(["won", "open"]) & (opps["amount"] + opps["discount_amount"].fillna(0)
                                                            > float(limit.replace(",", "")))]
    assert set(flags["opportunity_id"]) <= set(planted["opportunity_id"])
