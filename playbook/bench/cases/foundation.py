"""Benchmarks of the foundation: sample generation, loading, team overview."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from playbook.bench import Result, timed
from playbook.data.loading import load_table
from playbook.data.sample import SAMPLE_AS_OF, generate, write_tables
from playbook.targets.overview import rep_summary

__all__ = ["CASES", "naive_rep_summary"]


def naive_rep_summary(orders: pd.DataFrame, reps: pd.DataFrame, *, as_of: object) -> pd.DataFrame:
    """Baseline: YTD sales and new customers with a Python loop over reps.

    It gives the same figures as :func:`playbook.targets.overview.rep_summary` for those columns
    (a test checks this), the way a spreadsheet macro would compute them.
    """
    end = pd.Timestamp(as_of)
    start = pd.Timestamp(year=end.year, month=1, day=1)
    rows = []
    for rep_id in reps["rep_id"]:
        mine = orders[orders["rep_id"] == rep_id]
        ytd = mine[(mine["order_date"] >= start) & (mine["order_date"] <= end)]
        new = 0
        for cust in ytd.loc[ytd["amount"] > 0, "customer_id"].unique():
            theirs = orders[(orders["customer_id"] == cust) & (orders["amount"] > 0)]
            first = theirs.sort_values(["order_date", "order_id"]).iloc[0]
            if first["rep_id"] == rep_id and first["order_date"] >= start:
                new += 1
        rows.append({"rep_id": rep_id, "ytd_sales": round(ytd["amount"].sum(), 2),
                     "new_customers": new})
    return pd.DataFrame(rows)


def _bench_sample(scale: float) -> list[Result]:
    seconds, tables = timed(lambda: generate(seed=7, scale=scale))
    base, _ = timed(lambda: generate(seed=7, scale=1.0))
    n = len(tables["orders"])
    return [Result(f"generate sample (scale {scale:g})", n, seconds,
                   "generate sample (scale 1)", base)]


def _bench_load(scale: float) -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        write_tables({"orders": generate(seed=7, scale=scale)["orders"]}, tmp)
        path = Path(tmp) / "orders.csv"
        base, raw = timed(lambda: pd.read_csv(path))
        seconds, _ = timed(lambda: load_table(path, "orders"))
    return [Result("load + validate orders.csv", len(raw), seconds, "pandas.read_csv only", base)]


def _bench_overview(scale: float) -> list[Result]:
    tables = generate(seed=7, scale=scale)
    orders, reps = tables["orders"], tables["reps"]
    seconds, _ = timed(lambda: rep_summary(orders, reps, tables["quotas"], as_of=SAMPLE_AS_OF),
                        repeat=3)
    base, _ = timed(lambda: naive_rep_summary(orders, reps, as_of=SAMPLE_AS_OF))
    return [Result(f"team overview metrics ({len(reps)} reps)", len(orders), seconds,
                   "per-rep Python loop", base)]


CASES = {
    "sample": (_bench_sample, 70.0, 2.0),
    "load": (_bench_load, 70.0, 2.0),
    "overview": (_bench_overview, 4.0, 1.0),
}
