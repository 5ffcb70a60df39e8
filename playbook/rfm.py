"""RFM customer tiering: recency, frequency and monetary scores, segments, spend tiers, LTV and CAC.

Domain brief, section 2 (客户分层, RFM: 最近消费 R, 消费频率 F, 消费金额 M) and the
customer metrics of section 3 (LTV, CAC, LTV/CAC; cut channels with ROI < 1).

Conventions (each one is pinned by a test)
------------------------------------------
Window
    The ``window_days`` calendar days ending on ``as_of``, both ends included: from
    ``as_of - (window_days - 1)`` days to ``as_of``. Orders dated after ``as_of`` are
    ignored; an order with a time of day counts on its calendar day.
Orders, refunds, zero rows
    An *order* is a row with ``amount > 0``; a *refund* a row with ``amount < 0``.
    Rows with ``amount == 0`` are ignored (neither an order nor a refund, and they do
    not refresh recency).
Recency
    ``recency_days``: days from the customer's last order in the window to ``as_of``
    (0 = ordered on the as-of date). Refunds do not refresh recency.
Frequency
    ``frequency``: the number of distinct ``order_id`` among the customer's orders in
    the window, **all orders, not only repeat ones** (several rows with the same
    ``order_id``, e.g. order lines, count once). ``repeat_orders = frequency - 1``.
Monetary
    ``gross_sales`` sums the orders, ``refunds`` the refund rows (<= 0) of the window;
    ``monetary = gross_sales + refunds`` is the **net** spend: refunds are netted
    against the customer in the window the refund is dated (even when the refunded
    order is older). ``avg_order_value = monetary / frequency``.
    ``annual_spend = monetary * 365 / window_days`` (equal to ``monetary`` for the
    default one-year window); spend tiers use it.
Who is scored
    Customers with at least one order in the window. Customers whose only rows in
    the window are refunds are left out, with a :class:`~playbook.errors.PlaybookWarning`
    naming how many.
Scores
    1-5 by mid-rank percentile: with ``n`` customers and average rank ``k`` (ties share
    their average rank), ``p = (k - 0.5) / n`` and ``score = floor(5 p) + 1``. Ties
    always get the same score, nothing breaks on duplicate bin edges, ``n`` distinct
    values give equal-sized quintiles when ``n`` is a multiple of 5, a single customer
    (or a population where everyone is identical) scores 3, two customers 2 and 4.
    Higher frequency and monetary score higher; recency is inverted (most recent = 5).
    ``fm_score`` is the mean of F and M rounded half up: ``(f + m + 1) // 2``.
Segments
    A segment map (YAML in ``templates/``) lists segments in order with rules on
    ``r``, ``f``, ``m``, ``fm``; the first segment that matches wins, and the map must
    cover every score combination, so each customer lands in exactly one segment.
    ``"default"``: the widely used 11 segments; ``"domain"``: high-value, potential,
    sleeping and other.
Spend tiers
    By ``annual_spend`` with thresholds ``(low, high)``: basic ``< low``, growth from
    ``low`` to ``high`` (both included), strategic ``> high``. Presets
    :data:`TIER_PRESETS`: ``"saas"`` (30k / 100k CNY) and ``"case"`` (100k / 500k CNY).

Examples
--------
>>> import pandas as pd
>>> orders = pd.DataFrame({
...     "order_id": ["o1", "o2", "o3", "o4", "o5"],
...     "customer_id": ["A", "A", "B", "B", "C"],
...     "rep_id": ["R1", "R1", "R2", "R2", "R1"],
...     "order_date": pd.to_datetime(["2025-09-01", "2025-09-28", "2025-06-30", "2025-07-15", "2025-01-10"]),
...     "amount": [50_000.0, 70_000.0, 20_000.0, -5_000.0, 8_000.0]})
>>> seg = segment_customers(orders, as_of="2025-09-30", segment_map="domain", tiers="saas")
>>> seg[["customer_id", "recency_days", "frequency", "monetary", "tier"]]
  customer_id  recency_days  frequency  monetary       tier
0           A             2          2  120000.0  strategic
1           B            92          1   15000.0      basic
2           C           263          1    8000.0      basic
>>> seg[["customer_id", "r_score", "f_score", "m_score", "segment"]]
  customer_id  r_score  f_score  m_score     segment
0           A        5        5        5  high_value
1           B        3        2        3       other
2           C        1        2        1    sleeping
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from playbook import paths
from playbook.errors import InputError, ParameterError, PlaybookWarning, parse_date, require_columns
from playbook.labels import check_lang, t

__all__ = [
    "RFM_COLUMNS",
    "SCORE_COLUMNS",
    "CUSTOMER_COLUMNS",
    "SCORE_NAMES",
    "TIERS",
    "TIER_PRESETS",
    "SEGMENT_MAPS",
    "INACTIVE",
    "MONEY_COLUMNS",
    "DECIMAL_COLUMNS",
    "PCT_COLUMNS",
    "SegmentMap",
    "rfm_table",
    "quantile_score",
    "score",
    "load_segment_map",
    "segment",
    "tier_thresholds",
    "assign_tier",
    "segment_customers",
    "segment_summary",
    "load_actions",
    "segment_actions",
    "tier_actions",
    "action_plan",
    "rep_portfolio",
    "portfolio_summary",
    "portfolio_matrix",
    "migration",
    "retention_rate",
    "customer_ltv",
    "channel_economics",
    "display_labels",
    "channel_verdict",
    "segment_lists",
    "write_segment_lists",
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
# display formats for report.style_table: money (CNY, 2 decimals) ...
MONEY_COLUMNS = {
    "gross_sales", "refunds", "monetary", "avg_order_value", "annual_spend", "revenue",
    "mean_monetary", "high_value_revenue", "spend", "cac", "ltv", "historical_ltv",
    "annual_value", "net_revenue", "predicted_ltv", "amount",
}
# ... and every column shown with 2 decimals: money plus other real numbers
DECIMAL_COLUMNS = MONEY_COLUMNS | {"mean_recency_days", "mean_frequency", "purchase_rate", "payback_months",
                                   "ltv_cac"}
PCT_COLUMNS = {"customer_share", "revenue_share", "high_value_share", "retention"}
_SCORE_MAX = 5


# --------------------------------------------------------------------------- helpers

_require = require_columns


_date = parse_date


def _positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ParameterError(name, value, "a whole number of days >= 1, e.g. 365")
    return int(value)


def _amounts(frame: pd.DataFrame, col: str, where: str) -> pd.Series:
    try:
        values = pd.to_numeric(frame[col]).astype("float64")
    except (ValueError, TypeError):
        raise InputError(f"{where}: column {col!r} must hold numbers (amounts in CNY).") from None
    if values.isna().any():
        raise InputError(f"{where}: column {col!r} has {int(values.isna().sum())} empty value(s); "
                         "fill them or drop those rows.")
    return values


def _dates(frame: pd.DataFrame, col: str, where: str) -> pd.Series:
    try:
        values = pd.to_datetime(frame[col])
    except (ValueError, TypeError):
        raise InputError(f"{where}: column {col!r} must hold dates, e.g. 2025-09-30.") from None
    if values.isna().any():
        raise InputError(f"{where}: column {col!r} has {int(values.isna().sum())} empty date(s); "
                         "fill them or drop those rows.")
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
    _require(orders, [customer_col, order_col, date_col, amount_col, rep_col], "orders")
    end = _date(as_of, "as_of")
    days = _positive_int(window_days, "window_days")
    if orders.empty:
        raise InputError("orders: the table has no rows; RFM needs at least one order.")
    dates = _dates(orders, date_col, "orders")
    amount = _amounts(orders, amount_col, "orders")
    is_order = amount > 0
    if not (is_order & (dates < end + pd.Timedelta(days=1))).any():
        first = dates[is_order].min() if is_order.any() else dates.min()
        raise ParameterError(
            "as_of", str(end.date()),
            f"a date on or after the first order ({pd.Timestamp(first).date()}): no customer had ordered by then",
        )
    start, stop = _window(end, days)
    in_window = (dates >= start) & (dates < stop)
    pos = in_window & is_order
    if not pos.any():
        raise ParameterError(
            "window_days", days,
            f"a window that holds orders: there is no order from {start.date()} to {end.date()}; "
            "widen window_days or move as_of",
        )
    # positional from here on: the input's index may hold duplicates
    frame = pd.DataFrame({"c": orders[customer_col].array, "o": orders[order_col].array,
                          "r": orders[rep_col].array, "d": dates.array, "a": amount.array})
    win = frame.loc[in_window.to_numpy()]
    p = win.loc[pos.to_numpy()[in_window.to_numpy()]]
    g = p.groupby("c", sort=True)
    last = g["d"].max()
    freq = g["o"].nunique()
    gross = g["a"].sum()
    rep = p["r"].loc[g["d"].idxmax()].set_axis(last.index)
    refunds = win.loc[win["a"] < 0].groupby("c")["a"].sum()
    refund_only = refunds.index.difference(last.index)
    if len(refund_only):
        warnings.warn(
            f"{len(refund_only)} customer(s) have only refunds in the window "
            f"({start.date()} to {end.date()}) and are left out of the RFM table, e.g. "
            f"{', '.join(map(str, refund_only[:3]))}.",
            PlaybookWarning, stacklevel=2,
        )
    out = pd.DataFrame({"customer_id": last.index.to_numpy(), "rep_id": rep.to_numpy()})
    out["last_order_date"] = last.dt.normalize().to_numpy()
    out["recency_days"] = (end - out["last_order_date"]).dt.days.astype("int64")
    out["frequency"] = freq.to_numpy().astype("int64")
    out["repeat_orders"] = out["frequency"] - 1
    out["gross_sales"] = gross.round(2).to_numpy()
    out["refunds"] = refunds.reindex(last.index, fill_value=0.0).round(2).to_numpy() + 0.0
    out["monetary"] = (out["gross_sales"] + out["refunds"]).round(2)
    out["avg_order_value"] = (out["monetary"] / out["frequency"]).round(2)
    out["annual_spend"] = (out["monetary"] * 365.0 / days).round(2)
    return out[RFM_COLUMNS]


# --------------------------------------------------------------------------- scores

def quantile_score(values: pd.Series, *, higher_is_better: bool = True) -> pd.Series:
    """Score ``values`` 1-5 by mid-rank percentile; ties share a score.

    With ``n`` values and average rank ``k``, ``score = floor(5 (k - 0.5) / n) + 1``,
    computed in integers (exact at bin edges).

    Examples
    --------
    >>> quantile_score(pd.Series([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])).tolist()
    [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    >>> quantile_score(pd.Series([7, 7, 7])).tolist()
    [3, 3, 3]
    >>> quantile_score(pd.Series([1, 30]), higher_is_better=False).tolist()
    [4, 2]
    """
    values = pd.Series(values)
    if values.isna().any():
        raise InputError("cannot score empty values: every customer needs recency, frequency and monetary.")
    n = len(values)
    if n == 0:
        return pd.Series([], index=values.index, dtype="int64")
    twice_rank = (values.rank(method="average", ascending=higher_is_better) * 2).round().astype("int64")
    return ((_SCORE_MAX * (twice_rank - 1)) // (2 * n) + 1).astype("int64")


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
    _require(rfm, ["recency_days", "frequency", "monetary"], "RFM table")
    out = rfm.copy()
    out["r_score"] = quantile_score(rfm["recency_days"], higher_is_better=False)
    out["f_score"] = quantile_score(rfm["frequency"])
    out["m_score"] = quantile_score(rfm["monetary"])
    out["fm_score"] = (out["f_score"] + out["m_score"] + 1) // 2
    out["rfm_code"] = (out["r_score"].astype(str) + out["f_score"].astype(str)
                       + out["m_score"].astype(str))
    return out


# --------------------------------------------------------------------------- segment maps

@dataclass(frozen=True, eq=False)
class SegmentMap:
    """A segment map: ordered segment keys, their labels and the score lookup.

    ``lookup[r-1, f-1, m-1]`` is the index in ``keys`` of the segment of a customer
    with scores ``(r, f, m)``; every cell is filled (checked on load).
    """

    name: str
    keys: tuple[str, ...]
    labels: Mapping[str, Mapping[str, str]]
    high_value: tuple[str, ...]
    lookup: np.ndarray = field(repr=False)
    titles: Mapping[str, str] = field(default_factory=dict)

    def title(self, lang: str = "en") -> str:
        """Return the map's title in ``lang`` (its ``title`` in the YAML, else its name)."""
        check_lang(lang)
        return self.titles.get(lang) or self.name

    def label(self, key: str, lang: str = "en") -> str:
        """Return the label of segment ``key`` (or of :data:`INACTIVE`) in ``lang``."""
        check_lang(lang)
        if key == INACTIVE:
            return t("rfm.inactive", lang)
        return self.labels[key][lang]

    def assign(self, r: Any, f: Any, m: Any) -> np.ndarray:
        """Return the segment key for each (r, f, m) score triple."""
        idx = self.lookup[np.asarray(r) - 1, np.asarray(f) - 1, np.asarray(m) - 1]
        return np.asarray(self.keys, dtype=object)[idx]


def _range(value: object, where: str) -> tuple[int, int]:
    if isinstance(value, bool):
        value = None
    if isinstance(value, int):
        lo = hi = value
    elif isinstance(value, (list, tuple)) and len(value) == 2 and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        lo, hi = value
    else:
        raise InputError(f"{where}: expected a score 1-5 or a range [low, high], got {value!r}.")
    if not 1 <= lo <= hi <= _SCORE_MAX:
        raise InputError(f"{where}: range {value!r} must satisfy 1 <= low <= high <= 5.")
    return lo, hi


def _parse_map(data: Mapping[str, Any], where: str) -> SegmentMap:
    if not isinstance(data, Mapping) or not isinstance(data.get("segments"), list) or not data["segments"]:
        raise InputError(f"{where}: a segment map needs a non-empty list 'segments'.")
    keys: list[str] = []
    labels: dict[str, dict[str, str]] = {}
    grid = np.arange(1, _SCORE_MAX + 1)
    r, f, m = np.meshgrid(grid, grid, grid, indexing="ij")
    scores = {"r": r, "f": f, "m": m, "fm": (f + m + 1) // 2}
    lookup = np.full(r.shape, -1, dtype=np.int64)
    for i, seg in enumerate(data["segments"]):
        key = seg.get("key") if isinstance(seg, Mapping) else None
        if not isinstance(key, str) or not key:
            raise InputError(f"{where}: segment number {i + 1} needs a 'key'.")
        if key in keys or key == INACTIVE:
            raise InputError(f"{where}: segment key {key!r} is used twice or reserved; keys must be unique.")
        missing = [lang for lang in ("en", "zh") if not str(seg.get(lang) or "").strip()]
        if missing:
            raise InputError(f"{where}: segment {key!r} needs a label in {', '.join(missing)}.")
        when = seg.get("when")
        if not isinstance(when, list) or not when:
            raise InputError(f"{where}: segment {key!r} needs 'when': a list of conditions ({{}} = everyone).")
        match = np.zeros(r.shape, dtype=bool)
        for cond in when:
            if not isinstance(cond, Mapping):
                raise InputError(f"{where}: segment {key!r}: each condition is a mapping like {{r: [4, 5]}}.")
            hit = np.ones(r.shape, dtype=bool)
            for name, rng in cond.items():
                if name not in SCORE_NAMES:
                    raise InputError(f"{where}: segment {key!r}: unknown score {name!r}; use r, f, m or fm.")
                lo, hi = _range(rng, f"{where}: segment {key!r}, score {name}")
                hit &= (scores[name] >= lo) & (scores[name] <= hi)
            match |= hit
        lookup[(lookup < 0) & match] = i
        keys.append(key)
        labels[key] = {"en": str(seg["en"]), "zh": str(seg["zh"])}
    if (lookup < 0).any():
        holes = [f"r={a + 1} f={b + 1} m={c + 1}" for a, b, c in np.argwhere(lookup < 0)[:5]]
        raise InputError(
            f"{where}: {int((lookup < 0).sum())} score combination(s) match no segment, e.g. "
            f"{'; '.join(holes)}. Add rules for them, or a last catch-all segment with when: [{{}}]."
        )
    high = data.get("high_value") or []
    unknown = [k for k in high if k not in keys]
    if unknown:
        raise InputError(f"{where}: high_value names unknown segment(s): {', '.join(map(str, unknown))}.")
    title = data.get("title") if isinstance(data.get("title"), Mapping) else {}
    return SegmentMap(str(data.get("name") or where), tuple(keys), labels, tuple(high), lookup,
                      {k: str(v) for k, v in title.items()})


def load_segment_map(spec: str | Path | Mapping[str, Any] | SegmentMap = "default") -> SegmentMap:
    """Return a segment map: ``"default"``, ``"domain"``, a YAML path, a parsed mapping or a map.

    The YAML format is documented at the top of ``templates/rfm_segments.yaml``.

    Examples
    --------
    >>> m = load_segment_map("domain")
    >>> m.keys
    ('high_value', 'potential', 'sleeping', 'other')
    >>> m.label("potential", "zh"), m.assign([5], [5], [5])[0]
    ('潜力客户', 'high_value')
    >>> len(load_segment_map().keys)
    11
    """
    if isinstance(spec, SegmentMap):
        return spec
    if isinstance(spec, Mapping):
        return _parse_map(spec, "segment map")
    path = Path(SEGMENT_MAPS.get(str(spec)) or paths.resolve(spec))
    if not path.is_file():
        raise ParameterError("segment_map", str(spec), "'default', 'domain' or the path of a YAML segment map")
    return _load_map_file(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=16)
def _load_map_file(path: str, _mtime: int) -> SegmentMap:
    """Parse a segment-map file once per version (the lookup is read-only)."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"{Path(path).name}: not valid YAML ({exc}).") from None
    smap = _parse_map(data, Path(path).name)
    smap.lookup.flags.writeable = False
    return smap


def segment(scored: pd.DataFrame, *, segment_map: str | Path | Mapping[str, Any] | SegmentMap = "default"
            ) -> pd.DataFrame:
    """Add the ``segment`` column (a segment key of ``segment_map``) to a scored frame.

    Examples
    --------
    >>> s = pd.DataFrame({"r_score": [5, 1, 3], "f_score": [5, 1, 3], "m_score": [5, 1, 3]})
    >>> segment(s)["segment"].tolist()
    ['champions', 'lost', 'need_attention']
    >>> segment(s, segment_map="domain")["segment"].tolist()
    ['high_value', 'sleeping', 'other']
    """
    _require(scored, ["r_score", "f_score", "m_score"], "scored RFM table")
    smap = load_segment_map(segment_map)
    out = scored.copy()
    scores = [scored[c].to_numpy(dtype="int64") for c in ("r_score", "f_score", "m_score")]
    out["segment"] = pd.array(smap.assign(*scores), dtype="str")
    return out


# --------------------------------------------------------------------------- spend tiers

def tier_thresholds(tiers: str | Sequence[float] = "saas") -> tuple[float, float]:
    """Return ``(growth from, strategic above)`` for a preset name or a pair of amounts.

    Examples
    --------
    >>> tier_thresholds("case")
    (100000.0, 500000.0)
    >>> tier_thresholds([20_000, 80_000])
    (20000.0, 80000.0)
    """
    expected = ("'saas', 'case' or two increasing amounts in CNY per year "
                "(growth from, strategic above), e.g. (30000, 100000)")
    if isinstance(tiers, str):
        if tiers not in TIER_PRESETS:
            raise ParameterError("tiers", tiers, expected)
        return TIER_PRESETS[tiers]
    try:
        low, high = (float(x) for x in tiers)
    except (TypeError, ValueError):
        raise ParameterError("tiers", tiers, expected) from None
    if not (np.isfinite(low) and np.isfinite(high)) or not low < high:
        raise ParameterError("tiers", tiers, expected + " (the first must be below the second)")
    return low, high


def assign_tier(frame: pd.DataFrame, *, tiers: str | Sequence[float] = "saas",
                spend_col: str = "annual_spend") -> pd.DataFrame:
    """Add the ``tier`` column: ``basic`` below the low threshold, ``strategic`` above the high one.

    Amounts equal to a threshold fall in ``growth`` (domain: growth is 30k-100k).

    Examples
    --------
    >>> f = pd.DataFrame({"annual_spend": [29_999.0, 30_000.0, 100_000.0, 100_000.01]})
    >>> assign_tier(f)["tier"].tolist()
    ['basic', 'growth', 'growth', 'strategic']
    """
    _require(frame, [spend_col], "customers")
    low, high = tier_thresholds(tiers)
    spend = frame[spend_col].astype("float64")
    tier = np.where(spend > high, "strategic", np.where(spend < low, "basic", "growth"))
    out = frame.copy()
    out["tier"] = pd.array(tier, dtype="str")
    return out


def segment_customers(
    orders: pd.DataFrame,
    *,
    as_of: object,
    window_days: int = 365,
    segment_map: str | Path | Mapping[str, Any] | SegmentMap = "default",
    tiers: str | Sequence[float] = "saas",
    **columns: str,
) -> pd.DataFrame:
    """Compute the RFM table, scores, segment and spend tier in one call (columns :data:`CUSTOMER_COLUMNS`).

    ``columns`` passes input column names on to :func:`rfm_table`
    (``customer_col=...``, ``amount_col=...``).

    Examples
    --------
    >>> o = pd.DataFrame({"order_id": ["1", "2"], "customer_id": ["A", "B"], "rep_id": ["R1", "R1"],
    ...                   "order_date": pd.to_datetime(["2025-09-01", "2025-03-01"]),
    ...                   "amount": [200_000.0, 5_000.0]})
    >>> segment_customers(o, as_of="2025-09-30")[["customer_id", "rfm_code", "segment", "tier"]]
      customer_id rfm_code    segment       tier
    0           A      434  champions  strategic
    1           B      232    at_risk      basic
    """
    smap = load_segment_map(segment_map)
    tier_thresholds(tiers)  # fail early on bad thresholds
    rfm = rfm_table(orders, as_of=as_of, window_days=window_days, **columns)
    return assign_tier(segment(score(rfm), segment_map=smap), tiers=tiers)[CUSTOMER_COLUMNS]


def segment_summary(segmented: pd.DataFrame, *,
                    segment_map: str | Path | Mapping[str, Any] | SegmentMap = "default") -> pd.DataFrame:
    """Count customers and net revenue per segment, in the map's order (empty segments shown as 0).

    Returns columns ``segment, customers, customer_share, revenue, revenue_share,
    mean_recency_days, mean_frequency, mean_monetary``. ``revenue`` is the net
    ``monetary`` of the window; shares are of the totals (NaN if total revenue <= 0).

    Examples
    --------
    >>> s = pd.DataFrame({"segment": ["high_value", "other", "other"], "monetary": [300.0, 50.0, 50.0],
    ...                   "recency_days": [1, 10, 20], "frequency": [5, 1, 2]})
    >>> segment_summary(s, segment_map="domain")[["segment", "customers", "revenue", "revenue_share"]]
          segment  customers  revenue  revenue_share
    0  high_value          1    300.0           0.75
    1   potential          0      0.0           0.00
    2    sleeping          0      0.0           0.00
    3       other          2    100.0           0.25
    """
    _require(segmented, ["segment", "monetary", "recency_days", "frequency"], "segmented customers")
    smap = load_segment_map(segment_map)
    g = segmented.groupby("segment")
    out = pd.DataFrame({
        "customers": g.size(),
        "revenue": g["monetary"].sum(),
        "mean_recency_days": g["recency_days"].mean(),
        "mean_frequency": g["frequency"].mean(),
        "mean_monetary": g["monetary"].mean(),
    }).reindex(list(smap.keys))
    out[["customers", "revenue"]] = out[["customers", "revenue"]].fillna(0)
    out["customers"] = out["customers"].astype("int64")
    total_c, total_r = out["customers"].sum(), out["revenue"].sum()
    out["customer_share"] = out["customers"] / total_c if total_c else np.nan
    out["revenue_share"] = out["revenue"] / total_r if total_r > 0 else np.nan
    out = out.round({"revenue": 2, "mean_recency_days": 1, "mean_frequency": 2, "mean_monetary": 2,
                     "customer_share": 4, "revenue_share": 4})
    out = out.rename_axis("segment").reset_index()
    return out[["segment", "customers", "customer_share", "revenue", "revenue_share",
                "mean_recency_days", "mean_frequency", "mean_monetary"]]


# --------------------------------------------------------------------------- actions

def load_actions(actions: str | Path | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the action catalogue (``templates/rfm_actions.yaml`` by default, or a path/mapping).

    Examples
    --------
    >>> load_actions()["tiers"]["case"]["strategic"]["zh"][:9]
    '年消费 50 万元'
    """
    if isinstance(actions, Mapping):
        data: Any = actions
        where = "actions"
    else:
        path = ACTIONS_FILE if actions is None else paths.resolve(actions)
        if not Path(path).is_file():
            raise ParameterError("actions", str(actions), "the path of a YAML action catalogue")
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        where = Path(path).name
    if not isinstance(data, Mapping) or not isinstance(data.get("segments"), Mapping) \
            or not isinstance(data.get("tiers"), Mapping):
        raise InputError(f"{where}: an action catalogue needs the sections 'segments' and 'tiers'.")
    return dict(data)


def _text(entry: object, lang: str) -> Any:
    if isinstance(entry, Mapping) and entry.get(lang):
        return str(entry[lang])
    return pd.NA


def segment_actions(*, segment_map: str | Path | Mapping[str, Any] | SegmentMap = "default",
                    lang: str = "en", actions: str | Path | Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Return the playbook action for every segment of ``segment_map`` (``segment, action``).

    A segment without an entry in the catalogue gets an empty (NA) action.

    Examples
    --------
    >>> segment_actions(segment_map="domain", lang="zh")["action"].iloc[0]
    '资深销售 + 定制化服务；定期需求回访；交叉销售。'
    """
    check_lang(lang)
    smap = load_segment_map(segment_map)
    cat = load_actions(actions)["segments"]
    return pd.DataFrame({"segment": list(smap.keys),
                         "action": pd.array([_text(cat.get(k), lang) for k in smap.keys], dtype="str")})


def tier_actions(*, preset: str = "saas", lang: str = "en",
                 actions: str | Path | Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Return the service model for each spend tier of a preset (``tier, action``).

    Examples
    --------
    >>> tier_actions(preset="saas")["action"].iloc[-1]
    'Under 30k CNY/yr: online self-service.'
    """
    check_lang(lang)
    tiers = load_actions(actions)["tiers"]
    if preset not in tiers:
        raise ParameterError("tier_preset", preset, "one of " + ", ".join(repr(k) for k in tiers))
    return pd.DataFrame({"tier": list(TIERS),
                         "action": pd.array([_text(tiers[preset].get(k), lang) for k in TIERS], dtype="str")})


def action_plan(segmented: pd.DataFrame, *,
                segment_map: str | Path | Mapping[str, Any] | SegmentMap = "default",
                tier_preset: str = "saas", lang: str = "en",
                actions: str | Path | Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Plan actions: one row per segment and tier that has customers: counts, revenue and both actions.

    Columns ``segment, tier, customers, revenue, segment_action, tier_action``, in
    the map's segment order and tier order strategic, growth, basic.

    Examples
    --------
    >>> s = pd.DataFrame({"segment": ["sleeping", "high_value"], "tier": ["basic", "strategic"],
    ...                   "monetary": [10.0, 900.0]})
    >>> action_plan(s, segment_map="domain")[["segment", "tier", "customers", "revenue"]]
          segment       tier  customers  revenue
    0  high_value  strategic          1    900.0
    1    sleeping      basic          1     10.0
    """
    _require(segmented, ["segment", "tier", "monetary"], "segmented customers")
    smap = load_segment_map(segment_map)
    seg_act = segment_actions(segment_map=smap, lang=lang, actions=actions).set_index("segment")["action"]
    tier_act = tier_actions(preset=tier_preset, lang=lang, actions=actions).set_index("tier")["action"]
    g = segmented.groupby(["segment", "tier"])
    out = pd.DataFrame({"customers": g.size(), "revenue": g["monetary"].sum().round(2)}).reset_index()
    out["_s"] = out["segment"].map({k: i for i, k in enumerate(smap.keys)})
    out["_t"] = out["tier"].map({k: i for i, k in enumerate(TIERS)})
    out = out.sort_values(["_s", "_t"], kind="stable").reset_index(drop=True)
    out["segment_action"] = out["segment"].map(seg_act)
    out["tier_action"] = out["tier"].map(tier_act)
    return out[["segment", "tier", "customers", "revenue", "segment_action", "tier_action"]]


# --------------------------------------------------------------------------- portfolios

def _owners(segmented: pd.DataFrame, customers: pd.DataFrame | None, customer_col: str,
            owner_col: str) -> pd.Series:
    rep = segmented["rep_id"]
    if customers is None:
        return rep
    _require(customers, [customer_col, owner_col], "customers")
    owner = customers.drop_duplicates(customer_col).set_index(customer_col)[owner_col]
    return segmented["customer_id"].map(owner).fillna(rep)


def _rep_names(reps: pd.DataFrame | None) -> pd.Series:
    if reps is None:
        return pd.Series(dtype="str")
    _require(reps, ["rep_id", "name"], "reps")
    return reps.drop_duplicates("rep_id").set_index("rep_id")["name"]


def rep_portfolio(segmented: pd.DataFrame, *, customers: pd.DataFrame | None = None,
                  customer_col: str = "customer_id", owner_col: str = "owner_rep_id") -> pd.DataFrame:
    """Count customers and net revenue per rep, segment and tier (long format).

    A customer belongs to its owner in ``customers`` (``owner_rep_id``); without one,
    to the rep credited on its latest order (``rep_id`` of the RFM table).
    Columns ``rep_id, segment, tier, customers, revenue``.

    Examples
    --------
    >>> s = pd.DataFrame({"customer_id": ["A", "B", "C"], "rep_id": ["R1", "R1", "R2"],
    ...                   "segment": ["x", "x", "y"], "tier": ["basic"] * 3, "monetary": [1.0, 2.0, 5.0]})
    >>> rep_portfolio(s, customers=pd.DataFrame({"customer_id": ["C"], "owner_rep_id": ["R1"]}))
      rep_id segment   tier  customers  revenue
    0     R1       x  basic          2      3.0
    1     R1       y  basic          1      5.0
    """
    _require(segmented, ["customer_id", "rep_id", "segment", "tier", "monetary"], "segmented customers")
    frame = segmented.assign(rep_id=_owners(segmented, customers, customer_col, owner_col))
    g = frame.groupby(["rep_id", "segment", "tier"], sort=True)
    out = pd.DataFrame({"customers": g.size(), "revenue": g["monetary"].sum().round(2)})
    return out.reset_index()


def portfolio_summary(segmented: pd.DataFrame, *,
                      segment_map: str | Path | Mapping[str, Any] | SegmentMap = "default",
                      customers: pd.DataFrame | None = None, reps: pd.DataFrame | None = None,
                      customer_col: str = "customer_id", owner_col: str = "owner_rep_id") -> pd.DataFrame:
    """Summarise each rep's portfolio: customers, revenue, high-value revenue and its share, customers per tier.

    High-value segments are the map's ``high_value`` list (default map: champions,
    loyal; domain map: high_value). Columns ``rep_id, name, customers, revenue,
    high_value_customers, high_value_revenue, high_value_share, strategic_customers,
    growth_customers, basic_customers``; ``name`` comes from ``reps`` (NA without it);
    ``high_value_share`` is NaN when the rep's revenue is not positive. The last row
    (``rep_id`` "total") sums the team.

    Examples
    --------
    >>> s = pd.DataFrame({"customer_id": ["A", "B"], "rep_id": ["R1", "R1"], "segment": ["high_value", "other"],
    ...                   "tier": ["strategic", "basic"], "monetary": [600.0, 400.0]})
    >>> portfolio_summary(s, segment_map="domain")[["rep_id", "customers", "revenue", "high_value_share"]]
      rep_id  customers  revenue  high_value_share
    0     R1          2   1000.0               0.6
    1  total          2   1000.0               0.6
    """
    smap = load_segment_map(segment_map)
    long = rep_portfolio(segmented, customers=customers, customer_col=customer_col, owner_col=owner_col)
    long["_hv"] = long["segment"].isin(smap.high_value)
    g = long.groupby("rep_id", sort=True)
    out = pd.DataFrame({
        "customers": g["customers"].sum(),
        "revenue": g["revenue"].sum(),
        "high_value_customers": long["customers"].where(long["_hv"], 0).groupby(long["rep_id"]).sum(),
        "high_value_revenue": long["revenue"].where(long["_hv"], 0.0).groupby(long["rep_id"]).sum(),
    })
    for tier in TIERS:
        out[f"{tier}_customers"] = long["customers"].where(long["tier"] == tier, 0).groupby(long["rep_id"]).sum()
    out.loc["total"] = out.sum()
    out = out.rename_axis("rep_id").reset_index()
    out["revenue"] = out["revenue"].round(2)
    out["high_value_revenue"] = out["high_value_revenue"].round(2)
    out["high_value_share"] = (out["high_value_revenue"] / out["revenue"].where(out["revenue"] > 0)).round(4)
    out["name"] = pd.array(out["rep_id"].map(_rep_names(reps)), dtype="str")
    cols = ["customers", "high_value_customers"] + [f"{t_}_customers" for t_ in TIERS]
    out[cols] = out[cols].astype("int64")
    return out[["rep_id", "name", "customers", "revenue", "high_value_customers", "high_value_revenue",
                "high_value_share"] + [f"{t_}_customers" for t_ in TIERS]]


def portfolio_matrix(segmented: pd.DataFrame, *,
                     segment_map: str | Path | Mapping[str, Any] | SegmentMap = "default",
                     value: str = "customers", customers: pd.DataFrame | None = None,
                     reps: pd.DataFrame | None = None,
                     customer_col: str = "customer_id", owner_col: str = "owner_rep_id") -> pd.DataFrame:
    """Tabulate reps x segments: ``value`` (``"customers"`` or ``"revenue"``), one column per segment key.

    Columns ``rep_id``, ``name`` (from ``reps``; NA without it), then the map's segment keys.

    Examples
    --------
    >>> s = pd.DataFrame({"customer_id": ["A", "B"], "rep_id": ["R1", "R2"], "segment": ["other", "sleeping"],
    ...                   "tier": ["basic", "basic"], "monetary": [5.0, 7.0]})
    >>> portfolio_matrix(s, segment_map="domain").drop(columns="name")
      rep_id  high_value  potential  sleeping  other
    0     R1           0          0         0      1
    1     R2           0          0         1      0
    """
    if value not in ("customers", "revenue"):
        raise ParameterError("value", value, "'customers' or 'revenue'")
    smap = load_segment_map(segment_map)
    long = rep_portfolio(segmented, customers=customers, customer_col=customer_col, owner_col=owner_col)
    wide = long.pivot_table(index="rep_id", columns="segment", values=value, aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=list(smap.keys), fill_value=0).rename_axis(columns=None)
    if value == "customers":
        wide = wide.astype("int64")
    else:
        wide = wide.astype("float64").round(2)
    wide = wide.rename_axis("rep_id").reset_index()
    wide.insert(1, "name", pd.array(wide["rep_id"].map(_rep_names(reps)), dtype="str"))
    return wide


# --------------------------------------------------------------------------- migration

def migration(before: pd.DataFrame, after: pd.DataFrame, *,
              segment_map: str | Path | Mapping[str, Any] | SegmentMap = "default") -> pd.DataFrame:
    """Count customers moving from segment to segment between two segmentations (e.g. two as-of dates).

    Rows: segment at the first date (``from_segment``); columns: segment at the
    second date. A customer absent from one of the two frames (no order in that
    window) is counted under :data:`INACTIVE`; customers absent from both do not appear.

    Examples
    --------
    >>> b = pd.DataFrame({"customer_id": ["A", "B"], "segment": ["high_value", "potential"]})
    >>> a = pd.DataFrame({"customer_id": ["A", "C"], "segment": ["sleeping", "potential"]})
    >>> migration(b, a, segment_map="domain")
      from_segment  high_value  potential  sleeping  other  inactive
    0   high_value           0          0         1      0         0
    1    potential           0          0         0      0         1
    2     sleeping           0          0         0      0         0
    3        other           0          0         0      0         0
    4     inactive           0          1         0      0         0
    """
    _require(before, ["customer_id", "segment"], "first segmentation")
    _require(after, ["customer_id", "segment"], "second segmentation")
    smap = load_segment_map(segment_map)
    order = list(smap.keys) + [INACTIVE]
    both = before[["customer_id", "segment"]].merge(
        after[["customer_id", "segment"]], on="customer_id", how="outer", suffixes=("_from", "_to"))
    both = both.fillna({"segment_from": INACTIVE, "segment_to": INACTIVE})
    counts = both.groupby(["segment_from", "segment_to"]).size().unstack(fill_value=0)
    counts = counts.reindex(index=order, columns=order, fill_value=0).astype("int64")
    counts = counts.rename_axis(index="from_segment", columns=None).reset_index()
    counts["from_segment"] = counts["from_segment"].astype("str")
    return counts


# --------------------------------------------------------------------------- LTV and CAC

def _first_orders(orders: pd.DataFrame, end: pd.Timestamp, customer_col: str, date_col: str,
                  amount_col: str) -> pd.Series:
    dates = _dates(orders, date_col, "orders")
    amount = _amounts(orders, amount_col, "orders")
    keep = (amount > 0) & (dates < end + pd.Timedelta(days=1))
    return dates[keep].groupby(orders.loc[keep, customer_col]).min().dt.normalize()


def retention_rate(orders: pd.DataFrame, *, as_of: object, period_days: int = 365,
                   groups: pd.Series | None = None, customer_col: str = "customer_id",
                   date_col: str = "order_date", amount_col: str = "amount") -> Any:
    """Return the share of customers who ordered in the previous period and order again in the last one.

    The last period is the ``period_days`` days ending on ``as_of``; the previous one
    the ``period_days`` days before it. Returns a float, or, with ``groups`` (a
    Series mapping customer id to a group such as the channel), a Series per group.
    NaN where nobody ordered in the previous period.

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": ["A", "A", "B", "C"], "amount": [1.0, 1.0, 1.0, 1.0],
    ...                   "order_date": pd.to_datetime(["2024-03-01", "2025-03-01", "2024-05-01", "2025-05-01"])})
    >>> retention_rate(o, as_of="2025-09-30")
    0.5
    """
    end = _date(as_of, "as_of")
    days = _positive_int(period_days, "period_days")
    _require(orders, [customer_col, date_col, amount_col], "orders")
    dates = _dates(orders, date_col, "orders")
    amount = _amounts(orders, amount_col, "orders")
    start, stop = _window(end, days)
    prev_start = start - pd.Timedelta(days=days)
    cust = orders[customer_col]
    prev = pd.Index(cust[(amount > 0) & (dates >= prev_start) & (dates < start)].unique())
    cur = pd.Index(cust[(amount > 0) & (dates >= start) & (dates < stop)].unique())
    kept = pd.Series(prev.isin(cur), index=prev)
    if groups is None:
        return float(kept.mean()) if len(kept) else float("nan")
    key = pd.Series(prev.map(groups), index=prev).fillna(UNKNOWN_CHANNEL)
    return kept.groupby(key).mean()


def customer_ltv(orders: pd.DataFrame, *, as_of: object, margin: float = 1.0,
                 retention: float | None = None, period_days: int = 365, max_retention: float = 0.95,
                 customer_col: str = "customer_id", order_col: str = "order_id",
                 date_col: str = "order_date", amount_col: str = "amount") -> pd.DataFrame:
    """Compute historical and predicted lifetime value per customer.

    ``historical_ltv = margin * net_revenue`` (all orders minus refunds up to ``as_of``).

    ``predicted_ltv = margin * annual_value / (1 - retention)``, where
    ``annual_value = purchase_rate * avg_order_value`` is the customer's net spend in
    the last ``period_days`` days scaled to a year (purchase rate = orders per year,
    average order value = net per order), and ``1 / (1 - retention)`` is the expected
    number of years a customer stays when a share ``retention`` of customers orders
    again each year (this year included; no discounting). ``retention`` is estimated
    with :func:`retention_rate` when not given, and capped at ``max_retention``.

    Columns ``customer_id, first_order_date, net_revenue, historical_ltv,
    period_orders, annual_value, predicted_ltv``.

    Examples
    --------
    >>> o = pd.DataFrame({"order_id": ["1", "2", "3"], "customer_id": ["A", "A", "B"],
    ...                   "amount": [1000.0, 2000.0, 500.0],
    ...                   "order_date": pd.to_datetime(["2024-01-10", "2025-06-01", "2025-07-01"])})
    >>> customer_ltv(o, as_of="2025-09-30", margin=0.5, retention=0.6)[
    ...     ["customer_id", "net_revenue", "historical_ltv", "annual_value", "predicted_ltv"]]
      customer_id  net_revenue  historical_ltv  annual_value  predicted_ltv
    0           A       3000.0          1500.0        2000.0         2500.0
    1           B        500.0           250.0         500.0          625.0
    """
    _require(orders, [customer_col, order_col, date_col, amount_col], "orders")
    end = _date(as_of, "as_of")
    days = _positive_int(period_days, "period_days")
    rate = _retention(orders, retention, end, days, max_retention, customer_col, date_col, amount_col)
    _check_margin(margin)
    dates = _dates(orders, date_col, "orders")
    amount = _amounts(orders, amount_col, "orders")
    first = _first_orders(orders, end, customer_col, date_col, amount_col)
    upto = dates < end + pd.Timedelta(days=1)
    net = amount[upto].groupby(orders.loc[upto, customer_col]).sum()
    start, _ = _window(end, days)
    recent = upto & (dates >= start)
    period_net = amount[recent].groupby(orders.loc[recent, customer_col]).sum()
    period_orders = orders.loc[recent & (amount > 0)].groupby(customer_col)[order_col].nunique()
    out = pd.DataFrame({"customer_id": first.index.to_numpy(), "first_order_date": first.to_numpy()})
    out["net_revenue"] = net.reindex(first.index, fill_value=0.0).round(2).to_numpy()
    out["historical_ltv"] = (out["net_revenue"] * margin).round(2)
    out["period_orders"] = period_orders.reindex(first.index, fill_value=0).to_numpy().astype("int64")
    out["annual_value"] = (period_net.reindex(first.index, fill_value=0.0) * 365.0 / days).round(2).to_numpy()
    out["predicted_ltv"] = (margin * out["annual_value"] / (1.0 - rate)).round(2)
    return out


def _check_margin(margin: float) -> None:
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not 0 < margin <= 1:
        raise ParameterError("margin", margin, "a gross margin between 0 and 1 (1 = count revenue), e.g. 0.6")


def _retention(orders: pd.DataFrame, retention: float | None, end: pd.Timestamp, days: int, cap: float,
               customer_col: str, date_col: str, amount_col: str) -> float:
    if retention is not None:
        if isinstance(retention, bool) or not isinstance(retention, (int, float)) or not 0 <= retention < 1:
            raise ParameterError("retention", retention, "a yearly retention rate from 0 up to (not including) 1")
        return float(retention)
    rate = retention_rate(orders, as_of=end, period_days=days, customer_col=customer_col, date_col=date_col,
                          amount_col=amount_col)
    if np.isnan(rate):
        raise ParameterError(
            "retention", None,
            f"a rate such as 0.6: no customer ordered in the {days} days before the last {days} days, "
            "so retention cannot be estimated from the data",
        )
    return min(rate, cap)


def channel_economics(orders: pd.DataFrame, customers: pd.DataFrame, channel_spend: pd.DataFrame | None, *,
                      as_of: object, period_days: int = 365, margin: float = 1.0,
                      retention: float | None = None, max_retention: float = 0.95,
                      customer_col: str = "customer_id", order_col: str = "order_id",
                      date_col: str = "order_date", amount_col: str = "amount",
                      channel_col: str = "channel") -> pd.DataFrame:
    """Compute CAC, LTV, LTV/CAC and payback per acquisition channel, flagging channels with ROI < 1.

    Over the ``period_days`` days ending on ``as_of``:

    - ``spend``: ``channel_spend`` in the period (a month only partly inside is
      pro-rated by days; no table = no spend); ``new_customers``: customers of the channel
      (``customers.channel``) whose first order ever falls in the period;
      ``cac = spend / new_customers`` (NaN without new customers).
    - ``active_customers``: the channel's customers with an order in the period;
      ``purchase_rate``: their orders per customer per year; ``avg_order_value``: net
      revenue per order; ``annual_value = purchase_rate * avg_order_value``.
    - ``retention``: the channel's :func:`retention_rate` (the overall rate where the
      channel had no customers in the previous period, or the ``retention`` given),
      capped at ``max_retention``.
    - ``ltv = margin * annual_value / (1 - retention)`` (as :func:`customer_ltv`);
      ``historical_ltv``: margin times the mean net revenue to date of the channel's
      customers.
    - ``ltv_cac = ltv * new_customers / spend``, i.e. LTV/CAC, the channel's ROI
      (0 when spend bought no customer, NaN without spend);
      ``payback_months = cac / (margin * annual_value / 12)``.
    - ``roi_below_1``: ``ltv_cac < 1`` - the domain's rule is to cut such channels.

    Customers without a channel count under ``"unknown"``. One row per channel in
    ``customers`` or ``channel_spend``, sorted by ``ltv_cac`` (worst first).

    Examples
    --------
    >>> orders = pd.DataFrame({"order_id": ["1", "2", "3", "4"], "customer_id": ["A", "A", "B", "C"],
    ...     "amount": [1000.0, 1000.0, 300.0, 500.0],
    ...     "order_date": pd.to_datetime(["2024-05-01", "2025-05-01", "2025-02-01", "2025-03-01"])})
    >>> customers = pd.DataFrame({"customer_id": ["A", "B", "C"], "channel": ["referral", "ads", "ads"]})
    >>> spend = pd.DataFrame({"channel": ["ads", "referral"], "month": pd.to_datetime(["2025-02-01"] * 2),
    ...                       "spend": [2000.0, 100.0]})
    >>> e = channel_economics(orders, customers, spend, as_of="2025-09-30", retention=0.5)
    >>> e[["channel", "spend", "new_customers", "cac", "ltv", "ltv_cac", "roi_below_1"]]
        channel   spend  new_customers     cac     ltv  ltv_cac  roi_below_1
    0  referral   100.0              0     NaN  2000.0      0.0         True
    1       ads  2000.0              2  1000.0   800.0      0.8         True
    """
    _require(orders, [customer_col, order_col, date_col, amount_col], "orders")
    _require(customers, [customer_col, channel_col], "customers")
    if channel_spend is None:
        channel_spend = pd.DataFrame({"channel": pd.Series([], dtype="str"),
                                      "month": pd.Series([], dtype="datetime64[ns]"),
                                      "spend": pd.Series([], dtype="float64")})
    _require(channel_spend, ["channel", "month", "spend"], "channel_spend")
    end = _date(as_of, "as_of")
    days = _positive_int(period_days, "period_days")
    _check_margin(margin)
    overall = _retention(orders, retention, end, days, max_retention, customer_col, date_col, amount_col)
    start, stop = _window(end, days)

    chan = customers.drop_duplicates(customer_col).set_index(customer_col)[channel_col]
    chan = chan.astype("str").where(chan.notna(), UNKNOWN_CHANNEL)

    month = pd.to_datetime(channel_spend["month"]).dt.to_period("M")
    m_start, m_end = month.dt.start_time.dt.normalize(), month.dt.end_time.dt.normalize()
    lo = m_start.where(m_start > start, start)
    hi = m_end.where(m_end < end, end)
    overlap = ((hi - lo).dt.days + 1).clip(lower=0)
    spend_amt = _amounts(channel_spend, "spend", "channel_spend") * overlap / month.dt.days_in_month
    spend = spend_amt.groupby(channel_spend["channel"].astype("str")).sum()

    first = _first_orders(orders, end, customer_col, date_col, amount_col)
    first_chan = pd.Series(first.index.map(chan), index=first.index).fillna(UNKNOWN_CHANNEL)
    new = first_chan[first >= start].value_counts()

    dates = _dates(orders, date_col, "orders")
    amount = _amounts(orders, amount_col, "orders")
    recent = (dates >= start) & (dates < stop)
    rows = orders.loc[recent, [customer_col, order_col]].assign(_a=amount[recent])
    rows["_ch"] = rows[customer_col].map(chan).fillna(UNKNOWN_CHANNEL)
    pos = rows[rows["_a"] > 0]
    active = pos.groupby("_ch")[customer_col].nunique()
    n_orders = pos.drop_duplicates([customer_col, order_col]).groupby("_ch").size()
    net = rows.groupby("_ch")["_a"].sum()

    upto = dates < stop
    net_all = amount[upto].groupby(orders.loc[upto, customer_col]).sum()
    hist = pd.Series(net_all.reindex(first.index).to_numpy(), index=first_chan.to_numpy()).groupby(level=0).mean()

    if retention is None:
        by_chan = retention_rate(orders, as_of=end, period_days=days, groups=chan, customer_col=customer_col,
                                 date_col=date_col, amount_col=amount_col)
    else:
        by_chan = pd.Series(dtype="float64")

    channels = sorted(set(spend.index) | set(chan.unique()) | set(first_chan.unique()))
    out = pd.DataFrame(index=pd.Index(channels, name="channel", dtype="str"))
    out["spend"] = spend.reindex(out.index, fill_value=0.0).round(2)
    out["new_customers"] = new.reindex(out.index, fill_value=0).astype("int64")
    out["cac"] = (out["spend"] / out["new_customers"].where(out["new_customers"] > 0)).round(2)
    out["active_customers"] = active.reindex(out.index, fill_value=0).astype("int64")
    years = days / 365.0
    act = out["active_customers"].where(out["active_customers"] > 0)
    out["purchase_rate"] = (n_orders.reindex(out.index, fill_value=0) / act / years).round(3)
    out["avg_order_value"] = (net.reindex(out.index) / n_orders.reindex(out.index)).round(2)
    out["annual_value"] = (net.reindex(out.index) / act / years).round(2)
    out["retention"] = by_chan.reindex(out.index).fillna(overall).clip(upper=max_retention).round(4)
    out["ltv"] = (margin * out["annual_value"] / (1.0 - out["retention"])).round(2)
    out["historical_ltv"] = (margin * hist.reindex(out.index)).round(2)
    value = out["ltv"].fillna(0.0) * out["new_customers"]
    out["ltv_cac"] = (value / out["spend"].where(out["spend"] > 0)).round(2)
    monthly = margin * out["annual_value"] / 12.0
    out["payback_months"] = (out["cac"] / monthly.where(monthly > 0)).round(1)
    out["roi_below_1"] = (out["ltv_cac"] < 1).fillna(False).astype(bool)
    out = out.reset_index()
    out["_k"] = out["ltv_cac"].fillna(np.inf)
    return out.sort_values(["_k", "channel"], kind="stable").drop(columns="_k").reset_index(drop=True)


# --------------------------------------------------------------------------- display

def display_labels(frame: pd.DataFrame, *,
                   segment_map: str | Path | Mapping[str, Any] | SegmentMap = "default",
                   lang: str = "en") -> pd.DataFrame:
    """Return a copy for display: segment, tier and channel values and segment columns in ``lang``.

    Translates the values of the columns ``segment``, ``from_segment``, ``tier`` and
    ``channel`` (and the ``rep_id`` "total" of :func:`portfolio_summary`), renames
    columns named after a segment key (as in :func:`portfolio_matrix` and
    :func:`migration`), shows datetime columns as dates and booleans as yes / no.
    Unknown values stay as they are.

    Examples
    --------
    >>> f = pd.DataFrame({"segment": ["sleeping"], "tier": ["growth"], "other": [1]})
    >>> shown = display_labels(f, segment_map="domain", lang="zh")
    >>> list(shown.columns), shown["segment"].tolist(), shown["tier"].tolist()
    (['segment', 'tier', '其他客户'], ['沉睡客户'], ['成长客户'])
    """
    check_lang(lang)
    smap = load_segment_map(segment_map)
    seg = {k: smap.label(k, lang) for k in (*smap.keys, INACTIVE)}
    tiers = {k: t(f"rfm.tier.{k}", lang) for k in TIERS}
    out = frame.copy()
    for col in ("segment", "from_segment"):
        if col in out:
            out[col] = out[col].map(lambda v: seg.get(v, v))
    if "tier" in out:
        out["tier"] = out["tier"].map(lambda v: tiers.get(v, v))
    if "rep_id" in out:
        total = t("rfm.total", lang)
        out["rep_id"] = out["rep_id"].map(lambda v: total if v == "total" else v)
    if "channel" in out:
        from playbook.labels import catalogue

        cat = catalogue()
        out["channel"] = out["channel"].map(
            lambda v: cat[f"channel.{v}"][lang] if f"channel.{v}" in cat else v)
    yes_no = {True: t("rfm.yes", lang), False: t("rfm.no", lang)}
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].map(yes_no)
    return out.rename(columns={c: seg[c] for c in out.columns if c in seg})


def channel_verdict(economics: pd.DataFrame, *, lang: str = "en") -> str:
    """Return one sentence naming the channels with ROI < 1 (to cut), or saying there are none.

    Examples
    --------
    >>> e = pd.DataFrame({"channel": ["paid_social", "referral"], "roi_below_1": [True, False]})
    >>> channel_verdict(e, lang="zh")
    'ROI < 1 的渠道：社交媒体广告'
    """
    check_lang(lang)
    from playbook.labels import catalogue

    cat = catalogue()
    bad = [cat[f"channel.{c}"][lang] if f"channel.{c}" in cat else str(c)
           for c in economics.loc[economics["roi_below_1"], "channel"]]
    if not bad:
        return t("rfm.channels_none_cut", lang)
    return t("rfm.channels_cut", lang, channels=("、" if lang == "zh" else ", ").join(bad))


# --------------------------------------------------------------------------- export

def segment_lists(segmented: pd.DataFrame, *,
                  segment_map: str | Path | Mapping[str, Any] | SegmentMap = "default",
                  columns: Sequence[str] | None = None) -> dict[str, pd.DataFrame]:
    """Split customers into one frame per segment (map order; empty segments left out).

    Each list is sorted by ``monetary`` (highest first), then customer. Pure: nothing
    is written; see :func:`write_segment_lists`.

    Examples
    --------
    >>> s = pd.DataFrame({"customer_id": ["A", "B", "C"], "segment": ["other", "potential", "other"],
    ...                   "monetary": [5.0, 7.0, 9.0]})
    >>> {k: v["customer_id"].tolist() for k, v in segment_lists(s, segment_map="domain").items()}
    {'potential': ['B'], 'other': ['C', 'A']}
    """
    _require(segmented, ["customer_id", "segment", "monetary"], "segmented customers")
    smap = load_segment_map(segment_map)
    cols = list(columns) if columns is not None else list(segmented.columns)
    _require(segmented, cols, "segmented customers")
    ordered = segmented.sort_values(["monetary", "customer_id"], ascending=[False, True], kind="stable")
    return {k: ordered.loc[ordered["segment"] == k, cols].reset_index(drop=True)
            for k in smap.keys if (ordered["segment"] == k).any()}


# Writers: the only I/O in this module. ---------------------------------------

def write_segment_lists(lists: Mapping[str, pd.DataFrame], path: str | Path) -> list[Path]:
    """Write segment lists: ``*.xlsx`` -> one workbook, a sheet per segment; else a folder of CSVs.

    CSV files are UTF-8 with a byte-order mark so Excel shows Chinese correctly.
    Returns the paths written.
    """
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        path.parent.mkdir(parents=True, exist_ok=True)
        with pd.ExcelWriter(path) as writer:
            for key, frame in lists.items():
                frame.to_excel(writer, sheet_name=key[:31], index=False)
        return [path]
    path.mkdir(parents=True, exist_ok=True)
    written = []
    for key, frame in lists.items():
        target = path / f"{key}.csv"
        frame.to_csv(target, index=False, encoding="utf-8-sig")
        written.append(target)
    return written
