"""The RFM table (recency, frequency, monetary per customer) and the 1-5 scores."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from playbook.core import paths
from playbook.core.dates import parse_date
from playbook.core.errors import InputError, ParameterError, PlaybookWarning, require_columns
from playbook.core.money import div_money, round_money

__all__ = [
    "RFM_COLUMNS", "SCORE_COLUMNS", "CUSTOMER_COLUMNS", "SCORE_NAMES", "TIERS", "TIER_PRESETS", "SEGMENT_MAPS",
    "INACTIVE", "rfm_table", "quantile_score", "score"
]

RFM_COLUMNS = [
    "customer_id", "rep_id", "last_order_date", "recency_days", "frequency", "repeat_orders",
    "gross_sales", "refunds", "monetary", "avg_order_value", "annual_spend",
]
SCORE_COLUMNS = ["r_score", "f_score", "m_score", "fm_score", "rfm_code"]
CUSTOMER_COLUMNS = RFM_COLUMNS + SCORE_COLUMNS + ["segment", "tier"]
SCORE_NAMES = ("r", "f", "m", "fm")
TIERS = ("strategic", "growth", "basic")
# (growth from, strategic above), annual spend in CNY: domain brief section 2
TIER_PRESETS: dict[str, tuple[float, float]] = {
    "saas": (30_000.0, 100_000.0),
    "case": (100_000.0, 500_000.0),
}
SEGMENT_MAPS = {
    "default": paths.TEMPLATES_DIR / "rfm_segments.yaml",
    "domain": paths.TEMPLATES_DIR / "rfm_segments_domain.yaml",
}
ACTIONS_FILE = paths.TEMPLATES_DIR / "rfm_actions.yaml"
INACTIVE = "inactive"  # pseudo-segment in migrations: no order in the window
UNKNOWN_CHANNEL = "unknown"
_SCORE_MAX = 5


# --------------------------------------------------------------------------- helpers

def _positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ParameterError(name, value, "a whole number of days >= 1, e.g. 365")
    return int(value)


def _amounts(frame: pd.DataFrame, col: str, where: str) -> pd.Series:
    try:
        values = pd.to_numeric(frame[col]).astype("float64")
    except (ValueError, TypeError):
        raise InputError(f"{where}: column {col!r} must hold numbers (amounts in CNY).",
                         code="rfm.not_numbers", params={"where": where, "column": col}) from None
    if values.isna().any():
        raise InputError(f"{where}: column {col!r} has {int(values.isna().sum())} empty value(s); "
                         "fill them or drop those rows.",
                         code="rfm.empty_values", params={"where": where, "column": col, "n": int(values.isna().sum())})
    return values


def _dates(frame: pd.DataFrame, col: str, where: str) -> pd.Series:
    try:
        values = pd.to_datetime(frame[col])
    except (ValueError, TypeError):
        raise InputError(f"{where}: column {col!r} must hold dates, e.g. 2025-09-30.",
                         code="rfm.not_dates", params={"where": where, "column": col}) from None
    if values.isna().any():
        raise InputError(f"{where}: column {col!r} has {int(values.isna().sum())} empty date(s); "
                         "fill them or drop those rows.",
                         code="rfm.empty_dates", params={"where": where, "column": col, "n": int(values.isna().sum())})
    return values


def _window(as_of: pd.Timestamp, days: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return (first day, day after the last day) of the ``days``-day window ending on ``as_of``."""
    return as_of - pd.Timedelta(days=days - 1), as_of + pd.Timedelta(days=1)


# --------------------------------------------------------------------------- RFM table

def rfm_table(
    orders: pd.DataFrame,
    *,
    as_of: object,
    window_days: int = 365,
    customer_col: str = "customer_id",
    order_col: str = "order_id",
    date_col: str = "order_date",
    amount_col: str = "amount",
    rep_col: str = "rep_id",
) -> pd.DataFrame:
    """Compute recency, frequency and monetary value per customer at ``as_of`` over a window.

    Parameters
    ----------
    orders : DataFrame
        Orders and refunds (refunds have negative amounts).
    as_of : date-like
        Last day counted; recency is measured to this day.
    window_days : int, default 365
        Length of the window in days, ``as_of`` included.
    customer_col, order_col, date_col, amount_col, rep_col : str
        Input column names (the schema's by default).

    Returns
    -------
    DataFrame
        One row per customer with an order in the window, sorted by customer, columns
        :data:`RFM_COLUMNS`: ``customer_id``, ``rep_id`` (rep credited on the latest
        order; the first listed if several share that day), ``last_order_date``,
        ``recency_days``, ``frequency`` (distinct orders, all of them),
        ``repeat_orders`` (frequency - 1), ``gross_sales``, ``refunds`` (<= 0),
        ``monetary`` (net), ``avg_order_value`` (net per order), ``annual_spend``
        (net, scaled to 365 days). See the module docstring for every convention.

    Raises
    ------
    ParameterError
        ``as_of`` is before the first order, or the window holds no order.
    MissingColumnsError
        A required column is absent.

    Examples
    --------
    >>> o = pd.DataFrame({"order_id": ["1", "2", "3"], "customer_id": ["A", "A", "A"],
    ...                   "rep_id": ["R1", "R2", "R2"], "amount": [100.0, 60.0, -10.0],
    ...                   "order_date": pd.to_datetime(["2025-01-01", "2025-03-01", "2025-03-05"])})
    >>> r = rfm_table(o, as_of="2025-03-31", window_days=90)
    >>> r[["recency_days", "frequency", "repeat_orders", "gross_sales", "refunds", "monetary"]]
       recency_days  frequency  repeat_orders  gross_sales  refunds  monetary
    0            30          2              1        160.0    -10.0     150.0
    >>> r[["rep_id", "avg_order_value", "annual_spend"]]
      rep_id  avg_order_value  annual_spend
    0     R2             75.0        608.33
    """
    require_columns(orders, [customer_col, order_col, date_col, amount_col, rep_col], "orders")
    end = parse_date(as_of, "as_of")
    days = _positive_int(window_days, "window_days")
    if orders.empty:
        raise InputError("orders: the table has no rows; RFM needs at least one order.", code="rfm.no_orders")
    dates = _dates(orders, date_col, "orders")
    amount = _amounts(orders, amount_col, "orders")
    is_order = amount > 0
    if not (is_order & (dates < end + pd.Timedelta(days=1))).any():
        first = dates[is_order].min() if is_order.any() else dates.min()
        raise ParameterError(
            "as_of", str(end.date()),
            f"a date on or after the first order ({pd.Timestamp(first).date()}): no customer had ordered by then",
            code="rfm.as_of_before_orders", params={"as_of": end.date(), "first": pd.Timestamp(first).date()},
        )
    start, stop = _window(end, days)
    in_window = (dates >= start) & (dates < stop)
    pos = in_window & is_order
    if not pos.any():
        raise ParameterError(
            "window_days", days,
            f"a window that holds orders: there is no order from {start.date()} to {end.date()}; "
            "widen window_days or move as_of",
            code="rfm.empty_window", params={"days": days, "start": start.date(), "end": end.date()},
        )
    per = _per_customer(orders, np.flatnonzero(in_window.to_numpy()), dates, amount,
                        customer_col=customer_col, order_col=order_col, rep_col=rep_col)
    last, freq, gross, rep, refunds = per
    refund_only = refunds.index.difference(last.index)
    if len(refund_only):
        warnings.warn(
            f"{len(refund_only)} customer(s) have only refunds in the window "
            f"({start.date()} to {end.date()}) and are left out of the RFM table, e.g. "
            f"{', '.join(map(str, refund_only[:3]))}.",
            PlaybookWarning, stacklevel=2,
        )
    out = pd.DataFrame({"customer_id": last.index.to_numpy(), "rep_id": rep})
    out["last_order_date"] = last.dt.normalize().to_numpy()
    out["recency_days"] = (end - out["last_order_date"]).dt.days.astype("int64")
    out["frequency"] = freq
    out["repeat_orders"] = out["frequency"] - 1
    out["gross_sales"] = round_money(gross)
    out["refunds"] = round_money(refunds.reindex(last.index, fill_value=0.0).to_numpy()) + 0.0
    out["monetary"] = round_money(out["gross_sales"] + out["refunds"])
    out["avg_order_value"] = div_money(out["monetary"], out["frequency"])
    out["annual_spend"] = div_money(out["monetary"] * 365, days)
    return out[RFM_COLUMNS]


def _per_customer(orders: pd.DataFrame, at: np.ndarray, dates: pd.Series, amount: pd.Series, *,
                  customer_col: str, order_col: str, rep_col: str) -> tuple:
    """Per customer of the window rows ``at`` (positions): last order, orders, gross, rep, refunds.

    Positional and lean at company scale: the customer ids of the window are factorised
    once (sorted, as ``groupby`` sorts them) and every figure is grouped on those integer
    codes; nothing but the window's columns is copied. Returns ``last`` (a Series of the
    latest order time, indexed by customer id), then arrays aligned with it: distinct
    ``order_id`` count, gross sales (summed in row order, as ``groupby().sum()``), the rep
    of the first row at the latest time, and the Series of refunds (indexed by customer,
    only customers with refund rows; customers without any order included).
    """
    codes, customers = pd.factorize(orders[customer_col].array.take(at), sort=True)
    amt, when = amount.to_numpy()[at], dates.to_numpy()[at]
    at_pos = np.flatnonzero((amt > 0) & (codes >= 0))  # orders of known customers, in row order
    c = codes[at_pos]
    g = pd.DataFrame({"d": when[at_pos], "a": amt[at_pos]}).groupby(c, sort=True)
    last, gross = g["d"].max(), g["a"].sum()
    present = last.index.to_numpy()
    latest = np.empty(len(customers), dtype=when.dtype)
    latest[present] = last.to_numpy()
    on_latest = np.flatnonzero(when[at_pos] == latest[c])
    _, first = np.unique(c[on_latest], return_index=True)  # first row at the latest time, per customer
    rep = orders[rep_col].array.take(at[at_pos[on_latest[first]]]).to_numpy()
    ids, _ = pd.factorize(orders[order_col].array.take(at[at_pos]))
    known, base = ids >= 0, int(ids.max(initial=0)) + 1  # nunique leaves missing ids out
    pairs = pd.unique(c[known].astype("int64") * base + ids[known])  # distinct (customer, order)
    freq = np.bincount(pairs // base, minlength=len(customers))[present].astype("int64")
    at_neg = np.flatnonzero((amt < 0) & (codes >= 0))
    refunds = pd.Series(amt[at_neg]).groupby(codes[at_neg], sort=True).sum()
    index = pd.Index(customers)
    refunds.index = index.take(refunds.index.to_numpy())
    return last.set_axis(index.take(present)), freq, gross.to_numpy(), rep, refunds


# --------------------------------------------------------------------------- scores

def quantile_score(values: pd.Series, *, higher_is_better: bool = True) -> pd.Series:
    """Score ``values`` 1-5 by mid-rank percentile; ties share a score, ties at the bottom score 1.

    With ``n`` values and average rank ``k``, ``score = floor(5 (k - 0.5) / n) + 1``,
    computed in integers (exact at bin edges). Ties at the bottom take the lowest score:
    when two or more values tie at the worst value (the lowest, or the highest with
    ``higher_is_better=False``) and not every value is tied, they all score 1, however
    many they are. Half the customers buying once must not lift the one-time buyers to
    F = 2 or 3 by their mid-rank: they are the least frequent there is.

    Examples
    --------
    >>> quantile_score(pd.Series([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])).tolist()
    [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    >>> quantile_score(pd.Series([7, 7, 7])).tolist()
    [3, 3, 3]
    >>> quantile_score(pd.Series([1, 30]), higher_is_better=False).tolist()
    [4, 2]

    Six one-time buyers of ten: mid-rank 3.5 would give them 2; they score 1.

    >>> quantile_score(pd.Series([1, 1, 1, 1, 1, 1, 2, 2, 3, 5])).tolist()
    [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]
    """
    values = pd.Series(values)
    if values.isna().any():
        raise InputError("cannot score empty values: every customer needs recency, frequency and monetary.")
    n = len(values)
    if n == 0:
        return pd.Series([], index=values.index, dtype="int64")
    twice_rank = (values.rank(method="average", ascending=higher_is_better) * 2).round().astype("int64")
    scores = ((_SCORE_MAX * (twice_rank - 1)) // (2 * n) + 1).astype("int64")
    bottom = twice_rank == twice_rank.min()
    if 2 <= int(bottom.sum()) < n:  # a tie at the worst value, not everyone
        scores = scores.mask(bottom, 1)
    return scores


def score(rfm: pd.DataFrame) -> pd.DataFrame:
    """Add R, F, M scores (1-5), the combined ``fm_score`` and the ``rfm_code`` (e.g. ``"545"``).

    Scores are relative to the customers in ``rfm`` (see :func:`quantile_score`):
    ``r_score`` from ``recency_days`` (fewer days = higher), ``f_score`` from
    ``frequency``, ``m_score`` from ``monetary`` (net spend).

    Examples
    --------
    >>> r = pd.DataFrame({"customer_id": ["A", "B"], "recency_days": [3, 40],
    ...                   "frequency": [4, 1], "monetary": [900.0, 100.0]})
    >>> score(r)[SCORE_COLUMNS]
       r_score  f_score  m_score  fm_score rfm_code
    0        4        4        4         4      444
    1        2        2        2         2      222
    """
    require_columns(rfm, ["recency_days", "frequency", "monetary"], "RFM table")
    out = rfm.copy()
    out["r_score"] = quantile_score(rfm["recency_days"], higher_is_better=False)
    out["f_score"] = quantile_score(rfm["frequency"])
    out["m_score"] = quantile_score(rfm["monetary"])
    out["fm_score"] = (out["f_score"] + out["m_score"] + 1) // 2
    out["rfm_code"] = (out["r_score"].astype(str) + out["f_score"].astype(str)
                       + out["m_score"].astype(str))
    return out
