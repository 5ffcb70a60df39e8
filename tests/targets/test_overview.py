import numpy as np
import pandas as pd
import pytest

from playbook.core.errors import MissingColumnsError, ParameterError
from playbook.targets.overview import (
    SUMMARY_COLUMNS,
    monthly_sales,
    rep_summary,
    resolve_as_of,
    team_summary,
    ytd_window,
)

REPS = pd.DataFrame({
    "rep_id": ["R1", "R2", "R3"],
    "name": ["董某某", "Ann", "Bo"],
    "team": ["East", "East", "North"],
    "role": ["销售专员", "销售专员", "销售经理"],
})
ORDERS = pd.DataFrame({
    "order_id": ["o1", "o2", "o3", "o4", "o5", "o6", "o7"],
    "customer_id": ["C1", "C1", "C2", "C3", "C3", "C4", "C2"],
    "rep_id": ["R1", "R1", "R2", "R2", "R1", "R1", "R2"],
    "order_date": pd.to_datetime([
        "2024-03-01",  # C1 first order last year (not new this year)
        "2025-01-15",
        "2025-02-10",  # C2 new for R2
        "2025-03-20",  # C3 new for R2 ...
        "2025-03-25",  # ... R1 sells C3 later: not new for R1
        "2025-04-20",  # after as-of: ignored
        "2025-03-01",  # refund
    ]),
    "amount": [500.0, 100.0, 200.0, 300.0, 50.0, 999.0, -20.0],
})
QUOTAS = pd.DataFrame({
    "rep_id": ["R1"] * 4 + ["R2"] * 4 + ["R3"] * 4,
    "month": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01"] * 3),
    "quota": [100.0, 100.0, 310.0, 100.0, 200.0, 200.0, 62.0, 200.0, 0.0, 0.0, 0.0, 0.0],
})
AS_OF = "2025-03-10"  # 10 of 31 days of March count


def test_rep_summary_hand_computed():
    s = rep_summary(ORDERS, REPS, QUOTAS, as_of=AS_OF)
    assert list(s.columns) == SUMMARY_COLUMNS
    got = s.set_index("rep_id")
    # R1: YTD only o2 (o5 is after 2025-03-10); quota 100 + 100 + 310 * 10/31 = 300
    assert got.loc["R1", "ytd_sales"] == 100.0
    assert got.loc["R1", "ytd_quota"] == pytest.approx(300.0)
    assert got.loc["R1", "attainment"] == pytest.approx(1 / 3)
    assert got.loc["R1", "new_customers"] == 0
    assert got.loc["R1", "prior_ytd_sales"] == 500.0
    assert got.loc["R1", "yoy_growth"] == pytest.approx(100 / 500 - 1)
    # R2: o3 200 + refund -20; quota 200 + 200 + 62 * 10/31 = 420; C2 new
    assert got.loc["R2", "ytd_sales"] == 180.0
    assert got.loc["R2", "ytd_quota"] == pytest.approx(420.0)
    assert got.loc["R2", "new_customers"] == 1
    assert got.loc["R2", "orders"] == 1
    assert np.isnan(got.loc["R2", "yoy_growth"])  # no sales a year before
    # R3: nothing sold, zero quota -> attainment undefined, not 0 or inf
    assert got.loc["R3", "ytd_sales"] == 0.0
    assert np.isnan(got.loc["R3", "attainment"])


def test_new_customer_goes_to_rep_of_first_order_later_in_year():
    s = rep_summary(ORDERS, REPS, QUOTAS, as_of="2025-03-31").set_index("rep_id")
    assert s.loc["R2", "new_customers"] == 2  # C2 and C3
    assert s.loc["R1", "new_customers"] == 0
    assert s.loc["R1", "ytd_sales"] == 150.0


def test_reps_who_left_before_the_year_are_left_out():
    reps = REPS.assign(leave_date=pd.to_datetime([None, "2024-12-31", "2025-02-01"]))
    s = rep_summary(ORDERS, reps, QUOTAS, as_of=AS_OF)
    assert s["rep_id"].tolist() == ["R1", "R3"]  # R2 left in 2024; R3 left during the year


def test_input_not_mutated_and_without_quotas():
    before = ORDERS.copy()
    s = rep_summary(ORDERS, REPS, as_of=AS_OF)
    pd.testing.assert_frame_equal(ORDERS, before)
    assert s["ytd_quota"].isna().all() and s["attainment"].isna().all()


def test_new_customer_goes_to_the_rep_of_the_first_order_by_date_then_order_id_then_row():
    orders = pd.DataFrame({
        "order_id": ["b", "a", "z", "x", "x", "m", "n", "k"],
        "customer_id": ["C1", "C1", "C2", "C2", "C2", "C3", "C3", "C4"],
        "rep_id": ["R1", "R2", "R1", "R3", "R2", "R1", "R2", "R3"],
        "order_date": pd.to_datetime(["2025-02-01", "2025-02-01",  # C1: same day, order "a" first -> R2
                                      "2025-03-01", "2025-03-01", "2025-03-01",  # C2: "x" twice -> first row, R3
                                      "2024-12-31", "2025-01-05",  # C3: first order last year: not new
                                      "2025-01-02"]),  # C4: its only order is a refund: not a customer yet
        "amount": [10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, -5.0],
    })
    s = rep_summary(orders, REPS, as_of="2025-03-31").set_index("rep_id")
    assert s["new_customers"].to_dict() == {"R1": 0, "R2": 1, "R3": 1}
    assert s["orders"].to_dict() == {"R1": 2, "R2": 3, "R3": 1}  # positive YTD rows
    assert s["ytd_sales"].to_dict() == {"R1": 20.0, "R2": 30.0, "R3": 5.0}  # R3: 10 - 5


def test_monthly_sales_leaves_out_orders_of_unknown_reps_and_reps_without_team():
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "team": ["East", None]})
    orders = pd.DataFrame({"rep_id": ["R1", "R2", "R9", None, "R1"], "amount": [1.0, 2.0, 4.0, 8.0, 16.0],
                           "order_date": pd.to_datetime(["2025-01-31", "2025-01-02", "2025-01-03", "2025-01-04",
                                                         "2024-12-31"])})  # the last: before the 1 months
    m = monthly_sales(orders, reps, as_of="2025-01-31", months=1)
    assert m.to_dict("list") == {"team": ["East"], "month": [pd.Timestamp("2025-01-01")], "net_sales": [1.0]}


def test_team_summary_sums_reps():
    s = rep_summary(ORDERS, REPS, QUOTAS, as_of=AS_OF)
    t = team_summary(s).set_index("team")
    assert t.loc["East", "reps"] == 2
    assert t.loc["East", "ytd_sales"] == 280.0
    assert t.loc["East", "attainment"] == pytest.approx(round(280 / 720, 3))
    assert t["ytd_sales"].sum() == s["ytd_sales"].sum()


def test_monthly_sales_fills_empty_months_and_nets_refunds():
    m = monthly_sales(ORDERS, REPS, as_of="2025-04-30", months=4)
    east = m[m["team"] == "East"].set_index("month")["net_sales"]
    assert east.loc["2025-01-01"] == 100.0
    assert east.loc["2025-02-01"] == 200.0
    assert east.loc["2025-03-01"] == 330.0  # 300 + 50 - 20
    assert east.loc["2025-04-01"] == 999.0
    north = m[m["team"] == "North"]
    assert len(north) == 4 and (north["net_sales"] == 0).all()


def test_ytd_window_and_as_of_default():
    assert ytd_window("2025-09-30") == (pd.Timestamp("2025-01-01"), pd.Timestamp("2025-09-30"))
    assert resolve_as_of("", ORDERS) == pd.Timestamp("2025-04-20")


@pytest.mark.parametrize("bad", ["not a date", "2025-13-45"], ids=["text", "impossible"])
def test_bad_as_of_names_parameter(bad):
    with pytest.raises(ParameterError, match="as_of"):
        rep_summary(ORDERS, REPS, as_of=bad)


def test_missing_columns_listed_with_present():
    with pytest.raises(MissingColumnsError, match=r"orders: missing required column\(s\): amount"):
        rep_summary(ORDERS.drop(columns="amount"), REPS, as_of=AS_OF)


def test_months_parameter_checked():
    with pytest.raises(ParameterError, match="months"):
        monthly_sales(ORDERS, REPS, as_of=AS_OF, months=0)


def test_style_table_formats_by_kind():
    from playbook.present.html import style_table

    frame = pd.DataFrame({"name": ["董某某"], "ytd_sales": [1234567.891], "attainment": [1.095],
                          "ratio": [0.123456], "team": ["East"], "amount": ["n/a"]})
    html = style_table(frame, lang="zh").to_html()
    assert "1,234,567.89" in html and "109.5%" in html and "0.12" in html
    assert "0.123456" not in html and "n/a" in html  # text in a money column is left alone
    assert "年初至今销售额" in html and "text-align: left" in html
    assert "th.col_heading.col0" in html and "th.col_heading.col1 " not in html  # text headers left too


def test_naive_baseline_agrees_with_rep_summary():
    """The bench's per-rep loop is an independent implementation of two summary columns."""
    from playbook.bench.cases.foundation import naive_rep_summary
    from playbook.data.sample import SAMPLE_AS_OF, generate

    tables = generate(seed=7, scale=1.0)
    fast = rep_summary(tables["orders"], tables["reps"], tables["quotas"], as_of=SAMPLE_AS_OF)
    slow = naive_rep_summary(tables["orders"], tables["reps"], as_of=SAMPLE_AS_OF).set_index("rep_id")
    merged = fast.set_index("rep_id")[["ytd_sales", "new_customers"]].merge(
        slow, left_index=True, right_index=True, how="left", suffixes=("", "_naive"))
    assert (merged["ytd_sales"] - merged["ytd_sales_naive"]).abs().max() < 0.01
    assert (merged["new_customers"] == merged["new_customers_naive"]).all()
