"""Charts of the funnel diagnostics (playbook.present.charts.funnel).

Each chart returns an Axes, draws on a given Axes, and its title, axis labels and tick
labels come from the label catalogue in the chosen language.
"""

import pandas as pd
import pytest
from chart_contract import test_draws_on_the_given_axes, test_returns_axes_of_a_new_figure  # noqa: F401

from playbook.core.labels import t
from playbook.present.charts import funnel as charts

LANGS = ["en", "zh"]

STEPS = pd.DataFrame({"step": ["lead_to_intent", "intent_to_negotiation", "negotiation_to_deal"],
                      "entered": [100, 40, 20], "passed": [40, 20, 10], "pending": [0, 0, 2],
                      "decided": [100, 40, 18], "rate": [0.4, 0.5, 10 / 18]})
COMPARISON = pd.DataFrame({
    "rep_id": ["R1", "R1", "R2", "R2"], "name": ["Ann", "Ann", "Bo", "Bo"], "team": ["East"] * 4,
    "step": ["lead_to_intent", "new_customers"] * 2, "rate": [0.2, 1.5, 0.5, 0.5],
    "peer_rate": [0.4, 1.0, 0.4, 1.0], "status": ["leak", "strong", "ok", "not_enough_data"],
    "decided": [40.0, 12.0, 50.0, 2.5],
})
DURATIONS = pd.DataFrame({"stage": ["lead", "lead", "intent", "cycle", "cycle", "negotiation"],
                          "days": [3, 5, 8, 40, 60, 9], "ongoing": [False, False, False, False, False, True],
                          "team": ["East", "North", "East", "East", "North", "East"]})
CHANNELS = pd.DataFrame({"channel": ["referral", "paid_social", "trade_show"], "roi": [5.2, 0.6, None]})

CHARTS = {
    "funnel": lambda **kw: charts.funnel_chart(STEPS, **kw),
    "heatmap": lambda **kw: charts.leak_heatmap(COMPARISON, **kw),
    "durations": lambda **kw: charts.duration_boxplot(DURATIONS, **kw),
    "roi": lambda **kw: charts.channel_roi_chart(CHANNELS, **kw),
}



def _ticks(labels) -> list[str]:
    return [x.get_text() for x in labels]




@pytest.mark.parametrize("lang", LANGS)
def test_funnel_labels(lang):
    ax = CHARTS["funnel"](lang=lang)
    assert ax.get_title() == t("funnel.chart.title", lang)
    texts = [x.get_text() for x in ax.texts]
    assert texts[:4] == [f"{t('funnel.stage.lead', lang)}  100", f"{t('funnel.stage.intent', lang)}  40",
                         f"{t('funnel.stage.negotiation', lang)}  20", f"{t('funnel.stage.deal', lang)}  10"]
    # drop-off = 1 - rate of each step; the open deals of the last step are named
    assert texts[4:] == [t("funnel.chart.dropoff", lang, pct=0.6), t("funnel.chart.dropoff", lang, pct=0.5),
                         t("funnel.chart.dropoff", lang, pct=1 - 10 / 18) + " " + t("funnel.chart.pending", lang, n=2)]


@pytest.mark.parametrize("lang", LANGS)
def test_heatmap_labels(lang):
    ax = CHARTS["heatmap"](lang=lang)
    assert ax.get_title() == t("funnel.chart.heatmap_title", lang)
    assert ax.get_xlabel() == t("funnel.chart.heatmap_legend", lang)
    assert _ticks(ax.get_xticklabels()) == [t("funnel.step.lead_to_intent", lang), t("funnel.step.new_customers", lang)]
    assert _ticks(ax.get_yticklabels()) == ["Ann · East", "Bo · East"]
    texts = [x.get_text() for x in ax.texts]
    assert texts == ["20%", t("funnel.chart.per_month_short", lang, v=1.5), "50%", "n=2.5"]
    colorbar = [a for a in ax.figure.axes if a is not ax][0]
    assert colorbar.get_ylabel() == t("funnel.chart.diff_rel", lang)
    assert len(ax.patches) == 1  # the leak is framed


@pytest.mark.parametrize("lang", LANGS)
def test_duration_labels(lang):
    ax = CHARTS["durations"](lang=lang)
    assert ax.get_title() == t("funnel.chart.durations_title", lang)
    assert ax.get_ylabel() == t("funnel.chart.days", lang)
    # ongoing stays are left out: no negotiation box
    assert _ticks(ax.get_xticklabels()) == [t("funnel.stage.lead", lang), t("funnel.stage.intent", lang),
                                            t("funnel.stage.cycle", lang)]
    legend = ax.get_legend()
    assert legend.get_title().get_text() == t("col.team", lang)
    assert _ticks(legend.get_texts()) == ["East", "North"]


def test_duration_boxplot_without_groups_or_data():
    ax = charts.duration_boxplot(DURATIONS, by=None, lang="zh")
    assert ax.get_legend() is None and len(ax.get_xticklabels()) == 3
    empty = charts.duration_boxplot(DURATIONS.iloc[:0], lang="zh")
    assert [x.get_text() for x in empty.texts] == [t("funnel.chart.no_data", "zh")]


@pytest.mark.parametrize("lang", LANGS)
def test_roi_labels(lang):
    ax = CHARTS["roi"](lang=lang)
    assert ax.get_title() == t("funnel.chart.roi_title", lang)
    assert ax.get_xlabel() == t("funnel.chart.roi", lang)
    # lowest ROI at the bottom; channels without ROI are left out
    assert _ticks(ax.get_yticklabels()) == [t("channel.paid_social", lang), t("channel.referral", lang)]
    assert [round(p.get_width(), 1) for p in ax.patches] == [0.6, 5.2]


def test_empty_charts_say_so():
    for ax in (charts.leak_heatmap(COMPARISON.iloc[:0], lang="zh"),
               charts.channel_roi_chart(CHANNELS.iloc[2:], lang="zh")):
        assert [x.get_text() for x in ax.texts] == [t("funnel.chart.no_data", "zh")]
