"""The workshop case company: a SaaS company's turnaround (domain brief, section 6).

:func:`playbook.data.case_study.generate_case` builds every table of :mod:`playbook.core.schema` for a fictitious
Chinese SaaS company (云擎软件) from 1 January 2021 to :data:`CASE_AS_OF`
(30 September 2023). Its **before** half (to 2023 Q1) and **after** half (2023 Q3, six
months after the actions started on :data:`ACTION_START`) reproduce the figures of the
source's case:

- sales growth year on year: below 5% in 2022 Q4 and 2023 Q1; +42% in 2023 Q3;
- key-account renewal: 85% (2022 Q1) -> 68% (2023 Q1) -> 88% (2023 Q3);
- SMB churn: 40% (terms due in the 12 months to 2023 Q1);
- leads: -30% from 2023 Q1 to 2023 Q3, while the needs-match rate rises 45% -> 72%;
- objection rate in negotiation: 35% -> 18%; sales cycle (median days): 52 -> 36;
- existing customers' share of net sales: 55% -> 70%;
- new hires' first deal within 3 months: 30% (2022 hires) -> 55% (2023 Q2 hires).

:func:`case_figures` measures each figure again from the tables alone, with the plain
definitions below (not from the generator's settings), and states its tolerance.
The actions of the case are in the data too: two paid-ad lead channels cut from April
2023 (their spend stops, referral cashback rises from 50 to 200 CNY a lead), more
up-sell to existing customers, and a shorter negotiation.

Definitions (all windows inclusive, dates as days)
--------------------------------------------------
- **Subscription term**: an order of product line ``软件订阅`` (one per customer and
  contract year, dated on the term's first day); its amount is the annual contract
  value (ACV). The term is **due** one year after it starts; it is **renewed** when the
  customer's next subscription order is dated no later than the due date + 30 days.
- **Key account**: a term with ACV above 500,000 CNY; **SMB**: ACV below 100,000 CNY
  (the case study's tiers, :data:`playbook.rfm.TIER_PRESETS` ``"case"``).
  Key-account renewal = renewed / due among key-account terms due in the window; SMB
  churn = 1 - renewal rate of SMB terms due in the window.
- **Needs-match rate**: share of leads created in the window whose ``needs_match`` is
  true. **Objection rate**: share of opportunities entering negotiation in the window
  whose ``objection`` is true. (Both are extra columns of ``opportunities``, see
  :data:`EXTRA_COLUMNS`.)
- **Sales cycle**: median of ``closed_date - created_date`` in days, over the deals won
  (closed) in the window.
- **Sales growth**: net sales (sum of ``amount``) of the quarter / the same quarter a
  year earlier - 1. **Existing customers' share**: share of the window's net sales from
  customers whose first order (the earlier of ``customers.first_order_date`` and their
  first order in ``orders``) is before the window.
- **New hires' first-deal rate**: share of the reps hired in the window (whose first
  90 days have passed) who won an opportunity closed within 90 days of the hire date.

Not reproduced: top-rep attrition (15% -> 5%) and output per rep (+38%), which would
need more reps than a workshop table shows.

Examples
--------
>>> from playbook.core import schema
>>> from playbook.data.case_study import generate_case
>>> tables = generate_case(seed=7)
>>> list(tables) == list(schema.TABLE_ORDER)
True
>>> tables["opportunities"].columns[-2:].tolist()
['needs_match', 'objection']
>>> figures = case_figures(tables)
>>> bool(figures["within"].dropna().all())
True
>>> row = figures.set_index(["figure", "stage"]).loc[("objection_rate", "after")]
>>> f"{row['value']:.0%} (source: {row['source']})"
'18% (source: 18%)'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from playbook.core.errors import MissingColumnsError, ParameterError
from playbook.data.case_study import FIRST_DEAL_DAYS, GRACE_DAYS, KEY_ACCOUNT_MIN, SMB_MAX, SUBSCRIPTION

__all__ = [
    "CaseFigure", "FIGURES", "FIGURE_COLUMNS", "window", "quarter_sales", "yoy_growth", "subscription_terms",
    "renewal_rate", "needs_match_rate", "objection_rate", "cycle_days", "lead_count", "existing_share",
    "first_deal_rate", "case_figures"
]

# ---------------------------------------------------------------------------------------
# The case's figures, measured from the tables alone
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CaseFigure:
    """One figure of the case, as the source reports it, and how closely the data match it.

    ``target`` and ``tolerance`` are in the figure's unit (a share for ``pct``: 0.02 is
    2 percentage points); a figure whose value lies within ``target +- tolerance``
    counts as reproduced. ``versus`` names the period a change is measured against.
    """

    figure: str
    stage: str
    period: str
    target: float = float("nan")
    tolerance: float = float("nan")
    unit: str = "pct"
    source: str = ""
    versus: str | None = None


FIGURES: tuple[CaseFigure, ...] = (
    CaseFigure("sales_yoy", "before", "2022-Q4", 0.025, 0.025, "pct", "< 5%"),
    CaseFigure("sales_yoy", "before", "2023-Q1", 0.025, 0.025, "pct", "< 5%"),
    CaseFigure("key_account_renewal", "before", "2022-Q1", 0.85, 0.02, "pct", "85%"),
    CaseFigure("key_account_renewal", "before", "2023-Q1", 0.68, 0.02, "pct", "68%"),
    CaseFigure("smb_churn", "before", "2022-Q2..2023-Q1", 0.40, 0.02, "pct", "40%"),
    CaseFigure("leads", "before", "2023-Q1", unit="count"),
    CaseFigure("needs_match", "before", "2023-Q1", 0.45, 0.02, "pct", "45%"),
    CaseFigure("objection_rate", "before", "2023-Q1", 0.35, 0.02, "pct", "35%"),
    CaseFigure("cycle_days", "before", "2023-Q1", 52.0, 2.0, "days", "52"),
    CaseFigure("existing_share", "before", "2023-Q1", 0.55, 0.02, "pct", "55%"),
    CaseFigure("first_deal_rate", "before", "2022-Q1..2022-Q4", 0.30, 0.02, "pct", "30%"),
    CaseFigure("sales_yoy", "after", "2023-Q3", 0.42, 0.03, "pct", "+42%"),
    CaseFigure("key_account_renewal", "after", "2023-Q3", 0.88, 0.02, "pct", "88%"),
    CaseFigure("leads", "after", "2023-Q3", unit="count"),
    CaseFigure("lead_change", "after", "2023-Q3", -0.30, 0.03, "pct", "-30%", versus="2023-Q1"),
    CaseFigure("needs_match", "after", "2023-Q3", 0.72, 0.02, "pct", "72%"),
    CaseFigure("objection_rate", "after", "2023-Q3", 0.18, 0.02, "pct", "18%"),
    CaseFigure("cycle_days", "after", "2023-Q3", 36.0, 2.0, "days", "36"),
    CaseFigure("existing_share", "after", "2023-Q3", 0.70, 0.02, "pct", "70%"),
    CaseFigure("first_deal_rate", "after", "2023-Q2", 0.55, 0.02, "pct", "55%"),
)
"""The figures of the domain brief's case study (section 6) that the case company carries."""

FIGURE_COLUMNS = ["figure", "stage", "period", "value", "n", "target", "tolerance", "unit", "source",
                  "within"]
"""Columns of :func:`case_figures`: ``n`` counts what the value is measured on (orders,
terms due, leads, negotiations, deals won or reps hired); ``within`` is NA without a target."""


def window(period: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the first and last day of a period such as ``2023-Q1``, ``2022`` or ``2022-Q2..2023-Q1``.

    Examples
    --------
    >>> [d.date().isoformat() for d in window("2022-Q2..2023-Q1")]
    ['2022-04-01', '2023-03-31']
    >>> window("2023-13")
    Traceback (most recent call last):
    ...
    playbook.core.errors.ParameterError: parameter period='2023-13' is not valid: expected a year, a \
quarter such as '2023-Q1', or a range such as '2022-Q2..2023-Q1'.
    """
    first, _, last = str(period).partition("..")
    try:
        p0 = pd.Period(first.replace("-", ""), freq="Q" if "Q" in first.upper() else "Y")
        p1 = pd.Period((last or first).replace("-", ""), freq="Q" if "Q" in (last or first).upper() else "Y")
    except (ValueError, TypeError):
        raise ParameterError("period", period, "a year, a quarter such as '2023-Q1', or a range such as "
                             "'2022-Q2..2023-Q1'") from None
    return p0.start_time.normalize(), p1.end_time.normalize()


def _dates(start: object, end: object) -> tuple[pd.Timestamp, pd.Timestamp]:
    try:
        s, e = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    except (ValueError, TypeError):
        raise ParameterError("start/end", (start, end), "dates such as '2023-01-01'") from None
    if pd.isna(s) or pd.isna(e) or s > e:
        raise ParameterError("start/end", (start, end), "two dates, start on or before end")
    return s, e


def _need(frame: pd.DataFrame, columns: list[str], where: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MissingColumnsError(missing, present=frame.columns, where=where)


def _flag(values: pd.Series) -> pd.Series:
    """True/false from bool, 1/0 or text (true, yes, 是 ...); anything else is false."""
    if pd.api.types.is_bool_dtype(values):
        return values.fillna(False).astype(bool)
    text = values.astype("string").str.strip().str.lower()
    return text.isin(["true", "1", "1.0", "yes", "y", "t", "是"]).fillna(False).astype(bool)


def _in(dates: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    d = pd.to_datetime(dates)
    return (d >= start) & (d <= end)


def _share(mask: pd.Series) -> tuple[float, int]:
    n = int(len(mask))
    return (float(mask.mean()) if n else float("nan")), n


def quarter_sales(orders: pd.DataFrame, *, date_col: str = "order_date", amount_col: str = "amount",
                  ) -> pd.DataFrame:
    """Net sales per calendar quarter and the growth over the same quarter a year earlier.

    Returns
    -------
    DataFrame
        ``quarter`` (text such as ``2023-Q1``), ``net_sales``, ``yoy_growth`` (NA
        without the earlier quarter).

    Examples
    --------
    >>> orders = pd.DataFrame({"order_date": pd.to_datetime(["2022-02-01", "2023-02-01", "2023-03-01"]),
    ...                        "amount": [100.0, 90.0, 60.0]})
    >>> quarter_sales(orders)
       quarter  net_sales  yoy_growth
    0  2022-Q1      100.0         NaN
    1  2023-Q1      150.0         0.5
    """
    _need(orders, [date_col, amount_col], "orders")
    q = pd.to_datetime(orders[date_col]).dt.to_period("Q")
    sales = orders[amount_col].astype(float).groupby(q).sum().sort_index()
    prior = sales.reindex(sales.index - 4).to_numpy()
    return pd.DataFrame({
        "quarter": [f"{p.year}-Q{p.quarter}" for p in sales.index],
        "net_sales": sales.to_numpy(),
        "yoy_growth": sales.to_numpy() / prior - 1,
    })


def yoy_growth(orders: pd.DataFrame, *, start: object, end: object, date_col: str = "order_date",
               amount_col: str = "amount") -> tuple[float, int]:
    """Net sales from ``start`` to ``end`` over the same days a year earlier, minus 1.

    Returns
    -------
    tuple
        (growth, orders in the window).

    Examples
    --------
    >>> orders = pd.DataFrame({"order_date": pd.to_datetime(["2022-08-01", "2023-08-01", "2023-09-01"]),
    ...                        "amount": [100.0, 90.0, 52.0]})
    >>> yoy_growth(orders, start="2023-07-01", end="2023-09-30")
    (0.42, 2)
    """
    _need(orders, [date_col, amount_col], "orders")
    s, e = _dates(start, end)
    now = _in(orders[date_col], s, e)
    before = _in(orders[date_col], s - pd.DateOffset(years=1), e - pd.DateOffset(years=1))
    amount = orders[amount_col].astype(float)
    return round(float(amount[now].sum() / amount[before].sum() - 1), 10), int(now.sum())


def subscription_terms(orders: pd.DataFrame, *, subscription: str = SUBSCRIPTION, grace_days: int = GRACE_DAYS,
                       customer_col: str = "customer_id", date_col: str = "order_date",
                       amount_col: str = "amount", product_col: str = "product_line") -> pd.DataFrame:
    """One row per subscription term: its customer, start, ACV, due date and whether it renewed.

    A term is an order of product line ``subscription``; it is due one year after its
    start and renewed when the customer's next subscription order comes no later than
    ``grace_days`` after the due date.

    Returns
    -------
    DataFrame
        ``customer_id, start, acv, due, renewed``, sorted by customer and start.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": ["A", "A", "B"], "product_line": ["软件订阅"] * 3,
    ...                        "order_date": pd.to_datetime(["2022-03-01", "2023-03-20", "2022-05-01"]),
    ...                        "amount": [600000.0, 600000.0, 50000.0]})
    >>> subscription_terms(orders)[["customer_id", "due", "renewed"]]
      customer_id        due  renewed
    0           A 2023-03-01     True
    1           A 2024-03-20    False
    2           B 2023-05-01    False
    """
    _need(orders, [customer_col, date_col, amount_col, product_col], "orders")
    subs = orders.loc[orders[product_col].astype(str) == subscription, [customer_col, date_col, amount_col]]
    subs = subs.set_axis(["customer_id", "start", "acv"], axis=1)
    subs = subs.assign(start=pd.to_datetime(subs["start"]), acv=subs["acv"].astype(float))
    subs = subs.sort_values(["customer_id", "start"], kind="stable").reset_index(drop=True)
    due = subs["start"] + pd.DateOffset(years=1)
    following = subs.groupby("customer_id")["start"].shift(-1)
    renewed = (following <= due + pd.Timedelta(days=grace_days)).fillna(False).astype(bool)
    return subs.assign(due=due, renewed=renewed)


def renewal_rate(orders: pd.DataFrame, *, start: object, end: object, min_acv: float | None = None,
                 max_acv: float | None = None, **columns: str) -> tuple[float, int]:
    """Share of the subscription terms due from ``start`` to ``end`` that renewed.

    Only terms with ACV above ``min_acv`` and below ``max_acv`` count (key accounts:
    ``min_acv=KEY_ACCOUNT_MIN``; SMB: ``max_acv=SMB_MAX``). ``columns`` are passed to
    :func:`subscription_terms`.

    Returns
    -------
    tuple
        (renewal rate, terms due).

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": ["A", "A", "B"], "product_line": ["软件订阅"] * 3,
    ...                        "order_date": pd.to_datetime(["2022-03-01", "2023-03-20", "2022-02-01"]),
    ...                        "amount": [600000.0, 600000.0, 700000.0]})
    >>> renewal_rate(orders, start="2023-01-01", end="2023-03-31", min_acv=KEY_ACCOUNT_MIN)
    (0.5, 2)
    """
    s, e = _dates(start, end)
    terms = subscription_terms(orders, **columns)
    keep = _in(terms["due"], s, e)
    if min_acv is not None:
        keep &= terms["acv"] > min_acv
    if max_acv is not None:
        keep &= terms["acv"] < max_acv
    return _share(terms.loc[keep, "renewed"])


def needs_match_rate(opportunities: pd.DataFrame, *, start: object, end: object, flag_col: str = "needs_match",
                     date_col: str = "created_date") -> tuple[float, int]:
    """Share of the leads created from ``start`` to ``end`` that match a real need.

    Returns
    -------
    tuple
        (needs-match rate, leads created).

    Examples
    --------
    >>> opps = pd.DataFrame({"created_date": pd.to_datetime(["2023-01-05", "2023-02-01", "2023-05-01"]),
    ...                      "needs_match": ["True", "False", "True"]})
    >>> needs_match_rate(opps, start="2023-01-01", end="2023-03-31")
    (0.5, 2)
    """
    _need(opportunities, [flag_col, date_col], "opportunities")
    s, e = _dates(start, end)
    keep = _in(opportunities[date_col], s, e)
    return _share(_flag(opportunities.loc[keep, flag_col]))


def objection_rate(opportunities: pd.DataFrame, *, start: object, end: object, flag_col: str = "objection",
                   date_col: str = "negotiation_date") -> tuple[float, int]:
    """Share of the opportunities entering negotiation from ``start`` to ``end`` that met an objection.

    Returns
    -------
    tuple
        (objection rate, negotiations entered).

    Examples
    --------
    >>> opps = pd.DataFrame({"negotiation_date": pd.to_datetime(["2023-07-05", "2023-08-01", None]),
    ...                      "objection": [True, False, None]})
    >>> objection_rate(opps, start="2023-07-01", end="2023-09-30")
    (0.5, 2)
    """
    _need(opportunities, [flag_col, date_col], "opportunities")
    s, e = _dates(start, end)
    keep = _in(opportunities[date_col], s, e)
    return _share(_flag(opportunities.loc[keep, flag_col]))


def cycle_days(opportunities: pd.DataFrame, *, start: object, end: object, outcome: str = "won") -> tuple[float, int]:
    """Median days from lead to close of the deals won (closed) from ``start`` to ``end``.

    Returns
    -------
    tuple
        (median days, deals won).

    Examples
    --------
    >>> opps = pd.DataFrame({"created_date": pd.to_datetime(["2023-06-01", "2023-06-20", "2023-07-01"]),
    ...                      "closed_date": pd.to_datetime(["2023-07-06", "2023-07-30", "2023-07-20"]),
    ...                      "outcome": ["won", "won", "lost"]})
    >>> cycle_days(opps, start="2023-07-01", end="2023-09-30")
    (37.5, 2)
    """
    _need(opportunities, ["created_date", "closed_date", "outcome"], "opportunities")
    s, e = _dates(start, end)
    won = opportunities[(opportunities["outcome"].astype(str) == outcome) & _in(opportunities["closed_date"], s, e)]
    days = (pd.to_datetime(won["closed_date"]) - pd.to_datetime(won["created_date"])).dt.days
    return (float(days.median()) if len(days) else float("nan")), int(len(days))


def lead_count(opportunities: pd.DataFrame, *, start: object, end: object, date_col: str = "created_date") -> int:
    """Count the leads (opportunities) created from ``start`` to ``end``.

    Examples
    --------
    >>> lead_count(pd.DataFrame({"created_date": pd.to_datetime(["2023-01-05", "2023-05-01"])}),
    ...            start="2023-01-01", end="2023-03-31")
    1
    """
    _need(opportunities, [date_col], "opportunities")
    s, e = _dates(start, end)
    return int(_in(opportunities[date_col], s, e).sum())


def existing_share(orders: pd.DataFrame, customers: pd.DataFrame | None = None, *, start: object, end: object,
                   ) -> tuple[float, int]:
    """Share of net sales from ``start`` to ``end`` that came from existing customers.

    A customer is existing when his first order -- the earlier of
    ``customers.first_order_date`` (if given) and his first row in ``orders`` -- is
    before ``start``.

    Returns
    -------
    tuple
        (share, orders in the window).

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": ["A", "A", "B"],
    ...                        "order_date": pd.to_datetime(["2023-01-10", "2023-07-02", "2023-07-03"]),
    ...                        "amount": [100.0, 70.0, 30.0]})
    >>> existing_share(orders, start="2023-07-01", end="2023-09-30")
    (0.7, 2)
    """
    _need(orders, ["customer_id", "order_date", "amount"], "orders")
    s, e = _dates(start, end)
    first = pd.to_datetime(orders["order_date"]).groupby(orders["customer_id"]).min()
    if customers is not None and "first_order_date" in customers.columns:
        known = pd.to_datetime(customers["first_order_date"]).groupby(customers["customer_id"]).min()
        first = pd.concat([first, known], axis=1).min(axis=1)
    now = orders[_in(orders["order_date"], s, e)]
    old = now["customer_id"].map(first) < s
    amount = now["amount"].astype(float)
    return float(amount[old].sum() / amount.sum()), int(len(now))


def first_deal_rate(reps: pd.DataFrame, opportunities: pd.DataFrame, *, start: object, end: object,
                    days: int = FIRST_DEAL_DAYS, as_of: object = None) -> tuple[float, int]:
    """Share of the reps hired from ``start`` to ``end`` who won a deal within ``days`` of joining.

    Only reps whose first ``days`` days ended by ``as_of`` (default: the latest date in
    ``opportunities``) count.

    Returns
    -------
    tuple
        (first-deal rate, reps hired).

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": ["N1", "N2"], "hire_date": pd.to_datetime(["2023-04-03", "2023-04-10"])})
    >>> opps = pd.DataFrame({"rep_id": ["N1", "N2"], "outcome": ["won", "won"],
    ...                      "created_date": pd.to_datetime(["2023-04-20", "2023-05-01"]),
    ...                      "closed_date": pd.to_datetime(["2023-06-01", "2023-09-20"])})
    >>> first_deal_rate(reps, opps, start="2023-04-01", end="2023-06-30")
    (0.5, 2)
    """
    _need(reps, ["rep_id", "hire_date"], "reps")
    _need(opportunities, ["rep_id", "outcome", "closed_date"], "opportunities")
    s, e = _dates(start, end)
    dates = [c for c in ("created_date", "closed_date") if c in opportunities.columns]
    stamp = (pd.Timestamp(as_of) if as_of is not None
             else max(pd.to_datetime(opportunities[c]).max() for c in dates))
    hire = pd.to_datetime(reps["hire_date"])
    hired = reps[_in(hire, s, e) & (hire + pd.Timedelta(days=days) <= stamp)]
    won = opportunities[opportunities["outcome"].astype(str) == "won"]
    first = pd.to_datetime(won["closed_date"]).groupby(won["rep_id"]).min()
    deal = hired["rep_id"].map(first) <= pd.to_datetime(hired["hire_date"]) + pd.Timedelta(days=days)
    return _share(deal.fillna(False).astype(bool))


def _measure(spec: CaseFigure, tables: Mapping[str, pd.DataFrame]) -> tuple[float, int]:
    s, e = window(spec.period)
    orders, opps = tables["orders"], tables["opportunities"]
    match spec.figure:
        case "sales_yoy":
            return yoy_growth(orders, start=s, end=e)
        case "key_account_renewal":
            return renewal_rate(orders, start=s, end=e, min_acv=KEY_ACCOUNT_MIN)
        case "smb_churn":
            rate, n = renewal_rate(orders, start=s, end=e, max_acv=SMB_MAX)
            return 1 - rate, n
        case "leads":
            n = lead_count(opps, start=s, end=e)
            return float(n), n
        case "lead_change":
            b0, b1 = window(spec.versus or spec.period)
            n, base = lead_count(opps, start=s, end=e), lead_count(opps, start=b0, end=b1)
            return n / base - 1, n
        case "needs_match":
            return needs_match_rate(opps, start=s, end=e)
        case "objection_rate":
            return objection_rate(opps, start=s, end=e)
        case "cycle_days":
            return cycle_days(opps, start=s, end=e)
        case "existing_share":
            return existing_share(orders, tables.get("customers"), start=s, end=e)
        case "first_deal_rate":
            return first_deal_rate(tables["reps"], opps, start=s, end=e)
    raise ParameterError("figures", spec.figure, "figures named in playbook.data.case_study.FIGURES")


def case_figures(tables: Mapping[str, pd.DataFrame], *, figures: tuple[CaseFigure, ...] = FIGURES) -> pd.DataFrame:
    """Measure the case study's figures from the tables, each with its target and tolerance.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        The case company's tables (:func:`generate_case`, or the CSV files it wrote
        loaded with :func:`playbook.data.loading.load_dataset`): ``reps``, ``customers``,
        ``orders`` and ``opportunities`` with its extra columns.
    figures : tuple of CaseFigure
        What to measure; default :data:`FIGURES`.

    Returns
    -------
    DataFrame
        :data:`FIGURE_COLUMNS`, one row per figure, in the order of ``figures``.

    Examples
    --------
    >>> from playbook.data.case_study import generate_case
    >>> f = case_figures(generate_case(seed=7)).set_index(["figure", "stage", "period"])
    >>> f.loc[("key_account_renewal", slice(None), slice(None)), "value"].round(2).tolist()
    [0.85, 0.68, 0.88]
    >>> f.loc[("cycle_days", slice(None), slice(None)), "value"].tolist()
    [52.0, 36.0]
    """
    missing = [name for name in ("reps", "customers", "orders", "opportunities") if name not in tables]
    if missing:
        raise ParameterError("tables", sorted(tables), "the tables reps, customers, orders and opportunities "
                             f"(missing: {', '.join(missing)})")
    rows = []
    for spec in figures:  # a score of figures, each one vectorised
        value, n = _measure(spec, tables)
        within = pd.NA if np.isnan(spec.target) else bool(abs(value - spec.target) <= spec.tolerance + 1e-9)
        rows.append({"figure": spec.figure, "stage": spec.stage, "period": spec.period, "value": float(value),
                     "n": int(n), "target": spec.target, "tolerance": spec.tolerance, "unit": spec.unit,
                     "source": spec.source, "within": within})
    out = pd.DataFrame(rows, columns=FIGURE_COLUMNS)
    out["within"] = out["within"].astype("boolean")
    return out
