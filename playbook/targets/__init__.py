"""Target decomposition (目标分解), OKR and SMART checks, activity quotas and tracking.

The company target (an amount, or the base year's net sales x (1 + growth)) is split
into months and quarters (equal, seasonal or custom weights) and into per-rep annual
quotas (equal, historical share, capacity with a ramp for new hires, or weights such
as territory potential; manager overrides are honoured and the rest rebalanced). The
rep x month matrix matches both its row totals (rep quotas) and its column totals
(monthly company targets) exactly. From a rep's monthly quota the reverse funnel gives
the activity quota (deals, negotiations, intents, leads, visits). OKRs load from YAML,
their key results get progress from the data, and every goal is checked against the
five SMART criteria, each failure named by a code with the figures behind it. Tracking
compares actual with target per rep and period and builds the weekly-review table (周复盘).

The package computes only: it returns keys, codes and figures in fixed, documented
columns (bilingual titles from YAML as ``title_en`` / ``title_zh``), never wording in a
language; :mod:`playbook.present.targets` says it in the reader's language.

Money is exact: every split works on integer cents with largest-remainder rounding
(:func:`allocate_cents`), so each level sums to its parent to the cent. Amounts are
CNY (floats with two decimals in frames).

Examples
--------
>>> import pandas as pd
>>> from playbook.core.money import allocate
>>> from playbook.targets import decompose
>>> allocate(100.0, [1, 1, 1]).tolist()
[33.34, 33.33, 33.33]
>>> reps = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann", "Bo"], "team": ["A", "A"]})
>>> plan = decompose(reps, target=1200.0, plan_year=2025, time_method="equal", rep_method="equal",
...                  ramp=())
>>> plan.reps[["rep_id", "quota"]]
  rep_id  quota
0     R1  600.0
1     R2  600.0
>>> plan.quarterly["target"].tolist()
[300.0, 300.0, 300.0, 300.0]
>>> float(plan.matrix["quota"].sum())
1200.0
"""

from __future__ import annotations

from playbook.targets.activity import (  # noqa: F401
    activity_quota,
    funnel_rates,
)
from playbook.targets.company import (  # noqa: F401
    CompanyTarget,
    base_year_sales,
    company_target,
    quarterly,
    seasonality,
    split_year,
    yearly_shares,
)
from playbook.targets.okr import (  # noqa: F401
    OKR,
    PLAN_CHECKS,
    SMART_COLUMNS,
    load_okr,
    metric_value,
    okr_progress,
    parse_okr,
    plan_checks,
    smart_check,
)
from playbook.targets.quotas import (  # noqa: F401
    QuotaPlan,
    decompose,
    rep_capacity,
    rep_month_matrix,
    rep_quotas,
)
from playbook.targets.rules import (  # noqa: F401
    DEFAULT_RAMP,
    KEY_ACCOUNT_MIN,
    METRICS,
    REP_METHODS,
    SMART_CRITERIA,
    SMART_ISSUES,
    STATUS_BANDS,
    STATUSES,
    TIME_METHODS,
    VAGUE_METRICS,
)
from playbook.targets.tracking import (  # noqa: F401
    default_month,
    track,
    weekly_review,
)

__all__ = [
    'DEFAULT_RAMP',
    'TIME_METHODS',
    'REP_METHODS',
    'METRICS',
    'VAGUE_METRICS',
    'SMART_CRITERIA',
    'SMART_ISSUES',
    'SMART_COLUMNS',
    'PLAN_CHECKS',
    'STATUSES',
    'STATUS_BANDS',
    'KEY_ACCOUNT_MIN',
    'CompanyTarget',
    'QuotaPlan',
    'OKR',
    'base_year_sales',
    'company_target',
    'yearly_shares',
    'seasonality',
    'split_year',
    'quarterly',
    'rep_capacity',
    'rep_quotas',
    'rep_month_matrix',
    'decompose',
    'funnel_rates',
    'activity_quota',
    'parse_okr',
    'load_okr',
    'metric_value',
    'okr_progress',
    'smart_check',
    'plan_checks',
    'track',
    'weekly_review',
    'default_month',
]
