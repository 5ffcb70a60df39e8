"""File names built from data stay inside their folder (one rule: playbook.core.paths)."""

import pandas as pd
import pytest

from playbook import incentives
from playbook.core.paths import file_in, safe_filename
from playbook.present import incentives as present_incentives
from playbook.present import rfm as present_rfm

HOSTILE = ["../x", "../../etc/passwd", "/abs/path", "a/b\\c", "..", "R1\x00", " ", "CON:"]


@pytest.mark.parametrize("name", HOSTILE)
def test_file_in_never_leaves_the_folder(tmp_path, name):
    path = file_in(tmp_path, name)
    assert path.parent == tmp_path.resolve()
    assert "/" not in path.name and "\\" not in path.name and not path.name.startswith(".")


def test_safe_filename_keeps_cjk_and_ids():
    assert safe_filename("idp_R004_zh") == "idp_R004_zh"
    assert safe_filename("董文斌 2025-Q1.xlsx") == "董文斌_2025-Q1.xlsx"


def test_statements_of_a_hostile_rep_id_stay_in_the_folder(tmp_path):
    reps = pd.DataFrame({"rep_id": ["../evil", "R2"], "name": ["X", "Y"], "team": ["T", "T"],
                         "hire_date": pd.to_datetime(["2020-01-01"] * 2)})
    orders = pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["c1", "c2"], "rep_id": ["../evil", "R2"],
                           "order_date": pd.to_datetime(["2024-03-01", "2024-03-02"]), "amount": [1000.0, 2000.0]})
    run = incentives.run_plan(orders, reps, plan="domain_marginal", period="2024")
    out = tmp_path / "out"
    written = present_incentives.write_statements(run, out)
    assert sorted(p.name for p in written) == ["R2_2024.xlsx", "evil_2024.xlsx"]
    assert all(p.parent == out.resolve() for p in written)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # nothing written beside it


def test_segment_csv_names_stay_in_the_folder(tmp_path):
    lists = {"../../escape": pd.DataFrame({"customer_id": ["c1"], "monetary": [1.0]})}
    [path] = present_rfm.write_segment_lists(lists, tmp_path / "lists")
    assert path == (tmp_path / "lists" / "escape.csv").resolve()
