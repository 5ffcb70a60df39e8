"""Individual Development Plans (IDP, 个人发展计划): evidence, draft, checks, rendering.

An IDP looks forward; an appraisal looks back (domain brief, section 5). The kit builds
a plan in four steps:

1. :func:`team_evidence` computes the evidence for **all reps in one vectorised pass**:
   year-to-date quota and sales (:func:`playbook.overview.rep_summary`), anonymous
   statistics of the rep's peers (same role), the latest competency levels (manager's
   rating preferred, self-assessment as fallback, both kept), the team's median level,
   new customers and repurchase against peers, and funnel leaks
   (:func:`playbook.funnel.rep_leaks`, when that module is installed).
2. :func:`draft_plan` turns one rep's evidence into a :class:`Plan` with the rules
   below and the competency catalogue (``templates/competencies.yaml``, edited by HR).
3. People edit the plan; :func:`validate_plan` lists every problem at once.
4. :func:`plan_to_html_table` renders the plan table in the source's layout, with every
   typed text escaped. :mod:`playbook.store` keeps the versions and sign-offs.

Draft rules (defaults in the catalogue's ``rules`` block, see :class:`PlanRules`)
---------------------------------------------------------------------------------
- **Candidates**: competencies of the catalogue with a current level below 5.
- **Priority** = (5 - current level) + ``leak_weight`` if the funnel flags a leak on the
  competency's step + ``signal_weight`` if a data signal points at it (new customers, or
  repurchase, below ``(1 - signal_margin)`` x the peers' median). The ``max_items``
  highest priorities become items (ties: catalogue order); they are listed in catalogue
  order (``order: catalogue``) or by priority.
- **Target level** = ``min(5, current + target_step)`` (``target_step`` = 2).
- **Review date** = the first day of the month ``first_level_months`` (4) after the plan
  month for a one-level step, plus ``extra_level_months`` (3) for each further level.
- **Measures**: the catalogue's default measures whose typical duration fits the review
  horizon (at most ``max_measures``); **resources**: those the measures need, in order.
- **Strengths**: texts given by the supervisor, competencies rated at least
  ``strength_level`` that are not items, and quota met.

Worked example (domain brief, section 5): plan of 2011-11-25, levels 4, 3, 4 and 2 give
the targets 5, 5, 5 and 4 and the reviews 2012-03, 2012-06, 2012-03 and 2012-06.

Privacy: evidence holds only the rep's own figures and anonymous statistics of the
others (count, mean, quartiles). Statistics of fewer than ``min_group`` (5) other reps
are hidden (missing). A peer statistic never includes the rep.

Examples
--------
>>> import pandas as pd
>>> evidence = pd.DataFrame({"rep_id": ["R4"], "name": ["董某某"], "role": ["销售专员"],
...                          "team": ["销售部"], "supervisor_name": ["那某某"],
...                          "quota": [200_000.0], "actual": [219_000.0], "peer_mean": [320_000.0]})
>>> plan = draft_plan(evidence, "R4", plan_date="2011-11-25", lang="zh",
...                   levels={"product_knowledge": 4, "customer_communication": 3,
...                           "market_awareness": 4, "new_customer_development": 2})
>>> items = plan.items.assign(review=plan.items["review_date"].dt.strftime("%Y-%m"))
>>> items[["competency", "current_level", "target_level", "review"]]
                 competency  current_level  target_level   review
0         product_knowledge              4             5  2012-03
1    customer_communication              3             5  2012-06
2          market_awareness              4             5  2012-03
3  new_customer_development              2             4  2012-06
"""

from __future__ import annotations

import html
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import yaml

from playbook import paths
from playbook.errors import (
    InputError,
    ParameterError,
    PlaybookWarning,
    ValidationError,
    parse_date,
    require_columns,
)
from playbook.labels import LANGS, check_lang, t
from playbook.labels import catalogue as label_catalogue
from playbook.overview import rep_summary, resolve_as_of, ytd_window
from playbook.validation import ISSUE_COLUMNS

__all__ = [
    "CATALOGUE_PATH",
    "MIN_GROUP",
    "COMPETENCY_FIELDS",
    "EVIDENCE_COLUMNS",
    "LEVEL_COLUMNS",
    "REP_LEVEL_COLUMNS",
    "PEER_COLUMNS",
    "PLAN_ITEM_COLUMNS",
    "PlanRules",
    "Measure",
    "Competency",
    "Catalogue",
    "parse_catalogue",
    "load_catalogue",
    "catalogue_frame",
    "leave_one_out_stats",
    "latest_levels",
    "funnel_leaks",
    "team_evidence",
    "dataset_evidence",
    "evidence_columns",
    "rep_evidence",
    "rep_levels",
    "peer_comparison",
    "peer_comparison_display",
    "Plan",
    "draft_plan",
    "empty_items",
    "plan_issues",
    "validate_plan",
    "plan_to_dict",
    "plan_from_dict",
    "escape_text",
    "plan_items_display",
    "plan_to_html_table",
    "plan_header_html",
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
    "peer_repurchase_median", "leak_steps", "funnel_checked",
]
"""Fixed columns of :func:`team_evidence` (then the per-competency columns)."""

LEVEL_COLUMNS = ["rep_id", "competency", "level", "manager_level", "self_level", "assessed_date"]
REP_LEVEL_COLUMNS = ["competency", *COMPETENCY_FIELDS]
PEER_COLUMNS = ["metric", "value", "peer_q1", "peer_median", "peer_q3", "peer_mean", "peer_count"]
PLAN_ITEM_COLUMNS = ["competency", "why", "current_level", "target_level", "measures", "resources",
                     "review_date"]
"""Columns of :attr:`Plan.items`, the source's plan table (有待发展项目 … 评估时间)."""

_SEP = {"en": "; ", "zh": "；"}
_LINE = "\n"  # measures and resources: one entry per line
_RATERS = ("manager", "self")
_ORDERS = ("catalogue", "priority")
_DEFAULT_SIGNALS = MappingProxyType({"new_customers": "new_customer_development",
                                     "repurchase": "customer_retention"})


_require = require_columns


_date = parse_date


def _blank(value: object) -> bool:
    if value is None:
        return True
    try:
        if pd.isna(value):
            return True
    except (TypeError, ValueError):
        pass
    return isinstance(value, str) and not value.strip()


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
        playbook.errors.InputError: rules: 1 problem(s):
          - rules.order: 'size' is not valid; expected one of catalogue, priority.
        """
        problems = _rule_problems(data, where)
        if problems:
            raise InputError(f"{where}: {len(problems)} problem(s):\n" + "\n".join(f"  - {p}" for p in problems))
        data = dict(data or {})
        if "signal_competencies" in data:
            data["signal_competencies"] = MappingProxyType(dict(data["signal_competencies"]))
        return cls(**data)


_INT_RULES = {"target_step": 0, "first_level_months": 1, "extra_level_months": 0, "max_measures": 1,
              "strength_level": 1}
_FLOAT_RULES = {"strength_attainment": 0.0, "signal_margin": 0.0, "leak_weight": 0.0, "signal_weight": 0.0}


def _rule_problems(data: object, where: str) -> list[str]:
    if data is None:
        return []
    if not isinstance(data, Mapping):
        return [f"{where}: expected a mapping of rule: value."]
    problems = []
    known = {f.name for f in fields(PlanRules)}
    for key in sorted(set(map(str, data)) - known):
        problems.append(f"{where}.{key}: unknown rule; rules are {', '.join(sorted(known))}.")
    for key, low in _INT_RULES.items():
        if key in data:
            v = data[key]
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
                problems.append(f"{where}.{key}: {v!r} is not valid; expected a whole number >= {low}.")
    for key, low in _FLOAT_RULES.items():
        if key in data:
            v = data[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (v >= low):
                problems.append(f"{where}.{key}: {v!r} is not valid; expected a number >= {low:g}.")
    if "order" in data and data["order"] not in _ORDERS:
        problems.append(f"{where}.order: {data['order']!r} is not valid; expected one of {', '.join(_ORDERS)}.")
    if "signal_competencies" in data and not isinstance(data["signal_competencies"], Mapping):
        problems.append(f"{where}.signal_competencies: expected a mapping signal: competency.")
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

    Examples
    --------
    >>> cat = load_catalogue()
    >>> cat.name("new_customer_development", "zh"), cat.descriptor("negotiation", 1, "en")
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

    def name(self, key: str, lang: str = "en") -> str:
        """Name of competency ``key`` (the catalogue's, else the label, else ``key`` itself)."""
        check_lang(lang)
        if key in self.competencies:
            return self.competencies[key].name[lang]
        entry = label_catalogue().get(f"competency.{key}")
        return entry[lang] if entry else str(key)

    def descriptor(self, key: str, level: int, lang: str = "en") -> str:
        """Return what level ``level`` of competency ``key`` looks like (empty when unknown)."""
        comp = self.competencies.get(key)
        if comp is None or int(level) not in comp.levels:
            return ""
        return comp.levels[int(level)][check_lang(lang)]


def _text_problems(entry: object, where: str) -> list[str]:
    if not isinstance(entry, Mapping):
        return [f"{where}: expected a text in each language ({', '.join(LANGS)})."]
    return [f"{where}: missing the {lang!r} text." for lang in LANGS
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
    playbook.errors.InputError: catalogue: 1 problem(s) in the competency catalogue:
      - competencies.grit.measures[1].resources: unknown resource 'shoes'; add it under 'resources' (known: none).
    Fix the file and load it again.
    """
    problems: list[str] = []
    if not isinstance(data, Mapping):
        raise InputError(f"{where}: expected a mapping with 'competencies' (and 'resources', 'rules').")
    for key in sorted(set(map(str, data)) - {"scale", "rules", "resources", "competencies"}):
        problems.append(f"{key}: unknown section; sections are scale, rules, resources, competencies.")
    scale = data.get("scale") or {"min": 1, "max": 5}
    lo, hi = (scale.get("min"), scale.get("max")) if isinstance(scale, Mapping) else (None, None)
    if (lo, hi) != (1, 5):
        problems.append(f"scale: {scale!r} is not supported; the kit's scale is min: 1, max: 5.")
        lo, hi = 1, 5
    resources = data.get("resources") or {}
    if not isinstance(resources, Mapping):
        problems.append("resources: expected a mapping key: {en: ..., zh: ...}.")
        resources = {}
    for rkey, entry in resources.items():
        problems += _text_problems(entry, f"resources.{rkey}")
    comps = data.get("competencies")
    if not isinstance(comps, Mapping) or not comps:
        problems.append("competencies: expected at least one competency.")
        comps = {}
    problems += _rule_problems(data.get("rules"), "rules")
    for ckey, comp in comps.items():
        w = f"competencies.{ckey}"
        if not isinstance(comp, Mapping):
            problems.append(f"{w}: expected name, levels and measures.")
            continue
        problems += _text_problems(comp.get("name"), f"{w}.name")
        levels = comp.get("levels")
        if not isinstance(levels, Mapping):
            problems.append(f"{w}.levels: expected descriptors for the levels {lo}-{hi}.")
        else:
            got = {int(k) if str(k).isdigit() else k for k in levels}
            missing = [str(i) for i in range(lo, hi + 1) if i not in got]
            extra = sorted(str(k) for k in got if k not in range(lo, hi + 1))
            if missing:
                problems.append(f"{w}.levels: missing level(s) {', '.join(missing)}; describe each level {lo}-{hi}.")
            if extra:
                problems.append(f"{w}.levels: level(s) {', '.join(extra)} outside the scale {lo}-{hi}.")
            for k, entry in levels.items():
                problems += _text_problems(entry, f"{w}.levels.{k}")
        measures = comp.get("measures")
        if not isinstance(measures, Sequence) or isinstance(measures, str) or not measures:
            problems.append(f"{w}.measures: expected a list of at least one measure.")
            continue
        n_default = 0
        for i, m in enumerate(measures, start=1):
            mw = f"{w}.measures[{i}]"
            if not isinstance(m, Mapping):
                problems.append(f"{mw}: expected key, en, zh, months, resources, default.")
                continue
            problems += _text_problems(m, mw)
            months = m.get("months")
            if isinstance(months, bool) or not isinstance(months, (int, float)) or not months > 0:
                problems.append(f"{mw}.months: {months!r} is not valid; expected a typical duration in months > 0.")
            res = m.get("resources", [])
            if not isinstance(res, Sequence) or isinstance(res, str):
                problems.append(f"{mw}.resources: expected a list of resource keys.")
            else:
                known = ", ".join(map(str, resources)) or "none"
                for r in res:
                    if r not in resources:
                        problems.append(f"{mw}.resources: unknown resource {r!r}; add it under 'resources' "
                                        f"(known: {known}).")
            if not isinstance(m.get("default", False), bool):
                problems.append(f"{mw}.default: expected true or false.")
            n_default += m.get("default") is True
        if n_default == 0:
            problems.append(f"{w}.measures: mark at least one measure 'default: true' (proposed in drafts).")
    if problems:
        raise InputError(f"{where}: {len(problems)} problem(s) in the competency catalogue:\n"
                         + "\n".join(f"  - {p}" for p in problems) + "\nFix the file and load it again.")
    out = {}
    for ckey, comp in comps.items():
        measures = tuple(
            Measure(key=str(m.get("key", i)), text=_texts(m), months=float(m["months"]),
                    resources=tuple(m.get("resources", [])), default=bool(m.get("default", False)))
            for i, m in enumerate(comp["measures"], start=1)
        )
        levels = MappingProxyType({int(k): _texts(v) for k, v in sorted(comp["levels"].items(),
                                                                          key=lambda kv: int(kv[0]))})
        out[str(ckey)] = Competency(str(ckey), _texts(comp["name"]), levels, measures)
    return Catalogue(
        competencies=MappingProxyType(out),
        resources=MappingProxyType({str(k): _texts(v) for k, v in resources.items()}),
        rules=PlanRules.from_mapping(data.get("rules"), where="rules"),
        min_level=lo, max_level=hi, source=where,
    )


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime_ns: int) -> Catalogue:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({exc}). Fix the file and load it again.") from None
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


def catalogue_frame(
    catalogue: Catalogue | str | Path | None = None,
    *,
    competencies: Sequence[str] | None = None,
    lang: str = "en",
) -> pd.DataFrame:
    """Return the measures library as a table: one row per measure, texts in ``lang``.

    Parameters
    ----------
    catalogue : Catalogue or path, optional
        Default ``templates/competencies.yaml``.
    competencies : sequence of str, optional
        Only these competencies (in this order); default all.
    lang : {"en", "zh"}

    Returns
    -------
    DataFrame
        ``competency, name, measure, months, resources, default`` (resources one per line).

    Examples
    --------
    >>> lib = catalogue_frame(lang="zh")
    >>> lib.loc[lib["competency"] == "product_knowledge", ["measure", "months"]].head(2).values.tolist()
    [['阅读产品手册和相关书籍', 3.0], ['参加产品培训课程', 2.0]]
    """
    check_lang(lang)
    cat = _as_catalogue(catalogue)
    keys = cat.keys if competencies is None else [k for k in competencies if k in cat.competencies]
    rows = [
        {"competency": c.key, "name": c.name[lang], "measure": m.text[lang], "months": m.months,
         "resources": _LINE.join(cat.resources[r][lang] for r in m.resources), "default": m.default}
        for c in (cat.competencies[k] for k in keys) for m in c.measures
    ]
    return pd.DataFrame(rows, columns=["competency", "name", "measure", "months", "resources", "default"])


# --------------------------------------------------------------------------- evidence
def leave_one_out_stats(
    values: pd.Series,
    groups: pd.Series,
    *,
    eligible: pd.Series | None = None,
    min_group: int = MIN_GROUP,
) -> pd.DataFrame:
    """Anonymous statistics of each row's group **without the row itself** (vectorised).

    For each row: how many *other* eligible rows of its group have a value, their mean
    and quartiles (linear interpolation, as :func:`numpy.quantile`). Statistics of fewer
    than ``min_group`` others are hidden (missing); ``peer_count`` is kept.

    Parameters
    ----------
    values : Series
        Numbers (missing values are not counted).
    groups : Series
        Group of each row (same index); a missing group has no peers.
    eligible : Series of bool, optional
        Rows that may serve as peers (all by default). Every row still gets statistics.
    min_group : int
        Fewest peers behind a shown statistic.

    Returns
    -------
    DataFrame
        ``peer_count, peer_mean, peer_q1, peer_median, peer_q3``, index of ``values``.

    Examples
    --------
    >>> v = pd.Series([1.0, 2.0, 3.0, 4.0, 10.0])
    >>> g = pd.Series(["a"] * 5)
    >>> leave_one_out_stats(v, g, min_group=3)[["peer_count", "peer_mean", "peer_median"]]
       peer_count  peer_mean  peer_median
    0           4       4.75          3.5
    1           4       4.50          3.5
    2           4       4.25          3.0
    3           4       4.00          2.5
    4           4       2.50          2.5
    """
    if min_group < 1:
        raise ParameterError("min_group", min_group, "a whole number >= 1")
    vals = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    codes, _ = pd.factorize(pd.Series(groups).astype("object"), use_na_sentinel=True)
    n = len(vals)
    elig = np.ones(n, bool) if eligible is None else pd.Series(eligible).fillna(False).to_numpy(dtype=bool)
    ok = elig & ~np.isnan(vals) & (codes >= 0)
    ng = int(codes.max()) + 1 if n and codes.max() >= 0 else 0
    idx = np.flatnonzero(ok)
    order = idx[np.lexsort((vals[idx], codes[idx]))]
    s = vals[order]
    counts = np.bincount(codes[order], minlength=ng)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    sums = np.bincount(codes[order], weights=s, minlength=ng)
    rank = np.zeros(n, np.int64)
    rank[order] = np.arange(len(order)) - starts[codes[order]]
    g = np.where(codes >= 0, codes, 0)
    n_g = np.where(codes >= 0, counts[g] if ng else 0, 0)
    m = n_g - ok.astype(np.int64)
    r = np.where(ok, rank, n_g)  # a row that is not a peer removes nothing
    shown = m >= min_group
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (np.where(codes >= 0, sums[g] if ng else 0.0, 0.0) - np.where(ok, vals, 0.0)) / m
    out = {"peer_count": m, "peer_mean": np.where(shown, mean, np.nan)}
    base = np.where(codes >= 0, starts[g] if ng else 0, 0)
    for name, q in (("peer_q1", 0.25), ("peer_median", 0.5), ("peer_q3", 0.75)):
        pos = q * np.maximum(m - 1, 0)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, np.maximum(m - 1, 0))
        frac = pos - lo
        lo2 = base + lo + (lo >= r)
        hi2 = base + hi + (hi >= r)
        safe = shown & (len(s) > 0)
        lo2 = np.where(safe, lo2, 0)
        hi2 = np.where(safe, hi2, 0)
        sv = s if len(s) else np.array([np.nan])
        val = sv[lo2] + frac * (sv[hi2] - sv[lo2])
        out[name] = np.where(safe, val, np.nan)
    frame = pd.DataFrame(out, index=pd.Series(values).index)
    frame["peer_count"] = frame["peer_count"].astype("int64")
    return frame


def latest_levels(assessments: pd.DataFrame, *, as_of: object = None) -> pd.DataFrame:
    """Each rep's latest level per competency: the manager's rating, else the self-assessment.

    Ratings by other raters (``peer``) are ignored; ratings after ``as_of`` too.

    Returns
    -------
    DataFrame
        :data:`LEVEL_COLUMNS`: ``level`` (manager preferred), ``manager_level`` and
        ``self_level`` (each the rater's latest), ``assessed_date`` of the level used.
        Ordered by rep and competency.

    Examples
    --------
    >>> a = pd.DataFrame({"rep_id": ["R1"] * 4, "competency": ["negotiation"] * 3 + ["market_awareness"],
    ...                   "level": [2, 3, 4, 3], "rater": ["manager", "manager", "self", "self"],
    ...                   "assessed_date": pd.to_datetime(["2024-06-28", "2024-12-27", "2024-12-27",
    ...                                                    "2024-12-27"])})
    >>> latest_levels(a)[["competency", "level", "manager_level", "self_level"]]
             competency  level  manager_level  self_level
    0  market_awareness      3           <NA>           3
    1       negotiation      3              3           4
    """
    _require(assessments, ["rep_id", "competency", "level", "rater", "assessed_date"], "assessments")
    dates = pd.to_datetime(assessments["assessed_date"], errors="coerce")
    rater = assessments["rater"].astype("string").str.strip().str.lower()
    keep = rater.isin(_RATERS).fillna(False) & dates.notna()
    if as_of is not None and not _blank(as_of):
        keep &= dates <= _date(as_of, "as_of")
    a = pd.DataFrame({
        "rep_id": assessments["rep_id"].astype("string").str.strip(),
        "competency": assessments["competency"].astype("string").str.strip(),
        "level": pd.to_numeric(assessments["level"], errors="coerce"),
        "rater": rater, "_d": dates,
    }).loc[keep]
    a = a.sort_values("_d", kind="stable").drop_duplicates(["rep_id", "competency", "rater"], keep="last")
    wide = a.pivot(index=["rep_id", "competency"], columns="rater", values=["level", "_d"])
    out = pd.DataFrame(index=wide.index)
    for r in _RATERS:
        out[f"{r}_level"] = wide[("level", r)] if ("level", r) in wide.columns else np.nan
        out[f"_{r}_d"] = wide[("_d", r)] if ("_d", r) in wide.columns else pd.NaT
    out["manager_level"] = out["manager_level"].round().astype("Int64")
    out["self_level"] = out["self_level"].round().astype("Int64")
    out["level"] = out["manager_level"].fillna(out["self_level"])
    out["assessed_date"] = pd.to_datetime(out["_manager_d"].where(out["manager_level"].notna(), out["_self_d"]))
    out = out.reset_index().sort_values(["rep_id", "competency"], kind="stable").reset_index(drop=True)
    out["rep_id"] = out["rep_id"].astype("str")
    out["competency"] = out["competency"].astype("str")
    return out[LEVEL_COLUMNS]


def funnel_leaks(
    opportunities: pd.DataFrame,
    reps: pd.DataFrame,
    *,
    orders: pd.DataFrame | None = None,
    as_of: object = None,
    reference: str = "company",
    competency_map: Mapping[str, str] | str | Path | None = None,
) -> pd.DataFrame | None:
    """Return the funnel's flagged leaks per rep (:func:`playbook.funnel.rep_leaks`), or None.

    Imports :mod:`playbook.funnel` lazily: without it, warns
    (:class:`~playbook.errors.PlaybookWarning`) and returns None, and plans are drafted
    from ratings and the other signals only. Opportunities with problems are left out
    (with the funnel's warning).

    Parameters
    ----------
    reference : {"company", "team"}
        Peers of the funnel comparison. ``company`` (default) also flags reps of a team
        that leaks as a whole: each of them gets the step's competency as a candidate.
    """
    try:
        from playbook import funnel
    except ImportError:  # pragma: no cover - depends on the installation
        warnings.warn(t("idp.warn.no_funnel", "en"), PlaybookWarning, stacklevel=2)
        return None
    stages = funnel.stage_table(opportunities, reps=reps, as_of=as_of, invalid="drop")
    comparison = funnel.rep_comparison(stages, reps, orders=orders, as_of=as_of, reference=reference)
    return funnel.rep_leaks(comparison, competency_map=competency_map)


def evidence_columns(competencies: Sequence[str]) -> list[str]:
    """All columns of :func:`team_evidence` for the given competency keys.

    Examples
    --------
    >>> evidence_columns(["negotiation"])[-3:]
    ['leak_step__negotiation', 'leak_rate__negotiation', 'leak_peer_rate__negotiation']
    """
    return EVIDENCE_COLUMNS + [f"{f}__{c}" for c in competencies for f in COMPETENCY_FIELDS]


def _repurchase(orders: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Share of the rep's customers of the previous year who ordered from the rep again this year."""
    dates = pd.to_datetime(orders["order_date"])
    pos = orders["amount"] > 0
    prev = orders.loc[pos & (dates >= start - pd.DateOffset(years=1)) & (dates < start), ["rep_id", "customer_id"]]
    now = orders.loc[pos & (dates >= start) & (dates <= end), ["rep_id", "customer_id"]]
    prev = prev.drop_duplicates()
    both = prev.merge(now.drop_duplicates(), on=["rep_id", "customer_id"], how="left", indicator=True)
    again = (both["_merge"] == "both").groupby(both["rep_id"]).mean()
    return again


def team_evidence(
    orders: pd.DataFrame,
    reps: pd.DataFrame,
    quotas: pd.DataFrame | None = None,
    *,
    as_of: object,
    assessments: pd.DataFrame | None = None,
    opportunities: pd.DataFrame | None = None,
    leaks: pd.DataFrame | None = None,
    catalogue: Catalogue | str | Path | None = None,
    competencies: Sequence[str] | None = None,
    peer_by: str = "role",
    min_group: int = MIN_GROUP,
    leak_reference: str = "company",
) -> pd.DataFrame:
    """Evidence for every rep's IDP, computed once for the whole team (vectorised).

    Parameters
    ----------
    orders, reps, quotas : DataFrame
        As for :func:`playbook.overview.rep_summary` (``reps`` may have ``role``,
        ``manager_id``, ``hire_date``, ``leave_date``).
    as_of : date-like
        Last day counted; "" = the latest order date. Sales are year to date.
    assessments : DataFrame, optional
        ``rep_id, competency, level, rater, assessed_date``; see :func:`latest_levels`.
    opportunities : DataFrame, optional
        Used for funnel leaks (:func:`funnel_leaks`) when ``leaks`` is not given.
    leaks : DataFrame, optional
        Output of :func:`playbook.funnel.rep_leaks` (``rep_id, step, competency,
        rep_rate, peer_rate``), when you computed it already.
    catalogue : Catalogue or path, optional
        Its keys are the default ``competencies``.
    competencies : sequence of str, optional
        Competency keys that get columns (default: the catalogue's).
    peer_by : str
        Column of ``reps`` that defines peers (default: same ``role``). Peers are reps
        employed for the whole year-to-date window (hired on or before 1 January, not
        left), never the rep himself.
    min_group : int
        Fewest other reps behind an anonymous statistic; else it is missing.
    leak_reference : {"company", "team"}
        Peers of the funnel comparison.

    Returns
    -------
    DataFrame
        One row per rep (order of :func:`~playbook.overview.rep_summary`), columns
        ``evidence_columns(competencies)``: :data:`EVIDENCE_COLUMNS`, then per competency
        ``level__<key>`` (manager's latest rating, else self), ``manager_level__<key>``,
        ``self_level__<key>``, ``team_median__<key>`` (median of the other team members'
        levels), ``leak_step__<key>``, ``leak_rate__<key>``, ``leak_peer_rate__<key>``
        (the funnel step flagged for that competency, the rep's and the peers' rate).
        ``quota`` and ``actual`` are year-to-date CNY; ``peer_*`` describe ``actual``
        among peers; ``repurchase_rate`` is the share of the rep's customers of the
        previous 12 months before 1 January who ordered from him again this year;
        ``funnel_checked`` says whether funnel leaks were available.

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": [f"R{i}" for i in range(7)], "name": list("ABCDEFG"),
    ...                      "team": "T", "role": ["lead"] + ["rep"] * 6,
    ...                      "manager_id": [None] + ["R0"] * 6})
    >>> orders = pd.DataFrame({"order_id": [str(i) for i in range(7)],
    ...                        "customer_id": [f"C{i}" for i in range(7)], "rep_id": reps["rep_id"],
    ...                        "order_date": pd.Timestamp("2025-03-01"),
    ...                        "amount": [50.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0]})
    >>> ev = team_evidence(orders, reps, as_of="2025-06-30")
    >>> ev.loc[ev["rep_id"] == "R1", ["actual", "peer_count", "peer_mean", "peer_median", "supervisor_name"]]
       actual  peer_count  peer_mean  peer_median supervisor_name
    1    10.0           5       40.0         40.0               A
    """
    cat = _as_catalogue(catalogue)
    keys = list(cat.keys if competencies is None else competencies)
    if leak_reference not in ("company", "team"):
        raise ParameterError("leak_reference", leak_reference, "'company' or 'team'")
    end = resolve_as_of(as_of, orders)
    start, _ = ytd_window(end)
    summary = rep_summary(orders, reps, quotas, as_of=end)
    r = reps.assign(rep_id=reps["rep_id"].astype("str")).drop_duplicates("rep_id").set_index("rep_id")
    ids = summary["rep_id"].astype("str")
    ev = pd.DataFrame({"rep_id": ids, "name": summary["name"], "team": summary["team"],
                       "role": summary["role"]})
    ev["supervisor_id"] = ids.map(r["manager_id"]).astype("string") if "manager_id" in r else pd.NA
    ev["supervisor_name"] = ev["supervisor_id"].map(r["name"]).astype("string")
    leave = pd.to_datetime(ids.map(r["leave_date"])) if "leave_date" in r else pd.Series(pd.NaT, index=ev.index)
    hire = pd.to_datetime(ids.map(r["hire_date"])) if "hire_date" in r else pd.Series(pd.NaT, index=ev.index)
    ev["active"] = (leave.isna() | (leave >= end)) & (hire.isna() | (hire <= end))
    eligible = ev["active"] & (hire.isna() | (hire <= start))
    ev["as_of"] = end
    ev["quota"] = summary["ytd_quota"]
    ev["actual"] = summary["ytd_sales"]
    ev["attainment"] = summary["attainment"]
    if peer_by not in r.columns and peer_by != "team":
        raise ParameterError("peer_by", peer_by, "a column of reps, e.g. 'role' or 'team'")
    group = (ev["team"] if peer_by == "team" else ids.map(r[peer_by])).astype("string")
    ev["peer_group"] = group
    stats = leave_one_out_stats(ev["actual"], group, eligible=eligible, min_group=min_group)
    ev = pd.concat([ev, stats], axis=1)
    ev["gap_to_peer_median"] = ev["actual"] - ev["peer_median"]
    ev["ratio_to_peer_median"] = ev["actual"] / ev["peer_median"].where(ev["peer_median"] > 0)
    ev["peer_attainment_median"] = leave_one_out_stats(ev["attainment"], group, eligible=eligible,
                                                       min_group=min_group)["peer_median"]
    ev["new_customers"] = summary["new_customers"]
    ev["peer_new_customers_median"] = leave_one_out_stats(ev["new_customers"], group, eligible=eligible,
                                                          min_group=min_group)["peer_median"]
    ev["repurchase_rate"] = ids.map(_repurchase(orders.assign(rep_id=orders["rep_id"].astype("str")),
                                                start, end)).astype(float)
    ev["peer_repurchase_median"] = leave_one_out_stats(ev["repurchase_rate"], group, eligible=eligible,
                                                       min_group=min_group)["peer_median"]

    # competency levels, long: one row per (rep, competency)
    grid = pd.MultiIndex.from_product([ids, keys], names=["rep_id", "competency"]).to_frame(index=False)
    if assessments is not None:
        lv = latest_levels(assessments, as_of=end)
        unknown = sorted(set(lv["competency"]) - set(keys))
        if unknown:
            warnings.warn(t("idp.warn.unknown_competencies", "en", keys=", ".join(unknown)), PlaybookWarning,
                          stacklevel=2)
        grid = grid.merge(lv.drop(columns="assessed_date"), on=["rep_id", "competency"], how="left")
    else:
        grid = grid.assign(level=pd.NA, manager_level=pd.NA, self_level=pd.NA)
    grid["team"] = grid["rep_id"].map(ev.set_index("rep_id")["team"]).astype("string")
    peer_ok = grid["rep_id"].map(ev.set_index("rep_id")["active"]).fillna(False).astype(bool)
    grid["team_median"] = leave_one_out_stats(
        pd.to_numeric(grid["level"], errors="coerce"), grid["team"] + "\x1f" + grid["competency"],
        eligible=peer_ok, min_group=min_group)["peer_median"]

    # funnel leaks
    if leaks is None and opportunities is not None:
        leaks = funnel_leaks(opportunities, reps, orders=orders, as_of=end, reference=leak_reference)
    ev["funnel_checked"] = leaks is not None
    if leaks is not None and len(leaks):
        _require(leaks, ["rep_id", "step", "competency", "rep_rate", "peer_rate"], "leaks")
        lk = leaks.assign(rep_id=leaks["rep_id"].astype("str"), competency=leaks["competency"].astype("string"))
        steps = lk.groupby("rep_id")["step"].agg(lambda s: ";".join(map(str, s)))
        ev["leak_steps"] = ids.map(steps).fillna("").astype("str")
        first = lk.dropna(subset=["competency"]).drop_duplicates(["rep_id", "competency"])
        first = first.rename(columns={"step": "leak_step", "rep_rate": "leak_rate", "peer_rate": "leak_peer_rate"})
        grid = grid.merge(first[["rep_id", "competency", "leak_step", "leak_rate", "leak_peer_rate"]],
                          on=["rep_id", "competency"], how="left")
    else:
        ev["leak_steps"] = ""
        grid = grid.assign(leak_step=pd.NA, leak_rate=np.nan, leak_peer_rate=np.nan)
    wide = grid.set_index(["rep_id", "competency"])[list(COMPETENCY_FIELDS)].unstack("competency")
    wide.columns = [f"{f}__{c}" for f, c in wide.columns]
    ev = ev.merge(wide, left_on="rep_id", right_index=True, how="left")
    for c in keys:
        for f in ("level", "manager_level", "self_level"):
            ev[f"{f}__{c}"] = pd.to_numeric(ev[f"{f}__{c}"], errors="coerce").astype("Int64")
        for f in ("team_median", "leak_rate", "leak_peer_rate"):
            ev[f"{f}__{c}"] = pd.to_numeric(ev[f"{f}__{c}"], errors="coerce").astype(float)
        ev[f"leak_step__{c}"] = ev[f"leak_step__{c}"].astype("string")
    ev["rep_id"] = ev["rep_id"].astype("str")
    return ev.reset_index(drop=True)[evidence_columns(keys)]


def dataset_evidence(dataset: Any, *, as_of: object = None, **options: Any) -> pd.DataFrame:
    """:func:`team_evidence` from a loaded dataset (:func:`playbook.io.load_dataset`).

    Uses its ``orders, reps, quotas, assessments, opportunities``; ``as_of`` defaults
    to the dataset's, else the latest order date. ``options`` go to :func:`team_evidence`.
    """
    when = as_of if not _blank(as_of) else getattr(dataset, "as_of", None)
    return team_evidence(
        dataset.orders, dataset.reps, getattr(dataset, "quotas", None), as_of="" if when is None else when,
        assessments=getattr(dataset, "assessments", None),
        opportunities=getattr(dataset, "opportunities", None), **options,
    )


def rep_evidence(evidence: pd.DataFrame, rep_id: str) -> pd.DataFrame:
    """Return the one-row slice of ``evidence`` for ``rep_id`` (all a per-rep report may read).

    Examples
    --------
    >>> ev = pd.DataFrame({"rep_id": ["R1", "R2"], "actual": [1.0, 2.0]})
    >>> rep_evidence(ev, "R2")
      rep_id  actual
    0     R2     2.0
    >>> rep_evidence(ev, "R9")
    Traceback (most recent call last):
    ...
    playbook.errors.ParameterError: parameter rep_id='R9' is not valid: expected a rep_id of the data (e.g. R1, R2).
    """
    _require(evidence, ["rep_id"], "evidence")
    hit = evidence.loc[evidence["rep_id"].astype("str") == str(rep_id)]
    if hit.empty:
        shown = ", ".join(map(str, evidence["rep_id"].head(3)))
        raise ParameterError("rep_id", rep_id, f"a rep_id of the data (e.g. {shown})")
    return hit.head(1).reset_index(drop=True)


def _competencies_in(columns: Sequence[str]) -> list[str]:
    return [c.split("__", 1)[1] for c in columns if str(c).startswith("level__")]


def rep_levels(evidence: pd.DataFrame, rep_id: str | None = None) -> pd.DataFrame:
    """One rep's competency evidence, long: one row per competency of ``evidence``.

    Parameters
    ----------
    evidence : DataFrame
        :func:`team_evidence` output (or its one-row slice, then ``rep_id`` may be None).

    Returns
    -------
    DataFrame
        :data:`REP_LEVEL_COLUMNS`, in the evidence's competency order.

    Examples
    --------
    >>> ev = pd.DataFrame({"rep_id": ["R1"], "level__negotiation": pd.array([2], dtype="Int64"),
    ...                    "team_median__negotiation": [3.5]})
    >>> rep_levels(ev)[["competency", "level", "team_median", "leak_step"]]
        competency  level  team_median leak_step
    0  negotiation      2          3.5      <NA>
    """
    row = evidence.head(1) if rep_id is None else rep_evidence(evidence, rep_id)
    keys = _competencies_in(row.columns)
    rec = row.iloc[0].to_dict()
    out = pd.DataFrame({"competency": pd.Series(keys, dtype="str")})
    for f in COMPETENCY_FIELDS:
        vals = [rec.get(f"{f}__{k}", pd.NA) for k in keys]
        if f in ("level", "manager_level", "self_level"):
            out[f] = pd.array(pd.to_numeric(pd.Series(vals, dtype="object"), errors="coerce"), dtype="Int64")
        elif f == "leak_step":
            out[f] = pd.Series(vals, dtype="object").astype("string")
        else:
            out[f] = pd.to_numeric(pd.Series(vals, dtype="object"), errors="coerce").astype(float)
    return out[REP_LEVEL_COLUMNS]


def peer_comparison(evidence: pd.DataFrame, rep_id: str | None = None) -> pd.DataFrame:
    """Return the rep's own figures next to anonymous peer statistics (for the report).

    Returns
    -------
    DataFrame
        :data:`PEER_COLUMNS`, rows ``actual``, ``attainment``, ``new_customers``,
        ``repurchase_rate``; quartiles and mean only for ``actual``. Missing where hidden.

    Examples
    --------
    >>> ev = pd.DataFrame({"rep_id": ["R1"], "actual": [219.0], "attainment": [1.095], "peer_count": [10],
    ...                    "peer_mean": [320.0], "peer_q1": [280.0], "peer_median": [320.0],
    ...                    "peer_q3": [350.0], "peer_attainment_median": [1.0]})
    >>> peer_comparison(ev)[["metric", "value", "peer_median"]]
                metric    value  peer_median
    0           actual  219.000        320.0
    1       attainment    1.095          1.0
    2    new_customers      NaN          NaN
    3  repurchase_rate      NaN          NaN
    """
    row = (evidence.head(1) if rep_id is None else rep_evidence(evidence, rep_id)).iloc[0]

    def get(col: str) -> float:
        v = row.get(col, np.nan)
        return float(v) if not _blank(v) else np.nan

    n = row.get("peer_count", 0)
    metrics = [
        ("actual", "actual", {"peer_q1": get("peer_q1"), "peer_median": get("peer_median"),
                              "peer_q3": get("peer_q3"), "peer_mean": get("peer_mean")}),
        ("attainment", "attainment", {"peer_median": get("peer_attainment_median")}),
        ("new_customers", "new_customers", {"peer_median": get("peer_new_customers_median")}),
        ("repurchase_rate", "repurchase_rate", {"peer_median": get("peer_repurchase_median")}),
    ]
    rows = [{"metric": m, "value": get(col), "peer_q1": np.nan, "peer_median": np.nan, "peer_q3": np.nan,
             "peer_mean": np.nan, "peer_count": int(n) if not _blank(n) else 0, **stats}
            for m, col, stats in metrics]
    return pd.DataFrame(rows, columns=PEER_COLUMNS)


def peer_comparison_display(comparison: pd.DataFrame, *, lang: str = "en") -> pd.DataFrame:
    """Return :func:`peer_comparison` ready to show: names, formatted figures and headers in ``lang``.

    Money in CNY (en) or 万元 (zh), rates in percent, hidden statistics as "—".

    Examples
    --------
    >>> cmp = pd.DataFrame({"metric": ["actual", "attainment"], "value": [219_000.0, 1.095],
    ...                     "peer_q1": [280_000.0, None], "peer_median": [320_000.0, 1.0],
    ...                     "peer_q3": [350_000.0, None], "peer_mean": [320_000.0, None], "peer_count": [5, 5]})
    >>> peer_comparison_display(cmp, lang="zh").iloc[:, :3].values.tolist()
    [['年初至今销售额', '21.90 万元', '28.00 万元'], ['指标达成率', '109.5%', '—']]
    """
    check_lang(lang)
    _require(comparison, PEER_COLUMNS, "comparison")
    money = comparison["metric"].eq("actual")
    pct = comparison["metric"].isin(["attainment", "repurchase_rate"])
    out = pd.DataFrame({"metric": comparison["metric"].map(lambda m: t(f"idp.metric.{m}", lang))})
    for col in ("value", "peer_q1", "peer_median", "peer_q3", "peer_mean"):
        vals = pd.to_numeric(comparison[col], errors="coerce")
        out[col] = [
            "—" if not math.isfinite(v) else _money(v, lang) if m else f"{v:.1%}" if p else f"{v:g}"
            for v, m, p in zip(vals.astype(float), money, pct, strict=True)
        ]
    out["peer_count"] = comparison["peer_count"].astype("int64")
    return out.rename(columns={c: t(f"idp.col.{c}", lang) for c in PEER_COLUMNS})


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
    _require(items, PLAN_ITEM_COLUMNS, "plan items")
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


def _money(value: float, lang: str) -> str:
    if not math.isfinite(value):
        return "—"
    return f"{value / 1e4:,.2f} 万元" if lang == "zh" else f"{value:,.0f} CNY"


def _pct(value: float) -> str:
    return f"{value:.0%}" if math.isfinite(value) else "—"


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
            _require(levels, ["competency", "level"], "levels")
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
        ``competency, level`` (e.g. :func:`playbook.store.next_plan_start_levels`, the
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
        when = _date(get("as_of"), "as_of")
    else:
        when = _date(plan_date, "plan_date")

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


# --------------------------------------------------------------------------- validation
def _issue(code: str, lang: str, *, row: int | None, column: str, value: object, expected: str,
           **fields_: object) -> dict[str, object]:
    shown = "" if _blank(value) else str(value)
    return {"file": "plan", "table": "idp_items" if row is not None else "idp", "row": row, "column": column,
            "value": shown, "code": code, "expected": expected,
            "message": t(f"idp.issue.{code}", lang, row=row if row is not None else "", value=shown,
                         expected=expected, **fields_)}


def plan_issues(
    plan: Plan,
    *,
    rep_ids: Sequence[str] | None = None,
    lang: str | None = None,
) -> pd.DataFrame:
    """Every problem of a (hand-edited) plan, one row each; empty when the plan is fine.

    Checks: unknown rep (when ``rep_ids`` is given), missing plan date, empty item,
    levels not whole numbers 1-5, target below current level, review date missing or
    not after the plan date, empty measures, the same item twice.

    Parameters
    ----------
    plan : Plan
    rep_ids : sequence of str, optional
        The known reps (e.g. ``reps["rep_id"]``).
    lang : {"en", "zh"}, optional
        Language of the messages; default the plan's.

    Returns
    -------
    DataFrame
        Columns of :data:`playbook.validation.ISSUE_COLUMNS`; ``row`` is the item's
        number in the plan table (1 = first), empty for the plan header.

    Examples
    --------
    >>> items = pd.DataFrame({"competency": ["negotiation", "negotiation"], "why": "",
    ...                       "current_level": [3, 6], "target_level": [2, 5], "measures": ["Course", " "],
    ...                       "resources": "", "review_date": pd.to_datetime(["2026-03-01", "2026-06-01"])})
    >>> plan = Plan("R1", plan_date=pd.Timestamp("2025-10-08"), items=items)
    >>> plan_issues(plan)[["row", "column", "code"]]
       row         column                  code
    0    1   target_level  target_below_current
    1    2  current_level    level_out_of_range
    2    2       measures        empty_measures
    3    2     competency        duplicate_item
    """
    lang = check_lang(lang or plan.lang)
    issues: list[dict[str, object]] = []
    if rep_ids is not None and str(plan.rep_id) not in set(map(str, rep_ids)):
        issues.append(_issue("unknown_rep", lang, row=None, column="rep_id", value=plan.rep_id,
                             expected="a rep_id of the data"))
    plan_date = pd.to_datetime(plan.plan_date, errors="coerce") if plan.plan_date is not None else pd.NaT
    if pd.isna(plan_date):
        issues.append(_issue("missing_plan_date", lang, row=None, column="plan_date", value=plan.plan_date,
                             expected="YYYY-MM-DD"))
    raw = plan.items
    _require(raw, PLAN_ITEM_COLUMNS, "plan items")
    items = _typed_items(raw)
    raw = raw.reset_index(drop=True)
    rows = pd.Series(np.arange(1, len(items) + 1), index=items.index)
    comp = items["competency"].str.strip()
    for i in items.index[comp == ""]:
        issues.append(_issue("empty_item", lang, row=int(rows[i]), column="competency", value="",
                             expected="a competency"))
    for col in ("current_level", "target_level"):
        bad = items[col].isna() | (items[col] < 1) | (items[col] > 5)
        for i in items.index[bad.fillna(True)]:
            issues.append(_issue("level_out_of_range", lang, row=int(rows[i]), column=col, value=raw.at[i, col],
                                 expected="1–5"))
    ok = items["current_level"].between(1, 5) & items["target_level"].between(1, 5)
    below = ok.fillna(False) & (items["target_level"] < items["current_level"]).fillna(False)
    for i in items.index[below]:
        issues.append(_issue("target_below_current", lang, row=int(rows[i]), column="target_level",
                             value=items.at[i, "target_level"], expected=f"≥ {items.at[i, 'current_level']}",
                             current=items.at[i, "current_level"]))
    for i in items.index[items["review_date"].isna()]:
        issues.append(_issue("missing_review_date", lang, row=int(rows[i]), column="review_date",
                             value=raw.at[i, "review_date"], expected="YYYY-MM-DD"))
    if not pd.isna(plan_date):
        past = items["review_date"].notna() & (items["review_date"] <= plan_date.normalize())
        for i in items.index[past]:
            issues.append(_issue("review_in_past", lang, row=int(rows[i]), column="review_date",
                                 value=items.at[i, "review_date"].date(), expected=f"> {plan_date.date()}",
                                 plan_date=plan_date.date()))
    for i in items.index[items["measures"].str.strip() == ""]:
        issues.append(_issue("empty_measures", lang, row=int(rows[i]), column="measures", value="",
                             expected="at least one measure"))
    norm = comp.str.casefold()
    dup = norm.duplicated(keep="first") & (norm != "")
    first_row = rows.groupby(norm).transform("min")
    for i in items.index[dup]:
        issues.append(_issue("duplicate_item", lang, row=int(rows[i]), column="competency", value=comp[i],
                             expected="each item once", first=int(first_row[i])))
    frame = pd.DataFrame(issues, columns=ISSUE_COLUMNS)
    frame["row"] = frame["row"].astype("Int64")
    order = {c: i for i, c in enumerate(["competency", "current_level", "target_level", "review_date", "measures"])}
    frame = frame.assign(_r=frame["row"].fillna(0), _c=frame["code"].eq("duplicate_item").astype(int),
                         _o=frame["column"].map(order).fillna(-1))
    frame = frame.sort_values(["_r", "_c", "_o"], kind="stable").drop(columns=["_r", "_c", "_o"])
    return frame.reset_index(drop=True)


def validate_plan(plan: Plan, *, rep_ids: Sequence[str] | None = None, lang: str | None = None) -> Plan:
    """Return ``plan`` with typed items if it has no problem, else raise listing all of them.

    Raises
    ------
    ValidationError
        ``issues`` holds :func:`plan_issues`; the message lists each problem.

    Examples
    --------
    >>> items = pd.DataFrame({"competency": ["negotiation"], "why": "", "current_level": [3],
    ...                       "target_level": [5], "measures": [""], "resources": "",
    ...                       "review_date": ["2025-01-01"]})
    >>> validate_plan(Plan("R1", plan_date=pd.Timestamp("2025-10-08"), items=items))
    Traceback (most recent call last):
    ...
    playbook.errors.ValidationError: The plan of R1 has 2 problem(s):
      - Item 1: the review date 2025-01-01 is not after the plan date 2025-10-08; set a later review date.
      - Item 1: no development measure; write at least one measure.
    """
    issues = plan_issues(plan, rep_ids=rep_ids, lang=lang)
    if len(issues):
        raise ValidationError(issues, summary=t("idp.invalid", check_lang(lang or plan.lang), rep=plan.rep_id,
                                                n=len(issues)))
    return replace(plan, items=_typed_items(plan.items))


# --------------------------------------------------------------------------- (de)serialisation
_HEADER = ("rep_id", "rep_name", "position", "department", "supervisor_name", "plan_date", "quota", "actual",
           "attainment", "peer_mean", "peer_median", "peer_count", "strengths", "summary", "lang")


def _json_value(v: object) -> object:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.date().isoformat()
    if v is pd.NaT or v is pd.NA:
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return _json_value(float(v))
    return v


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """Return a JSON-ready dict of the plan (dates ISO, missing values None); inverse of :func:`plan_from_dict`.

    Examples
    --------
    >>> d = plan_to_dict(Plan("R1", plan_date=pd.Timestamp("2025-10-08")))
    >>> d["plan_date"], d["items"], d["quota"]
    ('2025-10-08', [], None)
    """
    out: dict[str, Any] = {k: _json_value(getattr(plan, k)) for k in _HEADER if k not in ("strengths",)}
    out["strengths"] = [str(s) for s in plan.strengths]
    out["peer_count"] = int(plan.peer_count or 0)
    items = _typed_items(plan.items)
    out["items"] = [
        {k: _json_value(v) for k, v in rec.items()}
        for rec in items.astype({"current_level": "object", "target_level": "object"}).to_dict("records")
    ]
    return out


def plan_from_dict(data: Mapping[str, Any]) -> Plan:
    """Rebuild a :class:`Plan` from :func:`plan_to_dict` output (e.g. stored JSON).

    Examples
    --------
    >>> p = Plan("R1", plan_date=pd.Timestamp("2025-10-08"), strengths=("Cooperative",))
    >>> plan_from_dict(plan_to_dict(p)).strengths
    ('Cooperative',)
    """
    if not isinstance(data, Mapping) or "rep_id" not in data:
        raise InputError("plan content: expected a mapping with at least 'rep_id' and 'items'.")
    items = pd.DataFrame(list(data.get("items") or []), columns=PLAN_ITEM_COLUMNS)
    kw: dict[str, Any] = {}
    for k in _HEADER:
        if k not in data or k == "rep_id":
            continue
        v = data[k]
        if k == "plan_date":
            v = None if v is None else pd.Timestamp(v)
        elif k in ("quota", "actual", "attainment", "peer_mean", "peer_median"):
            v = float("nan") if v is None else float(v)
        elif k == "strengths":
            v = tuple(str(s) for s in v or ())
        elif k == "peer_count":
            v = int(v or 0)
        elif v is None:
            v = ""
        kw[k] = v
    return Plan(rep_id=str(data["rep_id"]), items=_typed_items(items), **kw)


# --------------------------------------------------------------------------- rendering
def escape_text(value: object) -> str:
    r"""HTML-escape a typed text; line breaks become ``<br>``; missing values become "".

    Examples
    --------
    >>> escape_text('<script>alert("x")</script>\nread & learn')
    '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<br>read &amp; learn'
    """
    if _blank(value):
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return "<br>".join(html.escape(line, quote=True) for line in text.split("\n"))


_CSS = (
    "<style>"
    "table.idp-plan, table.idp-header {border-collapse: collapse; margin: 0.5em 0;}"
    "table.idp-plan th, table.idp-plan td, table.idp-header th, table.idp-header td "
    "{text-align: left !important; vertical-align: top; padding: 4px 8px; border: 1px solid #ccc;}"
    "table.idp-plan th {background: #f0f0f0;}"
    "table.idp-plan td.idp-num {text-align: center !important; white-space: nowrap;}"
    "table.idp-plan td:first-child {min-width: 6em;}"
    "table.idp-plan td:nth-child(5), table.idp-plan td:nth-child(6) {min-width: 12em;}"
    "table.idp-header th {background: #f7f7f7; white-space: nowrap;}"
    "table.idp-header ul {margin: 0; padding-left: 1.2em;}"
    "</style>"
)
_NUM_COLUMNS = ("current_level", "target_level", "review_date")

_TABLE_COLUMNS = {"competency": "item", "why": "why", "current_level": "current", "target_level": "target",
                  "measures": "measures", "resources": "resources", "review_date": "review"}


def plan_items_display(plan: Plan, lang: str | None = None, *,
                       catalogue: Catalogue | str | Path | None = None) -> pd.DataFrame:
    """Return the plan table for people: competency names, review months (YYYY-MM), headers in ``lang``.

    Texts are not escaped (escape when writing HTML yourself: :func:`escape_text`).

    Examples
    --------
    >>> items = pd.DataFrame({"competency": ["market_awareness"], "why": "", "current_level": [4],
    ...                       "target_level": [5], "measures": ["Training"], "resources": "",
    ...                       "review_date": pd.to_datetime(["2012-03-01"])})
    >>> shown = plan_items_display(Plan("R1", items=items), "zh")
    >>> list(shown.columns)
    ['有待发展项目', '发展原因', '目前水平', '期望水平', '发展措施', '所需资源', '评估时间']
    >>> shown.iloc[0, [0, 6]].tolist()
    ['市场意识', '2012-03']
    """
    lang = check_lang(lang or plan.lang)
    cat = _as_catalogue(catalogue)
    items = _typed_items(plan.items)
    out = items.copy()
    out["competency"] = items["competency"].map(lambda k: cat.name(k, lang) if k in cat.competencies or
                                                f"competency.{k}" in label_catalogue() else k)
    out["review_date"] = items["review_date"].dt.strftime("%Y-%m").astype("object").where(
        items["review_date"].notna(), "")
    return out.rename(columns={c: t(f"idp.table.{k}", lang) for c, k in _TABLE_COLUMNS.items()})


def plan_to_html_table(plan: Plan, lang: str | None = None, *,
                       catalogue: Catalogue | str | Path | None = None) -> str:
    """Return the plan table as HTML, in the source's layout; every text is escaped.

    In Chinese the headers are the source's: 有待发展项目, 发展原因, 目前水平, 期望水平,
    发展措施, 所需资源, 评估时间. Measures and resources show one entry per line.

    Examples
    --------
    >>> items = pd.DataFrame({"competency": ["<b>x</b>"], "why": "", "current_level": [2],
    ...                       "target_level": [4], "measures": ["<script>alert(1)</script>"],
    ...                       "resources": "", "review_date": pd.to_datetime(["2012-06-01"])})
    >>> out = plan_to_html_table(Plan("R1", items=items), "zh")
    >>> "<script>" in out, "&lt;script&gt;" in out, "<th>有待发展项目</th>" in out
    (False, True, True)
    """
    lang = check_lang(lang or plan.lang)
    shown = plan_items_display(plan, lang, catalogue=catalogue)
    head = "".join(f"<th>{escape_text(c)}</th>" for c in shown.columns)
    cls = ["" if c not in _NUM_COLUMNS else ' class="idp-num"' for c in PLAN_ITEM_COLUMNS]
    body = "".join(
        "<tr>" + "".join(f"<td{k}>{escape_text(v)}</td>" for k, v in zip(cls, rec, strict=True)) + "</tr>"
        for rec in shown.itertuples(index=False)
    )
    return (f'{_CSS}<table class="idp-plan" lang="{"zh-CN" if lang == "zh" else "en"}">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def plan_header_html(plan: Plan, lang: str | None = None) -> str:
    """Return the plan's header (rep, position, department, supervisor, date, figures, strengths) as HTML.

    Peer figures are anonymous statistics; hidden (—) for fewer than 5 peers.

    Examples
    --------
    >>> html_text = plan_header_html(Plan("R1", rep_name="<i>Ann</i>", strengths=("Kind & calm",)), "en")
    >>> "&lt;i&gt;Ann&lt;/i&gt;" in html_text, "Kind &amp; calm" in html_text
    (True, True)
    """
    lang = check_lang(lang or plan.lang)
    date = "" if plan.plan_date is None or pd.isna(plan.plan_date) else pd.Timestamp(plan.plan_date).date()
    rows = [
        ("idp.header.name", plan.rep_name), ("idp.header.position", plan.position),
        ("idp.header.department", plan.department), ("idp.header.supervisor", plan.supervisor_name),
        ("idp.header.plan_date", date), ("idp.header.quota", _money(plan.quota, lang)),
        ("idp.header.actual", _money(plan.actual, lang)), ("idp.header.attainment", _pct(plan.attainment)),
        ("idp.header.peer_mean", _money(plan.peer_mean, lang)),
        ("idp.header.peer_median", _money(plan.peer_median, lang)),
    ]
    cells = "".join(f"<tr><th>{escape_text(t(k, lang))}</th><td>{escape_text(v)}</td></tr>" for k, v in rows)
    strengths = "".join(f"<li>{escape_text(s)}</li>" for s in plan.strengths)
    cells += (f"<tr><th>{escape_text(t('idp.header.strengths', lang))}</th>"
              f"<td><ul>{strengths}</ul></td></tr>")
    if plan.summary:
        cells += f"<tr><th>{escape_text(t('idp.header.summary', lang))}</th><td>{escape_text(plan.summary)}</td></tr>"
    return f'{_CSS}<table class="idp-header">{cells}</table>'
