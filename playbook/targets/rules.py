"""Business rules of target decomposition: data with defaults, each one a parameter of the functions using it."""

from __future__ import annotations

from typing import Any

__all__ = [
    "DEFAULT_RAMP", "TIME_METHODS", "REP_METHODS", "METRICS", "VAGUE_METRICS", "SMART_CRITERIA", "SMART_ISSUES",
    "STATUSES", "STATUS_BANDS", "KEY_ACCOUNT_MIN"
]

# ---------------------------------------------------------------------------------------
# Business rules (data with defaults; every one is a parameter of the functions using it)
# ---------------------------------------------------------------------------------------
DEFAULT_RAMP: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0)
"""Share of a full rep's capacity in the 1st, 2nd, 3rd ... month after hire (last repeats)."""
TIME_METHODS = ("equal", "seasonal", "custom")
"""Ways to split the year into months."""
REP_METHODS = ("equal", "history", "capacity", "weights")
"""Ways to split the company target between reps."""
STATUSES = ("on_track", "at_risk", "behind")
"""Statuses of the weekly review (:func:`playbook.targets.weekly_review`)."""
STATUS_BANDS = (1.0, 0.9)
"""Pace (actual / expected to date) at or above which a rep is on track, at risk; below: behind."""
KEY_ACCOUNT_MIN = 30_000.0
"""Spend (CNY) in its first period from which a new customer counts as a key account."""
SMART_CRITERIA = ("specific", "measurable", "achievable", "relevant", "time_bound")
"""The five SMART criteria, in order (具体、可衡量、可达成、相关、有时限)."""
SMART_ISSUES = (
    "no_owner", "no_metric", "vague_metric", "no_target", "no_deadline", "bad_deadline", "no_objective",
    "unknown_objective", "too_high", "too_low", "not_assessed",
)
"""Issue codes of :func:`playbook.targets.smart_check`, by criterion: specific (no owner, no or a vague
metric), measurable, time-bound (no or an unreadable deadline), relevant (no or an unknown objective),
achievable (target above / below what history supports, or not assessed)."""
VAGUE_METRICS = (
    "better", "improve", "improvement", "more", "performance", "effort", "quality", "results",
    "success", "growth", "work hard", "best", "提升", "提高", "加强", "改善", "更好", "更多",
    "业绩", "努力", "效果", "质量", "成绩",
)
"""Metric names too vague to count (a SMART goal names what is counted)."""

# metric -> kind (ratio | count | money | days) and whether higher is better. ``lookback``:
# the metric needs a year of earlier data (new customers, growth, repurchase).
METRICS: dict[str, dict[str, Any]] = {
    "sales": {"kind": "money", "higher": True, "lookback": False},
    "sales_growth": {"kind": "ratio", "higher": True, "lookback": True},
    "orders": {"kind": "count", "higher": True, "lookback": False},
    "new_customers": {"kind": "count", "higher": True, "lookback": True},
    "new_key_accounts": {"kind": "count", "higher": True, "lookback": True},
    "repurchase_rate": {"kind": "ratio", "higher": True, "lookback": True},
    "repurchase_cycle_days": {"kind": "days", "higher": False, "lookback": True},
    "cycle_days": {"kind": "days", "higher": False, "lookback": False},
    "win_rate": {"kind": "ratio", "higher": True, "lookback": False},
    "avg_deal_size": {"kind": "money", "higher": True, "lookback": False},
    "visits": {"kind": "count", "higher": True, "lookback": False},
}
"""Key-result metrics the kit computes from the data (others are tracked by hand)."""


