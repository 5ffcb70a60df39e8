"""Charts of the target domain (playbook.present.charts.targets, and the overview charts of playbook.present.charts).

Each chart returns an Axes, draws on a given Axes, and its title, axis labels and tick
labels come from the label catalogue in the chosen language.
"""

import numpy as np
import pandas as pd
import pytest
from chart_contract import test_draws_on_the_given_axes, test_returns_axes_of_a_new_figure  # noqa: F401

from playbook import targets
from playbook.core.labels import t
from playbook.present.charts import attainment_chart, monthly_sales_chart
from playbook.present.charts import targets as charts

LANGS = ["en", "zh"]

REPS = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "name": ["Ann", "Bo", "Cy"], "team": ["East", "East", "North"],
                     "hire_date": pd.to_datetime(["2020-01-01", "2025-03-10", "2020-01-01"])})
PLAN = targets.decompose(REPS, target=1_200_000.0, plan_year=2025, time_method="equal", rep_method="capacity")
ORDERS = pd.DataFrame({"order_date": pd.date_range("2024-01-01", periods=12, freq="MS"),
                       "amount": [1.0] * 11 + [2.0]})
TRACKING = pd.DataFrame({"period": ["2025-01", "2025-02"], "expected": [100.0, 100.0], "actual": [90.0, 120.0]})
OKR = targets.parse_okr({"objectives": [{"id": "O1", "title": {"en": "Grow", "zh": "增长"}, "key_results": [
    {"id": "K1", "title": {"en": "More orders", "zh": "更多订单"}, "metric": "orders", "target": 4,
     "deadline": "2025-12-31"}]}]})
PROGRESS = targets.okr_progress(OKR, orders=pd.DataFrame({
    "customer_id": ["A", "B"], "rep_id": ["R1", "R1"], "amount": [1.0, 2.0],
    "order_date": pd.to_datetime(["2025-02-01", "2025-03-01"])}), as_of="2025-06-30")
MONTHLY = pd.DataFrame({"team": ["East", "East"], "month": pd.to_datetime(["2025-01-01", "2025-02-01"]),
                        "net_sales": [1.0e5, 1.2e5]})
SUMMARY = pd.DataFrame({"name": ["Ann", "Bo"], "team": ["East", "North"], "attainment": [1.1, 0.8]})

# (chart, its data) -> every chart of the area
CHARTS = {
    "seasonality": lambda **kw: charts.seasonality_chart(targets.yearly_shares(ORDERS, plan_year=2025, years=1),
                                                         PLAN.monthly, **kw),
    "quota_matrix": lambda **kw: charts.quota_matrix_chart(PLAN.matrix, PLAN.reps, **kw),
    "capacity": lambda **kw: charts.capacity_chart(PLAN.capacity, REPS, **kw),
    "target_vs_actual": lambda **kw: charts.target_vs_actual_chart(TRACKING, **kw),
    "okr_progress": lambda **kw: charts.okr_progress_chart(PROGRESS, **kw),
    "monthly_sales": lambda **kw: monthly_sales_chart(MONTHLY, **kw),
    "attainment": lambda **kw: attainment_chart(SUMMARY, **kw),
}



def _ticks(labels) -> list[str]:
    return [x.get_text() for x in labels]




@pytest.mark.parametrize("lang", LANGS)
def test_seasonality_labels(lang):
    ax = CHARTS["seasonality"](lang=lang)
    assert ax.get_title() == t("targets.chart.seasonality", lang)
    assert ax.get_xlabel() == t("col.month", lang)
    assert ax.get_ylabel() == t("targets.chart.share_pct", lang)
    assert _ticks(ax.get_xticklabels()) == [str(m) for m in range(1, 13)]
    legend = _ticks(ax.get_legend().get_texts())
    assert t("targets.chart.plan_share", lang, plan_year=2025) in legend
    assert t("targets.chart.equal_share", lang) in legend


@pytest.mark.parametrize("lang", LANGS)
def test_quota_matrix_labels(lang):
    ax = CHARTS["quota_matrix"](lang=lang)
    assert ax.get_title() == t("targets.chart.rep_month", lang)
    assert ax.get_xlabel() == t("col.month", lang)
    assert ax.get_ylabel() == t("targets.chart.quota_wan", lang)
    assert _ticks(ax.get_xticklabels()) == [str(m) for m in range(1, 13)]
    assert ax.get_legend().get_title().get_text() == t("col.team", lang)
    # each bar is the month's company target (100,000 CNY = 10 万元): shown in 万元
    assert ax.yaxis.get_major_formatter()(100_000.0) == "10"


@pytest.mark.parametrize("lang", LANGS)
def test_capacity_labels(lang):
    ax = CHARTS["capacity"](lang=lang)
    assert ax.get_title() == t("targets.chart.capacity", lang)
    assert ax.get_xlabel() == t("col.month", lang)
    assert ax.get_ylabel() == t("targets.chart.capacity_pct", lang)
    assert _ticks(ax.get_legend().get_texts()) == ["Bo (R2)"]  # only the new hire is below 100%


@pytest.mark.parametrize("lang", LANGS)
def test_target_vs_actual_labels(lang):
    ax = CHARTS["target_vs_actual"](lang=lang)
    assert ax.get_title() == t("targets.chart.target_vs_actual", lang)
    assert ax.get_xlabel() == t("col.month", lang)
    assert ax.get_ylabel() == t("targets.chart.amount_wan", lang)
    assert _ticks(ax.get_xticklabels()) == ["01", "02"]
    assert _ticks(ax.get_legend().get_texts()) == [t("col.target", lang), t("col.actual", lang),
                                                   t("targets.chart.cumulative", lang)]
    twin = [a for a in ax.figure.axes if a is not ax][0]
    assert twin.get_ylabel() == t("targets.chart.attainment_pct", lang)
    assert np.round(twin.lines[0].get_ydata(), 3).tolist() == [90.0, 105.0]


def test_target_vs_actual_without_data():
    ax = charts.target_vs_actual_chart(TRACKING.iloc[:0], lang="zh")
    assert ax.get_title() == t("targets.chart.target_vs_actual", "zh")
    assert [x.get_text() for x in ax.texts] == ["—"]


@pytest.mark.parametrize("lang", LANGS)
def test_okr_progress_labels(lang):
    ax = CHARTS["okr_progress"](lang=lang)
    assert ax.get_title() == t("targets.chart.okr_progress", lang)
    assert ax.get_xlabel() == t("targets.chart.progress_pct", lang)
    title = {"en": "More orders", "zh": "更多订单"}[lang]
    assert _ticks(ax.get_yticklabels()) == [f"K1 {title}"]
    assert [round(p.get_width(), 1) for p in ax.patches] == [50.0]  # 2 of 4 orders


@pytest.mark.parametrize("lang", LANGS)
def test_overview_chart_labels(lang):
    ax = CHARTS["monthly_sales"](lang=lang)
    assert ax.get_title() == t("chart.monthly_sales_by_team", lang)
    assert ax.get_xlabel() == t("col.month", lang)
    assert ax.get_ylabel() == t("chart.net_sales_wan", lang)
    assert ax.get_legend().get_title().get_text() == t("col.team", lang)
    ax = CHARTS["attainment"](lang=lang)
    assert ax.get_title() == t("chart.ytd_attainment", lang)
    assert ax.get_xlabel() == t("chart.attainment_pct", lang)
    assert _ticks(ax.get_yticklabels()) == ["Ann · East", "Bo · North"]
