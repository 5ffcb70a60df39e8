"""Each bench baseline computes the same figures as the kit on a small data set.

So a floor or a peer cannot silently do less than the kit and flatter it (or do more and
hide a regression). The timings themselves live in ``make bench``, never in a test.
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from playbook import idp
from playbook.apps.idp import IdpForm
from playbook.bench import README_END, README_START, Result, cases, compare, to_markdown
from playbook.bench.cases import app_start, idp_form, idp_render
from playbook.bench.cases.foundation import FLOOR_SUMMARY_COLUMNS, floor_rep_summary
from playbook.bench.cases.funnel import floor_rep_funnel, synthetic_opportunities
from playbook.bench.cases.rfm import floor_rfm, full_history_days, lifetimes_rfm
from playbook.core.errors import PlaybookWarning
from playbook.core.paths import ROOT
from playbook.data.sample import SAMPLE_AS_OF, generate, write_tables
from playbook.funnel import funnel_table, stage_table
from playbook.pipeline import batch
from playbook.pipeline.idp_batch import build_snapshot
from playbook.present import idp as present_idp
from playbook.rfm import rfm_table
from playbook.targets.overview import rep_summary


@pytest.fixture(scope="module")
def tables():
    return generate(seed=7, scale=1.0)


def test_overview_floor_gives_the_kits_figures(tables):
    kit = rep_summary(tables["orders"], tables["reps"], tables["quotas"], as_of=SAMPLE_AS_OF)
    floor = floor_rep_summary(tables["orders"], tables["quotas"], as_of=SAMPLE_AS_OF)
    floor = floor.set_index("rep_id").reindex(kit["rep_id"]).fillna(0).reset_index()
    floor = floor.astype({"new_customers": "int64", "orders": "int64"})
    assert kit["ytd_sales"].sum() > 0 and kit["new_customers"].sum() > 0
    pd.testing.assert_frame_equal(kit[FLOOR_SUMMARY_COLUMNS].astype({"rep_id": str}),
                                  floor[FLOOR_SUMMARY_COLUMNS].astype({"rep_id": str}), check_exact=True)


@pytest.mark.parametrize("window", ["full", 365])
def test_rfm_floor_gives_the_kits_figures(tables, window):
    orders = tables["orders"]
    days = full_history_days(orders, SAMPLE_AS_OF) if window == "full" else window
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlaybookWarning)
        kit = rfm_table(orders, as_of=SAMPLE_AS_OF, window_days=days)
    floor = floor_rfm(orders, as_of=SAMPLE_AS_OF, window_days=days)
    cols = ["customer_id", "recency_days", "frequency", "monetary"]
    pd.testing.assert_frame_equal(kit[cols].astype({"customer_id": str}),
                                  floor[cols].astype({"customer_id": str}), check_exact=True)


@pytest.mark.skipif(importlib.util.find_spec("lifetimes") is None, reason="the bench extra is not installed")
@pytest.mark.filterwarnings("ignore::Warning:lifetimes.*")
def test_lifetimes_peer_agrees_where_conventions_match(tables):
    orders = tables["orders"]
    days = full_history_days(orders, SAMPLE_AS_OF)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlaybookWarning)
        kit = rfm_table(orders, as_of=SAMPLE_AS_OF, window_days=days).set_index("customer_id")
    peer = lifetimes_rfm(orders, as_of=SAMPLE_AS_OF, window_days=days)
    assert sorted(peer.index) == sorted(kit.index)  # the same customers
    # T - recency: days from the last order to the as-of date
    assert ((peer["T"] - peer["recency"]).astype("int64").reindex(kit.index) == kit["recency_days"]).all()


def test_funnel_floor_gives_the_kits_figures():
    opps, reps = synthetic_opportunities(3000, reps=20, teams=2)
    kit = funnel_table(stage_table(opps, reps=reps), by="rep_id")
    floor = floor_rep_funnel(opps)
    cols = list(floor.columns)
    assert cols[:5] == ["rep_id", "leads", "intents", "negotiations", "deals"]
    pd.testing.assert_frame_equal(kit[cols].astype({"rep_id": str}), floor[cols].astype({"rep_id": str}),
                                  check_dtype=False)


def test_rows_say_pass_fail_or_nothing():
    assert Result("a", 1, 1.2, "floor", 1.0, target=1.3).verdict == "pass"
    assert Result("a", 1, 1.4, "floor", 1.0, target=1.3).verdict == "FAIL"
    assert Result("a", 1, 0.9, "peer", 1.0, target=1.0).verdict == "pass"
    assert Result("a", 1, 1.2, "limit", 0.1, limit=1.0).verdict == "FAIL"
    assert Result("a", 1, 1.0, "naive", 2.0).verdict == ""
    assert Result("a", 1, float("nan"), "peer (not installed)", float("nan"), target=1.0).verdict == "n/a"
    assert math.isnan(Result("a", 1, 1.0, "x", float("nan")).ratio)


def test_compare_runs_both_sides_the_same_number_of_times():
    calls = {"kit": 0, "base": 0}

    def kit():
        calls["kit"] += 1

    def base():
        calls["base"] += 1

    compare(kit, base, repeat=5)
    assert calls == {"kit": 5, "base": 5}


def test_markdown_states_date_load_and_repetitions():
    table = pd.DataFrame({"task": ["x"], "N": [3], "seconds": [1.0], "ratio": [np.nan]})
    table.attrs["meta"] = {"date": "2026-01-01 00:00 UTC", "load_before": "1.00 1.00 1.00",
                           "load_after": "2.00 1.00 1.00", "cpus": 2, "mode": "full", "minutes": "7.5"}
    text = to_markdown(table)
    assert "Measured 2026-01-01 00:00 UTC (full run, 7.5 min) on 2 CPUs" in text
    assert "load average (1, 5, 15 min) 1.00 1.00 1.00 before, 2.00 1.00 1.00 after" in text
    assert "| x | 3 | 1.0 | – |" in text


def test_readme_performance_table_comes_from_a_bench_run():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.count(README_START) == 1 and readme.count(README_END) == 1
    block = readme.split(README_START, 1)[1].split(README_END, 1)[0].strip()
    assert block == "(no run recorded yet)" or block.startswith("Measured ")
    if block.startswith("Measured "):
        assert "load average" in block and "| task |" in block
    # the section around the table holds no measured figure of its own
    section = readme.split("## Performance", 1)[1].split(README_START, 1)[0]
    assert re.search(r"\d(\.\d+)?\s*(s|x|seconds|%)\b", section) is None


def test_snapshot_row_builds_the_figures_an_independent_groupby_gives(tmp_path, monkeypatch):
    # the bench's big company, small: fewer teams than the scale's, so each rep has a bigger book
    monkeypatch.setattr(idp_render, "BIG_TEAMS", 3)
    monkeypatch.setenv("PLAYBOOK_CACHE", "off")
    tables = idp_render.big_company(2.0)
    assert tables["reps"]["team"].nunique() == 3 and len(tables["orders"]) > 25_000
    write_tables(tables, tmp_path / "data")
    snap, people = build_snapshot(tmp_path / "data", tmp_path / "out")
    evidence = batch.read_slice(snap, "evidence")
    as_of = batch.read_snapshot_meta(snap)["as_of"]
    floor = floor_rep_summary(tables["orders"], tables["quotas"], as_of=as_of).set_index("rep_id")
    floor = floor.reindex(evidence["rep_id"]).fillna(0)
    assert evidence["actual"].sum() > 0 and evidence["new_customers"].sum() > 0
    np.testing.assert_allclose(evidence["actual"], floor["ytd_sales"], rtol=0, atol=0.005)
    np.testing.assert_allclose(evidence["quota"], floor["ytd_quota"], rtol=0, atol=0.005)
    assert evidence["new_customers"].tolist() == floor["new_customers"].astype(int).tolist()
    assert sorted(people["rep_id"]) == sorted(evidence.loc[evidence["active"], "rep_id"])
    # the baseline pass reads and validates the same folder, every row of it
    dataset, issues = idp_render.one_pass(tmp_path / "data")
    assert issues.empty and len(dataset.orders) == len(tables["orders"])


def test_the_apps_cases_are_registered_once():
    found = cases()
    assert found["app_start"][1:] == (10.0, 1.0) and found["idp_form"][1:] == (10.0, 1.0)  # N: 10 full, 1 quick


def test_app_start_rows_state_their_real_n_and_the_target(monkeypatch):
    """Each side runs N times; the row's N is that N, the figures are the medians, the target 1.5."""
    calls = []
    monkeypatch.setattr(app_start, "_python", calls.append)
    monkeypatch.setattr(app_start, "_in_browser", lambda runs: ([3.0, 1.0, 4.0][:runs], [2.0, 1.0, 2.0][:runs]))
    monkeypatch.setattr(app_start, "CHROMIUM", "chromium")
    browser, python = app_start._bench_app_start(3.0)
    assert calls == [app_start.START_FORM, app_start.START_HOME] * 3  # alternating, 3 each
    assert (browser.repeats, browser.seconds, browser.baseline_seconds) == (3, 3.0, 2.0)
    assert (browser.target, browser.ratio, browser.verdict) == (1.5, 1.5, "pass")
    assert python.repeats == 3 and python.kind == "floor"
    assert browser.rows == python.rows == 13382  # the sample's orders, which the form loads
    assert not any("median of" in r.task for r in (browser, python))  # N lives in the N column
    monkeypatch.setattr(app_start, "CHROMIUM", None)
    assert [r.task for r in app_start._bench_app_start(1.0)] == [python.task]  # no chromium: no browser row


def test_idp_form_baseline_saves_what_the_form_saves(sample_dataset):
    """The Store.save_version baseline saves the plan the form saves after the bench types its line."""
    evidence = idp.dataset_evidence(sample_dataset)
    form = IdpForm("data/sample", lang="en", store_url="sqlite://", dataset=sample_dataset, evidence=evidence,
                   user=idp_form.HR_USER, hr_users=(idp_form.HR_USER,))
    form.rep.value = idp_form.REP
    form.rows[0].typed.value = "Bench: version 2"
    plan = present_idp.word_plan(idp.draft_plan(evidence, idp_form.REP))
    assert idp.plan_to_dict(form.current_plan()) == idp.plan_to_dict(idp_form.edited(plan, "Bench: version 2"))
    assert idp.plan_to_dict(form.current_plan()) != idp.plan_to_dict(plan)


def test_idp_form_row_states_its_real_n(monkeypatch):
    """Without the browser (a stand-in page): N clicks and N Store saves, versions 2 to N + 1, alternating."""
    order = []

    class Page:
        def __init__(self, browser, url):
            assert url.endswith("/voila/render/idp_form.ipynb?lang=en")

        def save(self, text, version):
            order.append(("form", version))
            return 0.25

    monkeypatch.setattr(idp_form, "CHROMIUM", "chromium")
    monkeypatch.setattr(idp_form, "_FormPage", Page)
    monkeypatch.setattr(idp_form, "voila", lambda *a, **k: contextlib.nullcontext("http://127.0.0.1:1"))
    monkeypatch.setattr(idp_form, "launch_browser", lambda: contextlib.nullcontext(None))
    [row] = idp_form._bench_idp_form(3.0)
    assert order == [("form", 1), ("form", 2), ("form", 3), ("form", 4)]  # version 1 untimed
    assert (row.repeats, row.seconds, row.rows) == (3, 0.25, 4)  # R004's draft has 4 items
    assert 0 < row.baseline_seconds < 5 and row.kind == "floor" and "median of" not in row.task
