"""Charts of RFM customer tiering (playbook.present.charts.rfm).

Each chart returns an Axes, draws on a given Axes, and its title, axis labels and tick
labels come from the label catalogue (and the segment map's own labels) in the chosen
language.
"""

import pandas as pd
import pytest
from chart_contract import test_draws_on_the_given_axes, test_returns_axes_of_a_new_figure  # noqa: F401

from playbook import rfm
from playbook.core.labels import t
from playbook.present.charts import rfm as charts

LANGS = ["en", "zh"]

SEGMENTED = pd.DataFrame({
    "customer_id": ["A", "B", "C", "D"], "segment": ["champions", "lost", "loyal", "at_risk"],
    "r_score": [5, 1, 3, 2], "fm_score": [5, 1, 4, 3], "monetary": [600.0, 100.0, 300.0, -50.0],
    "recency_days": [1, 300, 30, 120], "frequency": [9, 1, 4, 2],
})
SUMMARY = rfm.segment_summary(SEGMENTED)
BEFORE = SEGMENTED.assign(segment=["loyal", "lost", "loyal", "champions"])
MIGRATION = rfm.migration(BEFORE.iloc[:3], SEGMENTED)  # D is new: it comes from "inactive"
ECONOMICS = pd.DataFrame({"channel": ["paid_social", "referral", "trade_show"], "ltv_cac": [0.5, 4.0, None],
                          "roi_below_1": [True, False, False]})

CHARTS = {
    "grid": lambda **kw: charts.rfm_grid_chart(SEGMENTED, **kw),
    "segments": lambda **kw: charts.segment_chart(SUMMARY, **kw),
    "migration": lambda **kw: charts.migration_chart(MIGRATION, **kw),
    "ltv_cac": lambda **kw: charts.ltv_cac_chart(ECONOMICS, **kw),
}



def _ticks(labels) -> list[str]:
    return [x.get_text() for x in labels]


def _segment(key: str, lang: str) -> str:
    """The default map's label of a segment, read from the map itself."""
    return t("rfm.inactive", lang) if key == rfm.INACTIVE else rfm.load_segment_map("default").labels[key][lang]




@pytest.mark.parametrize("lang", LANGS)
def test_grid_labels(lang):
    ax = CHARTS["grid"](lang=lang)
    assert ax.get_title() == t("rfm.chart.grid_title", lang)
    assert ax.get_xlabel() == t("rfm.chart.fm_axis", lang)
    assert ax.get_ylabel() == t("rfm.chart.r_axis", lang)
    assert _ticks(ax.get_xticklabels()) == ["1", "2", "3", "4", "5"]
    assert _ticks(ax.get_yticklabels()) == ["5", "4", "3", "2", "1"]  # recent on top
    texts = [x.get_text() for x in ax.texts]
    assert {_segment(k, lang) for k in SEGMENTED["segment"]} <= set(texts)
    colorbar = [a for a in ax.figure.axes if a is not ax][0]
    assert colorbar.get_ylabel() == t("col.customers", lang)


@pytest.mark.parametrize("lang", LANGS)
def test_segment_labels(lang):
    ax = CHARTS["segments"](lang=lang)
    assert ax.get_title() == t("rfm.chart.segments_title", lang)
    assert _ticks(ax.get_yticklabels()) == [_segment(k, lang) for k in SUMMARY["segment"][::-1]]
    assert _ticks(ax.get_legend().get_texts()) == [t("rfm.chart.customers_pct", lang),
                                                   t("rfm.chart.revenue_pct", lang)]


def test_segment_chart_with_another_map():
    summary = pd.DataFrame({"segment": ["high_value", "potential", "sleeping", "other"],
                            "customer_share": [0.2, 0.3, 0.1, 0.4], "revenue_share": [0.6, 0.2, 0.05, 0.15]})
    ax = charts.segment_chart(summary, segment_map="domain", lang="zh")
    labels = rfm.load_segment_map("domain").labels
    assert _ticks(ax.get_yticklabels()) == [labels[k]["zh"] for k in ["other", "sleeping", "potential", "high_value"]]
    assert [round(p.get_width()) for p in ax.patches[:4]] == [40, 10, 30, 20]  # customers, map order from the top


@pytest.mark.parametrize("lang", LANGS)
def test_migration_labels(lang):
    ax = CHARTS["migration"](lang=lang)
    assert ax.get_title() == t("rfm.chart.migration_title", lang)
    assert ax.get_xlabel() == t("rfm.chart.to", lang)
    assert ax.get_ylabel() == t("rfm.chart.from", lang)
    rows = MIGRATION["from_segment"].tolist()
    columns = [c for c in MIGRATION.columns if c != "from_segment"]
    assert _ticks(ax.get_yticklabels()) == [_segment(k, lang) for k in rows]
    assert _ticks(ax.get_xticklabels()) == [_segment(k, lang) for k in columns]
    assert t("rfm.inactive", lang) in _ticks(ax.get_yticklabels())


@pytest.mark.parametrize("lang", LANGS)
def test_ltv_cac_labels(lang):
    ax = CHARTS["ltv_cac"](lang=lang)
    assert ax.get_title() == t("rfm.chart.ltv_cac_title", lang)
    assert ax.get_xlabel() == t("rfm.chart.ltv_cac", lang)
    assert _ticks(ax.get_yticklabels()) == [t("channel.paid_social", lang), t("channel.referral", lang)]
    assert [float(b.get_width()) for b in ax.patches] == [0.5, 4.0]  # trade_show has no LTV/CAC
