"""Tables and charts for incentives and scorecards (English / 简体中文).

Each chart takes a frame from :mod:`playbook.incentives` and ``lang`` and returns a
matplotlib ``Figure`` (closed, so notebooks show it once). Money is drawn in 万元
(10,000 CNY). :func:`table` formats any incentives frame for display: cents become CNY,
rules and headers are translated.

Examples
--------
>>> import pandas as pd
>>> from playbook.incentives import REP_COLUMNS
>>> by_rep = pd.DataFrame({c: [0, 0] for c in REP_COLUMNS})
>>> by_rep["name"], by_rep["team"] = ["Ann", "Bo"], ["A", "A"]
>>> by_rep["commission_cents"] = by_rep["total_cents"] = [24_000_000, 8_000_000]
>>> fig = payout_chart(by_rep, lang="zh", plan="示例")
>>> fig.axes[0].get_xlabel()
'激励（万元）'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.patches
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from playbook import incentives as inc
from playbook.core.labels import check_lang, t
from playbook.present import incentives as present_incentives
from playbook.present.charts import setup_fonts
from playbook.present.tables import AREA_KINDS, kind_of, style_table

__all__ = ["table", "payout_chart", "comparison_chart", "commission_curve_chart", "scorecard_chart"]

_CATEGORY_COLORS = {"commission": "C0", "clawback": "C3", "bonus": "C2", "awards": "C1", "draw": "C7"}
_MAX_BARS = 60


def _wan(x: float, _pos: object = None) -> str:
    return f"{x / 1e4:,.1f}" if abs(x) < 1e5 else f"{x / 1e4:,.0f}"


def table(frame: pd.DataFrame, *, lang: str = "en") -> Any:
    """Return a ``Styler`` of an incentives frame: CNY amounts, percentages, translated text.

    Figures are formatted by their kind (:mod:`playbook.present.tables`, incentives'
    meaning of ``rate``, ``change`` and ``score``): rates show two decimals of a percent
    (``12.00%``), other ratios one.

    Examples
    --------
    >>> html = table(pd.DataFrame({"rule": ["commission"], "rate": [0.12], "amount_cents": [1234567]}),
    ...              lang="zh").to_html()
    >>> "12,345.67" in html and "12.00%" in html and "提成" in html
    True
    """
    check_lang(lang)
    shown = present_incentives.display_frame(frame, lang=lang)
    plain = [c[: -len("_cents")] if c.endswith("_cents") else c for c in frame.columns]
    kinds = {present_incentives.column_label(c, lang): kind_of(c, AREA_KINDS["incentives"]) for c in plain}
    return style_table(shown, lang=lang, kinds=kinds)


def payout_chart(by_rep: pd.DataFrame, *, lang: str = "en", plan: str = "") -> Figure:
    """Payout per rep as stacked bars by kind (commission, clawbacks, bonus, awards, draw).

    With more than 60 payees, a histogram of the total payout instead. ``by_rep`` is
    :attr:`playbook.incentives.PayoutRun.by_rep`.
    """
    check_lang(lang)
    setup_fonts()
    data = by_rep.sort_values("total_cents", kind="stable")
    if len(data) > _MAX_BARS:
        fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
        ax.hist(data["total_cents"] / 100, bins=30, color="C0")
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_wan))
        ax.set_xlabel(t("incentives.chart.payout_wan", lang))
        ax.set_ylabel(t("incentives.chart.reps", lang))
        ax.set_title(t("incentives.chart.payout_hist", lang, plan=plan))
        ax.grid(alpha=0.3)
        plt.close(fig)
        return fig
    names = data["name"].fillna(data["rep_id"]).astype(str) + " · " + data["rep_id"].astype(str)
    fig, ax = plt.subplots(figsize=(9, 0.3 * len(data) + 1.6), layout="constrained")
    pos_left = np.zeros(len(data))
    neg_left = np.zeros(len(data))
    for cat, color in _CATEGORY_COLORS.items():
        values = data[f"{cat}_cents"].to_numpy(float) / 100
        left = np.where(values >= 0, pos_left, neg_left)
        ax.barh(names, values, left=left, color=color, label=t(f"incentives.col.{cat}", lang))
        pos_left += np.where(values >= 0, values, 0)
        neg_left += np.where(values < 0, values, 0)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_wan))
    ax.set_xlabel(t("incentives.chart.payout_wan", lang))
    ax.set_title(t("incentives.chart.payout_by_rep", lang, plan=plan))
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    plt.close(fig)
    return fig


def comparison_chart(compare: pd.DataFrame, *, lang: str = "en", plan_a: str = "A", plan_b: str = "B") -> Figure:
    """Each rep's payout under plan A (dot) and plan B (arrow head): green gains, red losses.

    ``compare`` is :func:`playbook.incentives.compare_plans`'s frame.
    """
    check_lang(lang)
    setup_fonts()
    data = compare.sort_values(["change_cents", "rep_id"], kind="stable").tail(_MAX_BARS)
    names = data["name"].fillna(data["rep_id"]).astype(str) + " · " + data["rep_id"].astype(str)
    a = data["payout_a_cents"].to_numpy(float) / 100
    b = data["payout_b_cents"].to_numpy(float) / 100
    y = np.arange(len(data))
    fig, ax = plt.subplots(figsize=(9, 0.3 * len(data) + 2.2), layout="constrained")
    colors = np.where(b > a, "C2", np.where(b < a, "C3", "C7"))
    ax.hlines(y, np.minimum(a, b), np.maximum(a, b), colors=colors, linewidth=2)
    ax.scatter(a, y, color="C7", zorder=3, label=plan_a, s=18)
    ax.scatter(b, y, color=colors, zorder=4, marker="D", s=22)
    ax.scatter([], [], color="black", marker="D", label=plan_b, s=22)
    ax.set_yticks(y, names)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_wan))
    ax.set_xlabel(t("incentives.chart.payout_wan", lang))
    ax.set_title(t("incentives.chart.compare", lang, plan_a=plan_a, plan_b=plan_b), fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    fig.legend(fontsize=8, loc="outside lower center", ncols=1)
    plt.close(fig)
    return fig


def commission_curve_chart(
    plans: Sequence[inc.Plan | str], *, lang: str = "en", max_sales: float = 3_000_000, quota: float | None = None
) -> Figure:
    """Commission of each plan's first component against sales in one tier period.

    Shows how marginal tiers rise smoothly while whole-amount tiers jump at each threshold.
    ``quota`` is needed for plans with attainment tiers.
    """
    check_lang(lang)
    setup_fonts()
    sales = np.linspace(0, max_sales, 601)
    fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
    for i, p in enumerate(plans):
        plan = inc.load_plan(p)
        if not plan.components or (plan.components[0].basis == "attainment" and quota is None):
            continue
        curve = inc.commission_table(sales, plan=plan, quota=quota)
        ax.plot(sales, curve["commission_cents"] / 100, color=f"C{i}", label=plan.label(lang))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_wan))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_wan))
    ax.set_xlabel(t("incentives.chart.annual_sales_wan", lang))
    ax.set_ylabel(t("incentives.chart.commission_wan", lang))
    ax.set_title(t("incentives.curve", lang))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    plt.close(fig)
    return fig


def scorecard_chart(card: pd.DataFrame, *, lang: str = "en", preset: str = "") -> Figure:
    """Horizontal bars of each rep's score (best on top); flagged reps in orange.

    ``card`` is :func:`playbook.incentives.scorecard`'s frame.
    """
    check_lang(lang)
    setup_fonts()
    data = card.dropna(subset=["score"]).sort_values(["score", "rep_id"], kind="stable").tail(_MAX_BARS)
    names = data["name"].fillna(data["rep_id"]).astype(str) + " · " + data["rep_id"].astype(str)
    flagged = data["flag"].fillna("").astype(str) != ""
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(data) + 1.6), layout="constrained")
    y = np.arange(len(data))
    ax.barh(y, data["score"], color=np.where(flagged, "C1", "C0"))
    handles = [matplotlib.patches.Patch(color="C0", label=t("incentives.chart.legend_other", lang))]
    if flagged.any():
        handles.append(matplotlib.patches.Patch(color="C1", label=t("incentives.chart.legend_flag", lang)))
    ax.legend(handles=handles, fontsize=8, loc="lower right")
    ax.set_yticks(y, names)
    ax.set_xlim(0, 100)
    ax.set_xlabel(t("incentives.chart.score", lang))
    ax.set_title(t("incentives.chart.scorecard", lang, preset=preset))
    ax.grid(axis="x", alpha=0.3)
    plt.close(fig)
    return fig
