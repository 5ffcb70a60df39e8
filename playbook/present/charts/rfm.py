"""Charts of RFM customer tiering: the R x FM grid, segments, migration, LTV/CAC by channel.

Each function takes a frame from :mod:`playbook.rfm`, ``lang`` and ``ax=None``, draws
on ``ax`` (a new figure when None) and returns the ``Axes``. Chinese renders through
:func:`playbook.present.charts.setup_fonts`.

Examples
--------
>>> import pandas as pd
>>> from playbook.present.charts.rfm import segment_chart
>>> summary = pd.DataFrame({"segment": ["high_value", "potential", "sleeping", "other"],
...                         "customer_share": [0.2, 0.3, 0.1, 0.4], "revenue_share": [0.6, 0.2, 0.05, 0.15]})
>>> ax = segment_chart(summary, segment_map="domain", lang="zh")
>>> ax.get_title()
'各分群客户数与净销售额'
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from playbook.core.labels import catalogue, check_lang, t
from playbook.present.charts import ensure_axes
from playbook.present.rfm import segment_labels
from playbook.rfm import SegmentMap

__all__ = ["rfm_grid_chart", "segment_chart", "migration_chart", "ltv_cac_chart"]

_MapSpec = str | Path | Mapping[str, Any] | SegmentMap


def rfm_grid_chart(segmented: pd.DataFrame, *, segment_map: _MapSpec = "default", lang: str = "en",
                   ax: Axes | None = None) -> Axes:
    """Heat map of customers on the R score (rows, 5 on top) x FM score (columns) grid.

    Each cell shows the number of customers and the label of its largest segment.
    ``segmented`` has ``r_score``, ``fm_score`` and ``segment`` (as returned by
    :func:`playbook.rfm.segment_customers`). Draws on ``ax`` (a new figure when None,
    with a colour bar) and returns it.

    Examples
    --------
    >>> s = pd.DataFrame({"r_score": [5, 1], "fm_score": [5, 1], "segment": ["champions", "lost"]})
    >>> rfm_grid_chart(s).get_xlabel()
    'FM score (5 = most frequent / highest spend)'
    """
    check_lang(lang)
    names = segment_labels(segment_map, lang=lang)
    scores = np.arange(1, 6)
    counts = (segmented.groupby(["r_score", "fm_score"]).size()
              .unstack(fill_value=0).reindex(index=scores, columns=scores, fill_value=0))
    top = (segmented.groupby(["r_score", "fm_score", "segment"]).size().reset_index(name="n")
           .sort_values(["n", "segment"], ascending=[False, True], kind="stable")
           .drop_duplicates(["r_score", "fm_score"]).set_index(["r_score", "fm_score"])["segment"])
    grid = counts.to_numpy()[::-1]  # r = 5 on top
    ax = ensure_axes(ax, figsize=(8.5, 6))
    image = ax.imshow(grid, cmap="Blues", aspect="auto")
    vmax = grid.max() if grid.size and grid.max() > 0 else 1
    for i, r in enumerate(scores[::-1]):
        for j, fm in enumerate(scores):
            n = int(grid[i, j])
            colour = "white" if n > 0.6 * vmax else "black"
            label = names.get(top[(r, fm)], top[(r, fm)]) if (r, fm) in top.index else ""
            ax.text(j, i - 0.12, f"{n:,}", ha="center", va="center", fontsize=11, color=colour, weight="bold")
            ax.text(j, i + 0.22, label, ha="center", va="center", fontsize=7.5, color=colour)
    ax.set_xticks(range(5), [str(s) for s in scores])
    ax.set_yticks(range(5), [str(s) for s in scores[::-1]])
    ax.set_xlabel(t("rfm.chart.fm_axis", lang))
    ax.set_ylabel(t("rfm.chart.r_axis", lang))
    ax.set_title(t("rfm.chart.grid_title", lang))
    ax.figure.colorbar(image, ax=ax, label=t("col.customers", lang), shrink=0.8)
    return ax


def segment_chart(summary: pd.DataFrame, *, segment_map: _MapSpec = "default", lang: str = "en",
                  ax: Axes | None = None) -> Axes:
    """Paired horizontal bars: each segment's share of customers and of net revenue.

    ``summary`` is :func:`playbook.rfm.segment_summary` (``segment``,
    ``customer_share``, ``revenue_share``), drawn in the map's order from the top. Draws
    on ``ax`` (a new figure when None) and returns it.
    """
    check_lang(lang)
    names = segment_labels(segment_map, lang=lang)
    data = summary.iloc[::-1]
    y = np.arange(len(data))
    ax = ensure_axes(ax, figsize=(8.5, 0.45 * len(data) + 1.6))
    ax.barh(y + 0.2, data["customer_share"].fillna(0) * 100, height=0.4, color="C0",
            label=t("rfm.chart.customers_pct", lang))
    ax.barh(y - 0.2, data["revenue_share"].fillna(0) * 100, height=0.4, color="C1",
            label=t("rfm.chart.revenue_pct", lang))
    ax.set_yticks(y, [names.get(k, k) for k in data["segment"]])
    ax.set_xlabel("%")
    ax.set_title(t("rfm.chart.segments_title", lang))
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncols=2, fontsize=8, frameon=False)
    return ax


def migration_chart(matrix: pd.DataFrame, *, segment_map: _MapSpec = "default", lang: str = "en",
                    ax: Axes | None = None) -> Axes:
    """Heat map of a :func:`playbook.rfm.migration` matrix (rows: earlier segment, columns: later).

    Draws on ``ax`` (a new figure when None) and returns it.

    Examples
    --------
    >>> m = pd.DataFrame({"from_segment": ["other", "inactive"], "other": [1, 2], "inactive": [3, 0]})
    >>> migration_chart(m, segment_map="domain").get_ylabel()
    'Earlier segment'
    """
    check_lang(lang)
    names = segment_labels(segment_map, lang=lang)
    data = matrix.set_index("from_segment")
    values = data.to_numpy()
    size = 0.55 * len(data.columns) + 3
    ax = ensure_axes(ax, figsize=(size + 1.5, 0.45 * len(data) + 2.5))
    ax.imshow(values, cmap="Purples", aspect="auto")
    vmax = values.max() if values.size and values.max() > 0 else 1
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            ax.text(j, i, f"{int(values[i, j]):,}", ha="center", va="center", fontsize=8,
                    color="white" if values[i, j] > 0.6 * vmax else "black")
    ax.set_xticks(range(len(data.columns)), [names.get(c, c) for c in data.columns], rotation=40, ha="right")
    ax.set_yticks(range(len(data)), [names.get(c, c) for c in data.index])
    ax.set_xlabel(t("rfm.chart.to", lang))
    ax.set_ylabel(t("rfm.chart.from", lang))
    ax.set_title(t("rfm.chart.migration_title", lang))
    return ax


def ltv_cac_chart(economics: pd.DataFrame, *, lang: str = "en", ax: Axes | None = None) -> Axes:
    """Horizontal bars of LTV/CAC per channel, ROI < 1 in red, with the break-even line at 1.

    ``economics`` is :func:`playbook.rfm.channel_economics`; channels without spend
    (no LTV/CAC) are left out. Draws on ``ax`` (a new figure when None) and returns it.

    Examples
    --------
    >>> e = pd.DataFrame({"channel": ["paid_social", "referral"], "ltv_cac": [0.5, 4.0],
    ...                   "roi_below_1": [True, False]})
    >>> [float(b.get_width()) for b in ltv_cac_chart(e, lang="zh").patches]
    [0.5, 4.0]
    """
    check_lang(lang)
    data = economics.dropna(subset=["ltv_cac"])
    cat = catalogue()
    names = [cat[f"channel.{c}"][lang] if f"channel.{c}" in cat else str(c) for c in data["channel"]]
    ax = ensure_axes(ax, figsize=(8, 0.45 * len(data) + 1.6))
    colours = ["#d62728" if bad else "#2ca02c" for bad in data["roi_below_1"]]
    bars = ax.barh(names, data["ltv_cac"], color=colours)
    ax.bar_label(bars, fmt="%.1f", padding=3, fontsize=8)
    ax.axvline(1, color="black", linewidth=1, linestyle="--")
    ax.set_xlabel(t("rfm.chart.ltv_cac", lang))
    ax.set_title(t("rfm.chart.ltv_cac_title", lang))
    ax.grid(axis="x", alpha=0.3)
    ax.margins(x=0.12)
    return ax
