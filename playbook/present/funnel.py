"""Funnel figures as text."""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.core.labels import catalogue, check_lang, t
from playbook.funnel.authority import AuthorityRules
from playbook.present.tables import AREA_KINDS, MISSING, display, format_value

__all__ = ["channel_ratio_text", "for_display", "authority_display", "ladder_text"]

def channel_ratio_text(ratio: pd.DataFrame, *, lang: str = "en") -> str:
    """One sentence on :func:`channel_ratio`'s result, for notebooks and reports.

    Examples
    --------
    >>> r = pd.DataFrame({"ratio": [3.06], "win_rate": [0.226], "versus_win_rate": [0.074],
    ...                   "ratio_ci_low": [2.6], "ratio_ci_high": [3.6]})
    >>> channel_ratio_text(r)
    'Referral leads win 3.1 times as often as paid-ad leads (23% vs 7%; 95% interval of the ratio 2.6–3.6).'
    """
    row = ratio.iloc[0]
    if pd.isna(row["ratio"]):
        return t("funnel.chart.no_data", lang)
    return t("funnel.referral_sentence", lang, ratio=row["ratio"], a=row["win_rate"], b=row["versus_win_rate"],
             low=row["ratio_ci_low"], high=row["ratio_ci_high"])


# --------------------------------------------------------------------------- display
_VALUE_PREFIX = {"step": "funnel.step.", "status": "funnel.status.", "stage": "funnel.stage.",
                 "stage_reached": "funnel.stage.", "pending_step": "funnel.step.",
                 "competency": "competency.", "channel": "channel.", "outcome": "outcome.",
                 "peers": "funnel.peers.", "test": "funnel.test."}


_RATE_COLUMNS = ("rate", "rep_rate", "ci_low", "ci_high", "shrunk_rate", "peer_rate", "peer_median_rate")


def for_display(frame: pd.DataFrame, *, lang: str = "en") -> pd.DataFrame:
    """Return a copy ready to show: every cell as text in ``lang``.

    Steps, statuses, stages, channels, competencies ... get their labels (values
    without a label, e.g. a channel the kit does not know, are kept); figures are
    written by their kind (:mod:`playbook.present.tables`: percentages one decimal,
    money two with thousands separators, ratios and ROI two decimals, p-values);
    in comparison frames (with a ``unit`` column) per-month rates read "per month" and
    ``decided`` shows months; dates show as ``YYYY-MM-DD``; booleans become yes/no;
    other decimals (days …) show one decimal; missing values show as an em dash.
    Headers are translated by :func:`playbook.present.tables.style_table`.

    Examples
    --------
    >>> f = pd.DataFrame({"step": ["negotiation_to_deal"], "status": ["not_enough_data"],
    ...                   "significant": [True], "median_days": [12.5], "win_rate": [0.25],
    ...                   "won_amount": [12345.6]})
    >>> for_display(f, lang="zh").iloc[0].tolist()
    ['谈判→成交', '数据不足', '是', '12.5', '25.0%', '12,345.60']
    """
    check_lang(lang)
    cat = catalogue()
    out = frame.copy()
    if {"opportunity_id", "code", "column", "message"} <= set(frame.columns):  # funnel.opportunity_problems
        out["message"] = pd.array([
            t(f"message.funnel.{c}", lang, opportunity_id=o, column=col) if f"message.funnel.{c}" in cat else m
            for o, c, col, m in zip(frame["opportunity_id"], frame["code"], frame["column"], frame["message"],
                                    strict=True)], dtype="string")
        out["code"] = frame["code"].map(lambda c: cat.get(f"message.funnel.code.{c}", {}).get(lang, c))
    if "unit" in frame.columns:
        per_month = (frame["unit"] == "per_month").fillna(False).to_numpy(dtype=bool)
        for col in [c for c in _RATE_COLUMNS if c in out.columns]:
            values = frame[col].to_numpy(dtype="float64")
            out[col] = pd.array([
                MISSING if np.isnan(v) else (cat["funnel.per_month"][lang].format(v=v) if pm
                                             else format_value(v, "percent"))
                for v, pm in zip(values, per_month, strict=True)], dtype="string")
        if "decided" in out.columns:
            values = frame["decided"].to_numpy(dtype="float64")
            out["decided"] = pd.array([
                cat["funnel.months"][lang].format(v=v) if pm else format_value(v, "count")
                for v, pm in zip(values, per_month, strict=True)], dtype="string")
        out["unit"] = frame["unit"].astype("string").replace(
            {u: cat[f"funnel.unit.{u}"][lang] for u in ("share", "per_month")})
    if "versus" in out.columns:
        out["versus"] = pd.array([" + ".join(cat.get(f"channel.{c}", {}).get(lang, c) for c in str(v).split("+"))
                                  for v in out["versus"]], dtype="string")
    return display(out, lang=lang, kinds=AREA_KINDS["funnel"], values=_VALUE_PREFIX,
                   yes_no=("funnel.yes", "funnel.no"), decimals=1)


_LIMIT_KIND = {"discount": "percent", "free_months": "count", "amount": "money"}


def authority_display(flags: pd.DataFrame, rules: AuthorityRules, *, lang: str = "en") -> pd.DataFrame:
    """Return :func:`playbook.funnel.authority_check` ready to show: limits, figures and positions in ``lang``.

    ``value`` and ``allowed`` are written by the limit's kind (discount in percent, months
    as a count, contract value as money); positions by their titles in the rules.

    Examples
    --------
    >>> from playbook.funnel import load_authority
    >>> flags = pd.DataFrame({"opportunity_id": ["P3"], "rep_id": ["R1"], "name": ["Ann"], "team": ["A"],
    ...     "outcome": ["open"], "position": ["sales_specialist"], "amount": [200000.0], "limit": ["discount"],
    ...     "value": [0.2], "allowed": [0.05], "needs": ["sales_manager"]})
    >>> authority_display(flags, load_authority(), lang="zh").iloc[0][["position", "limit", "value", "allowed",
    ...                                                                 "needs"]].tolist()
    ['销售专员', '折扣', '20.0%', '5.0%', '销售经理']
    """
    check_lang(lang)
    titles = {p.key: p.title.get(lang) or p.title.get("en") or p.key for p in rules.positions}
    out = flags.copy()
    for col in ("value", "allowed"):
        out[col] = pd.array([format_value(v, _LIMIT_KIND[k]) for v, k in zip(flags[col], flags["limit"], strict=True)],
                            dtype="string")
    out["limit"] = [t(f"funnel.limit.{k}", lang) for k in flags["limit"]]
    out["position"] = [titles.get(k, k) for k in flags["position"]]
    out["needs"] = [titles.get(k, k) if k else t("funnel.no_position", lang) for k in flags["needs"]]
    return for_display(out, lang=lang)


def ladder_text(rules: AuthorityRules, *, lang: str = "en") -> str:
    """Return the price ladder's concessions in ``lang``, joined (their titles in the rules).

    Examples
    --------
    >>> from playbook.funnel import load_authority
    >>> ladder_text(load_authority(), lang="zh")
    '订单超过 50 万：赠送 3 个月服务；续约：八折并优先排期'
    """
    check_lang(lang)
    sep = "；" if lang == "zh" else "; "
    return sep.join(s.title.get(lang) or s.title.get("en") or s.key for s in rules.ladder)
