"""Per-rep quotas: capacity, ramp for new hires, annual quotas and the rep x month matrix."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from playbook.core.errors import InputError, ParameterError, PlaybookWarning, require_columns
from playbook.core.money import allocate_cents, allocate_matrix, cents, shorten, to_cents, weights_array
from playbook.targets.company import CompanyTarget, _months, _year, company_target, quarterly, split_year
from playbook.targets.rules import DEFAULT_RAMP, REP_METHODS

__all__ = ["QuotaPlan", "rep_capacity", "rep_quotas", "rep_month_matrix", "decompose"]

# ---------------------------------------------------------------------------------------
# Reps: capacity, annual quotas, rep x month matrix
# ---------------------------------------------------------------------------------------
def _ramp(ramp: Sequence[float] | None) -> np.ndarray:
    if ramp is None or len(ramp) == 0:
        return np.ones(1)
    try:
        r = np.asarray(ramp, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError("ramp", ramp, "a list of capacity shares such as [0.25, 0.5, 0.75, 1.0]") from None
    if r.ndim != 1 or not np.isfinite(r).all() or (r < 0).any() or (r > 1).any() or r[-1] <= 0:
        raise ParameterError("ramp", shorten(ramp), "shares between 0 and 1, the last one above 0, "
                             "such as [0.25, 0.5, 0.75, 1.0]")
    return r


def _active_reps(reps: pd.DataFrame, plan_year: int, id_col: str, hire_col: str, leave_col: str,
                 ramp: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Reps on the team in ``plan_year``; their (available, ramp) matrices, reps x 12."""
    require_columns(reps, [id_col], "reps")
    if reps[id_col].isna().any() or reps[id_col].duplicated().any():
        dup = reps.loc[reps[id_col].duplicated(), id_col].tolist()
        raise InputError(f"reps.{id_col}: every rep needs one unique id (duplicated: {dup})",
                         code="targets.duplicate_reps", params={"column": id_col, "dup_repr": repr(dup)})
    months = _months(plan_year)
    start = months.to_numpy()
    end = (months + pd.offsets.MonthEnd(0)).to_numpy()
    n = len(reps)
    far_past, far_future = np.datetime64("1900-01-01"), np.datetime64("2262-01-01")
    hire = (pd.to_datetime(reps[hire_col]).to_numpy(dtype="datetime64[D]") if hire_col in reps
            else np.full(n, np.datetime64("NaT"), dtype="datetime64[D]"))
    leave = (pd.to_datetime(reps[leave_col]).to_numpy(dtype="datetime64[D]") if leave_col in reps
             else np.full(n, np.datetime64("NaT"), dtype="datetime64[D]"))
    late = ~np.isnat(hire) & (hire > np.datetime64(f"{plan_year}-12-31"))
    if late.any():
        who = ", ".join(f"{r} ({h})" for r, h in zip(reps.loc[late, id_col], hire[late], strict=True))
        raise InputError(
            f"reps.{hire_col}: hire date after the plan period {plan_year} for {who}; remove them from "
            f"reps or plan the year they join",
            code="targets.hired_later", params={"column": hire_col, "plan_year": plan_year, "who": who},
        )
    h = np.where(np.isnat(hire), far_past, hire).astype("datetime64[D]")
    lv = np.where(np.isnat(leave), far_future, leave).astype("datetime64[D]")
    s = start.astype("datetime64[D]")[None, :]
    e = end.astype("datetime64[D]")[None, :]
    lo = np.maximum(s, h[:, None])
    hi = np.minimum(e, lv[:, None])
    days = np.clip((hi - lo).astype(np.int64) + 1, 0, None)
    available = days / ((e - s).astype(np.int64) + 1)
    hire_month = np.where(np.isnat(hire), -10**6,
                          hire.astype("datetime64[M]").astype(np.int64))
    k = (start.astype("datetime64[M]").astype(np.int64)[None, :] - hire_month[:, None])
    factor = np.where(k < 0, 0.0, ramp[np.clip(k, 0, len(ramp) - 1)])
    on_team = available.sum(axis=1) > 0
    return reps.loc[on_team].reset_index(drop=True), available[on_team], factor[on_team]


def rep_capacity(
    reps: pd.DataFrame,
    *,
    plan_year: int,
    ramp: Sequence[float] | None = DEFAULT_RAMP,
    id_col: str = "rep_id",
    hire_col: str = "hire_date",
    leave_col: str = "leave_date",
) -> pd.DataFrame:
    """Each rep's capacity per month of ``plan_year``: days on the team x ramp-up.

    ``available`` is the share of the month's days from ``hire_date`` to ``leave_date``
    (both inclusive). ``ramp`` is the share of a full rep's capacity in the month of
    hire (1st value), the next month (2nd) and so on; the last value holds after that.
    So a rep hired on 16 March (16 of 31 days) with the default ramp has
    ``16/31 x 25%`` in March, 50% in April, 75% in May and 100% from June. Reps who
    left before the year are dropped; reps without ``hire_date`` count as established.

    Returns
    -------
    DataFrame
        ``rep_id, month, available, ramp, capacity`` (``capacity = available x ramp``).

    Raises
    ------
    InputError
        When a rep's hire date is after the plan year.

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": ["N"], "hire_date": pd.to_datetime(["2025-03-16"])})
    >>> c = rep_capacity(reps, plan_year=2025)
    >>> [round(x, 4) for x in c["capacity"].iloc[2:6]]
    [0.129, 0.5, 0.75, 1.0]
    """
    plan_year = _year(plan_year, "plan_year")
    team, available, factor = _active_reps(reps, plan_year, id_col, hire_col, leave_col, _ramp(ramp))
    months = _months(plan_year)
    n = len(team)
    return pd.DataFrame({
        "rep_id": np.repeat(team[id_col].to_numpy(), 12),
        "month": np.tile(months, n) if n else months[:0],
        "available": available.ravel(),
        "ramp": factor.ravel(),
        "capacity": (available * factor).ravel(),
    })


def _rep_weights(team: pd.DataFrame, method: str, *, cap: np.ndarray, month_share: np.ndarray,
                 orders: pd.DataFrame | None, base_year: int, weights: object, id_col: str,
                 date_col: str, amount_col: str) -> np.ndarray:
    ids = team[id_col].astype(str).to_numpy()
    if method == "equal":
        return np.ones(len(team))
    if method == "capacity":
        return cap @ month_share
    if method == "history":
        if orders is None:
            raise ParameterError("orders", None, "the orders table when method='history'")
        require_columns(orders, ["rep_id", date_col, amount_col], "orders")
        dates = pd.to_datetime(orders[date_col])
        sales = orders.loc[dates.dt.year == base_year].groupby("rep_id")[amount_col].sum()
        w = pd.Series(ids).map(sales.rename(index=str)).fillna(0.0).clip(lower=0).to_numpy(dtype=float)
        if not (w > 0).any():
            raise InputError(f"orders: no rep has net sales in base_year={base_year}; use method='equal' "
                             "or 'capacity'", code="targets.no_rep_sales", params={"base_year": base_year})
        zero = ids[w == 0].tolist()
        if zero:
            warnings.warn(f"no sales in {base_year} for {', '.join(zero)}: method='history' gives them no "
                          "quota (set overrides= or use method='capacity')", PlaybookWarning, stacklevel=3)
        return w
    if method == "weights":
        if isinstance(weights, str):
            if weights not in team.columns:
                raise ParameterError("weights", weights, f"a column of reps (columns: {', '.join(team.columns)}) "
                                     "or a mapping rep_id -> weight")
            series = pd.Series(pd.to_numeric(team[weights], errors="coerce").to_numpy(), index=ids)
        elif isinstance(weights, Mapping):
            series = pd.Series({str(k): v for k, v in weights.items()}, dtype=float)
            unknown = sorted(set(series.index) - set(ids))
            if unknown:
                raise ParameterError("weights", shorten(unknown), "weights only for reps on the team in the plan "
                                     f"year (unknown: {', '.join(unknown)})")
        else:
            raise ParameterError("weights", type(weights).__name__, "a mapping rep_id -> weight (e.g. territory "
                                 "potential) or a column name of reps")
        missing = [r for r in ids if r not in series.index or pd.isna(series.get(r))]
        if missing:
            raise ParameterError("weights", shorten(missing), f"a weight for every rep (missing: {', '.join(missing)})")
        return weights_array(series.reindex(ids).to_numpy(dtype=float), "weights")
    raise ParameterError("method", method, "one of " + ", ".join(repr(m) for m in REP_METHODS))


def rep_quotas(
    reps: pd.DataFrame,
    orders: pd.DataFrame | None = None,
    *,
    total: float,
    plan_year: int,
    method: str = "capacity",
    base_year: int | None = None,
    weights: Mapping[str, float] | str | None = None,
    ramp: Sequence[float] | None = DEFAULT_RAMP,
    overrides: Mapping[str, float] | None = None,
    month_shares: Sequence[float] | None = None,
    id_col: str = "rep_id",
    hire_col: str = "hire_date",
    leave_col: str = "leave_date",
    date_col: str = "order_date",
    amount_col: str = "amount",
) -> pd.DataFrame:
    """Annual quota per rep: the company ``total`` split by ``method``, with manager overrides.

    Parameters
    ----------
    reps : DataFrame
        ``rep_id`` (``name``, ``team``, ``hire_date``, ``leave_date`` optional). Reps who
        left before the plan year are dropped.
    orders : DataFrame, optional
        Needed for ``history``: ``rep_id, order_date, amount``.
    total : float
        Company target, CNY.
    method : {"equal", "history", "capacity", "weights"}
        ``equal``: same quota each; ``history``: share of ``base_year`` net sales;
        ``capacity``: share of capacity (months on the team x ramp, weighted by
        ``month_shares``); ``weights``: ``weights`` (mapping rep_id -> weight, or a
        column of ``reps`` such as territory potential).
    base_year : int, optional
        For ``history``; default ``plan_year - 1``.
    ramp : sequence of float
        Ramp-up curve for new hires (see :func:`rep_capacity`); ``()`` for none.
    overrides : mapping rep_id -> CNY, optional
        Quotas fixed by a manager. They are kept exactly; the rest of the total is
        split between the other reps in proportion to their ``method`` weights.
    month_shares : sequence of 12 floats, optional
        Weight of each month for ``capacity`` (default equal).

    Returns
    -------
    DataFrame
        ``rep_id, name, team, weight, is_override, share, quota``; quotas sum exactly to ``total``.

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "team": ["A", "A", "B"]})
    >>> q = rep_quotas(reps, total=1000.0, plan_year=2025, method="equal", overrides={"R1": 500.0})
    >>> q["quota"].tolist()
    [500.0, 250.0, 250.0]
    """
    plan_year = _year(plan_year, "plan_year")
    cents = to_cents(total, name="total")
    if cents <= 0:
        raise ParameterError("total", total, "a company target above 0 CNY")
    team, available, factor = _active_reps(reps, plan_year, id_col, hire_col, leave_col, _ramp(ramp))
    if team.empty:
        raise InputError(f"reps: nobody is on the team in {plan_year} (check hire_date and leave_date)",
                         code="targets.nobody", params={"plan_year": plan_year})
    shares = np.ones(12) if month_shares is None else np.asarray(month_shares, dtype=float)
    if shares.shape != (12,):
        raise ParameterError("month_shares", shorten(month_shares), "12 month weights")
    shares = weights_array(shares, "month_shares") / shares.sum()
    base_year = plan_year - 1 if base_year is None else _year(base_year, "base_year")
    w = _rep_weights(team, method, cap=available * factor, month_share=shares, orders=orders, base_year=base_year,
                     weights=weights, id_col=id_col, date_col=date_col, amount_col=amount_col)
    ids = team[id_col].astype(str).to_numpy()
    quota = np.zeros(len(team), dtype=np.int64)
    fixed = np.zeros(len(team), dtype=bool)
    if overrides:
        ov = {str(k): v for k, v in overrides.items()}
        unknown = sorted(set(ov) - set(ids))
        if unknown:
            raise ParameterError("overrides", shorten(unknown), "rep ids of reps on the team in "
                                 f"{plan_year} (unknown: {', '.join(unknown)})",
                                 code="targets.override_unknown", params={"reps": unknown, "year": plan_year})
        ov_cents = {}
        for rep, value in ov.items():
            c = to_cents(value, name=f"overrides[{rep!r}]")
            if c < 0:
                raise ParameterError(f"overrides[{rep!r}]", value, "a quota >= 0 CNY",
                                     code="targets.override_negative", params={"rep": rep, "value": value})
            ov_cents[rep] = c
        fixed = np.isin(ids, list(ov_cents))
        quota[fixed] = [ov_cents[r] for r in ids[fixed]]
        if quota.sum() > cents:
            raise ParameterError(
                "overrides", {k: float(v) for k, v in ov.items()} if len(ov) <= 6 else f"{len(ov)} reps",
                f"overrides summing to at most the company target {cents / 100:,.2f} CNY "
                f"(they sum to {quota.sum() / 100:,.2f})",
                code="targets.override_too_much", params={"target": cents / 100, "total": quota.sum() / 100},
            )
    rest = cents - int(quota.sum())
    free = ~fixed
    if rest > 0:
        if not (w[free] > 0).any():
            raise ParameterError("overrides", sorted(ids[fixed].tolist()),
                                 f"at least one rep without an override and with a positive weight to take the "
                                 f"remaining {rest / 100:,.2f} CNY",
                                 code="targets.override_no_rest", params={"rest": rest / 100})
        quota[free] = allocate_cents(rest, w[free])
    out = pd.DataFrame({
        "rep_id": ids,
        "name": team["name"].to_numpy() if "name" in team else pd.NA,
        "team": team["team"].to_numpy() if "team" in team else pd.NA,
        "weight": w.astype(float),
        "is_override": fixed,
        "share": quota / cents,
        "quota": quota / 100,
    })
    return out


def rep_month_matrix(
    quotas: pd.DataFrame,
    monthly: pd.DataFrame,
    reps: pd.DataFrame | None = None,
    *,
    plan_year: int,
    ramp: Sequence[float] | None = DEFAULT_RAMP,
    id_col: str = "rep_id",
    hire_col: str = "hire_date",
    leave_col: str = "leave_date",
) -> pd.DataFrame:
    """Rep x month quotas matching rep annual quotas and monthly company targets exactly.

    The shape of each rep's year is his capacity (days on the team x ramp, from
    ``reps``; everyone full-time without ``reps``) times the month's share of the
    company target; it is then fitted to both totals and rounded to whole cents by
    :func:`allocate_matrix`.

    Parameters
    ----------
    quotas : DataFrame
        ``rep_id, quota`` as returned by :func:`rep_quotas`.
    monthly : DataFrame
        ``month, target`` as returned by :func:`split_year`; sums to the same total.
    reps : DataFrame, optional
        ``rep_id, hire_date, leave_date`` for capacity.

    Returns
    -------
    DataFrame
        ``rep_id, month, quota``: the kit's ``quotas`` table, one row per rep and month.

    Examples
    --------
    >>> q = pd.DataFrame({"rep_id": ["R1", "R2"], "quota": [100.0, 200.0]})
    >>> m = split_year(300.0, plan_year=2025)
    >>> mat = rep_month_matrix(q, m, plan_year=2025)
    >>> mat.groupby("rep_id")["quota"].sum().round(2).tolist(), mat.groupby("month")["quota"].sum().round(2).unique()
    ([100.0, 200.0], array([25.]))
    """
    require_columns(quotas, [id_col, "quota"], "quotas")
    require_columns(monthly, ["month", "target"], "monthly")
    plan_year = _year(plan_year, "plan_year")
    rows = cents(quotas["quota"])
    cols = cents(monthly["target"])
    if len(cols) != 12:
        raise ParameterError("monthly", len(cols), "12 months")
    if rows.sum() != cols.sum():
        raise ParameterError("monthly", f"{cols.sum() / 100:,.2f}",
                             f"monthly targets summing to the rep quotas' total {rows.sum() / 100:,.2f}")
    ids = quotas[id_col].astype(str).to_numpy()
    shares = cols / cols.sum()
    if reps is not None:
        team, available, factor = _active_reps(reps, plan_year, id_col, hire_col, leave_col, _ramp(ramp))
        pos = pd.Index(team[id_col].astype(str)).get_indexer(ids)
        if (pos < 0).any():
            raise ParameterError("quotas", shorten(ids[pos < 0].tolist()), f"reps on the team in {plan_year}")
        cap = (available * factor)[pos]
    else:
        cap = np.ones((len(ids), 12))
    months = pd.DatetimeIndex(pd.to_datetime(monthly["month"]))
    empty = (cols > 0) & ~(cap > 0).any(axis=0)
    if empty.any():
        raise InputError(
            f"reps: nobody is on the team in {', '.join(months[empty].strftime('%Y-%m'))}, yet the company "
            "targets of those months are above 0; give those months zero weight (method='custom') or check "
            "hire_date and leave_date", code="targets.no_capacity_months",
            params={"months": list(months[empty].strftime("%Y-%m"))},
        )
    idle = (rows > 0) & ~(cap > 0).any(axis=1)
    if idle.any():
        raise InputError(f"reps: {', '.join(ids[idle])} have a quota but no capacity in {plan_year} (ramp share 0); "
                         "lower their overrides or change ramp", code="targets.idle_reps",
                         params={"reps": list(ids[idle]), "plan_year": plan_year})
    cells = allocate_matrix(rows, cols, base=cap * shares[None, :])
    return pd.DataFrame({
        "rep_id": np.repeat(ids, 12),
        "month": np.tile(months, len(ids)) if len(ids) else months[:0],
        "quota": cells.ravel() / 100,
    })


@dataclass(frozen=True)
class QuotaPlan:
    """A full decomposition: company -> quarters -> months, company -> teams -> reps -> months."""

    target: CompanyTarget
    monthly: pd.DataFrame
    quarterly: pd.DataFrame
    teams: pd.DataFrame
    reps: pd.DataFrame
    matrix: pd.DataFrame
    capacity: pd.DataFrame


def decompose(
    reps: pd.DataFrame,
    orders: pd.DataFrame | None = None,
    *,
    target: CompanyTarget | float,
    plan_year: int,
    time_method: str = "seasonal",
    month_weights: Sequence[float] | None = None,
    years: int = 2,
    rep_method: str = "capacity",
    rep_weights: Mapping[str, float] | str | None = None,
    base_year: int | None = None,
    ramp: Sequence[float] | None = DEFAULT_RAMP,
    overrides: Mapping[str, float] | None = None,
    id_col: str = "rep_id",
    hire_col: str = "hire_date",
    leave_col: str = "leave_date",
    date_col: str = "order_date",
    amount_col: str = "amount",
) -> QuotaPlan:
    """Decompose the company target into quarters, months, teams, reps and rep x month.

    Every level sums exactly (to the cent) to its parent. See :func:`split_year`
    (``time_method``, ``month_weights``, ``years``), :func:`rep_quotas` (``rep_method``,
    ``rep_weights``, ``ramp``, ``overrides``) and :func:`rep_month_matrix`.

    Returns
    -------
    QuotaPlan
        ``monthly`` (month, quarter, share, target), ``quarterly`` (quarter, share,
        target), ``teams`` (team, reps, quota, share), ``reps`` (see
        :func:`rep_quotas`), ``matrix`` (rep_id, month, quota), ``capacity`` (see
        :func:`rep_capacity`).

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": ["R1", "R2"], "team": ["A", "B"],
    ...                      "hire_date": pd.to_datetime(["2020-01-01", "2025-07-01"])})
    >>> plan = decompose(reps, target=1000.0, plan_year=2025, time_method="equal")
    >>> plan.reps["quota"].tolist()  # capacity 12 months vs 0.25 + 0.5 + 0.75 + 3 = 4.5 months
    [727.27, 272.73]
    >>> (plan.matrix.query("rep_id == 'R2'")["quota"] > 0).tolist()
    [False, False, False, False, False, False, True, True, True, True, True, True]
    """
    plan_year = _year(plan_year, "plan_year")
    if not isinstance(target, CompanyTarget):
        target = company_target(plan_year=plan_year, amount=target)
    monthly = split_year(target.amount, plan_year=plan_year, method=time_method, weights=month_weights,
                         orders=orders, years=years, date_col=date_col, amount_col=amount_col)
    quotas = rep_quotas(reps, orders, total=target.amount, plan_year=plan_year, method=rep_method,
                        base_year=base_year, weights=rep_weights, ramp=ramp, overrides=overrides,
                        month_shares=monthly["share"].to_numpy(), id_col=id_col, hire_col=hire_col,
                        leave_col=leave_col, date_col=date_col, amount_col=amount_col)
    matrix = rep_month_matrix(quotas, monthly, reps, plan_year=plan_year, ramp=ramp, id_col=id_col,
                              hire_col=hire_col, leave_col=leave_col)
    capacity = rep_capacity(reps, plan_year=plan_year, ramp=ramp, id_col=id_col, hire_col=hire_col,
                            leave_col=leave_col)
    quota_cents = cents(quotas["quota"])
    teams = (
        quotas.assign(_c=quota_cents, team=quotas["team"].fillna("—") if quotas["team"].notna().any() else "—")
        .groupby("team", sort=True)
        .agg(reps=("rep_id", "size"), _c=("_c", "sum"))
        .reset_index()
    )
    teams["quota"] = teams.pop("_c") / 100
    teams["share"] = teams["quota"] / target.amount
    return QuotaPlan(target, monthly, quarterly(monthly), teams, quotas, matrix, capacity)
