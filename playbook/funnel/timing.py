"""Time in stage, stuck deals and pipeline coverage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from playbook.core.dates import optional_date
from playbook.core.errors import ParameterError, require_columns
from playbook.core.money import div_money, round_money
from playbook.funnel.rules import (
    _DATE_COLUMNS,
    DURATION_COLUMNS,
    DURATION_SUMMARY_COLUMNS,
    PIPELINE_COLUMNS,
    STUCK_COLUMNS,
)
from playbook.funnel.stages import _as_dates, _by, _check_stages, _kit, _latest_date, _ratio

__all__ = ["stage_durations", "duration_summary", "stuck_deals", "pipeline_table"]

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
    require_columns(stages, ["opportunity_id", "rep_id", "outcome", "amount", *_DATE_COLUMNS], "stages")
    end = optional_date(as_of, "as_of")
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
    require_columns(durations, ["stage", "days", "ongoing"], "durations")
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
    require_columns(durations, ["stage", "days", "ongoing", "opportunity_id", "rep_id", "entered_date"], "durations")
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
        return round_money(float(per_rep.sum()))
    if keys == ["rep_id"]:
        total = per_rep
    else:
        total = per_rep.groupby(per_rep.index.map(lookup)).sum()
    return round_money(out[keys[0]].map(total).fillna(0.0).astype("float64"))


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
    require_columns(stages, ["rep_id", "amount", "outcome", "created_date", "closed_date"], "stages")
    end = optional_date(as_of, "as_of")
    if end is None:
        raise ParameterError("as_of", as_of, "a date such as '2025-09-30'")
    if horizon not in _HORIZONS:
        raise ParameterError("horizon", horizon, "'month', 'quarter' or 'year'")
    keys = _by(by)
    if len(keys) > 1:
        raise ParameterError("by", by, "one column ('team' or 'rep_id') or None")
    require_columns(stages, keys, "stages (by=)")
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
    out["open_amount"] = round_money(g["open_amount"].astype("float64").to_numpy())
    out["win_rate"] = _ratio(g["_won"], g["_won"] + g["_lost"])
    out["avg_deal"] = div_money(g["_won_amount"], g["_won"]).to_numpy()
    out["cycle_days"] = _ratio(g["_cycle"], g["_won"]).round(1)
    out["expected_value"] = round_money(out["open_deals"] * out["win_rate"] * out["avg_deal"])
    out["velocity_per_day"] = round_money(out["expected_value"] / out["cycle_days"].where(out["cycle_days"] > 0))

    lookup = None
    if keys and keys != ["rep_id"]:
        source = reps if reps is not None else stages
        require_columns(source, ["rep_id", keys[0]], "reps")
        lookup = source.assign(rep_id=source["rep_id"].astype("string")).drop_duplicates("rep_id")
        lookup = lookup.set_index("rep_id")[keys[0]]
    if orders is not None:
        require_columns(orders, ["rep_id", "order_date", "amount"], "orders")
        od = _as_dates(orders["order_date"])
        sold = pd.to_numeric(orders["amount"], errors="coerce").fillna(0.0).where((od >= h_start) & (od <= end), 0.0)
        per_rep = sold.groupby(orders["rep_id"].astype("string")).sum()
    else:
        in_h = won & (stages["closed_date"] >= h_start) & (stages["closed_date"] <= end)
        per_rep = stages["amount"].where(in_h, 0.0).fillna(0.0).groupby(stages["rep_id"].astype("string")).sum()
    out["closed_in_horizon"] = _per_group(per_rep, out, keys, lookup)
    if quotas is not None:
        q = _kit(quotas, columns)
        require_columns(q, ["rep_id", "month", "quota"], "quotas")
        month = _as_dates(q["month"]).dt.to_period("M").dt.start_time
        amount = pd.to_numeric(q["quota"], errors="coerce").fillna(0.0)
        in_h = (month >= h_start) & (month <= h_end)
        out["quota_horizon"] = _per_group(amount[in_h].groupby(q["rep_id"].astype("string")[in_h]).sum(),
                                          out, keys, lookup)
        remaining = round_money((out["quota_horizon"] - out["closed_in_horizon"]).clip(lower=0))
        out["remaining_quota"] = remaining
        positive = remaining.where(remaining > 0)
        out["coverage"] = (out["open_amount"] / positive).round(2)
        out["weighted_coverage"] = (out["expected_value"] / positive).round(2)
    else:
        for col in ("quota_horizon", "remaining_quota", "coverage", "weighted_coverage"):
            out[col] = np.nan
    return out[[*keys, *PIPELINE_COLUMNS]].reset_index(drop=True)
