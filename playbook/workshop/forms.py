"""Answer forms for the workshop exercises: widgets a participant fills without writing code.

Every exercise of the workshop notebooks has a form: drop-downs labelled in the page's
language for the judgement exercises, a text box for numbers (typed with or without
separators or units: ``64,200,000``, ``6420万``, ``62%``), a slider for levels. The
*Check* button calls the exercise's check of :mod:`playbook.workshop.checks` with the
answer and shows its verdict and hint; when the answer is right the form shows the
debrief passed to it. The code path of the notebooks (``causes = {...}``) stays as the
optional path for analysts.

Examples
--------
>>> form = causes_form(lang="zh")
>>> form.fields["renewal_drop"].value = "crude_operations"
>>> form.submit().status
'missing'
>>> "尚未作答" in form.feedback.value
True
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs

import ipywidgets as widgets
import pandas as pd

from playbook import funnel, idp
from playbook.core.labels import LANGS, check_lang, t
from playbook.data import case_study as case_data
from playbook.present import html as report
from playbook.workshop import checks
from playbook.workshop.answers import parse_number

__all__ = [
    "AnswerForm",
    "page_lang",
    "answer_form",
    "causes_form",
    "q4_target_form",
    "smart_kr_form",
    "tier_share_form",
    "tier_plays_form",
    "bottleneck_form",
    "objection_after_form",
    "plan_gain_form",
    "idp_priority_form",
    "pdca_verdicts_form",
]

_COLORS = {"right": "#1e8449", "not_yet": "#b9770e", "missing": "#566573"}
_ICONS = {"right": "✅", "not_yet": "🔁", "missing": "✏️"}
_WIDE = widgets.Layout(width="auto")
_STYLE = {"description_width": "initial"}


def page_lang(default: str = "en") -> str:
    """Return the page's language: ``?lang=`` of a Voila page address, else ``default``.

    Examples
    --------
    >>> page_lang("zh") in ("en", "zh")
    True
    """
    check_lang(default)
    lang = parse_qs(os.environ.get("QUERY_STRING", "")).get("lang", [default])[0]
    return lang if lang in LANGS else default


class AnswerForm(widgets.VBox):
    """A form: its ``fields`` (name -> widget), a Check button, the feedback and the debrief.

    ``answer()`` reads the fields as the check wants them; ``submit()`` (what the button
    does) checks, shows the verdict in ``feedback`` and, when right, the debrief in
    ``debrief``; ``result`` holds the last :class:`~playbook.workshop.checks.CheckResult`.
    """

    def __init__(self, exercise: str, fields: Mapping[str, widgets.Widget],
                 check: Callable[[Any], checks.CheckResult], *, lang: str = "en",
                 read: Callable[[Mapping[str, Any]], Any] | None = None,
                 debrief: Callable[[], Any] | None = None) -> None:
        check_lang(lang)
        self.exercise, self.fields, self.lang = exercise, dict(fields), lang
        self._check, self._read, self._debrief = check, read, debrief
        self.result: checks.CheckResult | None = None
        self.button = widgets.Button(description=t("workshop.form.check", lang), button_style="primary",
                                     icon="check")
        self.feedback = widgets.HTML(value="")
        self.debrief = widgets.Output()
        self.button.on_click(lambda _: self.submit())
        title = widgets.HTML(f"<b>{report.escape(t('workshop.form.title', lang))}</b>")
        super().__init__([title, *self.fields.values(), self.button, self.feedback, self.debrief])
        self.add_class("pb-answer-form")

    def answer(self) -> Any:
        """Return the answer as the check takes it."""
        values = {name: w.value for name, w in self.fields.items()}
        return self._read(values) if self._read else values

    def submit(self) -> checks.CheckResult:
        """Check the answer; show the verdict (and the debrief when right); return the result."""
        self.result = result = self._check(self.answer())
        fill_in = result.hint.endswith(".fill_in")  # the form has no None placeholders to replace
        shown = dataclasses.replace(result, hint="workshop.form.fill_in") if fill_in else result
        color = _COLORS[result.status]
        self.feedback.value = (f'<div class="pb-feedback pb-{result.status}" role="status" '
                               f'style="color:{color};font-weight:bold">{_ICONS[result.status]} '
                               f"{report.escape(shown.text())}</div>")
        self.debrief.outputs = ()
        if result.ok and self._debrief is not None:
            items = self._debrief()
            for item in items if isinstance(items, list | tuple) else [items]:
                self.debrief.append_display_data(item)
        return result


def _dropdown(label: str, options: Sequence[tuple[str, Any]], lang: str) -> widgets.Dropdown:
    return widgets.Dropdown(options=[(t("workshop.form.choose", lang), None), *options], value=None,
                            description=label, style=_STYLE, layout=_WIDE)


def _number_box(label: str, lang: str, hint_key: str) -> widgets.Text:
    return widgets.Text(value="", description=label, placeholder=t(hint_key, lang), style=_STYLE,
                        layout=widgets.Layout(width="32em"))


def answer_form(exercise: str, fields: Mapping[str, widgets.Widget], check: Callable[[Any], checks.CheckResult],
                *, lang: str = "en", read: Callable[[Mapping[str, Any]], Any] | None = None,
                debrief: Callable[[], Any] | None = None) -> AnswerForm:
    """Return an :class:`AnswerForm` (the builder the exercise forms below use)."""
    return AnswerForm(exercise, fields, check, lang=lang, read=read, debrief=debrief)


def _mapping_form(exercise: str, items: Sequence[str], item_prefix: str, options: Sequence[str],
                  option_prefix: str, check: Callable[..., checks.CheckResult], lang: str,
                  debrief: Callable[[], Any] | None) -> AnswerForm:
    choices = [(t(option_prefix + o, lang), o) for o in options]
    fields = {i: _dropdown(t(item_prefix + i, lang), choices, lang) for i in items}
    return answer_form(exercise, fields, lambda a: check(a, lang=lang), lang=lang, debrief=debrief)


def causes_form(*, lang: str = "en", debrief: Callable[[], Any] | None = None) -> AnswerForm:
    """Return the form of module 1: one cause per symptom, each chosen from a drop-down."""
    return _mapping_form("causes", checks.SYMPTOMS, "workshop.symptom.", checks.CAUSES, "workshop.cause.",
                         checks.check_causes, lang, debrief)


def tier_plays_form(*, lang: str = "en", debrief: Callable[[], Any] | None = None) -> AnswerForm:
    """Return the form of module 3B: one play per spend tier."""
    return _mapping_form("tier_plays", ("strategic", "growth", "basic"), "workshop.tier.", checks.TIER_PLAYS,
                         "workshop.play.", checks.check_tier_plays, lang, debrief)


def _single_number(exercise: str, label_key: str, hint_key: str, check: Callable[[Any], checks.CheckResult],
                   lang: str, debrief: Callable[[], Any] | None) -> AnswerForm:
    box = _number_box(t(label_key, lang), lang, hint_key)
    return answer_form(exercise, {exercise: box}, check, lang=lang, read=lambda v: v[exercise], debrief=debrief)


def q4_target_form(orders: pd.DataFrame, *, growth: float = 0.30, lang: str = "en",
                   debrief: Callable[[], Any] | None = None) -> AnswerForm:
    """Return the form of module 2A: the CNY the fourth quarter must bring (typed: ``64,200,000``, ``6420万``)."""
    return _single_number("q4_target", "workshop.form.q4_target", "workshop.form.money_hint",
                          lambda a: checks.check_q4_target(a, orders, growth=growth, lang=lang), lang, debrief)


def tier_share_form(orders: pd.DataFrame, *, as_of: object, lang: str = "en",
                    debrief: Callable[[], Any] | None = None) -> AnswerForm:
    """Return the form of module 3A: the strategic tier's share of net sales (``62%`` or ``0.62``)."""
    return _single_number("tier_share", "workshop.form.tier_share", "workshop.form.share_hint",
                          lambda a: checks.check_tier_share(a, orders, as_of=as_of, lang=lang), lang, debrief)


def objection_after_form(opportunities: pd.DataFrame, *, start: object, end: object, lang: str = "en",
                         debrief: Callable[[], Any] | None = None) -> AnswerForm:
    """Return the form of module 4B: the after quarter's objection rate (``18%`` or ``0.18``)."""
    return _single_number("objection_after", "workshop.form.objection_after", "workshop.form.share_hint",
                          lambda a: checks.check_objection_after(a, opportunities, start=start, end=end, lang=lang),
                          lang, debrief)


def bottleneck_form(opportunities: pd.DataFrame, *, start: object, end: object, as_of: object = None,
                    reps: pd.DataFrame | None = None, lang: str = "en",
                    debrief: Callable[[], Any] | None = None) -> AnswerForm:
    """Return the form of module 4A: the weakest funnel step, from a drop-down of the steps."""
    steps = [(t(f"funnel.step.{s}", lang), s) for s in funnel.STEPS]
    box = _dropdown(t("workshop.form.bottleneck", lang), steps, lang)
    return answer_form("bottleneck", {"bottleneck": box},
                       lambda a: checks.check_bottleneck(a, opportunities, start=start, end=end, as_of=as_of,
                                                         reps=reps, lang=lang),
                       lang=lang, read=lambda v: v["bottleneck"], debrief=debrief)


def plan_gain_form(tables: Mapping[str, pd.DataFrame], *, plan_a: object, plan_b: object, period: str,
                   team: str = "", lang: str = "en", debrief: Callable[[], Any] | None = None) -> AnswerForm:
    """Return the form of module 5: who gains most under plan B (a drop-down of the team's reps)."""
    reps = checks.team_slice(tables, team)["reps"]
    options = [(f"{n} ({r})", r) for r, n in zip(reps["rep_id"].astype(str), reps["name"].astype(str), strict=True)]
    box = _dropdown(t("workshop.form.plan_gain", lang), options, lang)
    return answer_form("plan_gain", {"plan_gain": box},
                       lambda a: checks.check_plan_gain(a, tables, plan_a=plan_a, plan_b=plan_b, period=period,
                                                        team=team, lang=lang),
                       lang=lang, read=lambda v: v["plan_gain"], debrief=debrief)


def idp_priority_form(evidence: pd.DataFrame, rep_id: str, *, lang: str = "en",
                      debrief: Callable[[], Any] | None = None) -> AnswerForm:
    """Return the form of module 6: the first development item (drop-down) and its target (slider)."""
    comps = idp.rep_levels(evidence, rep_id)["competency"].astype(str)
    options = [(_competency(c, lang), c) for c in comps]
    fields = {"competency": _dropdown(t("workshop.form.competency", lang), options, lang),
              "target_level": widgets.IntSlider(value=1, min=1, max=5, description=t("workshop.form.level", lang),
                                                style=_STYLE)}
    return answer_form("idp_priority", fields, lambda a: checks.check_idp_priority(a, evidence, rep_id, lang=lang),
                       lang=lang, debrief=debrief)


def _competency(key: str, lang: str) -> str:
    try:
        return t(f"competency.{key}", lang)
    except KeyError:
        return key


def pdca_verdicts_form(figures: pd.DataFrame, *, lang: str = "en",
                       key_results: Sequence[Mapping[str, Any]] = checks.PDCA_KEY_RESULTS,
                       debrief: Callable[[], Any] | None = None) -> AnswerForm:
    """Return the form of module 7: achieved or not, per key result (drop-downs)."""
    options = [(t("workshop.form.achieved", lang), True), (t("workshop.form.not_achieved", lang), False)]
    names = {str(kr["id"]): t(f"case.figure.{kr['figure']}", lang) for kr in key_results}
    fields = {kr: _dropdown(f"{kr} · {name}", options, lang) for kr, name in names.items()}
    return answer_form("pdca_verdicts", fields,
                       lambda a: checks.check_pdca_verdicts(a, figures, key_results=key_results, lang=lang),
                       lang=lang, debrief=debrief)


def _read_kr(values: Mapping[str, Any]) -> dict[str, Any]:
    out = {"id": "KR1.1", **{k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}}
    for k in ("baseline", "target"):
        number = parse_number(out.get(k))
        out[k] = number if number is not None else (out.get(k) or None)
    return {k: (v if v != "" else None) for k, v in out.items()}


def smart_kr_form(tables: Mapping[str, pd.DataFrame] | None = None, *, lang: str = "en",
                  debrief: Callable[[], Any] | None = None) -> AnswerForm:
    """Return the form of module 2B: a key result field by field (numbers as ``85%`` or ``0.85``)."""
    objectives = [(f"{o['id']} · {o['title'][lang]}", o["id"]) for o in case_data.CASE_OKR["objectives"]]

    def text(name: str, hint: str = "") -> widgets.Text:
        return widgets.Text(value="", description=t(f"workshop.form.kr.{name}", lang), style=_STYLE,
                            placeholder=t(hint, lang) if hint else "", layout=widgets.Layout(width="40em"))

    fields = {"objective": _dropdown(t("workshop.form.kr.objective", lang), objectives, lang),
              "title": text("title"), "metric": text("metric", "workshop.form.kr.metric_hint"),
              "baseline": text("baseline", "workshop.form.share_hint"),
              "target": text("target", "workshop.form.share_hint"),
              "deadline": text("deadline", "workshop.form.kr.deadline_hint"), "owner": text("owner")}
    return answer_form("smart_kr", fields, lambda a: checks.check_smart_kr(a, tables, lang=lang), lang=lang,
                       read=_read_kr, debrief=debrief)
