"""Workshop exercises: each check says *right* or *not yet* with a hint, and the answer key.

The workshop notebooks (``notebooks/workshop/``) call these checks; the case company they
work on is :mod:`playbook.case` (figures) and :mod:`playbook.data.case_study` (tables).
"""

from __future__ import annotations

from playbook.workshop.checks import (  # noqa: F401
    CAUSES,
    PDCA_KEY_RESULTS,
    SOLUTIONS_PATH,
    STATUSES,
    SYMPTOMS,
    TIER_PLAYS,
    CheckResult,
    build_solutions,
    check_bottleneck,
    check_causes,
    check_idp_priority,
    check_objection_after,
    check_pdca_verdicts,
    check_plan_gain,
    check_q4_target,
    check_smart_kr,
    check_tier_plays,
    check_tier_share,
    exercise_cells,
    load_solutions,
    pdca_table,
    plan_comparison,
    team_slice,
)

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
