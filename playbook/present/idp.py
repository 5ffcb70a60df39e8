"""A plan as HTML."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from playbook.core.errors import require_columns
from playbook.core.labels import catalogue as label_catalogue
from playbook.core.labels import check_lang, t
from playbook.idp.catalogue import PEER_COLUMNS, PLAN_ITEM_COLUMNS, Catalogue, _as_catalogue
from playbook.idp.plan import Plan, _typed_items
from playbook.present.html import escape_lines, render
from playbook.present.tables import format_value

__all__ = ["peer_comparison_display", "escape_text", "plan_items_display", "plan_to_html_table", "plan_header_html"]

_METRIC_KINDS = {"actual": "money_unit", "attainment": "percent", "repurchase_rate": "percent"}
"""The kind (:mod:`playbook.present.tables`) of each metric's figures; others are written as short as exact."""


def peer_comparison_display(comparison: pd.DataFrame, *, lang: str = "en") -> pd.DataFrame:
    """Return :func:`peer_comparison` ready to show: names, formatted figures and headers in ``lang``.

    Money in CNY (en) or 万元 (zh), rates in percent, hidden statistics as "—".

    Examples
    --------
    >>> cmp = pd.DataFrame({"metric": ["actual", "attainment"], "value": [219_000.0, 1.095],
    ...                     "peer_q1": [280_000.0, None], "peer_median": [320_000.0, 1.0],
    ...                     "peer_q3": [350_000.0, None], "peer_mean": [320_000.0, None], "peer_count": [5, 5]})
    >>> peer_comparison_display(cmp, lang="zh").iloc[:, :3].values.tolist()
    [['年初至今销售额', '21.90 万元', '28.00 万元'], ['指标达成率', '109.5%', '—']]
    """
    check_lang(lang)
    require_columns(comparison, PEER_COLUMNS, "comparison")
    kinds = [_METRIC_KINDS.get(m, "general") for m in comparison["metric"]]
    out = pd.DataFrame({"metric": comparison["metric"].map(lambda m: t(f"idp.metric.{m}", lang))})
    for col in ("value", "peer_q1", "peer_median", "peer_q3", "peer_mean"):
        vals = pd.to_numeric(comparison[col], errors="coerce").astype(float)
        out[col] = [format_value(v, k, lang) for v, k in zip(vals, kinds, strict=True)]
    out["peer_count"] = comparison["peer_count"].astype("int64")
    return out.rename(columns={c: t(f"idp.col.{c}", lang) for c in PEER_COLUMNS})


# --------------------------------------------------------------------------- rendering
def escape_text(value: object) -> str:
    r"""HTML-escape a typed text; line breaks become ``<br>``; missing values become "".

    The same as :func:`playbook.present.html.escape_lines` (the one escape of HTML).

    Examples
    --------
    >>> escape_text('<script>alert("x")</script>\nread & learn')
    '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<br>read &amp; learn'
    """
    return escape_lines(value)


_NUM_COLUMNS = ("current_level", "target_level", "review_date")

_TABLE_COLUMNS = {"competency": "item", "why": "why", "current_level": "current", "target_level": "target",
                  "measures": "measures", "resources": "resources", "review_date": "review"}


def plan_items_display(plan: Plan, lang: str | None = None, *,
                       catalogue: Catalogue | str | Path | None = None) -> pd.DataFrame:
    """Return the plan table for people: competency names, review months (YYYY-MM), headers in ``lang``.

    Texts are not escaped (escape when writing HTML yourself: :func:`escape_text`).

    Examples
    --------
    >>> items = pd.DataFrame({"competency": ["market_awareness"], "why": "", "current_level": [4],
    ...                       "target_level": [5], "measures": ["Training"], "resources": "",
    ...                       "review_date": pd.to_datetime(["2012-03-01"])})
    >>> shown = plan_items_display(Plan("R1", items=items), "zh")
    >>> list(shown.columns)
    ['有待发展项目', '发展原因', '目前水平', '期望水平', '发展措施', '所需资源', '评估时间']
    >>> shown.iloc[0, [0, 6]].tolist()
    ['市场意识', '2012-03']
    """
    lang = check_lang(lang or plan.lang)
    cat = _as_catalogue(catalogue)
    items = _typed_items(plan.items)
    out = items.copy()
    out["competency"] = items["competency"].map(lambda k: cat.name(k, lang) if k in cat.competencies or
                                                f"competency.{k}" in label_catalogue() else k)
    out["review_date"] = items["review_date"].dt.strftime("%Y-%m").astype("object").where(
        items["review_date"].notna(), "")
    return out.rename(columns={c: t(f"idp.table.{k}", lang) for c, k in _TABLE_COLUMNS.items()})


def plan_to_html_table(plan: Plan, lang: str | None = None, *,
                       catalogue: Catalogue | str | Path | None = None) -> str:
    """Return the plan table as HTML, in the source's layout; every text is escaped.

    In Chinese the headers are the source's: 有待发展项目, 发展原因, 目前水平, 期望水平,
    发展措施, 所需资源, 评估时间. Measures and resources show one entry per line.

    Examples
    --------
    >>> items = pd.DataFrame({"competency": ["<b>x</b>"], "why": "", "current_level": [2],
    ...                       "target_level": [4], "measures": ["<script>alert(1)</script>"],
    ...                       "resources": "", "review_date": pd.to_datetime(["2012-06-01"])})
    >>> out = plan_to_html_table(Plan("R1", items=items), "zh")
    >>> "<script>" in out, "&lt;script&gt;" in out, "<th>有待发展项目</th>" in out
    (False, True, True)
    """
    lang = check_lang(lang or plan.lang)
    shown = plan_items_display(plan, lang, catalogue=catalogue)
    numbers = [c in _NUM_COLUMNS for c in PLAN_ITEM_COLUMNS]
    rows = [list(zip(numbers, rec, strict=True)) for rec in shown.itertuples(index=False)]
    return render("idp_plan_table.html.j2", lang="zh-CN" if lang == "zh" else "en", head=list(shown.columns),
                  rows=rows)


def plan_header_html(plan: Plan, lang: str | None = None) -> str:
    """Return the plan's header (rep, position, department, supervisor, date, figures, strengths) as HTML.

    Peer figures are anonymous statistics; hidden (—) for fewer than 5 peers.

    Examples
    --------
    >>> html_text = plan_header_html(Plan("R1", rep_name="<i>Ann</i>", strengths=("Kind & calm",)), "en")
    >>> "&lt;i&gt;Ann&lt;/i&gt;" in html_text, "Kind &amp; calm" in html_text
    (True, True)
    """
    lang = check_lang(lang or plan.lang)
    date = "" if plan.plan_date is None or pd.isna(plan.plan_date) else pd.Timestamp(plan.plan_date).date()
    rows = [
        ("idp.header.name", plan.rep_name), ("idp.header.position", plan.position),
        ("idp.header.department", plan.department), ("idp.header.supervisor", plan.supervisor_name),
        ("idp.header.plan_date", date), ("idp.header.quota", format_value(plan.quota, "money_unit", lang)),
        ("idp.header.actual", format_value(plan.actual, "money_unit", lang)),
        ("idp.header.attainment", format_value(plan.attainment, "percent0", lang)),
        ("idp.header.peer_mean", format_value(plan.peer_mean, "money_unit", lang)),
        ("idp.header.peer_median", format_value(plan.peer_median, "money_unit", lang)),
    ]
    return render("idp_plan_header.html.j2", rows=[(t(k, lang), v) for k, v in rows],
                  strengths_label=t("idp.header.strengths", lang), strengths=list(plan.strengths),
                  summary_label=t("idp.header.summary", lang), summary=plan.summary or "")
