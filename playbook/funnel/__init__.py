"""Funnel diagnostics (销售漏斗): where deals get stuck (卡点), per team, rep, channel and period.

The funnel runs lead (线索) -> intent (意向) -> negotiation (谈判) -> deal (成交), then
repurchase (复购). Everything starts from :func:`stage_table`, one row per opportunity
with the stages it reached; the other functions take that table.

Counting rules
--------------
- **Reached.** Every opportunity is a lead. It reached *intent* when it has an
  ``intent_date`` or reached a later stage; *negotiation* when it has a
  ``negotiation_date`` or was won; *deal* when its outcome is ``won``. An opportunity
  that skipped a stage (no date for it) therefore counts as having passed it when a
  later stage was reached. So stage counts never grow along the funnel.
- **Lost** opportunities failed the step after the furthest stage they reached (lost
  with a negotiation date: failed negotiation -> deal).
- **Open** opportunities count in every stage reached so far, but are *pending* in the
  step after their furthest stage (they are still sitting in it): they are left out of
  that step's denominator, because the step has not been decided for them yet. They do
  count in the earlier steps they passed.
- **Step rate** = passed / decided, where decided = entered - pending.
  **Cumulative conversion** from lead to a stage = product of the step rates up to it
  (for a cohort with nothing open it equals stage count / leads). **Win rate** =
  won / (won + lost).
- **Period** = the period in which the lead was created (a cohort view).
- **As of.** With ``as_of`` the table is the funnel as it stood that day: leads
  created later are dropped, stage dates after it are blanked and deals closed after
  it are open again.
- **Reopened deals cannot be represented.** The schema keeps one date per stage and
  one outcome, so a deal that was lost and later revived shows only its current state;
  its earlier loss is not counted anywhere.

Comparisons are honest: a rate comes with a Wilson interval, and a rep's step is a
*leak* only when the rep had at least ``min_n`` decided opportunities in the step and
the interval's upper bound is below the peers' rate (:func:`rep_comparison`).

Examples
--------
>>> import pandas as pd
>>> opps = pd.DataFrame({
...     "opportunity_id": ["o1", "o2", "o3", "o4"], "rep_id": ["R1"] * 4,
...     "channel": ["referral"] * 4, "amount": [100.0, 50.0, 80.0, 30.0],
...     "created_date": pd.to_datetime(["2025-01-02"] * 4),
...     "intent_date": pd.to_datetime(["2025-01-05", None, "2025-01-06", None]),
...     "negotiation_date": pd.to_datetime(["2025-01-09", None, None, None]),
...     "closed_date": pd.to_datetime(["2025-01-20", "2025-01-10", None, None]),
...     "outcome": ["won", "lost", "open", "open"]})
>>> s = stage_table(opps)
>>> s["stage_reached"].tolist()
['deal', 'lead', 'intent', 'lead']
>>> step_table(s)[["step", "entered", "passed", "pending", "decided", "rate"]]
                    step  entered  passed  pending  decided      rate
0         lead_to_intent        4       2        1        3  0.666667
1  intent_to_negotiation        2       1        1        1  1.000000
2    negotiation_to_deal        1       1        0        1  1.000000
"""

from __future__ import annotations

from playbook.funnel.authority import (  # noqa: F401
    AUTHORITY_COLUMNS,
    AUTHORITY_PATH,
    AuthorityRules,
    authority_check,
    load_authority,
)
from playbook.funnel.channels import (  # noqa: F401
    add_period,
    channel_ratio,
    channel_table,
    compare_periods,
    periods_around,
)
from playbook.funnel.comparison import (  # noqa: F401
    load_leak_map,
    poisson_interval,
    rep_comparison,
    rep_leaks,
    repurchase_table,
    team_comparison,
)
from playbook.funnel.counts import (  # noqa: F401
    funnel_table,
    step_table,
)
from playbook.funnel.rules import (  # noqa: F401
    AD_CHANNELS,
    ALL_STAGES,
    CHANNEL_COLUMNS,
    CHANNEL_RATIO_COLUMNS,
    COMPARISON_COLUMNS,
    DURATION_COLUMNS,
    DURATION_SUMMARY_COLUMNS,
    FUNNEL_COLUMNS,
    FUNNEL_STAGES,
    LEAK_COLUMNS,
    LEAK_MAP_PATH,
    METRICS,
    PER_MONTH,
    PERIOD_COMPARISON_COLUMNS,
    PIPELINE_COLUMNS,
    PROBLEM_COLUMNS,
    REPURCHASE_COLUMNS,
    REPURCHASE_STAGE,
    REPURCHASE_STEP,
    STAGE_COLUMNS,
    STEP_COLUMNS,
    STEPS,
    STUCK_COLUMNS,
    TEAM_COMPARISON_COLUMNS,
)
from playbook.funnel.stages import (  # noqa: F401
    opportunity_problems,
    period_bounds,
    resolve_as_of,
    select,
    stage_table,
)
from playbook.funnel.stats import (  # noqa: F401
    proportion_test,
    wilson_interval,
)
from playbook.funnel.timing import (  # noqa: F401
    duration_summary,
    pipeline_table,
    stage_durations,
    stuck_deals,
)

__all__ = [
    'FUNNEL_STAGES',
    'STEPS',
    'METRICS',
    'PER_MONTH',
    'AUTHORITY_COLUMNS',
    'AUTHORITY_PATH',
    'AuthorityRules',
    'authority_check',
    'load_authority',
    'ALL_STAGES',
    'REPURCHASE_STAGE',
    'REPURCHASE_STEP',
    'AD_CHANNELS',
    'LEAK_MAP_PATH',
    'STAGE_COLUMNS',
    'STEP_COLUMNS',
    'FUNNEL_COLUMNS',
    'PROBLEM_COLUMNS',
    'COMPARISON_COLUMNS',
    'TEAM_COMPARISON_COLUMNS',
    'LEAK_COLUMNS',
    'REPURCHASE_COLUMNS',
    'period_bounds',
    'DURATION_COLUMNS',
    'DURATION_SUMMARY_COLUMNS',
    'STUCK_COLUMNS',
    'PIPELINE_COLUMNS',
    'CHANNEL_COLUMNS',
    'CHANNEL_RATIO_COLUMNS',
    'PERIOD_COMPARISON_COLUMNS',
    'resolve_as_of',
    'opportunity_problems',
    'stage_table',
    'select',
    'step_table',
    'funnel_table',
    'wilson_interval',
    'poisson_interval',
    'proportion_test',
    'repurchase_table',
    'rep_comparison',
    'team_comparison',
    'load_leak_map',
    'rep_leaks',
    'stage_durations',
    'duration_summary',
    'stuck_deals',
    'pipeline_table',
    'channel_table',
    'channel_ratio',
    'compare_periods',
    'add_period',
    'periods_around',
]
