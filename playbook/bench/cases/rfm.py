"""Benchmark of the RFM table against its floor (one groupby) and the peers a user would pick.

Peers run in the same process from the optional ``[bench]`` extra (``pip install
'.[bench]'``): lifetimes' ``summary_data_from_transaction_data`` and pymc-marketing's
``rfm_summary``. An absent peer gives a row marked "not installed". Where the
conventions match, a peer's output is cross-checked against the kit's: lifetimes'
``T - recency`` is the kit's ``recency_days`` (days from the last order to the as-of
date) for every customer.
"""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd

from playbook.bench import Result, compare, sample_tables
from playbook.core.errors import PlaybookWarning
from playbook.core.money import round_money
from playbook.data.sample import SAMPLE_AS_OF
from playbook.rfm import rfm_table

__all__ = ["CASES", "naive_rfm", "floor_rfm", "lifetimes_rfm", "full_history_days"]


def naive_rfm(orders: pd.DataFrame, customers: Iterable[str], *, as_of: object,
              window_days: int = 365) -> pd.DataFrame:
    """Compute recency, frequency and net monetary with a per-customer loop (an independent check in tests).

    Examples
    --------
    >>> o = pd.DataFrame({"order_id": ["1", "2"], "customer_id": ["A", "A"],
    ...                   "order_date": pd.to_datetime(["2025-01-01", "2025-01-21"]), "amount": [5.0, -1.0]})
    >>> naive_rfm(o, ["A"], as_of="2025-01-31")
      customer_id  recency_days  frequency  monetary
    0           A            30          1       4.0
    """
    end = pd.Timestamp(as_of).normalize()
    start = end - pd.Timedelta(days=window_days - 1)
    rows = []
    for cust in customers:
        mine = orders[orders["customer_id"] == cust]
        day = mine["order_date"].dt.normalize()
        mine = mine[(day >= start) & (day <= end)]
        bought = mine[mine["amount"] > 0]
        if bought.empty:
            continue
        last = bought["order_date"].max().normalize()
        rows.append({"customer_id": cust, "recency_days": (end - last).days,
                     "frequency": bought["order_id"].nunique(),
                     "monetary": round(round(bought["amount"].sum(), 2)
                                       + round(mine.loc[mine["amount"] < 0, "amount"].sum(), 2), 2)})
    return pd.DataFrame(rows, columns=["customer_id", "recency_days", "frequency", "monetary"])


def full_history_days(orders: pd.DataFrame, as_of: object) -> int:
    """Days from the first order to ``as_of``, both included (an RFM window over the whole history)."""
    return int((pd.Timestamp(as_of).normalize() - orders["order_date"].min().normalize()).days) + 1


def floor_rfm(orders: pd.DataFrame, *, as_of: object, window_days: int) -> pd.DataFrame:
    """Floor: recency, frequency and net monetary per customer with one ``groupby`` (and one for refunds).

    Examples
    --------
    >>> o = pd.DataFrame({"order_id": ["1", "2"], "customer_id": ["A", "A"],
    ...                   "order_date": pd.to_datetime(["2025-01-01", "2025-01-21"]), "amount": [5.0, -1.0]})
    >>> floor_rfm(o, as_of="2025-01-31", window_days=365)
      customer_id  recency_days  frequency  monetary
    0           A            30          1       4.0
    """
    end = pd.Timestamp(as_of).normalize()
    d = orders["order_date"]
    win = orders[(d >= end - pd.Timedelta(days=window_days - 1)) & (d < end + pd.Timedelta(days=1))]
    pos = win[win["amount"] > 0]
    g = pos.groupby("customer_id").agg(last=("order_date", "max"), frequency=("order_id", "nunique"),
                                       gross=("amount", "sum"))
    refunds = win.loc[win["amount"] < 0].groupby("customer_id")["amount"].sum().reindex(g.index, fill_value=0.0)
    return pd.DataFrame({
        "customer_id": g.index.to_numpy(),
        "recency_days": (end - g["last"].dt.normalize()).dt.days.to_numpy().astype("int64"),
        "frequency": g["frequency"].to_numpy().astype("int64"),
        "monetary": round_money(round_money(g["gross"].to_numpy()) + round_money(refunds.to_numpy())),
    })


def lifetimes_rfm(orders: pd.DataFrame, *, as_of: object, window_days: int) -> pd.DataFrame:
    """Peer: lifetimes' ``summary_data_from_transaction_data`` on the window's orders (daily periods)."""
    from lifetimes.utils import summary_data_from_transaction_data  # optional dependency: the bench extra

    end = pd.Timestamp(as_of).normalize()
    d = orders["order_date"]
    win = orders[(d >= end - pd.Timedelta(days=window_days - 1)) & (d < end + pd.Timedelta(days=1))]
    return summary_data_from_transaction_data(win[win["amount"] > 0], "customer_id", "order_date",
                                              monetary_value_col="amount", observation_period_end=end, freq="D")


def _pymc_rfm(orders: pd.DataFrame, *, as_of: object, window_days: int) -> pd.DataFrame:
    """Peer: pymc-marketing's ``rfm_summary`` on the window's orders."""
    from pymc_marketing.clv import rfm_summary  # optional dependency: the bench extra

    end = pd.Timestamp(as_of).normalize()
    d = orders["order_date"]
    win = orders[(d >= end - pd.Timedelta(days=window_days - 1)) & (d < end + pd.Timedelta(days=1))]
    return rfm_summary(win[win["amount"] > 0], "customer_id", "order_date", monetary_value_col="amount",
                       observation_period_end=end, time_unit="D")


def _peer_row(name: str, module: str, func, orders, kit_table, days, n, task) -> Result:
    if importlib.util.find_spec(module) is None:
        return Result(task, len(orders), float("nan"), f"{name} (not installed: pip install '.[bench]')",
                      float("nan"), kind="peer", target=1.0, repeats=0)
    kit, peer, _, out = compare(kit_table, lambda: func(orders, as_of=SAMPLE_AS_OF, window_days=days), repeat=n)
    if module == "lifetimes":  # conventions that match: days from the last order to the as-of date
        ours = kit_table().set_index("customer_id")["recency_days"]
        theirs = (out["T"] - out["recency"]).astype("int64").reindex(ours.index)
        if not np.array_equal(theirs.to_numpy(), ours.to_numpy()):
            raise AssertionError("lifetimes disagrees with the kit on recency")
    return Result(task, len(orders), kit, name, peer, kind="peer", target=1.0, repeats=n)


def _bench_rfm(scale: float) -> list[Result]:
    n = 3
    orders = sample_tables(scale)["orders"]
    days = full_history_days(orders, SAMPLE_AS_OF)

    def kit_table() -> pd.DataFrame:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PlaybookWarning)
            return rfm_table(orders, as_of=SAMPLE_AS_OF, window_days=days)

    kit, base, table, _ = compare(kit_table, lambda: floor_rfm(orders, as_of=SAMPLE_AS_OF, window_days=days),
                                  repeat=n)
    task = f"RFM table, full history ({len(table):,} customers)"
    return [
        Result(task, len(orders), kit, "one groupby (max date, nunique orders, sum)", base, kind="floor",
               target=1.3, repeats=n),
        _peer_row("lifetimes summary_data_from_transaction_data", "lifetimes", lifetimes_rfm, orders, kit_table,
                  days, n, task),
        _peer_row("pymc-marketing rfm_summary", "pymc_marketing", _pymc_rfm, orders, kit_table, days, n, task),
    ]


CASES = {
    "rfm": (_bench_rfm, 70.0, 4.0),
}
