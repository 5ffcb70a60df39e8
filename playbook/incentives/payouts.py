"""Payouts: one line per rep, month, rule and tier; per-rep totals; plan runs and comparisons."""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from playbook.core.errors import InputError, ParameterError, PlaybookWarning
from playbook.core.money import PPM, cents, mul_ppm, to_cents
from playbook.incentives.engine import (
    _active_reps,
    _component_lines,
    _employed_months,
    _first_orders,
    _month_ordinal,
    _month_ts,
    _prepare_orders,
    _quota_months,
    _rename,
    _require_frame,
    _to_cents,
    _window,
)
from playbook.incentives.plans import (
    _CATEGORIES,
    COMPARE_COLUMNS,
    LINE_COLUMNS,
    REP_COLUMNS,
    RULE_CATEGORY,
    RULES,
    SUMMARY_COLUMNS,
    Component,
    Plan,
    PlanError,
    load_plan,
    parse_period,
)

__all__ = [
    "PayoutRun", "commission_table", "commission_for_sales", "payout_lines", "rep_payouts", "run_plan",
    "plan_summary", "compare_plans"
]

# --------------------------------------------------------------------------- payouts


def _frame(parts: list[dict]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame({"rep_id": pd.Series([], dtype=str), "month": np.array([], dtype=np.int64),
                             "rule": pd.Series([], dtype=str), "component": pd.Series([], dtype=str),
                             "tier": pd.array([], dtype="Int64"), "ref": pd.Series([], dtype=str),
                             "base": pd.array([], dtype="Int64"), "rate": np.array([], dtype=np.int64),
                             "amount": np.array([], dtype=np.int64), "rate_na": np.array([], dtype=bool)})
    frames = []
    for p in parts:
        n = len(p["amount"])
        frames.append(pd.DataFrame({
            "rep_id": np.asarray(p["rep_id"]).astype(str), "month": np.asarray(p["month"], dtype=np.int64),
            "rule": p["rule"], "component": p.get("component") or "",
            "tier": pd.array(np.full(n, pd.NA) if p.get("tier") is None else p["tier"], dtype="Int64"),
            "ref": np.full(n, p["ref"], dtype=object) if isinstance(p.get("ref"), str)
            else (np.full(n, "", dtype=object) if p.get("ref") is None else np.asarray(p["ref"], dtype=object)),
            "base": pd.array(np.full(n, pd.NA) if p.get("base") is None else p["base"], dtype="Int64"),
            "rate": np.zeros(n, dtype=np.int64) if p.get("rate") is None else np.asarray(p["rate"], dtype=np.int64),
            "rate_na": np.full(n, p.get("rate") is None),
            "amount": np.asarray(p["amount"], dtype=np.int64),
        }))
    return pd.concat(frames, ignore_index=True)


def _commission_parts(plan: Plan, o: pd.DataFrame, q: pd.DataFrame, start: int, last: int) -> list[dict]:
    """Commission, clawback, cap and uplift lines of every component, months ``start..last``."""
    in_range = (o["month"] >= start) & (o["month"] <= last)
    parts: list[dict] = []
    for i, comp in enumerate(plan.components):
        mine = o[in_range & (o["comp"] == i)]
        if not plan.clawback:
            mine = mine[~mine["refund"]]
        agg = mine.assign(
            gross=np.where(mine["refund"], 0, mine["cents"]), refund=np.where(mine["refund"], mine["cents"], 0),
            key_renewal=np.where(mine["key"] & (mine["deal_type"] == "renewal"), mine["cents"], 0),
        ).groupby(["rep_id", "month"], as_index=False, sort=True)[["gross", "refund", "key_renewal"]].sum()
        agg["net"] = agg["gross"] + agg["refund"]
        agg["window"] = _window(agg["month"].to_numpy(np.int64), comp.tier_period)
        window_quota = None if comp.basis != "attainment" else _window_quota(plan, comp, agg, q, start)
        parts += _component_lines(agg, comp, window_quota)
    return parts


def _window_quota(plan: Plan, comp: Component, agg: pd.DataFrame, q: pd.DataFrame, start: int) -> np.ndarray:
    """Quota (cents) of each aggregate row's tier period; warns about reps without one."""
    wq = q[(q["month"] >= start) & (q["month"] <= start + 11)]
    wq = wq.assign(window=_window(wq["month"].to_numpy(np.int64), comp.tier_period))
    wq = wq.groupby(["rep_id", "window"])["quota"].sum()
    idx = pd.MultiIndex.from_arrays([agg["rep_id"], agg["window"]])
    window_quota = wq.reindex(idx).fillna(0).to_numpy(np.int64)
    if (window_quota <= 0).any():
        who = sorted(agg.loc[window_quota <= 0, "rep_id"].unique())
        warnings.warn(f"plan {plan.name!r}, rule commission {comp.name!r}: no quota for rep(s) "
                      f"{', '.join(who[:10])}; only the first tier's rate applies to them.",
                      PlaybookWarning, stacklevel=4)  # the caller of payout_lines
    return window_quota


def _draw_parts(plan: Plan, commission: list[dict], reps: pd.DataFrame, start: int, last: int) -> list[dict]:
    """Draw against commission: advances up to the draw, recovered within the year when recoverable."""
    d = plan.draw["amount_cents"]
    earned = _frame(commission).groupby(["rep_id", "month"])["amount"].sum()
    grid = _employed_months(reps, start, last)
    e = earned.reindex(pd.MultiIndex.from_frame(grid)).fillna(0).to_numpy(np.int64)
    if plan.draw["recoverable"]:
        g = grid.assign(e=e, year=grid["month"] // 12)
        keys = [g["rep_id"], g["year"]]
        ce = g.groupby(keys)["e"].cumsum().to_numpy(np.int64)
        k = g.groupby(keys).cumcount().to_numpy(np.int64) + 1
        x = pd.Series(ce - k * d).groupby([g["rep_id"].to_numpy(), g["year"].to_numpy()]).cummax()
        paid = k * d + np.maximum(x.to_numpy(np.int64), 0)  # P_m = max(P_m-1 + draw, cumulative earned)
        paid_month = paid - pd.Series(paid).groupby([g["rep_id"].to_numpy(), g["year"].to_numpy()]).shift(
            fill_value=0).to_numpy(np.int64)
        line = paid_month - e
    else:
        line = np.maximum(d - e, 0)
    parts = []
    for rule, m in (("draw", line > 0), ("draw_recovery", line < 0)):
        if m.any():
            parts.append({"rep_id": grid["rep_id"].to_numpy()[m], "month": grid["month"].to_numpy()[m],
                          "rule": rule, "base": e[m], "amount": line[m], "ref": str(Decimal(d) / 100)})
    return parts


def _base_salary_cents(plan: Plan, reps: pd.DataFrame, rep_ids: pd.Series) -> np.ndarray:
    """Monthly base salary (cents) of each of ``rep_ids``; the bonus rule needs every one."""
    if "base_salary" not in reps.columns:
        raise PlanError(plan.name, "bonus", "pays a share of the monthly base salary but reps have no "
                        "base_salary column.", "Add base_salary to the reps table or remove the bonus rule.",
                        code="incentives.data.no_base_salary")
    salary = reps.set_index(reps["rep_id"].astype(str))["base_salary"]
    sal = pd.to_numeric(rep_ids.map(salary), errors="coerce")
    if sal.isna().any():
        who = sorted(rep_ids[sal.isna().to_numpy()].unique())
        raise PlanError(plan.name, "bonus", f"base salary missing for rep(s) {', '.join(who[:10])}"
                        + (" …" if len(who) > 10 else "") + ".",
                        "Fill reps.base_salary (monthly, CNY) or remove the bonus rule.",
                        code="incentives.data.salary_missing",
                        params={"who": who[:10], "more": " …" if len(who) > 10 else ""})
    return cents(sal.to_numpy(dtype=float), name="reps.base_salary")


def _bonus_parts(plan: Plan, o: pd.DataFrame, q: pd.DataFrame, reps: pd.DataFrame, first: int,
                 last: int) -> list[dict]:
    """Pay the monthly bonus: a share of the base salary by the band of the month's attainment."""
    qm = q[(q["month"] >= first) & (q["month"] <= last) & (q["quota"] > 0)]
    net = o.groupby(["rep_id", "month"])["cents"].sum()
    qm = qm.assign(net=net.reindex(pd.MultiIndex.from_frame(qm[["rep_id", "month"]])).fillna(0).to_numpy(np.int64))
    if not len(qm):
        return []
    sal_cents = _base_salary_cents(plan, reps, qm["rep_id"])
    lhs = qm["net"].to_numpy(np.int64) * PPM
    quota = qm["quota"].to_numpy(np.int64)
    pct = np.zeros(len(qm), dtype=np.int64)
    band = np.zeros(len(qm), dtype=np.int64)
    for j, (min_ppm, share) in enumerate(reversed(plan.bonus_bands)):  # ascending: higher bands win
        hit = lhs >= min_ppm * quota
        pct = np.where(hit, share, pct)
        band = np.where(hit, len(plan.bonus_bands) - j, band)
    att = (qm["net"].to_numpy(np.int64) * 10_000) // quota
    ref = np.char.add(np.char.mod("%.2f", att / 100), "%")
    m = pct > 0
    return [{"rep_id": qm["rep_id"].to_numpy()[m], "month": qm["month"].to_numpy()[m], "rule": "bonus",
             "tier": band[m], "ref": ref[m].astype(object), "base": sal_cents[m], "rate": pct[m],
             "amount": mul_ppm(sal_cents[m], pct[m])}]


def _referral_parts(plan: Plan, orders: pd.DataFrame, customers: pd.DataFrame | None, reps: pd.DataFrame,
                    first: int, last: int) -> list[dict]:
    """Referral award: a fixed amount each to the rep and the CSM when a referred customer first orders."""
    ref_rule = plan.referral
    _require_frame(customers, ["customer_id", "channel"], "customers", rule="referral_award")
    csm_col = ref_rule["csm_column"]
    if csm_col and csm_col not in customers.columns:
        raise PlanError(plan.name, "referral_award", f"the CSM column {csm_col!r} is not in customers.",
                        "Set referral_award.csm_column to the customers column naming the CSM.",
                        code="incentives.data.csm_column", params={"column": repr(csm_col)})
    firsts = _first_orders(orders)
    firsts = firsts.assign(month=_month_ordinal(firsts["order_date"]))
    cust = customers.set_index(customers["customer_id"].astype(str))
    firsts = firsts[(firsts["month"] >= first) & (firsts["month"] <= last)]
    channel = firsts["customer_id"].astype(str).map(cust["channel"].astype(str))
    firsts = firsts[(channel == ref_rule["channel"]).to_numpy()]
    payees = []
    if ref_rule["rep"]:
        payees.append(("rep", firsts["rep_id"].astype(str)))
    if csm_col:
        payees.append(("csm", firsts["customer_id"].astype(str).map(cust[csm_col])))
    employed = pd.MultiIndex.from_frame(_employed_months(reps, first, last))
    rep_ids = reps["rep_id"].astype(str)
    parts = []
    for role, who in payees:
        # a payee who is a rep must be employed that month (an account may change owner later)
        pair = pd.MultiIndex.from_arrays([who.astype(str).to_numpy(), firsts["month"].to_numpy(np.int64)])
        ok = who.notna().to_numpy() & (~who.astype(str).isin(rep_ids).to_numpy() | pair.isin(employed))
        parts.append({"rep_id": who.to_numpy()[ok], "month": firsts["month"].to_numpy()[ok],
                      "rule": "referral_award", "component": role,
                      "ref": firsts["customer_id"].astype(str).to_numpy()[ok].astype(object),
                      "amount": np.full(int(ok.sum()), ref_rule["amount_cents"])})
    return parts


def _mentor_parts(plan: Plan, orders: pd.DataFrame, reps: pd.DataFrame, first: int, last: int) -> list[dict]:
    """Mentor award (伯乐奖): the mentor of a rep whose first deal falls in the period."""
    col = plan.mentor["mentor_column"]
    if col not in reps.columns:
        raise PlanError(plan.name, "mentor_award", f"the mentor column {col!r} is not in reps.",
                        "Set mentor_award.mentor_column (e.g. manager_id) or add the column.",
                        code="incentives.data.mentor_column", params={"column": repr(col)})
    pos = orders.loc[orders["amount"] > 0, ["rep_id", "order_date"]]
    first_deal = pd.to_datetime(pos["order_date"]).groupby(pos["rep_id"].astype(str)).min()
    r = reps.assign(rep_id=reps["rep_id"].astype(str))
    r = r[r[col].notna()]
    r = r.assign(first_deal=pd.to_datetime(first_deal).reindex(r["rep_id"]).to_numpy())
    r = r[r["first_deal"].notna()]
    if plan.mentor["within_days"] is not None and "hire_date" in r.columns:
        days = (r["first_deal"] - pd.to_datetime(r["hire_date"])).dt.days
        r = r[days.isna() | (days <= plan.mentor["within_days"])]
    month = _month_ordinal(r["first_deal"]) if len(r) else np.array([], dtype=np.int64)
    m = (month >= first) & (month <= last)
    return [{"rep_id": r[col].astype(str).to_numpy()[m], "month": month[m], "rule": "mentor_award",
             "ref": r["rep_id"].to_numpy()[m].astype(object),
             "amount": np.full(int(m.sum()), plan.mentor["amount_cents"])}]


def _metric_winners(award: dict[str, Any], activities: pd.DataFrame | None, reps: pd.DataFrame, first: int,
                    last: int) -> dict:
    """Lines of a process award won by the top reps on an activity metric, per month (and team)."""
    rule = f"process_awards {award['name']!r}"
    _require_frame(activities, ["rep_id", "week", award["metric"]], "activities", rule=rule)
    act = pd.DataFrame({"rep_id": activities["rep_id"].astype(str).to_numpy(),
                        "month": _month_ordinal(activities["week"]),
                        "value": pd.to_numeric(activities[award["metric"]], errors="coerce").fillna(0)})
    act = act[(act["month"] >= first) & (act["month"] <= last)]
    act = act.groupby(["rep_id", "month"], as_index=False)["value"].sum()
    act = act[act["value"] > 0]
    if award["within"] == "team":
        _require_frame(reps, ["rep_id", "team"], "reps", rule=rule)
        act["group"] = act["rep_id"].map(reps.set_index(reps["rep_id"].astype(str))["team"]).astype(str)
    else:
        act["group"] = ""
    rank = act.groupby(["group", "month"])["value"].rank(method="min", ascending=False)
    win = act[(rank <= award["top"]).to_numpy()]
    refs = np.char.mod("%g", win["value"].to_numpy(float)).astype(object)
    return {"rep_id": win["rep_id"].to_numpy(), "month": win["month"].to_numpy(), "rule": "process_award",
            "component": award["name"], "ref": refs, "amount": np.full(len(win), award["amount_cents"])}


def _process_award_parts(plan: Plan, activities: pd.DataFrame | None, award_winners: pd.DataFrame | None,
                         reps: pd.DataFrame, first: int, last: int) -> list[dict]:
    """Process awards: top reps on an activity metric, or winners named by the manager."""
    parts = []
    if award_winners is not None:
        _require_frame(award_winners, ["rep_id", "month", "award"], "award_winners")
    for award in plan.process_awards:
        if award["metric"]:
            parts.append(_metric_winners(award, activities, reps, first, last))
        elif award_winners is not None:
            w = award_winners[award_winners["award"].astype(str) == award["name"]]
            month = _month_ordinal(w["month"])
            m = (month >= first) & (month <= last)
            parts.append({"rep_id": w["rep_id"].astype(str).to_numpy()[m], "month": month[m],
                          "rule": "process_award", "component": award["name"],
                          "amount": np.full(int(m.sum()), award["amount_cents"])})
    if award_winners is not None:
        known = {a["name"] for a in plan.process_awards if not a["metric"]}
        unknown = sorted(set(award_winners["award"].astype(str)) - known)
        if unknown:
            raise ParameterError("award_winners", unknown, "award names of the plan's process_awards without a "
                                 f"metric ({', '.join(sorted(known)) or 'none'})", code="incentives.award_winners",
                                 params={"unknown": repr(unknown), "known": sorted(known) or ["none"]})
    return parts


def _line_items(parts: list[dict], first: int, last: int) -> pd.DataFrame:
    """Return the parts as :data:`LINE_COLUMNS`: months ``first..last``, in statement order."""
    lines = _frame(parts)
    lines = lines[(lines["month"] >= first) & (lines["month"] <= last)]
    order = {r: i for i, r in enumerate(RULES)}
    lines = lines.assign(_r=lines["rule"].map(order)).sort_values(
        ["rep_id", "month", "_r", "component", "tier"], kind="stable").reset_index(drop=True)
    rate = (lines["rate"].to_numpy(np.int64) / PPM).astype(float)
    rate[lines["rate_na"].to_numpy(bool)] = np.nan
    return pd.DataFrame({
        "rep_id": lines["rep_id"].astype(str), "month": _month_ts(lines["month"].to_numpy(np.int64)),
        "rule": lines["rule"].astype(str), "component": lines["component"].astype(str),
        "tier": lines["tier"].astype("Int64"), "ref": lines["ref"].fillna("").astype(str),
        "base_cents": lines["base"].astype("Int64"), "rate": rate,
        "amount_cents": lines["amount"].astype(np.int64),
    })[LINE_COLUMNS]


def payout_lines(
    orders: pd.DataFrame,
    reps: pd.DataFrame,
    quotas: pd.DataFrame | None = None,
    *,
    plan: Plan | str,
    period: str,
    customers: pd.DataFrame | None = None,
    activities: pd.DataFrame | None = None,
    award_winners: pd.DataFrame | None = None,
    key_accounts: Iterable[str] | None = None,
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Line items of every payee's payout for the months of ``period`` under ``plan``.

    Parameters
    ----------
    orders : DataFrame
        ``customer_id, rep_id, order_date, amount`` (+ ``order_id``, ``product_line``,
        ``is_refund``; an optional ``deal_type`` of ``new``/``renewal``). Pass the full
        history: tiers count from the start of their tier period, first orders decide
        new business, the year before decides key accounts.
    reps : DataFrame
        ``rep_id`` (+ ``base_salary`` for the bonus, ``hire_date``/``leave_date`` for draws,
        ``team`` for team awards, the plan's mentor column for the mentor award).
    quotas : DataFrame, optional
        ``rep_id, month, quota``: monthly quotas (bonus, attainment tiers).
    plan : Plan or str
        A plan or the name of one in ``templates/plans``.
    period : str
        ``"2024"``, ``"2025-Q1"`` or ``"2025-03"`` (see :func:`parse_period`).
    customers, activities : DataFrame, optional
        Needed by the referral award (``customer_id, channel``, CSM column) and by
        metric-based process awards (``rep_id, week, visits, calls, demos``).
    award_winners : DataFrame, optional
        ``rep_id, month, award``: winners named by the manager for process awards
        without a metric.
    key_accounts : iterable of str, optional
        Customer ids that are key accounts; default: the plan's ``key_accounts`` rule.
    columns : mapping, optional
        ``{kit column: your column}`` for inputs whose headers differ from the schema.

    Returns
    -------
    DataFrame
        :data:`LINE_COLUMNS`, one row per line item, sorted by rep, month and rule:
        ``month`` (first day), ``rule`` (one of :data:`RULES`), ``component`` (the
        commission component or award; ``rep``/``csm`` for the referral award), ``tier``
        (1-based tier; for the bonus the band, 1 = the highest), ``ref`` (the customer,
        mentee, attainment or metric behind the line), ``base_cents`` and ``rate``
        (``amount_cents = base_cents x rate`` rounded half away from zero; empty for
        fixed awards) and ``amount_cents`` (int64).

    Notes
    -----
    Commission is computed month by month on the sales accumulated since the start of
    the tier period: a month's orders raise it, then its refunds lower it.

    - *marginal*: one ``commission`` line per tier slice the month's sales fill, and one
      ``clawback`` line per slice a refund empties (at that slice's rate);
    - *whole*: ``commission`` on the month's sales at the rate of the tier reached,
      ``clawback`` on refunds at the rate of the tier fallen to, and a ``tier_true_up``
      on the sales already counted (``base``) at the difference of the two rates when
      the tier changes;
    - ``cap``: the change that keeps the tier period's commission at the cap (base: the
      commission before the cap); ``renewal_uplift``: key-account renewal sales at the
      uplift times the tier rate reached that month;
    - ``draw``/``draw_recovery``: the advance that lifts the month's commission (base) to
      the draw, and what later commission pays back; an advance still owed at the end of
      the year is written off.

    Examples
    --------
    >>> from playbook.incentives import modify_plan
    >>> orders = pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["C1", "C1"],
    ...     "rep_id": ["R1", "R1"], "order_date": pd.to_datetime(["2024-01-05", "2024-02-05"]),
    ...     "amount": [1_500_000.0, 1_000_000.0]})
    >>> reps = pd.DataFrame({"rep_id": ["R1"]})
    >>> lines = payout_lines(orders, reps, plan=modify_plan("domain_marginal", {"bonus": None}), period="2024")
    >>> lines[["month", "rule", "tier", "base_cents", "rate", "amount_cents"]]
           month        rule  tier  base_cents  rate  amount_cents
    0 2024-01-01  commission     1   100000000  0.08       8000000
    1 2024-01-01  commission     2    50000000  0.10       5000000
    2 2024-02-01  commission     2    50000000  0.10       5000000
    3 2024-02-01  commission     3    50000000  0.12       6000000
    >>> int(lines["amount_cents"].sum()) // 100
    240000
    """
    plan = load_plan(plan)
    orders, reps = _rename(orders, columns), _rename(reps, columns)
    quotas, customers = _rename(quotas, columns), _rename(customers, columns)
    activities, award_winners = _rename(activities, columns), _rename(award_winners, columns)
    _require_frame(reps, ["rep_id"], "reps")
    first_p, last_p = parse_period(period)
    first, last = first_p.ordinal, last_p.ordinal
    start = first - first % 12  # tiers and draws count from the start of their year at most
    o = _prepare_orders(orders, plan, customers, key_accounts)
    q = _quota_months(quotas)
    parts = _commission_parts(plan, o, q, start, last)
    if plan.draw is not None:
        parts += _draw_parts(plan, parts, reps, start, last)
    if plan.bonus_bands is not None:
        parts += _bonus_parts(plan, o, q, reps, first, last)
    if plan.referral is not None:
        parts += _referral_parts(plan, orders, customers, reps, first, last)
    if plan.mentor is not None:
        parts += _mentor_parts(plan, orders, reps, first, last)
    parts += _process_award_parts(plan, activities, award_winners, reps, first, last)
    return _line_items(parts, first, last)


def rep_payouts(
    lines: pd.DataFrame,
    orders: pd.DataFrame,
    reps: pd.DataFrame,
    *,
    period: str,
) -> pd.DataFrame:
    """Payout per payee for ``period``: totals per category, each the exact sum of its lines.

    Every rep employed during the period gets a row (zeros when nothing is due); payees
    outside ``reps`` (e.g. a CSM) get a row with an empty name. ``effective_rate`` is
    commission plus clawback over net sales.

    Returns
    -------
    DataFrame
        :data:`REP_COLUMNS`, sorted by team and rep.

    Examples
    --------
    >>> lines = pd.DataFrame({"rep_id": ["R1", "R1"], "rule": ["commission", "bonus"],
    ...                       "amount_cents": [800_00, 50_00]})
    >>> orders = pd.DataFrame({"rep_id": ["R1"], "order_date": pd.to_datetime(["2024-05-02"]),
    ...                        "amount": [10_000.0]})
    >>> reps = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann", "Bo"], "team": ["A", "A"]})
    >>> rep_payouts(lines, orders, reps, period="2024")[["rep_id", "commission_cents", "bonus_cents",
    ...                                                  "total_cents", "effective_rate"]]
      rep_id  commission_cents  bonus_cents  total_cents  effective_rate
    0     R1             80000         5000        85000            0.08
    1     R2                 0            0            0             NaN
    """
    first_p, last_p = parse_period(period)
    first, last = first_p.ordinal, last_p.ordinal
    _require_frame(reps, ["rep_id"], "reps")
    _require_frame(lines, ["rep_id", "rule", "amount_cents"], "lines")
    unknown = sorted(set(lines["rule"]) - set(RULE_CATEGORY))
    if unknown:
        raise InputError(f"lines: unknown rule(s) {', '.join(unknown)}; expected {', '.join(RULES)}.")
    cat = lines.assign(category=lines["rule"].map(RULE_CATEGORY), rep_id=lines["rep_id"].astype(str))
    table = cat.groupby(["rep_id", "category"])["amount_cents"].sum().unstack(fill_value=0)
    table = table.reindex(columns=list(_CATEGORIES), fill_value=0)
    active = _active_reps(reps, first, last)
    ids = list(dict.fromkeys(list(active["rep_id"].astype(str)) + sorted(table.index)))
    out = pd.DataFrame({"rep_id": ids})
    info = reps.assign(rep_id=reps["rep_id"].astype(str)).drop_duplicates("rep_id").set_index("rep_id")
    for col in ("name", "team"):
        out[col] = out["rep_id"].map(info[col]) if col in info.columns else pd.NA
    if len(orders):
        _require_frame(orders, ["rep_id", "order_date", "amount"], "orders")
        month = _month_ordinal(orders["order_date"])
        keep = (month >= first) & (month <= last)
        net = pd.Series(_to_cents(orders["amount"][keep], "orders.amount"),
                        index=orders["rep_id"][keep].astype(str).to_numpy()).groupby(level=0).sum()
    else:
        net = pd.Series(dtype=np.int64)
    out["net_sales_cents"] = out["rep_id"].map(net).fillna(0).astype(np.int64)
    for c in _CATEGORIES:
        out[f"{c}_cents"] = out["rep_id"].map(table[c]).fillna(0).astype(np.int64)
    out["total_cents"] = out[[f"{c}_cents" for c in _CATEGORIES]].sum(axis=1).astype(np.int64)
    sales = out["net_sales_cents"].where(out["net_sales_cents"] > 0)
    out["effective_rate"] = ((out["commission_cents"] + out["clawback_cents"]) / sales).astype(float)
    out = out.sort_values(["team", "rep_id"], kind="stable", na_position="last").reset_index(drop=True)
    return out[REP_COLUMNS]


@dataclass(frozen=True, eq=False)
class PayoutRun:
    """One plan applied to one period: the line items and the payout per rep."""

    plan: Plan
    period: str
    lines: pd.DataFrame
    by_rep: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        """Return :func:`plan_summary` of this run."""
        return plan_summary(self)


def run_plan(
    orders: pd.DataFrame,
    reps: pd.DataFrame,
    quotas: pd.DataFrame | None = None,
    *,
    plan: Plan | str,
    period: str,
    customers: pd.DataFrame | None = None,
    activities: pd.DataFrame | None = None,
    award_winners: pd.DataFrame | None = None,
    key_accounts: Iterable[str] | None = None,
    columns: Mapping[str, str] | None = None,
) -> PayoutRun:
    """Apply ``plan`` to ``period``: :func:`payout_lines` and :func:`rep_payouts` in one call.

    Examples
    --------
    >>> from playbook.incentives import modify_plan
    >>> orders = pd.DataFrame({"customer_id": ["C1"], "rep_id": ["R1"],
    ...                        "order_date": pd.to_datetime(["2024-03-01"]), "amount": [2_500_000.0]})
    >>> run = run_plan(orders, pd.DataFrame({"rep_id": ["R1"], "name": ["Ann"], "team": ["A"]}),
    ...                plan=modify_plan("domain_whole", {"bonus": None}), period="2024-Q1")
    >>> int(run.by_rep.loc[0, "total_cents"]) == int(run.lines["amount_cents"].sum()) == 300_000_00
    True
    """
    plan = load_plan(plan)
    lines = payout_lines(orders, reps, quotas, plan=plan, period=period, customers=customers,
                         activities=activities, award_winners=award_winners, key_accounts=key_accounts,
                         columns=columns)
    by_rep = rep_payouts(lines, _rename(orders, columns), _rename(reps, columns), period=period)
    return PayoutRun(plan, period, lines, by_rep)


def plan_summary(*runs: PayoutRun) -> pd.DataFrame:
    """One row per run: total cost, cost-of-sales ratio, effective rate, payout distribution.

    Pass two runs of the same period to see the plans side by side.

    ``plan`` is the plan's name (a key: :func:`playbook.present.incentives.summary_table`
    shows the plans' titles); ``cost_ratio`` is the total payout over net sales;
    ``top_decile_share`` the share of the total paid to the best-paid 10% of payees (at
    least one).

    Examples
    --------
    >>> from playbook.incentives import parse_plan
    >>> by_rep = pd.DataFrame({c: [0, 0] for c in REP_COLUMNS})
    >>> by_rep["net_sales_cents"] = [100_000, 300_000]
    >>> by_rep["commission_cents"] = by_rep["total_cents"] = [8_000, 24_000]
    >>> run = PayoutRun(parse_plan({}, name="p"), "2024", pd.DataFrame(), by_rep)
    >>> plan_summary(run)[["plan", "total_cents", "cost_ratio", "top_decile_share"]]
      plan  total_cents  cost_ratio  top_decile_share
    0    p        32000        0.08              0.75
    """
    if not runs:
        raise ParameterError("runs", runs, "at least one PayoutRun")
    return pd.DataFrame([_summary_row(run) for run in runs])[SUMMARY_COLUMNS]


def _summary_row(run: PayoutRun) -> dict[str, Any]:
    b = run.by_rep
    total = int(b["total_cents"].sum())
    sales = int(b["net_sales_cents"].sum())
    row: dict[str, Any] = {"plan": run.plan.name, "payees": int((b["total_cents"] != 0).sum())}
    row["net_sales_cents"] = sales
    for c in _CATEGORIES:
        row[f"{c}_cents"] = int(b[f"{c}_cents"].sum())
    row["total_cents"] = total
    row["cost_ratio"] = total / sales if sales > 0 else float("nan")
    row["effective_rate"] = (row["commission_cents"] + row["clawback_cents"]) / sales if sales > 0 else float("nan")
    paid = b["total_cents"].to_numpy(np.int64)
    row["median_payout_cents"] = float(np.median(paid)) if len(paid) else float("nan")
    row["p90_payout_cents"] = float(np.quantile(paid, 0.9)) if len(paid) else float("nan")
    row["max_payout_cents"] = int(paid.max()) if len(paid) else 0
    top = max(1, math.ceil(len(paid) * 0.1))
    row["top_decile_share"] = float(np.sort(paid)[::-1][:top].sum() / total) if total > 0 else float("nan")
    return row


def compare_plans(a: PayoutRun, b: PayoutRun) -> pd.DataFrame:
    """Per rep: payout under plan A and plan B, the change, and who gains or loses.

    Returns
    -------
    DataFrame
        :data:`COMPARE_COLUMNS`; ``outcome`` is ``gains``, ``loses`` or ``same`` (B
        against A); ``change_pct`` is relative to A (NaN when A pays nothing). Sorted
        by change, biggest gain first.

    Examples
    --------
    >>> from playbook.incentives import parse_plan
    >>> def run(totals):
    ...     by_rep = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann", "Bo"], "team": ["A", "A"],
    ...                            "net_sales_cents": [1000, 1000], "total_cents": totals,
    ...                            "effective_rate": [0.1, 0.1]})
    ...     return PayoutRun(parse_plan({}, name="p"), "2024", pd.DataFrame(), by_rep)
    >>> compare_plans(run([100, 200]), run([150, 200]))[["rep_id", "change_cents", "outcome"]]
      rep_id  change_cents outcome
    0     R1            50   gains
    1     R2             0    same
    """
    cols = ["rep_id", "name", "team", "net_sales_cents", "total_cents", "effective_rate"]
    left = a.by_rep[cols].rename(columns={"total_cents": "payout_a_cents", "effective_rate": "effective_rate_a"})
    right = b.by_rep[["rep_id", "name", "team", "net_sales_cents", "total_cents", "effective_rate"]].rename(
        columns={"total_cents": "payout_b_cents", "effective_rate": "effective_rate_b", "name": "name_b",
                 "team": "team_b", "net_sales_cents": "sales_b"})
    out = left.merge(right, on="rep_id", how="outer")
    out["name"] = out["name"].fillna(out["name_b"])
    out["team"] = out["team"].fillna(out["team_b"])
    out["net_sales_cents"] = out["net_sales_cents"].fillna(out["sales_b"]).fillna(0).astype(np.int64)
    for c in ("payout_a_cents", "payout_b_cents"):
        out[c] = out[c].fillna(0).astype(np.int64)
    out["change_cents"] = (out["payout_b_cents"] - out["payout_a_cents"]).astype(np.int64)
    base = out["payout_a_cents"].where(out["payout_a_cents"] != 0)
    out["change_pct"] = (out["change_cents"] / base).astype(float)
    out["outcome"] = np.select([out["change_cents"] > 0, out["change_cents"] < 0], ["gains", "loses"], "same")
    out = out.sort_values(["change_cents", "rep_id"], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)[COMPARE_COLUMNS]


def commission_table(
    sales: Iterable[float] | float,
    *,
    plan: Plan | str,
    component: str | int = 0,
    quota: float | None = None,
) -> pd.DataFrame:
    """Commission of one component for sales totals within one tier period (no prior sales).

    Useful for curves and for checking a plan by hand; the cap applies, the renewal
    uplift does not. ``quota`` is the tier period's quota (``basis: attainment``).

    Examples
    --------
    >>> commission_table([500_000, 1_000_000, 2_500_000], plan="domain_marginal")
       sales_cents  commission_cents
    0     50000000           4000000
    1    100000000           8000000
    2    250000000          24000000
    """
    plan = load_plan(plan)
    comps = {c.name: c for c in plan.components}
    if isinstance(component, int) and 0 <= component < len(plan.components):
        comp = plan.components[component]
    elif component in comps:
        comp = comps[str(component)]
    else:
        raise ParameterError("component", component, f"a component of plan {plan.name!r}: {', '.join(comps)}")
    values = pd.Series(np.atleast_1d(np.asarray(sales, dtype=float)))
    amount_cents = cents(values.to_numpy())
    if comp.basis == "attainment" and quota is None:
        raise ParameterError("quota", quota, f"the tier period's quota: component {comp.name!r} has attainment tiers")
    n = len(amount_cents)
    agg = pd.DataFrame({"rep_id": np.arange(n).astype(str), "month": np.zeros(n, dtype=np.int64),
                        "gross": np.maximum(amount_cents, 0), "refund": np.minimum(amount_cents, 0), "key_renewal": 0,
                        "window": np.zeros(n, dtype=np.int64)})
    agg["net"] = agg["gross"] + agg["refund"]
    wq = None if quota is None else np.full(n, to_cents(quota, name="quota"), dtype=np.int64)
    parts = _component_lines(agg, dataclasses.replace(comp, uplift_ppm=None), wq)
    lines = _frame(parts)
    total = lines.groupby("rep_id")["amount"].sum()
    commission = pd.Series(np.arange(n).astype(str)).map(total).fillna(0).astype(np.int64)
    return pd.DataFrame({"sales_cents": amount_cents, "commission_cents": commission.to_numpy(np.int64)})


def commission_for_sales(
    sales: float | int | Decimal | str,
    *,
    plan: Plan | str,
    component: str | int = 0,
    quota: float | None = None,
) -> Decimal:
    """Commission in CNY (exact, two decimals) on ``sales`` CNY within one tier period.

    Examples
    --------
    Exactly 1,000,000 stays in the 8% tier (the plan's ``at_boundary: lower_tier``); a cent more reaches 10%:

    >>> commission_for_sales("1000000", plan="domain_whole"), commission_for_sales("1000000.01", plan="domain_whole")
    (Decimal('80000.00'), Decimal('100000.00'))
    """
    amount = to_cents(sales, name="sales") / 100
    table = commission_table([amount], plan=plan, component=component, quota=quota)
    return Decimal(int(table["commission_cents"].iloc[0])).scaleb(-2)
