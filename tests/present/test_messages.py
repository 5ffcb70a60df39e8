"""Errors worded in the user's language: bad parameters, and the ``expected.*`` patterns."""

import string

import pytest

from playbook.core.errors import ParameterError
from playbook.core.labels import catalogue
from playbook.present.messages import expected_text, message


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
