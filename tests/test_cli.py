"""The ``playbook`` command: readable output, status 1 and no traceback on bad input."""

import subprocess
import sys

import pytest
from click.testing import CliRunner

from playbook.cli import main
from playbook.core import paths


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_help_lists_commands():
    out = run("--help").output
    for cmd in ("sample", "validate", "overview", "bench"):
        assert cmd in out


def test_sample_writes_every_table(tmp_path):
    res = run("sample", "--out", str(tmp_path), "--seed", "3", "--scale", "0.2")
    assert res.exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{t}.csv" for t in ("reps", "customers", "orders", "opportunities", "activities",
                             "channel_spend", "assessments", "quotas"))


def test_validate_chinese_example_succeeds():
    res = run("validate", str(paths.EXAMPLES_DIR / "chinese_crm_orders.csv"))
    assert res.exit_code == 0, res.output


def test_validate_broken_file_lists_problems_and_fails():
    res = CliRunner().invoke(main, ["validate", str(paths.EXAMPLES_DIR / "broken_orders.csv")])
    assert res.exit_code == 1
    assert "Traceback" not in res.output
    assert res.output.count("broken_orders.csv") >= 1
    assert len([ln for ln in res.output.splitlines() if "row" in ln.lower()]) >= 5


def test_validate_missing_file_is_a_message_not_a_traceback(tmp_path):
    res = CliRunner().invoke(main, ["validate", str(tmp_path / "nope.csv")])
    assert res.exit_code == 1
    assert "nope.csv" in res.output and "Traceback" not in res.output


def test_overview_on_broken_folder_stops_before_rendering(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("reps", "customers"):
        (data / f"{name}.csv").write_bytes((paths.SAMPLE_DIR / f"{name}.csv").read_bytes())
    (data / "orders.csv").write_text(
        "order_id,customer_id,rep_id,order_date,amount\nX1,NOPE,R001,2025-13-01,abc\n",
        encoding="utf-8")
    out = tmp_path / "reports"
    res = CliRunner().invoke(main, ["overview", "--data", str(data), "--out", str(out)])
    assert res.exit_code == 1
    assert "Traceback" not in res.output
    assert "orders.csv" in res.output and "2025-13-01" in res.output and "abc" in res.output
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.slow
def test_console_script_and_module_entry_point():
    res = subprocess.run([sys.executable, "-m", "playbook", "--help"], capture_output=True,
                         text=True, check=False)
    assert res.returncode == 0 and "validate" in res.stdout


def test_rfm_exports_one_sheet_per_segment(tmp_path):
    import pandas as pd

    out = tmp_path / "segments.xlsx"
    res = CliRunner().invoke(main, ["rfm", "--segment-map", "domain", "--lang", "zh",
                                    "--export", str(out)])
    assert res.exit_code == 0, res.output
    assert "高价值客户" in res.output
    sheets = pd.read_excel(out, sheet_name=None)
    assert set(sheets) <= {"高价值客户", "潜力客户", "沉睡客户", "其他客户"} and sheets  # named for people
    # every customer scored appears in exactly one list
    ids = pd.concat(sheets.values())["客户编号"]
    assert ids.is_unique


def test_quotas_workbook_sums_to_target(tmp_path):
    import pandas as pd

    out = tmp_path / "q.xlsx"
    res = CliRunner().invoke(main, ["quotas", "--plan-year", "2025", "--amount", "1000000.01",
                                    "--months", "equal", "--reps", "equal", "--out", str(out)])
    assert res.exit_code == 0, res.output
    sheets = pd.read_excel(out, sheet_name=None)
    assert round(sheets["Months"]["Target"].sum(), 2) == 1000000.01
    assert round(sheets["Reps"]["Quota"].sum(), 2) == 1000000.01


def test_quotas_bad_growth_is_a_message():
    res = CliRunner().invoke(main, ["quotas", "--plan-year", "2026", "--growth", "-1.5",
                                    "--out", "/tmp/never.xlsx"])
    assert res.exit_code == 1 and "growth" in res.output and "Traceback" not in res.output


def test_statements_one_workbook_per_paid_rep(tmp_path):
    import pandas as pd

    res = CliRunner().invoke(main, ["statements", "--period", "2025-Q1", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    files = sorted(tmp_path.glob("*.xlsx"))
    assert files and all(f.name.endswith("_2025-Q1.xlsx") for f in files)
    sheets = pd.read_excel(files[0], sheet_name=None)
    assert len(sheets) >= 2  # summary and line items


@pytest.mark.parametrize("args, words", [
    (["incentives", "--plan", "nope"], ["plan='nope'", "domain_marginal"]),
    (["statements", "--period", "2025-Q9", "--out", "/tmp/x"], ["period='2025-Q9'"]),
    (["funnel", "--data", "/nonexistent/folder"], ["/nonexistent/folder"]),
], ids=["unknown-plan", "bad-period", "missing-folder"])
def test_bad_parameters_are_messages(args, words):
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    assert all(w in res.output for w in words)


def test_case_study_preset_loads_cleanly(tmp_path):
    from playbook.data.loading import validate_dataset

    res = CliRunner().invoke(main, ["sample", "--preset", "saas-turnaround", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    _, issues = validate_dataset(tmp_path)
    assert issues.empty


@pytest.mark.slow
def test_workshop_solutions_written(tmp_path):
    res = CliRunner().invoke(main, ["workshop", "solutions", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert len(list(tmp_path.glob("*.ipynb"))) == len(list((paths.NOTEBOOKS_DIR / "workshop").glob("*.ipynb")))
    assert (tmp_path / "ANSWERS.md").exists()


@pytest.mark.slow
def test_workshop_handouts_show_code_and_results(tmp_path):
    res = CliRunner().invoke(main, ["workshop", "handouts", "--out", str(tmp_path), "--lang", "zh"])
    assert res.exit_code == 0, res.output
    pages = sorted(tmp_path.glob("*_zh.html"))
    assert len(pages) == len(list((paths.NOTEBOOKS_DIR / "workshop").glob("*.ipynb")))
    html = pages[1].read_text(encoding="utf-8")
    assert "case_study" in html  # the worked code is part of a handout
    assert "模块" in html
    assert ".jp-Cell-inputWrapper, .jp-InputPrompt" not in html  # code is not hidden by CSS


def test_app_serves_on_loopback_with_sources_stripped_and_kernel_culling():
    res = CliRunner().invoke(main, ["app", "--dry-run"])
    assert res.exit_code == 0
    cmd = res.output.splitlines()[-1]
    for flag in ("--Voila.ip=127.0.0.1", "--strip_sources=True", "--show_tracebacks=False",
                 "--MappingKernelManager.cull_idle_timeout=900"):
        assert flag in cmd
    assert str(paths.APPS_DIR) in cmd


def test_app_serves_the_users_data_and_checks_it_first(tmp_path, monkeypatch):
    from playbook.apps import identity

    seen = {}
    monkeypatch.setattr("playbook.cli.server.check_port", lambda *a, **k: None)
    monkeypatch.setattr("playbook.cli.server.serve", lambda cmd, *, env, **k: seen.update(env) or 0)
    out = tmp_path / "crm"
    res = CliRunner().invoke(main, ["import", str(paths.EXAMPLES_DIR / "hubspot_deals_export.csv"),
                                    "--map", "hubspot", "--out", str(out), "--as-of", "2025-12-31"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(main, ["app", "--data", str(out)])
    assert res.exit_code == 0, res.output
    assert seen[identity.ENV_DATA] == str(out.resolve())
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "orders.csv").write_bytes((paths.EXAMPLES_DIR / "chinese_crm_orders.csv").read_bytes())
    res = CliRunner().invoke(main, ["app", "--data", str(raw), "--map", "chinese_crm", "--lang", "zh"])
    assert res.exit_code == 1 and "reps.csv" in res.output and "Traceback" not in res.output


@pytest.mark.slow
def test_funnel_period_and_team_reach_the_report(tmp_path):
    res = CliRunner().invoke(main, ["funnel", "--team", "华东一组", "--period-start", "2025-04-01",
                                    "--period-end", "2025-06-30", "--as-of", "2025-09-30", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    html = (tmp_path / "funnel_en.html").read_text(encoding="utf-8")
    assert "leads created 2025-04-01 to 2025-06-30 · team: 华东一组" in html
