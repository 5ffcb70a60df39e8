"""playbook.present.html: one escape, Jinja2 templates; every HTML path keeps hostile text as text."""

import re

import pandas as pd
import pytest
from markupsafe import Markup

from playbook.apps import error_html, note_html
from playbook.apps.idp_parts import _box, _esc, plan_page_html
from playbook.core.errors import PlaybookError
from playbook.idp import Plan
from playbook.present import html as report
from playbook.present import idp as present_idp

HOSTILE = ["<img src=x onerror=alert(1)>", '=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)"]
IMG = HOSTILE[0]
IMG_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
STYLE = re.compile(r"<style>.*?</style>\n?", flags=re.S)


def _unstyled(html: str) -> str:
    """``html`` without its stylesheets (one at the start), for comparing the markup itself."""
    assert html.startswith("<style>")
    return STYLE.sub("", html)


def _safe(html: str) -> None:
    assert "<img" not in html and IMG_ESCAPED in html
    assert '"http://x"' not in html and "&quot;http://x&quot;" in html


def _plan(text: str = "", **fields) -> Plan:
    items = pd.DataFrame({"competency": ["negotiation", text or "negotiation"], "why": ["Close more", text],
                          "current_level": [3, 2], "target_level": [4, 3],
                          "measures": ["Training\nShadowing", text], "resources": ["", text],
                          "review_date": pd.to_datetime(["2026-03-01", "2026-06-01"])})
    return Plan("R1", plan_date=pd.Timestamp("2025-10-08"), items=items, **fields)


# --------------------------------------------------------------------------- the one escape
@pytest.mark.parametrize(("text", "escaped"), [
    (IMG, IMG_ESCAPED),
    (HOSTILE[1], "=HYPERLINK(&quot;http://x&quot;,&quot;y&quot;)"),
    ("rep's & <b>", "rep&#x27;s &amp; &lt;b&gt;"),
    (12.5, "12.5"),
    ("董某某", "董某某"),
], ids=["img", "formula", "quotes", "number", "cjk"])
def test_escape(text, escaped):
    assert report.escape(text) == escaped
    assert _esc(text) == escaped  # the IDP form's helper is the same escape


def test_escape_keeps_markup_and_escape_lines():
    assert report.escape(Markup("<b>ok</b>")) == "<b>ok</b>"
    assert report.escape_lines("a <b>\r\nb\rc") == "a &lt;b&gt;<br>b<br>c"
    assert [report.escape_lines(v) for v in (None, float("nan"), " ")] == ["", "", ""]
    assert present_idp.escape_text(IMG + "\nx") == IMG_ESCAPED + "<br>x"


def test_render_escapes_every_value():
    page = report.render("signoff.html.j2", rows=[(IMG, HOSTILE[1])], note=Markup("<i>kept</i>"))
    _safe(page)
    assert page.endswith('<p style="font-size:0.85em;color:#555"><i>kept</i></p>')


# --------------------------------------------------------------------------- sign-off
def test_signoff_html_is_unchanged():
    assert _unstyled(report.signoff_html("en")) == (
        '<table class="pb-signoff" style="width:100%;margin-top:1em">'
        "<tr><td style='width:30%'>Rep (copy 1)</td><td style='width:45%;border-bottom:1px solid #333'>&nbsp;</td>"
        "<td>Date: ________</td></tr>"
        "<tr><td style='width:30%'>Direct supervisor (copy 2)</td>"
        "<td style='width:45%;border-bottom:1px solid #333'>&nbsp;</td><td>Date: ________</td></tr>"
        "<tr><td style='width:30%'>HR archive (copy 3)</td><td style='width:45%;border-bottom:1px solid #333'>"
        "&nbsp;</td><td>Date: ________</td></tr></table>"
        '<p style="font-size:0.85em;color:#555">Agreed by the rep and the supervisor; three copies: rep, supervisor, '
        "HR archive.</p>")
    assert "人力资源部" in report.signoff_html("zh")


# --------------------------------------------------------------------------- the IDP plan
def test_plan_html_is_unchanged_for_normal_input():
    plan = Plan("R1", rep_name="Ann", position="Sales", strengths=("Calm",), quota=1_000_000.0, actual=900_000.0,
                attainment=0.9, plan_date="2025-10-08", items=_plan().items.head(1))
    assert _unstyled(present_idp.plan_to_html_table(plan, "en")) == (
        '<table class="idp-plan" lang="en"><colgroup><col><col><col><col><col><col><col></colgroup>'
        "<thead><tr><th>Development item</th><th>Why</th><th>Current level</th>"
        "<th>Target level</th><th>Measures</th><th>Resources needed</th><th>Review</th></tr></thead><tbody><tr>"
        '<td>Negotiation</td><td>Close more</td><td class="idp-num">3</td><td class="idp-num">4</td>'
        '<td>Training<br>Shadowing</td><td></td><td class="idp-num">2026-03</td></tr></tbody></table>')
    assert _unstyled(present_idp.plan_header_html(plan, "zh")) == (  # two facts a row; figures never break
        '<table class="idp-header"><tr><th>姓名</th><td>Ann</td><th>职位</th><td>Sales</td></tr>'
        "<tr><th>部门</th><td></td><th>直接上级</th><td></td></tr>"
        '<tr><th>制定日期</th><td class="idp-nowrap">2025-10-08</td>'
        '<th>指标达成率</th><td class="idp-nowrap">90%</td></tr>'
        '<tr><th>年初至今指标</th><td class="idp-nowrap">100.00\xa0万元</td><th>年初至今销售额</th>'
        '<td class="idp-nowrap">90.00\xa0万元</td></tr><tr><th>同岗位同事平均</th><td class="idp-nowrap">—</td>'
        '<th>同岗位同事中位数</th><td class="idp-nowrap">—</td></tr>'
        '<tr><th>优势</th><td colspan="3"><ul><li>Calm</li></ul></td></tr></table>')


def test_plan_header_states_which_plan_and_keeps_money_whole():
    plan = Plan("R1", summary="销售额 124.82 万元，指标 <b>113.46 万元</b>。")
    html = _unstyled(present_idp.plan_header_html(plan, "zh", state="第 2 版：上级已确认"))
    assert html.startswith('<table class="idp-header"><tr><th>计划</th><td colspan="3">第 2 版：上级已确认</td></tr>')
    assert ('<td colspan="3">销售额 <span class="idp-nowrap">124.82 万元</span>，指标 &lt;b&gt;'
            '<span class="idp-nowrap">113.46 万元</span>&lt;/b&gt;。</td>') in html
    assert "<th>计划</th>" not in present_idp.plan_header_html(plan, "zh")  # no state given: no row


def test_peer_table_puts_measures_left_and_keeps_figures_whole():
    cmp = pd.DataFrame({"metric": ["actual", "new_customers"], "value": [1_248_191.0, 6.0], "peer_q1": [None, None],
                        "peer_median": [1_835_574.0, 8.5], "peer_q3": [None, None], "peer_mean": [None, None],
                        "peer_count": [10, 10]})
    html = _unstyled(present_idp.peer_comparison_html(cmp, lang="zh"))
    assert html.startswith('<table class="idp-peers"><thead><tr><th class="idp-text">指标</th><th>本人</th>')
    assert ('<tr><td class="idp-text">年初至今销售额</td><td class="idp-fig">124.82\xa0万元</td>'
            '<td class="idp-fig">—</td>'
            '<td class="idp-fig">183.56\xa0万元</td><td class="idp-fig">—</td><td class="idp-fig">—</td>'
            '<td class="idp-fig">10</td></tr>') in html
    assert '<tr><td class="idp-text">新客户数</td><td class="idp-fig">6</td>' in html


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_plan_html_escapes_hostile_text(lang):
    for text in HOSTILE:
        plan = _plan(text, rep_name=text, position=text, department=text, supervisor_name=text,
                     strengths=(text, "Calm"), summary=text)
        for html in (present_idp.plan_to_html_table(plan, lang), present_idp.plan_header_html(plan, lang)):
            assert "<img" not in html and '"http://x"' not in html
        header = present_idp.plan_header_html(plan, lang)
        assert header.count(report.escape(text)) == 6  # name, position, department, supervisor, strength, summary
        assert present_idp.plan_to_html_table(plan, lang).count(report.escape(text)) >= 3
    for text in (IMG, HOSTILE[1]):
        page = plan_page_html(_plan(text, rep_name=text), lang=lang, status="draft", version=1)
        assert "<img" not in page and '"http://x"' not in page
        assert f"{report.escape(text)}</title>" in page and f"{report.escape(text)}</h1>" in page


# --------------------------------------------------------------------------- the apps' message boxes
def test_message_boxes_escape():
    _safe(error_html(PlaybookError(f"{IMG} {HOSTILE[1]}"), "en"))
    _safe(note_html([IMG, HOSTILE[1]], "zh"))
    _safe(_box(f"{IMG} {HOSTILE[1]}", "warn"))
    assert note_html(["2 rows <left out>"], "en").endswith("<ul><li>2 rows &lt;left out&gt;</li></ul></div>")
