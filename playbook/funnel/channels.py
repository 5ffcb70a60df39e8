"""Channel ROI, referral against paid ads, and before/after comparisons of a process change."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from playbook.core.dates import optional_date
from playbook.core.errors import InputError, ParameterError, PlaybookWarning, require_columns
from playbook.core.money import div_money
from playbook.funnel.rules import AD_CHANNELS, CHANNEL_COLUMNS, CHANNEL_RATIO_COLUMNS, PERIOD_COMPARISON_COLUMNS, STEPS
from playbook.funnel.stages import (
    _as_dates,
    _by,
    _check_stages,
    _kit,
    _long,
    _ratio,
    _sums,
    funnel_table,
)
from playbook.funnel.stats import _z, proportion_test

__all__ = ["channel_table", "channel_ratio", "compare_periods", "add_period", "periods_around"]

# --------------------------------------------------------------------------- channels
def channel_table(
    stages: pd.DataFrame,
    channel_spend: pd.DataFrame | None,
    *,
    period_start: object = None,
    period_end: object = None,
    min_roi: float = 1.0,
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Leads, cost per lead, CAC, conversion, revenue and ROI per lead channel.

    ``roi = won_amount / spend``, the won amount of the channel's leads over its spend;
    channels with ``roi < min_roi`` are flagged ``low_roi`` (the playbook's rule: drop
    channels with ROI below 1). ``cac = spend / deals`` (each won deal counted as a
    customer acquired). Spend is summed over the months from ``period_start`` to
    ``period_end`` (default: the months of the first and the last lead in ``stages``).

    ``channel_spend`` may be None (the optional table is absent): every spend is unknown.
    A channel with leads but no row in ``channel_spend`` has unknown spend: spend,
    cost per lead, CAC and ROI are NaN, ``low_roi`` is False, and a
    :class:`~playbook.core.errors.PlaybookWarning` names it. A channel with spend but no
    leads is listed with 0 leads (ROI 0). Zero spend gives NaN ratios.

    Returns
    -------
    DataFrame
        Columns :data:`CHANNEL_COLUMNS`, ordered by ROI (highest first, unknown last).

    Examples
    --------
    >>> s = pd.DataFrame({"channel": ["referral", "referral", "paid_social", "fair"],
    ...                   "created_date": pd.to_datetime(["2025-01-05"] * 4),
    ...                   "outcome": ["won", "lost", "won", "lost"], "amount": [500.0, 1.0, 90.0, 1.0],
    ...                   "reached_intent": True, "reached_negotiation": True,
    ...                   "reached_deal": [True, False, True, False]})
    >>> spend = pd.DataFrame({"channel": ["referral", "paid_social"], "spend": [100.0, 300.0],
    ...                       "month": pd.to_datetime(["2025-01-01", "2025-01-01"])})
    >>> import warnings
    >>> with warnings.catch_warnings(record=True):
    ...     t = channel_table(s, spend)
    >>> t[["channel", "leads", "spend", "cac", "roi", "low_roi"]]
           channel  leads  spend    cac  roi  low_roi
    0     referral      2  100.0  100.0  5.0    False
    1  paid_social      1  300.0  300.0  0.3     True
    2         fair      1    NaN    NaN  NaN    False
    """
    _check_stages(stages)
    require_columns(stages, ["channel", "created_date"], "stages")
    if channel_spend is None:  # the optional table is absent: every channel's spend is unknown
        channel_spend = pd.DataFrame({"channel": pd.Series([], dtype="str"), "spend": pd.Series([], dtype="float64"),
                                      "month": pd.Series([], dtype="datetime64[ns]")})
        columns = None
    sp = _kit(channel_spend, columns)
    require_columns(sp, ["channel", "month", "spend"], "channel_spend")
    start, end = optional_date(period_start, "period_start"), optional_date(period_end, "period_end")
    first = start if start is not None else stages["created_date"].min()
    last = end if end is not None else stages["created_date"].max()
    months = _as_dates(sp["month"]).dt.to_period("M")
    keep = pd.Series(True, index=sp.index)
    if pd.notna(first):
        keep &= months >= pd.Timestamp(first).to_period("M")
    if pd.notna(last):
        keep &= months <= pd.Timestamp(last).to_period("M")
    known = set(sp["channel"].astype("string").dropna())
    spend = (pd.to_numeric(sp["spend"], errors="coerce").fillna(0.0)[keep]
             .groupby(sp["channel"].astype("string")[keep]).sum())
    f = funnel_table(stages.assign(channel=stages["channel"].astype("string")), by="channel")
    out = pd.DataFrame({"channel": pd.array(sorted(set(f["channel"].dropna()) | known), dtype="string")})
    out = out.merge(f, on="channel", how="left")
    for col in ("leads", "deals"):
        out[col] = out[col].fillna(0).astype("int64")
    out["won_amount"] = out["won_amount"].fillna(0.0)
    out["spend"] = out["channel"].map(spend).astype("float64")
    out["spend"] = out["spend"].mask(out["channel"].isin(known) & out["spend"].isna(), 0.0)
    positive = out["spend"].where(out["spend"] > 0)
    out["cost_per_lead"] = div_money(positive, out["leads"])
    out["cac"] = div_money(positive, out["deals"])
    out["roi"] = (out["won_amount"] / positive).round(3)
    out["low_roi"] = (out["roi"] < float(min_roi)).fillna(False).astype(bool)
    unknown = sorted(set(f["channel"].dropna()) - known)
    if unknown:
        warnings.warn(
            f"channel(s) {', '.join(unknown)} have no rows in channel_spend: their spend, cost per "
            "lead, CAC and ROI cannot be computed (shown empty). Add their spend to channel_spend "
            "(0 for a free channel).", PlaybookWarning, stacklevel=2)
    out = out.sort_values(["roi", "channel"], ascending=[False, True], na_position="last", kind="stable")
    return out[CHANNEL_COLUMNS].reset_index(drop=True)


def channel_ratio(
    stages: pd.DataFrame,
    *,
    channel: str = "referral",
    versus: Sequence[str] = AD_CHANNELS,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """How many times better ``channel`` leads win than ``versus`` leads (ratio of win rates).

    Win rate = won / (won + lost) of the leads of each side. ``ratio_ci_low`` /
    ``ratio_ci_high`` are the Katz log interval of the ratio; ``p_value`` tests that the
    two win rates are equal (:func:`proportion_test`, ``"auto"``).

    A channel without leads gives NaN figures and a
    :class:`~playbook.core.errors.PlaybookWarning` (not an error), so a notebook goes on.

    Returns
    -------
    DataFrame
        One row, columns :data:`CHANNEL_RATIO_COLUMNS` (``versus`` joined by ``+``).

    Examples
    --------
    >>> s = pd.DataFrame({"channel": ["referral"] * 100 + ["paid_search"] * 100,
    ...                   "outcome": ["won"] * 30 + ["lost"] * 70 + ["won"] * 10 + ["lost"] * 90})
    >>> r = channel_ratio(s, versus=["paid_search"])
    >>> r[["won", "closed", "versus_won", "ratio"]]
       won  closed  versus_won  ratio
    0   30     100          10    3.0
    """
    require_columns(stages, ["channel", "outcome"], "stages")
    versus = [versus] if isinstance(versus, str) else list(versus)
    if not versus:
        raise ParameterError("versus", versus, "one or more channel keys, e.g. ('paid_search', 'paid_social')")
    present = set(stages["channel"].dropna().astype(str))
    absent = [c for c in [channel, *versus] if c not in present]
    if absent:
        warnings.warn(f"channel(s) {', '.join(absent)} have no leads in the data (channels present: "
                      f"{', '.join(sorted(present))}): pass channel=/versus= with your channel keys.",
                      PlaybookWarning, stacklevel=2)
    won = stages["outcome"] == "won"
    closed = stages["outcome"].isin(["won", "lost"])
    a_side = stages["channel"] == channel
    b_side = stages["channel"].isin(versus)
    a, n1 = int((won & a_side).sum()), int((closed & a_side).sum())
    c, n2 = int((won & b_side).sum()), int((closed & b_side).sum())
    r1, r2 = (a / n1 if n1 else np.nan), (c / n2 if n2 else np.nan)
    ratio = r1 / r2 if r2 else np.nan
    low = high = np.nan
    if a > 0 and c > 0:
        se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
        z = _z(confidence)
        low, high = ratio * math.exp(-z * se), ratio * math.exp(z * se)
    p, _ = proportion_test(a, n1, c, n2)
    return pd.DataFrame([{
        "channel": channel, "versus": "+".join(versus), "won": a, "closed": n1, "win_rate": r1,
        "versus_won": c, "versus_closed": n2, "versus_win_rate": r2, "ratio": ratio,
        "ratio_ci_low": low, "ratio_ci_high": high, "p_value": p,
    }])[CHANNEL_RATIO_COLUMNS]


# --------------------------------------------------------------------------- before / after
def compare_periods(
    stages: pd.DataFrame,
    *,
    before: tuple[object, object],
    after: tuple[object, object],
    by: str | Sequence[str] | None = None,
    test: str = "auto",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Compare each funnel step (and the win rate) between two periods, with a test.

    Leads are assigned to a period by their created date (both ends inclusive). For each
    step the before and after rates are compared with :func:`proportion_test`;
    ``significant`` is ``p_value < alpha``: the change is unlikely to be noise. Not
    significant does not prove there was no effect: it may be too early to tell.

    Parameters
    ----------
    stages : DataFrame
        The output of :func:`stage_table`.
    before, after : (start, end)
        Date ranges.
    by : str or list of str, optional
        Compare within groups (e.g. ``"team"``).
    test : {"auto", "z", "fisher"}
        See :func:`proportion_test`.
    alpha : float
        Significance level.

    Returns
    -------
    DataFrame
        The ``by`` columns then :data:`PERIOD_COMPARISON_COLUMNS`; steps are the three
        funnel steps then ``win_rate`` (won / closed).

    Examples
    --------
    >>> s = pd.DataFrame({"created_date": pd.to_datetime(["2025-01-10"] * 100 + ["2025-04-10"] * 100),
    ...                   "reached_intent": True, "reached_negotiation": True,
    ...                   "reached_deal": [True] * 30 + [False] * 70 + [True] * 45 + [False] * 55,
    ...                   "amount": 1.0})
    >>> s["outcome"] = np.where(s["reached_deal"], "won", "lost")
    >>> c = compare_periods(s, before=("2025-01-01", "2025-03-31"), after=("2025-04-01", "2025-06-30"))
    >>> c.loc[2, ["step", "before_rate", "after_rate", "test", "significant"]]
    step           negotiation_to_deal
    before_rate                    0.3
    after_rate                    0.45
    test                             z
    significant                   True
    Name: 2, dtype: object
    """
    _check_stages(stages)
    require_columns(stages, ["created_date"], "stages")
    if not 0 < alpha < 1:
        raise ParameterError("alpha", alpha, "a number between 0 and 1, e.g. 0.05")
    keys = _by(by)
    sides = {}
    for name, rng in (("before", before), ("after", after)):
        if not isinstance(rng, (tuple, list)) or len(rng) != 2:
            raise ParameterError(name, rng, "a (start, end) pair of dates")
        start, end = optional_date(rng[0], name), optional_date(rng[1], name)
        if start is None or end is None or end < start:
            raise ParameterError(name, rng, "a (start, end) pair of dates with start <= end")
        part = stages.loc[(stages["created_date"] >= start) & (stages["created_date"] <= end)]
        if part.empty:
            raise InputError(f"no opportunities created in the {name} period {start.date()} .. "
                             f"{end.date()}: choose dates that hold leads.", code="funnel.no_leads",
                             params={"period_label": f"message.funnel.period_{name}", "start": start.date(),
                                     "end": end.date()})
        sums = _sums(part, keys)
        lg = _long(sums, keys)[[*keys, "step", "passed", "decided"]]
        wr = sums[keys].assign(step="win_rate", passed=sums["passed_3"].to_numpy(),
                               decided=(sums["passed_3"] + sums["lost"]).to_numpy())
        sides[name] = pd.concat([lg, wr], ignore_index=True).rename(
            columns={"passed": f"{name}_passed", "decided": f"{name}_decided"})
    out = sides["before"].merge(sides["after"], on=[*keys, "step"], how="outer")
    for col in ("before_passed", "before_decided", "after_passed", "after_decided"):
        out[col] = out[col].fillna(0).astype("int64")
    out["before_rate"] = _ratio(out["before_passed"], out["before_decided"])
    out["after_rate"] = _ratio(out["after_passed"], out["after_decided"])
    out["change"] = out["after_rate"] - out["before_rate"]
    tested = [proportion_test(a, n, b, m, test=test) for a, n, b, m in
              zip(out["before_passed"], out["before_decided"], out["after_passed"], out["after_decided"],
                  strict=True)]
    out["p_value"] = [p for p, _ in tested]
    out["test"] = pd.array([u for _, u in tested], dtype="string")
    out["significant"] = (out["p_value"] < alpha).fillna(False).astype(bool)
    order = {s: k for k, s in enumerate([*STEPS, "win_rate"])}
    out = out.sort_values([*keys, "step"], key=lambda s: s.map(order) if s.name == "step" else s, kind="stable")
    return out[[*keys, *PERIOD_COMPARISON_COLUMNS]].reset_index(drop=True)


# --------------------------------------------------------------------------- notebook helpers
def add_period(stages: pd.DataFrame, *, freq: str = "Q") -> pd.DataFrame:
    """Return a copy with a ``period`` column: the lead's creation period (``"2025Q3"``).

    ``freq`` is ``"M"`` (month), ``"Q"`` (quarter) or ``"Y"`` (year).

    Examples
    --------
    >>> s = pd.DataFrame({"created_date": pd.to_datetime(["2025-02-03", "2025-08-01"])})
    >>> add_period(s)["period"].tolist()
    ['2025Q1', '2025Q3']
    """
    if freq not in ("M", "Q", "Y"):
        raise ParameterError("freq", freq, "'M', 'Q' or 'Y'")
    require_columns(stages, ["created_date"], "stages")
    return stages.assign(period=stages["created_date"].dt.to_period(freq).astype("string"))


def periods_around(change_date: object, *, as_of: object) -> tuple[tuple[pd.Timestamp, pd.Timestamp],
                                                                    tuple[pd.Timestamp, pd.Timestamp]]:
    """Return ``(before, after)``: as many days before ``change_date`` as from it to ``as_of``.

    An empty ``change_date`` means one year before ``as_of`` (this year against last year).

    Examples
    --------
    >>> before, after = periods_around("2025-07-01", as_of="2025-09-30")  # 92 days each
    >>> [str(d.date()) for d in (*before, *after)]
    ['2025-03-31', '2025-06-30', '2025-07-01', '2025-09-30']
    """
    end = optional_date(as_of, "as_of")
    if end is None:
        raise ParameterError("as_of", as_of, "a date such as '2025-09-30'")
    change = optional_date(change_date, "change_date")
    if change is None:
        change = end - pd.DateOffset(years=1) + pd.Timedelta(days=1)
    if change > end:
        raise ParameterError("change_date", change_date, f"a date on or before as_of ({end.date()})")
    span = end - change
    return (change - span - pd.Timedelta(days=1), change - pd.Timedelta(days=1)), (change, end)
