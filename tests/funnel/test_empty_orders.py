"""The rep comparison given an orders table with no rows: every won deal brings a new customer."""

import pandas as pd
import pytest

from playbook import funnel

OPPS = pd.DataFrame({
    "opportunity_id": ["o1", "o2", "o3"], "rep_id": ["R1", "R1", "R2"], "channel": ["referral"] * 3,
    "amount": [100.0, 200.0, 50.0], "customer_id": ["C1", None, "C3"],
    "created_date": pd.to_datetime(["2025-01-05", "2025-02-01", "2025-01-10"]),
    "intent_date": pd.to_datetime(["2025-01-10", "2025-02-05", None]),
    "closed_date": pd.to_datetime(["2025-01-20", "2025-02-20", "2025-01-20"]), "outcome": ["won", "won", "lost"]})
REPS = pd.DataFrame({"rep_id": ["R1", "R2"], "team": ["East", "East"]})
NO_ORDERS = pd.DataFrame({"order_id": pd.Series([], dtype="string"), "customer_id": pd.Series([], dtype="string"),
                          "order_date": pd.Series([], dtype="datetime64[ns]"),
                          "amount": pd.Series([], dtype="float64"), "rep_id": pd.Series([], dtype="string")})


def test_no_orders_counts_every_won_deal_as_a_new_customer():
    stages = funnel.stage_table(OPPS, reps=REPS, as_of="2025-06-30")
    out = funnel.rep_comparison(stages, REPS, orders=NO_ORDERS, as_of="2025-06-30")
    new = out.loc[out["step"] == "new_customers"].set_index("rep_id")
    # R1 won o1 (C1: no order before) and o2 (no customer): 2 new customers; R2 won nothing.
    assert new["passed"].to_dict() == {"R1": 2, "R2": 0}
    # employed from the first lead 2025-01-05 to 2025-06-30: 177 days = 177 / 30.4375 = 5.8 months each
    assert new["decided"].to_dict() == {"R1": 5.8, "R2": 5.8}
    assert new.loc["R1", "rate"] == pytest.approx(2 / 5.8)
    assert new.loc["R1", "peer_rate"] == pytest.approx(2 / 11.6)
    rep = out.loc[out["step"] == "repurchase"].set_index("rep_id")
    assert rep["passed"].sum() == 0  # nobody ordered again: there are no orders
