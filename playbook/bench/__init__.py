"""Benchmarks: seconds for the kit's heavy steps, with ratios against in-run baselines.

Baselines are measured in the same run, so the machine's speed cancels out.

Each module adds its figures in a file of :mod:`playbook.bench.cases`. ``playbook bench`` (``make bench``)
prints one table and writes it to ``reports/bench.md``.

A ratio is ``kit seconds / baseline seconds``: below 1 the kit is faster than the
baseline (a naive per-rep loop), above 1 it costs that many times the baseline (a
bare ``pandas.read_csv`` that checks nothing).
"""

from __future__ import annotations

import importlib
import pkgutil
import time
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

import playbook.bench.cases as pkg

__all__ = ["Result", "cases", "run", "timed", "to_markdown"]


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


def timed(func: Callable[[], object], repeat: int = 1) -> tuple[float, object]:
    """Return (best seconds over ``repeat`` calls, the last value) for ``func()``."""
    best, value = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        value = func()
        best = min(best, time.perf_counter() - start)
    return best, value


def cases() -> dict[str, tuple[Callable[[float], list[Result]], float, float]]:
    """Collect ``CASES`` from every module in :mod:`playbook.bench.cases`.

    Each module there defines ``CASES = {name: (function_of_scale, full_scale,
    quick_scale)}``; a function returns a list of :class:`Result`.
    """
    found: dict[str, tuple[Callable[[float], list[Result]], float, float]] = {}
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        found.update(getattr(module, "CASES", {}))
    return found


def run(*, quick: bool = False, only: list[str] | None = None) -> pd.DataFrame:
    """Run the benchmark cases; return one row per figure."""
    results: list[Result] = []
    for name, (func, full, small) in cases().items():
        if only and name not in only:
            continue
        results += func(small if quick else full)
    return pd.DataFrame(
        [{"task": r.task, "rows": r.rows, "seconds": round(r.seconds, 3),
          "baseline": r.baseline, "baseline_seconds": round(r.baseline_seconds, 3),
          "ratio": float(f"{r.ratio:.3g}")} for r in results]
    )


def to_markdown(table: pd.DataFrame) -> str:
    """Format the benchmark table as Markdown (no extra dependency)."""
    cols = list(table.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in table.itertuples(index=False):
        lines.append("| " + " | ".join(f"{v:,}" if isinstance(v, int) else str(v)
                                       for v in row) + " |")
    return "# Benchmarks\n\nratio = seconds / baseline_seconds (same run)\n\n" + "\n".join(lines) + "\n"
