"""Incentives (激励机制) and scorecards (绩效评估): commission plans as data, exact payouts.

A *plan* is a YAML file in ``templates/plans/`` (see :func:`list_plans`), validated by
:func:`parse_plan` with an error naming the rule that is wrong. It may hold:

- ``commission``: one or more components, each over a scope of orders (product lines,
  new or renewal business) with **tiers** (阶梯式提成) in one of two modes:
  ``marginal`` (the default: each rate applies to its slice of sales) or ``whole``
  (the rate of the tier reached applies to all sales of the tier period). Tier
  thresholds are amounts (``basis: amount``) or quota attainment ratios
  (``basis: attainment``: decelerators below a floor, accelerators above 100%).
  Tiers count sales from the start of their ``tier_period`` (year, quarter or month).
  A ``cap`` limits a component's commission per tier period; a ``renewal_uplift``
  adds a share (+20%) to the commission on renewal orders of key accounts.
- ``bonus``: the monthly bonus rule (attainment >= 100% -> 5% of base salary,
  90%-100% -> 2%, below -> 0; domain brief section 4).
- ``referral_award`` (a fixed amount each to the rep and the customer-success manager),
  ``mentor_award`` (伯乐奖, when a mentee closes a first deal), ``process_awards``
  (most visits, or winners named by the manager), a ``draw`` (a monthly advance against
  commission, recovered from later commission) and ``clawback`` of refunded orders.

Money is exact: amounts are integer cents (``*_cents`` columns, ``int64``); rates are
held in parts per million. Each line item is ``base x rate`` rounded half away from
zero to the cent, and every total is the sum of its line items, to the cent.

:func:`run_plan` gives a :class:`PayoutRun`: the line items (rep, month, rule, base,
rate, amount) and the payout per rep. :func:`plan_summary` and :func:`compare_plans`
answer what-if questions (:func:`modify_plan` changes one rule). :func:`scorecard`
ranks reps on weighted KPIs with a culture preset from
``templates/scorecard_presets.yaml``. :func:`payout_statement` returns one rep's HR
statement as frames; :func:`write_statement` is the only function here that writes.

Examples
--------
The worked example of domain.md section 4: 2,500k CNY of sales at 8/10/12% with
thresholds at 1,000k and 2,000k.

>>> marginal = load_plan("domain_marginal")
>>> commission_for_sales(2_500_000, plan=marginal)
Decimal('240000.00')
>>> commission_for_sales(2_500_000, plan=modify_plan(marginal, {"commission.0.mode": "whole"}))
Decimal('300000.00')
"""

from __future__ import annotations

import copy
import dataclasses
import math
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from playbook import paths
from playbook.errors import InputError, MissingColumnsError, ParameterError, PlaybookWarning

__all__ = [
    "PLANS_DIR",
    "PRESETS_PATH",
    "RULES",
    "RULE_CATEGORY",
    "LINE_COLUMNS",
    "REP_COLUMNS",
    "SUMMARY_COLUMNS",
    "COMPARE_COLUMNS",
    "KPI_COLUMNS",
    "SCORECARD_COLUMNS",
    "PlanError",
    "Tier",
    "Component",
    "Plan",
    "PayoutRun",
    "ScorecardPreset",
    "parse_period",
    "list_plans",
    "load_plan",
    "parse_plan",
    "modify_plan",
    "commission_table",
    "commission_for_sales",
    "payout_lines",
    "rep_payouts",
    "run_plan",
    "plan_summary",
    "compare_plans",
    "load_presets",
    "monthly_kpis",
    "scorecard",
    "preset_ranks",
    "payout_statement",
    "column_label",
    "display_frame",
    "write_statement",
    "write_statements",
    "WHAT_IF_COLUMNS",
    "commission_lines",
    "add_sale",
    "line_changes",
]

PLANS_DIR = paths.TEMPLATES_DIR / "plans"
PRESETS_PATH = paths.TEMPLATES_DIR / "scorecard_presets.yaml"

RULES = (
    "commission", "tier_true_up", "clawback", "cap", "renewal_uplift",
    "bonus", "referral_award", "mentor_award", "process_award", "draw", "draw_recovery",
)
"""Rule names of line items, in statement order."""
RULE_CATEGORY = {
    "commission": "commission", "tier_true_up": "commission", "cap": "commission",
    "renewal_uplift": "commission", "clawback": "clawback", "bonus": "bonus",
    "referral_award": "awards", "mentor_award": "awards", "process_award": "awards",
    "draw": "draw", "draw_recovery": "draw",
}
"""The payout column (``<category>_cents`` of :data:`REP_COLUMNS`) each rule adds to."""

LINE_COLUMNS = ["rep_id", "month", "rule", "component", "tier", "ref", "base_cents", "rate", "amount_cents"]
REP_COLUMNS = [
    "rep_id", "name", "team", "net_sales_cents", "commission_cents", "clawback_cents", "bonus_cents",
    "awards_cents", "draw_cents", "total_cents", "effective_rate",
]
SUMMARY_COLUMNS = [
    "plan", "payees", "net_sales_cents", "commission_cents", "clawback_cents", "bonus_cents",
    "awards_cents", "draw_cents", "total_cents", "cost_ratio", "effective_rate",
    "median_payout_cents", "p90_payout_cents", "max_payout_cents", "top_decile_share",
]
COMPARE_COLUMNS = [
    "rep_id", "name", "team", "net_sales_cents", "payout_a_cents", "payout_b_cents", "change_cents",
    "change_pct", "effective_rate_a", "effective_rate_b", "outcome",
]
KPI_COLUMNS = [
    "rep_id", "month", "sales_cents", "quota_cents", "attainment", "new_customers",
    "prior_customers", "retained_customers", "retention", "visits",
]
KPIS = ("attainment", "new_customers", "retention", "visits")
SCORECARD_COLUMNS = [
    "rep_id", "name", "team", "sales_cents", "quota_cents", *KPIS, *(k + "_change" for k in KPIS),
    "score", "rank", "flag",
]

_PPM = 1_000_000
_BIG = 2**62
_MAX_CENTS = 9 * 10**12  # cents x ppm must stay inside int64
_CATEGORIES = ("commission", "clawback", "bonus", "awards", "draw")
_METRICS = ("visits", "calls", "demos")


class PlanError(InputError):
    """A plan rule cannot be used (bad definition, or data the rule needs is missing).

    The message names the plan and the rule, says what is wrong and how to fix it.
    """

    def __init__(self, plan: str, rule: str, problem: str, fix: str = "") -> None:
        self.plan = plan
        self.rule = rule
        super().__init__(f"plan {plan!r}, rule {rule}: {problem}" + (f" {fix}" if fix else ""))


# --------------------------------------------------------------------------- plans


@dataclass(frozen=True)
class Tier:
    """One tier: from ``lower`` (inclusive) to the next tier's ``lower``, at ``rate_ppm``.

    ``lower`` is in cents (``basis: amount``) or in ppm of the quota (``basis: attainment``).
    """

    lower: int
    rate_ppm: int


@dataclass(frozen=True)
class Component:
    """One commission component of a plan (a scope of orders with its tiers)."""

    name: str
    mode: str
    basis: str
    tier_period: str
    tiers: tuple[Tier, ...]
    product_lines: tuple[str, ...] | None
    deal_types: tuple[str, ...]
    cap_cents: int | None
    uplift_ppm: int | None


@dataclass(frozen=True, eq=False)
class Plan:
    """A validated commission plan; ``spec`` keeps the normalised YAML for :func:`modify_plan`."""

    name: str
    title: dict[str, str]
    components: tuple[Component, ...]
    clawback: bool
    bonus_bands: tuple[tuple[int, int], ...] | None  # (min attainment ppm, share of base ppm), descending
    key_accounts: dict[str, Any] | None
    referral: dict[str, Any] | None
    mentor: dict[str, Any] | None
    process_awards: tuple[dict[str, Any], ...]
    draw: dict[str, Any] | None
    spec: dict[str, Any] = field(repr=False)

    def label(self, lang: str = "en") -> str:
        """Return the plan's title in ``lang`` (the name when it has none)."""
        return str(self.title.get(lang) or self.title.get("en") or self.name)


def parse_period(period: str) -> tuple[pd.Period, pd.Period]:
    """Return the first and last month of ``period``: a year, a quarter or a month.

    Examples
    --------
    >>> [str(p) for p in parse_period("2025-Q1")]
    ['2025-01', '2025-03']
    >>> [str(p) for p in parse_period("2024")]
    ['2024-01', '2024-12']
    """
    text = str(period).strip().upper()
    expected = "a year such as '2024', a quarter such as '2025-Q1' or a month such as '2025-03'"
    try:
        if text.isdigit() and len(text) == 4:
            year = int(text)
            return pd.Period(year=year, month=1, freq="M"), pd.Period(year=year, month=12, freq="M")
        if len(text) == 7 and text[4:6] == "-Q" and text[:4].isdigit() and text[6] in "1234":
            q = pd.Period(text.replace("-", ""), freq="Q")
            return q.asfreq("M", "start"), q.asfreq("M", "end")
        if len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit():
            m = pd.Period(text, freq="M")
            return m, m
    except (ValueError, TypeError):
        pass
    raise ParameterError("period", period, expected)


def list_plans(directory: str | Path | None = None) -> list[str]:
    """Return the names of the plans shipped in ``templates/plans`` (or ``directory``).

    Examples
    --------
    >>> {"domain_marginal", "domain_whole"} <= set(list_plans())
    True
    """
    folder = Path(directory) if directory else PLANS_DIR
    return sorted(p.stem for p in folder.glob("*.yaml"))


def load_plan(plan: str | Path | Plan) -> Plan:
    """Load a plan by name (a file in ``templates/plans``) or from a YAML path.

    Examples
    --------
    >>> load_plan("domain_whole").components[0].mode
    'whole'
    """
    if isinstance(plan, Plan):
        return plan
    text = str(plan).strip()
    path = Path(text)
    if not text.endswith((".yaml", ".yml")):
        path = PLANS_DIR / f"{text}.yaml"
    else:
        path = paths.resolve(path)
    if not path.is_file():
        raise ParameterError("plan", plan, "the name of a plan in templates/plans (" + ", ".join(list_plans())
                             + ") or the path of a plan YAML file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"{path.name}: not valid YAML: {exc}") from None
    return parse_plan(data, name=path.stem)


def _dec(value: Any, plan: str, rule: str, what: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise PlanError(plan, rule, f"{what} {value!r} is not a number.")
    text = str(value).strip().replace(",", "").replace("_", "")
    pct = text.endswith("%")
    try:
        d = Decimal(text[:-1] if pct else text)
    except InvalidOperation:
        raise PlanError(plan, rule, f"{what} {value!r} is not a number.") from None
    if not d.is_finite():
        raise PlanError(plan, rule, f"{what} {value!r} is not a number.")
    return d / 100 if pct else d


def _ppm(value: Any, plan: str, rule: str, what: str, *, high: Decimal | None = Decimal(1)) -> int:
    d = _dec(value, plan, rule, what)
    if d < 0 or (high is not None and d > high):
        raise PlanError(plan, rule, f"{what} {value!r} is outside [0, {high}].",
                        "Write rates as fractions (0.08) or percents ('8%').")
    scaled = d * _PPM
    if scaled != scaled.to_integral_value():
        raise PlanError(plan, rule, f"{what} {value!r} has more than 6 decimals.")
    return int(scaled)


def _money(value: Any, plan: str, rule: str, what: str, unit: int) -> int:
    d = _dec(value, plan, rule, what) * unit
    if d < 0:
        raise PlanError(plan, rule, f"{what} {value!r} is negative.")
    cents = d * 100
    if cents != cents.to_integral_value():
        raise PlanError(plan, rule, f"{what} {value!r} has fractions of a cent.")
    return int(cents)


def _keys(entry: Any, allowed: set[str], plan: str, rule: str, required: Iterable[str] = ()) -> dict:
    if not isinstance(entry, dict):
        raise PlanError(plan, rule, f"expected a mapping, got {entry!r}.")
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise PlanError(plan, rule, f"unknown key(s) {', '.join(unknown)}.", f"Allowed: {', '.join(sorted(allowed))}.")
    missing = [k for k in required if entry.get(k) is None]
    if missing:
        raise PlanError(plan, rule, f"missing {', '.join(missing)}.")
    return entry


def _parse_tiers(raw: Any, plan: str, rule: str, basis: str, unit: int) -> tuple[Tier, ...]:
    if not isinstance(raw, list) or not raw:
        raise PlanError(plan, rule, "needs a non-empty list of tiers.", "Example: - {from: 0, rate: 0.08}")
    lows, highs, rates = [], [], []
    for i, entry in enumerate(raw, start=1):
        where = f"{rule} tier {i}"
        _keys(entry, {"from", "to", "rate"}, plan, where, required=("from", "rate"))
        if basis == "amount":
            lo = _money(entry["from"], plan, where, "'from'", unit)
            hi = None if entry.get("to") is None else _money(entry["to"], plan, where, "'to'", unit)
        else:
            lo = _ppm(entry["from"], plan, where, "'from' attainment", high=Decimal(10))
            hi = None if entry.get("to") is None else _ppm(entry["to"], plan, where, "'to' attainment",
                                                           high=Decimal(10))
        if hi is not None and hi <= lo:
            raise PlanError(plan, where, f"'to' ({entry['to']}) must be above 'from' ({entry['from']}).")
        lows.append(lo)
        highs.append(hi)
        rates.append(_ppm(entry["rate"], plan, where, "rate"))
    if lows[0] != 0:
        raise PlanError(plan, f"{rule} tier 1", f"the first tier must start at 0, not {raw[0]['from']}.")
    for i in range(1, len(lows)):
        where = f"{rule} tier {i + 1}"
        if lows[i] <= lows[i - 1]:
            raise PlanError(plan, where, f"tiers are not in ascending order: 'from' {raw[i]['from']} is not above "
                            f"tier {i}'s 'from' {raw[i - 1]['from']}.", "List tiers from the lowest up.")
        if highs[i - 1] is not None and lows[i] < highs[i - 1]:
            raise PlanError(plan, where, f"overlaps tier {i}: it starts at {raw[i]['from']} but tier {i} runs to "
                            f"{raw[i - 1]['to']}.", "Each tier must start where the one before ends.")
        if highs[i - 1] is not None and lows[i] > highs[i - 1]:
            raise PlanError(plan, where, f"leaves a gap after tier {i}: tier {i} ends at {raw[i - 1]['to']} but "
                            f"this one starts at {raw[i]['from']}.", "Each tier must start where the one before ends.")
    if highs[-1] is not None:
        raise PlanError(plan, f"{rule} tier {len(lows)}", "the last tier must be open-ended (no 'to').",
                        "Use 'cap' to limit the commission.")
    return tuple(Tier(lo, r) for lo, r in zip(lows, rates, strict=True))


def _parse_component(entry: Any, i: int, plan: str, unit: int) -> Component:
    name = str(entry.get("name") or f"component_{i}") if isinstance(entry, dict) else f"component_{i}"
    rule = f"commission {name!r}"
    allowed = {"name", "products", "deal_types", "mode", "basis", "tier_period", "tiers", "cap", "renewal_uplift"}
    _keys(entry, allowed, plan, rule, required=("tiers",))
    mode = entry.get("mode", "marginal")
    if mode not in ("marginal", "whole"):
        raise PlanError(plan, rule, f"mode {mode!r} is not valid.", "Use 'marginal' (each rate on its slice) or "
                        "'whole' (the reached tier's rate on the whole amount).")
    basis = entry.get("basis", "amount")
    if basis not in ("amount", "attainment"):
        raise PlanError(plan, rule, f"basis {basis!r} is not valid.", "Use 'amount' or 'attainment'.")
    tier_period = entry.get("tier_period", "year")
    if tier_period not in ("month", "quarter", "year"):
        raise PlanError(plan, rule, f"tier_period {tier_period!r} is not valid.", "Use 'month', 'quarter' or 'year'.")
    products = entry.get("products", "all")
    if products == "all" or products is None:
        product_lines = None
    elif isinstance(products, list) and products and all(isinstance(p, str) and p.strip() for p in products):
        product_lines = tuple(p.strip() for p in products)
    else:
        raise PlanError(plan, rule, f"products {products!r} must be 'all' or a list of product lines.")
    deals = entry.get("deal_types", "all")
    deal_types = ("new", "renewal") if deals in ("all", None) else deals
    if not isinstance(deal_types, (list, tuple)) or not deal_types or not set(deal_types) <= {"new", "renewal"}:
        raise PlanError(plan, rule, f"deal_types {deals!r} must be 'all' or a list of 'new', 'renewal'.")
    cap = entry.get("cap")
    cap_cents = None if cap is None else _money(cap, plan, f"{rule} cap", "cap", unit)
    uplift = entry.get("renewal_uplift")
    uplift_ppm = None
    if uplift is not None:
        up = _keys(uplift, {"rate"}, plan, f"{rule} renewal_uplift", required=("rate",))
        uplift_ppm = _ppm(up["rate"], plan, f"{rule} renewal_uplift", "rate")
        if "renewal" not in deal_types:
            raise PlanError(plan, f"{rule} renewal_uplift", "the component has no renewal orders to uplift.",
                            "Add 'renewal' to deal_types or remove the uplift.")
    tiers = _parse_tiers(entry["tiers"], plan, rule, basis, unit)
    return Component(name, mode, basis, tier_period, tiers, product_lines, tuple(deal_types), cap_cents, uplift_ppm)


def parse_plan(data: Mapping[str, Any], *, name: str = "plan") -> Plan:
    """Validate a plan given as a mapping (the YAML's content); raise :class:`PlanError`.

    Examples
    --------
    >>> p = parse_plan({"commission": [{"tiers": [{"from": 0, "rate": "5%"}]}]}, name="flat")
    >>> p.components[0].tiers[0].rate_ppm, p.components[0].mode
    (50000, 'marginal')
    >>> parse_plan({"commission": [{"tiers": [{"from": 0, "rate": 1.5}]}]}, name="x")
    Traceback (most recent call last):
    ...
    playbook.incentives.PlanError: plan 'x', rule commission 'component_1' tier 1: rate 1.5 is outside [0, 1]. \
Write rates as fractions (0.08) or percents ('8%').
    """
    if not isinstance(data, Mapping):
        raise PlanError(name, "(plan)", f"expected a mapping of rules, got {type(data).__name__}.")
    spec = copy.deepcopy(dict(data))
    name = str(spec.get("name") or name)
    allowed = {"name", "title", "unit", "commission", "clawback", "bonus", "key_accounts", "referral_award",
               "mentor_award", "process_awards", "draw"}
    _keys(spec, allowed, name, "(plan)")
    unit_name = str(spec.get("unit", "CNY"))
    if unit_name not in ("CNY", "万元", "wan"):
        raise PlanError(name, "unit", f"{unit_name!r} is not a unit.", "Use 'CNY' or '万元'.")
    unit = 1 if unit_name == "CNY" else 10_000
    title = spec.get("title") or {}
    if isinstance(title, str):
        title = {"en": title, "zh": title}

    raw_components = spec.get("commission") or []
    if isinstance(raw_components, dict):
        raw_components = [raw_components]
    components = tuple(_parse_component(c, i, name, unit) for i, c in enumerate(raw_components, start=1))
    names = [c.name for c in components]
    if len(set(names)) != len(names):
        raise PlanError(name, "commission", f"component names repeat: {names}.")
    for i, a in enumerate(components):
        for b in components[i + 1:]:
            lines = (set(a.product_lines) & set(b.product_lines) if a.product_lines and b.product_lines
                     else set(a.product_lines or b.product_lines or ["all"]))
            deals = set(a.deal_types) & set(b.deal_types)
            if lines and deals:
                raise PlanError(name, f"commission {b.name!r}", f"covers the same orders as {a.name!r} (product "
                                f"lines {sorted(lines)}, {sorted(deals)} business): they would be paid twice.",
                                "Make the scopes (products, deal_types) disjoint.")

    clawback = spec.get("clawback", True)
    if not isinstance(clawback, bool):
        raise PlanError(name, "clawback", f"{clawback!r} must be true or false.")

    bands = None
    if spec.get("bonus") is not None:
        bonus = _keys(spec["bonus"], {"bands"}, name, "bonus", required=("bands",))
        if not isinstance(bonus["bands"], list) or not bonus["bands"]:
            raise PlanError(name, "bonus", "needs a non-empty list of bands.")
        parsed = []
        for i, band in enumerate(bonus["bands"], start=1):
            rule = f"bonus band {i}"
            _keys(band, {"min_attainment", "pct_of_base_salary"}, name, rule,
                  required=("min_attainment", "pct_of_base_salary"))
            parsed.append((_ppm(band["min_attainment"], name, rule, "min_attainment", high=Decimal(10)),
                           _ppm(band["pct_of_base_salary"], name, rule, "pct_of_base_salary")))
        mins = [b[0] for b in parsed]
        if len(set(mins)) != len(mins):
            raise PlanError(name, "bonus", "two bands have the same min_attainment.")
        bands = tuple(sorted(parsed, reverse=True))

    key_accounts = None
    if spec.get("key_accounts") is not None:
        ka = _keys(spec["key_accounts"], {"min_prior_year_sales", "column"}, name, "key_accounts")
        if (ka.get("column") is None) == (ka.get("min_prior_year_sales") is None):
            raise PlanError(name, "key_accounts", "give exactly one of min_prior_year_sales or column.")
        key_accounts = {"column": ka.get("column"), "min_cents": None if ka.get("min_prior_year_sales") is None
                        else _money(ka["min_prior_year_sales"], name, "key_accounts", "min_prior_year_sales", unit)}
    if any(c.uplift_ppm is not None for c in components) and key_accounts is None:
        raise PlanError(name, "key_accounts", "a renewal_uplift needs key accounts defined.",
                        "Add key_accounts: {min_prior_year_sales: 500000} or {column: <customers column>}.")

    referral = None
    if spec.get("referral_award") is not None:
        r = _keys(spec["referral_award"], {"amount", "channel", "rep", "csm_column"}, name, "referral_award",
                  required=("amount",))
        referral = {"amount_cents": _money(r["amount"], name, "referral_award", "amount", unit),
                    "channel": str(r.get("channel", "referral")), "rep": bool(r.get("rep", True)),
                    "csm_column": r.get("csm_column")}
    mentor = None
    if spec.get("mentor_award") is not None:
        m = _keys(spec["mentor_award"], {"amount", "mentor_column", "within_days"}, name, "mentor_award",
                  required=("amount",))
        days = m.get("within_days")
        if days is not None and (not isinstance(days, int) or isinstance(days, bool) or days < 0):
            raise PlanError(name, "mentor_award", f"within_days {days!r} must be a whole number >= 0.")
        mentor = {"amount_cents": _money(m["amount"], name, "mentor_award", "amount", unit),
                  "mentor_column": str(m.get("mentor_column", "mentor_id")), "within_days": days}
    awards = []
    for i, a in enumerate(spec.get("process_awards") or [], start=1):
        rule = f"process_awards {a.get('name', i)!r}" if isinstance(a, dict) else f"process_awards {i}"
        _keys(a, {"name", "amount", "metric", "top", "within"}, name, rule, required=("name", "amount"))
        metric = a.get("metric")
        if metric is not None and metric not in _METRICS:
            raise PlanError(name, rule, f"metric {metric!r} is not an activity count.",
                            f"Use one of {', '.join(_METRICS)}, or none for winners named by the manager.")
        top = a.get("top", 1)
        if not isinstance(top, int) or isinstance(top, bool) or top < 1:
            raise PlanError(name, rule, f"top {top!r} must be a whole number >= 1.")
        within = a.get("within", "company")
        if within not in ("team", "company"):
            raise PlanError(name, rule, f"within {within!r} must be 'team' or 'company'.")
        awards.append({"name": str(a["name"]), "amount_cents": _money(a["amount"], name, rule, "amount", unit),
                       "metric": metric, "top": top, "within": within})
    if len({a["name"] for a in awards}) != len(awards):
        raise PlanError(name, "process_awards", "award names repeat.")
    draw = None
    if spec.get("draw") is not None:
        d = _keys(spec["draw"], {"amount", "recoverable"}, name, "draw", required=("amount",))
        draw = {"amount_cents": _money(d["amount"], name, "draw", "amount", unit),
                "recoverable": bool(d.get("recoverable", True))}
    return Plan(name, {str(k): str(v) for k, v in title.items()}, components, clawback, bands, key_accounts,
                referral, mentor, tuple(awards), draw, spec)


def modify_plan(plan: Plan | str, changes: Mapping[str, Any], *, name: str | None = None) -> Plan:
    """Return a new plan with rules changed (what-if); ``plan`` itself is not changed.

    Keys are dotted paths into the plan's YAML; a list item is chosen by its position
    (from 0) or by its ``name``. A value of ``None`` removes the rule.

    Examples
    --------
    >>> p = modify_plan("domain_marginal", {"commission.all_sales.tiers.2.rate": 0.15, "bonus": None})
    >>> p.components[0].tiers[2].rate_ppm, p.bonus_bands, p.name
    (150000, None, 'domain_marginal*')
    """
    base = load_plan(plan)
    spec = copy.deepcopy(base.spec)
    for key, value in changes.items():
        parts = str(key).split(".")
        node: Any = spec
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            if isinstance(node, list):
                idx = next((i for i, x in enumerate(node) if isinstance(x, dict) and x.get("name") == part), None)
                if idx is None and part.lstrip("-").isdigit():
                    idx = int(part)
                if idx is None or not -len(node) <= idx < len(node):
                    raise ParameterError("changes", key, f"a path into plan {base.name!r}: no item {part!r}")
                if last:
                    node[idx] = value
                else:
                    node = node[idx]
            elif isinstance(node, dict):
                if last:
                    if value is None:
                        node.pop(part, None)
                    else:
                        node[part] = value
                else:
                    if node.get(part) is None:
                        node[part] = {}
                    node = node[part]
            else:
                raise ParameterError("changes", key, f"a path into plan {base.name!r}")
    spec["name"] = name or (base.name if base.name.endswith("*") else base.name + "*")
    return parse_plan(spec, name=spec["name"])


# --------------------------------------------------------------------------- arithmetic


def _mul(cents: np.ndarray, ppm: np.ndarray | int) -> np.ndarray:
    """``cents x ppm / 1e6`` rounded half away from zero, exactly, in int64."""
    prod = np.asarray(cents, dtype=np.int64) * np.asarray(ppm, dtype=np.int64)
    return np.sign(prod) * ((np.abs(prod) + _PPM // 2) // _PPM)


def _month_ordinal(dates: pd.Series) -> np.ndarray:
    values = pd.to_datetime(dates).to_numpy(dtype="datetime64[ns]")
    return values.astype("datetime64[M]").astype(np.int64)


def _month_ts(ordinals: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(ordinals, dtype=np.int64).astype("datetime64[M]").astype("datetime64[ns]"))


def _window(ordinals: np.ndarray, tier_period: str) -> np.ndarray:
    size = {"month": 1, "quarter": 3, "year": 12}[tier_period]
    return ordinals - ordinals % size


def _bounds(comp: Component, window_quota: np.ndarray | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bound of each tier per row, in cents; tier 1 open below, last open above."""
    lows = np.array([t.lower for t in comp.tiers], dtype=np.int64)
    if comp.basis == "amount":
        lower = np.broadcast_to(lows, (n, len(lows))).copy()
    else:
        q = np.asarray(window_quota, dtype=np.int64)
        lower = _mul(q[:, None], lows[None, :])
        lower[q <= 0, 1:] = _BIG  # no quota: only the first tier can be reached
    lower[:, 0] = -_BIG
    upper = np.concatenate([lower[:, 1:], np.full((n, 1), _BIG, dtype=np.int64)], axis=1)
    return lower, upper


def _tier_of(s: np.ndarray, lower: np.ndarray) -> np.ndarray:
    return (s[:, None] >= lower[:, 1:]).sum(axis=1)


def _component_lines(agg: pd.DataFrame, comp: Component, window_quota: np.ndarray | None) -> list[dict]:
    """Line items of one component from its (rep, month) aggregates (sorted, one window each)."""
    n = len(agg)
    if n == 0:
        return []
    rates = np.array([t.rate_ppm for t in comp.tiers], dtype=np.int64)
    gross = agg["gross"].to_numpy(np.int64)
    refund = agg["refund"].to_numpy(np.int64)
    s1 = agg.groupby(["rep_id", "window"], sort=False)["net"].cumsum().to_numpy(np.int64)
    s0 = s1 - gross - refund
    sg = s0 + gross
    lower, upper = _bounds(comp, window_quota, n)
    rep, month = agg["rep_id"].to_numpy(), agg["month"].to_numpy(np.int64)
    out: list[dict] = []

    def add(rule: str, mask: np.ndarray, base: np.ndarray, rate: np.ndarray, tier: np.ndarray | None) -> None:
        mask = mask & (base != 0)
        if mask.any():
            out.append({"rep_id": rep[mask], "month": month[mask], "rule": rule, "component": comp.name,
                        "tier": None if tier is None else tier[mask], "base": base[mask], "rate": rate[mask],
                        "amount": _mul(base[mask], rate[mask])})

    if comp.mode == "marginal":
        for k in range(len(rates)):
            lo, hi = lower[:, k], upper[:, k]
            up = np.clip(sg, lo, hi) - np.clip(s0, lo, hi)
            down = np.clip(s1, lo, hi) - np.clip(sg, lo, hi)
            tier = np.full(n, k + 1)
            add("commission", up > 0, up, np.full(n, rates[k]), tier)
            add("clawback", down < 0, down, np.full(n, rates[k]), tier)
    else:
        k0, kg, k1 = _tier_of(s0, lower), _tier_of(sg, lower), _tier_of(s1, lower)
        r0, rg, r1 = rates[k0], rates[kg], rates[k1]
        add("commission", gross > 0, gross, rg, kg + 1)
        add("tier_true_up", rg != r0, s0, rg - r0, kg + 1)
        add("clawback", refund < 0, refund, r1, k1 + 1)
        add("tier_true_up", r1 != rg, sg, r1 - rg, k1 + 1)

    if comp.cap_cents is not None and out:
        frame = pd.DataFrame({"rep_id": np.concatenate([o["rep_id"] for o in out]),
                              "month": np.concatenate([o["month"] for o in out]),
                              "amount": np.concatenate([o["amount"] for o in out])})
        frame = frame.groupby(["rep_id", "month"], sort=True)["amount"].sum().reset_index()
        frame["window"] = _window(frame["month"].to_numpy(np.int64), comp.tier_period)
        cum = frame.groupby(["rep_id", "window"], sort=False)["amount"].cumsum().to_numpy(np.int64)
        capped = np.minimum(cum, comp.cap_cents)
        prev_cum = cum - frame["amount"].to_numpy(np.int64)
        prev_capped = np.minimum(prev_cum, comp.cap_cents)
        adj = (capped - prev_capped) - (cum - prev_cum)
        m = adj != 0
        if m.any():
            out.append({"rep_id": frame["rep_id"].to_numpy()[m], "month": frame["month"].to_numpy()[m],
                        "rule": "cap", "component": comp.name, "tier": None, "base": cum[m], "rate": None,
                        "amount": adj[m], "ref": str(Decimal(comp.cap_cents) / 100)})

    if comp.uplift_ppm is not None:
        key_net = agg["key_renewal"].to_numpy(np.int64)
        k1 = _tier_of(s1, lower)
        rate = _mul(rates[k1], comp.uplift_ppm)
        add("renewal_uplift", key_net != 0, key_net, rate, k1 + 1)
    return out


# --------------------------------------------------------------------------- inputs


def _require(frame: pd.DataFrame | None, columns: list[str], where: str) -> pd.DataFrame:
    if frame is None:
        raise ParameterError(where, None, f"a DataFrame with columns {', '.join(columns)}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MissingColumnsError(missing, present=frame.columns, where=where)
    return frame


def _rename(frame: pd.DataFrame | None, columns: Mapping[str, str] | None) -> pd.DataFrame | None:
    if frame is None or not columns:
        return frame
    inverse = {user: kit for kit, user in columns.items() if user in frame.columns}
    return frame.rename(columns=inverse)


def _to_cents(values: pd.Series, where: str) -> np.ndarray:
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna()
    if bad.any():
        raise InputError(f"{where}: {int(bad.sum())} value(s) missing or not a number (first: "
                         f"{values[bad].iloc[0]!r}). Fill in the amounts or drop those rows.")
    cents = np.round(numbers.to_numpy(dtype=float) * 100).astype(np.int64)
    if np.abs(cents).sum() > _MAX_CENTS:
        raise InputError(f"{where}: the amounts add up to more than 90 billion CNY, beyond what the kit "
                         "computes exactly. Split the data by team or period.")
    return cents


def _first_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """Each customer's first positive order: customer_id, rep_id, date (ties: order_id)."""
    pos = orders.loc[orders["amount"] > 0, [c for c in ("order_id", "customer_id", "rep_id", "order_date")
                                            if c in orders.columns]]
    keys = ["order_date", "order_id"] if "order_id" in pos.columns else ["order_date"]
    pos = pos.assign(order_date=pd.to_datetime(pos["order_date"])).sort_values(keys, kind="stable")
    return pos.drop_duplicates("customer_id")[["customer_id", "rep_id", "order_date"]]


def _prepare_orders(orders: pd.DataFrame, plan: Plan, customers: pd.DataFrame | None,
                    key_accounts: Iterable[str] | None) -> pd.DataFrame:
    """Orders with cents, month ordinal, refund flag, component index and key-renewal flag."""
    _require(orders, ["customer_id", "rep_id", "order_date", "amount"], "orders")
    cents = _to_cents(orders["amount"], "orders.amount")
    if "is_refund" in orders.columns:
        flag = orders["is_refund"].fillna(False).astype(bool).to_numpy()
        unmarked = (cents < 0) & ~flag
        if unmarked.any():
            ids = orders.loc[unmarked, "order_id" if "order_id" in orders else "customer_id"].astype(str).head(5)
            raise PlanError(plan.name, "clawback", f"{int(unmarked.sum())} order(s) have a negative amount but are "
                            f"not marked as refunds (is_refund false): {', '.join(ids)}.",
                            "Mark refunds with is_refund = true, or correct the amounts.")
        wrong = (cents > 0) & flag
        if wrong.any():
            ids = orders.loc[wrong, "order_id" if "order_id" in orders else "customer_id"].astype(str).head(5)
            raise PlanError(plan.name, "clawback", f"{int(wrong.sum())} refund row(s) have a positive amount: "
                            f"{', '.join(ids)}.", "Refunds carry negative amounts.")
    refund = cents < 0
    dates = pd.to_datetime(orders["order_date"])
    if dates.isna().any():
        raise InputError(f"orders.order_date: {int(dates.isna().sum())} date(s) missing. Fill them in.")
    out = pd.DataFrame({"rep_id": orders["rep_id"].astype(str).to_numpy(),
                        "customer_id": orders["customer_id"].astype(str).to_numpy(),
                        "month": _month_ordinal(dates), "cents": cents, "refund": refund})

    # new vs renewal business: an order on the customer's first-order day is new
    if "deal_type" in orders.columns:
        out["deal_type"] = orders["deal_type"].astype(str).str.strip().str.lower().to_numpy()
        bad = ~out["deal_type"].isin(["new", "renewal"])
        if bad.any():
            raise InputError(f"orders.deal_type: {int(bad.sum())} value(s) are neither 'new' nor 'renewal' "
                             f"(first: {out.loc[bad, 'deal_type'].iloc[0]!r}).")
    else:
        first = _first_orders(orders).set_index("customer_id")["order_date"]
        first_day = pd.Series(pd.to_datetime(first).reindex(out["customer_id"]).to_numpy()).dt.normalize().to_numpy()
        out["deal_type"] = np.where(dates.dt.normalize().to_numpy() <= first_day, "new", "renewal")

    product = orders["product_line"].astype(str).to_numpy() if "product_line" in orders.columns else None
    comp = np.full(len(out), -1, dtype=np.int64)
    for i, c in enumerate(plan.components):
        mask = out["deal_type"].isin(c.deal_types).to_numpy()
        if c.product_lines is not None:
            if product is None:
                raise PlanError(plan.name, f"commission {c.name!r}", "sets rates per product line but the orders "
                                "have no product_line column.", "Map the CRM's product column to product_line.")
            known = set(pd.unique(product))
            unknown = [p for p in c.product_lines if p not in known]
            if unknown:
                raise PlanError(plan.name, f"commission {c.name!r}", f"product line(s) {', '.join(unknown)} do not "
                                f"occur in the orders (found: {', '.join(sorted(map(str, known)))}).",
                                "Correct the plan's products list.")
            mask = mask & np.isin(product, c.product_lines)
        comp[mask] = i
    out["comp"] = comp

    out["key"] = False
    if plan.key_accounts is not None and any(c.uplift_ppm is not None for c in plan.components):
        if key_accounts is not None:
            keys = set(map(str, key_accounts))
            out["key"] = out["customer_id"].isin(keys).to_numpy()
        elif plan.key_accounts["column"]:
            col = plan.key_accounts["column"]
            if customers is None or col not in customers.columns:
                raise PlanError(plan.name, "key_accounts", f"needs the customers table with column {col!r}.")
            flags = customers.set_index(customers["customer_id"].astype(str))[col].fillna(False).astype(bool)
            out["key"] = out["customer_id"].map(flags).fillna(False).astype(bool).to_numpy()
        else:
            year = out["month"].to_numpy() // 12
            per_year = out.assign(year=year).groupby(["customer_id", "year"])["cents"].sum()
            prior = pd.MultiIndex.from_arrays([out["customer_id"], year - 1])
            prior_sales = per_year.reindex(prior).fillna(0).to_numpy()
            out["key"] = prior_sales >= plan.key_accounts["min_cents"]
    return out


def _employed_months(reps: pd.DataFrame, start: int, end: int) -> pd.DataFrame:
    """(rep_id, month) for every month from ``start`` to ``end`` a rep was employed."""
    months = np.arange(start, end + 1, dtype=np.int64)
    ids = reps["rep_id"].astype(str).to_numpy()
    grid = pd.DataFrame({"rep_id": np.repeat(ids, len(months)), "month": np.tile(months, len(ids))})
    keep = np.ones(len(grid), dtype=bool)
    if "hire_date" in reps.columns:
        hire = pd.to_datetime(reps["hire_date"])
        hire_m = np.where(hire.isna(), np.iinfo(np.int64).min, _month_ordinal(hire.fillna(pd.Timestamp(0))))
        keep &= grid["month"].to_numpy() >= np.repeat(hire_m, len(months))
    if "leave_date" in reps.columns:
        leave = pd.to_datetime(reps["leave_date"])
        leave_m = np.where(leave.isna(), np.iinfo(np.int64).max, _month_ordinal(leave.fillna(pd.Timestamp(0))))
        keep &= grid["month"].to_numpy() <= np.repeat(leave_m, len(months))
    return grid[keep].reset_index(drop=True)


def _active_reps(reps: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    active = _employed_months(reps, first, last)["rep_id"].unique()
    return reps[reps["rep_id"].astype(str).isin(active)]


def _quota_months(quotas: pd.DataFrame | None) -> pd.DataFrame:
    if quotas is None:
        return pd.DataFrame({"rep_id": pd.Series([], dtype=str), "month": np.array([], dtype=np.int64),
                             "quota": np.array([], dtype=np.int64)})
    _require(quotas, ["rep_id", "month", "quota"], "quotas")
    q = pd.DataFrame({"rep_id": quotas["rep_id"].astype(str).to_numpy(), "month": _month_ordinal(quotas["month"]),
                      "quota": _to_cents(quotas["quota"], "quotas.quota")})
    return q.groupby(["rep_id", "month"], as_index=False)["quota"].sum()


# --------------------------------------------------------------------------- payouts


def _frame(parts: list[dict]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame({"rep_id": pd.Series([], dtype=str), "month": np.array([], dtype=np.int64),
                             "rule": pd.Series([], dtype=str), "component": pd.Series([], dtype=str),
                             "tier": pd.array([], dtype="Int64"), "ref": pd.Series([], dtype=str),
                             "base": pd.array([], dtype="Int64"), "rate": np.array([], dtype=np.int64),
                             "amount": np.array([], dtype=np.int64), "rate_na": np.array([], dtype=bool)})
    frames = []
    for p in parts:
        n = len(p["amount"])
        frames.append(pd.DataFrame({
            "rep_id": np.asarray(p["rep_id"]).astype(str), "month": np.asarray(p["month"], dtype=np.int64),
            "rule": p["rule"], "component": p.get("component") or "",
            "tier": pd.array(np.full(n, pd.NA) if p.get("tier") is None else p["tier"], dtype="Int64"),
            "ref": np.full(n, p["ref"], dtype=object) if isinstance(p.get("ref"), str)
            else (np.full(n, "", dtype=object) if p.get("ref") is None else np.asarray(p["ref"], dtype=object)),
            "base": pd.array(np.full(n, pd.NA) if p.get("base") is None else p["base"], dtype="Int64"),
            "rate": np.zeros(n, dtype=np.int64) if p.get("rate") is None else np.asarray(p["rate"], dtype=np.int64),
            "rate_na": np.full(n, p.get("rate") is None),
            "amount": np.asarray(p["amount"], dtype=np.int64),
        }))
    return pd.concat(frames, ignore_index=True)


def payout_lines(
    orders: pd.DataFrame,
    reps: pd.DataFrame,
    quotas: pd.DataFrame | None = None,
    *,
    plan: Plan | str,
    period: str,
    customers: pd.DataFrame | None = None,
    activities: pd.DataFrame | None = None,
    award_winners: pd.DataFrame | None = None,
    key_accounts: Iterable[str] | None = None,
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Line items of every payee's payout for the months of ``period`` under ``plan``.

    Parameters
    ----------
    orders : DataFrame
        ``customer_id, rep_id, order_date, amount`` (+ ``order_id``, ``product_line``,
        ``is_refund``; an optional ``deal_type`` of ``new``/``renewal``). Pass the full
        history: tiers count from the start of their tier period, first orders decide
        new business, the year before decides key accounts.
    reps : DataFrame
        ``rep_id`` (+ ``base_salary`` for the bonus, ``hire_date``/``leave_date`` for draws,
        ``team`` for team awards, the plan's mentor column for the mentor award).
    quotas : DataFrame, optional
        ``rep_id, month, quota``: monthly quotas (bonus, attainment tiers).
    plan : Plan or str
        A plan or the name of one in ``templates/plans``.
    period : str
        ``"2024"``, ``"2025-Q1"`` or ``"2025-03"`` (see :func:`parse_period`).
    customers, activities : DataFrame, optional
        Needed by the referral award (``customer_id, channel``, CSM column) and by
        metric-based process awards (``rep_id, week, visits, calls, demos``).
    award_winners : DataFrame, optional
        ``rep_id, month, award``: winners named by the manager for process awards
        without a metric.
    key_accounts : iterable of str, optional
        Customer ids that are key accounts; default: the plan's ``key_accounts`` rule.
    columns : mapping, optional
        ``{kit column: your column}`` for inputs whose headers differ from the schema.

    Returns
    -------
    DataFrame
        :data:`LINE_COLUMNS`, one row per line item, sorted by rep, month and rule:
        ``month`` (first day), ``rule`` (one of :data:`RULES`), ``component`` (the
        commission component or award; ``rep``/``csm`` for the referral award), ``tier``
        (1-based tier; for the bonus the band, 1 = the highest), ``ref`` (the customer,
        mentee, attainment or metric behind the line), ``base_cents`` and ``rate``
        (``amount_cents = base_cents x rate`` rounded half away from zero; empty for
        fixed awards) and ``amount_cents`` (int64).

    Notes
    -----
    Commission is computed month by month on the sales accumulated since the start of
    the tier period: a month's orders raise it, then its refunds lower it.

    - *marginal*: one ``commission`` line per tier slice the month's sales fill, and one
      ``clawback`` line per slice a refund empties (at that slice's rate);
    - *whole*: ``commission`` on the month's sales at the rate of the tier reached,
      ``clawback`` on refunds at the rate of the tier fallen to, and a ``tier_true_up``
      on the sales already counted (``base``) at the difference of the two rates when
      the tier changes;
    - ``cap``: the change that keeps the tier period's commission at the cap (base: the
      commission before the cap); ``renewal_uplift``: key-account renewal sales at the
      uplift times the tier rate reached that month;
    - ``draw``/``draw_recovery``: the advance that lifts the month's commission (base) to
      the draw, and what later commission pays back; an advance still owed at the end of
      the year is written off.

    Examples
    --------
    >>> orders = pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["C1", "C1"],
    ...     "rep_id": ["R1", "R1"], "order_date": pd.to_datetime(["2024-01-05", "2024-02-05"]),
    ...     "amount": [1_500_000.0, 1_000_000.0]})
    >>> reps = pd.DataFrame({"rep_id": ["R1"]})
    >>> lines = payout_lines(orders, reps, plan=modify_plan("domain_marginal", {"bonus": None}), period="2024")
    >>> lines[["month", "rule", "tier", "base_cents", "rate", "amount_cents"]]
           month        rule  tier  base_cents  rate  amount_cents
    0 2024-01-01  commission     1   100000000  0.08       8000000
    1 2024-01-01  commission     2    50000000  0.10       5000000
    2 2024-02-01  commission     2    50000000  0.10       5000000
    3 2024-02-01  commission     3    50000000  0.12       6000000
    >>> int(lines["amount_cents"].sum()) // 100
    240000
    """
    plan = load_plan(plan)
    orders, reps = _rename(orders, columns), _rename(reps, columns)
    quotas, customers = _rename(quotas, columns), _rename(customers, columns)
    activities, award_winners = _rename(activities, columns), _rename(award_winners, columns)
    _require(reps, ["rep_id"], "reps")
    first_p, last_p = parse_period(period)
    first, last = first_p.ordinal, last_p.ordinal
    start = first - first % 12  # tiers and draws count from the start of their year at most
    o = _prepare_orders(orders, plan, customers, key_accounts)
    q = _quota_months(quotas)
    in_range = (o["month"] >= start) & (o["month"] <= last)
    parts: list[dict] = []

    # commission components
    for i, comp in enumerate(plan.components):
        mine = o[in_range & (o["comp"] == i)]
        if not plan.clawback:
            mine = mine[~mine["refund"]]
        agg = mine.assign(
            gross=np.where(mine["refund"], 0, mine["cents"]), refund=np.where(mine["refund"], mine["cents"], 0),
            key_renewal=np.where(mine["key"] & (mine["deal_type"] == "renewal"), mine["cents"], 0),
        ).groupby(["rep_id", "month"], as_index=False, sort=True)[["gross", "refund", "key_renewal"]].sum()
        agg["net"] = agg["gross"] + agg["refund"]
        agg["window"] = _window(agg["month"].to_numpy(np.int64), comp.tier_period)
        window_quota = None
        if comp.basis == "attainment":
            wq = q[(q["month"] >= start) & (q["month"] <= start + 11)]
            wq = wq.assign(window=_window(wq["month"].to_numpy(np.int64), comp.tier_period))
            wq = wq.groupby(["rep_id", "window"])["quota"].sum()
            idx = pd.MultiIndex.from_arrays([agg["rep_id"], agg["window"]])
            window_quota = wq.reindex(idx).fillna(0).to_numpy(np.int64)
            if (window_quota <= 0).any():
                who = sorted(agg.loc[window_quota <= 0, "rep_id"].unique())
                warnings.warn(f"plan {plan.name!r}, rule commission {comp.name!r}: no quota for rep(s) "
                              f"{', '.join(who[:10])}; only the first tier's rate applies to them.",
                              PlaybookWarning, stacklevel=2)
        parts += _component_lines(agg, comp, window_quota)

    # draw against commission (recoverable: advanced and recovered within the year)
    if plan.draw is not None:
        d = plan.draw["amount_cents"]
        earned = _frame(parts)
        earned = earned.groupby(["rep_id", "month"])["amount"].sum()
        grid = _employed_months(reps, start, last)
        e = earned.reindex(pd.MultiIndex.from_frame(grid)).fillna(0).to_numpy(np.int64)
        if plan.draw["recoverable"]:
            g = grid.assign(e=e, year=grid["month"] // 12)
            keys = [g["rep_id"], g["year"]]
            ce = g.groupby(keys)["e"].cumsum().to_numpy(np.int64)
            k = g.groupby(keys).cumcount().to_numpy(np.int64) + 1
            x = pd.Series(ce - k * d).groupby([g["rep_id"].to_numpy(), g["year"].to_numpy()]).cummax()
            paid = k * d + np.maximum(x.to_numpy(np.int64), 0)  # P_m = max(P_m-1 + draw, cumulative earned)
            paid_month = paid - pd.Series(paid).groupby([g["rep_id"].to_numpy(), g["year"].to_numpy()]).shift(
                fill_value=0).to_numpy(np.int64)
            line = paid_month - e
        else:
            line = np.maximum(d - e, 0)
        for rule, m in (("draw", line > 0), ("draw_recovery", line < 0)):
            if m.any():
                parts.append({"rep_id": grid["rep_id"].to_numpy()[m], "month": grid["month"].to_numpy()[m],
                              "rule": rule, "base": e[m], "amount": line[m],
                              "ref": str(Decimal(d) / 100)})

    # monthly bonus rule
    if plan.bonus_bands is not None:
        qm = q[(q["month"] >= first) & (q["month"] <= last) & (q["quota"] > 0)]
        net = o.groupby(["rep_id", "month"])["cents"].sum()
        qm = qm.assign(net=net.reindex(pd.MultiIndex.from_frame(qm[["rep_id", "month"]])).fillna(0)
                       .to_numpy(np.int64))
        if len(qm):
            if "base_salary" not in reps.columns:
                raise PlanError(plan.name, "bonus", "pays a share of the monthly base salary but reps have no "
                                "base_salary column.", "Add base_salary to the reps table or remove the bonus rule.")
            salary = reps.set_index(reps["rep_id"].astype(str))["base_salary"]
            sal = pd.to_numeric(qm["rep_id"].map(salary), errors="coerce")
            if sal.isna().any():
                who = sorted(qm.loc[sal.isna().to_numpy(), "rep_id"].unique())
                raise PlanError(plan.name, "bonus", f"base salary missing for rep(s) {', '.join(who[:10])}"
                                + (" …" if len(who) > 10 else "") + ".",
                                "Fill reps.base_salary (monthly, CNY) or remove the bonus rule.")
            sal_cents = np.round(sal.to_numpy(float) * 100).astype(np.int64)
            lhs = qm["net"].to_numpy(np.int64) * _PPM
            quota = qm["quota"].to_numpy(np.int64)
            pct = np.zeros(len(qm), dtype=np.int64)
            band = np.zeros(len(qm), dtype=np.int64)
            for j, (min_ppm, share) in enumerate(reversed(plan.bonus_bands)):  # ascending: higher bands win
                hit = lhs >= min_ppm * quota
                pct = np.where(hit, share, pct)
                band = np.where(hit, len(plan.bonus_bands) - j, band)
            att = (qm["net"].to_numpy(np.int64) * 10_000) // quota
            ref = np.char.add(np.char.mod("%.2f", att / 100), "%")
            m = pct > 0
            parts.append({"rep_id": qm["rep_id"].to_numpy()[m], "month": qm["month"].to_numpy()[m], "rule": "bonus",
                          "tier": band[m], "ref": ref[m].astype(object), "base": sal_cents[m], "rate": pct[m],
                          "amount": _mul(sal_cents[m], pct[m])})

    # referral award: a fixed amount each to the rep and the CSM when a referred customer first orders
    if plan.referral is not None:
        ref_rule = plan.referral
        _require(customers, ["customer_id", "channel"], "customers (needed by rule referral_award)")
        csm_col = ref_rule["csm_column"]
        if csm_col and csm_col not in customers.columns:
            raise PlanError(plan.name, "referral_award", f"the CSM column {csm_col!r} is not in customers.",
                            "Set referral_award.csm_column to the customers column naming the CSM.")
        firsts = _first_orders(orders)
        firsts = firsts.assign(month=_month_ordinal(firsts["order_date"]))
        cust = customers.set_index(customers["customer_id"].astype(str))
        firsts = firsts[(firsts["month"] >= first) & (firsts["month"] <= last)]
        channel = firsts["customer_id"].astype(str).map(cust["channel"].astype(str))
        firsts = firsts[(channel == ref_rule["channel"]).to_numpy()]
        amount = ref_rule["amount_cents"]
        payees = []
        if ref_rule["rep"]:
            payees.append(("rep", firsts["rep_id"].astype(str)))
        if csm_col:
            payees.append(("csm", firsts["customer_id"].astype(str).map(cust[csm_col])))
        employed = pd.MultiIndex.from_frame(_employed_months(reps, first, last))
        rep_ids = reps["rep_id"].astype(str)
        for role, who in payees:
            # a payee who is a rep must be employed that month (an account may change owner later)
            pair = pd.MultiIndex.from_arrays([who.astype(str).to_numpy(), firsts["month"].to_numpy(np.int64)])
            ok = who.notna().to_numpy() & (~who.astype(str).isin(rep_ids).to_numpy() | pair.isin(employed))
            parts.append({"rep_id": who.to_numpy()[ok], "month": firsts["month"].to_numpy()[ok],
                          "rule": "referral_award", "component": role,
                          "ref": firsts["customer_id"].astype(str).to_numpy()[ok].astype(object),
                          "amount": np.full(int(ok.sum()), amount)})

    # mentor award (伯乐奖): the mentor of a rep whose first deal falls in the period
    if plan.mentor is not None:
        col = plan.mentor["mentor_column"]
        if col not in reps.columns:
            raise PlanError(plan.name, "mentor_award", f"the mentor column {col!r} is not in reps.",
                            "Set mentor_award.mentor_column (e.g. manager_id) or add the column.")
        pos = orders.loc[orders["amount"] > 0, ["rep_id", "order_date"]]
        first_deal = pd.to_datetime(pos["order_date"]).groupby(pos["rep_id"].astype(str)).min()
        r = reps.assign(rep_id=reps["rep_id"].astype(str))
        r = r[r[col].notna()]
        r = r.assign(first_deal=pd.to_datetime(first_deal).reindex(r["rep_id"]).to_numpy())
        r = r[r["first_deal"].notna()]
        if plan.mentor["within_days"] is not None and "hire_date" in r.columns:
            days = (r["first_deal"] - pd.to_datetime(r["hire_date"])).dt.days
            r = r[days.isna() | (days <= plan.mentor["within_days"])]
        month = _month_ordinal(r["first_deal"]) if len(r) else np.array([], dtype=np.int64)
        m = (month >= first) & (month <= last)
        parts.append({"rep_id": r[col].astype(str).to_numpy()[m], "month": month[m], "rule": "mentor_award",
                      "ref": r["rep_id"].to_numpy()[m].astype(object),
                      "amount": np.full(int(m.sum()), plan.mentor["amount_cents"])})

    # process awards: top reps on an activity metric, or winners named by the manager
    for award in plan.process_awards:
        rule = f"process_awards {award['name']!r}"
        if award["metric"]:
            _require(activities, ["rep_id", "week", award["metric"]], f"activities (needed by rule {rule})")
            act = pd.DataFrame({"rep_id": activities["rep_id"].astype(str).to_numpy(),
                                "month": _month_ordinal(activities["week"]),
                                "value": pd.to_numeric(activities[award["metric"]], errors="coerce").fillna(0)})
            act = act[(act["month"] >= first) & (act["month"] <= last)]
            act = act.groupby(["rep_id", "month"], as_index=False)["value"].sum()
            act = act[act["value"] > 0]
            if award["within"] == "team":
                _require(reps, ["rep_id", "team"], f"reps (needed by rule {rule})")
                act["group"] = act["rep_id"].map(reps.set_index(reps["rep_id"].astype(str))["team"]).astype(str)
            else:
                act["group"] = ""
            rank = act.groupby(["group", "month"])["value"].rank(method="min", ascending=False)
            win = act[(rank <= award["top"]).to_numpy()]
            refs = np.char.mod("%g", win["value"].to_numpy(float)).astype(object)
            parts.append({"rep_id": win["rep_id"].to_numpy(), "month": win["month"].to_numpy(),
                          "rule": "process_award", "component": award["name"], "ref": refs,
                          "amount": np.full(len(win), award["amount_cents"])})
        elif award_winners is not None:
            _require(award_winners, ["rep_id", "month", "award"], "award_winners")
            w = award_winners[award_winners["award"].astype(str) == award["name"]]
            month = _month_ordinal(w["month"])
            m = (month >= first) & (month <= last)
            parts.append({"rep_id": w["rep_id"].astype(str).to_numpy()[m], "month": month[m],
                          "rule": "process_award", "component": award["name"],
                          "amount": np.full(int(m.sum()), award["amount_cents"])})
    if award_winners is not None:
        _require(award_winners, ["rep_id", "month", "award"], "award_winners")
        known = {a["name"] for a in plan.process_awards if not a["metric"]}
        unknown = sorted(set(award_winners["award"].astype(str)) - known)
        if unknown:
            raise ParameterError("award_winners", unknown, "award names of the plan's process_awards without a "
                                 f"metric ({', '.join(sorted(known)) or 'none'})")

    lines = _frame(parts)
    lines = lines[(lines["month"] >= first) & (lines["month"] <= last)]
    order = {r: i for i, r in enumerate(RULES)}
    lines = lines.assign(_r=lines["rule"].map(order)).sort_values(
        ["rep_id", "month", "_r", "component", "tier"], kind="stable").reset_index(drop=True)
    rate = (lines["rate"].to_numpy(np.int64) / _PPM).astype(float)
    rate[lines["rate_na"].to_numpy(bool)] = np.nan
    return pd.DataFrame({
        "rep_id": lines["rep_id"].astype(str), "month": _month_ts(lines["month"].to_numpy(np.int64)),
        "rule": lines["rule"].astype(str), "component": lines["component"].astype(str),
        "tier": lines["tier"].astype("Int64"), "ref": lines["ref"].fillna("").astype(str),
        "base_cents": lines["base"].astype("Int64"), "rate": rate,
        "amount_cents": lines["amount"].astype(np.int64),
    })[LINE_COLUMNS]


def rep_payouts(
    lines: pd.DataFrame,
    orders: pd.DataFrame,
    reps: pd.DataFrame,
    *,
    period: str,
) -> pd.DataFrame:
    """Payout per payee for ``period``: totals per category, each the exact sum of its lines.

    Every rep employed during the period gets a row (zeros when nothing is due); payees
    outside ``reps`` (e.g. a CSM) get a row with an empty name. ``effective_rate`` is
    commission plus clawback over net sales.

    Returns
    -------
    DataFrame
        :data:`REP_COLUMNS`, sorted by team and rep.

    Examples
    --------
    >>> lines = pd.DataFrame({"rep_id": ["R1", "R1"], "rule": ["commission", "bonus"],
    ...                       "amount_cents": [800_00, 50_00]})
    >>> orders = pd.DataFrame({"rep_id": ["R1"], "order_date": pd.to_datetime(["2024-05-02"]),
    ...                        "amount": [10_000.0]})
    >>> reps = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann", "Bo"], "team": ["A", "A"]})
    >>> rep_payouts(lines, orders, reps, period="2024")[["rep_id", "commission_cents", "bonus_cents",
    ...                                                  "total_cents", "effective_rate"]]
      rep_id  commission_cents  bonus_cents  total_cents  effective_rate
    0     R1             80000         5000        85000            0.08
    1     R2                 0            0            0             NaN
    """
    first_p, last_p = parse_period(period)
    first, last = first_p.ordinal, last_p.ordinal
    _require(reps, ["rep_id"], "reps")
    _require(lines, ["rep_id", "rule", "amount_cents"], "lines")
    unknown = sorted(set(lines["rule"]) - set(RULE_CATEGORY))
    if unknown:
        raise InputError(f"lines: unknown rule(s) {', '.join(unknown)}; expected {', '.join(RULES)}.")
    cat = lines.assign(category=lines["rule"].map(RULE_CATEGORY), rep_id=lines["rep_id"].astype(str))
    table = cat.groupby(["rep_id", "category"])["amount_cents"].sum().unstack(fill_value=0)
    table = table.reindex(columns=list(_CATEGORIES), fill_value=0)
    active = _active_reps(reps, first, last)
    ids = list(dict.fromkeys(list(active["rep_id"].astype(str)) + sorted(table.index)))
    out = pd.DataFrame({"rep_id": ids})
    info = reps.assign(rep_id=reps["rep_id"].astype(str)).drop_duplicates("rep_id").set_index("rep_id")
    for col in ("name", "team"):
        out[col] = out["rep_id"].map(info[col]) if col in info.columns else pd.NA
    if len(orders):
        _require(orders, ["rep_id", "order_date", "amount"], "orders")
        month = _month_ordinal(orders["order_date"])
        keep = (month >= first) & (month <= last)
        net = pd.Series(_to_cents(orders["amount"][keep], "orders.amount"),
                        index=orders["rep_id"][keep].astype(str).to_numpy()).groupby(level=0).sum()
    else:
        net = pd.Series(dtype=np.int64)
    out["net_sales_cents"] = out["rep_id"].map(net).fillna(0).astype(np.int64)
    for c in _CATEGORIES:
        out[f"{c}_cents"] = out["rep_id"].map(table[c]).fillna(0).astype(np.int64)
    out["total_cents"] = out[[f"{c}_cents" for c in _CATEGORIES]].sum(axis=1).astype(np.int64)
    sales = out["net_sales_cents"].where(out["net_sales_cents"] > 0)
    out["effective_rate"] = ((out["commission_cents"] + out["clawback_cents"]) / sales).astype(float)
    out = out.sort_values(["team", "rep_id"], kind="stable", na_position="last").reset_index(drop=True)
    return out[REP_COLUMNS]


@dataclass(frozen=True, eq=False)
class PayoutRun:
    """One plan applied to one period: the line items and the payout per rep."""

    plan: Plan
    period: str
    lines: pd.DataFrame
    by_rep: pd.DataFrame

    def summary(self, lang: str = "en") -> pd.DataFrame:
        """Return :func:`plan_summary` of this run."""
        return plan_summary(self, lang=lang)


def run_plan(
    orders: pd.DataFrame,
    reps: pd.DataFrame,
    quotas: pd.DataFrame | None = None,
    *,
    plan: Plan | str,
    period: str,
    customers: pd.DataFrame | None = None,
    activities: pd.DataFrame | None = None,
    award_winners: pd.DataFrame | None = None,
    key_accounts: Iterable[str] | None = None,
    columns: Mapping[str, str] | None = None,
) -> PayoutRun:
    """Apply ``plan`` to ``period``: :func:`payout_lines` and :func:`rep_payouts` in one call.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": ["C1"], "rep_id": ["R1"],
    ...                        "order_date": pd.to_datetime(["2024-03-01"]), "amount": [2_500_000.0]})
    >>> run = run_plan(orders, pd.DataFrame({"rep_id": ["R1"], "name": ["Ann"], "team": ["A"]}),
    ...                plan=modify_plan("domain_whole", {"bonus": None}), period="2024-Q1")
    >>> int(run.by_rep.loc[0, "total_cents"]) == int(run.lines["amount_cents"].sum()) == 300_000_00
    True
    """
    plan = load_plan(plan)
    lines = payout_lines(orders, reps, quotas, plan=plan, period=period, customers=customers,
                         activities=activities, award_winners=award_winners, key_accounts=key_accounts,
                         columns=columns)
    by_rep = rep_payouts(lines, _rename(orders, columns), _rename(reps, columns), period=period)
    return PayoutRun(plan, period, lines, by_rep)


def plan_summary(*runs: PayoutRun, lang: str = "en") -> pd.DataFrame:
    """One row per run: total cost, cost-of-sales ratio, effective rate, payout distribution.

    Pass two runs of the same period to see the plans side by side.

    ``cost_ratio`` is the total payout over net sales; ``top_decile_share`` the share of
    the total paid to the best-paid 10% of payees (at least one).

    Examples
    --------
    >>> by_rep = pd.DataFrame({c: [0, 0] for c in REP_COLUMNS})
    >>> by_rep["net_sales_cents"] = [100_000, 300_000]
    >>> by_rep["commission_cents"] = by_rep["total_cents"] = [8_000, 24_000]
    >>> run = PayoutRun(parse_plan({}, name="p"), "2024", pd.DataFrame(), by_rep)
    >>> plan_summary(run)[["plan", "total_cents", "cost_ratio", "top_decile_share"]]
      plan  total_cents  cost_ratio  top_decile_share
    0    p        32000        0.08              0.75
    """
    if not runs:
        raise ParameterError("runs", runs, "at least one PayoutRun")
    return pd.DataFrame([_summary_row(run, lang) for run in runs])[SUMMARY_COLUMNS]


def _summary_row(run: PayoutRun, lang: str) -> dict[str, Any]:
    b = run.by_rep
    total = int(b["total_cents"].sum())
    sales = int(b["net_sales_cents"].sum())
    row: dict[str, Any] = {"plan": run.plan.label(lang), "payees": int((b["total_cents"] != 0).sum())}
    row["net_sales_cents"] = sales
    for c in _CATEGORIES:
        row[f"{c}_cents"] = int(b[f"{c}_cents"].sum())
    row["total_cents"] = total
    row["cost_ratio"] = total / sales if sales > 0 else float("nan")
    row["effective_rate"] = (row["commission_cents"] + row["clawback_cents"]) / sales if sales > 0 else float("nan")
    paid = b["total_cents"].to_numpy(np.int64)
    row["median_payout_cents"] = float(np.median(paid)) if len(paid) else float("nan")
    row["p90_payout_cents"] = float(np.quantile(paid, 0.9)) if len(paid) else float("nan")
    row["max_payout_cents"] = int(paid.max()) if len(paid) else 0
    top = max(1, math.ceil(len(paid) * 0.1))
    row["top_decile_share"] = float(np.sort(paid)[::-1][:top].sum() / total) if total > 0 else float("nan")
    return row


def compare_plans(a: PayoutRun, b: PayoutRun) -> pd.DataFrame:
    """Per rep: payout under plan A and plan B, the change, and who gains or loses.

    Returns
    -------
    DataFrame
        :data:`COMPARE_COLUMNS`; ``outcome`` is ``gains``, ``loses`` or ``same`` (B
        against A); ``change_pct`` is relative to A (NaN when A pays nothing). Sorted
        by change, biggest gain first.

    Examples
    --------
    >>> def run(totals):
    ...     by_rep = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann", "Bo"], "team": ["A", "A"],
    ...                            "net_sales_cents": [1000, 1000], "total_cents": totals,
    ...                            "effective_rate": [0.1, 0.1]})
    ...     return PayoutRun(parse_plan({}, name="p"), "2024", pd.DataFrame(), by_rep)
    >>> compare_plans(run([100, 200]), run([150, 200]))[["rep_id", "change_cents", "outcome"]]
      rep_id  change_cents outcome
    0     R1            50   gains
    1     R2             0    same
    """
    cols = ["rep_id", "name", "team", "net_sales_cents", "total_cents", "effective_rate"]
    left = a.by_rep[cols].rename(columns={"total_cents": "payout_a_cents", "effective_rate": "effective_rate_a"})
    right = b.by_rep[["rep_id", "name", "team", "net_sales_cents", "total_cents", "effective_rate"]].rename(
        columns={"total_cents": "payout_b_cents", "effective_rate": "effective_rate_b", "name": "name_b",
                 "team": "team_b", "net_sales_cents": "sales_b"})
    out = left.merge(right, on="rep_id", how="outer")
    out["name"] = out["name"].fillna(out["name_b"])
    out["team"] = out["team"].fillna(out["team_b"])
    out["net_sales_cents"] = out["net_sales_cents"].fillna(out["sales_b"]).fillna(0).astype(np.int64)
    for c in ("payout_a_cents", "payout_b_cents"):
        out[c] = out[c].fillna(0).astype(np.int64)
    out["change_cents"] = (out["payout_b_cents"] - out["payout_a_cents"]).astype(np.int64)
    base = out["payout_a_cents"].where(out["payout_a_cents"] != 0)
    out["change_pct"] = (out["change_cents"] / base).astype(float)
    out["outcome"] = np.select([out["change_cents"] > 0, out["change_cents"] < 0], ["gains", "loses"], "same")
    out = out.sort_values(["change_cents", "rep_id"], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)[COMPARE_COLUMNS]


def commission_table(
    sales: Iterable[float] | float,
    *,
    plan: Plan | str,
    component: str | int = 0,
    quota: float | None = None,
) -> pd.DataFrame:
    """Commission of one component for sales totals within one tier period (no prior sales).

    Useful for curves and for checking a plan by hand; the cap applies, the renewal
    uplift does not. ``quota`` is the tier period's quota (``basis: attainment``).

    Examples
    --------
    >>> commission_table([500_000, 1_000_000, 2_500_000], plan="domain_marginal")
       sales_cents  commission_cents
    0     50000000           4000000
    1    100000000           8000000
    2    250000000          24000000
    """
    plan = load_plan(plan)
    comps = {c.name: c for c in plan.components}
    if isinstance(component, int) and 0 <= component < len(plan.components):
        comp = plan.components[component]
    elif component in comps:
        comp = comps[str(component)]
    else:
        raise ParameterError("component", component, f"a component of plan {plan.name!r}: {', '.join(comps)}")
    values = pd.Series(np.atleast_1d(np.asarray(sales, dtype=float)))
    cents = np.round(values.to_numpy() * 100).astype(np.int64)
    if comp.basis == "attainment" and quota is None:
        raise ParameterError("quota", quota, f"the tier period's quota: component {comp.name!r} has attainment tiers")
    n = len(cents)
    agg = pd.DataFrame({"rep_id": np.arange(n).astype(str), "month": np.zeros(n, dtype=np.int64),
                        "gross": np.maximum(cents, 0), "refund": np.minimum(cents, 0), "key_renewal": 0,
                        "window": np.zeros(n, dtype=np.int64)})
    agg["net"] = agg["gross"] + agg["refund"]
    wq = None if quota is None else np.full(n, int(round(quota * 100)), dtype=np.int64)
    parts = _component_lines(agg, dataclasses.replace(comp, uplift_ppm=None), wq)
    lines = _frame(parts)
    total = lines.groupby("rep_id")["amount"].sum()
    commission = pd.Series(np.arange(n).astype(str)).map(total).fillna(0).astype(np.int64)
    return pd.DataFrame({"sales_cents": cents, "commission_cents": commission.to_numpy(np.int64)})


def commission_for_sales(
    sales: float | int | Decimal | str,
    *,
    plan: Plan | str,
    component: str | int = 0,
    quota: float | None = None,
) -> Decimal:
    """Commission in CNY (exact, two decimals) on ``sales`` CNY within one tier period.

    Examples
    --------
    >>> commission_for_sales("1000000", plan="domain_whole"), commission_for_sales(999_990, plan="domain_whole")
    (Decimal('100000.00'), Decimal('79999.20'))
    """
    amount = Decimal(str(sales)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    table = commission_table([float(amount)], plan=plan, component=component, quota=quota)
    return (Decimal(int(table["commission_cents"].iloc[0])) / 100).quantize(Decimal("0.01"))


# --------------------------------------------------------------------------- scorecards


@dataclass(frozen=True)
class ScorecardPreset:
    """Weights of the KPIs (data) and the flags a culture preset raises."""

    name: str
    title: dict[str, str]
    weights: dict[str, float]
    bottom_share: float | None = None
    reward_metric: str | None = None
    reward_share: float | None = None

    def label(self, lang: str = "en") -> str:
        """Return the preset's title in ``lang``."""
        return str(self.title.get(lang) or self.title.get("en") or self.name)


def _parse_preset(name: str, raw: Any) -> ScorecardPreset:
    where = f"scorecard preset {name!r}"
    if not isinstance(raw, dict) or not isinstance(raw.get("weights"), dict) or not raw["weights"]:
        raise InputError(f"{where}: needs 'weights': a mapping of KPI -> weight.")
    unknown = sorted(set(raw) - {"title", "weights", "flags"})
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: title, weights, flags.")
    known = set(KPIS) | {k + "_change" for k in KPIS}
    weights = {}
    for kpi, w in raw["weights"].items():
        if kpi not in known:
            raise InputError(f"{where}: unknown KPI {kpi!r}; use one of {', '.join(sorted(known))}.")
        if isinstance(w, bool) or not isinstance(w, (int, float)) or w < 0:
            raise InputError(f"{where}: weight of {kpi!r} must be a number >= 0, got {w!r}.")
        weights[kpi] = float(w)
    if sum(weights.values()) <= 0:
        raise InputError(f"{where}: at least one weight must be above 0.")
    flags = raw.get("flags") or {}
    bad = sorted(set(flags) - {"bottom_share", "reward_metric", "reward_share"})
    if bad:
        raise InputError(f"{where}: unknown flag(s) {', '.join(bad)}; allowed: bottom_share, reward_metric, "
                         "reward_share.")
    for key in ("bottom_share", "reward_share"):
        v = flags.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= 1):
            raise InputError(f"{where}: flags.{key} must be a share in (0, 1], got {v!r}.")
    metric = flags.get("reward_metric")
    if metric is not None and metric not in known:
        raise InputError(f"{where}: flags.reward_metric {metric!r} is not a KPI.")
    if (metric is None) != (flags.get("reward_share") is None):
        raise InputError(f"{where}: give both flags.reward_metric and flags.reward_share, or neither.")
    title = raw.get("title") or {}
    return ScorecardPreset(name, {str(k): str(v) for k, v in title.items()}, weights, flags.get("bottom_share"),
                           metric, flags.get("reward_share"))


def load_presets(path: str | Path | None = None) -> dict[str, ScorecardPreset]:
    """Load the scorecard presets (``templates/scorecard_presets.yaml`` by default).

    Examples
    --------
    >>> presets = load_presets()
    >>> sorted(presets), presets["wolf"].bottom_share
    (['learning', 'wolf'], 0.1)
    """
    file = paths.resolve(path) if path else PRESETS_PATH
    data = yaml.safe_load(Path(file).read_text(encoding="utf-8")) or {}
    return {str(k): _parse_preset(str(k), v) for k, v in data.items()}


def _kpis(orders: pd.DataFrame, quotas: pd.DataFrame | None, activities: pd.DataFrame | None,
          first: int, last: int) -> pd.DataFrame:
    """Monthly KPIs per rep for month ordinals ``first..last`` (index: rep_id, month ordinal)."""
    _require(orders, ["customer_id", "rep_id", "order_date", "amount"], "orders")
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
    if activities is not None:
        _require(activities, ["rep_id", "week", "visits"], "activities")
        a = pd.DataFrame({"rep_id": activities["rep_id"].astype(str).to_numpy(),
                          "month": _month_ordinal(activities["week"]),
                          "visits": pd.to_numeric(activities["visits"], errors="coerce").fillna(0).astype(np.int64)})
        visits = a[(a["month"] >= first) & (a["month"] <= last)].groupby(["rep_id", "month"])["visits"].sum()
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
    this month (from any rep); ``visits`` sums the weeks starting in the month.

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
    out = _kpis(orders, quotas, activities, first.ordinal, last.ordinal)
    out["attainment"] = (out["sales_cents"] / out["quota_cents"].where(out["quota_cents"] > 0)).astype(float)
    out["retention"] = (out["retained_customers"] / out["prior_customers"].where(out["prior_customers"] > 0)
                        ).astype(float)
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
    out["attainment"] = (out["sales_cents"] / out["quota_cents"].where(out["quota_cents"] > 0)).astype(float)
    out["retention"] = (out["retained_customers"] / out["prior_customers"].where(out["prior_customers"] > 0)
                        ).astype(float)
    return out


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
    _require(reps, ["rep_id"], "reps")
    if isinstance(preset, str):
        all_presets = dict(presets) if presets is not None else load_presets()
        if preset not in all_presets:
            raise ParameterError("preset", preset, "one of " + ", ".join(sorted(all_presets)))
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
    ['rep_id', 'name', 'team', 'rank_wolf', 'rank_learning']
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


# --------------------------------------------------------------------------- HR statements


def payout_statement(run: PayoutRun, *, rep_id: str) -> dict[str, pd.DataFrame]:
    """One payee's payout statement for the run's period, as frames (no I/O).

    Returns
    -------
    dict of DataFrame
        ``summary``: one row (rep, name, team, plan, period, currency and the
        ``*_cents`` totals of :data:`REP_COLUMNS`); ``by_rule``: ``rule, amount_cents``
        (the total per rule, adding up to ``total_cents``); ``lines``: the rep's line
        items (:data:`LINE_COLUMNS`), each amount traceable to its rule, base and rate.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": ["C1"], "rep_id": ["R1"],
    ...                        "order_date": pd.to_datetime(["2024-03-01"]), "amount": [1_200_000.0]})
    >>> run = run_plan(orders, pd.DataFrame({"rep_id": ["R1"], "name": ["Ann"], "team": ["A"]}),
    ...                plan=modify_plan("domain_marginal", {"bonus": None}), period="2024")
    >>> st = payout_statement(run, rep_id="R1")
    >>> st["by_rule"]
             rule  amount_cents
    0  commission      10000000
    >>> int(st["summary"].loc[0, "total_cents"])
    10000000
    """
    rep_id = str(rep_id)
    row = run.by_rep[run.by_rep["rep_id"].astype(str) == rep_id]
    if row.empty:
        raise ParameterError("rep_id", rep_id, f"a payee of plan {run.plan.name!r} in {run.period}")
    summary = row.drop(columns=["effective_rate"]).assign(plan=run.plan.name, period=run.period, currency="CNY")
    summary = summary[["rep_id", "name", "team", "plan", "period", "currency",
                       *[c for c in REP_COLUMNS if c.endswith("_cents")]]].reset_index(drop=True)
    lines = run.lines[run.lines["rep_id"].astype(str) == rep_id].reset_index(drop=True)
    by_rule = lines.groupby("rule", sort=False)["amount_cents"].sum()
    by_rule = by_rule.reindex([r for r in RULES if r in by_rule.index]).astype(np.int64)
    by_rule = by_rule.rename_axis("rule").reset_index()
    return {"summary": summary, "by_rule": by_rule, "lines": lines}


def column_label(column: str, lang: str = "en") -> str:
    """Header for ``column`` in ``lang`` (``incentives.col.*``, then the shared ``col.*``).

    Examples
    --------
    >>> column_label("rate", "zh"), column_label("rep_id", "en")
    ('比例', 'Rep ID')
    """
    from playbook.labels import catalogue, check_lang

    cat = catalogue()
    check_lang(lang)
    for key in (f"incentives.col.{column}", f"col.{column}"):
        if key in cat:
            return cat[key][lang]
    return column


def display_frame(frame: pd.DataFrame, *, lang: str = "en") -> pd.DataFrame:
    """Return a frame for people: ``*_cents`` as CNY, months as ``YYYY-MM``, rules and headers in ``lang``.

    Money columns lose their ``_cents`` suffix and hold CNY with two decimals (for display
    and export only: compute with the cents).

    Examples
    --------
    >>> lines = pd.DataFrame({"rule": ["bonus"], "month": pd.to_datetime(["2025-01-01"]),
    ...                       "amount_cents": [72000]})
    >>> display_frame(lines, lang="zh")
         规则       月份     金额
    0  月度奖金  2025-01  720.0
    """
    from playbook.labels import catalogue

    cat = catalogue()

    def tr(prefix: str, value: Any) -> Any:
        if pd.isna(value) or value == "":
            return value
        parts = [cat.get(f"{prefix}.{v}", {}).get(lang, v) for v in str(value).split(";")]
        return "; ".join(parts)

    out = frame.copy()
    for col in [c for c in out.columns if c.endswith("_cents")]:
        # int / 100 is correctly rounded: the nearest float to the exact CNY amount
        out[col] = pd.to_numeric(out[col]).astype(float) / 100
    out = out.rename(columns={c: c[: -len("_cents")] for c in out.columns if c.endswith("_cents")})
    if "month" in out.columns:
        out["month"] = pd.to_datetime(out["month"]).dt.strftime("%Y-%m")
    for col, prefix in (("rule", "incentives.rule"), ("component", "incentives.component"),
                        ("outcome", "incentives.outcome"), ("flag", "incentives.flag")):
        if col in out.columns:
            out[col] = out[col].map({v: tr(prefix, v) for v in out[col].dropna().unique()})
    return out.rename(columns={c: column_label(c, lang) for c in out.columns})


def write_statement(statement: Mapping[str, pd.DataFrame], path: str | Path, *, lang: str = "en") -> Path:
    """Write one statement from :func:`payout_statement` to an Excel workbook (three sheets).

    Amounts are written in CNY with two decimals; headers and rule names in ``lang``.
    """
    from playbook.labels import check_lang, t

    check_lang(lang)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        for key in ("summary", "by_rule", "lines"):
            sheet = t(f"incentives.sheet.{key}", lang)
            display_frame(statement[key], lang=lang).to_excel(xl, sheet_name=sheet, index=False)
    return path


def write_statements(run: PayoutRun, out_dir: str | Path, *, lang: str = "en") -> list[Path]:
    """Write one Excel statement per payee of ``run`` to ``out_dir`` (``<rep_id>_<period>.xlsx``)."""
    return [write_statement(payout_statement(run, rep_id=r), Path(out_dir) / f"{r}_{run.period}.xlsx", lang=lang)
            for r in run.by_rep["rep_id"].astype(str)]


# --------------------------------------------------------------------------- what-if (commission calculator app)

WHAT_IF_COLUMNS = ["month", "rule", "component", "tier", "rate", "base_cents", "now_cents", "after_cents",
                   "change_cents"]
"""Columns of :func:`line_changes`."""


def commission_lines(
    sales: float | int | Decimal | str,
    *,
    plan: Plan | str,
    component: str | int = 0,
    quota: float | None = None,
) -> pd.DataFrame:
    """Line items of one component's commission on ``sales`` CNY within one tier period (no prior sales).

    The itemised form of :func:`commission_table` for one total: in ``marginal`` mode one
    line per tier reached (its slice x its rate), in ``whole`` mode one line at the
    reached tier's rate on everything; then the cap when it bites. The amounts add up
    to :func:`commission_for_sales` exactly. ``quota`` is the tier period's quota in CNY
    (needed for ``basis: attainment``).

    Returns
    -------
    DataFrame
        ``rule, component, tier, base_cents, rate, amount_cents`` (as in :data:`LINE_COLUMNS`).

    Examples
    --------
    Domain brief section 4: 2,500k CNY at 8/10/12% with thresholds at 1,000k and 2,000k.

    >>> commission_lines(2_500_000, plan="domain_marginal")
             rule  component  tier  base_cents  rate  amount_cents
    0  commission  all_sales     1   100000000  0.08       8000000
    1  commission  all_sales     2   100000000  0.10      10000000
    2  commission  all_sales     3    50000000  0.12       6000000
    >>> commission_lines(2_500_000, plan="domain_whole")[["tier", "base_cents", "rate", "amount_cents"]]
       tier  base_cents  rate  amount_cents
    0     3   250000000  0.12      30000000
    """
    plan = load_plan(plan)
    comps = {c.name: c for c in plan.components}
    if isinstance(component, int) and not isinstance(component, bool) and 0 <= component < len(plan.components):
        comp = plan.components[component]
    elif component in comps:
        comp = comps[str(component)]
    else:
        raise ParameterError("component", component, f"a component of plan {plan.name!r}: {', '.join(comps)}")
    try:
        cents = int(Decimal(str(sales)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100)
    except (InvalidOperation, ValueError, TypeError):
        raise ParameterError("sales", sales, "an amount in CNY such as 2500000") from None
    if abs(cents) > _MAX_CENTS:
        raise ParameterError("sales", sales, "an amount below 90 billion CNY")
    if comp.basis == "attainment" and quota is None:
        raise ParameterError("quota", quota, f"the tier period's quota: component {comp.name!r} has attainment tiers")
    agg = pd.DataFrame({"rep_id": ["0"], "month": np.zeros(1, dtype=np.int64), "gross": [max(cents, 0)],
                        "refund": [min(cents, 0)], "key_renewal": [0], "window": np.zeros(1, dtype=np.int64)})
    agg["net"] = agg["gross"] + agg["refund"]
    wq = None if quota is None else np.array([int(round(float(quota) * 100))], dtype=np.int64)
    lines = _frame(_component_lines(agg, dataclasses.replace(comp, uplift_ppm=None), wq))
    order = {r: i for i, r in enumerate(RULES)}
    lines = lines.assign(_r=lines["rule"].map(order)).sort_values(["_r", "tier"], kind="stable")
    rate = (lines["rate"].to_numpy(np.int64) / _PPM).astype(float)
    rate[lines["rate_na"].to_numpy(bool)] = np.nan
    return pd.DataFrame({
        "rule": lines["rule"].astype(str).to_numpy(), "component": lines["component"].astype(str).to_numpy(),
        "tier": lines["tier"].astype("Int64").array, "base_cents": lines["base"].astype("Int64").array,
        "rate": rate, "amount_cents": lines["amount"].to_numpy(np.int64),
    })


def add_sale(
    orders: pd.DataFrame,
    *,
    rep_id: str,
    amount: float,
    on: object,
    product_line: str | None = None,
    customer_id: str = "WHAT-IF",
) -> pd.DataFrame:
    """Return ``orders`` plus one order of ``amount`` CNY closed by ``rep_id`` on ``on`` (a what-if sale).

    The order goes to a customer of its own (``customer_id``), so it is new business,
    not a key-account renewal; ``product_line`` picks the plan component for plans with
    rates per product line. Columns the new order does not fill stay empty
    (``is_refund`` false, ``deal_type`` ``new``). The input is not changed.

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": ["C1"], "rep_id": ["R1"], "order_date": pd.to_datetime(["2025-01-05"]),
    ...                   "amount": [100.0]})
    >>> add_sale(o, rep_id="R1", amount=50, on="2025-03-31")
      customer_id rep_id order_date  amount
    0          C1     R1 2025-01-05   100.0
    1     WHAT-IF     R1 2025-03-31    50.0
    """
    _require(orders, ["customer_id", "rep_id", "order_date", "amount"], "orders")
    try:
        value = float(amount)
    except (TypeError, ValueError):
        raise ParameterError("amount", amount, "an amount in CNY above 0") from None
    if not math.isfinite(value) or value <= 0:
        raise ParameterError("amount", amount, "an amount in CNY above 0")
    try:
        when = pd.Timestamp(on)
    except (TypeError, ValueError):
        raise ParameterError("on", on, "a date such as 2025-09-30") from None
    if pd.isna(when):
        raise ParameterError("on", on, "a date such as 2025-09-30")
    if (orders["customer_id"].astype(str) == str(customer_id)).any():
        raise ParameterError("customer_id", customer_id, "a customer id that is not in the orders yet")
    values: dict[str, Any] = {"customer_id": str(customer_id), "rep_id": str(rep_id), "order_date": when,
                              "amount": value, "order_id": str(customer_id), "product_line": product_line,
                              "is_refund": False, "deal_type": "new"}
    row = {}
    for col in orders.columns:
        item = [values.get(col)]
        try:
            row[col] = pd.Series(item, dtype=orders[col].dtype)
        except (TypeError, ValueError):
            row[col] = pd.Series(item)
    return pd.concat([orders, pd.DataFrame(row)], ignore_index=True)


def line_changes(now: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Line items before and after a change side by side (per month, rule, component, tier and rate).

    ``now`` and ``after`` are line items (from :func:`payout_lines`, one rep's part of a
    :class:`PayoutRun`, or :func:`commission_lines`). Lines with the same key are added
    up; ``base_cents`` is the base after the change (before it, for a line that
    disappears); ``change_cents = after_cents - now_cents``, so the changes add up to
    the change of the total exactly. ``month`` is empty when the lines have none.

    Returns
    -------
    DataFrame
        :data:`WHAT_IF_COLUMNS`, sorted by month, rule (statement order), component and tier.

    Examples
    --------
    >>> now = commission_lines(2_000_000, plan="domain_marginal")
    >>> after = commission_lines(2_500_000, plan="domain_marginal")
    >>> line_changes(now, after)[["tier", "base_cents", "now_cents", "after_cents", "change_cents"]]
       tier  base_cents  now_cents  after_cents  change_cents
    0     1   100000000    8000000      8000000             0
    1     2   100000000   10000000     10000000             0
    2     3    50000000          0      6000000       6000000
    """
    keys = ["month", "rule", "component", "tier", "rate"]
    fill = {"month": pd.Timestamp(0), "component": "", "tier": -1, "rate": -1.0}

    def prepare(lines: pd.DataFrame, where: str) -> pd.DataFrame:
        _require(lines, ["rule", "base_cents", "amount_cents"], where)
        frame = pd.DataFrame({
            "month": pd.to_datetime(lines["month"]) if "month" in lines else pd.Series(pd.NaT, index=lines.index),
            "rule": lines["rule"].astype(str),
            "component": lines["component"].astype(str) if "component" in lines else "",
            "tier": lines["tier"].astype("Int64") if "tier" in lines else pd.Series(pd.NA, index=lines.index,
                                                                                     dtype="Int64"),
            "rate": lines["rate"].astype(float) if "rate" in lines else np.nan,
            "base_cents": lines["base_cents"].astype("Int64"),
            "amount_cents": lines["amount_cents"].astype(np.int64),
        }, index=lines.index)
        frame = frame.fillna(fill).astype({"tier": np.int64, "rate": float})
        return frame.groupby(keys, sort=False)[["base_cents", "amount_cents"]].sum(min_count=1)

    a, b = prepare(now, "now"), prepare(after, "after")
    out = a.merge(b, how="outer", left_index=True, right_index=True, suffixes=("_now", "_after")).reset_index()
    out["base_cents"] = out["base_cents_after"].fillna(out["base_cents_now"]).astype("Int64")
    out["now_cents"] = out["amount_cents_now"].fillna(0).astype(np.int64)
    out["after_cents"] = out["amount_cents_after"].fillna(0).astype(np.int64)
    out["change_cents"] = out["after_cents"] - out["now_cents"]
    order = {r: i for i, r in enumerate(RULES)}
    out = out.assign(_r=out["rule"].map(order)).sort_values(["month", "_r", "component", "tier"], kind="stable")
    out["month"] = out["month"].where(out["month"] != fill["month"])
    out["tier"] = out["tier"].astype("Int64").where(out["tier"] >= 0)
    out["rate"] = out["rate"].where(out["rate"] != fill["rate"])
    return out.reset_index(drop=True)[WHAT_IF_COLUMNS]
