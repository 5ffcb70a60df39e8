"""Benchmark of incentives: a year of payouts for 2,000 reps from about 1,000,000 orders.

The baseline is a naive per-rep, per-month Python loop (the way a spreadsheet macro
computes commissions), measured in the same run on the same data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.bench import Result, compare
from playbook.core.money import mul_ppm, to_cents
from playbook.incentives import load_plan, parse_period, run_plan

__all__ = ["CASES", "synthetic_company", "naive_payouts"]


def synthetic_company(n_reps: int, orders_per_rep: int, *, year: int = 2024, seed: int = 7) -> dict[str, pd.DataFrame]:
    """Reps, a year of orders (about 1% refunds) and monthly quotas, made with ``seed``.

    Examples
    --------
    >>> data = synthetic_company(3, 10)
    >>> len(data["reps"]), len(data["orders"]), len(data["quotas"])
    (3, 30, 36)
    """
    rng = np.random.default_rng(seed)
    reps = pd.DataFrame({
        "rep_id": [f"R{i:05d}" for i in range(n_reps)],
        "name": [f"Rep {i}" for i in range(n_reps)],
        "team": [f"T{i % 20:02d}" for i in range(n_reps)],
        "hire_date": pd.Timestamp(f"{year - 3}-01-01"),
        "base_salary": rng.integers(60, 150, n_reps) * 100.0,
    })
    n = n_reps * orders_per_rep
    skill = rng.lognormal(0.0, 0.35, n_reps)
    rep_idx = np.repeat(np.arange(n_reps), orders_per_rep)
    amount = np.round(rng.lognormal(8.5, 0.8, n) * skill[rep_idx], 2)
    refund = rng.random(n) < 0.01
    amount = np.where(refund, -np.round(amount * 0.5, 2), amount)
    day = rng.integers(0, 365, n)
    orders = pd.DataFrame({
        "order_id": [f"O{i:08d}" for i in range(n)],
        "customer_id": [f"C{c:07d}" for c in rng.integers(0, max(n // 8, 1), n)],
        "rep_id": reps["rep_id"].to_numpy()[rep_idx],
        "order_date": pd.Timestamp(f"{year}-01-01") + pd.to_timedelta(day, unit="D"),
        "amount": amount,
        "is_refund": refund,
    })
    monthly = orders_per_rep * np.exp(8.5 + 0.32) / 12 * skill
    quotas = pd.DataFrame({
        "rep_id": np.repeat(reps["rep_id"].to_numpy(), 12),
        "month": np.tile(pd.date_range(f"{year}-01-01", periods=12, freq="MS"), n_reps),
        "quota": np.round(np.repeat(monthly, 12) * rng.uniform(0.8, 1.2, 12 * n_reps), -2),
    })
    return {"reps": reps, "orders": orders, "quotas": quotas}


def naive_payouts(orders: pd.DataFrame, reps: pd.DataFrame, quotas: pd.DataFrame, *, plan: object,
                  period: str) -> pd.DataFrame:
    """Baseline: commission and bonus per rep with Python loops over reps, months and tiers.

    Handles plans with one amount-based commission component over all orders (marginal
    or whole) with yearly tiers, clawback and the monthly bonus, such as
    ``domain_marginal``; it gives the same cents as :func:`playbook.incentives.run_plan`
    (a test checks this).
    """
    plan = load_plan(plan)
    comp = plan.components[0]
    lows = [t.lower for t in comp.tiers]
    rates = [t.rate_ppm for t in comp.tiers]
    first, last = parse_period(period)
    start = pd.Period(year=first.year, month=1, freq="M")

    def tier(s: int) -> int:
        k = 0
        for i in range(1, len(lows)):
            if s > lows[i] or (s == lows[i] and comp.at_boundary == "upper_tier"):
                k = i
        return k

    def move(a: int, b: int) -> int:  # commission lines for cumulative sales moving from a to b
        if comp.mode == "marginal":
            total = 0
            for k in range(len(lows)):
                lo = lows[k] if k else -(2**62)
                hi = lows[k + 1] if k + 1 < len(lows) else 2**62
                piece = min(max(b, lo), hi) - min(max(a, lo), hi)
                if piece:
                    total += int(mul_ppm(piece, rates[k]))
            return total
        ra, rb = rates[tier(a)], rates[tier(b)]
        return int(mul_ppm(b - a, rb)) + (int(mul_ppm(a, rb - ra)) if a and rb != ra else 0)

    rows = []
    for rep_id, salary in zip(reps["rep_id"], reps["base_salary"], strict=True):
        mine = orders[orders["rep_id"] == rep_id]
        my_quota = quotas[quotas["rep_id"] == rep_id]
        cum, commission, bonus = 0, 0, 0
        month = start
        while month <= last:
            in_month = mine[mine["order_date"].dt.to_period("M") == month]
            cents = [to_cents(a) for a in in_month["amount"]]
            gross = sum(c for c in cents if c > 0)
            refunds = sum(c for c in cents if c < 0) if plan.clawback else 0
            paid = move(cum, cum + gross) + move(cum + gross, cum + gross + refunds)
            cum += gross + refunds
            if month >= first:
                commission += paid
                q = my_quota[my_quota["month"].dt.to_period("M") == month]
                if plan.bonus_bands and len(q) and q["quota"].iloc[0] > 0:
                    quota = to_cents(q["quota"].iloc[0])
                    net = sum(cents)
                    for min_ppm, share in plan.bonus_bands:
                        if net * 1_000_000 >= min_ppm * quota:
                            bonus += int(mul_ppm(to_cents(salary), share))
                            break
            month += 1
        rows.append({"rep_id": rep_id, "commission_cents": commission, "bonus_cents": bonus,
                     "total_cents": commission + bonus})
    return pd.DataFrame(rows)


def _bench_payouts(scale: float) -> list[Result]:
    n_reps = max(int(2000 * scale), 10)
    data = synthetic_company(n_reps, 500)
    orders, reps, quotas = data["orders"], data["reps"], data["quotas"]
    seconds, base, run, naive = compare(
        lambda: run_plan(orders, reps, quotas, plan="domain_marginal", period="2024"),
        lambda: naive_payouts(orders, reps, quotas, plan="domain_marginal", period="2024"), repeat=1)
    got = run.by_rep.set_index("rep_id")["total_cents"]
    assert (naive.set_index("rep_id")["total_cents"].reindex(got.index) == got).all(), "baseline disagrees"
    return [Result(f"payouts, {n_reps} reps x 12 months (domain_marginal)", len(orders), seconds,
                   "per-rep, per-month Python loop (same cents)", base, kind="naive", repeats=1)]


CASES = {"incentives": (_bench_payouts, 0.25, 0.05)}  # the naive loop takes ~25 s for 500 reps
