"""The case company's tables, generated."""

from __future__ import annotations

import datetime
from typing import Any

import numpy as np
import pandas as pd

from playbook.core import schema
from playbook.core.errors import ParameterError
from playbook.data.loading import Dataset

__all__ = [
    "PRESET", "CASE_START", "CASE_AS_OF", "ACTION_START", "SUBSCRIPTION", "PRODUCT_LINES", "KEY_ACCOUNT_MIN",
    "SMB_MAX", "GRACE_DAYS", "FIRST_DEAL_DAYS", "EXTRA_COLUMNS", "TEAMS", "CASE_OKR", "generate_case",
    "case_dataset"
]

PRESET = "saas-turnaround"
"""Name of the preset for ``playbook sample --preset``."""
CASE_START = datetime.date(2021, 1, 1)
"""First day of the case company's history."""
CASE_AS_OF = datetime.date(2023, 9, 30)
"""Last day of the history (end of the after quarter, 2023 Q3)."""
ACTION_START = datetime.date(2023, 4, 1)
"""The day the turnaround actions started (OKRs, RFM tiers, funnel surgery)."""
SUBSCRIPTION = "软件订阅"
"""Product line of subscription orders (one per customer and contract year)."""
PRODUCT_LINES = (SUBSCRIPTION, "实施服务", "增购模块", "培训服务")
"""Subscription, implementation, add-on modules, training."""
KEY_ACCOUNT_MIN = 500_000.0
"""ACV above which a subscription is a key account (case-study strategic tier)."""
SMB_MAX = 100_000.0
"""ACV below which a subscription is SMB (case-study basic tier)."""
GRACE_DAYS = 30
"""A renewal may be signed up to this many days after the due date."""
FIRST_DEAL_DAYS = 90
"""New hires' first deal counts within this many days of the hire date."""
EXTRA_COLUMNS = {
    "opportunities": {
        "needs_match": "true when the lead matches a real need of the customer (qualified "
                       "with the needs-diagnosis kit at the lead stage)",
        "objection": "true when the customer raised a price or value objection in "
                     "negotiation; empty when the opportunity never reached negotiation",
    },
}
"""Columns beyond the schema (kept by :mod:`playbook.data.loading`), table -> column -> meaning."""
TEAMS = ("大客户部", "行业客户部", "中小企业部")
"""Teams serving the strategic, growth and basic tiers (key accounts, growth, SMB)."""

CASE_OKR = {
    "plan_year": 2023,
    "currency": "CNY",
    "objectives": [
        {"id": "O1", "owner": "Sales director / 销售总监",
         "title": {"en": "Win back our key accounts: renewal back to 85% by Q3",
                   "zh": "挽回重点客户：第三季度续约率回到 85%"}},
        {"id": "O2", "owner": "SMB team lead / 中小企业部经理",
         "title": {"en": "Make SMB customers buy again", "zh": "提升中小企业客户复购"}},
    ],
}
"""The case's objectives (domain brief, section 6), for :func:`playbook.targets.parse_okr`."""

# ---------------------------------------------------------------------------------------
# Business rules of the case company. Quarters run 2021 Q1 (index 0) .. 2023 Q3 (10);
# 2023 Q2 (9) is the transition, 2023 Q3 (10) the after quarter.
# ---------------------------------------------------------------------------------------
_QUARTERS = pd.period_range("2021Q1", "2023Q3", freq="Q")
_Q_START = np.array([p.start_time.to_datetime64() for p in _QUARTERS], dtype="datetime64[D]").astype(np.int64)
_Q_END = np.array([p.end_time.normalize().to_datetime64() for p in _QUARTERS],
                  dtype="datetime64[D]").astype(np.int64)
_START = int(np.datetime64(CASE_START, "D").astype(np.int64))
_AS_OF = int(np.datetime64(CASE_AS_OF, "D").astype(np.int64))
_NEVER = 10**6
_YEAR = 365  # 2021-2023 hold no 29 February: a contract year is 365 days here
_N_Q = len(_QUARTERS)
_AFTER = np.arange(_N_Q) >= 9  # quarters under the new process (from 2023 Q2)

# leads created per quarter; 2023 Q3 = 70% of 2023 Q1 (two ad channels cut)
_LEADS = np.array([590, 600, 610, 620, 630, 620, 610, 610, 620, 520, 434])
# deals won per closing quarter, by tier (strategic, growth, basic)
_WINS = np.array([
    [6, 16, 40], [5, 16, 42], [7, 17, 44], [6, 17, 46],
    [8, 17, 46], [6, 16, 44], [6, 16, 42], [6, 15, 40],
    [7, 15, 38], [8, 17, 42], [8, 18, 44],
])
# customers from before 2021, by tier, whose contract year ends in each quarter of 2021
_BASE = np.array([[24, 30, 70], [14, 30, 70], [20, 30, 70], [16, 30, 70]])
# renewal rate of the terms due in each quarter, by tier
_RENEWAL = np.array([
    [0.88, 0.88, 0.88, 0.88, 0.85, 0.80, 0.76, 0.72, 0.68, 0.78, 0.88],
    [0.85, 0.85, 0.84, 0.83, 0.80, 0.78, 0.76, 0.74, 0.72, 0.78, 0.86],
    [0.64, 0.63, 0.62, 0.62, 0.61, 0.60, 0.60, 0.60, 0.60, 0.64, 0.70],
])
_ACV = np.array([[560e3, 1.0e6], [130e3, 460e3], [20e3, 95e3]])  # new contracts: log-uniform per tier
_BASE_ACV = np.array([[520e3, 750e3], [105e3, 330e3], [12e3, 70e3]])  # older, cheaper contracts
_OPEN_TIER_P = np.array([0.08, 0.25, 0.67])  # tier of leads not won (expected amount)
_IMPLEMENTATION = (0.6, 1.2)  # implementation fee as a share of the first ACV
_CYCLE = np.array([52] * 9 + [44, 36])  # median days lead -> won, by closing quarter
_CYCLE_SHAPE = 4.0  # log-logistic shape: the middle 80% lie within x0.58 .. x1.73 of the median
_NEEDS_MATCH = np.array([0.46, 0.46, 0.46, 0.45, 0.46, 0.45, 0.45, 0.45, 0.45, 0.60, 0.72])
_OBJECTION = np.array([0.34, 0.34, 0.35, 0.35, 0.34, 0.35, 0.35, 0.35, 0.35, 0.26, 0.18])
# where leads that are not won stop: lead, intent, negotiation (before / after the change)
_STOP_P = np.array([[0.58, 0.22, 0.20], [0.45, 0.30, 0.25]])
_ADD_ON_RATE = np.array([0.10] * 9 + [0.25, 0.60])  # add-on / training orders per customer-quarter
# year-on-year growth of net sales planned from 2022 Q1 (index 4) on
_GROWTH = {4: 0.22, 5: 0.12, 6: 0.08, 7: 0.04, 8: 0.02, 9: 0.22, 10: 0.42}
_EXISTING = {8: 0.55, 10: 0.70}  # existing customers' share of net sales
# lead channels (schema.CHANNELS order), mix before / after the cut, and lead quality
_CHANNEL_MIX = np.array([[0.12, 0.18, 0.12, 0.33, 0.25], [0.30, 0.42, 0.28, 0.0, 0.0]])
_CHANNEL_QUALITY = np.array([0.8, 0.75, 0.55, 0.3, 0.25])
_COST_PER_LEAD = np.array([[50.0, 300.0, 900.0, 700.0, 600.0], [200.0, 300.0, 900.0, 0.0, 0.0]])
_LOST_REASONS = ("价格", "竞品", "预算", "无需求")
_LOST_P = np.array([[0.0, 0.1, 0.2, 0.7], [0.1, 0.3, 0.4, 0.2], [0.5, 0.3, 0.2, 0.0]])
_INDUSTRIES = ("制造业", "零售", "医疗健康", "教育", "物流", "软件与互联网", "金融服务")
_INDUSTRY_WORDS = ("智能制造", "商贸", "医疗科技", "教育科技", "供应链", "网络科技", "金融信息")
_REGIONS = ("华东", "华北", "华南", "华中", "西南")
_BRAND = list("华恒中鑫博瑞金天宏新安汇力嘉永达创盛德信泰明正亿通凯宝远海佳荣康联科源丰益昌隆")
_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田袁潘蒋蔡余杜叶程魏苏吕丁")
_GIVEN = list("伟强磊军洋勇杰涛明超刚辉鹏建飞宇浩峰凯亮博俊斌海芳娜敏静丽艳娟秀霞欣怡婷雪琳佳思雨晨")

# The rep roster: (team, role, hire date, leave date or "", cohort)
# cohort: "" founder, "b+" / "b-" 2022 hire with / without a first deal in 90 days (those
# without quit after three to four months), "a+" / "a-" the 2023 Q2 hires.
_ROSTER = (
    [(0, "销售总监", "2016-03-01", "", "")]
    + [(0, "高级销售", d, leave, "") for d, leave in [
        ("2017-05-08", ""), ("2018-03-12", "2022-11-18"), ("2018-09-03", ""), ("2019-04-15", ""),
        ("2019-11-04", ""), ("2020-06-01", "")]]
    + [(1, "销售经理", "2017-02-13", "", "")]
    + [(1, "高级销售", d, leave, "") for d, leave in [
        ("2018-07-02", ""), ("2019-03-04", "2023-02-24"), ("2020-05-11", "")]]
    + [(1, "销售专员", d, "", "") for d in ["2019-08-05", "2020-03-16", "2020-07-06", "2020-10-12",
                                             "2020-11-02"]]
    + [(2, "销售经理", "2018-01-08", "", "")]
    + [(2, "高级销售", d, "", "") for d in ["2018-10-08", "2019-06-03"]]
    + [(2, "销售专员", d, leave, "") for d, leave in [
        ("2019-02-25", ""), ("2019-09-09", "2021-06-30"), ("2020-01-06", ""), ("2020-04-07", ""),
        ("2020-06-15", ""), ("2020-08-03", ""), ("2020-09-14", ""), ("2020-11-16", ""),
        ("2021-09-06", "")]]
    + [(2, "销售专员", d, "", c) for d, c in [
        ("2022-01-10", "b+"), ("2022-01-24", "b-"), ("2022-02-14", "b-"), ("2022-03-07", "b+"),
        ("2022-03-21", "b-"), ("2022-10-10", "b-"), ("2022-10-24", "b+"), ("2022-11-07", "b-"),
        ("2022-11-21", "b-"), ("2022-12-05", "b-"),
        ("2023-04-03", "a+"), ("2023-04-10", "a-"), ("2023-04-17", "a+"), ("2023-04-24", "a+"),
        ("2023-05-08", "a-"), ("2023-05-15", "a+"), ("2023-05-22", "a-"), ("2023-06-05", "a+"),
        ("2023-06-12", "a-"), ("2023-06-19", "a+"), ("2023-06-26", "a-")]]
)
_SALARY = {"销售总监": 32000.0, "销售经理": 22000.0, "高级销售": 15000.0, "销售专员": 9000.0}
_QUOTA_WEIGHT = {"销售总监": 1.0, "销售经理": 0.8, "高级销售": 1.4, "销售专员": 1.0}
_ASSESSMENT_DATES = ("2022-06-24", "2022-12-23", "2023-06-21")


# ---------------------------------------------------------------------------------------
# generator helpers (arrays of days since 1970-01-01)
# ---------------------------------------------------------------------------------------
def _days(text: str) -> int:
    return int(np.datetime64(text, "D").astype(np.int64))


def _quarter_of(days: np.ndarray) -> np.ndarray:
    """Index of the quarter (0 = 2021 Q1) holding each day; -1 before, 11 after."""
    q = np.searchsorted(_Q_START, days, side="right") - 1
    return np.where(np.asarray(days) > _Q_END[-1], _N_Q, q)


def _log_uniform(rng: np.random.Generator, bounds: np.ndarray) -> np.ndarray:
    lo, hi = np.log(bounds[:, 0]), np.log(bounds[:, 1])
    return np.round(np.exp(lo + (hi - lo) * rng.random(len(bounds))), -2)


def _exact_pick(rng: np.random.Generator, group: np.ndarray, weights: np.ndarray,
                counts: np.ndarray) -> np.ndarray:
    """Pick exactly ``counts[g]`` rows of each group ``g`` (weighted, without replacement).

    Efraimidis-Spirakis keys: the ``k`` largest ``log(u) / w`` of a group are a weighted
    sample of ``k`` rows.
    """
    key = np.log(rng.random(len(group))) / weights
    order = np.lexsort((-key, group))
    first = np.searchsorted(group[order], group[order], side="left")
    rank = np.empty(len(group), dtype=np.int64)
    rank[order] = np.arange(len(group)) - first
    return rank < counts[group]


def _loglogistic(rng: np.random.Generator, n: int, median: float) -> np.ndarray:
    """``n`` durations at evenly spaced quantiles (shuffled): their median is ``median``."""
    p = (np.arange(n) + 0.5) / n
    return rng.permutation(np.maximum(np.round(median * (p / (1 - p)) ** (1 / _CYCLE_SHAPE)), 6))


def _names(rng: np.random.Generator, n: int) -> np.ndarray:
    surname = rng.choice(_SURNAMES, n)
    given = np.where(rng.random(n) < 0.5, rng.choice(_GIVEN, n),
                     np.char.add(rng.choice(_GIVEN, n), rng.choice(_GIVEN, n)))
    return np.char.add(surname, given)


def _reps(rng: np.random.Generator) -> pd.DataFrame:
    team, role, hire, leave, cohort = map(np.array, zip(*_ROSTER, strict=True))
    n = len(team)
    hire_d = np.array([_days(d) for d in hire])
    leave_d = np.array([_days(d) if d else _NEVER for d in leave])
    quits = cohort == "b-"  # 2022 hires without a deal quit after three to four months
    leave_d = np.where(quits, hire_d + rng.integers(95, 130, n), leave_d)
    managers = {int(tm): i for i, (tm, r) in enumerate(zip(team, role, strict=True))
                if r in ("销售总监", "销售经理")}
    manager = np.array([-1 if r == "销售总监" else (0 if r == "销售经理" else managers[int(tm)])
                        for tm, r in zip(team, role, strict=True)])
    return pd.DataFrame({
        "rep_id": [f"S{i + 1:03d}" for i in range(n)],
        "name": _names(rng, n),
        "team_ix": team.astype(int),
        "role": role,
        "manager_ix": manager,
        "hire": hire_d,
        "leave": leave_d,
        "cohort": cohort,
        "salary": np.array([_SALARY[r] for r in role]) + rng.integers(0, 6, n) * 500.0,
        "region": np.array(_REGIONS)[np.where(team == 2, rng.integers(0, 5, n), np.array([0, 1])[team % 2])],
    })


def _won_deals(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Won deals by closing quarter: exact counts per tier, exact median cycle per quarter."""
    q = np.repeat(np.arange(_N_Q), _WINS.sum(axis=1))
    tier = np.concatenate([np.repeat([0, 1, 2], row) for row in _WINS])
    closed = _Q_START[q] + np.floor(rng.random(len(q)) * (_Q_END[q] - _Q_START[q] + 1)).astype(np.int64)
    dur = np.concatenate([_loglogistic(rng, int(n), float(m)) for n, m in zip(_WINS.sum(axis=1), _CYCLE,
                                                                             strict=True)])
    created = closed - dur.astype(np.int64)
    early = created < _START  # deals of early 2021 began before the history: start them in it
    created[early] = _START + np.floor(rng.random(early.sum()) * np.maximum(closed[early] - _START - 5, 0)).astype(
        np.int64)
    span = closed - created
    intent = created + np.round(span * rng.uniform(0.12, 0.3, len(q))).astype(np.int64)
    nego = created + np.round(span * rng.uniform(0.45, 0.7, len(q))).astype(np.int64)
    return {"tier": tier, "created": created, "intent": intent, "negotiation": nego, "closed": closed,
            "outcome": np.zeros(len(q), dtype=np.int64), "stop": np.full(len(q), 3),
            "amount": _log_uniform(rng, _ACV[tier])}


def _other_leads(rng: np.random.Generator, won_created: np.ndarray) -> dict[str, np.ndarray]:
    """Leads not won: as many per creation quarter as ``_LEADS`` leaves after the wins."""
    n_q = _LEADS - np.bincount(_quarter_of(won_created), minlength=_N_Q)[:_N_Q]
    if (n_q < 0).any():  # pragma: no cover - a defect of the settings above
        raise RuntimeError("case settings: more wins than leads in a quarter")
    q = np.repeat(np.arange(_N_Q), n_q)
    n = len(q)
    created = _Q_START[q] + np.floor(rng.random(n) * (_Q_END[q] - _Q_START[q] + 1)).astype(np.int64)
    stop_p = _STOP_P[_AFTER[q].astype(int)]
    stop = (rng.random(n)[:, None] > np.cumsum(stop_p, axis=1)[:, :-1]).sum(axis=1)  # 0 lead .. 2 nego
    intent = created + rng.integers(3, 22, n)
    nego = intent + rng.integers(5, 31, n)
    last = np.where(stop == 0, created, np.where(stop == 1, intent, nego))
    closed = last + rng.integers(7, 46, n)
    outcome = np.where(closed <= _AS_OF, 1, 2)  # lost, or still open at the as-of date
    intent = np.where((stop >= 1) & (intent <= _AS_OF), intent, _NEVER)
    nego = np.where((stop >= 2) & (nego <= _AS_OF), nego, _NEVER)
    closed = np.where(outcome == 1, closed, _NEVER)
    tier = rng.choice(3, n, p=_OPEN_TIER_P)
    return {"tier": tier, "created": created, "intent": intent, "negotiation": nego, "closed": closed,
            "outcome": outcome, "stop": stop, "amount": _log_uniform(rng, _ACV[tier])}


def _funnel_flags(rng: np.random.Generator, opps: dict[str, np.ndarray]) -> None:
    """Needs-match (per creation quarter) and objection (per negotiation quarter), exactly."""
    won, reached = opps["outcome"] == 0, opps["stop"]
    has_intent, has_nego = opps["intent"] < _NEVER, opps["negotiation"] < _NEVER
    weight = np.where(won, 5.0, np.where(has_nego, 3.0, np.where(has_intent, 1.5, 0.4)))
    q = _quarter_of(opps["created"])
    n = np.bincount(q, minlength=_N_Q)
    opps["needs_match"] = _exact_pick(rng, q, weight, np.round(_NEEDS_MATCH * n).astype(np.int64))
    nq = _quarter_of(np.where(has_nego, opps["negotiation"], _Q_START[0]))
    lost_at_nego = (opps["outcome"] == 1) & (reached == 2)
    w = np.where(lost_at_nego, 4.0, np.where(won, 1.0, 2.0))
    idx = np.flatnonzero(has_nego)
    counts = np.round(_OBJECTION * np.bincount(nq[idx], minlength=_N_Q)).astype(np.int64)
    objection = np.zeros(len(q), dtype=bool)
    objection[idx] = _exact_pick(rng, nq[idx], w[idx], counts)
    opps["objection"] = objection
    opps["has_nego"] = has_nego


def _channels(rng: np.random.Generator, opps: dict[str, np.ndarray]) -> np.ndarray:
    after = _AFTER[_quarter_of(opps["created"])].astype(int)
    quality = np.where(opps["needs_match"][:, None], _CHANNEL_QUALITY, 1 - _CHANNEL_QUALITY)
    p = _CHANNEL_MIX[after] * quality
    cum = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
    return np.minimum((rng.random(len(after))[:, None] > cum).sum(axis=1), len(schema.CHANNELS) - 1)


def _assign_reps(rng: np.random.Generator, opps: dict[str, np.ndarray], reps: pd.DataFrame) -> np.ndarray:
    """Pick a rep of the deal's team employed from creation to close (or to the as-of date).

    New hires win nothing in their first 90 days except one deal each for those of
    cohorts ``b+`` and ``a+``; the 2022 hires who quit win nothing.
    """
    team = np.array([0, 1, 2])[opps["tier"]]
    end = np.where(opps["closed"] < _NEVER, opps["closed"], _AS_OF)
    won = opps["outcome"] == 0
    hire, leave = reps["hire"].to_numpy(), reps["leave"].to_numpy()
    cohort = reps["cohort"].to_numpy()
    new = np.char.str_len(cohort.astype(str)) > 0
    ok = ((reps["team_ix"].to_numpy()[None, :] == team[:, None]) & (hire[None, :] <= opps["created"][:, None])
          & (leave[None, :] >= end[:, None]))
    barred = new[None, :] & ((cohort == "b-")[None, :] | (opps["closed"][:, None] <= hire[None, :] + FIRST_DEAL_DAYS))
    ok &= ~(won[:, None] & barred)
    if not ok.any(axis=1).all():  # pragma: no cover - a defect of the roster
        raise RuntimeError("case settings: an opportunity without an eligible rep")
    rep = np.argmax(np.where(ok, rng.random(ok.shape), -1.0), axis=1)
    taken = np.zeros(len(rep), dtype=bool)
    for r in np.flatnonzero(np.isin(cohort, ("b+", "a+"))):  # one first deal each (9 reps)
        fits = (won & (team == 2) & ~taken & (opps["created"] >= hire[r])
                & (opps["closed"] < hire[r] + FIRST_DEAL_DAYS))
        pick = rng.choice(np.flatnonzero(fits))
        rep[pick], taken[pick] = r, True
    return rep


def _terms(rng: np.random.Generator, customer: np.ndarray, start: np.ndarray, tier: np.ndarray,
           acv: np.ndarray, in_data: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Every subscription term and each customer's churn day (``_NEVER`` if none).

    Terms due in quarter ``q`` renew at exactly ``_RENEWAL[tier, q]`` (count rounded),
    quarter by quarter, so a renewal made in ``q`` is itself due four quarters later.
    ``in_data`` is false for the pre-2021 terms of the base customers (not in the data).
    """
    cust, begin, tr, value, shown = customer, start, tier, acv, in_data
    churn = np.full(int(customer.max()) + 1, _NEVER)
    for q in range(_N_Q):
        due = begin + _YEAR
        live = np.flatnonzero(_quarter_of(due) == q)
        n = np.bincount(tr[live], minlength=3)
        renewed = _exact_pick(rng, tr[live], np.ones(len(live)), np.round(_RENEWAL[:, q] * n).astype(np.int64))
        churn[cust[live[~renewed]]] = due[live[~renewed]]
        new = live[renewed]
        cust, begin = np.concatenate([cust, cust[new]]), np.concatenate([begin, due[new]])
        tr, value = np.concatenate([tr, tr[new]]), np.concatenate([value, value[new]])
        shown = np.concatenate([shown, np.ones(len(new), bool)])
    terms = pd.DataFrame({"customer": cust, "start": begin, "tier": tr, "acv": value})
    return terms[shown].reset_index(drop=True), churn


def _successor(rng: np.random.Generator, reps: pd.DataFrame) -> np.ndarray:
    """Who takes over each rep's accounts when he leaves (a colleague who stays)."""
    team, leave = reps["team_ix"].to_numpy(), reps["leave"].to_numpy()
    stays = (leave == _NEVER) & (reps["cohort"].to_numpy() == "")
    out = np.arange(len(reps))
    for i in np.flatnonzero(leave < _NEVER):  # a handful of leavers
        out[i] = rng.choice(np.flatnonzero(stays & (team == team[i])))
    return out


def _flex_orders(rng: np.random.Generator, customers: pd.DataFrame, churn: np.ndarray) -> dict[str, np.ndarray]:
    """Add-on modules and training for active customers, per customer and quarter."""
    active_from = customers["active_from"].to_numpy()
    c = np.repeat(np.arange(len(customers)), _N_Q)
    q = np.tile(np.arange(_N_Q), len(customers))
    lo = np.maximum(_Q_START[q], active_from[c])
    hi = np.minimum(_Q_END[q], np.minimum(churn[c] - 1, _AS_OF))
    days = np.maximum(hi - lo + 1, 0)
    tier = customers["tier"].to_numpy()[c]
    mean = _ADD_ON_RATE[q] * days / (_Q_END[q] - _Q_START[q] + 1) * np.array([1.6, 1.2, 0.8])[tier]
    k = rng.poisson(mean)
    row = np.repeat(np.arange(len(c)), k)
    day = lo[row] + np.floor(rng.random(len(row)) * days[row]).astype(np.int64)
    add_on = rng.random(len(row)) < 0.7
    acv = customers["acv"].to_numpy()[c[row]]
    training = np.array([40000.0, 20000.0, 6000.0])[tier[row]] * rng.uniform(0.6, 1.4, len(row))
    amount = np.where(add_on, acv * rng.uniform(0.08, 0.25, len(row)), training)
    return {"customer": c[row], "day": day, "amount": np.round(amount, -2),
            "product": np.where(add_on, 2, 3)}


def _calibrate(orders: dict[str, np.ndarray], first: np.ndarray) -> None:
    """Scale add-ons, training and implementation so each quarter meets its planned growth.

    Subscriptions are never scaled (renewal and tier figures stay as generated).
    Quarters with a planned existing-customer share scale the existing customers' and the
    new customers' flexible orders separately.
    """
    q = _quarter_of(orders["day"])
    fixed = orders["product"] == 0
    existing = first[orders["customer"]] < _Q_START[q]
    total = np.bincount(q, weights=orders["amount"], minlength=_N_Q)
    for qi in range(_N_Q):
        if qi not in _GROWTH:
            continue
        target = (1 + _GROWTH[qi]) * total[qi - 4]
        here = q == qi
        flex = here & ~fixed
        if qi in _EXISTING:
            parts = [(existing, _EXISTING[qi] * target), (~existing, (1 - _EXISTING[qi]) * target)]
        else:
            parts = [(np.ones(len(q), bool), target)]
        for mask, goal in parts:
            fixed_sum = orders["amount"][here & fixed & mask].sum()
            flex_sum = orders["amount"][flex & mask].sum()
            factor = (goal - fixed_sum) / flex_sum
            if not 0.2 < factor < 5:  # pragma: no cover - a defect of the settings above
                raise RuntimeError(f"case settings: quarter {_QUARTERS[qi]} needs flexible orders x{factor:.2f}")
            orders["amount"][flex & mask] = np.round(orders["amount"][flex & mask] * factor, 2)
        total[qi] = orders["amount"][here].sum()


def _as_dates(days: np.ndarray) -> pd.Series:
    """Int days since 1970 (``_NEVER`` = missing) as a datetime64 column."""
    days = np.asarray(days, dtype=np.int64)
    out = days.astype("datetime64[D]").astype("datetime64[us]")
    out[days >= _NEVER] = np.datetime64("NaT")
    return pd.Series(out)


def _text(values: np.ndarray, missing: np.ndarray | None = None) -> pd.Series:
    """Text column with ``missing`` rows empty."""
    out = pd.Series(np.asarray(values).astype(object), dtype="str")
    if missing is not None:
        out[missing] = np.nan
    return out


def _company_names(rng: np.random.Generator, industry: np.ndarray) -> np.ndarray:
    n = len(industry)
    brand = np.char.add(rng.choice(_BRAND, n), rng.choice(_BRAND, n))
    forms = rng.choice(np.array(["有限公司", "股份有限公司"]), n, p=[0.8, 0.2])
    return np.char.add(np.char.add(brand, np.array(_INDUSTRY_WORDS)[industry]), forms)


def _activities(rng: np.random.Generator, reps: pd.DataFrame) -> pd.DataFrame:
    weeks = np.arange(_days("2021-01-04"), _AS_OF - 6, 7)
    hire, leave = reps["hire"].to_numpy(), reps["leave"].to_numpy()
    r, w = np.nonzero((hire[:, None] <= weeks[None, :]) & (leave[:, None] >= weeks[None, :] + 6))
    after = weeks[w] >= _days(ACTION_START.isoformat())
    return pd.DataFrame({
        "rep_id": reps["rep_id"].to_numpy()[r],
        "week": _as_dates(weeks[w]),
        "visits": rng.poisson(np.where(after, 8.0, 6.0)),
        "calls": rng.poisson(28.0, len(r)),
        "demos": rng.poisson(np.where(after, 3.0, 1.5)),
    })


def _months() -> np.ndarray:
    return np.arange("2021-01", "2024-01", dtype="datetime64[M]")


def _quotas(rng: np.random.Generator, reps: pd.DataFrame, quarter_total: np.ndarray) -> pd.DataFrame:
    """Monthly quotas: the plan (actual +8%; 2023 Q4: 2022 Q4 +30%) split by role and ramp."""
    months = _months()
    m0 = months.astype("datetime64[D]").astype(np.int64)
    m1 = (months + 1).astype("datetime64[D]").astype(np.int64) - 1
    plan = np.append(quarter_total * 1.08, quarter_total[7] * 1.30)
    company = np.repeat(plan, 3) / 3
    hire, leave = reps["hire"].to_numpy(), reps["leave"].to_numpy()
    employed = np.clip((np.minimum(leave[:, None], m1[None, :]) - np.maximum(hire[:, None], m0[None, :]) + 1)
                       / (m1 - m0 + 1)[None, :], 0, 1)
    tenure = (m0[None, :] - hire[:, None]) // 30
    ramp = np.clip((tenure + 1) * 0.25, 0.25, 1.0)
    weight = np.array([_QUOTA_WEIGHT[x] for x in reps["role"]])[:, None] * ramp * employed
    quota = np.round(company[None, :] * weight / weight.sum(axis=0, keepdims=True), -2)
    r, m = np.nonzero(quota > 0)
    return pd.DataFrame({"rep_id": reps["rep_id"].to_numpy()[r],
                         "month": _as_dates(m0[m]), "quota": quota[r, m]})


def _channel_spend(rng: np.random.Generator, created: np.ndarray, channel: np.ndarray) -> pd.DataFrame:
    months = _months()[:33]
    m0 = months.astype("datetime64[D]").astype(np.int64)
    month = np.searchsorted(m0, created, side="right") - 1
    leads = np.zeros((len(months), len(schema.CHANNELS)))
    np.add.at(leads, (month, channel), 1)
    after = (m0 >= _days(ACTION_START.isoformat())).astype(int)
    spend = np.round(leads * _COST_PER_LEAD[after] * rng.uniform(0.9, 1.1, leads.shape), 2)
    m, ch = np.nonzero(spend > 0)
    return pd.DataFrame({"channel": np.array(schema.CHANNELS)[ch], "month": _as_dates(m0[m]),
                         "spend": spend[m, ch]})


def _assessments(rng: np.random.Generator, reps: pd.DataFrame) -> pd.DataFrame:
    """Rate reps (manager and self, 1-5) in three rounds; new hires are weak at finding customers."""
    comps = np.array(schema.COMPETENCIES)
    days = np.array([_days(d) for d in _ASSESSMENT_DATES])
    hire, leave = reps["hire"].to_numpy(), reps["leave"].to_numpy()
    rated = reps["manager_ix"].to_numpy() >= 0
    ability = rng.normal(3.3, 0.45, len(reps))
    r, d = np.nonzero(rated[:, None] & (hire[:, None] <= days[None, :] - 30) & (leave[:, None] >= days[None, :]))
    r, d = np.repeat(r, len(comps)), np.repeat(d, len(comps))
    c = np.tile(np.arange(len(comps)), len(r) // len(comps))
    new = (days[d] - hire[r]) < 365
    weak = np.array([0.0, 0.0, 0.0, -1.3, -0.9, -0.6, 0.0])  # new hires' gaps by competency
    trained = np.array([0.0, 0.0, 0.0, 0.2, 0.8, 0.6, 0.3])  # ROI calculator, case clinics (2023)
    x = ability[r] + np.where(new, weak[c], 0.0) + np.where(d == 2, trained[c], 0.0) + rng.normal(0, 0.4, len(r))
    manager = np.clip(np.round(x), 1, 5).astype(np.int64)
    self_level = np.clip(manager + rng.choice([0, 0, 1], len(r)), 1, 5)
    n = len(r)
    return pd.DataFrame({
        "rep_id": np.tile(reps["rep_id"].to_numpy()[r], 2),
        "competency": np.tile(comps[c], 2),
        "level": np.concatenate([manager, self_level]),
        "rater": np.repeat(["manager", "self"], n),
        "assessed_date": _as_dates(np.tile(days[d], 2)),
    }).sort_values(["assessed_date", "rep_id", "rater"], kind="stable")


def _funnel(rng: np.random.Generator, reps: pd.DataFrame) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Return the won deals and every opportunity (the won ones first), with channel and rep.

    Won deals come first (exact counts and medians), then the other leads.
    """
    won = _won_deals(rng)
    other = _other_leads(rng, won["created"])
    opps = {k: np.concatenate([won[k], other[k]]) for k in won}
    _funnel_flags(rng, opps)
    opps["channel"] = _channels(rng, opps)
    opps["rep"] = _assign_reps(rng, opps, reps)
    return won, opps


def _customers(rng: np.random.Generator, reps: pd.DataFrame, won: dict[str, np.ndarray],
               opps: dict[str, np.ndarray]) -> dict[str, Any]:
    """Return the customers (internal numbers): those from before 2021, then one per won deal.

    Customers from before 2021 come by contract quarter and tier (:data:`_BASE`) and are
    owned by a veteran of their tier's team. Keys: ``n``, ``n_base``, ``won_ix`` (the
    customers of the won deals), per customer ``tier``, ``first`` (day of the first order),
    ``owner``, ``industry``, ``channel``; ``terms`` (the subscription terms), ``churn`` and
    ``frame`` (tier, ACV and first active day, for :func:`_flex_orders`).
    """
    n_won = len(won["created"])
    base_q = np.repeat(np.tile(np.arange(4), 3), _BASE.T.ravel())
    base_tier = np.repeat(np.repeat([0, 1, 2], 4), _BASE.T.ravel())
    n_base = len(base_q)
    base_due = _Q_START[base_q] + np.floor(rng.random(n_base) * (_Q_END[base_q] - _Q_START[base_q] + 1)).astype(
        np.int64)
    base_acv = _log_uniform(rng, _BASE_ACV[base_tier])
    hire, leave = reps["hire"].to_numpy(), reps["leave"].to_numpy()
    veteran = (hire <= _START) & (leave > _START)
    team = reps["team_ix"].to_numpy()
    base_owner = np.argmax(np.where(veteran[None, :] & (team[None, :] == base_tier[:, None]),
                                    rng.random((n_base, len(reps))), -1.0), axis=1)
    n_cust = n_base + n_won
    tier = np.concatenate([base_tier, won["tier"]])
    acv = np.concatenate([base_acv, won["amount"]])
    first = np.concatenate([base_due - _YEAR * rng.integers(1, 6, n_base), won["closed"]])
    owner = np.concatenate([base_owner, opps["rep"][:n_won]])
    industry = rng.choice(len(_INDUSTRIES), n_cust)
    channel = np.concatenate([rng.choice(len(schema.CHANNELS), n_base, p=_CHANNEL_MIX[0]),
                              opps["channel"][:n_won]])
    terms, churn = _terms(rng, np.arange(n_cust), np.concatenate([base_due - _YEAR, won["closed"]]), tier, acv,
                          np.arange(n_cust) >= n_base)
    frame = pd.DataFrame({"tier": tier, "acv": acv,
                          "active_from": np.concatenate([np.full(n_base, _START), won["closed"] + 1])})
    return {"n": n_cust, "n_base": n_base, "won_ix": np.arange(n_base, n_cust), "tier": tier, "first": first,
            "owner": owner, "industry": industry, "channel": channel, "terms": terms, "churn": churn,
            "frame": frame}


def _orders(rng: np.random.Generator, reps: pd.DataFrame, cust: dict[str, Any],
            won: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Return the orders (internal numbers) and each rep's successor.

    Subscriptions, implementation of new customers, add-ons and training, calibrated to the
    case's net sales; ``rep`` is the rep credited: the customer's owner, or the owner's
    successor after the owner left.
    """
    terms, won_ix = cust["terms"], cust["won_ix"]
    n_won = len(won_ix)
    flex = _flex_orders(rng, cust["frame"], cust["churn"])
    orders = {
        "customer": np.concatenate([terms["customer"].to_numpy(), won_ix, flex["customer"]]),
        "day": np.concatenate([terms["start"].to_numpy(), won["closed"], flex["day"]]),
        "amount": np.concatenate([terms["acv"].to_numpy(),
                                  np.round(won["amount"] * rng.uniform(*_IMPLEMENTATION, n_won), -2),
                                  flex["amount"]]),
        "product": np.concatenate([np.zeros(len(terms), np.int64), np.ones(n_won, np.int64), flex["product"]]),
    }
    _calibrate(orders, cust["first"])
    successor = _successor(rng, reps)
    leave = reps["leave"].to_numpy()
    o_owner = cust["owner"][orders["customer"]]
    orders["rep"] = np.where(orders["day"] > leave[o_owner], successor[o_owner], o_owner)
    return orders, successor


def _opportunity_table(rng: np.random.Generator, opps: dict[str, np.ndarray], won_ix: np.ndarray,
                       c_ids: np.ndarray, rep_ids: np.ndarray) -> pd.DataFrame:
    """Return the opportunities table: public ids by creation date, a reason for each lost deal."""
    p = np.lexsort((np.arange(len(opps["created"])), opps["created"]))
    stop = opps["stop"][p]
    reason = np.array(_LOST_REASONS)[(rng.random(len(p))[:, None]
                                      > np.cumsum(_LOST_P[np.minimum(stop, 2)], axis=1)[:, :-1]).sum(axis=1)]
    lost = opps["outcome"][p] == 1
    opp_customer = np.full(len(opps["created"]), -1)
    opp_customer[:len(won_ix)] = won_ix
    opportunities = pd.DataFrame({
        "opportunity_id": [f"P{i + 1:05d}" for i in range(len(p))],
        "customer_id": _text(c_ids[np.maximum(opp_customer[p], 0)], opp_customer[p] < 0),
        "rep_id": rep_ids[opps["rep"][p]],
        "channel": np.array(schema.CHANNELS)[opps["channel"][p]],
        "amount": opps["amount"][p],
        "created_date": _as_dates(opps["created"][p]),
        "intent_date": _as_dates(opps["intent"][p]),
        "negotiation_date": _as_dates(opps["negotiation"][p]),
        "closed_date": _as_dates(opps["closed"][p]),
        "outcome": np.array(schema.OUTCOMES)[opps["outcome"][p]],
        "lost_reason": _text(reason, ~lost),
        "needs_match": opps["needs_match"][p],
        "objection": pd.array(np.where(opps["has_nego"][p], opps["objection"][p], False), dtype="boolean"),
    })
    opportunities.loc[~opps["has_nego"][p], "objection"] = pd.NA
    return opportunities


def _rep_table(reps: pd.DataFrame) -> pd.DataFrame:
    """Return the reps table (leave dates only of those gone by the as-of date)."""
    rep_ids = reps["rep_id"].to_numpy()
    leave = reps["leave"].to_numpy()
    return pd.DataFrame({
        "rep_id": rep_ids, "name": reps["name"], "team": np.array(TEAMS)[reps["team_ix"].to_numpy()],
        "region": reps["region"], "role": reps["role"],
        "manager_id": _text(rep_ids[np.maximum(reps["manager_ix"].to_numpy(), 0)],
                            reps["manager_ix"].to_numpy() < 0),
        "hire_date": _as_dates(reps["hire"].to_numpy()),
        "leave_date": _as_dates(np.where(leave <= _AS_OF, leave, _NEVER)),
        "base_salary": reps["salary"],
    })


def _customer_table(rng: np.random.Generator, reps: pd.DataFrame, cust: dict[str, Any], successor: np.ndarray,
                    c_order: np.ndarray, c_ids: np.ndarray) -> pd.DataFrame:
    """Return the customers table in order of first order; a gone owner's customers go to the successor."""
    owner = cust["owner"]
    owner_now = np.where(reps["leave"].to_numpy()[owner] <= _AS_OF, successor[owner], owner)
    return pd.DataFrame({
        "customer_id": c_ids[c_order],
        "name": _company_names(rng, cust["industry"])[c_order],
        "industry": np.array(_INDUSTRIES)[cust["industry"][c_order]],
        "region": np.array(_REGIONS)[rng.choice(len(_REGIONS), cust["n"])],
        "channel": np.array(schema.CHANNELS)[cust["channel"][c_order]],
        "owner_rep_id": reps["rep_id"].to_numpy()[owner_now[c_order]],
        "first_order_date": _as_dates(cust["first"][c_order]),
    })


def _order_table(orders: dict[str, np.ndarray], c_ids: np.ndarray, rep_ids: np.ndarray) -> pd.DataFrame:
    """Return the orders table: public ids by date (then product line), amounts to the cent."""
    o = np.lexsort((orders["product"], orders["day"]))
    return pd.DataFrame({
        "order_id": [f"O{i + 1:05d}" for i in range(len(o))],
        "customer_id": c_ids[orders["customer"][o]],
        "rep_id": rep_ids[orders["rep"][o]],
        "order_date": _as_dates(orders["day"][o]),
        "amount": np.round(orders["amount"][o], 2),
        "product_line": np.array(PRODUCT_LINES)[orders["product"][o]],
        "is_refund": np.zeros(len(o), dtype=bool),
    })

def _tidy(frame: pd.DataFrame, table: str, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """Put schema columns in order (then ``extra``), text as ``str``, with a fresh RangeIndex.

    Optional columns the case does not track (such as the activities' satisfaction and
    needs-match counts) are there, empty.
    """
    for col in schema.TABLES[table].columns:
        if col.name not in frame.columns and not col.required:
            frame = frame.assign(**{col.name: pd.array([pd.NA] * len(frame), dtype="Int64")
                                    if col.kind in ("count", "level") else np.nan})
    frame = frame[schema.column_names(table) + list(extra)].reset_index(drop=True)
    for col in schema.TABLES[table].columns:
        if col.kind in ("id", "text", "category"):
            frame[col.name] = frame[col.name].astype("str")
    return frame


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError("seed", seed, "a whole number >= 0, e.g. 7")
    return int(seed)


def generate_case(*, seed: int = 7) -> dict[str, pd.DataFrame]:
    """Build every table of the case company; pure and deterministic.

    Parameters
    ----------
    seed : int, default 7
        Random seed (``numpy.random.default_rng``). Names, amounts, dates and who gets
        which deal change with the seed; the case's figures (see :func:`case_figures`)
        hold for every seed, because counts and medians are set exactly and net sales
        are calibrated quarter by quarter.

    Returns
    -------
    dict of str to DataFrame
        One frame per table of :data:`playbook.schema.TABLE_ORDER`, in that order, with
        the schema's columns typed as :func:`playbook.data.loading.load_dataset` returns them;
        ``opportunities`` has two extra columns, ``needs_match`` (bool) and
        ``objection`` (nullable boolean, empty without negotiation): see
        :data:`EXTRA_COLUMNS`. Write them with :func:`playbook.data.sample.write_tables`.

    Raises
    ------
    ParameterError
        If ``seed`` is not a whole number >= 0.

    Examples
    --------
    >>> tables = generate_case(seed=7)
    >>> {name: len(frame) > 0 for name, frame in tables.items()} == dict.fromkeys(schema.TABLE_ORDER, True)
    True
    >>> tables["orders"]["order_date"].agg(["min", "max"]).dt.date.tolist()
    [datetime.date(2021, 1, 1), datetime.date(2023, 9, 30)]
    >>> sorted(tables["reps"]["team"].unique()) == sorted(TEAMS)
    True
    >>> generate_case(seed=7)["orders"].equals(tables["orders"])
    True
    """
    rng = np.random.default_rng(_check_seed(seed))  # the helpers below draw from it in this order
    reps = _reps(rng)
    won, opps = _funnel(rng, reps)
    cust = _customers(rng, reps, won, opps)
    orders, successor = _orders(rng, reps, cust, won)
    rep_ids = reps["rep_id"].to_numpy()
    c_order = np.lexsort((np.arange(cust["n"]), cust["first"]))  # public ids by first order
    c_ids = np.empty(cust["n"], dtype=object)
    c_ids[c_order] = [f"C{i + 1:04d}" for i in range(cust["n"])]
    opportunities = _opportunity_table(rng, opps, cust["won_ix"], c_ids, rep_ids)
    tables = {
        "reps": _rep_table(reps),
        "customers": _customer_table(rng, reps, cust, successor, c_order, c_ids),
        "orders": _order_table(orders, c_ids, rep_ids),
        "opportunities": opportunities,
        "activities": _activities(rng, reps),
        "channel_spend": _channel_spend(rng, opps["created"], opps["channel"]),
        "assessments": _assessments(rng, reps),
    }
    q = _quarter_of(orders["day"])
    tables["quotas"] = _quotas(rng, reps, np.bincount(q, weights=orders["amount"], minlength=_N_Q))
    extra = {"opportunities": tuple(EXTRA_COLUMNS["opportunities"])}
    return {name: _tidy(tables[name], name, extra.get(name, ())) for name in schema.TABLE_ORDER}


def case_dataset(*, seed: int = 7) -> object:
    """Return the case company as a :class:`playbook.data.loading.Dataset` (as of :data:`CASE_AS_OF`).

    For functions that take a whole dataset, such as :func:`playbook.idp.dataset_evidence`.

    Examples
    --------
    >>> ds = case_dataset(seed=7)
    >>> ds.as_of.date(), ds.source
    (datetime.date(2023, 9, 30), 'case:saas-turnaround')
    """
    return Dataset(**generate_case(seed=seed), as_of=pd.Timestamp(CASE_AS_OF), source=f"case:{PRESET}")
