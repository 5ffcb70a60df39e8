"""The generator, table by table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.core import schema
from playbook.data.sample.arrays import (
    _add_workdays,
    _as_dates,
    _cn_number,
    _draw_rows,
    _expand,
    _ids,
    _thin,
    _uniform_day,
    _weekday,
)
from playbook.data.sample.rules import (
    _AS_OF,
    _ASSESSMENT_ROUNDS,
    _BOOK,
    _BRAND_1,
    _BRAND_2,
    _CAL_MONTH,
    _CHANNEL_P,
    _CITIES,
    _COHORT_HIRES,
    _COHORT_PER_SLOT,
    _COMPANY_FORMS,
    _COST_PER_LEAD,
    _GIVEN_FEMALE,
    _GIVEN_MALE,
    _INDUSTRIES,
    _INDUSTRY_P,
    _INDUSTRY_WORDS,
    _LEAD_SEASON,
    _LEAKY_TEAM,
    _LEAVER,
    _LIFETIME,
    _LOST_P,
    _MONTH_END,
    _MONTH_START,
    _N_HIST,
    _NATIONAL_DAY,
    _NEVER,
    _NEW_LEADS,
    _P_INTENT,
    _P_NEGOTIATION,
    _P_WIN,
    _P_WIN_LEAKY,
    _PRODUCT_MULT,
    _PRODUCT_P,
    _RAMP_FLOOR,
    _RAMP_MONTHS,
    _RATE,
    _REGIONS,
    _ROLES,
    _SEASON,
    _SHOW_MONTHS,
    _SPRING_FESTIVAL,
    _START,
    _STARTER_BOOK,
    _SUCCESSOR_POSITION,
    _SURNAMES,
    _TEAM_ROLES,
    _TREND,
    _UNDER_PERFORMER,
    _UNDER_PERFORMER_ATTAINMENT,
    _UNDER_PERFORMER_LEVELS,
    _UNDER_PERFORMER_MANAGER_NAME,
    _UNDER_PERFORMER_NAME,
    _UNDER_PERFORMER_RATIOS,
    _UPSELL,
)

__all__ = []

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
               lo: np.ndarray, hi: np.ndarray, *, book: float = 1.0) -> dict[str, np.ndarray]:
    """New-business leads per rep and month (``book`` times the sample's); won ones become customers."""
    h = _N_HIST
    trend = _TREND ** (np.arange(h) / 12)
    ramp = _ramp(reps, floor=0.3, months=4)[:, :h]
    rate = (_NEW_LEADS * book * reps["_hunt"].to_numpy()[:, None] * share[:, :h] * ramp
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
               *, book: float = 1.0) -> pd.DataFrame:
    """Founding accounts (``book`` times the sample's) plus one per won new-business lead (hidden columns)."""
    base_rep = np.flatnonzero(~reps["_cohort"].to_numpy())
    weight = np.array([0.6, 1.3, 1.0])[reps["_role"].to_numpy()[base_rep]]
    n_base = int(round(_BOOK * book * weight.sum()))
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
