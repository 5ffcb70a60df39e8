"""Exact money: one rounding rule, one cap, allocations that sum to the cent.

Every amount the kit computes with is turned into whole cents (fen, 分) by **one rule:
half-up to the cent, away from zero for negative amounts** (四舍五入; ``0.125`` ->
``0.13``, ``-0.125`` -> ``-0.13``), applied to the amount as written in decimal (so
``1.005`` -> ``1.01`` and ``2.675`` -> ``2.68`` although those floats are a hair below
the half cent). Amounts must stay below :data:`MAX_CENTS` (90 billion CNY): within it,
cents times a rate in parts per million fit in int64 exactly; an amount at or above it
raises :class:`~playbook.core.errors.ParameterError`.

The functions that apply the rule (and so agree with each other to the cent):

- :func:`to_cents`: one amount (float, int, text or ``Decimal``) -> int cents;
- :func:`cents`: many float amounts -> int64 cents (vectorised, the same result as
  :func:`to_cents` on every float below the cap);
- :func:`round_money`: float amounts -> float CNY rounded to the cent (``cents / 100``;
  missing values stay missing);
- :func:`div_money`: an amount over a count (an average of money) -> float CNY to the
  cent, the half cent of the exact quotient away from zero (integer arithmetic on cents);
- :func:`mul_ppm`: cents x a rate in parts per million -> cents (the half cent of the
  product goes away from zero);
- :func:`allocate`: its total, through :func:`to_cents`.

The domain packages and their presentation round money only through these: targets,
quotas and the quota workbook's sheets (:mod:`playbook.present.targets`), payouts and HR
statements (``*_cents`` columns), RFM, funnel and overview amounts and their averages
(``tests/test_money.py`` checks that they agree to the cent). Rates, ratios and day
counts are not money and keep their own precision.

Splits use largest-remainder rounding (:func:`allocate_cents`): the parts sum to the
total exactly and each is within one cent of its exact share.

Examples
--------
>>> from playbook.core.money import cents, round_money, to_cents
>>> to_cents(0.125), to_cents(-0.125), to_cents(1.005), to_cents(2.675)
(13, -13, 101, 268)
>>> cents([25.125, 15.935, -2.5]).tolist()
[2513, 1594, -250]
>>> round_money([25.125, 15.935]).tolist()
[25.13, 15.94]
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd

from playbook.core.errors import InputError, ParameterError

__all__ = ["MAX_CENTS", "PPM", "to_cents", "cents", "round_money", "div_money", "mul_ppm", "weights_array",
           "shorten", "allocate_cents", "allocate", "allocate_matrix"]

MAX_CENTS = 9 * 10**12
"""The one cap: 9e12 cents = 90 billion CNY (cents x parts-per-million stays inside int64)."""
PPM = 1_000_000
"""Rates are held as integer parts per million (8% -> 80,000)."""


def to_cents(amount: object, *, name: str = "amount") -> int:
    """Return ``amount`` (CNY) as whole cents, rounding half up (away from zero).

    Examples
    --------
    >>> to_cents(1234.565), to_cents("0.1"), to_cents(7)
    (123457, 10, 700)
    >>> to_cents(9e10)
    Traceback (most recent call last):
    ...
    playbook.core.errors.ParameterError: parameter amount=90000000000.0 is not valid: expected an amount below ...
    """
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError, TypeError):
        raise ParameterError(name, amount, "an amount in CNY such as 1250000.00") from None
    if not value.is_finite():
        raise ParameterError(name, amount, "a finite amount in CNY")
    if abs(value) * 100 >= MAX_CENTS - Decimal("0.5"):  # it would round to the cap or above
        raise ParameterError(name, amount, "an amount below 90,000,000,000 CNY (the kit's exact range)")
    return int(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100)


def cents(values: object, *, name: str = "amount") -> np.ndarray:
    """Return float amounts (CNY) as int64 cents by the same rule as :func:`to_cents`.

    Vectorised and exact: for each amount ``a`` the cent below, ``m = floor(|a| x 100)``,
    is kept when ``|a|`` lies below the float of the half cent ``(m + 0.5) / 100`` and
    raised by one otherwise, so a half cent as written (``1.005``, ``2.675``) goes up
    even when its float is a hair below it; negative amounts mirror positive ones. The
    result equals :func:`to_cents` on every float below :data:`MAX_CENTS`.

    Parameters
    ----------
    values : array-like of float
        Amounts in CNY, finite (check missing values at the boundary).
    name : str
        Parameter name used in error messages.

    Returns
    -------
    numpy.ndarray
        int64 cents, the shape of ``values``.

    Raises
    ------
    ParameterError
        An amount is missing, infinite, or at or above the cap (90 billion CNY).

    Examples
    --------
    >>> cents([1234.565, 0.1, 7, -0.005, 1.005, 2.675]).tolist()
    [123457, 10, 700, -1, 101, 268]
    >>> cents([float("nan")])
    Traceback (most recent call last):
    ...
    playbook.core.errors.ParameterError: parameter amount=nan is not valid: expected finite amounts in CNY ...
    """
    x = np.asarray(values, dtype="float64")
    a = np.abs(x)
    bad = ~np.isfinite(a)
    if bad.any():
        raise ParameterError(name, float(x[bad].flat[0]), "finite amounts in CNY (fill in or drop missing ones)")
    below = np.floor(a * 100)
    whole = below + (a >= (below + 0.5) / 100)  # exact: whole cents below 2**53 are exact floats
    over = whole >= MAX_CENTS
    if over.any():
        raise ParameterError(name, float(x[over].flat[0]),
                             "amounts below 90,000,000,000 CNY (the kit's exact range)")
    return (np.sign(x) * whole).astype(np.int64)


def round_money(values: object) -> Any:
    """Return amounts rounded to the cent by the one rule, as float CNY (``cents / 100``).

    A Series gives a Series and a DataFrame a DataFrame (same index, columns and name),
    a single number a float, anything else an array. Missing values stay missing (NaN).

    Examples
    --------
    >>> round_money([0.125, 2.675, -0.125, float("nan")]).tolist()
    [0.13, 2.68, -0.13, nan]
    >>> round_money(pd.Series([25.125, 15.935], index=["a", "b"], name="avg")).to_dict()
    {'a': 25.13, 'b': 15.94}
    >>> round_money(1.005)
    1.01
    """
    if isinstance(values, pd.DataFrame):
        return values.apply(round_money)
    series = values if isinstance(values, pd.Series) else None
    x = np.asarray(values.to_numpy(dtype="float64", na_value=np.nan) if series is not None else values,
                   dtype="float64")
    out = np.full(x.shape, np.nan)
    ok = ~np.isnan(x)
    out[ok] = cents(x[ok]) / 100
    if series is not None:
        return pd.Series(out, index=series.index, name=series.name)
    return float(out) if out.ndim == 0 else out


def div_money(amounts: object, divisors: object) -> Any:
    """Return ``amounts / divisors`` in CNY, rounded to the cent by the one rule, exactly: for averages.

    An average of money (a sum over a count of orders, customers, deals or days) is
    computed on whole cents with integer arithmetic, so the half cent of the exact
    quotient goes away from zero even when float division would land a hair below it:
    the mean of 15.93 and 15.94 is 15.94 (in floats, ``(15.93 + 15.94) / 2`` is
    15.934999999999999, which would round to 15.93).
    ``amounts`` are first turned into cents by :func:`cents`; ``divisors`` must be whole
    numbers. A missing amount, or a divisor that is missing or not above 0, gives NaN.
    Series in, Series out (the index of the first Series), a single pair gives a float.

    Examples
    --------
    >>> div_money([50.25, 31.87, -31.87, 10.0], [2, 2, 2, 0]).tolist()
    [25.13, 15.94, -15.94, nan]
    >>> div_money(pd.Series([31.87], index=["a"]), pd.Series([2], index=["a"])).to_dict()
    {'a': 15.94}
    >>> div_money(1.0, 8)
    0.13
    """
    series = next((v for v in (amounts, divisors) if isinstance(v, pd.Series)), None)
    x, d = (np.asarray(v.to_numpy(dtype="float64", na_value=np.nan) if isinstance(v, pd.Series) else v,
                       dtype="float64") for v in (amounts, divisors))
    x, d = np.broadcast_arrays(x, d)
    ok = ~np.isnan(x) & np.isfinite(d) & (d > 0)
    if (d[ok] != np.floor(d[ok])).any():
        raise ParameterError("divisors", shorten(d[ok][d[ok] != np.floor(d[ok])]), "whole numbers (counts or days)")
    c = cents(x[ok])
    n = d[ok].astype(np.int64)
    out = np.full(x.shape, np.nan)
    out[ok] = np.sign(c) * ((2 * np.abs(c) + n) // (2 * n)) / 100
    if series is not None:
        return pd.Series(out, index=series.index, name=getattr(amounts, "name", None))
    return float(out) if out.ndim == 0 else out


def mul_ppm(amount_cents: object, ppm: object) -> np.ndarray:
    """Return ``cents x ppm / 1e6`` rounded by the one rule (half away from zero), exactly, in int64.

    Examples
    --------
    >>> mul_ppm([1250, -1250, 3], 100_000).tolist()  # 10% of 12.50, -12.50, 0.03
    [125, -125, 0]
    >>> mul_ppm([5], 100_000).tolist()  # 10% of 0.05 = 0.005 -> 0.01
    [1]
    """
    prod = np.asarray(amount_cents, dtype=np.int64) * np.asarray(ppm, dtype=np.int64)
    return np.sign(prod) * ((np.abs(prod) + PPM // 2) // PPM)


def weights_array(weights: object, name: str) -> np.ndarray:
    """Return ``weights`` as a float array, or raise :class:`ParameterError` naming ``name``.

    Examples
    --------
    >>> weights_array([1, 0, 2], "w").tolist()
    [1.0, 0.0, 2.0]
    """
    try:
        w = np.asarray(weights, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(name, weights, "a list of numbers >= 0") from None
    if w.ndim != 1 or len(w) == 0:
        raise ParameterError(name, weights, "a non-empty list of numbers >= 0")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ParameterError(name, shorten(weights), "finite numbers >= 0 (no negative or missing weight)")
    if not (w > 0).any():
        raise ParameterError(name, shorten(weights), "at least one positive weight (they are all zero)")
    return w


def shorten(values: object, limit: int = 12) -> object:
    """Return ``values`` cut to ``limit`` items (for error messages).

    Examples
    --------
    >>> shorten(list(range(20)), 3)
    [0, 1, 2, '...']
    """
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
    if isinstance(total, bool) or not isinstance(total, (int, np.integer)) or total < 0 or total >= MAX_CENTS:
        raise ParameterError("total", total, "a whole number of cents >= 0")
    w = weights_array(weights, name)
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
        "with large overrides). Lower those reps' overrides, or check hire_date and leave_date.",
        code="money.unreconcilable")


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
        raise ParameterError("row_totals", shorten(row_totals), "lists of whole cents >= 0")
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
                "positive total but no cell where the base matrix is above 0",
                code="money.no_cell", params={"rows": str(empty_rows.tolist()), "cols": str(empty_cols.tolist())})
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
            raise InputError("cannot round the rep x month matrix to whole cents with these totals",
                             code="money.no_rounding")
        edges = list(zip(path[:-1], path[1:], strict=True))
        amount = int(min(excess[path[0]], -excess[path[-1]], *(k[j, dst] for j, dst in edges)))
        for j, dst in edges:
            cand = np.flatnonzero(can_down[:, j] & can_up[:, dst])
            cost = frac[cand, j] - frac[cand, dst] if strict else -cells[cand, j].astype(float)
            pick = cand[np.argsort(cost, kind="stable")[:amount]]
            cells[pick, j] -= 1
            cells[pick, dst] += 1
    return cells
