"""Errors worded in the user's language: bad parameters, and the ``expected.*`` patterns."""

import datetime as dt
import string

import pandas as pd
import pytest

from playbook import funnel
from playbook.core.errors import InputError, ParameterError
from playbook.core.labels import catalogue
from playbook.pipeline.store_db import ConflictError
from playbook.present import funnel as present_funnel
from playbook.present.messages import expected_text, message
from playbook.rfm.scores import rfm_table
from playbook.targets.company import company_target
from playbook.targets.quotas import rep_quotas


def _fields(text: str) -> set[str]:
    return {f for _t, f, _s, _c in string.Formatter().parse(text) if f is not None}


def test_a_bad_parameter_in_chinese():
    exc = ParameterError("as_of", "notadate", "a date such as '2025-09-30'")
    assert message(exc, "zh") == "参数“as_of”的值“notadate”无效；应为：日期，例如 “2025-09-30”。"


def test_english_keeps_the_raised_text():
    exc = ParameterError("as_of", "notadate", "a date such as '2025-09-30'")
    assert message(exc, "en") == str(exc) == (
        "parameter as_of='notadate' is not valid: expected a date such as '2025-09-30'.")


def test_a_number_value_is_formatted():
    exc = ParameterError("window_days", 0, "a whole number of days >= 1, e.g. 365")
    assert message(exc, "zh") == "参数“window_days”的值“0”无效；应为：不小于 1 的整数天数，例如 365。"


@pytest.mark.parametrize(("expected", "zh"), [
    ("'month', 'quarter' or 'ytd'", "以下之一：“month”、“quarter”、“ytd”"),
    ("one of reps, customers, orders", "以下之一：“reps”、“customers”、“orders”"),
    ("one of 'equal', 'seasonal' (or empty for all teams)", "以下之一：“equal”、“seasonal”（留空表示所有团队）"),
    ("a growth rate above -1.0 (-100% would leave no target)", "大于 -1.0 的增长率（-100% 将没有目标）"),
    ("a rate such as 0.6: no customer ordered in the 90 days before the last 90 days, so retention cannot be "
     "estimated from the data", "比率，例如 0.6：最近 90 天之前的 90 天内没有客户下单，无法从数据估算留存率"),
    ("monthly targets summing to the rep quotas' total 1,200.00", "合计等于销售代表指标总额 1,200.00 的月度目标"),
    ("in table 'orders': a date such as '2025-09-30'", "表 “orders” 中：日期，例如 “2025-09-30”"),
    ("something the catalogue does not know", "something the catalogue does not know"),
])
def test_expected_texts_in_chinese(expected, zh):
    assert expected_text(expected, "zh") == zh
    assert expected_text(expected, "en") == expected


def test_every_expected_pattern_uses_only_its_own_fields():
    for key, entry in catalogue().items():
        if key.startswith("expected."):
            assert _fields(entry["zh"]) <= _fields(entry["en"]), key


def test_a_store_conflict_shows_times_in_the_team_zone(monkeypatch):
    monkeypatch.setenv("PLAYBOOK_TIMEZONE", "Asia/Shanghai")
    exc = ConflictError("plan 1 changed ... UTC", code="store.changed", params={
        "plan_id": 1, "base_version": 1, "doing_label": "message.store.doing.save",
        "changes_items": [{"key": "message.store.change", "version": 2, "status_label": "idp.status.draft",
                           "author": "Ann", "at_time": dt.datetime(2025, 10, 8, 9, 0, 3)}]})
    assert message(exc, "en") == (
        "plan 1 changed since version 1, which this save is based on: version 2 (Draft) by Ann at 2025-10-08 "
        "17:00. Nothing was stored: reload the plan, then make the change again on the latest version.")
    assert message(exc, "zh") == (
        "计划 1 在第 1 版之后已被修改（本次保存基于第 1 版）：第 2 版（草稿），Ann，2025-10-08 17:00。"
        "未保存任何内容：请重新加载计划，在最新版本上再改一次。")


def test_a_partial_base_year_is_refused_in_chinese():
    orders = pd.DataFrame({"order_date": pd.to_datetime(["2025-01-01", "2025-06-30"]), "amount": [100.0, 200.0]})
    with pytest.raises(InputError) as info:
        company_target(orders, plan_year=2026, growth=0.1, partial="refuse")
    assert message(info.value, "en") == str(info.value)
    assert message(info.value, "zh") == (
        "orders：基准年 2025 的数据不完整（订单只覆盖全年 365 天中的 181 天），其净销售额 300.00 元不能当作全年"
        "销售额来增长；请选择完整的基准年，或直接给出目标金额。")


def _bad_opportunities():
    return pd.DataFrame({"opportunity_id": ["o1", "o2"], "rep_id": ["R1", "R1"], "channel": ["referral"] * 2,
                         "amount": [None, 10.0], "created_date": pd.to_datetime(["2025-01-05", "2025-01-05"]),
                         "intent_date": pd.to_datetime(["2025-01-02", None]),
                         "closed_date": pd.to_datetime([None, None]), "outcome": ["won", "maybe"]})


def test_funnel_problems_in_both_languages():
    with pytest.raises(InputError) as info:
        funnel.stage_table(_bad_opportunities())
    assert message(info.value, "en") == str(info.value)
    assert message(info.value, "zh") == (
        "商机数据中有 4 个问题，漏斗无法统计（结果无法识别 1 个、阶段日期顺序错误 1 个、已结束但无结束日期 1 个、"
        "赢单缺少金额 1 个）：\n"
        "  - 商机 o2：结果（outcome）只能是 “won”（赢单）、“lost”（输单）或 “open”（进行中）\n"
        "  - 商机 o1：「intent_date」早于前一阶段的日期（应为 创建日期 ≤ 意向日期 ≤ 谈判日期 ≤ 结束日期）\n"
        "  - 商机 o1：结果为赢单或输单，但结束日期为空；请补上结束日期\n"
        "  - 商机 o1：赢单需要填写签约金额（≥ 0）\n"
        "请在 CRM 导出文件中修正这些行，或选择忽略有问题的商机。")


def test_funnel_problem_table_in_chinese():
    shown = present_funnel.for_display(funnel.opportunity_problems(_bad_opportunities()), lang="zh")
    assert shown["code"].tolist()[0] == "结果无法识别"
    assert shown["message"].tolist()[0] == (
        "商机 o2：结果（outcome）只能是 “won”（赢单）、“lost”（输单）或 “open”（进行中）")


_ORDER = {"order_id": ["o"], "rep_id": ["R1"], "customer_id": ["c"], "order_date": ["2025-01-01"]}


@pytest.mark.parametrize(("orders", "zh"), [
    (pd.DataFrame({**_ORDER, "amount": ["x"]}), "orders：列「amount」应为数字（以元为单位的金额）。"),
    (pd.DataFrame({**_ORDER, "amount": [None]}), "orders：列「amount」有 1 个空值；请补全或删除这些行。"),
    (pd.DataFrame({k: [] for k in [*_ORDER, "amount"]}), "orders：订单表没有任何行；RFM 分析至少需要一笔订单。"),
])
def test_rfm_input_errors_in_both_languages(orders, zh):
    with pytest.raises(InputError) as info:
        rfm_table(orders, as_of="2025-09-30")
    assert message(info.value, "en") == str(info.value)
    assert message(info.value, "zh") == zh


@pytest.mark.parametrize(("reps", "zh"), [
    (pd.DataFrame({"rep_id": ["R1", "R1"], "hire_date": ["2020-01-01"] * 2}),
     "reps.rep_id：每位销售代表都需要唯一的编号（重复的：['R1']）"),
    (pd.DataFrame({"rep_id": ["R1"], "hire_date": ["2020-01-01"], "leave_date": ["2021-01-01"]}),
     "reps：2026 年团队中没有任何销售代表（请检查入职日期和离职日期）"),
    (pd.DataFrame({"rep_id": ["R1"], "hire_date": ["2027-01-01"]}),
     "reps.hire_date：以下销售代表的入职日期晚于计划年 2026：R1 (2027-01-01)；请从销售代表表（reps）中去掉他们，"
     "或为他们入职的那一年做计划"),
])
def test_quota_input_errors_in_both_languages(reps, zh):
    with pytest.raises(InputError) as info:
        rep_quotas(reps, total=1_000_000.0, plan_year=2026)
    assert message(info.value, "en") == str(info.value)
    assert message(info.value, "zh") == zh


def test_a_validation_error_lists_the_datas_problems_in_the_users_language(tmp_path):
    from playbook.core.errors import ValidationError
    from playbook.data.loading import load_dataset

    with pytest.raises(ValidationError) as caught:
        load_dataset(tmp_path / "nowhere")
    where = str(tmp_path / "nowhere")
    assert message(caught.value, "zh") == ("数据中有 1 个问题，需要修正 1 类（影响行数多的在前）：\n"
                                           f"  - {where}：找不到文件；期望 存在的文件。请检查路径和文件名。")
    assert message(caught.value, "en").splitlines()[1] == (
        f"  - {where}: file not found; expected an existing file. Check the path and the file name.")
