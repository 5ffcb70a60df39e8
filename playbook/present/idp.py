"""An IDP for people: the plan as HTML and tables, and the domain's data worded in a language."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from markupsafe import Markup

from playbook.core.errors import ValidationError, require_columns
from playbook.core.labels import catalogue as label_catalogue
from playbook.core.labels import check_lang, t
from playbook.data.issues import ISSUE_COLUMNS
from playbook.idp.catalogue import PEER_COLUMNS, PLAN_ITEM_COLUMNS, Catalogue, _as_catalogue
from playbook.idp.checks import PLAN_ISSUE_COLUMNS, plan_issues, validate_plan
from playbook.idp.evidence import hide_small_groups, leak_unit, shows_peers
from playbook.idp.plan import Plan, PlanDraft, _typed_items
from playbook.present import numbers
from playbook.present.html import escape_lines, render
from playbook.present.tables import format_value

__all__ = ["peer_comparison_display", "peer_comparison_html", "escape_text", "plan_items_display", "plan_to_html_table",
           "plan_header_html",
           "word_plan_issues", "check_plan", "competency_name", "level_descriptor", "catalogue_frame", "word_plan"]

_METRIC_KINDS = {"actual": "money_unit", "attainment": "percent", "repurchase_rate": "percent"}
"""The kind (:mod:`playbook.present.tables`) of each metric's figures; others are written as short as exact."""


def peer_comparison_display(comparison: pd.DataFrame, *, lang: str = "en") -> pd.DataFrame:
    r"""Return :func:`peer_comparison` ready to show: names, formatted figures and headers in ``lang``.

    Money in CNY (en) or 万元 (zh), rates in percent, hidden statistics as "—": those
    missing, and every peer statistic of fewer than :data:`~playbook.idp.MIN_GROUP` peers
    (:func:`~playbook.idp.evidence.hide_small_groups`).

    Examples
    --------
    >>> cmp = pd.DataFrame({"metric": ["actual", "attainment"], "value": [219_000.0, 1.095],
    ...                     "peer_q1": [280_000.0, None], "peer_median": [320_000.0, 1.0],
    ...                     "peer_q3": [350_000.0, None], "peer_mean": [320_000.0, None], "peer_count": [5, 5]})
    >>> peer_comparison_display(cmp, lang="zh").iloc[:, :3].values.tolist()
    [['年初至今销售额', '21.90\xa0万元', '28.00\xa0万元'], ['指标达成率', '109.5%', '—']]
    """
    check_lang(lang)
    require_columns(comparison, PEER_COLUMNS, "comparison")
    comparison = hide_small_groups(comparison)
    kinds = [_METRIC_KINDS.get(m, "general") for m in comparison["metric"]]
    out = pd.DataFrame({"metric": comparison["metric"].map(lambda m: t(f"idp.metric.{m}", lang))})
    for col in ("value", "peer_q1", "peer_median", "peer_q3", "peer_mean"):
        vals = pd.to_numeric(comparison[col], errors="coerce").astype(float)
        out[col] = [format_value(v, k, lang) for v, k in zip(vals, kinds, strict=True)]
    out["peer_count"] = comparison["peer_count"].astype("int64")
    return out.rename(columns={c: t(f"idp.col.{c}", lang) for c in PEER_COLUMNS})


def peer_comparison_html(comparison: pd.DataFrame, *, lang: str = "en") -> str:
    r"""Return :func:`peer_comparison_display` as an HTML table: measures left, figures right and unbroken.

    Every text is escaped; a figure such as "124.82 万元" never breaks across lines.

    Examples
    --------
    >>> cmp = pd.DataFrame({"metric": ["actual"], "value": [1_248_191.0], "peer_q1": [None],
    ...                     "peer_median": [1_835_574.0], "peer_q3": [None], "peer_mean": [None], "peer_count": [10]})
    >>> html_text = peer_comparison_html(cmp, lang="zh")
    >>> '<td class="idp-text">年初至今销售额</td><td class="idp-fig">124.82\N{NO-BREAK SPACE}万元</td>' in html_text
    True
    """
    shown = peer_comparison_display(comparison, lang=lang)
    return render("idp_peer_table.html.j2", head=list(shown.columns),
                  rows=[list(rec) for rec in shown.astype(str).itertuples(index=False)])


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
    out["competency"] = items["competency"].map(lambda k: competency_name(cat, k, lang) if k in cat.competencies or
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


def plan_header_html(plan: Plan, lang: str | None = None, *, state: str = "") -> str:
    """Return the plan's header (rep, position, department, supervisor, date, figures, strengths) as HTML.

    Two facts a row; ``state`` (which plan this is: a stored version and its status, or a
    draft) heads the table when given. Peer figures are anonymous statistics; hidden (—)
    for fewer than :data:`~playbook.idp.MIN_GROUP` peers (``plan.peer_count``). Money
    never breaks across lines.

    Examples
    --------
    >>> html_text = plan_header_html(Plan("R1", rep_name="<i>Ann</i>", strengths=("Kind & calm",)), "en")
    >>> "&lt;i&gt;Ann&lt;/i&gt;" in html_text, "Kind &amp; calm" in html_text
    (True, True)
    >>> '<th>Plan</th><td colspan="3">Version 2: Agreed by the rep</td>' in plan_header_html(
    ...     Plan("R1"), "en", state="Version 2: Agreed by the rep")
    True
    """
    lang = check_lang(lang or plan.lang)
    date = "" if plan.plan_date is None or pd.isna(plan.plan_date) else pd.Timestamp(plan.plan_date).date()
    peers = shows_peers(plan.peer_count)
    facts = [
        ("idp.header.name", plan.rep_name, False), ("idp.header.position", plan.position, False),
        ("idp.header.department", plan.department, False), ("idp.header.supervisor", plan.supervisor_name, False),
        ("idp.header.plan_date", date, True), ("idp.header.attainment",
                                               format_value(plan.attainment, "percent0", lang), True),
        ("idp.header.quota", format_value(plan.quota, "money_unit", lang), True),
        ("idp.header.actual", format_value(plan.actual, "money_unit", lang), True),
        ("idp.header.peer_mean", format_value(plan.peer_mean if peers else math.nan, "money_unit", lang), True),
        ("idp.header.peer_median", format_value(plan.peer_median if peers else math.nan, "money_unit", lang), True),
    ]
    facts = [(t(k, lang), v, nowrap) for k, v, nowrap in facts]
    return render("idp_plan_header.html.j2", state_label=t("idp.header.state", lang), state=state,
                  rows=[facts[i:i + 2] for i in range(0, len(facts), 2)],
                  strengths_label=t("idp.header.strengths", lang), strengths=list(plan.strengths),
                  summary_label=t("idp.header.summary", lang), summary=_money_unbroken(plan.summary or ""))


_MONEY = re.compile(r"-?\d[\d,]*(?:\.\d+)? (?:万元|CNY)")
"""An amount of money as :func:`_money` writes it (also in escaped text: no character of it is escaped)."""


def _money_unbroken(text: str) -> Markup:
    """Return ``text`` escaped (:func:`escape_lines`), each amount of money in a span that never breaks."""
    return Markup(_MONEY.sub(lambda m: f'<span class="idp-nowrap">{m.group(0)}</span>', escape_lines(text)))


# --------------------------------------------------------------------------- wording (the domain's data in a language)
_AGAINST_FIELD = {"target_below_current": "current", "review_in_past": "plan_date", "duplicate_item": "first",
                  "strength_is_item": "item"}
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


# --------------------------------------------------------------------------- figures and catalogue texts in a language
_SEP = {"en": "; ", "zh": "；"}  # between the reasons of one item
_SENTENCE = {"en": " ", "zh": ""}  # between two sentences
_LINE = "\n"  # measures and resources: one entry per line


def _money(value: float, lang: str) -> str:
    """Format money as people read it: CNY (en) or 万元 (zh); "—" when missing."""
    if not math.isfinite(value):
        return "—"
    return numbers.money(value, lang)


def _pct(value: float) -> str:
    """Format a ratio as a whole percent; "—" when missing."""
    return f"{value:.0%}" if math.isfinite(value) else "—"


def _per_month(value: float) -> str:
    """Format a count a month with two decimals (0.45); "—" when missing."""
    return f"{value:.2f}" if math.isfinite(value) else "—"


def _count(value: float) -> str:
    """Format a count as short as exact (3, 8.5); "—" when missing."""
    return f"{value:g}" if math.isfinite(value) else "—"


def competency_name(catalogue: Catalogue, key: str, lang: str = "en") -> str:
    """Name of competency ``key`` in ``lang``: the catalogue's, else the label's, else ``key`` itself.

    Examples
    --------
    >>> from playbook.idp import load_catalogue
    >>> competency_name(load_catalogue(), "new_customer_development", "zh"), competency_name(load_catalogue(), "x")
    ('开发新客户', 'x')
    """
    check_lang(lang)
    if key in catalogue.competencies:
        return catalogue.competencies[key].name[lang]
    entry = label_catalogue().get(f"competency.{key}")
    return entry[lang] if entry else str(key)


def level_descriptor(catalogue: Catalogue, key: str, level: int, lang: str = "en") -> str:
    """Return what level ``level`` of competency ``key`` looks like, in ``lang`` (empty when unknown).

    Examples
    --------
    >>> from playbook.idp import load_catalogue
    >>> level_descriptor(load_catalogue(), "negotiation", 1, "en")
    'Gives discounts as soon as the customer pushes back.'
    """
    check_lang(lang)
    comp = catalogue.competencies.get(key)
    if comp is None or int(level) not in comp.levels:
        return ""
    return comp.levels[int(level)][lang]


def catalogue_frame(
    catalogue: Catalogue | str | Path | None = None,
    *,
    competencies: Sequence[str] | None = None,
    lang: str = "en",
) -> pd.DataFrame:
    """Return the measures library as a table: one row per measure, texts in ``lang``.

    Parameters
    ----------
    catalogue : Catalogue or path, optional
        Default ``templates/competencies.yaml``.
    competencies : sequence of str, optional
        Only these competencies (in this order); default all.
    lang : {"en", "zh"}

    Returns
    -------
    DataFrame
        ``competency, name, measure, months, resources, default`` (resources one per line).

    Examples
    --------
    >>> lib = catalogue_frame(lang="zh")
    >>> lib.loc[lib["competency"] == "product_knowledge", ["measure", "months"]].head(2).values.tolist()
    [['阅读产品手册和相关书籍', 3.0], ['参加产品培训课程', 2.0]]
    """
    check_lang(lang)
    cat = _as_catalogue(catalogue)
    keys = cat.keys if competencies is None else [k for k in competencies if k in cat.competencies]
    rows = [
        {"competency": c.key, "name": c.name[lang], "measure": m.text[lang], "months": m.months,
         "resources": _LINE.join(cat.resources[r][lang] for r in m.resources), "default": m.default}
        for c in (cat.competencies[k] for k in keys) for m in c.measures
    ]
    return pd.DataFrame(rows, columns=["competency", "name", "measure", "months", "resources", "default"])


# --------------------------------------------------------------------------- a drafted plan in a language
_RATED = {"manager": "idp.why.rated_manager", "self": "idp.why.rated_self", "review": "idp.why.reached"}


def word_plan(draft: PlanDraft, lang: str = "en") -> Plan:
    r"""Word a :class:`~playbook.idp.PlanDraft` in ``lang``: the plan people read, edit and store.

    The reasons (发展原因) say the current level and its descriptor, the team median, the
    funnel leak and the data signals, each with its peer figure only when the draft shows
    one (a group of at least :data:`~playbook.idp.MIN_GROUP`): rates in percent, counts a
    month as counts ("0.45 a month"); measures and resources are the catalogue's texts,
    one per line; strengths are the supervisor's words, then high ratings and "quota met";
    the summary compares sales with the quota and the peers. Money in CNY (en) or 万元 (zh).

    Examples
    --------
    >>> from playbook.idp import draft_plan
    >>> ev = pd.DataFrame({"rep_id": ["R1"], "name": ["Ann"], "quota": [200_000.0], "actual": [219_000.0],
    ...                    "level__negotiation": pd.array([3], dtype="Int64")})
    >>> plan = word_plan(draft_plan(ev, "R1", plan_date="2025-10-08"), "en")
    >>> print(plan.items["why"][0])
    Level 3 of 5: Works through the five steps, from needs confirmation to contract, independently
    >>> print(plan.items["resources"][0])
    Training time
    Price ladder and ROI calculator
    Supervisor's coaching time
    >>> plan.strengths, plan.summary
    (('Meets the quota (110% year to date)',), 'Sales 219,000\xa0CNY against a quota of 200,000\xa0CNY (110%).')
    >>> word_plan(draft_plan(ev, "R1", plan_date="2025-10-08"), "zh").summary
    '销售额 21.90\xa0万元，指标 20.00\xa0万元（达成 110%）。'
    """
    check_lang(lang)
    cat = draft.catalogue
    records = [
        {"competency": rec["competency"], "why": _why(rec, draft, lang), "current_level": rec["current_level"],
         "target_level": rec["target_level"], "measures": _LINE.join(_measure_texts(cat, rec, lang)),
         "resources": _LINE.join(cat.resources[r][lang] for r in rec["resources"]),
         "review_date": rec["review_date"]}
        for rec in draft.items.to_dict("records")
    ]
    strengths = [*draft.given_strengths]
    strengths += [t("idp.strength.level", lang, competency=competency_name(cat, k, lang), level=level,
                    max=cat.max_level) for k, level in draft.strong_levels]
    if draft.quota_met:
        strengths.append(t("idp.strength.quota", lang, attainment=_pct(draft.attainment)))
    return Plan(
        rep_id=draft.rep_id, rep_name=draft.rep_name, position=draft.position, department=draft.department,
        supervisor_name=draft.supervisor_name, plan_date=draft.plan_date, quota=draft.quota, actual=draft.actual,
        attainment=draft.attainment, peer_mean=draft.peer_mean, peer_median=draft.peer_median,
        peer_count=draft.peer_count, strengths=tuple(dict.fromkeys(strengths)), summary=_summary(draft, lang),
        lang=lang, items=_typed_items(pd.DataFrame(records, columns=PLAN_ITEM_COLUMNS)),
    )


def _measure_texts(cat: Catalogue, rec: dict, lang: str) -> list[str]:
    by_key = {m.key: m for m in cat.competencies[rec["competency"]].measures}
    return [by_key[k].text[lang] for k in rec["measures"]]


def _why(rec: dict, draft: PlanDraft, lang: str) -> str:
    """Word the reasons of one item, joined: the rating, the team median, a funnel leak, the data signals."""
    cat = draft.catalogue
    level = int(rec["current_level"])
    descriptor = level_descriptor(cat, rec["competency"], level, lang).rstrip(".。")
    parts = [t(_RATED.get(rec["source"], "idp.why.rated"), lang, level=level, max=cat.max_level,
               descriptor=descriptor)]
    if math.isfinite(rec["team_median"]):
        parts.append(t("idp.why.team_median", lang, median=f"{rec['team_median']:g}"))
    if rec["leak_step"]:
        parts.append(_why_leak(rec, lang))
    for signal in rec["signals"]:
        if signal == "new_customers":
            n, median = draft.new_customers, draft.peer_new_customers_median
            parts.append(t("idp.why.new_customers" + _alone(median), lang, n=_count(n), median=_count(median)))
        else:
            rate, median = draft.repurchase_rate, draft.peer_repurchase_median
            parts.append(t("idp.why.repurchase" + _alone(median), lang, rate=_pct(rate), median=_pct(median)))
    return _SEP[lang].join(parts)


def _alone(peer_figure: float) -> str:
    """Label suffix of a reason without its peer figure (hidden for a small group, or missing)."""
    return "" if math.isfinite(peer_figure) else "_alone"


def _why_leak(rec: dict, lang: str) -> str:
    """Word a funnel leak: a rate in percent, or a count a month; the peers' figure only when shown."""
    entry = label_catalogue().get(f"funnel.step.{rec['leak_step']}")
    step = entry[lang] if entry else rec["leak_step"]
    per_month = (rec.get("leak_unit") or leak_unit(rec["leak_step"])) == "per_month"
    fmt = _per_month if per_month else _pct
    key = ("idp.why.leak_per_month" if per_month else "idp.why.leak") + _alone(rec["leak_peer_rate"])
    return t(key, lang, step=step, rate=fmt(rec["leak_rate"]), peer_rate=fmt(rec["leak_peer_rate"]))


def _summary(draft: PlanDraft, lang: str) -> str:
    """Word the sales against the quota, and against the peers' median (or mean) when there is one."""
    summary = t("idp.summary", lang, actual=_money(draft.actual, lang), quota=_money(draft.quota, lang),
                attainment=_pct(draft.attainment))
    if draft.peer_basis:
        peers = draft.peer_median if draft.peer_basis == "median" else draft.peer_mean
        summary += _SENTENCE[lang] + t(f"idp.summary_peers_{draft.peer_basis}", lang, ratio=_pct(draft.peer_ratio),
                                       peers=_money(peers, lang))
    return summary
