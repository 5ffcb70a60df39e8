import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playbook.core.errors import InputError, MissingColumnsError, ParameterError, PlaybookWarning
from playbook.core.money import MAX_CENTS, allocate, allocate_cents, allocate_matrix, to_cents
from playbook.present.targets import (
    describe_target,
    okr_table,
    plan_checks_table,
    quota_sheets,
    review_table,
    smart_issues,
    smart_table,
    write_quota_workbook,
)
from playbook.targets import (
    DEFAULT_RAMP,
    CompanyTarget,
    activity_quota,
    company_target,
    decompose,
    default_month,
    funnel_rates,
    load_okr,
    metric_value,
    okr_progress,
    parse_okr,
    plan_checks,
    quarterly,
    rep_capacity,
    rep_month_matrix,
    rep_quotas,
    seasonality,
    smart_check,
    split_year,
    track,
    weekly_review,
    yearly_shares,
)


def cents(values) -> np.ndarray:
    return (np.asarray(values, dtype=float) * 100).round().astype("int64")


MONTHS_2025 = pd.date_range("2025-01-01", periods=12, freq="MS")


# --------------------------------------------------------------------------------------
# Exact money
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        (1000, [1, 1, 1], [334, 333, 333]),  # 333.33 each; 1 cent left -> first (tie)
        (1001, [2, 0, 1], [667, 0, 334]),  # 667.33 / 0 / 333.67: the larger remainder gets the cent
        (10, [0.1, 0.7, 0.2], [1, 7, 2]),  # exact
        (0, [1, 2], [0, 0]),
        (7, [5], [7]),
    ],
    ids=["thirds", "zero-weight", "exact", "nothing", "single"],
)
def test_allocate_cents_hand_computed(total, weights, expected):
    assert allocate_cents(total, weights).tolist() == expected


def test_to_cents_rounds_half_up_and_allocate_in_cny():
    assert to_cents(0.005) == 1 and to_cents(1234.564) == 123456 and to_cents("12") == 1200
    assert allocate(100.0, [1, 1, 1]).tolist() == [33.34, 33.33, 33.33]
    with pytest.raises(ParameterError, match="parameter total='abc'"):
        allocate("abc", [1])


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([0, 0, 0], r"parameter weights=\[0, 0, 0\] is not valid: expected at least one positive weight"),
        ([1, -1], "expected finite numbers >= 0"),
        ([1, float("nan")], "expected finite numbers >= 0"),
        ([], "a non-empty list"),
    ],
    ids=["all-zero", "negative", "nan", "empty"],
)
def test_allocate_cents_bad_weights(weights, message):
    with pytest.raises(ParameterError, match=message):
        allocate_cents(100, weights)


def test_allocate_cents_bad_total():
    with pytest.raises(ParameterError, match="parameter total=-1"):
        allocate_cents(-1, [1])
    with pytest.raises(ParameterError, match="parameter total=1.5"):
        allocate_cents(1.5, [1])


weights_st = st.lists(st.floats(min_value=0.0, max_value=1e6, allow_nan=False), min_size=1, max_size=40).filter(
    lambda w: sum(w) > 0
)


@given(total=st.integers(min_value=0, max_value=MAX_CENTS - 1), weights=weights_st)
def test_allocate_cents_sums_exactly_and_each_part_within_a_cent(total, weights):
    part = allocate_cents(total, weights)
    assert int(part.sum()) == total
    w = np.asarray(weights) / max(weights)
    exact = w / w.sum() * total
    assert np.all(np.abs(part - exact) < 1 + 1e-6 * max(1.0, total / 1e9))
    assert np.all(part[np.asarray(weights) == 0] == 0)


def test_allocate_matrix_hand_computed():
    # exact cells 100 x 150 / 300 = 50 and 200 x 150 / 300 = 100
    assert allocate_matrix([100, 200], [150, 150]).tolist() == [[50, 50], [100, 100]]
    # exact 0.5 everywhere: each row and column must still add up
    m = allocate_matrix([1, 1], [1, 1])
    assert sorted(m.ravel().tolist()) == [0, 0, 1, 1]
    assert m.sum(axis=0).tolist() == [1, 1] and m.sum(axis=1).tolist() == [1, 1]
    with pytest.raises(ParameterError, match="expected the same total as row_totals"):
        allocate_matrix([1, 2], [1, 1])


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    total=st.integers(min_value=0, max_value=10**11),
    rows=st.lists(st.floats(min_value=0.001, max_value=1e4), min_size=1, max_size=30),
    cols=st.lists(st.floats(min_value=0.001, max_value=1e4), min_size=12, max_size=12),
)
def test_allocate_matrix_matches_both_margins_and_stays_within_a_cent(total, rows, cols):
    r = allocate_cents(total, rows)
    c = allocate_cents(total, cols)
    m = allocate_matrix(r, c)
    assert m.sum(axis=1).tolist() == r.tolist()
    assert m.sum(axis=0).tolist() == c.tolist()
    assert (m >= 0).all()
    if total:
        exact = np.outer(r.astype(float), c.astype(float)) / total
        assert np.all(np.abs(m - exact) < 1 + 1e-6)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    data=st.lists(st.lists(st.integers(min_value=0, max_value=10**6), min_size=12, max_size=12),
                  min_size=1, max_size=15),
    noise=st.floats(min_value=0.1, max_value=10.0),
)
def test_allocate_matrix_with_a_shape_keeps_margins_and_zeros(data, noise):
    # a whole-cent matrix m0 is a solution with its own zero pattern, so the margins are feasible
    m0 = np.asarray(data, dtype=np.int64)
    rng = np.random.default_rng(len(data))
    base = m0 * rng.uniform(1.0, 1.0 + noise, size=m0.shape)
    m = allocate_matrix(m0.sum(axis=1), m0.sum(axis=0), base=base)
    assert (m.sum(axis=1) == m0.sum(axis=1)).all() and (m.sum(axis=0) == m0.sum(axis=0)).all()
    assert (m[m0 == 0] == 0).all() and (m >= 0).all()


# --------------------------------------------------------------------------------------
# Company target
# --------------------------------------------------------------------------------------
ORDERS_2024 = pd.DataFrame({
    "order_id": ["a", "b", "c", "d"],
    "customer_id": ["C1", "C2", "C1", "C3"],
    "rep_id": ["R1", "R2", "R1", "R1"],
    "order_date": pd.to_datetime(["2024-01-05", "2024-06-01", "2024-12-20", "2023-05-01"]),
    "amount": [600_000.0, 450_000.0, -50_000.0, 999.0],
})


def test_company_target_domain_example_plus_30_percent():
    # domain section 1: annual sales +30%; 2024 net = 600k + 450k - 50k refund = 1,000,000
    target = company_target(ORDERS_2024, plan_year=2025, growth=0.30)
    assert target == CompanyTarget(2025, 1_300_000.0, "growth", 2024, 1_000_000.0, 0.30, 1_000_000.0,
                                   pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31"))
    assert not target.annualised
    assert target.cents == 130_000_000
    frame = target.to_frame()
    assert frame.loc[0, "target"] == 1_300_000.0 and frame.loc[0, "base_actual"] == 1_000_000.0


def test_company_target_absolute_amount():
    assert company_target(plan_year=2025, amount="2500000.005") == CompanyTarget(2025, 2_500_000.01, "absolute")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"growth": -1.0}, r"parameter growth=-1.0 is not valid: expected a growth rate above -1.0"),
        ({"growth": -1.5}, r"parameter growth=-1.5 is not valid"),
        ({"amount": 0}, r"parameter amount=0 is not valid: expected a company target above 0 CNY"),
        ({"amount": -10.0}, r"parameter amount=-10.0 is not valid"),
        ({}, r"parameter growth=None is not valid"),
        ({"growth": "lots"}, r"parameter growth='lots' is not valid"),
    ],
    ids=["minus-100pct", "below-minus-100pct", "zero-target", "negative-target", "nothing", "not-a-number"],
)
def test_company_target_bad_parameters(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        company_target(ORDERS_2024, plan_year=2025, **kwargs)


def test_company_target_without_base_sales_and_incomplete_base_year():
    with pytest.raises(InputError, match="orders: net sales in base_year=2022 are 0.00 CNY"):
        company_target(ORDERS_2024, plan_year=2025, growth=0.1, base_year=2022)


def test_a_partial_base_year_is_annualised_by_days_covered_or_refused():
    # issue 18: a plan on an incomplete base year must not grow the part year as if it were whole.
    # Orders 5 Jan - 1 Jun 2024 (leap year): covered 1 Jan - 1 Jun = 31 + 29 + 31 + 30 + 31 + 1 = 153 days.
    # Net 600k + 450k = 1,050,000 -> x 366 / 153 = 2,511,764.7058... -> 2,511,764.71 a year;
    # +10%: 2,762,941.181 -> 2,762,941.18
    partial = ORDERS_2024.iloc[:2]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no English-only warning any more: the reason is in the target
        target = company_target(partial, plan_year=2025, growth=0.1)
    assert (target.base_sales, target.days_covered, target.days_in_year) == (1_050_000.0, 153, 366)
    assert (target.base_actual, target.amount, target.annualised) == (2_511_764.71, 2_762_941.18, True)
    assert target.to_frame()[["base_sales", "days_covered"]].iloc[0].tolist() == [1_050_000.0, 153]
    # the reason, in both languages
    assert describe_target(target, lang="en") == (
        "2024 is not complete in the data (orders cover 153 of its 366 days, 2024-01-01 to 2024-06-01): its net "
        "sales so far, 1,050,000.00 CNY, are annualised by days covered (1,050,000.00 × 366 / 153 = 2,511,764.71 "
        "CNY) instead of being taken as a whole year.\n\n"
        "Target 2025 = net sales 2024 (2,511,764.71 CNY) × (1 + 10%) = **2,762,941.18 CNY**")
    assert describe_target(target, lang="zh").startswith(
        "数据中 2024 年不完整（订单只覆盖全年 366 天中的 153 天：2024-01-01 至 2024-06-01）：该年至今净销售额 "
        "1,050,000.00 元按覆盖天数折算为全年（1,050,000.00 × 366 / 153 = 2,511,764.71 元）")
    with pytest.raises(InputError, match=r"orders: base_year=2024 is partial \(the orders cover 153 of its 366 "
                                         r"days\), so its net sales 1,050,000.00 CNY cannot be grown as a year's; "
                                         r"choose a complete base_year or give an absolute amount="):
        company_target(partial, plan_year=2025, growth=0.1, partial="refuse")
    with pytest.raises(ParameterError, match="parameter partial='scale'"):
        company_target(partial, plan_year=2025, growth=0.1, partial="scale")
    # fewer than 90 days cannot stand for a year, even annualising: 5 Jan - 1 Mar = 61 days
    early = pd.DataFrame({"order_date": pd.to_datetime(["2024-01-05", "2024-03-01"]), "amount": [1.0, 1.0]})
    with pytest.raises(InputError, match=r"cover 61 of its 366 days.*fewer than 90 days cannot be annualised"):
        company_target(early, plan_year=2025, growth=0.1)
    # a data set starting after January is partial at the front: 1 Jul - 31 Dec 2024 = 184 days
    late = pd.DataFrame({"order_date": pd.to_datetime(["2024-07-01", "2025-01-10"]), "amount": [184.0, 1.0]})
    late_target = company_target(late, plan_year=2025, growth=0.0)
    assert (late_target.base_actual, str(late_target.covered_from.date())) == (366.0, "2024-07-01")


# --------------------------------------------------------------------------------------
# Time split
# --------------------------------------------------------------------------------------
# 2023: January 300, other months 100 (shares 3/14, 1/14); 2024: 100 every month (1/12).
# Mean share: January (3/14 + 1/12) / 2 = 25/168, other months (1/14 + 1/12) / 2 = 13/168.
HISTORY = pd.DataFrame({
    "order_date": pd.date_range("2023-01-01", periods=24, freq="MS") + pd.Timedelta(days=9),
    "amount": [300.0] + [100.0] * 23,
})


def test_seasonality_hand_computed():
    s = seasonality(HISTORY, plan_year=2025, years=2)
    np.testing.assert_allclose(s["share"], [25 / 168] + [13 / 168] * 11)
    y = yearly_shares(HISTORY, plan_year=2025, years=2)
    assert len(y) == 24 and y.groupby("year")["share"].sum().round(12).tolist() == [1.0, 1.0]
    assert y.loc[0, "net_sales"] == 300.0


def test_split_year_seasonal_quarters_and_months_exact():
    m = split_year(1680.0, plan_year=2025, method="seasonal", orders=HISTORY)
    # 1680 x 25/168 = 250 and 1680 x 13/168 = 130, exactly
    assert m["target"].tolist() == [250.0] + [130.0] * 11
    assert list(m.columns) == ["month", "quarter", "share", "target"]
    pd.testing.assert_series_equal(m["month"], pd.Series(MONTHS_2025, name="month"))
    q = quarterly(m)
    assert q["quarter"].tolist() == ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    assert q["target"].tolist() == [510.0, 390.0, 390.0, 390.0]


def test_split_year_equal_and_custom():
    # 100000 cents: quarters 25000 each; within a quarter 8334 + 8333 + 8333
    eq = split_year(1000.0, plan_year=2025)
    assert eq["target"].tolist() == [83.34, 83.33, 83.33] * 4
    # custom: working-day weights, December 2x
    m = split_year(1300.0, plan_year=2025, method="custom", weights=[1] * 11 + [2])
    assert m["target"].tolist() == [100.0] * 11 + [200.0]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"method": "custom", "weights": [0] * 12}, ParameterError,
         r"parameter weights=\[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0\] is not valid: expected at least one positive"),
        ({"method": "custom", "weights": [1] * 11}, ParameterError, r"expected 12 month weights"),
        ({"method": "custom"}, ParameterError, r"parameter weights=None"),
        ({"method": "weekly"}, ParameterError, r"parameter method='weekly' is not valid: expected one of 'equal'"),
        ({"method": "seasonal"}, ParameterError, r"parameter orders=None is not valid"),
        ({"method": "seasonal", "orders": HISTORY.iloc[:0]}, InputError,
         r"orders: no order history to learn seasonality from \(years=2"),
        ({"method": "seasonal", "orders": HISTORY.iloc[12:]}, InputError,
         r"orders: history too short for seasonality: years=2 full years before plan_year=2025 are needed "
         r"\(2023, 2024\) but 2023 is not fully in the data"),
        ({"method": "seasonal", "orders": HISTORY, "years": 0}, ParameterError, r"parameter years=0"),
    ],
    ids=["all-zero-weights", "eleven-weights", "no-weights", "unknown-method", "no-orders", "empty-history",
         "short-history", "zero-years"],
)
def test_split_year_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        split_year(1000.0, plan_year=2025, **kwargs)


@pytest.mark.parametrize("total", [0, -5.0])
def test_split_year_zero_or_negative_target(total):
    with pytest.raises(ParameterError, match=f"parameter total={total!r} is not valid: expected a company target"):
        split_year(total, plan_year=2025)


@given(
    total=st.integers(min_value=1, max_value=10**11),
    weights=st.lists(st.floats(min_value=0.0, max_value=1e3), min_size=12, max_size=12).filter(lambda w: sum(w) > 0),
)
def test_split_year_every_level_sums_exactly(total, weights):
    m = split_year(total / 100, plan_year=2025, method="custom", weights=weights)
    assert int(cents(m["target"]).sum()) == total
    q = quarterly(m)
    assert int(cents(q["target"]).sum()) == total
    by_q = pd.Series(cents(m["target"])).groupby(m["quarter"].to_numpy()).sum()
    assert by_q.tolist() == cents(q["target"]).tolist()


# --------------------------------------------------------------------------------------
# Reps: capacity, quotas, matrix
# --------------------------------------------------------------------------------------
REPS = pd.DataFrame({
    "rep_id": ["R1", "R2", "R3", "R4", "R5"],
    "name": ["董某某", "Ann", "Bo", "Cy", "Old"],
    "team": ["East", "East", "North", "North", "North"],
    "hire_date": pd.to_datetime(["2018-03-01", "2020-01-01", "2025-03-16", "2019-05-01", "2017-01-01"]),
    "leave_date": pd.to_datetime([None, None, None, "2025-10-10", "2024-06-30"]),
    "territory": [2.0, 1.0, 1.0, 1.0, 1.0],
})


def test_rep_capacity_ramp_and_leaver_pro_rated():
    cap = rep_capacity(REPS, plan_year=2025)
    assert list(cap.columns) == ["rep_id", "month", "available", "ramp", "capacity"]
    assert sorted(set(cap["rep_id"])) == ["R1", "R2", "R3", "R4"]  # R5 left in 2024
    r3 = cap[cap["rep_id"] == "R3"]
    # hired 16 March: 16 of 31 days x 25%, then 50%, 75%, 100%
    np.testing.assert_allclose(r3["capacity"], [0, 0, 16 / 31 * 0.25, 0.5, 0.75] + [1.0] * 7)
    np.testing.assert_allclose(r3["available"], [0, 0, 16 / 31] + [1.0] * 9)
    r4 = cap[cap["rep_id"] == "R4"]
    # left 10 October: 10 of 31 days, then nothing
    np.testing.assert_allclose(r4["capacity"], [1.0] * 9 + [10 / 31, 0, 0])


def test_rep_capacity_custom_and_no_ramp_and_tenure_from_hire_before_the_year():
    reps = pd.DataFrame({"rep_id": ["N"], "hire_date": pd.to_datetime(["2024-12-01"])})
    # December 2024 is ramp month 1, so January 2025 is month 2
    default = rep_capacity(reps, plan_year=2025)["capacity"].tolist()
    assert default[:3] == [0.5, 0.75, 1.0]
    assert rep_capacity(reps, plan_year=2025, ramp=[0.5, 1.0])["capacity"].tolist()[:2] == [1.0, 1.0]
    assert rep_capacity(reps, plan_year=2025, ramp=())["capacity"].tolist() == [1.0] * 12
    with pytest.raises(ParameterError, match=r"parameter ramp=\[0.5, 1.5\]"):
        rep_capacity(reps, plan_year=2025, ramp=[0.5, 1.5])


def test_hire_date_after_the_period_is_an_error():
    late = pd.concat([REPS, pd.DataFrame({"rep_id": ["R9"], "hire_date": pd.to_datetime(["2026-02-01"])})])
    with pytest.raises(InputError, match=r"reps.hire_date: hire date after the plan period 2025 for R9 \(2026-02-01\)"):
        rep_quotas(late, total=1000.0, plan_year=2025, method="equal")
    with pytest.raises(InputError, match="hire date after the plan period"):
        rep_capacity(late, plan_year=2025)


def test_rep_quotas_equal_with_override_rebalances_the_rest():
    q = rep_quotas(REPS, total=1000.0, plan_year=2025, method="equal", overrides={"R1": 400.0})
    assert list(q.columns) == ["rep_id", "name", "team", "weight", "is_override", "share", "quota"]
    # R5 left in 2024: four reps; R1 fixed at 400, 600 left for three: 200 each
    assert q["quota"].tolist() == [400.0, 200.0, 200.0, 200.0]
    assert q["is_override"].tolist() == [True, False, False, False]
    assert q["share"].tolist() == [0.4, 0.2, 0.2, 0.2]


def test_rep_quotas_capacity_hand_computed():
    reps = pd.DataFrame({"rep_id": ["A", "B"], "hire_date": pd.to_datetime(["2020-01-01", "2025-07-01"])})
    # A: 12 full months; B from July: 0.25 + 0.5 + 0.75 + 3 x 1 = 4.5 months -> 12 : 4.5 = 800 : 300
    q = rep_quotas(reps, total=1100.0, plan_year=2025, method="capacity")
    assert q["quota"].tolist() == [800.0, 300.0]
    np.testing.assert_allclose(q["weight"], [1.0, 0.375])


def test_rep_quotas_history_and_weights():
    orders = pd.DataFrame({"rep_id": ["R1", "R2", "R1", "R4"], "amount": [200.0, 100.0, 100.0, -5.0],
                           "order_date": pd.to_datetime(["2024-02-01", "2024-03-01", "2024-11-01", "2024-05-01"])})
    with pytest.warns(PlaybookWarning, match="no sales in 2024 for R3, R4"):
        q = rep_quotas(REPS, orders, total=1000.0, plan_year=2025, method="history")
    assert q["quota"].tolist() == [750.0, 250.0, 0.0, 0.0]  # 300 : 100 : 0 : 0 (R4 net negative)
    # territory potential as a column: 2 : 1 : 1 : 1
    w = rep_quotas(REPS, total=1000.0, plan_year=2025, method="weights", weights="territory")
    assert w["quota"].tolist() == [400.0, 200.0, 200.0, 200.0]
    # as a mapping, with R3's quota fixed: 700 left split 1 : 2 : 4
    m = rep_quotas(REPS, total=1000.0, plan_year=2025, method="weights",
                   weights={"R1": 1, "R2": 2, "R3": 5, "R4": 4}, overrides={"R3": 300})
    assert m["quota"].tolist() == [100.0, 200.0, 300.0, 400.0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"overrides": {"R9": 10.0}}, r"parameter overrides=\['R9'\] is not valid: expected rep ids of reps on the "
                                      r"team in 2025 \(unknown: R9\)"),
        ({"overrides": {"R5": 10.0}}, r"unknown: R5"),  # left in 2024
        ({"overrides": {"R1": 700.0, "R2": 500.0}},
         r"parameter overrides=\{'R1': 700.0, 'R2': 500.0\} is not valid: expected overrides summing to at most the "
         r"company target 1,000.00 CNY \(they sum to 1,200.00\)"),
        ({"overrides": {"R1": -1.0}}, r"parameter overrides\['R1'\]=-1.0 is not valid"),
        ({"overrides": {"R1": 100, "R2": 100, "R3": 100, "R4": 100}},
         r"expected at least one rep without an override and with a positive weight to take the remaining 600.00"),
        ({"method": "weights", "weights": {"R1": 0, "R2": 0, "R3": 0, "R4": 0}},
         r"expected at least one positive weight"),
        ({"method": "weights", "weights": {"R1": 1}}, r"expected a weight for every rep \(missing: R2, R3, R4\)"),
        ({"method": "weights", "weights": {"R1": 1, "R2": 1, "R3": 1, "R4": 1, "X": 1}}, r"unknown: X"),
        ({"method": "weights", "weights": "nope"}, r"parameter weights='nope' is not valid: expected a column"),
        ({"method": "history"}, r"parameter orders=None is not valid"),
        ({"method": "quota"}, r"parameter method='quota'"),
        ({"total": 0.0}, r"parameter total=0.0 is not valid: expected a company target above 0"),
    ],
    ids=["unknown-rep", "rep-who-left", "overrides-above-total", "negative-override", "nobody-left",
         "all-zero-weights", "missing-weights", "unknown-weight-rep", "unknown-column", "history-without-orders",
         "unknown-method", "zero-total"],
)
def test_rep_quotas_errors(kwargs, message):
    args = {"total": 1000.0, "plan_year": 2025, "method": "equal"} | kwargs
    with pytest.raises(ParameterError, match=message):
        rep_quotas(REPS, **args)


def test_rep_quotas_needs_rep_id_and_someone_on_the_team():
    with pytest.raises(MissingColumnsError, match="reps: missing required column"):
        rep_quotas(REPS.drop(columns="rep_id"), total=1.0, plan_year=2025)
    with pytest.raises(InputError, match="nobody is on the team in 2025"):
        rep_quotas(REPS.iloc[[4]], total=1.0, plan_year=2025)


@settings(deadline=None)
@given(
    total=st.integers(min_value=1, max_value=10**10),
    weights=st.lists(st.floats(min_value=0.01, max_value=1e4), min_size=1, max_size=12),
    fixed=st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=0, max_size=12),
)
def test_rep_quotas_sum_exactly_and_honour_overrides(total, weights, fixed):
    ids = [f"R{i}" for i in range(len(weights))]
    reps = pd.DataFrame({"rep_id": ids})
    fixed = fixed[: len(ids) - 1]  # at least one free rep
    scale = 1 / max(1.0, sum(fixed))
    overrides = {ids[i]: int(f * scale * total) / 100 for i, f in enumerate(fixed)}
    q = rep_quotas(reps, total=total / 100, plan_year=2025, method="weights",
                   weights=dict(zip(ids, weights, strict=True)), overrides=overrides)
    assert int(cents(q["quota"]).sum()) == total
    got = dict(zip(q["rep_id"], cents(q["quota"]), strict=True))
    assert all(got[r] == round(v * 100) for r, v in overrides.items())


def test_decompose_every_level_sums_to_its_parent_to_the_cent():
    orders = HISTORY.assign(rep_id="R1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlaybookWarning)
        plan = decompose(REPS, orders, target=1_234_567.89, plan_year=2025, time_method="seasonal",
                         rep_method="capacity", overrides={"R2": 300_000.0})
    total = 123_456_789
    assert int(cents(plan.monthly["target"]).sum()) == total
    assert int(cents(plan.quarterly["target"]).sum()) == total
    assert int(cents(plan.teams["quota"]).sum()) == total
    assert int(cents(plan.reps["quota"]).sum()) == total
    assert plan.teams["team"].tolist() == ["East", "North"] and plan.teams["reps"].tolist() == [2, 2]
    by_team = pd.Series(cents(plan.reps["quota"])).groupby(plan.reps["team"].to_numpy()).sum()
    assert by_team.tolist() == cents(plan.teams["quota"]).tolist()
    m = plan.matrix.assign(c=cents(plan.matrix["quota"]))
    assert m.groupby("rep_id", sort=False)["c"].sum().tolist() == cents(plan.reps["quota"]).tolist()
    assert m.groupby("month")["c"].sum().tolist() == cents(plan.monthly["target"]).tolist()
    assert cents(plan.reps.set_index("rep_id").loc["R2", "quota"]) == 30_000_000
    # nothing before R3's hire or after R4's leave
    r3 = m[m["rep_id"] == "R3"]["c"].tolist()
    r4 = m[m["rep_id"] == "R4"]["c"].tolist()
    assert r3[:2] == [0, 0] and all(c > 0 for c in r3[2:])
    assert r4[10:] == [0, 0] and all(c > 0 for c in r4[:10])


def test_decompose_domain_example_and_no_partial_output_on_error():
    # +30% on 1,000,000: 1,300,000 split equally over 12 months and 4 established reps
    reps = pd.DataFrame({"rep_id": ["A", "B", "C", "D"], "team": ["T"] * 4})
    plan = decompose(reps, ORDERS_2024, target=company_target(ORDERS_2024, plan_year=2025, growth=0.30),
                     plan_year=2025, time_method="equal", rep_method="equal")
    assert plan.reps["quota"].tolist() == [325_000.0] * 4
    assert plan.quarterly["target"].tolist() == [325_000.0] * 4
    # 325,000 / 12 = 27,083.33: every rep-month is that, give or take a cent
    assert set(plan.matrix["quota"]) <= {27_083.33, 27_083.34}
    with pytest.raises(ParameterError, match="overrides"):
        decompose(reps, target=100.0, plan_year=2025, time_method="equal", overrides={"Z": 1.0})


def test_rep_month_matrix_cannot_reconcile_a_late_hire_with_a_big_override():
    reps = pd.DataFrame({"rep_id": ["A", "B"], "hire_date": pd.to_datetime(["2020-01-01", "2025-12-01"])})
    monthly = split_year(1200.0, plan_year=2025)  # December: 100
    quotas = rep_quotas(reps, total=1200.0, plan_year=2025, method="equal", overrides={"B": 900.0})
    with pytest.raises(InputError, match="rep quotas and monthly targets cannot be reconciled"):
        rep_month_matrix(quotas, monthly, reps, plan_year=2025)


# --------------------------------------------------------------------------------------
# Reverse funnel
# --------------------------------------------------------------------------------------
OPPS = pd.DataFrame({
    "opportunity_id": [f"o{i}" for i in range(1, 8)],
    "rep_id": ["R1"] * 7,
    "amount": [100.0, 300.0, 50.0, 50.0, 50.0, 50.0, 999.0],
    "created_date": pd.to_datetime(["2025-01-05"] * 6 + ["2024-11-01"]),
    "intent_date": pd.to_datetime(["2025-01-10", None, "2025-01-10", "2025-01-10", None, None, "2024-11-05"]),
    "negotiation_date": pd.to_datetime(["2025-01-20", "2025-01-20", "2025-01-20", None, None, None, None]),
    "closed_date": pd.to_datetime(["2025-02-01", "2025-02-01", "2025-02-01", "2025-02-01", "2025-02-01", None,
                                   "2024-12-01"]),
    "outcome": ["won", "won", "lost", "lost", "lost", "open", "won"],
})
ACTIVITIES = pd.DataFrame({"rep_id": ["R1", "R1", "R1"], "visits": [5, 7, 100], "calls": [0, 0, 0],
                           "demos": [0, 0, 0], "week": pd.to_datetime(["2025-02-03", "2025-03-03", "2024-12-02"])})


def test_funnel_rates_hand_computed():
    r = funnel_rates(OPPS, ACTIVITIES, as_of="2025-06-30", months=6).iloc[0]
    # o1-o5 closed in the window (o6 open, o7 before it); o2 won without intent date counts as intent
    assert [r["leads"], r["intents"], r["negotiations"], r["won"], r["leads_created"], r["visits"]] == [
        5, 4, 3, 2, 6, 12]
    assert r["lead_to_intent"] == 0.8 and r["intent_to_negotiation"] == 0.75
    assert r["negotiation_to_won"] == pytest.approx(2 / 3)
    assert r["avg_deal_size"] == 200.0 and r["won_amount"] == 400.0
    assert r["visits_per_lead"] == 2.0  # 12 visits / 6 leads created


def test_activity_quota_reverse_funnel_rounded_up():
    rates = funnel_rates(OPPS, ACTIVITIES, as_of="2025-06-30", months=6)
    quotas = pd.DataFrame({"rep_id": ["R1", "R2"], "month": pd.to_datetime(["2025-07-01"] * 2),
                           "quota": [1000.0, 0.0]})
    a = activity_quota(quotas, rates, min_leads=5)
    # deals 1000/200 = 5; negotiations 5 / (2/3) = 7.5 -> 8; intents 8 / 0.75 = 10.7 -> 11;
    # leads 11 / 0.8 = 13.75 -> 14; visits 14 x 2 = 28
    assert a[["deals", "negotiations", "intents", "leads", "visits"]].iloc[0].tolist() == [5, 8, 11, 14, 28]
    assert a["source"].tolist() == ["rep", "team"]  # R2 has no history: the team's rates
    assert a[["deals", "visits"]].iloc[1].tolist() == [0, 0]
    # too few leads for his own rates: the team's (here the same numbers)
    assert activity_quota(quotas, rates)["source"].tolist() == ["team", "team"]
    no_wins = rates.assign(won=0, won_amount=0.0)
    with pytest.raises(InputError, match="opportunities: the team's negotiation_to_won, avg_deal_size is 0"):
        activity_quota(quotas, no_wins)


# --------------------------------------------------------------------------------------
# OKR, metrics, SMART
# --------------------------------------------------------------------------------------
def test_okr_template_holds_the_domain_examples():
    okr = load_okr()
    kr = okr.key_results.set_index("kr_id")
    assert kr.loc["KR1.1", ["metric", "target"]].tolist() == ["sales_growth", 0.30]
    assert kr.loc["KR1.2", ["metric", "target", "period"]].tolist() == ["new_key_accounts", 100.0, "quarter"]
    assert kr.loc["KR2.1", ["metric", "baseline", "target"]].tolist() == ["repurchase_cycle_days", 90.0, 60.0]
    assert kr.loc["KR3.1", ["target", "period"]].tolist() == [20.0, "month"]
    assert kr.loc["KR2.2", ["target", "deadline"]].tolist() == [3.0, pd.Timestamp("2025-09-30")]
    assert okr.objectives.set_index("objective_id")["parent_id"].fillna("").to_dict() == {
        "O1": "", "O2": "O1", "O3": "O1"}
    assert okr.plan_year == 2025


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"objectives": [{"id": "O1"}, {"id": "O1"}]}, "objective_id must be unique \\(duplicated: O1\\)"),
        ({"objectives": [{"id": "O1", "parent": "O7"}]}, "parent objective\\(s\\) O7 do not exist"),
        ({"objectives": [{"id": "A", "parent": "B"}, {"id": "B", "parent": "A"}]}, "objectives form a cycle"),
        ({"objectives": [{"title": "no id"}]}, "objectives\\[0\\] needs an id"),
        ({"objectives": [{"id": "O1", "key_results": [{"id": "K", "period": "week"}]}]}, "period"),
    ],
    ids=["duplicate", "unknown-parent", "cycle", "no-id", "bad-period"],
)
def test_parse_okr_errors(data, message):
    with pytest.raises(InputError, match=message):
        parse_okr(data)


METRIC_ORDERS = pd.DataFrame({
    "order_id": [f"x{i}" for i in range(8)],
    "customer_id": ["A", "A", "B", "C", "C", "D", "B", "E"],
    "rep_id": ["R1", "R1", "R2", "R1", "R1", "R2", "R2", "R1"],
    "order_date": pd.to_datetime(["2024-02-01", "2025-02-01", "2024-03-01", "2025-01-10", "2025-03-11",
                                  "2025-02-20", "2025-03-01", "2025-03-05"]),
    "amount": [100.0, 150.0, 50.0, 40_000.0, 20.0, 10.0, -5.0, 30_000.0],
})
METRIC_REPS = pd.DataFrame({"rep_id": ["R1", "R2"], "team": ["East", "North"]})
Q1 = {"start": "2025-01-01", "end": "2025-03-31"}


@pytest.mark.parametrize(
    ("metric", "scope", "expected"),
    [
        ("sales", "company", 70_175.0),  # 150 + 40000 + 20 + 10 - 5 + 30000
        ("sales", "team:North", 5.0),  # 10 - 5
        ("sales", "rep:R1", 70_170.0),
        ("sales_growth", "company", 70_175.0 / 150.0 - 1),  # Q1 2024: 100 + 50
        ("orders", "company", 5.0),  # positive amounts
        ("new_customers", "company", 3.0),  # C, D, E first order in Q1 2025
        ("new_customers", "rep:R2", 1.0),  # D
        ("new_key_accounts", "company", 2.0),  # C (40,020) and E (30,000) reach 30,000
        ("repurchase_rate", "company", 0.5),  # A and B bought in 2024; only A again (B's row is a refund)
        # consecutive positive orders in Q1 2025: A 2024-02-01 -> 2025-02-01 (366 days, leap year),
        # C 2025-01-10 -> 2025-03-11 (60 days): median 213
        ("repurchase_cycle_days", "company", 213.0),
    ],
    ids=["sales", "sales-team", "sales-rep", "growth", "orders", "new", "new-rep", "key-accounts", "repurchase",
         "cycle"],
)
def test_metric_value_orders(metric, scope, expected):
    assert metric_value(metric, orders=METRIC_ORDERS, reps=METRIC_REPS, scope=scope, **Q1) == pytest.approx(expected)


def test_metric_value_opportunities_and_activities():
    kw = {"start": "2025-01-01", "end": "2025-06-30", "orders": METRIC_ORDERS, "opportunities": OPPS,
          "activities": ACTIVITIES}
    assert metric_value("win_rate", **kw) == 0.4  # 2 won of 5 closed in the window
    assert metric_value("avg_deal_size", **kw) == 200.0
    assert metric_value("cycle_days", **kw) == 27.0  # created 5 Jan, closed 1 Feb
    assert metric_value("visits", **kw) == 12.0
    assert np.isnan(metric_value("visits", start="2025-01-01", end="2025-06-30", orders=METRIC_ORDERS))
    with pytest.raises(ParameterError, match="parameter metric='happiness'"):
        metric_value("happiness", orders=METRIC_ORDERS, **Q1)
    with pytest.raises(ParameterError, match="parameter scope='region:x'"):
        metric_value("sales", orders=METRIC_ORDERS, scope="region:x", **Q1)


def test_okr_progress_from_data_by_hand_and_going_down():
    okr = parse_okr({"plan_year": 2025, "objectives": [
        {"id": "O1", "title": {"en": "Grow", "zh": "增长"}, "owner": "Li", "key_results": [
            {"id": "K1", "metric": "new_customers", "period": "quarter", "target": 6, "deadline": "2025-12-31"},
            {"id": "K2", "metric": "cycle_days", "baseline": 45, "target": 25, "deadline": "2025-12-31"},
            {"id": "K3", "metric": "reference_cases", "target": 3, "actual": 1, "deadline": "2025-09-30"}]},
        {"id": "O2", "parent": "O1", "title": "Child", "key_results": [
            {"id": "K4", "metric": "interviews", "target": 20, "deadline": "2025-12-31"}]}]})
    p = okr_progress(okr, orders=METRIC_ORDERS, opportunities=OPPS, as_of="2025-03-31")
    assert p["id"].tolist() == ["O1", "K1", "K2", "K3", "O2", "K4"]
    assert p["depth"].tolist() == [0, 1, 1, 1, 1, 2]
    got = p.set_index("id")
    assert got.loc["K1", "actual"] == 3.0 and got.loc["K1", "progress"] == 0.5  # 3 of 6 this quarter
    # cycle 27 days: (27 - 45) / (25 - 45) = 0.9
    assert got.loc["K2", "actual"] == 27.0 and got.loc["K2", "progress"] == pytest.approx(0.9)
    assert got.loc["K3", "source"] == "manual" and got.loc["K3", "progress"] == pytest.approx(1 / 3)
    assert got.loc["K4", "source"] == "none" and np.isnan(got.loc["K4", "progress"])
    # O1: mean of K1..K3 and O2 (no progress: skipped) = (0.5 + 0.9 + 1/3) / 3
    assert got.loc["O1", "progress"] == pytest.approx((0.5 + 0.9 + 1 / 3) / 3)
    assert got.loc["O1", ["title_en", "title_zh"]].tolist() == ["Grow", "增长"]
    assert okr_table(p, lang="zh").set_index("id").loc["O1", "title"] == "◆ 增长"
    table = okr_table(p, lang="en")
    assert table.set_index("id").loc["K2", ["baseline", "target", "actual"]].tolist() == [
        "45 days", "25 days", "27 days"]
    assert table.set_index("id").loc["O2", "title"] == "\u3000◆ Child"


SMART_ORDERS = pd.DataFrame({
    "customer_id": ["A", "A", "A", "A", "A"], "rep_id": ["R1"] * 5,
    "order_date": pd.to_datetime(["2023-01-05", "2023-12-20", "2024-01-05", "2024-12-20", "2025-01-05"]),
    "amount": [50.0, 50.0, 60.0, 50.0, 10.0],  # 2023: 100, 2024: 110 -> best year +10%
})
SMART_OPPS = pd.DataFrame({
    "rep_id": ["R1"] * 5, "amount": [1.0] * 5, "outcome": ["won"] * 5,
    "created_date": pd.to_datetime(["2023-01-01", "2024-01-01", "2024-02-01", "2024-03-01", "2023-03-01"]),
    "closed_date": pd.to_datetime(["2023-03-02", "2024-01-31", "2024-03-12", "2024-04-20", "2023-04-30"]),
})  # cycles: 2023 60 and 60 days; 2024 30, 40, 50 days -> best year 2024, median 40


def smart_of(kr: dict, lang: str = "en", **kw) -> pd.Series:
    """The SMART check of one goal, with its issues in words (``issues``) and as codes (``codes``)."""
    okr = parse_okr({"plan_year": 2025, "objectives": [{"id": "O1", "title": "Grow"}],
                     "key_results": [{"objective": "O1", "owner": "Li", "deadline": "2025-12-31", **kr}]})
    check = smart_check(okr, orders=SMART_ORDERS, opportunities=SMART_OPPS, **kw)
    return check.assign(codes=check["issues"], issues=smart_issues(check, lang=lang)).iloc[0]


def test_smart_check_a_good_goal_passes():
    r = smart_of({"id": "G", "metric": "sales_growth", "target": 0.15})
    assert r[["specific", "measurable", "achievable", "relevant", "time_bound", "all_pass"]].tolist() == [True] * 6
    assert r["codes"] == ()
    assert r["issues"] == "passes all five criteria"


@pytest.mark.parametrize(
    ("kr", "criterion", "code", "message"),
    [
        ({"id": "G", "metric": "sales", "target": "a lot"}, "measurable", "no_target",
         "not measurable: the target 'a lot' is not a number"),
        ({"id": "G", "metric": "sales", "target": 5, "deadline": None}, "time_bound", "no_deadline",
         "not time-bound: no deadline"),
        ({"id": "G", "metric": "sales", "target": 5, "deadline": "soon"}, "time_bound", "bad_deadline",
         "not time-bound: the deadline 'soon' is not a date"),
        ({"id": "G", "metric": "orders", "target": 2, "owner": ""}, "specific", "no_owner",
         "not specific: no owner named"),
        ({"id": "G", "metric": "performance", "target": 5}, "specific", "vague_metric",
         "not specific: the metric 'performance' is vague"),
        ({"id": "G", "metric": "提升", "target": 5}, "specific", "vague_metric", "the metric '提升' is vague"),
        ({"id": "G", "target": 5}, "specific", "no_metric", "not specific: no metric named"),
        ({"id": "G", "metric": "orders", "target": 2, "objective": None}, "relevant", "no_objective",
         "not relevant: not linked to any objective"),
        ({"id": "G", "metric": "orders", "target": 2, "objective": "O9"}, "relevant", "unknown_objective",
         "not relevant: linked to objective 'O9', which does not exist"),
        # best year 2024 +10%, plus 10 points = 20%; 30% is 10 points above
        ({"id": "G", "metric": "sales_growth", "target": 0.30}, "achievable", "too_high",
         "not achievable: the target 30.0% is 10.0 points above what history supports (best year so far: 10.0% "
         "in 2024; plus a margin of 10 points = 20.0%)"),
        # best year 2024: median cycle 40 days, minus 10% = 36; 20 is 16 days below
        ({"id": "G", "metric": "cycle_days", "target": 20}, "achievable", "too_low",
         "not achievable: the target 20 days is 16 days below what history supports (best year so far: 40 days "
         "in 2024; minus a margin of 10% = 36 days)"),
        # best year 2024 sales 110, +10% = 121; 200 is 79 above
        ({"id": "G", "metric": "sales", "target": 200}, "achievable", "too_high",
         "the target 200.00 CNY is 79.00 CNY above"),
    ],
    ids=["no-number", "no-deadline", "bad-deadline", "no-owner", "vague-metric", "vague-metric-zh", "no-metric",
         "no-objective", "unknown-objective", "growth-too-high", "cycle-too-short", "sales-too-high"],
)
def test_smart_check_each_failing_criterion(kr, criterion, code, message):
    r = smart_of(kr)
    assert not r[criterion] and not r["all_pass"]
    assert code in r["codes"]
    assert message in r["issues"]
    failed = [c for c in ["specific", "measurable", "achievable", "relevant", "time_bound"]
              if not pd.isna(r[c]) and not r[c]]
    assert failed == [criterion]


def test_smart_check_unknown_history_and_chinese_messages():
    r = smart_of({"id": "G", "metric": "interviews", "target": 20})
    assert pd.isna(r["achievable"]) and bool(r["all_pass"])
    assert r["codes"] == ("not_assessed",)
    assert "achievability not assessed" in r["issues"]
    zh = smart_of({"id": "G", "metric": "sales_growth", "target": 0.30}, lang="zh")
    assert zh["issues"].startswith("难以达成：目标 30.0% 比历史可支撑的水平高出 10.0 个百分点")
    # the figures behind the words: best year 2024 +10%, limit 20%, 10 points above it
    assert zh[["kind", "period", "best_period"]].tolist() == ["ratio", "year", "2024"]
    assert zh[["best", "limit", "gap", "margin"]].astype(float).tolist() == pytest.approx([0.1, 0.2, 0.1, 0.1])
    with pytest.raises(ParameterError, match="parameter margin=-0.1"):
        smart_of({"id": "G", "metric": "sales", "target": 1}, margin=-0.1)


# --------------------------------------------------------------------------------------
# Tracking
# --------------------------------------------------------------------------------------
T_QUOTAS = pd.DataFrame({
    "rep_id": ["R1"] * 3 + ["R2"] * 3 + ["R3", "R4"],
    "month": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"] * 2 + ["2025-03-01"] * 2),
    "quota": [100.0, 280.0, 310.0, 50.0, 50.0, 62.0, 31.0, 31.0],
})
T_ORDERS = pd.DataFrame({
    "rep_id": ["R1", "R1", "R1", "R2", "R2", "R3", "R4"],
    "order_date": pd.to_datetime(["2025-01-09", "2025-02-03", "2025-03-05", "2025-01-20", "2025-03-20",
                                  "2025-03-02", "2025-03-02"]),
    "amount": [120.0, 50.0, 10.0, 40.0, 31.0, 10.0, 9.5],
})
T_REPS = pd.DataFrame({"rep_id": ["R1", "R2", "R3", "R4"], "name": ["A", "B", "C", "D"],
                       "team": ["East", "North", "North", "North"]})
AS_OF = "2025-03-10"  # March: 10 of 31 days due


def test_track_by_month_hand_computed():
    tr = track(T_QUOTAS, T_ORDERS, T_REPS, as_of=AS_OF, period="month")
    r1 = tr[tr["rep_id"] == "R1"]
    assert r1["period"].tolist() == ["2025-01", "2025-02", "2025-03"]
    assert r1["target"].tolist() == [100.0, 280.0, 310.0]
    assert r1["expected"].tolist() == [100.0, 280.0, 100.0]  # 310 x 10/31
    assert r1["actual"].tolist() == [120.0, 50.0, 10.0]
    assert r1["gap"].tolist() == [-20.0, 230.0, 90.0]
    assert r1["attainment"].tolist() == pytest.approx([1.2, 50 / 280, 0.1])
    assert r1["period_end"].tolist() == [pd.Timestamp("2025-01-31"), pd.Timestamp("2025-02-28"),
                                         pd.Timestamp(AS_OF)]


def test_track_quarter_ytd_team_and_company():
    q = track(T_QUOTAS, T_ORDERS, T_REPS, as_of=AS_OF, period="quarter").set_index("rep_id")
    # R1: target 690, due 100 + 280 + 100 = 480, sold 180
    assert q.loc["R1", ["period", "target", "expected", "actual", "gap"]].tolist() == [
        "2025Q1", 690.0, 480.0, 180.0, 300.0]
    ytd = track(T_QUOTAS, T_ORDERS, T_REPS, as_of=AS_OF, period="ytd")
    assert set(ytd["period"]) == {"2025 YTD"} and ytd["period_start"].eq(pd.Timestamp("2025-01-01")).all()
    team = track(T_QUOTAS, T_ORDERS, T_REPS, as_of=AS_OF, period="ytd", level="team").set_index("team")
    # North: R2 50 + 50 + 20, R3 10, R4 10 due = 140; sold 40 + 10 + 9.5 (R2's 20 March is later)
    assert team.loc["North", ["expected", "actual"]].tolist() == [140.0, 59.5]
    company = track(T_QUOTAS, T_ORDERS, as_of=AS_OF, period="ytd", level="company")
    assert company[["target", "expected", "actual"]].iloc[0].tolist() == [914.0, 620.0, 239.5]
    with pytest.raises(ParameterError, match="parameter period='week'"):
        track(T_QUOTAS, T_ORDERS, as_of=AS_OF, period="week")


def test_weekly_review_status_gap_and_run_rate():
    w = weekly_review(T_QUOTAS, T_ORDERS, T_REPS, as_of=AS_OF).set_index("rep_id")
    # paces: R2 0/20 = 0, R1 10/100 = 0.1, R4 9.5/10 = 0.95, R3 10/10 = 1.0
    assert w.index.tolist() == ["R2", "R1", "R4", "R3"]
    assert w["status"].tolist() == ["behind", "behind", "at_risk", "on_track"]
    shown = review_table(w, lang="zh")
    assert shown["status_text"].tolist() == ["落后", "落后", "有风险", "进度正常"]
    assert "status" not in shown and list(shown.columns).index("status_text") == list(w.columns).index("status")
    assert w.loc["R1", ["to_go", "days_left", "run_rate", "needed_run_rate"]].tolist() == [300.0, 21, 7.0, 100.0]
    assert w.loc["R2", "needed_run_rate"] == pytest.approx(62 / 21 * 7, abs=0.005)
    with pytest.raises(ParameterError, match="parameter bands"):
        weekly_review(T_QUOTAS, T_ORDERS, as_of=AS_OF, bands=(0.8, 0.9))


def test_weekly_review_counts_the_whole_period_still_to_sell():
    # issue 18: 12 x 100 quota, as of 30 June, 300 sold. The year still needs 1200 - 300 = 900
    # (not 600 - 300 = 300). Weeks rule: 1 Jul - 31 Dec = 184 days = 26.29 weeks;
    # 900 x 7 / 184 = 34.239... -> 34.24 a week (not 300 x 7 / 184 = 11.41).
    quotas = pd.DataFrame({"rep_id": ["R1"] * 12, "quota": [100.0] * 12,
                           "month": pd.date_range("2025-01-01", periods=12, freq="MS")})
    orders = pd.DataFrame({"rep_id": ["R1"] * 3, "amount": [100.0] * 3,
                           "order_date": pd.to_datetime(["2025-02-10", "2025-04-10", "2025-06-30"])})
    ytd = weekly_review(quotas, orders, as_of="2025-06-30", period="ytd").iloc[0]
    assert ytd[["target", "expected", "actual", "to_go", "days_left"]].tolist() == [1200.0, 600.0, 300.0, 900.0, 184]
    assert ytd["needed_run_rate"] == 34.24
    assert ytd["pace"] == 0.5
    # the quarter view: as of 15 Aug, Q3 = 300 (September included), nothing sold in Q3 by then
    # (the June order is in Q2) -> 300 to go over 16 Aug - 30 Sep = 46 days: 300 x 7 / 46 = 45.652 -> 45.65
    q3 = weekly_review(quotas, orders, as_of="2025-08-15", period="quarter").iloc[0]
    assert q3[["period", "target", "actual", "to_go", "days_left"]].tolist() == ["2025Q3", 300.0, 0.0, 300.0, 46]
    assert q3["needed_run_rate"] == 45.65
    # Q3 expected by 15 Aug: July 100 + August 100 x 15/31 = 148.39
    assert q3["expected"] == 148.39
    # the months not started yet are not periods of their own
    months = track(quotas, orders, as_of="2025-06-30", period="month")
    assert months["period"].tolist() == [f"2025-{m:02d}" for m in range(1, 7)]
    assert track(quotas, orders, as_of="2025-06-30", period="quarter")["target"].tolist() == [300.0, 300.0]


def test_default_month():
    assert default_month(2025, "2025-12-31") == pd.Timestamp("2025-01-01")
    assert default_month(2025, "2025-03-10") == pd.Timestamp("2025-04-01")


# --------------------------------------------------------------------------------------
# Excel export
# --------------------------------------------------------------------------------------
def test_quota_sheets_and_workbook(tmp_path):
    from openpyxl import load_workbook

    reps = pd.DataFrame({"rep_id": ["A", "B", "C"], "name": ["Ann", "Bo", "Cy"], "team": ["T", "T", "U"]})
    plan = decompose(reps, target=1000.0, plan_year=2025, time_method="equal", rep_method="equal")
    sheets = quota_sheets(plan, lang="zh")
    assert list(sheets) == ["年度", "季度", "月度", "团队", "个人", "个人x月度"]
    wide = sheets["个人x月度"]
    assert wide.columns[:3].tolist() == ["销售代表编号", "姓名", "团队"] and wide.columns[-1] == "合计"
    assert wide["合计"].tolist() == [333.34, 333.33, 333.33, 1000.0]
    body = wide.iloc[:-1, 3:-1]
    assert (cents(body.sum(axis=0)) == cents(wide.iloc[-1, 3:-1].astype(float))).all()
    path = write_quota_workbook(sheets, tmp_path / "out" / "quota.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == list(sheets)
    ws = wb["个人x月度"]
    assert ws.cell(row=1, column=1).value == "销售代表编号"
    assert ws.cell(row=5, column=16).value == 1000.0 and ws.cell(row=2, column=4).number_format == "#,##0.00"


def test_inputs_are_not_mutated():
    before = REPS.copy()
    orders = HISTORY.assign(rep_id="R1")
    orders_before = orders.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlaybookWarning)
        decompose(REPS, orders, target=1000.0, plan_year=2025, rep_method="history", ramp=DEFAULT_RAMP)
    pd.testing.assert_frame_equal(REPS, before)
    pd.testing.assert_frame_equal(orders, orders_before)


def test_rep_month_matrix_months_without_anyone_and_reps_without_capacity():
    reps = pd.DataFrame({"rep_id": ["A"], "hire_date": pd.to_datetime(["2020-01-01"]),
                         "leave_date": pd.to_datetime(["2025-10-31"])})
    with pytest.raises(InputError, match="reps: nobody is on the team in 2025-11, 2025-12, yet the company targets"):
        decompose(reps, target=1200.0, plan_year=2025, time_method="equal")
    late = pd.DataFrame({"rep_id": ["A", "B"], "hire_date": pd.to_datetime(["2020-01-01", "2025-12-01"])})
    with pytest.raises(InputError, match="reps: B have a quota but no capacity in 2025"):
        decompose(late, target=1200.0, plan_year=2025, time_method="equal", rep_method="equal", ramp=[0.0, 1.0])


def test_weekly_review_after_the_period_has_ended():
    w = weekly_review(T_QUOTAS, T_ORDERS, T_REPS, as_of="2025-03-31", period="quarter").set_index("rep_id")
    # Q1 is over: no days left, no weekly rate can be needed; R1 sold 180 of 690
    assert w.loc["R1", ["to_go", "days_left"]].tolist() == [510.0, 0]
    assert w["needed_run_rate"].isna().all()


# --------------------------------------------------------------------------------------
# The target domain in words (playbook.present.targets)
# --------------------------------------------------------------------------------------
def test_smart_table_in_both_languages():
    okr = parse_okr({"plan_year": 2025, "objectives": [{"id": "O1", "title": {"en": "Grow", "zh": "增长"}}],
                     "key_results": [{"id": "G", "objective": "O1", "owner": "Li", "metric": "sales_growth",
                                      "target": 0.30, "deadline": "2025-12-31",
                                      "title": {"en": "Sales +30%", "zh": "销售额增长 30%"}}]})
    check = smart_check(okr, orders=SMART_ORDERS)
    assert check.columns.tolist() == [
        "kr_id", "title_en", "title_zh", "specific", "measurable", "achievable", "relevant", "time_bound",
        "all_pass", "issues", "metric", "kind", "target", "target_text", "deadline_text", "objective_id", "period",
        "best_period", "best", "limit", "gap", "margin"]
    en, zh = smart_table(check, lang="en"), smart_table(check, lang="zh")
    assert en.columns.tolist() == ["kr_id", "title", "specific", "measurable", "achievable", "relevant",
                                   "time_bound", "all_pass", "issues"]
    assert en.iloc[0, :8].tolist() == ["G", "Sales +30%", "✓", "✓", "✗", "✓", "✓", "✗"]
    assert zh.iloc[0]["title"] == "销售额增长 30%"
    assert zh.iloc[0]["issues"] == ("难以达成：目标 30.0% 比历史可支撑的水平高出 10.0 个百分点"
                                    "（历史最佳年度 2024 为 10.0%，加 10 个百分点 余量 = 20.0%）")
    # several issues: joined with the language's separator
    two = smart_check(parse_okr({"key_results": [{"id": "X", "metric": "sales", "target": 1}]}))
    assert two.iloc[0]["issues"] == ("no_owner", "no_deadline", "no_objective", "not_assessed")
    assert smart_issues(two, lang="en")[0].count("; ") == 3 and smart_issues(two, lang="zh")[0].count("；") == 3


def test_plan_checks_and_the_target_sentence():
    reps = pd.DataFrame({"rep_id": ["A", "B", "C"], "team": ["T", "T", "U"]})
    plan = decompose(reps, target=1000.0, plan_year=2025, time_method="equal", rep_method="equal")
    checks = plan_checks(plan)
    assert checks["check"].tolist() == ["year_quarters", "quarter_months", "year_teams", "team_reps", "rep_rows",
                                        "month_columns"]
    assert checks["parts"].tolist() == [4, 12, 2, 3, 36, 36] and checks["difference"].tolist() == [0] * 6
    assert plan_checks_table(checks, lang="en")["check"].iloc[-1] == "Each month = sum over reps"
    assert plan_checks_table(checks, lang="zh")["check"].iloc[0] == "年度 = 各季度之和"
    target = CompanyTarget(2025, 1_300_000.0, "growth", 2024, 1_000_000.0, 0.3)
    assert describe_target(target, lang="zh") == (
        "2025 年目标 = 2024 年净销售额（1,000,000.00 元）×（1 + 30%）= **1,300,000.00 元**")
    assert describe_target(company_target(plan_year=2025, amount=5), lang="en") == (
        "Target 2025: **5.00 CNY** (set as an amount)")
