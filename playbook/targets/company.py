"""The company target and its split into quarters and months."""

from __future__ import annotations

import calendar
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from playbook.core.errors import InputError, ParameterError, PlaybookWarning, require_columns
from playbook.core.money import allocate_cents, cents, round_money, shorten, to_cents, weights_array
from playbook.targets.rules import TIME_METHODS

__all__ = [
    "CompanyTarget", "base_year_sales", "company_target", "covered_days", "PARTIAL_BASE", "MIN_DAYS_COVERED",
    "yearly_shares", "seasonality", "split_year", "quarterly",
]

# ---------------------------------------------------------------------------------------
# Company target
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CompanyTarget:
    """The company's target for ``plan_year`` and how it was set."""

    plan_year: int
    amount: float
    method: str  # "absolute" or "growth"
    base_year: int | None = None
    base_actual: float | None = None  # the base year's net sales, annualised when the year is partial
    growth: float | None = None
    base_sales: float | None = None  # net sales in the days covered (== base_actual for a full year)
    covered_from: pd.Timestamp | None = None  # first and last day of the base year the orders cover
    covered_to: pd.Timestamp | None = None

    @property
    def days_covered(self) -> int | None:
        """Days of the base year the orders cover (None for an absolute target)."""
        if self.covered_from is None or self.covered_to is None:
            return None
        return int((self.covered_to - self.covered_from).days) + 1

    @property
    def days_in_year(self) -> int | None:
        """Days in the base year (365 or 366; None for an absolute target)."""
        return None if self.base_year is None else 366 if calendar.isleap(self.base_year) else 365

    @property
    def annualised(self) -> bool:
        """True when the base year was partial and its sales were scaled to a full year."""
        return self.days_covered is not None and self.days_covered != self.days_in_year

    @property
    def cents(self) -> int:
        """The target in whole cents."""
        return to_cents(self.amount)

    def to_frame(self) -> pd.DataFrame:
        """Return a one-row frame: plan_year, base_year, base_actual, growth, target, base_sales, days_covered.

        ``base_sales`` and ``days_covered`` say what ``base_actual`` was annualised from
        (empty for an absolute target).

        Examples
        --------
        >>> CompanyTarget(2025, 130.0, "growth", 2024, 100.0, 0.3).to_frame().iloc[:, :5]
           plan_year  base_year  base_actual  growth  target
        0       2025       2024        100.0     0.3   130.0
        """
        def num(value: float | None) -> float:
            return np.nan if value is None else value

        return pd.DataFrame({
            "plan_year": [self.plan_year],
            "base_year": pd.array([self.base_year], dtype="Int64"),
            "base_actual": [num(self.base_actual)],
            "growth": [num(self.growth)],
            "target": [self.amount],
            "base_sales": [num(self.base_sales)],
            "days_covered": pd.array([self.days_covered], dtype="Int64"),
        })


def _year(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1900 <= int(value) <= 2200:
        raise ParameterError(name, value, "a calendar year such as 2025")
    return int(value)


def base_year_sales(
    orders: pd.DataFrame, *, year: int, date_col: str = "order_date", amount_col: str = "amount"
) -> float:
    """Net sales (orders minus refunds) in calendar ``year``, CNY.

    Examples
    --------
    >>> o = pd.DataFrame({"order_date": pd.to_datetime(["2024-03-01", "2024-07-01", "2025-01-01"]),
    ...                   "amount": [100.0, -10.0, 50.0]})
    >>> base_year_sales(o, year=2024)
    90.0
    """
    require_columns(orders, [date_col, amount_col], "orders")
    year = _year(year, "base_year")
    dates = pd.to_datetime(orders[date_col])
    return round_money(float(orders.loc[dates.dt.year == year, amount_col].sum()))


def company_target(
    orders: pd.DataFrame | None = None,
    *,
    plan_year: int,
    amount: float | None = None,
    growth: float | None = None,
    base_year: int | None = None,
    partial: str = "annualise",
    date_col: str = "order_date",
    amount_col: str = "amount",
) -> CompanyTarget:
    """Set the company target: an absolute ``amount``, or base-year net sales x (1 + ``growth``).

    A partial base year is never grown as if it were whole. The orders cover a base
    year from its 1 January (or the first order, when that is after January) to its
    31 December (or the last order, when that is before December): see
    :func:`covered_days`. With ``partial="annualise"`` (the default) the net sales of a
    partial year are scaled by days covered, ``sales x days in the year / days covered``
    (orders to 30 September 2025: x 365 / 273), and the target grows that;
    ``partial="refuse"`` raises instead. Fewer than :data:`MIN_DAYS_COVERED` days are
    always refused (too little to stand for a year). The target keeps ``base_sales``
    and the days covered, so the reason can be shown in the reader's language
    (:func:`playbook.present.targets.describe_target`).

    Parameters
    ----------
    orders : DataFrame, optional
        Needed with ``growth``: ``order_date``, ``amount`` (refunds negative).
    plan_year : int
        Year planned.
    amount : float, optional
        Absolute target in CNY (> 0). Takes precedence over ``growth``.
    growth : float, optional
        Growth over the base year, 0.30 = +30%; must be above -1 (-100%).
    base_year : int, optional
        Year whose net sales are grown; default ``plan_year - 1``.
    partial : {"annualise", "refuse"}
        What to do with a partial base year (see above).

    Returns
    -------
    CompanyTarget

    Raises
    ------
    InputError
        A partial base year with ``partial="refuse"``, or covered for fewer than
        :data:`MIN_DAYS_COVERED` days; a base year without net sales.

    Examples
    --------
    The domain's example (section 1): annual sales +30%.

    >>> o = pd.DataFrame({"order_date": pd.to_datetime(["2024-01-05", "2024-12-20"]),
    ...                   "amount": [600_000.0, 400_000.0]})
    >>> company_target(o, plan_year=2025, growth=0.30).amount
    1300000.0
    >>> company_target(plan_year=2025, amount=2_000_000).method
    'absolute'

    Orders only to 30 September 2025: 273 of 365 days, 2,730 CNY become 3,650 a year.

    >>> o = pd.DataFrame({"order_date": pd.to_datetime(["2025-01-05", "2025-09-30"]),
    ...                   "amount": [1_730.0, 1_000.0]})
    >>> t = company_target(o, plan_year=2026, growth=0.10)
    >>> t.base_sales, t.days_covered, t.base_actual, t.amount
    (2730.0, 273, 3650.0, 4015.0)
    """
    plan_year = _year(plan_year, "plan_year")
    if amount is not None:
        cents = to_cents(amount, name="amount")
        if cents <= 0:
            raise ParameterError("amount", amount, "a company target above 0 CNY")
        return CompanyTarget(plan_year, cents / 100, "absolute")
    if growth is None:
        raise ParameterError("growth", None, "a growth rate such as 0.30 (or give amount=)")
    try:
        g = float(growth)
    except (TypeError, ValueError):
        raise ParameterError("growth", growth, "a number such as 0.30 for +30%") from None
    if not math.isfinite(g) or g <= -1:
        raise ParameterError("growth", growth, "a growth rate above -1.0 (-100% would leave no target)")
    base_year = plan_year - 1 if base_year is None else _year(base_year, "base_year")
    if orders is None:
        raise ParameterError("orders", None, "the orders table, to grow the base year's sales")
    if partial not in PARTIAL_BASE:
        raise ParameterError("partial", partial, " or ".join(repr(p) for p in PARTIAL_BASE))
    actual = base_year_sales(orders, year=base_year, date_col=date_col, amount_col=amount_col)
    if actual <= 0:
        raise InputError(
            f"orders: net sales in base_year={base_year} are {actual:,.2f} CNY, so growth cannot set a "
            "target; choose a base_year with sales or give an absolute amount=",
            code="targets.base_no_sales", params={"base_year": base_year, "actual": float(actual)},
        )
    lo, hi = covered_days(pd.to_datetime(orders[date_col]), base_year)
    covered = int((hi - lo).days) + 1
    year_days = 366 if calendar.isleap(base_year) else 365
    if covered < year_days and (partial == "refuse" or covered < MIN_DAYS_COVERED):
        raise InputError(
            f"orders: base_year={base_year} is partial (the orders cover {covered} of its {year_days} days), so "
            f"its net sales {actual:,.2f} CNY cannot be grown as a year's"
            + (f" (fewer than {MIN_DAYS_COVERED} days cannot be annualised)" if partial == "annualise" else "")
            + "; choose a complete base_year or give an absolute amount=",
            code="targets.base_partial_short" if partial == "annualise" else "targets.base_partial",
            params={"base_year": base_year, "covered": covered, "year_days": year_days, "actual": float(actual),
                    "min_days": MIN_DAYS_COVERED},
        )
    base = to_cents(Decimal(to_cents(actual)) * year_days / covered / 100)  # annualised by days covered
    cents = to_cents(Decimal(base) * (1 + Decimal(str(g))) / 100, name="growth")  # the one rule
    if cents <= 0:
        raise ParameterError("growth", growth, "a growth rate that leaves a target above 0")
    return CompanyTarget(plan_year, cents / 100, "growth", base_year, base / 100, g, actual, lo, hi)


PARTIAL_BASE = ("annualise", "refuse")
"""What :func:`company_target` does with a partial base year."""

MIN_DAYS_COVERED = 90
"""Fewer days of a base year than this are refused even when annualising (about a quarter)."""


def covered_days(dates: pd.Series, year: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of calendar ``year`` that order dates cover.

    The year is covered from 1 January, or from the first order when that is after
    January, to 31 December, or to the last order when that is before December (the
    completeness rule of :func:`yearly_shares`).

    Examples
    --------
    >>> d = pd.Series(pd.to_datetime(["2024-01-10", "2024-12-30", "2025-09-30"]))
    >>> [str(x.date()) for x in covered_days(d, 2025)], [str(x.date()) for x in covered_days(d, 2024)]
    (['2025-01-01', '2025-09-30'], ['2024-01-01', '2024-12-31'])
    """
    start, end = pd.Timestamp(year=year, month=1, day=1), pd.Timestamp(year=year, month=12, day=31)
    dates = dates.dropna()
    if dates.empty:
        return start, start - pd.Timedelta(days=1)
    first, last = dates.min().normalize(), dates.max().normalize()
    lo = start if first <= pd.Timestamp(year=year, month=1, day=31) else max(first, start)
    hi = end if last >= pd.Timestamp(year=year, month=12, day=1) else min(last, end)
    return lo, max(hi, lo - pd.Timedelta(days=1))


# ---------------------------------------------------------------------------------------
# Time split
# ---------------------------------------------------------------------------------------
def _months(plan_year: int) -> pd.DatetimeIndex:
    return pd.date_range(f"{plan_year}-01-01", periods=12, freq="MS")


def yearly_shares(
    orders: pd.DataFrame,
    *,
    plan_year: int,
    years: int = 2,
    date_col: str = "order_date",
    amount_col: str = "amount",
) -> pd.DataFrame:
    """Each month's share of its year's net sales, for the ``years`` full years before ``plan_year``.

    A year counts as full when the orders start on or before its January and run to
    its December or later. Months with net refunds count as 0.

    Returns
    -------
    DataFrame
        ``year, month_of_year, net_sales, share`` (12 rows per year; shares sum to 1 per year).

    Raises
    ------
    InputError
        When the orders do not hold ``years`` full years before ``plan_year`` (the
        message says which years are there); ParameterError for a bad ``years``.

    Examples
    --------
    >>> o = pd.DataFrame({"order_date": pd.date_range("2024-01-01", periods=12, freq="MS"),
    ...                   "amount": [1.0] * 11 + [9.0]})
    >>> yearly_shares(o, plan_year=2025, years=1)["share"].tolist()[-2:]
    [0.05, 0.45]
    """
    require_columns(orders, [date_col, amount_col], "orders")
    plan_year = _year(plan_year, "plan_year")
    if isinstance(years, bool) or not isinstance(years, (int, np.integer)) or years < 1:
        raise ParameterError("years", years, "a whole number of years >= 1")
    wanted = list(range(plan_year - int(years), plan_year))
    dates = pd.to_datetime(orders[date_col])
    if dates.notna().sum() == 0:
        raise InputError(
            f"orders: no order history to learn seasonality from (years={years} full years before "
            f"plan_year={plan_year} are needed); use method='equal' or 'custom'",
            code="targets.no_history", params={"years": years, "plan_year": plan_year},
        )
    first, last = dates.min(), dates.max()
    full = [y for y in wanted if first <= pd.Timestamp(year=y, month=1, day=31)
            and last >= pd.Timestamp(year=y, month=12, day=1)]
    if full != wanted:
        missing = [y for y in wanted if y not in full]
        raise InputError(
            f"orders: history too short for seasonality: years={years} full years before plan_year="
            f"{plan_year} are needed ({', '.join(map(str, wanted))}) but {', '.join(map(str, missing))} "
            f"{'is' if len(missing) == 1 else 'are'} not fully in the data (orders run {first.date()} to "
            f"{last.date()}); lower years= or use method='equal' or 'custom'",
            code="targets.history_short" if len(missing) == 1 else "targets.history_short_years",
            params={"years": years, "plan_year": plan_year, "wanted": wanted, "missing": missing,
                    "first": first.date(), "last": last.date()},
        )
    keep = dates.dt.year.isin(wanted)
    grid = pd.MultiIndex.from_product([wanted, range(1, 13)], names=["year", "month_of_year"])
    sales = (
        orders.loc[keep, amount_col]
        .groupby([dates[keep].dt.year.rename("year"), dates[keep].dt.month.rename("month_of_year")])
        .sum()
        .reindex(grid, fill_value=0.0)
    )
    if (sales < 0).any():
        warnings.warn(PlaybookWarning("months with net refunds count as zero in the seasonality",
                                      code="targets.refund_months"), stacklevel=2)
    clipped = sales.clip(lower=0)
    totals = clipped.groupby(level="year").transform("sum")
    bad = sorted({y for y, v in totals.groupby(level="year").first().items() if v <= 0})
    if bad:
        raise InputError(f"orders: no net sales in {', '.join(map(str, bad))} to learn seasonality from",
                         code="targets.no_net_sales", params={"years": bad})
    out = pd.DataFrame({"net_sales": round_money(sales), "share": clipped / totals}).reset_index()
    out["year"] = out["year"].astype("int64")
    out["month_of_year"] = out["month_of_year"].astype("int64")
    return out


def seasonality(
    orders: pd.DataFrame,
    *,
    plan_year: int,
    years: int = 2,
    date_col: str = "order_date",
    amount_col: str = "amount",
) -> pd.DataFrame:
    """Each calendar month's share of annual sales, averaged over the last ``years`` full years.

    Each year's shares are computed first and then averaged, so a growing year does not
    outweigh a flat one.

    Returns
    -------
    DataFrame
        ``month_of_year`` (1-12), ``share`` (sums to 1).

    Examples
    --------
    >>> o = pd.DataFrame({"order_date": pd.date_range("2023-01-01", periods=24, freq="MS"),
    ...                   "amount": ([2.0] + [1.0] * 11) * 2})
    >>> s = seasonality(o, plan_year=2025, years=2)
    >>> round(float(s["share"].iloc[0]), 4), round(float(s["share"].sum()), 10)
    (0.1538, 1.0)
    """
    shares = yearly_shares(orders, plan_year=plan_year, years=years, date_col=date_col, amount_col=amount_col)
    mean = shares.groupby("month_of_year")["share"].mean()
    return pd.DataFrame({"month_of_year": np.arange(1, 13, dtype="int64"), "share": (mean / mean.sum()).to_numpy()})


def split_year(
    total: float,
    *,
    plan_year: int,
    method: str = "equal",
    weights: Sequence[float] | None = None,
    orders: pd.DataFrame | None = None,
    years: int = 2,
    date_col: str = "order_date",
    amount_col: str = "amount",
) -> pd.DataFrame:
    """Split the company target into the 12 months of ``plan_year``, exact to the cent.

    Parameters
    ----------
    total : float
        Company target, CNY (> 0).
    plan_year : int
        Year planned.
    method : {"equal", "seasonal", "custom"}
        ``equal``: 1/12 each; ``seasonal``: the shares learnt by :func:`seasonality` from
        ``orders`` over ``years`` full years; ``custom``: the 12 ``weights``.
    weights : sequence of 12 floats, optional
        Month weights for ``custom`` (any scale, e.g. working days).

    Returns
    -------
    DataFrame
        ``month, quarter, share, target``: ``target`` sums exactly to ``total``.

    Examples
    --------
    >>> m = split_year(1000.0, plan_year=2025, method="custom", weights=[1] * 11 + [4])
    >>> m["target"].tolist()[-2:], round(float(m["target"].sum()), 2)
    ([66.67, 266.66], 1000.0)
    """
    plan_year = _year(plan_year, "plan_year")
    cents = to_cents(total, name="total")
    if cents <= 0:
        raise ParameterError("total", total, "a company target above 0 CNY")
    if method == "equal":
        w = np.ones(12)
    elif method == "seasonal":
        if orders is None:
            raise ParameterError("orders", None, "the orders table when method='seasonal'")
        w = seasonality(orders, plan_year=plan_year, years=years, date_col=date_col,
                        amount_col=amount_col)["share"].to_numpy()
    elif method == "custom":
        if weights is None or np.ndim(weights) != 1 or len(weights) != 12:
            raise ParameterError("weights", shorten(weights), "12 month weights (January to December)")
        w = weights_array(weights, "weights")
    else:
        raise ParameterError("method", method, "one of " + ", ".join(repr(m) for m in TIME_METHODS))
    months = _months(plan_year)
    # year -> quarters -> months: each quarter's cents first, then its months' cents
    quarter_cents = allocate_cents(cents, w.reshape(4, 3).sum(axis=1), name="weights")
    part = np.zeros(12, dtype=np.int64)
    for q in range(4):  # four quarters, not data rows
        if quarter_cents[q]:
            part[3 * q:3 * q + 3] = allocate_cents(int(quarter_cents[q]), w[3 * q:3 * q + 3], name="weights")
    return pd.DataFrame({
        "month": months,
        "quarter": months.to_period("Q").astype(str),
        "share": w / w.sum(),
        "target": part / 100,
    })


def quarterly(monthly: pd.DataFrame) -> pd.DataFrame:
    """Roll a :func:`split_year` frame up to quarters (sums of whole cents: exact).

    Examples
    --------
    >>> quarterly(split_year(1000.0, plan_year=2025))["target"].tolist()  # quarters first, then months
    [250.0, 250.0, 250.0, 250.0]
    """
    require_columns(monthly, ["quarter", "share", "target"], "monthly")
    target_cents = cents(monthly["target"])
    g = monthly.assign(_c=target_cents).groupby("quarter", sort=True)
    out = g.agg(share=("share", "sum"), _c=("_c", "sum")).reset_index()
    out["target"] = out.pop("_c") / 100
    return out
