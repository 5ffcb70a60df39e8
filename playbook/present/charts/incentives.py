"""Charts of incentives and scorecards (English / 简体中文).

Each chart takes a frame from :mod:`playbook.incentives`, ``lang`` and ``ax=None``, and
returns the matplotlib ``Axes`` it drew on (like lifetimes' ``plotting.py``): given no
``ax``, it makes a figure of a fitting size, closed from pyplot, so a notebook shows it
once through ``ax.figure``. Money is drawn in 万元 (10,000 CNY). The incentives table
(a ``Styler``) is :func:`playbook.present.incentives.table`.

Examples
--------
>>> import pandas as pd
>>> from playbook.incentives import REP_COLUMNS
>>> by_rep = pd.DataFrame({c: [0, 0] for c in REP_COLUMNS})
>>> by_rep["name"], by_rep["team"] = ["Ann", "Bo"], ["A", "A"]
>>> by_rep["commission_cents"] = by_rep["total_cents"] = [24_000_000, 8_000_000]
>>> ax = payout_chart(by_rep, lang="zh", plan="示例")
>>> ax.get_xlabel()
'激励（万元）'
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.patches
import matplotlib.pyplot as plt
import matplotlib.ticker
import matplotlib.transforms
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from playbook import incentives as inc
from playbook.core.labels import check_lang, t
from playbook.present.charts import setup_fonts
from playbook.present.incentives import plan_label

__all__ = ["payout_chart", "comparison_chart", "commission_curve_chart", "scorecard_chart"]

_CATEGORY_COLORS = {"commission": "C0", "clawback": "C3", "bonus": "C2", "awards": "C1", "draw": "C7"}
_MAX_BARS = 60


def _wan(x: float, _pos: object = None) -> str:
    return f"{x / 1e4:,.1f}" if abs(x) < 1e5 else f"{x / 1e4:,.0f}"


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """Return ``ax``, or the Axes of a new figure (closed from pyplot: the caller shows ``ax.figure``)."""
    if ax is not None:
        return ax
    fig, new = plt.subplots(figsize=figsize, layout="constrained")
    plt.close(fig)
    return new


def _names(data: pd.DataFrame) -> pd.Series:
    return data["name"].fillna(data["rep_id"]).astype(str) + " · " + data["rep_id"].astype(str)


def payout_chart(by_rep: pd.DataFrame, *, lang: str = "en", plan: str = "", ax: Axes | None = None) -> Axes:
    """Payout per rep as stacked bars by kind (commission, clawbacks, bonus, awards, draw).

    With more than 60 payees, a histogram of the total payout instead.

    Parameters
    ----------
    by_rep : DataFrame
        :attr:`playbook.incentives.PayoutRun.by_rep`.
    lang : {"en", "zh"}
    plan : str
        The plan's title for the chart title (:func:`playbook.present.incentives.plan_label`).
    ax : matplotlib Axes, optional
        Where to draw; default a new figure sized to the number of payees.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> by_rep = pd.DataFrame({"rep_id": ["R1"], "name": ["Ann"], "commission_cents": [8_000_00],
    ...                        "clawback_cents": [0], "bonus_cents": [500_00], "awards_cents": [0],
    ...                        "draw_cents": [0], "total_cents": [8_500_00]})
    >>> [x.get_text() for x in payout_chart(by_rep).get_legend().get_texts()]
    ['Commission', 'Clawbacks', 'Bonus', 'Awards', 'Draw (net)']
    """
    check_lang(lang)
    setup_fonts()
    data = by_rep.sort_values("total_cents", kind="stable")
    if len(data) > _MAX_BARS:
        ax = _new_axes(ax, (8, 4))
        ax.hist(data["total_cents"] / 100, bins=30, color="C0")
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_wan))
        ax.set_xlabel(t("incentives.chart.payout_wan", lang))
        ax.set_ylabel(t("incentives.chart.reps", lang))
        ax.set_title(t("incentives.chart.payout_hist", lang, plan=plan))
        ax.grid(alpha=0.3)
        return ax
    names = _names(data)
    ax = _new_axes(ax, (9, 0.3 * len(data) + 1.6))
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
    return ax


def comparison_chart(compare: pd.DataFrame, *, lang: str = "en", plan_a: str = "A", plan_b: str = "B",
                     ax: Axes | None = None) -> Axes:
    """Each rep's payout under plan A (dot) and plan B (diamond): green gains, red losses.

    Parameters
    ----------
    compare : DataFrame
        :func:`playbook.incentives.compare_plans`'s frame; the 60 biggest gains are drawn.
    lang : {"en", "zh"}
    plan_a, plan_b : str
        The plans' titles, for the legend and the title.
    ax : matplotlib Axes, optional
        Where to draw; default a new figure sized to the number of reps.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> compare = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann", "Bo"], "payout_a_cents": [100, 200],
    ...                         "payout_b_cents": [150, 200], "change_cents": [50, 0]})
    >>> [x.get_text() for x in comparison_chart(compare, plan_a="Old", plan_b="New").get_legend().get_texts()]
    ['Old', 'New']
    """
    check_lang(lang)
    setup_fonts()
    data = compare.sort_values(["change_cents", "rep_id"], kind="stable").tail(_MAX_BARS)
    a = data["payout_a_cents"].to_numpy(float) / 100
    b = data["payout_b_cents"].to_numpy(float) / 100
    y = np.arange(len(data))
    ax = _new_axes(ax, (9, 0.3 * len(data) + 2.2))
    colors = np.where(b > a, "C2", np.where(b < a, "C3", "C7"))
    ax.hlines(y, np.minimum(a, b), np.maximum(a, b), colors=colors, linewidth=2)
    ax.scatter(a, y, color="C7", zorder=3, label=plan_a, s=18)
    ax.scatter(b, y, color=colors, zorder=4, marker="D", s=22)
    ax.scatter([], [], color="black", marker="D", label=plan_b, s=22)
    ax.set_yticks(y, _names(data))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_wan))
    ax.set_xlabel(t("incentives.chart.payout_wan", lang))
    ax.set_title(t("incentives.chart.compare", lang, plan_a=plan_a, plan_b=plan_b), fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    below = ax.transAxes + matplotlib.transforms.ScaledTranslation(0, -0.45, ax.figure.dpi_scale_trans)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, 0), bbox_transform=below, ncols=2, frameon=False)
    return ax


def commission_curve_chart(
    plans: Sequence[inc.Plan | str],
    *,
    lang: str = "en",
    max_sales: float = 3_000_000,
    quota: float | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Commission of each plan's first component against sales in one tier period.

    Shows how marginal tiers rise smoothly while whole-amount tiers jump at each threshold.

    Parameters
    ----------
    plans : sequence of Plan or str
        Plans (or names of shipped plans); each line is labelled with the plan's title.
    lang : {"en", "zh"}
    max_sales : float
        The right end of the sales axis (CNY).
    quota : float, optional
        The tier period's quota (CNY), needed to draw plans with attainment tiers (they
        are left out without it).
    ax : matplotlib Axes, optional
        Where to draw; default a new figure.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> ax = commission_curve_chart(["domain_marginal", "domain_whole"], lang="zh")
    >>> len(ax.get_lines()), ax.get_ylabel()
    (2, '提成（万元）')
    """
    check_lang(lang)
    setup_fonts()
    sales = np.linspace(0, max_sales, 601)
    ax = _new_axes(ax, (8, 4))
    for i, p in enumerate(plans):
        plan = inc.load_plan(p)
        if not plan.components or (plan.components[0].basis == "attainment" and quota is None):
            continue
        curve = inc.commission_table(sales, plan=plan, quota=quota)
        ax.plot(sales, curve["commission_cents"] / 100, color=f"C{i}", label=plan_label(plan, lang))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_wan))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_wan))
    ax.set_xlabel(t("incentives.chart.annual_sales_wan", lang))
    ax.set_ylabel(t("incentives.chart.commission_wan", lang))
    ax.set_title(t("incentives.curve", lang))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def scorecard_chart(card: pd.DataFrame, *, lang: str = "en", preset: str = "", ax: Axes | None = None) -> Axes:
    """Horizontal bars of each rep's score (best on top); flagged reps in orange.

    Parameters
    ----------
    card : DataFrame
        :func:`playbook.incentives.scorecard`'s frame; the 60 best scores are drawn.
    lang : {"en", "zh"}
    preset : str
        The preset's title (:func:`playbook.present.incentives.preset_label`).
    ax : matplotlib Axes, optional
        Where to draw; default a new figure sized to the number of reps.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> card = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann", "Bo"], "score": [80.0, 20.0],
    ...                      "flag": ["", "bottom"]})
    >>> [x.get_text() for x in scorecard_chart(card).get_yticklabels()]  # bottom to top
    ['Bo · R2', 'Ann · R1']
    """
    check_lang(lang)
    setup_fonts()
    data = card.dropna(subset=["score"]).sort_values(["score", "rep_id"], kind="stable").tail(_MAX_BARS)
    flagged = data["flag"].fillna("").astype(str) != ""
    ax = _new_axes(ax, (8, 0.3 * len(data) + 1.6))
    y = np.arange(len(data))
    ax.barh(y, data["score"], color=np.where(flagged, "C1", "C0"))
    handles = [matplotlib.patches.Patch(color="C0", label=t("incentives.chart.legend_other", lang))]
    if flagged.any():
        handles.append(matplotlib.patches.Patch(color="C1", label=t("incentives.chart.legend_flag", lang)))
    ax.legend(handles=handles, fontsize=8, loc="lower right")
    ax.set_yticks(y, _names(data))
    ax.set_xlim(0, 100)
    ax.set_xlabel(t("incentives.chart.score", lang))
    ax.set_title(t("incentives.chart.scorecard", lang, preset=preset))
    ax.grid(axis="x", alpha=0.3)
    return ax
