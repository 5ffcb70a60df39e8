"""Customer value: retention, LTV, CAC and payback per channel."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from playbook.core.dates import parse_date
from playbook.core.errors import ParameterError, require_columns
from playbook.core.money import div_money, round_money
from playbook.rfm.scores import UNKNOWN_CHANNEL, _amounts, _dates, _positive_int, _window

__all__ = ["retention_rate", "customer_ltv", "channel_economics"]

# --------------------------------------------------------------------------- LTV and CAC

def _first_orders(orders: pd.DataFrame, end: pd.Timestamp, customer_col: str, date_col: str,
                  amount_col: str) -> pd.Series:
    dates = _dates(orders, date_col, "orders")
    amount = _amounts(orders, amount_col, "orders")
    keep = (amount > 0) & (dates < end + pd.Timedelta(days=1))
    return dates[keep].groupby(orders.loc[keep, customer_col]).min().dt.normalize()


def retention_rate(orders: pd.DataFrame, *, as_of: object, period_days: int = 365,
                   groups: pd.Series | None = None, customer_col: str = "customer_id",
                   date_col: str = "order_date", amount_col: str = "amount") -> Any:
    """Return the share of customers who ordered in the previous period and order again in the last one.

    The last period is the ``period_days`` days ending on ``as_of``; the previous one
    the ``period_days`` days before it. Returns a float, or, with ``groups`` (a
    Series mapping customer id to a group such as the channel), a Series per group.
    NaN where nobody ordered in the previous period.

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": ["A", "A", "B", "C"], "amount": [1.0, 1.0, 1.0, 1.0],
    ...                   "order_date": pd.to_datetime(["2024-03-01", "2025-03-01", "2024-05-01", "2025-05-01"])})
    >>> retention_rate(o, as_of="2025-09-30")
    0.5
    """
    end = parse_date(as_of, "as_of")
    days = _positive_int(period_days, "period_days")
    require_columns(orders, [customer_col, date_col, amount_col], "orders")
    dates = _dates(orders, date_col, "orders")
    amount = _amounts(orders, amount_col, "orders")
    start, stop = _window(end, days)
    prev_start = start - pd.Timedelta(days=days)
    cust = orders[customer_col]
    prev = pd.Index(cust[(amount > 0) & (dates >= prev_start) & (dates < start)].unique())
    cur = pd.Index(cust[(amount > 0) & (dates >= start) & (dates < stop)].unique())
    kept = pd.Series(prev.isin(cur), index=prev)
    if groups is None:
        return float(kept.mean()) if len(kept) else float("nan")
    key = pd.Series(prev.map(groups), index=prev).fillna(UNKNOWN_CHANNEL)
    return kept.groupby(key).mean()


def customer_ltv(orders: pd.DataFrame, *, as_of: object, margin: float = 1.0,
                 retention: float | None = None, period_days: int = 365, max_retention: float = 0.95,
                 customer_col: str = "customer_id", order_col: str = "order_id",
                 date_col: str = "order_date", amount_col: str = "amount") -> pd.DataFrame:
    """Compute historical and predicted lifetime value per customer.

    ``historical_ltv = margin * net_revenue`` (all orders minus refunds up to ``as_of``).

    ``predicted_ltv = margin * annual_value / (1 - retention)``, where
    ``annual_value = purchase_rate * avg_order_value`` is the customer's net spend in
    the last ``period_days`` days scaled to a year (purchase rate = orders per year,
    average order value = net per order), and ``1 / (1 - retention)`` is the expected
    number of years a customer stays when a share ``retention`` of customers orders
    again each year (this year included; no discounting). ``retention`` is estimated
    with :func:`retention_rate` when not given, and capped at ``max_retention``.

    Columns ``customer_id, first_order_date, net_revenue, historical_ltv,
    period_orders, annual_value, predicted_ltv``.

    Examples
    --------
    >>> o = pd.DataFrame({"order_id": ["1", "2", "3"], "customer_id": ["A", "A", "B"],
    ...                   "amount": [1000.0, 2000.0, 500.0],
    ...                   "order_date": pd.to_datetime(["2024-01-10", "2025-06-01", "2025-07-01"])})
    >>> customer_ltv(o, as_of="2025-09-30", margin=0.5, retention=0.6)[
    ...     ["customer_id", "net_revenue", "historical_ltv", "annual_value", "predicted_ltv"]]
      customer_id  net_revenue  historical_ltv  annual_value  predicted_ltv
    0           A       3000.0          1500.0        2000.0         2500.0
    1           B        500.0           250.0         500.0          625.0
    """
    require_columns(orders, [customer_col, order_col, date_col, amount_col], "orders")
    end = parse_date(as_of, "as_of")
    days = _positive_int(period_days, "period_days")
    rate = _retention(orders, retention, end, days, max_retention, customer_col, date_col, amount_col)
    _check_margin(margin)
    dates = _dates(orders, date_col, "orders")
    amount = _amounts(orders, amount_col, "orders")
    first = _first_orders(orders, end, customer_col, date_col, amount_col)
    upto = dates < end + pd.Timedelta(days=1)
    net = amount[upto].groupby(orders.loc[upto, customer_col]).sum()
    start, _ = _window(end, days)
    recent = upto & (dates >= start)
    period_net = amount[recent].groupby(orders.loc[recent, customer_col]).sum()
    period_orders = orders.loc[recent & (amount > 0)].groupby(customer_col)[order_col].nunique()
    out = pd.DataFrame({"customer_id": first.index.to_numpy(), "first_order_date": first.to_numpy()})
    out["net_revenue"] = round_money(net.reindex(first.index, fill_value=0.0).to_numpy())
    out["historical_ltv"] = round_money(out["net_revenue"] * margin)
    out["period_orders"] = period_orders.reindex(first.index, fill_value=0).to_numpy().astype("int64")
    out["annual_value"] = round_money((period_net.reindex(first.index, fill_value=0.0) * 365.0 / days).to_numpy())
    out["predicted_ltv"] = round_money(margin * out["annual_value"] / (1.0 - rate))
    return out


def _check_margin(margin: float) -> None:
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not 0 < margin <= 1:
        raise ParameterError("margin", margin, "a gross margin between 0 and 1 (1 = count revenue), e.g. 0.6")


def _retention(orders: pd.DataFrame, retention: float | None, end: pd.Timestamp, days: int, cap: float,
               customer_col: str, date_col: str, amount_col: str) -> float:
    if retention is not None:
        if isinstance(retention, bool) or not isinstance(retention, (int, float)) or not 0 <= retention < 1:
            raise ParameterError("retention", retention, "a yearly retention rate from 0 up to (not including) 1")
        return float(retention)
    rate = retention_rate(orders, as_of=end, period_days=days, customer_col=customer_col, date_col=date_col,
                          amount_col=amount_col)
    if np.isnan(rate):
        raise ParameterError(
            "retention", None,
            f"a rate such as 0.6: no customer ordered in the {days} days before the last {days} days, "
            "so retention cannot be estimated from the data",
        )
    return min(rate, cap)


def channel_economics(orders: pd.DataFrame, customers: pd.DataFrame, channel_spend: pd.DataFrame | None, *,
                      as_of: object, period_days: int = 365, margin: float = 1.0,
                      retention: float | None = None, max_retention: float = 0.95,
                      customer_col: str = "customer_id", order_col: str = "order_id",
                      date_col: str = "order_date", amount_col: str = "amount",
                      channel_col: str = "channel") -> pd.DataFrame:
    """Compute CAC, LTV, LTV/CAC and payback per acquisition channel, flagging channels with ROI < 1.

    Over the ``period_days`` days ending on ``as_of``:

    - ``spend``: ``channel_spend`` in the period (a month only partly inside is
      pro-rated by days; no table = no spend); ``new_customers``: customers of the channel
      (``customers.channel``) whose first order ever falls in the period;
      ``cac = spend / new_customers`` (NaN without new customers).
    - ``active_customers``: the channel's customers with an order in the period;
      ``purchase_rate``: their orders per customer per year; ``avg_order_value``: net
      revenue per order; ``annual_value = purchase_rate * avg_order_value``.
    - ``retention``: the channel's :func:`retention_rate` (the overall rate where the
      channel had no customers in the previous period, or the ``retention`` given),
      capped at ``max_retention``.
    - ``ltv = margin * annual_value / (1 - retention)`` (as :func:`customer_ltv`);
      ``historical_ltv``: margin times the mean net revenue to date of the channel's
      customers.
    - ``ltv_cac = ltv * new_customers / spend``, i.e. LTV/CAC, the channel's ROI
      (0 when spend bought no customer, NaN without spend);
      ``payback_months = cac / (margin * annual_value / 12)``.
    - ``roi_below_1``: ``ltv_cac < 1`` - the domain's rule is to cut such channels.

    Customers without a channel count under ``"unknown"``. One row per channel in
    ``customers`` or ``channel_spend``, sorted by ``ltv_cac`` (worst first).

    Examples
    --------
    >>> orders = pd.DataFrame({"order_id": ["1", "2", "3", "4"], "customer_id": ["A", "A", "B", "C"],
    ...     "amount": [1000.0, 1000.0, 300.0, 500.0],
    ...     "order_date": pd.to_datetime(["2024-05-01", "2025-05-01", "2025-02-01", "2025-03-01"])})
    >>> customers = pd.DataFrame({"customer_id": ["A", "B", "C"], "channel": ["referral", "ads", "ads"]})
    >>> spend = pd.DataFrame({"channel": ["ads", "referral"], "month": pd.to_datetime(["2025-02-01"] * 2),
    ...                       "spend": [2000.0, 100.0]})
    >>> e = channel_economics(orders, customers, spend, as_of="2025-09-30", retention=0.5)
    >>> e[["channel", "spend", "new_customers", "cac", "ltv", "ltv_cac", "roi_below_1"]]
        channel   spend  new_customers     cac     ltv  ltv_cac  roi_below_1
    0  referral   100.0              0     NaN  2000.0      0.0         True
    1       ads  2000.0              2  1000.0   800.0      0.8         True
    """
    require_columns(orders, [customer_col, order_col, date_col, amount_col], "orders")
    require_columns(customers, [customer_col, channel_col], "customers")
    if channel_spend is None:
        channel_spend = pd.DataFrame({"channel": pd.Series([], dtype="str"),
                                      "month": pd.Series([], dtype="datetime64[ns]"),
                                      "spend": pd.Series([], dtype="float64")})
    require_columns(channel_spend, ["channel", "month", "spend"], "channel_spend")
    end = parse_date(as_of, "as_of")
    days = _positive_int(period_days, "period_days")
    _check_margin(margin)
    overall = _retention(orders, retention, end, days, max_retention, customer_col, date_col, amount_col)
    start, stop = _window(end, days)

    chan = customers.drop_duplicates(customer_col).set_index(customer_col)[channel_col]
    chan = chan.astype("str").where(chan.notna(), UNKNOWN_CHANNEL)

    month = pd.to_datetime(channel_spend["month"]).dt.to_period("M")
    m_start, m_end = month.dt.start_time.dt.normalize(), month.dt.end_time.dt.normalize()
    lo = m_start.where(m_start > start, start)
    hi = m_end.where(m_end < end, end)
    overlap = ((hi - lo).dt.days + 1).clip(lower=0)
    spend_amt = _amounts(channel_spend, "spend", "channel_spend") * overlap / month.dt.days_in_month
    spend = spend_amt.groupby(channel_spend["channel"].astype("str")).sum()

    first = _first_orders(orders, end, customer_col, date_col, amount_col)
    first_chan = pd.Series(first.index.map(chan), index=first.index).fillna(UNKNOWN_CHANNEL)
    new = first_chan[first >= start].value_counts()

    dates = _dates(orders, date_col, "orders")
    amount = _amounts(orders, amount_col, "orders")
    recent = (dates >= start) & (dates < stop)
    rows = orders.loc[recent, [customer_col, order_col]].assign(_a=amount[recent])
    rows["_ch"] = rows[customer_col].map(chan).fillna(UNKNOWN_CHANNEL)
    pos = rows[rows["_a"] > 0]
    active = pos.groupby("_ch")[customer_col].nunique()
    n_orders = pos.drop_duplicates([customer_col, order_col]).groupby("_ch").size()
    net = rows.groupby("_ch")["_a"].sum()

    upto = dates < stop
    net_all = amount[upto].groupby(orders.loc[upto, customer_col]).sum()
    hist = pd.Series(net_all.reindex(first.index).to_numpy(), index=first_chan.to_numpy()).groupby(level=0).mean()

    if retention is None:
        by_chan = retention_rate(orders, as_of=end, period_days=days, groups=chan, customer_col=customer_col,
                                 date_col=date_col, amount_col=amount_col)
    else:
        by_chan = pd.Series(dtype="float64")

    channels = sorted(set(spend.index) | set(chan.unique()) | set(first_chan.unique()))
    out = pd.DataFrame(index=pd.Index(channels, name="channel", dtype="str"))
    out["spend"] = round_money(spend.reindex(out.index, fill_value=0.0))
    out["new_customers"] = new.reindex(out.index, fill_value=0).astype("int64")
    out["cac"] = div_money(out["spend"], out["new_customers"])
    out["active_customers"] = active.reindex(out.index, fill_value=0).astype("int64")
    years = days / 365.0
    act = out["active_customers"].where(out["active_customers"] > 0)
    out["purchase_rate"] = (n_orders.reindex(out.index, fill_value=0) / act / years).round(3)
    out["avg_order_value"] = div_money(net.reindex(out.index), n_orders.reindex(out.index))
    out["annual_value"] = round_money(net.reindex(out.index) / act / years)
    out["retention"] = by_chan.reindex(out.index).fillna(overall).clip(upper=max_retention).round(4)
    out["ltv"] = round_money(margin * out["annual_value"] / (1.0 - out["retention"]))
    out["historical_ltv"] = round_money(margin * hist.reindex(out.index))
    value = out["ltv"].fillna(0.0) * out["new_customers"]
    out["ltv_cac"] = (value / out["spend"].where(out["spend"] > 0)).round(2)
    monthly = margin * out["annual_value"] / 12.0
    out["payback_months"] = (out["cac"] / monthly.where(monthly > 0)).round(1)
    out["roi_below_1"] = (out["ltv_cac"] < 1).fillna(False).astype(bool)
    out = out.reset_index()
    out["_k"] = out["ltv_cac"].fillna(np.inf)
    return out.sort_values(["_k", "channel"], kind="stable").drop(columns="_k").reset_index(drop=True)
