"""The deterministic sample company: a Chinese B2B sales team with planted findings.

:func:`generate` builds every table of :mod:`playbook.schema` for a fictitious company
that sells software subscriptions, hardware, implementation and training to Chinese
companies, from 1 January 2023 to :data:`SAMPLE_AS_OF` (30 September 2025). The same
``seed`` and ``scale`` always give the same tables; :func:`write_tables` writes them
as CSV files, byte for byte the same every time. The shipped ``data/sample/`` folder is
``generate(seed=7, scale=1)``; ``data/README.md`` documents it for people.

The data carry findings a workshop can discover; :data:`SIGNALS` names them (rep ids,
team, channels) so tests and notebooks can find them:

a. referral leads convert about 3x better than paid-ad leads;
b. one team loses its deals at the negotiation stage;
c. one sales specialist meets his quota but sells far less than his peers and is weak
   at new-customer development (the worked IDP example of the domain brief);
d. the reps hired in 2025 are still ramping up;
e. February (Spring Festival) is each year's weakest month, December the strongest.

Examples
--------
>>> from playbook.sample import SIGNALS, generate
>>> tables = generate(seed=7, scale=1)
>>> list(tables)
['reps', 'customers', 'orders', 'opportunities', 'activities', 'channel_spend', 'assessments', 'quotas']
>>> reps = tables["reps"].set_index("rep_id")
>>> reps.loc[SIGNALS.under_performer, ["name", "team", "role"]].tolist()
['董文斌', '华东一组', '销售专员']
>>> reps.loc[SIGNALS.under_performer_manager, ["name", "role"]].tolist()
['那振宇', '销售经理']
>>> SIGNALS.leaky_team, SIGNALS.ramping_cohort, SIGNALS.paid_ad_channels
('华北一组', ('R022', 'R023', 'R024', 'R025'), ('paid_search', 'paid_social'))
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from playbook import schema
from playbook.errors import ParameterError

__all__ = [
    "SAMPLE_START",
    "SAMPLE_AS_OF",
    "PRODUCT_LINES",
    "LOST_REASONS",
    "SampleSignals",
    "SIGNALS",
    "generate",
    "write_tables",
]

SAMPLE_START = datetime.date(2023, 1, 1)
"""First day of the sample's history."""
SAMPLE_AS_OF = datetime.date(2025, 9, 30)
"""Last day of the sample's history: no date is later (quotas excepted)."""

PRODUCT_LINES = ("软件订阅", "硬件设备", "实施服务", "培训服务")
"""Product lines: software subscription, hardware, implementation, training."""
LOST_REASONS = ("价格", "竞品", "预算", "无需求")
"""Why opportunities are lost: price, competitor, budget, no need."""

# ---------------------------------------------------------------------------------------
# Business rules of the sample company (all amounts in CNY, rates per month unless noted)
# ---------------------------------------------------------------------------------------
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)
_START = np.datetime64(SAMPLE_START, "D").astype(np.int64)
_AS_OF = np.datetime64(SAMPLE_AS_OF, "D").astype(np.int64)
_NEVER = np.int64(10**6)  # "no leave date" (year 4707)
_MONTHS = np.arange("2023-01", "2026-01", dtype="datetime64[M]")  # 36 months, quotas to 2025-12
_N_HIST = 33  # months 2023-01 .. 2025-09 hold the history
_MONTH_START = _MONTHS.astype("datetime64[D]").astype(np.int64)
_MONTH_END = (_MONTHS + 1).astype("datetime64[D]").astype(np.int64) - 1
_CAL_MONTH = np.arange(len(_MONTHS)) % 12  # 0 = January

# Monthly seasonality: Spring Festival lull in February, 618 mid-year push in June,
# Golden Week in October, year-end budgets in November and December.
_SEASON = np.array([0.95, 0.55, 1.0, 0.98, 1.0, 1.18, 0.9, 0.92, 1.04, 0.93, 1.1, 1.45])
_LEAD_SEASON = np.array([0.9, 0.6, 1.05, 1.0, 1.0, 1.1, 0.95, 0.95, 1.05, 0.9, 1.1, 1.15])
_TREND = 1.12  # customers buy this much more each year (before new accounts and hires)
_SPRING_FESTIVAL = np.array(["2023-01-22", "2024-02-10", "2025-01-29"], dtype="datetime64[D]")
_NATIONAL_DAY = np.array(["2023-10-01", "2024-10-01", "2025-10-01"], dtype="datetime64[D]")

_REGIONS = ("华东", "华北", "华南", "华中", "西南", "西北", "东北")
_CITIES = np.array([
    ["上海", "杭州", "南京", "苏州", "宁波", "合肥", "无锡"],
    ["北京", "天津", "石家庄", "太原", "保定", "唐山", "呼和浩特"],
    ["广州", "深圳", "东莞", "佛山", "珠海", "南宁", "海口"],
    ["武汉", "长沙", "郑州", "南昌", "宜昌", "洛阳", "株洲"],
    ["成都", "重庆", "昆明", "贵阳", "绵阳", "南充", "遵义"],
    ["西安", "兰州", "银川", "西宁", "乌鲁木齐", "宝鸡", "咸阳"],
    ["沈阳", "大连", "长春", "哈尔滨", "吉林", "鞍山", "大庆"],
])
_INDUSTRIES = ("制造业", "零售", "医疗健康", "教育", "物流", "软件与互联网", "建材", "餐饮食品",
               "金融服务")
_INDUSTRY_P = np.array([0.22, 0.13, 0.1, 0.08, 0.1, 0.14, 0.09, 0.08, 0.06])
_INDUSTRY_WORDS = np.array([
    ["机械制造", "精密制造", "工业"],
    ["商贸", "百货", "贸易"],
    ["医疗器械", "生物科技", "健康科技"],
    ["教育科技", "文化传播", "教育咨询"],
    ["物流", "供应链管理", "货运"],
    ["科技", "信息技术", "网络科技"],
    ["建材", "新材料", "装饰工程"],
    ["食品", "餐饮管理", "农业科技"],
    ["投资咨询", "融资租赁", "财务咨询"],
])
_BRAND_1 = list("华恒中鑫博瑞金天宏新安汇力嘉永达创盛德信泰明正亿通凯宝远东海佳荣康联科源丰益昌隆")
_BRAND_2 = list("信达联源远丰泰成图瑞捷通禾盛新辉邦业诚创润峰拓航祥晟宇驰智维兴鼎嘉锐升鸿辰耀")
_COMPANY_FORMS = np.array(["有限公司", "股份有限公司", "集团有限公司"])
_SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田袁潘蒋蔡余杜叶程魏苏"
    "吕丁任沈姚卢钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵"
)
_GIVEN_MALE = list("伟强磊军洋勇杰涛明超刚辉鹏建飞宇浩峰凯亮博俊斌海鑫志新立振林永健国帆昊阳彬文华晨")
_GIVEN_FEMALE = list("芳娜敏静丽艳娟秀霞红欣怡婷雪琳佳思雨梦晓琪颖春慧玉丹然悦倩晨文华")

# Team layout: 7 founding members (manager, 2 senior reps, 4 specialists); teams come in
# blocks of three, and each block hires 4 reps in 2025 (2 + 1 + 1) and loses one in 2024.
_ROLES = ("销售经理", "高级销售", "销售专员")
_TEAM_ROLES = np.array([0, 1, 1, 2, 2, 2, 2])
_COHORT_PER_SLOT = (2, 1, 1)
_COHORT_HIRES = np.array(["2025-02-17", "2025-03-03", "2025-04-14", "2025-05-12"],
                         dtype="datetime64[D]").astype(np.int64)
_LEAVER = (2, 6)  # (team slot in block, member position)
_SUCCESSOR_POSITION = 1  # the senior rep who takes over a leaver's accounts
_UNDER_PERFORMER = (0, 3)  # (team index, member position): only in the first team
_LEAKY_TEAM = 1  # only the second team
_UNDER_PERFORMER_RATIOS = (0.72, 0.70, 0.68)  # his net sales / peer median, 2023-2025
_UNDER_PERFORMER_ATTAINMENT = (1.04, 1.10)  # his net sales / quota, 2024 and 2025 YTD
_UNDER_PERFORMER_NAME = "董文斌"
_UNDER_PERFORMER_MANAGER_NAME = "那振宇"

# Funnel, per lead channel (order of schema.CHANNELS)
_CHANNEL_P = np.array([0.15, 0.2, 0.1, 0.32, 0.23])
_SHOW_MONTHS = (2, 8, 10)  # trade shows in March, September, November (0 = January)
_P_INTENT = np.array([0.7, 0.55, 0.46, 0.35, 0.33])
_P_NEGOTIATION = np.array([0.7, 0.6, 0.55, 0.48, 0.46])
_P_WIN = 0.56  # negotiation -> won
_P_WIN_LEAKY = 0.30
_LOST_P = np.array([  # rows: stage lost at (lead, intent, negotiation, leaky negotiation)
    [0.0, 0.1, 0.35, 0.55],
    [0.15, 0.35, 0.4, 0.1],
    [0.5, 0.35, 0.15, 0.0],
    [0.6, 0.3, 0.1, 0.0],
])  # columns follow LOST_REASONS
_COST_PER_LEAD = np.array([200.0, 260.0, 900.0, 650.0, 560.0])  # referral: cashback per lead

_NEW_LEADS = 7.5  # new-business leads per rep and month
_UPSELL = 0.06  # upsell opportunities per active customer and month
_BOOK = 40  # founding customers per rep (managers and seniors scaled below)
_STARTER_BOOK = 30  # accounts handed to each 2025 hire
_RAMP_FLOOR, _RAMP_MONTHS = 0.1, 6  # a new hire sells 10% of his potential, 100% after 6 months
_RATE = 0.3  # median orders per customer and month
_MAX_SCALE = 200  # about 3 million orders and 2.5 GB of memory
_LIFETIME = 54.0  # mean customer lifetime, months
_PRODUCT_P = np.array([0.45, 0.2, 0.2, 0.15])
_PRODUCT_MULT = np.array([1.0, 1.6, 1.25, 0.45])

_ASSESSMENT_ROUNDS = np.array(["2023-12-22", "2024-06-28", "2024-12-27", "2025-06-27"],
                              dtype="datetime64[D]").astype(np.int64)
_UNDER_PERFORMER_LEVELS = {  # manager's rating in 2025 (the domain brief's IDP example)
    "product_knowledge": 4,
    "customer_communication": 3,
    "market_awareness": 4,
    "new_customer_development": 2,
    "needs_diagnosis": 3,
    "negotiation": 3,
    "customer_retention": 4,
}


@dataclass(frozen=True)
class SampleSignals:
    """The findings planted in the sample company (``scale=1``, any seed).

    Rep ids and team names come from the fixed team layout, so they do not depend on
    the seed. Rates are the generator's settings; measured values vary a little.

    Attributes
    ----------
    as_of : datetime.date
        Last day of the history.
    under_performer : str
        rep_id of the sales specialist who meets quota (~110% in 2025 YTD) but sells
        about 0.68 of the median of his peers (same role, employed all of 2025).
    under_performer_manager : str
        rep_id of his direct supervisor.
    under_performer_levels : Mapping[str, int]
        The manager's competency levels for him in 2025 (1-5).
    under_performer_attainment : float
        Planted 2025 year-to-date quota attainment (net sales / quota).
    under_performer_peer_ratio : float
        Planted 2025 YTD sales relative to the median of his peers.
    peer_role : str
        The role his peers share.
    leaky_team : str
        Team whose negotiation -> won rate is low.
    leaky_negotiation_win_rate, other_negotiation_win_rate : float
        Negotiation -> won probability of the leaky team and of the others.
    ramping_cohort : tuple of str
        rep_ids of the reps hired in 2025, still ramping up.
    leaver : str
        rep_id of the rep who left in 2024 (the accounts went to the team's seniors).
    referral_channel : str
        Channel key of referral leads.
    paid_ad_channels : tuple of str
        Channel keys of paid ads.
    referral_vs_paid_conversion : float
        Planted ratio of won/created, referral over paid ads.
    weakest_month, strongest_month : int
        Calendar month (1-12) with the lowest and highest sales each full year.
    """

    as_of: datetime.date
    under_performer: str
    under_performer_manager: str
    under_performer_levels: Mapping[str, int]
    under_performer_attainment: float
    under_performer_peer_ratio: float
    peer_role: str
    leaky_team: str
    leaky_negotiation_win_rate: float
    other_negotiation_win_rate: float
    ramping_cohort: tuple[str, ...]
    leaver: str
    referral_channel: str
    paid_ad_channels: tuple[str, ...]
    referral_vs_paid_conversion: float
    weakest_month: int
    strongest_month: int


# ---------------------------------------------------------------------------------------
# Small vectorised helpers
# ---------------------------------------------------------------------------------------
def _n_teams(scale: float) -> int:
    return max(1, int(np.floor(3 * scale + 0.5)))


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    """``prefix`` + zero-padded 1..n; wider than ``width`` when n needs it."""
    width = max(width, len(str(n)))
    return np.strings.add(prefix, np.strings.zfill(np.arange(1, n + 1).astype(str), width))


def _cn_number(n: int) -> str:
    """Chinese numeral for 1-99 (一, 十二, 七十); digits beyond."""
    digits = "一二三四五六七八九"
    if n < 10:
        return digits[n - 1]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else digits[tens - 1]) + "十" + (digits[ones - 1] if ones else "")
    return str(n)


def _weekday(days: np.ndarray) -> np.ndarray:
    return (days + _EPOCH_WEEKDAY) % 7


def _uniform_day(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Draw a day in [lo, hi] (inclusive), a working day unless three draws say otherwise."""
    draws = lo + np.floor(rng.random((3, len(lo))) * (hi - lo + 1)).astype(np.int64)
    weekday = _weekday(draws) < 5
    return np.where(weekday[0], draws[0], np.where(weekday[1], draws[1], draws[2]))


def _add_workdays(start: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``start`` (rolled forward to a working day) plus ``n`` working days."""
    dates = np.busday_offset(start.astype("datetime64[D]"), n, roll="forward")
    return dates.astype(np.int64)


def _draw_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category per row of ``probs`` (each row sums to 1)."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None]
    return np.minimum((u >= cum).sum(axis=1), probs.shape[1] - 1)


def _thin(rng: np.random.Generator, p: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Bernoulli(``p``) draws whose total in each group is fixed to ``sum(p)`` (+-1).

    Systematic sampling in a random order: each row is drawn with probability ``p``,
    but a group's count does not wander, so planted rates hold in small samples.
    """
    n = len(p)
    if n == 0:
        return np.zeros(0, bool)
    order = np.lexsort((rng.random(n), group))
    g, ps = group[order], p[order]
    first = np.r_[True, g[1:] != g[:-1]]
    gid = np.cumsum(first) - 1
    total = np.cumsum(ps)
    cum = total - (total - ps)[first][gid]
    u = rng.random(gid[-1] + 1)[gid]
    hit = np.floor(cum + u) > np.floor(cum - ps + u)
    out = np.empty(n, bool)
    out[order] = hit
    return out


def _expand(counts: np.ndarray) -> np.ndarray:
    """Row index repeated ``counts`` times (the inverse of a group count)."""
    return np.repeat(np.arange(len(counts)), counts)


def _as_dates(days: np.ndarray) -> pd.Series:
    """Int days since 1970 (``_NEVER`` or below 0 = missing) as a datetime64 column."""
    out = np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[us]")
    out[(days >= _NEVER) | (days < 0)] = np.datetime64("NaT")
    return pd.Series(out)


def _text(values: np.ndarray, missing: np.ndarray | None = None) -> pd.Series:
    """Text column with ``missing`` rows empty."""
    out = pd.Series(values.astype(object), dtype="str")
    if missing is not None:
        out[missing] = np.nan
    return out


# ---------------------------------------------------------------------------------------
# The generator, table by table
# ---------------------------------------------------------------------------------------
def _layout(n_teams: int) -> pd.DataFrame:
    """Structural rep layout (no randomness): team, position, role, flags, rep_id."""
    team = np.repeat(np.arange(n_teams), len(_TEAM_ROLES))
    pos = np.tile(np.arange(len(_TEAM_ROLES)), n_teams)
    role = _TEAM_ROLES[pos]
    n_cohort = np.array(_COHORT_PER_SLOT)[np.arange(n_teams) % 3]
    c_team = np.repeat(np.arange(n_teams), n_cohort)
    # cohort members of a block are numbered 0..3 in team order: the hire-date slot
    c_rank = pd.Series(c_team // 3).groupby(c_team // 3).cumcount().to_numpy()
    frame = pd.DataFrame({
        "team": np.concatenate([team, c_team]),
        "position": np.concatenate([pos, len(_TEAM_ROLES) + c_rank]),
        "role": np.concatenate([role, np.full(len(c_team), 2)]),
        "cohort": np.concatenate([np.zeros(len(team), bool), np.ones(len(c_team), bool)]),
        "cohort_rank": np.concatenate([np.full(len(team), -1), c_rank]),
    })
    frame["leaver"] = ~frame["cohort"] & (frame["team"] % 3 == _LEAVER[0]) & (
        frame["position"] == _LEAVER[1])
    frame["under_performer"] = (frame["team"] == _UNDER_PERFORMER[0]) & (
        frame["position"] == _UNDER_PERFORMER[1])
    frame["leaky"] = frame["team"] == _LEAKY_TEAM
    frame["rep_id"] = _ids("R", len(frame), 3)
    return frame


def _team_names(n_teams: int) -> tuple[np.ndarray, np.ndarray]:
    """Team names and regions, in the order 华东一组, 华北一组, 华南一组, 华中一组 … 华东二组."""
    j = np.arange(n_teams)
    region = np.array(_REGIONS)[j % len(_REGIONS)]
    names = np.array([_cn_number(g + 1) for g in j // len(_REGIONS)])
    return np.strings.add(np.strings.add(region, names), "组"), region


def _person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct realistic Chinese names (surname + one or two characters)."""
    weights = 1.0 / (np.arange(len(_SURNAMES)) + 6.0)
    names = np.array([], dtype=str)
    while len(names) < n:
        k = 2 * n + 10
        sur = np.array(_SURNAMES)[rng.choice(len(_SURNAMES), k, p=weights / weights.sum())]
        male = rng.random(k) < 0.55
        given = []
        for _ in range(2):
            m = np.array(_GIVEN_MALE)[rng.integers(0, len(_GIVEN_MALE), k)]
            f = np.array(_GIVEN_FEMALE)[rng.integers(0, len(_GIVEN_FEMALE), k)]
            given.append(np.where(male, m, f))
        second = np.where((rng.random(k) < 0.25) | (given[0] == given[1]), "", given[1])
        cand = np.strings.add(np.strings.add(sur, given[0]), second)
        names = pd.unique(np.concatenate([names, cand]))
    return names[:n]


def _reps(rng: np.random.Generator, n_teams: int) -> pd.DataFrame:
    """Reps with hidden columns (``_team``, ``_skill`` …) used by the other tables."""
    lay = _layout(n_teams)
    n = len(lay)
    team_names, regions = _team_names(n_teams)
    role = lay["role"].to_numpy()
    cohort = lay["cohort"].to_numpy()
    leaver = lay["leaver"].to_numpy()
    under = lay["under_performer"].to_numpy()
    team = lay["team"].to_numpy()

    # hire dates: managers 2014-2017, seniors 2016-2020, specialists 2018-2022, on Mondays
    first = np.array(["2014-03-01", "2016-03-01", "2018-03-01"], dtype="datetime64[D]")
    span = np.array([4 * 365, 4 * 365, 4 * 365])
    hire = first.astype(np.int64)[role] + rng.integers(0, span[role])
    block = team // 3
    c_hire = _COHORT_HIRES[np.maximum(lay["cohort_rank"].to_numpy(), 0)] + np.where(
        block > 0, 7 * rng.integers(0, 3, n), 0)
    hire = np.where(cohort, c_hire, hire)
    hire = hire - _weekday(hire)  # Monday
    leave_month = np.where(block == 0, 9, rng.integers(5, 11, n))  # 0-based month of 2024
    leave = np.where(leaver, _MONTH_END[12 + leave_month], _NEVER)

    salary_lo = np.array([13000, 9000, 6000])[role]
    salary_hi = np.array([15000, 12000, 9000])[role]
    salary = np.where(cohort, 6000 + 100 * rng.integers(0, 11, n),
                      salary_lo + 100 * rng.integers(0, (salary_hi - salary_lo) // 100 + 1))

    names = _person_names(rng, n)
    clash = np.isin(names, [_UNDER_PERFORMER_NAME, _UNDER_PERFORMER_MANAGER_NAME])
    names = np.where(clash, np.strings.add(names, "华"), names)
    names = np.where(under, _UNDER_PERFORMER_NAME, names)
    names = np.where((team == 0) & (role == 0), _UNDER_PERFORMER_MANAGER_NAME, names)

    manager_id = lay["rep_id"].to_numpy()[team * len(_TEAM_ROLES)]
    successor = np.where(leaver, team * len(_TEAM_ROLES) + _SUCCESSOR_POSITION, -1)

    skill = np.array([0.75, 1.15, 1.0])[role] * rng.lognormal(0.0, 0.1, n)
    skill = np.where(cohort, 0.9, skill)
    skill = np.where(under, 0.95, skill)  # a good farmer with a small book
    hunt = np.array([0.5, 1.1, 1.0])[role] * rng.lognormal(0.0, 0.15, n)
    hunt = np.where(under, 0.25, hunt)

    return pd.DataFrame({
        "rep_id": lay["rep_id"],
        "name": names,
        "team": team_names[team],
        "region": regions[team],
        "role": np.array(_ROLES)[role],
        "manager_id": np.where(role == 0, "", manager_id),
        "hire_date": hire,
        "leave_date": leave,
        "base_salary": salary.astype(float),
        "_team": team,
        "_region": team % len(_REGIONS),
        "_role": role,
        "_cohort": cohort,
        "_leaver": leaver,
        "_under": under,
        "_leaky": lay["leaky"].to_numpy(),
        "_successor": successor,
        "_skill": skill,
        "_hunt": hunt,
    })


def _employment(reps: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per rep and month (all 36): employed share of the month, first and last day."""
    hire = reps["hire_date"].to_numpy()[:, None]
    leave = reps["leave_date"].to_numpy()[:, None]
    lo = np.maximum(_MONTH_START[None, :], hire)
    hi = np.minimum(_MONTH_END[None, :], leave)
    days = (_MONTH_END - _MONTH_START + 1)[None, :]
    share = np.clip(hi - lo + 1, 0, None) / days
    return share, lo, hi


def _ramp(reps: pd.DataFrame, *, floor: float, months: float) -> np.ndarray:
    """Per rep and month: 1 for established reps, a ramp from ``floor`` for 2025 hires."""
    mid = (_MONTH_START + _MONTH_END) / 2
    t = (mid[None, :] - reps["hire_date"].to_numpy()[:, None]) / 30.4
    ramp = np.clip(floor + (1 - floor) * t / months, 0.0, 1.0)
    return np.where(reps["_cohort"].to_numpy()[:, None], ramp, 1.0)


def _funnel(rng: np.random.Generator, created: np.ndarray, channel: np.ndarray,
            team: np.ndarray, leaky: np.ndarray) -> dict[str, np.ndarray]:
    """Stage dates, outcome and lost reason of opportunities, cut off at the as-of date."""
    n = len(created)
    group = team * len(schema.CHANNELS) + channel
    reach_i = _thin(rng, _P_INTENT[channel], group)
    reach_n = _thin(rng, reach_i * _P_NEGOTIATION[channel], group)
    won = _thin(rng, reach_n * np.where(leaky, _P_WIN_LEAKY, _P_WIN), group)
    gap = np.round(rng.gamma(2.0, 1.0, (4, n)) * np.array([[3], [3.5], [4.5], [5]]))
    gap = gap.astype(np.int64) + np.array([[1], [2], [3], [3]])  # working days
    d_i = _add_workdays(created, gap[0])
    d_n = _add_workdays(d_i, gap[1])
    stage = reach_i.astype(int) + reach_n.astype(int)  # where it stopped: 0 lead, 1, 2
    closed = _add_workdays(np.select([stage == 0, stage == 1], [created, d_i], d_n),
                           np.select([stage == 0, stage == 1], [gap[2], gap[2] + 1], gap[3]))
    is_open = closed > _AS_OF
    reason_row = np.where((stage == 2) & leaky, 3, stage)
    reason = _draw_rows(rng, _LOST_P[reason_row])
    outcome = np.where(is_open, 2, np.where(won, 0, 1))  # index into schema.OUTCOMES
    return {
        "intent": np.where(reach_i & (d_i <= _AS_OF), d_i, _NEVER),
        "negotiation": np.where(reach_n & (d_n <= _AS_OF), d_n, _NEVER),
        "closed": np.where(is_open, _NEVER, closed),
        "outcome": outcome,
        "reason": np.where(outcome == 1, reason, -1),
    }


def _lead_channels(rng: np.random.Generator, month: np.ndarray) -> np.ndarray:
    """Channel of each new lead; trade-show leads come in the show months."""
    probs = np.tile(_CHANNEL_P, (12, 1))
    show = np.isin(np.arange(12), _SHOW_MONTHS)
    probs[:, 2] = np.where(show, 0.35, 0.02)
    probs /= probs.sum(axis=1, keepdims=True)
    return _draw_rows(rng, probs[_CAL_MONTH[month]])


def _new_leads(rng: np.random.Generator, reps: pd.DataFrame, share: np.ndarray,
               lo: np.ndarray, hi: np.ndarray) -> dict[str, np.ndarray]:
    """New-business leads per rep and month; won ones become customers."""
    h = _N_HIST
    trend = _TREND ** (np.arange(h) / 12)
    ramp = _ramp(reps, floor=0.3, months=4)[:, :h]
    rate = (_NEW_LEADS * reps["_hunt"].to_numpy()[:, None] * share[:, :h] * ramp
            * (_LEAD_SEASON[_CAL_MONTH[:h]] * trend)[None, :])
    counts = rng.poisson(rate).ravel()
    cell = _expand(counts)
    rep, month = np.divmod(cell, h)
    hi_cut = np.minimum(hi[:, :h].ravel()[cell], _AS_OF)
    created = _uniform_day(rng, lo[:, :h].ravel()[cell], hi_cut)
    channel = _lead_channels(rng, month)
    amount = np.round(rng.lognormal(np.log(11000), 0.6, len(rep)), -1)
    return {"rep": rep, "created": created, "channel": channel, "amount": amount,
            "customer": np.full(len(rep), -1)}


def _finish_opps(rng: np.random.Generator, opps: dict[str, np.ndarray],
                 reps: pd.DataFrame) -> dict[str, np.ndarray]:
    """Run the funnel; hand a leaver's unfinished deals to his successor."""
    rep = opps["rep"]
    opps.update(_funnel(rng, opps["created"], opps["channel"], reps["_team"].to_numpy()[rep],
                        reps["_leaky"].to_numpy()[rep]))
    end = np.minimum(opps["closed"], _AS_OF)
    gone = end > reps["leave_date"].to_numpy()[opps["rep"]]
    opps["rep"] = np.where(gone, reps["_successor"].to_numpy()[opps["rep"]], opps["rep"])
    return opps


def _company_names(rng: np.random.Generator, region: np.ndarray,
                   industry: np.ndarray) -> np.ndarray:
    """Distinct names such as 上海华信科技有限公司."""
    n = len(region)
    names = np.full(n, "", dtype=object)
    todo = np.arange(n)
    b1, b2 = np.array(_BRAND_1), np.array(_BRAND_2)
    while len(todo):
        k = len(todo)
        city = _CITIES[region[todo], rng.integers(0, _CITIES.shape[1], k)]
        brand = np.strings.add(b1[rng.integers(0, len(b1), k)], b2[rng.integers(0, len(b2), k)])
        word = _INDUSTRY_WORDS[industry[todo], rng.integers(0, 3, k)]
        form = _COMPANY_FORMS[rng.choice(3, k, p=[0.88, 0.08, 0.04])]
        names[todo] = np.strings.add(np.strings.add(np.strings.add(city, brand), word), form)
        todo = todo[pd.Series(names).duplicated().to_numpy()[todo]]
    return names.astype(str)


def _customers(rng: np.random.Generator, reps: pd.DataFrame, leads: dict[str, np.ndarray],
               ) -> pd.DataFrame:
    """Founding accounts plus one account per won new-business lead (hidden columns)."""
    base_rep = np.flatnonzero(~reps["_cohort"].to_numpy())
    weight = np.array([0.6, 1.3, 1.0])[reps["_role"].to_numpy()[base_rep]]
    n_base = int(round(_BOOK * weight.sum()))
    owner_base = base_rep[rng.choice(len(base_rep), n_base, p=weight / weight.sum())]
    won = np.flatnonzero(leads["outcome"] == 0)
    owner = np.concatenate([owner_base, leads["rep"][won]])
    n = len(owner)
    start = np.concatenate([
        np.zeros(n_base, np.int64),
        np.searchsorted(_MONTH_START, leads["closed"][won], side="right"),  # month after
    ])
    life = np.ceil(rng.exponential(_LIFETIME, n)).astype(np.int64)
    channel = np.concatenate([rng.choice(5, n_base, p=_CHANNEL_P), leads["channel"][won]])
    industry = rng.choice(len(_INDUSTRIES), n, p=_INDUSTRY_P)
    region = reps["_region"].to_numpy()[owner]
    return pd.DataFrame({
        "owner": owner,
        "owner2": np.full(n, -1),
        "switch": np.full(n, 10**6),
        "start": start,
        "end": np.minimum(start + life, _N_HIST),
        "lead": np.concatenate([np.full(n_base, -1), won]),
        "base": np.arange(n) < n_base,
        "channel": channel,
        "industry": industry,
        "region": region,
        "rate": np.maximum(rng.lognormal(np.log(_RATE), 0.55, n), 0.15),
        "ticket": rng.lognormal(np.log(6500), 0.6, n),
    })


def _reassign(rng: np.random.Generator, cust: pd.DataFrame, reps: pd.DataFrame) -> pd.DataFrame:
    """Leavers' accounts go to the team's senior reps; 2025 hires get a starter book."""
    cust = cust.copy()
    owner = cust["owner"].to_numpy()
    is_leaver = reps["_leaver"].to_numpy()[owner]
    leave_month = np.searchsorted(_MONTH_START, reps["leave_date"].to_numpy()[owner], side="right")
    senior = reps["_successor"].to_numpy()[owner] + rng.integers(0, 2, len(owner))  # 2 seniors
    cust.loc[is_leaver, "owner2"] = senior[is_leaver]
    cust.loc[is_leaver, "switch"] = leave_month[is_leaver]

    cohort = np.flatnonzero(reps["_cohort"].to_numpy())
    team = reps["_team"].to_numpy()
    hire_month = np.searchsorted(_MONTH_START, reps["hire_date"].to_numpy(), side="right")
    # candidates: live, smaller accounts of the team's established reps (not leaving, not
    # the under-performer's)
    first_hire = np.full(team.max() + 1, 10**6)
    np.minimum.at(first_hire, team[cohort], hire_month[cohort])
    keep = reps["_under"].to_numpy()[owner] | reps["_cohort"].to_numpy()[owner] | is_leaver
    live = ((cust["start"].to_numpy() < first_hire[team[owner]])
            & (cust["end"].to_numpy() > first_hire[team[owner]] + 3))
    value = cust["rate"].to_numpy() * cust["ticket"].to_numpy()
    small = value < np.median(value)  # the seniors keep the key accounts
    cand = np.flatnonzero(live & small & ~keep)
    cand_team = team[owner[cand]]
    order = np.lexsort((rng.random(len(cand)), cand_team))
    cand, cand_team = cand[order], cand_team[order]
    rank = pd.Series(cand_team).groupby(cand_team).cumcount().to_numpy()
    c_team = team[cohort]
    per_team = np.bincount(c_team, minlength=team.max() + 1)
    c_first = np.searchsorted(c_team, np.arange(team.max() + 1))  # cohort sorted by team
    slot = rank // _STARTER_BOOK
    take = slot < per_team[cand_team]
    new_owner = cohort[c_first[cand_team[take]] + slot[take]]
    rows = cand[take]
    cust.loc[rows, "owner2"] = new_owner
    cust.loc[rows, "switch"] = hire_month[new_owner]
    return cust


def _grid(rng: np.random.Generator, cust: pd.DataFrame, reps: pd.DataFrame,
          ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Repeat orders and upsell opportunities per customer and month."""
    start, end = cust["start"].to_numpy(), cust["end"].to_numpy()
    length = np.clip(end - start, 0, None)
    c = _expand(length)
    offset = np.repeat(np.cumsum(length) - length, length)
    m = start[c] + np.arange(len(c)) - offset
    rep = np.where(m >= cust["switch"].to_numpy()[c], cust["owner2"].to_numpy()[c],
                   cust["owner"].to_numpy()[c])
    ramp = _ramp(reps, floor=_RAMP_FLOOR, months=_RAMP_MONTHS)
    mult = (_SEASON[_CAL_MONTH[m]] * _TREND ** (m / 12) * reps["_skill"].to_numpy()[rep]
            * ramp[rep, m])
    n_orders = rng.poisson(cust["rate"].to_numpy()[c] * mult)
    n_upsell = rng.poisson(_UPSELL * np.sqrt(mult))

    # founding accounts all buy in 2023: one extra order for those who would not
    base = cust["base"].to_numpy()
    in_2023 = np.bincount(c[m < 12], weights=n_orders[m < 12], minlength=len(cust))
    lacking = np.flatnonzero(base & (in_2023 == 0))
    first_m = np.minimum(rng.integers(0, 12, len(lacking)), end[lacking] - 1)
    lack_cell = np.searchsorted(c, lacking) + first_m  # cells of a customer are contiguous
    n_orders[lack_cell] += 1

    o = _expand(n_orders)
    oc, om = c[o], m[o]
    product = rng.choice(4, len(o), p=_PRODUCT_P)
    orders = {
        "customer": oc,
        "rep": rep[o],
        "day": _uniform_day(rng, _MONTH_START[om], np.minimum(_MONTH_END[om], _AS_OF)),
        "amount": cust["ticket"].to_numpy()[oc] * rng.lognormal(0.0, 0.4, len(o))
        * _PRODUCT_MULT[product],
        "product": product,
        "opp": np.full(len(o), -1),
    }
    u = _expand(n_upsell)
    um = m[u]
    upsell = {
        "rep": rep[u],
        "created": _uniform_day(rng, _MONTH_START[um], np.minimum(_MONTH_END[um], _AS_OF)),
        "channel": cust["channel"].to_numpy()[c[u]],
        "amount": np.round(cust["ticket"].to_numpy()[c[u]] * rng.lognormal(0.7, 0.4, len(u)),
                           -1),
        "customer": c[u],
    }
    return orders, upsell


def _with_refunds(rng: np.random.Generator, orders: dict[str, np.ndarray],
                  ) -> dict[str, np.ndarray]:
    """Add refund rows: ~2% of orders, (partly) refunded a few weeks later.

    ``src`` holds the row of the refunded order on refund rows, -1 elsewhere.
    """
    n_orders = len(orders["day"])
    orders = dict(orders, refund=np.zeros(n_orders, bool), src=np.full(n_orders, -1))
    eligible = np.flatnonzero(orders["day"] <= _AS_OF - 10)
    n = int(round(0.02 * n_orders))
    src = np.sort(rng.choice(eligible, min(n, len(eligible)), replace=False))
    share = np.where(rng.random(len(src)) < 0.6, 1.0, rng.uniform(0.2, 0.8, len(src)))
    day = np.minimum(orders["day"][src] + 3 + np.round(rng.exponential(15, len(src))), _AS_OF)
    refunds = {
        "customer": orders["customer"][src],
        "rep": orders["rep"][src],
        "day": day.astype(np.int64),
        "amount": -orders["amount"][src] * share,
        "product": orders["product"][src],
        "opp": np.full(len(src), -1),
        "refund": np.ones(len(src), bool),
        "src": src,
    }
    return {key: np.concatenate([orders[key], refunds[key]]) for key in orders}


def _calibrate_under_performer(orders: dict[str, np.ndarray], opps: dict[str, np.ndarray],
                               reps: pd.DataFrame) -> None:
    """Scale the under-performer's orders so his net sales trail his peers as planted.

    Year by year, his orders of the year (and their refunds) are multiplied by one
    factor so that his net sales of that year (to the as-of date) are the planted share
    of the median of his peers: same role, employed the whole year. Linked
    opportunities keep the order's amount.
    """
    under = np.flatnonzero(reps["_under"].to_numpy())
    if not len(under):
        return
    who = int(under[0])
    role = reps["_role"].to_numpy()
    hire, leave = reps["hire_date"].to_numpy(), reps["leave_date"].to_numpy()
    is_sale, src = ~orders["refund"], np.maximum(orders["src"], 0)
    for year, ratio in zip((2023, 2024, 2025), _UNDER_PERFORMER_RATIOS, strict=True):
        jan = 12 * (year - 2023)
        first, last = _MONTH_START[jan], min(_MONTH_END[jan + 11], _AS_OF)
        in_year = (orders["day"] >= first) & (orders["day"] <= last)
        net = np.bincount(orders["rep"][in_year], weights=orders["amount"][in_year],
                          minlength=len(reps))
        peers = (role == role[who]) & (hire < first) & (leave >= last)
        peers[who] = False
        target = ratio * np.median(net[peers]) if peers.any() else np.nan
        sale = (orders["rep"] == who) & in_year & is_sale
        scaled = sale | (orders["refund"] & sale[src] & (orders["src"] >= 0))
        movable = orders["amount"][scaled & in_year].sum()
        fixed = net[who] - movable
        if movable > 0 and np.isfinite(target):
            orders["amount"][scaled] *= (target - fixed) / movable
    linked = (orders["rep"] == who) & is_sale & (orders["opp"] >= 0)
    opps["amount"][orders["opp"][linked]] = orders["amount"][linked]


def _quotas(rng: np.random.Generator, reps: pd.DataFrame, orders: dict[str, np.ndarray],
            share: np.ndarray) -> pd.DataFrame:
    """Monthly quotas 2024-2025 following each rep's plan; planted attainment targets."""
    n = len(reps)
    months = np.arange(12, 36)
    ramp = _ramp(reps, floor=_RAMP_FLOOR, months=_RAMP_MONTHS)
    plan = (reps["_skill"].to_numpy()[:, None] * ramp[:, months] * share[:, months]
            * (_SEASON[_CAL_MONTH[months]] * _TREND ** (months / 12))[None, :])
    month_of = np.searchsorted(_MONTH_START, orders["day"], side="right") - 1
    net = np.zeros((n, 36))
    np.add.at(net, (orders["rep"], month_of), orders["amount"])
    target = np.clip(rng.normal(1.0, 0.08, (n, 2)), 0.8, 1.2)
    cohort = reps["_cohort"].to_numpy()
    target[cohort] = np.clip(rng.normal(0.88, 0.08, (int(cohort.sum()), 2)), 0.7, 1.0)
    target[reps["_under"].to_numpy()] = _UNDER_PERFORMER_ATTAINMENT
    scale = np.zeros((n, 2))
    for y in range(2):  # 2024, 2025: months counted so far
        cols = np.arange(12 * y, 12 * y + 12)
        done = cols[months[cols] < _N_HIST]
        sold = net[:, months[done]].sum(axis=1)
        planned = plan[:, done].sum(axis=1)
        ok = (sold > 0) & (planned > 0)
        scale[:, y] = np.where(ok, sold / np.where(ok, planned, 1) / target[:, y], np.nan)
        scale[~ok, y] = np.nanmedian(scale[:, y]) if ok.any() else 150000.0
    quota = np.round(plan * np.repeat(scale, 12, axis=1), -2)
    rep, col = np.nonzero(share[:, months] > 0)
    return pd.DataFrame({
        "rep_id": reps["rep_id"].to_numpy()[rep],
        "month": _as_dates(_MONTH_START[months[col]]),
        "quota": quota[rep, col].astype(float),
    })


def _activities(rng: np.random.Generator, reps: pd.DataFrame) -> pd.DataFrame:
    """Weekly visits, calls and demos per rep from the week of hire to the week of leave."""
    monday0 = _START + (-_weekday(np.int64(_START))) % 7
    weeks = np.arange(monday0, _AS_OF + 1, 7)
    hire = reps["hire_date"].to_numpy()[:, None]
    leave = reps["leave_date"].to_numpy()[:, None]
    lo = np.maximum(weeks[None, :], hire)
    hi = np.minimum(weeks[None, :] + 4, leave)
    workdays = np.clip(hi - lo + 1, 0, 5)
    active = (weeks[None, :] + 6 >= hire) & (weeks[None, :] <= leave)
    factor = np.ones(len(weeks))
    for holidays, around in ((_SPRING_FESTIVAL, (0.8, 0.1, 0.5)), (_NATIONAL_DAY, (1.0, 0.25, 1))):
        week_of = holidays.astype(np.int64) - _weekday(holidays.astype(np.int64))
        for shift, f in zip((-7, 0, 7), around, strict=True):
            factor[np.isin(weeks, week_of + shift)] *= f
    ramp = _ramp(reps, floor=0.3, months=4)
    month_of = np.searchsorted(_MONTH_START, weeks, side="right") - 1
    base = (workdays / 5) * factor[None, :]
    role = reps["_role"].to_numpy()
    rates = {
        "visits": np.array([3.0, 7.0, 6.5])[role] * np.where(reps["_under"].to_numpy(), 0.8, 1.0),
        "calls": np.array([12.0, 24.0, 28.0])[role],
        "demos": np.array([0.8, 3.2, 2.4])[role],
    }
    rep, week = np.nonzero(active)
    out = {"rep_id": reps["rep_id"].to_numpy()[rep], "week": _as_dates(weeks[week])}
    for name, r in rates.items():
        skill = rng.lognormal(0.0, 0.15, len(reps))
        r_ramp = ramp if name != "calls" else np.ones_like(ramp)
        lam = (r * skill)[:, None] * base * r_ramp[:, month_of]
        out[name] = rng.poisson(lam[rep, week]).astype(np.int64)
    return pd.DataFrame(out)


def _assessments(rng: np.random.Generator, reps: pd.DataFrame) -> pd.DataFrame:
    """Rate every rep by manager and self twice a year, and four weeks after a new hire."""
    n, k = len(reps), len(schema.COMPETENCIES)
    hire = reps["hire_date"].to_numpy()
    leave = reps["leave_date"].to_numpy()
    onboarding = np.where(hire >= _START, hire + 28, _NEVER)
    dates = np.column_stack([onboarding, np.tile(_ASSESSMENT_ROUNDS, (n, 1))])  # n x 5
    ok = (dates >= hire[:, None]) & (dates <= np.minimum(leave, _AS_OF)[:, None])
    ok[:, 0] = onboarding <= np.minimum(leave, _AS_OF)
    role = reps["_role"].to_numpy()
    cohort = reps["_cohort"].to_numpy()
    start = np.array([3.6, 3.3, 2.9])[role][:, None] + rng.normal(0, 0.7, (n, k))
    start = np.where(cohort[:, None], 2.2 + rng.normal(0, 0.4, (n, k)), start)
    start[reps["_leaky"].to_numpy(), schema.COMPETENCIES.index("negotiation")] -= 1.0
    p_up = np.where(cohort, 0.45, 0.15)[:, None, None]
    steps = (rng.random((n, 5, k)) < p_up) & ok[:, :, None]
    steps[:, 0, :] = False
    latent = np.clip(np.round(start)[:, None, :] + np.cumsum(steps, axis=1), 1, 5)
    self_bias = rng.choice([-1, 0, 1], (n, 5, k), p=[0.07, 0.55, 0.38])
    own = np.clip(latent + self_bias, 1, 5)
    under = np.flatnonzero(reps["_under"].to_numpy())
    if len(under):
        levels = np.array([_UNDER_PERFORMER_LEVELS[c] for c in schema.COMPETENCIES])
        latent[under] = levels
        latent[under, :3, schema.COMPETENCIES.index("market_awareness")] = 3  # grew in 2024
        own[under] = np.minimum(levels + np.array([0, 1, 0, 1, 0, 0, 0]), 5)
    rep, slot = np.nonzero(ok)
    rep_r = np.repeat(rep, 2 * k)
    slot_r = np.repeat(slot, 2 * k)
    comp = np.tile(np.repeat(np.arange(k), 2), len(rep))
    rater = np.tile([0, 1], k * len(rep))
    level = np.where(rater == 0, latent[rep_r, slot_r, comp], own[rep_r, slot_r, comp])
    frame = pd.DataFrame({
        "rep_id": reps["rep_id"].to_numpy()[rep_r],
        "competency": np.array(schema.COMPETENCIES)[comp],
        "level": level.astype(np.int64),
        "rater": np.array(["manager", "self"])[rater],
        "assessed_date": _as_dates(dates[rep_r, slot_r]),
    })
    return frame.sort_values(["rep_id", "assessed_date"], kind="stable").reset_index(drop=True)


def _channel_spend(rng: np.random.Generator, leads: dict[str, np.ndarray]) -> pd.DataFrame:
    """Monthly spend per lead channel: cost per lead, referral cashback of 200 CNY a lead."""
    month = np.searchsorted(_MONTH_START, leads["created"], side="right") - 1
    counts = np.zeros((_N_HIST, len(schema.CHANNELS)))
    np.add.at(counts, (month, leads["channel"]), 1)
    noise = rng.lognormal(0.0, 0.1, counts.shape)
    noise[:, 0] = 1.0  # cashback is exact
    spend = np.round(counts * _COST_PER_LEAD[None, :] * noise, 2)
    m, ch = np.meshgrid(np.arange(_N_HIST), np.arange(len(schema.CHANNELS)), indexing="ij")
    return pd.DataFrame({
        "channel": np.array(schema.CHANNELS)[ch.ravel()],
        "month": _as_dates(_MONTH_START[m.ravel()]),
        "spend": spend.ravel(),
    })


def _check(seed: object, scale: object) -> tuple[int, float]:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError("seed", seed, "a whole number >= 0")
    ok = isinstance(scale, (int, float, np.integer, np.floating)) and not isinstance(scale, bool)
    if not ok or not np.isfinite(scale) or not 0 < scale <= _MAX_SCALE:
        raise ParameterError("scale", scale,
                             f"a number above 0 and at most {_MAX_SCALE} (1 = 24 reps)")
    return int(seed), float(scale)


def generate(*, seed: int = 7, scale: float = 1.0) -> dict[str, pd.DataFrame]:
    """Build every table of the sample company; pure and deterministic.

    Parameters
    ----------
    seed : int, default 7
        Random seed (``numpy.random.default_rng``). ``data/sample`` is seed 7.
    scale : float, default 1.0
        Size multiplier. Scale 1 has 3 teams (about 24 reps, 1,500 customers and 15,000
        orders); scale K has ``round(3 * K)`` teams and about K times the rows
        (``scale=70`` gives about a million orders). The planted findings
        (:data:`SIGNALS`) are made for scale 1.

    Returns
    -------
    dict of str to DataFrame
        One frame per table of :data:`playbook.schema.TABLE_ORDER`, in that order, with
        exactly the schema's columns: ids as text, dates as ``datetime64``, money in CNY
        rounded to the cent (refund rows negative), counts and levels as integers.

    Raises
    ------
    ParameterError
        If ``seed`` is not a whole number >= 0 or ``scale`` is not in (0, 200].

    Examples
    --------
    >>> t = generate(seed=7, scale=1)
    >>> t["orders"].columns.tolist()
    ['order_id', 'customer_id', 'rep_id', 'order_date', 'amount', 'product_line', 'is_refund']
    >>> t["orders"]["order_date"].max() <= pd.Timestamp(SAMPLE_AS_OF)
    True
    >>> t["reps"]["team"].unique().tolist()
    ['华东一组', '华北一组', '华南一组']
    >>> generate(seed=7, scale=1)["orders"].equals(t["orders"])
    True
    """
    seed, scale = _check(seed, scale)
    rng = np.random.default_rng(seed)
    reps = _reps(rng, _n_teams(scale))
    share, lo, hi = _employment(reps)
    leads = _finish_opps(rng, _new_leads(rng, reps, share, lo, hi), reps)
    cust = _reassign(rng, _customers(rng, reps, leads), reps)
    repeat, upsell = _grid(rng, cust, reps)
    upsell = _finish_opps(rng, upsell, reps)
    opps = _all_opportunities(leads, upsell, cust)
    orders = _all_orders(rng, cust, leads, upsell, repeat)
    orders = _with_refunds(rng, orders)
    _calibrate_under_performer(orders, opps, reps)
    orders["amount"] = np.round(orders["amount"], 2)
    tables = _frames(rng, reps, cust, opps, orders)
    tables["activities"] = _activities(rng, reps)
    tables["channel_spend"] = _channel_spend(rng, leads)
    tables["assessments"] = _assessments(rng, reps)
    tables["quotas"] = _quotas(rng, reps, orders, share)
    return {name: _tidy(tables[name], name) for name in schema.TABLE_ORDER}


def _all_opportunities(leads: dict[str, np.ndarray], upsell: dict[str, np.ndarray],
                       cust: pd.DataFrame) -> dict[str, np.ndarray]:
    """New-business leads (their customer known once won) followed by upsells."""
    new = np.flatnonzero(~cust["base"].to_numpy())
    lead_customer = np.full(len(leads["rep"]), -1)
    lead_customer[cust["lead"].to_numpy()[new]] = new
    keys = ("rep", "created", "channel", "amount", "intent", "negotiation", "closed",
            "outcome", "reason")
    opps = {key: np.concatenate([leads[key], upsell[key]]) for key in keys}
    opps["customer"] = np.concatenate([lead_customer, upsell["customer"]])
    return opps


def _all_orders(rng: np.random.Generator, cust: pd.DataFrame, leads: dict[str, np.ndarray],
                upsell: dict[str, np.ndarray], repeat: dict[str, np.ndarray],
                ) -> dict[str, np.ndarray]:
    """First orders of new accounts (won leads), won upsells and repeat orders.

    ``opp`` links an order to the opportunity it closed (index into
    :func:`_all_opportunities`), -1 for repeat orders.
    """
    new = np.flatnonzero(~cust["base"].to_numpy())
    lead = cust["lead"].to_numpy()[new]
    won = np.flatnonzero(upsell["outcome"] == 0)
    parts = [
        {"customer": new, "rep": leads["rep"][lead], "day": leads["closed"][lead],
         "amount": leads["amount"][lead], "product": rng.choice(4, len(new), p=_PRODUCT_P),
         "opp": lead},
        {"customer": upsell["customer"][won], "rep": upsell["rep"][won],
         "day": upsell["closed"][won], "amount": upsell["amount"][won],
         "product": rng.choice(4, len(won), p=_PRODUCT_P), "opp": len(leads["rep"]) + won},
        repeat,
    ]
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def _frames(rng: np.random.Generator, reps: pd.DataFrame, cust: pd.DataFrame,
            opps: dict[str, np.ndarray], orders: dict[str, np.ndarray],
            ) -> dict[str, pd.DataFrame]:
    """Reps, customers, orders and opportunities with their public ids.

    Customers are numbered by first order, orders and opportunities by date.
    """
    r_ids = reps["rep_id"].to_numpy()
    first = np.full(len(cust), _NEVER)
    bought = ~orders["refund"]
    np.minimum.at(first, orders["customer"][bought], orders["day"][bought])
    c_order = np.lexsort((np.arange(len(cust)), first))
    c_ids = np.empty(len(cust), dtype=object)
    c_ids[c_order] = _ids("C", len(cust), 5)

    o = np.lexsort((orders["refund"], orders["day"]))
    orders_df = pd.DataFrame({
        "order_id": _ids("O", len(o), 6),
        "customer_id": c_ids[orders["customer"][o]],
        "rep_id": r_ids[orders["rep"][o]],
        "order_date": _as_dates(orders["day"][o]),
        "amount": orders["amount"][o],
        "product_line": np.array(PRODUCT_LINES)[orders["product"][o]],
        "is_refund": orders["refund"][o],
    })

    p = np.lexsort((np.arange(len(opps["rep"])), opps["created"]))
    reason = opps["reason"][p]
    opps_df = pd.DataFrame({
        "opportunity_id": _ids("P", len(p), 6),
        "customer_id": _text(c_ids[np.maximum(opps["customer"][p], 0)], opps["customer"][p] < 0),
        "rep_id": r_ids[opps["rep"][p]],
        "channel": np.array(schema.CHANNELS)[opps["channel"][p]],
        "amount": np.round(opps["amount"][p], 2),
        "created_date": _as_dates(opps["created"][p]),
        "intent_date": _as_dates(opps["intent"][p]),
        "negotiation_date": _as_dates(opps["negotiation"][p]),
        "closed_date": _as_dates(opps["closed"][p]),
        "outcome": np.array(schema.OUTCOMES)[opps["outcome"][p]],
        "lost_reason": _text(np.array(LOST_REASONS)[np.maximum(reason, 0)], reason < 0),
    })

    owner = np.where(cust["switch"].to_numpy() < _N_HIST, cust["owner2"].to_numpy(),
                     cust["owner"].to_numpy())
    industry, region = cust["industry"].to_numpy(), cust["region"].to_numpy()
    customers_df = pd.DataFrame({
        "customer_id": c_ids[c_order],
        "name": _company_names(rng, region, industry)[c_order],
        "industry": np.array(_INDUSTRIES)[industry[c_order]],
        "region": np.array(_REGIONS)[region[c_order]],
        "channel": np.array(schema.CHANNELS)[cust["channel"].to_numpy()[c_order]],
        "owner_rep_id": r_ids[owner[c_order]],
        "first_order_date": _as_dates(first[c_order]),
    })

    reps_df = reps[schema.column_names("reps")].copy()
    reps_df["manager_id"] = _text(reps["manager_id"].to_numpy(),
                                  reps["manager_id"].to_numpy() == "")
    reps_df["hire_date"] = _as_dates(reps["hire_date"].to_numpy())
    reps_df["leave_date"] = _as_dates(reps["leave_date"].to_numpy())
    return {"reps": reps_df, "customers": customers_df, "orders": orders_df,
            "opportunities": opps_df}


def _tidy(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Put columns in schema order, text columns as ``str``, with a fresh RangeIndex."""
    frame = frame[schema.column_names(table)].reset_index(drop=True)
    for col in schema.TABLES[table].columns:
        if col.kind in ("id", "text", "category"):
            frame[col.name] = frame[col.name].astype("str")
    return frame


def _signals() -> SampleSignals:
    lay = _layout(3)
    team_names, _ = _team_names(3)
    ids = lay["rep_id"]
    return SampleSignals(
        as_of=SAMPLE_AS_OF,
        under_performer=str(ids[lay["under_performer"]].iloc[0]),
        under_performer_manager=str(ids[(lay["team"] == _UNDER_PERFORMER[0])
                                        & (lay["position"] == 0)].iloc[0]),
        under_performer_levels=MappingProxyType(dict(_UNDER_PERFORMER_LEVELS)),
        under_performer_attainment=_UNDER_PERFORMER_ATTAINMENT[-1],
        under_performer_peer_ratio=_UNDER_PERFORMER_RATIOS[-1],
        peer_role=_ROLES[2],
        leaky_team=str(team_names[_LEAKY_TEAM]),
        leaky_negotiation_win_rate=_P_WIN_LEAKY,
        other_negotiation_win_rate=_P_WIN,
        ramping_cohort=tuple(str(x) for x in ids[lay["cohort"]]),
        leaver=str(ids[lay["leaver"]].iloc[0]),
        referral_channel="referral",
        paid_ad_channels=("paid_search", "paid_social"),
        referral_vs_paid_conversion=round(
            float(_P_INTENT[0] * _P_NEGOTIATION[0]
                  / np.average(_P_INTENT[3:] * _P_NEGOTIATION[3:], weights=_CHANNEL_P[3:])), 1),
        weakest_month=int(np.argmin(_SEASON)) + 1,
        strongest_month=int(np.argmax(_SEASON)) + 1,
    )


SIGNALS: SampleSignals = _signals()
"""The planted findings of the default sample (see :class:`SampleSignals`)."""


def write_tables(tables: Mapping[str, pd.DataFrame], out_dir: str | os.PathLike[str],
                 ) -> list[Path]:
    """Write each table to ``out_dir/<table>.csv``; the same frames give the same bytes.

    UTF-8 without BOM, Unix line endings, dates as ``YYYY-MM-DD``, missing values as
    empty cells, decimal numbers with 2 decimals. The folder is created if needed.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Table name -> frame, e.g. the result of :func:`generate`.
    out_dir : path-like
        Folder to write to.

    Returns
    -------
    list of Path
        The files written, in the order of ``tables``.

    Raises
    ------
    ParameterError
        If a table name is not a plain file name.

    Examples
    --------
    >>> import tempfile
    >>> frame = pd.DataFrame({"rep_id": ["R001"], "month": pd.to_datetime(["2025-01-01"]),
    ...                       "quota": [150000.0]})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     [path] = write_tables({"quotas": frame}, tmp)
    ...     print(path.name, path.read_bytes().decode("utf-8"), end="")
    quotas.csv rep_id,month,quota
    R001,2025-01-01,150000.00
    """
    out = Path(out_dir)
    written = []
    for name in tables:
        if not name or Path(name).name != name or name.startswith("."):
            raise ParameterError("tables", name, "table names that are plain file names")
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        text = frame.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d",
                            float_format="%.2f", na_rep="")
        path = out / f"{name}.csv"
        path.write_bytes(text.encode("utf-8"))
        written.append(path)
    return written
