"""The case's figures for display."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from playbook.core.labels import check_lang, t
from playbook.present.charts import setup_fonts
from playbook.present.tables import MISSING, format_value

__all__ = ["figures_display", "figures_chart", "worked_display"]

def _fmt(value: float, unit: str, lang: str) -> str:
    if pd.isna(value):
        return MISSING
    if unit == "pct":
        return format_value(value, "percent0", lang)
    if unit == "days":
        return t("case.days", lang, n=format_value(value, "general", lang))
    return format_value(value, "count", lang)


def figures_display(figures: pd.DataFrame, *, lang: str = "en") -> pd.DataFrame:
    """Return :func:`case_figures` as text for people: figure name, stage, period, value, source.

    Examples
    --------
    >>> from playbook.data.case_study import generate_case
    >>> from playbook.case import case_figures
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
        t("case.col.n", lang): [format_value(n, "count", lang) for n in figures["n"]],
        t("case.col.within", lang): ["" if pd.isna(w) else ("✓" if w else "✗") for w in figures["within"]],
    })
    return rows


_COLORS = {"before": "#9e9e9e", "after": "#1f77b4"}
_RATES = ["key_account_renewal", "needs_match", "objection_rate", "existing_share", "first_deal_rate"]


def figures_chart(figures: pd.DataFrame, *, lang: str = "en", ax: Axes | None = None) -> Axes:
    """Before/after bars of the case's rates, and of the sales cycle in days.

    The rates are drawn on ``ax``; the sales cycle (days) on a small Axes inset at its
    right (``ax.child_axes``), so the whole chart lives on one Axes like every chart.

    Parameters
    ----------
    figures : DataFrame
        :func:`playbook.case.case_figures` output (or its rows of one stage: then only
        those bars are drawn). For a figure measured twice before, the later value is used.
    lang : {"en", "zh"}
    ax : matplotlib Axes, optional
        Where to draw; default a new figure (closed from pyplot: show ``ax.figure``).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> figures = pd.DataFrame({"figure": ["needs_match", "needs_match", "cycle_days", "cycle_days"],
    ...                         "stage": ["before", "after"] * 2, "value": [0.45, 0.72, 52.0, 36.0]})
    >>> ax = figures_chart(figures, lang="zh")
    >>> [x.get_text() for x in ax.get_yticklabels()], ax.child_axes[0].get_title()
    (['需求匹配率'], '成交周期')
    """
    check_lang(lang)
    setup_fonts()
    shown = figures[figures["figure"].isin([*_RATES, "cycle_days"])]
    shown = shown.drop_duplicates(["figure", "stage"], keep="last")
    wide = shown.pivot(index="figure", columns="stage", values="value")
    wide = wide.reindex([f for f in [*_RATES, "cycle_days"] if f in wide.index])
    stages = [s for s in ("before", "after") if s in wide.columns]
    if ax is None:  # the layout leaves the right fifth of the figure to the inset
        fig, ax = plt.subplots(figsize=(10, 3.8), layout="constrained")
        fig.get_layout_engine().set(rect=(0, 0, 0.78, 1))
        plt.close(fig)
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
    ax.set_title(t("case.chart_title", lang))
    days = ax.inset_axes((1.2, 0.0, 0.27, 1.0))
    if "cycle_days" in wide.index:
        vals = wide.loc["cycle_days", stages].to_numpy(dtype=float)
        bars = days.bar(np.arange(len(stages)), vals, color=[_COLORS[s] for s in stages])
        days.bar_label(bars, labels=[f"{v:g}" for v in vals], fontsize=8)
        days.set_xticks(np.arange(len(stages)), [t(f"case.stage.{s}", lang) for s in stages])
    days.set_title(t("case.figure.cycle_days", lang), fontsize=10)
    days.set_ylabel(t("case.days_axis", lang))
    return ax


def _worked_value(value: float, unit: str, lang: str) -> str:
    """Write one worked-case figure by its unit (money in CNY, shares in percent, points, days ...)."""
    if unit == "cny":
        return f"{format_value(value, 'money', lang)} {t('unit.cny', lang)}"
    if unit == "pct":
        return format_value(value, "percent", lang)
    general = format_value(round(value, 2), "general", lang)
    keys = {"pts": ("case.unit.points", format_value(round(value * 100, 1), "general", lang)),
            "days": ("case.days", general), "months": ("case.unit.months", general),
            "people": ("case.unit.people", general), "x": ("case.unit.times", format_value(value, "one_decimal", lang)),
            "index": ("case.unit.index", general)}
    key, n = keys[unit]
    return t(key, lang, n=n)


def worked_display(worked: pd.DataFrame, *, lang: str = "en") -> pd.DataFrame:
    """Return :func:`playbook.case.worked.worked_cases` as text for people: case, figure, value, given or worked out.

    Examples
    --------
    >>> from playbook.case.worked import worked_cases
    >>> shown = worked_display(worked_cases(), lang="zh")
    >>> shown.iloc[4].tolist()
    ['半年复盘：120 万元 = 目标的 80%', '半年目标（销售额 / 达成率）', '1,500,000.00 元', '推算']
    >>> worked_display(worked_cases(), lang="en").iloc[9].tolist()[1:]
    ["Next month's goal against the month before the fall", '0.99 x', 'Worked out']
    """
    check_lang(lang)
    return pd.DataFrame({
        t("case.worked.col.case", lang): [t(f"case.worked.{c}", lang) for c in worked["case"]],
        t("case.worked.col.figure", lang): [t(f"case.worked.figure.{f}", lang) for f in worked["figure"]],
        t("case.worked.col.value", lang): [_worked_value(v, u, lang)
                                           for v, u in zip(worked["value"], worked["unit"], strict=True)],
        t("case.worked.col.kind", lang): [t("case.worked.given" if g else "case.worked.worked_out", lang)
                                          for g in worked["given"]],
    })
