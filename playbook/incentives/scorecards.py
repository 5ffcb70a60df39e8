"""Scorecards: monthly KPIs per rep and preset-weighted ranks."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from playbook.core import paths
from playbook.core.errors import InputError, ParameterError, yaml_error
from playbook.incentives.engine import (
    _active_reps,
    _first_orders,
    _month_ordinal,
    _month_ts,
    _quota_months,
    _require_frame,
    _to_cents,
)
from playbook.incentives.plans import KPI_COLUMNS, KPIS, PRESETS_PATH, SCORECARD_COLUMNS, parse_period

__all__ = ["ScorecardPreset", "load_presets", "monthly_kpis", "scorecard", "preset_ranks"]

# --------------------------------------------------------------------------- scorecards


@dataclass(frozen=True)
class ScorecardPreset:
    """Weights of the KPIs (data) and the flags a culture preset raises.

    ``title`` maps a language to the preset's title, as data (shown by
    :func:`playbook.present.incentives.preset_label`).
    """

    name: str
    title: dict[str, str]
    weights: dict[str, float]
    bottom_share: float | None = None
    reward_metric: str | None = None
    reward_share: float | None = None


def _preset_error(name: str, problem: str, code: str, **params: object) -> InputError:
    """Return the error for a problem of scorecard preset ``name`` (a file's entry), with its ``code``."""
    return InputError(f"scorecard preset {name!r}: {problem}", code=code,
                      params={"preset": name, **params})


def _parse_preset(name: str, raw: Any) -> ScorecardPreset:
    if not isinstance(raw, dict) or not isinstance(raw.get("weights"), dict) or not raw["weights"]:
        raise _preset_error(name, "needs 'weights': a mapping of KPI -> weight.", "incentives.preset.no_weights")
    unknown = sorted(set(raw) - {"title", "weights", "flags"})
    if unknown:
        raise _preset_error(name, f"unknown key(s) {', '.join(unknown)}; allowed: title, weights, flags.",
                            "incentives.preset.unknown_keys", unknown=unknown)
    known = set(KPIS) | {k + "_change" for k in KPIS}
    weights = {}
    for kpi, w in raw["weights"].items():
        if kpi not in known:
            raise _preset_error(name, f"unknown KPI {kpi!r}; use one of {', '.join(sorted(known))}.",
                                "incentives.preset.unknown_kpi",
                                kpi=repr(kpi), known=sorted(known))
        if isinstance(w, bool) or not isinstance(w, (int, float)) or w < 0:
            raise _preset_error(name, f"weight of {kpi!r} must be a number >= 0, got {w!r}.",
                                "incentives.preset.weight",
                                kpi=repr(kpi), value=repr(w))
        weights[kpi] = float(w)
    if sum(weights.values()) <= 0:
        raise _preset_error(name, "at least one weight must be above 0.", "incentives.preset.all_zero")
    flags = raw.get("flags") or {}
    if not isinstance(flags, dict):
        raise _preset_error(name, f"flags must be a mapping, got {flags!r}.", "incentives.preset.flags",
                            value=repr(flags))
    bad = sorted(map(str, set(flags) - {"bottom_share", "reward_metric", "reward_share"}))
    if bad:
        raise _preset_error(name, f"unknown flag(s) {', '.join(bad)}; allowed: bottom_share, reward_metric, "
                            "reward_share.", "incentives.preset.unknown_flags", unknown=bad)
    for key in ("bottom_share", "reward_share"):
        v = flags.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= 1):
            raise _preset_error(name, f"flags.{key} must be a share in (0, 1], got {v!r}.", "incentives.preset.share",
                                key=key, value=repr(v))
    metric = flags.get("reward_metric")
    if metric is not None and metric not in known:
        raise _preset_error(name, f"flags.reward_metric {metric!r} is not a KPI.", "incentives.preset.reward_metric",
                            value=repr(metric), known=sorted(known))
    if (metric is None) != (flags.get("reward_share") is None):
        raise _preset_error(name, "give both flags.reward_metric and flags.reward_share, or neither.",
                            "incentives.preset.reward_pair")
    title = raw.get("title") or {}
    return ScorecardPreset(name, {str(k): str(v) for k, v in title.items()}, weights, flags.get("bottom_share"),
                           metric, flags.get("reward_share"))


def load_presets(path: str | Path | None = None) -> dict[str, ScorecardPreset]:
    """Load the scorecard presets (``templates/scorecard_presets.yaml`` by default).

    Examples
    --------
    >>> presets = load_presets()
    >>> sorted(presets), presets["wolf"].bottom_share
    (['balanced', 'learning', 'wolf'], 0.1)
    """
    file = Path(paths.resolve(path) if path else PRESETS_PATH)
    if not file.is_file():
        raise ParameterError("presets", str(path), "a YAML file of scorecard presets such as "
                             "templates/scorecard_presets.yaml", code="incentives.presets_file",
                             params={"file": str(path)})
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise yaml_error(file.name, exc) from None
    if not isinstance(data, dict):
        raise InputError(f"{file.name}: expected a mapping of preset name -> preset, got {type(data).__name__}.",
                         code="incentives.presets_mapping", params={"file": file.name, "value": type(data).__name__})
    try:
        return {str(k): _parse_preset(str(k), v) for k, v in data.items()}
    except InputError as exc:  # name the file too
        exc.args = (f"{file.name}: {exc}",)
        exc.params["in_file"] = file.name
        raise


def _kpis(orders: pd.DataFrame, quotas: pd.DataFrame | None, activities: pd.DataFrame | None,
          first: int, last: int) -> pd.DataFrame:
    """Monthly KPIs per rep for month ordinals ``first..last`` (index: rep_id, month ordinal)."""
    _require_frame(orders, ["customer_id", "rep_id", "order_date", "amount"], "orders")
    o = pd.DataFrame({"rep_id": orders["rep_id"].astype(str).to_numpy(),
                      "customer_id": orders["customer_id"].astype(str).to_numpy(),
                      "month": _month_ordinal(orders["order_date"]),
                      "cents": _to_cents(orders["amount"], "orders.amount")})
    in_p = (o["month"] >= first) & (o["month"] <= last)
    sales = o[in_p].groupby(["rep_id", "month"])["cents"].sum()
    fo = _first_orders(orders)
    fo = pd.DataFrame({"rep_id": fo["rep_id"].astype(str).to_numpy(), "month": _month_ordinal(fo["order_date"])})
    new = fo[(fo["month"] >= first) & (fo["month"] <= last)].groupby(["rep_id", "month"]).size()
    pos = o[o["cents"] > 0]
    served = pos[(pos["month"] >= first - 1) & (pos["month"] < last)][["rep_id", "customer_id", "month"]]
    served = served.drop_duplicates().assign(month=lambda f: f["month"] + 1)
    again = pos[["customer_id", "month"]].drop_duplicates().assign(again=True)
    served = served.merge(again, on=["customer_id", "month"], how="left")
    served["again"] = served["again"].fillna(False).astype(bool)
    prior = served.groupby(["rep_id", "month"]).size()
    retained = served.groupby(["rep_id", "month"])["again"].sum()
    q = _quota_months(quotas)
    q = q[(q["month"] >= first) & (q["month"] <= last)].set_index(["rep_id", "month"])["quota"]
    visits = pd.Series(dtype=np.int64)
    quality = {c: pd.Series(dtype=np.int64) for c in _QUALITY_COUNTS}
    if activities is not None:
        _require_frame(activities, ["rep_id", "week", "visits"], "activities")
        a = pd.DataFrame({"rep_id": activities["rep_id"].astype(str).to_numpy(),
                          "month": _month_ordinal(activities["week"])})
        for c in ("visits", *_QUALITY_COUNTS):
            a[c] = (pd.to_numeric(activities[c], errors="coerce").fillna(0).astype(np.int64).to_numpy()
                    if c in activities.columns else 0)
        g = a[(a["month"] >= first) & (a["month"] <= last)].groupby(["rep_id", "month"])
        visits = g["visits"].sum()
        quality = {c: g[c].sum() for c in _QUALITY_COUNTS}
    keys = [s.index.to_frame(index=False) for s in (sales, new, prior, q, visits) if len(s)]
    grid = (pd.concat(keys, ignore_index=True).drop_duplicates() if keys
            else pd.DataFrame({"rep_id": pd.Series([], dtype=str), "month": np.array([], dtype=np.int64)}))
    index = pd.MultiIndex.from_frame(grid.astype({"month": np.int64}))
    out = pd.DataFrame(index=index)
    out["sales_cents"] = sales.reindex(index).fillna(0).astype(np.int64)
    out["quota_cents"] = q.reindex(index).fillna(0).astype(np.int64)
    out["new_customers"] = new.reindex(index).fillna(0).astype(np.int64)
    out["prior_customers"] = prior.reindex(index).fillna(0).astype(np.int64)
    out["retained_customers"] = retained.reindex(index).fillna(0).astype(np.int64)
    out["visits"] = visits.reindex(index).fillna(0).astype(np.int64)
    for c, counts in quality.items():
        out[c] = counts.reindex(index).fillna(0).astype(np.int64)
    return out


_QUALITY_COUNTS = ("needs_assessed", "needs_matched", "surveys", "satisfied")
"""The activities' optional counts behind the ``needs_match`` and ``satisfaction`` KPIs."""


def _rates(out: pd.DataFrame) -> pd.DataFrame:
    """Add the ratio KPIs to summed counts: attainment, retention, needs_match, satisfaction (NaN when no base)."""
    def ratio(num: str, den: str) -> pd.Series:
        return (out[num] / out[den].where(out[den] > 0)).astype(float)

    out["attainment"] = ratio("sales_cents", "quota_cents")
    out["retention"] = ratio("retained_customers", "prior_customers")
    out["needs_match"] = ratio("needs_matched", "needs_assessed")
    out["satisfaction"] = ratio("satisfied", "surveys")
    return out


def monthly_kpis(
    orders: pd.DataFrame,
    quotas: pd.DataFrame | None = None,
    activities: pd.DataFrame | None = None,
    *,
    period: str,
) -> pd.DataFrame:
    """Department KPIs per rep and month (domain brief section 4).

    ``attainment`` is net sales over quota; ``new_customers`` counts customers whose
    first-ever order falls in the month (credited to that order's rep); ``retention`` is
    the share of the customers who ordered from the rep last month that order again
    this month (from any rep); ``visits`` sums the weeks starting in the month. The
    optional KPIs come from the activities' optional columns, summed over those weeks:
    ``needs_match = needs_matched / needs_assessed`` (needs-match rate, 需求匹配率) and
    ``satisfaction = satisfied / surveys`` (customer satisfaction); empty (NaN) when the
    data has none.

    Returns
    -------
    DataFrame
        :data:`KPI_COLUMNS`, one row per rep and month of ``period`` with any data.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": ["C1", "C2", "C1", "C3"], "rep_id": ["R1"] * 4,
    ...     "order_date": pd.to_datetime(["2025-01-05", "2025-01-09", "2025-02-03", "2025-02-04"]),
    ...     "amount": [10.0, 20.0, 30.0, 40.0]})
    >>> k = monthly_kpis(orders, period="2025-02")
    >>> k[["rep_id", "sales_cents", "new_customers", "prior_customers", "retention"]]
      rep_id  sales_cents  new_customers  prior_customers  retention
    0     R1         7000              1                2        0.5
    """
    first, last = parse_period(period)
    out = _rates(_kpis(orders, quotas, activities, first.ordinal, last.ordinal))
    out = out.reset_index()
    out["rep_id"] = out["rep_id"].astype(str)
    out = out.sort_values(["rep_id", "month"], kind="stable").reset_index(drop=True)
    out["month"] = _month_ts(out["month"].to_numpy(np.int64))
    return out[KPI_COLUMNS]


def _period_kpis(orders: pd.DataFrame, quotas: pd.DataFrame | None, activities: pd.DataFrame | None,
                 reps: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    """KPIs over months ``first..last`` per rep employed then (counts 0 when nothing happened)."""
    g = _kpis(orders, quotas, activities, first, last).groupby(level="rep_id")
    out = g.sum()
    active = _active_reps(reps, first, last)["rep_id"].astype(str).to_numpy()
    out = out.reindex(active).fillna(0).astype(np.int64)
    return _rates(out)


def scorecard(
    orders: pd.DataFrame,
    reps: pd.DataFrame,
    quotas: pd.DataFrame | None = None,
    activities: pd.DataFrame | None = None,
    *,
    period: str,
    preset: str | ScorecardPreset = "wolf",
    presets: Mapping[str, ScorecardPreset] | None = None,
) -> pd.DataFrame:
    """Weighted KPI scorecard and ranking of the reps employed during ``period``.

    Each KPI (and its change against the period of the same length just before) is
    scored 0-100 by percentile rank among the reps (ties share a score); the score is
    the weighted mean over the KPIs a rep has (a missing KPI, such as attainment without
    a quota, drops out of that rep's mean). ``rank`` 1 is the best. ``flag`` is
    ``bottom`` for the bottom share (results-driven "wolf" preset, 末位) or
    ``improvement_award`` for the top improvers with a positive change (growth-driven
    "learning" preset); empty otherwise.

    Returns
    -------
    DataFrame
        :data:`SCORECARD_COLUMNS`, sorted by rank.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "rep_id": ["R1", "R2", "R2"],
    ...     "order_date": pd.to_datetime(["2025-01-05", "2025-01-09", "2025-01-10"]),
    ...     "amount": [10.0, 20.0, 30.0]})
    >>> reps = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann", "Bo"], "team": ["A", "A"]})
    >>> s = scorecard(orders, reps, period="2025-01", preset=ScorecardPreset("n", {}, {"new_customers": 1.0}))
    >>> s[["rep_id", "new_customers", "score", "rank"]]
      rep_id  new_customers  score  rank
    0     R2              2  100.0     1
    1     R1              1    0.0     2
    """
    _require_frame(reps, ["rep_id"], "reps")
    if isinstance(preset, str):
        all_presets = dict(presets) if presets is not None else load_presets()
        if preset not in all_presets:
            raise ParameterError("preset", preset, "one of " + ", ".join(sorted(all_presets)),
                                 code="incentives.preset.unknown",
                                 params={"value": preset, "known": sorted(all_presets)})
        preset = all_presets[preset]
    first_p, last_p = parse_period(period)
    first, last = first_p.ordinal, last_p.ordinal
    length = last - first + 1
    cur = _period_kpis(orders, quotas, activities, reps, first, last)
    prev = _period_kpis(orders, quotas, activities, reps, first - length, last - length)
    out = cur[["sales_cents", "quota_cents", *KPIS]].copy()
    for k in KPIS:
        out[k + "_change"] = out[k] - prev[k].reindex(out.index)
    scores = []
    for kpi, w in preset.weights.items():
        values = out[kpi].astype(float)
        n = values.notna().sum()
        r = values.rank(method="average")
        s = (r - 1) / (n - 1) * 100 if n > 1 else r * 0 + 50.0
        scores.append((s, w))
    num = sum(s.fillna(0) * w for s, w in scores)
    den = sum(s.notna() * w for s, w in scores)
    out["score"] = (num / den.where(den > 0)).round(1)
    out["rank"] = out["score"].rank(method="min", ascending=False).astype("Int64")
    flag = pd.Series("", index=out.index, dtype=object)
    scored = out["score"].notna()
    if preset.bottom_share is not None and scored.sum() > 0:
        n_bottom = max(1, int(math.floor(preset.bottom_share * scored.sum())))
        cutoff = out.loc[scored, "score"].sort_values().iloc[n_bottom - 1]
        flag[scored & (out["score"] <= cutoff)] = "bottom"
    if preset.reward_metric is not None:
        metric = out[preset.reward_metric]
        pos = metric[metric > 0]
        if len(pos):
            n_top = max(1, int(math.floor(preset.reward_share * metric.notna().sum())))
            cutoff = pos.sort_values(ascending=False).iloc[min(n_top, len(pos)) - 1]
            award = (metric >= cutoff) & (metric > 0)
            flag[award] = np.where(flag[award] == "", "improvement_award", flag[award] + ";improvement_award")
    out["flag"] = flag
    info = reps.assign(rep_id=reps["rep_id"].astype(str)).drop_duplicates("rep_id").set_index("rep_id")
    out = out.reset_index(names="rep_id")
    for col in ("name", "team"):
        out[col] = out["rep_id"].map(info[col]) if col in info.columns else pd.NA
    out["sales_cents"] = out["sales_cents"].fillna(0).astype(np.int64)
    out["quota_cents"] = out["quota_cents"].fillna(0).astype(np.int64)
    out["new_customers"] = out["new_customers"].fillna(0).astype(np.int64)
    out["visits"] = out["visits"].fillna(0).astype(np.int64)
    out = out.sort_values(["rank", "rep_id"], kind="stable", na_position="last").reset_index(drop=True)
    return out[SCORECARD_COLUMNS]


def preset_ranks(
    orders: pd.DataFrame,
    reps: pd.DataFrame,
    quotas: pd.DataFrame | None = None,
    activities: pd.DataFrame | None = None,
    *,
    period: str,
    presets: Mapping[str, ScorecardPreset] | None = None,
) -> pd.DataFrame:
    """Each rep's rank under every preset side by side: how culture changes who is on top.

    Returns
    -------
    DataFrame
        ``rep_id, name, team``, then ``rank_<preset>`` for each preset (in file order),
        sorted by the first preset's rank.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "rep_id": ["R1", "R2", "R2"],
    ...     "order_date": pd.to_datetime(["2025-01-05", "2025-01-09", "2025-01-10"]),
    ...     "amount": [10.0, 20.0, 30.0]})
    >>> reps = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann", "Bo"], "team": ["A", "A"]})
    >>> list(preset_ranks(orders, reps, period="2025-01").columns)
    ['rep_id', 'name', 'team', 'rank_wolf', 'rank_learning', 'rank_balanced']
    """
    presets = dict(presets) if presets is not None else load_presets()
    out: pd.DataFrame | None = None
    for name, preset in presets.items():
        card = scorecard(orders, reps, quotas, activities, period=period, preset=preset)
        card = card[["rep_id", "name", "team", "rank"]].rename(columns={"rank": f"rank_{name}"})
        out = card if out is None else out.merge(card.drop(columns=["name", "team"]), on="rep_id", how="outer")
    if out is None:
        raise ParameterError("presets", presets, "at least one scorecard preset")
    first = f"rank_{next(iter(presets))}"
    return out.sort_values([first, "rep_id"], kind="stable", na_position="last").reset_index(drop=True)
