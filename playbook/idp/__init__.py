"""Individual Development Plans (IDP, 个人发展计划): evidence, draft, checks, rendering.

An IDP looks forward; an appraisal looks back (domain brief, section 5). The kit builds
a plan in four steps:

1. :func:`team_evidence` computes the evidence for **all reps in one vectorised pass**:
   year-to-date quota and sales (:func:`playbook.targets.overview.rep_summary`), anonymous
   statistics of the rep's peers (same role), the latest competency levels (manager's
   rating preferred, self-assessment as fallback, both kept), the team's median level,
   new customers and repurchase against peers, and funnel leaks
   (:func:`playbook.funnel.rep_leaks`, when that module is installed).
2. :func:`draft_plan` turns one rep's evidence into a :class:`PlanDraft` with the rules
   below and the competency catalogue (``templates/competencies.yaml``, edited by HR):
   the items and the reasons as data. :func:`playbook.present.idp.word_plan` words it
   into a :class:`Plan` in English or Chinese.
3. People edit the plan; :func:`plan_issues` lists every problem at once (as codes;
   :func:`playbook.present.idp.word_plan_issues` words them).
4. :func:`playbook.present.idp.plan_to_html_table` renders the plan table in the source's
   layout, with every typed text escaped. :mod:`playbook.pipeline.store` keeps the versions
   and sign-offs.

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
others (count, mean, quartiles). A peer statistic never includes the rep. Statistics of
fewer than :data:`MIN_GROUP` (5) other reps are hidden (missing), by one rule in one
place, :func:`hide_small_groups` (each statistic with the count of its group,
:data:`PEER_STATISTICS`; a figure without a count is hidden too): in the evidence, in
each rep's slice (:func:`rep_evidence`, :func:`rep_levels`, :func:`peer_comparison`), in a
:class:`PlanDraft` and so in the worded plan, and in the report's tables and charts.

Examples
--------
>>> import pandas as pd
>>> evidence = pd.DataFrame({"rep_id": ["R4"], "name": ["董某某"], "role": ["销售专员"],
...                          "team": ["销售部"], "supervisor_name": ["那某某"],
...                          "quota": [200_000.0], "actual": [219_000.0], "peer_mean": [320_000.0]})
>>> draft = draft_plan(evidence, "R4", plan_date="2011-11-25",
...                    levels={"product_knowledge": 4, "customer_communication": 3,
...                            "market_awareness": 4, "new_customer_development": 2})
>>> items = draft.items.assign(review=draft.items["review_date"].dt.strftime("%Y-%m"))
>>> items[["competency", "current_level", "target_level", "review"]]
                 competency  current_level  target_level   review
0         product_knowledge              4             5  2012-03
1    customer_communication              3             5  2012-06
2          market_awareness              4             5  2012-03
3  new_customer_development              2             4  2012-06
>>> draft.items.loc[3, "measures"]
('learn', 'course', 'read')
"""

from __future__ import annotations

from playbook.idp.catalogue import (  # noqa: F401
    CATALOGUE_PATH,
    COMPETENCY_FIELDS,
    EVIDENCE_COLUMNS,
    LEVEL_COLUMNS,
    MIN_GROUP,
    PEER_COLUMNS,
    PLAN_ITEM_COLUMNS,
    REP_LEVEL_COLUMNS,
    Catalogue,
    Competency,
    Measure,
    PlanRules,
    load_catalogue,
    parse_catalogue,
)
from playbook.idp.checks import (  # noqa: F401
    PLAN_ISSUE_CODES,
    PLAN_ISSUE_COLUMNS,
    plan_issues,
    validate_plan,
)
from playbook.idp.evidence import (  # noqa: F401
    PEER_STATISTICS,
    dataset_evidence,
    evidence_columns,
    funnel_leaks,
    hide_small_groups,
    latest_levels,
    leak_unit,
    leave_one_out_stats,
    peer_comparison,
    rep_evidence,
    rep_levels,
    shows_peers,
    team_evidence,
)
from playbook.idp.plan import (  # noqa: F401
    DRAFT_ITEM_COLUMNS,
    Plan,
    PlanDraft,
    draft_plan,
    empty_items,
    strength_item,
)
from playbook.idp.serialise import (  # noqa: F401
    plan_from_dict,
    plan_to_dict,
)

__all__ = [
    'CATALOGUE_PATH',
    'MIN_GROUP',
    'COMPETENCY_FIELDS',
    'EVIDENCE_COLUMNS',
    'LEVEL_COLUMNS',
    'REP_LEVEL_COLUMNS',
    'PEER_COLUMNS',
    'PLAN_ITEM_COLUMNS',
    'PlanRules',
    'Measure',
    'Competency',
    'Catalogue',
    'parse_catalogue',
    'load_catalogue',
    'PEER_STATISTICS',
    'shows_peers',
    'hide_small_groups',
    'leak_unit',
    'leave_one_out_stats',
    'latest_levels',
    'funnel_leaks',
    'team_evidence',
    'dataset_evidence',
    'evidence_columns',
    'rep_evidence',
    'rep_levels',
    'peer_comparison',
    'Plan',
    'PlanDraft',
    'DRAFT_ITEM_COLUMNS',
    'draft_plan',
    'empty_items',
    'PLAN_ISSUE_COLUMNS',
    'PLAN_ISSUE_CODES',
    'plan_issues',
    'validate_plan',
    'plan_to_dict',
    'plan_from_dict',
]
