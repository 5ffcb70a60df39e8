"""Repurchase, and per-rep and per-team comparisons: who leaks at which step, with the revenue at stake."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from playbook.core import paths
from playbook.core.dates import optional_date
from playbook.core.errors import InputError, ParameterError, require_columns, yaml_error
from playbook.core.money import round_money
from playbook.funnel.codes import remember
from playbook.funnel.counts import _long, _sums, _wide
from playbook.funnel.rules import (
    COMPARISON_COLUMNS,
    LEAK_COLUMNS,
    LEAK_MAP_PATH,
    METRICS,
    PER_MONTH,
    TEAM_COMPARISON_COLUMNS,
)
from playbook.funnel.stages import (  # noqa: F401  (repurchase_table: also importable from here)
    _NAT,
    _as_dates,
    _by,
    _check_stages,
    _id_positions,
    _kit,
    _latest_date,
    _ratio,
    _won_customers,
    _won_rows,
    repurchase_table,
)
from playbook.funnel.stats import _z, wilson_interval

__all__ = ["poisson_interval", "repurchase_table", "rep_comparison", "team_comparison", "load_leak_map", "rep_leaks"]

# --------------------------------------------------------------------------- comparisons
def _new_deals(stages: pd.DataFrame, orders: pd.DataFrame) -> pd.Series:
    """Boolean per won row of ``stages``: the deal brought a new customer.

    New = no ``customer_id`` on the opportunity, or the customer had no positive order
    before the opportunity was created. The customers' first order dates come from one
    pass over the orders (the won customers as integer positions, a minimum per position).

    Examples
    --------
    >>> s = pd.DataFrame({"outcome": ["won", "lost", "won", "won"], "customer_id": ["C1", "C2", None, "C3"],
    ...                   "created_date": pd.to_datetime(["2025-03-01", "2025-03-01", "2025-03-01",
    ...                                                   "2025-03-01"])})
    >>> orders = pd.DataFrame({"customer_id": ["C1", "C3", "C3"], "amount": [5.0, -1.0, 2.0],
    ...                        "order_date": pd.to_datetime(["2025-02-01", "2025-01-01", "2025-03-01"])})
    >>> _new_deals(s, orders).to_dict()  # C1 ordered before; C3 only a refund before (its order that day counts)
    {0: False, 2: True, 3: True}
    """
    require_columns(orders, ["customer_id", "order_date", "amount"], "orders")
    rows = _won_rows(stages)
    customer, among = pd.factorize(stages["customer_id"].iloc[rows].astype("string"))  # missing: -1
    at = _id_positions(orders["customer_id"], pd.Series(among))
    when = _as_dates(orders["order_date"]).to_numpy().view("int64")
    keep = (pd.to_numeric(orders["amount"], errors="coerce").to_numpy() > 0) & (at >= 0) & (when != _NAT)
    first = np.full(len(among) + 1, np.iinfo("int64").max)  # the last one: missing customer ids
    np.minimum.at(first, at[keep], when[keep])
    first = first[customer]
    none = first == np.iinfo("int64").max
    created = stages["created_date"].to_numpy(dtype="datetime64[ns]")[rows]
    new = none | (np.where(none, _NAT, first).view("datetime64[ns]") >= created)  # NaT compares False
    return pd.Series(new, index=stages.index[rows])


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


def _orders_metrics(stages: pd.DataFrame, orders: pd.DataFrame | None, *, as_of: pd.Timestamp | None,
                    window_days: int, keep: list[str] | None = None) -> tuple[pd.Series, pd.DataFrame] | None:
    """New-deal flags and won customers: computed once for the counts and the values (the costly part).

    ``keep``: the columns of ``stages`` the won customers need (the unit and peer columns; default all).
    """
    if orders is None:
        return None
    return _new_deals(stages, orders), _won_customers(stages, orders, as_of=as_of, window_days=window_days,
                                                      keep=keep)


def _new_rows(stages: pd.DataFrame, is_new: pd.Series, columns: list[str]) -> pd.DataFrame:
    """Return ``columns`` of the won rows of ``stages`` that brought a new customer (``is_new``: :func:`_new_deals`)."""
    return stages[columns].iloc[_won_rows(stages)[is_new.to_numpy(dtype=bool)]]


def _metric_counts(stages: pd.DataFrame, unit: list[str], *, orders: pd.DataFrame | None,
                   reps: pd.DataFrame | None, as_of: pd.Timestamp | None, window_days: int,
                   known: tuple[pd.Series, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Long counts: unit columns, step, passed, decided (funnel steps, + the orders metrics).

    ``known``: :func:`_orders_metrics` of the same rows of ``stages`` (extra columns do not matter) and
    ``orders``, when computed already.
    """
    counts = _long(_sums(stages, unit), unit)[[*unit, "step", "passed", "decided"]]
    counts["decided"] = counts["decided"].astype("float64")
    if orders is None:
        return counts
    is_new, rp = known or _orders_metrics(stages, orders, as_of=as_of, window_days=window_days)
    new = _new_rows(stages, is_new, unit)
    nc = new.groupby(unit, dropna=False, observed=True).size().rename("passed").reset_index()
    months = _exposure(stages, reps, as_of).groupby(unit, dropna=False)["months"].sum().rename("decided")
    nc = months.reset_index().merge(nc, on=unit, how="outer")
    nc = nc.assign(step="new_customers", passed=nc["passed"].fillna(0).astype("int64"),
                   decided=nc["decided"].fillna(0.0).round(1))
    rp = (rp[unit].assign(passed=(rp["repurchased"] & rp["eligible"]).astype("int64"),
                          decided=rp["eligible"].astype("float64"))
          .groupby(unit, dropna=False, observed=True)[["passed", "decided"]].sum().reset_index()
          .assign(step="repurchase"))
    return pd.concat([counts, nc[counts.columns], rp[counts.columns]], ignore_index=True)


def _value_per_pass(stages: pd.DataFrame, peers: list[str], *, orders: pd.DataFrame | None,
                    as_of: pd.Timestamp | None, window_days: int,
                    known: tuple[pd.Series, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Per peer group and step: the revenue one more pass (or new customer) is worth on average.

    ``known``: :func:`_orders_metrics` of the same ``stages`` and ``orders``, when computed already.
    """
    wide = _wide(_sums(stages, peers), peers)
    parts = []
    r2, r3 = wide["rate_intent_to_negotiation"].fillna(0), wide["rate_negotiation_to_deal"].fillna(0)
    avg = wide["avg_deal"].fillna(0.0)
    for step, downstream in (("lead_to_intent", r2 * r3), ("intent_to_negotiation", r3),
                             ("negotiation_to_deal", 1.0)):
        parts.append(wide[peers].assign(step=step, value=(avg * downstream).to_numpy()))
    if orders is not None:
        is_new, rp = known or _orders_metrics(stages, orders, as_of=as_of, window_days=window_days)
        new = _new_rows(stages, is_new, [*peers, "amount"])
        first_deal = new.groupby(peers, dropna=False, observed=True)["amount"].mean().rename("value")
        parts.append(wide[peers].merge(first_deal.reset_index(), on=peers, how="left").assign(step="new_customers"))
        rp = rp[[*peers, "revenue"]].loc[rp["eligible"] & rp["repurchased"]]
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
    stake = round_money(gap * c["decided"] * c["value"])
    c["revenue_at_stake"] = stake.where(c["status"] == "leak")
    order = {s: i for i, s in enumerate(METRICS)}
    c["_o"] = c["step"].map(order)
    c = c.sort_values([*unit, "_o"], kind="stable")
    return c.drop(columns=["_o", "_enough", "value"]).reset_index(drop=True)


def _company(stages: pd.DataFrame) -> pd.DataFrame:
    """Return ``stages`` with ``peers`` = ``"company"``: one peer group, its codes remembered (counted, not hashed)."""
    out = stages.assign(peers="company")
    remember(out["peers"], np.zeros(len(out), dtype=np.int64), ["company"])
    return out


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
    require_columns(stages, ["rep_id", "team"], "stages")
    if reps is not None:
        require_columns(reps, ["rep_id", "team"], "reps")
    end = optional_date(as_of, "as_of")
    if end is None and orders is not None:
        end = _latest_date(stages)
    unit = ["team", "rep_id"]
    stages = stages.astype({"team": "string", "rep_id": "string"})
    roster = None
    if reps is not None:
        roster = reps.assign(team=reps["team"].astype("string"), rep_id=reps["rep_id"].astype("string"))
        roster = roster.loc[roster["team"].isin(stages["team"].dropna().unique())].drop_duplicates("rep_id")
    vstages = stages if reference == "team" else _company(stages)
    peers = ["team"] if reference == "team" else ["peers"]
    known = _orders_metrics(vstages, orders, as_of=end, window_days=window_days, keep=[*unit, *peers])
    counts = _metric_counts(stages, unit, orders=orders, reps=roster, as_of=end, window_days=window_days,
                            known=known)
    if roster is not None:
        grid = roster[unit].merge(pd.DataFrame({"step": counts["step"].drop_duplicates()}), how="cross")
        counts = grid.merge(counts, on=[*unit, "step"], how="outer")
        counts["passed"] = counts["passed"].fillna(0).astype("int64")
        counts["decided"] = counts["decided"].fillna(0.0)
    counts["peers"] = "team" if reference == "team" else "company"
    values = _value_per_pass(vstages, peers, orders=orders, as_of=end, window_days=window_days, known=known)
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
    require_columns(stages, ["team"], "stages")
    end = optional_date(as_of, "as_of")
    if end is None and orders is not None:
        end = _latest_date(stages)
    stages = stages.astype({"team": "string"})
    roster = None
    if reps is not None:
        require_columns(reps, ["rep_id", "team"], "reps")
        roster = reps.loc[reps["team"].astype("string").isin(stages["team"].dropna().unique())]
    vstages = _company(stages)
    known = _orders_metrics(vstages, orders, as_of=end, window_days=window_days, keep=["team", "peers"])
    counts = _metric_counts(stages, ["team"], orders=orders, reps=roster, as_of=end, window_days=window_days,
                            known=known)
    counts["peers"] = "company"
    values = _value_per_pass(vstages, ["peers"], orders=orders, as_of=end, window_days=window_days, known=known)
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
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise yaml_error(Path(path).name, exc) from None
    leaks = data.get("leaks", data) if isinstance(data, dict) else None
    if not isinstance(leaks, dict):
        raise InputError(f"{path}: expected a mapping 'leaks: {{step: competency}}'.", code="funnel.leak_map.mapping",
                         params={"file": str(path)})
    unknown = sorted(set(leaks) - set(METRICS))
    if unknown:
        raise InputError(f"{path}: unknown step(s) {', '.join(unknown)}; steps are {', '.join(METRICS)}.",
                         code="funnel.leak_map.steps", params={"file": str(path), "unknown": unknown, "steps": METRICS})
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
    require_columns(comparison, ["rep_id", "step", "status", "rate", "revenue_at_stake"], "comparison")
    if competency_map is None or isinstance(competency_map, (str, Path)):
        mapping = load_leak_map(competency_map)
    else:
        mapping = dict(competency_map)
    out = comparison.loc[comparison["status"] == "leak"].copy()
    out["competency"] = out["step"].map(mapping).astype("string")
    out = out.rename(columns={"rate": "rep_rate"})
    out = out.sort_values(["revenue_at_stake", "rep_id"], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)[LEAK_COLUMNS]
