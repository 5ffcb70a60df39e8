"""The development plan: a data-driven draft from the evidence."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from playbook.core.dates import parse_date
from playbook.core.errors import ParameterError, PlaybookWarning, require_columns
from playbook.core.labels import catalogue as label_catalogue
from playbook.core.labels import check_lang, t
from playbook.idp.catalogue import (
    _LINE,
    _SEP,
    PLAN_ITEM_COLUMNS,
    Catalogue,
    PlanRules,
    _as_catalogue,
    _blank,
    _money,
    _pct,
)
from playbook.idp.evidence import latest_levels, rep_evidence, rep_levels

__all__ = ["Plan", "draft_plan", "empty_items"]

# --------------------------------------------------------------------------- plan
@dataclass
class Plan:
    """An Individual Development Plan: the header and the plan table (``items``).

    ``items`` has the columns :data:`PLAN_ITEM_COLUMNS`: ``competency`` (a catalogue key
    or a free text item), ``why`` (发展原因), ``current_level`` and ``target_level``
    (1-5), ``measures`` and ``resources`` (one entry per line), ``review_date`` (评估时间,
    the first day of the review month). Texts are in ``lang``. Money in CNY.
    """

    rep_id: str
    rep_name: str = ""
    position: str = ""
    department: str = ""
    supervisor_name: str = ""
    plan_date: pd.Timestamp | None = None
    quota: float = float("nan")
    actual: float = float("nan")
    attainment: float = float("nan")
    peer_mean: float = float("nan")
    peer_median: float = float("nan")
    peer_count: int = 0
    strengths: tuple[str, ...] = ()
    summary: str = ""
    lang: str = "en"
    items: pd.DataFrame = field(default_factory=lambda: empty_items())


def empty_items() -> pd.DataFrame:
    """Return an empty plan table with the right columns and types.

    Examples
    --------
    >>> list(empty_items().columns) == PLAN_ITEM_COLUMNS
    True
    """
    return _typed_items(pd.DataFrame({c: [] for c in PLAN_ITEM_COLUMNS}))


def _typed_items(items: pd.DataFrame) -> pd.DataFrame:
    """Coerce a plan table (e.g. edited in a form) to the plan's types; bad values become missing."""
    require_columns(items, PLAN_ITEM_COLUMNS, "plan items")
    out = items[PLAN_ITEM_COLUMNS].reset_index(drop=True).copy()
    for c in ("competency", "why", "measures", "resources"):
        out[c] = out[c].astype("object").where(out[c].notna(), "").astype("str")
    for c in ("current_level", "target_level"):
        num = pd.to_numeric(out[c], errors="coerce")
        out[c] = num.where(num.round() == num).astype("Int64")
    out["review_date"] = pd.to_datetime(out["review_date"], errors="coerce").astype("datetime64[us]")
    return out


def _num(value: object) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return float("nan")
    return v


def _levels_input(levels: object, rep_id: str, as_of: pd.Timestamp | None) -> pd.DataFrame:
    """Normalise ``levels`` (mapping, assessments, or a competency/level frame) to competency, level, source."""
    if isinstance(levels, Mapping):
        frame = pd.DataFrame({"competency": list(map(str, levels)), "level": list(levels.values())})
        frame["source"] = ""
    elif isinstance(levels, pd.DataFrame):
        if {"rater", "assessed_date"} <= set(levels.columns):
            mine = levels.loc[levels["rep_id"].astype("str") == str(rep_id)] if "rep_id" in levels else levels
            lv = latest_levels(mine.assign(rep_id=str(rep_id)), as_of=as_of)
            frame = lv[["competency", "level"]].assign(
                source=np.where(lv["manager_level"].notna(), "manager", "self"))
        else:
            require_columns(levels, ["competency", "level"], "levels")
            mine = levels.loc[levels["rep_id"].astype("str") == str(rep_id)] if "rep_id" in levels else levels
            frame = mine[["competency", "level"]].assign(
                source=mine["source"].astype("str") if "source" in mine else "")
    else:
        raise ParameterError("levels", type(levels).__name__,
                             "a mapping {competency: level}, assessments, or a frame with competency and level")
    frame["level"] = pd.to_numeric(frame["level"], errors="coerce")
    bad = frame.loc[frame["level"].isna() | (frame["level"] < 1) | (frame["level"] > 5) | (frame["level"] % 1 != 0)]
    if len(bad):
        raise ParameterError("levels", dict(zip(bad["competency"], bad["level"], strict=True)),
                             "whole levels from 1 to 5")
    frame["level"] = frame["level"].astype("int64")
    frame["competency"] = frame["competency"].astype("str")
    return frame.drop_duplicates("competency", keep="last").reset_index(drop=True)


def _why(rec: Mapping[str, Any], cat: Catalogue, lang: str, *, max_level: int) -> str:
    parts = []
    descriptor = cat.descriptor(rec["competency"], int(rec["level"]), lang).rstrip(".。")
    fields_ = {"level": int(rec["level"]), "max": max_level, "descriptor": descriptor}
    source = rec.get("source") or ""
    key = {"manager": "idp.why.rated_manager", "self": "idp.why.rated_self",
           "review": "idp.why.reached"}.get(source, "idp.why.rated")
    parts.append(t(key, lang, **fields_))
    if math.isfinite(_num(rec.get("team_median"))):
        parts.append(t("idp.why.team_median", lang, median=f"{_num(rec['team_median']):g}"))
    if not _blank(rec.get("leak_step")):
        step = str(rec["leak_step"])
        entry = label_catalogue().get(f"funnel.step.{step}")
        parts.append(t("idp.why.leak", lang, step=entry[lang] if entry else step,
                       rate=_pct(_num(rec.get("leak_rate"))), peer_rate=_pct(_num(rec.get("leak_peer_rate")))))
    parts += [text for _signal, text in rec.get("signals", ())]
    return _SEP[lang].join(parts)


def draft_plan(
    evidence: pd.DataFrame,
    rep_id: str,
    *,
    levels: Mapping[str, int] | pd.DataFrame | None = None,
    catalogue: Catalogue | str | Path | None = None,
    plan_date: object = None,
    lang: str = "en",
    strengths: Sequence[str] = (),
    max_items: int = 4,
    rules: PlanRules | Mapping[str, Any] | None = None,
) -> Plan:
    """Draft the IDP of ``rep_id`` from the team evidence (rules in the module notes).

    Parameters
    ----------
    evidence : DataFrame
        :func:`team_evidence` output, or one rep's slice of it, or a hand-made frame with
        at least ``rep_id`` (``name, role, team, supervisor_name, quota, actual,
        attainment, peer_mean, peer_median, peer_count, new_customers,
        peer_new_customers_median, repurchase_rate, peer_repurchase_median``,
        ``as_of`` and the per-competency columns are used when present).
    rep_id : str
        The rep.
    levels : mapping, DataFrame, optional
        Current levels that replace the evidence's: ``{competency: level}``, raw
        assessments (their latest manager/self ratings are used), or a frame with
        ``competency, level`` (e.g. :func:`playbook.pipeline.store.next_plan_start_levels`, the
        levels reached at the last review: the PDCA loop).
    catalogue : Catalogue or path, optional
        Default ``templates/competencies.yaml``.
    plan_date : date-like, optional
        Default the evidence's ``as_of``.
    lang : {"en", "zh"}
        Language of the texts (why, measures, resources, strengths).
    strengths : sequence of str
        Strengths written by the supervisor (kept first, as written).
    max_items : int
        Most development items (the source has 4).
    rules : PlanRules or mapping, optional
        Default the catalogue's rules; a mapping overrides single rules.

    Returns
    -------
    Plan

    Examples
    --------
    >>> ev = pd.DataFrame({"rep_id": ["R1"], "name": ["Ann"], "level__negotiation": pd.array([3], dtype="Int64")})
    >>> p = draft_plan(ev, "R1", plan_date="2025-10-08", max_items=2)
    >>> p.items[["competency", "current_level", "target_level", "review_date"]]
        competency  current_level  target_level review_date
    0  negotiation              3             5  2026-05-01
    >>> print(p.items["resources"][0])
    Training time
    Price ladder and ROI calculator
    Supervisor's coaching time
    """
    check_lang(lang)
    if isinstance(max_items, bool) or not isinstance(max_items, (int, np.integer)) or max_items < 1:
        raise ParameterError("max_items", max_items, "a whole number >= 1")
    cat = _as_catalogue(catalogue)
    if rules is None:
        rule = cat.rules
    elif isinstance(rules, PlanRules):
        rule = rules
    else:
        overrides = dict(rules)
        checked = PlanRules.from_mapping(overrides, where="rules")
        rule = replace(cat.rules, **{k: getattr(checked, k) for k in overrides})
    row_frame = rep_evidence(evidence, rep_id)
    row = row_frame.iloc[0]

    def get(col: str) -> object:
        return row[col] if col in row.index else None

    if plan_date is None or _blank(plan_date):
        if _blank(get("as_of")):
            raise ParameterError("plan_date", plan_date, "a date such as '2025-10-08' (the evidence has no as_of)")
        when = parse_date(get("as_of"), "as_of")
    else:
        when = parse_date(plan_date, "plan_date")

    # candidates: evidence levels, replaced by the given ones
    cand = rep_levels(row_frame)
    cand = cand.assign(source=np.where(cand["manager_level"].notna(), "manager",
                                       np.where(cand["self_level"].notna(), "self", "")))
    if levels is not None:
        given = _levels_input(levels, str(rep_id), when)
        cand = cand.set_index("competency")
        cand = cand.reindex(cand.index.union(given["competency"], sort=False))
        cand.loc[given["competency"], "level"] = given["level"].to_numpy()
        cand.loc[given["competency"], "source"] = given["source"].to_numpy()
        cand = cand.rename_axis("competency").reset_index()
    unknown = sorted(set(cand.loc[cand["level"].notna(), "competency"]) - set(cat.keys))
    if unknown:
        warnings.warn(t("idp.warn.unknown_competencies", "en", keys=", ".join(unknown)), PlaybookWarning,
                      stacklevel=2)
    pos = {k: i for i, k in enumerate(cat.keys)}
    cand = cand.loc[cand["competency"].isin(pos) & cand["level"].notna()].copy()
    cand["level"] = cand["level"].astype("int64")
    cand["pos"] = cand["competency"].map(pos)

    # data signals -> the competency they point at
    margin = 1 - rule.signal_margin
    signals: dict[str, list[tuple[str, str]]] = {}
    nc, nc_med = _num(get("new_customers")), _num(get("peer_new_customers_median"))
    if math.isfinite(nc) and math.isfinite(nc_med) and nc < margin * nc_med:
        comp = rule.signal_competencies.get("new_customers")
        if comp:
            signals.setdefault(comp, []).append(
                ("new_customers", t("idp.why.new_customers", lang, n=f"{nc:g}", median=f"{nc_med:g}")))
    rr, rr_med = _num(get("repurchase_rate")), _num(get("peer_repurchase_median"))
    if math.isfinite(rr) and math.isfinite(rr_med) and rr < margin * rr_med:
        comp = rule.signal_competencies.get("repurchase")
        if comp:
            signals.setdefault(comp, []).append(
                ("repurchase", t("idp.why.repurchase", lang, rate=_pct(rr), median=_pct(rr_med))))
    cand["signals"] = cand["competency"].map(lambda k: tuple(signals.get(k, ())))
    has_leak = cand["leak_step"].notna().to_numpy(dtype=float)
    has_signal = np.array([k in signals for k in cand["competency"]], dtype=float)
    cand["priority"] = ((cat.max_level - cand["level"].to_numpy(dtype=float)) + rule.leak_weight * has_leak
                        + rule.signal_weight * has_signal)
    grow = cand.loc[cand["level"] < cat.max_level]
    chosen = grow.sort_values(["priority", "pos"], ascending=[False, True], kind="stable").head(int(max_items))
    if rule.order == "catalogue":
        chosen = chosen.sort_values("pos", kind="stable")

    records = []
    plan_month = when.to_period("M")
    for rec in chosen.to_dict("records"):
        comp = cat.competencies[rec["competency"]]
        target = rule.target(rec["level"], cat.max_level)
        months = rule.review_months(target - rec["level"])
        defaults = [m for m in comp.measures if m.default]
        fit = [m for m in defaults if m.months <= months] or sorted(defaults, key=lambda m: m.months)[:1]
        fit = fit[: rule.max_measures]
        res = list(dict.fromkeys(r for m in fit for r in m.resources))
        records.append({
            "competency": rec["competency"],
            "why": _why(rec, cat, lang, max_level=cat.max_level),
            "current_level": rec["level"],
            "target_level": target,
            "measures": _LINE.join(m.text[lang] for m in fit),
            "resources": _LINE.join(cat.resources[r][lang] for r in res),
            "review_date": (plan_month + months).to_timestamp(),
        })
    items = _typed_items(pd.DataFrame(records, columns=PLAN_ITEM_COLUMNS))

    # strengths: given texts, high ratings that are not items, quota met
    found = [s.strip() for s in strengths if isinstance(s, str) and s.strip()]
    strong = cand.loc[(cand["level"] >= rule.strength_level) & ~cand["competency"].isin(chosen["competency"])]
    found += [t("idp.strength.level", lang, competency=cat.name(k, lang), level=int(v), max=cat.max_level)
              for k, v in strong.sort_values("pos")[["competency", "level"]].itertuples(index=False)]
    attainment = _num(get("attainment"))
    quota, actual = _num(get("quota")), _num(get("actual"))
    if not math.isfinite(attainment) and math.isfinite(quota) and quota > 0 and math.isfinite(actual):
        attainment = actual / quota
    if math.isfinite(attainment) and attainment >= rule.strength_attainment:
        found.append(t("idp.strength.quota", lang, attainment=_pct(attainment)))

    peer_mean, peer_median = _num(get("peer_mean")), _num(get("peer_median"))
    summary = t("idp.summary", lang, actual=_money(actual, lang), quota=_money(quota, lang),
                attainment=_pct(attainment))
    peer_ref = peer_median if math.isfinite(peer_median) else peer_mean
    if math.isfinite(peer_ref) and peer_ref > 0 and math.isfinite(actual):
        key = "idp.summary_peers_median" if math.isfinite(peer_median) else "idp.summary_peers_mean"
        summary += " " + t(key, lang, ratio=_pct(actual / peer_ref), peers=_money(peer_ref, lang))
    n = get("peer_count")

    def text(col: str) -> str:
        v = get(col)
        return "" if _blank(v) else str(v)

    return Plan(
        rep_id=str(rep_id), rep_name=text("name"), position=text("role"), department=text("team"),
        supervisor_name=text("supervisor_name"), plan_date=when, quota=quota, actual=actual,
        attainment=attainment, peer_mean=peer_mean, peer_median=peer_median,
        peer_count=0 if _blank(n) else int(n), strengths=tuple(dict.fromkeys(found)), summary=summary,
        lang=lang, items=items,
    )
