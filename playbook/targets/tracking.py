"""Tracking: actual against target per rep and period, and the weekly review (周复盘)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from playbook.core.dates import parse_date
from playbook.core.errors import ParameterError, require_columns
from playbook.core.money import div_money, round_money
from playbook.targets.company import _year
from playbook.targets.rules import STATUS_BANDS, STATUSES

__all__ = ["track", "weekly_review", "default_month", "days_left_in", "needed_per_week"]

# ---------------------------------------------------------------------------------------
# Tracking: actual vs target, weekly review
# ---------------------------------------------------------------------------------------
_TRACK_COLUMNS = ["rep_id", "name", "team", "period", "period_start", "period_end", "target", "expected",
                  "actual", "attainment", "gap"]


def _rep_info(ids: pd.Series, reps: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    if reps is None:
        na = pd.array([pd.NA] * len(ids), dtype="string")
        return na, na
    info = reps.assign(rep_id=reps["rep_id"].astype(str)).set_index("rep_id")
    name = ids.map(info["name"]) if "name" in info else pd.Series(pd.NA, index=ids.index)
    team = ids.map(info["team"]) if "team" in info else pd.Series(pd.NA, index=ids.index)
    return name.astype("string").to_numpy(), team.astype("string").to_numpy()


def track(
    quotas: pd.DataFrame,
    orders: pd.DataFrame,
    reps: pd.DataFrame | None = None,
    *,
    as_of: object,
    period: str = "month",
    level: str = "rep",
) -> pd.DataFrame:
    """Actual vs target per rep (or team, or company) and month / quarter / year to date.

    Periods are those of the ``as_of`` year that have started by ``as_of``. ``target``
    is the period's full quota, months after ``as_of`` included (the whole quarter, the
    whole year for ``"ytd"``); ``expected`` the part due by ``as_of`` (the running
    month pro-rated by days, as in :mod:`playbook.targets.overview`); ``attainment = actual /
    expected``; ``gap = expected - actual`` (positive: behind).

    Parameters
    ----------
    quotas : DataFrame
        ``rep_id, month, quota`` (the kit's quotas table or :func:`rep_month_matrix`).
    orders : DataFrame
        ``rep_id, order_date, amount``.
    reps : DataFrame, optional
        ``rep_id, name, team`` (needed for ``level="team"``).
    period : {"month", "quarter", "ytd"}
    level : {"rep", "team", "company"}

    Returns
    -------
    DataFrame
        ``rep_id, name, team, period, period_start, period_end, target, expected, actual,
        attainment, gap`` (``rep_id``/``name`` empty above rep level, ``team`` empty at company level).

    Examples
    --------
    >>> q = pd.DataFrame({"rep_id": ["R1", "R1"], "month": pd.to_datetime(["2025-01-01", "2025-02-01"]),
    ...                   "quota": [100.0, 280.0]})
    >>> o = pd.DataFrame({"rep_id": ["R1", "R1"], "order_date": pd.to_datetime(["2025-01-09", "2025-02-03"]),
    ...                   "amount": [120.0, 50.0]})
    >>> track(q, o, as_of="2025-02-14", period="ytd")[["target", "expected", "actual", "gap"]]
       target  expected  actual   gap
    0   380.0     240.0   170.0  70.0

    The year's target counts the months still to come:

    >>> q12 = pd.DataFrame({"rep_id": ["R1"] * 12, "quota": [100.0] * 12,
    ...                     "month": pd.date_range("2025-01-01", periods=12, freq="MS")})
    >>> track(q12, o, as_of="2025-06-30", period="ytd")[["target", "expected", "actual"]]
       target  expected  actual
    0  1200.0     600.0   170.0
    """
    require_columns(quotas, ["rep_id", "month", "quota"], "quotas")
    require_columns(orders, ["rep_id", "order_date", "amount"], "orders")
    if period not in ("month", "quarter", "ytd"):
        raise ParameterError("period", period, "'month', 'quarter' or 'ytd'")
    if level not in ("rep", "team", "company"):
        raise ParameterError("level", level, "'rep', 'team' or 'company'")
    if level == "team" and (reps is None or "team" not in reps):
        raise ParameterError("reps", None, "the reps table with a team column, for level='team'")
    end = parse_date(as_of, "as_of")
    year_start = pd.Timestamp(year=end.year, month=1, day=1)
    q = quotas.assign(rep_id=quotas["rep_id"].astype(str),
                      month=pd.to_datetime(quotas["month"]).dt.to_period("M").dt.to_timestamp())
    year_end = pd.Timestamp(year=end.year, month=12, day=1)
    q = q.loc[(q["month"] >= year_start) & (q["month"] <= year_end)]
    dim = q["month"].dt.days_in_month
    elapsed = ((end - q["month"]).dt.days + 1).clip(lower=0, upper=dim)
    q = q.assign(expected=q["quota"] * elapsed / dim)
    dates = pd.to_datetime(orders["order_date"])
    keep = ((dates >= year_start) & (dates <= end)).to_numpy()
    o = pd.DataFrame({"rep_id": orders["rep_id"].astype(str).to_numpy()[keep],
                      "amount": orders["amount"].to_numpy(dtype=float)[keep],
                      "month": dates[keep].dt.to_period("M").dt.to_timestamp().to_numpy()})

    def key(frame: pd.DataFrame) -> pd.Series:
        if period == "month":
            return frame["month"].dt.to_period("M").astype(str)
        if period == "quarter":
            return frame["month"].dt.to_period("Q").astype(str)
        return pd.Series(f"{end.year} YTD", index=frame.index)

    ids = pd.Index(sorted(set(q["rep_id"])))
    o = o.loc[o["rep_id"].isin(ids)]
    group = {"rep": ["rep_id"], "team": ["team"], "company": []}[level]
    name, team = _rep_info(pd.Series(ids, index=ids), reps)
    team_of = pd.Series(team, index=ids)
    q = q.assign(period=key(q), team=q["rep_id"].map(team_of).astype("string"))
    o = o.assign(period=key(o), team=o["rep_id"].map(team_of).astype("string"))
    by = [*group, "period"]
    started = q.loc[q["month"] <= end]
    tq = q.groupby(by, dropna=False).agg(target=("quota", "sum"), expected=("expected", "sum"))
    tq = tq.join(started.groupby(by, dropna=False).agg(period_start=("month", "min"), _last=("month", "max")),
                 how="inner")  # only the periods that have started by as_of
    ta = o.groupby(by, dropna=False)["amount"].sum().rename("actual")
    out = tq.join(ta, how="left").fillna({"actual": 0.0}).reset_index()
    out["period_end"] = (out.pop("_last") + pd.offsets.MonthEnd(0)).clip(upper=end)
    if period == "ytd":
        out["period_start"] = year_start
    for col in ["target", "expected", "actual"]:
        out[col] = round_money(out[col])
    out["attainment"] = out["actual"] / out["expected"].where(out["expected"] > 0)
    out["gap"] = round_money(out["expected"] - out["actual"])
    if level == "rep":
        out["name"] = out["rep_id"].map(pd.Series(name, index=ids)).astype("string")
        out["team"] = out["rep_id"].map(team_of).astype("string")
    else:
        out["rep_id"] = pd.array([pd.NA] * len(out), dtype="string")
        out["name"] = pd.array([pd.NA] * len(out), dtype="string")
        if level == "company":
            out["team"] = pd.array([pd.NA] * len(out), dtype="string")
    return out[_TRACK_COLUMNS].sort_values(["team", "rep_id", "period"] if level != "company" else ["period"],
                                           kind="stable").reset_index(drop=True)


def weekly_review(
    quotas: pd.DataFrame,
    orders: pd.DataFrame,
    reps: pd.DataFrame | None = None,
    *,
    as_of: object,
    period: str = "month",
    bands: Sequence[float] = STATUS_BANDS,
) -> pd.DataFrame:
    """Build the weekly-review table (周复盘): per rep, the running period's pace, status, gap and run rate.

    ``pace = actual / expected`` to date; status ``on_track`` when pace >= ``bands[0]``,
    ``at_risk`` when >= ``bands[1]``, else ``behind``. ``to_go`` is the money still to
    sell for the whole period's target (``target - actual``, never below 0), the months
    after ``as_of`` included: with 12 x 100 quota, as of 30 June and 300 sold, 900 are to
    go for the year, not 300. ``run_rate`` is the average sold per week so far and
    ``needed_run_rate`` the average per week needed for the rest of the period (NaN once
    the period is over).

    Weeks rule: a week is 7 calendar days, counted as a fraction. ``days_left`` are the
    calendar days after ``as_of`` up to the period's last day, the weeks left are
    ``days_left / 7`` and ``needed_run_rate = to_go x 7 / days_left`` (30 June -> 31
    December: 184 days = 26.3 weeks, 900 / 26.3 = 34.24 a week). The same rule gives
    ``run_rate = actual x 7 / days elapsed``, so the two rates compare like with like and
    the pace needed does not jump when a week boundary passes.

    Returns
    -------
    DataFrame
        ``rep_id, name, team, period, target, expected, actual, pace, status`` (a key of
        :data:`STATUSES`), ``to_go, days_left, run_rate, needed_run_rate``, the most behind
        first.

    Examples
    --------
    >>> q = pd.DataFrame({"rep_id": ["R1", "R2"], "month": pd.to_datetime(["2025-04-01"] * 2),
    ...                   "quota": [300.0, 300.0]})
    >>> o = pd.DataFrame({"rep_id": ["R1", "R2"], "order_date": pd.to_datetime(["2025-04-02"] * 2),
    ...                   "amount": [160.0, 100.0]})
    >>> w = weekly_review(q, o, as_of="2025-04-15")
    >>> w[["rep_id", "pace", "status", "to_go", "days_left", "needed_run_rate"]]
      rep_id      pace    status  to_go  days_left  needed_run_rate
    0     R2  0.666667    behind  200.0         15            93.33
    1     R1  1.066667  on_track  140.0         15            65.33
    """
    if period not in ("month", "quarter", "ytd"):
        raise ParameterError("period", period, "'month', 'quarter' or 'ytd'")
    try:
        on_track, at_risk = (float(b) for b in bands)
    except (TypeError, ValueError):
        raise ParameterError("bands", bands, "two paces such as (1.0, 0.9)") from None
    if not at_risk <= on_track:
        raise ParameterError("bands", bands, "(on-track pace, at-risk pace) with the first >= the second")
    end = parse_date(as_of, "as_of")
    tr = track(quotas, orders, reps, as_of=end, period=period)
    current = {"month": str(end.to_period("M")), "quarter": str(end.to_period("Q")), "ytd": f"{end.year} YTD"}[period]
    cur = tr.loc[tr["period"] == current].reset_index(drop=True)
    days_left = days_left_in(end, period)
    days_done = int((end - cur["period_start"].min()).days) + 1 if len(cur) else 0
    pace = cur["actual"] / cur["expected"].where(cur["expected"] > 0)
    on, risk, behind = STATUSES
    status = np.select([pace >= on_track, pace >= at_risk], [on, risk], behind)
    status = np.where(pace.isna(), on, status)
    to_go = round_money((cur["target"] - cur["actual"]).clip(lower=0))
    out = pd.DataFrame({
        "rep_id": cur["rep_id"], "name": cur["name"], "team": cur["team"], "period": cur["period"],
        "target": cur["target"], "expected": cur["expected"], "actual": cur["actual"], "pace": pace,
        "status": status,
        "to_go": to_go, "days_left": np.full(len(cur), days_left, dtype="int64"),
        "run_rate": div_money(cur["actual"] * 7, max(days_done, 1)),
        "needed_run_rate": needed_per_week(to_go, days_left),
    })
    order = out.assign(_p=out["pace"].fillna(np.inf)).sort_values(["_p", "rep_id"], kind="stable").index
    return out.loc[order].reset_index(drop=True)


def days_left_in(as_of: pd.Timestamp, period: str) -> int:
    """Calendar days after ``as_of`` up to the last day of its month, quarter or year (``"ytd"``).

    Examples
    --------
    >>> days_left_in(pd.Timestamp("2025-06-30"), "ytd"), days_left_in(pd.Timestamp("2025-06-30"), "quarter")
    (184, 0)
    """
    day = as_of.normalize()
    last = {"month": day + pd.offsets.MonthEnd(0), "quarter": day + pd.offsets.QuarterEnd(0),
            "ytd": pd.Timestamp(year=day.year, month=12, day=31)}[period]
    return int((last - day).days)


def needed_per_week(to_go: pd.Series, days_left: int) -> pd.Series:
    """Money per week still needed: ``to_go x 7 / days_left`` (the weeks rule of :func:`weekly_review`); NaN at 0 days.

    Examples
    --------
    >>> needed_per_week(pd.Series([900.0]), 184).tolist()
    [34.24]
    """
    if days_left <= 0:
        return pd.Series(np.nan, index=to_go.index)
    return pd.Series(div_money(to_go * 7, days_left), index=to_go.index)


def default_month(plan_year: int, as_of: object) -> pd.Timestamp:
    """Return the month to plan activities for: the one after ``as_of`` if it is in ``plan_year``, else January.

    Examples
    --------
    >>> str(default_month(2025, "2025-09-30").date()), str(default_month(2026, "2025-09-30").date())
    ('2025-10-01', '2026-01-01')
    """
    nxt = (parse_date(as_of, "as_of").to_period("M") + 1).to_timestamp()
    return nxt if nxt.year == plan_year else pd.Timestamp(year=_year(plan_year, "plan_year"), month=1, day=1)
