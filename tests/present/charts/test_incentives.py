"""Charts of incentives (present.charts.incentives) and the case figures chart (present.case_study).

Each chart takes ``ax=None`` and returns the Axes it drew on; without an Axes it makes a
figure that is closed from pyplot (a notebook shows ``ax.figure`` once); its labels come
from the label catalogue in the chosen language.
"""

import io
import warnings

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from playbook import incentives as inc
from playbook.case import case_figures
from playbook.core.labels import t
from playbook.data.case_study import generate_case
from playbook.present import case_study as case_display
from playbook.present.charts import incentives as plots
from playbook.present.incentives import plan_label, preset_label

matplotlib.use("Agg")

LANGS = ["en", "zh"]
REPS = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "name": ["王芳", "李雷", "Ann"], "team": ["华东", "华东", "华北"],
                     "base_salary": [8000.0, 8000.0, 9000.0]})
ORDERS = pd.DataFrame({
    "order_id": ["O1", "O2", "O3", "O4", "O5"], "customer_id": ["C1", "C2", "C3", "C1", "C4"],
    "rep_id": ["R1", "R1", "R2", "R1", "R3"],
    "order_date": pd.to_datetime(["2024-02-01", "2024-05-01", "2024-03-01", "2024-08-01", "2024-09-01"]),
    "amount": [1_200_000.0, 900_000.0, 800_000.0, -100_000.0, 300_000.0],
    "is_refund": [False, False, False, True, False]})
CATEGORIES = ["commission", "clawback", "bonus", "awards", "draw"]


@pytest.fixture(scope="module")
def runs():
    plans = [inc.modify_plan("domain_marginal", {"bonus": None}), inc.modify_plan("domain_whole", {"bonus": None})]
    return [inc.run_plan(ORDERS, REPS, plan=p, period="2024") for p in plans]


@pytest.fixture(scope="module")
def card():
    preset = inc.ScorecardPreset("new", {"en": "New logos", "zh": "新客户"}, {"new_customers": 1.0},
                                 bottom_share=0.34)
    return inc.scorecard(ORDERS, REPS, period="2024", preset=preset), preset


@pytest.fixture(scope="module")
def figures():
    return case_figures(generate_case(seed=7))


def _png_without_missing_glyphs(fig: Figure) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" becomes an error
        fig.savefig(buf, format="png")
    return buf.getvalue()


def _check_new_axes(draw) -> Axes:
    """``draw(ax)`` with no Axes: returns an Axes on a figure that pyplot no longer holds."""
    before = set(plt.get_fignums())
    ax = draw(None)
    assert isinstance(ax, Axes)
    assert set(plt.get_fignums()) == before, "the chart left a figure open in pyplot"
    assert _png_without_missing_glyphs(ax.figure)[:8] == b"\x89PNG\r\n\x1a\n"
    return ax


def _check_given_axes(draw) -> None:
    """``draw(ax)`` on the caller's Axes: draws there and returns that Axes, adds no figure."""
    fig = Figure()
    given = fig.subplots()
    before = set(plt.get_fignums())
    assert draw(given) is given
    assert given.has_data() and len(fig.axes) == 1
    assert set(plt.get_fignums()) == before


@pytest.mark.parametrize("lang", LANGS)
def test_payout_chart(runs, lang):
    by_rep = runs[0].by_rep
    title = plan_label(runs[0].plan, lang)
    ax = _check_new_axes(lambda a: plots.payout_chart(by_rep, lang=lang, plan=title, ax=a))
    assert ax.get_xlabel() == t("incentives.chart.payout_wan", lang)
    assert ax.get_title() == t("incentives.chart.payout_by_rep", lang, plan=title)
    assert [x.get_text() for x in ax.get_legend().get_texts()] == [t(f"incentives.col.{c}", lang) for c in CATEGORIES]
    assert [x.get_text() for x in ax.get_yticklabels()] == ["Ann · R3", "李雷 · R2", "王芳 · R1"]  # lowest first
    _check_given_axes(lambda a: plots.payout_chart(by_rep, lang=lang, ax=a))


@pytest.mark.parametrize("lang", LANGS)
def test_payout_chart_histogram_for_many_payees(lang):
    by_rep = pd.DataFrame({"rep_id": [f"R{i}" for i in range(61)], "name": None, "total_cents": range(61)})
    ax = _check_new_axes(lambda a: plots.payout_chart(by_rep, lang=lang, plan="P", ax=a))
    assert ax.get_ylabel() == t("incentives.chart.reps", lang)
    assert ax.get_title() == t("incentives.chart.payout_hist", lang, plan="P")
    assert sum(p.get_height() for p in ax.patches) == 61
    _check_given_axes(lambda a: plots.payout_chart(by_rep, lang=lang, ax=a))


@pytest.mark.parametrize("lang", LANGS)
def test_comparison_chart(runs, lang):
    compare = inc.compare_plans(*runs)
    a, b = (plan_label(r.plan, lang) for r in runs)
    ax = _check_new_axes(lambda x: plots.comparison_chart(compare, lang=lang, plan_a=a, plan_b=b, ax=x))
    assert ax.get_xlabel() == t("incentives.chart.payout_wan", lang)
    assert ax.get_title() == t("incentives.chart.compare", lang, plan_a=a, plan_b=b)
    assert [x.get_text() for x in ax.get_legend().get_texts()] == [a, b]
    assert len(ax.get_yticklabels()) == len(compare)
    _check_given_axes(lambda x: plots.comparison_chart(compare, lang=lang, ax=x))


@pytest.mark.parametrize("lang", LANGS)
def test_commission_curve_chart(lang):
    plans = [inc.load_plan("domain_marginal"), inc.load_plan("domain_whole")]
    ax = _check_new_axes(lambda a: plots.commission_curve_chart(plans, lang=lang, ax=a))
    assert ax.get_xlabel() == t("incentives.chart.annual_sales_wan", lang)
    assert ax.get_ylabel() == t("incentives.chart.commission_wan", lang)
    assert ax.get_title() == t("incentives.curve", lang)
    assert [line.get_label() for line in ax.get_lines()] == [plan_label(p, lang) for p in plans]
    # at 2,500,000 CNY the curves reach the worked example: 240,000 (marginal) and 300,000 (whole)
    assert [float(line.get_ydata()[500]) for line in ax.get_lines()] == [240_000.0, 300_000.0]
    _check_given_axes(lambda a: plots.commission_curve_chart(["domain_marginal"], lang=lang, ax=a))


@pytest.mark.parametrize("lang", LANGS)
def test_scorecard_chart(card, lang):
    frame, preset = card
    title = preset_label(preset, lang)
    ax = _check_new_axes(lambda a: plots.scorecard_chart(frame, lang=lang, preset=title, ax=a))
    assert ax.get_xlabel() == t("incentives.chart.score", lang)
    assert ax.get_title() == t("incentives.chart.scorecard", lang, preset=title)
    assert [x.get_text() for x in ax.get_legend().get_texts()] == [
        t("incentives.chart.legend_other", lang), t("incentives.chart.legend_flag", lang)]
    assert title == {"en": "New logos", "zh": "新客户"}[lang]
    _check_given_axes(lambda a: plots.scorecard_chart(frame, lang=lang, ax=a))


@pytest.mark.parametrize("lang", LANGS)
def test_case_figures_chart(figures, lang):
    ax = _check_new_axes(lambda a: case_display.figures_chart(figures, lang=lang, ax=a))
    rates = ["key_account_renewal", "needs_match", "objection_rate", "existing_share", "first_deal_rate"]
    assert [x.get_text() for x in ax.get_yticklabels()] == [t(f"case.figure.{f}", lang) for f in rates]
    assert ax.get_title() == t("case.chart_title", lang)
    stages = [t(f"case.stage.{s}", lang) for s in ("before", "after")]
    assert [x.get_text() for x in ax.get_legend().get_texts()] == stages
    (days,) = ax.child_axes
    assert days.get_title() == t("case.figure.cycle_days", lang) and days.get_ylabel() == t("case.days_axis", lang)
    assert [p.get_height() for p in days.patches] == [52.0, 36.0]
    _check_given_axes(lambda a: case_display.figures_chart(figures, lang=lang, ax=a))


def test_table_moved_next_to_the_incentive_display_code():
    from playbook.present import incentives as present_incentives

    assert not hasattr(plots, "table")
    html = present_incentives.table(pd.DataFrame({"rule": ["bonus"], "amount_cents": [72_000]}), lang="zh").to_html()
    assert "720.00" in html and t("incentives.rule.bonus", "zh") in html
