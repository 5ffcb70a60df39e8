"""Target decomposition (目标分解), OKR and SMART checks, activity quotas and tracking.

The company target (an amount, or the base year's net sales x (1 + growth)) is split
into months and quarters (equal, seasonal or custom weights) and into per-rep annual
quotas (equal, historical share, capacity with a ramp for new hires, or weights such
as territory potential; manager overrides are honoured and the rest rebalanced). The
rep x month matrix matches both its row totals (rep quotas) and its column totals
(monthly company targets) exactly. From a rep's monthly quota the reverse funnel gives
the activity quota (deals, negotiations, intents, leads, visits). OKRs load from YAML,
their key results get progress from the data, and every goal is checked against the
five SMART criteria with an explanation. Tracking compares actual with target per rep
and period and builds the weekly-review table (周复盘).

Money is exact: every split works on integer cents with largest-remainder rounding
(:func:`allocate_cents`), so each level sums to its parent to the cent. Amounts are
CNY (floats with two decimals in frames).

Examples
--------
>>> import pandas as pd
>>> from playbook.targets import allocate, decompose
>>> allocate(100.0, [1, 1, 1]).tolist()
[33.34, 33.33, 33.33]
>>> reps = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann", "Bo"], "team": ["A", "A"]})
>>> plan = decompose(reps, target=1200.0, plan_year=2025, time_method="equal", rep_method="equal",
...                  ramp=())
>>> plan.reps[["rep_id", "quota"]]
  rep_id  quota
0     R1  600.0
1     R2  600.0
>>> plan.quarterly["target"].tolist()
[300.0, 300.0, 300.0, 300.0]
>>> float(plan.matrix["quota"].sum())
1200.0
"""

from __future__ import annotations

import math
import warnings
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from playbook.errors import InputError, ParameterError, PlaybookWarning, parse_date, require_columns
from playbook.labels import check_lang, t

__all__ = [
    "DEFAULT_RAMP",
    "TIME_METHODS",
    "REP_METHODS",
    "METRICS",
    "VAGUE_METRICS",
    "SMART_CRITERIA",
    "STATUS_BANDS",
    "KEY_ACCOUNT_MIN",
    "MONEY_COLUMNS",
    "PCT_COLUMNS",
    "CompanyTarget",
    "QuotaPlan",
    "OKR",
    "to_cents",
    "allocate_cents",
    "allocate",
    "allocate_matrix",
    "base_year_sales",
    "company_target",
    "yearly_shares",
    "seasonality",
    "split_year",
    "quarterly",
    "rep_capacity",
    "rep_quotas",
    "rep_month_matrix",
    "decompose",
    "funnel_rates",
    "activity_quota",
    "parse_okr",
    "load_okr",
    "metric_value",
    "okr_progress",
    "okr_table",
    "smart_check",
    "smart_table",
    "plan_checks",
    "track",
    "weekly_review",
    "default_month",
    "quota_sheets",
    "write_quota_workbook",
]

# ---------------------------------------------------------------------------------------
# Business rules (data with defaults; every one is a parameter of the functions using it)
# ---------------------------------------------------------------------------------------
DEFAULT_RAMP: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0)
"""Share of a full rep's capacity in the 1st, 2nd, 3rd ... month after hire (last repeats)."""
TIME_METHODS = ("equal", "seasonal", "custom")
"""Ways to split the year into months."""
REP_METHODS = ("equal", "history", "capacity", "weights")
"""Ways to split the company target between reps."""
STATUS_BANDS = (1.0, 0.9)
"""Pace (actual / expected to date) at or above which a rep is on track, at risk; below: behind."""
KEY_ACCOUNT_MIN = 30_000.0
"""Spend (CNY) in its first period from which a new customer counts as a key account."""
SMART_CRITERIA = ("specific", "measurable", "achievable", "relevant", "time_bound")
"""The five SMART criteria, in order (具体、可衡量、可达成、相关、有时限)."""
VAGUE_METRICS = (
    "better", "improve", "improvement", "more", "performance", "effort", "quality", "results",
    "success", "growth", "work hard", "best", "提升", "提高", "加强", "改善", "更好", "更多",
    "业绩", "努力", "效果", "质量", "成绩",
)
"""Metric names too vague to count (a SMART goal names what is counted)."""

# metric -> kind (ratio | count | money | days) and whether higher is better. ``lookback``:
# the metric needs a year of earlier data (new customers, growth, repurchase).
METRICS: dict[str, dict[str, Any]] = {
    "sales": {"kind": "money", "higher": True, "lookback": False},
    "sales_growth": {"kind": "ratio", "higher": True, "lookback": True},
    "orders": {"kind": "count", "higher": True, "lookback": False},
    "new_customers": {"kind": "count", "higher": True, "lookback": True},
    "new_key_accounts": {"kind": "count", "higher": True, "lookback": True},
    "repurchase_rate": {"kind": "ratio", "higher": True, "lookback": True},
    "repurchase_cycle_days": {"kind": "days", "higher": False, "lookback": True},
    "cycle_days": {"kind": "days", "higher": False, "lookback": False},
    "win_rate": {"kind": "ratio", "higher": True, "lookback": False},
    "avg_deal_size": {"kind": "money", "higher": True, "lookback": False},
    "visits": {"kind": "count", "higher": True, "lookback": False},
}
"""Key-result metrics the kit computes from the data (others are tracked by hand)."""

MONEY_COLUMNS = {
    "ytd_sales", "ytd_quota", "prior_ytd_sales", "net_sales", "amount", "quota", "spend",
    "base_salary", "target", "actual", "expected", "gap", "to_go", "run_rate", "needed_run_rate",
    "won_amount", "avg_deal_size", "base_actual",
}
"""Money columns of this module's frames (pass to ``report.style_table(money=...)``)."""
PCT_COLUMNS = {
    "attainment", "yoy_growth", "share", "pace", "growth", "lead_to_intent",
    "intent_to_negotiation", "negotiation_to_won", "progress", "available", "ramp", "capacity",
}
"""Ratio columns shown as percentages (pass to ``report.style_table(pct=...)``)."""

_MAX_CENTS = 2**53  # exact integers in float64


# ---------------------------------------------------------------------------------------
# Exact money: integer cents, largest remainder
# ---------------------------------------------------------------------------------------
def to_cents(amount: object, *, name: str = "amount") -> int:
    """Return ``amount`` (CNY) as whole cents, rounding half up.

    Examples
    --------
    >>> to_cents(1234.565), to_cents("0.1"), to_cents(7)
    (123457, 10, 700)
    """
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError):
        raise ParameterError(name, amount, "an amount in CNY such as 1250000.00") from None
    if not value.is_finite():
        raise ParameterError(name, amount, "a finite amount in CNY")
    return int(value * 100)


def _weights(weights: object, name: str) -> np.ndarray:
    try:
        w = np.asarray(weights, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(name, weights, "a list of numbers >= 0") from None
    if w.ndim != 1 or len(w) == 0:
        raise ParameterError(name, weights, "a non-empty list of numbers >= 0")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ParameterError(name, _short(weights), "finite numbers >= 0 (no negative or missing weight)")
    if not (w > 0).any():
        raise ParameterError(name, _short(weights), "at least one positive weight (they are all zero)")
    return w


def _short(values: object, limit: int = 12) -> object:
    if isinstance(values, (list, tuple, np.ndarray, pd.Series)):
        seq = list(np.asarray(values).tolist())
        return seq if len(seq) <= limit else seq[:limit] + ["..."]
    return values


def allocate_cents(total: int, weights: Sequence[float] | np.ndarray, *, name: str = "weights") -> np.ndarray:
    """Split ``total`` whole cents in proportion to ``weights``; the parts sum to ``total`` exactly.

    Largest-remainder (Hamilton) rounding: each part first gets the whole cents of its
    exact share; the cents left over go one each to the parts with the largest
    fractional remainders (ties: the earlier part). Every part is within one cent of
    its exact share, and a zero weight gets zero.

    Parameters
    ----------
    total : int
        Cents to split (>= 0).
    weights : sequence of float
        Non-negative weights, at least one positive.
    name : str
        Parameter name used in error messages.

    Returns
    -------
    numpy.ndarray
        int64 cents, one per weight.

    Examples
    --------
    >>> allocate_cents(1000, [1, 1, 1]).tolist()
    [334, 333, 333]
    >>> allocate_cents(1001, [2, 0, 1]).tolist()
    [667, 0, 334]
    """
    if isinstance(total, bool) or not isinstance(total, (int, np.integer)) or total < 0 or total >= _MAX_CENTS:
        raise ParameterError("total", total, "a whole number of cents >= 0")
    w = _weights(weights, name)
    w = w / w.max()
    exact = w / w.sum() * int(total)
    base = np.floor(exact).astype(np.int64)
    left = int(total) - int(base.sum())
    if left < 0 or left > len(w):  # pragma: no cover - float guard, cannot happen below 2**53
        raise RuntimeError("allocate_cents: rounding failed")
    # remainders rounded so float noise does not break ties (ties go to the earlier part)
    order = np.argsort(-np.round(exact - base, 9), kind="stable")
    base[order[:left]] += 1
    return base


def allocate(total: float, weights: Sequence[float] | np.ndarray, *, name: str = "weights") -> np.ndarray:
    """Split an amount in CNY in proportion to ``weights``, exact to the cent.

    Examples
    --------
    >>> allocate(0.05, [1, 1]).tolist()
    [0.03, 0.02]
    """
    cents = to_cents(total, name="total")
    if cents < 0:
        raise ParameterError("total", total, "an amount >= 0")
    return allocate_cents(cents, weights, name=name) / 100


def _rake(base: np.ndarray, rows: np.ndarray, cols: np.ndarray, *, max_iter: int = 5000) -> np.ndarray:
    """Scale by iterative proportional fitting: ``base`` to the row and column totals."""
    x = base.astype(float)
    tol = max(1e-6, 1e-12 * float(max(rows.max(initial=0), cols.max(initial=0))))
    for _ in range(max_iter):
        rs = x.sum(axis=1)
        x *= np.divide(rows, rs, out=np.zeros_like(rs), where=rs > 0)[:, None]
        cs = x.sum(axis=0)
        x *= np.divide(cols, cs, out=np.zeros_like(cs), where=cs > 0)[None, :]
        if np.abs(x.sum(axis=1) - rows).max(initial=0) <= tol:
            return x
    raise InputError(
        "rep quotas and monthly targets cannot be reconciled: some reps work only in months whose "
        "company targets are smaller than those reps' quotas (new hires late in the year or leavers "
        "with large overrides). Lower those reps' overrides, or check hire_date and leave_date."
    )


def _column_path(k: np.ndarray, excess: np.ndarray) -> list[int] | None:
    """Shortest chain of columns from one with excess cents to one short of cents (BFS)."""
    sources = [int(j) for j in np.flatnonzero(excess > 0)]
    prev: dict[int, int | None] = {j: None for j in sources}
    queue = deque(sources)
    while queue:
        j = queue.popleft()
        if excess[j] < 0:
            path = [j]
            while prev[path[-1]] is not None:
                path.append(prev[path[-1]])  # type: ignore[arg-type]
            return path[::-1]
        for nxt in np.flatnonzero(k[j] > 0):
            if int(nxt) not in prev:
                prev[int(nxt)] = j
                queue.append(int(nxt))
    return None


def allocate_matrix(
    row_totals: Sequence[int] | np.ndarray,
    col_totals: Sequence[int] | np.ndarray,
    *,
    base: np.ndarray | None = None,
) -> np.ndarray:
    """Whole-cent matrix whose rows sum to ``row_totals`` and columns to ``col_totals`` exactly.

    The exact (real) matrix is ``base`` scaled to both margins by iterative
    proportional fitting (``base=None``: proportional, ``row x col / total``). It is
    then rounded by *controlled rounding*, an iterative largest-remainder method:

    1. each row is rounded by largest remainder, so every row total is exact and
       every cell is its exact value rounded down or up;
    2. columns with cents in excess hand them to columns short of cents: a rep whose
       cell in column ``j`` was rounded up and whose cell in column ``l`` was rounded
       down moves one cent from ``j`` to ``l`` (his row total does not change). Moves
       follow the shortest chain of columns from an excess column to a short one
       (a search over the 12 months, vectorised over reps), preferring the reps whose
       rounding changes least. Repeat until every column is exact.

    Such a rounding always exists for a matrix with whole-cent margins (the
    transportation polytope has integral vertices), so every cell stays within one
    cent of its exact value. Cells where ``base`` is 0 stay 0.

    Parameters
    ----------
    row_totals, col_totals : sequence of int
        Whole cents (>= 0); both must sum to the same total.
    base : numpy.ndarray, optional
        Non-negative ``(rows, cols)`` shape of the matrix (e.g. capacity x seasonality).

    Returns
    -------
    numpy.ndarray
        int64 cents of shape ``(len(row_totals), len(col_totals))``.

    Examples
    --------
    >>> allocate_matrix([100, 200], [150, 150]).tolist()
    [[50, 50], [100, 100]]
    >>> m = allocate_matrix([1, 1, 1], [2, 1])
    >>> m.sum(axis=1).tolist(), m.sum(axis=0).tolist()
    ([1, 1, 1], [2, 1])
    """
    rows = np.asarray(row_totals, dtype=np.int64)
    cols = np.asarray(col_totals, dtype=np.int64)
    if rows.ndim != 1 or cols.ndim != 1 or (rows < 0).any() or (cols < 0).any():
        raise ParameterError("row_totals", _short(row_totals), "lists of whole cents >= 0")
    if int(rows.sum()) != int(cols.sum()):
        raise ParameterError(
            "col_totals", int(cols.sum()), f"the same total as row_totals ({int(rows.sum())} cents)"
        )
    n, m = len(rows), len(cols)
    if n == 0 or m == 0:
        return np.zeros((n, m), dtype=np.int64)
    total = int(rows.sum())
    if total == 0:
        return np.zeros((n, m), dtype=np.int64)
    if base is None:
        exact = np.outer(rows.astype(float), cols.astype(float)) / total
        support = (rows[:, None] > 0) & (cols[None, :] > 0)
    else:
        base = np.asarray(base, dtype=float)
        if base.shape != (n, m) or not np.isfinite(base).all() or (base < 0).any():
            raise ParameterError("base", base.shape, f"a ({n}, {m}) matrix of numbers >= 0")
        support = base > 0
        empty_rows = np.flatnonzero((rows > 0) & ~support.any(axis=1))
        empty_cols = np.flatnonzero((cols > 0) & ~support.any(axis=0))
        if len(empty_rows) or len(empty_cols):
            raise InputError(
                f"cannot place cents: rows {empty_rows.tolist()} / columns {empty_cols.tolist()} have a "
                "positive total but no cell where the base matrix is above 0"
            )
        exact = _rake(base, rows.astype(float), cols.astype(float))
        support = exact > 0
    floor = np.floor(exact)
    frac = exact - floor
    cells = floor.astype(np.int64)
    # step 1: rows by largest remainder (outside the support ranks last)
    need = rows - cells.sum(axis=1)
    order = np.argsort(-np.where(support, np.round(frac, 9), -1.0), axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(m), (n, m)), axis=1)
    cells += rank < need[:, None]
    # step 2: move cents between columns inside rows
    for _ in range(n * m + m):
        excess = cells.sum(axis=0) - cols
        if not excess.any():
            break
        for strict in (True, False):
            if strict:  # stay within floor / ceil of the exact value
                can_down = cells > floor
                can_up = (cells == floor) & (frac > 0) & support
            else:  # fallback (float noise): any cent inside the support may move
                can_down = (cells >= 1) & support
                can_up = support
            k = can_down.T.astype(np.int64) @ can_up.astype(np.int64)
            np.fill_diagonal(k, 0)
            path = _column_path(k, excess)
            if path is not None:
                break
        else:  # pragma: no cover - impossible for consistent margins on a support
            raise InputError("cannot round the rep x month matrix to whole cents with these totals")
        edges = list(zip(path[:-1], path[1:], strict=True))
        amount = int(min(excess[path[0]], -excess[path[-1]], *(k[j, dst] for j, dst in edges)))
        for j, dst in edges:
            cand = np.flatnonzero(can_down[:, j] & can_up[:, dst])
            cost = frac[cand, j] - frac[cand, dst] if strict else -cells[cand, j].astype(float)
            pick = cand[np.argsort(cost, kind="stable")[:amount]]
            cells[pick, j] -= 1
            cells[pick, dst] += 1
    return cells


# ---------------------------------------------------------------------------------------
# Company target
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CompanyTarget:
    """The company's target for ``plan_year`` and how it was set."""

    plan_year: int
    amount: float
    method: str  # "absolute" or "growth"
    base_year: int | None = None
    base_actual: float | None = None
    growth: float | None = None

    @property
    def cents(self) -> int:
        """The target in whole cents."""
        return to_cents(self.amount)

    def describe(self, lang: str = "en") -> str:
        """One sentence (Markdown) saying how the target was set.

        Examples
        --------
        >>> CompanyTarget(2025, 1_300_000.0, "growth", 2024, 1_000_000.0, 0.3).describe()
        'Target 2025 = net sales 2024 (1,000,000.00 CNY) × (1 + 30%) = **1,300,000.00 CNY**'
        """
        if self.method == "growth":
            return t("targets.company_growth", lang, plan_year=self.plan_year, base_year=self.base_year,
                     base_actual=f"{self.base_actual:,.2f}", growth=f"{self.growth:.0%}", target=f"{self.amount:,.2f}")
        return t("targets.company_absolute", lang, plan_year=self.plan_year, target=f"{self.amount:,.2f}")

    def to_frame(self) -> pd.DataFrame:
        """Return a one-row frame: plan_year, base_year, base_actual, growth, target.

        Examples
        --------
        >>> CompanyTarget(2025, 130.0, "growth", 2024, 100.0, 0.3).to_frame()
           plan_year  base_year  base_actual  growth  target
        0       2025       2024        100.0     0.3   130.0
        """
        return pd.DataFrame({
            "plan_year": [self.plan_year],
            "base_year": pd.array([self.base_year], dtype="Int64"),
            "base_actual": [np.nan if self.base_actual is None else self.base_actual],
            "growth": [np.nan if self.growth is None else self.growth],
            "target": [self.amount],
        })


_require = require_columns


def _year(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1900 <= int(value) <= 2200:
        raise ParameterError(name, value, "a calendar year such as 2025")
    return int(value)


_date = parse_date


def base_year_sales(
    orders: pd.DataFrame, *, year: int, date_col: str = "order_date", amount_col: str = "amount"
) -> float:
    """Net sales (orders minus refunds) in calendar ``year``, CNY.

    Examples
    --------
    >>> o = pd.DataFrame({"order_date": pd.to_datetime(["2024-03-01", "2024-07-01", "2025-01-01"]),
    ...                   "amount": [100.0, -10.0, 50.0]})
    >>> base_year_sales(o, year=2024)
    90.0
    """
    _require(orders, [date_col, amount_col], "orders")
    year = _year(year, "base_year")
    dates = pd.to_datetime(orders[date_col])
    return round(float(orders.loc[dates.dt.year == year, amount_col].sum()), 2)


def company_target(
    orders: pd.DataFrame | None = None,
    *,
    plan_year: int,
    amount: float | None = None,
    growth: float | None = None,
    base_year: int | None = None,
    date_col: str = "order_date",
    amount_col: str = "amount",
) -> CompanyTarget:
    """Set the company target: an absolute ``amount``, or base-year net sales x (1 + ``growth``).

    Parameters
    ----------
    orders : DataFrame, optional
        Needed with ``growth``: ``order_date``, ``amount`` (refunds negative).
    plan_year : int
        Year planned.
    amount : float, optional
        Absolute target in CNY (> 0). Takes precedence over ``growth``.
    growth : float, optional
        Growth over the base year, 0.30 = +30%; must be above -1 (-100%).
    base_year : int, optional
        Year whose net sales are grown; default ``plan_year - 1``.

    Returns
    -------
    CompanyTarget

    Warns
    -----
    PlaybookWarning
        When the orders stop before the end of the base year (its sales are incomplete).

    Examples
    --------
    The domain's example (section 1): annual sales +30%.

    >>> o = pd.DataFrame({"order_date": pd.to_datetime(["2024-01-05", "2024-12-20"]),
    ...                   "amount": [600_000.0, 400_000.0]})
    >>> company_target(o, plan_year=2025, growth=0.30).amount
    1300000.0
    >>> company_target(plan_year=2025, amount=2_000_000).method
    'absolute'
    """
    plan_year = _year(plan_year, "plan_year")
    if amount is not None:
        cents = to_cents(amount, name="amount")
        if cents <= 0:
            raise ParameterError("amount", amount, "a company target above 0 CNY")
        return CompanyTarget(plan_year, cents / 100, "absolute")
    if growth is None:
        raise ParameterError("growth", None, "a growth rate such as 0.30 (or give amount=)")
    try:
        g = float(growth)
    except (TypeError, ValueError):
        raise ParameterError("growth", growth, "a number such as 0.30 for +30%") from None
    if not math.isfinite(g) or g <= -1:
        raise ParameterError("growth", growth, "a growth rate above -1.0 (-100% would leave no target)")
    base_year = plan_year - 1 if base_year is None else _year(base_year, "base_year")
    if orders is None:
        raise ParameterError("orders", None, "the orders table, to grow the base year's sales")
    actual = base_year_sales(orders, year=base_year, date_col=date_col, amount_col=amount_col)
    if actual <= 0:
        raise InputError(
            f"orders: net sales in base_year={base_year} are {actual:,.2f} CNY, so growth cannot set a "
            "target; choose a base_year with sales or give an absolute amount="
        )
    last = pd.to_datetime(orders[date_col]).max()
    if pd.notna(last) and last < pd.Timestamp(year=base_year, month=12, day=1):
        warnings.warn(
            f"base_year={base_year} is incomplete in the orders (last order {last.date()}): "
            "its sales and the target are understated",
            PlaybookWarning,
            stacklevel=2,
        )
    cents = round(to_cents(actual) * (1 + g))
    if cents <= 0:
        raise ParameterError("growth", growth, "a growth rate that leaves a target above 0")
    return CompanyTarget(plan_year, cents / 100, "growth", base_year, actual, g)


# ---------------------------------------------------------------------------------------
# Time split
# ---------------------------------------------------------------------------------------
def _months(plan_year: int) -> pd.DatetimeIndex:
    return pd.date_range(f"{plan_year}-01-01", periods=12, freq="MS")


def yearly_shares(
    orders: pd.DataFrame,
    *,
    plan_year: int,
    years: int = 2,
    date_col: str = "order_date",
    amount_col: str = "amount",
) -> pd.DataFrame:
    """Each month's share of its year's net sales, for the ``years`` full years before ``plan_year``.

    A year counts as full when the orders start on or before its January and run to
    its December or later. Months with net refunds count as 0.

    Returns
    -------
    DataFrame
        ``year, month_of_year, net_sales, share`` (12 rows per year; shares sum to 1 per year).

    Raises
    ------
    InputError
        When the orders do not hold ``years`` full years before ``plan_year`` (the
        message says which years are there); ParameterError for a bad ``years``.

    Examples
    --------
    >>> o = pd.DataFrame({"order_date": pd.date_range("2024-01-01", periods=12, freq="MS"),
    ...                   "amount": [1.0] * 11 + [9.0]})
    >>> yearly_shares(o, plan_year=2025, years=1)["share"].tolist()[-2:]
    [0.05, 0.45]
    """
    _require(orders, [date_col, amount_col], "orders")
    plan_year = _year(plan_year, "plan_year")
    if isinstance(years, bool) or not isinstance(years, (int, np.integer)) or years < 1:
        raise ParameterError("years", years, "a whole number of years >= 1")
    wanted = list(range(plan_year - int(years), plan_year))
    dates = pd.to_datetime(orders[date_col])
    if dates.notna().sum() == 0:
        raise InputError(
            f"orders: no order history to learn seasonality from (years={years} full years before "
            f"plan_year={plan_year} are needed); use method='equal' or 'custom'"
        )
    first, last = dates.min(), dates.max()
    full = [y for y in wanted if first <= pd.Timestamp(year=y, month=1, day=31)
            and last >= pd.Timestamp(year=y, month=12, day=1)]
    if full != wanted:
        missing = [y for y in wanted if y not in full]
        raise InputError(
            f"orders: history too short for seasonality: years={years} full years before plan_year="
            f"{plan_year} are needed ({', '.join(map(str, wanted))}) but {', '.join(map(str, missing))} "
            f"{'is' if len(missing) == 1 else 'are'} not fully in the data (orders run {first.date()} to "
            f"{last.date()}); lower years= or use method='equal' or 'custom'"
        )
    keep = dates.dt.year.isin(wanted)
    grid = pd.MultiIndex.from_product([wanted, range(1, 13)], names=["year", "month_of_year"])
    sales = (
        orders.loc[keep, amount_col]
        .groupby([dates[keep].dt.year.rename("year"), dates[keep].dt.month.rename("month_of_year")])
        .sum()
        .reindex(grid, fill_value=0.0)
    )
    if (sales < 0).any():
        warnings.warn("months with net refunds count as zero in the seasonality", PlaybookWarning,
                      stacklevel=2)
    clipped = sales.clip(lower=0)
    totals = clipped.groupby(level="year").transform("sum")
    bad = sorted({y for y, v in totals.groupby(level="year").first().items() if v <= 0})
    if bad:
        raise InputError(f"orders: no net sales in {', '.join(map(str, bad))} to learn seasonality from")
    out = pd.DataFrame({"net_sales": sales.round(2), "share": clipped / totals}).reset_index()
    out["year"] = out["year"].astype("int64")
    out["month_of_year"] = out["month_of_year"].astype("int64")
    return out


def seasonality(
    orders: pd.DataFrame,
    *,
    plan_year: int,
    years: int = 2,
    date_col: str = "order_date",
    amount_col: str = "amount",
) -> pd.DataFrame:
    """Each calendar month's share of annual sales, averaged over the last ``years`` full years.

    Each year's shares are computed first and then averaged, so a growing year does not
    outweigh a flat one.

    Returns
    -------
    DataFrame
        ``month_of_year`` (1-12), ``share`` (sums to 1).

    Examples
    --------
    >>> o = pd.DataFrame({"order_date": pd.date_range("2023-01-01", periods=24, freq="MS"),
    ...                   "amount": ([2.0] + [1.0] * 11) * 2})
    >>> s = seasonality(o, plan_year=2025, years=2)
    >>> round(float(s["share"].iloc[0]), 4), round(float(s["share"].sum()), 10)
    (0.1538, 1.0)
    """
    shares = yearly_shares(orders, plan_year=plan_year, years=years, date_col=date_col, amount_col=amount_col)
    mean = shares.groupby("month_of_year")["share"].mean()
    return pd.DataFrame({"month_of_year": np.arange(1, 13, dtype="int64"), "share": (mean / mean.sum()).to_numpy()})


def split_year(
    total: float,
    *,
    plan_year: int,
    method: str = "equal",
    weights: Sequence[float] | None = None,
    orders: pd.DataFrame | None = None,
    years: int = 2,
    date_col: str = "order_date",
    amount_col: str = "amount",
) -> pd.DataFrame:
    """Split the company target into the 12 months of ``plan_year``, exact to the cent.

    Parameters
    ----------
    total : float
        Company target, CNY (> 0).
    plan_year : int
        Year planned.
    method : {"equal", "seasonal", "custom"}
        ``equal``: 1/12 each; ``seasonal``: the shares learnt by :func:`seasonality` from
        ``orders`` over ``years`` full years; ``custom``: the 12 ``weights``.
    weights : sequence of 12 floats, optional
        Month weights for ``custom`` (any scale, e.g. working days).

    Returns
    -------
    DataFrame
        ``month, quarter, share, target``: ``target`` sums exactly to ``total``.

    Examples
    --------
    >>> m = split_year(1000.0, plan_year=2025, method="custom", weights=[1] * 11 + [4])
    >>> m["target"].tolist()[-2:], round(float(m["target"].sum()), 2)
    ([66.67, 266.66], 1000.0)
    """
    plan_year = _year(plan_year, "plan_year")
    cents = to_cents(total, name="total")
    if cents <= 0:
        raise ParameterError("total", total, "a company target above 0 CNY")
    if method == "equal":
        w = np.ones(12)
    elif method == "seasonal":
        if orders is None:
            raise ParameterError("orders", None, "the orders table when method='seasonal'")
        w = seasonality(orders, plan_year=plan_year, years=years, date_col=date_col,
                        amount_col=amount_col)["share"].to_numpy()
    elif method == "custom":
        if weights is None or np.ndim(weights) != 1 or len(weights) != 12:
            raise ParameterError("weights", _short(weights), "12 month weights (January to December)")
        w = _weights(weights, "weights")
    else:
        raise ParameterError("method", method, "one of " + ", ".join(repr(m) for m in TIME_METHODS))
    months = _months(plan_year)
    # year -> quarters -> months: each quarter's cents first, then its months' cents
    quarter_cents = allocate_cents(cents, w.reshape(4, 3).sum(axis=1), name="weights")
    part = np.zeros(12, dtype=np.int64)
    for q in range(4):  # four quarters, not data rows
        if quarter_cents[q]:
            part[3 * q:3 * q + 3] = allocate_cents(int(quarter_cents[q]), w[3 * q:3 * q + 3], name="weights")
    return pd.DataFrame({
        "month": months,
        "quarter": months.to_period("Q").astype(str),
        "share": w / w.sum(),
        "target": part / 100,
    })


def quarterly(monthly: pd.DataFrame) -> pd.DataFrame:
    """Roll a :func:`split_year` frame up to quarters (sums of whole cents: exact).

    Examples
    --------
    >>> quarterly(split_year(1000.0, plan_year=2025))["target"].tolist()  # quarters first, then months
    [250.0, 250.0, 250.0, 250.0]
    """
    _require(monthly, ["quarter", "share", "target"], "monthly")
    cents = (monthly["target"] * 100).round().astype("int64")
    g = monthly.assign(_c=cents).groupby("quarter", sort=True)
    out = g.agg(share=("share", "sum"), _c=("_c", "sum")).reset_index()
    out["target"] = out.pop("_c") / 100
    return out


# ---------------------------------------------------------------------------------------
# Reps: capacity, annual quotas, rep x month matrix
# ---------------------------------------------------------------------------------------
def _ramp(ramp: Sequence[float] | None) -> np.ndarray:
    if ramp is None or len(ramp) == 0:
        return np.ones(1)
    try:
        r = np.asarray(ramp, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError("ramp", ramp, "a list of capacity shares such as [0.25, 0.5, 0.75, 1.0]") from None
    if r.ndim != 1 or not np.isfinite(r).all() or (r < 0).any() or (r > 1).any() or r[-1] <= 0:
        raise ParameterError("ramp", _short(ramp), "shares between 0 and 1, the last one above 0, "
                             "such as [0.25, 0.5, 0.75, 1.0]")
    return r


def _active_reps(reps: pd.DataFrame, plan_year: int, id_col: str, hire_col: str, leave_col: str,
                 ramp: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Reps on the team in ``plan_year``; their (available, ramp) matrices, reps x 12."""
    _require(reps, [id_col], "reps")
    if reps[id_col].isna().any() or reps[id_col].duplicated().any():
        dup = reps.loc[reps[id_col].duplicated(), id_col].tolist()
        raise InputError(f"reps.{id_col}: every rep needs one unique id (duplicated: {dup})")
    months = _months(plan_year)
    start = months.to_numpy()
    end = (months + pd.offsets.MonthEnd(0)).to_numpy()
    n = len(reps)
    far_past, far_future = np.datetime64("1900-01-01"), np.datetime64("2262-01-01")
    hire = (pd.to_datetime(reps[hire_col]).to_numpy(dtype="datetime64[D]") if hire_col in reps
            else np.full(n, np.datetime64("NaT"), dtype="datetime64[D]"))
    leave = (pd.to_datetime(reps[leave_col]).to_numpy(dtype="datetime64[D]") if leave_col in reps
             else np.full(n, np.datetime64("NaT"), dtype="datetime64[D]"))
    late = ~np.isnat(hire) & (hire > np.datetime64(f"{plan_year}-12-31"))
    if late.any():
        who = ", ".join(f"{r} ({h})" for r, h in zip(reps.loc[late, id_col], hire[late], strict=True))
        raise InputError(
            f"reps.{hire_col}: hire date after the plan period {plan_year} for {who}; remove them from "
            f"reps or plan the year they join"
        )
    h = np.where(np.isnat(hire), far_past, hire).astype("datetime64[D]")
    lv = np.where(np.isnat(leave), far_future, leave).astype("datetime64[D]")
    s = start.astype("datetime64[D]")[None, :]
    e = end.astype("datetime64[D]")[None, :]
    lo = np.maximum(s, h[:, None])
    hi = np.minimum(e, lv[:, None])
    days = np.clip((hi - lo).astype(np.int64) + 1, 0, None)
    available = days / ((e - s).astype(np.int64) + 1)
    hire_month = np.where(np.isnat(hire), -10**6,
                          hire.astype("datetime64[M]").astype(np.int64))
    k = (start.astype("datetime64[M]").astype(np.int64)[None, :] - hire_month[:, None])
    factor = np.where(k < 0, 0.0, ramp[np.clip(k, 0, len(ramp) - 1)])
    on_team = available.sum(axis=1) > 0
    return reps.loc[on_team].reset_index(drop=True), available[on_team], factor[on_team]


def rep_capacity(
    reps: pd.DataFrame,
    *,
    plan_year: int,
    ramp: Sequence[float] | None = DEFAULT_RAMP,
    id_col: str = "rep_id",
    hire_col: str = "hire_date",
    leave_col: str = "leave_date",
) -> pd.DataFrame:
    """Each rep's capacity per month of ``plan_year``: days on the team x ramp-up.

    ``available`` is the share of the month's days from ``hire_date`` to ``leave_date``
    (both inclusive). ``ramp`` is the share of a full rep's capacity in the month of
    hire (1st value), the next month (2nd) and so on; the last value holds after that.
    So a rep hired on 16 March (16 of 31 days) with the default ramp has
    ``16/31 x 25%`` in March, 50% in April, 75% in May and 100% from June. Reps who
    left before the year are dropped; reps without ``hire_date`` count as established.

    Returns
    -------
    DataFrame
        ``rep_id, month, available, ramp, capacity`` (``capacity = available x ramp``).

    Raises
    ------
    InputError
        When a rep's hire date is after the plan year.

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": ["N"], "hire_date": pd.to_datetime(["2025-03-16"])})
    >>> c = rep_capacity(reps, plan_year=2025)
    >>> [round(x, 4) for x in c["capacity"].iloc[2:6]]
    [0.129, 0.5, 0.75, 1.0]
    """
    plan_year = _year(plan_year, "plan_year")
    team, available, factor = _active_reps(reps, plan_year, id_col, hire_col, leave_col, _ramp(ramp))
    months = _months(plan_year)
    n = len(team)
    return pd.DataFrame({
        "rep_id": np.repeat(team[id_col].to_numpy(), 12),
        "month": np.tile(months, n) if n else months[:0],
        "available": available.ravel(),
        "ramp": factor.ravel(),
        "capacity": (available * factor).ravel(),
    })


def _rep_weights(team: pd.DataFrame, method: str, *, cap: np.ndarray, month_share: np.ndarray,
                 orders: pd.DataFrame | None, base_year: int, weights: object, id_col: str,
                 date_col: str, amount_col: str) -> np.ndarray:
    ids = team[id_col].astype(str).to_numpy()
    if method == "equal":
        return np.ones(len(team))
    if method == "capacity":
        return cap @ month_share
    if method == "history":
        if orders is None:
            raise ParameterError("orders", None, "the orders table when method='history'")
        _require(orders, ["rep_id", date_col, amount_col], "orders")
        dates = pd.to_datetime(orders[date_col])
        sales = orders.loc[dates.dt.year == base_year].groupby("rep_id")[amount_col].sum()
        w = pd.Series(ids).map(sales.rename(index=str)).fillna(0.0).clip(lower=0).to_numpy(dtype=float)
        if not (w > 0).any():
            raise InputError(f"orders: no rep has net sales in base_year={base_year}; use method='equal' "
                             "or 'capacity'")
        zero = ids[w == 0].tolist()
        if zero:
            warnings.warn(f"no sales in {base_year} for {', '.join(zero)}: method='history' gives them no "
                          "quota (set overrides= or use method='capacity')", PlaybookWarning, stacklevel=3)
        return w
    if method == "weights":
        if isinstance(weights, str):
            if weights not in team.columns:
                raise ParameterError("weights", weights, f"a column of reps (columns: {', '.join(team.columns)}) "
                                     "or a mapping rep_id -> weight")
            series = pd.Series(pd.to_numeric(team[weights], errors="coerce").to_numpy(), index=ids)
        elif isinstance(weights, Mapping):
            series = pd.Series({str(k): v for k, v in weights.items()}, dtype=float)
            unknown = sorted(set(series.index) - set(ids))
            if unknown:
                raise ParameterError("weights", _short(unknown), "weights only for reps on the team in the plan "
                                     f"year (unknown: {', '.join(unknown)})")
        else:
            raise ParameterError("weights", type(weights).__name__, "a mapping rep_id -> weight (e.g. territory "
                                 "potential) or a column name of reps")
        missing = [r for r in ids if r not in series.index or pd.isna(series.get(r))]
        if missing:
            raise ParameterError("weights", _short(missing), f"a weight for every rep (missing: {', '.join(missing)})")
        return _weights(series.reindex(ids).to_numpy(dtype=float), "weights")
    raise ParameterError("method", method, "one of " + ", ".join(repr(m) for m in REP_METHODS))


def rep_quotas(
    reps: pd.DataFrame,
    orders: pd.DataFrame | None = None,
    *,
    total: float,
    plan_year: int,
    method: str = "capacity",
    base_year: int | None = None,
    weights: Mapping[str, float] | str | None = None,
    ramp: Sequence[float] | None = DEFAULT_RAMP,
    overrides: Mapping[str, float] | None = None,
    month_shares: Sequence[float] | None = None,
    id_col: str = "rep_id",
    hire_col: str = "hire_date",
    leave_col: str = "leave_date",
    date_col: str = "order_date",
    amount_col: str = "amount",
) -> pd.DataFrame:
    """Annual quota per rep: the company ``total`` split by ``method``, with manager overrides.

    Parameters
    ----------
    reps : DataFrame
        ``rep_id`` (``name``, ``team``, ``hire_date``, ``leave_date`` optional). Reps who
        left before the plan year are dropped.
    orders : DataFrame, optional
        Needed for ``history``: ``rep_id, order_date, amount``.
    total : float
        Company target, CNY.
    method : {"equal", "history", "capacity", "weights"}
        ``equal``: same quota each; ``history``: share of ``base_year`` net sales;
        ``capacity``: share of capacity (months on the team x ramp, weighted by
        ``month_shares``); ``weights``: ``weights`` (mapping rep_id -> weight, or a
        column of ``reps`` such as territory potential).
    base_year : int, optional
        For ``history``; default ``plan_year - 1``.
    ramp : sequence of float
        Ramp-up curve for new hires (see :func:`rep_capacity`); ``()`` for none.
    overrides : mapping rep_id -> CNY, optional
        Quotas fixed by a manager. They are kept exactly; the rest of the total is
        split between the other reps in proportion to their ``method`` weights.
    month_shares : sequence of 12 floats, optional
        Weight of each month for ``capacity`` (default equal).

    Returns
    -------
    DataFrame
        ``rep_id, name, team, weight, is_override, share, quota``; quotas sum exactly to ``total``.

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "team": ["A", "A", "B"]})
    >>> q = rep_quotas(reps, total=1000.0, plan_year=2025, method="equal", overrides={"R1": 500.0})
    >>> q["quota"].tolist()
    [500.0, 250.0, 250.0]
    """
    plan_year = _year(plan_year, "plan_year")
    cents = to_cents(total, name="total")
    if cents <= 0:
        raise ParameterError("total", total, "a company target above 0 CNY")
    team, available, factor = _active_reps(reps, plan_year, id_col, hire_col, leave_col, _ramp(ramp))
    if team.empty:
        raise InputError(f"reps: nobody is on the team in {plan_year} (check hire_date and leave_date)")
    shares = np.ones(12) if month_shares is None else np.asarray(month_shares, dtype=float)
    if shares.shape != (12,):
        raise ParameterError("month_shares", _short(month_shares), "12 month weights")
    shares = _weights(shares, "month_shares") / shares.sum()
    base_year = plan_year - 1 if base_year is None else _year(base_year, "base_year")
    w = _rep_weights(team, method, cap=available * factor, month_share=shares, orders=orders, base_year=base_year,
                     weights=weights, id_col=id_col, date_col=date_col, amount_col=amount_col)
    ids = team[id_col].astype(str).to_numpy()
    quota = np.zeros(len(team), dtype=np.int64)
    fixed = np.zeros(len(team), dtype=bool)
    if overrides:
        ov = {str(k): v for k, v in overrides.items()}
        unknown = sorted(set(ov) - set(ids))
        if unknown:
            raise ParameterError("overrides", _short(unknown), "rep ids of reps on the team in "
                                 f"{plan_year} (unknown: {', '.join(unknown)})")
        ov_cents = {}
        for rep, value in ov.items():
            c = to_cents(value, name=f"overrides[{rep!r}]")
            if c < 0:
                raise ParameterError(f"overrides[{rep!r}]", value, "a quota >= 0 CNY")
            ov_cents[rep] = c
        fixed = np.isin(ids, list(ov_cents))
        quota[fixed] = [ov_cents[r] for r in ids[fixed]]
        if quota.sum() > cents:
            raise ParameterError(
                "overrides", {k: float(v) for k, v in ov.items()} if len(ov) <= 6 else f"{len(ov)} reps",
                f"overrides summing to at most the company target {cents / 100:,.2f} CNY "
                f"(they sum to {quota.sum() / 100:,.2f})",
            )
    rest = cents - int(quota.sum())
    free = ~fixed
    if rest > 0:
        if not (w[free] > 0).any():
            raise ParameterError("overrides", sorted(ids[fixed].tolist()),
                                 f"at least one rep without an override and with a positive weight to take the "
                                 f"remaining {rest / 100:,.2f} CNY")
        quota[free] = allocate_cents(rest, w[free])
    out = pd.DataFrame({
        "rep_id": ids,
        "name": team["name"].to_numpy() if "name" in team else pd.NA,
        "team": team["team"].to_numpy() if "team" in team else pd.NA,
        "weight": w.astype(float),
        "is_override": fixed,
        "share": quota / cents,
        "quota": quota / 100,
    })
    return out


def rep_month_matrix(
    quotas: pd.DataFrame,
    monthly: pd.DataFrame,
    reps: pd.DataFrame | None = None,
    *,
    plan_year: int,
    ramp: Sequence[float] | None = DEFAULT_RAMP,
    id_col: str = "rep_id",
    hire_col: str = "hire_date",
    leave_col: str = "leave_date",
) -> pd.DataFrame:
    """Rep x month quotas matching rep annual quotas and monthly company targets exactly.

    The shape of each rep's year is his capacity (days on the team x ramp, from
    ``reps``; everyone full-time without ``reps``) times the month's share of the
    company target; it is then fitted to both totals and rounded to whole cents by
    :func:`allocate_matrix`.

    Parameters
    ----------
    quotas : DataFrame
        ``rep_id, quota`` as returned by :func:`rep_quotas`.
    monthly : DataFrame
        ``month, target`` as returned by :func:`split_year`; sums to the same total.
    reps : DataFrame, optional
        ``rep_id, hire_date, leave_date`` for capacity.

    Returns
    -------
    DataFrame
        ``rep_id, month, quota``: the kit's ``quotas`` table, one row per rep and month.

    Examples
    --------
    >>> q = pd.DataFrame({"rep_id": ["R1", "R2"], "quota": [100.0, 200.0]})
    >>> m = split_year(300.0, plan_year=2025)
    >>> mat = rep_month_matrix(q, m, plan_year=2025)
    >>> mat.groupby("rep_id")["quota"].sum().round(2).tolist(), mat.groupby("month")["quota"].sum().round(2).unique()
    ([100.0, 200.0], array([25.]))
    """
    _require(quotas, [id_col, "quota"], "quotas")
    _require(monthly, ["month", "target"], "monthly")
    plan_year = _year(plan_year, "plan_year")
    rows = (quotas["quota"] * 100).round().astype("int64").to_numpy()
    cols = (monthly["target"] * 100).round().astype("int64").to_numpy()
    if len(cols) != 12:
        raise ParameterError("monthly", len(cols), "12 months")
    if rows.sum() != cols.sum():
        raise ParameterError("monthly", f"{cols.sum() / 100:,.2f}",
                             f"monthly targets summing to the rep quotas' total {rows.sum() / 100:,.2f}")
    ids = quotas[id_col].astype(str).to_numpy()
    shares = cols / cols.sum()
    if reps is not None:
        team, available, factor = _active_reps(reps, plan_year, id_col, hire_col, leave_col, _ramp(ramp))
        pos = pd.Index(team[id_col].astype(str)).get_indexer(ids)
        if (pos < 0).any():
            raise ParameterError("quotas", _short(ids[pos < 0].tolist()), f"reps on the team in {plan_year}")
        cap = (available * factor)[pos]
    else:
        cap = np.ones((len(ids), 12))
    months = pd.DatetimeIndex(pd.to_datetime(monthly["month"]))
    empty = (cols > 0) & ~(cap > 0).any(axis=0)
    if empty.any():
        raise InputError(
            f"reps: nobody is on the team in {', '.join(months[empty].strftime('%Y-%m'))}, yet the company "
            "targets of those months are above 0; give those months zero weight (method='custom') or check "
            "hire_date and leave_date"
        )
    idle = (rows > 0) & ~(cap > 0).any(axis=1)
    if idle.any():
        raise InputError(f"reps: {', '.join(ids[idle])} have a quota but no capacity in {plan_year} (ramp share 0); "
                         "lower their overrides or change ramp")
    cells = allocate_matrix(rows, cols, base=cap * shares[None, :])
    return pd.DataFrame({
        "rep_id": np.repeat(ids, 12),
        "month": np.tile(months, len(ids)) if len(ids) else months[:0],
        "quota": cells.ravel() / 100,
    })


@dataclass(frozen=True)
class QuotaPlan:
    """A full decomposition: company -> quarters -> months, company -> teams -> reps -> months."""

    target: CompanyTarget
    monthly: pd.DataFrame
    quarterly: pd.DataFrame
    teams: pd.DataFrame
    reps: pd.DataFrame
    matrix: pd.DataFrame
    capacity: pd.DataFrame


def decompose(
    reps: pd.DataFrame,
    orders: pd.DataFrame | None = None,
    *,
    target: CompanyTarget | float,
    plan_year: int,
    time_method: str = "seasonal",
    month_weights: Sequence[float] | None = None,
    years: int = 2,
    rep_method: str = "capacity",
    rep_weights: Mapping[str, float] | str | None = None,
    base_year: int | None = None,
    ramp: Sequence[float] | None = DEFAULT_RAMP,
    overrides: Mapping[str, float] | None = None,
    id_col: str = "rep_id",
    hire_col: str = "hire_date",
    leave_col: str = "leave_date",
    date_col: str = "order_date",
    amount_col: str = "amount",
) -> QuotaPlan:
    """Decompose the company target into quarters, months, teams, reps and rep x month.

    Every level sums exactly (to the cent) to its parent. See :func:`split_year`
    (``time_method``, ``month_weights``, ``years``), :func:`rep_quotas` (``rep_method``,
    ``rep_weights``, ``ramp``, ``overrides``) and :func:`rep_month_matrix`.

    Returns
    -------
    QuotaPlan
        ``monthly`` (month, quarter, share, target), ``quarterly`` (quarter, share,
        target), ``teams`` (team, reps, quota, share), ``reps`` (see
        :func:`rep_quotas`), ``matrix`` (rep_id, month, quota), ``capacity`` (see
        :func:`rep_capacity`).

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": ["R1", "R2"], "team": ["A", "B"],
    ...                      "hire_date": pd.to_datetime(["2020-01-01", "2025-07-01"])})
    >>> plan = decompose(reps, target=1000.0, plan_year=2025, time_method="equal")
    >>> plan.reps["quota"].tolist()  # capacity 12 months vs 0.25 + 0.5 + 0.75 + 3 = 4.5 months
    [727.27, 272.73]
    >>> (plan.matrix.query("rep_id == 'R2'")["quota"] > 0).tolist()
    [False, False, False, False, False, False, True, True, True, True, True, True]
    """
    plan_year = _year(plan_year, "plan_year")
    if not isinstance(target, CompanyTarget):
        target = company_target(plan_year=plan_year, amount=target)
    monthly = split_year(target.amount, plan_year=plan_year, method=time_method, weights=month_weights,
                         orders=orders, years=years, date_col=date_col, amount_col=amount_col)
    quotas = rep_quotas(reps, orders, total=target.amount, plan_year=plan_year, method=rep_method,
                        base_year=base_year, weights=rep_weights, ramp=ramp, overrides=overrides,
                        month_shares=monthly["share"].to_numpy(), id_col=id_col, hire_col=hire_col,
                        leave_col=leave_col, date_col=date_col, amount_col=amount_col)
    matrix = rep_month_matrix(quotas, monthly, reps, plan_year=plan_year, ramp=ramp, id_col=id_col,
                              hire_col=hire_col, leave_col=leave_col)
    capacity = rep_capacity(reps, plan_year=plan_year, ramp=ramp, id_col=id_col, hire_col=hire_col,
                            leave_col=leave_col)
    cents = (quotas["quota"] * 100).round().astype("int64")
    teams = (
        quotas.assign(_c=cents, team=quotas["team"].fillna("—") if quotas["team"].notna().any() else "—")
        .groupby("team", sort=True)
        .agg(reps=("rep_id", "size"), _c=("_c", "sum"))
        .reset_index()
    )
    teams["quota"] = teams.pop("_c") / 100
    teams["share"] = teams["quota"] / target.amount
    return QuotaPlan(target, monthly, quarterly(monthly), teams, quotas, matrix, capacity)


# ---------------------------------------------------------------------------------------
# Reverse funnel: activity quota from a revenue quota
# ---------------------------------------------------------------------------------------
_FUNNEL_COUNTS = ["leads", "intents", "negotiations", "won", "won_amount", "leads_created", "visits"]
_RATES = {"lead_to_intent": ("intents", "leads"), "intent_to_negotiation": ("negotiations", "intents"),
          "negotiation_to_won": ("won", "negotiations")}


def funnel_rates(
    opportunities: pd.DataFrame,
    activities: pd.DataFrame | None = None,
    *,
    as_of: object,
    months: int = 12,
) -> pd.DataFrame:
    """Per rep: stage conversion rates, average deal size and visits per lead over ``months``.

    Rates come from the opportunities *created* in the ``months`` before ``as_of`` that
    are closed (won or lost) by then: a stage counts as reached when its date is set or
    a later stage was reached (so counts never grow downstream). ``avg_deal_size`` is
    the mean won amount. ``visits_per_lead`` is visits (from ``activities``, weeks in
    the window) per lead created in the window, open ones included.

    Returns
    -------
    DataFrame
        ``rep_id, leads, intents, negotiations, won, won_amount, leads_created, visits,
        lead_to_intent, intent_to_negotiation, negotiation_to_won, avg_deal_size,
        visits_per_lead`` (rates NaN where nothing to divide by).

    Examples
    --------
    >>> opp = pd.DataFrame({"rep_id": ["R1"] * 4, "amount": [10.0, 20.0, 5.0, 5.0],
    ...     "created_date": pd.to_datetime(["2025-01-01"] * 4),
    ...     "intent_date": pd.to_datetime(["2025-01-05", "2025-01-05", "2025-01-05", None]),
    ...     "negotiation_date": pd.to_datetime(["2025-01-09", "2025-01-09", None, None]),
    ...     "closed_date": pd.to_datetime(["2025-02-01"] * 4),
    ...     "outcome": ["won", "lost", "lost", "lost"]})
    >>> r = funnel_rates(opp, as_of="2025-06-30")
    >>> r[["lead_to_intent", "intent_to_negotiation", "negotiation_to_won", "avg_deal_size"]].iloc[0].tolist()
    [0.75, 0.6666666666666666, 0.5, 10.0]
    """
    _require(opportunities, ["rep_id", "amount", "created_date", "intent_date", "negotiation_date",
                             "closed_date", "outcome"], "opportunities")
    end = _date(as_of, "as_of")
    if isinstance(months, bool) or not isinstance(months, (int, np.integer)) or months < 1:
        raise ParameterError("months", months, "a whole number of months >= 1")
    start = end - pd.DateOffset(months=int(months)) + pd.Timedelta(days=1)
    opp = opportunities
    created = pd.to_datetime(opp["created_date"])
    in_window = (created >= start) & (created <= end)
    closed_by = pd.to_datetime(opp["closed_date"]) <= end
    outcome = opp["outcome"].astype(str)
    done = in_window & closed_by & outcome.isin(["won", "lost"])
    won = done & (outcome == "won")
    neg = done & (pd.to_datetime(opp["negotiation_date"]).notna() | won)
    intent = done & (pd.to_datetime(opp["intent_date"]).notna() | neg)
    rep = opp["rep_id"].astype(str)
    frame = pd.DataFrame({
        "rep_id": rep, "leads": done.astype("int64"), "intents": intent.astype("int64"),
        "negotiations": neg.astype("int64"), "won": won.astype("int64"),
        "won_amount": opp["amount"].where(won, 0.0), "leads_created": in_window.astype("int64"),
    })
    out = frame.groupby("rep_id", sort=True).sum()
    if activities is not None:
        _require(activities, ["rep_id", "week", "visits"], "activities")
        week = pd.to_datetime(activities["week"])
        act = activities.loc[(week >= start) & (week <= end)]
        visits = act.groupby(act["rep_id"].astype(str))["visits"].sum()
        out = out.reindex(out.index.union(visits.index), fill_value=0)
        out["visits"] = visits.reindex(out.index, fill_value=0).astype("int64")
    else:
        out["visits"] = 0
    out = out.reset_index()
    return _with_rates(out)


def _with_rates(counts: pd.DataFrame) -> pd.DataFrame:
    out = counts.copy()
    for col in ["leads", "intents", "negotiations", "won", "leads_created", "visits"]:
        out[col] = out[col].astype("int64")
    out["won_amount"] = out["won_amount"].astype(float).round(2)
    for rate, (num, den) in _RATES.items():
        out[rate] = out[num] / out[den].where(out[den] > 0)
    out["avg_deal_size"] = (out["won_amount"] / out["won"].where(out["won"] > 0)).round(2)
    out["visits_per_lead"] = (out["visits"] / out["leads_created"].where(out["leads_created"] > 0)).round(2)
    return out[["rep_id", *_FUNNEL_COUNTS, *_RATES, "avg_deal_size", "visits_per_lead"]]


def _ceil(x: pd.Series | np.ndarray) -> np.ndarray:
    return np.ceil(np.asarray(x, dtype=float) - 1e-9).astype("int64")


def activity_quota(
    quotas: pd.DataFrame,
    rates: pd.DataFrame,
    reps: pd.DataFrame | None = None,
    *,
    basis: str = "rep",
    min_leads: int = 20,
) -> pd.DataFrame:
    """Monthly activity quota from the revenue quota (reverse funnel), rounded up.

    ``deals = ceil(quota / avg_deal_size)``, ``negotiations = ceil(deals /
    negotiation_to_won)``, ``intents = ceil(negotiations / intent_to_negotiation)``,
    ``leads = ceil(intents / lead_to_intent)``, ``visits = ceil(leads x
    visits_per_lead)``. Each step rounds the previous step's whole number up.

    Parameters
    ----------
    quotas : DataFrame
        ``rep_id, month, quota`` (e.g. :func:`rep_month_matrix`).
    rates : DataFrame
        :func:`funnel_rates` output.
    reps : DataFrame, optional
        ``rep_id, name, team`` to show who is who.
    basis : {"rep", "team"}
        ``rep``: each rep's own rates when he closed at least ``min_leads`` leads and
        has every rate above 0, else the whole team's (pooled); ``team``: pooled for all.

    Returns
    -------
    DataFrame
        ``rep_id, name, team, month, quota, source, avg_deal_size, deals, negotiations,
        intents, leads, visits`` (``source`` is ``rep`` or ``team``).

    Examples
    --------
    >>> rates = pd.DataFrame({"rep_id": ["R1"], "leads": [40], "intents": [20], "negotiations": [10],
    ...     "won": [5], "won_amount": [50_000.0], "leads_created": [40], "visits": [120]})
    >>> q = pd.DataFrame({"rep_id": ["R1"], "month": pd.to_datetime(["2025-10-01"]), "quota": [45_000.0]})
    >>> a = activity_quota(q, rates)
    >>> a["avg_deal_size"].iloc[0], a[["deals", "negotiations", "intents", "leads", "visits"]].iloc[0].tolist()
    (np.float64(10000.0), [5, 10, 20, 40, 120])
    """
    _require(quotas, ["rep_id", "month", "quota"], "quotas")
    _require(rates, ["rep_id", "leads", "intents", "negotiations", "won", "won_amount", "leads_created",
                     "visits"], "rates")
    if basis not in ("rep", "team"):
        raise ParameterError("basis", basis, "'rep' or 'team'")
    own = _with_rates(rates[["rep_id", *_FUNNEL_COUNTS]]).set_index("rep_id")
    pooled = _with_rates(own[_FUNNEL_COUNTS].sum().to_frame().T.assign(rep_id="team")).iloc[0]
    bad = [r for r in [*_RATES, "avg_deal_size"] if not pooled[r] > 0]
    if bad:
        raise InputError(f"opportunities: the team's {', '.join(bad)} is 0 or unknown (no closed deals in the "
                         "window?), so no activity quota can be derived; widen months= or check the data")
    rep = quotas["rep_id"].astype(str)
    mine = own.reindex(rep)
    usable = (mine["leads"] >= min_leads) & (mine[[*_RATES, "avg_deal_size"]] > 0).all(axis=1)
    if basis == "team":
        usable[:] = False
    cols = [*_RATES, "avg_deal_size", "visits_per_lead"]
    use = mine[cols].where(np.repeat(usable.to_numpy()[:, None], len(cols), axis=1))
    use = use.fillna({c: pooled[c] for c in use.columns}).fillna({"visits_per_lead": 0.0})
    quota = quotas["quota"].to_numpy(dtype=float)
    deals = _ceil(np.clip(quota, 0, None) / use["avg_deal_size"].to_numpy(dtype=float))
    negs = _ceil(deals / use["negotiation_to_won"].to_numpy(dtype=float))
    intents = _ceil(negs / use["intent_to_negotiation"].to_numpy(dtype=float))
    leads = _ceil(intents / use["lead_to_intent"].to_numpy(dtype=float))
    visits = _ceil(leads * use["visits_per_lead"].to_numpy(dtype=float))
    name, team = _rep_info(rep.reset_index(drop=True), reps)
    return pd.DataFrame({
        "rep_id": rep.to_numpy(),
        "name": name,
        "team": team,
        "month": quotas["month"].to_numpy(),
        "quota": quota,
        "source": np.where(usable.to_numpy(), "rep", "team"),
        "avg_deal_size": use["avg_deal_size"].to_numpy(dtype=float),
        "deals": deals, "negotiations": negs, "intents": intents, "leads": leads, "visits": visits,
    })


# ---------------------------------------------------------------------------------------
# OKR: load, progress from data, SMART check
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OKR:
    """Objectives and key results as two frames (see :func:`parse_okr`)."""

    objectives: pd.DataFrame
    key_results: pd.DataFrame
    plan_year: int | None = None


_OBJ_COLUMNS = ["objective_id", "title_en", "title_zh", "owner", "parent_id", "depth"]
_KR_COLUMNS = ["kr_id", "objective_id", "title_en", "title_zh", "metric", "baseline", "target", "target_text",
               "unit", "start", "deadline", "deadline_text", "period", "owner", "scope", "actual", "min_spend"]


def _text(value: object) -> str:
    """Return ``value`` as stripped text; missing values (None, NaN, NA) as ''."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).strip()


def _title(value: object) -> tuple[str, str]:
    if isinstance(value, Mapping):
        en, zh = value.get("en"), value.get("zh")
        en = "" if en is None else str(en)
        zh = "" if zh is None else str(zh)
        return en or zh, zh or en
    text = "" if value is None else str(value)
    return text, text


def _number(value: object) -> float:
    if value is None or isinstance(value, bool):
        return np.nan
    try:
        x = float(str(value).strip().rstrip("%")) / (100 if str(value).strip().endswith("%") else 1)
    except ValueError:
        return np.nan
    return x if math.isfinite(x) else np.nan


def _maybe_date(value: object) -> pd.Timestamp | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        return None
    return None if pd.isna(ts) else ts.normalize()


def parse_okr(data: Mapping[str, Any]) -> OKR:
    """Build an :class:`OKR` from a mapping (a parsed YAML file, see ``templates/okr_example.yaml``).

    ``objectives``: list of ``{id, title, owner, parent, key_results: [...]}``; a
    key result is ``{id, title, metric, baseline, target, unit, deadline, period,
    start, owner, scope, actual, min_spend}``. Titles are text or ``{en, zh}``.
    A top-level ``key_results`` list holds goals not nested in an objective (each
    may name its ``objective``), e.g. drafts to check with :func:`smart_check`.

    Raises
    ------
    InputError
        Missing or duplicated ids, a parent objective that does not exist, a cycle.

    Examples
    --------
    >>> okr = parse_okr({"objectives": [{"id": "O1", "title": "Grow", "key_results": [
    ...     {"id": "KR1", "metric": "sales_growth", "target": "30%", "deadline": "2025-12-31"}]}]})
    >>> okr.key_results[["kr_id", "objective_id", "target"]].to_dict("records")
    [{'kr_id': 'KR1', 'objective_id': 'O1', 'target': 0.3}]
    """
    if not isinstance(data, Mapping):
        raise InputError("okr: expected a mapping with 'objectives' (and optionally 'key_results')")
    objs, krs = [], []

    def kr_row(kr: Mapping[str, Any], objective: object, where: str) -> dict[str, Any]:
        if not isinstance(kr, Mapping) or not str(kr.get("id") or "").strip():
            raise InputError(f"okr: {where} needs an id")
        en, zh = _title(kr.get("title"))
        deadline = kr.get("deadline")
        period = str(kr.get("period") or "").strip()
        if period not in ("", "year", "quarter", "month"):
            raise InputError(f"okr: {where}.period must be year, quarter or month (got {period!r})")
        return {
            "kr_id": str(kr["id"]).strip(), "objective_id": None if objective is None else str(objective),
            "title_en": en, "title_zh": zh, "metric": str(kr.get("metric") or "").strip(),
            "baseline": _number(kr.get("baseline")), "target": _number(kr.get("target")),
            "target_text": "" if kr.get("target") is None else str(kr.get("target")),
            "unit": str(kr.get("unit") or ""), "start": _maybe_date(kr.get("start")),
            "deadline": _maybe_date(deadline), "deadline_text": "" if deadline is None else str(deadline),
            "period": period, "owner": str(kr.get("owner") or "").strip(),
            "scope": str(kr.get("scope") or "company").strip(), "actual": _number(kr.get("actual")),
            "min_spend": _number(kr.get("min_spend")),
        }

    for i, obj in enumerate(data.get("objectives") or []):
        if not isinstance(obj, Mapping) or not str(obj.get("id") or "").strip():
            raise InputError(f"okr: objectives[{i}] needs an id")
        oid = str(obj["id"]).strip()
        en, zh = _title(obj.get("title"))
        parent = obj.get("parent")
        objs.append({"objective_id": oid, "title_en": en, "title_zh": zh, "owner": str(obj.get("owner") or ""),
                     "parent_id": None if parent in (None, "") else str(parent), "depth": 0})
        for j, kr in enumerate(obj.get("key_results") or []):
            krs.append(kr_row(kr, oid, f"objectives[{i}].key_results[{j}]"))
    for j, kr in enumerate(data.get("key_results") or []):
        krs.append(kr_row(kr, kr.get("objective") if isinstance(kr, Mapping) else None, f"key_results[{j}]"))
    objectives = pd.DataFrame(objs, columns=_OBJ_COLUMNS)
    key_results = pd.DataFrame(krs, columns=_KR_COLUMNS)
    for frame, col in ((objectives, "objective_id"), (key_results, "kr_id")):
        dup = frame.loc[frame[col].duplicated(), col].tolist()
        if dup:
            raise InputError(f"okr: {col} must be unique (duplicated: {', '.join(dup)})")
    parents = {o["objective_id"]: o["parent_id"] for o in objs}
    unknown = sorted({p for p in parents.values() if p is not None and p not in parents})
    if unknown:
        raise InputError(f"okr: parent objective(s) {', '.join(unknown)} do not exist")
    depth = {}
    for oid in parents:  # objectives are few: a walk up the tree each
        seen, node = [oid], parents[oid]
        while node is not None:
            if node in seen:
                raise InputError(f"okr: objectives form a cycle: {' -> '.join([*seen, node])}")
            seen.append(node)
            node = parents[node]
        depth[oid] = len(seen) - 1
    objectives["depth"] = objectives["objective_id"].map(depth).astype("int64")
    for col in ["baseline", "target", "actual", "min_spend"]:
        key_results[col] = key_results[col].astype(float)
    for col in ["start", "deadline"]:
        key_results[col] = pd.to_datetime(key_results[col])
    plan_year = data.get("plan_year")
    return OKR(objectives, key_results, int(plan_year) if plan_year else None)


def load_okr(path: str | Path | None = None) -> OKR:
    """Read an OKR YAML file (default ``templates/okr_example.yaml``) with :func:`parse_okr`.

    Examples
    --------
    >>> okr = load_okr()
    >>> okr.objectives["objective_id"].tolist()
    ['O1', 'O2', 'O3']
    """
    import yaml

    from playbook import paths

    p = paths.TEMPLATES_DIR / "okr_example.yaml" if path is None else paths.resolve(path)
    if not Path(p).is_file():
        raise ParameterError("okr_file", str(path), "a YAML file of objectives and key results")
    try:
        data = yaml.safe_load(Path(p).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"{Path(p).name}: not valid YAML: {exc}") from None
    return parse_okr(data or {})


def _scope_reps(scope: str, reps: pd.DataFrame | None) -> set[str] | None:
    """Return the rep ids in scope, or None for the whole company."""
    if not scope or scope == "company":
        return None
    kind, _, value = scope.partition(":")
    if kind == "rep" and value:
        return {value}
    if kind == "team" and value:
        if reps is None:
            raise ParameterError("reps", None, f"the reps table, for scope {scope!r}")
        return set(reps.loc[reps["team"].astype(str) == value, "rep_id"].astype(str))
    raise ParameterError("scope", scope, "'company', 'team:<team>' or 'rep:<rep_id>'")


def metric_value(
    metric: str,
    *,
    start: object,
    end: object,
    orders: pd.DataFrame,
    opportunities: pd.DataFrame | None = None,
    activities: pd.DataFrame | None = None,
    reps: pd.DataFrame | None = None,
    scope: str = "company",
    min_spend: float = KEY_ACCOUNT_MIN,
) -> float:
    """Value of a :data:`METRICS` metric over the days ``start``..``end`` (inclusive).

    - ``sales``: net sales; ``sales_growth``: net sales over the same days a year
      earlier, minus 1; ``orders``: orders with a positive amount.
    - ``new_customers``: customers whose first order ever falls in the window;
      ``new_key_accounts``: those of them who spent at least ``min_spend`` in the window.
    - ``repurchase_rate``: of the customers who ordered in the 365 days before
      ``start``, the share who ordered again in the window.
    - ``repurchase_cycle_days``: median days between a customer's consecutive orders,
      for repeat orders in the window.
    - ``cycle_days``: median days from lead created to won, deals won in the window;
      ``win_rate``: won / closed; ``avg_deal_size``: mean won amount (opportunities).
    - ``visits``: customer visits (activities, weeks starting in the window).

    ``scope`` is ``company``, ``team:<team>`` (needs ``reps``) or ``rep:<rep_id>``.
    NaN when there is nothing to measure.

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": ["A", "A", "B"], "rep_id": ["R1"] * 3, "amount": [10.0, 20.0, 5.0],
    ...                   "order_date": pd.to_datetime(["2024-01-10", "2025-01-20", "2025-02-01"])})
    >>> metric_value("new_customers", start="2025-01-01", end="2025-03-31", orders=o)
    1.0
    >>> metric_value("repurchase_cycle_days", start="2025-01-01", end="2025-03-31", orders=o)
    376.0
    """
    if metric not in METRICS:
        raise ParameterError("metric", metric, "one of " + ", ".join(METRICS))
    start, end = _date(start, "start"), _date(end, "end")
    keep = _scope_reps(scope, reps)

    def scoped(frame: pd.DataFrame) -> pd.DataFrame:
        return frame if keep is None else frame.loc[frame["rep_id"].astype(str).isin(keep)]

    if metric in ("cycle_days", "win_rate", "avg_deal_size"):
        if opportunities is None:
            return np.nan
        opp = scoped(opportunities)
        closed = pd.to_datetime(opp["closed_date"])
        inside = (closed >= start) & (closed <= end)
        won = inside & (opp["outcome"].astype(str) == "won")
        if metric == "win_rate":
            n = int((inside & opp["outcome"].astype(str).isin(["won", "lost"])).sum())
            return float(won.sum() / n) if n else np.nan
        if metric == "avg_deal_size":
            return round(float(opp.loc[won, "amount"].mean()), 2) if won.any() else np.nan
        days = (closed[won] - pd.to_datetime(opp.loc[won, "created_date"])).dt.days
        return float(days.median()) if len(days) else np.nan
    if metric == "visits":
        if activities is None:
            return np.nan
        act = scoped(activities)
        week = pd.to_datetime(act["week"])
        return float(act.loc[(week >= start) & (week <= end), "visits"].sum())
    o = scoped(orders) if metric not in ("new_customers", "new_key_accounts") else orders
    dates = pd.to_datetime(o["order_date"])
    inside = (dates >= start) & (dates <= end)
    if metric == "sales":
        return round(float(o.loc[inside, "amount"].sum()), 2)
    if metric == "orders":
        return float((inside & (o["amount"] > 0)).sum())
    if metric == "sales_growth":
        p_start, p_end = start - pd.DateOffset(years=1), end - pd.DateOffset(years=1)
        prior = float(o.loc[(dates >= p_start) & (dates <= p_end), "amount"].sum())
        return float(o.loc[inside, "amount"].sum()) / prior - 1 if prior > 0 else np.nan
    pos = o.loc[o["amount"] > 0].assign(_d=dates[o["amount"] > 0])
    if metric in ("new_customers", "new_key_accounts"):
        first = pos.sort_values("_d", kind="stable").drop_duplicates("customer_id")
        new = first.loc[(first["_d"] >= start) & (first["_d"] <= end)]
        if keep is not None:  # credited to the rep of the first order
            new = new.loc[new["rep_id"].astype(str).isin(keep)]
        if metric == "new_customers":
            return float(len(new))
        spend = o.loc[inside].groupby("customer_id")["amount"].sum()
        return float((new["customer_id"].map(spend).fillna(0) >= min_spend).sum())
    if metric == "repurchase_rate":
        before = pos.loc[(pos["_d"] < start) & (pos["_d"] >= start - pd.Timedelta(days=365)), "customer_id"]
        again = pos.loc[(pos["_d"] >= start) & (pos["_d"] <= end), "customer_id"]
        base = set(before)
        return len(base & set(again)) / len(base) if base else np.nan
    # repurchase_cycle_days
    pos = pos.sort_values(["customer_id", "_d"], kind="stable")
    gap = pos.groupby("customer_id")["_d"].diff().dt.days
    sel = gap[(pos["_d"] >= start) & (pos["_d"] <= end)].dropna()
    return float(sel.median()) if len(sel) else np.nan


def _window(period: str, start: pd.Timestamp | None, deadline: pd.Timestamp | None, as_of: pd.Timestamp,
            plan_year: int | None) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    ref = min(deadline, as_of) if deadline is not None else as_of
    if start is not None:
        return start, ref
    if period == "quarter":
        return ref.to_period("Q").start_time, ref
    if period == "month":
        return ref.to_period("M").start_time, ref
    year = plan_year or (deadline.year if deadline is not None else as_of.year)
    return pd.Timestamp(year=year, month=1, day=1), ref


def okr_progress(
    okr: OKR,
    *,
    orders: pd.DataFrame | None,
    opportunities: pd.DataFrame | None = None,
    activities: pd.DataFrame | None = None,
    reps: pd.DataFrame | None = None,
    as_of: object,
    lang: str = "en",
) -> pd.DataFrame:
    """Return the OKR tree with each key result's progress, computed from the data where possible.

    A key result whose ``metric`` is in :data:`METRICS` is measured over its window:
    ``period: quarter`` / ``month`` = the quarter / month of ``min(deadline, as_of)``,
    otherwise from ``start`` (default 1 January of the plan year) to ``min(deadline,
    as_of)``. Other key results use their ``actual`` from the YAML (tracked by hand).
    ``progress = (actual - baseline) / (target - baseline)`` (baseline 0 when absent), so
    it also works for targets that go down (cycle 90 -> 60 days). An objective's
    progress is the mean of its key results' and child objectives' progress, each
    capped to 0..1.

    Returns
    -------
    DataFrame
        ``kind`` (objective / key_result), ``id, parent_id, depth, title, owner, metric,
        baseline, target, actual, progress, source`` (data / manual / none),
        ``window_start, window_end, deadline``; in tree order.

    Examples
    --------
    >>> okr = parse_okr({"objectives": [{"id": "O1", "title": "Grow", "key_results": [
    ...     {"id": "K1", "metric": "orders", "target": 4, "deadline": "2025-12-31"},
    ...     {"id": "K2", "metric": "reference cases", "target": 3, "actual": 3, "deadline": "2025-09-30"}]}]})
    >>> o = pd.DataFrame({"customer_id": ["A", "B"], "rep_id": ["R1", "R1"], "amount": [1.0, 2.0],
    ...                   "order_date": pd.to_datetime(["2025-02-01", "2025-03-01"])})
    >>> okr_progress(okr, orders=o, as_of="2025-06-30")[["id", "actual", "progress", "source"]]
       id  actual  progress  source
    0  O1     NaN      0.75     NaN
    1  K1     2.0      0.50    data
    2  K2     3.0      1.00  manual
    """
    check_lang(lang)
    as_of = _date(as_of, "as_of")
    kr = okr.key_results
    rows = []
    for rec in kr.itertuples(index=False):  # key results are few (config, not data)
        start = None if pd.isna(rec.start) else rec.start
        deadline = None if pd.isna(rec.deadline) else rec.deadline
        win = _window(rec.period, start, deadline, as_of, okr.plan_year)
        if rec.metric in METRICS and orders is not None:
            actual = (metric_value(rec.metric, start=win[0], end=win[1], orders=orders,
                                   opportunities=opportunities, activities=activities, reps=reps,
                                   scope=rec.scope, min_spend=KEY_ACCOUNT_MIN if pd.isna(rec.min_spend)
                                   else rec.min_spend) if win[0] <= win[1] else np.nan)
            source = "data"
        elif not pd.isna(rec.actual):  # tracked by hand
            actual, source = rec.actual, "manual"
        else:
            actual, source = np.nan, "none"
        base = 0.0 if pd.isna(rec.baseline) else rec.baseline
        den = rec.target - base
        progress = (actual - base) / den if (not pd.isna(den) and den != 0) else np.nan
        rows.append({"kind": "key_result", "id": rec.kr_id, "parent_id": rec.objective_id,
                     "title": rec.title_zh if lang == "zh" else rec.title_en, "owner": rec.owner,
                     "metric": rec.metric, "baseline": rec.baseline, "target": rec.target, "actual": actual,
                     "progress": progress, "source": source, "window_start": win[0], "window_end": win[1],
                     "deadline": deadline})
    krs = pd.DataFrame(rows, columns=["kind", "id", "parent_id", "title", "owner", "metric", "baseline", "target",
                                      "actual", "progress", "source", "window_start", "window_end", "deadline"])
    objs = okr.objectives
    children: dict[str | None, list[str]] = {}
    for oid, parent in zip(objs["objective_id"], objs["parent_id"], strict=True):
        children.setdefault(_text(parent) or None, []).append(oid)
    kr_of: dict[str, list[int]] = {}
    for i, parent in enumerate(krs["parent_id"]):
        kr_of.setdefault(_text(parent), []).append(i)
    info = objs.set_index("objective_id")
    ordered: list[dict[str, Any]] = []
    progress_of: dict[str, float] = {}

    def score(oid: str) -> float:  # objectives are few; recursion over the tree
        parts = list(krs.loc[kr_of.get(oid, []), "progress"]) + [score(c) for c in children.get(oid, [])]
        parts = [min(max(p, 0.0), 1.0) for p in parts if not pd.isna(p)]
        progress_of[oid] = float(np.mean(parts)) if parts else np.nan
        return progress_of[oid]

    def walk(oid: str, depth: int) -> None:
        o = info.loc[oid]
        ordered.append({"kind": "objective", "id": oid, "parent_id": o["parent_id"], "depth": depth,
                        "title": o["title_zh"] if lang == "zh" else o["title_en"], "owner": o["owner"],
                        "progress": score(oid)})
        for i in kr_of.get(oid, []):
            ordered.append({**krs.iloc[i].to_dict(), "depth": depth + 1})
        for child in children.get(oid, []):
            walk(child, depth + 1)

    for root in children.get(None, []):
        walk(root, 0)
    known = set(objs["objective_id"])
    for i, parent in enumerate(krs["parent_id"]):  # goals outside the tree come last
        if _text(parent) not in known:
            ordered.append({**krs.iloc[i].to_dict(), "depth": 0})
    columns = ["kind", "id", "parent_id", "depth", "title", "owner", "metric", "baseline", "target", "actual",
               "progress", "source", "window_start", "window_end", "deadline"]
    out = pd.DataFrame(ordered, columns=columns)
    out["depth"] = out["depth"].astype("int64")
    for col in ["baseline", "target", "actual", "progress"]:
        out[col] = out[col].astype(float)
    for col in ["window_start", "window_end", "deadline"]:
        out[col] = pd.to_datetime(out[col])
    return out


def _fmt(value: float, kind: str, lang: str) -> str:
    if pd.isna(value):
        return "—"
    if kind == "ratio":
        return f"{value:.1%}"
    if kind == "money":
        return f"{value:,.2f} {t('unit.cny', lang)}"
    if kind == "days":
        return t("targets.unit.days", lang, n=f"{value:g}")
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _fmt_gap(value: float, kind: str, lang: str) -> str:
    if kind == "ratio":
        return t("targets.unit.points", lang, n=f"{value * 100:.1f}")
    return _fmt(value, kind, lang)


def okr_table(progress: pd.DataFrame, *, lang: str = "en") -> pd.DataFrame:
    """Display frame of :func:`okr_progress`: indented titles, values formatted by metric kind.

    Examples
    --------
    >>> p = pd.DataFrame({"kind": ["objective", "key_result"], "id": ["O1", "K1"], "depth": [0, 1],
    ...     "title": ["Grow", "Sales +30%"], "owner": ["Li", "Li"], "metric": [None, "sales_growth"],
    ...     "baseline": [np.nan, 0.0], "target": [np.nan, 0.3], "actual": [np.nan, 0.15],
    ...     "progress": [0.5, 0.5], "deadline": pd.to_datetime([None, "2025-12-31"])})
    >>> okr_table(p)["target"].tolist()
    ['', '30.0%']
    """
    check_lang(lang)
    kinds = progress["metric"].map(lambda m: METRICS.get(m, {}).get("kind", "count"))
    is_kr = progress["kind"] == "key_result"

    def col(name: str) -> list[str]:
        return [_fmt(v, k, lang) if kr else "" for v, k, kr in zip(progress[name], kinds, is_kr, strict=True)]

    indent = progress["depth"].map(lambda d: "\u3000" * int(d))
    marker = np.where(is_kr, "▸ ", "◆ ")
    return pd.DataFrame({
        "id": progress["id"],
        "title": indent + marker + progress["title"].astype(str),
        "owner": progress["owner"],
        "metric": [t(f"targets.metric.{m}", lang) if m in METRICS else _text(m) for m in progress["metric"]],
        "baseline": col("baseline"), "target": col("target"), "actual": col("actual"),
        "progress": progress["progress"],
        "deadline": pd.to_datetime(progress["deadline"]).dt.strftime("%Y-%m-%d").fillna(""),
    })


def _history_windows(period: str, data_start: pd.Timestamp, data_end: pd.Timestamp, lookback: bool,
                     before: pd.Timestamp) -> list[tuple[str, pd.Timestamp, pd.Timestamp]]:
    """Complete calendar periods inside the data (and before ``before``), for achievability."""
    freq = {"quarter": "Q", "month": "M"}.get(period, "Y")
    first = data_start.to_period("M").start_time  # data from 2 January covers January
    first = first + (pd.DateOffset(years=1) if lookback else pd.DateOffset(days=0))
    out = []
    for p in pd.period_range(first, data_end, freq=freq):
        s, e = p.start_time.normalize(), p.end_time.normalize()
        if s >= first and e <= data_end and e < before:
            out.append((str(p), s, e))
    return out


def smart_check(
    okr: OKR,
    *,
    orders: pd.DataFrame | None = None,
    opportunities: pd.DataFrame | None = None,
    activities: pd.DataFrame | None = None,
    reps: pd.DataFrame | None = None,
    margin: float = 0.10,
    vague_metrics: Sequence[str] = VAGUE_METRICS,
    lang: str = "en",
) -> pd.DataFrame:
    """Check every key result (goal) against SMART and explain each failure.

    Rules (each explained in the ``issues`` text, in ``lang``):

    - **specific**: an ``owner`` is named and the ``metric`` is named and not vague
      (not in ``vague_metrics`` such as "performance", "提升").
    - **measurable**: the ``target`` is a number.
    - **achievable**: for a metric the kit computes, the target is within what history
      supports: the best complete past period of the same length (year, quarter or
      month, by ``period``) plus ``margin`` (10 points for rates and growth, +10% for
      counts and money; minus for metrics where lower is better, such as cycle days).
      Periods that start in the data's first year are skipped for metrics that need a
      year of earlier data (growth, new customers, repurchase). Unknown (NA) when it
      cannot be assessed; that does not fail the goal.
    - **relevant**: linked to an objective that exists.
    - **time_bound**: a valid ``deadline``.

    Returns
    -------
    DataFrame
        ``kr_id, title, specific, measurable, achievable, relevant, time_bound, all_pass,
        issues`` (boolean columns; ``achievable`` may be NA).

    Examples
    --------
    >>> okr = parse_okr({"objectives": [{"id": "O1", "title": "Grow"}], "key_results": [
    ...     {"id": "G1", "title": "Do better", "metric": "performance", "target": "a lot"}]})
    >>> r = smart_check(okr).iloc[0]
    >>> [bool(r[c]) for c in ["specific", "measurable", "relevant", "time_bound", "all_pass"]]
    [False, False, False, False, False]
    """
    check_lang(lang)
    try:
        margin = float(margin)
    except (TypeError, ValueError):
        raise ParameterError("margin", margin, "a share such as 0.10") from None
    if not math.isfinite(margin) or margin < 0:
        raise ParameterError("margin", margin, "a share >= 0 such as 0.10")
    vague = {v.lower() for v in vague_metrics}
    kr = okr.key_results
    known = set(okr.objectives["objective_id"])
    data_start = data_end = None
    if orders is not None and len(orders):
        d = pd.to_datetime(orders["order_date"])
        data_start, data_end = d.min().normalize(), d.max().normalize()
    rows = []
    for rec in kr.itertuples(index=False):  # goals are few (config, not data)
        issues: list[str] = []
        specific = True
        if not rec.owner:
            specific = False
            issues.append(t("targets.smart.no_owner", lang))
        if not rec.metric:
            specific = False
            issues.append(t("targets.smart.no_metric", lang))
        elif rec.metric.lower() in vague:
            specific = False
            issues.append(t("targets.smart.vague_metric", lang, metric=rec.metric))
        measurable = not pd.isna(rec.target)
        if not measurable:
            issues.append(t("targets.smart.no_target", lang, target=rec.target_text or "—"))
        time_bound = not pd.isna(rec.deadline)
        if not time_bound:
            issues.append(t("targets.smart.bad_deadline", lang, deadline=rec.deadline_text)
                          if rec.deadline_text else t("targets.smart.no_deadline", lang))
        if not _text(rec.objective_id):
            relevant = False
            issues.append(t("targets.smart.no_objective", lang))
        elif rec.objective_id not in known:
            relevant = False
            issues.append(t("targets.smart.unknown_objective", lang, objective=rec.objective_id))
        else:
            relevant = True
        achievable: bool | None = None
        if rec.metric in METRICS and measurable and data_start is not None:
            spec = METRICS[rec.metric]
            before = (pd.Timestamp(year=okr.plan_year, month=1, day=1) if okr.plan_year
                      else (rec.deadline if time_bound else data_end + pd.Timedelta(days=1)))
            windows = _history_windows(rec.period, data_start, data_end, spec["lookback"], before)
            values = [(name, metric_value(rec.metric, start=s, end=e, orders=orders, opportunities=opportunities,
                                          activities=activities, reps=reps, scope=rec.scope,
                                          min_spend=KEY_ACCOUNT_MIN if pd.isna(rec.min_spend) else rec.min_spend))
                      for name, s, e in windows]
            values = [(n, v) for n, v in values if not pd.isna(v)]
            if values:
                when, best = (max if spec["higher"] else min)(values, key=lambda nv: nv[1])
                additive = spec["kind"] == "ratio"
                sign = 1 if spec["higher"] else -1
                limit = best + sign * margin if additive else best * (1 + sign * margin)
                achievable = rec.target <= limit if spec["higher"] else rec.target >= limit
                if not achievable:
                    key = "targets.smart.too_high" if spec["higher"] else "targets.smart.too_low"
                    margin_text = (t("targets.unit.points", lang, n=f"{margin * 100:g}") if additive
                                   else f"{margin:.0%}")
                    issues.append(t(key, lang, target=_fmt(rec.target, spec["kind"], lang),
                                    gap=_fmt_gap(abs(rec.target - limit), spec["kind"], lang),
                                    period=t(f"targets.period.{rec.period or 'year'}", lang), when=when,
                                    best=_fmt(best, spec["kind"], lang), margin=margin_text,
                                    limit=_fmt(limit, spec["kind"], lang)))
            else:
                issues.append(t("targets.smart.not_assessed", lang, metric=rec.metric))
        elif rec.metric and measurable:
            issues.append(t("targets.smart.not_assessed", lang, metric=rec.metric))
        passed = specific and measurable and relevant and time_bound and achievable is not False
        if passed and not issues:
            issues.append(t("targets.smart.ok", lang))
        rows.append({"kr_id": rec.kr_id, "title": rec.title_zh if lang == "zh" else rec.title_en,
                     "specific": specific, "measurable": measurable, "achievable": achievable,
                     "relevant": relevant, "time_bound": time_bound, "all_pass": passed,
                     "issues": "; ".join(issues) if lang == "en" else "；".join(issues)})
    out = pd.DataFrame(rows, columns=["kr_id", "title", *SMART_CRITERIA, "all_pass", "issues"])
    for col in [*SMART_CRITERIA, "all_pass"]:
        out[col] = out[col].astype("boolean")
    return out


def smart_table(check: pd.DataFrame) -> pd.DataFrame:
    """Display frame of :func:`smart_check`: ✓ / ✗ per criterion (– when not assessed).

    Examples
    --------
    >>> c = pd.DataFrame({"kr_id": ["G"], "title": ["x"], "specific": [True], "measurable": [False],
    ...                   "achievable": pd.array([None], dtype="boolean"), "relevant": [True],
    ...                   "time_bound": [True], "all_pass": [False], "issues": ["..."]})
    >>> smart_table(c).iloc[0, 2:8].tolist()
    ['✓', '✗', '–', '✓', '✓', '✗']
    """
    out = check.copy()
    for col in [*SMART_CRITERIA, "all_pass"]:
        out[col] = [("–" if pd.isna(v) else ("✓" if v else "✗")) for v in check[col]]
    return out


def plan_checks(plan: QuotaPlan, *, lang: str = "en") -> pd.DataFrame:
    """Show that every level of ``plan`` adds up to its parent: the largest difference in cents.

    Returns
    -------
    DataFrame
        ``check`` (text in ``lang``), ``parts`` (how many parts were compared),
        ``difference`` (largest absolute difference between a parent and the sum of its
        parts, in cents; 0 everywhere for an exact plan).

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "team": ["A", "A", "B"]})
    >>> plan = decompose(reps, target=1000.0, plan_year=2025, time_method="equal", rep_method="equal")
    >>> plan_checks(plan)["difference"].tolist()
    [0, 0, 0, 0, 0, 0]
    """
    check_lang(lang)

    def c(values: pd.Series | np.ndarray) -> np.ndarray:
        return (np.asarray(values, dtype=float) * 100).round().astype("int64")

    total = plan.target.cents
    months = plan.monthly.assign(_c=c(plan.monthly["target"]))
    by_quarter = months.groupby("quarter")["_c"].sum()
    reps = plan.reps.assign(_c=c(plan.reps["quota"]), team=plan.reps["team"].fillna("—"))
    by_team = reps.groupby("team")["_c"].sum().reindex(plan.teams["team"].to_numpy()).fillna(0)
    cells = plan.matrix.assign(_c=c(plan.matrix["quota"]))
    rows = cells.groupby("rep_id")["_c"].sum().reindex(reps["rep_id"].to_numpy()).fillna(0).to_numpy()
    cols = cells.groupby("month")["_c"].sum().reindex(pd.to_datetime(months["month"])).fillna(0).to_numpy()
    checks = [
        ("year_quarters", 4, abs(int(c(plan.quarterly["target"]).sum()) - total)),
        ("quarter_months", 12, int(np.abs(by_quarter.to_numpy() - c(plan.quarterly["target"])).max())),
        ("year_teams", len(plan.teams), abs(int(c(plan.teams["quota"]).sum()) - total)),
        ("team_reps", len(reps), int(np.abs(by_team.to_numpy() - c(plan.teams["quota"])).max())),
        ("rep_rows", int(cells["_c"].size), int(np.abs(rows - reps["_c"].to_numpy()).max())),
        ("month_columns", int(cells["_c"].size), int(np.abs(cols - months["_c"].to_numpy()).max())),
    ]
    return pd.DataFrame({
        "check": [t(f"targets.check.{k}", lang) for k, _, _ in checks],
        "parts": [n for _, n, _ in checks],
        "difference": [d for _, _, d in checks],
    })


# ---------------------------------------------------------------------------------------
# Tracking: actual vs target, weekly review
# ---------------------------------------------------------------------------------------
_TRACK_COLUMNS = ["rep_id", "name", "team", "period", "period_start", "period_end", "target", "expected",
                  "actual", "attainment", "gap"]


def _rep_info(ids: pd.Series, reps: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    if reps is None:
        na = pd.array([pd.NA] * len(ids), dtype="string")
        return na, na
    info = reps.assign(rep_id=reps["rep_id"].astype(str)).set_index("rep_id")
    name = ids.map(info["name"]) if "name" in info else pd.Series(pd.NA, index=ids.index)
    team = ids.map(info["team"]) if "team" in info else pd.Series(pd.NA, index=ids.index)
    return name.astype("string").to_numpy(), team.astype("string").to_numpy()


def track(
    quotas: pd.DataFrame,
    orders: pd.DataFrame,
    reps: pd.DataFrame | None = None,
    *,
    as_of: object,
    period: str = "month",
    level: str = "rep",
) -> pd.DataFrame:
    """Actual vs target per rep (or team, or company) and month / quarter / year to date.

    Periods are those of the ``as_of`` year that have started by ``as_of``. ``target``
    is the period's full quota; ``expected`` the part due by ``as_of`` (the running
    month pro-rated by days, as in :mod:`playbook.overview`); ``attainment = actual /
    expected``; ``gap = expected - actual`` (positive: behind).

    Parameters
    ----------
    quotas : DataFrame
        ``rep_id, month, quota`` (the kit's quotas table or :func:`rep_month_matrix`).
    orders : DataFrame
        ``rep_id, order_date, amount``.
    reps : DataFrame, optional
        ``rep_id, name, team`` (needed for ``level="team"``).
    period : {"month", "quarter", "ytd"}
    level : {"rep", "team", "company"}

    Returns
    -------
    DataFrame
        ``rep_id, name, team, period, period_start, period_end, target, expected, actual,
        attainment, gap`` (``rep_id``/``name`` empty above rep level, ``team`` empty at company level).

    Examples
    --------
    >>> q = pd.DataFrame({"rep_id": ["R1", "R1"], "month": pd.to_datetime(["2025-01-01", "2025-02-01"]),
    ...                   "quota": [100.0, 280.0]})
    >>> o = pd.DataFrame({"rep_id": ["R1", "R1"], "order_date": pd.to_datetime(["2025-01-09", "2025-02-03"]),
    ...                   "amount": [120.0, 50.0]})
    >>> track(q, o, as_of="2025-02-14", period="ytd")[["target", "expected", "actual", "gap"]]
       target  expected  actual   gap
    0   380.0     240.0   170.0  70.0
    """
    _require(quotas, ["rep_id", "month", "quota"], "quotas")
    _require(orders, ["rep_id", "order_date", "amount"], "orders")
    if period not in ("month", "quarter", "ytd"):
        raise ParameterError("period", period, "'month', 'quarter' or 'ytd'")
    if level not in ("rep", "team", "company"):
        raise ParameterError("level", level, "'rep', 'team' or 'company'")
    if level == "team" and (reps is None or "team" not in reps):
        raise ParameterError("reps", None, "the reps table with a team column, for level='team'")
    end = _date(as_of, "as_of")
    year_start = pd.Timestamp(year=end.year, month=1, day=1)
    q = quotas.assign(rep_id=quotas["rep_id"].astype(str),
                      month=pd.to_datetime(quotas["month"]).dt.to_period("M").dt.to_timestamp())
    q = q.loc[(q["month"] >= year_start) & (q["month"] <= end)]
    dim = q["month"].dt.days_in_month
    elapsed = ((end - q["month"]).dt.days + 1).clip(upper=dim)
    q = q.assign(expected=q["quota"] * elapsed / dim)
    dates = pd.to_datetime(orders["order_date"])
    keep = ((dates >= year_start) & (dates <= end)).to_numpy()
    o = pd.DataFrame({"rep_id": orders["rep_id"].astype(str).to_numpy()[keep],
                      "amount": orders["amount"].to_numpy(dtype=float)[keep],
                      "month": dates[keep].dt.to_period("M").dt.to_timestamp().to_numpy()})

    def key(frame: pd.DataFrame) -> pd.Series:
        if period == "month":
            return frame["month"].dt.to_period("M").astype(str)
        if period == "quarter":
            return frame["month"].dt.to_period("Q").astype(str)
        return pd.Series(f"{end.year} YTD", index=frame.index)

    ids = pd.Index(sorted(set(q["rep_id"])))
    o = o.loc[o["rep_id"].isin(ids)]
    group = {"rep": ["rep_id"], "team": ["team"], "company": []}[level]
    name, team = _rep_info(pd.Series(ids, index=ids), reps)
    team_of = pd.Series(team, index=ids)
    q = q.assign(period=key(q), team=q["rep_id"].map(team_of).astype("string"))
    o = o.assign(period=key(o), team=o["rep_id"].map(team_of).astype("string"))
    by = [*group, "period"]
    tq = q.groupby(by, dropna=False).agg(target=("quota", "sum"), expected=("expected", "sum"),
                                         period_start=("month", "min"), _last=("month", "max"))
    ta = o.groupby(by, dropna=False)["amount"].sum().rename("actual")
    out = tq.join(ta, how="left").fillna({"actual": 0.0}).reset_index()
    out["period_end"] = (out.pop("_last") + pd.offsets.MonthEnd(0)).clip(upper=end)
    if period == "ytd":
        out["period_start"] = year_start
    for col in ["target", "expected", "actual"]:
        out[col] = out[col].round(2)
    out["attainment"] = out["actual"] / out["expected"].where(out["expected"] > 0)
    out["gap"] = (out["expected"] - out["actual"]).round(2)
    if level == "rep":
        out["name"] = out["rep_id"].map(pd.Series(name, index=ids)).astype("string")
        out["team"] = out["rep_id"].map(team_of).astype("string")
    else:
        out["rep_id"] = pd.array([pd.NA] * len(out), dtype="string")
        out["name"] = pd.array([pd.NA] * len(out), dtype="string")
        if level == "company":
            out["team"] = pd.array([pd.NA] * len(out), dtype="string")
    return out[_TRACK_COLUMNS].sort_values(["team", "rep_id", "period"] if level != "company" else ["period"],
                                           kind="stable").reset_index(drop=True)


def weekly_review(
    quotas: pd.DataFrame,
    orders: pd.DataFrame,
    reps: pd.DataFrame | None = None,
    *,
    as_of: object,
    period: str = "month",
    bands: Sequence[float] = STATUS_BANDS,
    lang: str = "en",
) -> pd.DataFrame:
    """Build the weekly-review table (周复盘): per rep, the running period's pace, status, gap and run rate.

    ``pace = actual / expected`` to date; status ``on_track`` when pace >= ``bands[0]``,
    ``at_risk`` when >= ``bands[1]``, else ``behind``. ``to_go`` is the money still to
    sell for the full period target; ``run_rate`` the average sold per week so far and
    ``needed_run_rate`` the average per week needed for the rest of the period (NaN once
    the period is over).

    Returns
    -------
    DataFrame
        ``rep_id, name, team, period, target, expected, actual, pace, status, status_text,
        to_go, days_left, run_rate, needed_run_rate``, the most behind first.

    Examples
    --------
    >>> q = pd.DataFrame({"rep_id": ["R1", "R2"], "month": pd.to_datetime(["2025-04-01"] * 2),
    ...                   "quota": [300.0, 300.0]})
    >>> o = pd.DataFrame({"rep_id": ["R1", "R2"], "order_date": pd.to_datetime(["2025-04-02"] * 2),
    ...                   "amount": [160.0, 100.0]})
    >>> w = weekly_review(q, o, as_of="2025-04-15")
    >>> w[["rep_id", "pace", "status", "to_go", "days_left", "needed_run_rate"]]
      rep_id      pace    status  to_go  days_left  needed_run_rate
    0     R2  0.666667    behind  200.0         15            93.33
    1     R1  1.066667  on_track  140.0         15            65.33
    """
    check_lang(lang)
    if period not in ("month", "quarter", "ytd"):
        raise ParameterError("period", period, "'month', 'quarter' or 'ytd'")
    try:
        on_track, at_risk = (float(b) for b in bands)
    except (TypeError, ValueError):
        raise ParameterError("bands", bands, "two paces such as (1.0, 0.9)") from None
    if not at_risk <= on_track:
        raise ParameterError("bands", bands, "(on-track pace, at-risk pace) with the first >= the second")
    end = _date(as_of, "as_of")
    tr = track(quotas, orders, reps, as_of=end, period=period)
    current = {"month": str(end.to_period("M")), "quarter": str(end.to_period("Q")), "ytd": f"{end.year} YTD"}[period]
    cur = tr.loc[tr["period"] == current].reset_index(drop=True)
    last_day = {"month": end + pd.offsets.MonthEnd(0), "quarter": end + pd.offsets.QuarterEnd(0),
                "ytd": pd.Timestamp(year=end.year, month=12, day=31)}[period]
    if end == last_day.normalize():
        days_left = 0
    else:
        days_left = int((last_day.normalize() - end).days)
    days_done = int((end - cur["period_start"].min()).days) + 1 if len(cur) else 0
    pace = cur["actual"] / cur["expected"].where(cur["expected"] > 0)
    status = np.select([pace >= on_track, pace >= at_risk], ["on_track", "at_risk"], "behind")
    status = np.where(pace.isna(), "on_track", status)
    to_go = (cur["target"] - cur["actual"]).clip(lower=0).round(2)
    out = pd.DataFrame({
        "rep_id": cur["rep_id"], "name": cur["name"], "team": cur["team"], "period": cur["period"],
        "target": cur["target"], "expected": cur["expected"], "actual": cur["actual"], "pace": pace,
        "status": status, "status_text": [t(f"targets.status.{s}", lang) for s in status],
        "to_go": to_go, "days_left": np.full(len(cur), days_left, dtype="int64"),
        "run_rate": (cur["actual"] / max(days_done, 1) * 7).round(2),
        "needed_run_rate": (to_go / days_left * 7).round(2) if days_left else np.nan,
    })
    order = out.assign(_p=out["pace"].fillna(np.inf)).sort_values(["_p", "rep_id"], kind="stable").index
    return out.loc[order].reset_index(drop=True)


def default_month(plan_year: int, as_of: object) -> pd.Timestamp:
    """Return the month to plan activities for: the one after ``as_of`` if it is in ``plan_year``, else January.

    Examples
    --------
    >>> str(default_month(2025, "2025-09-30").date()), str(default_month(2026, "2025-09-30").date())
    ('2025-10-01', '2026-01-01')
    """
    nxt = (_date(as_of, "as_of").to_period("M") + 1).to_timestamp()
    return nxt if nxt.year == plan_year else pd.Timestamp(year=_year(plan_year, "plan_year"), month=1, day=1)


# ---------------------------------------------------------------------------------------
# Excel export: pure sheets + one small writer
# ---------------------------------------------------------------------------------------
def quota_sheets(plan: QuotaPlan, *, lang: str = "en") -> dict[str, pd.DataFrame]:
    """Build the quota workbook as frames, one per level, with headers in ``lang`` (no I/O).

    Sheets: year, quarters, months, teams, reps, rep x month (reps as rows, months as
    columns, a total column and a total row: every row and column adds up exactly).

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann", "Bo"], "team": ["A", "A"]})
    >>> plan = decompose(reps, target=1200.0, plan_year=2025, time_method="equal", rep_method="equal")
    >>> sheets = quota_sheets(plan)
    >>> list(sheets)
    ['Year', 'Quarters', 'Months', 'Teams', 'Reps', 'Rep x month']
    >>> sheets["Rep x month"].iloc[-1, -4:].astype(float).tolist()
    [100.0, 100.0, 100.0, 1200.0]
    """
    from playbook.labels import label_frame

    check_lang(lang)

    def show(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.rename(columns=label_frame(list(frame.columns), lang))

    year = plan.target.to_frame()
    monthly = plan.monthly.assign(month=plan.monthly["month"].dt.strftime("%Y-%m"))
    reps = plan.reps.drop(columns=["weight"])
    wide = plan.matrix.assign(month=pd.to_datetime(plan.matrix["month"]).dt.strftime("%Y-%m"),
                              _c=(plan.matrix["quota"] * 100).round().astype("int64"))
    pivot = wide.pivot_table(index="rep_id", columns="month", values="_c", aggfunc="sum", sort=False)
    pivot = pivot.reindex(plan.reps["rep_id"]).fillna(0).astype("int64")
    pivot["total"] = pivot.sum(axis=1)
    pivot.loc["total"] = pivot.sum(axis=0)
    body = (pivot / 100).reset_index()
    body.columns.name = None
    info = plan.reps.set_index("rep_id")[["name", "team"]]
    body.insert(1, "name", body["rep_id"].map(info["name"]))
    body.insert(2, "team", body["rep_id"].map(info["team"]))
    total_label = t("targets.total", lang)
    body["rep_id"] = body["rep_id"].where(body["rep_id"] != "total", total_label)
    body = body.rename(columns={"total": total_label})
    return {
        t("targets.sheet.year", lang): show(year),
        t("targets.sheet.quarters", lang): show(plan.quarterly),
        t("targets.sheet.months", lang): show(monthly),
        t("targets.sheet.teams", lang): show(plan.teams),
        t("targets.sheet.reps", lang): show(reps),
        t("targets.sheet.matrix", lang): show(body),
    }


def write_quota_workbook(sheets: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write ``sheets`` (from :func:`quota_sheets`) to an Excel file with openpyxl; return its path.

    The module's only I/O. Money cells get a ``#,##0.00`` format; columns are widened
    to fit their headers.
    """
    from openpyxl.utils import get_column_letter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=str(name)[:31], index=False)
            ws = writer.sheets[str(name)[:31]]
            for i, col in enumerate(frame.columns, start=1):
                letter = get_column_letter(i)
                ws.column_dimensions[letter].width = max(10, min(40, len(str(col)) * 2 + 2))
                if pd.api.types.is_float_dtype(frame[col]):
                    for cell in ws[letter][1:]:
                        cell.number_format = "#,##0.00"
    return path
