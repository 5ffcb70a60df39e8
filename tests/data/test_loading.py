"""Loading: file types, encodings, SQL, column maps, detection, datasets and the examples."""

import datetime as dt
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from playbook.core import paths
from playbook.core.errors import InputError, ParameterError, ValidationError
from playbook.core.schema import TABLE_ORDER
from playbook.data import loading
from playbook.data.issues import ISSUE_COLUMNS, format_report
from playbook.data.loading import (
    Dataset,
    load_dataset,
    load_inputs,
    load_table,
    validate_dataset,
    validate_paths,
    validate_table,
)
from playbook.data.mapping import detect_table
from playbook.data.maps import REQUIRED_TABLES, ColumnMap, available_maps, load_column_map
from playbook.data.reading import read_frame
from playbook.data.validation import empty_frame

AS_OF = "2025-09-30"
EXAMPLES = paths.EXAMPLES_DIR
ORDERS = "order_id,customer_id,rep_id,order_date,amount\n"
CHINESE = ("订单编号,客户名称,成交金额,负责人,成交日期,产品线,类型,备注\n"
           "XS-1,恒达物流,1.5,王芳,2025/3/7,CRM 套件,新签,\n"
           "XS-2,金华食品,\"1,200\",李伟,2025年3月15日,数据分析,退款,部分退款\n")


def problems(issues):
    return [(None if pd.isna(r.row) else int(r.row), None if pd.isna(r.column) else r.column,
             r.code) for r in issues.itertuples(index=False)]


def typed_orders(ids, amounts, dates, refunds=None, extra=None):
    frame = pd.DataFrame({
        "order_id": pd.Series(ids, dtype="str"),
        "customer_id": pd.Series(["C1"] * len(ids), dtype="str"),
        "rep_id": pd.Series(["R1"] * len(ids), dtype="str"),
        "order_date": pd.to_datetime(dates).astype("datetime64[us]"),
        "amount": pd.Series(amounts, dtype="float64"),
        "product_line": pd.Series([np.nan] * len(ids), dtype="str"),
        "is_refund": refunds or [False] * len(ids),
    })
    for name, values in (extra or {}).items():
        frame[name] = pd.Series(values, dtype="str")
    return frame


# ---------------------------------------------------------------------------- reading
def test_read_frame_keeps_raw_text_and_user_row_numbers(write_file):
    path = write_file("x.csv", "id, amount ,note,\n007, 12 ,a\"b,\n\n,,,\n008,1e3,,\n")
    raw = read_frame(path)
    assert list(raw.columns) == ["id", "amount", "note"]  # stripped; empty nameless column gone
    assert raw.index.tolist() == [2, 5]  # blank lines dropped, line numbers kept
    assert raw.values.tolist() == [["007", " 12 ", 'a"b'], ["008", "1e3", ""]]
    assert all(str(t) == "str" for t in raw.dtypes)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_csv_encodings_are_detected(write_file, encoding):
    path = write_file("orders.csv", CHINESE, encoding=encoding)
    frame, issues = validate_table(path, as_of=AS_OF)
    assert problems(issues) == []
    assert frame.customer_id.tolist() == ["恒达物流", "金华食品"]
    assert list(frame.columns[-2:]) == ["类型", "备注"]


def test_explicit_encoding(write_file):
    path = write_file("orders.csv", CHINESE, encoding="gb18030")
    assert read_frame(path, encoding="gb18030").columns[0] == "订单编号"
    with pytest.raises(InputError, match="cannot be decoded"):
        read_frame(path, encoding="utf-8")
    with pytest.raises(ParameterError, match=r"parameter encoding='klingon' is not valid"):
        read_frame(path, encoding="klingon")


@pytest.mark.parametrize("name, sep", [("orders.tsv", "\t"), ("orders.csv", ";"),
                                       ("orders.txt", "\t")])
def test_other_separators(write_file, name, sep):
    path = write_file(name, ORDERS.replace(",", sep) + sep.join(["O1", "C1", "R1", "2025-03-07",
                                                                   "1,5"]) + "\n")
    frame, issues = validate_table(path, as_of=AS_OF)
    # "1,5" is not a number with thousands separators: reported, not read as 1.5 or 15
    assert problems(issues) == [(2, "amount", "bad_number")]


def test_read_frame_on_a_directory_is_a_parameter_error(tmp_path):
    with pytest.raises(ParameterError, match="use validate_dataset for a directory"):
        read_frame(tmp_path)


def _write_xlsx(path, rows, title=None, sheet="Orders"):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    if title:
        ws.append([title])
    for row in rows:
        ws.append(row)
    other = book.create_sheet("Other")
    other.append(["nothing", "here"])
    other.append([1, 2])
    book.save(path)
    return path


def test_xlsx_round_trip_with_date_cells_and_sheet_rows(tmp_path):
    path = _write_xlsx(tmp_path / "orders.xlsx", [
        ["order_id", "customer_id", "rep_id", "order_date", "amount", "is_refund"],
        ["O1", "C1", "R1", dt.datetime(2025, 3, 7), 12300, False],
        ["O2", "C1", "R1", "2025/3/8", 99.5, True],
        [None, None, None, None, None, None],
        ["O3", "C1", "R1", dt.date(2025, 2, 1), "12,3k", None],
    ], title="Orders export (title line)")
    frame, issues = validate_table(path, as_of=AS_OF)
    # row numbers are the sheet's: title on 1, header on 2, data from 3, a blank row 5
    assert problems(issues) == [(6, "amount", "bad_number")]
    pd.testing.assert_frame_equal(
        frame, typed_orders(["O1", "O2"], [12300.0, 99.5], ["2025-03-07", "2025-03-08"],
                            refunds=[False, True]))
    assert read_frame(path, sheet="Other").columns.tolist() == ["nothing", "here"]
    with pytest.raises(ParameterError, match=r"parameter sheet='Nope' is not valid: expected a "
                                             r"sheet name \(Orders, Other\)"):
        read_frame(path, sheet="Nope")


def test_unreadable_xlsx(write_file):
    path = write_file("orders.xlsx", b"this is not a zip file")
    _, issues = validate_table(path, "orders")
    assert problems(issues) == [(None, None, "unreadable_file")]
    assert issues.value[0] == "BadZipFile"


def test_parquet_round_trip(tmp_path):
    typed = typed_orders(["O1", "O2"], [12300.0, -5.25], ["2025-03-07", "2025-03-08"],
                         refunds=[False, True], extra={"note": ["a", None]})
    typed.to_parquet(tmp_path / "orders.parquet")
    frame = load_table(tmp_path / "orders.parquet", as_of=AS_OF)
    pd.testing.assert_frame_equal(frame, typed.assign(note=pd.Series(["a", ""], dtype="str")))


def test_parquet_issue_rows_are_record_numbers(tmp_path):
    typed = typed_orders(["O1", "O1"], [1.0, 2.0], ["2025-03-07", "2025-03-08"])
    typed.to_parquet(tmp_path / "orders.parquet")
    _, issues = validate_table(tmp_path / "orders.parquet", as_of=AS_OF)
    assert problems(issues) == [(1, "order_id", "duplicate_id"), (2, "order_id", "duplicate_id")]


# ---------------------------------------------------------------------------- SQL
@pytest.fixture
def crm_db(tmp_path):
    from sqlalchemy import create_engine

    url = f"sqlite:///{tmp_path / 'crm.db'}"
    engine = create_engine(url)
    pd.DataFrame({
        "订单编号": ["XS-1", "XS-2", "XS-3"], "客户名称": ["恒达", "金华", "恒达"],
        "成交金额": [1.5, 0.25, "abc"], "负责人": ["王芳", "李伟", "王芳"],
        "成交日期": ["2025-03-07", "2025/3/8", "2025-03-09"],
    }).astype(str).to_sql("orders", engine, index=False)
    engine.dispose()
    return url


def test_sql_query_through_a_column_map(crm_db):
    frame, issues = validate_table(crm_db, sql="SELECT * FROM orders ORDER BY 订单编号",
                                   column_map="chinese_crm", as_of=AS_OF)
    assert problems(issues) == [(3, "成交金额", "bad_number")]
    assert issues.file[0] == crm_db
    assert frame[["order_id", "amount"]].values.tolist() == [["XS-1", 15000.0],
                                                             ["XS-2", 2500.0]]


def test_sql_detects_the_map_and_table(crm_db):
    frame, issues = validate_table(crm_db, sql="SELECT * FROM orders WHERE 成交金额 != 'abc'",
                                   as_of=AS_OF)
    assert problems(issues) == [] and frame.amount.tolist() == [15000.0, 2500.0]


def test_sql_parameter_errors(crm_db, tmp_path):
    with pytest.raises(ParameterError, match=r"parameter sql=None is not valid: expected a SQL "
                                             r"query \(or table name\)"):
        validate_table(crm_db)
    with pytest.raises(ParameterError, match=r"parameter sql='SELECT 1' is not valid: expected "
                                             r"only with a database URL"):
        validate_table(tmp_path / "x.csv", sql="SELECT 1")
    with pytest.raises(ParameterError, match=r"parameter sql='SELECT \* FROM nope' is not valid: "
                                             r"expected a query that runs on sqlite:///.*no such "
                                             r"table: nope"):
        validate_table(crm_db, sql="SELECT * FROM nope")


def test_sql_missing_sqlite_file_and_empty_result(tmp_path, crm_db):
    _, issues = validate_table(f"sqlite:///{tmp_path / 'gone.db'}", "orders", sql="SELECT 1")
    assert problems(issues) == [(None, None, "file_not_found")]
    _, issues = validate_table(crm_db, sql="SELECT * FROM orders WHERE 1 = 0", table="orders")
    assert problems(issues) == [(None, None, "empty_file")]


# ---------------------------------------------------------------------------- column maps
def test_available_maps():
    assert available_maps() == ["kit", "chinese_crm", "hubspot", "salesforce"]


@pytest.mark.parametrize("name", ["kit", "chinese_crm", "hubspot", "salesforce"])
def test_shipped_maps_load_by_name_and_path(name):
    by_name = load_column_map(name)
    by_path = load_column_map(paths.COLUMN_MAPS_DIR / f"{name}.yaml")
    assert by_name.name == by_path.name == name
    assert by_name.tables.keys() == by_path.tables.keys()
    assert by_name.description


def test_kit_map_is_the_identity_for_every_table():
    cmap = load_column_map("kit")
    assert list(cmap.tables) == list(TABLE_ORDER)
    assert all(tm.columns == {} and tm.amount_factor == 1.0 for tm in cmap.tables.values())


def test_map_from_a_dict_and_identity_fallback():
    cmap = load_column_map({"amount_unit": "wan", "tables": {"orders": {"columns": {
        "amount": ["金额", "成交金额"]}}}})
    assert cmap.table("orders").headers_for("amount") == ("金额", "成交金额", "amount")
    assert cmap.table("orders").amount_factor == 10_000.0
    assert cmap.table("quotas").amount_factor == 10_000.0  # map-wide unit
    assert isinstance(load_column_map(cmap), ColumnMap)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"tables": {"order": {}}}, r"kit tables only under 'tables:'.*not 'order'"),
        ({"tables": {"orders": {"columns": {"amout": "金额"}}}},
         r"in table 'orders': kit columns of orders under 'columns:'.*not amout"),
        ({"amount_unit": "usd", "tables": {}}, r"amount_unit: cny, qian \(千元\) or wan \(万元\), not 'usd'"),
        ({"date_format": "ddmmyy", "tables": {}}, r"date_format: YMD, MDY, DMY or a strptime"),
        ({"tabels": {}}, r"only the keys name, description.*\(unknown: tabels\)"),
        ({"tables": {"orders": {"refund": "类型"}}}, r"'refund:' only for orders, as"),
        ({"tables": {"orders": {"colums": {}}}}, r"in table 'orders': only the keys.*colums"),
    ],
    ids=["table", "column", "unit", "date_format", "top_key", "refund", "table_key"],
)
def test_malformed_maps_are_parameter_errors(data, message):
    with pytest.raises(ParameterError, match=r"parameter column_map='custom' is not valid: "
                                             r"expected .*" + message):
        load_column_map(data)


def test_unknown_map_name_lists_the_maps(write_file):
    with pytest.raises(ParameterError, match=r"parameter column_map='sap' is not valid: expected "
                                             r"one of kit, chinese_crm, hubspot, salesforce or"):
        load_column_map("sap")
    path = write_file("orders.csv", ORDERS + "O1,C1,R1,2025-03-07,1\n")
    with pytest.raises(ParameterError, match="column_map='sap'"):
        validate_table(path, column_map="sap")


def test_map_yaml_file_of_ones_own(write_file):
    yaml_path = write_file("mine.yaml", """
        # my CRM
        tables:
          quotas:
            columns: {rep_id: 工号, month: 月份, quota: 指标}
            amount_unit: wan
        """)
    csv_path = write_file("q.csv", "工号,月份,指标\nR1,2025年1月1日,12.5\n")
    frame = load_table(csv_path, column_map=yaml_path, as_of=AS_OF)
    assert frame.values.tolist() == [["R1", pd.Timestamp("2025-01-01"), 125000.0]]


def test_value_maps_defaults_and_clear_unless(write_file):
    cmap = {"tables": {"opportunities": {
        "columns": {"opportunity_id": "ID", "rep_id": "Owner", "amount": "Value",
                    "created_date": "Created", "closed_date": "Close", "outcome": "Stage"},
        "values": {"outcome": {"Closed Won": "won", "closed_lost": "lost", "*": "open"}},
        "defaults": {"channel": "unknown"},
        "clear_unless": {"closed_date": {"outcome": ["won", "lost"]}},
    }}}
    path = write_file("deals.csv", "ID,Owner,Value,Created,Close,Stage\n"
                      "D1,Li,10,2025-01-01,2025-02-01,CLOSED WON\n"
                      "D2,Li,20,2025-01-01,2025-02-01,Closed Lost\n"
                      "D3,Li,30,2025-01-01,2030-12-31,Demo booked\n")
    frame = load_table(path, column_map=cmap, as_of=AS_OF)
    assert frame.outcome.tolist() == ["won", "lost", "open"]
    assert frame.channel.tolist() == ["unknown"] * 3
    # the forecast close date of the open deal is gone (so not "after the as-of date")
    assert frame.closed_date.tolist()[2] is pd.NaT


def test_bad_value_after_a_value_map_shows_the_raw_value(write_file):
    cmap = {"tables": {"opportunities": {"values": {"outcome": {"gewonnen": "won"}}}}}
    path = write_file("opportunities.csv", "opportunity_id,rep_id,channel,amount,created_date,"
                      "outcome\nP1,R1,web,1,2025-01-01,verloren\n")
    _, issues = validate_table(path, column_map=cmap, as_of=AS_OF)
    assert issues[["row", "column", "value", "code"]].values.tolist() == [
        [2, "outcome", "verloren", "bad_category"]]


def test_chinese_headers_wan_and_refund_rule(write_file):
    path = write_file("crm.csv", CHINESE, encoding="gb18030")
    frame = load_table(path, column_map="chinese_crm", as_of=AS_OF)
    expected = pd.DataFrame({
        "order_id": pd.Series(["XS-1", "XS-2"], dtype="str"),
        "customer_id": pd.Series(["恒达物流", "金华食品"], dtype="str"),
        "rep_id": pd.Series(["王芳", "李伟"], dtype="str"),
        "order_date": pd.to_datetime(["2025-03-07", "2025-03-15"]).astype("datetime64[us]"),
        "amount": [15000.0, -12_000_000.0],
        "product_line": pd.Series(["CRM 套件", "数据分析"], dtype="str"),
        "is_refund": [False, True],
        "类型": pd.Series(["新签", "退款"], dtype="str"),
        "备注": pd.Series(["", "部分退款"], dtype="str"),
    })
    pd.testing.assert_frame_equal(frame, expected)


def test_extra_columns_are_kept_unchanged_after_the_schema(write_file):
    path = write_file("orders.csv", "note,order_id,customer_id,rep_id,order_date,amount,Region\n"
                      " spaced ,O1,C1,R1,2025-03-07,1,东区\n0012,O2,C1,R1,2025-03-07,2,\n")
    frame = load_table(path, as_of=AS_OF)
    pd.testing.assert_frame_equal(
        frame, typed_orders(["O1", "O2"], [1.0, 2.0], ["2025-03-07"] * 2,
                            extra={"note": [" spaced ", "0012"], "Region": ["东区", ""]}))


def test_headers_match_ignoring_case_spaces_and_width(write_file):
    path = write_file("export.csv", "Order ID, CUSTOMER_ID ,Rep Id,Order Date,Ａｍｏｕｎｔ\n"
                      "O1,C1,R1,2025-03-07,1\n")
    frame = load_table(path, as_of=AS_OF)
    assert list(frame.columns) == list(empty_frame("orders").columns)


# ---------------------------------------------------------------------------- detection
@pytest.mark.parametrize(
    "headers, expected",
    [
        (["order_id", "customer_id", "rep_id", "order_date", "amount"], ("kit", "orders")),
        (["customer_id", "name", "industry"], ("kit", "customers")),
        (["rep_id", "month", "quota"], ("kit", "quotas")),
        (["rep_id", "competency", "level", "rater", "assessed_date"], ("kit", "assessments")),
        (["订单编号", "客户名称", "成交金额", "负责人", "成交日期", "类型"],
         ("chinese_crm", "orders")),
        (["Record ID", "Deal Name", "Deal Stage", "Amount", "Create Date", "Deal owner"],
         ("hubspot", "opportunities")),
        (["Opportunity Owner", "Account Name", "Stage", "Amount", "Created Date", "Lead Source"],
         ("salesforce", "opportunities")),
        (["foo", "bar"], ("kit", None)),
    ],
    ids=["orders", "customers", "quotas", "assessments", "chinese", "hubspot", "salesforce",
         "nothing"],
)
def test_detect_table_and_map(headers, expected):
    assert detect_table(headers) == expected


def test_detection_prefers_the_table_with_most_columns_even_if_incomplete(write_file):
    # customers needs only customer_id, but these headers are clearly an orders file
    path = write_file("export.csv", "order_id,customer_id,rep_id,amount\nO1,C1,R1,5\n")
    _, issues = validate_table(path, as_of=AS_OF)
    assert issues[["table", "code", "column"]].values.tolist() == [
        ["orders", "missing_column", "order_date"]]


def test_file_name_breaks_ties(write_file):
    assert detect_table(["rep_id"], file_name="quotas.csv") == ("kit", "quotas")
    assert detect_table(["rep_id"], file_name="reps.csv") == ("kit", "reps")


def test_given_table_and_bad_parameters(write_file):
    path = write_file("x.csv", ORDERS + "O1,C1,R1,2025-03-07,1\n")
    assert len(load_table(path, "orders", as_of=AS_OF)) == 1
    with pytest.raises(ParameterError, match=r"parameter table='order' is not valid: expected "
                                             r"one of reps, customers, orders"):
        validate_table(path, "order")
    with pytest.raises(ParameterError, match=r"parameter as_of='next week' is not valid"):
        validate_table(path, as_of="next week")
    with pytest.raises(ParameterError, match=r"parameter references=\['customer'\] is not "
                                             r"valid: expected kit table names as keys"):
        validate_table(path, references={"customer": {"C1"}})


def test_as_of_accepts_dates_and_defaults_to_today(write_file):
    path = write_file("orders.csv", ORDERS + "O1,C1,R1,2025-03-07,1\nO2,C1,R1,2999-01-01,1\n")
    for as_of in (dt.date(2025, 9, 30), pd.Timestamp("2025-09-30"), "2025/9/30", None):
        _, issues = validate_table(path, as_of=as_of)
        assert problems(issues) == [(3, "order_date", "date_after_as_of")]


# ---------------------------------------------------------------------------- examples
def test_example_kit_orders():
    frame = load_table(EXAMPLES / "kit_orders.csv", as_of=AS_OF)
    assert frame.order_id.tolist() == [f"O-100{i}" for i in range(1, 8)]
    assert frame.amount.tolist() == [12300.0, 45000.0, 8800.0, -2300.0, 150000.0, 9900.5,
                                     36000.0]
    assert frame.is_refund.tolist() == [False, False, False, True, False, False, False]
    assert list(frame.columns) == list(empty_frame("orders").columns)


@pytest.mark.parametrize("name", ["chinese_crm_orders.csv", "chinese_crm_orders.xlsx"])
def test_example_chinese_crm(name):
    if name.endswith(".csv"):
        with pytest.raises(UnicodeDecodeError):  # GB18030, as Chinese Excel saves it
            (EXAMPLES / name).read_bytes().decode("utf-8")
    frame = load_table(EXAMPLES / name, as_of=AS_OF)  # map detected from the headers
    assert frame.order_id.tolist() == [f"XS-2025-000{i}" for i in range(1, 8)]
    # 万元 -> CNY: 1.5 -> 15,000; the refund (类型 = 退款, 0.23 written positive) is negative
    assert frame.amount.tolist() == [15000.0, 45000.0, 8800.0, -2300.0, 150000.0, 9900.0,
                                     36000.0]
    assert frame.is_refund.tolist() == [False, False, False, True, False, False, False]
    assert frame.order_date.dt.strftime("%Y-%m-%d").tolist() == [
        "2025-03-07", "2025-03-15", "2025-04-02", "2025-05-20", "2025-06-11", "2025-07-01",
        "2025-09-30"]
    assert frame.rep_id.tolist() == ["王芳", "李伟", "王芳", "王芳", "张敏", "李伟", "张敏"]
    assert list(frame.columns[-2:]) == ["类型", "备注"]


def test_example_chinese_xlsx_equals_csv():
    pd.testing.assert_frame_equal(
        load_table(EXAMPLES / "chinese_crm_orders.xlsx", as_of=AS_OF),
        load_table(EXAMPLES / "chinese_crm_orders.csv", as_of=AS_OF))


def test_example_salesforce():
    frame = load_table(EXAMPLES / "salesforce_opportunities.csv", as_of=AS_OF)
    assert frame.opportunity_id.tolist() == [f"0065g00000AbCdE0{i}" for i in range(1, 7)]
    assert frame.outcome.tolist() == ["won", "lost", "open", "open", "won", "lost"]
    assert frame.amount.tolist() == [120000.0, 45000.0, 60000.0, 18000.0, 32500.0, 75000.0]
    assert frame.channel.tolist() == ["referral", "trade_show", "Web", "Advertisement",
                                      "referral", "Web"]
    # M/D/YYYY; the open opportunities' forecast close dates are cleared
    assert frame.created_date.tolist()[:2] == [pd.Timestamp("2025-01-15"),
                                               pd.Timestamp("2025-02-03")]
    assert frame.closed_date.dt.strftime("%Y-%m-%d").fillna("").tolist() == [
        "2025-03-07", "2025-04-18", "", "", "2025-05-06", "2025-07-22"]
    assert frame.lost_reason.fillna("").tolist() == ["", "Price", "", "", "", "Chose competitor"]
    assert "Amount Currency" in frame.columns and set(frame["Amount Currency"]) == {"CNY"}


def test_example_hubspot():
    frame = load_table(EXAMPLES / "hubspot_deals.csv", as_of=AS_OF)
    assert frame.opportunity_id.tolist() == [f"1482034920{i}" for i in range(1, 6)]
    assert frame.outcome.tolist() == ["won", "lost", "open", "open", "won"]
    assert frame.channel.tolist() == ["referral", "offline", "direct", "paid_search", "referral"]
    assert frame.amount.tolist() == [120000.0, 45000.0, 60000.0, 18000.0, 32500.5]
    assert frame.created_date.tolist()[0] == pd.Timestamp("2025-01-15")  # time dropped
    assert frame.closed_date.isna().tolist() == [False, False, True, True, False]
    assert frame.customer_id.tolist()[0] == "Hengda Logistics"
    assert list(frame.columns[-2:]) == ["Deal Name", "Pipeline"]


def test_example_broken_orders_lists_every_problem():
    issues = validate_paths([EXAMPLES / "broken_orders.csv"], as_of=AS_OF)
    got = issues[["row", "column", "value", "code"]].values.tolist()
    assert got == [
        [3, "order_date", "2025-02-30", "bad_date"],
        [4, "amount", "12,3k", "bad_number"],
        [5, "amount", "-500", "negative_not_refund"],
        [6, "order_id", "O-2005", "duplicate_id"],
        [7, "order_id", "O-2005", "duplicate_id"],
        [8, "customer_id", "", "missing_value"],
        [9, "order_date", "2052-06-30", "date_after_as_of"],
        [10, "order_date", "07/08/2025", "ambiguous_date"],
        [11, "is_refund", "maybe", "bad_bool"],
        [12, "rep_id", "", "missing_value"],
    ]
    # the file's own "note" column says what is wrong with each row
    raw = read_frame(EXAMPLES / "broken_orders.csv")
    assert raw.loc[[3, 4, 9], "note"].tolist() == ["no 30 February", "not a number",
                                                  "year typed as 2052"]
    # with no as-of date, "today" is used: 2052 is still in the future
    assert len(validate_paths([EXAMPLES / "broken_orders.csv"])) == 10
    report = format_report(issues)
    assert report.count("\n  - row ") == 10 and "Summary: 10 problems in 1 file(s)" in report


# ---------------------------------------------------------------------------- datasets
@pytest.fixture
def company(write_file):
    """A tiny valid company: three required tables and quotas."""
    write_file("co/reps.csv", "rep_id,name,team,hire_date\nR1,王芳,华东,2024-01-02\n"
                              "R2,李伟,华东,2024-03-01\n")
    write_file("co/customers.csv", "customer_id,name,owner_rep_id\nC1,恒达,R1\nC2,金华,R2\n")
    write_file("co/orders.csv", ORDERS + "O1,C1,R1,2025-03-07,100\nO2,C2,R2,2025-04-01,200\n")
    return write_file("co/quotas.csv", "rep_id,month,quota\nR1,2025-03-01,100\n").parent


def test_dataset_loads_every_table(company):
    ds = load_dataset(company, as_of=AS_OF)
    assert isinstance(ds, Dataset)
    assert list(ds.tables()) == ["reps", "customers", "orders", "quotas"]
    assert ds.opportunities is None and ds.activities is None
    assert ds.as_of == pd.Timestamp(AS_OF) and ds.source == str(company)
    assert ds.orders.amount.tolist() == [100.0, 200.0]
    assert load_dataset(company).as_of == pd.Timestamp("2025-04-01")  # latest order


def test_dataset_fields_follow_the_schema_order():
    from dataclasses import fields

    assert [f.name for f in fields(Dataset)] == list(TABLE_ORDER) + ["as_of", "source"]
    assert REQUIRED_TABLES == ("reps", "customers", "orders")


def test_dataset_cross_table_references(company, write_file):
    write_file("co/orders.csv", ORDERS + "O1,C1,R1,2025-03-07,100\nO2,C9,R2,2025-04-01,200\n"
                                         "O3,C2,R9,2025-04-02,300\n")
    write_file("co/quotas.csv", "rep_id,month,quota\nR1,2025-03-01,100\nR7,2025-03-01,100\n")
    write_file("co/customers.csv", "customer_id,owner_rep_id\nC1,R1\nC2,R8\n")
    ds, issues = validate_dataset(company, as_of=AS_OF)
    assert issues[["file", "row", "column", "value", "code", "expected"]].values.tolist() == [
        [str(company / "customers.csv"), 3, "owner_rep_id", "R8", "unknown_reference",
         "reps.rep_id"],
        [str(company / "orders.csv"), 3, "customer_id", "C9", "unknown_reference",
         "customers.customer_id"],
        [str(company / "orders.csv"), 4, "rep_id", "R9", "unknown_reference", "reps.rep_id"],
        [str(company / "quotas.csv"), 3, "rep_id", "R7", "unknown_reference", "reps.rep_id"],
    ]
    assert ds.orders.order_id.tolist() == ["O1"]


def test_references_use_every_id_even_of_rows_with_problems(company, write_file):
    # C2's row has a bad date, but C2 exists: its orders are not "unknown customer"
    write_file("co/customers.csv", "customer_id,first_order_date\nC1,2025-01-01\nC2,someday\n")
    _, issues = validate_dataset(company, as_of=AS_OF)
    assert problems(issues) == [(3, "first_order_date", "bad_date")]


def test_load_dataset_raises_with_every_issue_of_every_file(company, write_file):
    write_file("co/reps.csv", "rep_id,name,team,hire_date\nR1,王芳,华东,2024-13-02\n"
                              "R2,李伟,华东,2024-03-01\n")
    write_file("co/orders.csv", ORDERS + "O1,C1,R1,2025-03-07,abc\nO1,C2,R2,2052-04-01,200\n")
    (company / "quotas.csv").unlink()
    write_file("co/quotas.xlsx", b"")
    write_file("co/quotas.parquet", b"")
    with pytest.raises(ValidationError) as caught:
        load_dataset(company, as_of=AS_OF)
    issues = caught.value.issues
    assert [(Path(f).name, r, c) for f, r, c in
            issues[["file", "row", "code"]].astype(object).where(issues[["file", "row", "code"]]
                                                                 .notna(), None).values] == [
        ("reps.csv", 2, "bad_date"),
        ("orders.csv", 2, "duplicate_id"),
        ("orders.csv", 2, "bad_number"),
        ("orders.csv", 3, "duplicate_id"),
        ("orders.csv", 3, "date_after_as_of"),
        ("quotas.xlsx", None, "ambiguous_file"),
        ("quotas.xlsx", None, "unreadable_file"),
    ]
    assert str(caught.value).startswith(f"7 problem(s) found in dataset {company}:")


def test_dataset_missing_required_files(tmp_path, write_file):
    write_file("d/orders.csv", ORDERS + "O1,C1,R1,2025-03-07,1\n")
    ds, issues = validate_dataset(tmp_path / "d", as_of=AS_OF)
    assert issues[["file", "code", "expected"]].values.tolist() == [
        [str(tmp_path / "d" / "reps.csv"), "file_not_found",
         "reps.csv | reps.tsv | reps.xlsx | reps.parquet"],
        [str(tmp_path / "d" / "customers.csv"), "file_not_found",
         "customers.csv | customers.tsv | customers.xlsx | customers.parquet"],
    ]
    pd.testing.assert_frame_equal(ds.reps, empty_frame("reps"))
    assert len(ds.orders) == 1  # no customers file: no reference check possible


def test_dataset_directory_parameters(tmp_path, write_file):
    _, issues = validate_dataset(tmp_path / "nowhere")
    assert problems(issues) == [(None, None, "file_not_found")]
    path = write_file("orders.csv", ORDERS)
    with pytest.raises(ParameterError, match="use validate_table for one file"):
        validate_dataset(path)


def test_sample_company_is_valid():
    if not (paths.SAMPLE_DIR / "orders.csv").exists():
        pytest.skip("sample data not generated")
    ds, issues = validate_dataset(paths.SAMPLE_DIR, as_of=AS_OF)
    assert format_report(issues).endswith("No problems found: the data can be used as it is.")
    assert len(ds.orders) > 0


# ---------------------------------------------------------------------------- load_inputs
@pytest.fixture
def load_calls(monkeypatch):
    """The calls load_inputs makes to load_dataset, as ``(directory, column_map, as_of)``."""
    calls = []
    monkeypatch.setattr(loading, "load_dataset", lambda directory, *, column_map, as_of: calls.append(
        (directory, column_map, as_of)) or "dataset")
    return calls


@pytest.mark.parametrize("column_map, as_of, expected", [
    ("", "", (None, None)),
    (None, None, (None, None)),
    ("kingdee", "2025-09-30", ("kingdee", "2025-09-30")),
    ({}, dt.date(2025, 9, 30), ({}, dt.date(2025, 9, 30))),
    (" ", " ", (" ", " ")),
], ids=["empty-is-none", "none", "strings-kept", "empty-dict-and-date-kept", "blank-kept"])
def test_load_inputs_takes_only_the_empty_string_for_not_given(load_calls, column_map, as_of, expected):
    assert load_inputs(paths.SAMPLE_DIR, column_map=column_map, as_of=as_of) == "dataset"
    assert load_calls == [(paths.SAMPLE_DIR, *expected)]


def test_load_inputs_resolves_the_folder(load_calls, company, monkeypatch):
    monkeypatch.chdir(company.parent)
    load_inputs("co")                                # exists as given: that folder, made absolute
    load_inputs("data/sample")                       # not here: relative to the repository
    load_inputs(Path("data") / "sample")
    load_inputs(str(company))                        # absolute: as it is
    assert [c[0] for c in load_calls] == [company.resolve(), paths.SAMPLE_DIR, paths.SAMPLE_DIR,
                                          company.resolve()]


def test_load_inputs_loads_the_dataset(company, monkeypatch):
    monkeypatch.chdir(company.parent)
    ds = load_inputs("co", column_map="", as_of="")
    assert ds.source == str(company.resolve()) and ds.as_of == pd.Timestamp("2025-04-01")  # latest order
    assert list(ds.tables()) == ["reps", "customers", "orders", "quotas"]
    assert load_inputs("co", column_map="kit", as_of=AS_OF).as_of == pd.Timestamp(AS_OF)
    with pytest.raises(ValidationError) as caught:
        load_inputs("nowhere")
    assert str(caught.value).startswith(f"1 problem(s) found in dataset {paths.ROOT / 'nowhere'}:")


# ---------------------------------------------------------------------------- validate_paths
def test_validate_paths_checks_references_among_the_files(company):
    orders = company / "orders.csv"
    orders.write_text(ORDERS + "O1,C1,R1,2025-03-07,1\nO2,C9,R7,2025-03-07,1\n", encoding="utf-8")
    alone = validate_paths([orders], as_of=AS_OF)
    assert problems(alone) == []  # no customers or reps given: nothing to check against
    with_customers = validate_paths([orders, company / "customers.csv"], as_of=AS_OF)
    assert problems(with_customers) == [(3, "customer_id", "unknown_reference")]
    every = validate_paths([company / "reps.csv", orders, company / "customers.csv"],
                           as_of=AS_OF)
    assert problems(every) == [(3, "customer_id", "unknown_reference"),
                               (3, "rep_id", "unknown_reference")]


def test_validate_paths_mixes_directories_and_files(company, tmp_path):
    issues = validate_paths([company, tmp_path / "gone.csv", EXAMPLES / "hubspot_deals.csv"],
                            as_of=AS_OF)
    assert list(issues.columns) == ISSUE_COLUMNS
    assert problems(issues) == [(None, None, "file_not_found")]
    assert validate_paths(str(company), as_of=AS_OF).empty


def test_validate_paths_with_a_map_and_table(write_file):
    path = write_file("export.csv", "工号,指标\nR1,12\n")
    cmap = {"tables": {"quotas": {"columns": {"rep_id": "工号", "quota": "指标"},
                                  "defaults": {"month": "2025-01-01"}}}}
    assert validate_paths([path], column_map=cmap, table="quotas", as_of=AS_OF).empty
    with pytest.raises(ParameterError, match=r"parameter table='quota' is not valid"):
        validate_paths([path], table="quota")
