"""What-if: commission now and after one more sale (the commission calculator app)."""

from __future__ import annotations

import dataclasses
import math
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from playbook.core.errors import ParameterError
from playbook.core.money import PPM, to_cents
from playbook.incentives.engine import _component_lines, _require_frame
from playbook.incentives.payouts import _frame
from playbook.incentives.plans import RULES, Plan, load_plan

__all__ = ["WHAT_IF_COLUMNS", "commission_lines", "add_sale", "line_changes"]

# --------------------------------------------------------------------------- what-if (commission calculator app)

WHAT_IF_COLUMNS = ["month", "rule", "component", "tier", "rate", "base_cents", "now_cents", "after_cents",
                   "change_cents"]
"""Columns of :func:`line_changes`."""


def commission_lines(
    sales: float | int | Decimal | str,
    *,
    plan: Plan | str,
    component: str | int = 0,
    quota: float | None = None,
) -> pd.DataFrame:
    """Line items of one component's commission on ``sales`` CNY within one tier period (no prior sales).

    The itemised form of :func:`commission_table` for one total: in ``marginal`` mode one
    line per tier reached (its slice x its rate), in ``whole`` mode one line at the
    reached tier's rate on everything; then the cap when it bites. The amounts add up
    to :func:`commission_for_sales` exactly. ``quota`` is the tier period's quota in CNY
    (needed for ``basis: attainment``).

    Returns
    -------
    DataFrame
        ``rule, component, tier, base_cents, rate, amount_cents`` (as in :data:`LINE_COLUMNS`).

    Examples
    --------
    Domain brief section 4: 2,500k CNY at 8/10/12% with thresholds at 1,000k and 2,000k.

    >>> commission_lines(2_500_000, plan="domain_marginal")
             rule  component  tier  base_cents  rate  amount_cents
    0  commission  all_sales     1   100000000  0.08       8000000
    1  commission  all_sales     2   100000000  0.10      10000000
    2  commission  all_sales     3    50000000  0.12       6000000
    >>> commission_lines(2_500_000, plan="domain_whole")[["tier", "base_cents", "rate", "amount_cents"]]
       tier  base_cents  rate  amount_cents
    0     3   250000000  0.12      30000000
    """
    plan = load_plan(plan)
    comps = {c.name: c for c in plan.components}
    if isinstance(component, int) and not isinstance(component, bool) and 0 <= component < len(plan.components):
        comp = plan.components[component]
    elif component in comps:
        comp = comps[str(component)]
    else:
        raise ParameterError("component", component, f"a component of plan {plan.name!r}: {', '.join(comps)}")
    cents = to_cents(sales, name="sales")
    if comp.basis == "attainment" and quota is None:
        raise ParameterError("quota", quota, f"the tier period's quota: component {comp.name!r} has attainment tiers")
    agg = pd.DataFrame({"rep_id": ["0"], "month": np.zeros(1, dtype=np.int64), "gross": [max(cents, 0)],
                        "refund": [min(cents, 0)], "key_renewal": [0], "window": np.zeros(1, dtype=np.int64)})
    agg["net"] = agg["gross"] + agg["refund"]
    wq = None if quota is None else np.array([to_cents(quota, name="quota")], dtype=np.int64)
    lines = _frame(_component_lines(agg, dataclasses.replace(comp, uplift_ppm=None), wq))
    order = {r: i for i, r in enumerate(RULES)}
    lines = lines.assign(_r=lines["rule"].map(order)).sort_values(["_r", "tier"], kind="stable")
    rate = (lines["rate"].to_numpy(np.int64) / PPM).astype(float)
    rate[lines["rate_na"].to_numpy(bool)] = np.nan
    return pd.DataFrame({
        "rule": lines["rule"].astype(str).to_numpy(), "component": lines["component"].astype(str).to_numpy(),
        "tier": lines["tier"].astype("Int64").array, "base_cents": lines["base"].astype("Int64").array,
        "rate": rate, "amount_cents": lines["amount"].to_numpy(np.int64),
    })


def add_sale(
    orders: pd.DataFrame,
    *,
    rep_id: str,
    amount: float,
    on: object,
    product_line: str | None = None,
    customer_id: str = "WHAT-IF",
) -> pd.DataFrame:
    """Return ``orders`` plus one order of ``amount`` CNY closed by ``rep_id`` on ``on`` (a what-if sale).

    The order goes to a customer of its own (``customer_id``), so it is new business,
    not a key-account renewal; ``product_line`` picks the plan component for plans with
    rates per product line. Columns the new order does not fill stay empty
    (``is_refund`` false, ``deal_type`` ``new``). The input is not changed.

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": ["C1"], "rep_id": ["R1"], "order_date": pd.to_datetime(["2025-01-05"]),
    ...                   "amount": [100.0]})
    >>> add_sale(o, rep_id="R1", amount=50, on="2025-03-31")
      customer_id rep_id order_date  amount
    0          C1     R1 2025-01-05   100.0
    1     WHAT-IF     R1 2025-03-31    50.0
    """
    _require_frame(orders, ["customer_id", "rep_id", "order_date", "amount"], "orders")
    try:
        value = float(amount)
    except (TypeError, ValueError):
        raise ParameterError("amount", amount, "an amount in CNY above 0") from None
    if not math.isfinite(value) or value <= 0:
        raise ParameterError("amount", amount, "an amount in CNY above 0")
    try:
        when = pd.Timestamp(on)
    except (TypeError, ValueError):
        raise ParameterError("on", on, "a date such as 2025-09-30") from None
    if pd.isna(when):
        raise ParameterError("on", on, "a date such as 2025-09-30")
    if (orders["customer_id"].astype(str) == str(customer_id)).any():
        raise ParameterError("customer_id", customer_id, "a customer id that is not in the orders yet")
    values: dict[str, Any] = {"customer_id": str(customer_id), "rep_id": str(rep_id), "order_date": when,
                              "amount": value, "order_id": str(customer_id), "product_line": product_line,
                              "is_refund": False, "deal_type": "new"}
    row = {}
    for col in orders.columns:
        item = [values.get(col)]
        try:
            row[col] = pd.Series(item, dtype=orders[col].dtype)
        except (TypeError, ValueError):
            row[col] = pd.Series(item)
    return pd.concat([orders, pd.DataFrame(row)], ignore_index=True)


def line_changes(now: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Line items before and after a change side by side (per month, rule, component, tier and rate).

    ``now`` and ``after`` are line items (from :func:`payout_lines`, one rep's part of a
    :class:`PayoutRun`, or :func:`commission_lines`). Lines with the same key are added
    up; ``base_cents`` is the base after the change (before it, for a line that
    disappears); ``change_cents = after_cents - now_cents``, so the changes add up to
    the change of the total exactly. ``month`` is empty when the lines have none.

    Returns
    -------
    DataFrame
        :data:`WHAT_IF_COLUMNS`, sorted by month, rule (statement order), component and tier.

    Examples
    --------
    >>> now = commission_lines(2_000_000, plan="domain_marginal")
    >>> after = commission_lines(2_500_000, plan="domain_marginal")
    >>> line_changes(now, after)[["tier", "base_cents", "now_cents", "after_cents", "change_cents"]]
       tier  base_cents  now_cents  after_cents  change_cents
    0     1   100000000    8000000      8000000             0
    1     2   100000000   10000000     10000000             0
    2     3    50000000          0      6000000       6000000
    """
    keys = ["month", "rule", "component", "tier", "rate"]
    fill = {"month": pd.Timestamp(0), "component": "", "tier": -1, "rate": -1.0}

    def prepare(lines: pd.DataFrame, where: str) -> pd.DataFrame:
        _require_frame(lines, ["rule", "base_cents", "amount_cents"], where)
        frame = pd.DataFrame({
            "month": pd.to_datetime(lines["month"]) if "month" in lines else pd.Series(pd.NaT, index=lines.index),
            "rule": lines["rule"].astype(str),
            "component": lines["component"].astype(str) if "component" in lines else "",
            "tier": lines["tier"].astype("Int64") if "tier" in lines else pd.Series(pd.NA, index=lines.index,
                                                                                     dtype="Int64"),
            "rate": lines["rate"].astype(float) if "rate" in lines else np.nan,
            "base_cents": lines["base_cents"].astype("Int64"),
            "amount_cents": lines["amount_cents"].astype(np.int64),
        }, index=lines.index)
        frame = frame.fillna(fill).astype({"tier": np.int64, "rate": float})
        return frame.groupby(keys, sort=False)[["base_cents", "amount_cents"]].sum(min_count=1)

    a, b = prepare(now, "now"), prepare(after, "after")
    out = a.merge(b, how="outer", left_index=True, right_index=True, suffixes=("_now", "_after")).reset_index()
    out["base_cents"] = out["base_cents_after"].fillna(out["base_cents_now"]).astype("Int64")
    out["now_cents"] = out["amount_cents_now"].fillna(0).astype(np.int64)
    out["after_cents"] = out["amount_cents_after"].fillna(0).astype(np.int64)
    out["change_cents"] = out["after_cents"] - out["now_cents"]
    order = {r: i for i, r in enumerate(RULES)}
    out = out.assign(_r=out["rule"].map(order)).sort_values(["month", "_r", "component", "tier"], kind="stable")
    out["month"] = out["month"].where(out["month"] != fill["month"])
    out["tier"] = out["tier"].astype("Int64").where(out["tier"] >= 0)
    out["rate"] = out["rate"].where(out["rate"] != fill["rate"])
    return out.reset_index(drop=True)[WHAT_IF_COLUMNS]
