import textwrap
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playbook import idp
from playbook.core.errors import InputError, MissingColumnsError, ParameterError, PlaybookWarning, ValidationError
from playbook.core.labels import catalogue as labels
from playbook.core.schema import COMPETENCIES
from playbook.idp import (
    EVIDENCE_COLUMNS,
    PLAN_ITEM_COLUMNS,
    Plan,
    PlanRules,
    draft_plan,
    latest_levels,
    leave_one_out_stats,
    load_catalogue,
    parse_catalogue,
    plan_issues,
    team_evidence,
    validate_plan,
)
from playbook.present import idp as present_idp
from playbook.present.idp import plan_to_html_table, word_plan

WORKED_LEVELS = {"product_knowledge": 4, "customer_communication": 3, "market_awareness": 4,
                 "new_customer_development": 2}
WORKED_STRENGTHS = ["合作意识强", "乐于帮助同事", "学习意愿强", "客户认可其服务态度"]


def worked_evidence(**extra):
    """The rep of the source's worked example, as a hand-made one-row evidence frame.

    Five peers (the source's 销售专员 selling 280k..360k) stand behind every anonymous
    figure: below that, peer figures are hidden (see TestSmallGroups).
    """
    row = {"rep_id": "D1", "name": "董某某", "role": "销售专员", "team": "销售部", "supervisor_name": "那某某",
           "quota": 200_000.0, "actual": 219_000.0, "peer_mean": 320_000.0, "peer_count": 5,
           "team_peer_count": 5, "leak_peer_count": 5}
    row.update(extra)
    return pd.DataFrame({k: [v] for k, v in row.items()})


def drafted(evidence, rep_id, *, lang="en", **options):
    """The plan people see: :func:`draft_plan` worded by :func:`word_plan`."""
    return word_plan(draft_plan(evidence, rep_id, **options), lang)


def months(series):
    return series.dt.strftime("%Y-%m").tolist()


# --------------------------------------------------------------------------- golden test
class TestWorkedExample:
    """domain.md, section 5: the IDP of 董某某 (plan of 2011-11-25)."""

    def test_items_levels_and_review_months(self):
        plan = drafted(worked_evidence(), "D1", levels=WORKED_LEVELS, plan_date="2011-11-25", lang="zh",
                       strengths=WORKED_STRENGTHS)
        items = plan.items
        # source table: 4->5, 3->5, 4->5, 2->4; reviews 2012-03, 2012-06, 2012-03, 2012-06
        assert items["competency"].tolist() == list(WORKED_LEVELS)
        assert items["current_level"].tolist() == [4, 3, 4, 2]
        assert items["target_level"].tolist() == [5, 5, 5, 4]
        assert months(items["review_date"]) == ["2012-03", "2012-06", "2012-03", "2012-06"]

    def test_measures_and_resources_follow_the_source(self):
        plan = drafted(worked_evidence(), "D1", levels=WORKED_LEVELS, plan_date="2011-11-25", lang="zh")
        measures = [m.split("\n") for m in plan.items["measures"]]
        resources = [r.split("\n") for r in plan.items["resources"]]
        # source: read, product training course, ask colleagues | books, training time
        assert measures[0] == ["阅读产品手册和相关书籍", "参加产品培训课程", "遇到产品问题主动向同事请教"]
        assert resources[0] == ["书籍", "培训时间"]
        # "effective communication" training, customer feedback, top reps' meetings, reading
        assert len(measures[1]) == 4 and "有效沟通" in measures[1][0]
        assert resources[1] == ["培训时间", "其他部门的支持", "书籍"]
        # training, market and competitor news, strong colleagues | training time, other departments
        assert resources[2] == ["培训时间", "其他部门的支持"]
        # learn from experienced reps, course, reading | coaching by colleagues, training time, books
        assert resources[3] == ["同事辅导", "培训时间", "书籍"]

    def test_header(self):
        plan = drafted(worked_evidence(), "D1", levels=WORKED_LEVELS, plan_date="2011-11-25", lang="zh",
                       strengths=WORKED_STRENGTHS)
        assert (plan.rep_name, plan.position, plan.department, plan.supervisor_name) == (
            "董某某", "销售专员", "销售部", "那某某")
        assert plan.plan_date == pd.Timestamp("2011-11-25")
        assert (plan.quota, plan.actual, plan.peer_mean) == (200_000.0, 219_000.0, 320_000.0)
        # the supervisor's words first, then "quota met" (219/200 = 109.5% -> "110%")
        assert plan.strengths == (*WORKED_STRENGTHS, "完成指标（年初至今达成 110%）")
        # 219/320 = 68%
        assert "68%" in plan.summary and "32.00\xa0万元" in plan.summary

    def test_html_in_the_source_layout(self):
        plan = drafted(worked_evidence(), "D1", levels=WORKED_LEVELS, plan_date="2011-11-25", lang="zh")
        html = plan_to_html_table(plan)
        heads = ["有待发展项目", "发展原因", "目前水平", "期望水平", "发展措施", "所需资源", "评估时间"]
        positions = [html.index(f"<th>{h}</th>") for h in heads]
        assert positions == sorted(positions)
        assert "<td>开发新客户</td>" in html and '<td class="idp-num">2012-06</td>' in html

    def test_through_team_evidence(self):
        """The same example computed from raw tables: 5 peers selling 280k..360k (mean 320k)."""
        ids = ["S", "D", "P1", "P2", "P3", "P4", "P5"]
        reps = pd.DataFrame({
            "rep_id": ids, "name": ["那某某", "董某某", "甲", "乙", "丙", "丁", "戊"], "team": "销售部",
            "role": ["销售经理"] + ["销售专员"] * 6, "manager_id": [None] + ["S"] * 6,
            "hire_date": pd.to_datetime(["2008-01-01"] * 7), "leave_date": pd.to_datetime([None] * 7)})
        amounts = {"D": [100_000.0, 119_000.0], "P1": [280_000.0], "P2": [300_000.0], "P3": [320_000.0],
                   "P4": [340_000.0], "P5": [360_000.0], "S": [50_000.0]}
        rows = [(r, a) for r, amts in amounts.items() for a in amts]
        orders = pd.DataFrame({"order_id": [f"o{i}" for i in range(len(rows))],
                               "customer_id": [f"c{i}" for i in range(len(rows))],
                               "rep_id": [r for r, _ in rows], "order_date": pd.Timestamp("2011-06-15"),
                               "amount": [a for _, a in rows]})
        quotas = pd.DataFrame({"rep_id": "D", "month": pd.date_range("2011-01-01", periods=10, freq="MS"),
                               "quota": 20_000.0})
        assessments = pd.DataFrame({"rep_id": "D", "competency": list(WORKED_LEVELS),
                                    "level": list(WORKED_LEVELS.values()), "rater": "manager",
                                    "assessed_date": pd.Timestamp("2011-11-20")})
        ev = team_evidence(orders, reps, quotas, assessments=assessments, as_of="2011-11-25")
        row = ev.set_index("rep_id").loc["D"]
        assert (row["quota"], row["actual"], row["peer_count"], row["peer_mean"], row["peer_median"]) == (
            200_000.0, 219_000.0, 5, 320_000.0, 320_000.0)
        assert row["supervisor_name"] == "那某某"
        plan = drafted(ev, "D", plan_date="2011-11-25", lang="zh")
        assert plan.items["competency"].tolist() == list(WORKED_LEVELS)
        assert plan.items["target_level"].tolist() == [5, 5, 5, 4]
        assert months(plan.items["review_date"]) == ["2012-03", "2012-06", "2012-03", "2012-06"]
        assert plan.items["why"][0].startswith("上级评定 4/5 级")


# --------------------------------------------------------------------------- the draft as data
class TestDraftData:
    """draft_plan keeps no language: reasons, measures and resources are codes and figures."""

    def test_worked_example_as_data(self):
        draft = draft_plan(worked_evidence(), "D1", levels=WORKED_LEVELS, plan_date="2011-11-25",
                           strengths=[" 合作意识强 ", ""])
        items = draft.items
        assert list(items.columns) == idp.DRAFT_ITEM_COLUMNS
        assert items["measures"][0] == ("read", "course", "ask")
        assert items["resources"][0] == ("books", "training_time")
        assert items["source"].tolist() == ["", "", "", ""]  # levels given as a mapping
        assert (draft.given_strengths, draft.strong_levels, draft.quota_met) == (("合作意识强",), (), True)
        assert draft.attainment == pytest.approx(1.095)
        # no peer median: the sales are compared with the peers' mean, 219 / 320
        assert (draft.peer_basis, draft.peer_ratio) == ("mean", pytest.approx(219 / 320))

    def test_signals_and_leaks_are_codes_with_figures(self):
        ev = evidence_with_levels({"new_customer_development": 3, "negotiation": 4}, new_customers=3,
                                  peer_new_customers_median=10.0)
        ev["leak_step__negotiation"] = pd.array(["negotiation_to_deal"], dtype="string")
        ev["leak_rate__negotiation"], ev["leak_peer_rate__negotiation"] = 0.25, 0.5
        items = draft_plan(ev, "D1", plan_date="2025-01-10").items.set_index("competency")
        assert items.loc["new_customer_development", "signals"] == ("new_customers",)
        assert items.loc["negotiation", ["source", "leak_step", "leak_rate", "leak_peer_rate"]].tolist() == [
            "manager", "negotiation_to_deal", 0.25, 0.5]

    @pytest.mark.parametrize("lang", ["en", "zh"])
    def test_the_same_draft_in_each_language(self, lang):
        draft = draft_plan(worked_evidence(), "D1", levels=WORKED_LEVELS, plan_date="2011-11-25")
        plan = word_plan(draft, lang)
        assert plan.lang == lang
        cat = load_catalogue()
        first = cat.competencies["product_knowledge"]
        assert plan.items["measures"][0].split("\n") == [m.text[lang] for m in first.measures if m.default][:3]
        assert plan.items["why"][0].endswith(first.levels[4][lang].rstrip(".。"))
        pd.testing.assert_frame_equal(plan.items[["competency", "current_level", "target_level", "review_date"]],
                                      word_plan(draft, "en").items[["competency", "current_level",
                                                                   "target_level", "review_date"]])


# --------------------------------------------------------------------------- draft rules
def evidence_with_levels(levels, **extra):
    cols = {f"level__{k}": pd.array([v], dtype="Int64") for k, v in levels.items()}
    cols.update({f"manager_level__{k}": pd.array([v], dtype="Int64") for k, v in levels.items()})
    return pd.concat([worked_evidence(**extra), pd.DataFrame(cols)], axis=1)


class TestDraftRules:
    @pytest.mark.parametrize(("current", "target", "review"), [
        (1, 3, "2012-06"), (2, 4, "2012-06"), (3, 5, "2012-06"), (4, 5, "2012-03")],
        ids=["1->3", "2->4", "3->5", "4->5"])
    def test_target_is_current_plus_two_capped_at_five(self, current, target, review):
        # target = min(5, current + 2); review = plan month + 4 months + 3 per extra level
        plan = drafted(worked_evidence(), "D1", levels={"negotiation": current}, plan_date="2011-11-25")
        assert plan.items["target_level"].tolist() == [target]
        assert months(plan.items["review_date"]) == [review]

    def test_level_five_is_never_an_item(self):
        plan = drafted(worked_evidence(), "D1", levels={"negotiation": 5}, plan_date="2011-11-25")
        assert plan.items.empty and list(plan.items.columns) == PLAN_ITEM_COLUMNS
        assert "Negotiation: level 5 of 5" in plan.strengths

    def test_strengths_never_name_a_development_item(self):
        # issue 18: product knowledge (4) and market awareness (4) are development items of the worked
        # example, so "level 4 of 5" must not make them strengths too; negotiation at 4 and not an item is one.
        # The supervisor's "产品知识扎实" names the item product knowledge (its zh name 产品知识): dropped.
        levels = {**WORKED_LEVELS, "negotiation": 4}
        plan = drafted(worked_evidence(), "D1", levels=levels, plan_date="2011-11-25", max_items=4, lang="zh",
                       strengths=["合作意识强", "产品知识扎实", "Good at market awareness"])
        assert plan.items["competency"].tolist() == ["product_knowledge", "customer_communication",
                                                     "market_awareness", "new_customer_development"]
        assert plan.strengths == ("合作意识强", "谈判能力：4/5 级", "完成指标（年初至今达成 110%）")
        assert plan_issues(plan).empty
        # a hand edit that lists an item as a strength is a problem of the plan, worded in both languages
        edited = replace(plan, strengths=("合作意识强", "Customer communication: level 3 of 5"))
        issues = plan_issues(edited)
        assert issues[["row", "column", "code", "value", "against"]].astype(object).values.tolist() == [
            [pd.NA, "strengths", "strength_is_item", "Customer communication: level 3 of 5", "2"]]
        assert present_idp.word_plan_issues(issues, "en")["message"].tolist() == [
            "The strength \u201cCustomer communication: level 3 of 5\u201d is development item 2 of this plan: a "
            "competency is a strength or an item, not both; remove it from the strengths or from the items."]
        assert present_idp.word_plan_issues(issues, "zh")["message"].tolist() == [
            "优势\u201cCustomer communication: level 3 of 5\u201d是本计划的第 2 项发展项目："
            "同一能力不能既是优势又是待发展项目；请从优势或发展项目中删去。"]
        with pytest.raises(ValidationError, match="strengths: strength_is_item"):
            validate_plan(edited)

    def test_max_items_keeps_the_largest_gaps_in_catalogue_order(self):
        levels = {"product_knowledge": 4, "customer_communication": 2, "market_awareness": 3,
                  "negotiation": 1, "customer_retention": 3}
        plan = drafted(worked_evidence(), "D1", levels=levels, plan_date="2025-01-10", max_items=3)
        # gaps 4 (negotiation), 3 (communication), 2 and 2 (market awareness first in the catalogue)
        assert plan.items["competency"].tolist() == ["customer_communication", "market_awareness", "negotiation"]
        by_priority = drafted(worked_evidence(), "D1", levels=levels, plan_date="2025-01-10", max_items=3,
                              rules={"order": "priority"})
        assert by_priority.items["competency"].tolist() == ["negotiation", "customer_communication",
                                                            "market_awareness"]

    def test_a_funnel_leak_raises_priority_and_is_explained(self):
        ev = evidence_with_levels({"product_knowledge": 3, "negotiation": 4})
        ev["leak_step__negotiation"] = pd.array(["negotiation_to_deal"], dtype="string")
        ev["leak_rate__negotiation"], ev["leak_peer_rate__negotiation"] = 0.25, 0.5
        plan = drafted(ev, "D1", plan_date="2025-01-10", max_items=1)
        # priorities: product knowledge 5-3 = 2; negotiation 5-4 + leak weight 2 = 3
        assert plan.items["competency"].tolist() == ["negotiation"]
        assert "Negotiation → deal: 25% against 50% for peers" in plan.items["why"][0]

    def test_few_new_customers_point_at_new_customer_development(self):
        levels = {"new_customer_development": 4, "needs_diagnosis": 3}
        ev = evidence_with_levels(levels, new_customers=3, peer_new_customers_median=10.0)
        plan = drafted(ev, "D1", plan_date="2025-01-10", max_items=1)
        # 3 < 0.8 x 10: priority 1 + 1 = 2 ties needs diagnosis (2); new-customer development comes first
        assert plan.items["competency"].tolist() == ["new_customer_development"]
        assert "3 new customers this year against a peers' median of 10" in plan.items["why"][0]
        fine = drafted(evidence_with_levels(levels, new_customers=9, peer_new_customers_median=10.0), "D1",
                       plan_date="2025-01-10", max_items=1)
        # 9 >= 0.8 x 10: no signal, so needs diagnosis (priority 2) beats new customers (1)
        assert fine.items["competency"].tolist() == ["needs_diagnosis"]

    def test_low_repurchase_points_at_customer_retention(self):
        ev = evidence_with_levels({"customer_retention": 4, "negotiation": 4}, repurchase_rate=0.4,
                                  peer_repurchase_median=0.8)
        plan = drafted(ev, "D1", plan_date="2025-01-10", max_items=1)
        assert plan.items["competency"].tolist() == ["customer_retention"]
        # 4 -> 5: 4-month horizon; only the 3-month default measure fits (the others take 6)
        assert plan.items["measures"][0] == "Send a value-proof plan within 30 days after each deal"

    def test_rules_are_configurable(self):
        plan = drafted(worked_evidence(), "D1", levels={"negotiation": 2}, plan_date="2025-01-10",
                       rules={"target_step": 1, "first_level_months": 2})
        assert plan.items["target_level"].tolist() == [3]
        assert months(plan.items["review_date"]) == ["2025-03"]
        with pytest.raises(InputError, match=r"rules.target_step: -1 is not valid; expected a whole number >= 0"):
            drafted(worked_evidence(), "D1", levels={"negotiation": 2}, plan_date="2025-01-10",
                    rules={"target_step": -1})

    def test_no_measure_fits_the_horizon_takes_the_shortest(self):
        cat = parse_catalogue(catalogue_dict(measures=[measure("slow", 12), measure("slower", 18)]))
        plan = drafted(worked_evidence(), "D1", levels={"grit": 4}, plan_date="2025-01-10", catalogue=cat)
        assert plan.items["measures"].tolist() == ["slow"]

    def test_self_assessment_is_the_fallback_and_said_so(self):
        ev = worked_evidence()
        ev["level__negotiation"] = pd.array([2], dtype="Int64")
        ev["self_level__negotiation"] = pd.array([2], dtype="Int64")
        plan = drafted(ev, "D1", plan_date="2025-01-10")
        assert plan.items["why"][0].startswith("Self-assessed 2 of 5 (no supervisor rating yet)")

    def test_unknown_competency_warns_and_is_left_out(self):
        with pytest.warns(PlaybookWarning, match="left out of the plan: charisma"):
            plan = drafted(worked_evidence(), "D1", levels={"charisma": 2, "negotiation": 3},
                           plan_date="2025-01-10")
        assert plan.items["competency"].tolist() == ["negotiation"]

    def test_plan_date_defaults_to_the_evidence_date(self):
        plan = drafted(worked_evidence(as_of=pd.Timestamp("2025-09-30")), "D1", levels={"negotiation": 3})
        assert plan.plan_date == pd.Timestamp("2025-09-30")
        with pytest.raises(ParameterError, match="plan_date"):
            drafted(worked_evidence(), "D1", levels={"negotiation": 3})

    @pytest.mark.parametrize(("kwargs", "match"), [
        ({"rep_id": "X"}, r"parameter rep_id='X' is not valid: expected a rep_id of the data \(e.g. D1\)"),
        ({"max_items": 0}, r"parameter max_items=0 is not valid"),
        ({"lang": "fr"}, r"parameter lang='fr'"),
        ({"levels": {"negotiation": 7}},
         r"parameter levels=\{'negotiation': 7\} is not valid: expected whole levels from 1 to 5"),
    ], ids=["rep", "max_items", "lang", "levels"])
    def test_bad_parameters(self, kwargs, match):
        args = {"rep_id": "D1", "levels": {"negotiation": 3}, "plan_date": "2025-01-10"} | kwargs
        rep_id = args.pop("rep_id")
        with pytest.raises(ParameterError, match=match):
            drafted(worked_evidence(), rep_id, **args)

    def test_input_is_not_mutated(self):
        ev = evidence_with_levels(WORKED_LEVELS)
        before = ev.copy()
        drafted(ev, "D1", plan_date="2011-11-25")
        pd.testing.assert_frame_equal(ev, before)


# --------------------------------------------------------------------------- plan validation
def good_items():
    return pd.DataFrame({
        "competency": ["negotiation", "market_awareness"], "why": ["", ""], "current_level": [3, 4],
        "target_level": [5, 5], "measures": ["Course", "Read"], "resources": ["", ""],
        "review_date": pd.to_datetime(["2026-05-01", "2026-02-01"])})


def plan_with(changes=None):
    items = good_items()
    for (row, col), value in (changes or {}).items():
        items[col] = items[col].astype("object")
        items.at[row, col] = value
    return Plan("R1", plan_date=pd.Timestamp("2025-10-08"), items=items)


class TestValidation:
    def test_a_good_plan_passes(self):
        plan = validate_plan(plan_with(), rep_ids=["R1"])
        assert plan.items["current_level"].dtype == "Int64"
        assert plan_issues(plan_with()).empty

    @pytest.mark.parametrize(("change", "code", "message"), [
        ({(0, "current_level"): 6}, "level_out_of_range",
         "Item 1: the level 6 is not a whole number from 1 to 5; enter 1–5."),
        ({(1, "target_level"): "high"}, "level_out_of_range",
         "Item 2: the level high is not a whole number from 1 to 5; enter 1–5."),
        ({(0, "target_level"): 2}, "target_below_current",
         "Item 1: the target level 2 is below the current level 3; expected ≥ 3."),
        ({(1, "review_date"): pd.Timestamp("2025-09-01")}, "review_in_past",
         "Item 2: the review date 2025-09-01 is not after the plan date 2025-10-08; set a later review date."),
        ({(1, "review_date"): "soon"}, "missing_review_date",
         "Item 2: the review date soon is missing or not a date; enter YYYY-MM-DD."),
        ({(0, "measures"): "  "}, "empty_measures", "Item 1: no development measure; write at least one measure."),
        ({(1, "competency"): "Negotiation"}, "duplicate_item",
         "Item 2: Negotiation is already item 1; merge the two rows."),
        ({(0, "competency"): ""}, "empty_item",
         "Item 1: no development item named; choose a competency or delete the row."),
    ], ids=["level", "level-text", "target", "review-past", "review-missing", "measures", "duplicate", "empty"])
    def test_each_problem(self, change, code, message):
        issues = plan_issues(plan_with(change))
        assert issues["code"].tolist() == [code]
        assert present_idp.word_plan_issues(issues, "en")["message"].tolist() == [message]
        with pytest.raises(ValidationError, match="The plan of R1 has 1 problem"):
            validate_plan(plan_with(change))
        with pytest.raises(ValidationError, match="The plan of R1 has 1 problem") as info:
            present_idp.check_plan(plan_with(change))
        assert info.value.issues["message"].tolist() == [message]

    def test_unknown_rep_and_missing_plan_date(self):
        plan = Plan("R9", plan_date=None, items=good_items())
        issues = plan_issues(plan, rep_ids=["R1", "R2"])
        assert issues["code"].tolist() == ["unknown_rep", "missing_plan_date"]
        assert present_idp.word_plan_issues(issues)["message"][0] == (
            "The rep R9 is not in the data; choose a rep_id from the reps table.")

    def test_all_problems_at_once_in_chinese(self):
        plan = plan_with({(0, "current_level"): 0, (1, "measures"): "", (1, "competency"): "negotiation"})
        with pytest.raises(ValidationError) as info:
            present_idp.check_plan(plan, lang="zh")
        assert info.value.issues["code"].tolist() == ["level_out_of_range", "empty_measures", "duplicate_item"]
        assert str(info.value).splitlines()[0] == "R1 的计划有 3 个问题:"
        assert "第 2 项：negotiation 与第 1 项重复；请合并这两行。" in str(info.value)

    def test_messages_default_to_the_plans_language(self):
        plan = replace(plan_with({(0, "measures"): ""}), lang="zh")
        with pytest.raises(ValidationError) as info:
            present_idp.check_plan(plan)
        assert str(info.value) == "R1 的计划有 1 个问题:\n  - 第 1 项：没有发展措施；请至少填写一项措施。"

    def test_missing_columns(self):
        plan = Plan("R1", plan_date=pd.Timestamp("2025-10-08"), items=good_items().drop(columns="measures"))
        with pytest.raises(MissingColumnsError, match="plan items: missing required column"):
            plan_issues(plan)


# --------------------------------------------------------------------------- catalogue
def measure(text, months=2, resources=(), default=True):
    return {"key": text, "en": text, "zh": f"中{text}", "months": months, "resources": list(resources),
            "default": default}


def catalogue_dict(**comp_changes):
    comp = {"name": {"en": "Grit", "zh": "毅力"},
            "levels": {i: {"en": f"L{i}", "zh": f"等级{i}"} for i in range(1, 6)},
            "measures": [measure("Run")]}
    comp.update(comp_changes)
    return {"resources": {"books": {"en": "Books", "zh": "书籍"}}, "competencies": {"grit": comp}}


class TestCatalogue:
    def test_shipped_catalogue(self):
        cat = load_catalogue()
        assert set(COMPETENCIES) <= set(cat.keys)
        assert {"solution_demo", "pipeline_discipline"} <= set(cat.keys)
        for key in cat.keys:
            assert f"competency.{key}" in labels()
            comp = cat.competencies[key]
            assert sorted(comp.levels) == [1, 2, 3, 4, 5]
            assert all(m.months > 0 and m.text["zh"] for m in comp.measures)

    @pytest.mark.parametrize(("change", "message"), [
        ({"name": {"en": "Grit"}}, "competencies.grit.name: missing the 'zh' text."),
        ({"levels": {i: {"en": "x", "zh": "甲"} for i in (1, 2, 3, 5)}},
         "competencies.grit.levels: missing level(s) 4; describe each level 1-5."),
        ({"measures": [measure("Run", months=0)]},
         "competencies.grit.measures[1].months: 0 is not valid; expected a typical duration in months > 0."),
        ({"measures": [measure("Run", resources=["coach"])]},
         "competencies.grit.measures[1].resources: unknown resource 'coach'; add it under 'resources' "
         "(known: books)."),
        ({"measures": [measure("Run", default=False)]},
         "competencies.grit.measures: mark at least one measure 'default: true' (proposed in drafts)."),
        ({"measures": []}, "competencies.grit.measures: expected a list of at least one measure."),
    ], ids=["name", "levels", "months", "resource", "default", "no-measures"])
    def test_each_problem_is_named(self, change, message):
        with pytest.raises(InputError) as info:
            parse_catalogue(catalogue_dict(**change))
        assert f"  - {message}" in str(info.value).splitlines()

    def test_all_problems_at_once(self):
        data = catalogue_dict(name={"en": "Grit"}, measures=[measure("Run", months=-1)])
        data["rules"] = {"target_step": "two", "speed": 3}
        with pytest.raises(InputError, match=r"catalogue: 4 problem\(s\) in the competency catalogue"):
            parse_catalogue(data)

    def test_file_errors(self, write_file):
        with pytest.raises(ParameterError, match="parameter catalogue='nope.yaml' is not valid"):
            load_catalogue("nope.yaml")
        bad = write_file("bad.yaml", "competencies: [unclosed\n")
        with pytest.raises(InputError, match="not valid YAML"):
            load_catalogue(bad)
        good = write_file("good.yaml", textwrap.dedent("""
            resources: {books: {en: Books, zh: 书籍}}
            rules: {target_step: 1}
            competencies:
              grit:
                name: {en: Grit, zh: 毅力}
                levels: {1: {en: a, zh: 甲}, 2: {en: b, zh: 乙}, 3: {en: c, zh: 丙}, 4: {en: d, zh: 丁},
                         5: {en: e, zh: 戊}}
                measures: [{key: run, en: Run, zh: 跑步, months: 2, resources: [books], default: true}]
            """))
        cat = load_catalogue(good)
        assert cat.keys == ("grit",) and cat.rules.target_step == 1
        assert present_idp.catalogue_frame(cat, lang="zh")["resources"].tolist() == ["书籍"]


# --------------------------------------------------------------------------- evidence
class TestEvidence:
    def test_latest_levels_prefers_the_manager(self):
        a = pd.DataFrame({
            "rep_id": ["R1", "R1", "R1", "R1", "R1", "R2"],
            "competency": ["negotiation"] * 4 + ["product_knowledge", "negotiation"],
            "level": [2, 3, 5, 4, 4, 1], "rater": ["manager", "self", "manager", "peer", "self", "Manager "],
            "assessed_date": pd.to_datetime(["2024-06-01", "2024-12-01", "2025-12-01", "2024-12-01",
                                             "2024-12-01", "2024-12-01"])})
        out = latest_levels(a, as_of="2025-06-30")  # the 2025-12 rating is after as_of; peers are ignored
        expected = pd.DataFrame({
            "rep_id": ["R1", "R1", "R2"], "competency": ["negotiation", "product_knowledge", "negotiation"],
            "level": pd.array([2, 4, 1], dtype="Int64"), "manager_level": pd.array([2, None, 1], dtype="Int64"),
            "self_level": pd.array([3, 4, None], dtype="Int64"),
            "assessed_date": pd.to_datetime(["2024-06-01", "2024-12-01", "2024-12-01"])})
        pd.testing.assert_frame_equal(out, expected, check_dtype=False)

    def test_leave_one_out_hides_small_groups(self):
        v = pd.Series([10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 5.0])
        g = pd.Series(["a"] * 6 + ["b"])
        out = leave_one_out_stats(v, g)  # min_group 5: group a has 5 others, b none
        assert out["peer_count"].tolist() == [5, 5, 5, 5, 5, 5, 0]
        # rep 0's peers: 20..60 -> mean 40, quartiles 30, 40, 50
        assert out.loc[0, ["peer_mean", "peer_q1", "peer_median", "peer_q3"]].tolist() == [40.0, 30.0, 40.0, 50.0]
        assert out.loc[6].drop("peer_count").isna().all()
        ineligible = leave_one_out_stats(v, g, eligible=pd.Series([False] + [True] * 6))
        # rep 0 is not a peer of anyone: the others have 4 peers (hidden); rep 0 sees all 5
        assert ineligible["peer_count"].tolist() == [5, 4, 4, 4, 4, 4, 0]
        assert ineligible["peer_median"].isna().tolist() == [False] + [True] * 6

    @settings(max_examples=60, deadline=None)
    @given(st.lists(st.tuples(st.sampled_from("abc"), st.floats(0, 1e6), st.booleans()), min_size=1, max_size=25),
           st.integers(1, 4))
    def test_leave_one_out_matches_a_naive_loop(self, rows, min_group):
        groups = pd.Series([r[0] for r in rows])
        values = pd.Series([r[1] for r in rows])
        eligible = pd.Series([r[2] for r in rows])
        out = leave_one_out_stats(values, groups, eligible=eligible, min_group=min_group)
        for i in range(len(rows)):
            others = [values[j] for j in range(len(rows)) if j != i and eligible[j] and groups[j] == groups[i]]
            assert out["peer_count"][i] == len(others)
            if len(others) >= min_group:
                np.testing.assert_allclose(out.loc[i, ["peer_q1", "peer_median", "peer_q3"]].astype(float),
                                           np.quantile(others, [0.25, 0.5, 0.75]), rtol=1e-9, atol=1e-6)
                np.testing.assert_allclose(out["peer_mean"][i], np.mean(others), rtol=1e-9, atol=1e-6)
            else:
                assert np.isnan(out["peer_median"][i])

    def team(self):
        ids = [f"R{i}" for i in range(8)]
        reps = pd.DataFrame({
            "rep_id": ids, "name": [f"N{i}" for i in range(8)], "team": ["A"] * 7 + ["B"],
            "role": ["rep"] * 8, "manager_id": None,
            "hire_date": pd.to_datetime(["2020-01-01"] * 6 + ["2025-03-01", "2020-01-01"]),
            "leave_date": pd.to_datetime([None] * 8)})
        # 2024 customers C0, C1 of R0; in 2025 R0 sells to C0 again and to a new C9
        orders = pd.DataFrame({
            "order_id": [f"o{i}" for i in range(12)],
            "customer_id": ["C0", "C1", "C0", "C9", "D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8"],
            "rep_id": ["R0", "R0", "R0", "R0", "R1", "R2", "R3", "R4", "R5", "R6", "R7", "R7"],
            "order_date": pd.to_datetime(["2024-05-01", "2024-06-01"] + ["2025-04-01"] * 10),
            "amount": [10.0, 10.0, 50.0, 50.0, 200.0, 300.0, 400.0, 500.0, 600.0, 5.0, 700.0, 800.0]})
        return reps, orders

    def test_team_evidence_peers_and_privacy(self):
        reps, orders = self.team()
        ev = team_evidence(orders, reps, as_of="2025-06-30", competencies=["negotiation"])
        assert list(ev.columns) == idp.evidence_columns(["negotiation"])
        row = ev.set_index("rep_id").loc["R0"]
        # peers of R0: R1..R5 and R7 (same role, employed all year; R6 hired in March): 200..600, 1500
        assert row["peer_count"] == 6
        assert row["peer_median"] == 450.0 and row["peer_mean"] == pytest.approx(3500 / 6)
        # R0 kept C0 of his two 2024 customers
        assert row["repurchase_rate"] == 0.5
        assert row["new_customers"] == 1
        r6 = ev.set_index("rep_id").loc["R6"]
        assert r6["active"] and r6["peer_count"] == 7  # a new hire is compared with everyone eligible
        # a rep's slice carries no other rep's name or figure
        mine = idp.rep_evidence(ev, "R0")
        others = reps.loc[reps["rep_id"] != "R0", "name"].tolist()
        text = mine.astype(str).to_string()
        assert not any(n in text.split() for n in others)

    def test_team_median_of_levels_hidden_below_five(self):
        reps, orders = self.team()
        assessments = pd.DataFrame({"rep_id": reps["rep_id"], "competency": "negotiation",
                                    "level": [1, 2, 3, 4, 5, 3, 2, 5], "rater": "manager",
                                    "assessed_date": pd.Timestamp("2025-01-10")})
        ev = team_evidence(orders, reps, as_of="2025-06-30", assessments=assessments,
                           competencies=["negotiation"]).set_index("rep_id")
        # team A others of R0: 2, 3, 4, 5, 3, 2 -> median 3; team B (one rep) hidden
        assert ev.loc["R0", "team_median__negotiation"] == 3.0
        assert np.isnan(ev.loc["R7", "team_median__negotiation"])
        assert ev.loc["R0", "level__negotiation"] == 1

    def test_leaks_become_competency_columns(self):
        reps, orders = self.team()
        leaks = pd.DataFrame({"rep_id": ["R0"], "step": ["negotiation_to_deal"], "competency": ["negotiation"],
                              "rep_rate": [0.2], "peer_rate": [0.5]})
        ev = team_evidence(orders, reps, as_of="2025-06-30", leaks=leaks, competencies=["negotiation"])
        row = ev.set_index("rep_id").loc["R0"]
        assert (row["leak_steps"], row["leak_step__negotiation"], row["leak_rate__negotiation"]) == (
            "negotiation_to_deal", "negotiation_to_deal", 0.2)
        assert ev["funnel_checked"].all()

    def test_peer_comparison_and_levels(self):
        reps, orders = self.team()
        ev = team_evidence(orders, reps, as_of="2025-06-30", competencies=["negotiation"])
        comp = idp.peer_comparison(ev, "R0")
        assert comp["metric"].tolist() == ["actual", "attainment", "new_customers", "repurchase_rate"]
        assert comp.loc[0, ["value", "peer_median", "peer_count"]].tolist() == [100.0, 450.0, 6]
        assert idp.rep_levels(ev, "R0")["competency"].tolist() == ["negotiation"]


def test_evidence_columns_are_fixed():
    assert EVIDENCE_COLUMNS[:2] == ["rep_id", "name"]
    assert idp.evidence_columns(["a"])[len(EVIDENCE_COLUMNS):] == [
        "level__a", "manager_level__a", "self_level__a", "team_median__a", "leak_step__a", "leak_rate__a",
        "leak_peer_rate__a"]


# --------------------------------------------------------------------------- rendering
class TestRendering:
    def test_typed_text_is_escaped(self):
        items = good_items()
        items.loc[0, "measures"] = "<script>alert('x')</script>\nRead & learn"
        items.loc[0, "why"] = '<img src=x onerror="boom">'
        items.loc[1, "competency"] = "<b>Grit</b>"
        plan = Plan("R1", rep_name="<i>Ann</i>", plan_date=pd.Timestamp("2025-10-08"), items=items,
                    strengths=("<u>kind</u>",))
        table = plan_to_html_table(plan, "en")
        header = present_idp.plan_header_html(plan, "en")
        for html in (table, header):
            assert "<script" not in html and "<img" not in html and "<b>" not in html and "<i>" not in html
            assert "<u>" not in html
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;<br>Read &amp; learn" in table
        assert "&lt;b&gt;Grit&lt;/b&gt;" in table and "&lt;i&gt;Ann&lt;/i&gt;" in header

    def test_english_headers_and_names(self):
        plan = plan_with()
        shown = present_idp.plan_items_display(plan, "en")
        assert list(shown.columns) == ["Development item", "Why", "Current level", "Target level", "Measures",
                                       "Resources needed", "Review"]
        assert shown["Development item"].tolist() == ["Negotiation", "Market awareness"]
        assert shown["Review"].tolist() == ["2026-05", "2026-02"]

    def test_dict_round_trip(self):
        plan = drafted(worked_evidence(), "D1", levels=WORKED_LEVELS, plan_date="2011-11-25", lang="zh",
                       strengths=WORKED_STRENGTHS)
        back = idp.plan_from_dict(idp.plan_to_dict(plan))
        pd.testing.assert_frame_equal(back.items, plan.items)
        assert idp.plan_to_dict(back) == idp.plan_to_dict(plan)

    def test_plan_rules_defaults(self):
        assert PlanRules() == load_catalogue().rules


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.sampled_from(load_catalogue().keys), st.integers(1, 5), max_size=9),
       st.integers(1, 6), st.dates(min_value=pd.Timestamp("2000-01-01").date(),
                                   max_value=pd.Timestamp("2040-12-31").date()))
def test_a_draft_always_passes_its_own_checks(levels, max_items, day):
    plan = drafted(worked_evidence(), "D1", levels=levels, plan_date=day, max_items=max_items)
    items = plan.items
    assert len(items) <= max_items and len(items) <= sum(v < 5 for v in levels.values())
    assert (items["current_level"] < items["target_level"]).all() and (items["target_level"] <= 5).all()
    assert (items["review_date"] > pd.Timestamp(day)).all()
    validate_plan(plan, rep_ids=["D1"])
