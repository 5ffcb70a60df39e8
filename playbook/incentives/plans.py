"""Commission plans: tiers, components and bonus bands, parsed from YAML and checked."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from playbook.core import paths
from playbook.core.errors import InputError, ParameterError, yaml_error
from playbook.core.money import PPM

__all__ = [
    "PLANS_DIR", "PRESETS_PATH", "RULES", "RULE_CATEGORY", "LINE_COLUMNS", "REP_COLUMNS", "SUMMARY_COLUMNS",
    "COMPARE_COLUMNS", "KPI_COLUMNS", "SCORECARD_COLUMNS", "PlanError", "Tier", "Component", "Plan", "parse_period",
    "list_plans", "load_plan", "parse_plan", "modify_plan", "AT_BOUNDARY",
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
    "prior_customers", "retained_customers", "retention", "visits", "needs_match", "satisfaction",
]
KPIS = ("attainment", "new_customers", "retention", "visits", "needs_match", "satisfaction")
"""Scorecard KPIs. ``needs_match`` (needs matched / assessed) and ``satisfaction`` (satisfied /
survey answers) are optional: from the activities' optional columns, empty when the data has none."""
SCORECARD_COLUMNS = [
    "rep_id", "name", "team", "sales_cents", "quota_cents", *KPIS, *(k + "_change" for k in KPIS),
    "score", "rank", "flag",
]

_BIG = 2**62
AT_BOUNDARY = ("lower_tier", "upper_tier")
"""The side of a tier boundary, a plan's ``at_boundary`` setting. ``lower_tier`` (the default):
an amount exactly at a boundary stays in the tier below, the method's reading of "100万以内 8%"
(up to 1,000,000 at 8%: exactly 1,000,000 pays 8%); ``upper_tier``: it reaches the tier above
(from 1,000,000 at 10%). Only whole-amount mode and the reached tier's rate (renewal uplift) can
differ: marginal slices pay the same either way."""
_CATEGORIES = ("commission", "clawback", "bonus", "awards", "draw")
_METRICS = ("visits", "calls", "demos")


class PlanError(InputError):
    """A plan rule cannot be used (bad definition, or data the rule needs is missing).

    The message names the plan and the rule, says what is wrong and how to fix it.
    """

    def __init__(self, plan: str, rule: str, problem: str, fix: str = "", *, code: str | None = None,
                 params: dict[str, object] | None = None) -> None:
        self.plan = plan
        self.rule = rule
        super().__init__(f"plan {plan!r}, rule {rule}: {problem}" + (f" {fix}" if fix else ""), code=code,
                         params={"plan": plan, "rule": rule, **(params or {})})


# --------------------------------------------------------------------------- plans


@dataclass(frozen=True)
class Tier:
    """One tier: from ``lower`` to the next tier's ``lower``, at ``rate_ppm``.

    ``lower`` is in cents (``basis: amount``) or in ppm of the quota (``basis: attainment``).
    Which tier an amount exactly at a boundary belongs to is the plan's ``at_boundary``
    (:data:`AT_BOUNDARY`).
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
    at_boundary: str = "lower_tier"  # the plan's setting (:data:`AT_BOUNDARY`)


@dataclass(frozen=True, eq=False)
class Plan:
    """A validated commission plan; ``spec`` keeps the normalised YAML for :func:`modify_plan`.

    ``title`` maps a language to the plan's title, as data (shown by
    :func:`playbook.present.incentives.plan_label`).
    """

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
    at_boundary: str = "lower_tier"  # which tier an amount exactly at a boundary is in (:data:`AT_BOUNDARY`)


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
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise yaml_error(path.name, exc) from None
    try:
        return parse_plan(data, name=path.stem)
    except PlanError as exc:  # name the file too: the plan's name may differ from it
        exc.args = (f"{path.name}: {exc}",)
        exc.params["in_file"] = path.name
        raise


def _dec(value: Any, plan: str, rule: str, what: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise PlanError(plan, rule, f"{what} {value!r} is not a number.",
                        code="incentives.plan.not_number", params={"what": what, "value": repr(value)})
    text = str(value).strip().replace(",", "").replace("_", "")
    pct = text.endswith("%")
    try:
        d = Decimal(text[:-1] if pct else text)
    except InvalidOperation:
        raise PlanError(plan, rule, f"{what} {value!r} is not a number.",
                        code="incentives.plan.not_number", params={"what": what, "value": repr(value)}) from None
    if not d.is_finite():
        raise PlanError(plan, rule, f"{what} {value!r} is not a number.",
                        code="incentives.plan.not_number", params={"what": what, "value": repr(value)})
    return d / 100 if pct else d


def _ppm(value: Any, plan: str, rule: str, what: str, *, high: Decimal | None = Decimal(1)) -> int:
    d = _dec(value, plan, rule, what)
    if d < 0 or (high is not None and d > high):
        raise PlanError(plan, rule, f"{what} {value!r} is outside [0, {high}].",
                        "Write rates as fractions (0.08) or percents ('8%').", code="incentives.plan.outside",
                        params={"what": what, "value": repr(value), "high": str(high)})
    scaled = d * PPM
    if scaled != scaled.to_integral_value():
        raise PlanError(plan, rule, f"{what} {value!r} has more than 6 decimals.",
                        code="incentives.plan.decimals", params={"what": what, "value": repr(value)})
    return int(scaled)


def _money(value: Any, plan: str, rule: str, what: str, unit: int) -> int:
    d = _dec(value, plan, rule, what) * unit
    if d < 0:
        raise PlanError(plan, rule, f"{what} {value!r} is negative.",
                        code="incentives.plan.negative", params={"what": what, "value": repr(value)})
    cents = d * 100
    if cents != cents.to_integral_value():
        raise PlanError(plan, rule, f"{what} {value!r} has fractions of a cent.",
                        code="incentives.plan.cents", params={"what": what, "value": repr(value)})
    return int(cents)


def _keys(entry: Any, allowed: set[str], plan: str, rule: str, required: Iterable[str] = ()) -> dict:
    if not isinstance(entry, dict):
        raise PlanError(plan, rule, f"expected a mapping, got {entry!r}.", code="incentives.plan.not_mapping",
                        params={"value": repr(entry)})
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise PlanError(plan, rule, f"unknown key(s) {', '.join(unknown)}.", f"Allowed: {', '.join(sorted(allowed))}.",
                        code="incentives.plan.unknown_keys", params={"unknown": unknown, "allowed": sorted(allowed)})
    missing = [k for k in required if entry.get(k) is None]
    if missing:
        raise PlanError(plan, rule, f"missing {', '.join(missing)}.", code="incentives.plan.missing",
                        params={"missing": missing})
    return entry


def _parse_tiers(raw: Any, plan: str, rule: str, basis: str, unit: int) -> tuple[Tier, ...]:
    if not isinstance(raw, list) or not raw:
        raise PlanError(plan, rule, "needs a non-empty list of tiers.", "Example: - {from: 0, rate: 0.08}",
                        code="incentives.plan.no_tiers")
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
            raise PlanError(plan, where, f"'to' ({entry['to']}) must be above 'from' ({entry['from']}).",
                            code="incentives.plan.to_below_from",
                            params={"to": str(entry["to"]), "low": str(entry["from"])})
        lows.append(lo)
        highs.append(hi)
        rates.append(_ppm(entry["rate"], plan, where, "rate"))
    if lows[0] != 0:
        raise PlanError(plan, f"{rule} tier 1", f"the first tier must start at 0, not {raw[0]['from']}.",
                        code="incentives.plan.first_tier", params={"value": str(raw[0]["from"])})
    for i in range(1, len(lows)):
        where = f"{rule} tier {i + 1}"
        if lows[i] <= lows[i - 1]:
            raise PlanError(plan, where, f"tiers are not in ascending order: 'from' {raw[i]['from']} is not above "
                            f"tier {i}'s 'from' {raw[i - 1]['from']}.", "List tiers from the lowest up.",
                            code="incentives.plan.tier_order",
                            params={"value": str(raw[i]["from"]), "before": i, "before_value": str(raw[i - 1]["from"])})
        if highs[i - 1] is not None and lows[i] < highs[i - 1]:
            raise PlanError(plan, where, f"overlaps tier {i}: it starts at {raw[i]['from']} but tier {i} runs to "
                            f"{raw[i - 1]['to']}.", "Each tier must start where the one before ends.",
                            code="incentives.plan.tier_overlap",
                            params={"value": str(raw[i]["from"]), "before": i, "before_value": str(raw[i - 1]["to"])})
        if highs[i - 1] is not None and lows[i] > highs[i - 1]:
            raise PlanError(plan, where, f"leaves a gap after tier {i}: tier {i} ends at {raw[i - 1]['to']} but "
                            f"this one starts at {raw[i]['from']}.", "Each tier must start where the one before ends.",
                            code="incentives.plan.tier_gap",
                            params={"value": str(raw[i]["from"]), "before": i, "before_value": str(raw[i - 1]["to"])})
    if highs[-1] is not None:
        raise PlanError(plan, f"{rule} tier {len(lows)}", "the last tier must be open-ended (no 'to').",
                        "Use 'cap' to limit the commission.", code="incentives.plan.last_tier_closed")
    return tuple(Tier(lo, r) for lo, r in zip(lows, rates, strict=True))


def _parse_component(entry: Any, i: int, plan: str, unit: int, at_boundary: str = "lower_tier") -> Component:
    name = str(entry.get("name") or f"component_{i}") if isinstance(entry, dict) else f"component_{i}"
    rule = f"commission {name!r}"
    allowed = {"name", "products", "deal_types", "mode", "basis", "tier_period", "tiers", "cap", "renewal_uplift"}
    _keys(entry, allowed, plan, rule, required=("tiers",))
    mode = entry.get("mode", "marginal")
    if mode not in ("marginal", "whole"):
        raise PlanError(plan, rule, f"mode {mode!r} is not valid.", "Use 'marginal' (each rate on its slice) or "
                        "'whole' (the reached tier's rate on the whole amount).", code="incentives.plan.mode",
                        params={"value": repr(mode)})
    basis = entry.get("basis", "amount")
    if basis not in ("amount", "attainment"):
        raise PlanError(plan, rule, f"basis {basis!r} is not valid.", "Use 'amount' or 'attainment'.",
                        code="incentives.plan.basis", params={"value": repr(basis)})
    tier_period = entry.get("tier_period", "year")
    if tier_period not in ("month", "quarter", "year"):
        raise PlanError(plan, rule, f"tier_period {tier_period!r} is not valid.", "Use 'month', 'quarter' or 'year'.",
                        code="incentives.plan.tier_period", params={"value": repr(tier_period)})
    products = entry.get("products", "all")
    if products == "all" or products is None:
        product_lines = None
    elif isinstance(products, list) and products and all(isinstance(p, str) and p.strip() for p in products):
        product_lines = tuple(p.strip() for p in products)
    else:
        raise PlanError(plan, rule, f"products {products!r} must be 'all' or a list of product lines.",
                        code="incentives.plan.products", params={"value": repr(products)})
    deals = entry.get("deal_types", "all")
    deal_types = ("new", "renewal") if deals in ("all", None) else deals
    if not isinstance(deal_types, (list, tuple)) or not deal_types or not set(deal_types) <= {"new", "renewal"}:
        raise PlanError(plan, rule, f"deal_types {deals!r} must be 'all' or a list of 'new', 'renewal'.",
                        code="incentives.plan.deal_types", params={"value": repr(deals)})
    cap = entry.get("cap")
    cap_cents = None if cap is None else _money(cap, plan, f"{rule} cap", "cap", unit)
    uplift = entry.get("renewal_uplift")
    uplift_ppm = None
    if uplift is not None:
        up = _keys(uplift, {"rate"}, plan, f"{rule} renewal_uplift", required=("rate",))
        uplift_ppm = _ppm(up["rate"], plan, f"{rule} renewal_uplift", "rate")
        if "renewal" not in deal_types:
            raise PlanError(plan, f"{rule} renewal_uplift", "the component has no renewal orders to uplift.",
                            "Add 'renewal' to deal_types or remove the uplift.",
                            code="incentives.plan.uplift_no_renewal")
    tiers = _parse_tiers(entry["tiers"], plan, rule, basis, unit)
    return Component(name, mode, basis, tier_period, tiers, product_lines, tuple(deal_types), cap_cents, uplift_ppm,
                     at_boundary)


def _parse_components(raw: Any, plan: str, unit: int, at_boundary: str = "lower_tier") -> tuple[Component, ...]:
    """Parse the commission components and check that no two cover the same orders."""
    raw_components = [raw] if isinstance(raw, dict) else raw
    components = tuple(_parse_component(c, i, plan, unit, at_boundary) for i, c in enumerate(raw_components, start=1))
    names = [c.name for c in components]
    if len(set(names)) != len(names):
        raise PlanError(plan, "commission", f"component names repeat: {names}.",
                        code="incentives.plan.names_repeat", params={"names": repr(names)})
    for i, a in enumerate(components):
        for b in components[i + 1:]:
            lines = (set(a.product_lines) & set(b.product_lines) if a.product_lines and b.product_lines
                     else set(a.product_lines or b.product_lines or ["all"]))
            deals = set(a.deal_types) & set(b.deal_types)
            if lines and deals:
                raise PlanError(plan, f"commission {b.name!r}", f"covers the same orders as {a.name!r} (product "
                                f"lines {sorted(lines)}, {sorted(deals)} business): they would be paid twice.",
                                "Make the scopes (products, deal_types) disjoint.",
                                code="incentives.plan.same_orders", params={
                                    "other": repr(a.name), "lines": repr(sorted(lines)), "deals": repr(sorted(deals))})
    return components


def _parse_bonus(raw: Any, plan: str) -> tuple[tuple[int, int], ...]:
    """Parse the bonus bands: (min attainment ppm, share of base salary ppm), highest band first."""
    bonus = _keys(raw, {"bands"}, plan, "bonus", required=("bands",))
    if not isinstance(bonus["bands"], list) or not bonus["bands"]:
        raise PlanError(plan, "bonus", "needs a non-empty list of bands.", code="incentives.plan.no_bands")
    parsed = []
    for i, band in enumerate(bonus["bands"], start=1):
        rule = f"bonus band {i}"
        _keys(band, {"min_attainment", "pct_of_base_salary"}, plan, rule,
              required=("min_attainment", "pct_of_base_salary"))
        parsed.append((_ppm(band["min_attainment"], plan, rule, "min_attainment", high=Decimal(10)),
                       _ppm(band["pct_of_base_salary"], plan, rule, "pct_of_base_salary")))
    mins = [b[0] for b in parsed]
    if len(set(mins)) != len(mins):
        raise PlanError(plan, "bonus", "two bands have the same min_attainment.", code="incentives.plan.same_bands")
    return tuple(sorted(parsed, reverse=True))


def _parse_key_accounts(raw: Any, plan: str, unit: int) -> dict[str, Any]:
    """Parse the key-account rule: a customers column, or a minimum of prior-year sales."""
    ka = _keys(raw, {"min_prior_year_sales", "column"}, plan, "key_accounts")
    if (ka.get("column") is None) == (ka.get("min_prior_year_sales") is None):
        raise PlanError(plan, "key_accounts", "give exactly one of min_prior_year_sales or column.",
                        code="incentives.plan.key_accounts_one")
    return {"column": ka.get("column"), "min_cents": None if ka.get("min_prior_year_sales") is None
            else _money(ka["min_prior_year_sales"], plan, "key_accounts", "min_prior_year_sales", unit)}


def _parse_referral(raw: Any, plan: str, unit: int) -> dict[str, Any]:
    """Parse the referral award: amount, channel, whether the rep is paid, the CSM column."""
    r = _keys(raw, {"amount", "channel", "rep", "csm_column"}, plan, "referral_award", required=("amount",))
    return {"amount_cents": _money(r["amount"], plan, "referral_award", "amount", unit),
            "channel": str(r.get("channel", "referral")), "rep": bool(r.get("rep", True)),
            "csm_column": r.get("csm_column")}


def _parse_mentor(raw: Any, plan: str, unit: int) -> dict[str, Any]:
    """Parse the mentor award (伯乐奖): amount, mentor column, days from hire to the first deal."""
    m = _keys(raw, {"amount", "mentor_column", "within_days"}, plan, "mentor_award", required=("amount",))
    days = m.get("within_days")
    if days is not None and (not isinstance(days, int) or isinstance(days, bool) or days < 0):
        raise PlanError(plan, "mentor_award", f"within_days {days!r} must be a whole number >= 0.",
                        code="incentives.plan.within_days", params={"value": repr(days)})
    return {"amount_cents": _money(m["amount"], plan, "mentor_award", "amount", unit),
            "mentor_column": str(m.get("mentor_column", "mentor_id")), "within_days": days}


def _parse_process_awards(raw: Any, plan: str, unit: int) -> tuple[dict[str, Any], ...]:
    """Parse the process awards: name, amount, and the metric, top and scope of the winners."""
    awards = []
    for i, a in enumerate(raw, start=1):
        rule = f"process_awards {a.get('name', i)!r}" if isinstance(a, dict) else f"process_awards {i}"
        _keys(a, {"name", "amount", "metric", "top", "within"}, plan, rule, required=("name", "amount"))
        metric = a.get("metric")
        if metric is not None and metric not in _METRICS:
            raise PlanError(plan, rule, f"metric {metric!r} is not an activity count.",
                            f"Use one of {', '.join(_METRICS)}, or none for winners named by the manager.",
                            code="incentives.plan.award_metric", params={"value": repr(metric), "metrics": _METRICS})
        top = a.get("top", 1)
        if not isinstance(top, int) or isinstance(top, bool) or top < 1:
            raise PlanError(plan, rule, f"top {top!r} must be a whole number >= 1.", code="incentives.plan.award_top",
                            params={"value": repr(top)})
        within = a.get("within", "company")
        if within not in ("team", "company"):
            raise PlanError(plan, rule, f"within {within!r} must be 'team' or 'company'.",
                            code="incentives.plan.award_within", params={"value": repr(within)})
        awards.append({"name": str(a["name"]), "amount_cents": _money(a["amount"], plan, rule, "amount", unit),
                       "metric": metric, "top": top, "within": within})
    if len({a["name"] for a in awards}) != len(awards):
        raise PlanError(plan, "process_awards", "award names repeat.", code="incentives.plan.awards_repeat")
    return tuple(awards)


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
    playbook.incentives.plans.PlanError: plan 'x', rule commission 'component_1' tier 1: rate 1.5 is outside [0, 1]. \
Write rates as fractions (0.08) or percents ('8%').
    """
    if not isinstance(data, Mapping):
        raise PlanError(name, "(plan)", f"expected a mapping of rules, got {type(data).__name__}.",
                        code="incentives.plan.not_rules", params={"value": type(data).__name__})
    spec = copy.deepcopy(dict(data))
    name = str(spec.get("name") or name)
    allowed = {"name", "title", "unit", "at_boundary", "commission", "clawback", "bonus", "key_accounts",
               "referral_award", "mentor_award", "process_awards", "draw"}
    _keys(spec, allowed, name, "(plan)")
    unit_name = str(spec.get("unit", "CNY"))
    if unit_name not in ("CNY", "万元", "wan"):
        raise PlanError(name, "unit", f"{unit_name!r} is not a unit.", "Use 'CNY' or '万元'.",
                        code="incentives.plan.unit", params={"value": repr(unit_name)})
    unit = 1 if unit_name == "CNY" else 10_000
    title = spec.get("title") or {}
    if isinstance(title, str):
        title = {"en": title, "zh": title}
    at_boundary = spec.get("at_boundary", "lower_tier")
    if at_boundary not in AT_BOUNDARY:
        raise PlanError(name, "at_boundary", f"{at_boundary!r} is not valid.",
                        "Use 'lower_tier' (an amount exactly at a boundary stays in the tier below: 'up to "
                        "1,000,000 at 8%') or 'upper_tier' (it reaches the tier above: 'from 1,000,000 at 10%').",
                        code="incentives.plan.at_boundary", params={"value": repr(at_boundary)})
    components = _parse_components(spec.get("commission") or [], name, unit, at_boundary)
    clawback = spec.get("clawback", True)
    if not isinstance(clawback, bool):
        raise PlanError(name, "clawback", f"{clawback!r} must be true or false.", code="incentives.plan.clawback",
                        params={"value": repr(clawback)})
    bands = None if spec.get("bonus") is None else _parse_bonus(spec["bonus"], name)
    key_accounts = None if spec.get("key_accounts") is None else _parse_key_accounts(spec["key_accounts"], name,
                                                                                        unit)
    if any(c.uplift_ppm is not None for c in components) and key_accounts is None:
        raise PlanError(name, "key_accounts", "a renewal_uplift needs key accounts defined.",
                        "Add key_accounts: {min_prior_year_sales: 500000} or {column: <customers column>}.",
                        code="incentives.plan.uplift_no_key_accounts")
    referral = None if spec.get("referral_award") is None else _parse_referral(spec["referral_award"], name, unit)
    mentor = None if spec.get("mentor_award") is None else _parse_mentor(spec["mentor_award"], name, unit)
    awards = _parse_process_awards(spec.get("process_awards") or [], name, unit)
    draw = None
    if spec.get("draw") is not None:
        d = _keys(spec["draw"], {"amount", "recoverable"}, name, "draw", required=("amount",))
        draw = {"amount_cents": _money(d["amount"], name, "draw", "amount", unit),
                "recoverable": bool(d.get("recoverable", True))}
    return Plan(name, {str(k): str(v) for k, v in title.items()}, components, clawback, bands, key_accounts,
                referral, mentor, awards, draw, spec, at_boundary)


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
                    raise ParameterError("changes", key, f"a path into plan {base.name!r}: no item {part!r}",
                                         code="incentives.plan.no_path",
                                         params={"plan": base.name, "key": repr(key), "part": repr(part)})
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
                raise ParameterError("changes", key, f"a path into plan {base.name!r}", code="incentives.plan.not_path",
                                     params={"plan": base.name, "key": repr(key)})
    spec["name"] = name or (base.name if base.name.endswith("*") else base.name + "*")
    return parse_plan(spec, name=spec["name"])
