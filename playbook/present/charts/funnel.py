"""Charts of the funnel diagnostics: funnel, rep x step heat map, stage durations, channel ROI.

Each function takes a frame from :mod:`playbook.funnel`, ``lang`` and ``ax=None``,
draws on ``ax`` (a new figure when None) and returns the ``Axes``. Chinese text renders
through :func:`playbook.present.charts.setup_fonts`.

Examples
--------
>>> import pandas as pd
>>> from playbook.present.charts.funnel import funnel_chart
>>> steps = pd.DataFrame({"step": ["lead_to_intent", "intent_to_negotiation", "negotiation_to_deal"],
...                       "entered": [100, 40, 20], "passed": [40, 20, 10], "pending": [0, 0, 2],
...                       "decided": [100, 40, 18], "rate": [0.4, 0.5, 10 / 18]})
>>> ax = funnel_chart(steps, lang="zh")
>>> ax.get_title()
'销售漏斗'
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm
from matplotlib.patches import Patch, Rectangle

from playbook.core.errors import require_columns
from playbook.core.labels import catalogue, check_lang, t
from playbook.funnel import ALL_STAGES, FUNNEL_STAGES, METRICS, PER_MONTH, REPURCHASE_STEP, STEPS
from playbook.present.charts import ensure_axes

__all__ = ["funnel_chart", "leak_heatmap", "duration_boxplot", "channel_roi_chart"]


def _label(prefix: str, value: object, lang: str) -> str:
    key = f"{prefix}{value}"
    cat = catalogue()
    return cat[key][lang] if key in cat else str(value)


def _empty(ax: Axes, lang: str) -> None:
    ax.text(0.5, 0.5, t("funnel.chart.no_data", lang), ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def funnel_chart(steps: pd.DataFrame, *, lang: str = "en", ax: Axes | None = None) -> Axes:
    """Funnel of stage counts with the drop-off of each step between the bars.

    ``steps`` is :func:`playbook.funnel.step_table` without grouping: three rows, or four
    with the repurchase step (``orders=`` given), which draws the method's fifth stage,
    repurchase. The drop-off is ``1 - rate`` of the step, so open deals still sitting in a
    step (won customers still within their repurchase window) are not counted as lost;
    their number is shown beside it. Draws on ``ax`` (a new figure when None) and returns it.
    """
    check_lang(lang)
    require_columns(steps, ["step", "entered", "passed", "pending", "rate"], "steps")
    keys = [*STEPS, *([REPURCHASE_STEP] if REPURCHASE_STEP in set(steps["step"]) else [])]
    s = steps.set_index("step").reindex(keys)
    counts = [int(s["entered"].iloc[0])] + [int(x) for x in s["passed"]]
    stages = ALL_STAGES if len(keys) > len(STEPS) else FUNNEL_STAGES
    ax = ensure_axes(ax, figsize=(8, 4.2 + 0.8 * (len(counts) - 4)))
    top = max(counts) or 1
    colors = ["#4C72B0", "#55A868", "#C4A000", "#C44E52", "#8172B2"]
    for i, (stage, n) in enumerate(zip(stages, counts, strict=True)):
        y = len(counts) - 1 - i
        ax.barh(y, n, left=(top - n) / 2, height=0.62, color=colors[i])
        ax.text(top / 2, y, f"{_label('funnel.stage.', stage, lang)}  {n:,}", ha="center", va="center",
                color="white" if n > top * 0.25 else "black", fontsize=10, fontweight="bold")
    for i, step in enumerate(keys):
        y = len(counts) - 1.5 - i
        rate, pending = s.loc[step, "rate"], int(s.loc[step, "pending"])
        text = t("funnel.chart.dropoff", lang, pct=1 - rate) if pd.notna(rate) else "—"
        if pending:
            key = "funnel.chart.pending_repurchase" if step == REPURCHASE_STEP else "funnel.chart.pending"
            text += " " + t(key, lang, n=pending)
        ax.text(top * 1.02, y, text, ha="left", va="center", fontsize=9, color="#444444")
    ax.set_xlim(0, top * 1.55)
    ax.set_ylim(-0.6, len(counts) - 0.4)
    ax.set_axis_off()
    ax.set_title(t("funnel.chart.title", lang))
    return ax


def leak_heatmap(comparison: pd.DataFrame, *, lang: str = "en", max_pct: float = 50.0,
                 ax: Axes | None = None) -> Axes:
    """Heat map of reps x steps: colour = rep rate against the peer rate, leaks framed in black.

    ``comparison`` is :func:`playbook.funnel.rep_comparison`. The colour is the relative
    difference ``rate / peer_rate - 1`` (one scale for shares and per-month rates),
    saturating at ``max_pct`` percent. Each cell shows the rep's rate; cells with
    ``not_enough_data`` are grey and show ``n`` (decided, or months); leaks get a thick
    black frame. Draws on ``ax`` (a new figure when None, with a colour bar) and returns
    it.
    """
    check_lang(lang)
    require_columns(comparison, ["rep_id", "team", "step", "rate", "peer_rate", "status", "decided"], "comparison")
    c = comparison.copy()
    name = c["name"].astype("string") if "name" in c else c["rep_id"].astype("string")
    c["_row"] = name.fillna(c["rep_id"].astype("string")) + " · " + c["team"].astype("string").fillna("")
    steps = [m for m in METRICS if m in set(c["step"])]
    rows = list(dict.fromkeys(c.sort_values(["team", "rep_id"], kind="stable")["_row"]))
    ax = ensure_axes(ax, figsize=(1.6 * len(steps) + 3.2, 0.34 * len(rows) + 1.8))
    if not rows or not steps:
        _empty(ax, lang)
        return ax
    idx = c.set_index(["_row", "step"])
    relative = (idx["rate"] / idx["peer_rate"].where(idx["peer_rate"] > 0) - 1) * 100
    grid = relative.unstack("step").reindex(index=rows, columns=steps)
    per_month = {s for s in steps if s in PER_MONTH}
    status = idx["status"].unstack("step").reindex(index=rows, columns=steps)
    rate = idx["rate"].unstack("step").reindex(index=rows, columns=steps)
    decided = idx["decided"].unstack("step").reindex(index=rows, columns=steps)
    shown = grid.where(status != "not_enough_data").to_numpy(dtype="float64")
    cmap = matplotlib.colormaps["RdYlGn"].with_extremes(bad="#DDDDDD")
    image = ax.imshow(np.ma.masked_invalid(shown), cmap=cmap, aspect="auto",
                      norm=TwoSlopeNorm(vcenter=0.0, vmin=-max_pct, vmax=max_pct))
    for i in range(len(rows)):
        for j in range(len(steps)):
            st = status.iat[i, j]
            if st == "not_enough_data" or pd.isna(rate.iat[i, j]):
                n = decided.iat[i, j] if pd.notna(decided.iat[i, j]) else 0
                label = f"n={n:.1f}" if steps[j] in per_month else f"n={n:.0f}"
                ax.text(j, i, label, ha="center", va="center", fontsize=7, color="#777777")
                continue
            text = (t("funnel.chart.per_month_short", lang, v=rate.iat[i, j]) if steps[j] in per_month
                    else f"{rate.iat[i, j]:.0%}")
            dark = pd.notna(grid.iat[i, j]) and abs(grid.iat[i, j]) > 0.7 * max_pct
            ax.text(j, i, text, ha="center", va="center", fontsize=8, color="white" if dark else "black",
                    fontweight="bold" if st == "leak" else "normal")
            if st == "leak":
                ax.add_patch(Rectangle((j - 0.46, i - 0.42), 0.92, 0.84, fill=False, edgecolor="black",
                                       linewidth=2.6))
    ax.set_xticks(range(len(steps)), [_label("funnel.step.", s, lang) for s in steps], rotation=20, ha="right",
                  fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    ax.set_title(t("funnel.chart.heatmap_title", lang))
    ax.set_xlabel(t("funnel.chart.heatmap_legend", lang), fontsize=8)
    ax.figure.colorbar(image, ax=ax, shrink=0.6, label=t("funnel.chart.diff_rel", lang))
    return ax


def duration_boxplot(durations: pd.DataFrame, *, lang: str = "en", by: str | None = "team",
                     ax: Axes | None = None) -> Axes:
    """Box plots of completed days per stage (and the sales cycle), one box per ``by`` group.

    ``durations`` is :func:`playbook.funnel.stage_durations`; ongoing stays are left out
    (they have not ended). Stages run along the x axis; within a stage, one box per
    group (coloured, with a legend). Whiskers at the 5th and 95th percentiles; outliers
    hidden. Draws on ``ax`` (a new figure when None) and returns it.

    Examples
    --------
    >>> d = pd.DataFrame({"stage": ["lead", "lead", "cycle"], "days": [3, 5, 40], "ongoing": [False] * 3,
    ...                   "team": ["A", "B", "A"]})
    >>> ax = duration_boxplot(d, lang="zh")
    >>> [x.get_text() for x in ax.get_xticklabels()], len(ax.get_legend().get_texts())
    (['线索', '销售周期'], 2)
    """
    check_lang(lang)
    require_columns(durations, ["stage", "days", "ongoing"], "durations")
    done = durations.loc[~durations["ongoing"].astype(bool)]
    stages = [s for s in ("lead", "intent", "negotiation", "cycle") if s in set(done["stage"])]
    groups = sorted(done[by].dropna().unique()) if by else [None]
    ax = ensure_axes(ax, figsize=(2.4 * max(len(stages), 1) + 0.6 * len(groups) + 1.5, 3.8))
    if not stages:
        _empty(ax, lang)
        return ax
    width = 0.8 / len(groups)
    for k, group in enumerate(groups):
        data = [done.loc[(done["stage"] == stage) & (done[by] == group if by else True), "days"].to_numpy()
                for stage in stages]
        data = [d if len(d) else np.array([np.nan]) for d in data]
        ax.boxplot(data, positions=np.arange(len(stages)) - 0.4 + width * (k + 0.5), widths=width * 0.85,
                   whis=(5, 95), showfliers=False, patch_artist=True, manage_ticks=False,
                   boxprops={"facecolor": f"C{k % 10}", "alpha": 0.6}, medianprops={"color": "black"})
    ax.set_xticks(range(len(stages)), [_label("funnel.stage.", s, lang) for s in stages])
    ax.set_ylabel(t("funnel.chart.days", lang))
    ax.set_title(t("funnel.chart.durations_title", lang))
    ax.grid(axis="y", alpha=0.3)
    if by:
        ax.legend([Patch(facecolor=f"C{k % 10}", alpha=0.6) for k in range(len(groups))], [str(g) for g in groups],
                  fontsize=8, title=t(f"col.{by}", lang) if f"col.{by}" in catalogue() else by)
    return ax


def channel_roi_chart(channels: pd.DataFrame, *, lang: str = "en", min_roi: float = 1.0,
                      ax: Axes | None = None) -> Axes:
    """Horizontal bars of ROI per channel with the ``min_roi`` line; low-ROI channels in red.

    ``channels`` is :func:`playbook.funnel.channel_table`; channels with unknown ROI are
    left out. Draws on ``ax`` (a new figure when None) and returns it.
    """
    check_lang(lang)
    require_columns(channels, ["channel", "roi"], "channels")
    data = channels.dropna(subset=["roi"]).sort_values("roi")
    ax = ensure_axes(ax, figsize=(7, 0.45 * len(data) + 1.4))
    if data.empty:
        _empty(ax, lang)
        return ax
    labels = [_label("channel.", c, lang) for c in data["channel"]]
    colors = ["#C44E52" if r < min_roi else "#55A868" for r in data["roi"]]
    ax.barh(labels, data["roi"], color=colors)
    ax.axvline(min_roi, color="black", linestyle="--", linewidth=1)
    for y, r in enumerate(data["roi"]):
        ax.text(r, y, f" {r:.1f}", va="center", fontsize=8)
    ax.set_xlabel(t("funnel.chart.roi", lang))
    ax.set_title(t("funnel.chart.roi_title", lang))
    ax.grid(axis="x", alpha=0.3)
    return ax
