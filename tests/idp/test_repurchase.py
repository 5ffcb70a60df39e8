"""The IDP's repurchase rate per rep, against hand counts and the merge of (rep, customer) pairs it replaced."""

import numpy as np
import pandas as pd
import pytest

from playbook.idp.evidence import _repurchase

D = pd.to_datetime


def repurchase_oracle(orders, start, end):
    dates = pd.to_datetime(orders["order_date"])
    pos = orders["amount"] > 0
    prev = orders.loc[pos & (dates >= start - pd.DateOffset(years=1)) & (dates < start), ["rep_id", "customer_id"]]
    now = orders.loc[pos & (dates >= start) & (dates <= end), ["rep_id", "customer_id"]]
    both = prev.drop_duplicates().merge(now.drop_duplicates(), on=["rep_id", "customer_id"], how="left",
                                        indicator=True)
    return (both["_merge"] == "both").groupby(both["rep_id"]).mean()


def test_repurchase_by_hand():
    orders = pd.DataFrame({
        "rep_id": ["R1", "R1", "R1", "R1", "R1", "R2", "R2", "R2", None],
        "customer_id": ["C1", "C1", "C2", "C3", "C1", "C1", None, None, "C9"],
        "order_date": D(["2024-01-01", "2024-02-01", "2024-03-01", "2023-12-31", "2025-03-01", "2024-06-01",
                         "2024-06-01", "2025-01-01", "2024-06-01"]),
        "amount": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]})
    got = _repurchase(orders, D("2025-01-01"), D("2025-06-30"))
    # R1: C1 and C2 last year (C3 is older), C1 again: 1/2; R2: C1 and the missing id (one customer), which
    # ordered again: 1/2 (C1 came back to R1, not to R2); orders without a rep are left out
    assert got.to_dict() == {"R1": 0.5, "R2": 0.5}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_repurchase_matches_the_merge_version(seed):
    rng = np.random.default_rng(seed)
    n = 3000
    cust = rng.choice([f"C{i}" for i in range(400)], n).astype(object)
    cust[rng.random(n) < 0.03] = None
    rep = rng.choice(["R1", "R2", "R3", "R4", "R5"], n).astype(object)
    rep[rng.random(n) < 0.02] = None
    orders = pd.DataFrame({
        "rep_id": pd.array(rep, dtype="str"), "customer_id": pd.array(cust, dtype="str"),
        "order_date": (D("2023-10-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")).astype("datetime64[us]"),
        "amount": np.round(rng.normal(100, 150, n), 2)})
    start, end = D("2025-01-01"), D("2025-07-31")
    got = _repurchase(orders, start, end)
    want = repurchase_oracle(orders, start, end)
    assert 0 < want.min() < want.max() < 1
    pd.testing.assert_series_equal(got, want, check_names=False, check_exact=True, check_index_type=False)
    assert got.index.name == "rep_id"
