"""More coded errors in both languages: funnel selection and teamless opportunities, cent
allocation, the workshop solutions file. Each raised for real; the Chinese wording holds no
English word beyond ids and values (see ``test_zh_errors``)."""

import importlib
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


# --------------------------------------------------------------------------- bad parameters: what was expected, in zh

def _zh_parameter(call) -> str:
    exc = _raised(call)
    assert message(exc, "en") == str(exc)
    zh = message(exc, "zh")
    assert CJK.search(zh) and not _english_left(zh), zh
    return zh


def _write_tables(out):
    generate = importlib.import_module("playbook.data.sample.generate")  # the package exports a function of that name
    generate.write_tables({"../reps": pd.DataFrame({"rep_id": ["R1"]})}, out)


@pytest.mark.parametrize(("call", "expected"), [
    (lambda tmp: money.allocate_cents(-1, [1]), "应为：不小于 0 的整数（单位：分）。"),
    (lambda tmp: money.allocate(100.0, [1, -1]), "应为：不小于 0 的有效数字（权重不能为负数或空缺）。"),
    (lambda tmp: money.allocate(100.0, [0, 0]), "应为：至少一个大于 0 的权重（现在全部为 0）。"),
    (lambda tmp: money.allocate_matrix([-1], [1]), "应为：由不小于 0 的整数（单位：分）组成的列表。"),
    (lambda tmp: money.allocate_matrix([100], [200]), "应为：与 row_totals 相同的合计（100 分）。"),
    (lambda tmp: money.allocate_matrix([100], [100], base=[[1, 1]]), "应为：1 行 1 列、每格不小于 0 的数字矩阵。"),
    (lambda tmp: money.div_money([1.0], [1.5]), "应为：整数（计数或天数）。"),
    (lambda tmp: _write_tables(tmp), "应为：表名须为普通文件名（不含路径）。"),
], ids=["cents", "negative_weight", "zero_weights", "matrix_totals", "same_total", "matrix_shape", "divisors",
        "table_names"])
def test_a_bad_parameter_says_what_was_expected_in_chinese(call, expected, tmp_path):
    assert _zh_parameter(lambda: call(tmp_path)).endswith(expected)


def test_a_data_folder_that_is_a_file_is_worded_in_chinese(tmp_path):
    from playbook.data import loading

    file = tmp_path / "orders.csv"
    file.write_text("a\n1\n", encoding="utf-8")
    assert _zh_parameter(lambda: loading.load_inputs(file)).endswith(
        "应为：存放 reps.csv、customers.csv、orders.csv 等文件的文件夹（单个文件请用 validate_table 检查）。")


def test_a_column_map_that_is_not_yaml_names_file_and_line(tmp_path):
    from playbook.data.maps import load_column_map

    file = tmp_path / "crm.yaml"
    file.write_text("orders:\n  amount: [unclosed\n", encoding="utf-8")
    exc = _raised(lambda: load_column_map(file))
    assert exc.code == "yaml.syntax" and exc.params["file"] == "crm.yaml"
    _check(exc, "yaml.syntax")


def test_a_table_of_issues_without_its_columns_is_worded_in_chinese():
    from playbook.data import issues, loading

    zh = _zh_parameter(lambda: issues.render_issues(pd.DataFrame({"x": [1]}), "zh"))
    assert "应为：含以下列的表：" in zh
    zh = _zh_parameter(lambda: loading.validate_table("data/sample/orders.csv", "orders", references={"nope": ["x"]}))
    assert "应为：以本工具的表名为键（" in zh


def test_levels_of_the_wrong_kind_and_no_payout_runs_are_worded_in_chinese():
    from playbook import idp, incentives

    evidence = pd.DataFrame({"rep_id": ["D1"], "name": ["董某某"], "role": ["销售专员"], "team": ["销售部"],
                             "supervisor_name": ["那某某"], "quota": [200_000.0], "actual": [219_000.0],
                             "peer_mean": [320_000.0], "peer_count": [5], "team_peer_count": [5],
                             "leak_peer_count": [5]})
    zh = _zh_parameter(lambda: idp.draft_plan(evidence, "D1", levels=5, plan_date="2025-01-10"))
    assert zh.endswith("应为：“能力: 等级”形式的映射、评估记录，或含 “competency”（能力）和 “level”（等级）列的表。")
    assert _zh_parameter(lambda: incentives.plan_summary()).endswith("应为：至少一次提成计算结果。")
