"""The workshop case company: a SaaS company's turnaround (domain brief, section 6).

:func:`generate_case` builds every table of :mod:`playbook.schema` for a fictitious
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

import datetime
from collections.abc import Mapping
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from playbook import schema
from playbook.errors import MissingColumnsError, ParameterError
from playbook.labels import check_lang, t
from playbook.plotting import setup_fonts

__all__ = [
    "PRESET",
    "CASE_START",
    "CASE_AS_OF",
    "ACTION_START",
    "SUBSCRIPTION",
    "PRODUCT_LINES",
    "KEY_ACCOUNT_MIN",
    "SMB_MAX",
    "GRACE_DAYS",
    "FIRST_DEAL_DAYS",
    "EXTRA_COLUMNS",
    "TEAMS",
    "CASE_OKR",
    "CaseFigure",
    "FIGURES",
    "FIGURE_COLUMNS",
    "generate_case",
    "case_dataset",
    "window",
    "quarter_sales",
    "yoy_growth",
    "subscription_terms",
    "renewal_rate",
    "needs_match_rate",
    "objection_rate",
    "cycle_days",
    "lead_count",
    "existing_share",
    "first_deal_rate",
    "case_figures",
    "figures_display",
    "figures_chart",
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
"""Columns beyond the schema (kept by :mod:`playbook.io`), table -> column -> meaning."""
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


def _tidy(frame: pd.DataFrame, table: str, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """Put schema columns in order (then ``extra``), text as ``str``, with a fresh RangeIndex."""
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
        the schema's columns typed as :func:`playbook.io.load_dataset` returns them;
        ``opportunities`` has two extra columns, ``needs_match`` (bool) and
        ``objection`` (nullable boolean, empty without negotiation): see
        :data:`EXTRA_COLUMNS`. Write them with :func:`playbook.sample.write_tables`.

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
    rng = np.random.default_rng(_check_seed(seed))
    reps = _reps(rng)

    # the funnel: won deals first (exact counts and medians), then the other leads
    won = _won_deals(rng)
    other = _other_leads(rng, won["created"])
    opps = {k: np.concatenate([won[k], other[k]]) for k in won}
    _funnel_flags(rng, opps)
    opps["channel"] = _channels(rng, opps)
    opps["rep"] = _assign_reps(rng, opps, reps)
    n_won = len(won["created"])

    # customers: from before 2021 (by contract quarter and tier), then one per won deal
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
    cust_channel = np.concatenate([rng.choice(len(schema.CHANNELS), n_base, p=_CHANNEL_MIX[0]),
                                   opps["channel"][:n_won]])
    terms, churn = _terms(rng, np.arange(n_cust), np.concatenate([base_due - _YEAR, won["closed"]]), tier, acv,
                          np.arange(n_cust) >= n_base)
    customers = pd.DataFrame({"tier": tier, "acv": acv,
                              "active_from": np.concatenate([np.full(n_base, _START), won["closed"] + 1])})

    # orders: subscriptions, implementation of new customers, add-ons and training
    flex = _flex_orders(rng, customers, churn)
    won_ix = np.arange(n_base, n_cust)
    orders = {
        "customer": np.concatenate([terms["customer"].to_numpy(), won_ix, flex["customer"]]),
        "day": np.concatenate([terms["start"].to_numpy(), won["closed"], flex["day"]]),
        "amount": np.concatenate([terms["acv"].to_numpy(),
                                  np.round(won["amount"] * rng.uniform(*_IMPLEMENTATION, n_won), -2),
                                  flex["amount"]]),
        "product": np.concatenate([np.zeros(len(terms), np.int64), np.ones(n_won, np.int64), flex["product"]]),
    }
    _calibrate(orders, first)
    successor = _successor(rng, reps)
    o_owner = owner[orders["customer"]]
    credited = np.where(orders["day"] > leave[o_owner], successor[o_owner], o_owner)
    owner_now = np.where(leave[owner] <= _AS_OF, successor[owner], owner)

    # tables, with public ids (customers by first order, orders and opportunities by date)
    rep_ids = reps["rep_id"].to_numpy()
    c_order = np.lexsort((np.arange(n_cust), first))
    c_ids = np.empty(n_cust, dtype=object)
    c_ids[c_order] = [f"C{i + 1:04d}" for i in range(n_cust)]
    o = np.lexsort((orders["product"], orders["day"]))
    p = np.lexsort((np.arange(len(opps["created"])), opps["created"]))
    stop = opps["stop"][p]
    reason = np.array(_LOST_REASONS)[(rng.random(len(p))[:, None]
                                      > np.cumsum(_LOST_P[np.minimum(stop, 2)], axis=1)[:, :-1]).sum(axis=1)]
    lost = opps["outcome"][p] == 1
    opp_customer = np.full(len(opps["created"]), -1)
    opp_customer[:n_won] = won_ix
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
    tables = {
        "reps": pd.DataFrame({
            "rep_id": rep_ids, "name": reps["name"], "team": np.array(TEAMS)[team],
            "region": reps["region"], "role": reps["role"],
            "manager_id": _text(rep_ids[np.maximum(reps["manager_ix"].to_numpy(), 0)],
                                reps["manager_ix"].to_numpy() < 0),
            "hire_date": _as_dates(hire), "leave_date": _as_dates(np.where(leave <= _AS_OF, leave, _NEVER)),
            "base_salary": reps["salary"],
        }),
        "customers": pd.DataFrame({
            "customer_id": c_ids[c_order],
            "name": _company_names(rng, industry)[c_order],
            "industry": np.array(_INDUSTRIES)[industry[c_order]],
            "region": np.array(_REGIONS)[rng.choice(len(_REGIONS), n_cust)],
            "channel": np.array(schema.CHANNELS)[cust_channel[c_order]],
            "owner_rep_id": rep_ids[owner_now[c_order]],
            "first_order_date": _as_dates(first[c_order]),
        }),
        "orders": pd.DataFrame({
            "order_id": [f"O{i + 1:05d}" for i in range(len(o))],
            "customer_id": c_ids[orders["customer"][o]],
            "rep_id": rep_ids[credited[o]],
            "order_date": _as_dates(orders["day"][o]),
            "amount": np.round(orders["amount"][o], 2),
            "product_line": np.array(PRODUCT_LINES)[orders["product"][o]],
            "is_refund": np.zeros(len(o), dtype=bool),
        }),
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
    """Return the case company as a :class:`playbook.io.Dataset` (as of :data:`CASE_AS_OF`).

    For functions that take a whole dataset, such as :func:`playbook.idp.dataset_evidence`.

    Examples
    --------
    >>> ds = case_dataset(seed=7)
    >>> ds.as_of.date(), ds.source
    (datetime.date(2023, 9, 30), 'case:saas-turnaround')
    """
    from playbook.io import Dataset

    return Dataset(**generate_case(seed=seed), as_of=pd.Timestamp(CASE_AS_OF), source=f"case:{PRESET}")


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
    playbook.errors.ParameterError: parameter period='2023-13' is not valid: expected a year, a \
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
    raise ParameterError("figures", spec.figure, "figures named in playbook.case_study.FIGURES")


def case_figures(tables: Mapping[str, pd.DataFrame], *, figures: tuple[CaseFigure, ...] = FIGURES) -> pd.DataFrame:
    """Measure the case study's figures from the tables, each with its target and tolerance.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        The case company's tables (:func:`generate_case`, or the CSV files it wrote
        loaded with :func:`playbook.io.load_dataset`): ``reps``, ``customers``,
        ``orders`` and ``opportunities`` with its extra columns.
    figures : tuple of CaseFigure
        What to measure; default :data:`FIGURES`.

    Returns
    -------
    DataFrame
        :data:`FIGURE_COLUMNS`, one row per figure, in the order of ``figures``.

    Examples
    --------
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


def _fmt(value: float, unit: str, lang: str) -> str:
    if pd.isna(value):
        return "—"
    if unit == "pct":
        return f"{value:+.0%}" if value < 0 else f"{value:.0%}"
    if unit == "days":
        return t("case.days", lang, n=f"{value:g}")
    return f"{value:,.0f}"


def figures_display(figures: pd.DataFrame, *, lang: str = "en") -> pd.DataFrame:
    """Return :func:`case_figures` as text for people: figure name, stage, period, value, source.

    Examples
    --------
    >>> f = case_figures(generate_case(seed=7))
    >>> figures_display(f, lang="zh").iloc[2].tolist()
    ['重点客户续约率', '改进前', '2022-Q1', '85%', '85%', '27', '✓']
    """
    check_lang(lang)
    rows = pd.DataFrame({
        t("case.col.figure", lang): [t(f"case.figure.{x}", lang) for x in figures["figure"]],
        t("case.col.stage", lang): [t(f"case.stage.{x}", lang) for x in figures["stage"]],
        t("case.col.period", lang): figures["period"].astype(str),
        t("case.col.value", lang): [_fmt(v, u, lang) for v, u in zip(figures["value"], figures["unit"], strict=True)],
        t("case.col.source", lang): figures["source"].astype(str).replace("", "—"),
        t("case.col.n", lang): [f"{n:,}" for n in figures["n"]],
        t("case.col.within", lang): ["" if pd.isna(w) else ("✓" if w else "✗") for w in figures["within"]],
    })
    return rows


_COLORS = {"before": "#9e9e9e", "after": "#1f77b4"}


def figures_chart(figures: pd.DataFrame, *, lang: str = "en") -> Figure:
    """Before/after bars of the case's rates, and of the sales cycle in days.

    ``figures`` is :func:`case_figures` output (or its rows of one stage: then only
    those bars are drawn). For a figure measured twice before, the later value is used.
    """
    check_lang(lang)
    setup_fonts()
    shown = figures[figures["figure"].isin(["key_account_renewal", "needs_match", "objection_rate",
                                            "existing_share", "first_deal_rate", "cycle_days"])]
    shown = shown.drop_duplicates(["figure", "stage"], keep="last")
    wide = shown.pivot(index="figure", columns="stage", values="value")
    order = [f for f in ["key_account_renewal", "needs_match", "objection_rate", "existing_share",
                         "first_deal_rate", "cycle_days"] if f in wide.index]
    wide = wide.reindex(order)
    stages = [s for s in ("before", "after") if s in wide.columns]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained",
                                  gridspec_kw={"width_ratios": [4, 1]})
    rates = wide.drop(index="cycle_days", errors="ignore")
    y = np.arange(len(rates))
    height = 0.8 / max(len(stages), 1)
    for i, stage in enumerate(stages):
        vals = rates[stage].to_numpy() * 100
        bars = ax.barh(y + (i - (len(stages) - 1) / 2) * height, vals, height, label=t(f"case.stage.{stage}", lang),
                       color=_COLORS[stage])
        ax.bar_label(bars, labels=[("" if np.isnan(v) else f"{v:.0f}%") for v in vals], fontsize=8, padding=2)
    ax.set_yticks(y, [t(f"case.figure.{f}", lang) for f in rates.index])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("%")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    if "cycle_days" in wide.index:
        vals = wide.loc["cycle_days", stages].to_numpy(dtype=float)
        bars = ax2.bar([t(f"case.stage.{s}", lang) for s in stages], vals, color=[_COLORS[s] for s in stages])
        ax2.bar_label(bars, labels=[f"{v:g}" for v in vals], fontsize=8)
    ax2.set_title(t("case.figure.cycle_days", lang), fontsize=10)
    ax2.set_ylabel(t("case.days_axis", lang))
    fig.suptitle(t("case.chart_title", lang))
    plt.close(fig)
    return fig
