"""Charts of an IDP (playbook.present.charts.idp): ``ax=None`` in, the Axes out, labels in ``lang``."""

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.axes import Axes

from playbook.core.labels import t
from playbook.idp import Plan, load_catalogue
from playbook.present.charts.idp import levels_chart, peer_position_chart

matplotlib.use("Agg")

LEVELS = pd.DataFrame({"competency": ["negotiation", "product_knowledge", "market_awareness"],
                       "level": pd.array([2, 4, None], dtype="Int64"), "team_median": [3.0, float("nan"), 2.0],
                       "team_peer_count": 5})  # as rep_levels gives it: 5 other reps behind the team medians
ROW = pd.DataFrame({"rep_id": ["R1"], "actual": [219_000.0], "quota": [200_000.0], "peer_count": [5],
                    "peer_q1": [300_000.0], "peer_median": [320_000.0], "peer_q3": [340_000.0],
                    "peer_mean": [320_000.0]})
HIDDEN = ROW.assign(peer_count=3, peer_q1=float("nan"), peer_median=float("nan"), peer_q3=float("nan"),
                    peer_mean=float("nan"))
PLAN = Plan("R1", items=pd.DataFrame({
    "competency": ["negotiation"], "why": [""], "current_level": [2], "target_level": [4], "measures": ["Course"],
    "resources": [""], "review_date": pd.to_datetime(["2026-06-01"])}))


@pytest.fixture(autouse=True)
def no_open_figures():
    """Every test starts and ends without open pyplot figures (a chart never leaves one open)."""
    plt.close("all")
    yield
    assert plt.get_fignums() == []
    plt.close("all")


def legend_texts(ax):
    return sorted(x.get_text() for x in ax.get_legend().get_texts())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_levels_chart_returns_its_axes_with_labels_in_lang(lang):
    ax = levels_chart(LEVELS, plan=PLAN, lang=lang)
    assert isinstance(ax, Axes)
    assert ax.get_title() == t("idp.chart.levels", lang)
    assert ax.get_xlabel() == t("idp.chart.level_axis", lang)
    assert legend_texts(ax) == sorted([t("idp.chart.target", lang), t("idp.chart.current", lang),
                                       t("idp.chart.team_median", lang)])
    # competencies without a level are left out; bottom to top is the reverse of the table
    cat = load_catalogue()
    names = [cat.competencies[k].name[lang] for k in ("product_knowledge", "negotiation")]
    assert [x.get_text() for x in ax.get_yticklabels()] == names
    # current levels 4 and 2; the plan's target 4 on negotiation only
    bars = [p.get_width() for p in ax.patches]
    assert bars == [4.0, 4.0, 2.0]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_peer_position_chart_returns_its_axes_with_labels_in_lang(lang):
    ax = peer_position_chart(ROW, lang=lang)
    assert isinstance(ax, Axes)
    assert ax.get_title() == t("idp.chart.peer_sales", lang)
    assert ax.get_xlabel() == t("unit.wan", lang)
    assert legend_texts(ax) == sorted([t("idp.chart.peer_median", lang), t("idp.chart.peer_mean", lang),
                                       t("idp.chart.peer_band", lang), t("idp.chart.quota", lang),
                                       t("idp.chart.rep", lang)])
    # 万元 ticks: 320,000 CNY -> "32"
    assert ax.xaxis.get_major_formatter()(320_000.0) == "32"


def test_peer_position_chart_hides_small_groups_with_a_note():
    ax = peer_position_chart(HIDDEN, lang="zh")
    assert [x.get_text() for x in ax.texts] == [t("idp.peers_hidden", "zh", min=5)]
    assert legend_texts(ax) == sorted([t("idp.chart.quota", "zh"), t("idp.chart.rep", "zh")])


def test_peer_position_chart_draws_no_peer_line_of_a_small_group_even_when_given_one():
    """The chart applies the privacy rule itself: figures of 4 peers, or of an unknown count, are not drawn."""
    for row in (ROW.assign(peer_count=4), ROW.drop(columns="peer_count")):
        ax = peer_position_chart(row, lang="en")
        drawn = {x for line in ax.get_lines() for x in line.get_xdata()}
        drawn |= {p.get_x() for p in ax.patches} | {p.get_x() + p.get_width() for p in ax.patches}
        assert not drawn & {300_000.0, 320_000.0, 340_000.0}
        assert [x.get_text() for x in ax.texts] == [t("idp.peers_hidden", "en", min=5)]
        assert legend_texts(ax) == sorted([t("idp.chart.quota", "en"), t("idp.chart.rep", "en")])


def test_levels_chart_draws_no_team_median_of_a_small_team():
    for levels in (LEVELS.assign(team_peer_count=4), LEVELS.drop(columns="team_peer_count")):
        ax = levels_chart(levels, lang="en")
        assert [c for c in ax.collections if len(c.get_offsets())] == []  # no median marker
        assert t("idp.chart.team_median", "en") not in legend_texts(ax)
    shown = levels_chart(LEVELS, lang="en")
    assert shown.collections[0].get_offsets().tolist() == [[3.0, 1.0]]  # negotiation (top row): median 3


def test_charts_draw_on_a_given_axes():
    fig, (left, right) = plt.subplots(1, 2)
    try:
        assert levels_chart(LEVELS, lang="en", ax=left) is left
        assert peer_position_chart(ROW, lang="en", ax=right) is right
        assert fig.axes == [left, right]
        assert left.get_title() == t("idp.chart.levels", "en")
        assert right.get_title() == t("idp.chart.peer_sales", "en")
        assert plt.get_fignums() == [fig.number]  # no figure of their own
    finally:
        plt.close(fig)


def test_a_new_figure_is_closed_from_pyplot_but_renders():
    ax = levels_chart(LEVELS, lang="zh")
    assert plt.get_fignums() == []
    assert ax.figure.axes == [ax]
    ax.figure.canvas.draw()  # still draws (shown in notebooks through ax.figure)


def test_bad_language():
    with pytest.raises(ValueError, match="parameter lang='fr'"):
        peer_position_chart(ROW, lang="fr")
