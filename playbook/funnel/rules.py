"""Funnel stages, steps, metrics and the columns of every funnel table."""

from __future__ import annotations

from playbook.core import paths

__all__ = [
    "FUNNEL_STAGES", "STEPS", "REPURCHASE_STAGE", "REPURCHASE_STEP", "ALL_STAGES",
    "METRICS", "PER_MONTH", "AD_CHANNELS", "LEAK_MAP_PATH", "STAGE_COLUMNS",
    "STEP_COLUMNS", "FUNNEL_COLUMNS", "PROBLEM_COLUMNS", "COMPARISON_COLUMNS", "TEAM_COMPARISON_COLUMNS",
    "LEAK_COLUMNS", "REPURCHASE_COLUMNS", "DURATION_COLUMNS", "DURATION_SUMMARY_COLUMNS", "STUCK_COLUMNS",
    "PIPELINE_COLUMNS", "CHANNEL_COLUMNS", "CHANNEL_RATIO_COLUMNS", "PERIOD_COMPARISON_COLUMNS",
]

FUNNEL_STAGES = ("lead", "intent", "negotiation", "deal")
# step key -> (stage it starts from, stage it leads to)
STEPS = {
    "lead_to_intent": ("lead", "intent"),
    "intent_to_negotiation": ("intent", "negotiation"),
    "negotiation_to_deal": ("negotiation", "deal"),
}
# the method's fifth stage (domain section 3): lead -> intent -> negotiation -> deal -> repurchase.
# It needs the orders: a won customer "repurchases" when ordering again within the repurchase window.
REPURCHASE_STAGE = "repurchase"
REPURCHASE_STEP = "deal_to_repurchase"
ALL_STAGES = (*FUNNEL_STAGES, REPURCHASE_STAGE)
# every rate a rep is compared on: the funnel steps, then the two that need orders
METRICS = (*STEPS, "new_customers", "repurchase")
# metrics that are counts per month employed (the others are shares)
PER_MONTH = ("new_customers",)
# channels counted as paid advertising in the referral-vs-ads comparison
AD_CHANNELS = ("paid_search", "paid_social")
LEAK_MAP_PATH = paths.TEMPLATES_DIR / "leak_competency_map.yaml"

_DATE_COLUMNS = ("created_date", "intent_date", "negotiation_date", "closed_date")
_OPP_REQUIRED = ["opportunity_id", "rep_id", "channel", "amount", "created_date", "outcome"]
_STATUS = ("leak", "strong", "ok", "not_enough_data")

STAGE_COLUMNS = [
    "opportunity_id", "rep_id", "name", "team", "customer_id", "channel", "amount", "outcome",
    *_DATE_COLUMNS, "stage_reached", "reached_lead", "reached_intent", "reached_negotiation",
    "reached_deal", "pending_step", "stage_entered_date",
]
STEP_COLUMNS = ["step", "entered", "passed", "pending", "decided", "rate"]
FUNNEL_COLUMNS = [
    "leads", "intents", "negotiations", "deals", "lost", "open",
    "rate_lead_to_intent", "rate_intent_to_negotiation", "rate_negotiation_to_deal",
    "conv_lead_to_negotiation", "conv_lead_to_deal", "win_rate", "won_amount", "avg_deal",
    "repurchases", "rate_deal_to_repurchase",
]
PROBLEM_COLUMNS = ["opportunity_id", "rep_id", "code", "column", "value", "message"]
_COMPARED = [
    "peers", "step", "unit", "passed", "decided", "rate", "ci_low", "ci_high", "shrunk_rate",
    "peer_rate", "peer_median_rate", "status", "revenue_at_stake",
]
COMPARISON_COLUMNS = ["rep_id", "name", "team", *_COMPARED]
TEAM_COMPARISON_COLUMNS = ["team", *_COMPARED]
LEAK_COLUMNS = [
    "rep_id", "name", "team", "step", "competency", "unit", "passed", "decided", "rep_rate",
    "ci_low", "ci_high", "peer_rate", "peer_median_rate", "peers", "revenue_at_stake",
]
REPURCHASE_COLUMNS = ["won_customers", "eligible", "repurchased", "repurchase_rate",
                      "repurchase_revenue"]
DURATION_COLUMNS = [
    "opportunity_id", "rep_id", "name", "team", "channel", "amount", "stage",
    "entered_date", "left_date", "days", "ongoing",
]
DURATION_SUMMARY_COLUMNS = ["stage", "completed", "median_days", "p75_days", "p90_days", "ongoing"]
STUCK_COLUMNS = [
    "opportunity_id", "rep_id", "name", "team", "channel", "stage", "entered_date",
    "days_in_stage", "limit_days", "days_over", "amount",
]
PIPELINE_COLUMNS = [
    "open_deals", "open_amount", "win_rate", "avg_deal", "cycle_days", "expected_value",
    "velocity_per_day", "quota_horizon", "closed_in_horizon", "remaining_quota", "coverage",
    "weighted_coverage",
]
CHANNEL_COLUMNS = [
    "channel", "leads", "deals", "win_rate", "conv_lead_to_deal", "won_amount", "spend",
    "cost_per_lead", "cac", "roi", "low_roi",
]
CHANNEL_RATIO_COLUMNS = [
    "channel", "versus", "won", "closed", "win_rate", "versus_won", "versus_closed",
    "versus_win_rate", "ratio", "ratio_ci_low", "ratio_ci_high", "p_value",
]
PERIOD_COMPARISON_COLUMNS = [
    "step", "before_passed", "before_decided", "before_rate", "after_passed", "after_decided",
    "after_rate", "change", "p_value", "test", "significant",
]
