"""Charts of an Individual Development Plan: one rep's evidence, never another rep's figures.

Each function takes the output of a :mod:`playbook.idp` function for **one** rep (a
one-row evidence slice, or :func:`playbook.idp.rep_levels`), ``lang`` and ``ax=None``, and
returns the matplotlib ``Axes`` it drew on (like lifetimes' ``plotting.py``): given no
``ax``, it makes a figure of a fitting size (closed from pyplot, so a notebook shows it
once, through ``ax.figure``). Team figures are anonymous statistics only (median,
quartiles), drawn only for groups of at least :data:`~playbook.idp.MIN_GROUP` other reps
(:func:`playbook.idp.hide_small_groups` on the input: a figure without its count is not
drawn).

Examples
--------
>>> import pandas as pd
>>> from playbook.present.charts.idp import peer_position_chart
>>> row = pd.DataFrame({"rep_id": ["R1"], "actual": [219_000.0], "quota": [200_000.0], "peer_count": [5],
...                     "peer_q1": [300_000.0], "peer_median": [320_000.0], "peer_q3": [340_000.0],
...                     "peer_mean": [320_000.0]})
>>> ax = peer_position_chart(row, lang="zh")
>>> ax.get_title()
'年初至今销售额与同事对比（匿名）'
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import matplotlib.ticker
import pandas as pd
from matplotlib.axes import Axes

from playbook.core.labels import check_lang, t
from playbook.idp import MIN_GROUP, Catalogue, Plan, hide_small_groups, load_catalogue
from playbook.present.charts import setup_fonts, wan
from playbook.present.idp import competency_name

__all__ = ["levels_chart", "peer_position_chart"]


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """Return ``ax``, or the Axes of a new figure (closed from pyplot: the caller shows ``ax.figure``)."""
    if ax is not None:
        return ax
    fig, new = plt.subplots(figsize=figsize, layout="constrained")
    plt.close(fig)
    return new


def levels_chart(
    levels: pd.DataFrame,
    *,
    plan: Plan | None = None,
    catalogue: Catalogue | None = None,
    lang: str = "en",
    ax: Axes | None = None,
) -> Axes:
    """Bars of the rep's current level per competency, the team median, and the plan's targets.

    Parameters
    ----------
    levels : DataFrame
        :func:`playbook.idp.rep_levels` of one rep (``competency, level, team_median,
        team_peer_count``); a team median of fewer than 5 other reps is not drawn.
    plan : Plan, optional
        Draws each item's target level as an outlined bar.
    catalogue : Catalogue, optional
        For the competency names (default: the shipped catalogue).
    lang : {"en", "zh"}
    ax : matplotlib Axes, optional
        Where to draw; default a new figure sized to the number of competencies.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> lv = pd.DataFrame({"competency": ["negotiation", "product_knowledge"],
    ...                    "level": pd.array([2, 4], dtype="Int64"), "team_median": [3.0, float("nan")],
    ...                    "team_peer_count": [6, 6]})
    >>> ax = levels_chart(lv, lang="en")
    >>> [x.get_text() for x in ax.get_yticklabels()]  # bottom to top
    ['Product knowledge', 'Negotiation']
    """
    check_lang(lang)
    setup_fonts()
    cat = catalogue or load_catalogue()
    data = hide_small_groups(levels).loc[lambda d: d["level"].notna()].iloc[::-1]
    names = [competency_name(cat, k, lang) for k in data["competency"]]
    ax = _new_axes(ax, (8, 0.45 * len(data) + 1.4))
    y = list(range(len(data)))
    if plan is not None and len(plan.items):
        target = data["competency"].map(plan.items.set_index("competency")["target_level"])
        has = target.notna().to_numpy()
        ax.barh([yy for yy, h in zip(y, has, strict=True) if h], target[has].astype(float), height=0.6, color="none",
                edgecolor="C2", linewidth=1.5, linestyle="--", label=t("idp.chart.target", lang))
    ax.barh(y, data["level"].astype(float), color="C0", height=0.6, label=t("idp.chart.current", lang))
    med = pd.to_numeric(data["team_median"], errors="coerce")
    shown = med.notna().to_numpy()
    if shown.any():
        ax.scatter(med[shown], [yy for yy, s in zip(y, shown, strict=True) if s], marker="D", color="black",
                   zorder=3, label=t("idp.chart.team_median", lang))
    ax.set_yticks(y, names)
    ax.set_xlim(0, 5.2)
    ax.set_xticks(range(0, 6))
    ax.set_xlabel(t("idp.chart.level_axis", lang))
    ax.set_title(t("idp.chart.levels", lang))
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.6 / (len(data) + 3)), ncol=3,
              frameon=False)
    return ax


def peer_position_chart(evidence: pd.DataFrame, *, lang: str = "en", ax: Axes | None = None) -> Axes:
    """Draw the rep's year-to-date sales and quota against the peers' anonymous quartiles (万元).

    Parameters
    ----------
    evidence : DataFrame
        One rep's slice of :func:`playbook.idp.team_evidence` (``actual, quota,
        peer_count, peer_q1, peer_median, peer_q3, peer_mean``). With fewer than 5 peers
        the peer statistics are missing and only the rep's own figures are drawn, with a
        note.
    lang : {"en", "zh"}
    ax : matplotlib Axes, optional
        Where to draw; default a new figure.

    Returns
    -------
    matplotlib Axes
    """
    check_lang(lang)
    setup_fonts()
    row = hide_small_groups(evidence.head(1)).iloc[0]

    def get(col: str) -> float:
        v = row.get(col, float("nan"))
        return float(v) if v is not None and not pd.isna(v) else float("nan")

    ax = _new_axes(ax, (8, 2.4))
    q1, med, q3, mean = get("peer_q1"), get("peer_median"), get("peer_q3"), get("peer_mean")
    values = [get("actual"), get("quota")]
    if math.isfinite(q1) and math.isfinite(q3):
        ax.barh([0], [q3 - q1], left=[q1], height=0.5, color="0.85", label=t("idp.chart.peer_band", lang))
        values += [q1, q3]
    if math.isfinite(med):
        ax.plot([med, med], [-0.25, 0.25], color="black", linewidth=2, label=t("idp.chart.peer_median", lang))
        values.append(med)
    if math.isfinite(mean):
        ax.plot([mean, mean], [-0.25, 0.25], color="0.4", linewidth=1.5, linestyle=":",
                label=t("idp.chart.peer_mean", lang))
    if not (math.isfinite(med) or math.isfinite(q1)):
        ax.text(0.01, 0.9, t("idp.peers_hidden", lang, min=MIN_GROUP), transform=ax.transAxes, fontsize=8,
                va="top")
    if math.isfinite(get("quota")):
        ax.scatter([get("quota")], [0], marker="|", s=600, color="C1", zorder=3, label=t("idp.chart.quota", lang))
    if math.isfinite(get("actual")):
        ax.scatter([get("actual")], [0], marker="o", s=90, color="C3", zorder=4, label=t("idp.chart.rep", lang))
    finite = [v for v in values if math.isfinite(v)]
    if finite:
        ax.set_xlim(0, max(finite) * 1.15 or 1)
    ax.set_yticks([])
    ax.set_ylim(-0.6, 0.6)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(wan))
    ax.set_xlabel(t("unit.wan", lang))
    ax.set_title(t("idp.chart.peer_sales", lang))
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.35), ncol=5, frameon=False)
    return ax
