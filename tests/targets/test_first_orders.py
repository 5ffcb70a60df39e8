"""New customers of the overview: each customer's first order, against a plain sort-and-deduplicate version."""

import numpy as np
import pandas as pd
import pytest

from playbook.targets.overview import _first_orders, rep_summary

D = pd.to_datetime


def first_orders_oracle(orders, *, start, end):
    """The first positive order of each customer up to ``end`` (by date, then order id, then row), if from ``start``."""
    o = orders.assign(_row=np.arange(len(orders)), _c=orders["customer_id"].astype(object).fillna("\x00missing"))
    o = o.loc[(o["amount"] > 0) & (o["order_date"] <= end)]
    o = o.sort_values(["order_date", "order_id"], kind="stable").drop_duplicates("_c")
    mask = np.zeros(len(orders), dtype=bool)
    mask[o.loc[o["order_date"] >= start, "_row"].to_numpy()] = True
    return mask


def test_first_orders_by_hand():
    orders = pd.DataFrame({
        "order_id": ["9", "2", "1", "5", "6", "7", "8", "3"],
        "customer_id": ["C1", "C1", "C2", "C2", None, None, "C3", "C4"],
        "order_date": D(["2025-02-01", "2025-02-01", "2024-12-30", "2025-01-05", "2025-03-01", "2025-02-01",
                         "2025-07-01", "2025-01-02"]),
        "amount": [10.0, 5.0, -4.0, 6.0, 1.0, 2.0, 9.0, 0.0]})
    got = _first_orders(orders, orders["order_date"], orders["amount"].to_numpy(),
                        start=D("2025-01-01"), end=D("2025-06-30"))
    # C1: two orders on its first day, the lower order id; C2: the refund of 2024 is no order; the missing ids
    # are one customer (its earliest row); C3 is after the as-of day; C4's only order is 0
    assert np.flatnonzero(got).tolist() == [1, 3, 5]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_first_orders_match_the_plain_version(seed):
    rng = np.random.default_rng(seed)
    n = 2000
    cust = rng.choice([f"C{i}" for i in range(1200)], n).astype(object)
    cust[rng.random(n) < 0.05] = None
    orders = pd.DataFrame({
        "order_id": pd.array(rng.integers(0, 500, n).astype(str), dtype="str"),  # repeats: ties go to the row
        "customer_id": pd.array(cust, dtype="str"),
        "rep_id": pd.array(rng.choice(["R1", "R2", "R3"], n), dtype="str"),
        "order_date": (D("2024-06-01") + pd.to_timedelta(rng.integers(0, 400, n), unit="D")).astype("datetime64[us]"),
        "amount": np.round(rng.normal(100, 150, n), 2)})
    start, end = D("2025-01-01"), D("2025-05-31")
    want = first_orders_oracle(orders, start=start, end=end)
    got = _first_orders(orders, orders["order_date"], orders["amount"].to_numpy(), start=start, end=end)
    assert 20 < want.sum() < 300
    np.testing.assert_array_equal(got, want)
    reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "name": ["A", "B", "C"], "team": "T"})
    summary = rep_summary(orders, reps, as_of=end)
    assert summary["new_customers"].tolist() == [int(want[orders["rep_id"] == r].sum()) for r in ("R1", "R2", "R3")]
