"""playbook import: each example export in, the right numbers out; every bad input refused.

Expected totals are computed here from the raw files with the csv module / openpyxl and
decimal arithmetic (an independent parse), never with the code under test.
"""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from playbook.cli import main
from playbook.core.paths import EXAMPLES_DIR
from playbook.data.examples import write_examples
from playbook.data.importing import MARKER, import_exports
from playbook.data.units import local_dates, read_amounts

AS_OF = "2025-12-31"


def run(*args: str) -> object:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def imported(tmp_path: Path, *files: str, map_name: str, extra: tuple = ()) -> Path:
    out = tmp_path / "data"
    res = run("import", *(str(EXAMPLES_DIR / f) for f in files), "--map", map_name,
              "--out", str(out), "--as-of", AS_OF, *extra)
    assert res.exit_code == 0, res.output
    return out


def cents_of(path: Path) -> int:
    """Net order total of a written orders.csv, in cents (decimal, not float)."""
    with open(path, encoding="utf-8", newline="") as fh:
        return sum(int(Decimal(r["amount"]) * 100) for r in csv.DictReader(fh))


def dec(text: str) -> Decimal:
    return Decimal(text.replace("CN¥", "").replace("¥", "").replace(",", "").replace(" ", ""))


def _entries(path: Path) -> list[tuple[str, bytes]]:
    """An xlsx file's zip entries: names and contents, in order, without their times."""
    with zipfile.ZipFile(path) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def test_examples_are_what_the_generator_writes(tmp_path):
    written = write_examples(tmp_path)
    assert sorted(p.name for p in written) == [
        "chinese_crm_customers.csv", "chinese_crm_deals_wan.xlsx", "chinese_crm_deals_yuan.csv",
        "chinese_crm_people.xlsx", "hubspot_deals_export.csv", "hubspot_deals_latin1.csv",
        "salesforce_report.csv", "salesforce_report.xlsx"]
    for path in written:
        committed = EXAMPLES_DIR / path.name
        if path.suffix == ".csv":
            assert path.read_bytes() == committed.read_bytes(), path.name
        else:  # the committed workbooks carry the time they were written (docProps/core.xml)
            assert ([e for e in _entries(path) if e[0] != "docProps/core.xml"]
                    == [e for e in _entries(committed) if e[0] != "docProps/core.xml"]), path.name
            # no time of writing inside: the same content gives the same bytes
            with zipfile.ZipFile(path) as archive:
                assert {info.date_time for info in archive.infolist()} == {(2025, 9, 30, 18, 0, 0)}
                core = archive.read("docProps/core.xml").decode()
            assert core.count("2025-09-30T18:00:00Z") == 2, core  # created and modified


def test_salesforce_csv_footer_and_cny_sign(tmp_path):
    raw = (EXAMPLES_DIR / "salesforce_report.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(raw)))
    header = rows[0]
    won = [r for r in rows[1:] if len(r) == len(header) and r[header.index("Stage")] == "Closed Won"]
    expected = sum(dec(r[header.index("Amount")]) for r in won)
    assert expected == Decimal("269389.37")  # 120000 + 32500.50 + 18000 + 88888.88 + 9999.99
    out = imported(tmp_path, "salesforce_report.csv", map_name="salesforce")
    assert cents_of(out / "orders.csv") == int(expected * 100)
    opps = pd.read_csv(out / "opportunities.csv", dtype=str, keep_default_na=False)
    assert len(opps) == 8 and "unknown" in set(opps["channel"])  # the blank Lead Source
    assert (out / MARKER).exists()


def test_salesforce_xlsx_title_rows_and_grand_totals(tmp_path):
    ws = openpyxl.load_workbook(EXAMPLES_DIR / "salesforce_report.xlsx").active
    rows = [r for r in ws.iter_rows(values_only=True)]
    header = list(rows[3])
    won = [r for r in rows[4:] if r[header.index("Stage")] == "Closed Won"]
    expected = sum(Decimal(str(r[header.index("Amount")])) for r in won)
    out = imported(tmp_path, "salesforce_report.xlsx", map_name="salesforce")
    assert cents_of(out / "orders.csv") == int(expected * 100) == 26938937


def test_hubspot_utc_close_lands_on_the_beijing_date_and_first_company(tmp_path):
    out = imported(tmp_path, "hubspot_deals_export.csv", map_name="hubspot")
    orders = pd.read_csv(out / "orders.csv", dtype=str)
    # 2025-03-06T23:30Z is 07:30 on 7 March in Beijing; 2025-04-30T16:10Z is 1 May 00:10
    assert orders["order_date"].tolist() == ["2025-03-07", "2025-05-01", "2025-06-30"]
    assert orders["customer_id"].tolist() == ["Hengda Logistics", "Dongfang Retail", "Xinyuan Medical"]
    assert cents_of(out / "orders.csv") == 12000000 + 3250050 + 1800025
    reps = pd.read_csv(out / "reps.csv", dtype=str)
    assert sorted(reps["rep_id"]) == ["Li Wei", "Wang Fang", "Zhang Min"]


def test_hubspot_tz_option(tmp_path):
    out = imported(tmp_path, "hubspot_deals_export.csv", map_name="hubspot", extra=("--tz", "UTC"))
    assert pd.read_csv(out / "orders.csv", dtype=str)["order_date"].iloc[0] == "2025-03-06"


def test_latin1_is_refused_then_read_with_encoding(tmp_path):
    out = tmp_path / "data"
    args = ["import", str(EXAMPLES_DIR / "hubspot_deals_latin1.csv"), "--map", "hubspot",
            "--out", str(out), "--as-of", AS_OF]
    res = run(*args)
    assert res.exit_code == 1 and not out.exists()
    assert "Bj鰎n" in res.output and "--encoding cp1252" in res.output
    res = run(*args, "--encoding", "latin-1")
    assert res.exit_code == 0, res.output
    assert "Björn Müller" in (out / "reps.csv").read_text(encoding="utf-8")


def test_chinese_yuan_csv_gbk_title_total_serial_fullwidth_split(tmp_path):
    text = (EXAMPLES_DIR / "chinese_crm_deals_yuan.csv").read_bytes().decode("gb18030")
    rows = list(csv.reader(io.StringIO(text)))[1:]
    header, body = rows[0], [r for r in rows[1:] if r[0] != "合计"]
    amount = header.index("成交金额(元)")
    net = sum(dec(r[amount].translate(str.maketrans("０１２３４５６７８９", "0123456789")))
              * (-1 if r[header.index("类型")] == "退款" else 1) for r in body)
    out = imported(tmp_path, "chinese_crm_deals_yuan.csv", map_name="chinese_crm")
    assert cents_of(out / "orders.csv") == int(net * 100) == 35051234
    orders = pd.read_csv(out / "orders.csv", dtype=str)
    split = orders[orders["customer_id"] == "东方零售"]
    assert split[["rep_id", "amount"]].values.tolist() == [["王芳", "50000.01"], ["李伟", "50000.00"]]
    assert orders.loc[orders["customer_id"] == "新源医疗", "order_date"].tolist() == ["2025-03-20"]


def test_chinese_wan_xlsx_with_customers_and_people(tmp_path):
    ws = openpyxl.load_workbook(EXAMPLES_DIR / "chinese_crm_deals_wan.xlsx").active
    rows = list(ws.iter_rows(values_only=True))[2:-1]
    net = Decimal(0)
    for r in rows:
        value = Decimal(str(r[4]).replace("万元", "")) * 10000
        net += -value if r[6] == "退款" else value
    out = imported(tmp_path, "chinese_crm_deals_wan.xlsx", "chinese_crm_customers.csv",
                   "chinese_crm_people.xlsx", map_name="chinese_crm")
    assert cents_of(out / "orders.csv") == int(net * 100) == 21_000_000
    reps = pd.read_csv(out / "reps.csv", dtype=str)
    assert reps.set_index("rep_id")["team"].to_dict()["王芳"] == "华东一组"


@pytest.mark.slow
def test_imported_folder_runs_overview_rfm_and_idp(tmp_path):
    out = imported(tmp_path, "chinese_crm_deals_yuan.csv", map_name="chinese_crm")
    res = run("rfm", "--data", str(out), "--as-of", AS_OF)
    assert res.exit_code == 0, res.output
    res = run("overview", "--data", str(out), "--out", str(tmp_path / "r"), "--as-of", AS_OF)
    assert res.exit_code == 0, res.output
    res = run("idp", "render", "--data", str(out), "--out", str(tmp_path / "idp"), "--reps", "王芳",
              "--no-pdf", "--as-of", AS_OF, "--store", f"sqlite:///{tmp_path / 'idp.sqlite'}")
    assert res.exit_code == 0, res.output
    html = next((tmp_path / "idp").rglob("*王芳*.html")).read_text(encoding="utf-8")
    assert "No ratings yet" in html and "every rated competency" not in html


# ---------------------------------------------------------------------------- units
UNITS = {"元": 1, "千元": 1000, "万元": 10000}


@given(cents=st.integers(min_value=-10**13, max_value=10**13),
       unit=st.sampled_from(["", "元", "千元", "万元", "header"]),
       style=st.sampled_from(["plain", "comma", "space", "nbsp", "thin", "apostrophe", "fullwidth"]),
       sign=st.sampled_from(["", "¥", "CN¥", "RMB ", "CNY "]),
       paren=st.booleans())
def test_any_amount_any_unit_any_separators_reads_back(cents, unit, style, sign, paren):
    factor = UNITS.get(unit, 1) if unit != "header" else 10000
    value = Decimal(cents) / 100 / factor  # exact: a decimal number of the unit
    whole, _, frac = f"{abs(value):f}".partition(".")
    groups = f"{int(whole):,}"
    sep = {"plain": "", "comma": ",", "space": " ", "nbsp": "\u00a0", "thin": "\u2009",
           "apostrophe": "'", "fullwidth": ","}[style]
    text = groups.replace(",", sep) + (f".{frac}" if frac else "")
    if style == "fullwidth":
        text = text.translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))
    text = sign + text + (unit if unit in UNITS else "")
    text = f"({text})" if cents < 0 and paren else ("-" + text if cents < 0 else text)
    got = read_amounts(pd.Series([text]), "wan" if unit == "header" else "cny")["cents"][0]
    assert got == cents, text


def test_zoned_timestamps_and_serials():
    out, zoned, serial = local_dates(pd.Series(["2025-12-31T16:00:00Z", "2025-03-07T01:00:00+09:00",
                                                "45658", "2025-03-07 23:59"]), "Asia/Shanghai")
    assert out.tolist() == ["2026-01-01", "2025-03-07", "2025-01-01", "2025-03-07 23:59"]
    assert zoned.tolist() == [True, True, False, False] and serial.tolist() == [False, False, True, False]


# ---------------------------------------------------------------------------- bad input
def fails(tmp_path: Path, files: list[Path], map_name: str, *extra: str, lang: str = "en") -> str:
    out = tmp_path / "out"
    res = run("import", *map(str, files), "--map", map_name, "--out", str(out), "--as-of", AS_OF,
              "--lang", lang, *extra)
    assert res.exit_code == 1, res.output
    assert not out.exists() and not list(tmp_path.glob(".out.*"))
    assert "Traceback" not in res.output
    return res.output


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


HS = "Record ID,Deal Stage,Amount,Create Date,Close Date,Deal owner,Associated Company\n"


def test_only_lost_deals(tmp_path):
    f = write(tmp_path, "deals.csv", HS + "1,Closed lost,100,2025-01-02,2025-02-03,Li Wei,A\n"
              "2,Closed lost,200,2025-01-02,2025-02-03,Li Wei,B\n")
    text = fails(tmp_path, [f], "hubspot")
    assert "none of the 2 deals is won" in text and "deals.csv" in text


def test_owner_blanks_grouped_with_rows(tmp_path):
    body = "".join(f"{i},Closed won,100,2025-01-02,2025-02-03,,A\n" for i in range(1, 8))
    f = write(tmp_path, "deals.csv", HS + "9,Closed won,100,2025-01-02,2025-02-03,Li Wei,A\n" + body)
    text = fails(tmp_path, [f], "hubspot")
    assert "1 cause(s)" in text and "row 3, column Deal owner" in text
    assert "(and 6 more row(s) with the same problem: 4, 5, 6, 7, 8, 9)" in text


def test_two_files_for_the_same_table(tmp_path):
    a = write(tmp_path, "a.csv", HS + "1,Closed won,100,2025-01-02,2025-02-03,Li Wei,A\n")
    b = write(tmp_path, "b.csv", HS + "2,Closed won,100,2025-01-02,2025-02-03,Li Wei,A\n")
    assert "several files hold the same table (a.csv, b.csv)" in fails(tmp_path, [a, b], "hubspot")


def test_map_naming_a_missing_column(tmp_path):
    f = write(tmp_path, "deals.csv", "Record ID,Deal Stage,Create Date,Deal owner\n1,Closed won,2025-01-02,Li\n")
    text = fails(tmp_path, [f], "hubspot", lang="zh")
    assert "缺少必需的列：Amount" in text and "deals.csv" in text and "影响该文件全部 1 行" in text


def test_header_given_to_two_kit_columns(tmp_path):
    cmap = write(tmp_path, "m.yaml", "tables:\n  opportunities:\n    columns:\n"
                 "      rep_id: Owner\n      customer_id: Owner\n      opportunity_id: ID\n"
                 "      outcome: Stage\n      created_date: Created\n")
    f = write(tmp_path, "deals.csv", "ID,Owner,Stage,Created,amount\n1,Li,won,2025-01-02,5\n")
    map_file = write(tmp_path, "m2.yaml", cmap.read_text().replace("customer_id: Owner", "channel: Owner"))
    text = fails(tmp_path, [f], str(map_file))
    assert "gives this one header to two kit columns (rep_id, channel)" in text
    assert "Columns present" not in text


def test_multi_sheet_workbook_needs_sheet(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Summary"
    ws = book.create_sheet("Deals")
    for row in [["Record ID", "Deal Stage", "Amount", "Create Date", "Close Date", "Deal owner",
                 "Associated Company"], [1, "Closed won", 100, "2025-01-02", "2025-02-03", "Li", "A"]]:
        ws.append(row)
    path = tmp_path / "deals.xlsx"
    book.save(path)
    text = fails(tmp_path, [path], "hubspot")
    assert "several sheets (Summary, Deals)" in text and "--sheet Deals" in text
    res = run("import", str(path), "--map", "hubspot", "--sheet", "Deals", "--out",
              str(tmp_path / "ok"), "--as-of", AS_OF)
    assert res.exit_code == 0 and "(sheet Deals)" in res.output


def test_header_unit_contradicting_the_map(tmp_path):
    f = write(tmp_path, "deals.csv", HS.replace("Amount", "Amount (万元)")
              + "1,Closed won,1.5,2025-01-02,2025-02-03,Li Wei,A\n")
    text = fails(tmp_path, [f], "hubspot")
    assert "the unit stated here (Amount (万元): 万元) contradicts column map hubspot: 元" in text
    res = run("import", str(f), "--map", "hubspot", "--amount-unit", "万元", "--out",
              str(tmp_path / "ok"), "--as-of", AS_OF)
    assert res.exit_code == 0, res.output
    assert cents_of(tmp_path / "ok" / "orders.csv") == 1_500_000


def test_silent_wan_trap_is_stopped(tmp_path):
    """An export in 元 whose header was renamed to the bare 成交金额 (read as 万元 by the map)."""
    rows = "".join(f"D{i},客户{i},王芳,2025/3/{i},{15000 + i * 1000}\n" for i in range(1, 6))
    f = write(tmp_path, "成交.csv", "订单编号,客户名称,负责人,成交日期,成交金额\n" + rows, "gb18030")
    text = fails(tmp_path, [f], "chinese_crm", lang="zh")
    assert "未注明单位" in text and "万元" in text


def test_one_amount_in_the_wrong_unit(tmp_path):
    rows = "".join(f"D{i},客户{i},王芳,2025/3/{i},{v}\n" for i, v in enumerate([1.5, 2, 0.8, 15000], 1))
    f = write(tmp_path, "成交.csv", "订单编号,客户名称,负责人,成交日期,成交金额(万元)\n" + rows)
    text = fails(tmp_path, [f], "chinese_crm")
    assert "row 5, column 成交金额(万元): '15000' is 1,000 times or more off" in text


def test_existing_folder_not_from_an_import_is_kept(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    res = run("import", str(EXAMPLES_DIR / "hubspot_deals_export.csv"), "--map", "hubspot",
              "--out", str(out), "--as-of", AS_OF)
    assert res.exit_code == 1 and "--out" in res.output or "out=" in res.output
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_reimport_replaces_an_earlier_import(tmp_path):
    out = imported(tmp_path, "hubspot_deals_export.csv", map_name="hubspot")
    out2 = imported(tmp_path, "salesforce_report.csv", map_name="salesforce")
    assert out == out2 and len(pd.read_csv(out / "opportunities.csv")) == 8


def test_library_call_reports_instead_of_raising():
    res = import_exports([EXAMPLES_DIR / "hubspot_deals_latin1.csv"], "hubspot")
    assert res.issues["code"].tolist() == ["mojibake"] and not res.tables


def test_validate_and_load_read_the_header_unit_and_flag_the_wan_trap(tmp_path):
    from playbook.data.loading import load_table, validate_table

    body = "D1,甲,王芳,2025/3/1,15000\nD2,乙,王芳,2025/3/2,23000\n"
    yuan = write(tmp_path, "yuan.csv", "订单编号,客户名称,负责人,成交日期,成交金额(元)\n" + body)
    assert load_table(yuan, column_map="chinese_crm", as_of=AS_OF)["amount"].tolist() == [15000.0, 23000.0]
    bare = write(tmp_path, "bare.csv", "订单编号,客户名称,负责人,成交日期,成交金额\n" + body)
    _, issues = validate_table(bare, column_map="chinese_crm", as_of=AS_OF)
    assert issues[["column", "code", "value", "expected"]].values.tolist() == [
        ["成交金额", "unit_assumed", "万元", "≈ ¥190,000,000.00"]]


def test_split_owners_are_checked_against_the_people_export(tmp_path):
    deals = write(tmp_path, "成交.csv", "客户名称,负责人,成交日期,成交金额(元)\n甲,王芳;李伟,2025/3/1,100.01\n"
                  "乙,王芳;赵六,2025/3/2,50\n")
    people = write(tmp_path, "人员.csv", "姓名,部门,入职日期\n王芳,一组,2021/4/6\n李伟,一组,2023/2/13\n")
    text = fails(tmp_path, [deals, people], "chinese_crm")
    assert "row 3, column 负责人: '王芳;赵六' is not found in reps.rep_id" in text
    assert "王芳;李伟" not in text
