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

Money is exact: amounts are integer cents (``*_cents`` columns, ``int64``) by the kit's
one rule (:mod:`playbook.core.money`: half-up to the cent, away from zero); rates are
held in parts per million. Each line item is ``base x rate`` rounded by the same rule
(:func:`playbook.core.money.mul_ppm`), and every total is the sum of its line items, to
the cent.

:func:`run_plan` gives a :class:`PayoutRun`: the line items (rep, month, rule, base,
rate, amount) and the payout per rep. :func:`plan_summary` and :func:`compare_plans`
answer what-if questions (:func:`modify_plan` changes one rule). :func:`scorecard`
ranks reps on weighted KPIs with a culture preset from
``templates/scorecard_presets.yaml``. :func:`payout_statement` returns one rep's HR
statement as frames. The package computes only: it returns figures and keys (plan and
preset names, rule names); titles, wording, tables, charts and the statement workbooks
are in :mod:`playbook.present.incentives` and :mod:`playbook.present.charts.incentives`.

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

from playbook.incentives.payouts import (  # noqa: F401
    PayoutRun,
    commission_for_sales,
    commission_table,
    compare_plans,
    payout_lines,
    plan_summary,
    rep_payouts,
    run_plan,
)
from playbook.incentives.plans import (  # noqa: F401
    AT_BOUNDARY,
    COMPARE_COLUMNS,
    KPI_COLUMNS,
    LINE_COLUMNS,
    PLANS_DIR,
    PRESETS_PATH,
    REP_COLUMNS,
    RULE_CATEGORY,
    RULES,
    SCORECARD_COLUMNS,
    SUMMARY_COLUMNS,
    Component,
    Plan,
    PlanError,
    Tier,
    list_plans,
    load_plan,
    modify_plan,
    parse_period,
    parse_plan,
)
from playbook.incentives.scorecards import (  # noqa: F401
    ScorecardPreset,
    load_presets,
    monthly_kpis,
    preset_ranks,
    scorecard,
)
from playbook.incentives.statements import (  # noqa: F401
    payout_statement,
)
from playbook.incentives.whatif import (  # noqa: F401
    WHAT_IF_COLUMNS,
    add_sale,
    commission_lines,
    line_changes,
)

__all__ = [
    'PLANS_DIR',
    'PRESETS_PATH',
    'RULES',
    'RULE_CATEGORY',
    'LINE_COLUMNS',
    'REP_COLUMNS',
    'SUMMARY_COLUMNS',
    'AT_BOUNDARY',
    'COMPARE_COLUMNS',
    'KPI_COLUMNS',
    'SCORECARD_COLUMNS',
    'PlanError',
    'Tier',
    'Component',
    'Plan',
    'PayoutRun',
    'ScorecardPreset',
    'parse_period',
    'list_plans',
    'load_plan',
    'parse_plan',
    'modify_plan',
    'commission_table',
    'commission_for_sales',
    'payout_lines',
    'rep_payouts',
    'run_plan',
    'plan_summary',
    'compare_plans',
    'load_presets',
    'monthly_kpis',
    'scorecard',
    'preset_ranks',
    'payout_statement',
    'WHAT_IF_COLUMNS',
    'commission_lines',
    'add_sale',
    'line_changes',
]
