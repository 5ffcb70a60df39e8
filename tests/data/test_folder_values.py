"""Data folders read values as ``playbook import`` does: zones, serials, full-width digits, units.

Expected dates and amounts are worked out by hand in the comments (Asia/Shanghai is UTC+8
all year; America/New_York is UTC-4 in summer time; Excel serial 45658 is 2025-01-01).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playbook.data.importing import import_exports
from playbook.data.loading import load_inputs, validate_dataset, validate_table

AS_OF = "2025-12-31"
REPS = "rep_id,name,team,hire_date\nR1,Li,East,2024-01-02\n"
CUSTOMERS = "customer_id\nC1\n"


def folder(tmp_path: Path, orders: str) -> Path:
    d = tmp_path / "data"
    d.mkdir(exist_ok=True)
    (d / "reps.csv").write_text(REPS, encoding="utf-8")
    (d / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    (d / "orders.csv").write_text("order_id,customer_id,rep_id,order_date,amount\n" + orders,
                                  encoding="utf-8")
    return d


def test_zoned_serial_and_full_width_dates_in_a_data_folder(tmp_path):
    d = folder(tmp_path, "O1,C1,R1,2025-03-31T23:30:00Z,100\n"      # 07:30 on 1 April in Beijing
                         "O2,C1,R1,2025-03-31T23:30:00+08:00,100\n"  # already Beijing time: 31 March
                         "O3,C1,R1,2025-03-31 15:59:59 UTC,100\n"    # 23:59:59 Beijing: 31 March
                         "O4,C1,R1,45748,100\n"                      # 45658 + 90 days: 1 April
                         "O5,C1,R1,２０２５-０３-０７,100\n"
                         "O6,C1,R1,2025-03-07,100\n")
    ds = load_inputs(d, as_of=AS_OF)
    assert ds.orders["order_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2025-04-01", "2025-03-31", "2025-03-31", "2025-04-01", "2025-03-07", "2025-03-07"]


def test_the_maps_timezone_is_the_teams_zone(tmp_path):
    d = folder(tmp_path, "O1,C1,R1,2025-04-01T02:00:00Z,100\n")  # 22:00 on 31 March in New York
    ny = {"timezone": "America/New_York", "tables": {"orders": {"columns": {}}}}
    ds, issues = validate_dataset(d, column_map=ny, as_of=AS_OF, cache=False)
    assert len(issues) == 0 and ds.orders["order_date"].tolist() == [pd.Timestamp("2025-03-31")]
    ds, _ = validate_dataset(d, as_of=AS_OF, cache=False)  # the kit map's zone: Asia/Shanghai
    assert ds.orders["order_date"].tolist() == [pd.Timestamp("2025-04-01")]


def test_units_in_cells_read_to_the_cent_in_a_data_folder(tmp_path):
    d = folder(tmp_path, 'O1,C1,R1,2025-03-07,"CN¥120,000.00"\n'  # 120000.00
                         "O2,C1,R1,2025-03-07,12.5万元\n"        # 12.5 x 10000 = 125000.00
                         "O3,C1,R1,2025-03-07,3千元\n"           # 3 x 1000 = 3000.00
                         "O4,C1,R1,2025-03-07,RMB 88.8\n"        # 88.80
                         "O5,C1,R1,2025-03-07,0.00125万\n"       # 12.5 -> 12.50
                         "O6,C1,R1,2025-03-07,１２３.４５\n"      # full-width: 123.45
                         "O7,C1,R1,2025-03-07,1234.5\n")
    ds, issues = validate_dataset(d, as_of=AS_OF, cache=False)
    assert len(issues) == 0
    assert [round(x * 100) for x in ds.orders["amount"]] == [
        12_000_000, 12_500_000, 300_000, 8_880, 1_250, 12_345, 123_450]


def test_a_header_unit_contradicting_the_map_is_an_issue_as_in_import(tmp_path):
    f = tmp_path / "deals.csv"
    f.write_text("Record ID,Deal Stage,Amount (万元),Create Date,Close Date,Deal owner,"
                 "Associated Company\n1,Closed won,12,2025-01-15,2025-03-07,Wang Fang,Hengda\n",
                 encoding="utf-8")
    _, issues = validate_table(f, column_map="hubspot", as_of=AS_OF)
    assert issues[["code", "column", "value", "expected"]].values.tolist() == [
        ["unit_conflict", "Amount (万元)", "Amount (万元): 万元", "column map hubspot: 元"]]
    res = import_exports([f], "hubspot", as_of=AS_OF)
    assert res.issues[["code", "column", "value", "expected"]].values.tolist() == \
        issues[["code", "column", "value", "expected"]].values.tolist()


def test_header_in_yuan_beats_the_maps_wan_in_a_data_folder(tmp_path):
    f = tmp_path / "orders.csv"
    f.write_text("订单编号,客户名称,负责人,成交日期,成交金额(元)\nD1,甲,王芳,2025-03-31T23:30:00Z,¥15000\n"
                 "D2,甲,王芳,2025/3/2,\"15,000.5\"\nD3,甲,王芳,2025/3/3,1.5万\n", encoding="utf-8")
    frame, issues = validate_table(f, column_map="chinese_crm", as_of=AS_OF)
    assert frame["amount"].tolist() == [15000.0, 15000.5]  # 元 as the header says, not the map's 万元
    assert frame["order_date"].tolist() == [pd.Timestamp("2025-04-01"), pd.Timestamp("2025-03-02")]
    # a cell in 万 under a 元 header: the same conflict as import reports
    assert issues[["code", "row", "value", "expected"]].values.tolist() == [
        ["unit_conflict", 4, "1.5万", "成交金额(元): 元"]]


# ---------------------------------------------------------------------------- same cents both ways
UNITS = {"": 1, "元": 1, "千元": 1000, "万元": 10000, "万": 10000}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cents=st.integers(min_value=1_000_000, max_value=4_000_000_000),
       unit=st.sampled_from(list(UNITS)),
       style=st.sampled_from(["plain", "comma", "space", "fullwidth"]),
       sign=st.sampled_from(["", "¥", "CN¥", "RMB ", "CNY "]),
       extra_digit=st.booleans())
def test_validation_and_import_give_the_same_cents(tmp_path, cents, unit, style, sign, extra_digit):
    value = Decimal(cents) / 100 / UNITS[unit] + (Decimal("0.0005") if extra_digit else 0)
    whole, _, frac = f"{value:f}".partition(".")
    text = f"{int(whole):,}".replace(",", {"plain": "", "comma": ",", "space": " ",
                                            "fullwidth": ","}[style]) + (f".{frac}" if frac else "")
    if style == "fullwidth":
        text = text.translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))
    text = sign + text + unit
    f = tmp_path / "deals.csv"
    f.write_text("Record ID,Deal Stage,Amount,Create Date,Close Date,Deal owner,Associated Company\n"
                 f'1,Closed won,"{text}",2025-01-15,2025-03-07,Wang Fang,Hengda\n', encoding="utf-8")
    frame, issues = validate_table(f, column_map="hubspot", as_of=AS_OF)
    res = import_exports([f], "hubspot", as_of=AS_OF)
    assert len(issues) == 0 and len(res.issues) == 0, (text, issues, res.issues)
    folder_cents = round(frame["amount"].iloc[0] * 100)
    import_cents = round(res.tables["opportunities"]["amount"].iloc[0] * 100)
    expected = int((value * UNITS[unit] * 100).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
    assert folder_cents == import_cents == expected, text


# ---------------------------------------------------------------------------- problems by cause
def test_a_broken_data_folder_is_reported_by_cause(tmp_path):
    from click.testing import CliRunner

    from playbook.cli import main

    rows = "".join(f"O{i},C1,R9,2025-03-0{1 + i % 9},100\n" for i in range(30)) + "X,C1,R1,2025-13-01,abc\n"
    d = folder(tmp_path, rows)
    res = CliRunner().invoke(main, ["rfm", "--data", str(d), "--as-of", AS_OF, "--lang", "en"])
    assert res.exit_code == 1 and "Traceback" not in res.output
    lines = res.output.splitlines()
    assert lines[0] == "32 problem(s) in the data, 3 cause(s) to fix, most rows first:"
    assert lines[1].endswith("row 2, column rep_id: 'R9' is not found in reps.rep_id. Add it there or correct the id.")
    assert lines[2] == "    (and 29 more row(s) with the same problem: 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, …)"
    assert "row 32, column order_date: '2025-13-01'" in lines[3] and "row 32, column amount: 'abc'" in lines[4]
    zh = CliRunner().invoke(main, ["rfm", "--data", str(d), "--as-of", AS_OF, "--lang", "zh"])
    assert zh.output.splitlines()[0] == "数据中有 32 个问题，需要修正 3 类（影响行数多的在前）："


def test_a_missing_column_is_one_line_with_the_rows_it_affects(tmp_path):
    from click.testing import CliRunner

    from playbook.cli import main

    d = folder(tmp_path, "")
    (d / "orders.csv").write_text("order_id,customer_id,order_date,amount\n"
                                  + "".join(f"O{i},C1,2025-03-07,100\n" for i in range(40)), encoding="utf-8")
    res = CliRunner().invoke(main, ["rfm", "--data", str(d), "--as-of", AS_OF, "--lang", "en"])
    assert res.exit_code == 1 and "Traceback" not in res.output
    lines = res.output.splitlines()
    assert lines[0] == "1 problem(s) in the data, 1 cause(s) to fix, most rows first:"
    assert "orders.csv" in lines[1] and "rep_id" in lines[1]
    assert lines[2:] == ["    (this affects all 40 row(s) of the file)"]
