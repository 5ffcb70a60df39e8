"""More coded errors in both languages: funnel selection and teamless opportunities, cent
allocation, the workshop solutions file. Each raised for real; the Chinese wording holds no
English word beyond ids and values (see ``test_zh_errors``)."""

import warnings

import pandas as pd
import pytest
from test_zh_errors import CJK, _check, _english_left, _raised

from playbook import funnel
from playbook.core import money
from playbook.present.messages import message
from playbook.workshop import checks


def _stages(rep_ids=("R1",), reps=None):
    n = len(rep_ids)
    opps = pd.DataFrame({
        "opportunity_id": [f"o{i}" for i in range(n)], "rep_id": list(rep_ids), "channel": ["referral"] * n,
        "amount": [10.0] * n, "created_date": pd.to_datetime(["2025-01-05"] * n),
        "intent_date": pd.to_datetime([None] * n), "closed_date": pd.to_datetime([None] * n), "outcome": ["open"] * n})
    return funnel.stage_table(opps, reps=reps, as_of="2025-06-30")


_REPS = pd.DataFrame({"rep_id": ["R1"], "team": ["East"]})


def test_an_empty_selection_is_worded_in_chinese():
    stages = _stages(reps=_REPS)
    exc = _raised(lambda: funnel.select(stages, period_start="2030-01-01"))
    assert str(exc) == ("no opportunities created between 2030-01-01 and the end: widen period_start/period_end "
                        "(empty = all) or choose another team.")
    assert _check(exc, "funnel.no_opportunities").startswith("在 2030-01-01 至 最晚 之间没有新建的商机")
    exc = _raised(lambda: funnel.select(stages, period_end="2024-01-01", team="East"))
    assert "between the start and 2024-01-01 for team 'East':" in str(exc)
    assert _check(exc, "funnel.no_opportunities").startswith("团队“East”在 最早 至 2024-01-01 之间")


def test_opportunities_without_a_team_are_worded_in_both_languages():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _stages(rep_ids=("R1", None, "R9"), reps=_REPS)
    found = {w.message.code: w.message for w in caught if getattr(w.message, "code", None)}
    blank, unknown = found["funnel.no_rep_id"], found["funnel.unknown_reps"]
    assert str(blank) == "1 opportunit(ies) have no rep_id: their team is empty. Fill in the rep in the CRM."
    assert str(unknown) == "1 opportunit(ies) belong to rep_id(s) not in reps (R9): their team is empty."
    for w in (blank, unknown):
        assert message(w, "en") == str(w)
        zh = message(w, "zh")
        assert CJK.search(zh) and not _english_left(zh), zh
    assert "()" not in str(blank)


def test_quotas_that_cannot_be_reconciled_are_worded_in_chinese():
    # rep 0 works only in month 0 (50 cents) but has a quota of 100
    exc = _raised(lambda: money.allocate_matrix([100, 100], [50, 150], base=[[1, 0], [1, 1]]))
    _check(exc, "money.unreconcilable")
    exc = _raised(lambda: money.allocate_matrix([100, 100], [150, 50], base=[[1, 0], [1, 0]]))
    assert _check(exc, "money.no_cell") == (
        "无法分配到分：第 [] 行 / 第 [1] 列的合计大于 0，但基准矩阵中没有大于 0 的单元格可以承接。")


@pytest.mark.parametrize(("text", "code"), [
    ("- a\n- b\n", "workshop.solutions.mapping"),
    ("x: {code: 'y = 1'}\nz: {notebook: a.ipynb, code: 'y = 1', answer: {a: 1}}\n", "workshop.solutions.problems"),
])
def test_a_bad_solutions_file_is_worded_in_chinese(text, code, tmp_path):
    file = tmp_path / "solutions.yaml"
    file.write_text(text, encoding="utf-8")
    zh = _check(_raised(lambda: checks.load_solutions(file)), code)
    assert zh.startswith("文件 solutions.yaml：") or zh.startswith("solutions.yaml：")


def test_a_missing_solutions_file_is_worded_in_chinese(tmp_path):
    exc = _raised(lambda: checks.load_solutions(tmp_path / "nope.yaml"))
    assert _check(exc, "workshop.solutions.file").startswith("参数“solutions”的值")
