"""Business rules of the sample company (amounts in CNY, rates per month unless noted)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["SAMPLE_START", "SAMPLE_AS_OF", "PRODUCT_LINES", "LOST_REASONS", "SampleSignals"]

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
_MAX_SCALE = 400  # about 5.8 million orders (350: 5.05 million, 2.8 GB peak while generating)
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
