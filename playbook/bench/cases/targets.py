"""Benchmark of target decomposition: a rep x month quota matrix, vectorised vs a per-cell loop."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from playbook.bench import Result, compare
from playbook.targets import decompose

__all__ = ["CASES", "synthetic_reps", "naive_quota_matrix"]


def synthetic_reps(n: int, *, plan_year: int = 2025, seed: int = 7) -> pd.DataFrame:
    """``n`` reps: most established, one in eight hired during ``plan_year``, one in twenty leaving.

    Examples
    --------
    >>> synthetic_reps(3).columns.tolist()
    ['rep_id', 'name', 'team', 'hire_date', 'leave_date']
    """
    rng = np.random.default_rng(seed)
    start = pd.Timestamp(year=plan_year, month=1, day=1)
    hire = start - pd.to_timedelta(rng.integers(30, 3000, n), unit="D")
    new = rng.random(n) < 0.125
    hire = hire.where(~new, start + pd.to_timedelta(rng.integers(0, 330, n), unit="D"))
    leave = pd.Series(start + pd.to_timedelta(rng.integers(60, 360, n), unit="D"))
    leave = leave.where((rng.random(n) < 0.05) & ~new)
    return pd.DataFrame({
        "rep_id": [f"R{i:05d}" for i in range(n)],
        "name": [f"Rep {i}" for i in range(n)],
        "team": [f"T{i % 40:02d}" for i in range(n)],
        "hire_date": hire,
        "leave_date": leave,
    })


def _cents(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def naive_quota_matrix(
    reps: pd.DataFrame, *, total: float, plan_year: int, month_shares: list[float],
    ramp: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0),
) -> pd.DataFrame:
    """Baseline: the spreadsheet-macro way, one Python step per rep and per cell.

    Capacity per rep and month (days on the team x ramp), quota per rep rounded to the
    cent with the rounding rest put on the last rep, then each cell rounded with the
    rest put on the rep's last month. Rows add up; columns (the monthly company
    targets) do not, which is what :func:`playbook.targets.rep_month_matrix` fixes.
    """
    months = [datetime.date(plan_year, m, 1) for m in range(1, 13)]
    ends = [(datetime.date(plan_year + (m == 12), m % 12 + 1, 1) - datetime.timedelta(days=1)) for m in range(1, 13)]
    caps, ids = [], []
    for rec in reps.itertuples(index=False):
        hire = rec.hire_date.date()
        leave = rec.leave_date.date() if not pd.isna(rec.leave_date) else datetime.date(9999, 12, 31)
        row = []
        for start, end in zip(months, ends, strict=True):
            lo, hi = max(start, hire), min(end, leave)
            days = max(0, (hi - lo).days + 1)
            k = (start.year - hire.year) * 12 + start.month - hire.month
            factor = 0.0 if k < 0 else ramp[min(k, len(ramp) - 1)]
            row.append(days / ((end - start).days + 1) * factor)
        if sum(row) > 0:
            caps.append(row)
            ids.append(rec.rep_id)
    weights = [sum(c * s for c, s in zip(row, month_shares, strict=True)) for row in caps]
    left = Decimal(str(total))
    quotas = []
    for i, w in enumerate(weights):
        q = left if i == len(weights) - 1 else _cents(Decimal(str(total)) * Decimal(w) / Decimal(sum(weights)))
        left -= q
        quotas.append(q)
    out = []
    for rep, q, row in zip(ids, quotas, caps, strict=True):
        shape = [c * s for c, s in zip(row, month_shares, strict=True)]
        last = max(j for j, v in enumerate(shape) if v > 0)
        rest = q
        for j, month in enumerate(months):
            cell = rest if j == last else _cents(q * Decimal(shape[j]) / Decimal(sum(shape)))
            rest -= cell if j != last else 0
            out.append((rep, month, float(cell)))
    return pd.DataFrame(out, columns=["rep_id", "month", "quota"])


def _bench_decompose(scale: float) -> list[Result]:
    n = int(scale)
    reps = synthetic_reps(n)
    shares = [0.077, 0.044, 0.076, 0.082, 0.086, 0.097, 0.072, 0.075, 0.083, 0.081, 0.092, 0.135]
    total = 1500.0 * 10_000 * n / 25  # about 600k CNY per rep
    seconds, base, plan, _ = compare(
        lambda: decompose(reps, target=total, plan_year=2025, time_method="custom", month_weights=shares,
                          rep_method="capacity"),
        lambda: naive_quota_matrix(reps, total=total, plan_year=2025, month_shares=shares), repeat=1)
    return [Result(f"decompose target: {n:,} reps x 12 months (rows and columns exact)", len(plan.matrix),
                   seconds, "per-cell Python loop (rows exact only: does less)", base, kind="naive", repeats=1)]


CASES = {
    "targets": (_bench_decompose, 2000.0, 200.0),
}
