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

import math
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import yaml

from playbook import paths
from playbook.errors import InputError, ParameterError, PlaybookWarning, require_columns
from playbook.labels import catalogue, check_lang
from playbook.schema import OUTCOMES

__all__ = [
    "FUNNEL_STAGES",
    "STEPS",
    "METRICS",
    "PER_MONTH",
    "AD_CHANNELS",
    "LEAK_MAP_PATH",
    "STAGE_COLUMNS",
    "STEP_COLUMNS",
    "FUNNEL_COLUMNS",
    "PROBLEM_COLUMNS",
    "COMPARISON_COLUMNS",
    "TEAM_COMPARISON_COLUMNS",
    "LEAK_COLUMNS",
    "REPURCHASE_COLUMNS",
    "DURATION_COLUMNS",
    "DURATION_SUMMARY_COLUMNS",
    "STUCK_COLUMNS",
    "PIPELINE_COLUMNS",
    "CHANNEL_COLUMNS",
    "CHANNEL_RATIO_COLUMNS",
    "PERIOD_COMPARISON_COLUMNS",
    "MONEY_COLUMNS",
    "PCT_COLUMNS",
    "resolve_as_of",
    "opportunity_problems",
    "stage_table",
    "select",
    "step_table",
    "funnel_table",
    "wilson_interval",
    "poisson_interval",
    "proportion_test",
    "repurchase_table",
    "rep_comparison",
    "team_comparison",
    "load_leak_map",
    "rep_leaks",
    "stage_durations",
    "duration_summary",
    "stuck_deals",
    "pipeline_table",
    "channel_table",
    "channel_ratio",
    "compare_periods",
    "add_period",
    "periods_around",
    "channel_ratio_text",
    "for_display",
]

FUNNEL_STAGES = ("lead", "intent", "negotiation", "deal")
# step key -> (stage it starts from, stage it leads to)
STEPS = {
    "lead_to_intent": ("lead", "intent"),
    "intent_to_negotiation": ("intent", "negotiation"),
    "negotiation_to_deal": ("negotiation", "deal"),
}
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
# money and percentage columns of the module's tables (formatted by for_display)
MONEY_COLUMNS = {
    "amount", "won_amount", "avg_deal", "revenue_at_stake", "repurchase_revenue", "open_amount",
    "expected_value", "velocity_per_day", "quota_horizon", "closed_in_horizon",
    "remaining_quota", "spend", "cost_per_lead", "cac", "quota", "net_sales",
}
PCT_COLUMNS = {
    "rate", "ci_low", "ci_high", "shrunk_rate", "peer_rate", "peer_median_rate", "rep_rate",
    "rate_lead_to_intent", "rate_intent_to_negotiation", "rate_negotiation_to_deal",
    "conv_lead_to_negotiation", "conv_lead_to_deal", "win_rate", "repurchase_rate",
    "versus_win_rate", "before_rate", "after_rate", "change", "attainment",
}


# --------------------------------------------------------------------------- helpers
_require = require_columns


def _kit(frame: pd.DataFrame, columns: Mapping[str, str] | None) -> pd.DataFrame:
    """Return ``frame`` with the caller's column names renamed to the kit's (a new frame)."""
    if not columns:
        return frame
    return frame.rename(columns={theirs: ours for ours, theirs in columns.items()})


def _date(value: object, name: str) -> pd.Timestamp | None:
    """Parse an optional date parameter; ``None`` or ``""`` mean "not given"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ParameterError(name, value, "a date such as '2025-09-30' (or empty)") from None
    if pd.isna(ts):
        raise ParameterError(name, value, "a date such as '2025-09-30' (or empty)")
    return ts.normalize()


def _as_dates(series: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.astype("datetime64[ns]")
    return pd.to_datetime(series, errors="coerce").astype("datetime64[ns]")


def _by(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _check_stages(stages: pd.DataFrame) -> None:
    _require(stages, ["reached_intent", "reached_negotiation", "reached_deal", "outcome"],
             "stages (the output of funnel.stage_table)")


def _ratio(num: object, den: object) -> np.ndarray:
    num = np.asarray(num, dtype="float64")
    den = np.asarray(den, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _latest_date(frame: pd.DataFrame) -> pd.Timestamp:
    cols = [c for c in _DATE_COLUMNS if c in frame.columns]
    latest = max((pd.to_datetime(frame[c], errors="coerce").max() for c in cols), default=pd.NaT)
    if pd.isna(latest):
        raise ParameterError("as_of", "", "a date (the opportunities carry no dates to take it from)")
    return pd.Timestamp(latest).normalize()


def resolve_as_of(as_of: object, opportunities: pd.DataFrame) -> pd.Timestamp:
    """Return ``as_of`` as a date, or the latest stage date in ``opportunities`` when empty.

    Examples
    --------
    >>> o = pd.DataFrame({"created_date": pd.to_datetime(["2025-03-01"]),
    ...                   "closed_date": pd.to_datetime(["2025-04-02"])})
    >>> str(resolve_as_of("", o).date()), str(resolve_as_of("2025-03-31", o).date())
    ('2025-04-02', '2025-03-31')
    """
    parsed = _date(as_of, "as_of")
    return _latest_date(opportunities) if parsed is None else parsed


# --------------------------------------------------------------------------- stage table
def _prepared(opportunities: pd.DataFrame, columns: Mapping[str, str] | None) -> pd.DataFrame:
    opps = _kit(opportunities, columns)
    _require(opps, _OPP_REQUIRED, "opportunities")
    out = pd.DataFrame(index=opps.index)
    out["opportunity_id"] = opps["opportunity_id"].astype("string")
    out["rep_id"] = opps["rep_id"].astype("string")
    out["customer_id"] = (opps["customer_id"].astype("string") if "customer_id" in opps
                          else pd.Series(pd.NA, index=opps.index, dtype="string"))
    out["channel"] = opps["channel"].astype("string")
    out["amount"] = pd.to_numeric(opps["amount"], errors="coerce").astype("float64")
    outcome = opps["outcome"].astype("string")
    if not outcome.isin(OUTCOMES).all():
        outcome = outcome.str.strip().str.lower()
    out["outcome"] = outcome
    for col in _DATE_COLUMNS:
        out[col] = (_as_dates(opps[col]) if col in opps
                    else pd.Series(pd.NaT, index=opps.index, dtype="datetime64[ns]"))
    return out


def _problems(opps: pd.DataFrame) -> pd.DataFrame:
    """Problems of a prepared frame: one row per (opportunity, problem)."""
    parts = []

    def add(mask: pd.Series, code: str, column: str, message: str) -> None:
        if mask.any():
            sub = opps.loc[mask]
            value = (sub[column].astype("string") if column in sub
                     else pd.Series(pd.NA, index=sub.index, dtype="string"))
            parts.append(pd.DataFrame({
                "opportunity_id": sub["opportunity_id"], "rep_id": sub["rep_id"], "code": code,
                "column": column, "value": value.fillna(""),
                "message": "opportunity " + sub["opportunity_id"].fillna("?") + ": " + message,
            }))

    outcome = opps["outcome"]
    add(~outcome.isin(OUTCOMES), "unknown_outcome", "outcome",
        "outcome must be one of won, lost, open")
    add(opps["created_date"].isna(), "missing_created_date", "created_date",
        "created_date is empty: every opportunity needs the date its lead was created")
    # each stage date must not be earlier than the latest earlier stage date
    latest = opps["created_date"]
    for col in _DATE_COLUMNS[1:]:
        d = opps[col]
        add(d.notna() & latest.notna() & (d < latest), "dates_out_of_order", col,
            f"{col} is earlier than an earlier stage's date (expected created_date <= "
            "intent_date <= negotiation_date <= closed_date)")
        latest = latest.where(d.isna() | (latest > d), d)
    closed = outcome.isin(["won", "lost"])
    add(closed & opps["closed_date"].isna(), "closed_without_date", "closed_date",
        "outcome is won or lost but closed_date is empty: add the close date")
    add((outcome == "open") & opps["closed_date"].notna(), "open_with_close_date", "closed_date",
        "outcome is open but closed_date is set: set the outcome to won or lost, or clear the date")
    add((outcome == "won") & ~(opps["amount"] >= 0), "won_without_amount", "amount",
        "a won deal needs its signed amount (>= 0)")
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in PROBLEM_COLUMNS})
    return pd.concat(parts, ignore_index=True)[PROBLEM_COLUMNS]


def opportunity_problems(
    opportunities: pd.DataFrame, *, as_of: object = None, columns: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """List the opportunities the funnel cannot count as they are, one row per problem.

    Problems (``code``): ``unknown_outcome``, ``missing_created_date``,
    ``dates_out_of_order`` (a stage date earlier than an earlier stage's date),
    ``closed_without_date`` (won or lost, no ``closed_date``), ``open_with_close_date``,
    ``won_without_amount`` (won, amount missing or negative). Leads created after
    ``as_of`` are not checked (they are out of scope).

    Parameters
    ----------
    opportunities : DataFrame
        The ``opportunities`` table (see :mod:`playbook.schema`).
    as_of : date-like, optional
        Only leads created on or before this date are checked.
    columns : mapping, optional
        ``{kit column: your column}`` when the frame uses other names.

    Returns
    -------
    DataFrame
        Columns :data:`PROBLEM_COLUMNS`; empty when every opportunity can be counted.

    Examples
    --------
    >>> o = pd.DataFrame({"opportunity_id": ["o1"], "rep_id": ["R1"], "channel": ["referral"],
    ...                   "amount": [None], "created_date": pd.to_datetime(["2025-01-05"]),
    ...                   "intent_date": pd.to_datetime(["2025-01-02"]),
    ...                   "closed_date": pd.NaT, "outcome": ["won"]})
    >>> opportunity_problems(o)["code"].tolist()
    ['dates_out_of_order', 'closed_without_date', 'won_without_amount']
    """
    opps = _prepared(opportunities, columns)
    end = _date(as_of, "as_of")
    if end is not None:
        opps = opps.loc[~(opps["created_date"] > end)]
    return _problems(opps)


def stage_table(
    opportunities: pd.DataFrame,
    *,
    reps: pd.DataFrame | None = None,
    as_of: object = None,
    invalid: str = "raise",
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per opportunity with the funnel stages it reached (the module's counting rules).

    Parameters
    ----------
    opportunities : DataFrame
        ``opportunity_id, rep_id, channel, amount, created_date, outcome`` and the optional
        ``customer_id, intent_date, negotiation_date, closed_date``.
    reps : DataFrame, optional
        ``rep_id, team`` (and ``name``): adds each opportunity's team and rep name.
    as_of : date-like, optional
        Show the funnel as it stood that day (see the module notes).
    invalid : {"raise", "drop"}
        What to do with opportunities listed by :func:`opportunity_problems`: raise an
        :class:`~playbook.errors.InputError` naming them, or leave them out with a
        :class:`~playbook.errors.PlaybookWarning` saying how many.
    columns : mapping, optional
        ``{kit column: your column}`` for ``opportunities``.

    Returns
    -------
    DataFrame
        Columns :data:`STAGE_COLUMNS`. ``stage_reached`` is the furthest stage (lead,
        intent, negotiation, deal); ``reached_*`` are booleans; ``pending_step`` is the
        step an open opportunity is sitting in (else missing); ``stage_entered_date`` is
        the date it entered its furthest stage. ``team`` and ``name`` are missing without
        ``reps``. Row order follows the input.

    Examples
    --------
    >>> o = pd.DataFrame({"opportunity_id": ["o1", "o2"], "rep_id": ["R1", "R2"],
    ...                   "channel": ["referral", "trade_show"], "amount": [10.0, 20.0],
    ...                   "created_date": pd.to_datetime(["2025-01-02", "2025-01-03"]),
    ...                   "negotiation_date": pd.to_datetime(["2025-01-08", None]),
    ...                   "closed_date": pd.to_datetime(["2025-02-01", None]),
    ...                   "outcome": ["won", "open"]})
    >>> s = stage_table(o, as_of="2025-01-31")  # o1 was still open that day
    >>> s[["opportunity_id", "outcome", "stage_reached", "reached_intent", "pending_step"]]
      opportunity_id outcome stage_reached reached_intent         pending_step
    0             o1    open   negotiation           True  negotiation_to_deal
    1             o2    open          lead          False       lead_to_intent
    """
    if invalid not in ("raise", "drop"):
        raise ParameterError("invalid", invalid, "'raise' or 'drop'")
    opps = _prepared(opportunities, columns)
    end = _date(as_of, "as_of")
    if end is not None:
        opps = opps.loc[~(opps["created_date"] > end)]
    problems = _problems(opps)
    if len(problems):
        if invalid == "raise":
            counts = problems["code"].value_counts()
            lines = [f"{len(problems)} problem(s) in the opportunities stop the funnel count "
                     f"({', '.join(f'{c}: {n}' for c, n in counts.items())}):"]
            lines += ["  - " + m for m in problems["message"].head(10)]
            if len(problems) > 10:
                lines.append(f"  ... and {len(problems) - 10} more (funnel.opportunity_problems lists all)")
            lines.append("Fix these rows in the CRM export, or pass invalid='drop' to leave them out.")
            raise InputError("\n".join(lines))
        bad = opps["opportunity_id"].isin(problems["opportunity_id"])
        warnings.warn(
            f"{int(bad.sum())} opportunit(ies) with problems left out of the funnel "
            f"(funnel.opportunity_problems lists them).", PlaybookWarning, stacklevel=2)
        opps = opps.loc[~bad]
    if end is not None:
        for col in _DATE_COLUMNS[1:]:
            opps[col] = opps[col].where(~(opps[col] > end))
        reopened = opps["outcome"].isin(["won", "lost"]) & opps["closed_date"].isna()
        opps["outcome"] = opps["outcome"].where(~reopened, "open")

    won = opps["outcome"] == "won"
    is_open = opps["outcome"] == "open"
    neg = opps["negotiation_date"].notna() | won
    intent = opps["intent_date"].notna() | neg
    level = intent.astype("int8") + neg.astype("int8") + won.astype("int8")
    out = opps.copy()
    out["stage_reached"] = pd.Categorical.from_codes(level.to_numpy(), categories=list(FUNNEL_STAGES),
                                                     ordered=True)
    out["reached_lead"] = True
    out["reached_intent"] = intent
    out["reached_negotiation"] = neg
    out["reached_deal"] = won
    step_names = np.array([*STEPS, None], dtype=object)
    out["pending_step"] = pd.array(np.where(is_open, step_names[level.to_numpy()], None), dtype="string")
    entered = np.select(
        [level.to_numpy() == 0, level.to_numpy() == 1, level.to_numpy() == 2],
        [opps["created_date"].to_numpy(), opps["intent_date"].to_numpy(),
         opps["negotiation_date"].to_numpy()],
        opps["closed_date"].to_numpy(),
    )
    # a won deal that skipped negotiation: its furthest stage is "deal", entered on close
    out["stage_entered_date"] = pd.to_datetime(entered)
    if reps is not None:
        _require(reps, ["rep_id", "team"], "reps")
        info = reps.assign(rep_id=reps["rep_id"].astype("string")).drop_duplicates("rep_id").set_index("rep_id")
        out["team"] = out["rep_id"].map(info["team"].astype("string"))
        out["name"] = (out["rep_id"].map(info["name"].astype("string")) if "name" in reps
                       else pd.Series(pd.NA, index=out.index, dtype="string"))
        unknown = out["team"].isna()
        if unknown.any():
            ids = sorted(out.loc[unknown, "rep_id"].dropna().unique())
            warnings.warn(
                f"{int(unknown.sum())} opportunit(ies) belong to rep_id(s) not in reps "
                f"({', '.join(ids[:5])}{' ...' if len(ids) > 5 else ''}): their team is empty.",
                PlaybookWarning, stacklevel=2)
    else:
        out["team"] = pd.Series(pd.NA, index=out.index, dtype="string")
        out["name"] = pd.Series(pd.NA, index=out.index, dtype="string")
    return out[STAGE_COLUMNS]


def select(
    stages: pd.DataFrame,
    *,
    period_start: object = None,
    period_end: object = None,
    team: str | None = None,
) -> pd.DataFrame:
    """Keep the leads created between ``period_start`` and ``period_end`` (inclusive) of ``team``.

    Empty values (``None`` or ``""``) mean "no limit" / "all teams".

    Raises
    ------
    ParameterError
        ``team`` is not a team of the data, or the period ends before it starts.
    InputError
        Nothing is left: no opportunity was created in the period (for that team).

    Examples
    --------
    >>> s = pd.DataFrame({"created_date": pd.to_datetime(["2025-01-02", "2025-03-01"]),
    ...                   "team": ["A", "B"]})
    >>> len(select(s, period_start="2025-02-01")), len(select(s, team="A"))
    (1, 1)
    """
    _require(stages, ["created_date", "team"], "stages")
    start, end = _date(period_start, "period_start"), _date(period_end, "period_end")
    if start is not None and end is not None and end < start:
        raise ParameterError("period_end", period_end, f"a date on or after period_start={period_start!r}")
    keep = pd.Series(True, index=stages.index)
    if team is not None and str(team).strip():
        teams = sorted(stages["team"].dropna().unique())
        if team not in teams:
            raise ParameterError("team", team, "one of " + ", ".join(repr(x) for x in teams)
                                 + " (or empty for all teams)")
        keep &= stages["team"] == team
    if start is not None:
        keep &= stages["created_date"] >= start
    if end is not None:
        keep &= stages["created_date"] <= end
    keep = keep.fillna(False).astype(bool)
    if not keep.any():
        where = f" for team {team!r}" if team else ""
        raise InputError(
            f"no opportunities created between {start.date() if start is not None else 'the start'} "
            f"and {end.date() if end is not None else 'the end'}{where}: widen period_start/"
            "period_end (empty = all) or choose another team.")
    return stages.loc[keep]


# --------------------------------------------------------------------------- counts
def _flags(stages: pd.DataFrame) -> pd.DataFrame:
    """Integer columns that sum to the step counts of any grouping."""
    is_open = stages["outcome"] == "open"
    won = stages["reached_deal"].astype(bool)
    neg = stages["reached_negotiation"].astype(bool)
    intent = stages["reached_intent"].astype(bool)
    amount = stages["amount"].astype("float64")
    return pd.DataFrame({
        "entered_1": np.ones(len(stages), dtype="int64"),
        "passed_1": intent.astype("int64"),
        "pending_1": (is_open & ~intent).astype("int64"),
        "passed_2": neg.astype("int64"),
        "pending_2": (is_open & intent & ~neg).astype("int64"),
        "passed_3": won.astype("int64"),
        "pending_3": (is_open & neg & ~won).astype("int64"),
        "lost": (stages["outcome"] == "lost").astype("int64"),
        "open": is_open.astype("int64"),
        "won_amount": amount.where(won, 0.0).fillna(0.0),
    }, index=stages.index)


def _sums(stages: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    _check_stages(stages)
    _require(stages, keys, "stages (by=)")
    flags = _flags(stages)
    if not keys:
        return flags.sum().to_frame().T.astype({c: "int64" for c in flags.columns if c != "won_amount"})
    for k in keys:
        flags[k] = stages[k]
    return flags.groupby(keys, dropna=False, observed=True, sort=True).sum().reset_index()


def _long(sums: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    parts = []
    entered = sums["entered_1"]
    for i, step in enumerate(STEPS, start=1):
        passed, pending = sums[f"passed_{i}"], sums[f"pending_{i}"]
        part = sums[keys].copy()
        part["step"] = step
        part["entered"] = entered.to_numpy()
        part["passed"] = passed.to_numpy()
        part["pending"] = pending.to_numpy()
        part["decided"] = (entered - pending).to_numpy()
        part["rate"] = _ratio(part["passed"], part["decided"])
        part["_order"] = np.arange(len(sums)) * len(STEPS) + i
        parts.append(part)
        entered = passed
    out = pd.concat(parts, ignore_index=True).sort_values("_order", kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)


def step_table(stages: pd.DataFrame, *, by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Step conversion in long form: one row per group and step.

    Parameters
    ----------
    stages : DataFrame
        The output of :func:`stage_table` (possibly :func:`select`-ed).
    by : str or list of str, optional
        Columns to group by (``"team"``, ``"rep_id"``, ``"channel"``, a period column ...).

    Returns
    -------
    DataFrame
        The ``by`` columns then :data:`STEP_COLUMNS`: ``entered`` reached the step's first
        stage, ``passed`` reached its second, ``pending`` are open and still sitting in the
        step, ``decided = entered - pending``, ``rate = passed / decided`` (NaN when
        nothing was decided).

    Examples
    --------
    >>> s = pd.DataFrame({"team": ["A", "A", "B"], "outcome": ["won", "lost", "lost"],
    ...                   "reached_intent": [True, True, False],
    ...                   "reached_negotiation": [True, False, False],
    ...                   "reached_deal": [True, False, False], "amount": [5.0, 1.0, 1.0]})
    >>> step_table(s, by="team")[["team", "step", "decided", "rate"]]
      team                   step  decided  rate
    0    A         lead_to_intent        2   1.0
    1    A  intent_to_negotiation        2   0.5
    2    A    negotiation_to_deal        1   1.0
    3    B         lead_to_intent        1   0.0
    4    B  intent_to_negotiation        0   NaN
    5    B    negotiation_to_deal        0   NaN
    """
    keys = _by(by)
    return _long(_sums(stages, keys), keys)[[*keys, *STEP_COLUMNS]]


def _wide(sums: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    out = sums[keys].copy()
    out["leads"] = sums["entered_1"].to_numpy()
    out["intents"] = sums["passed_1"].to_numpy()
    out["negotiations"] = sums["passed_2"].to_numpy()
    out["deals"] = sums["passed_3"].to_numpy()
    out["lost"] = sums["lost"].to_numpy()
    out["open"] = sums["open"].to_numpy()
    r1 = _ratio(sums["passed_1"], sums["entered_1"] - sums["pending_1"])
    r2 = _ratio(sums["passed_2"], sums["passed_1"] - sums["pending_2"])
    r3 = _ratio(sums["passed_3"], sums["passed_2"] - sums["pending_3"])
    out["rate_lead_to_intent"] = r1
    out["rate_intent_to_negotiation"] = r2
    out["rate_negotiation_to_deal"] = r3
    out["conv_lead_to_negotiation"] = r1 * r2
    out["conv_lead_to_deal"] = r1 * r2 * r3
    out["win_rate"] = _ratio(sums["passed_3"], sums["passed_3"] + sums["lost"])
    out["won_amount"] = sums["won_amount"].to_numpy().round(2)
    out["avg_deal"] = _ratio(sums["won_amount"], sums["passed_3"]).round(2)
    return out.reset_index(drop=True)


def funnel_table(stages: pd.DataFrame, *, by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Funnel per group: stage counts, step and cumulative conversion, win rate, deal size.

    Parameters
    ----------
    stages : DataFrame
        The output of :func:`stage_table`.
    by : str or list of str, optional
        Columns to group by; ``None`` gives one row for everything.

    Returns
    -------
    DataFrame
        The ``by`` columns then :data:`FUNNEL_COLUMNS`. ``leads >= intents >=
        negotiations >= deals``. ``rate_*`` are step rates (open opportunities pending in
        a step are left out of its denominator); ``conv_*`` cumulative conversion from lead
        (product of the step rates; ``conv`` to intent is ``rate_lead_to_intent``);
        ``win_rate = deals / (deals + lost)``; ``avg_deal`` the mean won amount.

    Examples
    --------
    >>> s = pd.DataFrame({"outcome": ["won", "lost", "open", "lost"],
    ...                   "reached_intent": [True, True, True, False],
    ...                   "reached_negotiation": [True, True, False, False],
    ...                   "reached_deal": [True, False, False, False],
    ...                   "amount": [100.0, 40.0, 10.0, 5.0]})
    >>> f = funnel_table(s)
    >>> f[["leads", "intents", "negotiations", "deals", "rate_intent_to_negotiation", "win_rate"]]
       leads  intents  negotiations  deals  rate_intent_to_negotiation  win_rate
    0      4        3             2      1                         1.0  0.333333
    """
    keys = _by(by)
    return _wide(_sums(stages, keys), keys)[[*keys, *FUNNEL_COLUMNS]]


# --------------------------------------------------------------------------- statistics
def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ParameterError("confidence", confidence, "a level between 0 and 1, e.g. 0.95")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(
    successes: object, trials: object, *, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion ``successes / trials`` (vectorised).

    Unlike the plain ``p ± z·se`` interval it stays within [0, 1] and is honest for
    small counts. ``trials == 0`` gives NaN bounds.

    Examples
    --------
    >>> low, high = wilson_interval(20, 100)
    >>> round(float(low), 4), round(float(high), 4)
    (0.1334, 0.2888)
    >>> [round(float(x), 3) for x in wilson_interval([0, 3], [3, 3])[1]]
    [0.561, 1.0]
    """
    z = _z(confidence)
    k = np.asarray(successes, dtype="float64")
    n = np.asarray(trials, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        # exact ends for 0 of n and n of n (the formula gives them up to rounding)
        low = np.where(n > 0, np.where(k <= 0, 0.0, np.clip(centre - half, 0.0, 1.0)), np.nan)
        high = np.where(n > 0, np.where(k >= n, 1.0, np.clip(centre + half, 0.0, 1.0)), np.nan)
    return low, high


def _fisher_p(a: int, b: int, c: int, d: int) -> float:
    """Two-sided Fisher exact p-value of the 2x2 table [[a, b], [c, d]]."""
    r1, r2, c1 = a + b, c + d, a + c
    n = r1 + r2
    lo, hi = max(0, c1 - r2), min(r1, c1)
    x = np.arange(lo, hi + 1, dtype="float64")

    def lchoose(m: float, k: np.ndarray | float) -> np.ndarray:
        return math.lgamma(m + 1) - _lgamma(k + 1) - _lgamma(m - k + 1)

    logp = lchoose(r1, x) + lchoose(r2, c1 - x) - math.lgamma(n + 1) + _lgamma(c1 + 1) + _lgamma(n - c1 + 1)
    pmf = np.exp(logp)
    observed = pmf[int(a - lo)]
    return float(min(1.0, pmf[pmf <= observed * (1 + 1e-7)].sum()))


_lgamma = np.vectorize(math.lgamma, otypes=[float])


def proportion_test(
    passed_1: int, n_1: int, passed_2: int, n_2: int, *, test: str = "auto"
) -> tuple[float, str]:
    """Two-sided test that two proportions are equal; returns ``(p_value, test_used)``.

    ``test`` is ``"z"`` (two-proportion z-test, pooled), ``"fisher"`` (Fisher's exact
    test) or ``"auto"``: Fisher when an expected cell count is below 5, else z. A p-value
    below 0.05 says the difference is unlikely to be noise. NaN when a side is empty.

    Examples
    --------
    >>> p, used = proportion_test(45, 100, 30, 100)
    >>> round(p, 4), used
    (0.0285, 'z')
    >>> p, used = proportion_test(6, 7, 1, 6)  # [[6, 1], [1, 5]]: small counts
    >>> round(p, 4), used
    (0.0291, 'fisher')
    """
    if test not in ("auto", "z", "fisher"):
        raise ParameterError("test", test, "'auto', 'z' or 'fisher'")
    k1, n1, k2, n2 = int(passed_1), int(n_1), int(passed_2), int(n_2)
    if n1 <= 0 or n2 <= 0:
        return float("nan"), test if test != "auto" else "z"
    if test == "auto":
        pooled = (k1 + k2) / (n1 + n2)
        expected = [n1 * pooled, n1 * (1 - pooled), n2 * pooled, n2 * (1 - pooled)]
        test = "fisher" if min(expected) < 5 else "z"
    if test == "fisher":
        return _fisher_p(k1, n1 - k1, k2, n2 - k2), "fisher"
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0, "z"
    zval = (k1 / n1 - k2 / n2) / se
    return math.erfc(abs(zval) / math.sqrt(2)), "z"


# --------------------------------------------------------------------------- repurchase
def _won_customers(stages: pd.DataFrame, orders: pd.DataFrame, *, as_of: pd.Timestamp,
                   window_days: int) -> pd.DataFrame:
    """Won customers (earliest won deal each) with their repurchase outcome and revenue."""
    _require(orders, ["customer_id", "order_date", "amount"], "orders")
    won = stages.loc[(stages["outcome"] == "won") & stages["customer_id"].notna()]
    won = won.sort_values(["closed_date", "opportunity_id"], kind="stable").drop_duplicates("customer_id")
    won = won.copy()
    won["customer_id"] = won["customer_id"].astype("string")
    won["end"] = won["closed_date"] + pd.Timedelta(days=window_days)
    won["eligible"] = won["end"] <= as_of
    o = pd.DataFrame({
        "customer_id": orders["customer_id"].astype("string"),
        "order_date": _as_dates(orders["order_date"]).astype("datetime64[ns]"),
        "amount": pd.to_numeric(orders["amount"], errors="coerce").astype("float64"),
    })
    o = o.loc[(o["amount"] > 0) & o["customer_id"].isin(won["customer_id"])]
    o = o.sort_values(["customer_id", "order_date"], kind="stable")
    o["cum"] = o.groupby("customer_id")["amount"].cumsum()
    o = o.sort_values("order_date", kind="stable")

    def cum_at(dates: pd.Series) -> np.ndarray:
        left = pd.DataFrame({"customer_id": won["customer_id"], "order_date": dates.astype("datetime64[ns]"),
                             "_i": np.arange(len(won))}).sort_values("order_date", kind="stable")
        m = pd.merge_asof(left, o[["customer_id", "order_date", "cum"]], on="order_date",
                          by="customer_id", direction="backward")
        return m.sort_values("_i")["cum"].fillna(0.0).to_numpy()

    if len(won):
        revenue = cum_at(won["end"]) - cum_at(won["closed_date"])
    else:
        revenue = np.zeros(0)
    won["revenue"] = np.round(revenue, 2)
    won["repurchased"] = won["revenue"] > 0
    return won


def repurchase_table(
    stages: pd.DataFrame,
    orders: pd.DataFrame,
    *,
    as_of: object,
    window_days: int = 180,
    by: str | Sequence[str] | None = None,
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Share of won customers who order again within ``window_days`` after the deal closed.

    Each customer counts once, with their earliest won deal in ``stages``; the rep and
    team of that deal get the credit. "Ordering again" means a positive order dated after
    the close date and at most ``window_days`` later (orders on the close day are the deal
    itself). Only customers whose window has ended by ``as_of`` are *eligible*: a deal
    closed last week has not had its chance yet. Won deals without a ``customer_id``
    cannot be linked to orders and are left out.

    Parameters
    ----------
    stages : DataFrame
        The output of :func:`stage_table`.
    orders : DataFrame
        ``customer_id, order_date, amount`` (refunds negative; they are ignored).
    as_of : date-like
        The day the windows must have ended by.
    window_days : int
        Length of the repurchase window in days.
    by : str or list of str, optional
        Columns of ``stages`` to group by.
    columns : mapping, optional
        ``{kit column: your column}`` for ``orders``.

    Returns
    -------
    DataFrame
        The ``by`` columns then :data:`REPURCHASE_COLUMNS`; ``repurchase_revenue`` is the
        eligible customers' positive orders within their windows.

    Examples
    --------
    >>> s = pd.DataFrame({"opportunity_id": ["o1", "o2", "o3"], "customer_id": ["C1", "C2", "C3"],
    ...                   "rep_id": ["R1"] * 3, "team": ["A"] * 3, "channel": ["referral"] * 3,
    ...                   "outcome": ["won"] * 3,
    ...                   "closed_date": pd.to_datetime(["2025-01-10", "2025-02-01", "2025-06-20"])})
    >>> orders = pd.DataFrame({"customer_id": ["C1", "C1", "C2"], "amount": [9.0, 4.0, 7.0],
    ...                        "order_date": pd.to_datetime(["2025-01-10", "2025-03-01", "2025-08-15"])})
    >>> repurchase_table(s, orders, as_of="2025-06-30", window_days=90)
       won_customers  eligible  repurchased  repurchase_rate  repurchase_revenue
    0              3         2            1              0.5                 4.0
    """
    _require(stages, ["opportunity_id", "customer_id", "rep_id", "team", "channel", "outcome",
                      "closed_date"], "stages")
    if int(window_days) < 1:
        raise ParameterError("window_days", window_days, "a whole number of days >= 1")
    end = _date(as_of, "as_of")
    if end is None:
        raise ParameterError("as_of", as_of, "a date such as '2025-09-30'")
    won = _won_customers(stages, _kit(orders, columns), as_of=end, window_days=int(window_days))
    keys = _by(by)
    won["won_customers"] = 1
    won["eligible"] = won["eligible"].astype("int64")
    won["repurchased"] = (won["repurchased"] & (won["eligible"] == 1)).astype("int64")
    won["repurchase_revenue"] = won["revenue"].where(won["eligible"] == 1, 0.0)
    cols = ["won_customers", "eligible", "repurchased", "repurchase_revenue"]
    if keys:
        out = won.groupby(keys, dropna=False, observed=True)[cols].sum().reset_index()
    else:
        out = won[cols].sum().to_frame().T
        out = out.astype({c: "int64" for c in cols[:3]})
    out["repurchase_rate"] = _ratio(out["repurchased"], out["eligible"])
    out["repurchase_revenue"] = out["repurchase_revenue"].astype("float64").round(2)
    return out[[*keys, *REPURCHASE_COLUMNS]].reset_index(drop=True)


# --------------------------------------------------------------------------- comparisons
def _new_deals(stages: pd.DataFrame, orders: pd.DataFrame) -> pd.Series:
    """Boolean per won row of ``stages``: the deal brought a new customer.

    New = no ``customer_id`` on the opportunity, or the customer had no positive order
    before the opportunity was created.
    """
    _require(orders, ["customer_id", "order_date", "amount"], "orders")
    won = stages.loc[stages["outcome"] == "won"]
    positive = pd.to_numeric(orders["amount"], errors="coerce").to_numpy() > 0
    first = (pd.DataFrame({"customer_id": orders["customer_id"].astype("string"),
                           "order_date": _as_dates(orders["order_date"])})
             .loc[positive].groupby("customer_id")["order_date"].min())
    before = won["customer_id"].astype("string").map(first)
    return won["customer_id"].isna() | before.isna() | (before >= won["created_date"])


def _exposure(stages: pd.DataFrame, reps: pd.DataFrame | None, end: pd.Timestamp) -> pd.DataFrame:
    """Months each rep was employed between the first lead in ``stages`` and ``end``.

    Reps without a hire (leave) date count from the first lead (to ``end``).
    """
    start = pd.Timestamp(stages["created_date"].min()).normalize()
    if reps is not None:
        none = pd.Series(pd.NaT, index=reps.index, dtype="datetime64[ns]")
        roster = pd.DataFrame({"rep_id": reps["rep_id"].astype("string"), "team": reps["team"].astype("string"),
                               "hire": _as_dates(reps["hire_date"]) if "hire_date" in reps else none,
                               "leave": _as_dates(reps["leave_date"]) if "leave_date" in reps else none})
    else:
        roster = (stages[["rep_id", "team"]].astype("string").drop_duplicates("rep_id")
                  .assign(hire=pd.NaT, leave=pd.NaT))
        roster = roster.astype({"hire": "datetime64[ns]", "leave": "datetime64[ns]"})
    lo = roster["hire"].fillna(start).clip(lower=start)
    hi = roster["leave"].fillna(end).clip(upper=end)
    days = ((hi - lo).dt.days + 1).clip(lower=0)
    return roster[["rep_id", "team"]].assign(months=(days / _MONTH_DAYS).to_numpy())


_MONTH_DAYS = 365.25 / 12


def _metric_counts(stages: pd.DataFrame, unit: list[str], *, orders: pd.DataFrame | None,
                   reps: pd.DataFrame | None, as_of: pd.Timestamp | None, window_days: int) -> pd.DataFrame:
    """Long counts: unit columns, step, passed, decided (funnel steps, + the orders metrics)."""
    counts = _long(_sums(stages, unit), unit)[[*unit, "step", "passed", "decided"]]
    counts["decided"] = counts["decided"].astype("float64")
    if orders is None:
        return counts
    won = stages.loc[stages["outcome"] == "won"]
    new = won.loc[_new_deals(stages, orders)]
    nc = new.groupby(unit, dropna=False, observed=True).size().rename("passed").reset_index()
    months = _exposure(stages, reps, as_of).groupby(unit, dropna=False)["months"].sum().rename("decided")
    nc = months.reset_index().merge(nc, on=unit, how="outer")
    nc = nc.assign(step="new_customers", passed=nc["passed"].fillna(0).astype("int64"),
                   decided=nc["decided"].fillna(0.0).round(1))
    rp = _won_customers(stages, orders, as_of=as_of, window_days=window_days)
    rp = (rp.assign(passed=(rp["repurchased"] & rp["eligible"]).astype("int64"),
                    decided=rp["eligible"].astype("float64"))
          .groupby(unit, dropna=False, observed=True)[["passed", "decided"]].sum().reset_index()
          .assign(step="repurchase"))
    return pd.concat([counts, nc[counts.columns], rp[counts.columns]], ignore_index=True)


def _value_per_pass(stages: pd.DataFrame, peers: list[str], *, orders: pd.DataFrame | None,
                    as_of: pd.Timestamp | None, window_days: int) -> pd.DataFrame:
    """Per peer group and step: the revenue one more pass (or new customer) is worth on average."""
    wide = _wide(_sums(stages, peers), peers)
    parts = []
    r2, r3 = wide["rate_intent_to_negotiation"].fillna(0), wide["rate_negotiation_to_deal"].fillna(0)
    avg = wide["avg_deal"].fillna(0.0)
    for step, downstream in (("lead_to_intent", r2 * r3), ("intent_to_negotiation", r3),
                             ("negotiation_to_deal", 1.0)):
        parts.append(wide[peers].assign(step=step, value=(avg * downstream).to_numpy()))
    if orders is not None:
        won = stages.loc[stages["outcome"] == "won"]
        new = won.loc[_new_deals(stages, orders)]
        first_deal = new.groupby(peers, dropna=False, observed=True)["amount"].mean().rename("value")
        parts.append(wide[peers].merge(first_deal.reset_index(), on=peers, how="left").assign(step="new_customers"))
        rp = _won_customers(stages, orders, as_of=as_of, window_days=window_days)
        rp = rp.loc[rp["eligible"] & rp["repurchased"]]
        per = rp.groupby(peers, dropna=False, observed=True)["revenue"].mean().rename("value")
        parts.append(wide[peers].merge(per.reset_index(), on=peers, how="left").assign(step="repurchase"))
    return pd.concat(parts, ignore_index=True)


def poisson_interval(count: object, exposure: object, *, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Score interval for a rate ``count / exposure`` (e.g. new customers per month), vectorised.

    The Poisson counterpart of :func:`wilson_interval`: the bounds solve
    ``(count - mu)^2 / mu = z^2`` for the expected count ``mu``, divided by ``exposure``.
    ``exposure == 0`` gives NaN bounds.

    Examples
    --------
    >>> low, high = poisson_interval(0, 10)  # none in 10 months: up to z^2 / 10 a month
    >>> float(low), round(float(high), 3)
    (0.0, 0.384)
    >>> [round(float(x), 2) for x in poisson_interval(20, 10)]
    [1.29, 3.09]
    """
    z = _z(confidence)
    k = np.asarray(count, dtype="float64")
    e = np.asarray(exposure, dtype="float64")
    half = z * np.sqrt(k + z * z / 4)
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.where(e > 0, np.clip(k + z * z / 2 - half, 0.0, None) / e, np.nan)
        high = np.where(e > 0, (k + z * z / 2 + half) / e, np.nan)
    return np.where(k <= 0, np.where(e > 0, 0.0, np.nan), low), high


def _compare(counts: pd.DataFrame, values: pd.DataFrame, *, unit: list[str], peers: list[str],
             confidence: float, min_n: int, min_months: float, prior_strength: float) -> pd.DataFrame:
    if int(min_n) < 1:
        raise ParameterError("min_n", min_n, "a whole number >= 1 (decided opportunities needed)")
    if not min_months > 0:
        raise ParameterError("min_months", min_months, "a number of months > 0")
    if prior_strength < 0:
        raise ParameterError("prior_strength", prior_strength, "a number >= 0")
    c = counts.copy()
    c["unit"] = pd.array(np.where(c["step"].isin(PER_MONTH), "per_month", "share"), dtype="string")
    per_month = (c["unit"] == "per_month").to_numpy()
    grp = [*peers, "step"]
    pooled = c.groupby(grp, dropna=False, observed=True)[["passed", "decided"]].sum()
    pooled["peer_rate"] = _ratio(pooled["passed"], pooled["decided"])
    c["rate"] = _ratio(c["passed"], c["decided"])
    c["_enough"] = np.where(per_month, c["decided"] >= float(min_months), c["decided"] >= int(min_n))
    med = c.loc[c["_enough"]].groupby(grp, dropna=False, observed=True)["rate"].median().rename("peer_median_rate")
    c = c.merge(pooled[["peer_rate"]].reset_index(), on=grp, how="left")
    c = c.merge(med.reset_index(), on=grp, how="left")
    c = c.merge(values, on=grp, how="left")
    per_month = (c["unit"] == "per_month").to_numpy()
    w_low, w_high = wilson_interval(c["passed"], c["decided"], confidence=confidence)
    p_low, p_high = poisson_interval(c["passed"], c["decided"], confidence=confidence)
    c["ci_low"] = np.where(per_month, p_low, w_low)
    c["ci_high"] = np.where(per_month, p_high, w_high)
    m = float(prior_strength)
    c["shrunk_rate"] = _ratio(c["passed"] + m * c["peer_rate"], c["decided"] + m)
    status = np.select(
        [~c["_enough"].to_numpy(dtype=bool), c["ci_high"].to_numpy() < c["peer_rate"].to_numpy(),
         c["ci_low"].to_numpy() > c["peer_rate"].to_numpy()],
        ["not_enough_data", "leak", "strong"], "ok")
    c["status"] = pd.array(status, dtype="string")
    gap = (c["peer_median_rate"] - c["rate"]).clip(lower=0)
    stake = (gap * c["decided"] * c["value"]).round(2)
    c["revenue_at_stake"] = stake.where(c["status"] == "leak")
    order = {s: i for i, s in enumerate(METRICS)}
    c["_o"] = c["step"].map(order)
    c = c.sort_values([*unit, "_o"], kind="stable")
    return c.drop(columns=["_o", "_enough", "value"]).reset_index(drop=True)


def _check_reference(reference: str) -> None:
    if reference not in ("team", "company"):
        raise ParameterError("reference", reference, "'team' or 'company'")


def rep_comparison(
    stages: pd.DataFrame,
    reps: pd.DataFrame | None = None,
    *,
    orders: pd.DataFrame | None = None,
    as_of: object = None,
    reference: str = "team",
    confidence: float = 0.95,
    min_n: int = 10,
    min_months: float = 3.0,
    prior_strength: float = 10.0,
    window_days: int = 180,
) -> pd.DataFrame:
    """Each rep's rate per step, with an interval, against the rep's peers.

    Steps are the three funnel steps (``unit == "share"``: passed / decided, Wilson
    interval) and, with ``orders``, ``new_customers`` (``unit == "per_month"``: new
    customers won per month employed, Poisson score interval; "few new customers") and
    ``repurchase`` (share of won customers ordering again, see :func:`repurchase_table`).

    Status per (rep, step):

    - ``not_enough_data``: fewer than ``min_n`` decided opportunities (or fewer than
      ``min_months`` months employed for a per-month rate); a rep with no deals gets
      this, never 0%;
    - ``leak``: the interval's upper bound is below the peers' pooled rate (credibly
      below, not a handful of unlucky deals);
    - ``strong``: the lower bound is above the peers' rate;
    - ``ok``: otherwise.

    A leak carries its **revenue at stake**: the extra passes the rep would have had at
    the peers' median rate (median over reps with enough data) times what a pass is
    worth in the peer group: the average won deal times the peers' conversion from the
    step's next stage to deal; for new customers the average first deal, for repurchase
    the average repurchase revenue.

    Parameters
    ----------
    stages : DataFrame
        The output of :func:`stage_table` with ``reps`` (so it has ``team``).
    reps : DataFrame, optional
        ``rep_id, name, team`` (and ``hire_date, leave_date`` for months employed):
        reps of the teams in ``stages`` without any opportunity are listed too.
    orders : DataFrame, optional
        ``customer_id, order_date, amount``: adds ``new_customers`` (won deals whose
        customer had no order before the opportunity was created) and ``repurchase``.
    as_of : date-like, optional
        End of the months counted and of the repurchase windows; default the latest
        date in ``stages``.
    reference : {"team", "company"}
        Peers: the rep's team, or every rep in ``stages``.
    confidence : float
        Level of the intervals.
    min_n : int
        Decided opportunities a rep needs in a step before it is judged.
    min_months : float
        Months employed (since the first lead in ``stages``) before new customers per
        month are judged.
    prior_strength : float
        ``shrunk_rate`` tops the rep's record up with this many opportunities (months)
        at the peers' rate (beta-binomial / gamma-Poisson shrinkage toward the team):
        a steadier figure for ranking.
    window_days : int
        Repurchase window.

    Returns
    -------
    DataFrame
        Columns :data:`COMPARISON_COLUMNS`, one row per rep and step, ordered by team,
        rep, step. ``decided`` holds months for per-month rates; ``peers`` says which
        reference was used.

    Examples
    --------
    >>> import numpy as np
    >>> deals = {"R1": (2, 3), "R2": (20, 100), "R3": (80, 100)}  # rep: (won, decided)
    >>> s = pd.concat([pd.DataFrame({"rep_id": rep, "team": "A", "amount": 10.0,
    ...                              "reached_intent": True, "reached_negotiation": True,
    ...                              "reached_deal": [True] * won + [False] * (n - won)})
    ...                for rep, (won, n) in deals.items()], ignore_index=True)
    >>> s["outcome"] = np.where(s["reached_deal"], "won", "lost")
    >>> c = rep_comparison(s)  # team rate 102/203; 2 of 3 is too few to judge
    >>> c.loc[c["step"] == "negotiation_to_deal", ["rep_id", "rate", "peer_rate", "status"]]
      rep_id      rate  peer_rate           status
    2     R1  0.666667   0.502463  not_enough_data
    5     R2  0.200000   0.502463             leak
    8     R3  0.800000   0.502463           strong
    """
    _check_reference(reference)
    _check_stages(stages)
    _require(stages, ["rep_id", "team"], "stages")
    if reps is not None:
        _require(reps, ["rep_id", "team"], "reps")
    end = _date(as_of, "as_of")
    if end is None and orders is not None:
        end = _latest_date(stages)
    unit = ["team", "rep_id"]
    stages = stages.astype({"team": "string", "rep_id": "string"})
    roster = None
    if reps is not None:
        roster = reps.assign(team=reps["team"].astype("string"), rep_id=reps["rep_id"].astype("string"))
        roster = roster.loc[roster["team"].isin(stages["team"].dropna().unique())].drop_duplicates("rep_id")
    counts = _metric_counts(stages, unit, orders=orders, reps=roster, as_of=end, window_days=window_days)
    if roster is not None:
        grid = roster[unit].merge(pd.DataFrame({"step": counts["step"].drop_duplicates()}), how="cross")
        counts = grid.merge(counts, on=[*unit, "step"], how="outer")
        counts["passed"] = counts["passed"].fillna(0).astype("int64")
        counts["decided"] = counts["decided"].fillna(0.0)
    if reference == "team":
        peers = ["team"]
        counts["peers"] = "team"
    else:
        peers = ["peers"]
        counts["peers"] = "company"
    vstages = stages if reference == "team" else stages.assign(peers="company")
    values = _value_per_pass(vstages, peers, orders=orders, as_of=end, window_days=window_days)
    out = _compare(counts, values, unit=unit, peers=peers, confidence=confidence, min_n=min_n,
                   min_months=min_months, prior_strength=prior_strength)
    source = roster if roster is not None and "name" in roster else stages
    names = source.drop_duplicates("rep_id").set_index("rep_id")["name"] if "name" in source else None
    out["name"] = out["rep_id"].map(names).astype("string") if names is not None else pd.NA
    return out[COMPARISON_COLUMNS]


def team_comparison(
    stages: pd.DataFrame,
    *,
    reps: pd.DataFrame | None = None,
    orders: pd.DataFrame | None = None,
    as_of: object = None,
    confidence: float = 0.95,
    min_n: int = 10,
    min_months: float = 3.0,
    prior_strength: float = 10.0,
    window_days: int = 180,
) -> pd.DataFrame:
    """Each team's rate per step against the whole company (same rules as :func:`rep_comparison`).

    A team leak (``status == "leak"``) is a process problem of the team, and its
    reps will not show it against their own team: use ``reference="company"`` in
    :func:`rep_comparison` to see them against the company. A team's months (for new
    customers per month) are the sum of its reps' months employed.

    Returns
    -------
    DataFrame
        Columns :data:`TEAM_COMPARISON_COLUMNS`, one row per team and step.

    Examples
    --------
    >>> s = pd.DataFrame({"team": ["A"] * 40 + ["B"] * 40, "amount": 1.0,
    ...                   "reached_intent": True, "reached_negotiation": True,
    ...                   "reached_deal": [True] * 8 + [False] * 32 + [True] * 30 + [False] * 10})
    >>> s["outcome"] = np.where(s["reached_deal"], "won", "lost")
    >>> c = team_comparison(s)
    >>> c.loc[c["step"] == "negotiation_to_deal", ["team", "rate", "peer_rate", "status"]]
      team  rate  peer_rate  status
    2    A  0.20      0.475    leak
    5    B  0.75      0.475  strong
    """
    _check_stages(stages)
    _require(stages, ["team"], "stages")
    end = _date(as_of, "as_of")
    if end is None and orders is not None:
        end = _latest_date(stages)
    stages = stages.astype({"team": "string"})
    roster = None
    if reps is not None:
        _require(reps, ["rep_id", "team"], "reps")
        roster = reps.loc[reps["team"].astype("string").isin(stages["team"].dropna().unique())]
    counts = _metric_counts(stages, ["team"], orders=orders, reps=roster, as_of=end, window_days=window_days)
    counts["peers"] = "company"
    values = _value_per_pass(stages.assign(peers="company"), ["peers"], orders=orders, as_of=end,
                             window_days=window_days)
    out = _compare(counts, values, unit=["team"], peers=["peers"], confidence=confidence, min_n=min_n,
                   min_months=min_months, prior_strength=prior_strength)
    return out[TEAM_COMPARISON_COLUMNS]


def load_leak_map(path: str | Path | None = None) -> dict[str, str]:
    """Return the leak -> competency map ``{step: competency key}`` (default: the template).

    The default lives in ``templates/leak_competency_map.yaml``; the IDP uses it to
    turn a leak into a development item.

    Examples
    --------
    >>> load_leak_map()["negotiation_to_deal"]
    'negotiation'
    """
    path = LEAK_MAP_PATH if path is None else paths.resolve(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ParameterError("competency_map", str(path), "an existing YAML file") from None
    leaks = data.get("leaks", data) if isinstance(data, dict) else None
    if not isinstance(leaks, dict):
        raise InputError(f"{path}: expected a mapping 'leaks: {{step: competency}}'.")
    unknown = sorted(set(leaks) - set(METRICS))
    if unknown:
        raise InputError(f"{path}: unknown step(s) {', '.join(unknown)}; steps are {', '.join(METRICS)}.")
    return {str(k): str(v["competency"] if isinstance(v, dict) else v) for k, v in leaks.items()}


def rep_leaks(
    comparison: pd.DataFrame, *, competency_map: Mapping[str, str] | str | Path | None = None
) -> pd.DataFrame:
    """Return the flagged leaks of :func:`rep_comparison`, one row per (rep, step), for the IDP.

    Parameters
    ----------
    comparison : DataFrame
        The output of :func:`rep_comparison`.
    competency_map : mapping or path, optional
        ``{step: competency key}``; default :func:`load_leak_map`. Steps missing from the
        map get an empty ``competency``.

    Returns
    -------
    DataFrame
        Columns :data:`LEAK_COLUMNS`, largest revenue at stake first. ``rep_rate`` with
        its interval ``ci_low``-``ci_high``; ``peer_rate`` the peers' pooled rate (the
        rep's team unless ``peers == "company"``).

    Examples
    --------
    >>> c = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann", "Bo"], "team": ["A", "A"],
    ...                   "peers": "team", "step": ["negotiation_to_deal"] * 2, "unit": "share",
    ...                   "passed": [20, 2], "decided": [100, 3], "rate": [0.2, 0.667],
    ...                   "ci_low": [0.133, 0.21], "ci_high": [0.289, 0.94], "shrunk_rate": 0.3,
    ...                   "peer_rate": 0.6, "peer_median_rate": 0.6,
    ...                   "status": ["leak", "not_enough_data"], "revenue_at_stake": [4000.0, None]})
    >>> rep_leaks(c)[["rep_id", "step", "competency", "rep_rate", "revenue_at_stake"]]
      rep_id                 step   competency  rep_rate  revenue_at_stake
    0     R1  negotiation_to_deal  negotiation       0.2            4000.0
    """
    _require(comparison, ["rep_id", "step", "status", "rate", "revenue_at_stake"], "comparison")
    if competency_map is None or isinstance(competency_map, (str, Path)):
        mapping = load_leak_map(competency_map)
    else:
        mapping = dict(competency_map)
    out = comparison.loc[comparison["status"] == "leak"].copy()
    out["competency"] = out["step"].map(mapping).astype("string")
    out = out.rename(columns={"rate": "rep_rate"})
    out = out.sort_values(["revenue_at_stake", "rep_id"], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)[LEAK_COLUMNS]


# --------------------------------------------------------------------------- time
def stage_durations(stages: pd.DataFrame, *, as_of: object = None) -> pd.DataFrame:
    """Days spent in each stage per opportunity, plus the sales cycle of won deals.

    A stage is left on the date of the next stage reached or on the close date (won or
    lost). Skipped stages (no date) get no row. An open opportunity still in a stage
    gets an ``ongoing`` row with the days up to ``as_of``. Rows with ``stage == "cycle"``
    hold won deals' days from lead created to closed.

    Parameters
    ----------
    stages : DataFrame
        The output of :func:`stage_table`.
    as_of : date-like, optional
        The day ongoing stays are measured to; default the latest date in ``stages``.

    Returns
    -------
    DataFrame
        Columns :data:`DURATION_COLUMNS`; ``stage`` in lead, intent, negotiation, cycle.

    Examples
    --------
    >>> s = pd.DataFrame({"opportunity_id": ["o1", "o2"], "rep_id": ["R1", "R1"], "name": "Ann",
    ...                   "team": "A", "channel": "referral", "amount": [10.0, 5.0],
    ...                   "outcome": ["won", "open"],
    ...                   "created_date": pd.to_datetime(["2025-01-01", "2025-01-01"]),
    ...                   "intent_date": pd.to_datetime(["2025-01-04", "2025-01-11"]),
    ...                   "negotiation_date": pd.NaT,
    ...                   "closed_date": pd.to_datetime(["2025-01-20", None])})
    >>> stage_durations(s, as_of="2025-01-31")[["opportunity_id", "stage", "days", "ongoing"]]
      opportunity_id   stage  days  ongoing
    0             o1    lead     3    False
    1             o2    lead    10    False
    2             o1  intent    16    False
    3             o2  intent    20     True
    4             o1   cycle    19    False
    """
    _require(stages, ["opportunity_id", "rep_id", "outcome", "amount", *_DATE_COLUMNS], "stages")
    end = _date(as_of, "as_of")
    end = _latest_date(stages) if end is None else end
    c, i, n, d = (stages[col] for col in _DATE_COLUMNS)
    is_open = stages["outcome"] == "open"
    pieces = [
        ("lead", c, i.combine_first(n).combine_first(d)),
        ("intent", i, n.combine_first(d)),
        ("negotiation", n, d),
    ]
    base = ["opportunity_id", "rep_id", "name", "team", "channel", "amount"]
    frame = stages.reindex(columns=base)
    parts = []
    for stage, entered, left in pieces:
        keep = entered.notna() & (left.notna() | is_open)
        part = frame.loc[keep].copy()
        part["stage"] = stage
        part["entered_date"] = entered[keep]
        part["left_date"] = left[keep]
        parts.append(part)
    won = stages["outcome"] == "won"
    cyc = frame.loc[won].copy()
    cyc["stage"] = "cycle"
    cyc["entered_date"], cyc["left_date"] = c[won], d[won]
    parts.append(cyc)
    out = pd.concat(parts, ignore_index=True)
    out["ongoing"] = out["left_date"].isna()
    stop = out["left_date"].fillna(end)
    out["days"] = (stop - out["entered_date"]).dt.days.astype("int64")
    return out[DURATION_COLUMNS]


def duration_summary(durations: pd.DataFrame, *, by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Median, 75th and 90th percentile of completed days per stage (and the sales cycle).

    Ongoing stays are counted in ``ongoing`` but not in the percentiles (they have not
    ended yet).

    Examples
    --------
    >>> d = pd.DataFrame({"stage": ["lead"] * 4 + ["cycle"], "days": [1, 2, 3, 10, 30],
    ...                   "ongoing": [False, False, False, True, False]})
    >>> duration_summary(d)
       stage  completed  median_days  p75_days  p90_days  ongoing
    0   lead          3          2.0       2.5       2.8        1
    1  cycle          1         30.0      30.0      30.0        0
    """
    _require(durations, ["stage", "days", "ongoing"], "durations")
    keys = _by(by)
    grp = [*keys, "stage"]
    d = durations.assign(_done=~durations["ongoing"].astype(bool))
    done = d.loc[d["_done"]]
    g = done.groupby(grp, dropna=False, observed=True)["days"]
    stats = pd.DataFrame({"completed": g.size(), "median_days": g.median(), "p75_days": g.quantile(0.75),
                          "p90_days": g.quantile(0.9)})
    ongoing = d.loc[~d["_done"]].groupby(grp, dropna=False, observed=True).size().rename("ongoing")
    out = stats.join(ongoing, how="outer").reset_index()
    out["completed"] = out["completed"].fillna(0).astype("int64")
    out["ongoing"] = out["ongoing"].fillna(0).astype("int64")
    order = {s: k for k, s in enumerate(["lead", "intent", "negotiation", "cycle"])}
    out = out.sort_values([*keys, "stage"], key=lambda s: s.map(order) if s.name == "stage" else s,
                          kind="stable")
    return out[[*keys, *DURATION_SUMMARY_COLUMNS]].reset_index(drop=True)


def stuck_deals(
    durations: pd.DataFrame,
    *,
    by: str | None = "team",
    quantile: float = 0.9,
    min_completed: int = 10,
) -> pd.DataFrame:
    """Open deals sitting in a stage longer than their team's 90th percentile for that stage.

    The limit of a (team, stage) is the ``quantile`` of the team's completed stays in that
    stage; a team with fewer than ``min_completed`` completed stays uses the whole
    company's. Owners (rep and name) are listed so a manager knows whom to ask.

    Parameters
    ----------
    durations : DataFrame
        The output of :func:`stage_durations` (measured as of the day that matters).
    by : str or None
        Peer group for the limit (``"team"``), or ``None`` for the company.
    quantile : float
        The limit's percentile (0.9 = p90).
    min_completed : int
        Completed stays a group needs to have its own limit.

    Returns
    -------
    DataFrame
        Columns :data:`STUCK_COLUMNS`, longest overrun first.

    Examples
    --------
    >>> d = pd.DataFrame({"opportunity_id": list("abcdef"), "rep_id": "R1", "name": "Ann",
    ...                   "team": "A", "channel": "referral", "amount": 5.0,
    ...                   "stage": "intent", "entered_date": pd.Timestamp("2025-01-01"),
    ...                   "days": [10, 10, 10, 20, 25, 11],
    ...                   "ongoing": [False, False, False, False, True, True]})
    >>> stuck_deals(d, min_completed=1)[["opportunity_id", "days_in_stage", "limit_days", "days_over"]]
      opportunity_id  days_in_stage  limit_days  days_over
    0              e             25        17.0        8.0
    """
    _require(durations, ["stage", "days", "ongoing", "opportunity_id", "rep_id", "entered_date"], "durations")
    if not 0 < quantile < 1:
        raise ParameterError("quantile", quantile, "a number between 0 and 1, e.g. 0.9")
    keys = _by(by)
    d = durations.loc[durations["stage"] != "cycle"]
    done = d.loc[~d["ongoing"].astype(bool)]
    company = done.groupby("stage")["days"].quantile(quantile).rename("_company")
    live = d.loc[d["ongoing"].astype(bool)].merge(company.reset_index(), on="stage", how="left")
    if keys:
        g = done.groupby([*keys, "stage"], dropna=False, observed=True)["days"]
        own = pd.DataFrame({"_own": g.quantile(quantile), "_n": g.size()}).reset_index()
        live = live.merge(own, on=[*keys, "stage"], how="left")
        live["limit_days"] = live["_own"].where(live["_n"] >= int(min_completed), live["_company"])
    else:
        live["limit_days"] = live["_company"]
    out = live.loc[live["days"] > live["limit_days"]].copy()
    out["days_in_stage"] = out["days"]
    out["days_over"] = out["days"] - out["limit_days"]
    out = out.reindex(columns=STUCK_COLUMNS)
    return out.sort_values(["days_over", "opportunity_id"], ascending=[False, True],
                           kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- pipeline
_HORIZONS = {"month": "M", "quarter": "Q", "year": "Y"}


def _per_group(per_rep: pd.Series, out: pd.DataFrame, keys: list[str], lookup: pd.Series | None) -> object:
    """Map totals per rep onto the groups of ``out`` (one key column or none)."""
    if not keys:
        return round(float(per_rep.sum()), 2)
    if keys == ["rep_id"]:
        total = per_rep
    else:
        total = per_rep.groupby(per_rep.index.map(lookup)).sum()
    return out[keys[0]].map(total).fillna(0.0).astype("float64").round(2)


def pipeline_table(
    stages: pd.DataFrame,
    quotas: pd.DataFrame | None = None,
    *,
    as_of: object,
    by: str | None = "team",
    horizon: str = "quarter",
    orders: pd.DataFrame | None = None,
    reps: pd.DataFrame | None = None,
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Pipeline velocity and coverage of the quota still to win in the horizon.

    - ``expected_value = open_deals x win_rate x avg_deal``;
    - ``velocity_per_day = expected_value / cycle_days``: revenue per day the pipeline
      is expected to turn into (the usual pipeline-velocity formula);
    - ``remaining_quota`` = quota of the horizon (the month, quarter or year holding
      ``as_of``) minus what was sold in it up to ``as_of`` (``closed_in_horizon``: net
      orders when ``orders`` is given, else won amounts in ``stages``); 0 when met;
    - ``coverage = open_amount / remaining_quota`` (a common rule wants about 3) and
      ``weighted_coverage = expected_value / remaining_quota``; NaN when nothing remains.

    ``win_rate``, ``avg_deal`` and ``cycle_days`` (mean days lead -> close of won deals)
    come from all closed opportunities in ``stages``.

    Parameters
    ----------
    stages : DataFrame
        The output of :func:`stage_table` as of ``as_of``.
    quotas : DataFrame, optional
        ``rep_id, month, quota``; without it the quota columns are NaN.
    as_of : date-like
        Today, for the horizon.
    by : {"team", "rep_id"} or None
        Grouping.
    horizon : {"month", "quarter", "year"}
        Period the remaining quota is counted for.
    orders : DataFrame, optional
        ``rep_id, order_date, amount`` (refunds negative): what was sold so far.
    reps : DataFrame, optional
        ``rep_id, team``, to put quotas and orders of reps without opportunities in
        their team.
    columns : mapping, optional
        ``{kit column: your column}`` for ``quotas``.

    Returns
    -------
    DataFrame
        The ``by`` column then :data:`PIPELINE_COLUMNS`.

    Examples
    --------
    >>> s = pd.DataFrame({"rep_id": ["R1"] * 4, "team": "A", "amount": [100.0, 300.0, 50.0, 80.0],
    ...                   "outcome": ["won", "lost", "open", "open"],
    ...                   "created_date": pd.to_datetime(["2025-06-01", "2025-06-01", "2025-07-01",
    ...                                                   "2025-07-05"]),
    ...                   "closed_date": pd.to_datetime(["2025-07-11", "2025-07-20", None, None]),
    ...                   "reached_intent": True, "reached_negotiation": True,
    ...                   "reached_deal": [True, False, False, False]})
    >>> q = pd.DataFrame({"rep_id": ["R1"] * 3, "quota": [200.0, 200.0, 200.0],
    ...                   "month": pd.to_datetime(["2025-07-01", "2025-08-01", "2025-09-01"])})
    >>> p = pipeline_table(s, q, as_of="2025-08-15")
    >>> p[["team", "open_deals", "expected_value", "velocity_per_day", "remaining_quota", "coverage"]]
      team  open_deals  expected_value  velocity_per_day  remaining_quota  coverage
    0    A           2           100.0               2.5            500.0      0.26
    """
    _check_stages(stages)
    _require(stages, ["rep_id", "amount", "outcome", "created_date", "closed_date"], "stages")
    end = _date(as_of, "as_of")
    if end is None:
        raise ParameterError("as_of", as_of, "a date such as '2025-09-30'")
    if horizon not in _HORIZONS:
        raise ParameterError("horizon", horizon, "'month', 'quarter' or 'year'")
    keys = _by(by)
    if len(keys) > 1:
        raise ParameterError("by", by, "one column ('team' or 'rep_id') or None")
    _require(stages, keys, "stages (by=)")
    period = end.to_period(_HORIZONS[horizon])
    h_start, h_end = period.start_time.normalize(), period.end_time.normalize()
    won = stages["outcome"] == "won"
    is_open = stages["outcome"] == "open"
    cycle = (stages["closed_date"] - stages["created_date"]).dt.days.where(won)
    f = pd.DataFrame({
        "open_deals": is_open.astype("int64"), "open_amount": stages["amount"].where(is_open, 0.0).fillna(0.0),
        "_won": won.astype("int64"), "_lost": (stages["outcome"] == "lost").astype("int64"),
        "_won_amount": stages["amount"].where(won, 0.0).fillna(0.0),
        "_cycle": cycle.fillna(0.0),
    }, index=stages.index)
    if keys:
        f[keys[0]] = stages[keys[0]]
        g = f.groupby(keys, dropna=False, observed=True).sum().reset_index()
    else:
        g = f.sum().to_frame().T
    out = g[keys].copy()
    out["open_deals"] = g["open_deals"].astype("int64").to_numpy()
    out["open_amount"] = g["open_amount"].astype("float64").round(2).to_numpy()
    out["win_rate"] = _ratio(g["_won"], g["_won"] + g["_lost"])
    out["avg_deal"] = _ratio(g["_won_amount"], g["_won"]).round(2)
    out["cycle_days"] = _ratio(g["_cycle"], g["_won"]).round(1)
    out["expected_value"] = (out["open_deals"] * out["win_rate"] * out["avg_deal"]).round(2)
    out["velocity_per_day"] = (out["expected_value"] / out["cycle_days"].where(out["cycle_days"] > 0)).round(2)

    lookup = None
    if keys and keys != ["rep_id"]:
        source = reps if reps is not None else stages
        _require(source, ["rep_id", keys[0]], "reps")
        lookup = source.assign(rep_id=source["rep_id"].astype("string")).drop_duplicates("rep_id")
        lookup = lookup.set_index("rep_id")[keys[0]]
    if orders is not None:
        _require(orders, ["rep_id", "order_date", "amount"], "orders")
        od = _as_dates(orders["order_date"])
        sold = pd.to_numeric(orders["amount"], errors="coerce").fillna(0.0).where((od >= h_start) & (od <= end), 0.0)
        per_rep = sold.groupby(orders["rep_id"].astype("string")).sum()
    else:
        in_h = won & (stages["closed_date"] >= h_start) & (stages["closed_date"] <= end)
        per_rep = stages["amount"].where(in_h, 0.0).fillna(0.0).groupby(stages["rep_id"].astype("string")).sum()
    out["closed_in_horizon"] = _per_group(per_rep, out, keys, lookup)
    if quotas is not None:
        q = _kit(quotas, columns)
        _require(q, ["rep_id", "month", "quota"], "quotas")
        month = _as_dates(q["month"]).dt.to_period("M").dt.start_time
        amount = pd.to_numeric(q["quota"], errors="coerce").fillna(0.0)
        in_h = (month >= h_start) & (month <= h_end)
        out["quota_horizon"] = _per_group(amount[in_h].groupby(q["rep_id"].astype("string")[in_h]).sum(),
                                          out, keys, lookup)
        remaining = (out["quota_horizon"] - out["closed_in_horizon"]).clip(lower=0).round(2)
        out["remaining_quota"] = remaining
        positive = remaining.where(remaining > 0)
        out["coverage"] = (out["open_amount"] / positive).round(2)
        out["weighted_coverage"] = (out["expected_value"] / positive).round(2)
    else:
        for col in ("quota_horizon", "remaining_quota", "coverage", "weighted_coverage"):
            out[col] = np.nan
    return out[[*keys, *PIPELINE_COLUMNS]].reset_index(drop=True)


# --------------------------------------------------------------------------- channels
def channel_table(
    stages: pd.DataFrame,
    channel_spend: pd.DataFrame,
    *,
    period_start: object = None,
    period_end: object = None,
    min_roi: float = 1.0,
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Leads, cost per lead, CAC, conversion, revenue and ROI per lead channel.

    ``roi = won_amount / spend``, the won amount of the channel's leads over its spend;
    channels with ``roi < min_roi`` are flagged ``low_roi`` (the playbook's rule: drop
    channels with ROI below 1). ``cac = spend / deals`` (each won deal counted as a
    customer acquired). Spend is summed over the months from ``period_start`` to
    ``period_end`` (default: the months of the first and the last lead in ``stages``).

    A channel with leads but no row in ``channel_spend`` has unknown spend: spend,
    cost per lead, CAC and ROI are NaN, ``low_roi`` is False, and a
    :class:`~playbook.errors.PlaybookWarning` names it. A channel with spend but no
    leads is listed with 0 leads (ROI 0). Zero spend gives NaN ratios.

    Returns
    -------
    DataFrame
        Columns :data:`CHANNEL_COLUMNS`, ordered by ROI (highest first, unknown last).

    Examples
    --------
    >>> s = pd.DataFrame({"channel": ["referral", "referral", "paid_social", "fair"],
    ...                   "created_date": pd.to_datetime(["2025-01-05"] * 4),
    ...                   "outcome": ["won", "lost", "won", "lost"], "amount": [500.0, 1.0, 90.0, 1.0],
    ...                   "reached_intent": True, "reached_negotiation": True,
    ...                   "reached_deal": [True, False, True, False]})
    >>> spend = pd.DataFrame({"channel": ["referral", "paid_social"], "spend": [100.0, 300.0],
    ...                       "month": pd.to_datetime(["2025-01-01", "2025-01-01"])})
    >>> import warnings
    >>> with warnings.catch_warnings(record=True):
    ...     t = channel_table(s, spend)
    >>> t[["channel", "leads", "spend", "cac", "roi", "low_roi"]]
           channel  leads  spend    cac  roi  low_roi
    0     referral      2  100.0  100.0  5.0    False
    1  paid_social      1  300.0  300.0  0.3     True
    2         fair      1    NaN    NaN  NaN    False
    """
    _check_stages(stages)
    _require(stages, ["channel", "created_date"], "stages")
    sp = _kit(channel_spend, columns)
    _require(sp, ["channel", "month", "spend"], "channel_spend")
    start, end = _date(period_start, "period_start"), _date(period_end, "period_end")
    first = start if start is not None else stages["created_date"].min()
    last = end if end is not None else stages["created_date"].max()
    months = _as_dates(sp["month"]).dt.to_period("M")
    keep = pd.Series(True, index=sp.index)
    if pd.notna(first):
        keep &= months >= pd.Timestamp(first).to_period("M")
    if pd.notna(last):
        keep &= months <= pd.Timestamp(last).to_period("M")
    known = set(sp["channel"].astype("string").dropna())
    spend = (pd.to_numeric(sp["spend"], errors="coerce").fillna(0.0)[keep]
             .groupby(sp["channel"].astype("string")[keep]).sum())
    f = funnel_table(stages.assign(channel=stages["channel"].astype("string")), by="channel")
    out = pd.DataFrame({"channel": pd.array(sorted(set(f["channel"].dropna()) | known), dtype="string")})
    out = out.merge(f, on="channel", how="left")
    for col in ("leads", "deals"):
        out[col] = out[col].fillna(0).astype("int64")
    out["won_amount"] = out["won_amount"].fillna(0.0)
    out["spend"] = out["channel"].map(spend).astype("float64")
    out["spend"] = out["spend"].mask(out["channel"].isin(known) & out["spend"].isna(), 0.0)
    positive = out["spend"].where(out["spend"] > 0)
    out["cost_per_lead"] = (positive / out["leads"].where(out["leads"] > 0)).round(2)
    out["cac"] = (positive / out["deals"].where(out["deals"] > 0)).round(2)
    out["roi"] = (out["won_amount"] / positive).round(3)
    out["low_roi"] = (out["roi"] < float(min_roi)).fillna(False).astype(bool)
    unknown = sorted(set(f["channel"].dropna()) - known)
    if unknown:
        warnings.warn(
            f"channel(s) {', '.join(unknown)} have no rows in channel_spend: their spend, cost per "
            "lead, CAC and ROI cannot be computed (shown empty). Add their spend to channel_spend "
            "(0 for a free channel).", PlaybookWarning, stacklevel=2)
    out = out.sort_values(["roi", "channel"], ascending=[False, True], na_position="last", kind="stable")
    return out[CHANNEL_COLUMNS].reset_index(drop=True)


def channel_ratio(
    stages: pd.DataFrame,
    *,
    channel: str = "referral",
    versus: Sequence[str] = AD_CHANNELS,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """How many times better ``channel`` leads win than ``versus`` leads (ratio of win rates).

    Win rate = won / (won + lost) of the leads of each side. ``ratio_ci_low`` /
    ``ratio_ci_high`` are the Katz log interval of the ratio; ``p_value`` tests that the
    two win rates are equal (:func:`proportion_test`, ``"auto"``).

    A channel without leads gives NaN figures and a
    :class:`~playbook.errors.PlaybookWarning` (not an error), so a notebook goes on.

    Returns
    -------
    DataFrame
        One row, columns :data:`CHANNEL_RATIO_COLUMNS` (``versus`` joined by ``+``).

    Examples
    --------
    >>> s = pd.DataFrame({"channel": ["referral"] * 100 + ["paid_search"] * 100,
    ...                   "outcome": ["won"] * 30 + ["lost"] * 70 + ["won"] * 10 + ["lost"] * 90})
    >>> r = channel_ratio(s, versus=["paid_search"])
    >>> r[["won", "closed", "versus_won", "ratio"]]
       won  closed  versus_won  ratio
    0   30     100          10    3.0
    """
    _require(stages, ["channel", "outcome"], "stages")
    versus = [versus] if isinstance(versus, str) else list(versus)
    if not versus:
        raise ParameterError("versus", versus, "one or more channel keys, e.g. ('paid_search', 'paid_social')")
    present = set(stages["channel"].dropna().astype(str))
    absent = [c for c in [channel, *versus] if c not in present]
    if absent:
        warnings.warn(f"channel(s) {', '.join(absent)} have no leads in the data (channels present: "
                      f"{', '.join(sorted(present))}): pass channel=/versus= with your channel keys.",
                      PlaybookWarning, stacklevel=2)
    won = stages["outcome"] == "won"
    closed = stages["outcome"].isin(["won", "lost"])
    a_side = stages["channel"] == channel
    b_side = stages["channel"].isin(versus)
    a, n1 = int((won & a_side).sum()), int((closed & a_side).sum())
    c, n2 = int((won & b_side).sum()), int((closed & b_side).sum())
    r1, r2 = (a / n1 if n1 else np.nan), (c / n2 if n2 else np.nan)
    ratio = r1 / r2 if r2 else np.nan
    low = high = np.nan
    if a > 0 and c > 0:
        se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
        z = _z(confidence)
        low, high = ratio * math.exp(-z * se), ratio * math.exp(z * se)
    p, _ = proportion_test(a, n1, c, n2)
    return pd.DataFrame([{
        "channel": channel, "versus": "+".join(versus), "won": a, "closed": n1, "win_rate": r1,
        "versus_won": c, "versus_closed": n2, "versus_win_rate": r2, "ratio": ratio,
        "ratio_ci_low": low, "ratio_ci_high": high, "p_value": p,
    }])[CHANNEL_RATIO_COLUMNS]


# --------------------------------------------------------------------------- before / after
def compare_periods(
    stages: pd.DataFrame,
    *,
    before: tuple[object, object],
    after: tuple[object, object],
    by: str | Sequence[str] | None = None,
    test: str = "auto",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Compare each funnel step (and the win rate) between two periods, with a test.

    Leads are assigned to a period by their created date (both ends inclusive). For each
    step the before and after rates are compared with :func:`proportion_test`;
    ``significant`` is ``p_value < alpha``: the change is unlikely to be noise. Not
    significant does not prove there was no effect: it may be too early to tell.

    Parameters
    ----------
    stages : DataFrame
        The output of :func:`stage_table`.
    before, after : (start, end)
        Date ranges.
    by : str or list of str, optional
        Compare within groups (e.g. ``"team"``).
    test : {"auto", "z", "fisher"}
        See :func:`proportion_test`.
    alpha : float
        Significance level.

    Returns
    -------
    DataFrame
        The ``by`` columns then :data:`PERIOD_COMPARISON_COLUMNS`; steps are the three
        funnel steps then ``win_rate`` (won / closed).

    Examples
    --------
    >>> s = pd.DataFrame({"created_date": pd.to_datetime(["2025-01-10"] * 100 + ["2025-04-10"] * 100),
    ...                   "reached_intent": True, "reached_negotiation": True,
    ...                   "reached_deal": [True] * 30 + [False] * 70 + [True] * 45 + [False] * 55,
    ...                   "amount": 1.0})
    >>> s["outcome"] = np.where(s["reached_deal"], "won", "lost")
    >>> c = compare_periods(s, before=("2025-01-01", "2025-03-31"), after=("2025-04-01", "2025-06-30"))
    >>> c.loc[2, ["step", "before_rate", "after_rate", "test", "significant"]]
    step           negotiation_to_deal
    before_rate                    0.3
    after_rate                    0.45
    test                             z
    significant                   True
    Name: 2, dtype: object
    """
    _check_stages(stages)
    _require(stages, ["created_date"], "stages")
    if not 0 < alpha < 1:
        raise ParameterError("alpha", alpha, "a number between 0 and 1, e.g. 0.05")
    keys = _by(by)
    sides = {}
    for name, rng in (("before", before), ("after", after)):
        if not isinstance(rng, (tuple, list)) or len(rng) != 2:
            raise ParameterError(name, rng, "a (start, end) pair of dates")
        start, end = _date(rng[0], name), _date(rng[1], name)
        if start is None or end is None or end < start:
            raise ParameterError(name, rng, "a (start, end) pair of dates with start <= end")
        part = stages.loc[(stages["created_date"] >= start) & (stages["created_date"] <= end)]
        if part.empty:
            raise InputError(f"no opportunities created in the {name} period {start.date()} .. "
                             f"{end.date()}: choose dates that hold leads.")
        sums = _sums(part, keys)
        lg = _long(sums, keys)[[*keys, "step", "passed", "decided"]]
        wr = sums[keys].assign(step="win_rate", passed=sums["passed_3"].to_numpy(),
                               decided=(sums["passed_3"] + sums["lost"]).to_numpy())
        sides[name] = pd.concat([lg, wr], ignore_index=True).rename(
            columns={"passed": f"{name}_passed", "decided": f"{name}_decided"})
    out = sides["before"].merge(sides["after"], on=[*keys, "step"], how="outer")
    for col in ("before_passed", "before_decided", "after_passed", "after_decided"):
        out[col] = out[col].fillna(0).astype("int64")
    out["before_rate"] = _ratio(out["before_passed"], out["before_decided"])
    out["after_rate"] = _ratio(out["after_passed"], out["after_decided"])
    out["change"] = out["after_rate"] - out["before_rate"]
    tested = [proportion_test(a, n, b, m, test=test) for a, n, b, m in
              zip(out["before_passed"], out["before_decided"], out["after_passed"], out["after_decided"],
                  strict=True)]
    out["p_value"] = [p for p, _ in tested]
    out["test"] = pd.array([u for _, u in tested], dtype="string")
    out["significant"] = (out["p_value"] < alpha).fillna(False).astype(bool)
    order = {s: k for k, s in enumerate([*STEPS, "win_rate"])}
    out = out.sort_values([*keys, "step"], key=lambda s: s.map(order) if s.name == "step" else s, kind="stable")
    return out[[*keys, *PERIOD_COMPARISON_COLUMNS]].reset_index(drop=True)


# --------------------------------------------------------------------------- notebook helpers
def add_period(stages: pd.DataFrame, *, freq: str = "Q") -> pd.DataFrame:
    """Return a copy with a ``period`` column: the lead's creation period (``"2025Q3"``).

    ``freq`` is ``"M"`` (month), ``"Q"`` (quarter) or ``"Y"`` (year).

    Examples
    --------
    >>> s = pd.DataFrame({"created_date": pd.to_datetime(["2025-02-03", "2025-08-01"])})
    >>> add_period(s)["period"].tolist()
    ['2025Q1', '2025Q3']
    """
    if freq not in ("M", "Q", "Y"):
        raise ParameterError("freq", freq, "'M', 'Q' or 'Y'")
    _require(stages, ["created_date"], "stages")
    return stages.assign(period=stages["created_date"].dt.to_period(freq).astype("string"))


def periods_around(change_date: object, *, as_of: object) -> tuple[tuple[pd.Timestamp, pd.Timestamp],
                                                                    tuple[pd.Timestamp, pd.Timestamp]]:
    """Return ``(before, after)``: as many days before ``change_date`` as from it to ``as_of``.

    An empty ``change_date`` means one year before ``as_of`` (this year against last year).

    Examples
    --------
    >>> before, after = periods_around("2025-07-01", as_of="2025-09-30")  # 92 days each
    >>> [str(d.date()) for d in (*before, *after)]
    ['2025-03-31', '2025-06-30', '2025-07-01', '2025-09-30']
    """
    end = _date(as_of, "as_of")
    if end is None:
        raise ParameterError("as_of", as_of, "a date such as '2025-09-30'")
    change = _date(change_date, "change_date")
    if change is None:
        change = end - pd.DateOffset(years=1) + pd.Timedelta(days=1)
    if change > end:
        raise ParameterError("change_date", change_date, f"a date on or before as_of ({end.date()})")
    span = end - change
    return (change - span - pd.Timedelta(days=1), change - pd.Timedelta(days=1)), (change, end)


def channel_ratio_text(ratio: pd.DataFrame, *, lang: str = "en") -> str:
    """One sentence on :func:`channel_ratio`'s result, for notebooks and reports.

    Examples
    --------
    >>> r = pd.DataFrame({"ratio": [3.06], "win_rate": [0.226], "versus_win_rate": [0.074],
    ...                   "ratio_ci_low": [2.6], "ratio_ci_high": [3.6]})
    >>> channel_ratio_text(r)
    'Referral leads win 3.1 times as often as paid-ad leads (23% vs 7%; 95% interval of the ratio 2.6–3.6).'
    """
    from playbook.labels import t

    row = ratio.iloc[0]
    if pd.isna(row["ratio"]):
        return t("funnel.chart.no_data", lang)
    return t("funnel.referral_sentence", lang, ratio=row["ratio"], a=row["win_rate"], b=row["versus_win_rate"],
             low=row["ratio_ci_low"], high=row["ratio_ci_high"])


# --------------------------------------------------------------------------- display
_VALUE_PREFIX = {"step": "funnel.step.", "status": "funnel.status.", "stage": "funnel.stage.",
                 "stage_reached": "funnel.stage.", "pending_step": "funnel.step.",
                 "competency": "competency.", "channel": "channel.", "outcome": "outcome.",
                 "peers": "funnel.peers.", "test": "funnel.test."}


_RATE_COLUMNS = ("rate", "rep_rate", "ci_low", "ci_high", "shrunk_rate", "peer_rate", "peer_median_rate")
_TWO_DECIMALS = {"roi", "ratio", "ratio_ci_low", "ratio_ci_high", "coverage", "weighted_coverage"}


def _fmt_p(p: float) -> str:
    return "—" if pd.isna(p) else ("< 0.001" if p < 0.001 else f"{p:.3f}")


def for_display(frame: pd.DataFrame, *, lang: str = "en") -> pd.DataFrame:
    """Return a copy ready to show: every cell as text in ``lang``.

    Steps, statuses, stages, channels, competencies ... get their labels (values
    without a label, e.g. a channel the kit does not know, are kept); percentages
    (:data:`PCT_COLUMNS`) show one decimal, money (:data:`MONEY_COLUMNS`) two with
    thousands separators; in comparison frames (with a ``unit`` column) per-month rates
    read "per month" and ``decided`` shows months; dates show as ``YYYY-MM-DD``;
    booleans become yes/no; other decimals (days, ratios, ROI, p-values) are tidied;
    missing values show as an em dash. Headers are translated by
    :func:`playbook.report.style_table` (pass ``money=set(), pct=set()``: the cells
    are formatted already).

    Examples
    --------
    >>> f = pd.DataFrame({"step": ["negotiation_to_deal"], "status": ["not_enough_data"],
    ...                   "significant": [True], "median_days": [12.5], "win_rate": [0.25],
    ...                   "won_amount": [12345.6]})
    >>> for_display(f, lang="zh").iloc[0].tolist()
    ['谈判→成交', '数据不足', '是', '12.5', '25.0%', '12,345.60']
    """
    check_lang(lang)
    cat = catalogue()
    out = frame.copy()
    for col, prefix in _VALUE_PREFIX.items():
        if col in out.columns:
            values = out[col].astype("string")
            mapping = {v: cat[prefix + v][lang] for v in values.dropna().unique() if prefix + v in cat}
            out[col] = values.replace(mapping) if mapping else values
    if "unit" in frame.columns:
        per_month = (frame["unit"] == "per_month").fillna(False).to_numpy(dtype=bool)
        for col in [c for c in _RATE_COLUMNS if c in out.columns]:
            values = frame[col].to_numpy(dtype="float64")
            out[col] = pd.array([
                "—" if np.isnan(v) else (cat["funnel.per_month"][lang].format(v=v) if pm else f"{v:.1%}")
                for v, pm in zip(values, per_month, strict=True)], dtype="string")
        if "decided" in out.columns:
            values = frame["decided"].to_numpy(dtype="float64")
            out["decided"] = pd.array([
                cat["funnel.months"][lang].format(v=v) if pm else f"{v:,.0f}"
                for v, pm in zip(values, per_month, strict=True)], dtype="string")
        out["unit"] = frame["unit"].astype("string").replace(
            {u: cat[f"funnel.unit.{u}"][lang] for u in ("share", "per_month")})
    if "versus" in out.columns:
        out["versus"] = pd.array([" + ".join(cat.get(f"channel.{c}", {}).get(lang, c) for c in str(v).split("+"))
                                  for v in out["versus"]], dtype="string")
    yes, no = cat["funnel.yes"][lang], cat["funnel.no"][lang]
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_datetime64_any_dtype(series):
            out[col] = series.dt.strftime("%Y-%m-%d").astype("string").fillna("—")
        elif pd.api.types.is_bool_dtype(series):
            out[col] = pd.array(np.where(series.to_numpy(dtype=bool), yes, no), dtype="string")
        elif col == "p_value":
            out[col] = pd.array([_fmt_p(p) for p in series], dtype="string")
        elif pd.api.types.is_numeric_dtype(series) and col in PCT_COLUMNS:
            out[col] = pd.array([("—" if pd.isna(v) else f"{v:.1%}") for v in series], dtype="string")
        elif pd.api.types.is_numeric_dtype(series) and col in MONEY_COLUMNS:
            out[col] = pd.array([("—" if pd.isna(v) else f"{v:,.2f}") for v in series], dtype="string")
        elif pd.api.types.is_float_dtype(series):
            digits = 2 if col in _TWO_DECIMALS else 1
            out[col] = pd.array([("—" if pd.isna(v) else f"{v:,.{digits}f}") for v in series], dtype="string")
    return out
