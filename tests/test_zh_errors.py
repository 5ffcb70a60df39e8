"""Coded errors in the user's language: each raised for real, worded in English and Chinese.

Every error below comes from the input a user gives (a plan, preset, OKR or catalogue
file, the data, a CLI option). Each is raised by the kit's own code; its English wording
(``message(exc, "en")``) must be the error's own text, word for word, and its Chinese
wording must hold no English word (``test_zh.english_words``) beyond what the user typed:
values quoted “…”, ids, the YAML keys and values a plan or preset file is written with
(:data:`FILE_WORDS`). A last test checks, from the source, that every code the package
raises with has a wording in both languages with the fields its params give.
"""

import ast
import copy
import re
import string
from pathlib import Path

import pandas as pd
import pytest
import yaml
from test_zh import english_words

from playbook import incentives as inc
from playbook import targets
from playbook.core import paths
from playbook.core.errors import PlaybookError
from playbook.core.labels import catalogue
from playbook.present.messages import message

FILE_WORDS = frozenset({
    # keys and values of a commission plan file (templates/plans/*.yaml)
    "from", "to", "rate", "tiers", "cap", "products", "deal_types", "all", "new", "renewal", "commission",
    "bonus", "bands", "column", "metric", "top", "within", "team", "company", "visits", "calls", "demos",
    "unit", "clawback", "marginal", "whole", "amount", "attainment",
    # scorecard presets, OKR files, CLI options
    "title", "weights", "flags", "objectives", "period", "year", "quarter", "month", "parent", "id", "name",
    "UTF",  # the encoding to save a file in
})
"""Plain words a user writes in a plan, preset or OKR file, so a message may name them."""

CJK = re.compile(r"[\u4e00-\u9fff]")


def _english_left(text: str) -> set[str]:
    """English words of a Chinese message, after what the user typed (quoted values, keys, ids)."""
    text = re.sub(r"“[^”]*”|「[^」]*」|'[^']*'|\[[^\]]*\]", " ", text)  # values, as given
    text = re.sub(r"(?:[\w.-]+/)+[\w.-]+|[\w-]+\.(?:csv|xlsx|yaml|yml)", " ", text)  # paths and file names
    return {w for w in english_words(text) if "_" not in w and "." not in w and w not in FILE_WORDS}


def _spec() -> dict:
    return yaml.safe_load((paths.ROOT / "templates" / "plans" / "domain_marginal.yaml").read_text(encoding="utf-8"))


def _plan(**changes) -> dict:
    """The shipped domain plan with top-level rules replaced (``None`` removes one)."""
    spec = copy.deepcopy(_spec())
    spec.pop("name")  # named by the file, as a user's copy of the plan
    for key, value in changes.items():
        spec.pop(key, None) if value is None else spec.__setitem__(key, value)
    return spec


def _tiers(*tiers) -> dict:
    return _plan(commission=[{"name": "all_sales", "tiers": list(tiers)}])


_T0 = {"from": 0, "to": 100, "rate": 0.1}
_AWARD = {"name": "x", "amount": 100}
_PLANS = {
    "not_mapping": _tiers(5),
    "no_tiers": _tiers(),
    "to_below_from": _tiers({"from": 0, "to": 0, "rate": 0.1}),
    "first_tier": _tiers({"from": 100, "rate": 0.1}),
    "tier_order": _tiers(_T0, {"from": 0, "rate": 0.2}),
    "tier_overlap": _tiers(_T0, {"from": 50, "rate": 0.2}),
    "tier_gap": _tiers(_T0, {"from": 150, "rate": 0.2}),
    "last_tier_closed": _tiers(_T0),
    "products": _plan(commission=[{"products": 5, "tiers": [{"from": 0, "rate": 0.1}]}]),
    "deal_types": _plan(commission=[{"deal_types": ["x"], "tiers": [{"from": 0, "rate": 0.1}]}]),
    "uplift_no_renewal": _plan(commission=[{"deal_types": ["new"], "renewal_uplift": {"rate": 0.01},
                                            "tiers": [{"from": 0, "rate": 0.1}]}]),
    "names_repeat": _plan(commission=[{"name": "a", "deal_types": [d], "tiers": [{"from": 0, "rate": 0.1}]}
                                      for d in ("new", "renewal")]),
    "same_orders": _plan(commission=[{"name": n, "tiers": [{"from": 0, "rate": 0.1}]} for n in ("a", "b")]),
    "no_bands": _plan(bonus={"bands": []}),
    "same_bands": _plan(bonus={"bands": [{"min_attainment": 1, "pct_of_base_salary": 0.1}] * 2}),
    "key_accounts_one": _plan(key_accounts={}),
    "within_days": _plan(mentor_award={"amount": 100, "within_days": -1}),
    "award_metric": _plan(process_awards=[{**_AWARD, "metric": "smiles"}]),
    "award_top": _plan(process_awards=[{**_AWARD, "metric": "visits", "top": 0}]),
    "award_within": _plan(process_awards=[{**_AWARD, "metric": "visits", "within": "region"}]),
    "awards_repeat": _plan(process_awards=[_AWARD, _AWARD]),
    "not_rules": [1, 2],
    "unit": _plan(unit="USD"),
    "at_boundary": _plan(at_boundary="middle"),
    "clawback": _plan(clawback="yes"),
    "uplift_no_key_accounts": _plan(commission=[{"renewal_uplift": {"rate": 0.01},
                                                 "tiers": [{"from": 0, "rate": 0.1}]}]),
}
"""Plan code -> a plan file's content that raises it."""


def _raised(call) -> PlaybookError:
    with pytest.raises(PlaybookError) as caught:
        call()
    return caught.value


def _check(exc: PlaybookError, code: str) -> str:
    """Check the error's code and both wordings; return the Chinese one."""
    assert exc.code == code
    assert message(exc, "en") == str(exc)
    zh = message(exc, "zh")
    assert CJK.search(zh) and not _english_left(zh), zh
    return zh


@pytest.mark.parametrize("code", sorted(_PLANS))
def test_a_bad_plan_file_is_worded_in_chinese(code):
    exc = _raised(lambda: inc.parse_plan(_PLANS[code], name="mine"))
    zh = _check(exc, f"incentives.plan.{code}")
    assert zh.startswith("方案“mine”的规则“")


def test_a_tier_is_named_in_chinese():
    exc = _raised(lambda: inc.parse_plan(_PLANS["tier_gap"], name="mine"))
    assert str(exc) == ("plan 'mine', rule commission 'all_sales' tier 2: leaves a gap after tier 1: tier 1 ends at "
                        "100 but this one starts at 150. Each tier must start where the one before ends.")
    assert message(exc, "zh") == ("方案“mine”的规则“commission 'all_sales' 第 2 档”：与第 1 档之间有空档："
                                  "第 1 档在 100 结束，而本档从 150 才开始。每一档都必须从上一档结束处开始。")


@pytest.mark.parametrize(("code", "changes"), [
    ("no_path", {"commission.nosuch.rate": 1}),
    ("not_path", {"unit.x.y": 1}),
])
def test_a_bad_what_if_change_is_worded_in_chinese(code, changes):
    _check(_raised(lambda: inc.modify_plan("domain_marginal", changes)), f"incentives.plan.{code}")


# --------------------------------------------------------------------------- data the engine reads

_REPS = pd.DataFrame({"rep_id": ["R1"], "name": ["Ann"], "team": ["A"], "base_salary": [10_000.0]})


def _orders(**columns) -> pd.DataFrame:
    base = {"order_id": ["o1", "o2"], "customer_id": ["C1", "C2"], "rep_id": ["R1", "R1"],
            "order_date": pd.to_datetime(["2024-01-05", "2024-02-05"]), "amount": [100.0, 200.0]}
    return pd.DataFrame({**base, **columns})


def _flat(**rules) -> inc.Plan:
    comp = {"name": "all", "tiers": [{"from": 0, "rate": 0.1}], **rules.pop("component", {})}
    return inc.parse_plan({"commission": [comp], **rules}, name="flat")


_DATA = {
    "not_numbers": lambda: inc.run_plan(_orders(amount=["x", 1.0]), _REPS, plan=_flat(), period="2024"),
    "too_big": lambda: inc.run_plan(_orders(amount=[8e10, 8e10]), _REPS, plan=_flat(), period="2024"),
    "dates_missing": lambda: inc.run_plan(_orders(order_date=[pd.NaT, pd.Timestamp("2024-01-01")]), _REPS,
                                          plan=_flat(), period="2024"),
    "deal_type": lambda: inc.run_plan(_orders(deal_type=["new", "upsell"]), _REPS, plan=_flat(), period="2024"),
    "refund_unmarked": lambda: inc.run_plan(_orders(amount=[100.0, -50.0], is_refund=[False, False]), _REPS,
                                            plan=_flat(), period="2024"),
    "refund_positive": lambda: inc.run_plan(_orders(is_refund=[False, True]), _REPS, plan=_flat(), period="2024"),
    "no_product_line": lambda: inc.run_plan(_orders(), _REPS, plan=_flat(component={"products": ["硬件"]}),
                                            period="2024"),
    "unknown_products": lambda: inc.run_plan(_orders(product_line=["软件", "软件"]), _REPS,
                                             plan=_flat(component={"products": ["硬件"]}), period="2024"),
    "key_accounts_column": lambda: inc.run_plan(
        _orders(), _REPS, plan=_flat(component={"renewal_uplift": {"rate": 0.01}},
                                     key_accounts={"column": "is_key"}), period="2024"),
    "no_base_salary": lambda: inc.run_plan(_orders(), _REPS.drop(columns="base_salary"), plan=_flat(
        bonus={"bands": [{"min_attainment": 1, "pct_of_base_salary": 0.1}]}), period="2024",
        quotas=pd.DataFrame({"rep_id": ["R1"], "month": ["2024-01"], "quota": [50.0]})),
    "salary_missing": lambda: inc.run_plan(_orders(), _REPS.assign(base_salary=[None]), plan=_flat(
        bonus={"bands": [{"min_attainment": 1, "pct_of_base_salary": 0.1}]}), period="2024",
        quotas=pd.DataFrame({"rep_id": ["R1"], "month": ["2024-01"], "quota": [50.0]})),
    "csm_column": lambda: inc.run_plan(_orders(), _REPS, plan=_flat(referral_award={"amount": 1, "csm_column": "csm"}),
                                       period="2024", customers=pd.DataFrame({"customer_id": ["C1", "C2"],
                                                                              "channel": ["referral"] * 2})),
    "mentor_column": lambda: inc.run_plan(_orders(), _REPS, plan=_flat(mentor_award={"amount": 1}), period="2024"),
}
"""Data code -> a run of a plan on data that raises it."""


@pytest.mark.parametrize("code", sorted(_DATA))
def test_data_the_plan_cannot_use_is_worded_in_chinese(code):
    _check(_raised(_DATA[code]), f"incentives.data.{code}")


# --------------------------------------------------------------------------- scorecard presets

_PRESETS = {
    "no_weights": {"title": "x"},
    "unknown_keys": {"weights": {"attainment": 1}, "colour": "red"},
    "unknown_kpi": {"weights": {"smiles": 1}},
    "weight": {"weights": {"attainment": -1}},
    "all_zero": {"weights": {"attainment": 0}},
    "flags": {"weights": {"attainment": 1}, "flags": [1]},
    "unknown_flags": {"weights": {"attainment": 1}, "flags": {"colour": 1}},
    "share": {"weights": {"attainment": 1}, "flags": {"bottom_share": 2}},
    "reward_metric": {"weights": {"attainment": 1}, "flags": {"reward_metric": "smiles", "reward_share": 0.1}},
    "reward_pair": {"weights": {"attainment": 1}, "flags": {"reward_metric": "attainment"}},
}


@pytest.mark.parametrize("code", sorted(_PRESETS))
def test_a_bad_scorecard_preset_file_is_worded_in_chinese(code, tmp_path):
    file = tmp_path / "presets.yaml"
    file.write_text(yaml.safe_dump({"mine": _PRESETS[code]}, allow_unicode=True), encoding="utf-8")
    zh = _check(_raised(lambda: inc.load_presets(file)), f"incentives.preset.{code}")
    assert zh.startswith("文件 presets.yaml：计分卡预设“mine”：")


@pytest.mark.parametrize(("code", "text"), [
    ("yaml.syntax", "mine:\n  weights: {attainment: 1\nother: 2\n"),
    ("yaml.unreadable", "mine: 权重".encode("gb18030")),
    ("incentives.presets_mapping", "- a list\n"),
    ("incentives.presets_file", None),
])
def test_a_preset_file_that_cannot_be_read_is_worded_in_chinese(code, text, tmp_path):
    file = tmp_path / "presets.yaml"
    if isinstance(text, bytes):
        file.write_bytes(text)
    elif text is not None:
        file.write_text(text, encoding="utf-8")
    _check(_raised(lambda: inc.load_presets(file)), code)


def test_a_yaml_syntax_error_names_file_line_column_and_text(tmp_path):
    file = tmp_path / "mine.yaml"
    file.write_text("commission:\n  - tiers: [{from: 0, rate: 0.1}\nbonus: 1\n", encoding="utf-8")
    exc = _raised(lambda: inc.load_plan(file))
    assert str(exc) == "mine.yaml, line 3, column 1: not valid YAML ('bonus: 1')."
    assert message(exc, "zh") == ("mine.yaml 第 3 行第 1 列：不是有效的 YAML（该行为 'bonus: 1'）。"
                                  "请检查缩进、冒号和括号是否成对。")


def test_a_list_left_open_to_the_end_of_the_file_names_where_it_opens(tmp_path):
    file = tmp_path / "mine.yaml"
    file.write_text("commission:\n  tiers: [0.05, 0.08\n", encoding="utf-8")  # PyYAML stops at the end of the file
    exc = _raised(lambda: inc.load_plan(file))
    assert str(exc) == "mine.yaml, line 2, column 10: not valid YAML ('tiers: [0.05, 0.08')."
    assert message(exc, "zh").startswith("mine.yaml 第 2 行第 10 列：不是有效的 YAML（该行为 'tiers: [0.05, 0.08'）。")


def test_an_unknown_preset_is_worded_in_chinese():
    reps = pd.DataFrame({"rep_id": ["R1"], "name": ["Ann"], "team": ["A"]})
    exc = _raised(lambda: inc.scorecard(_orders(), reps, period="2024", preset="nosuch"))
    assert _check(exc, "incentives.preset.unknown") == (
        "参数“preset”的值“nosuch”无效；应为以下之一：“balanced、learning、wolf”。")


# --------------------------------------------------------------------------- OKR files

_OKR = {
    "no_id": {"objectives": [{"title": "Grow"}]},
    "period": {"objectives": [{"id": "O1", "key_results": [{"id": "KR1", "period": "week"}]}]},
    "duplicate": {"objectives": [{"id": "O1"}, {"id": "O1"}]},
    "unknown_parent": {"objectives": [{"id": "O1", "parent": "O9"}]},
    "cycle": {"objectives": [{"id": "O1", "parent": "O2"}, {"id": "O2", "parent": "O1"}]},
    "plan_year": {"plan_year": "next", "objectives": [{"id": "O1"}]},
    "not_mapping": ["O1"],
}


@pytest.mark.parametrize("code", sorted(_OKR))
def test_a_bad_okr_file_is_worded_in_chinese(code, tmp_path):
    file = tmp_path / "okr.yaml"
    file.write_text(yaml.safe_dump(_OKR[code], allow_unicode=True), encoding="utf-8")
    if code == "not_mapping":  # a YAML list: parse_okr, as load_okr reads nothing else
        exc = _raised(lambda: targets.parse_okr(_OKR[code], where="okr.yaml"))
    else:
        exc = _raised(lambda: targets.load_okr(file))
    assert _check(exc, f"targets.okr.{code}").startswith("okr.yaml：")


@pytest.mark.parametrize(("code", "text"), [("yaml.syntax", "objectives: [unclosed\n"), ("targets.okr.file", None)])
def test_an_okr_file_that_cannot_be_read_is_worded_in_chinese(code, text, tmp_path):
    file = tmp_path / "okr.yaml"
    if text is not None:
        file.write_text(text, encoding="utf-8")
    _check(_raised(lambda: targets.load_okr(file)), code)


# --------------------------------------------------------------------------- CLI options


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_unknown_funnel_team_is_refused_before_the_notebook(lang, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from playbook import cli

    def no_notebook(*_a, **_k):
        raise AssertionError("the notebook ran")

    monkeypatch.setattr(cli, "render_notebook", no_notebook)
    res = CliRunner().invoke(cli.main, ["funnel", "--data", str(paths.SAMPLE_DIR), "--team", "nosuch",
                                        "--out", str(tmp_path), "--lang", lang])
    assert res.exit_code == 1
    assert res.output == {
        "zh": "错误：--team “nosuch” 不是数据中的团队（有商机的团队：华东一组、华北一组、华南一组）。\n",
        "en": "Error: --team 'nosuch' is not a team of the data (teams with opportunities: 华东一组, 华北一组, "
              "华南一组).\n"}[lang]


def test_a_long_team_list_is_cut(tmp_path):
    from playbook.cli import _check_team
    from playbook.data.loading import Dataset

    reps = pd.DataFrame({"rep_id": [f"R{i}" for i in range(10)], "team": [f"T{i}" for i in range(10)]})
    ds = Dataset(reps, pd.DataFrame(), pd.DataFrame(), opportunities=pd.DataFrame({"rep_id": reps["rep_id"]}))
    _check_team("T3", ds)  # known: no error
    exc = _raised(lambda: _check_team("T99", ds))
    assert message(exc, "zh") == ("--team “T99” 不是数据中的团队（有商机的团队："
                                  "T0、T1、T2、T3、T4、T5、T6、T7……另有 2 个）。")
    assert message(exc, "en") == str(exc)


# --------------------------------------------------------------------------- every code has both wordings


def _literal(node: ast.AST) -> list[str]:
    """The code strings a ``code=`` argument can take (a literal, or either side of ``a if c else b``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _literal(node.body) + _literal(node.orelse)
    return []


def _codes():
    """(where, code, params keys or None, class name) of every coded raise/warning in the package."""
    for path in sorted((paths.ROOT / "playbook").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = getattr(node.func, "id", getattr(node.func, "attr", ""))
            kw = {k.arg: k.value for k in node.keywords}
            found = _literal(kw["code"]) if "code" in kw else []
            keys = None
            if "params" in kw and isinstance(kw["params"], ast.Dict):
                keys = {k.value for k in kw["params"].keys if isinstance(k, ast.Constant)}
            if func == "_preset_error" and len(node.args) >= 3:  # scorecards: (name, problem, code, **params)
                found, keys = _literal(node.args[2]), {"preset", *(k.arg for k in node.keywords)}
            if func == "_p" and len(node.args) >= 3:  # catalogue: one problem (text, kind, at, **fields)
                found = [f"idp.catalogue.{k}" for k in _literal(node.args[1])]
                keys = {"at", *(k.arg for k in node.keywords)}
            if func == "PlanError" and keys is not None:
                keys |= {"plan", "rule"}
            if func == "PlanError" and "params" not in kw:
                keys = {"plan", "rule"}
            for code in found:
                yield f"{Path(path).relative_to(paths.ROOT)}:{node.lineno}", code, keys


def _fields(text: str) -> set[str]:
    return {f for _t, f, _s, _c in string.Formatter().parse(text) if f is not None}


def test_every_code_raised_has_both_wordings():
    cat = catalogue()
    codes = list(_codes())
    assert len(codes) > 100
    missing = [f"{where}: {code}" for where, code, _k in codes if f"message.{code}" not in cat and code not in cat]
    assert missing == []
    unfed = []
    for where, code, keys in codes:
        entry = cat.get(f"message.{code}", cat.get(code))
        if keys is not None and not _fields(entry["en"]) | _fields(entry["zh"]) <= keys:
            unfed.append(f"{where}: {code} needs {sorted((_fields(entry['en']) | _fields(entry['zh'])) - keys)}")
    assert unfed == []


# --------------------------------------------------------------------------- competency catalogue

_GRIT = {"name": {"en": "Grit"}, "levels": {1: {"en": "a", "zh": "b"}, 7: {"en": "x", "zh": "y"}},
         "measures": [{"key": "m", "en": "Run", "zh": "跑步", "months": 0, "resources": ["shoes"], "default": "y"}]}
_CATALOGUES = {
    "problems": {"competencies": {"grit": _GRIT, "bad": 5, "thin": {"name": 1, "levels": 3, "measures": []},
                                  "odd": {"name": {"en": "a", "zh": "b"}, "levels": {}, "measures": [
                                      3, {"en": "a", "zh": "b", "months": 1, "resources": "x"}]}},
                 "scale": {"min": 0}, "colour": 1, "resources": {"r": "x"},
                 "rules": {"order": "size", "target_step": -1, "leak_weight": "x", "nope": 1,
                           "signal_competencies": 3}},
    "not_mapping": ["grit"],
}


@pytest.mark.parametrize("code", sorted(_CATALOGUES))
def test_a_bad_competency_catalogue_is_worded_in_chinese(code, tmp_path):
    from playbook.idp.catalogue import load_catalogue

    file = tmp_path / "competencies.yaml"
    file.write_text(yaml.safe_dump(_CATALOGUES[code], allow_unicode=True), encoding="utf-8")
    exc = _raised(lambda: load_catalogue(file))
    zh = _check(exc, f"idp.catalogue.{code}")
    assert zh.startswith(str(file))
    if code == "problems":  # every problem on its own line, each worded
        assert zh.count("\n  - ") == str(exc).count("\n  - ") == 23
        assert ("  - 「competencies.grit.measures[1].resources」：未知的资源 'shoes'；"
                "请先在 'resources' 下添加（已有：“r”）。") in zh


def test_bad_plan_rules_are_worded_in_chinese():
    from playbook.idp.catalogue import PlanRules

    exc = _raised(lambda: PlanRules.from_mapping({"order": "size"}))
    assert _check(exc, "idp.catalogue.rule_problems") == (
        "「rules」：有 1 个问题：\n  - 「rules.order」：'size' 无效；应为以下之一：“catalogue、priority”。")


# --------------------------------------------------------------------------- targets from the data


def _year_of(total: float) -> pd.DataFrame:
    return targets.split_year(total, plan_year=2025)


_TARGETS = {
    "no_capacity_months": lambda: targets.rep_month_matrix(
        pd.DataFrame({"rep_id": ["R1"], "quota": [1200.0]}), _year_of(1200.0),
        pd.DataFrame({"rep_id": ["R1"], "hire_date": pd.to_datetime(["2025-07-01"])}), plan_year=2025),
    "idle_reps": lambda: targets.rep_month_matrix(
        pd.DataFrame({"rep_id": ["R1", "R2"], "quota": [1000.0, 200.0]}), _year_of(1200.0),
        pd.DataFrame({"rep_id": ["R1", "R2"], "hire_date": pd.to_datetime(["2020-01-01", "2025-11-01"])}),
        plan_year=2025, ramp=[0.0, 0.0, 1.0]),
    "no_rates": lambda: targets.activity_quota(
        pd.DataFrame({"rep_id": ["R1"], "month": pd.to_datetime(["2025-10-01"]), "quota": [45_000.0]}),
        pd.DataFrame({"rep_id": ["R1"], "leads": [40], "intents": [0], "negotiations": [0], "won": [0],
                      "won_amount": [0.0], "leads_created": [40], "visits": [120]})),
}


@pytest.mark.parametrize("code", sorted(_TARGETS))
def test_targets_the_data_cannot_give_are_worded_in_chinese(code):
    _check(_raised(_TARGETS[code]), f"targets.{code}")


def test_a_missing_idp_store_is_worded_in_the_users_language(tmp_path):
    from click.testing import CliRunner

    from playbook.cli import main

    url = f"sqlite:///{tmp_path / 'none.sqlite'}"
    res = CliRunner().invoke(main, ["idp", "export", "--store", url, "--out", str(tmp_path / "x.xlsx")],
                             env={"LC_ALL": "", "LANG": "zh_CN.UTF-8"})
    assert res.exit_code == 1
    assert res.output.startswith(f"错误：{url} 处尚无 IDP 存储")


def test_unknown_award_winners_are_worded_in_chinese():
    p = _flat(process_awards=[{"name": "best_demo", "amount": 100}])
    winners = pd.DataFrame({"award": ["best_dmeo"], "rep_id": ["R1"], "month": ["2024-01"]})
    exc = _raised(lambda: inc.run_plan(_orders(), _REPS, plan=p, period="2024", award_winners=winners))
    assert _check(exc, "incentives.award_winners") == (
        "获奖名单（award_winners）中的奖项 ['best_dmeo'] 不是本方案中由经理指定获奖人的过程奖"
        "（可用的奖项：“best_demo”）。")


def test_a_table_a_rule_needs_is_worded_in_chinese():
    p = _flat(referral_award={"amount": 100})
    exc = _raised(lambda: inc.run_plan(_orders(), _REPS, plan=p, period="2024"))
    assert str(exc) == ("parameter customers (needed by rule referral_award)=None is not valid: expected a "
                        "DataFrame with columns customer_id, channel.")
    assert _check(exc, "incentives.data.table_needed_by") == (
        "方案规则“referral_award”需要数据表「customers」（包含以下列：「customer_id、channel」），但没有提供。")


def test_a_plan_file_is_named_before_the_problem(tmp_path):
    file = tmp_path / "gap.yaml"
    file.write_text(yaml.safe_dump(_PLANS["tier_gap"], allow_unicode=True), encoding="utf-8")
    exc = _raised(lambda: inc.load_plan(file))
    assert str(exc).startswith("gap.yaml: plan 'gap', rule commission 'all_sales' tier 2: leaves a gap")
    assert message(exc, "en") == str(exc)
    assert message(exc, "zh").startswith("文件 gap.yaml：方案“gap”的规则“commission 'all_sales' 第 2 档”：")


# --------------------------------------------------------------------------- funnel rule files

_AUTHORITY = {
    "positions": {"positions": []},
    "key": {"positions": [{"title": "x"}]},
    "number": {"positions": [{"key": "rep", "max_discount": -1}]},
    "months": {"positions": [{"key": "rep", "max_free_months": 1.5}]},
    "deal_type": {"positions": [{"key": "rep"}], "ladder": [{"key": "s1", "deal_type": "upsell"}]},
}


@pytest.mark.parametrize("code", sorted(_AUTHORITY))
def test_a_bad_authority_file_is_worded_in_chinese(code, tmp_path):
    from playbook import funnel

    file = tmp_path / "authority.yaml"
    file.write_text(yaml.safe_dump(_AUTHORITY[code], allow_unicode=True), encoding="utf-8")
    assert _check(_raised(lambda: funnel.load_authority(file)), f"funnel.authority.{code}").startswith(
        "authority.yaml")


@pytest.mark.parametrize(("code", "text"), [
    ("funnel.leak_map.mapping", "- a\n"),
    ("funnel.leak_map.steps", "leaks: {closing: negotiation}\n"),
    ("yaml.syntax", "leaks: {closing: negotiation\n"),
])
def test_a_bad_leak_map_is_worded_in_chinese(code, text, tmp_path):
    from playbook import funnel

    file = tmp_path / "leaks.yaml"
    file.write_text(text, encoding="utf-8")
    _check(_raised(lambda: funnel.load_leak_map(file)), code)


def test_a_period_without_leads_is_worded_in_chinese():
    from playbook import funnel

    stages = funnel.stage_table(pd.DataFrame({
        "opportunity_id": ["o1"], "rep_id": ["R1"], "channel": ["referral"], "amount": [10.0],
        "created_date": pd.to_datetime(["2025-01-05"]), "intent_date": pd.to_datetime([None]),
        "closed_date": pd.to_datetime([None]), "outcome": ["open"]}), as_of="2025-06-30")
    exc = _raised(lambda: funnel.compare_periods(stages, before=("2024-01-01", "2024-03-31"),
                                                 after=("2025-01-01", "2025-03-31")))
    assert str(exc) == ("no opportunities created in the before period 2024-01-01 .. 2024-03-31: choose dates that "
                        "hold leads.")
    assert _check(exc, "funnel.no_leads") == (
        "改动前期间（2024-01-01 至 2024-03-31）没有新建的商机：请选择有线索的日期范围。")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_funnel_period_ending_before_it_starts_is_refused_before_any_data_is_read(lang, tmp_path):
    from click.testing import CliRunner

    from playbook import cli

    res = CliRunner().invoke(cli.main, ["funnel", "--data", str(tmp_path / "nosuch"), "--period-start", "2025-03-01",
                                        "--period-end", "2025-01-31", "--out", str(tmp_path), "--lang", lang])
    assert res.exit_code == 1 and "nosuch" not in res.output  # the dates first: no folder was looked for
    assert res.output == {
        "zh": "错误：参数“period_end”的值“2025-01-31”无效；应为：不早于期初（“2025-03-01”）的日期。\n",
        "en": "Error: parameter period_end='2025-01-31' is not valid: expected a date on or after "
              "period_start='2025-03-01'.\n"}[lang]
