"""Segment maps (score ranges -> segment) and spend tiers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from playbook.core import paths
from playbook.core.errors import InputError, ParameterError, require_columns
from playbook.core.money import div_money, round_money
from playbook.rfm.scores import (
    _SCORE_MAX,
    CUSTOMER_COLUMNS,
    INACTIVE,
    SCORE_NAMES,
    SEGMENT_MAPS,
    TIER_PRESETS,
    rfm_table,
    score,
)

__all__ = [
    "SegmentMap", "load_segment_map", "segment", "tier_thresholds", "assign_tier", "segment_customers",
    "segment_summary"
]

# --------------------------------------------------------------------------- segment maps

@dataclass(frozen=True, eq=False)
class SegmentMap:
    """A segment map: ordered segment keys, their labels and the score lookup.

    ``labels[key]`` and ``titles`` hold the texts of the YAML in both languages
    (``{"en": ..., "zh": ...}``); :mod:`playbook.present.rfm` picks the reader's.
    ``lookup[r-1, f-1, m-1]`` is the index in ``keys`` of the segment of a customer
    with scores ``(r, f, m)``; every cell is filled (checked on load).
    """

    name: str
    keys: tuple[str, ...]
    labels: Mapping[str, Mapping[str, str]]
    high_value: tuple[str, ...]
    lookup: np.ndarray = field(repr=False)
    titles: Mapping[str, str] = field(default_factory=dict)

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
    >>> m.labels["potential"]["zh"], m.assign([5], [5], [5])[0]
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
    require_columns(scored, ["r_score", "f_score", "m_score"], "scored RFM table")
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
    require_columns(frame, [spend_col], "customers")
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
    require_columns(segmented, ["segment", "monetary", "recency_days", "frequency"], "segmented customers")
    smap = load_segment_map(segment_map)
    g = segmented.groupby("segment")
    out = pd.DataFrame({
        "customers": g.size(),
        "revenue": g["monetary"].sum(),
        "mean_recency_days": g["recency_days"].mean(),
        "mean_frequency": g["frequency"].mean(),
        "mean_monetary": div_money(g["monetary"].sum(), g["monetary"].count()),
    }).reindex(list(smap.keys))
    out[["customers", "revenue"]] = out[["customers", "revenue"]].fillna(0)
    out["customers"] = out["customers"].astype("int64")
    total_c, total_r = out["customers"].sum(), out["revenue"].sum()
    out["customer_share"] = out["customers"] / total_c if total_c else np.nan
    out["revenue_share"] = out["revenue"] / total_r if total_r > 0 else np.nan
    out = out.round({"mean_recency_days": 1, "mean_frequency": 2, "customer_share": 4, "revenue_share": 4})
    out["revenue"] = round_money(out["revenue"])
    out = out.rename_axis("segment").reset_index()
    return out[["segment", "customers", "customer_share", "revenue", "revenue_share",
                "mean_recency_days", "mean_frequency", "mean_monetary"]]
