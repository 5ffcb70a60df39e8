"""The one money rule (playbook.core.money): half-up to the cent, away from zero, one cap.

Unit tests pin the rule on the amounts where float rounding goes wrong (0.125, 1.005,
2.675, 15.935); property tests check that every function applying it agrees with
``Decimal`` arithmetic, and that the quota workbook, the payouts and the HR statements
agree to the cent on the same amounts.
"""

import re
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playbook import incentives as inc
from playbook.core import money
from playbook.core.errors import ParameterError
from playbook.core.money import MAX_CENTS, cents, div_money, mul_ppm, round_money, to_cents
from playbook.present.targets import quota_sheets
from playbook.rfm import rfm_table, segment_summary
from playbook.targets import decompose

CENT = Decimal("0.01")


def half_up(value: Decimal) -> int:
    """The rule written with Decimal: whole cents of ``value`` CNY, half away from zero."""
    return int(value.quantize(CENT, rounding=ROUND_HALF_UP) * 100)


# --------------------------------------------------------------------------- the rule, exactly
@pytest.mark.parametrize(("amount", "expected"), [
    (0.125, 13), (-0.125, -13), (1.005, 101), (2.675, 268), (25.125, 2513), (15.935, 1594), (0.005, 1),
    (-0.005, -1), (0.0049999, 0), (1234.565, 123457), (0.1, 10), (7, 700), (0.0, 0),
], ids=["0.125", "-0.125", "1.005", "2.675", "25.125", "15.935", "half-cent", "minus-half-cent", "below-half",
        "1234.565", "0.1", "int", "zero"])
def test_to_cents_and_cents_round_half_up_away_from_zero(amount, expected):
    assert to_cents(amount) == expected
    assert cents([amount]).tolist() == [expected]
    assert round_money(amount) == expected / 100
    assert round_money([amount]).tolist() == [expected / 100]


def test_the_four_amounts_of_the_rule():
    assert round_money([0.125, -0.125, 1.005, 2.675]).tolist() == [0.13, -0.13, 1.01, 2.68]
    assert [to_cents(x) for x in ("0.125", "-0.125", Decimal("1.005"), "2.675")] == [13, -13, 101, 268]
    # numpy's and Python's own rounding get three or four of them wrong: the kit never uses them for money
    assert np.round([0.125, -0.125, 1.005, 2.675], 2).tolist() == [0.12, -0.12, 1.0, 2.68]
    assert [round(x, 2) for x in (0.125, -0.125, 1.005, 2.675)] == [0.12, -0.12, 1.0, 2.67]


def test_the_cap():
    assert to_cents(89_999_999_999.99) == MAX_CENTS - 1
    assert cents([89_999_999_999.99, -89_999_999_999.99]).tolist() == [MAX_CENTS - 1, -(MAX_CENTS - 1)]
    for amount in (90_000_000_000, -90_000_000_000, 89_999_999_999.995, 1e300):
        with pytest.raises(ParameterError, match="expected an amount below 90,000,000,000 CNY"):
            to_cents(amount)
        with pytest.raises(ParameterError, match="expected amounts below 90,000,000,000 CNY"):
            cents([1.0, amount])
        with pytest.raises(ParameterError, match="expected amounts below 90,000,000,000 CNY"):
            round_money([amount])


def test_missing_and_infinite_amounts():
    with pytest.raises(ParameterError, match=r"parameter amount=nan is not valid: expected finite amounts"):
        cents([1.0, float("nan")])
    with pytest.raises(ParameterError, match=r"parameter orders.amount=inf is not valid"):
        cents([float("inf")], name="orders.amount")
    with pytest.raises(ParameterError, match="expected a finite amount"):
        to_cents(float("nan"))
    assert np.isnan(round_money([float("nan"), 1.005])).tolist() == [True, False]


def test_round_money_keeps_the_shape_of_its_input():
    s = round_money(pd.Series([0.125, None], index=["a", "b"], name="x"))
    assert s.name == "x" and s.index.tolist() == ["a", "b"] and s.iloc[0] == 0.13 and np.isnan(s.iloc[1])
    frame = round_money(pd.DataFrame({"a": [2.675], "b": [-0.125]}, index=["r"]))
    assert frame.to_dict() == {"a": {"r": 2.68}, "b": {"r": -0.13}}
    assert round_money(1.005) == 1.01 and isinstance(round_money(1.005), float)


def test_mul_ppm_and_div_money_by_hand():
    assert mul_ppm([5, -5, 4, 15], 100_000).tolist() == [1, -1, 0, 2]  # 0.5, -0.5, 0.4, 1.5 cents
    assert div_money([50.25, 31.87, -31.87, 1.0, 5.0], [2, 2, 2, 8, 0]).tolist()[:4] == [25.13, 15.94, -15.94, 0.13]
    assert np.isnan(div_money(5.0, 0)) and np.isnan(div_money(float("nan"), 2))
    with pytest.raises(ParameterError, match="parameter divisors=.* expected whole numbers"):
        div_money([1.0], [1.5])


def test_the_docstring_names_every_function_that_applies_the_rule():
    """Keep the module docstring true: the functions it lists exist, and every rounding one is listed."""
    listed = set(re.findall(r"^- :func:`(\w+)`", money.__doc__, flags=re.M))
    assert listed == {"to_cents", "cents", "round_money", "div_money", "mul_ppm", "allocate"}
    assert listed <= set(money.__all__)


# --------------------------------------------------------------------------- the rule, as properties
def _decimal_amounts(max_units: int = 10**9, places: int = 3):
    """Amounts written with up to ``places`` decimals (so half cents occur), as Decimal."""
    step = Decimal(1).scaleb(-places)
    return st.integers(min_value=-max_units, max_value=max_units).map(lambda n: Decimal(n) * step)


@given(st.lists(_decimal_amounts(), min_size=1, max_size=30))
def test_cents_is_half_up_of_the_amount_as_written(amounts):
    expected = [half_up(a) for a in amounts]
    floats = [float(a) for a in amounts]
    assert cents(floats).tolist() == expected
    assert [to_cents(x) for x in floats] == expected
    assert round_money(floats).tolist() == [e / 100 for e in expected]


@given(st.floats(min_value=-8.9e10, max_value=8.9e10, allow_nan=False))
def test_cents_equals_to_cents_on_every_float(x):
    assert cents([x]).tolist() == [to_cents(x)]


@given(st.integers(min_value=-10**12, max_value=10**12), st.integers(min_value=0, max_value=10**6))
def test_mul_ppm_is_half_up_of_the_exact_product(amount_cents, ppm):
    exact = Decimal(amount_cents) * Decimal(ppm) / Decimal(10**6)
    assert int(mul_ppm([amount_cents], ppm)[0]) == int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@given(st.lists(st.integers(min_value=-10**10, max_value=10**10), min_size=1, max_size=20),
       st.integers(min_value=1, max_value=400))
def test_div_money_is_half_up_of_the_exact_quotient(amounts_cents, n):
    total = sum(amounts_cents)
    expected = half_up(Decimal(total) / n / 100)
    assert div_money(total / 100, n) == expected / 100


# --------------------------------------------------------------------------- RFM averages
def test_rfm_averages_round_half_up():
    segmented = pd.DataFrame({"segment": ["other", "other", "high_value", "high_value"],
                              "monetary": [25.12, 25.13, 15.93, 15.94], "recency_days": [1, 2, 3, 4],
                              "frequency": [1, 1, 1, 1]})
    summary = segment_summary(segmented, segment_map="domain").set_index("segment")
    assert summary.loc[["other", "high_value"], "mean_monetary"].tolist() == [25.13, 15.94]
    assert summary.loc[["other", "high_value"], "revenue"].tolist() == [50.25, 31.87]
    orders = pd.DataFrame({"order_id": ["1", "2", "3", "4"], "customer_id": ["A", "A", "B", "B"],
                           "rep_id": ["R1"] * 4, "amount": [25.12, 25.13, 15.93, 15.94],
                           "order_date": pd.to_datetime(["2025-09-01", "2025-09-02", "2025-09-01", "2025-09-03"])})
    table = rfm_table(orders, as_of="2025-09-30").set_index("customer_id")
    assert table["avg_order_value"].tolist() == [25.13, 15.94]
    assert table["monetary"].tolist() == [50.25, 31.87]


# --------------------------------------------------------------------------- workbook, payouts, statements
BONUS_BANDS = [{"min_attainment": 1.0, "pct_of_base_salary": "5%"}, {"min_attainment": 0.9, "pct_of_base_salary": "2%"}]


def _plan(rate: str) -> inc.Plan:
    return inc.parse_plan({"commission": [{"tiers": [{"from": 0, "rate": "3%"}, {"from": 200_000, "rate": rate}]}],
                           "bonus": {"bands": BONUS_BANDS}}, name="flat_and_bonus")


half_cents = st.integers(min_value=1, max_value=4 * 10**7).map(lambda n: Decimal(n) * Decimal("0.005"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sales=st.lists(st.tuples(st.integers(min_value=1, max_value=12), half_cents), min_size=1, max_size=24),
       target=st.integers(min_value=2_400, max_value=4 * 10**8).map(lambda n: Decimal(n) * Decimal("0.005")),
       salary=st.integers(min_value=1_000_000, max_value=6_000_000).map(lambda n: Decimal(n) * Decimal("0.005")),
       rate=st.sampled_from(["8%", "8.5%", "12.345%"]))
def test_quota_sheets_payouts_and_statements_agree_to_the_cent(sales, target, salary, rate):
    """One rep, monthly sales with half cents: sheet, payout lines and statement hold the same cents."""
    reps = pd.DataFrame({"rep_id": ["R1"], "name": ["Ann"], "team": ["A"], "base_salary": [float(salary)]})
    quota_plan = decompose(reps, target=float(target), plan_year=2025, time_method="equal", rep_method="equal")

    # the workbook shows the plan's amounts, cent for cent, and the target by the one rule
    sheet = quota_sheets(quota_plan)["Rep x month"]
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    quota = quota_plan.matrix.assign(month=quota_plan.matrix["month"].dt.strftime("%Y-%m")).set_index("month")
    sheet_cents = cents(sheet.loc[0, months].to_numpy(dtype=float))
    assert sheet_cents.tolist() == cents(quota.loc[months, "quota"]).tolist()
    assert int(cents([float(sheet.iloc[0, -1])])[0]) == int(sheet_cents.sum()) == half_up(target)

    orders = pd.DataFrame({"order_id": [f"O{i}" for i in range(len(sales))],
                           "customer_id": [f"C{i}" for i in range(len(sales))], "rep_id": "R1",
                           "order_date": pd.to_datetime([f"2025-{m:02d}-15" for m, _ in sales]),
                           "amount": [float(a) for _, a in sales]})
    plan = _plan(rate)
    run = inc.run_plan(orders, reps, quota_plan.matrix, plan=plan, period="2025")
    statement = inc.payout_statement(run, rep_id="R1")
    total = int(run.by_rep.loc[0, "total_cents"])

    # the statement's lines sum to the payout total, and so do its rules, the run and its summary
    assert int(statement["lines"]["amount_cents"].sum()) == total
    assert int(statement["by_rule"]["amount_cents"].sum()) == total
    assert int(statement["summary"].loc[0, "total_cents"]) == total
    assert int(run.lines["amount_cents"].sum()) == int(inc.plan_summary(run).loc[0, "total_cents"]) == total

    # commission: the bases are the orders' cents by the one rule; each amount is base x rate, half up
    month_sales = {m: 0 for m in range(1, 13)}
    for m, a in sales:
        month_sales[m] += half_up(a)
    lines = statement["lines"].assign(m=statement["lines"]["month"].dt.month)
    commission = lines[lines["rule"] == "commission"]
    assert commission.groupby("m")["base_cents"].sum().to_dict() == {m: c for m, c in month_sales.items() if c}
    for base, r, amount in zip(commission["base_cents"], commission["rate"], commission["amount_cents"], strict=True):
        assert amount == half_up(Decimal(int(base)) * Decimal(str(r)) / 100)

    # bonus: decided on the quota cents the sheet shows; paid on the salary's cents by the one rule
    bonus = lines[lines["rule"] == "bonus"].set_index("m")
    for m in range(1, 13):
        q = int(sheet_cents[m - 1])
        share = next((Decimal(b["pct_of_base_salary"].rstrip("%")) / 100 for b in BONUS_BANDS
                      if month_sales[m] >= Decimal(str(b["min_attainment"])) * q), None)
        if share is None:
            assert m not in bonus.index
        else:
            assert int(bonus.loc[m, "base_cents"]) == half_up(salary)
            assert int(bonus.loc[m, "amount_cents"]) == half_up(half_up(salary) * share / 100)
