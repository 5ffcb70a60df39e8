"""The sample company: every table, generated and written."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from playbook.core import schema
from playbook.core.errors import ParameterError
from playbook.data.sample.arrays import _as_dates, _ids, _n_teams, _text
from playbook.data.sample.rules import (
    _CHANNEL_P,
    _INDUSTRIES,
    _LEAKY_TEAM,
    _MAX_SCALE,
    _N_HIST,
    _NEVER,
    _P_INTENT,
    _P_NEGOTIATION,
    _P_WIN,
    _P_WIN_LEAKY,
    _PRODUCT_P,
    _REGIONS,
    _ROLES,
    _SEASON,
    _UNDER_PERFORMER,
    _UNDER_PERFORMER_ATTAINMENT,
    _UNDER_PERFORMER_LEVELS,
    _UNDER_PERFORMER_RATIOS,
    LOST_REASONS,
    PRODUCT_LINES,
    SAMPLE_AS_OF,
    SampleSignals,
)
from playbook.data.sample.tables import (
    _activities,
    _assessments,
    _calibrate_under_performer,
    _channel_spend,
    _company_names,
    _customers,
    _employment,
    _finish_opps,
    _grid,
    _layout,
    _new_leads,
    _quotas,
    _reassign,
    _reps,
    _team_names,
    _with_refunds,
)

__all__ = ["SIGNALS", "generate", "write_tables"]

def _check(seed: object, scale: object) -> tuple[int, float]:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError("seed", seed, "a whole number >= 0")
    ok = isinstance(scale, (int, float, np.integer, np.floating)) and not isinstance(scale, bool)
    if not ok or not np.isfinite(scale) or not 0 < scale <= _MAX_SCALE:
        raise ParameterError("scale", scale,
                             f"a number above 0 and at most {_MAX_SCALE} (1 = 24 reps)")
    return int(seed), float(scale)


def _check_teams(teams: object, scale: float) -> int:
    most = _n_teams(scale)
    if teams is None:
        return most
    if isinstance(teams, bool) or not isinstance(teams, (int, np.integer)) or not 1 <= teams <= most:
        raise ParameterError("teams", teams, f"a whole number from 1 to {most} (round(3 * scale))")
    return int(teams)


def generate(*, seed: int = 7, scale: float = 1.0, teams: int | None = None) -> dict[str, pd.DataFrame]:
    """Build every table of the sample company; pure and deterministic.

    Parameters
    ----------
    seed : int, default 7
        Random seed (``numpy.random.default_rng``). ``data/sample`` is seed 7.
    scale : float, default 1.0
        Size multiplier. Scale 1 has 3 teams (about 24 reps, 1,500 customers and 15,000
        orders); scale K has ``round(3 * K)`` teams and about K times the rows
        (``scale=70`` gives about a million orders). The planted findings
        (:data:`SIGNALS`) are made for scale 1.
    teams : int, optional
        Number of teams (about 8 reps each) instead of ``round(3 * scale)``; the volume
        of customers and orders stays that of ``scale``, so each rep's book grows
        (``scale=70, teams=25``: about 200 reps and a million orders).

    Returns
    -------
    dict of str to DataFrame
        One frame per table of :data:`playbook.schema.TABLE_ORDER`, in that order, with
        exactly the schema's columns: ids as text, dates as ``datetime64``, money in CNY
        rounded to the cent (refund rows negative), counts and levels as integers.

    Raises
    ------
    ParameterError
        If ``seed`` is not a whole number >= 0, ``scale`` is not in (0, 400] or
        ``teams`` is not a whole number from 1 to ``round(3 * scale)``.

    Examples
    --------
    >>> t = generate(seed=7, scale=1)
    >>> t["orders"].columns.tolist()
    ['order_id', 'customer_id', 'rep_id', 'order_date', 'amount', 'product_line', 'is_refund']
    >>> t["orders"]["order_date"].max() <= pd.Timestamp(SAMPLE_AS_OF)
    True
    >>> t["reps"]["team"].unique().tolist()
    ['华东一组', '华北一组', '华南一组']
    >>> generate(seed=7, scale=1)["orders"].equals(t["orders"])
    True
    """
    seed, scale = _check(seed, scale)
    n_teams = _check_teams(teams, scale)
    book = 1.0 if teams is None else 3 * scale / n_teams  # customers per rep, relative to the sample's
    rng = np.random.default_rng(seed)
    reps = _reps(rng, n_teams)
    share, lo, hi = _employment(reps)
    leads = _finish_opps(rng, _new_leads(rng, reps, share, lo, hi, book=book), reps)
    cust = _reassign(rng, _customers(rng, reps, leads, book=book), reps)
    repeat, upsell = _grid(rng, cust, reps)
    upsell = _finish_opps(rng, upsell, reps)
    opps = _all_opportunities(leads, upsell, cust)
    orders = _all_orders(rng, cust, leads, upsell, repeat)
    orders = _with_refunds(rng, orders)
    _calibrate_under_performer(orders, opps, reps)
    orders["amount"] = np.round(orders["amount"], 2)
    tables = _frames(rng, reps, cust, opps, orders)
    # the optional KPI columns from their own stream, so the other tables stay as they were
    tables["opportunities"] = _with_concessions(tables["opportunities"], reps, np.random.default_rng([seed, 19]))
    tables["activities"] = _with_quality(_activities(rng, reps), np.random.default_rng([seed, 18]))
    tables["channel_spend"] = _channel_spend(rng, leads)
    tables["assessments"] = _assessments(rng, reps)
    tables["quotas"] = _quotas(rng, reps, orders, share)
    return {name: _tidy(tables[name], name) for name in schema.TABLE_ORDER}


def _all_opportunities(leads: dict[str, np.ndarray], upsell: dict[str, np.ndarray],
                       cust: pd.DataFrame) -> dict[str, np.ndarray]:
    """New-business leads (their customer known once won) followed by upsells."""
    new = np.flatnonzero(~cust["base"].to_numpy())
    lead_customer = np.full(len(leads["rep"]), -1)
    lead_customer[cust["lead"].to_numpy()[new]] = new
    keys = ("rep", "created", "channel", "amount", "intent", "negotiation", "closed",
            "outcome", "reason")
    opps = {key: np.concatenate([leads[key], upsell[key]]) for key in keys}
    opps["customer"] = np.concatenate([lead_customer, upsell["customer"]])
    return opps


def _all_orders(rng: np.random.Generator, cust: pd.DataFrame, leads: dict[str, np.ndarray],
                upsell: dict[str, np.ndarray], repeat: dict[str, np.ndarray],
                ) -> dict[str, np.ndarray]:
    """First orders of new accounts (won leads), won upsells and repeat orders.

    ``opp`` links an order to the opportunity it closed (index into
    :func:`_all_opportunities`), -1 for repeat orders.
    """
    new = np.flatnonzero(~cust["base"].to_numpy())
    lead = cust["lead"].to_numpy()[new]
    won = np.flatnonzero(upsell["outcome"] == 0)
    parts = [
        {"customer": new, "rep": leads["rep"][lead], "day": leads["closed"][lead],
         "amount": leads["amount"][lead], "product": rng.choice(4, len(new), p=_PRODUCT_P),
         "opp": lead},
        {"customer": upsell["customer"][won], "rep": upsell["rep"][won],
         "day": upsell["closed"][won], "amount": upsell["amount"][won],
         "product": rng.choice(4, len(won), p=_PRODUCT_P), "opp": len(leads["rep"]) + won},
        repeat,
    ]
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def _frames(rng: np.random.Generator, reps: pd.DataFrame, cust: pd.DataFrame,
            opps: dict[str, np.ndarray], orders: dict[str, np.ndarray],
            ) -> dict[str, pd.DataFrame]:
    """Reps, customers, orders and opportunities with their public ids.

    Customers are numbered by first order, orders and opportunities by date.
    """
    r_ids = reps["rep_id"].to_numpy()
    first = np.full(len(cust), _NEVER)
    bought = ~orders["refund"]
    np.minimum.at(first, orders["customer"][bought], orders["day"][bought])
    c_order = np.lexsort((np.arange(len(cust)), first))
    c_ids = np.empty(len(cust), dtype=object)
    c_ids[c_order] = _ids("C", len(cust), 5)

    o = np.lexsort((orders["refund"], orders["day"]))
    orders_df = pd.DataFrame({
        "order_id": _ids("O", len(o), 6),
        "customer_id": c_ids[orders["customer"][o]],
        "rep_id": r_ids[orders["rep"][o]],
        "order_date": _as_dates(orders["day"][o]),
        "amount": orders["amount"][o],
        "product_line": np.array(PRODUCT_LINES)[orders["product"][o]],
        "is_refund": orders["refund"][o],
    })

    p = np.lexsort((np.arange(len(opps["rep"])), opps["created"]))
    reason = opps["reason"][p]
    opps_df = pd.DataFrame({
        "opportunity_id": _ids("P", len(p), 6),
        "customer_id": _text(c_ids[np.maximum(opps["customer"][p], 0)], opps["customer"][p] < 0),
        "rep_id": r_ids[opps["rep"][p]],
        "channel": np.array(schema.CHANNELS)[opps["channel"][p]],
        "amount": np.round(opps["amount"][p], 2),
        "created_date": _as_dates(opps["created"][p]),
        "intent_date": _as_dates(opps["intent"][p]),
        "negotiation_date": _as_dates(opps["negotiation"][p]),
        "closed_date": _as_dates(opps["closed"][p]),
        "outcome": np.array(schema.OUTCOMES)[opps["outcome"][p]],
        "lost_reason": _text(np.array(LOST_REASONS)[np.maximum(reason, 0)], reason < 0),
    })

    owner = np.where(cust["switch"].to_numpy() < _N_HIST, cust["owner2"].to_numpy(),
                     cust["owner"].to_numpy())
    industry, region = cust["industry"].to_numpy(), cust["region"].to_numpy()
    customers_df = pd.DataFrame({
        "customer_id": c_ids[c_order],
        "name": _company_names(rng, region, industry)[c_order],
        "industry": np.array(_INDUSTRIES)[industry[c_order]],
        "region": np.array(_REGIONS)[region[c_order]],
        "channel": np.array(schema.CHANNELS)[cust["channel"].to_numpy()[c_order]],
        "owner_rep_id": r_ids[owner[c_order]],
        "first_order_date": _as_dates(first[c_order]),
    })

    reps_df = reps[schema.column_names("reps")].copy()
    reps_df["manager_id"] = _text(reps["manager_id"].to_numpy(),
                                  reps["manager_id"].to_numpy() == "")
    reps_df["hire_date"] = _as_dates(reps["hire_date"].to_numpy())
    reps_df["leave_date"] = _as_dates(reps["leave_date"].to_numpy())
    return {"reps": reps_df, "customers": customers_df, "orders": orders_df,
            "opportunities": opps_df}


def _with_quality(activities: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Add the optional KPI counts: needs assessed / matched (about 55%), surveys / satisfied (about 75%).

    Each rep has his own match and satisfaction propensity; the domain's figures (needs-match
    45% -> 72% after the lead-channel cut, satisfaction 75%) bracket them.
    """
    rep_codes, reps = pd.factorize(activities["rep_id"])
    match_p = np.clip(rng.normal(0.55, 0.1, len(reps)), 0.2, 0.9)[rep_codes]
    happy_p = np.clip(rng.normal(0.75, 0.08, len(reps)), 0.3, 0.95)[rep_codes]
    assessed = rng.poisson(0.6 * activities["demos"].to_numpy() + 1.0)
    surveys = rng.poisson(1.2, len(activities))
    return activities.assign(needs_assessed=assessed, needs_matched=rng.binomial(assessed, match_p),
                             surveys=surveys, satisfied=rng.binomial(surveys, happy_p))


def _with_concessions(opps: pd.DataFrame, reps: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Add the price-ladder concessions of won and open deals that reached negotiation.

    About a third get a discount within any rep's limit (1-5%); orders above
    500,000 get the ladder's 3 free months; a few (about 3%) get a discount of 12-25%,
    beyond a specialist's or senior rep's authority (data/rules/price_authority.yaml).
    """
    n = len(opps)
    amount = opps["amount"].to_numpy(dtype=float)
    live = (opps["outcome"].isin(["won", "open"]) & opps["negotiation_date"].notna()).to_numpy()
    share = np.where(rng.random(n) < 0.35, rng.uniform(0.01, 0.05, n), 0.0)
    share = np.where(rng.random(n) < 0.03, rng.uniform(0.12, 0.25, n), share)
    off = np.round(amount * share / (1 - share), 2)
    free = np.where(amount > 500_000, 3, 0)
    return opps.assign(discount_amount=np.where(live, off, np.nan),
                       free_months=pd.Series(free, index=opps.index, dtype="Int64").where(live, pd.NA))


def _tidy(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Put columns in schema order, text columns as ``str``, with a fresh RangeIndex."""
    frame = frame[schema.column_names(table)].reset_index(drop=True)
    for col in schema.TABLES[table].columns:
        if col.kind in ("id", "text", "category"):
            frame[col.name] = frame[col.name].astype("str")
    return frame


def _signals() -> SampleSignals:
    lay = _layout(3)
    team_names, _ = _team_names(3)
    ids = lay["rep_id"]
    return SampleSignals(
        as_of=SAMPLE_AS_OF,
        under_performer=str(ids[lay["under_performer"]].iloc[0]),
        under_performer_manager=str(ids[(lay["team"] == _UNDER_PERFORMER[0])
                                        & (lay["position"] == 0)].iloc[0]),
        under_performer_levels=MappingProxyType(dict(_UNDER_PERFORMER_LEVELS)),
        under_performer_attainment=_UNDER_PERFORMER_ATTAINMENT[-1],
        under_performer_peer_ratio=_UNDER_PERFORMER_RATIOS[-1],
        peer_role=_ROLES[2],
        leaky_team=str(team_names[_LEAKY_TEAM]),
        leaky_negotiation_win_rate=_P_WIN_LEAKY,
        other_negotiation_win_rate=_P_WIN,
        ramping_cohort=tuple(str(x) for x in ids[lay["cohort"]]),
        leaver=str(ids[lay["leaver"]].iloc[0]),
        referral_channel="referral",
        paid_ad_channels=("paid_search", "paid_social"),
        referral_vs_paid_conversion=round(
            float(_P_INTENT[0] * _P_NEGOTIATION[0]
                  / np.average(_P_INTENT[3:] * _P_NEGOTIATION[3:], weights=_CHANNEL_P[3:])), 1),
        weakest_month=int(np.argmin(_SEASON)) + 1,
        strongest_month=int(np.argmax(_SEASON)) + 1,
    )


SIGNALS: SampleSignals = _signals()
"""The planted findings of the default sample (see :class:`SampleSignals`)."""


def write_tables(tables: Mapping[str, pd.DataFrame], out_dir: str | os.PathLike[str],
                 ) -> list[Path]:
    """Write each table to ``out_dir/<table>.csv``; the same frames give the same bytes.

    UTF-8 without BOM, Unix line endings, dates as ``YYYY-MM-DD``, missing values as
    empty cells, decimal numbers with 2 decimals. The folder is created if needed.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Table name -> frame, e.g. the result of :func:`generate`.
    out_dir : path-like
        Folder to write to.

    Returns
    -------
    list of Path
        The files written, in the order of ``tables``.

    Raises
    ------
    ParameterError
        If a table name is not a plain file name.

    Examples
    --------
    >>> import tempfile
    >>> frame = pd.DataFrame({"rep_id": ["R001"], "month": pd.to_datetime(["2025-01-01"]),
    ...                       "quota": [150000.0]})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     [path] = write_tables({"quotas": frame}, tmp)
    ...     print(path.name, path.read_bytes().decode("utf-8"), end="")
    quotas.csv rep_id,month,quota
    R001,2025-01-01,150000.00
    """
    out = Path(out_dir)
    written = []
    for name in tables:
        if not name or Path(name).name != name or name.startswith("."):
            raise ParameterError("tables", name, "table names that are plain file names")
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        text = frame.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d",
                            float_format="%.2f", na_rep="")
        path = out / f"{name}.csv"
        path.write_bytes(text.encode("utf-8"))
        written.append(path)
    return written
