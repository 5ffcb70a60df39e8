"""Benchmark of RFM scoring and segmentation against a naive per-customer loop."""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import pandas as pd

from playbook.bench import Result, timed
from playbook.core.errors import PlaybookWarning
from playbook.data.sample import SAMPLE_AS_OF, generate
from playbook.rfm import quantile_score, segment_customers

__all__ = ["CASES", "naive_rfm"]

_LOOP_CUSTOMERS = 300  # the naive loop is timed on this many customers, then scaled


def naive_rfm(orders: pd.DataFrame, customers: Iterable[str], *, as_of: object,
              window_days: int = 365) -> pd.DataFrame:
    """Baseline: recency, frequency and net monetary with a Python loop over customers.

    Each customer's orders are found with a boolean mask over the whole table, the way a
    spreadsheet macro would do it. Gives the same figures as
    :func:`playbook.rfm.rfm_table` for those columns (a test checks this).

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


def _bench_rfm(scale: float) -> list[Result]:
    orders = generate(seed=7, scale=scale)["orders"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlaybookWarning)
        seconds, seg = timed(lambda: segment_customers(orders, as_of=SAMPLE_AS_OF), repeat=3)
    subset = seg["customer_id"].iloc[:: max(1, len(seg) // _LOOP_CUSTOMERS)].iloc[:_LOOP_CUSTOMERS]
    loop, small = timed(lambda: naive_rfm(orders, subset, as_of=SAMPLE_AS_OF))
    score_s, _ = timed(lambda: [quantile_score(seg[c]) for c in ("recency_days", "frequency", "monetary")])
    base = loop * len(seg) / max(len(small), 1) + score_s
    task = (f"RFM score + segment + tier ({len(orders):,} orders, {len(seg):,} customers scored); "
            f"baseline timed on {len(small):,} customers and scaled x{len(seg) / max(len(small), 1):.0f}")
    return [Result(task, len(orders), seconds, "per-customer Python loop (scaled)", base)]


CASES = {
    "rfm": (_bench_rfm, 70.0, 2.0),
}
