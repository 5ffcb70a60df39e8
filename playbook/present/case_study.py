"""The case's figures for display."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from playbook.core.labels import check_lang, t
from playbook.present.charts import setup_fonts
from playbook.present.tables import MISSING, format_value

__all__ = ["figures_display", "figures_chart"]

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
