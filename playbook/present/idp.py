"""A plan as HTML."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from playbook.core.errors import ValidationError, require_columns
from playbook.core.labels import catalogue as label_catalogue
from playbook.core.labels import check_lang, t
from playbook.data.issues import ISSUE_COLUMNS
from playbook.idp.catalogue import (
    PEER_COLUMNS,
    PLAN_ITEM_COLUMNS,
    Catalogue,
    _as_catalogue,
    _blank,
    _money,
    _pct,
)
from playbook.idp.checks import PLAN_ISSUE_COLUMNS, plan_issues, validate_plan
from playbook.idp.plan import Plan, _typed_items

__all__ = ["peer_comparison_display", "escape_text", "plan_items_display", "plan_to_html_table", "plan_header_html",
           "word_plan_issues", "check_plan"]

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
    money = comparison["metric"].eq("actual")
    pct = comparison["metric"].isin(["attainment", "repurchase_rate"])
    out = pd.DataFrame({"metric": comparison["metric"].map(lambda m: t(f"idp.metric.{m}", lang))})
    for col in ("value", "peer_q1", "peer_median", "peer_q3", "peer_mean"):
        vals = pd.to_numeric(comparison[col], errors="coerce")
        out[col] = [
            "—" if not math.isfinite(v) else _money(v, lang) if m else f"{v:.1%}" if p else f"{v:g}"
            for v, m, p in zip(vals.astype(float), money, pct, strict=True)
        ]
    out["peer_count"] = comparison["peer_count"].astype("int64")
    return out.rename(columns={c: t(f"idp.col.{c}", lang) for c in PEER_COLUMNS})


# --------------------------------------------------------------------------- rendering
def escape_text(value: object) -> str:
    r"""HTML-escape a typed text; line breaks become ``<br>``; missing values become "".

    Examples
    --------
    >>> escape_text('<script>alert("x")</script>\nread & learn')
    '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<br>read &amp; learn'
    """
    if _blank(value):
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return "<br>".join(html.escape(line, quote=True) for line in text.split("\n"))


_CSS = (
    "<style>"
    "table.idp-plan, table.idp-header {border-collapse: collapse; margin: 0.5em 0;}"
    "table.idp-plan th, table.idp-plan td, table.idp-header th, table.idp-header td "
    "{text-align: left !important; vertical-align: top; padding: 4px 8px; border: 1px solid #ccc;}"
    "table.idp-plan th {background: #f0f0f0;}"
    "table.idp-plan td.idp-num {text-align: center !important; white-space: nowrap;}"
    "table.idp-plan td:first-child {min-width: 6em;}"
    "table.idp-plan td:nth-child(5), table.idp-plan td:nth-child(6) {min-width: 12em;}"
    "table.idp-header th {background: #f7f7f7; white-space: nowrap;}"
    "table.idp-header ul {margin: 0; padding-left: 1.2em;}"
    "</style>"
)
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
    head = "".join(f"<th>{escape_text(c)}</th>" for c in shown.columns)
    cls = ["" if c not in _NUM_COLUMNS else ' class="idp-num"' for c in PLAN_ITEM_COLUMNS]
    body = "".join(
        "<tr>" + "".join(f"<td{k}>{escape_text(v)}</td>" for k, v in zip(cls, rec, strict=True)) + "</tr>"
        for rec in shown.itertuples(index=False)
    )
    return (f'{_CSS}<table class="idp-plan" lang="{"zh-CN" if lang == "zh" else "en"}">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


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
        ("idp.header.plan_date", date), ("idp.header.quota", _money(plan.quota, lang)),
        ("idp.header.actual", _money(plan.actual, lang)), ("idp.header.attainment", _pct(plan.attainment)),
        ("idp.header.peer_mean", _money(plan.peer_mean, lang)),
        ("idp.header.peer_median", _money(plan.peer_median, lang)),
    ]
    cells = "".join(f"<tr><th>{escape_text(t(k, lang))}</th><td>{escape_text(v)}</td></tr>" for k, v in rows)
    strengths = "".join(f"<li>{escape_text(s)}</li>" for s in plan.strengths)
    cells += (f"<tr><th>{escape_text(t('idp.header.strengths', lang))}</th>"
              f"<td><ul>{strengths}</ul></td></tr>")
    if plan.summary:
        cells += f"<tr><th>{escape_text(t('idp.header.summary', lang))}</th><td>{escape_text(plan.summary)}</td></tr>"
    return f'{_CSS}<table class="idp-header">{cells}</table>'


# --------------------------------------------------------------------------- wording (the domain's data in a language)
_AGAINST_FIELD = {"target_below_current": "current", "review_in_past": "plan_date", "duplicate_item": "first"}
"""Issue code -> the name of its ``against`` value in the message (label ``idp.issue.<code>``)."""


def word_plan_issues(issues: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    r"""Return :func:`playbook.idp.plan_issues` with a message per problem in ``lang``.

    Parameters
    ----------
    issues : DataFrame
        :data:`playbook.idp.PLAN_ISSUE_COLUMNS`.
    lang : {"en", "zh"}

    Returns
    -------
    DataFrame
        :data:`playbook.data.issues.ISSUE_COLUMNS` (``message`` worded; ``against`` dropped).

    Examples
    --------
    >>> from playbook.idp import Plan, plan_issues
    >>> items = pd.DataFrame({"competency": ["negotiation", "Negotiation"], "why": "",
    ...                       "current_level": [3, 4], "target_level": [2, 5], "measures": "Course",
    ...                       "resources": "", "review_date": pd.to_datetime(["2026-03-01", "2026-06-01"])})
    >>> issues = plan_issues(Plan("R1", plan_date=pd.Timestamp("2025-10-08"), items=items))
    >>> print("\n".join(word_plan_issues(issues, "en")["message"]))
    Item 1: the target level 2 is below the current level 3; expected ≥ 3.
    Item 2: Negotiation is already item 1; merge the two rows.
    >>> print("\n".join(word_plan_issues(issues, "zh")["message"]))
    第 1 项：期望水平 2 低于目前水平 3；应为 ≥ 3。
    第 2 项：Negotiation 与第 1 项重复；请合并这两行。
    """
    check_lang(lang)
    require_columns(issues, PLAN_ISSUE_COLUMNS, "issues")
    messages = []
    for rec in issues.itertuples(index=False):
        fields = {"row": "" if pd.isna(rec.row) else int(rec.row), "value": rec.value, "expected": rec.expected}
        if rec.code in _AGAINST_FIELD:
            fields[_AGAINST_FIELD[rec.code]] = rec.against
        messages.append(t(f"idp.issue.{rec.code}", lang, **fields))
    out = issues.drop(columns="against").assign(message=pd.Series(messages, index=issues.index, dtype="object"))
    return out[ISSUE_COLUMNS]


def check_plan(plan: Plan, *, rep_ids: Sequence[str] | None = None, lang: str | None = None) -> Plan:
    """Return ``plan`` with typed items (:func:`playbook.idp.validate_plan`), else raise its problems worded.

    Parameters
    ----------
    plan : Plan
    rep_ids : sequence of str, optional
        The known reps, to reject an unknown ``rep_id``.
    lang : {"en", "zh"}, optional
        Language of the messages; default the plan's.

    Raises
    ------
    ValidationError
        ``issues`` holds :func:`word_plan_issues`; the message lists each problem.

    Examples
    --------
    >>> from playbook.idp import Plan
    >>> items = pd.DataFrame({"competency": ["negotiation"], "why": "", "current_level": [3],
    ...                       "target_level": [5], "measures": [""], "resources": "",
    ...                       "review_date": ["2025-01-01"]})
    >>> check_plan(Plan("R1", plan_date=pd.Timestamp("2025-10-08"), items=items))
    Traceback (most recent call last):
    ...
    playbook.core.errors.ValidationError: The plan of R1 has 2 problem(s):
      - Item 1: the review date 2025-01-01 is not after the plan date 2025-10-08; set a later review date.
      - Item 1: no development measure; write at least one measure.
    """
    lang = check_lang(lang or plan.lang)
    issues = plan_issues(plan, rep_ids=rep_ids)
    if len(issues):
        raise ValidationError(word_plan_issues(issues, lang),
                              summary=t("idp.invalid", lang, rep=plan.rep_id, n=len(issues)))
    return validate_plan(plan, rep_ids=rep_ids)
