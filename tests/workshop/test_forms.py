"""The workshop answer forms: filled as a participant would (no code), in both languages.

Expected answers are the case figures of FACILITATOR.md (seed 7) and the answer key of
templates/workshop_solutions.yaml; numbers are typed as people type them.
"""

from __future__ import annotations

import pandas as pd
import pytest

from playbook import idp
from playbook.case import figures as case_figures
from playbook.core.labels import t
from playbook.data import case_study as case_data
from playbook.data import loading, sample
from playbook.workshop import answers, checks, forms


@pytest.fixture(scope="module")
def tables():
    return case_data.generate_case(seed=7)


def _fill(form, values):
    for name, value in values.items():
        form.fields[name].value = value
    return form.submit()


@pytest.mark.parametrize("text, expected", [
    ("64,182,981", 64_182_981.0), ("6418.3万", 64_183_000.0), ("6,418.3 万元", 64_183_000.0),
    ("¥64,182,981", 64_182_981.0), ("64 182 981", 64_182_981.0), ("64.18M", 64_180_000.0),
    ("62%", 0.62), ("６２％", 0.62), ("0.62", 0.62), ("0.6亿", 60_000_000.0), ("1,000", 1000.0),
])
def test_numbers_are_read_with_separators_and_units(text, expected):
    assert answers.parse_number(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["", "about 60", "1,2,3", "12 apples", "62%%", None, True])
def test_what_is_not_one_number_is_none(text):
    assert answers.parse_number(text) is None


def test_mapping_checks_take_chinese_and_english_labels():
    key = dict(checks.load_solutions()["causes"]["answer"])
    zh = {s: t(f"workshop.cause.{c}", "zh") for s, c in key.items()}
    en = {s: t(f"workshop.cause.{c}", "en").upper() for s, c in key.items()}
    assert checks.check_causes(zh, lang="zh").ok and checks.check_causes(en).ok
    assert checks.check_bottleneck(t("funnel.step.negotiation_to_deal", "zh"),
                                   case_data.generate_case(seed=7)["opportunities"], start="2023-01-01",
                                   end="2023-03-31", as_of=case_data.CASE_AS_OF).ok


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_judgement_forms_right_and_wrong(lang):
    key = dict(checks.load_solutions()["causes"]["answer"])
    form = forms.causes_form(lang=lang)
    assert _fill(form, key).ok
    assert t("workshop.status.right", lang) in form.feedback.value
    wrong = {**key, "new_hires_quit": "vague_targets"}
    assert _fill(form, wrong).status == "not_yet"
    assert t("workshop.symptom.new_hires_quit", lang) in form.feedback.value
    plays = forms.tier_plays_form(lang=lang)
    assert _fill(plays, dict(checks.load_solutions()["tier_plays"]["answer"])).ok
    labels = [label for label, _ in form.fields["renewal_drop"].options]
    assert t("workshop.cause.crude_operations", lang) in labels


@pytest.mark.parametrize("lang, typed", [("en", "64,182,981"), ("zh", "6418.3万")])
def test_number_forms(tables, lang, typed):
    q4 = forms.q4_target_form(tables["orders"], lang=lang)
    assert _fill(q4, {"q4_target": typed}).ok
    assert _fill(q4, {"q4_target": "50,000,000"}).status == "not_yet"
    assert _fill(q4, {"q4_target": "about fifty"}).hint == "workshop.hint.number"
    share = forms.tier_share_form(tables["orders"], as_of="2023-09-30", lang=lang)
    assert _fill(share, {"tier_share": "62%"}).ok and _fill(share, {"tier_share": "0.62"}).ok
    objection = forms.objection_after_form(tables["opportunities"], start="2023-07-01", end="2023-09-30", lang=lang)
    assert _fill(objection, {"objection_after": "17.8%"}).ok
    assert _fill(objection, {"objection_after": "35%"}).status == "not_yet"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_choice_forms(tables, lang):
    bottleneck = forms.bottleneck_form(tables["opportunities"], start="2023-01-01", end="2023-03-31",
                                       as_of=case_data.CASE_AS_OF, reps=tables["reps"], lang=lang)
    assert t("funnel.step.negotiation_to_deal", lang) in [label for label, _ in bottleneck.fields["bottleneck"].options]
    assert _fill(bottleneck, {"bottleneck": "negotiation_to_deal"}).ok
    assert _fill(bottleneck, {"bottleneck": "lead_to_intent"}).status == "not_yet"
    gain = forms.plan_gain_form(tables, plan_a="domain_marginal", plan_b="renewal_uplift", period="2023-Q3",
                                team="大客户部", lang=lang, debrief=lambda: "debrief")
    assert "吕勇 (S004)" in [label for label, _ in gain.fields["plan_gain"].options]
    assert _fill(gain, {"plan_gain": "S004"}).ok and gain.debrief.outputs
    figures = case_figures.case_figures(tables)
    pdca = forms.pdca_verdicts_form(figures, lang=lang)
    verdicts = {"KR1": True, "KR2": True, "KR3": True, "KR4": False, "KR5": False}  # FACILITATOR.md, module 7
    assert _fill(pdca, verdicts).ok
    assert _fill(pdca, {**verdicts, "KR4": True}).status == "not_yet"
    assert _fill(pdca, {**verdicts, "KR5": None}).status == "missing"


def test_smart_kr_form_in_chinese(tables):
    form = forms.smart_kr_form(tables, lang="zh")
    answer = {"objective": "O1", "title": "2023 年第三季度末前重点客户续约率从 68% 回到 85%",
              "metric": "key_account_renewal", "baseline": "68%", "target": "85%", "deadline": "2023-09-30",
              "owner": "销售总监"}
    assert _fill(form, answer).ok, form.feedback.value
    assert _fill(form, {**answer, "owner": ""}).status == "not_yet"


def test_idp_form_dropdown_and_slider():
    dataset = loading.load_inputs("data/sample")
    evidence = idp.dataset_evidence(dataset, as_of=pd.Timestamp(dataset.orders["order_date"].max()))
    rep = sample.SIGNALS.under_performer
    mine = idp.rep_evidence(evidence, rep)
    form = forms.idp_priority_form(mine, rep, lang="zh")
    assert t("competency.new_customer_development", "zh") in [label for label, _ in form.fields["competency"].options]
    assert _fill(form, {"competency": "new_customer_development", "target_level": 4}).ok
    assert _fill(form, {"competency": "new_customer_development", "target_level": 5}).status == "not_yet"


def test_page_lang_reads_the_query(monkeypatch):
    monkeypatch.setenv("QUERY_STRING", "lang=zh")
    assert forms.page_lang("en") == "zh"
    monkeypatch.setenv("QUERY_STRING", "lang=fr")
    assert forms.page_lang("en") == "en"


def test_every_exercise_has_a_form_and_the_method_cases_are_shown():
    import ast
    import json
    import re

    from playbook.case import worked
    from playbook.core import paths

    shown, forms_of, authority = [], {}, []
    for path in sorted((paths.NOTEBOOKS_DIR / "workshop").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        src = "".join("".join(c["source"]) for c in nb["cells"])
        for cell in nb["cells"]:
            form = cell["metadata"].get("workshop", {}).get("form")
            if form:
                forms_of[form] = path.name
        for found in re.findall(r'worked_cases\(\)\.query\("case in (\[.*?\])"\)', src):
            shown += ast.literal_eval(found)
        if "funnel.authority_check(" in src:
            authority.append(path.name)
    assert forms_of == {name: entry["notebook"] for name, entry in checks.load_solutions().items()}
    assert sorted(shown) == sorted(worked.WORKED_CASES)  # each case once
    assert authority == ["04_funnel_before_after.ipynb"]


def test_unit_slips_get_a_hint_the_form_can_follow(tables):
    q4 = forms.q4_target_form(tables["orders"], lang="zh")
    assert _fill(q4, {"q4_target": "6418.3"}).hint == "workshop.hint.in_cny"  # 万 forgotten
    assert "万" in q4.feedback.value
    share = forms.tier_share_form(tables["orders"], as_of="2023-09-30", lang="en")
    assert _fill(share, {"tier_share": "62"}).hint == "workshop.hint.as_share"
    assert "25%" in share.feedback.value
    assert _fill(share, {"tier_share": ""}).status == "missing"
    assert t("workshop.form.fill_in", "en") in share.feedback.value  # not "replace the None placeholders"
