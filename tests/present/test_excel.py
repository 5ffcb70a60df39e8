"""playbook.present.excel: every workbook and CSV the kit writes keeps data as data, never a formula."""

import io

import numpy as np
import openpyxl
import pandas as pd
import pytest

from playbook import incentives as inc
from playbook import rfm
from playbook.apps import csv_bytes
from playbook.idp import Plan
from playbook.pipeline.store import Store, export_excel, write_excel
from playbook.present import excel
from playbook.present import incentives as present_incentives
from playbook.present import rfm as present_rfm
from playbook.present.targets import quota_sheets, write_quota_workbook
from playbook.targets import decompose

HOSTILE = ["<img src=x onerror=alert(1)>", '=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)"]
NEUTRAL = ["<img src=x onerror=alert(1)>", '\'=HYPERLINK("http://x","y")', "'+1", "'-2+3", "'@SUM(A1)"]


def _cells(path):
    """Every cell of every sheet: (sheet, value, data_type)."""
    book = openpyxl.load_workbook(path)
    return [(ws.title, c.value, c.data_type) for ws in book.worksheets for row in ws.iter_rows() for c in row]


def _no_formula(path):
    cells = _cells(path)
    assert [c for c in cells if c[2] == "f"] == []
    for sheet, value, _kind in cells:
        if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            pytest.fail(f"live formula-like text {value!r} in sheet {sheet}")
    return cells


# --------------------------------------------------------------------------- neutralise
@pytest.mark.parametrize(("value", "shown"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("A-1", "A-1"), ("董某某", "董某某"), ("", ""), ("—", "—"),
    (-2, -2), (-2.5, -2.5), (None, None),
], ids=repr)
def test_neutralise_text(value, shown):
    assert excel.neutralise_text(value) == shown


def test_neutralise_keeps_numbers_dates_and_missing_values():
    f = pd.DataFrame({"id": HOSTILE, "amount": [-1.5, 2.0, -3.0, 0.0, np.nan], "n": [-1, 2, 3, 4, 5],
                      "day": pd.to_datetime(["2025-01-02"] * 5), "note": ["ok", None, "=x", "y", "z"],
                      "cat": pd.Categorical(["=a", "b", "b", "b", "b"])})
    out = excel.neutralise(f)
    assert out["id"].tolist() == NEUTRAL and out["note"].tolist()[2] == "'=x" and pd.isna(out["note"][1])
    assert out["cat"].tolist()[0] == "'=a"
    for col in ("amount", "n", "day"):
        pd.testing.assert_series_equal(out[col], f[col])
    assert f["id"].tolist() == HOSTILE  # input untouched


def test_safe_sheet_names():
    assert excel.safe_sheet_name("a[b]:c*d?e/f\\g") == "a_b__c_d_e_f_g"
    assert excel.safe_sheet_name("x" * 40) == "x" * 31
    assert excel.safe_sheet_name("x" * 40, ["x" * 31]) == "x" * 27 + " (2)"
    assert excel.safe_sheet_name("Reps", ["reps", "Reps (2)"]) == "Reps (3)"
    assert excel.safe_sheet_name("'quoted'") == "quoted" and excel.safe_sheet_name("/") == "_"
    assert excel.safe_sheet_name("''") == "Sheet"


# --------------------------------------------------------------------------- write_workbook
def test_write_workbook_keeps_text_as_text_and_numbers_as_numbers(tmp_path):
    frames = {"=bad/name[1]": pd.DataFrame({"id": HOSTILE, "amount": [-1234.5, 2.0, -3.0, 0.0, 1.0],
                                            "n": [-1, 2, 3, 4, 5]}),
              "Other": pd.DataFrame({"@head": [1]})}
    path = excel.write_workbook(frames, tmp_path / "new" / "book.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["=bad_name_1_", "Other"]  # a sheet name is never evaluated
    ws = book.worksheets[0]
    assert [c.value for c in ws["A"][1:]] == NEUTRAL and {c.data_type for c in ws["A"][1:]} == {"s"}
    assert [c.value for c in ws["B"][1:]] == [-1234.5, 2.0, -3.0, 0.0, 1.0]
    assert {c.data_type for c in ws["B"][1:]} == {"n"} and ws["C2"].value == -1 and ws["C2"].data_type == "n"
    assert book["Other"]["A1"].value == "'@head"
    _no_formula(path)
    assert [p.name for p in path.parent.iterdir()] == ["book.xlsx"]  # no temporary file left


def test_write_workbook_is_atomic(tmp_path):
    path = excel.write_workbook({"a": pd.DataFrame({"x": [1]})}, tmp_path / "book.xlsx")
    before = path.read_bytes()
    tz = pd.DataFrame({"when": pd.to_datetime(["2025-01-01"]).tz_localize("Asia/Shanghai")})
    with pytest.raises(ValueError, match="timezones"):  # Excel has no time zones: the write fails half way
        excel.write_workbook({"a": pd.DataFrame({"x": [2]}), "b": tz}, path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]


def test_write_csv(tmp_path):
    target = excel.write_csv(pd.DataFrame({"id": HOSTILE, "amount": [-1.5, 2, 3, 4, 5]}), tmp_path / "d" / "x.csv")
    back = pd.read_csv(target, encoding="utf-8-sig")
    assert back["id"].tolist() == NEUTRAL and back["amount"].tolist() == [-1.5, 2, 3, 4, 5]
    assert target.read_bytes().startswith(b"\xef\xbb\xbfid,amount\n")


# --------------------------------------------------------------------------- every writer goes through it
def test_quota_workbook(tmp_path):
    reps = pd.DataFrame({"rep_id": ["=R1", "R2"], "name": ['=HYPERLINK("http://x","y")', "-2+3"],
                         "team": ["@SUM(A1)", "+1"]})
    plan = decompose(reps, target=1200.0, plan_year=2025, time_method="equal", rep_method="equal")
    path = write_quota_workbook(quota_sheets(plan, lang="en"), tmp_path / "quota.xlsx")
    cells = _no_formula(path)
    texts = {v for _, v, k in cells if k == "s"}
    assert {"'=R1", '\'=HYPERLINK("http://x","y")', "'-2+3", "'@SUM(A1)", "'+1"} <= texts
    ws = openpyxl.load_workbook(path)["Rep x month"]
    assert ws.cell(row=2, column=4).value == 50.0 and ws.cell(row=2, column=4).number_format == "#,##0.00"


def test_statement_workbooks(tmp_path):
    reps = pd.DataFrame({"rep_id": ["R1"], "name": ['=HYPERLINK("http://x","y")'], "team": ["@SUM(A1)"],
                         "manager_id": [None], "hire_date": pd.to_datetime(["2020-01-01"]),
                         "base_salary": [10_000.0]})
    orders = pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["=C1", "-C2"], "rep_id": ["R1", "R1"],
                           "order_date": pd.to_datetime(["2024-01-10", "2024-03-02"]),
                           "amount": [1_200_000.0, -300_000.0], "product_line": ["+1", "软件订阅"],
                           "is_refund": [False, True]})
    quotas = pd.DataFrame({"rep_id": ["R1"], "month": pd.to_datetime(["2024-01-01"]), "quota": [1_000_000.0]})
    run = inc.run_plan(orders, reps, quotas, plan="domain_marginal", period="2024")
    path = present_incentives.write_statement(inc.payout_statement(run, rep_id="R1"), tmp_path / "s.xlsx")
    cells = _no_formula(path)
    assert any(v == '\'=HYPERLINK("http://x","y")' and k == "s" for _, v, k in cells)
    assert any(v == -28_000.0 and k == "n" for _, v, k in cells)  # the clawback stays a negative number
    assert [p.name for p in present_incentives.write_statements(run, tmp_path / "all")] == ["R1_2024.xlsx"]


def test_segment_lists(tmp_path):
    seg = pd.DataFrame({"customer_id": HOSTILE, "segment": ["champions", "lost", "lost", "lost", "lost"],
                        "monetary": [-5.0, 1.0, 2.0, 3.0, 4.0]})
    lists = rfm.segment_lists(seg, columns=["customer_id", "monetary"])
    book = present_rfm.write_segment_lists(lists, tmp_path / "lists.xlsx")[0]
    cells = _no_formula(book)
    assert ("champions", -5.0, "n") in cells and ("lost", "'@SUM(A1)", "s") in cells
    written = present_rfm.write_segment_lists(lists, tmp_path / "csv")
    assert [p.name for p in written] == ["champions.csv", "lost.csv"]
    back = pd.read_csv(written[1], encoding="utf-8-sig")
    assert back["customer_id"].tolist() == ["'@SUM(A1)", "'-2+3", "'+1", '\'=HYPERLINK("http://x","y")']


def test_store_export(tmp_path):
    items = pd.DataFrame({"competency": ["negotiation"], "why": ["=1+1"], "current_level": [3],
                          "target_level": [4], "measures": ['=HYPERLINK("http://x","y")'], "resources": ["@SUM(A1)"],
                          "review_date": pd.to_datetime(["2026-03-01"])})
    with Store(tmp_path / "idp.sqlite") as s:
        s.create_plan(Plan("R1", rep_name="-2+3", plan_date=pd.Timestamp("2025-10-08"), items=items), author="+1")
        path = export_excel(s, tmp_path / "export.xlsx")
    texts = {v for _, v, k in _no_formula(path) if k == "s"}
    assert {"'=1+1", '\'=HYPERLINK("http://x","y")', "'@SUM(A1)", "'-2+3", "'+1"} <= texts
    assert write_excel({"x" * 40: pd.DataFrame({"a": ["=1"]})}, tmp_path / "w.xlsx").exists()
    assert openpyxl.load_workbook(tmp_path / "w.xlsx").sheetnames == ["x" * 31]


def test_csv_bytes():
    data = csv_bytes(pd.DataFrame({"id": HOSTILE, "amount": [-1234.5, 2.0, 3.0, 4.0, 5.0]}))
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert back["id"].tolist() == NEUTRAL and back["amount"].tolist() == [-1234.5, 2.0, 3.0, 4.0, 5.0]
