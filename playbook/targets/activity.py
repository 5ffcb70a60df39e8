"""Reverse funnel: the activity quota (deals, negotiations, intents, leads, visits) behind a revenue quota."""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.core.dates import parse_date
from playbook.core.errors import InputError, ParameterError, require_columns
from playbook.core.money import div_money, round_money
from playbook.targets.tracking import _rep_info

__all__ = ["funnel_rates", "activity_quota"]

# ---------------------------------------------------------------------------------------
# Reverse funnel: activity quota from a revenue quota
# ---------------------------------------------------------------------------------------
_FUNNEL_COUNTS = ["leads", "intents", "negotiations", "won", "won_amount", "leads_created", "visits"]
_RATES = {"lead_to_intent": ("intents", "leads"), "intent_to_negotiation": ("negotiations", "intents"),
          "negotiation_to_won": ("won", "negotiations")}


def funnel_rates(
    opportunities: pd.DataFrame,
    activities: pd.DataFrame | None = None,
    *,
    as_of: object,
    months: int = 12,
) -> pd.DataFrame:
    """Per rep: stage conversion rates, average deal size and visits per lead over ``months``.

    Rates come from the opportunities *created* in the ``months`` before ``as_of`` that
    are closed (won or lost) by then: a stage counts as reached when its date is set or
    a later stage was reached (so counts never grow downstream). ``avg_deal_size`` is
    the mean won amount. ``visits_per_lead`` is visits (from ``activities``, weeks in
    the window) per lead created in the window, open ones included.

    Returns
    -------
    DataFrame
        ``rep_id, leads, intents, negotiations, won, won_amount, leads_created, visits,
        lead_to_intent, intent_to_negotiation, negotiation_to_won, avg_deal_size,
        visits_per_lead`` (rates NaN where nothing to divide by).

    Examples
    --------
    >>> opp = pd.DataFrame({"rep_id": ["R1"] * 4, "amount": [10.0, 20.0, 5.0, 5.0],
    ...     "created_date": pd.to_datetime(["2025-01-01"] * 4),
    ...     "intent_date": pd.to_datetime(["2025-01-05", "2025-01-05", "2025-01-05", None]),
    ...     "negotiation_date": pd.to_datetime(["2025-01-09", "2025-01-09", None, None]),
    ...     "closed_date": pd.to_datetime(["2025-02-01"] * 4),
    ...     "outcome": ["won", "lost", "lost", "lost"]})
    >>> r = funnel_rates(opp, as_of="2025-06-30")
    >>> r[["lead_to_intent", "intent_to_negotiation", "negotiation_to_won", "avg_deal_size"]].iloc[0].tolist()
    [0.75, 0.6666666666666666, 0.5, 10.0]
    """
    require_columns(opportunities, ["rep_id", "amount", "created_date", "intent_date", "negotiation_date",
                             "closed_date", "outcome"], "opportunities")
    end = parse_date(as_of, "as_of")
    if isinstance(months, bool) or not isinstance(months, (int, np.integer)) or months < 1:
        raise ParameterError("months", months, "a whole number of months >= 1")
    start = end - pd.DateOffset(months=int(months)) + pd.Timedelta(days=1)
    opp = opportunities
    created = pd.to_datetime(opp["created_date"])
    in_window = (created >= start) & (created <= end)
    closed_by = pd.to_datetime(opp["closed_date"]) <= end
    outcome = opp["outcome"].astype(str)
    done = in_window & closed_by & outcome.isin(["won", "lost"])
    won = done & (outcome == "won")
    neg = done & (pd.to_datetime(opp["negotiation_date"]).notna() | won)
    intent = done & (pd.to_datetime(opp["intent_date"]).notna() | neg)
    rep = opp["rep_id"].astype(str)
    frame = pd.DataFrame({
        "rep_id": rep, "leads": done.astype("int64"), "intents": intent.astype("int64"),
        "negotiations": neg.astype("int64"), "won": won.astype("int64"),
        "won_amount": opp["amount"].where(won, 0.0), "leads_created": in_window.astype("int64"),
    })
    out = frame.groupby("rep_id", sort=True).sum()
    if activities is not None:
        require_columns(activities, ["rep_id", "week", "visits"], "activities")
        week = pd.to_datetime(activities["week"])
        act = activities.loc[(week >= start) & (week <= end)]
        visits = act.groupby(act["rep_id"].astype(str))["visits"].sum()
        out = out.reindex(out.index.union(visits.index), fill_value=0)
        out["visits"] = visits.reindex(out.index, fill_value=0).astype("int64")
    else:
        out["visits"] = 0
    out = out.reset_index()
    return _with_rates(out)


def _with_rates(counts: pd.DataFrame) -> pd.DataFrame:
    out = counts.copy()
    for col in ["leads", "intents", "negotiations", "won", "leads_created", "visits"]:
        out[col] = out[col].astype("int64")
    out["won_amount"] = round_money(out["won_amount"].astype(float))
    for rate, (num, den) in _RATES.items():
        out[rate] = out[num] / out[den].where(out[den] > 0)
    out["avg_deal_size"] = div_money(out["won_amount"], out["won"])
    out["visits_per_lead"] = (out["visits"] / out["leads_created"].where(out["leads_created"] > 0)).round(2)
    return out[["rep_id", *_FUNNEL_COUNTS, *_RATES, "avg_deal_size", "visits_per_lead"]]


def _ceil(x: pd.Series | np.ndarray) -> np.ndarray:
    return np.ceil(np.asarray(x, dtype=float) - 1e-9).astype("int64")


def activity_quota(
    quotas: pd.DataFrame,
    rates: pd.DataFrame,
    reps: pd.DataFrame | None = None,
    *,
    basis: str = "rep",
    min_leads: int = 20,
) -> pd.DataFrame:
    """Monthly activity quota from the revenue quota (reverse funnel), rounded up.

    ``deals = ceil(quota / avg_deal_size)``, ``negotiations = ceil(deals /
    negotiation_to_won)``, ``intents = ceil(negotiations / intent_to_negotiation)``,
    ``leads = ceil(intents / lead_to_intent)``, ``visits = ceil(leads x
    visits_per_lead)``. Each step rounds the previous step's whole number up.

    Parameters
    ----------
    quotas : DataFrame
        ``rep_id, month, quota`` (e.g. :func:`rep_month_matrix`).
    rates : DataFrame
        :func:`funnel_rates` output.
    reps : DataFrame, optional
        ``rep_id, name, team`` to show who is who.
    basis : {"rep", "team"}
        ``rep``: each rep's own rates when he closed at least ``min_leads`` leads and
        has every rate above 0, else the whole team's (pooled); ``team``: pooled for all.

    Returns
    -------
    DataFrame
        ``rep_id, name, team, month, quota, source, avg_deal_size, deals, negotiations,
        intents, leads, visits`` (``source`` is ``rep`` or ``team``).

    Examples
    --------
    >>> rates = pd.DataFrame({"rep_id": ["R1"], "leads": [40], "intents": [20], "negotiations": [10],
    ...     "won": [5], "won_amount": [50_000.0], "leads_created": [40], "visits": [120]})
    >>> q = pd.DataFrame({"rep_id": ["R1"], "month": pd.to_datetime(["2025-10-01"]), "quota": [45_000.0]})
    >>> a = activity_quota(q, rates)
    >>> a["avg_deal_size"].iloc[0], a[["deals", "negotiations", "intents", "leads", "visits"]].iloc[0].tolist()
    (np.float64(10000.0), [5, 10, 20, 40, 120])
    """
    require_columns(quotas, ["rep_id", "month", "quota"], "quotas")
    require_columns(rates, ["rep_id", "leads", "intents", "negotiations", "won", "won_amount", "leads_created",
                     "visits"], "rates")
    if basis not in ("rep", "team"):
        raise ParameterError("basis", basis, "'rep' or 'team'")
    own = _with_rates(rates[["rep_id", *_FUNNEL_COUNTS]]).set_index("rep_id")
    pooled = _with_rates(own[_FUNNEL_COUNTS].sum().to_frame().T.assign(rep_id="team")).iloc[0]
    bad = [r for r in [*_RATES, "avg_deal_size"] if not pooled[r] > 0]
    if bad:
        raise InputError(f"opportunities: the team's {', '.join(bad)} is 0 or unknown (no closed deals in the "
                         "window?), so no activity quota can be derived; widen months= or check the data",
                         code="targets.no_rates", params={"rates": bad})
    rep = quotas["rep_id"].astype(str)
    mine = own.reindex(rep)
    usable = (mine["leads"] >= min_leads) & (mine[[*_RATES, "avg_deal_size"]] > 0).all(axis=1)
    if basis == "team":
        usable[:] = False
    cols = [*_RATES, "avg_deal_size", "visits_per_lead"]
    use = mine[cols].where(np.repeat(usable.to_numpy()[:, None], len(cols), axis=1))
    use = use.fillna({c: pooled[c] for c in use.columns}).fillna({"visits_per_lead": 0.0})
    quota = quotas["quota"].to_numpy(dtype=float)
    deals = _ceil(np.clip(quota, 0, None) / use["avg_deal_size"].to_numpy(dtype=float))
    negs = _ceil(deals / use["negotiation_to_won"].to_numpy(dtype=float))
    intents = _ceil(negs / use["intent_to_negotiation"].to_numpy(dtype=float))
    leads = _ceil(intents / use["lead_to_intent"].to_numpy(dtype=float))
    visits = _ceil(leads * use["visits_per_lead"].to_numpy(dtype=float))
    name, team = _rep_info(rep.reset_index(drop=True), reps)
    return pd.DataFrame({
        "rep_id": rep.to_numpy(),
        "name": name,
        "team": team,
        "month": quotas["month"].to_numpy(),
        "quota": quota,
        "source": np.where(usable.to_numpy(), "rep", "team"),
        "avg_deal_size": use["avg_deal_size"].to_numpy(dtype=float),
        "deals": deals, "negotiations": negs, "intents": intents, "leads": leads, "visits": visits,
    })
