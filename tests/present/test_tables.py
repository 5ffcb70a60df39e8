"""playbook.present.tables: one registry of column kinds, one display function, escaping HTML tables."""

import numpy as np
import pandas as pd
import pytest

from playbook.case import case_figures
from playbook.data.case_study import generate_case
from playbook.present import case_study as case_display
from playbook.present import funnel as present_funnel
from playbook.present import idp as present_idp
from playbook.present import incentives as incentive_tables
from playbook.present import rfm as present_rfm
from playbook.present import tables
from playbook.present.html import style_table as reexported

HOSTILE = ["<img src=x onerror=alert(1)>", '=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)"]
IMG = "<img src=x onerror=alert(1)>"
IMG_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


def _safe(html: str) -> None:
    assert "<img" not in html and IMG_ESCAPED in html


# --------------------------------------------------------------------------- the registry
@pytest.mark.parametrize(("value", "kind", "lang", "text"), [
    (1234567, "money", "en", "1,234,567.00"),
    (1234567.891, "money", "en", "1,234,567.89"),
    (-1234.5, "money", "en", "-1,234.50"),
    (0.123, "percent", "en", "12.3%"),
    (1.095, "percent", "en", "109.5%"),
    (-0.05, "percent", "en", "-5.0%"),
    (0.12, "rate", "en", "12.00%"),
    (0.85, "percent0", "en", "85%"),
    (1234.4, "count", "en", "1,234"),
    (24.361, "decimal", "en", "24.36"),
    (12.45, "one_decimal", "en", "12.4"),
    (3.5, "general", "en", "3.5"),
    (0.0004, "p_value", "en", "< 0.001"),
    (0.25, "p_value", "en", "0.250"),
    (219_000.0, "money_unit", "zh", "21.90\xa0万元"),
    (219_000.0, "money_unit", "en", "219,000\xa0CNY"),
    (np.nan, "money", "en", "—"),
    (None, "percent", "en", "—"),
    (np.inf, "decimal", "en", "—"),
], ids=lambda x: str(x))
def test_format_value_by_kind(value, kind, lang, text):
    assert tables.format_value(value, kind, lang) == text


def test_unknown_kind_is_refused():
    with pytest.raises(KeyError, match="unknown column kind 'cash'"):
        tables.format_value(1, "cash")


def test_registry_merges_every_area():
    kinds = {c: tables.kind_of(c) for c in ["ytd_sales", "attainment", "won_amount", "win_rate", "monetary",
                                            "customer_share", "mean_frequency", "roi", "commission",
                                            "effective_rate", "base_salary", "p_value", "name"]}
    assert kinds == {"ytd_sales": "money", "attainment": "percent", "won_amount": "money", "win_rate": "percent",
                     "monetary": "money", "customer_share": "percent", "mean_frequency": "decimal",
                     "roi": "decimal", "commission": "money", "effective_rate": "percent",
                     "base_salary": "money", "p_value": "p_value", "name": None}
    assert set(tables.COLUMN_KINDS.values()) <= set(tables.KINDS)


def test_names_with_two_meanings_are_not_guessed():
    assert tables.kind_of("change") is None and tables.kind_of("rate") is None
    assert tables.kind_of("change", tables.AREA_KINDS["funnel"]) == "percent"
    assert tables.kind_of("change", tables.AREA_KINDS["incentives"]) == "money"
    assert tables.kind_of("rate", tables.AREA_KINDS["incentives"]) == "rate"
    assert tables.kind_of("attainment", {"attainment": None}) is None  # a call may switch a kind off


def test_columns_of():
    assert {"ytd_sales", "monetary", "commission"} <= tables.columns_of("money")
    assert "change" in tables.columns_of("money", tables.AREA_KINDS["incentives"])
    assert "change" not in tables.columns_of("money")


# --------------------------------------------------------------------------- display
def test_display_writes_every_figure_as_text_and_keeps_names():
    f = pd.DataFrame({"name": HOSTILE, "amount": [1234567.0, -2.5, np.nan, 0.0, 1.0],
                      "attainment": [0.123, 1.0, np.nan, 0.5, 0.0], "won": [True, False, True, False, True],
                      "n": [1, 2, 3, 4, 5], "days": [1.25, 2.0, np.nan, 0.0, 10.0],
                      "day": pd.to_datetime(["2025-01-02", None, "2025-03-04", "2025-01-01", "2025-12-31"])})
    shown = tables.display(f, lang="en")
    assert shown["name"].tolist() == HOSTILE  # text stays text: escaping is the HTML writer's job
    assert shown["amount"].tolist() == ["1,234,567.00", "-2.50", "—", "0.00", "1.00"]
    assert shown["attainment"].tolist() == ["12.3%", "100.0%", "—", "50.0%", "0.0%"]
    assert shown["won"].tolist() == ["yes", "no", "yes", "no", "yes"]
    assert shown["n"].tolist() == [1, 2, 3, 4, 5]
    assert shown["days"].tolist() == ["1.25", "2.00", "—", "0.00", "10.00"]
    assert shown["day"].tolist() == ["2025-01-02", "—", "2025-03-04", "2025-01-01", "2025-12-31"]
    zh = tables.display(f.head(1), lang="zh", kinds={"amount": "money_unit"}, decimals=1, yes_no=("rfm.yes", "rfm.no"))
    assert zh.iloc[0].tolist()[1:] == ["123.46\xa0万元", "12.3%", "是", 1, "1.2", "2025-01-02"]
    kept = tables.display(f, numbers=False)
    assert kept["amount"].dtype == "float64" and kept["won"].tolist()[:2] == ["yes", "no"]


def test_display_translates_values_and_keeps_unknown_ones():
    f = pd.DataFrame({"channel": ["referral", IMG]})
    assert tables.display(f, lang="zh", values={"channel": "channel."})["channel"].tolist() == ["转介绍", IMG]
    pd.testing.assert_frame_equal(f, pd.DataFrame({"channel": ["referral", IMG]}))  # input untouched


# --------------------------------------------------------------------------- style_table
def test_style_table_is_the_one_in_html():
    assert reexported is tables.style_table


def test_style_table_escapes_cells_and_headers():
    f = pd.DataFrame({"name": HOSTILE, "ytd_sales": [1234567.891, -2.5, 0.0, 1.0, 2.0],
                      "attainment": [0.123, 1.0, np.nan, 0.5, 0.0], IMG: ["a<b", "x", "y", "z", "w"]})
    html = tables.style_table(f, lang="en").to_html()
    _safe(html)
    assert html.count(IMG_ESCAPED) == 2  # the cell and the header
    assert "=HYPERLINK(&#34;http://x&#34;,&#34;y&#34;)" in html and "a&lt;b" in html
    assert "1,234,567.89" in html and "-2.50" in html and "12.3%" in html and "—" in html


def test_style_table_escapes_the_index():
    styler = tables.style_table(pd.DataFrame({"a": [1]}, index=[IMG]))
    styler.hide_index_ = [False]  # shown, as a caller might do
    _safe(styler.to_html())


def test_style_table_overrides():
    f = pd.DataFrame({"change": [1234.5], "rate": [0.12], "ytd_sales": [5.0], "share": [0.5]})
    html = tables.style_table(f, kinds=tables.AREA_KINDS["incentives"]).to_html()
    assert "1,234.50" in html and "12.00%" in html and "50.0%" in html
    html = tables.style_table(f, money={"change"}, pct=set()).to_html()
    assert "1,234.50" in html and "5.00" in html and "0.50" in html  # money / pct replace the registry's


# --------------------------------------------------------------------------- the five display helpers
def test_funnel_for_display_in_html_is_escaped():
    leaks = pd.DataFrame({"rep_id": ["R1"], "name": [IMG], "step": ["lead_to_intent"], "rate": [0.25],
                          "peer_rate": [0.5], "won_amount": [-12345.6], "p_value": [0.0004]})
    shown = present_funnel.for_display(leaks, lang="en")
    assert shown.iloc[0].tolist() == ["R1", IMG, "Lead → intent", "25.0%", "50.0%", "-12,345.60", "< 0.001"]
    _safe(tables.style_table(shown, lang="en", money=set(), pct=set()).to_html())


def test_rfm_display_labels_in_html_is_escaped():
    f = pd.DataFrame({"customer_id": HOSTILE, "segment": ["champions"] * 5, "monetary": [1234567.0, -5.0, 0, 1, 2]})
    shown = present_rfm.display_labels(f, lang="en")
    assert shown["customer_id"].tolist() == HOSTILE and shown["monetary"].tolist()[:2] == [1234567.0, -5.0]
    html = tables.style_table(shown).to_html()
    _safe(html)
    assert "1,234,567.00" in html and "-5.00" in html


def test_incentives_table_is_escaped_and_formats_by_kind():
    f = pd.DataFrame({"name": [IMG], "rule": ["commission"], "rate": [0.12], "amount_cents": [-1234567],
                      "change_cents": [50], "score": [3.25]})
    html = incentive_tables.table(f, lang="en").to_html()
    _safe(html)
    assert "-12,345.67" in html and "12.00%" in html and "0.50" in html and "3.2" in html


def test_peer_comparison_display_keeps_its_figures():
    cmp = pd.DataFrame({"metric": ["actual", "attainment", "new_customers"], "value": [219_000.0, 1.095, 3.5],
                        "peer_q1": [280_000.0, None, 1.0], "peer_median": [320_000.0, 1.0, 2.0],
                        "peer_q3": [350_000.0, None, 3.0], "peer_mean": [320_000.0, None, 2.0],
                        "peer_count": [5, 5, 5]})
    zh = present_idp.peer_comparison_display(cmp, lang="zh")
    assert zh.iloc[:, 1].tolist() == ["21.90\xa0万元", "109.5%", "3.5"]
    en = present_idp.peer_comparison_display(cmp, lang="en")
    assert en.iloc[0, 1:6].tolist() == [f"{v}\xa0CNY" for v in ("219,000", "280,000", "320,000", "350,000", "320,000")]
    _safe(tables.style_table(en.assign(note=IMG)).to_html())


def test_case_figures_display_in_html_is_escaped():
    figures = case_figures(generate_case(seed=7))
    shown = case_display.figures_display(figures.assign(source=IMG), lang="en")
    assert shown.iloc[2].tolist()[3:6] == ["85%", IMG, "27"]
    _safe(tables.style_table(shown).to_html())
