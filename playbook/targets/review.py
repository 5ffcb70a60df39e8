"""Weekly review cockpit (周复盘): the figures a team lead looks at every Monday.

Pure functions over the kit's tables; the Voila app ``notebooks/apps/weekly_review.ipynb``
shows them side by side. Each one answers one question:

- :func:`period_attainment` — are we on plan this month, quarter and year (MTD/QTD/YTD)?
- :func:`funnel_week` — did the funnel move more this week than last week?
- :func:`stuck_deals` — which open deals sit too long in a stage, and whose are they?
- :func:`sleeping_key_accounts` — which big customers have gone quiet?
- :func:`reviews_due` — which IDP items are due for review this month?
- :func:`quality_week` — did needs match and customers' satisfaction hold up this week
  (optional KPIs, when the activities have them)?
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook import funnel
from playbook.core.dates import parse_date
from playbook.core.errors import ParameterError, require_columns
from playbook.core.money import round_money
from playbook.targets.tracking import days_left_in, needed_per_week, track

__all__ = [
    "period_attainment",
    "funnel_week",
    "stuck_deals",
    "sleeping_key_accounts",
    "reviews_due",
    "quality_week",
    "QUALITY_KPIS",
]

QUALITY_KPIS = {"needs_match": ("needs_matched", "needs_assessed"), "satisfaction": ("satisfied", "surveys")}
"""Optional KPIs of the weekly review: name -> (numerator, denominator) columns of the activities."""

_PERIODS = ("month", "quarter", "ytd")


_day = parse_date


def period_attainment(
    quotas: pd.DataFrame, orders: pd.DataFrame, reps: pd.DataFrame, *, as_of: object, level: str = "team"
) -> pd.DataFrame:
    """Attainment to date of the running month, quarter and year, per team (or company).

    Uses :func:`playbook.targets.track` for each period; ``expected`` pro-rates the
    running month by days. ``target`` is the whole period's quota (the months after
    ``as_of`` included), ``to_go = target - actual`` (never below 0) the money still to
    sell, and ``needed_run_rate`` the average per week still needed to reach it, by the
    weeks rule of :func:`playbook.targets.weekly_review` (``to_go x 7 / days left``; NaN
    on the period's last day).

    Returns
    -------
    DataFrame
        ``group, period, target, expected, actual, attainment, to_go, needed_run_rate``
        (period: month / quarter / ytd).

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": ["R1"], "name": ["A"], "team": ["T"]})
    >>> quotas = pd.DataFrame({"rep_id": ["R1"] * 3, "quota": [310.0, 280.0, 310.0],
    ...                        "month": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"])})
    >>> orders = pd.DataFrame({"rep_id": ["R1", "R1"], "amount": [300.0, 50.0],
    ...                        "order_date": pd.to_datetime(["2025-01-20", "2025-03-05"])})
    >>> period_attainment(quotas, orders, reps, as_of="2025-03-10")[["group", "period", "target", "expected",
    ...                                                              "actual", "to_go"]]
      group   period  target  expected  actual  to_go
    0     T    month   310.0     100.0    50.0  260.0
    1     T  quarter   900.0     690.0   350.0  550.0
    2     T      ytd   900.0     690.0   350.0  550.0
    """
    if level not in ("team", "company"):
        raise ParameterError("level", level, "'team' or 'company'")
    when = _day(as_of)
    frames = []
    for period in _PERIODS:
        part = track(quotas, orders, reps, as_of=when, period=period, level=level)
        running = part.loc[pd.to_datetime(part["period_start"]) <= when]
        running = running.loc[running["period_start"] == running["period_start"].max()]
        group = running["team"].astype(str) if level == "team" else pd.Series("company", index=running.index)
        to_go = round_money((running["target"] - running["actual"]).clip(lower=0))
        frames.append(pd.DataFrame({"group": group.to_numpy(), "period": period,
                                    "target": running["target"].to_numpy(),
                                    "expected": running["expected"].to_numpy(),
                                    "actual": running["actual"].to_numpy(),
                                    "to_go": to_go.to_numpy(),
                                    "needed_run_rate": needed_per_week(to_go, days_left_in(when, period)).to_numpy()}))
    out = pd.concat(frames, ignore_index=True)
    out.insert(5, "attainment", out["actual"] / out["expected"].where(out["expected"] > 0))
    out["_p"] = out["period"].map({p: i for i, p in enumerate(_PERIODS)})
    return out.sort_values(["group", "_p"], kind="stable").drop(columns="_p").reset_index(drop=True)


def funnel_week(
    opportunities: pd.DataFrame, reps: pd.DataFrame | None = None, *, as_of: object, team: str | None = None
) -> pd.DataFrame:
    """Stage entries in the 7 days up to ``as_of`` against the 7 days before.

    Counts opportunities that entered each stage (lead created, intent, negotiation,
    won, lost) in each week, from the stage dates.

    Returns
    -------
    DataFrame
        ``stage, this_week, last_week, change``.

    Examples
    --------
    >>> opps = pd.DataFrame({"rep_id": ["R1"] * 3, "outcome": ["won", "open", "lost"],
    ...     "created_date": pd.to_datetime(["2025-09-01", "2025-09-25", "2025-09-20"]),
    ...     "intent_date": pd.to_datetime(["2025-09-05", None, "2025-09-22"]),
    ...     "negotiation_date": pd.to_datetime(["2025-09-10", None, None]),
    ...     "closed_date": pd.to_datetime(["2025-09-26", None, "2025-09-29"])})
    >>> funnel_week(opps, as_of="2025-09-30")
             stage  this_week  last_week  change
    0         lead          1          1       0
    1       intent          0          1      -1
    2  negotiation          0          0       0
    3          won          1          0       1
    4         lost          1          0       1
    """
    require_columns(opportunities, ["rep_id", "created_date", "intent_date", "negotiation_date", "closed_date",
                             "outcome"], "opportunities")
    when = _day(as_of)
    opps = opportunities
    if team:
        if reps is None or "team" not in reps:
            raise ParameterError("team", team, "a team name together with the reps table")
        teams = reps.set_index("rep_id")["team"]
        if team not in set(teams.astype(str)):
            raise ParameterError("team", team, "one of " + ", ".join(sorted(teams.astype(str).unique())))
        opps = opps.loc[opps["rep_id"].map(teams).astype(str) == team]
    this_start, last_start = when - pd.Timedelta(days=6), when - pd.Timedelta(days=13)
    closed = pd.to_datetime(opps["closed_date"])
    dates = {
        "lead": pd.to_datetime(opps["created_date"]),
        "intent": pd.to_datetime(opps["intent_date"]),
        "negotiation": pd.to_datetime(opps["negotiation_date"]),
        "won": closed.where(opps["outcome"] == "won"),
        "lost": closed.where(opps["outcome"] == "lost"),
    }
    rows = []
    for stage, d in dates.items():
        this = int(((d >= this_start) & (d <= when)).sum())
        last = int(((d >= last_start) & (d < this_start)).sum())
        rows.append({"stage": stage, "this_week": this, "last_week": last, "change": this - last})
    return pd.DataFrame(rows)


def stuck_deals(opportunities: pd.DataFrame, reps: pd.DataFrame, *, as_of: object,
                team: str | None = None) -> pd.DataFrame:
    """Open deals sitting longer than the team's 90th percentile for their stage.

    A thin wrapper of :func:`playbook.funnel.stuck_deals` on the stage durations at
    ``as_of``; ``team`` keeps one team's deals.
    """
    when = _day(as_of)
    stages = funnel.stage_table(opportunities, reps=reps, as_of=when, invalid="drop")
    out = funnel.stuck_deals(funnel.stage_durations(stages, as_of=when), by="team")
    if team:
        out = out.loc[out["team"].astype(str) == team]
    return out.reset_index(drop=True)


def sleeping_key_accounts(
    orders: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    *,
    as_of: object,
    min_spend: float = 100_000.0,
    lookback_days: int = 730,
    quiet_days: int = 90,
) -> pd.DataFrame:
    """Key accounts (net spend >= ``min_spend`` over ``lookback_days``) with no order for ``quiet_days``.

    The default threshold is the SaaS strategic tier of the domain (100k CNY). Sorted by
    spend, largest first.

    Returns
    -------
    DataFrame
        ``customer_id, name, owner_rep_id, spend, last_order, days_quiet``.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": ["A", "A", "B", "C"], "rep_id": ["R1"] * 4,
    ...     "amount": [90_000.0, 30_000.0, 500_000.0, 200_000.0],
    ...     "order_date": pd.to_datetime(["2024-09-01", "2025-03-01", "2025-09-01", "2023-01-01"])})
    >>> sleeping_key_accounts(orders, as_of="2025-09-30")[["customer_id", "spend", "days_quiet"]]
      customer_id     spend  days_quiet
    0           A  120000.0         213
    """
    require_columns(orders, ["customer_id", "order_date", "amount"], "orders")
    if min_spend <= 0 or lookback_days < 1 or quiet_days < 1:
        raise ParameterError("min_spend/lookback_days/quiet_days", (min_spend, lookback_days, quiet_days),
                             "a positive spend and positive numbers of days")
    when = _day(as_of)
    dates = pd.to_datetime(orders["order_date"])
    window = orders.loc[(dates > when - pd.Timedelta(days=lookback_days)) & (dates <= when)]
    wdates = pd.to_datetime(window["order_date"])
    g = window.assign(_d=wdates).groupby("customer_id")
    spend = g["amount"].sum()
    last = window.loc[window["amount"] > 0].assign(_d=wdates).groupby("customer_id")["_d"].max()
    out = pd.DataFrame({"spend": round_money(spend), "last_order": last}).dropna(subset=["last_order"])
    out["days_quiet"] = (when - out["last_order"]).dt.days.astype("int64")
    out = out.loc[(out["spend"] >= min_spend) & (out["days_quiet"] >= quiet_days)]
    out = out.rename_axis("customer_id").reset_index()
    info = customers.set_index("customer_id") if customers is not None else pd.DataFrame()
    out["name"] = out["customer_id"].map(info["name"]) if "name" in info else pd.NA
    out["owner_rep_id"] = out["customer_id"].map(info["owner_rep_id"]) if "owner_rep_id" in info else pd.NA
    out = out.sort_values(["spend", "customer_id"], ascending=[False, True], kind="stable")
    return out[["customer_id", "name", "owner_rep_id", "spend", "last_order", "days_quiet"]].reset_index(drop=True)


def reviews_due(items: pd.DataFrame, *, as_of: object) -> pd.DataFrame:
    """IDP items whose review date falls in the as-of month (or before) and are not yet reviewed.

    ``items`` is the ``items`` sheet of :func:`playbook.pipeline.store.export_frames` (latest
    version of each plan, with ``level_reached``).

    Examples
    --------
    >>> items = pd.DataFrame({"plan_id": [1, 1, 2], "rep_id": ["R1", "R1", "R2"],
    ...     "competency": ["negotiation", "product_knowledge", "negotiation"],
    ...     "current_level": [3, 4, 2], "target_level": [5, 5, 4], "level_reached": [None, 5, None],
    ...     "review_date": pd.to_datetime(["2025-09-01", "2025-09-01", "2025-12-01"])})
    >>> reviews_due(items, as_of="2025-09-15")[["rep_id", "competency", "overdue"]]
      rep_id   competency  overdue
    0     R1  negotiation    False
    """
    require_columns(items, ["rep_id", "competency", "review_date", "level_reached"], "IDP items")
    when = _day(as_of)
    month_end = when + pd.offsets.MonthEnd(0)
    month_start = when.replace(day=1)
    review = pd.to_datetime(items["review_date"])
    due = items.loc[(review <= month_end) & items["level_reached"].isna()].copy()
    due["review_date"] = review[due.index]
    due["overdue"] = due["review_date"] < month_start
    cols = [c for c in ["plan_id", "rep_id", "competency", "current_level", "target_level", "review_date",
                        "overdue"] if c in due]
    return due.sort_values(["review_date", "rep_id"], kind="stable")[cols].reset_index(drop=True)


def quality_week(
    activities: pd.DataFrame, reps: pd.DataFrame | None = None, *, as_of: object, team: str | None = None
) -> pd.DataFrame:
    """Needs-match rate and customer satisfaction of the week up to ``as_of`` against the week before.

    The optional KPIs of the method (needs-match rate, a process metric of section 3;
    customer satisfaction, an evaluation dimension of section 4), from the activities'
    optional columns: ``needs_match = needs_matched / needs_assessed`` and
    ``satisfaction = satisfied / surveys``, summed over the activity weeks (weeks start on
    the Monday in ``week``) that start in each 7-day window. A KPI whose columns are not in
    the data, or have no value in either window, is left out: no data, no row.

    Returns
    -------
    DataFrame
        ``kpi, this_week, last_week, change, this_base, last_base`` (rates; ``change`` in
        rate points; ``*_base`` the denominators, e.g. needs assessed).

    Examples
    --------
    >>> acts = pd.DataFrame({"rep_id": ["R1", "R1"], "week": pd.to_datetime(["2025-09-15", "2025-09-22"]),
    ...                      "visits": [3, 4], "needs_assessed": [4, 5], "needs_matched": [2, 4]})
    >>> quality_week(acts, as_of="2025-09-28")
               kpi  this_week  last_week  change  this_base  last_base
    0  needs_match        0.8        0.5     0.3          5          4
    """
    require_columns(activities, ["rep_id", "week"], "activities")
    when = _day(as_of)
    acts = activities
    if team:
        if reps is None or "team" not in reps:
            raise ParameterError("team", team, "a team name together with the reps table")
        teams = reps.set_index("rep_id")["team"].astype(str)
        acts = acts.loc[acts["rep_id"].map(teams) == team]
    week = pd.to_datetime(acts["week"])
    this = ((week > when - pd.Timedelta(days=7)) & (week <= when)).to_numpy()
    last = ((week > when - pd.Timedelta(days=14)) & (week <= when - pd.Timedelta(days=7))).to_numpy()
    rows = []
    for kpi, (num, den) in QUALITY_KPIS.items():
        if num not in acts.columns or den not in acts.columns:
            continue
        n = pd.to_numeric(acts[num], errors="coerce").to_numpy(dtype="float64")
        d = pd.to_numeric(acts[den], errors="coerce").to_numpy(dtype="float64")
        ok = ~np.isnan(n) & ~np.isnan(d)
        if not (ok & (this | last)).any():
            continue
        sums = [(float(n[ok & w].sum()), int(d[ok & w].sum())) for w in (this, last)]
        rates = [a / b if b > 0 else np.nan for a, b in sums]
        rows.append({"kpi": kpi, "this_week": rates[0], "last_week": rates[1], "change": rates[0] - rates[1],
                     "this_base": sums[0][1], "last_base": sums[1][1]})
    return pd.DataFrame(rows, columns=["kpi", "this_week", "last_week", "change", "this_base", "last_base"])
