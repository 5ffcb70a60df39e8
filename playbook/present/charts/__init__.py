"""Charts for notebooks and reports, with Chinese labels that render (no empty boxes).

Every chart function takes a tidy frame from a domain function, ``lang`` and
``ax=None``, draws on ``ax`` (or on a new figure when it is None) and returns the
matplotlib ``Axes``, like lifetimes' ``plotting.py``; a notebook shows ``ax.figure``.
New figures are closed in pyplot at once, so a notebook shows them once (where it
displays ``ax.figure``), never twice, and nothing needs closing. Fonts are set up
once by :func:`setup_fonts`, which prefers Noto Sans CJK SC (Debian package
``fonts-noto-cjk``).

Examples
--------
>>> import pandas as pd
>>> from playbook.present.charts import monthly_sales_chart
>>> frame = pd.DataFrame({"team": ["A", "A"], "month": pd.to_datetime(["2025-01-01", "2025-02-01"]),
...                       "net_sales": [1.0e5, 1.2e5]})
>>> ax = monthly_sales_chart(frame, lang="zh")
>>> ax.get_ylabel()
'净销售额（万元）'
"""

from __future__ import annotations

from functools import lru_cache

import matplotlib
import matplotlib.font_manager as fm
import matplotlib.pyplot as plt
import matplotlib.ticker
import pandas as pd
from matplotlib.axes import Axes

from playbook.core.labels import check_lang, t

__all__ = ["wan", "CJK_FONTS", "setup_fonts", "cjk_font", "ensure_axes", "monthly_sales_chart", "attainment_chart",
           "MAX_REP_BARS", "MAX_LEGEND_TEAMS"]

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """Return the name of an installed font that has Chinese glyphs, or None.

    Fonts installed after matplotlib built its cache are picked up too.
    """
    names = {f.name for f in fm.fontManager.ttflist}
    if not any(n in names for n in CJK_FONTS):
        for path in fm.findSystemFonts():
            if "cjk" in path.lower() or "wqy" in path.lower():
                try:
                    fm.fontManager.addfont(path)
                except (OSError, RuntimeError):  # pragma: no cover - broken font file
                    continue
        names = {f.name for f in fm.fontManager.ttflist}
    return next((n for n in CJK_FONTS if n in names), None)


def setup_fonts() -> str | None:
    """Configure matplotlib to draw Chinese text; return the CJK font used (or None).

    Sets ``font.sans-serif`` to the CJK font followed by DejaVu Sans, and draws the
    minus sign as ASCII (CJK fonts often lack U+2212).
    """
    font = cjk_font()
    fallback = ["DejaVu Sans"]
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = ([font] if font else []) + fallback
    matplotlib.rcParams["axes.unicode_minus"] = False
    return font


def ensure_axes(ax: Axes | None = None, *, figsize: tuple[float, float] = (8.0, 4.0)) -> Axes:
    """Return ``ax``, or the Axes of a new ``figsize`` figure (constrained layout) when it is None.

    Sets up the fonts first (:func:`setup_fonts`). The new figure is closed in pyplot
    at once: a notebook shows it only where it is displayed (``ax.figure``), never twice.

    Examples
    --------
    >>> ax = ensure_axes(figsize=(4, 3))
    >>> ensure_axes(ax) is ax, ax.figure.get_size_inches().tolist()
    (True, [4.0, 3.0])
    """
    setup_fonts()
    if ax is not None:
        return ax
    fig = plt.figure(figsize=figsize, layout="constrained")
    plt.close(fig)
    return fig.add_subplot()


def wan(x: float, _pos: object = None) -> str:
    """Tick label of an amount in 万元 (10,000 CNY), whole: ``1,250,000`` -> ``'125'``.

    Examples
    --------
    >>> wan(1_250_000)
    '125'
    """
    return f"{x / 1e4:,.0f}"


def monthly_sales_chart(monthly: pd.DataFrame, *, lang: str = "en", ax: Axes | None = None) -> Axes:
    """Line chart of net sales per month, one line per team, in 万元 (10k CNY).

    ``monthly`` has the columns ``team``, ``month``, ``net_sales`` (as returned by
    :func:`playbook.targets.overview.monthly_sales`). Draws on ``ax`` (a new figure when
    None) and returns it. The legend names the teams up to :data:`MAX_LEGEND_TEAMS`.
    """
    check_lang(lang)
    ax = ensure_axes(ax, figsize=(9, 4))
    for team, part in monthly.groupby("team", sort=True):
        part = part.sort_values("month")
        ax.plot(part["month"], part["net_sales"], marker="o", markersize=3, label=str(team))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(wan))
    ax.set_ylabel(t("chart.net_sales_wan", lang))
    ax.set_xlabel(t("col.month", lang))
    ax.set_title(t("chart.monthly_sales_by_team", lang))
    ax.grid(alpha=0.3)
    if monthly["team"].nunique() <= MAX_LEGEND_TEAMS:  # beyond, a legend taller than the chart
        ax.legend(title=t("col.team", lang), fontsize=8)
    return ax


def attainment_chart(summary: pd.DataFrame, *, lang: str = "en", ax: Axes | None = None) -> Axes:
    """Horizontal bars of year-to-date quota attainment per rep, with the 100% line.

    ``summary`` has ``name``, ``team`` and ``attainment`` (a ratio, 1.0 = 100%), as
    returned by :func:`playbook.targets.overview.rep_summary`. Draws on ``ax`` (a new
    figure when None) and returns it. Beyond :data:`MAX_REP_BARS` reps one bar each
    would be unreadable (and a page metres long): the chart shows how many reps fall in
    each 10% band instead, on a figure of fixed size.
    """
    check_lang(lang)
    data = summary.dropna(subset=["attainment"]).sort_values(["team", "attainment"])
    if len(data) > MAX_REP_BARS:
        return _attainment_bands(data, lang=lang, ax=ax)
    ax = ensure_axes(ax, figsize=(8, 0.28 * len(data) + 1.2))
    colors = {team: f"C{i}" for i, team in enumerate(sorted(data["team"].unique()))}
    ax.barh(data["name"] + " · " + data["team"], data["attainment"] * 100,
            color=[colors[x] for x in data["team"]])
    ax.axvline(100, color="black", linewidth=1, linestyle="--")
    ax.set_xlabel(t("chart.attainment_pct", lang))
    ax.set_title(t("chart.ytd_attainment", lang))
    ax.grid(axis="x", alpha=0.3)
    return ax


#: Teams up to which :func:`monthly_sales_chart` has a legend (more would not fit beside the chart).
MAX_LEGEND_TEAMS = 20

#: Reps beyond which :func:`attainment_chart` shows attainment bands instead of one bar per rep.
MAX_REP_BARS = 60


def _attainment_bands(data: pd.DataFrame, *, lang: str, ax: Axes | None) -> Axes:
    """Histogram of rep attainment in 10% bands (200% and above in the last), with the 100% line."""
    ax = ensure_axes(ax, figsize=(8, 4.5))
    pct = (data["attainment"] * 100).clip(lower=0, upper=200)
    ax.hist(pct, bins=list(range(0, 211, 10)), color="C0", edgecolor="white")
    ax.axvline(100, color="black", linewidth=1, linestyle="--")
    ax.set_xlabel(t("chart.attainment_pct", lang))
    ax.set_ylabel(t("chart.reps_count", lang))
    ax.set_title(t("chart.attainment_bands", lang, n=f"{len(data):,}"))
    ax.grid(axis="y", alpha=0.3)
    return ax
