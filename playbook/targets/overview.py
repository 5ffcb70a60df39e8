"""Team overview: year-to-date sales, quota attainment and new customers per rep.

Pure functions over the kit's tables (see :mod:`playbook.core.schema`). Net sales are
orders minus refunds (refund rows carry negative amounts). Year to date (YTD) runs
from 1 January of the as-of year to the as-of date, inclusive.

Examples
--------
>>> import pandas as pd
>>> reps = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann", "Bo"], "team": ["A", "A"],
...                      "role": ["rep", "rep"]})
>>> orders = pd.DataFrame({"order_id": ["1", "2", "3"], "customer_id": ["C1", "C2", "C1"],
...                        "rep_id": ["R1", "R2", "R1"],
...                        "order_date": pd.to_datetime(["2025-01-10", "2025-02-03", "2025-02-20"]),
...                        "amount": [100.0, 50.0, -20.0]})
>>> quotas = pd.DataFrame({"rep_id": ["R1", "R1", "R2", "R2"],
...                        "month": pd.to_datetime(["2025-01-01", "2025-02-01"] * 2),
...                        "quota": [40.0, 40.0, 50.0, 50.0]})
>>> s = rep_summary(orders, reps, quotas, as_of="2025-02-28")
>>> s[["rep_id", "ytd_sales", "ytd_quota", "attainment", "new_customers"]]
  rep_id  ytd_sales  ytd_quota  attainment  new_customers
0     R1       80.0       80.0         1.0              1
1     R2       50.0      100.0         0.5              1
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.core.codes import factorized
from playbook.core.dates import parse_date, resolve_as_of, ytd_window
from playbook.core.errors import ParameterError, require_columns
from playbook.core.money import round_money

__all__ = [
    "SUMMARY_COLUMNS", "current_reps", "resolve_as_of", "ytd_window", "rep_summary", "team_summary", "monthly_sales",
]

SUMMARY_COLUMNS = [
    "rep_id", "name", "team", "role", "ytd_sales", "ytd_quota", "attainment",
    "new_customers", "orders", "prior_ytd_sales", "yoy_growth",
]


def _ytd_quota(quotas: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Quota per rep from ``start`` to ``end``; the as-of month is pro-rated by days."""
    q = quotas.assign(month=pd.to_datetime(quotas["month"]).dt.to_period("M").dt.to_timestamp())
    q = q[(q["month"] >= start) & (q["month"] <= end)]
    days_in_month = q["month"].dt.days_in_month
    elapsed = ((end - q["month"]).dt.days + 1).clip(upper=days_in_month)
    share = elapsed / days_in_month
    return (q["quota"] * share).groupby(q["rep_id"]).sum()


def _dates(values: pd.Series) -> pd.Series:
    """Return ``values`` as datetimes: as they are when they are already (no copy), else parsed."""
    return values if pd.api.types.is_datetime64_any_dtype(values) else pd.to_datetime(values)


def _sum_by(values: np.ndarray, codes: np.ndarray, rows: np.ndarray, ids: pd.Index) -> pd.Series:
    """Sum ``values`` of ``rows`` (a mask) per code, indexed by ``ids[code]``; missing codes (-1) left out.

    As ``groupby(...).sum()``: the same rows in the same order, the same summation.
    """
    rows = rows & (codes >= 0)
    # the codes as categories: grouped by them as they are, not hashed again (the same sums, row by row)
    by = pd.Categorical.from_codes(codes[rows], categories=pd.RangeIndex(len(ids)), validate=False)
    out = pd.Series(values[rows]).groupby(by, observed=True).sum()
    return out.set_axis(ids.take(out.index.to_numpy()))


def _count_by(codes: np.ndarray, rows: np.ndarray, ids: pd.Index) -> pd.Series:
    """Count ``rows`` (a mask) per code, indexed by ``ids``; missing codes (-1) left out."""
    return pd.Series(np.bincount(codes[rows & (codes >= 0)], minlength=len(ids)), index=ids)


def _first_orders(orders: pd.DataFrame, dates: pd.Series, amount: np.ndarray, *, start: pd.Timestamp,
                  end: pd.Timestamp) -> np.ndarray:
    """Mask of the rows that are a customer's first order ever (up to ``end``) when it falls on or after ``start``.

    A customer's first order is the earliest positive row, then the lowest ``order_id``,
    then the first listed (a stable sort on date and order id, one row per customer,
    missing customer ids counting as one customer). Only customers whose first order
    date is on or after ``start`` are sorted, among their rows on that date.
    """
    when = dates.to_numpy()
    at = np.flatnonzero((amount > 0) & (dates <= end).to_numpy())
    codes, uniques = factorized(orders["customer_id"])  # hashed once for all figures (core.codes)
    customer = codes[at]
    np.putmask(customer, customer < 0, len(uniques))  # missing ids: one customer, the last code
    when = when[at]
    # each customer's earliest date: a minimum per code in one pass (no dates are missing here)
    earliest = np.full(len(uniques) + 1, np.iinfo("int64").max)
    np.minimum.at(earliest, customer, when.view("int64"))
    on_first = np.flatnonzero((when.view("int64") == earliest[customer]) & (when >= np.datetime64(start)))
    keys = pd.DataFrame({"c": customer[on_first]})
    if "order_id" in orders:
        keys["o"] = orders["order_id"].array.take(at[on_first])
    chosen = keys.sort_values(list(keys.columns), kind="stable").drop_duplicates("c").index.to_numpy()
    mask = np.zeros(len(orders), dtype=bool)
    mask[at[on_first[chosen]]] = True
    return mask


def current_reps(reps: pd.DataFrame, *, as_of: object) -> pd.DataFrame:
    """Return the reps still on the team in the as-of year (no leave date before 1 January).

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3"],
    ...                      "leave_date": pd.to_datetime([None, "2024-12-31", "2025-03-01"])})
    >>> current_reps(reps, as_of="2025-09-30")["rep_id"].tolist()
    ['R1', 'R3']
    """
    if "leave_date" not in reps:
        return reps
    start, _ = ytd_window(as_of)
    left = pd.to_datetime(reps["leave_date"])
    return reps.loc[left.isna() | (left >= start)]


def rep_summary(
    orders: pd.DataFrame,
    reps: pd.DataFrame,
    quotas: pd.DataFrame | None = None,
    *,
    as_of: object,
) -> pd.DataFrame:
    """Per-rep year-to-date sales, quota, attainment, new customers and growth.

    Parameters
    ----------
    orders : DataFrame
        ``order_id, customer_id, rep_id, order_date, amount`` (refunds negative).
    reps : DataFrame
        ``rep_id, name, team`` (``role`` optional).
    quotas : DataFrame, optional
        ``rep_id, month, quota``; without it, quota and attainment are NaN.
    as_of : date-like
        Last day counted.

    Returns
    -------
    DataFrame
        One row per rep, columns :data:`SUMMARY_COLUMNS`, ordered by team then rep.
        Reps who left before the year started (``leave_date``) are left out.
        ``attainment`` is a ratio (1.0 = 100%), NaN where the quota is 0 or missing.
        ``new_customers`` counts customers whose first-ever order (in ``orders``) falls
        in the YTD window, credited to the rep of that order. ``prior_ytd_sales`` is the
        same window one year earlier; ``yoy_growth`` the ratio minus 1.
    """
    require_columns(orders, ["customer_id", "rep_id", "order_date", "amount"], "orders")
    require_columns(reps, ["rep_id", "name", "team"], "reps")
    start, end = ytd_window(as_of)
    dates = _dates(orders["order_date"])
    amount = orders["amount"].to_numpy()
    in_ytd = ((dates >= start) & (dates <= end)).to_numpy()
    prior_start, prior_end = start - pd.DateOffset(years=1), end - pd.DateOffset(years=1)
    in_prior = ((dates >= prior_start) & (dates <= prior_end)).to_numpy()
    rep, rep_ids = factorized(orders["rep_id"])  # once; every figure is grouped on these codes
    sales = _sum_by(amount, rep, in_ytd, rep_ids)
    n_orders = _count_by(rep, in_ytd & (amount > 0), rep_ids)
    prior = _sum_by(amount, rep, in_prior, rep_ids)
    new = _count_by(rep, _first_orders(orders, dates, amount, start=start, end=end), rep_ids)

    current = current_reps(reps, as_of=end)
    out = current[["rep_id", "name", "team"]].copy()
    out["role"] = current["role"] if "role" in current else pd.NA
    out["ytd_sales"] = round_money(out["rep_id"].map(sales).fillna(0.0))
    if quotas is not None:
        require_columns(quotas, ["rep_id", "month", "quota"], "quotas")
        quota = _ytd_quota(quotas, start, end)
        out["ytd_quota"] = round_money(out["rep_id"].map(quota).fillna(0.0))
    else:
        out["ytd_quota"] = float("nan")
    out["attainment"] = out["ytd_sales"] / out["ytd_quota"].where(out["ytd_quota"] > 0)
    out["new_customers"] = out["rep_id"].map(new).fillna(0).astype("int64")
    out["orders"] = out["rep_id"].map(n_orders).fillna(0).astype("int64")
    out["prior_ytd_sales"] = round_money(out["rep_id"].map(prior).fillna(0.0))
    prior_pos = out["prior_ytd_sales"].where(out["prior_ytd_sales"] > 0)
    out["yoy_growth"] = out["ytd_sales"] / prior_pos - 1
    return out.sort_values(["team", "rep_id"], kind="stable").reset_index(drop=True)[
        SUMMARY_COLUMNS
    ]


def team_summary(summary: pd.DataFrame) -> pd.DataFrame:
    """Roll a :func:`rep_summary` frame up to teams (sums, and attainment of the sums).

    Examples
    --------
    >>> s = pd.DataFrame({"team": ["A", "A", "B"], "ytd_sales": [80.0, 50.0, 10.0],
    ...                   "ytd_quota": [80.0, 100.0, 20.0], "new_customers": [1, 1, 0],
    ...                   "orders": [2, 1, 1], "prior_ytd_sales": [40.0, 50.0, 0.0],
    ...                   "rep_id": ["R1", "R2", "R3"]})
    >>> team_summary(s)[["team", "reps", "ytd_sales", "attainment"]]
      team  reps  ytd_sales  attainment
    0    A     2      130.0       0.722
    1    B     1       10.0       0.500
    """
    g = summary.groupby("team", sort=True)
    out = g.agg(
        reps=("rep_id", "size"),
        ytd_sales=("ytd_sales", "sum"),
        ytd_quota=("ytd_quota", "sum"),
        new_customers=("new_customers", "sum"),
        orders=("orders", "sum"),
        prior_ytd_sales=("prior_ytd_sales", "sum"),
    ).reset_index()
    out["attainment"] = (out["ytd_sales"] / out["ytd_quota"].where(out["ytd_quota"] > 0)).round(3)
    prior = out["prior_ytd_sales"].where(out["prior_ytd_sales"] > 0)
    out["yoy_growth"] = (out["ytd_sales"] / prior - 1).round(3)
    return out


def monthly_sales(
    orders: pd.DataFrame, reps: pd.DataFrame, *, as_of: object, months: int = 24
) -> pd.DataFrame:
    """Net sales per team and calendar month, for the ``months`` months up to ``as_of``.

    Months without orders appear with 0, so charts show gaps honestly.

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": ["R1"], "team": ["A"]})
    >>> orders = pd.DataFrame({"rep_id": ["R1", "R1"], "amount": [5.0, 7.0],
    ...                        "order_date": pd.to_datetime(["2025-01-03", "2025-03-09"])})
    >>> monthly_sales(orders, reps, as_of="2025-03-31", months=3)
      team      month  net_sales
    0    A 2025-01-01        5.0
    1    A 2025-02-01        0.0
    2    A 2025-03-01        7.0
    """
    require_columns(orders, ["rep_id", "order_date", "amount"], "orders")
    require_columns(reps, ["rep_id", "team"], "reps")
    if months < 1:
        raise ParameterError("months", months, "a whole number of months >= 1")
    end = parse_date(as_of)
    last = end.to_period("M")
    periods = pd.period_range(last - (months - 1), last, freq="M")
    dates = _dates(orders["order_date"])
    at = np.flatnonzero(((dates <= end) & (dates >= periods[0].start_time)).to_numpy())
    teams = sorted(reps["team"].dropna().unique())
    grid = pd.MultiIndex.from_product([teams, periods], names=["team", "month"])
    rep, rep_ids = pd.factorize(orders["rep_id"])  # the whole column: leaner than a copy of its rows
    rep = rep[at]
    team_of_rep = pd.Index(teams).get_indexer(pd.Index(rep_ids).map(reps.set_index("rep_id")["team"]))
    team = np.append(team_of_rep, -1)[rep]  # -1: no rep id, a rep not in reps, or one without a team: left out
    # monthly periods' ordinals count months from 1970-01, as numpy's datetime64[M] does
    month = dates.to_numpy()[at].astype("datetime64[M]").astype("int64") - periods[0].ordinal
    key = team * months + month
    amounts = orders["amount"].to_numpy()[at]
    sums = pd.Series(amounts[team >= 0]).groupby(key[team >= 0]).sum()  # as groupby(["team", "month"]): row order
    out = pd.Series(0.0, index=grid)
    out.iloc[sums.index.to_numpy()] = sums.to_numpy()
    out = round_money(out).rename("net_sales").reset_index()
    out["month"] = out["month"].dt.to_timestamp()
    return out
