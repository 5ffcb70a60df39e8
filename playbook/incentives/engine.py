"""Exact integer arithmetic (cents, parts per million) and the preparation of the inputs of a payout run."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

import numpy as np
import pandas as pd

from playbook.core.errors import InputError, MissingColumnsError, ParameterError
from playbook.core.money import MAX_CENTS, cents, mul_ppm
from playbook.incentives.plans import _BIG, Component, Plan, PlanError

__all__ = []

# --------------------------------------------------------------------------- arithmetic


def _month_ordinal(dates: pd.Series) -> np.ndarray:
    values = pd.to_datetime(dates).to_numpy(dtype="datetime64[ns]")
    return values.astype("datetime64[M]").astype(np.int64)


def _month_ts(ordinals: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(ordinals, dtype=np.int64).astype("datetime64[M]").astype("datetime64[ns]"))


def _window(ordinals: np.ndarray, tier_period: str) -> np.ndarray:
    size = {"month": 1, "quarter": 3, "year": 12}[tier_period]
    return ordinals - ordinals % size


def _bounds(comp: Component, window_quota: np.ndarray | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bound of each tier per row, in cents; tier 1 open below, last open above."""
    lows = np.array([t.lower for t in comp.tiers], dtype=np.int64)
    if comp.basis == "amount":
        lower = np.broadcast_to(lows, (n, len(lows))).copy()
    else:
        q = np.asarray(window_quota, dtype=np.int64)
        lower = mul_ppm(q[:, None], lows[None, :])
        lower[q <= 0, 1:] = _BIG  # no quota: only the first tier can be reached
    lower[:, 0] = -_BIG
    upper = np.concatenate([lower[:, 1:], np.full((n, 1), _BIG, dtype=np.int64)], axis=1)
    return lower, upper


def _tier_of(s: np.ndarray, lower: np.ndarray, at_boundary: str) -> np.ndarray:
    """Index of the tier cumulative sales ``s`` are in; at a boundary by the plan's ``at_boundary``."""
    if at_boundary == "upper_tier":
        return (s[:, None] >= lower[:, 1:]).sum(axis=1)
    return (s[:, None] > lower[:, 1:]).sum(axis=1)


def _component_lines(agg: pd.DataFrame, comp: Component, window_quota: np.ndarray | None) -> list[dict]:
    """Line items of one component from its (rep, month) aggregates (sorted, one window each)."""
    n = len(agg)
    if n == 0:
        return []
    rates = np.array([t.rate_ppm for t in comp.tiers], dtype=np.int64)
    gross = agg["gross"].to_numpy(np.int64)
    refund = agg["refund"].to_numpy(np.int64)
    s1 = agg.groupby(["rep_id", "window"], sort=False)["net"].cumsum().to_numpy(np.int64)
    s0 = s1 - gross - refund
    sg = s0 + gross
    lower, upper = _bounds(comp, window_quota, n)
    rep, month = agg["rep_id"].to_numpy(), agg["month"].to_numpy(np.int64)
    out: list[dict] = []

    def add(rule: str, mask: np.ndarray, base: np.ndarray, rate: np.ndarray, tier: np.ndarray | None) -> None:
        mask = mask & (base != 0)
        if mask.any():
            out.append({"rep_id": rep[mask], "month": month[mask], "rule": rule, "component": comp.name,
                        "tier": None if tier is None else tier[mask], "base": base[mask], "rate": rate[mask],
                        "amount": mul_ppm(base[mask], rate[mask])})

    if comp.mode == "marginal":
        for k in range(len(rates)):
            lo, hi = lower[:, k], upper[:, k]
            up = np.clip(sg, lo, hi) - np.clip(s0, lo, hi)
            down = np.clip(s1, lo, hi) - np.clip(sg, lo, hi)
            tier = np.full(n, k + 1)
            add("commission", up > 0, up, np.full(n, rates[k]), tier)
            add("clawback", down < 0, down, np.full(n, rates[k]), tier)
    else:
        side = comp.at_boundary
        k0, kg, k1 = _tier_of(s0, lower, side), _tier_of(sg, lower, side), _tier_of(s1, lower, side)
        r0, rg, r1 = rates[k0], rates[kg], rates[k1]
        add("commission", gross > 0, gross, rg, kg + 1)
        add("tier_true_up", rg != r0, s0, rg - r0, kg + 1)
        add("clawback", refund < 0, refund, r1, k1 + 1)
        add("tier_true_up", r1 != rg, sg, r1 - rg, k1 + 1)

    if comp.cap_cents is not None and out:
        frame = pd.DataFrame({"rep_id": np.concatenate([o["rep_id"] for o in out]),
                              "month": np.concatenate([o["month"] for o in out]),
                              "amount": np.concatenate([o["amount"] for o in out])})
        frame = frame.groupby(["rep_id", "month"], sort=True)["amount"].sum().reset_index()
        frame["window"] = _window(frame["month"].to_numpy(np.int64), comp.tier_period)
        cum = frame.groupby(["rep_id", "window"], sort=False)["amount"].cumsum().to_numpy(np.int64)
        capped = np.minimum(cum, comp.cap_cents)
        prev_cum = cum - frame["amount"].to_numpy(np.int64)
        prev_capped = np.minimum(prev_cum, comp.cap_cents)
        adj = (capped - prev_capped) - (cum - prev_cum)
        m = adj != 0
        if m.any():
            out.append({"rep_id": frame["rep_id"].to_numpy()[m], "month": frame["month"].to_numpy()[m],
                        "rule": "cap", "component": comp.name, "tier": None, "base": cum[m], "rate": None,
                        "amount": adj[m], "ref": str(Decimal(comp.cap_cents) / 100)})

    if comp.uplift_ppm is not None:
        key_net = agg["key_renewal"].to_numpy(np.int64)
        k1 = _tier_of(s1, lower, comp.at_boundary)
        rate = mul_ppm(rates[k1], comp.uplift_ppm)
        add("renewal_uplift", key_net != 0, key_net, rate, k1 + 1)
    return out


# --------------------------------------------------------------------------- inputs


def _require_frame(frame: pd.DataFrame | None, columns: list[str], where: str, *, rule: str | None = None
                   ) -> pd.DataFrame:
    """Return ``frame`` (table ``where``, needed by plan rule ``rule`` if given) if it has ``columns``."""
    if rule is not None:
        where = f"{where} (needed by rule {rule})"
    if frame is None:
        raise ParameterError(where, None, f"a DataFrame with columns {', '.join(columns)}",
                             code="incentives.data.table_needed_by" if rule else "incentives.data.table_needed",
                             params={"where": where, "columns": columns, "table": where.split(" ")[0],
                                     "rule": rule or ""})
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MissingColumnsError(missing, present=frame.columns, where=where)
    return frame


def _rename(frame: pd.DataFrame | None, columns: Mapping[str, str] | None) -> pd.DataFrame | None:
    if frame is None or not columns:
        return frame
    inverse = {user: kit for kit, user in columns.items() if user in frame.columns}
    return frame.rename(columns=inverse)


def _to_cents(values: pd.Series, where: str) -> np.ndarray:
    """Amounts of an input column as int64 cents (:func:`playbook.core.money.cents`), checked."""
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna()
    if bad.any():
        raise InputError(f"{where}: {int(bad.sum())} value(s) missing or not a number (first: "
                         f"{values[bad].iloc[0]!r}). Fill in the amounts or drop those rows.",
                         code="incentives.data.not_numbers",
                         params={"where": where, "n": int(bad.sum()), "value": repr(values[bad].iloc[0])})
    amounts = numbers.to_numpy(dtype=float)
    too_big = InputError(f"{where}: the amounts add up to more than 90 billion CNY, beyond what the kit "
                         "computes exactly. Split the data by team or period.", code="incentives.data.too_big",
                         params={"where": where})
    if not np.abs(amounts).sum() * 100 < MAX_CENTS:  # also an infinite amount
        raise too_big
    out = cents(amounts, name=where)
    if np.abs(out).sum() > MAX_CENTS:
        raise too_big
    return out


def _first_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """Each customer's first positive order: customer_id, rep_id, date (ties: order_id)."""
    pos = orders.loc[orders["amount"] > 0, [c for c in ("order_id", "customer_id", "rep_id", "order_date")
                                            if c in orders.columns]]
    keys = ["order_date", "order_id"] if "order_id" in pos.columns else ["order_date"]
    pos = pos.assign(order_date=pd.to_datetime(pos["order_date"])).sort_values(keys, kind="stable")
    return pos.drop_duplicates("customer_id")[["customer_id", "rep_id", "order_date"]]


def _prepare_orders(orders: pd.DataFrame, plan: Plan, customers: pd.DataFrame | None,
                    key_accounts: Iterable[str] | None) -> pd.DataFrame:
    """Orders with amount_cents, month ordinal, refund flag, component index and key-renewal flag."""
    _require_frame(orders, ["customer_id", "rep_id", "order_date", "amount"], "orders")
    amount_cents = _to_cents(orders["amount"], "orders.amount")
    if "is_refund" in orders.columns:
        flag = orders["is_refund"].fillna(False).astype(bool).to_numpy()
        unmarked = (amount_cents < 0) & ~flag
        if unmarked.any():
            ids = orders.loc[unmarked, "order_id" if "order_id" in orders else "customer_id"].astype(str).head(5)
            raise PlanError(plan.name, "clawback", f"{int(unmarked.sum())} order(s) have a negative amount but are "
                            f"not marked as refunds (is_refund false): {', '.join(ids)}.",
                            "Mark refunds with is_refund = true, or correct the amounts.",
                            code="incentives.data.refund_unmarked", params={"n": int(unmarked.sum()), "ids": list(ids)})
        wrong = (amount_cents > 0) & flag
        if wrong.any():
            ids = orders.loc[wrong, "order_id" if "order_id" in orders else "customer_id"].astype(str).head(5)
            raise PlanError(plan.name, "clawback", f"{int(wrong.sum())} refund row(s) have a positive amount: "
                            f"{', '.join(ids)}.", "Refunds carry negative amounts.",
                            code="incentives.data.refund_positive", params={"n": int(wrong.sum()), "ids": list(ids)})
    refund = amount_cents < 0
    dates = pd.to_datetime(orders["order_date"])
    if dates.isna().any():
        raise InputError(f"orders.order_date: {int(dates.isna().sum())} date(s) missing. Fill them in.",
                         code="incentives.data.dates_missing", params={"n": int(dates.isna().sum())})
    out = pd.DataFrame({"rep_id": orders["rep_id"].astype(str).to_numpy(),
                        "customer_id": orders["customer_id"].astype(str).to_numpy(),
                        "month": _month_ordinal(dates), "cents": amount_cents, "refund": refund})

    # new vs renewal business: an order on the customer's first-order day is new
    if "deal_type" in orders.columns:
        out["deal_type"] = orders["deal_type"].astype(str).str.strip().str.lower().to_numpy()
        bad = ~out["deal_type"].isin(["new", "renewal"])
        if bad.any():
            raise InputError(f"orders.deal_type: {int(bad.sum())} value(s) are neither 'new' nor 'renewal' "
                             f"(first: {out.loc[bad, 'deal_type'].iloc[0]!r}).", code="incentives.data.deal_type",
                             params={"n": int(bad.sum()), "value": repr(out.loc[bad, "deal_type"].iloc[0])})
    else:
        first = _first_orders(orders).set_index("customer_id")["order_date"]
        first_day = pd.Series(pd.to_datetime(first).reindex(out["customer_id"]).to_numpy()).dt.normalize().to_numpy()
        out["deal_type"] = np.where(dates.dt.normalize().to_numpy() <= first_day, "new", "renewal")

    product = orders["product_line"].astype(str).to_numpy() if "product_line" in orders.columns else None
    comp = np.full(len(out), -1, dtype=np.int64)
    for i, c in enumerate(plan.components):
        mask = out["deal_type"].isin(c.deal_types).to_numpy()
        if c.product_lines is not None:
            if product is None:
                raise PlanError(plan.name, f"commission {c.name!r}", "sets rates per product line but the orders "
                                "have no product_line column.", "Map the CRM's product column to product_line.",
                                code="incentives.data.no_product_line")
            known = set(pd.unique(product))
            unknown = [p for p in c.product_lines if p not in known]
            if unknown:
                raise PlanError(plan.name, f"commission {c.name!r}", f"product line(s) {', '.join(unknown)} do not "
                                f"occur in the orders (found: {', '.join(sorted(map(str, known)))}).",
                                "Correct the plan's products list.", code="incentives.data.unknown_products",
                                params={"unknown": unknown, "found": sorted(map(str, known))})
            mask = mask & np.isin(product, c.product_lines)
        comp[mask] = i
    out["comp"] = comp

    out["key"] = False
    if plan.key_accounts is not None and any(c.uplift_ppm is not None for c in plan.components):
        if key_accounts is not None:
            keys = set(map(str, key_accounts))
            out["key"] = out["customer_id"].isin(keys).to_numpy()
        elif plan.key_accounts["column"]:
            col = plan.key_accounts["column"]
            if customers is None or col not in customers.columns:
                raise PlanError(plan.name, "key_accounts", f"needs the customers table with column {col!r}.",
                                code="incentives.data.key_accounts_column", params={"column": repr(col)})
            flags = customers.set_index(customers["customer_id"].astype(str))[col].fillna(False).astype(bool)
            out["key"] = out["customer_id"].map(flags).fillna(False).astype(bool).to_numpy()
        else:
            year = out["month"].to_numpy() // 12
            per_year = out.assign(year=year).groupby(["customer_id", "year"])["cents"].sum()
            prior = pd.MultiIndex.from_arrays([out["customer_id"], year - 1])
            prior_sales = per_year.reindex(prior).fillna(0).to_numpy()
            out["key"] = prior_sales >= plan.key_accounts["min_cents"]
    return out


def _employed_months(reps: pd.DataFrame, start: int, end: int) -> pd.DataFrame:
    """(rep_id, month) for every month from ``start`` to ``end`` a rep was employed."""
    months = np.arange(start, end + 1, dtype=np.int64)
    ids = reps["rep_id"].astype(str).to_numpy()
    grid = pd.DataFrame({"rep_id": np.repeat(ids, len(months)), "month": np.tile(months, len(ids))})
    keep = np.ones(len(grid), dtype=bool)
    if "hire_date" in reps.columns:
        hire = pd.to_datetime(reps["hire_date"])
        hire_m = np.where(hire.isna(), np.iinfo(np.int64).min, _month_ordinal(hire.fillna(pd.Timestamp(0))))
        keep &= grid["month"].to_numpy() >= np.repeat(hire_m, len(months))
    if "leave_date" in reps.columns:
        leave = pd.to_datetime(reps["leave_date"])
        leave_m = np.where(leave.isna(), np.iinfo(np.int64).max, _month_ordinal(leave.fillna(pd.Timestamp(0))))
        keep &= grid["month"].to_numpy() <= np.repeat(leave_m, len(months))
    return grid[keep].reset_index(drop=True)


def _active_reps(reps: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    active = _employed_months(reps, first, last)["rep_id"].unique()
    return reps[reps["rep_id"].astype(str).isin(active)]


def _quota_months(quotas: pd.DataFrame | None) -> pd.DataFrame:
    if quotas is None:
        return pd.DataFrame({"rep_id": pd.Series([], dtype=str), "month": np.array([], dtype=np.int64),
                             "quota": np.array([], dtype=np.int64)})
    _require_frame(quotas, ["rep_id", "month", "quota"], "quotas")
    q = pd.DataFrame({"rep_id": quotas["rep_id"].astype(str).to_numpy(), "month": _month_ordinal(quotas["month"]),
                      "quota": _to_cents(quotas["quota"], "quotas.quota")})
    return q.groupby(["rep_id", "month"], as_index=False)["quota"].sum()
