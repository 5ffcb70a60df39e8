"""Evidence for a plan: each rep's figures and levels against anonymous peer statistics."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from playbook import funnel
from playbook.core.codes import factorized
from playbook.core.dates import parse_date
from playbook.core.errors import ParameterError, PlaybookWarning, require_columns
from playbook.core.labels import t
from playbook.core.schema import is_blank
from playbook.idp.catalogue import (
    _RATERS,
    COMPETENCY_FIELDS,
    EVIDENCE_COLUMNS,
    LEVEL_COLUMNS,
    MIN_GROUP,
    PEER_COLUMNS,
    REP_LEVEL_COLUMNS,
    Catalogue,
    _as_catalogue,
)
from playbook.targets.overview import rep_summary, resolve_as_of, ytd_window

__all__ = [
    "PEER_STATISTICS", "shows_peers", "hide_small_groups", "leak_unit", "leave_one_out_stats", "latest_levels",
    "funnel_leaks", "team_evidence", "dataset_evidence", "evidence_columns", "rep_evidence", "rep_levels",
    "peer_comparison",
]

# --------------------------------------------------------------------------- privacy: the one threshold rule
PEER_STATISTICS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "peer_count": ("peer_mean", "peer_q1", "peer_median", "peer_q3", "gap_to_peer_median", "ratio_to_peer_median",
                   "peer_attainment_median", "peer_new_customers_median", "peer_repurchase_median"),
    "team_peer_count": ("team_median",),
    "leak_peer_count": ("leak_peer_rate",),
})
"""Each count of other reps -> the anonymous statistics of that group.

A statistic is a column of that name or ``<name>__<competency>``: ``peer_*`` describe the
peers in the same position (``peer_count``), ``team_median`` the other active reps of the
team (``team_peer_count``), ``leak_peer_rate`` the reps pooled in the funnel peers' rate
(``leak_peer_count``). :func:`hide_small_groups` hides them below :data:`MIN_GROUP`."""


def shows_peers(count: object, *, min_group: int = MIN_GROUP) -> bool:
    """Whether anonymous statistics of ``count`` other reps may be shown: at least ``min_group``.

    The one privacy threshold of the IDP; a missing or unreadable count shows nothing.

    Examples
    --------
    >>> shows_peers(5), shows_peers(4), shows_peers(None), shows_peers(float("nan"))
    (True, False, False, False)
    """
    if is_blank(count):
        return False
    try:
        return float(count) >= min_group  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def hide_small_groups(frame: pd.DataFrame, *, min_group: int = MIN_GROUP) -> pd.DataFrame:
    """Return a copy of ``frame`` with every peer statistic of a group below ``min_group`` missing.

    The one home of the privacy rule of per-rep reports: for each count of
    :data:`PEER_STATISTICS`, the statistics of that group (also per competency,
    ``team_median__<key>``) are hidden in the rows where the count is below ``min_group``,
    missing or absent (a figure nobody can say how many reps it describes is not shown).
    Works on evidence (:func:`team_evidence`, :func:`rep_evidence`), :func:`rep_levels`,
    :func:`peer_comparison` and the items of a :class:`~playbook.idp.PlanDraft`.

    Examples
    --------
    >>> ev = pd.DataFrame({"rep_id": ["R1", "R2"], "peer_count": [5, 4], "peer_median": [320.0, 300.0],
    ...                    "team_median__negotiation": [3.0, 2.0], "team_peer_count": [4, 6]})
    >>> hide_small_groups(ev)
      rep_id  peer_count  peer_median  team_median__negotiation  team_peer_count
    0     R1           5        320.0                       NaN                4
    1     R2           4          NaN                       2.0                6
    >>> hide_small_groups(pd.DataFrame({"leak_peer_rate": [0.5]}))  # no count: hidden
       leak_peer_rate
    0             NaN
    """
    if isinstance(min_group, bool) or not isinstance(min_group, (int, np.integer)) or min_group < 1:
        raise ParameterError("min_group", min_group, "a whole number >= 1")
    hidden: dict[object, np.ndarray] = {}
    for count_col, stats in PEER_STATISTICS.items():
        cols = [c for c in frame.columns if str(c) in stats or str(c).split("__", 1)[0] in stats]
        if not cols:
            continue
        count = (_as_float(frame[count_col]) if count_col in frame.columns
                 else np.full(len(frame), np.nan))
        shown = count >= min_group  # missing counts compare False: hidden
        for c in cols:
            values = _as_float(frame[c])
            if frame[c].dtype != np.float64 or not np.isnan(values[~shown]).all():  # else: nothing changes
                hidden[c] = np.where(shown, values, np.nan)
    if not hidden:  # already floats, nothing left to hide (an input that was hidden before): a copy
        return frame.copy()
    # one new block for all statistics (not a column at a time: ~15 calls a report)
    stats_frame = pd.DataFrame(hidden, index=frame.index)
    return pd.concat([frame.drop(columns=list(hidden)), stats_frame], axis=1)[frame.columns]


def _as_float(col: pd.Series) -> np.ndarray:
    """Return ``col`` as float numbers (unreadable values missing), as :func:`pandas.to_numeric` coerces."""
    if col.dtype.kind in "fiub" and isinstance(col.dtype, np.dtype):
        return col.to_numpy(dtype=float)
    return pd.to_numeric(col, errors="coerce").astype(float).to_numpy()


def leak_unit(step: object) -> str:
    """Return the unit of a funnel step's rates: ``per_month`` (a count a month) or ``share``; "" for none.

    Examples
    --------
    >>> leak_unit("new_customers"), leak_unit("negotiation_to_deal"), leak_unit(None)
    ('per_month', 'share', '')
    """
    if is_blank(step):
        return ""
    return "per_month" if str(step) in funnel.PER_MONTH else "share"


# --------------------------------------------------------------------------- evidence
def leave_one_out_stats(
    values: pd.Series,
    groups: pd.Series,
    *,
    eligible: pd.Series | None = None,
    min_group: int = MIN_GROUP,
) -> pd.DataFrame:
    """Anonymous statistics of each row's group **without the row itself** (vectorised).

    For each row: how many *other* eligible rows of its group have a value, their mean
    and quartiles (linear interpolation, as :func:`numpy.quantile`). Statistics of fewer
    than ``min_group`` others are hidden (missing); ``peer_count`` is kept.

    Parameters
    ----------
    values : Series
        Numbers (missing values are not counted).
    groups : Series
        Group of each row (same index); a missing group has no peers.
    eligible : Series of bool, optional
        Rows that may serve as peers (all by default). Every row still gets statistics.
    min_group : int
        Fewest peers behind a shown statistic.

    Returns
    -------
    DataFrame
        ``peer_count, peer_mean, peer_q1, peer_median, peer_q3``, index of ``values``.

    Examples
    --------
    >>> v = pd.Series([1.0, 2.0, 3.0, 4.0, 10.0])
    >>> g = pd.Series(["a"] * 5)
    >>> leave_one_out_stats(v, g, min_group=3)[["peer_count", "peer_mean", "peer_median"]]
       peer_count  peer_mean  peer_median
    0           4       4.75          3.5
    1           4       4.50          3.5
    2           4       4.25          3.0
    3           4       4.00          2.5
    4           4       2.50          2.5
    """
    if min_group < 1:
        raise ParameterError("min_group", min_group, "a whole number >= 1")
    vals = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    codes, _ = pd.factorize(pd.Series(groups).astype("object"), use_na_sentinel=True)
    n = len(vals)
    elig = np.ones(n, bool) if eligible is None else pd.Series(eligible).fillna(False).to_numpy(dtype=bool)
    ok = elig & ~np.isnan(vals) & (codes >= 0)
    ng = int(codes.max()) + 1 if n and codes.max() >= 0 else 0
    idx = np.flatnonzero(ok)
    order = idx[np.lexsort((vals[idx], codes[idx]))]
    s = vals[order]
    counts = np.bincount(codes[order], minlength=ng)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    sums = np.bincount(codes[order], weights=s, minlength=ng)
    rank = np.zeros(n, np.int64)
    rank[order] = np.arange(len(order)) - starts[codes[order]]
    g = np.where(codes >= 0, codes, 0)
    n_g = np.where(codes >= 0, counts[g] if ng else 0, 0)
    m = n_g - ok.astype(np.int64)
    r = np.where(ok, rank, n_g)  # a row that is not a peer removes nothing
    shown = m >= min_group
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (np.where(codes >= 0, sums[g] if ng else 0.0, 0.0) - np.where(ok, vals, 0.0)) / m
    out = {"peer_count": m, "peer_mean": np.where(shown, mean, np.nan)}
    base = np.where(codes >= 0, starts[g] if ng else 0, 0)
    for name, q in (("peer_q1", 0.25), ("peer_median", 0.5), ("peer_q3", 0.75)):
        pos = q * np.maximum(m - 1, 0)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, np.maximum(m - 1, 0))
        frac = pos - lo
        lo2 = base + lo + (lo >= r)
        hi2 = base + hi + (hi >= r)
        safe = shown & (len(s) > 0)
        lo2 = np.where(safe, lo2, 0)
        hi2 = np.where(safe, hi2, 0)
        sv = s if len(s) else np.array([np.nan])
        val = sv[lo2] + frac * (sv[hi2] - sv[lo2])
        out[name] = np.where(safe, val, np.nan)
    frame = pd.DataFrame(out, index=pd.Series(values).index)
    frame["peer_count"] = frame["peer_count"].astype("int64")
    return frame


def latest_levels(assessments: pd.DataFrame, *, as_of: object = None) -> pd.DataFrame:
    """Each rep's latest level per competency: the manager's rating, else the self-assessment.

    Ratings by other raters (``peer``) are ignored; ratings after ``as_of`` too.

    Returns
    -------
    DataFrame
        :data:`LEVEL_COLUMNS`: ``level`` (manager preferred), ``manager_level`` and
        ``self_level`` (each the rater's latest), ``assessed_date`` of the level used.
        Ordered by rep and competency.

    Examples
    --------
    >>> a = pd.DataFrame({"rep_id": ["R1"] * 4, "competency": ["negotiation"] * 3 + ["market_awareness"],
    ...                   "level": [2, 3, 4, 3], "rater": ["manager", "manager", "self", "self"],
    ...                   "assessed_date": pd.to_datetime(["2024-06-28", "2024-12-27", "2024-12-27",
    ...                                                    "2024-12-27"])})
    >>> latest_levels(a)[["competency", "level", "manager_level", "self_level"]]
             competency  level  manager_level  self_level
    0  market_awareness      3           <NA>           3
    1       negotiation      3              3           4
    """
    require_columns(assessments, ["rep_id", "competency", "level", "rater", "assessed_date"], "assessments")
    dates = pd.to_datetime(assessments["assessed_date"], errors="coerce")
    rater = assessments["rater"].astype("string").str.strip().str.lower()
    keep = rater.isin(_RATERS).fillna(False) & dates.notna()
    if as_of is not None and not is_blank(as_of):
        keep &= dates <= parse_date(as_of, "as_of")
    a = pd.DataFrame({
        "rep_id": assessments["rep_id"].astype("string").str.strip(),
        "competency": assessments["competency"].astype("string").str.strip(),
        "level": pd.to_numeric(assessments["level"], errors="coerce"),
        "rater": rater, "_d": dates,
    }).loc[keep]
    a = a.sort_values("_d", kind="stable").drop_duplicates(["rep_id", "competency", "rater"], keep="last")
    wide = a.pivot(index=["rep_id", "competency"], columns="rater", values=["level", "_d"])
    out = pd.DataFrame(index=wide.index)
    for r in _RATERS:
        out[f"{r}_level"] = wide[("level", r)] if ("level", r) in wide.columns else np.nan
        out[f"_{r}_d"] = wide[("_d", r)] if ("_d", r) in wide.columns else pd.NaT
    out["manager_level"] = out["manager_level"].round().astype("Int64")
    out["self_level"] = out["self_level"].round().astype("Int64")
    out["level"] = out["manager_level"].fillna(out["self_level"])
    out["assessed_date"] = pd.to_datetime(out["_manager_d"].where(out["manager_level"].notna(), out["_self_d"]))
    out = out.reset_index().sort_values(["rep_id", "competency"], kind="stable").reset_index(drop=True)
    out["rep_id"] = out["rep_id"].astype("str")
    out["competency"] = out["competency"].astype("str")
    return out[LEVEL_COLUMNS]


def funnel_leaks(
    opportunities: pd.DataFrame,
    reps: pd.DataFrame,
    *,
    orders: pd.DataFrame | None = None,
    as_of: object = None,
    reference: str = "company",
    competency_map: Mapping[str, str] | str | Path | None = None,
) -> pd.DataFrame | None:
    """Return the funnel's flagged leaks per rep (:func:`playbook.funnel.rep_leaks`) with their peer counts.

    Opportunities with problems are left out (with the funnel's warning).

    Parameters
    ----------
    reference : {"company", "team"}
        Peers of the funnel comparison. ``company`` (default) also flags reps of a team
        that leaks as a whole: each of them gets the step's competency as a candidate.

    Returns
    -------
    DataFrame
        :data:`playbook.funnel.LEAK_COLUMNS` and ``peer_count``: the other reps whose data
        make up the pooled ``peer_rate`` (reps of the peer group with data in the step,
        without the rep himself); :func:`team_evidence` hides rates of fewer than
        :data:`MIN_GROUP`.
    """
    stages = funnel.stage_table(opportunities, reps=reps, as_of=as_of, invalid="drop")
    comparison = funnel.rep_comparison(stages, reps, orders=orders, as_of=as_of, reference=reference)
    leaks = funnel.rep_leaks(comparison, competency_map=competency_map)
    return leaks.assign(peer_count=_pooled_others(comparison, leaks))


def _pooled_others(comparison: pd.DataFrame, leaks: pd.DataFrame) -> np.ndarray:
    """For each leak: how many other reps have data in the pooled peer rate of its step (team or company)."""
    group = comparison["team"].astype("string").where(comparison["peers"] == "team", "\x1fcompany").fillna("")
    has = pd.to_numeric(comparison["decided"], errors="coerce").fillna(0).to_numpy() > 0
    size = pd.Series(has.astype("int64"), index=comparison.index).groupby(
        [group, comparison["step"].astype("string")]).transform("sum")
    others = pd.Series((size.to_numpy() - has).astype("int64"), index=pd.MultiIndex.from_arrays(
        [comparison["rep_id"].astype("str"), comparison["step"].astype("str")]))
    others = others[~others.index.duplicated()]
    wanted = pd.MultiIndex.from_arrays([leaks["rep_id"].astype("str"), leaks["step"].astype("str")])
    return others.reindex(wanted).fillna(0).astype("int64").to_numpy()


def evidence_columns(competencies: Sequence[str]) -> list[str]:
    """All columns of :func:`team_evidence` for the given competency keys.

    Examples
    --------
    >>> evidence_columns(["negotiation"])[-3:]
    ['leak_step__negotiation', 'leak_rate__negotiation', 'leak_peer_rate__negotiation']
    """
    return EVIDENCE_COLUMNS + [f"{f}__{c}" for c in competencies for f in COMPETENCY_FIELDS]


def _repurchase(orders: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Share of the rep's customers of the previous year who ordered from the rep again this year.

    Per rep (index: ``rep_id``, sorted): of the distinct customers with a positive order
    from the rep in the 12 months before ``start``, the share with a positive order from
    the same rep between ``start`` and ``end``. Orders without a rep are left out; a
    missing customer id counts as one customer. Rep and customer ids are the columns'
    codes (:func:`playbook.core.codes.factorized`, hashed once for all figures) and the
    (rep, customer) pairs one integer each: a hash set per year, no merge of text.

    Examples
    --------
    >>> o = pd.DataFrame({"rep_id": ["R1", "R1", "R1", "R2", "R1"], "customer_id": ["C1", "C2", "C1", "C2", "C2"],
    ...                   "amount": [5.0, 3.0, 2.0, 4.0, -1.0],
    ...                   "order_date": pd.to_datetime(["2024-03-01", "2024-05-01", "2025-02-01", "2025-02-01",
    ...                                                 "2025-03-01"])})
    >>> _repurchase(o, pd.Timestamp("2025-01-01"), pd.Timestamp("2025-06-30")).to_dict()  # C2 came back to R2
    {'R1': 0.5}
    """
    dates = pd.to_datetime(orders["order_date"])
    positive = (pd.to_numeric(orders["amount"], errors="coerce") > 0).to_numpy()
    prev = positive & ((dates >= start - pd.DateOffset(years=1)) & (dates < start)).to_numpy()
    now = positive & ((dates >= start) & (dates <= end)).to_numpy()
    rep, reps = factorized(orders["rep_id"])
    customer, customers = factorized(orders["customer_id"])
    width = len(customers) + 1  # a missing customer id: code len(customers)
    pair = rep * width + np.where(customer < 0, len(customers), customer)
    has_rep = rep >= 0
    before = pd.unique(pair[prev & has_rep])  # each (rep, customer) of last year once
    again = pd.Index(before).isin(pair[now & has_rep])
    of_rep = before // width
    n = np.bincount(of_rep, minlength=len(reps))
    rate = np.bincount(of_rep, weights=again, minlength=len(reps))[n > 0] / n[n > 0]
    return pd.Series(rate, index=pd.Index(reps[n > 0], name="rep_id")).sort_index()


def team_evidence(
    orders: pd.DataFrame,
    reps: pd.DataFrame,
    quotas: pd.DataFrame | None = None,
    *,
    as_of: object,
    assessments: pd.DataFrame | None = None,
    opportunities: pd.DataFrame | None = None,
    leaks: pd.DataFrame | None = None,
    catalogue: Catalogue | str | Path | None = None,
    competencies: Sequence[str] | None = None,
    peer_by: str = "role",
    min_group: int = MIN_GROUP,
    leak_reference: str = "company",
) -> pd.DataFrame:
    """Evidence for every rep's IDP, computed once for the whole team (vectorised).

    Parameters
    ----------
    orders, reps, quotas : DataFrame
        As for :func:`playbook.targets.overview.rep_summary` (``reps`` may have ``role``,
        ``manager_id``, ``hire_date``, ``leave_date``).
    as_of : date-like
        Last day counted; "" = the latest order date. Sales are year to date.
    assessments : DataFrame, optional
        ``rep_id, competency, level, rater, assessed_date``; see :func:`latest_levels`.
    opportunities : DataFrame, optional
        Used for funnel leaks (:func:`funnel_leaks`) when ``leaks`` is not given.
    leaks : DataFrame, optional
        Output of :func:`playbook.funnel.rep_leaks` (``rep_id, step, competency,
        rep_rate, peer_rate``), when you computed it already.
    catalogue : Catalogue or path, optional
        Its keys are the default ``competencies``.
    competencies : sequence of str, optional
        Competency keys that get columns (default: the catalogue's).
    peer_by : str
        Column of ``reps`` that defines peers (default: same ``role``). Peers are reps
        employed for the whole year-to-date window (hired on or before 1 January, not
        left), never the rep himself.
    min_group : int
        Fewest other reps behind an anonymous statistic; else it is missing. At least
        :data:`MIN_GROUP` (the privacy threshold: per-rep reports never go below it).
    leak_reference : {"company", "team"}
        Peers of the funnel comparison.

    Returns
    -------
    DataFrame
        One row per rep (order of :func:`~playbook.targets.overview.rep_summary`), columns
        ``evidence_columns(competencies)``: :data:`EVIDENCE_COLUMNS`, then per competency
        ``level__<key>`` (manager's latest rating, else self), ``manager_level__<key>``,
        ``self_level__<key>``, ``team_median__<key>`` (median of the other team members'
        levels), ``leak_step__<key>``, ``leak_rate__<key>``, ``leak_peer_rate__<key>``
        (the funnel step flagged for that competency, the rep's and the peers' rate).
        ``team_peer_count``: the other active reps of the team (behind ``team_median``);
        ``leak_peer_count``: the fewest other reps behind the rep's shown funnel peers'
        rates (missing without a leak). Every peer statistic of fewer than ``min_group``
        other reps is missing (:func:`hide_small_groups`).
        ``quota`` and ``actual`` are year-to-date CNY; ``peer_*`` describe ``actual``
        among peers; ``repurchase_rate`` is the share of the rep's customers of the
        previous 12 months before 1 January who ordered from him again this year;
        ``funnel_checked`` says whether funnel leaks were available.

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": [f"R{i}" for i in range(7)], "name": list("ABCDEFG"),
    ...                      "team": "T", "role": ["lead"] + ["rep"] * 6,
    ...                      "manager_id": [None] + ["R0"] * 6})
    >>> orders = pd.DataFrame({"order_id": [str(i) for i in range(7)],
    ...                        "customer_id": [f"C{i}" for i in range(7)], "rep_id": reps["rep_id"],
    ...                        "order_date": pd.Timestamp("2025-03-01"),
    ...                        "amount": [50.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0]})
    >>> ev = team_evidence(orders, reps, as_of="2025-06-30")
    >>> ev.loc[ev["rep_id"] == "R1", ["actual", "peer_count", "peer_mean", "peer_median", "supervisor_name"]]
       actual  peer_count  peer_mean  peer_median supervisor_name
    1    10.0           5       40.0         40.0               A
    """
    cat = _as_catalogue(catalogue)
    keys = list(cat.keys if competencies is None else competencies)
    if isinstance(min_group, bool) or not isinstance(min_group, (int, np.integer)) or min_group < MIN_GROUP:
        raise ParameterError("min_group", min_group, f"a whole number >= {MIN_GROUP} (the privacy threshold)")
    if leak_reference not in ("company", "team"):
        raise ParameterError("leak_reference", leak_reference, "'company' or 'team'")
    end = resolve_as_of(as_of, orders)
    start, _ = ytd_window(end)
    r = reps.assign(rep_id=reps["rep_id"].astype("str")).drop_duplicates("rep_id").set_index("rep_id")
    if peer_by not in r.columns and peer_by != "team":
        raise ParameterError("peer_by", peer_by, "a column of reps, e.g. 'role' or 'team'")
    with ThreadPoolExecutor(max_workers=1) as pool:
        # the funnel's leaks read the same tables (never write them): computed beside the sales figures,
        # whose numpy and Arrow steps leave the other core free
        pending = (pool.submit(funnel_leaks, opportunities, reps, orders=orders, as_of=end, reference=leak_reference)
                   if leaks is None and opportunities is not None else None)
        summary = rep_summary(orders, reps, quotas, as_of=end)
        ev, eligible = _rep_frame(summary, r, start=start, end=end)
        ev = _peer_figures(ev, orders, r, eligible, peer_by=peer_by, min_group=min_group, start=start, end=end)
        grid = _level_grid(ev, keys, assessments, as_of=end, min_group=min_group)
        if pending is not None:
            leaks = pending.result()
    ev, grid = _with_leaks(ev, grid, leaks, min_group=min_group)
    return hide_small_groups(_widen(ev, grid, keys), min_group=min_group)


def _rep_frame(summary: pd.DataFrame, r: pd.DataFrame, *, start: pd.Timestamp,
               end: pd.Timestamp) -> tuple[pd.DataFrame, pd.Series]:
    """Each rep's identity, supervisor, employment and year-to-date figures; and who may be a peer."""
    ids = summary["rep_id"].astype("str")
    ev = pd.DataFrame({"rep_id": ids, "name": summary["name"], "team": summary["team"],
                       "role": summary["role"]})
    ev["supervisor_id"] = ids.map(r["manager_id"]).astype("string") if "manager_id" in r else pd.NA
    ev["supervisor_name"] = ev["supervisor_id"].map(r["name"]).astype("string")
    leave = pd.to_datetime(ids.map(r["leave_date"])) if "leave_date" in r else pd.Series(pd.NaT, index=ev.index)
    hire = pd.to_datetime(ids.map(r["hire_date"])) if "hire_date" in r else pd.Series(pd.NaT, index=ev.index)
    ev["active"] = (leave.isna() | (leave >= end)) & (hire.isna() | (hire <= end))
    eligible = ev["active"] & (hire.isna() | (hire <= start))
    ev["as_of"] = end
    ev["quota"] = summary["ytd_quota"]
    ev["actual"] = summary["ytd_sales"]
    ev["attainment"] = summary["attainment"]
    ev["new_customers"] = summary["new_customers"]
    return ev, eligible


def _peer_figures(ev: pd.DataFrame, orders: pd.DataFrame, r: pd.DataFrame, eligible: pd.Series, *, peer_by: str,
                  min_group: int, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Add the peer group, anonymous statistics of sales, attainment, new customers and repurchase."""
    ids = ev["rep_id"]
    group = (ev["team"] if peer_by == "team" else ids.map(r[peer_by])).astype("string")
    ev["peer_group"] = group

    def peers(values: pd.Series) -> pd.DataFrame:
        return leave_one_out_stats(values, group, eligible=eligible, min_group=min_group)

    ev = pd.concat([ev, peers(ev["actual"])], axis=1)
    ev["gap_to_peer_median"] = ev["actual"] - ev["peer_median"]
    ev["ratio_to_peer_median"] = ev["actual"] / ev["peer_median"].where(ev["peer_median"] > 0)
    ev["peer_attainment_median"] = peers(ev["attainment"])["peer_median"]
    ev["peer_new_customers_median"] = peers(ev["new_customers"])["peer_median"]
    ev["repurchase_rate"] = ids.map(_repurchase(orders.assign(rep_id=orders["rep_id"].astype("str")),
                                                start, end)).astype(float)
    ev["peer_repurchase_median"] = peers(ev["repurchase_rate"])["peer_median"]
    team = ev["team"].astype("string")
    active = ev["active"].fillna(False).astype("int64")
    in_team = active.groupby(team.fillna("\x1f")).transform("sum")
    ev["team_peer_count"] = (in_team - active).where(team.notna(), 0).astype("int64")
    return ev


def _level_grid(ev: pd.DataFrame, keys: Sequence[str], assessments: pd.DataFrame | None, *,
                as_of: pd.Timestamp, min_group: int) -> pd.DataFrame:
    """Competency levels, long: one row per (rep, competency), with the team's anonymous median."""
    grid = pd.MultiIndex.from_product([ev["rep_id"], keys], names=["rep_id", "competency"]).to_frame(index=False)
    if assessments is not None:
        lv = latest_levels(assessments, as_of=as_of)
        unknown = sorted(set(lv["competency"]) - set(keys))
        if unknown:
            warnings.warn(PlaybookWarning(t("idp.warn.unknown_competencies", "en", keys=", ".join(unknown)),
                                         code="idp.warn.unknown_competencies", params={"keys": unknown}),
                          stacklevel=3)
        grid = grid.merge(lv.drop(columns="assessed_date"), on=["rep_id", "competency"], how="left")
    else:
        grid = grid.assign(level=pd.NA, manager_level=pd.NA, self_level=pd.NA)
    grid["team"] = grid["rep_id"].map(ev.set_index("rep_id")["team"]).astype("string")
    peer_ok = grid["rep_id"].map(ev.set_index("rep_id")["active"]).fillna(False).astype(bool)
    grid["team_median"] = leave_one_out_stats(
        pd.to_numeric(grid["level"], errors="coerce"), grid["team"] + "\x1f" + grid["competency"],
        eligible=peer_ok, min_group=min_group)["peer_median"]
    return grid


def _with_leaks(ev: pd.DataFrame, grid: pd.DataFrame, leaks: pd.DataFrame | None, *,
                min_group: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add the funnel leaks: all steps per rep in ``ev``, the step of each competency in ``grid``.

    A peer rate pooled over fewer than ``min_group`` other reps is hidden; the counts are
    the leaks' ``peer_count`` (:func:`funnel_leaks`), else the reps of the peer group in ``ev``.
    """
    ev = ev.assign(funnel_checked=leaks is not None, leak_peer_count=pd.array([pd.NA] * len(ev), dtype="Int64"))
    if leaks is None or not len(leaks):
        ev["leak_steps"] = ""
        return ev, grid.assign(leak_step=pd.NA, leak_rate=np.nan, leak_peer_rate=np.nan)
    require_columns(leaks, ["rep_id", "step", "competency", "rep_rate", "peer_rate"], "leaks")
    lk = leaks.assign(rep_id=leaks["rep_id"].astype("str"), competency=leaks["competency"].astype("string"))
    lk["leak_peer_count"] = _leak_peer_counts(ev, lk)
    steps = lk.groupby("rep_id")["step"].agg(lambda s: ";".join(map(str, s)))
    ev["leak_steps"] = ev["rep_id"].map(steps).fillna("").astype("str")
    first = lk.dropna(subset=["competency"]).drop_duplicates(["rep_id", "competency"])
    first = first.rename(columns={"step": "leak_step", "rep_rate": "leak_rate", "peer_rate": "leak_peer_rate"})
    first = hide_small_groups(first[["rep_id", "competency", "leak_step", "leak_rate", "leak_peer_rate",
                                     "leak_peer_count"]], min_group=min_group)
    count = first["leak_peer_count"]
    fewest = count.where(count >= min_group).groupby(first["rep_id"]).min().combine_first(
        count.groupby(first["rep_id"]).min())  # fewest behind a shown rate, else behind any
    ev["leak_peer_count"] = pd.array(ev["rep_id"].map(fewest), dtype="Int64")
    grid = grid.merge(first.drop(columns="leak_peer_count"), on=["rep_id", "competency"], how="left")
    return ev, grid


def _leak_peer_counts(ev: pd.DataFrame, lk: pd.DataFrame) -> pd.Series:
    """Other reps behind each leak's peer rate: its ``peer_count``, else the reps of its peer group in ``ev``.

    The peer group is the rep's team, or every rep when the leak's ``peers`` is ``company``.
    """
    if "peer_count" in lk.columns:
        return pd.to_numeric(lk["peer_count"], errors="coerce").astype(float)
    team = ev.set_index("rep_id")["team"].astype("string")
    sizes = team.value_counts()
    of_team = lk["rep_id"].map(team).map(sizes).fillna(1).astype(float) - 1
    company = (lk["peers"] == "company").fillna(False) if "peers" in lk.columns else False
    return of_team.where(~pd.Series(company, index=lk.index), float(len(ev) - 1))


def _widen(ev: pd.DataFrame, grid: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """One column per (field, competency), typed; the columns of :func:`evidence_columns`."""
    wide = grid.set_index(["rep_id", "competency"])[list(COMPETENCY_FIELDS)].unstack("competency")
    wide.columns = [f"{f}__{c}" for f, c in wide.columns]
    ev = ev.merge(wide, left_on="rep_id", right_index=True, how="left")
    typed: dict[str, pd.Series] = {}
    for c in keys:
        for f in ("level", "manager_level", "self_level"):
            typed[f"{f}__{c}"] = pd.to_numeric(ev[f"{f}__{c}"], errors="coerce").astype("Int64")
        for f in ("team_median", "leak_rate", "leak_peer_rate"):
            typed[f"{f}__{c}"] = pd.to_numeric(ev[f"{f}__{c}"], errors="coerce").astype(float)
        typed[f"leak_step__{c}"] = ev[f"leak_step__{c}"].astype("string")
    typed["rep_id"] = ev["rep_id"].astype("str")
    # the typed columns in one go (set one at a time, each would split the wide block: ~100 copies)
    ev = pd.concat([ev.drop(columns=list(typed)), pd.DataFrame(typed, index=ev.index)], axis=1)
    return ev.reset_index(drop=True)[evidence_columns(keys)]


def dataset_evidence(dataset: Any, *, as_of: object = None, **options: Any) -> pd.DataFrame:
    """:func:`team_evidence` from a loaded dataset (:func:`playbook.data.loading.load_dataset`).

    Uses its ``orders, reps, quotas, assessments, opportunities``; ``as_of`` defaults
    to the dataset's, else the latest order date. ``options`` go to :func:`team_evidence`.
    """
    when = as_of if not is_blank(as_of) else getattr(dataset, "as_of", None)
    return team_evidence(
        dataset.orders, dataset.reps, getattr(dataset, "quotas", None), as_of="" if when is None else when,
        assessments=getattr(dataset, "assessments", None),
        opportunities=getattr(dataset, "opportunities", None), **options,
    )


def rep_evidence(evidence: pd.DataFrame, rep_id: str) -> pd.DataFrame:
    """Return the one-row slice of ``evidence`` for ``rep_id`` (all a per-rep report may read).

    Peer statistics of groups below :data:`MIN_GROUP` are hidden (:func:`hide_small_groups`).

    Examples
    --------
    >>> ev = pd.DataFrame({"rep_id": ["R1", "R2"], "actual": [1.0, 2.0]})
    >>> rep_evidence(ev, "R2")
      rep_id  actual
    0     R2     2.0
    >>> rep_evidence(ev, "R9")
    Traceback (most recent call last):
    ...
    playbook.core.errors.ParameterError: parameter rep_id='R9' is not valid: expected a rep_id of the data (e.g. R...
    """
    require_columns(evidence, ["rep_id"], "evidence")
    hit = evidence.loc[evidence["rep_id"].astype("str") == str(rep_id)]
    if hit.empty:
        shown = ", ".join(map(str, evidence["rep_id"].head(3)))
        raise ParameterError("rep_id", rep_id, f"a rep_id of the data (e.g. {shown})" if shown
                             else "a rep_id of the data")
    return hide_small_groups(hit.head(1).reset_index(drop=True))


def _one_rep(evidence: pd.DataFrame, rep_id: str | None) -> pd.DataFrame:
    """Return the rep's slice (:func:`rep_evidence`), or the first row when ``rep_id`` is None; small groups hidden."""
    return hide_small_groups(evidence.head(1)) if rep_id is None else rep_evidence(evidence, rep_id)


def _competencies_in(columns: Sequence[str]) -> list[str]:
    return [c.split("__", 1)[1] for c in columns if str(c).startswith("level__")]


def rep_levels(evidence: pd.DataFrame, rep_id: str | None = None) -> pd.DataFrame:
    """One rep's competency evidence, long: one row per competency of ``evidence``.

    Parameters
    ----------
    evidence : DataFrame
        :func:`team_evidence` output (or its one-row slice, then ``rep_id`` may be None).

    Returns
    -------
    DataFrame
        :data:`REP_LEVEL_COLUMNS`, in the evidence's competency order; ``team_peer_count``
        and ``leak_peer_count`` repeat the rep's counts on every row. Team medians and
        peers' rates of groups below :data:`MIN_GROUP` are missing.

    Examples
    --------
    >>> ev = pd.DataFrame({"rep_id": ["R1"], "level__negotiation": pd.array([2], dtype="Int64"),
    ...                    "team_median__negotiation": [3.5], "team_peer_count": [6]})
    >>> rep_levels(ev)[["competency", "level", "team_median", "leak_step"]]
        competency  level  team_median leak_step
    0  negotiation      2          3.5      <NA>
    >>> rep_levels(ev.assign(team_peer_count=3))["team_median"].tolist()  # 3 others: hidden
    [nan]
    """
    row = _one_rep(evidence, rep_id)
    keys = _competencies_in(row.columns)
    rec = row.iloc[0].to_dict()
    out = pd.DataFrame({"competency": pd.Series(keys, dtype="str")})
    for f in COMPETENCY_FIELDS:
        vals = [rec.get(f"{f}__{k}", pd.NA) for k in keys]
        if f in ("level", "manager_level", "self_level"):
            out[f] = pd.array(pd.to_numeric(pd.Series(vals, dtype="object"), errors="coerce"), dtype="Int64")
        elif f == "leak_step":
            out[f] = pd.Series(vals, dtype="object").astype("string")
        else:
            out[f] = pd.to_numeric(pd.Series(vals, dtype="object"), errors="coerce").astype(float)
    for c in ("team_peer_count", "leak_peer_count"):
        v = rec.get(c, pd.NA)
        out[c] = pd.array([pd.NA if is_blank(v) else int(v)] * len(out), dtype="Int64")
    return hide_small_groups(out)[REP_LEVEL_COLUMNS]


def peer_comparison(evidence: pd.DataFrame, rep_id: str | None = None) -> pd.DataFrame:
    """Return the rep's own figures next to anonymous peer statistics (for the report).

    Returns
    -------
    DataFrame
        :data:`PEER_COLUMNS`, rows ``actual``, ``attainment``, ``new_customers``,
        ``repurchase_rate``; quartiles and mean only for ``actual``. Missing where hidden.

    Examples
    --------
    >>> ev = pd.DataFrame({"rep_id": ["R1"], "actual": [219.0], "attainment": [1.095], "peer_count": [10],
    ...                    "peer_mean": [320.0], "peer_q1": [280.0], "peer_median": [320.0],
    ...                    "peer_q3": [350.0], "peer_attainment_median": [1.0]})
    >>> peer_comparison(ev)[["metric", "value", "peer_median"]]
                metric    value  peer_median
    0           actual  219.000        320.0
    1       attainment    1.095          1.0
    2    new_customers      NaN          NaN
    3  repurchase_rate      NaN          NaN
    """
    row = _one_rep(evidence, rep_id).iloc[0]

    def get(col: str) -> float:
        v = row.get(col, np.nan)
        return float(v) if not is_blank(v) else np.nan

    n = row.get("peer_count", 0)
    metrics = [
        ("actual", "actual", {"peer_q1": get("peer_q1"), "peer_median": get("peer_median"),
                              "peer_q3": get("peer_q3"), "peer_mean": get("peer_mean")}),
        ("attainment", "attainment", {"peer_median": get("peer_attainment_median")}),
        ("new_customers", "new_customers", {"peer_median": get("peer_new_customers_median")}),
        ("repurchase_rate", "repurchase_rate", {"peer_median": get("peer_repurchase_median")}),
    ]
    rows = [{"metric": m, "value": get(col), "peer_q1": np.nan, "peer_median": np.nan, "peer_q3": np.nan,
             "peer_mean": np.nan, "peer_count": int(n) if not is_blank(n) else 0, **stats}
            for m, col, stats in metrics]
    return hide_small_groups(pd.DataFrame(rows, columns=PEER_COLUMNS))
