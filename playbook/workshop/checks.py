"""The workshop kit: checks for the exercises, and the solutions variant of the notebooks.

The workshop notebooks (``notebooks/workshop/``, one per module) each end in an exercise
cell that the participant completes and a check cell that calls a ``check_*`` function
here. A check returns a :class:`CheckResult`: **right**, **not yet** (with a hint) or
**not answered yet**. It never shows the expected answer.

Solutions are kept in one place only, ``templates/workshop_solutions.yaml``: per
exercise either the ``code`` that solves it (from the data, so it holds for any seed
and parameters) or the ``answer`` key of a judgement exercise (which cause, which play).
The committed notebooks carry placeholders; :func:`build_solutions` writes the
solutions variant (``playbook workshop solutions --out DIR``) by putting each solution
into the exercise cell it belongs to (cells are marked with the metadata
``{"workshop": {"exercise": "<id>"}}``), plus an answer sheet ``ANSWERS.md``.

Examples
--------
>>> check_causes(None)
CheckResult(exercise='causes', status='missing')
>>> check_causes(dict(load_solutions()["causes"]["answer"])).ok
True
>>> result = check_objection_after(0.5, _tiny_opps(), start="2023-07-01", end="2023-09-30")
>>> result.status, "0.5" in result.text()
('not_yet', False)
"""

from __future__ import annotations

import copy
import json
import math
import pprint
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from playbook import funnel, idp, incentives, rfm, targets
from playbook.case import figures as case_figures
from playbook.core import paths
from playbook.core.errors import InputError, ParameterError, PlaybookError
from playbook.core.labels import check_lang, t
from playbook.core.schema import is_blank
from playbook.data import case_study as case_data
from playbook.present import case_study as case_display
from playbook.present import targets as present_targets
from playbook.workshop.answers import parse_number, to_key

__all__ = [
    "SOLUTIONS_PATH",
    "STATUSES",
    "CAUSES",
    "SYMPTOMS",
    "TIER_PLAYS",
    "PDCA_KEY_RESULTS",
    "CheckResult",
    "load_solutions",
    "check_causes",
    "check_q4_target",
    "check_smart_kr",
    "check_tier_share",
    "check_tier_plays",
    "check_bottleneck",
    "check_objection_after",
    "team_slice",
    "plan_comparison",
    "check_plan_gain",
    "check_idp_priority",
    "pdca_table",
    "check_pdca_verdicts",
    "exercise_cells",
    "build_solutions",
]

SOLUTIONS_PATH = paths.TEMPLATES_DIR / "workshop_solutions.yaml"
"""The one copy of the solutions (code, or the key of judgement exercises)."""
STATUSES = ("right", "not_yet", "missing")
CAUSES = ("vague_targets", "crude_operations", "inefficient_process", "capability_gaps")
"""The four causes that hold sales growth back (domain brief, the diagnosis)."""
SYMPTOMS = ("renewal_drop", "smb_churn", "low_needs_match", "long_cycle", "new_hires_quit")
"""The case company's symptoms that module 1 asks to sort into :data:`CAUSES`."""
TIER_PLAYS = ("task_force", "case_packs", "self_service", "wake_up")
"""Plays of module 3 (one per case-study tier, and one for sleeping customers)."""
PDCA_KEY_RESULTS = (
    {"id": "KR1", "figure": "key_account_renewal", "direction": ">=", "target": 0.85},
    {"id": "KR2", "figure": "needs_match", "direction": ">=", "target": 0.70},
    {"id": "KR3", "figure": "objection_rate", "direction": "<=", "target": 0.20},
    {"id": "KR4", "figure": "cycle_days", "direction": "<=", "target": 30.0},
    {"id": "KR5", "figure": "first_deal_rate", "direction": ">=", "target": 0.60},
)
"""Key results the case company set itself for 2023 Q3 (the Check step of module 7)."""

_PLACEHOLDER = re.compile(r"^(?P<name>[A-Za-z_]\w*) = ", re.MULTILINE)
_ICONS = {"right": "✅", "not_yet": "🔁", "missing": "✏️"}


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class CheckResult:
    """The verdict of one check: ``status`` and a hint (a label key and its fields).

    Shown in a notebook as one line of Markdown; ``bool(result)`` is true when right.
    The result holds no expected value.

    Examples
    --------
    >>> r = CheckResult("q4_target", "not_yet", "workshop.hint.too_high", lang="en")
    >>> bool(r), r.text().startswith("Not yet")
    (False, True)
    """

    exercise: str
    status: str
    hint: str = ""
    fields: Mapping[str, Any] = field(default_factory=dict)
    lang: str = "en"

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ParameterError("status", self.status, "one of " + ", ".join(STATUSES))
        check_lang(self.lang)

    @property
    def ok(self) -> bool:
        """True when the answer is right."""
        return self.status == "right"

    def __bool__(self) -> bool:
        return self.ok

    def text(self) -> str:
        """Return the verdict and the hint as one sentence in ``lang``."""
        head = t(f"workshop.status.{self.status}", self.lang)
        body = t(self.hint, self.lang, **self.fields) if self.hint else ""
        sep = "：" if self.lang == "zh" else ": "
        return head + (sep + body if body else "")

    def _repr_markdown_(self) -> str:
        return f"{_ICONS[self.status]} **{self.text()}**"

    def __repr__(self) -> str:
        return f"CheckResult(exercise={self.exercise!r}, status={self.status!r})"


def _result(exercise: str, status: str, hint: str = "", lang: str = "en", **fields: Any) -> CheckResult:
    return CheckResult(exercise, status, hint, fields, lang)


def _number(exercise: str, answer: object, lang: str) -> float | CheckResult:
    """Return the answer as a float, or the result to return (missing / not a number)."""
    if is_blank(answer):
        return _result(exercise, "missing", "workshop.hint.fill_in", lang)
    value = parse_number(answer)  # also typed text: "6,420 万元", "18%"
    if value is None or not math.isfinite(value):
        return _result(exercise, "not_yet", "workshop.hint.number", lang)
    return value


def _compare(exercise: str, value: float, expected: float, *, tolerance: float, lang: str,
             hint: str, share: bool = False) -> CheckResult:
    """Right within ``tolerance``; else not yet with the direction and ``hint``."""
    if abs(value - expected) <= tolerance:
        return _result(exercise, "right", "workshop.right." + exercise, lang)
    if share and 1 < value <= 100 and abs(value / 100 - expected) <= tolerance:
        return _result(exercise, "not_yet", "workshop.hint.as_share", lang)
    key = "workshop.hint.too_high" if value > expected else "workshop.hint.too_low"
    return _result(exercise, "not_yet", key, lang, tip=t(hint, lang))


def _join(items: Sequence[str], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(items)


def _choices(keys: Sequence[str], prefix: str, lang: str) -> str:
    return ", ".join(f"`{k}` ({t(prefix + k, lang)})" for k in keys)


def _mapping_check(exercise: str, answer: object, key: Mapping[str, str], *, options: Sequence[str],
                   item_prefix: str, option_prefix: str, tip: str, lang: str) -> CheckResult:
    """Check a mapping item -> option against ``key``; hints name wrong items, never their answer."""
    check_lang(lang)
    if is_blank(answer) or (isinstance(answer, Mapping) and all(is_blank(v) for v in answer.values())):
        return _result(exercise, "missing", "workshop.hint.fill_in", lang)
    if not isinstance(answer, Mapping):
        return _result(exercise, "not_yet", "workshop.hint.mapping", lang, keys=", ".join(key))
    answer = {k: to_key(v, options, option_prefix) for k, v in answer.items()}  # labels in en or zh too
    unknown = sorted({str(v) for v in answer.values() if not is_blank(v) and v not in options})
    if unknown:
        return _result(exercise, "not_yet", "workshop.hint.unknown_option", lang, values=", ".join(unknown),
                       options=_choices(options, option_prefix, lang))
    open_items = [k for k in key if is_blank(answer.get(k))]
    if open_items:
        return _result(exercise, "missing", "workshop.hint.open_items", lang,
                       items=_join([t(item_prefix + k, lang) for k in open_items], lang))
    wrong = [k for k in key if answer.get(k) != key[k]]
    if not wrong:
        return _result(exercise, "right", "workshop.right." + exercise, lang)
    return _result(exercise, "not_yet", "workshop.hint.some_wrong", lang, right=len(key) - len(wrong), n=len(key),
                   items=_join([t(item_prefix + k, lang) for k in wrong], lang), tip=t(tip, lang))


# --------------------------------------------------------------------------- solutions
@lru_cache(maxsize=4)
def _read_solutions(path: str, mtime_ns: int) -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    problems = []
    if not isinstance(data, Mapping):
        raise InputError(f"{Path(path).name}: expected a mapping exercise id -> solution",
                         code="workshop.solutions.mapping", params={"file": Path(path).name})
    for name, entry in data.items():
        if not isinstance(entry, Mapping) or not entry.get("notebook"):
            problems.append({"key": "message.workshop.solutions.no_notebook", "name": name})
            continue
        if ("code" in entry) == ("answer" in entry):
            problems.append({"key": "message.workshop.solutions.code_or_answer", "name": name})
    if problems:
        worded = "; ".join(t(p["key"], "en", name=p["name"]) for p in problems)
        raise InputError(f"{Path(path).name}: {worded}",
                         code="workshop.solutions.problems",
                         params={"file": Path(path).name, "problems_items": problems})
    return {str(k): dict(v) for k, v in data.items()}


def load_solutions(path: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """Read the solutions file: exercise id -> ``{notebook, code | answer, why}``.

    Examples
    --------
    >>> sorted(load_solutions())[:3]
    ['bottleneck', 'causes', 'idp_priority']
    """
    p = SOLUTIONS_PATH if path is None else paths.resolve(path)
    if not Path(p).is_file():
        raise ParameterError("solutions", str(path), "a YAML file like templates/workshop_solutions.yaml",
                             code="workshop.solutions.file", params={"file": str(path)})
    return copy.deepcopy(_read_solutions(str(p), Path(p).stat().st_mtime_ns))


def _key(exercise: str) -> dict[str, str]:
    return dict(load_solutions()[exercise]["answer"])


# --------------------------------------------------------------------------- module 1
def check_causes(answer: object, *, lang: str = "en") -> CheckResult:
    """Check module 1: each symptom of the case company (:data:`SYMPTOMS`) -> one of :data:`CAUSES`.

    Examples
    --------
    >>> check_causes({s: "vague_targets" for s in SYMPTOMS}).status
    'not_yet'
    """
    return _mapping_check("causes", answer, _key("causes"), options=CAUSES, item_prefix="workshop.symptom.",
                          option_prefix="workshop.cause.", tip="workshop.tip.causes", lang=lang)


# --------------------------------------------------------------------------- module 2
def check_q4_target(answer: object, orders: pd.DataFrame, *, year: int = 2023, growth: float = 0.30,
                    through: str = "09-30", tolerance: float = 0.005, lang: str = "en") -> CheckResult:
    """Check module 2A: what the fourth quarter must bring for ``year`` to reach ``growth``.

    Expected = (1 + growth) x net sales of ``year - 1`` - net sales of ``year`` up to
    ``through`` (month-day). Right within ``tolerance`` (a share of the expected value).

    Examples
    --------
    >>> orders = pd.DataFrame({"order_date": pd.to_datetime(["2022-05-01", "2023-02-01"]),
    ...                        "amount": [100.0, 80.0]})
    >>> check_q4_target(50.0, orders).ok, check_q4_target(130.0, orders).ok
    (True, False)
    """
    check_lang(lang)
    value = _number("q4_target", answer, lang)
    if isinstance(value, CheckResult):
        return value
    d = pd.to_datetime(orders["order_date"])
    amount = orders["amount"].astype(float)
    last = amount[d.dt.year == year - 1].sum()
    so_far = amount[(d >= pd.Timestamp(f"{year}-01-01")) & (d <= pd.Timestamp(f"{year}-{through}"))].sum()
    expected = (1 + growth) * last - so_far
    if abs(value * 1e4 - expected) <= tolerance * abs(expected):
        return _result("q4_target", "not_yet", "workshop.hint.in_cny", lang)
    return _compare("q4_target", value, expected, tolerance=tolerance * abs(expected), lang=lang,
                    hint="workshop.tip.q4_target")


def check_smart_kr(answer: object, tables: Mapping[str, pd.DataFrame] | None = None, *,
                   okr: Mapping[str, Any] | None = None, lang: str = "en") -> CheckResult:
    """Check module 2B: a key result (a mapping as in ``templates/okr_example.yaml``) that passes SMART.

    The key result is checked with :func:`playbook.targets.smart_check` against the
    case's objectives (:data:`playbook.data.case_study.CASE_OKR`) and, for metrics the kit
    computes, the history in ``tables``. The hint repeats what the SMART check found.

    Examples
    --------
    >>> check_smart_kr({"id": "KR", "objective": "O1", "title": "Do better", "metric": "performance"}).status
    'not_yet'
    """
    check_lang(lang)
    if is_blank(answer) or (isinstance(answer, Mapping) and all(is_blank(v) for k, v in answer.items() if k != "id")):
        return _result("smart_kr", "missing", "workshop.hint.fill_in", lang)
    if not isinstance(answer, Mapping):
        return _result("smart_kr", "not_yet", "workshop.hint.mapping", lang,
                       keys="id, objective, title, metric, baseline, target, deadline, owner")
    kr = {"id": "KR", **{k: v for k, v in answer.items() if not is_blank(v)}}
    data = dict(case_data.CASE_OKR if okr is None else okr)
    data["key_results"] = [kr]
    try:
        parsed = targets.parse_okr(data)
    except PlaybookError as exc:
        return _result("smart_kr", "not_yet", "workshop.hint.smart_format", lang, error=str(exc))
    tables = tables or {}
    check = targets.smart_check(parsed, orders=tables.get("orders"), opportunities=tables.get("opportunities"),
                                activities=tables.get("activities"), reps=tables.get("reps"))
    row = check.iloc[0]
    issues = present_targets.smart_issues(check, lang=lang)[0]
    if bool(row["all_pass"]):
        return _result("smart_kr", "right", "workshop.right.smart_kr", lang, issues=issues)
    failed = [c for c in targets.SMART_CRITERIA if row[c] is False or (not pd.isna(row[c]) and not bool(row[c]))]
    return _result("smart_kr", "not_yet", "workshop.hint.smart", lang,
                   criteria=_join([t(f"col.{c}", lang) for c in failed], lang), issues=issues)


# --------------------------------------------------------------------------- module 3
def check_tier_share(answer: object, orders: pd.DataFrame, *, as_of: object, tiers: str | Sequence[float] = "case",
                     tier: str = "strategic", window_days: int = 365, tolerance: float = 0.01,
                     lang: str = "en") -> CheckResult:
    """Check module 3A: the share of net sales in the ``window_days`` to ``as_of`` from one spend tier.

    Customers are tiered on their annual spend with :func:`playbook.rfm.segment_customers`
    (``tiers="case"``: strategic above 500,000 CNY, basic below 100,000). Right within
    ``tolerance`` (1 percentage point).

    Examples
    --------
    >>> orders = pd.DataFrame({"order_id": ["1", "2", "3"], "customer_id": ["A", "B", "B"],
    ...                        "rep_id": ["R1"] * 3, "amount": [600000.0, 200000.0, 200000.0],
    ...                        "order_date": pd.to_datetime(["2023-05-01", "2023-06-01", "2023-07-01"])})
    >>> check_tier_share(0.6, orders, as_of="2023-09-30").ok, check_tier_share(0.4, orders, as_of="2023-09-30").ok
    (True, False)
    """
    check_lang(lang)
    value = _number("tier_share", answer, lang)
    if isinstance(value, CheckResult):
        return value
    seg = rfm.segment_customers(orders, as_of=as_of, window_days=window_days, tiers=tiers)
    expected = float(seg.loc[seg["tier"] == tier, "monetary"].sum() / seg["monetary"].sum())
    return _compare("tier_share", value, expected, tolerance=tolerance, lang=lang, hint="workshop.tip.tier_share",
                    share=True)


def check_tier_plays(answer: object, *, lang: str = "en") -> CheckResult:
    """Check module 3B: each case-study tier (strategic, growth, basic) -> one of :data:`TIER_PLAYS`.

    Examples
    --------
    >>> check_tier_plays({"strategic": "self_service", "growth": "wake_up", "basic": "task_force"}).status
    'not_yet'
    """
    return _mapping_check("tier_plays", answer, _key("tier_plays"), options=TIER_PLAYS, item_prefix="workshop.tier.",
                          option_prefix="workshop.play.", tip="workshop.tip.tier_plays", lang=lang)


# --------------------------------------------------------------------------- module 4
def _window_stages(opportunities: pd.DataFrame, reps: pd.DataFrame | None, start: object, end: object,
                   as_of: object) -> pd.DataFrame:
    stages = funnel.stage_table(opportunities, reps=reps, as_of=as_of, invalid="drop")
    return funnel.select(stages, period_start=start, period_end=end)


def check_bottleneck(answer: object, opportunities: pd.DataFrame, *, start: object, end: object,
                     as_of: object = None, reps: pd.DataFrame | None = None, lang: str = "en") -> CheckResult:
    """Check module 4A: the funnel step with the lowest conversion for the leads created in a window.

    Steps are those of :data:`playbook.funnel.STEPS` (``lead_to_intent``,
    ``intent_to_negotiation``, ``negotiation_to_deal``); rates as
    :func:`playbook.funnel.step_table` computes them (decided opportunities only).

    Examples
    --------
    >>> check_bottleneck("lead_to_intent", _tiny_opps(), start="2023-01-01", end="2023-03-31").status
    'not_yet'
    """
    check_lang(lang)
    if is_blank(answer):
        return _result("bottleneck", "missing", "workshop.hint.fill_in", lang)
    answer = to_key(answer, funnel.STEPS, "funnel.step.")
    if answer not in funnel.STEPS:
        return _result("bottleneck", "not_yet", "workshop.hint.unknown_option", lang, values=str(answer),
                       options=", ".join(f"`{s}`" for s in funnel.STEPS))
    steps = funnel.step_table(_window_stages(opportunities, reps, start, end, as_of)).set_index("step")["rate"]
    if answer == steps.idxmin():
        return _result("bottleneck", "right", "workshop.right.bottleneck", lang)
    return _result("bottleneck", "not_yet", "workshop.hint.bottleneck", lang)


def check_objection_after(answer: object, opportunities: pd.DataFrame, *, start: object, end: object,
                          tolerance: float = 0.005, lang: str = "en") -> CheckResult:
    """Check module 4B: the objection rate of the negotiations entered ``start`` .. ``end``, as a share.

    Expected: :func:`playbook.data.case_study.objection_rate`. Right within ``tolerance``
    (half a percentage point).

    Examples
    --------
    >>> check_objection_after(0.25, _tiny_opps(), start="2023-07-01", end="2023-09-30").ok
    True
    """
    check_lang(lang)
    value = _number("objection_after", answer, lang)
    if isinstance(value, CheckResult):
        return value
    expected, _ = case_figures.objection_rate(opportunities, start=start, end=end)
    return _compare("objection_after", value, expected, tolerance=tolerance, lang=lang,
                    hint="workshop.tip.objection_after", share=True)


def _tiny_opps() -> pd.DataFrame:
    """Eight opportunities of 2023 for the examples (four reach negotiation in Q3)."""
    d = pd.to_datetime
    return pd.DataFrame({
        "opportunity_id": [f"P{i}" for i in range(8)], "rep_id": ["R1"] * 8, "channel": ["referral"] * 8,
        "amount": [1000.0] * 8, "outcome": ["won", "lost", "lost", "lost", "won", "lost", "won", "lost"],
        "created_date": d(["2023-01-05"] * 4 + ["2023-07-01"] * 4),
        "intent_date": d(["2023-01-10", "2023-01-10", "2023-01-10", None] + ["2023-07-05"] * 4),
        "negotiation_date": d(["2023-01-20", "2023-01-20", None, None] + ["2023-07-10"] * 4),
        "closed_date": d(["2023-02-01", "2023-02-01", "2023-02-01", "2023-02-01"] + ["2023-08-01"] * 4),
        "objection": [False, True, None, None, False, True, False, False],
    })


# --------------------------------------------------------------------------- module 5
def team_slice(tables: Mapping[str, pd.DataFrame], team: str = "") -> dict[str, pd.DataFrame]:
    """Restrict the tables to one team's reps (reps, orders, quotas, activities); keep all customers.

    Examples
    --------
    >>> tables = {"reps": pd.DataFrame({"rep_id": ["A", "B"], "team": ["East", "West"]}),
    ...           "orders": pd.DataFrame({"rep_id": ["A", "B", "B"], "amount": [1.0, 2.0, 3.0]})}
    >>> {k: len(v) for k, v in team_slice(tables, "West").items()}
    {'reps': 1, 'orders': 2}
    """
    if not team:
        return dict(tables)
    reps = tables["reps"]
    if team not in set(reps["team"].astype(str)):
        raise ParameterError("team", team, "one of " + ", ".join(sorted(reps["team"].astype(str).unique())))
    ids = set(reps.loc[reps["team"] == team, "rep_id"])
    return {name: frame[frame["rep_id"].isin(ids)] if "rep_id" in frame.columns else frame
            for name, frame in tables.items() if frame is not None}


def plan_comparison(tables: Mapping[str, pd.DataFrame], *, plan_a: object, plan_b: object, period: str,
                    team: str = "") -> pd.DataFrame:
    """Pay ``team`` for ``period`` under two plans; :func:`playbook.incentives.compare_plans` of the runs."""
    part = team_slice(tables, team)
    runs = [incentives.run_plan(part["orders"], part["reps"], part.get("quotas"), plan=p, period=period,
                                customers=part.get("customers"), activities=part.get("activities"))
            for p in (plan_a, plan_b)]
    return incentives.compare_plans(*runs)


def check_plan_gain(answer: object, tables: Mapping[str, pd.DataFrame], *, plan_a: object, plan_b: object,
                    period: str, team: str = "", lang: str = "en") -> CheckResult:
    """Check module 5: the rep (``rep_id`` or name) of ``team`` who gains most from plan A to plan B.

    Both plans are run on the team's slice of ``tables`` for ``period``
    (:func:`plan_comparison`); any rep tied for the largest gain is right.
    """
    check_lang(lang)
    if is_blank(answer):
        return _result("plan_gain", "missing", "workshop.hint.fill_in", lang)
    change = plan_comparison(tables, plan_a=plan_a, plan_b=plan_b, period=period, team=team)
    change = change.set_index("rep_id")["change_cents"]
    names = tables["reps"].set_index("rep_id")["name"].astype(str)
    rep = str(answer).strip()
    rep = next((r for r, n in names.items() if n == rep and r in change.index), rep)
    if rep not in change.index:
        return _result("plan_gain", "not_yet", "workshop.hint.unknown_rep", lang, rep=str(answer))
    if change[rep] == change.max():
        return _result("plan_gain", "right", "workshop.right.plan_gain", lang)
    return _result("plan_gain", "not_yet", "workshop.hint.plan_gain", lang)


# --------------------------------------------------------------------------- module 6
def check_idp_priority(answer: object, evidence: pd.DataFrame, rep_id: str, *, lang: str = "en") -> CheckResult:
    """Check module 6: the first development item of the rep's IDP and a target level for it.

    ``answer`` is ``{"competency": key, "target_level": n}``. The competency must be the
    one :func:`playbook.idp.draft_plan` ranks first (largest gap to level 5, plus funnel
    leaks and data signals); the target must lie above the current level, at most two
    levels higher and at most 5.

    Examples
    --------
    >>> ev = pd.DataFrame({"rep_id": ["R4"], "name": ["董某某"], "role": ["销售专员"], "quota": [200_000.0],
    ...                    "actual": [219_000.0], "level__market_awareness": [4],
    ...                    "level__new_customer_development": [2]})
    >>> check_idp_priority({"competency": "new_customer_development", "target_level": 4}, ev, "R4").ok
    True
    >>> check_idp_priority({"competency": "market_awareness", "target_level": 5}, ev, "R4").status
    'not_yet'
    """
    check_lang(lang)
    if is_blank(answer) or (isinstance(answer, Mapping) and all(is_blank(v) for v in answer.values())):
        return _result("idp_priority", "missing", "workshop.hint.fill_in", lang)
    if not isinstance(answer, Mapping) or is_blank(answer.get("competency")) or is_blank(answer.get("target_level")):
        return _result("idp_priority", "not_yet", "workshop.hint.mapping", lang, keys="competency, target_level")
    has_date = "as_of" in evidence.columns and evidence["as_of"].notna().any()
    draft = idp.draft_plan(evidence, rep_id, max_items=1, rules={"order": "priority"},
                           plan_date=None if has_date else "2000-01-01")  # the date moves only review dates
    first = draft.items.iloc[0]
    levels = idp.rep_levels(evidence, rep_id).set_index("competency")["level"]
    comp = str(to_key(str(answer["competency"]).strip(), list(levels.index), "competency."))
    if comp not in levels.index:
        return _result("idp_priority", "not_yet", "workshop.hint.unknown_option", lang, values=comp,
                       options=", ".join(f"`{c}`" for c in levels.index))
    if comp != first["competency"]:
        return _result("idp_priority", "not_yet", "workshop.hint.idp_item", lang)
    target = _number("idp_priority", answer["target_level"], lang)
    if isinstance(target, CheckResult):
        return target
    current = int(first["current_level"])
    if not (current < target <= min(5, current + 2)):
        return _result("idp_priority", "not_yet", "workshop.hint.idp_target", lang, current=current)
    return _result("idp_priority", "right", "workshop.right.idp_priority", lang)


# --------------------------------------------------------------------------- module 7
def _achieved(actual: pd.Series, direction: pd.Series, target: pd.Series) -> pd.Series:
    return ((direction == ">=") & (actual >= target - 1e-9)) | ((direction == "<=") & (actual <= target + 1e-9))


def pdca_table(figures: pd.DataFrame, *, key_results: Sequence[Mapping[str, Any]] = PDCA_KEY_RESULTS,
               stage: str = "after", lang: str = "en") -> pd.DataFrame:
    """Tabulate the Check step: each key result with its target and the figure measured (no verdict).

    ``figures`` is :func:`playbook.data.case_study.case_figures` output; the value of the
    figure in ``stage`` is used.

    Returns
    -------
    DataFrame
        ``kr_id, figure, target, actual`` (figure named in ``lang``; target and actual as
        text, such as ``>= 85%`` and ``89%``).

    Examples
    --------
    >>> f = pd.DataFrame({"figure": ["cycle_days"], "stage": ["after"], "value": [36.0], "unit": ["days"]})
    >>> pdca_table(f, key_results=[PDCA_KEY_RESULTS[3]]).values.tolist()
    [['KR4', 'Sales cycle', '<= 30 days', '36 days']]
    """
    check_lang(lang)
    krs = pd.DataFrame(list(key_results))
    got = figures[figures["stage"] == stage].drop_duplicates("figure", keep="last").set_index("figure")
    unit = got["unit"].reindex(krs["figure"]).to_numpy()
    actual = got["value"].reindex(krs["figure"]).to_numpy()
    return pd.DataFrame({
        "kr_id": krs["id"].astype(str),
        "figure": [t(f"case.figure.{f}", lang) for f in krs["figure"]],
        "target": [f"{d} {case_display._fmt(v, u, lang)}" for d, v, u in zip(krs["direction"], krs["target"], unit,
                                                                              strict=True)],
        "actual": [case_display._fmt(v, u, lang) for v, u in zip(actual, unit, strict=True)],
    })


def check_pdca_verdicts(answer: object, figures: pd.DataFrame, *,
                        key_results: Sequence[Mapping[str, Any]] = PDCA_KEY_RESULTS, stage: str = "after",
                        lang: str = "en") -> CheckResult:
    """Check module 7: for each key result id, True if it was achieved in ``stage``, else False.

    Examples
    --------
    >>> f = pd.DataFrame({"figure": ["cycle_days"], "stage": ["after"], "value": [36.0], "unit": ["days"]})
    >>> check_pdca_verdicts({"KR4": False}, f, key_results=[PDCA_KEY_RESULTS[3]]).ok
    True
    >>> check_pdca_verdicts({"KR4": True}, f, key_results=[PDCA_KEY_RESULTS[3]]).status
    'not_yet'
    """
    check_lang(lang)
    krs = pd.DataFrame(list(key_results))
    ids = krs["id"].astype(str).tolist()
    if is_blank(answer) or (isinstance(answer, Mapping) and all(is_blank(v) for v in answer.values())):
        return _result("pdca_verdicts", "missing", "workshop.hint.fill_in", lang)
    if not isinstance(answer, Mapping):
        return _result("pdca_verdicts", "not_yet", "workshop.hint.mapping", lang, keys=", ".join(ids))
    open_items = [k for k in ids if is_blank(answer.get(k))]
    if open_items:
        return _result("pdca_verdicts", "missing", "workshop.hint.open_items", lang, items=_join(open_items, lang))
    if any(not isinstance(answer[k], bool) for k in ids):
        return _result("pdca_verdicts", "not_yet", "workshop.hint.booleans", lang)
    got = figures[figures["stage"] == stage].drop_duplicates("figure", keep="last").set_index("figure")["value"]
    achieved = _achieved(got.reindex(krs["figure"]).reset_index(drop=True), krs["direction"], krs["target"])
    right = sum(bool(answer[k]) == bool(a) for k, a in zip(ids, achieved, strict=True))
    if right == len(ids):
        return _result("pdca_verdicts", "right", "workshop.right.pdca_verdicts", lang)
    return _result("pdca_verdicts", "not_yet", "workshop.hint.pdca", lang, right=right, n=len(ids))


# --------------------------------------------------------------------------- solutions variant
def exercise_cells(nb: Mapping[str, Any]) -> dict[str, int]:
    """Return ``{exercise id: cell index}`` of a notebook (a parsed ``.ipynb`` mapping).

    Examples
    --------
    >>> exercise_cells({"cells": [{"cell_type": "code", "metadata": {"workshop": {"exercise": "x"}}}]})
    {'x': 0}
    """
    out: dict[str, int] = {}
    for i, cell in enumerate(nb.get("cells", [])):
        ex = (cell.get("metadata") or {}).get("workshop", {}).get("exercise")
        if ex:
            if ex in out:
                raise InputError(f"exercise {ex!r} is marked on two cells (cells {out[ex]} and {i})")
            out[str(ex)] = i
    return out


def _source(cell: Mapping[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _solution_code(name: str, entry: Mapping[str, Any], placeholder: str) -> str:
    match = _PLACEHOLDER.search(placeholder)
    if not match:
        raise InputError(f"exercise {name!r}: the exercise cell has no 'name = ...' placeholder")
    variable = match.group("name")
    if "code" in entry:
        code = str(entry["code"]).rstrip() + "\n"
        if not re.search(rf"^{re.escape(variable)}\s*=", code, re.MULTILINE):
            raise InputError(f"exercise {name!r}: the solution code must assign {variable!r}")
    else:
        code = f"{variable} = " + pprint.pformat(entry["answer"], width=100, sort_dicts=False) + "\n"
    return "# Solution · 参考答案\n" + code


def _answer_sheet(solutions: Mapping[str, Mapping[str, Any]], codes: Mapping[str, str]) -> str:
    lines = ["# Workshop answers · 练习参考答案", "",
             "Written by `playbook workshop solutions`; the source is `templates/workshop_solutions.yaml`.",
             "由 `playbook workshop solutions` 生成；来源为 `templates/workshop_solutions.yaml`。", ""]
    for name, entry in solutions.items():
        lines += [f"## {entry['notebook']} · `{name}`", "", "```python", codes[name].rstrip(), "```", ""]
        why = entry.get("why") or {}
        for lang in ("en", "zh"):
            if why.get(lang):
                lines += [str(why[lang]).strip(), ""]
    return "\n".join(lines)


def build_solutions(src_dir: str | Path, out_dir: str | Path, *, solutions: str | Path | None = None) -> list[Path]:
    """Write the solutions variant of the workshop notebooks to ``out_dir``.

    Every notebook of ``src_dir`` is copied; in each exercise cell the placeholder is
    replaced by the solution from the solutions file (default
    :data:`SOLUTIONS_PATH`); ``ANSWERS.md`` lists all solutions with their reasons.
    Nothing else changes, so the checks of the solutions variant all say *right*.

    Parameters
    ----------
    src_dir : path
        Folder of the committed workshop notebooks (``notebooks/workshop``).
    out_dir : path
        Folder to write (created; must not be ``src_dir``).
    solutions : path, optional
        Solutions YAML; default ``templates/workshop_solutions.yaml``.

    Returns
    -------
    list of Path
        The notebooks written, then ``ANSWERS.md``.

    Raises
    ------
    ParameterError
        If ``src_dir`` holds no notebook or ``out_dir`` is ``src_dir``.
    InputError
        If an exercise cell has no solution, or a solution no exercise cell.

    Examples
    --------
    >>> import tempfile
    >>> out = build_solutions(paths.NOTEBOOKS_DIR / "workshop", tempfile.mkdtemp())
    >>> [p.name for p in out][-2:]
    ['07_pdca_review.ipynb', 'ANSWERS.md']
    """
    src, out = paths.resolve(src_dir), Path(out_dir).expanduser()
    notebooks = sorted(src.glob("*.ipynb"))
    if not notebooks:
        raise ParameterError("src_dir", str(src_dir), "a folder holding the workshop notebooks (*.ipynb)")
    if out.resolve() == src.resolve():
        raise ParameterError("out_dir", str(out_dir), "a folder other than the notebooks' own (keep them stripped)")
    table = load_solutions(solutions)
    parsed = {p: json.loads(p.read_text(encoding="utf-8")) for p in notebooks}
    problems, codes, seen = [], {}, set()
    for path, nb in parsed.items():
        for name, index in exercise_cells(nb).items():
            seen.add(name)
            entry = table.get(name)
            if entry is None:
                problems.append({"key": "message.workshop.solutions.unsolved", "file": path.name, "name": name})
                continue
            if entry["notebook"] != path.name:
                problems.append({"key": "message.workshop.solutions.elsewhere", "file": path.name, "name": name,
                                 "other": entry["notebook"]})
                continue
            cell = nb["cells"][index]
            codes[name] = _solution_code(name, entry, _source(cell))
            cell["source"] = codes[name]
            cell["outputs"], cell["execution_count"] = [], None
        nb.setdefault("metadata", {})["workshop"] = {"variant": "solutions"}
    problems += [{"key": "message.workshop.solutions.unmarked", "name": name, "file": table[name]["notebook"]}
                 for name in table if name not in seen]
    if problems:
        worded = "; ".join(t(p["key"], "en", **{k: v for k, v in p.items() if k != "key"}) for p in problems)
        raise InputError(f"workshop solutions: {worded}",
                         code="workshop.solutions.mismatch", params={"problems_items": problems})
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path, nb in parsed.items():
        target = out / path.name
        target.write_text(json.dumps(nb, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        written.append(target)
    sheet = out / "ANSWERS.md"
    sheet.write_text(_answer_sheet({k: table[k] for k in table}, codes), encoding="utf-8")
    return [*written, sheet]
