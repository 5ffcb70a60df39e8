"""The funnel's order figures (won customers and their repurchase, new-customer deals) against hand counts and
the plain pandas implementations they replaced (sort, cumulative sums, merge_asof, groupby), on random data."""

import numpy as np
import pandas as pd
import pytest

from playbook.core.money import round_money
from playbook.funnel.comparison import _new_deals
from playbook.funnel.stages import _as_dates, _by_close, _id_positions, _positions, _won_customers

D = pd.to_datetime


# --------------------------------------------------------------------------- oracles: the pandas versions
def won_customers_oracle(stages, orders, *, as_of, window_days):
    won = stages.loc[(stages["outcome"] == "won") & stages["customer_id"].notna()]
    won = won.sort_values(["closed_date", "opportunity_id"], kind="stable").drop_duplicates("customer_id").copy()
    won["customer_id"] = won["customer_id"].astype("string")
    won["end"] = won["closed_date"] + pd.Timedelta(days=window_days)
    won["eligible"] = won["end"] <= as_of
    o = pd.DataFrame({"customer_id": _positions(orders["customer_id"], won["customer_id"]),
                      "order_date": _as_dates(orders["order_date"]),
                      "amount": pd.to_numeric(orders["amount"], errors="coerce").astype("float64")})
    o = o.loc[(o["amount"] > 0).to_numpy() & (o["customer_id"].to_numpy() >= 0)]
    o = o.sort_values(["customer_id", "order_date"], kind="stable")
    o["cum"] = o.groupby("customer_id")["amount"].cumsum()
    o = o.sort_values("order_date", kind="stable")

    def cum_at(dates):
        left = pd.DataFrame({"customer_id": np.arange(len(won)), "order_date": dates.astype("datetime64[ns]"),
                             "_i": np.arange(len(won))}).sort_values("order_date", kind="stable")
        m = pd.merge_asof(left, o[["customer_id", "order_date", "cum"]], on="order_date", by="customer_id",
                          direction="backward")
        return m.sort_values("_i")["cum"].fillna(0.0).to_numpy()

    revenue = cum_at(won["end"]) - cum_at(won["closed_date"]) if len(won) else np.zeros(0)
    won["revenue"] = round_money(revenue)
    won["repurchased"] = won["revenue"] > 0
    return won


def new_deals_oracle(stages, orders):
    won = stages.loc[stages["outcome"] == "won"]
    ids = won["customer_id"].astype("string")
    among = pd.Series(ids.dropna().unique())
    at = _positions(orders["customer_id"], among)
    keep = (pd.to_numeric(orders["amount"], errors="coerce").to_numpy() > 0) & (at >= 0)
    first = pd.Series(_as_dates(orders["order_date"]).to_numpy()[keep]).groupby(at[keep]).min()
    before = pd.Series(first.reindex(_positions(ids, among)).to_numpy(), index=won.index)
    return won["customer_id"].isna() | before.isna() | (before >= won["created_date"])


def random_case(seed, n_opps=400, n_orders=1500, n_customers=300):
    """Stages and orders with what the figures must get right: ties of close dates, repeated and missing
    customers, refunds, missing amounts, orders on the close day and on the window's last day."""
    rng = np.random.default_rng(seed)
    day = pd.Timestamp("2024-01-01")
    customers = np.array([f"C{i}" for i in range(n_customers)], dtype=object)
    cust = rng.choice(customers, n_opps).astype(object)
    cust[rng.random(n_opps) < 0.1] = None
    closed = day + pd.to_timedelta(rng.integers(0, 400, n_opps), unit="D")  # many ties
    stages = pd.DataFrame({
        "opportunity_id": pd.array([f"o{i}" for i in rng.permutation(n_opps)], dtype="string"),
        "customer_id": pd.array(cust, dtype="string"),
        "rep_id": pd.array(rng.choice(["R1", "R2", "R3"], n_opps), dtype="string"),
        "team": pd.array(rng.choice(["A", "B"], n_opps), dtype="string"),
        "outcome": pd.array(rng.choice(["won", "lost", "open"], n_opps, p=[0.6, 0.3, 0.1]), dtype="string"),
        "created_date": (closed - pd.to_timedelta(rng.integers(0, 90, n_opps), unit="D")).astype("datetime64[ns]"),
        "closed_date": closed.astype("datetime64[ns]"),
        "amount": rng.integers(1, 500, n_opps).astype(float),
    }, index=rng.permutation(n_opps) * 3)  # an index that is not the positions
    ocust = rng.choice(np.append(customers, ["X1", "X2"]), n_orders).astype(object)
    ocust[rng.random(n_orders) < 0.05] = None
    odate = day + pd.to_timedelta(rng.integers(-60, 700, n_orders), unit="D")
    amount = np.round(rng.normal(300, 400, n_orders), 2)
    amount[rng.random(n_orders) < 0.03] = np.nan
    orders = pd.DataFrame({"customer_id": pd.array(ocust, dtype="str"), "order_date": odate.astype("datetime64[us]"),
                           "amount": amount})
    # orders exactly on a won deal's close day and on its window's last day (180 days later)
    won = stages.loc[stages["outcome"] == "won"].dropna(subset=["customer_id"]).head(40)
    edge = pd.DataFrame({"customer_id": pd.array(np.repeat(won["customer_id"].to_numpy(), 2), dtype="str"),
                         "order_date": np.ravel(np.column_stack([won["closed_date"],
                                                                 won["closed_date"] + pd.Timedelta(days=180)]))
                         .astype("datetime64[us]"),
                         "amount": 10.25})
    orders = pd.concat([orders, edge], ignore_index=True).sample(frac=1.0, random_state=seed, ignore_index=True)
    return stages, orders


# --------------------------------------------------------------------------- won customers
def test_won_customers_by_hand():
    stages = pd.DataFrame({
        "opportunity_id": ["o3", "o1", "o2", "o4", "o5"], "customer_id": ["C1", "C1", "C2", None, "C3"],
        "outcome": ["won", "won", "won", "won", "lost"],
        "closed_date": D(["2025-01-10", "2025-01-10", "2025-05-01", "2025-01-01", "2025-01-01"])})
    orders = pd.DataFrame({
        "customer_id": ["C1", "C1", "C1", "C1", "C1", "C2", "C3"],
        "order_date": D(["2025-01-10", "2025-01-11", "2025-04-10", "2025-04-11", "2025-02-01", "2025-05-20",
                         "2025-02-01"]),
        "amount": [100.0, 20.005, 5.0, 7.0, -3.0, 8.0, 50.0]})
    won = _won_customers(stages, orders, as_of=D("2025-06-30"), window_days=90)
    # C1's earliest won deal is o1 (same close day as o3, lower id); its window: 11 Jan .. 10 Apr
    # (the order on the close day is the deal itself, 11 Apr is one day late, the refund does not count)
    assert won["opportunity_id"].tolist() == ["o1", "o2"]
    assert won.index.tolist() == [1, 2]
    # 20.005 + 5.0, to the cent; C2 ordered again already, though its window is still open (not eligible)
    assert won["revenue"].tolist() == [25.01, 8.0]
    assert won["repurchased"].tolist() == [True, True]
    assert won["eligible"].tolist() == [True, False]
    assert won["end"].tolist() == list(D(["2025-04-10", "2025-07-30"]))


def test_won_customers_without_close_date_have_no_revenue():
    stages = pd.DataFrame({"opportunity_id": ["o1", "o2"], "customer_id": ["C1", "C2"], "outcome": ["won", "won"],
                           "closed_date": D(["2025-01-10", None])})
    orders = pd.DataFrame({"customer_id": ["C1", "C2", "C1"], "order_date": D(["2025-01-20", "2025-01-20", None]),
                           "amount": [4.0, 6.0, 9.0]})
    won = _won_customers(stages, orders, as_of=D("2025-12-31"), window_days=30)
    assert won["revenue"].tolist() == [4.0, 0.0] and won["eligible"].tolist() == [True, False]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_won_customers_match_the_pandas_version(seed):
    stages, orders = random_case(seed)
    got = _won_customers(stages, orders, as_of=D("2025-03-31"), window_days=180)
    want = won_customers_oracle(stages, orders, as_of=D("2025-03-31"), window_days=180)
    assert len(got) > 20 and got["repurchased"].any() and not got["repurchased"].all()
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_won_customers_of_no_won_deal():
    stages, orders = random_case(5)
    stages = stages.assign(outcome="lost")
    got = _won_customers(stages, orders, as_of=D("2025-03-31"), window_days=180)
    pd.testing.assert_frame_equal(got, won_customers_oracle(stages, orders, as_of=D("2025-03-31"), window_days=180))


# --------------------------------------------------------------------------- new deals
def test_new_deals_by_hand():
    stages = pd.DataFrame({
        "outcome": ["won", "won", "lost", "won", "won", "won"], "customer_id": ["C1", "C2", "C3", None, "C4", "C1"],
        "created_date": D(["2025-03-01", "2025-03-01", "2025-03-01", "2025-03-01", "2025-03-01", "2024-12-01"])},
        index=[10, 11, 12, 13, 14, 15])
    orders = pd.DataFrame({"customer_id": ["C1", "C2", "C2", "C4", "C3"],
                           "order_date": D(["2025-01-15", "2025-03-01", "2024-01-01", "2025-01-01", "2024-01-01"]),
                           "amount": [10.0, 5.0, -5.0, None, 1.0]})
    got = _new_deals(stages, orders)
    # C1 ordered before March (not new), but not before its December lead; C2's only earlier row is a refund
    # and its order on the day the lead was created is not before it; C4's earlier order has no amount
    assert got.to_dict() == {10: False, 11: True, 13: True, 14: True, 15: True}


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_new_deals_match_the_pandas_version(seed):
    stages, orders = random_case(seed)
    got = _new_deals(stages, orders)
    want = new_deals_oracle(stages, orders)
    assert got.any() and not got.all()
    pd.testing.assert_series_equal(got, want, check_exact=True)


def test_id_positions_match_positions():
    rng = np.random.default_rng(9)
    values = pd.Series(rng.choice(["C1", "C2", "C3", "X", None], 500), dtype="str")
    among = pd.Series(["C3", "C1", "C2"], dtype="string")
    np.testing.assert_array_equal(_id_positions(values, among), _positions(values, among))
    np.testing.assert_array_equal(_id_positions(values, among), _positions(values, among))  # recalled codes


@pytest.mark.parametrize("ids", ["rising", "shuffled", "missing"])
def test_order_by_close_is_the_stable_sort(ids):
    rng = np.random.default_rng(4)
    n = 300
    closed = pd.Series(D("2025-01-01") + pd.to_timedelta(rng.integers(0, 20, n), unit="D"))  # many ties
    closed[rng.random(n) < 0.05] = pd.NaT
    names = np.array([f"o{i:04d}" for i in range(n)], dtype=object)  # rising in the rows' order
    if ids != "rising":
        names = rng.permutation(names)
    if ids == "missing":
        names[::50] = None
    keys = pd.DataFrame({"closed_date": closed.to_numpy(), "opportunity_id": pd.array(names, dtype="string")},
                        index=rng.permutation(n))
    want = keys.reset_index(drop=True).sort_values(["closed_date", "opportunity_id"], kind="stable").index
    np.testing.assert_array_equal(_by_close(keys), want.to_numpy())
