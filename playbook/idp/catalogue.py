"""The competency catalogue: competencies, level descriptors, measures and the plan rules, from YAML."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import yaml

from playbook.core import paths
from playbook.core.errors import InputError, ParameterError, yaml_error
from playbook.core.labels import LANGS

__all__ = [
    "CATALOGUE_PATH", "MIN_GROUP", "COMPETENCY_FIELDS", "EVIDENCE_COLUMNS", "LEVEL_COLUMNS", "REP_LEVEL_COLUMNS",
    "PEER_COLUMNS", "PLAN_ITEM_COLUMNS", "PlanRules", "Measure", "Competency", "Catalogue", "parse_catalogue",
    "load_catalogue",
]

CATALOGUE_PATH = paths.TEMPLATES_DIR / "competencies.yaml"
MIN_GROUP = 5
"""Fewest other reps behind an anonymous statistic; smaller groups are hidden."""

COMPETENCY_FIELDS = ("level", "manager_level", "self_level", "team_median", "leak_step", "leak_rate",
                     "leak_peer_rate")
"""Per-competency evidence; column ``f"{field}__{competency}"`` in :func:`team_evidence`."""

EVIDENCE_COLUMNS = [
    "rep_id", "name", "team", "role", "supervisor_id", "supervisor_name", "active", "as_of",
    "quota", "actual", "attainment", "peer_group", "peer_count", "peer_mean", "peer_q1",
    "peer_median", "peer_q3", "gap_to_peer_median", "ratio_to_peer_median",
    "peer_attainment_median", "new_customers", "peer_new_customers_median", "repurchase_rate",
    "peer_repurchase_median", "team_peer_count", "leak_steps", "leak_peer_count", "funnel_checked",
]
"""Fixed columns of :func:`team_evidence` (then the per-competency columns).

``peer_count``, ``team_peer_count`` and ``leak_peer_count`` are the other reps behind the
peer statistics, the team medians and the funnel peers' rates (see
:data:`playbook.idp.evidence.PEER_STATISTICS`)."""

LEVEL_COLUMNS = ["rep_id", "competency", "level", "manager_level", "self_level", "assessed_date"]
REP_LEVEL_COLUMNS = ["competency", *COMPETENCY_FIELDS, "team_peer_count", "leak_peer_count"]
PEER_COLUMNS = ["metric", "value", "peer_q1", "peer_median", "peer_q3", "peer_mean", "peer_count"]
PLAN_ITEM_COLUMNS = ["competency", "why", "current_level", "target_level", "measures", "resources",
                     "review_date"]
"""Columns of :attr:`Plan.items`, the source's plan table (有待发展项目 … 评估时间)."""

_RATERS = ("manager", "self")
_ORDERS = ("catalogue", "priority")
_DEFAULT_SIGNALS = MappingProxyType({"new_customers": "new_customer_development",
                                     "repurchase": "customer_retention"})



# --------------------------------------------------------------------------- catalogue
@dataclass(frozen=True)
class PlanRules:
    """How :func:`draft_plan` builds a plan; every number is a business rule you may change.

    Attributes
    ----------
    target_step : int
        Target level = ``min(max level, current + target_step)``.
    first_level_months, extra_level_months : int
        Review horizon in months: ``first_level_months`` for a one-level step, plus
        ``extra_level_months`` for each further level.
    max_measures : int
        Default measures proposed per item, at most.
    strength_level : int
        Competencies rated at least this (and not plan items) are named as strengths.
    strength_attainment : float
        Quota attainment (1.0 = 100%) from which "quota met" is a strength.
    signal_margin : float
        A data signal fires when the rep's figure is below ``(1 - signal_margin)`` x the
        peers' median.
    leak_weight, signal_weight : float
        Priority added by a funnel leak and by a data signal.
    order : {"catalogue", "priority"}
        Order of the items in the plan.
    signal_competencies : mapping
        Data signal -> competency it points at (``new_customers``, ``repurchase``).

    Examples
    --------
    >>> rules = PlanRules()
    >>> [rules.target(level) for level in (1, 2, 3, 4)]
    [3, 4, 5, 5]
    >>> [rules.review_months(gap) for gap in (1, 2, 3)]
    [4, 7, 10]
    """

    target_step: int = 2
    first_level_months: int = 4
    extra_level_months: int = 3
    max_measures: int = 4
    strength_level: int = 4
    strength_attainment: float = 1.0
    signal_margin: float = 0.2
    leak_weight: float = 2.0
    signal_weight: float = 1.0
    order: str = "catalogue"
    signal_competencies: Mapping[str, str] = field(default_factory=lambda: _DEFAULT_SIGNALS)

    def target(self, current: int, max_level: int = 5) -> int:
        """Return the target level for ``current``."""
        return int(min(max_level, current + self.target_step))

    def review_months(self, gap: int) -> int:
        """Return the months from the plan month to the review for a step of ``gap`` levels."""
        return int(self.first_level_months + self.extra_level_months * max(gap - 1, 0))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None, *, where: str = "rules") -> PlanRules:
        """Build rules from a mapping (the catalogue's ``rules`` block); unknown keys are errors.

        Examples
        --------
        >>> PlanRules.from_mapping({"target_step": 1}).target(3)
        4
        >>> PlanRules.from_mapping({"order": "size"})
        Traceback (most recent call last):
        ...
        playbook.core.errors.InputError: rules: 1 problem(s):
          - rules.order: 'size' is not valid; expected one of catalogue, priority.
        """
        problems = _rule_problems(data, where)
        if problems:
            raise _problems_error(where, problems, "", "idp.catalogue.rule_problems")
        data = dict(data or {})
        if "signal_competencies" in data:
            data["signal_competencies"] = MappingProxyType(dict(data["signal_competencies"]))
        return cls(**data)


class _Problem(str):
    """One problem of a catalogue: its English text, and ``item`` (a label key and fields) to word it."""

    item: dict[str, object]


def _p(text: str, kind: str, at: str, **fields: object) -> _Problem:
    """Return problem ``text`` at YAML path ``at``, worded by label ``message.idp.catalogue.<kind>``."""
    problem = _Problem(text)
    problem.item = {"key": f"message.idp.catalogue.{kind}", "at": at, **fields}
    return problem


def _problems_error(where: str, problems: list[str], head: str, code: str) -> InputError:
    """Return the error listing ``problems`` (each a :class:`_Problem`), coded ``code``."""
    return InputError(f"{where}: {len(problems)} problem(s){head}:\n" + "\n".join(f"  - {p}" for p in problems)
                      + ("\nFix the file and load it again." if head else ""), code=code,
                      params={"where": where, "n": len(problems),
                              "problems_lines": [p.item for p in problems if isinstance(p, _Problem)]})


_INT_RULES = {"target_step": 0, "first_level_months": 1, "extra_level_months": 0, "max_measures": 1,
              "strength_level": 1}
_FLOAT_RULES = {"strength_attainment": 0.0, "signal_margin": 0.0, "leak_weight": 0.0, "signal_weight": 0.0}


def _rule_problems(data: object, where: str) -> list[str]:
    if data is None:
        return []
    if not isinstance(data, Mapping):
        return [_p(f"{where}: expected a mapping of rule: value.", "rules_mapping", where)]
    problems = []
    known = {f.name for f in fields(PlanRules)}
    for key in sorted(set(map(str, data)) - known):
        problems.append(_p(f"{where}.{key}: unknown rule; rules are {', '.join(sorted(known))}.", "unknown_rule",
                           f"{where}.{key}", known=sorted(known)))
    for key, low in _INT_RULES.items():
        if key in data:
            v = data[key]
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
                problems.append(_p(f"{where}.{key}: {v!r} is not valid; expected a whole number >= {low}.",
                                   "whole_number", f"{where}.{key}", value=repr(v), low=low))
    for key, low in _FLOAT_RULES.items():
        if key in data:
            v = data[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (v >= low):
                problems.append(_p(f"{where}.{key}: {v!r} is not valid; expected a number >= {low:g}.", "number",
                                   f"{where}.{key}", value=repr(v), low=f"{low:g}"))
    if "order" in data and data["order"] not in _ORDERS:
        problems.append(_p(f"{where}.order: {data['order']!r} is not valid; expected one of {', '.join(_ORDERS)}.",
                           "order", f"{where}.order", value=repr(data["order"]), known=list(_ORDERS)))
    if "signal_competencies" in data and not isinstance(data["signal_competencies"], Mapping):
        problems.append(_p(f"{where}.signal_competencies: expected a mapping signal: competency.", "signals",
                           f"{where}.signal_competencies"))
    return problems


@dataclass(frozen=True)
class Measure:
    """One development measure (发展措施) of the library, with its text in each language."""

    key: str
    text: Mapping[str, str]
    months: float
    resources: tuple[str, ...]
    default: bool


@dataclass(frozen=True)
class Competency:
    """One competency: its name, level descriptors 1-5 and measures (each text en + zh)."""

    key: str
    name: Mapping[str, str]
    levels: Mapping[int, Mapping[str, str]]
    measures: tuple[Measure, ...]


@dataclass(frozen=True)
class Catalogue:
    """The competency catalogue: competencies, the resource library and the draft rules.

    Texts (names, level descriptors, measures, resources) are data in each language;
    :mod:`playbook.present.idp` picks one (``competency_name``, ``level_descriptor``).

    Examples
    --------
    >>> cat = load_catalogue()
    >>> cat.competencies["new_customer_development"].name["zh"], cat.competencies["negotiation"].levels[1]["en"]
    ('开发新客户', 'Gives discounts as soon as the customer pushes back.')
    """

    competencies: Mapping[str, Competency]
    resources: Mapping[str, Mapping[str, str]]
    rules: PlanRules = field(default_factory=PlanRules)
    min_level: int = 1
    max_level: int = 5
    source: str = ""

    @property
    def keys(self) -> tuple[str, ...]:
        """Competency keys in catalogue order."""
        return tuple(self.competencies)


def _text_problems(entry: object, where: str) -> list[str]:
    if not isinstance(entry, Mapping):
        return [_p(f"{where}: expected a text in each language ({', '.join(LANGS)}).", "texts", where,
                   langs=list(LANGS))]
    return [_p(f"{where}: missing the {lang!r} text.", f"missing_{lang}", where) for lang in LANGS
            if not isinstance(entry.get(lang), str) or not entry.get(lang, "").strip()]


def _texts(entry: Mapping) -> Mapping[str, str]:
    return MappingProxyType({lang: str(entry[lang]).strip() for lang in LANGS})


def parse_catalogue(data: object, *, where: str = "catalogue") -> Catalogue:
    """Check a catalogue read from YAML and return it; list every problem at once.

    Parameters
    ----------
    data : mapping
        ``scale``, ``rules``, ``resources`` and ``competencies`` as in
        ``templates/competencies.yaml``.
    where : str
        Name of the source in messages (the file path).

    Returns
    -------
    Catalogue

    Raises
    ------
    InputError
        Naming each problem (missing texts, levels other than 1-5, measures without a
        duration, unknown resources, bad rules).

    Examples
    --------
    >>> comp = {"name": {"en": "Grit", "zh": "毅力"},
    ...         "levels": {i: {"en": f"L{i}", "zh": f"等级{i}"} for i in range(1, 6)},
    ...         "measures": [{"key": "m", "en": "Run", "zh": "跑步", "months": 2,
    ...                       "resources": ["shoes"], "default": True}]}
    >>> parse_catalogue({"competencies": {"grit": comp}})
    Traceback (most recent call last):
    ...
    playbook.core.errors.InputError: catalogue: 1 problem(s) in the competency catalogue:
      - competencies.grit.measures[1].resources: unknown resource 'shoes'; add it under 'resources' (known: none).
    Fix the file and load it again.
    """
    if not isinstance(data, Mapping):
        raise InputError(f"{where}: expected a mapping with 'competencies' (and 'resources', 'rules').",
                         code="idp.catalogue.not_mapping", params={"where": where})
    problems, resources, comps = _section_problems(data)
    for ckey, comp in comps.items():
        problems += _competency_problems(comp, f"competencies.{ckey}", resources)
    if problems:
        raise _problems_error(where, problems, " in the competency catalogue", "idp.catalogue.problems")
    return Catalogue(
        competencies=MappingProxyType({str(ckey): _competency(str(ckey), comp) for ckey, comp in comps.items()}),
        resources=MappingProxyType({str(k): _texts(v) for k, v in resources.items()}),
        rules=PlanRules.from_mapping(data.get("rules"), where="rules"),
        min_level=_SCALE[0], max_level=_SCALE[1], source=where,
    )


_SCALE = (1, 5)
"""The kit's level scale (min, max); a catalogue must use it."""


def _section_problems(data: Mapping) -> tuple[list[str], Mapping, Mapping]:
    """Problems of the top-level sections; return them with the resources and competencies usable."""
    problems: list[str] = []
    for key in sorted(set(map(str, data)) - {"scale", "rules", "resources", "competencies"}):
        problems.append(_p(f"{key}: unknown section; sections are scale, rules, resources, competencies.",
                           "unknown_section", key))
    scale = data.get("scale") or {"min": _SCALE[0], "max": _SCALE[1]}
    bounds = (scale.get("min"), scale.get("max")) if isinstance(scale, Mapping) else (None, None)
    if bounds != _SCALE:
        problems.append(_p(f"scale: {scale!r} is not supported; the kit's scale is min: 1, max: 5.", "scale", "scale",
                           value=repr(scale)))
    resources = data.get("resources") or {}
    if not isinstance(resources, Mapping):
        problems.append(_p("resources: expected a mapping key: {en: ..., zh: ...}.", "resources", "resources"))
        resources = {}
    for rkey, entry in resources.items():
        problems += _text_problems(entry, f"resources.{rkey}")
    comps = data.get("competencies")
    if not isinstance(comps, Mapping) or not comps:
        problems.append(_p("competencies: expected at least one competency.", "no_competencies", "competencies"))
        comps = {}
    problems += _rule_problems(data.get("rules"), "rules")
    return problems, resources, comps


def _competency_problems(comp: object, w: str, resources: Mapping) -> list[str]:
    """Problems of one competency entry (``w`` names it in messages)."""
    if not isinstance(comp, Mapping):
        return [_p(f"{w}: expected name, levels and measures.", "competency", w)]
    problems = _text_problems(comp.get("name"), f"{w}.name") + _level_problems(comp.get("levels"), w)
    measures = comp.get("measures")
    if not isinstance(measures, Sequence) or isinstance(measures, str) or not measures:
        return [*problems, _p(f"{w}.measures: expected a list of at least one measure.", "measures", f"{w}.measures")]
    for i, m in enumerate(measures, start=1):
        problems += _measure_problems(m, f"{w}.measures[{i}]", resources)
    if not any(isinstance(m, Mapping) and m.get("default") is True for m in measures):
        problems.append(_p(f"{w}.measures: mark at least one measure 'default: true' (proposed in drafts).",
                           "no_default", f"{w}.measures"))
    return problems


def _level_problems(levels: object, w: str) -> list[str]:
    """Problems of a competency's level descriptors: each level of the scale, in each language."""
    lo, hi = _SCALE
    if not isinstance(levels, Mapping):
        return [_p(f"{w}.levels: expected descriptors for the levels {lo}-{hi}.", "levels", f"{w}.levels", lo=lo,
                   hi=hi)]
    problems = []
    got = {int(k) if str(k).isdigit() else k for k in levels}
    missing = [str(i) for i in range(lo, hi + 1) if i not in got]
    extra = sorted(str(k) for k in got if k not in range(lo, hi + 1))
    if missing:
        problems.append(_p(f"{w}.levels: missing level(s) {', '.join(missing)}; describe each level {lo}-{hi}.",
                           "levels_missing", f"{w}.levels", missing=missing, lo=lo, hi=hi))
    if extra:
        problems.append(_p(f"{w}.levels: level(s) {', '.join(extra)} outside the scale {lo}-{hi}.", "levels_extra",
                           f"{w}.levels", extra=extra, lo=lo, hi=hi))
    for k, entry in levels.items():
        problems += _text_problems(entry, f"{w}.levels.{k}")
    return problems


def _measure_problems(m: object, mw: str, resources: Mapping) -> list[str]:
    """Problems of one measure: texts, a duration, known resources, a true/false default."""
    if not isinstance(m, Mapping):
        return [_p(f"{mw}: expected key, en, zh, months, resources, default.", "measure", mw)]
    problems = _text_problems(m, mw)
    months = m.get("months")
    if isinstance(months, bool) or not isinstance(months, (int, float)) or not months > 0:
        problems.append(_p(f"{mw}.months: {months!r} is not valid; expected a typical duration in months > 0.",
                           "months", f"{mw}.months", value=repr(months)))
    res = m.get("resources", [])
    if not isinstance(res, Sequence) or isinstance(res, str):
        problems.append(_p(f"{mw}.resources: expected a list of resource keys.", "resource_list", f"{mw}.resources"))
    else:
        known = ", ".join(map(str, resources)) or "none"
        problems += [_p(f"{mw}.resources: unknown resource {r!r}; add it under 'resources' (known: {known}).",
                        "unknown_resource", f"{mw}.resources", value=repr(r), known=known)
                     for r in res if r not in resources]
    if not isinstance(m.get("default", False), bool):
        problems.append(_p(f"{mw}.default: expected true or false.", "default", f"{mw}.default"))
    return problems


def _competency(key: str, comp: Mapping) -> Competency:
    """Build a checked competency entry."""
    measures = tuple(
        Measure(key=str(m.get("key", i)), text=_texts(m), months=float(m["months"]),
                resources=tuple(m.get("resources", [])), default=bool(m.get("default", False)))
        for i, m in enumerate(comp["measures"], start=1)
    )
    levels = MappingProxyType({int(k): _texts(v) for k, v in sorted(comp["levels"].items(),
                                                                      key=lambda kv: int(kv[0]))})
    return Competency(key, _texts(comp["name"]), levels, measures)


_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime_ns: int) -> Catalogue:
    try:
        text = Path(path).read_text(encoding="utf-8")
        try:  # libyaml: the same documents, ten times faster (the snapshot and every report load it)
            data = yaml.load(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:  # the pure-Python parser's error carries the line's text for the message
            data = yaml.safe_load(text)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise yaml_error(Path(path).name, exc) from None
    return parse_catalogue(data, where=path)


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Load and check the competency catalogue (default ``templates/competencies.yaml``).

    Parameters
    ----------
    path : str or Path, optional
        A YAML file; relative paths are tried from the working directory, then the
        repository.

    Returns
    -------
    Catalogue

    Examples
    --------
    >>> cat = load_catalogue()
    >>> cat.keys[:4]
    ('product_knowledge', 'customer_communication', 'market_awareness', 'new_customer_development')
    >>> cat.rules.target_step, cat.rules.first_level_months
    (2, 4)
    """
    p = CATALOGUE_PATH if path is None else paths.resolve(path)
    if not Path(p).is_file():
        raise ParameterError("catalogue", str(path), "an existing YAML file such as templates/competencies.yaml")
    return _load_cached(str(p), Path(p).stat().st_mtime_ns)


def _as_catalogue(catalogue: Catalogue | str | Path | None) -> Catalogue:
    if isinstance(catalogue, Catalogue):
        return catalogue
    return load_catalogue(catalogue)
