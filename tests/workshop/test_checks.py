"""Workshop kit: every check accepts the solution and rejects a planted wrong answer without
revealing it; the solutions variant is built from the one solutions file; the notebooks run.
"""

import json
import re
import shutil

import pandas as pd
import pytest

from playbook import workshop
from playbook.core import paths
from playbook.core.errors import InputError, ParameterError
from playbook.data import case_study as case_data
from playbook.pipeline.notebooks import execute_notebook
from playbook.workshop.checks import CheckResult

WORKSHOP_DIR = paths.NOTEBOOKS_DIR / "workshop"
NOTEBOOKS = sorted(WORKSHOP_DIR.glob("*.ipynb"))
SOLUTIONS = workshop.load_solutions()
d = pd.to_datetime


def _no_leak(result, *values):
    """The rendered result never shows the expected value."""
    shown = result._repr_markdown_() + repr(result) + str(result.fields)
    for v in values:
        assert str(v) not in shown


# --- results -------------------------------------------------------------------------------


def test_check_result_renders_in_both_languages():
    r = CheckResult("q4_target", "not_yet", "workshop.hint.too_high", {"tip": "look again"}, "zh")
    assert not r and r.text() == "还不对：数值偏高。look again"
    assert r._repr_markdown_().startswith("🔁 **还不对")
    ok = CheckResult("causes", "right", "workshop.right.causes", lang="en")
    assert ok and ok.ok and ok.text().startswith("Right: ")
    assert repr(ok) == "CheckResult(exercise='causes', status='right')"
    with pytest.raises(ParameterError, match=r"parameter status='maybe' is not valid"):
        CheckResult("x", "maybe")
    with pytest.raises(ParameterError, match=r"parameter lang='fr'"):
        CheckResult("x", "right", lang="fr")


# --- judgement exercises (key in the solutions file) ---------------------------------------


def test_causes_accepts_the_key_and_names_wrong_items_without_their_answer():
    key = SOLUTIONS["causes"]["answer"]
    assert workshop.check_causes(dict(key)).ok
    wrong = {**key, "renewal_drop": "vague_targets", "long_cycle": "capability_gaps"}
    r = workshop.check_causes(wrong)
    assert r.status == "not_yet" and r.fields["right"] == 3 and r.fields["n"] == 5
    assert "Key-account renewal fell" in r.text() and "crude_operations" not in r.text()
    assert workshop.check_causes(dict.fromkeys(key)).status == "missing"
    assert workshop.check_causes({**key, "smb_churn": None}).status == "missing"
    assert "not one of the options" in workshop.check_causes({**key, "smb_churn": "bad luck"}).text()
    assert workshop.check_causes(["vague_targets"]).status == "not_yet"


def test_tier_plays_accepts_the_key_and_rejects_the_distractor():
    key = SOLUTIONS["tier_plays"]["answer"]
    assert workshop.check_tier_plays(dict(key), lang="zh").ok
    r = workshop.check_tier_plays({**key, "basic": "wake_up"}, lang="zh")
    assert r.status == "not_yet" and "基础客户" in r.text()
    _no_leak(r, "self_service")


# --- numeric exercises (tiny frames, hand-computed) ---------------------------------------


def test_q4_target():
    orders = pd.DataFrame({"order_date": d(["2022-03-01", "2022-11-01", "2023-02-01", "2023-08-01", "2023-10-05"]),
                           "amount": [600.0, 400.0, 500.0, 300.0, 999.0]})
    # 1.3 x (600 + 400) - (500 + 300) = 500; the October order is not banked yet
    assert workshop.check_q4_target(500.0, orders).ok
    assert workshop.check_q4_target(502.0, orders).ok  # within 0.5%
    r = workshop.check_q4_target(1300.0, orders)
    assert r.status == "not_yet" and r.hint == "workshop.hint.too_high"
    _no_leak(r, 500)
    assert workshop.check_q4_target(200.0, orders).hint == "workshop.hint.too_low"
    assert workshop.check_q4_target(0.05, orders).hint == "workshop.hint.in_cny"  # 500 CNY = 0.05 万元
    assert workshop.check_q4_target(None, orders).status == "missing"
    assert workshop.check_q4_target("a lot", orders).hint == "workshop.hint.number"


def test_tier_share():
    orders = pd.DataFrame({
        "order_id": list("1234"), "rep_id": ["R1"] * 4, "customer_id": ["S", "S", "G", "B"],
        "order_date": d(["2023-02-01", "2023-06-01", "2023-07-01", "2023-09-01"]),
        "amount": [400_000.0, 200_000.0, 300_000.0, 100_000.0],
    })
    # S spends 600k (strategic), G 300k, B 100k (growth: the basic tier is below 100k) -> 600 / 1000
    assert workshop.check_tier_share(0.6, orders, as_of="2023-09-30").ok
    assert workshop.check_tier_share(0.595, orders, as_of="2023-09-30").ok  # within 1 point
    assert workshop.check_tier_share(60, orders, as_of="2023-09-30").hint == "workshop.hint.as_share"
    r = workshop.check_tier_share(0.3, orders, as_of="2023-09-30")
    assert r.hint == "workshop.hint.too_low"
    _no_leak(r, 0.6)


def _opps():
    """12 leads of 2023 Q1: 10 reach intent, 8 negotiation, 2 deals -> negotiation is the weakest step.

    Q3: 4 negotiations, 1 with an objection.
    """
    n = 12
    intent = ["2023-01-10"] * 10 + [None] * 2
    nego = ["2023-01-20"] * 8 + [None] * 4
    outcome = ["won", "won"] + ["lost"] * 10
    q1 = pd.DataFrame({"opportunity_id": [f"P{i}" for i in range(n)], "rep_id": "R1", "channel": "referral",
                       "amount": 1000.0, "created_date": d(["2023-01-05"] * n), "intent_date": d(intent),
                       "negotiation_date": d(nego), "closed_date": d(["2023-02-01"] * n), "outcome": outcome,
                       "objection": [False] * 8 + [None] * 4})
    q3 = pd.DataFrame({"opportunity_id": [f"Q{i}" for i in range(4)], "rep_id": "R1", "channel": "referral",
                       "amount": 1000.0, "created_date": d(["2023-07-01"] * 4), "intent_date": d(["2023-07-03"] * 4),
                       "negotiation_date": d(["2023-07-10"] * 4), "closed_date": d(["2023-08-01"] * 4),
                       "outcome": ["won", "won", "won", "lost"], "objection": [False, False, False, True]})
    return pd.concat([q1, q3], ignore_index=True)


def test_bottleneck():
    opps = _opps()
    # lead->intent 10/12, intent->negotiation 8/10, negotiation->deal 2/8
    kw = {"start": "2023-01-01", "end": "2023-03-31", "as_of": "2023-09-30"}
    assert workshop.check_bottleneck("negotiation_to_deal", opps, **kw).ok
    r = workshop.check_bottleneck("lead_to_intent", opps, **kw)
    assert r.status == "not_yet" and "negotiation_to_deal" not in r.text()
    assert workshop.check_bottleneck("closing", opps, **kw).hint == "workshop.hint.unknown_option"
    assert workshop.check_bottleneck(None, opps, **kw).status == "missing"


def test_objection_after():
    kw = {"start": "2023-07-01", "end": "2023-09-30"}
    assert workshop.check_objection_after(0.25, _opps(), **kw).ok  # 1 of 4
    assert workshop.check_objection_after(25, _opps(), **kw).hint == "workshop.hint.as_share"
    r = workshop.check_objection_after(1 / 12, _opps(), **kw)  # over all leads: the wrong denominator
    assert r.hint == "workshop.hint.too_low"
    _no_leak(r, 0.25, "25%")


def _pay_tables():
    """Two reps, one quarter: A's 300k is a repeat order of a key account (bought 200k in 2022),
    B's 300k a new customer. Plan B adds 20% of the 8% rate on key-account repeat orders:
    A gains 300,000 x 8% x 20% = 4,800 CNY, B nothing."""
    return {
        "reps": pd.DataFrame({"rep_id": ["A", "B"], "name": ["甲", "乙"], "team": ["T", "T"],
                              "manager_id": [None, None], "hire_date": d(["2020-01-01"] * 2),
                              "base_salary": [10000.0, 10000.0]}),
        "customers": pd.DataFrame({"customer_id": ["K", "N"], "channel": ["trade_show", "paid_search"],
                                   "owner_rep_id": ["A", "B"]}),
        "orders": pd.DataFrame({"order_id": ["1", "2", "3"], "customer_id": ["K", "K", "N"],
                                "rep_id": ["A", "A", "B"], "order_date": d(["2022-05-01", "2023-08-01", "2023-08-02"]),
                                "amount": [200000.0, 300000.0, 300000.0]}),
        "quotas": pd.DataFrame({"rep_id": ["A", "B"] * 3, "quota": [100000.0] * 6,
                                "month": d(["2023-07-01"] * 2 + ["2023-08-01"] * 2 + ["2023-09-01"] * 2)}),
    }


def test_plan_gain():
    kw = {"plan_a": "domain_marginal", "plan_b": "renewal_uplift", "period": "2023-Q3", "team": "T"}
    tables = _pay_tables()
    change = workshop.plan_comparison(tables, **kw).set_index("rep_id")["change_cents"]
    assert change.to_dict() == {"A": 480000, "B": 0}
    assert workshop.check_plan_gain("A", tables, **kw).ok
    assert workshop.check_plan_gain("甲", tables, **kw).ok  # by name
    r = workshop.check_plan_gain("B", tables, **kw)
    assert r.status == "not_yet" and "A" not in r.text().replace("Pay", "")
    assert workshop.check_plan_gain("Z9", tables, **kw).hint == "workshop.hint.unknown_rep"
    with pytest.raises(ParameterError, match=r"parameter team='North' is not valid: expected one of T"):
        workshop.team_slice(tables, "North")


def _evidence():
    """The domain's IDP example (section 5): levels 4, 3, 4, 2; quota met, peers sell far more."""
    return pd.DataFrame({"rep_id": ["R4"], "name": ["董某某"], "role": ["销售专员"], "team": ["销售部"],
                         "quota": [200_000.0], "actual": [219_000.0], "peer_mean": [320_000.0],
                         "as_of": d(["2011-11-25"]),
                         "level__product_knowledge": [4], "level__customer_communication": [3],
                         "level__market_awareness": [4], "level__new_customer_development": [2]})


@pytest.mark.parametrize("answer, status", [
    ({"competency": "new_customer_development", "target_level": 4}, "right"),  # the source's plan
    ({"competency": "new_customer_development", "target_level": 3}, "right"),  # one level up is fine too
    ({"competency": "new_customer_development", "target_level": 5}, "not_yet"),  # three levels: too far
    ({"competency": "new_customer_development", "target_level": 2}, "not_yet"),  # no step up
    ({"competency": "customer_communication", "target_level": 5}, "not_yet"),  # not the first item
    ({"competency": "charisma", "target_level": 4}, "not_yet"),
    ({"competency": None, "target_level": None}, "missing"),
    ({"competency": "new_customer_development"}, "not_yet"),
], ids=["source", "one-step", "too-far", "no-step", "other-item", "unknown", "placeholder", "no-target"])
def test_idp_priority(answer, status):
    r = workshop.check_idp_priority(answer, _evidence(), "R4", lang="zh")
    assert r.status == status
    if answer.get("competency") == "customer_communication":  # the hint must not name the right item
        _no_leak(r, "new_customer_development", "开发新客户")


def test_smart_kr_accepts_the_solution_and_explains_failures():
    namespace = {}
    exec(SOLUTIONS["smart_kr"]["code"], namespace)  # the solution is a literal
    assert workshop.check_smart_kr(namespace["key_result"]).ok
    vague = {"id": "KR", "objective": "O1", "title": "Improve key accounts", "metric": "performance",
             "target": "more", "owner": ""}
    r = workshop.check_smart_kr(vague)
    assert r.status == "not_yet" and "Specific, Measurable" in r.text() and "Time-bound" in r.text()
    orphan = {**namespace["key_result"], "objective": "O9"}
    assert "does not exist" in workshop.check_smart_kr(orphan).text()
    assert workshop.check_smart_kr({"id": "KR1.1", "title": None}).status == "missing"
    assert workshop.check_smart_kr("renewal 85%").hint == "workshop.hint.mapping"


def test_pdca_verdicts():
    figures = pd.DataFrame({"figure": ["key_account_renewal", "cycle_days", "objection_rate"],
                            "stage": ["after"] * 3, "value": [0.88, 36.0, 0.18], "unit": ["pct", "days", "pct"]})
    krs = [{"id": "K1", "figure": "key_account_renewal", "direction": ">=", "target": 0.85},
           {"id": "K2", "figure": "cycle_days", "direction": "<=", "target": 30.0},
           {"id": "K3", "figure": "objection_rate", "direction": "<=", "target": 0.20}]
    right = {"K1": True, "K2": False, "K3": True}  # 88% >= 85%; 36 > 30 days; 18% <= 20%
    assert workshop.check_pdca_verdicts(right, figures, key_results=krs).ok
    r = workshop.check_pdca_verdicts({**right, "K3": False}, figures, key_results=krs)
    assert r.status == "not_yet" and r.fields == {"right": 2, "n": 3}
    assert workshop.check_pdca_verdicts({**right, "K2": None}, figures, key_results=krs).status == "missing"
    no = workshop.check_pdca_verdicts({**right, "K2": "no"}, figures, key_results=krs)
    assert no.hint == "workshop.hint.booleans"
    table = workshop.pdca_table(figures, key_results=krs, lang="zh")
    assert table.values.tolist() == [["K1", "重点客户续约率", ">= 85%", "88%"], ["K2", "成交周期", "<= 30 天", "36 天"],
                                     ["K3", "谈判异议率", "<= 20%", "18%"]]


# --- the solutions variant -----------------------------------------------------------------


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def test_every_notebook_has_an_exercise_and_a_check():
    assert [p.name for p in NOTEBOOKS] == [
        "01_four_causes.ipynb", "02_targets_smart.ipynb", "03_rfm_tiers.ipynb", "04_funnel_before_after.ipynb",
        "05_two_commission_plans.ipynb", "06_idp_from_evidence.ipynb", "07_pdca_review.ipynb"]
    marked = {}
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        exercises = workshop.exercise_cells(nb)
        assert exercises, path.name
        for name, index in exercises.items():
            src = "".join(nb["cells"][index]["source"])
            assert "# your answer here" in src and "None" in src, (path.name, name)
            after = "".join("".join(c["source"]) for c in nb["cells"][index + 1:])
            assert f"workshop.check_{name}(" in after, (path.name, name)
            marked[name] = path.name
    assert marked == {name: entry["notebook"] for name, entry in SOLUTIONS.items()}


def test_build_solutions(tmp_path):
    written = workshop.build_solutions(WORKSHOP_DIR, tmp_path / "solutions")
    assert [p.name for p in written] == [p.name for p in NOTEBOOKS] + ["ANSWERS.md"]
    for path in written[:-1]:
        nb = json.loads(path.read_text(encoding="utf-8"))
        assert nb["metadata"]["workshop"] == {"variant": "solutions"}
        for index in workshop.exercise_cells(nb).values():
            src = "".join(nb["cells"][index]["source"])
            assert "# your answer here" not in src and src.startswith("# Solution · 参考答案\n")
        # everything else is the committed notebook, unchanged
        committed = _cells(WORKSHOP_DIR / path.name)
        same = [i for i, c in enumerate(committed) if "workshop" not in c["metadata"]]
        assert [nb["cells"][i] for i in same] == [committed[i] for i in same]
    sheet = written[-1].read_text(encoding="utf-8")
    assert all(f"`{name}`" in sheet for name in SOLUTIONS)


def test_build_solutions_refuses_mismatches(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(WORKSHOP_DIR, src)
    with pytest.raises(ParameterError, match="a folder other than the notebooks' own"):
        workshop.build_solutions(src, src)
    with pytest.raises(ParameterError, match="parameter src_dir="):
        workshop.build_solutions(tmp_path / "empty", tmp_path / "out")
    nb = json.loads((src / "07_pdca_review.ipynb").read_text(encoding="utf-8"))
    index = workshop.exercise_cells(nb)["pdca_verdicts"]
    nb["cells"][index]["metadata"]["workshop"]["exercise"] = "pdca_guess"
    (src / "07_pdca_review.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    with pytest.raises(InputError, match=r"exercise 'pdca_guess' has no solution.*solution 'pdca_verdicts'"):
        workshop.build_solutions(src, tmp_path / "out")


def _solution_lines():
    """The non-trivial lines of every solution (code, or the key rendered as Python)."""
    for name, entry in SOLUTIONS.items():
        if "code" in entry:
            lines = [ln.strip() for ln in entry["code"].splitlines()]
            yield name, [ln for ln in lines if len(ln) > 25]
        else:
            yield name, [f'"{k}": "{v}"' for k, v in entry["answer"].items()] + [
                f"'{k}': '{v}'" for k, v in entry["answer"].items()]


def test_solutions_are_stored_only_once():
    """No solution line appears anywhere but the solutions file (notebooks, guide, code)."""
    others = [*NOTEBOOKS, WORKSHOP_DIR / "FACILITATOR.md", *paths.ROOT.joinpath("playbook").rglob("*.py"),
              *paths.ROOT.joinpath("playbook", "labels").glob("*.yaml")]
    texts = {p: p.read_text(encoding="utf-8") for p in others if p.is_file()}
    assert WORKSHOP_DIR / "FACILITATOR.md" in texts
    for name, lines in _solution_lines():
        assert lines, name
        for line in lines:
            for path, text in texts.items():
                assert line not in text, f"solution of {name!r} repeated in {path.name}: {line}"


# --- the notebooks run ---------------------------------------------------------------------


def _statuses(nb):
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text = out.get("data", {}).get("text/plain", "")
            found += re.findall(r"CheckResult\(exercise='(\w+)', status='(\w+)'\)", text)
            assert out.get("output_type") != "error", (out.get("ename"), out.get("evalue"))
    return dict(found)


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    return workshop.build_solutions(WORKSHOP_DIR, tmp_path_factory.mktemp("solutions"))[:-1]


RUNS = [(p.name, "en") for p in NOTEBOOKS] + [("04_funnel_before_after.ipynb", "zh")]


@pytest.mark.slow
@pytest.mark.parametrize("name, lang", RUNS, ids=[f"{n[:2]}-{lang}" for n, lang in RUNS])
def test_solutions_variant_runs_and_every_check_is_right(solved, name, lang, tmp_path):
    path = next(p for p in solved if p.name == name)
    nb = execute_notebook(path, {"lang": lang}, output=tmp_path / name)
    expected = {ex: "right" for ex, entry in SOLUTIONS.items() if entry["notebook"] == name}
    assert _statuses(nb) == expected


@pytest.mark.slow
def test_committed_notebook_runs_with_placeholders_and_says_not_answered(tmp_path):
    """The committed notebooks themselves run in both languages in tests/pipeline/test_notebooks.py."""
    nb = execute_notebook(WORKSHOP_DIR / "03_rfm_tiers.ipynb", {"lang": "zh", "seed": 11},
                          output=tmp_path / "03.ipynb")
    assert _statuses(nb) == {"tier_share": "missing", "tier_plays": "missing"}


def test_case_preset_is_what_the_notebooks_use():
    assert case_data.PRESET == "saas-turnaround"
    for path in NOTEBOOKS:
        src = "".join("".join(c["source"]) for c in _cells(path))
        assert "case_data.generate_case(seed=seed)" in src or "loading.load_inputs" in src, path.name
