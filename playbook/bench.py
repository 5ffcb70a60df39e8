"""Benchmarks: seconds for the kit's heavy steps, and ratios against baselines
measured in the same run (so the machine's speed cancels out).

Each module adds its figures to :data:`CASES`. ``playbook bench`` (``make bench``)
prints one table and writes it to ``reports/bench.md``.

A ratio is ``kit seconds / baseline seconds``: below 1 the kit is faster than the
baseline (a naive per-rep loop), above 1 it costs that many times the baseline (a
bare ``pandas.read_csv`` that checks nothing).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

__all__ = ["Result", "CASES", "run", "to_markdown", "naive_rep_summary"]


@dataclass(frozen=True)
class Result:
    """One benchmark line."""

    task: str
    rows: int
    seconds: float
    baseline: str
    baseline_seconds: float

    @property
    def ratio(self) -> float:
        """Kit seconds over baseline seconds."""
        return self.seconds / self.baseline_seconds if self.baseline_seconds else float("nan")


def _timed(func: Callable[[], object], repeat: int = 1) -> tuple[float, object]:
    best, value = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        value = func()
        best = min(best, time.perf_counter() - start)
    return best, value


def naive_rep_summary(orders: pd.DataFrame, reps: pd.DataFrame, *, as_of: object) -> pd.DataFrame:
    """Baseline: YTD sales and new customers with a Python loop over reps.

    It gives the same figures as :func:`playbook.overview.rep_summary` for those columns
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
    from playbook.sample import generate

    seconds, tables = _timed(lambda: generate(seed=7, scale=scale))
    base, _ = _timed(lambda: generate(seed=7, scale=1.0))
    n = len(tables["orders"])
    return [Result(f"generate sample (scale {scale:g})", n, seconds,
                   "generate sample (scale 1)", base)]


def _bench_load(scale: float) -> list[Result]:
    from playbook.io import load_table
    from playbook.sample import generate, write_tables

    with tempfile.TemporaryDirectory() as tmp:
        write_tables({"orders": generate(seed=7, scale=scale)["orders"]}, tmp)
        path = Path(tmp) / "orders.csv"
        base, raw = _timed(lambda: pd.read_csv(path))
        seconds, _ = _timed(lambda: load_table(path, "orders"))
    return [Result("load + validate orders.csv", len(raw), seconds, "pandas.read_csv only", base)]


def _bench_overview(scale: float) -> list[Result]:
    from playbook.overview import rep_summary
    from playbook.sample import SAMPLE_AS_OF, generate

    tables = generate(seed=7, scale=scale)
    orders, reps = tables["orders"], tables["reps"]
    seconds, _ = _timed(lambda: rep_summary(orders, reps, tables["quotas"], as_of=SAMPLE_AS_OF),
                        repeat=3)
    base, _ = _timed(lambda: naive_rep_summary(orders, reps, as_of=SAMPLE_AS_OF))
    return [Result(f"team overview metrics ({len(reps)} reps)", len(orders), seconds,
                   "per-rep Python loop", base)]


# name -> (function of scale, scale for a full run, scale for --quick)
CASES: dict[str, tuple[Callable[[float], list[Result]], float, float]] = {
    "sample": (_bench_sample, 70.0, 2.0),
    "load": (_bench_load, 70.0, 2.0),
    "overview": (_bench_overview, 4.0, 1.0),
}


def run(*, quick: bool = False, only: list[str] | None = None) -> pd.DataFrame:
    """Run the benchmark cases; return one row per figure."""
    results: list[Result] = []
    for name, (func, full, small) in CASES.items():
        if only and name not in only:
            continue
        results += func(small if quick else full)
    return pd.DataFrame(
        [{"task": r.task, "rows": r.rows, "seconds": round(r.seconds, 3),
          "baseline": r.baseline, "baseline_seconds": round(r.baseline_seconds, 3),
          "ratio": round(r.ratio, 3)} for r in results]
    )


def to_markdown(table: pd.DataFrame) -> str:
    """Format the benchmark table as Markdown (no extra dependency)."""
    cols = list(table.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in table.itertuples(index=False):
        lines.append("| " + " | ".join(f"{v:,}" if isinstance(v, int) else str(v)
                                       for v in row) + " |")
    return "# Benchmarks\n\nratio = seconds / baseline_seconds (same run)\n\n" + "\n".join(lines) + "\n"
