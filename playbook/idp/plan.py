"""The development plan: a data-driven draft from the evidence.

:func:`draft_plan` returns a :class:`PlanDraft`: what the rules chose and the figures
behind each choice (reason sources, evidence, measure and resource keys), in no language.
:func:`playbook.present.idp.word_plan` words it into a :class:`Plan` in English or Chinese.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from playbook.core.dates import parse_date
from playbook.core.errors import ParameterError, PlaybookWarning, require_columns
from playbook.core.labels import t
from playbook.core.schema import is_blank
from playbook.idp.catalogue import (
    PLAN_ITEM_COLUMNS,
    Catalogue,
    PlanRules,
    _as_catalogue,
)
from playbook.idp.evidence import (
    PEER_STATISTICS,
    hide_small_groups,
    latest_levels,
    leak_unit,
    rep_evidence,
    rep_levels,
    shows_peers,
)

__all__ = ["DRAFT_ITEM_COLUMNS", "Plan", "PlanDraft", "draft_plan", "empty_items", "strength_item"]

DRAFT_ITEM_COLUMNS = ["competency", "current_level", "target_level", "review_date", "source", "team_median",
                      "team_peer_count", "leak_step", "leak_unit", "leak_rate", "leak_peer_rate", "leak_peer_count",
                      "signals", "measures", "resources"]
"""Columns of :attr:`PlanDraft.items`: one row per development item, as data.

``source`` says where the current level comes from (``manager``, ``self``, ``review`` or
""); ``team_median`` and ``leak_*`` are the rep's evidence on the competency, with the
counts of other reps behind the anonymous figures (``team_peer_count``,
``leak_peer_count``; the figures are missing below :data:`~playbook.idp.MIN_GROUP`);
``leak_unit`` is ``share`` (rates of decided opportunities), ``per_month`` (a count a
month, e.g. new customers) or ""; ``signals`` is a tuple of the data signals pointing at it
(``new_customers``, ``repurchase``); ``measures`` a tuple of measure keys of the catalogue,
``resources`` a tuple of resource keys (in order, each once)."""

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


def _count(value: object) -> object:
    """Return a count of reps as an int, or ``pd.NA`` when missing."""
    v = _num(value)
    return int(v) if math.isfinite(v) else pd.NA


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


@dataclass(frozen=True)
class PlanDraft:
    """A drafted IDP as data: the header's figures, the items and the reasons behind them.

    Word it with :func:`playbook.present.idp.word_plan` (the same draft in English or
    Chinese). ``peer_basis`` is ``"median"`` or ``"mean"`` (the peer figure the rep's sales
    are compared with, ``peer_ratio`` = actual / that figure), or "" when there is none.
    ``strong_levels`` are (competency, level) rated at least the strength level that are not
    items; ``quota_met`` says whether the attainment reaches the rules' strength attainment.

    A draft holds no peer figure of a group below :data:`~playbook.idp.MIN_GROUP`: on
    creation, the peer statistics are hidden when ``peer_count`` is below it, and the items'
    team medians and peers' rates by their own counts
    (:func:`~playbook.idp.evidence.hide_small_groups`).

    Examples
    --------
    >>> from playbook.idp import load_catalogue
    >>> d = PlanDraft("R1", load_catalogue(), pd.DataFrame(), peer_median=320.0, peer_count=3,
    ...               peer_basis="median", peer_ratio=0.7)
    >>> d.peer_median, d.peer_basis, d.peer_ratio
    (nan, '', nan)
    """

    rep_id: str
    catalogue: Catalogue
    items: pd.DataFrame
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
    peer_basis: str = ""
    peer_ratio: float = float("nan")
    new_customers: float = float("nan")
    peer_new_customers_median: float = float("nan")
    repurchase_rate: float = float("nan")
    peer_repurchase_median: float = float("nan")
    given_strengths: tuple[str, ...] = ()
    strong_levels: tuple[tuple[str, int], ...] = ()
    quota_met: bool = False

    def __post_init__(self) -> None:
        """Hide every peer figure of a group below the privacy threshold (the draft cannot hold one)."""
        if not shows_peers(self.peer_count):
            for f in fields(self):
                if f.name in PEER_STATISTICS["peer_count"]:
                    object.__setattr__(self, f.name, float("nan"))
            object.__setattr__(self, "peer_basis", "")
            object.__setattr__(self, "peer_ratio", float("nan"))
        object.__setattr__(self, "items", hide_small_groups(self.items))


def draft_plan(
    evidence: pd.DataFrame,
    rep_id: str,
    *,
    levels: Mapping[str, int] | pd.DataFrame | None = None,
    catalogue: Catalogue | str | Path | None = None,
    plan_date: object = None,
    strengths: Sequence[str] = (),
    max_items: int = 4,
    rules: PlanRules | Mapping[str, Any] | None = None,
) -> PlanDraft:
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
    strengths : sequence of str
        Strengths written by the supervisor (kept first, as written), except those naming
        a competency that becomes a development item (:func:`strength_item`): a competency
        is a strength or an item of the plan, not both. Ratings at or above the strength
        level are strengths only when the competency is not an item.
    max_items : int
        Most development items (the source has 4).
    rules : PlanRules or mapping, optional
        Default the catalogue's rules; a mapping overrides single rules.

    Returns
    -------
    PlanDraft
        Items in :data:`DRAFT_ITEM_COLUMNS`; :func:`playbook.present.idp.word_plan` turns
        it into a :class:`Plan` in a language.

    Examples
    --------
    >>> ev = pd.DataFrame({"rep_id": ["R1"], "name": ["Ann"], "level__negotiation": pd.array([3], dtype="Int64")})
    >>> d = draft_plan(ev, "R1", plan_date="2025-10-08", max_items=2)
    >>> d.items[["competency", "current_level", "target_level", "review_date"]]
        competency  current_level  target_level review_date
    0  negotiation              3             5  2026-05-01
    >>> d.items.loc[0, "resources"]
    ('training_time', 'price_ladder', 'manager_time')
    """
    if isinstance(max_items, bool) or not isinstance(max_items, (int, np.integer)) or max_items < 1:
        raise ParameterError("max_items", max_items, "a whole number >= 1")
    cat = _as_catalogue(catalogue)
    rule = _rules(cat, rules)
    row_frame = rep_evidence(evidence, rep_id)
    row = row_frame.iloc[0]

    def get(col: str) -> object:
        return row[col] if col in row.index else None

    when = _plan_when(plan_date, get("as_of"))
    cand = _candidates(row_frame, levels, str(rep_id), when, cat)
    signals = _signals(get, rule)
    chosen = _choose(cand, signals, rule, cat, int(max_items))
    items = _draft_items(chosen, signals, cat, rule, when)
    figures = {k: _num(get(k)) for k in ("quota", "actual", "attainment", "peer_mean", "peer_median",
                                         "new_customers", "peer_new_customers_median", "repurchase_rate",
                                         "peer_repurchase_median")}
    quota, actual, attainment = figures["quota"], figures["actual"], figures["attainment"]
    if not math.isfinite(attainment) and math.isfinite(quota) and quota > 0 and math.isfinite(actual):
        figures["attainment"] = attainment = actual / quota
    strong = cand.loc[(cand["level"] >= rule.strength_level) & ~cand["competency"].isin(chosen["competency"])]
    item_keys = list(items["competency"])
    given = [s.strip() for s in strengths if isinstance(s, str) and s.strip()]
    n = get("peer_count")

    def text(col: str) -> str:
        v = get(col)
        return "" if is_blank(v) else str(v)

    return PlanDraft(
        rep_id=str(rep_id), catalogue=cat, items=items, rep_name=text("name"), position=text("role"),
        department=text("team"), supervisor_name=text("supervisor_name"), plan_date=when,
        peer_count=0 if is_blank(n) else int(n), **figures, **_peer_reference(figures),
        given_strengths=tuple(s for s in given if strength_item(s, item_keys, cat) is None),
        strong_levels=tuple((str(k), int(v)) for k, v in
                            strong.sort_values("pos")[["competency", "level"]].itertuples(index=False)),
        quota_met=bool(math.isfinite(attainment) and attainment >= rule.strength_attainment),
    )


def strength_item(strength: str, competencies: Sequence[str], catalogue: Catalogue) -> int | None:
    """Return the position (0-based) of the first of ``competencies`` that ``strength`` names, else None.

    A strength names a competency when it contains, ignoring case, the competency's key
    (``new_customer_development`` or ``new customer development``) or its catalogue name
    in any language ("New-customer development", "开发新客户"). A competency is either a
    strength or a development item of one plan, never both.

    Examples
    --------
    >>> from playbook.idp import load_catalogue
    >>> cat = load_catalogue()
    >>> strength_item("谈判能力：4/5 级", ["product_knowledge", "negotiation"], cat)
    1
    >>> strength_item("Cooperative, helps colleagues", ["negotiation"], cat) is None
    True
    """
    text = str(strength).casefold()
    for i, key in enumerate(competencies):
        key = str(key).strip()
        if not key:
            continue
        names = {key, key.replace("_", " ")}
        if key in catalogue.competencies:
            names |= {str(n) for n in catalogue.competencies[key].name.values()}
        if any(n.strip() and n.strip().casefold() in text for n in names):
            return i
    return None


def _rules(cat: Catalogue, rules: PlanRules | Mapping[str, Any] | None) -> PlanRules:
    """Return the catalogue's rules, replaced by ``rules`` or with single rules overridden by a mapping."""
    if rules is None:
        return cat.rules
    if isinstance(rules, PlanRules):
        return rules
    overrides = dict(rules)
    checked = PlanRules.from_mapping(overrides, where="rules")
    return replace(cat.rules, **{k: getattr(checked, k) for k in overrides})


def _plan_when(plan_date: object, as_of: object) -> pd.Timestamp:
    """Return the plan date: ``plan_date``, else the evidence's ``as_of``."""
    if plan_date is None or is_blank(plan_date):
        if is_blank(as_of):
            raise ParameterError("plan_date", plan_date, "a date such as '2025-10-08' (the evidence has no as_of)")
        return parse_date(as_of, "as_of")
    return parse_date(plan_date, "plan_date")


def _candidates(row_frame: pd.DataFrame, levels: object, rep_id: str, when: pd.Timestamp,
                cat: Catalogue) -> pd.DataFrame:
    """Competencies of the catalogue with a current level: the evidence's, replaced by the given ``levels``."""
    cand = rep_levels(row_frame)
    cand = cand.assign(source=np.where(cand["manager_level"].notna(), "manager",
                                       np.where(cand["self_level"].notna(), "self", "")))
    if levels is not None:
        given = _levels_input(levels, rep_id, when)
        cand = cand.set_index("competency")
        cand = cand.reindex(cand.index.union(given["competency"], sort=False))
        cand.loc[given["competency"], "level"] = given["level"].to_numpy()
        cand.loc[given["competency"], "source"] = given["source"].to_numpy()
        cand = cand.rename_axis("competency").reset_index()
    unknown = sorted(set(cand.loc[cand["level"].notna(), "competency"]) - set(cat.keys))
    if unknown:
        warnings.warn(PlaybookWarning(t("idp.warn.unknown_competencies", "en", keys=", ".join(unknown)),
                                         code="idp.warn.unknown_competencies", params={"keys": unknown}),
                      stacklevel=3)
    pos = {k: i for i, k in enumerate(cat.keys)}
    cand = cand.loc[cand["competency"].isin(pos) & cand["level"].notna()].copy()
    cand["level"] = cand["level"].astype("int64")
    cand["pos"] = cand["competency"].map(pos)
    return cand


def _signals(get: Callable[[str], object], rule: PlanRules) -> dict[str, tuple[str, ...]]:
    """Map each data signal (few new customers, low repurchase against peers) -> the competency they point at."""
    margin = 1 - rule.signal_margin
    signals: dict[str, tuple[str, ...]] = {}
    for signal, col, peer_col in (("new_customers", "new_customers", "peer_new_customers_median"),
                                  ("repurchase", "repurchase_rate", "peer_repurchase_median")):
        value, median = _num(get(col)), _num(get(peer_col))
        comp = rule.signal_competencies.get(signal)
        if math.isfinite(value) and math.isfinite(median) and value < margin * median and comp:
            signals[comp] = (*signals.get(comp, ()), signal)
    return signals


def _choose(cand: pd.DataFrame, signals: Mapping[str, tuple[str, ...]], rule: PlanRules, cat: Catalogue,
            max_items: int) -> pd.DataFrame:
    """Choose the ``max_items`` candidates below the top level with the highest priority, in the rules' order."""
    has_leak = cand["leak_step"].notna().to_numpy(dtype=float)
    has_signal = np.array([k in signals for k in cand["competency"]], dtype=float)
    cand = cand.assign(priority=(cat.max_level - cand["level"].to_numpy(dtype=float)) + rule.leak_weight * has_leak
                       + rule.signal_weight * has_signal)
    grow = cand.loc[cand["level"] < cat.max_level]
    chosen = grow.sort_values(["priority", "pos"], ascending=[False, True], kind="stable").head(max_items)
    if rule.order == "catalogue":
        chosen = chosen.sort_values("pos", kind="stable")
    return chosen


def _draft_items(chosen: pd.DataFrame, signals: Mapping[str, tuple[str, ...]], cat: Catalogue, rule: PlanRules,
                 when: pd.Timestamp) -> pd.DataFrame:
    """One row per chosen competency: target, review month, default measures that fit, their resources."""
    records = []
    plan_month = when.to_period("M")
    for rec in chosen.to_dict("records"):
        target = rule.target(rec["level"], cat.max_level)
        months = rule.review_months(target - rec["level"])
        defaults = [m for m in cat.competencies[rec["competency"]].measures if m.default]
        fit = [m for m in defaults if m.months <= months] or sorted(defaults, key=lambda m: m.months)[:1]
        fit = fit[: rule.max_measures]
        records.append({
            "competency": rec["competency"], "current_level": rec["level"], "target_level": target,
            "review_date": (plan_month + months).to_timestamp(), "source": rec.get("source") or "",
            "team_median": _num(rec.get("team_median")), "team_peer_count": _count(rec.get("team_peer_count")),
            "leak_step": "" if is_blank(rec.get("leak_step")) else str(rec["leak_step"]),
            "leak_unit": leak_unit(rec.get("leak_step")),
            "leak_rate": _num(rec.get("leak_rate")), "leak_peer_rate": _num(rec.get("leak_peer_rate")),
            "leak_peer_count": _count(rec.get("leak_peer_count")),
            "signals": tuple(signals.get(rec["competency"], ())), "measures": tuple(m.key for m in fit),
            "resources": tuple(dict.fromkeys(r for m in fit for r in m.resources)),
        })
    items = pd.DataFrame(records, columns=DRAFT_ITEM_COLUMNS)
    items["current_level"] = items["current_level"].astype("int64")
    items["target_level"] = items["target_level"].astype("int64")
    items["review_date"] = pd.to_datetime(items["review_date"]).astype("datetime64[us]")
    for c in ("team_median", "leak_rate", "leak_peer_rate"):
        items[c] = items[c].astype(float)
    for c in ("team_peer_count", "leak_peer_count"):
        items[c] = pd.array(items[c], dtype="Int64")
    return hide_small_groups(items)


def _peer_reference(figures: Mapping[str, float]) -> dict[str, object]:
    """Return the peer figure the sales are compared with (median, else mean) and the ratio to it."""
    basis = "median" if math.isfinite(figures["peer_median"]) else "mean"
    ref, actual = figures[f"peer_{basis}"], figures["actual"]
    if math.isfinite(ref) and ref > 0 and math.isfinite(actual):
        return {"peer_basis": basis, "peer_ratio": actual / ref}
    return {"peer_basis": "", "peer_ratio": float("nan")}
