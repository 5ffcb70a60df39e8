"""Charts of target decomposition and tracking (:mod:`playbook.targets`), labels in EN / 中文.

Each function takes a frame from :mod:`playbook.targets`, ``lang`` and ``ax=None``,
draws on ``ax`` (a new figure when None) and returns the ``Axes``. Money is drawn in 万元
(10k CNY). Per-rep attainment uses :func:`playbook.present.charts.attainment_chart` with
the output of ``targets.track(..., period="ytd")``.

Examples
--------
>>> import pandas as pd
>>> from playbook import targets
>>> from playbook.present.charts.targets import seasonality_chart
>>> orders = pd.DataFrame({"order_date": pd.date_range("2024-01-01", periods=12, freq="MS"),
...                        "amount": [1.0] * 11 + [2.0]})
>>> ax = seasonality_chart(targets.yearly_shares(orders, plan_year=2025, years=1), lang="zh")
>>> ax.get_ylabel()
'占全年比例（%）'
"""

from __future__ import annotations

import matplotlib
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from playbook.core.labels import check_lang, t
from playbook.present.charts import ensure_axes, wan

__all__ = [
    "seasonality_chart",
    "quota_matrix_chart",
    "capacity_chart",
    "target_vs_actual_chart",
    "okr_progress_chart",
]


def _month_labels(months: pd.Series | pd.DatetimeIndex) -> list[str]:
    return [f"{m.month}" for m in pd.to_datetime(pd.Series(months))]


def seasonality_chart(
    yearly: pd.DataFrame | None, monthly: pd.DataFrame | None = None, *, lang: str = "en", ax: Axes | None = None
) -> Axes:
    """Share of each month in its year's sales: one line per past year, bars for the plan.

    ``yearly`` comes from :func:`playbook.targets.yearly_shares` (None: no history
    lines); ``monthly`` (optional, from :func:`playbook.targets.split_year`) gives the
    plan's shares, else the mean of the years. A dashed line marks the equal split (1/12).
    Draws on ``ax`` (a new figure when None) and returns it.
    """
    check_lang(lang)
    if yearly is None and monthly is None:
        raise ValueError("seasonality_chart needs yearly shares, monthly targets or both")
    if yearly is None:
        yearly = pd.DataFrame({"year": pd.Series(dtype="int64"), "month_of_year": pd.Series(dtype="int64"),
                               "share": pd.Series(dtype=float)})
    ax = ensure_axes(ax, figsize=(9, 4))
    x = np.arange(1, 13)
    if monthly is not None:
        plan = monthly["share"].to_numpy()
        year = pd.to_datetime(monthly["month"]).dt.year.iloc[0]
    else:
        plan = yearly.groupby("month_of_year")["share"].mean().reindex(x).to_numpy()
        year = int(yearly["year"].max()) + 1
    ax.bar(x, plan * 100, color="C0", alpha=0.35, label=t("targets.chart.plan_share", lang, plan_year=year))
    for i, (yr, part) in enumerate(yearly.groupby("year", sort=True)):
        part = part.sort_values("month_of_year")
        ax.plot(part["month_of_year"], part["share"] * 100, marker="o", markersize=3, color=f"C{i + 1}",
                label=str(yr))
    ax.axhline(100 / 12, color="black", linestyle="--", linewidth=1, label=t("targets.chart.equal_share", lang))
    ax.set_xticks(x)
    ax.set_xlabel(t("col.month", lang))
    ax.set_ylabel(t("targets.chart.share_pct", lang))
    ax.set_title(t("targets.chart.seasonality", lang))
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, ncols=2)
    return ax


def quota_matrix_chart(matrix: pd.DataFrame, reps: pd.DataFrame, *, lang: str = "en",
                       ax: Axes | None = None) -> Axes:
    """Stacked bars of monthly quotas, one segment per rep, coloured by team (万元).

    ``matrix`` is ``rep_id, month, quota`` (:func:`playbook.targets.rep_month_matrix`);
    ``reps`` gives ``rep_id, team`` (e.g. ``QuotaPlan.reps``). Each bar's height is the
    month's company target; shades within a team tell its reps apart. Draws on ``ax`` (a
    new figure when None) and returns it.

    Examples
    --------
    >>> m = pd.DataFrame({"rep_id": ["R1", "R2"] * 2, "quota": [1e4, 2e4, 1e4, 3e4],
    ...                   "month": pd.to_datetime(["2025-01-01"] * 2 + ["2025-02-01"] * 2)})
    >>> ax = quota_matrix_chart(m, pd.DataFrame({"rep_id": ["R1", "R2"], "team": ["A", "B"]}))
    >>> len(ax.patches)
    4
    """
    check_lang(lang)
    wide = matrix.pivot_table(index="month", columns="rep_id", values="quota", aggfunc="sum").fillna(0.0)
    team_of = reps.assign(rep_id=reps["rep_id"].astype(str)).set_index("rep_id")["team"].astype(str)
    order = sorted(wide.columns, key=lambda r: (team_of.get(r, ""), r))
    wide = wide[order]
    teams = sorted({team_of.get(r, "") for r in order})
    cmaps = ["Blues", "Oranges", "Greens", "Purples", "Reds", "Greys", "YlOrBr", "BuGn"]
    ax = ensure_axes(ax, figsize=(10, 4.8))
    x = np.arange(len(wide))
    bottom = np.zeros(len(wide))
    handles = {}
    for ti, team in enumerate(teams):
        members = [r for r in order if team_of.get(r, "") == team]
        cmap = matplotlib.colormaps[cmaps[ti % len(cmaps)]]
        for k, rep in enumerate(members):
            shade = cmap(0.35 + 0.55 * (k / max(len(members) - 1, 1)))
            bars = ax.bar(x, wide[rep].to_numpy(), bottom=bottom, color=shade, edgecolor="white", linewidth=0.3)
            bottom += wide[rep].to_numpy()
            handles.setdefault(team, bars[0])
    ax.set_xticks(x, _month_labels(wide.index))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(wan))
    ax.set_xlabel(t("col.month", lang))
    ax.set_ylabel(t("targets.chart.quota_wan", lang))
    ax.set_title(t("targets.chart.rep_month", lang))
    ax.grid(axis="y", alpha=0.3)
    ax.legend(list(handles.values()), list(handles), title=t("col.team", lang), fontsize=8)
    return ax


def capacity_chart(capacity: pd.DataFrame, reps: pd.DataFrame | None = None, *, lang: str = "en",
                   ax: Axes | None = None) -> Axes:
    """Lines of monthly capacity (% of a full rep) for the reps below 100% in some month.

    ``capacity`` comes from :func:`playbook.targets.rep_capacity`: new hires ramping up
    and leavers. Lines are labelled with the rep's name when ``reps`` has one. Draws on
    ``ax`` (a new figure when None) and returns it.
    """
    check_lang(lang)
    low = capacity.groupby("rep_id")["capacity"].min()
    shown = sorted(low.index[low < 1])
    names = {}
    if reps is not None and "name" in reps:
        names = dict(zip(reps["rep_id"].astype(str), reps["name"].astype(str), strict=True))
    ax = ensure_axes(ax, figsize=(9, 3.6))
    for i, rep in enumerate(shown):
        part = capacity.loc[capacity["rep_id"] == rep].sort_values("month")
        ax.plot(pd.to_datetime(part["month"]).dt.month, part["capacity"] * 100, marker="o", markersize=3,
                color=f"C{i % 10}", label=f"{names.get(rep, rep)} ({rep})" if rep in names else rep)
    ax.set_xticks(np.arange(1, 13))
    ax.set_ylim(-5, 105)
    ax.set_xlabel(t("col.month", lang))
    ax.set_ylabel(t("targets.chart.capacity_pct", lang))
    ax.set_title(t("targets.chart.capacity", lang))
    ax.grid(alpha=0.3)
    if shown:
        ax.legend(fontsize=8)
    return ax


def target_vs_actual_chart(tracking: pd.DataFrame, *, lang: str = "en", ax: Axes | None = None) -> Axes:
    """Bars of target (expected to date) and actual per month, with cumulative attainment.

    ``tracking`` is :func:`playbook.targets.track` with ``period="month"``, normally at
    ``level="company"`` (rows of the same month are added up). Draws on ``ax`` (a new
    figure when None; the cumulative line on a twin axis) and returns it.

    Examples
    --------
    >>> tr = pd.DataFrame({"period": ["2025-01", "2025-02"], "expected": [100.0, 100.0],
    ...                    "actual": [90.0, 120.0]})
    >>> ax = target_vs_actual_chart(tr)
    >>> [round(float(v), 3) for v in ax.figure.axes[1].lines[0].get_ydata()]
    [90.0, 105.0]
    """
    check_lang(lang)
    data = tracking.groupby("period", sort=True)[["expected", "actual"]].sum()
    x = np.arange(len(data))
    ax = ensure_axes(ax, figsize=(9, 4))
    if data.empty:  # nothing planned in the as-of year yet
        ax.set_title(t("targets.chart.target_vs_actual", lang))
        ax.text(0.5, 0.5, "—", ha="center", va="center", transform=ax.transAxes)
        return ax
    ax.bar(x - 0.2, data["expected"], width=0.4, color="C7", label=t("col.target", lang))
    ax.bar(x + 0.2, data["actual"], width=0.4, color="C0", label=t("col.actual", lang))
    ax.set_xticks(x, [p[-2:] if len(p) == 7 else p for p in data.index])
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(wan))
    ax.set_xlabel(t("col.month", lang))
    ax.set_ylabel(t("targets.chart.amount_wan", lang))
    ax.set_title(t("targets.chart.target_vs_actual", lang))
    ax.grid(axis="y", alpha=0.3)
    ax2 = ax.twinx()
    cum = data["actual"].cumsum() / data["expected"].cumsum().where(lambda s: s > 0) * 100
    ax2.plot(x, cum.to_numpy(), color="C3", marker="o", markersize=3, label=t("targets.chart.cumulative", lang))
    ax2.axhline(100, color="C3", linestyle=":", linewidth=1)
    ax2.set_ylabel(t("targets.chart.attainment_pct", lang))
    low = np.nanmin(cum.to_numpy()) if len(cum) else 100
    ax2.set_ylim(min(50, low - 5), max(120, np.nanmax(cum.to_numpy()) + 5 if len(cum) else 120))
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=8, loc="upper left")
    return ax


def okr_progress_chart(progress: pd.DataFrame, *, lang: str = "en", ax: Axes | None = None) -> Axes:
    """Horizontal bars of each key result's progress (%), capped at 150%, with the 100% line.

    ``progress`` comes from :func:`playbook.targets.okr_progress`; objectives are skipped.
    Bars are labelled with the key result's id and title in ``lang``. Draws on ``ax`` (a
    new figure when None) and returns it.
    """
    check_lang(lang)
    kr = progress.loc[progress["kind"] == "key_result"].iloc[::-1]
    ax = ensure_axes(ax, figsize=(8, 0.4 * len(kr) + 1.2))
    values = (kr["progress"].fillna(0).clip(lower=0, upper=1.5) * 100).to_numpy()
    colors = ["C2" if v >= 100 else ("C1" if v >= 50 else "C3") for v in values]
    labels = (kr["id"].astype(str) + " " + kr[f"title_{lang}"].astype(str).str.slice(0, 28)).tolist()
    ax.barh(labels, values, color=colors)
    ax.axvline(100, color="black", linestyle="--", linewidth=1)
    ax.set_xlim(0, 155)
    ax.set_xlabel(t("targets.chart.progress_pct", lang))
    ax.set_title(t("targets.chart.okr_progress", lang))
    ax.grid(axis="x", alpha=0.3)
    return ax
