"""Validation: one test per check, each pinning row, column, value, code and message.

Files are tiny literal CSVs written to tmp_path and read through ``validate_table``, so the
row numbers are the ones a user sees (header = line 1, first data row = 2).
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playbook.core.errors import InputError, ParameterError, ValidationError
from playbook.core.labels import LANGS, catalogue
from playbook.core.schema import TABLES
from playbook.data.issues import ISSUE_CODES, ISSUE_COLUMNS, empty_issues, format_report, make_issues, render_issues
from playbook.data.loading import load_table, validate_table
from playbook.data.parsing import parse_bools, parse_dates, parse_numbers
from playbook.data.reading import read_frame
from playbook.data.validation import check_table, empty_frame

AS_OF = "2025-09-30"
ORDERS = "order_id,customer_id,rep_id,order_date,amount\n"
OPPS = "opportunity_id,rep_id,channel,amount,created_date,intent_date,negotiation_date," \
       "closed_date,outcome\n"


def problems(issues):
    """(row, column, value, code, expected) per issue, None for missing parts."""
    def val(x):
        return None if pd.isna(x) else x

    return [
        (val(r.row) if pd.isna(r.row) else int(r.row), val(r.column), val(r.value), r.code,
         val(r.expected))
        for r in issues.itertuples(index=False)
    ]


@pytest.fixture
def check(write_file):
    """validate_table on a literal CSV, as of 2025-09-30; returns (path, frame, issues)."""

    def run(text, name="orders.csv", **kwargs):
        path = write_file(name, text)
        kwargs.setdefault("as_of", AS_OF)
        frame, issues = validate_table(path, **kwargs)
        assert list(issues.columns) == ISSUE_COLUMNS
        return path, frame, issues

    return run


# ---------------------------------------------------------------------------- files
def test_file_not_found(tmp_path):
    path = tmp_path / "nope.csv"
    frame, issues = validate_table(path, "orders")
    assert problems(issues) == [(None, None, None, "file_not_found", "an existing file")]
    assert issues.message[0] == (
        f"{path}: file not found; expected an existing file. Check the path and the file name."
    )
    pd.testing.assert_frame_equal(frame, empty_frame("orders"))
    with pytest.raises(InputError, match=r"nope\.csv: file not found"):
        read_frame(path)
    with pytest.raises(ValidationError, match=r"nope\.csv: file not found"):
        load_table(path)


@pytest.mark.parametrize(
    "content", [b"", b"order_id,customer_id\r\n", b"\n \n\n", b"\xef\xbb\xbf"],
    ids=["zero_bytes", "header_only", "blank_lines", "bom_only"],
)
def test_empty_file(write_file, content):
    path = write_file("orders.csv", content)
    frame, issues = validate_table(path, "orders")
    assert problems(issues) == [
        (None, None, None, "empty_file", "a header row and at least one data row")
    ]
    assert issues.message[0] == (
        f"{path}: the file has no data rows; expected a header row and at least one data row. "
        "Export the report again and check that it is not empty."
    )
    with pytest.raises(InputError, match="the file has no data rows"):
        read_frame(path)


def test_unsupported_format(write_file):
    path = write_file("orders.xls", b"\xd0\xcf\x11\xe0")
    _, issues = validate_table(path, "orders")
    assert problems(issues) == [
        (None, None, ".xls", "unsupported_format", "a .csv, .tsv, .xlsx or .parquet file")
    ]


def test_bad_encoding_names_line_and_bytes(write_file):
    path = write_file("orders.csv", ORDERS.encode() + b"O1,C1,R1,2025-03-07,100\nO2,\xff\xfeC2,R1,"
                      b"2025-03-07,100\n")
    _, issues = validate_table(path, "orders")
    assert problems(issues) == [
        (3, None, "0xff 0xfe 0x43 0x32", "bad_encoding", "UTF-8 | GB18030 (GBK)")
    ]
    assert issues.message[0] == (
        f"{path}, row 3: the text cannot be decoded (bytes 0xff 0xfe 0x43 0x32); expected "
        "UTF-8 | GB18030 (GBK). In Excel choose Save As > 'CSV UTF-8', or pass the file's "
        "encoding (encoding=...)."
    )
    with pytest.raises(InputError, match="cannot be decoded"):
        read_frame(path)


def test_bad_csv_row(check):
    path, _, issues = check(ORDERS + "O1,C1,R1,2025-03-07,100\nO2,C1,R1,2025-03-07,1,00\n")
    assert problems(issues) == [
        (3, None, "Expected 5 fields in line 3, saw 6", "bad_csv",
         "the same number of cells on every row")
    ]


def test_missing_columns_lists_all_missing_and_present(check):
    path, frame, issues = check("order_id,customer_id,note\nO1,C1,x\n", table="orders")
    assert problems(issues) == [
        (None, "rep_id, order_date, amount", "order_id, customer_id, note", "missing_column",
         "order_id, customer_id, rep_id, order_date, amount")
    ]
    assert issues.message[0] == (
        f"{path}: missing required column(s): rep_id, order_date, amount. Columns present: "
        "order_id, customer_id, note. Rename the headers, or choose the column map that "
        "matches the export (column_map=... or --map; available: kit, chinese_crm, hubspot, "
        "salesforce)."
    )
    assert list(frame.columns) == list(empty_frame("orders").columns) + ["note"]
    assert frame.empty


def test_missing_column_is_named_in_the_maps_terms(check):
    text = "订单编号,客户名称,负责人,成交日期\nXS-1,恒达,王芳,2025/3/7\n"
    _, _, issues = check(text, column_map="chinese_crm")
    assert problems(issues) == [
        (None, "成交金额", "订单编号, 客户名称, 负责人, 成交日期", "missing_column",
         "订单编号, 客户名称, 负责人, 成交日期, 成交金额")
    ]


def test_unknown_table(check):
    path, frame, issues = check("foo,bar\n1,2\n", name="export.csv")
    assert problems(issues) == [
        (None, None, "foo, bar", "unknown_table",
         "reps | customers | orders | opportunities | activities | channel_spend | "
         "assessments | quotas")
    ]
    assert issues.table.isna().all() and frame.empty
    assert "Pass the table (table=... or --table)" in issues.message[0]


# ---------------------------------------------------------------------------- cells
def test_missing_value_in_required_column(check):
    path, frame, issues = check(ORDERS + "O1,,R1,2025-03-07,100\nO2,C1,R1,2025-03-07,\n"
                                "O3,C1,R1,2025-03-07,5\n")
    assert problems(issues) == [
        (2, "customer_id", "", "missing_value", "a value"),
        (3, "amount", "", "missing_value", "a value"),
    ]
    assert issues.message[0] == (
        f"{path}, row 2, column customer_id: the value is missing, but this column is "
        "required. Fill it in or remove the row."
    )
    assert frame.order_id.tolist() == ["O3"]


def test_empty_optional_columns_are_fine(check):
    text = ORDERS.strip() + ",product_line,is_refund\nO1,C1,R1,2025-03-07,100,,\n"
    _, frame, issues = check(text)
    assert problems(issues) == []
    assert frame.product_line.isna().all() and frame.is_refund.tolist() == [False]


def test_bad_date(check):
    text = ORDERS + ("O1,C1,R1,2025-02-30,1\nO2,C1,R1,2025-13-01,1\nO3,C1,R1,7 March 2025,1\n"
                     "O4,C1,R1,2025/3/7,1\n")
    path, frame, issues = check(text)
    expected = "YYYY-MM-DD | YYYY/M/D | YYYY年M月D日"
    assert problems(issues) == [
        (2, "order_date", "2025-02-30", "bad_date", expected),
        (3, "order_date", "2025-13-01", "bad_date", expected),
        (4, "order_date", "7 March 2025", "bad_date", expected),
    ]
    assert issues.message[0] == (
        f"{path}, row 2, column order_date: '2025-02-30' is not a date; expected "
        "YYYY-MM-DD | YYYY/M/D | YYYY年M月D日."
    )
    assert frame.order_date.tolist() == [pd.Timestamp("2025-03-07")]


@pytest.mark.parametrize(
    "text",
    ["2025-03-07", "2025-3-7", "2025/3/7", "2025/03/07", "2025.3.7", "2025年3月7日",
     "2025 年 3 月 7 日", "20250307", "2025-03-07T10:30:00", "2025-03-07 10:30",
     "2025-03-07T10:30:00+08:00", "2025-03-07 00:00:00", " 2025-03-07 "],
)
def test_accepted_date_forms(text):
    assert parse_dates([text]).tolist() == [pd.Timestamp("2025-03-07")]


def test_ambiguous_date_is_not_guessed(check):
    path, _, issues = check(ORDERS + "O1,C1,R1,07/03/2025,1\nO2,C1,R1,25/03/2025,1\n")
    assert problems(issues) == [
        (2, "order_date", "07/03/2025", "ambiguous_date", "YYYY-MM-DD"),
        (3, "order_date", "25/03/2025", "ambiguous_date", "YYYY-MM-DD"),
    ]
    assert issues.message[0] == (
        f"{path}, row 2, column order_date: '07/03/2025' could be day/month or month/day; "
        "expected YYYY-MM-DD. Write the date as 2025-03-07, or set date_format: DMY or MDY in "
        "the column map."
    )


@pytest.mark.parametrize("fmt, day", [("MDY", 3), ("DMY", 7)])
def test_date_format_hint_reads_day_month_order(check, fmt, day):
    cmap = {"date_format": fmt, "tables": {"orders": {}}}
    _, frame, issues = check(ORDERS + "O1,C1,R1,07/03/2025,1\n", column_map=cmap)
    assert problems(issues) == []
    assert frame.order_date.tolist() == [pd.Timestamp(2025, 7 if fmt == "MDY" else 3, day)]


def test_date_format_hint_still_rejects_bad_dates(check):
    cmap = {"date_format": "MDY", "tables": {"orders": {}}}
    _, _, issues = check(ORDERS + "O1,C1,R1,13/25/2025,1\n", column_map=cmap)
    assert problems(issues) == [
        (2, "order_date", "13/25/2025", "bad_date", "M/D/YYYY | YYYY-MM-DD")
    ]


def test_bad_number(check):
    text = ORDERS + ("O1,C1,R1,2025-03-07,\"12,3k\"\nO2,C1,R1,2025-03-07,\"12,3\"\n"
                     "O3,C1,R1,2025-03-07,abc\nO4,C1,R1,2025-03-07,$12\n"
                     "O5,C1,R1,2025-03-07,\"12,300\"\n")
    path, frame, issues = check(text)
    expected = "12300 | 12,300.00 | ¥12,300 | 12 300"
    assert problems(issues) == [
        (2, "amount", "12,3k", "bad_number", expected),
        (3, "amount", "12,3", "bad_number", expected),
        (4, "amount", "abc", "bad_number", expected),
        (5, "amount", "$12", "bad_number", expected),
    ]
    assert issues.message[0] == (
        f"{path}, row 2, column amount: '12,3k' is not a number; expected "
        "12300 | 12,300.00 | ¥12,300 | 12 300."
    )
    assert frame.amount.tolist() == [12300.0]


@pytest.mark.parametrize(
    "text, number",
    [("12,300", 12300.0), ("¥12,300.00", 12300.0), ("12 300", 12300.0), ("￥1,234.5", 1234.5),
     ("12300元", 12300.0), ("RMB 99.90", 99.9), ("-1,000", -1000.0), ("(1,000.50)", -1000.5),
     ("1,234,567.891", 1234567.891), (" 42 ", 42.0), ("0.5", 0.5), ("12\u00a0300", 12300.0)],
)
def test_accepted_number_forms(text, number):
    assert parse_numbers([text]).tolist() == [number]


@pytest.mark.parametrize("text", ["12,3k", "12,3", "1,23,456", "inf", "nan", "1.2.3", "--5"])
def test_rejected_number_forms(text):
    assert np.isnan(parse_numbers([text])[0])


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=-10**12, max_value=10**12))
def test_thousands_separators_round_trip(n):
    assert parse_numbers([f"{n:,}", f"¥{n:,.2f}", f"{n:_}".replace("_", " ")]).tolist() == [n] * 3


def test_amounts_rounded_to_the_cent(check):
    _, frame, _ = check(ORDERS + "O1,C1,R1,2025-03-07,100.005\nO2,C1,R1,2025-03-07,1.234\n")
    assert frame.amount.tolist() == [100.01, 1.23]  # the one money rule: half-up, as written


def test_negative_amount_must_be_a_refund(check):
    text = ORDERS.strip() + ",is_refund\nO1,C1,R1,2025-03-07,-500,false\n" \
        "O2,C1,R1,2025-03-07,-500,是\nO3,C1,R1,2025-03-07,-20,\n"
    path, frame, issues = check(text)
    assert problems(issues) == [
        (2, "amount", "-500", "negative_not_refund", "≥ 0 | is_refund = true"),
        (4, "amount", "-20", "negative_not_refund", "≥ 0 | is_refund = true"),
    ]
    assert issues.message[0] == (
        f"{path}, row 2, column amount: the amount -500 is negative but the row is not marked "
        "as a refund; expected ≥ 0 | is_refund = true. Mark refunds as such (is_refund = true, "
        "or the column map's refund rule) or correct the sign."
    )
    assert frame[["order_id", "amount", "is_refund"]].values.tolist() == [["O2", -500.0, True]]


def test_negative_amount_in_other_money_columns(check):
    _, _, issues = check("rep_id,month,quota\nR1,2025-01-01,-100\nR1,2025-02-01,100\n",
                         name="quotas.csv")
    assert problems(issues) == [(2, "quota", "-100", "negative_amount", "≥ 0")]


def test_bad_bool(check):
    text = ORDERS.strip() + ",is_refund\nO1,C1,R1,2025-03-07,5,maybe\nO2,C1,R1,2025-03-07,5,Y\n"
    path, frame, issues = check(text)
    assert problems(issues) == [
        (2, "is_refund", "maybe", "bad_bool", "true | false | 1 | 0 | yes | no | 是 | 否 | Y | N")
    ]
    assert frame.is_refund.tolist() == [True]


def test_parse_bools_accepts_the_usual_spellings():
    values = ["true", "FALSE", "1", "0", "yes", "No", "y", "N", "是", "否", "", "1.0"]
    assert parse_bools(values).tolist() == [True, False, True, False, True, False, True, False,
                                            True, False, False, True]


def test_duplicate_ids_report_every_row(check):
    text = ORDERS + ("O1,C1,R1,2025-03-07,1\nO1,C1,R1,2025-03-08,1\nO2,C1,R1,2025-03-07,1\n"
                     "O1,C2,R1,2025-03-09,1\n")
    path, frame, issues = check(text)
    assert problems(issues) == [
        (2, "order_id", "O1", "duplicate_id", "a unique value"),
        (3, "order_id", "O1", "duplicate_id", "a unique value"),
        (5, "order_id", "O1", "duplicate_id", "a unique value"),
    ]
    assert issues.message[2] == (
        f"{path}, row 5, column order_id: 'O1' appears 3 times (rows 2, 3, 5); expected a "
        "unique value. Give each row its own id or remove the repeated rows."
    )
    assert frame.order_id.tolist() == ["O2"]


def test_duplicate_composite_key(check):
    text = "rep_id,month,quota\nR1,2025-01-01,1\nR1,2025/1/1,2\nR2,2025-01-01,3\n"
    _, _, issues = check(text, name="quotas.csv")
    assert problems(issues) == [
        (2, "rep_id, month", "R1, 2025-01-01", "duplicate_id", "a unique value"),
        (3, "rep_id, month", "R1, 2025/1/1", "duplicate_id", "a unique value"),
    ]


def test_unknown_reference(check):
    text = ORDERS + "O1,C1,R1,2025-03-07,1\nO2,C9,R1,2025-03-07,1\nO3,C1,R7,2025-03-07,1\n"
    path, frame, issues = check(text, references={"customers": {"C1"}, "reps": ["R1"]})
    assert problems(issues) == [
        (3, "customer_id", "C9", "unknown_reference", "customers.customer_id"),
        (4, "rep_id", "R7", "unknown_reference", "reps.rep_id"),
    ]
    assert issues.message[0] == (
        f"{path}, row 3, column customer_id: 'C9' is not found in customers.customer_id. "
        "Add it there or correct the id."
    )
    assert frame.order_id.tolist() == ["O1"]


def test_references_only_for_the_tables_given(check):
    _, _, issues = check(ORDERS + "O1,C9,R9,2025-03-07,1\n", references={"reps": {"R9"}})
    assert problems(issues) == []


def test_date_after_as_of(check):
    text = ORDERS + "O1,C1,R1,2025-09-30,1\nO2,C1,R1,2052-06-30,1\n"
    path, frame, issues = check(text)
    assert problems(issues) == [(3, "order_date", "2052-06-30", "date_after_as_of", "≤ 2025-09-30")]
    assert issues.message[0] == (
        f"{path}, row 3, column order_date: the date 2052-06-30 is after the as-of date; "
        "expected ≤ 2025-09-30. Check for a typing error (2052 for 2025) or use a later as-of "
        "date."
    )


def test_future_quota_months_are_allowed(check):
    _, _, issues = check("rep_id,month,quota\nR1,2026-01-01,100\n", name="quotas.csv")
    assert problems(issues) == []


def test_stage_dates_out_of_order(check):
    text = OPPS + (
        "P1,R1,referral,100,2025-03-10,2025-03-01,,,open\n"          # intent before created
        "P2,R1,referral,100,2025-03-01,2025-03-10,2025-03-05,,open\n"  # negotiation < intent
        "P3,R1,referral,100,2025-03-01,,2025-03-10,2025-03-09,won\n"   # closed < negotiation
        "P4,R1,referral,100,2025-03-01,2025-03-02,2025-03-03,2025-03-04,lost\n"  # fine
    )
    path, frame, issues = check(text, name="opportunities.csv")
    assert problems(issues) == [
        (2, "intent_date", "2025-03-01", "stage_order", "≥ 2025-03-10 (created_date)"),
        (3, "negotiation_date", "2025-03-05", "stage_order", "≥ 2025-03-10 (intent_date)"),
        (4, "closed_date", "2025-03-09", "stage_order", "≥ 2025-03-10 (negotiation_date)"),
    ]
    assert issues.message[1] == (
        f"{path}, row 3, column negotiation_date: the date 2025-03-05 is earlier than the "
        "previous funnel stage; expected ≥ 2025-03-10 (intent_date). Stages are entered in "
        "order: created, intent, negotiation, closed."
    )
    assert frame.opportunity_id.tolist() == ["P4"]


def test_outcome_must_be_won_lost_open(check):
    text = OPPS + "P1,R1,referral,1,2025-03-01,,,,pending\nP2,R1,referral,1,2025-03-01,,,,Won\n"
    path, frame, issues = check(text, name="opportunities.csv")
    assert problems(issues) == [(2, "outcome", "pending", "bad_category", "won | lost | open")]
    assert issues.message[0] == (
        f"{path}, row 2, column outcome: 'pending' is not an allowed value; expected one of "
        "won | lost | open. A column map can translate the export's values (values: in the "
        "map's YAML)."
    )
    assert frame.outcome.tolist() == ["won"]


def test_level_out_of_range_and_not_integer(check):
    text = "rep_id,competency,level,rater,assessed_date\n" + "".join(
        f"R{i},negotiation,{lv},self,2025-06-30\n"
        for i, lv in enumerate(["0", "6", "3.5", "x", "3", "5.0", "1"])
    )
    path, frame, issues = check(text, name="assessments.csv")
    assert problems(issues) == [
        (2, "level", "0", "level_out_of_range", "1–5"),
        (3, "level", "6", "level_out_of_range", "1–5"),
        (4, "level", "3.5", "not_integer", "1 | 2 | 3 | 4 | 5"),
        (5, "level", "x", "bad_number", "12300 | 12,300.00 | ¥12,300 | 12 300"),
    ]
    assert issues.message[1] == (
        f"{path}, row 3, column level: level 6 is outside the 5-point scale; expected 1–5."
    )
    assert frame.level.tolist() == [3, 5, 1] and frame.level.dtype == "int64"


def test_negative_and_fractional_counts(check):
    text = "rep_id,week,visits,calls,demos\nR1,2025-06-02,-1,2.5,0\nR2,2025-06-02,3,4,1\n"
    _, frame, issues = check(text, name="activities.csv")
    assert problems(issues) == [
        (2, "visits", "-1", "negative_count", "≥ 0"),
        (2, "calls", "2.5", "not_integer", "0 | 1 | 2 | …"),
    ]
    assert frame[["visits", "calls", "demos"]].values.tolist() == [[3, 4, 1]]


def test_optional_kpi_counts_may_be_empty_or_absent(check):
    text = ("rep_id,week,visits,calls,demos,needs_assessed,needs_matched,surveys,satisfied\n"
            "R1,2025-06-02,3,4,1,5,3,,\nR2,2025-06-02,3,4,1,,,2,-1\n")
    _, frame, issues = check(text, name="activities.csv")
    assert problems(issues) == [(3, "satisfied", "-1", "negative_count", "≥ 0")]
    assert frame[["needs_assessed", "needs_matched"]].astype(object).values.tolist() == [[5, 3]]
    assert frame["surveys"].isna().all() and str(frame["surveys"].dtype) == "Int64"
    _, plain, issues = check("rep_id,week,visits,calls,demos\nR1,2025-06-02,3,4,1\n", name="activities.csv")
    assert issues.empty and plain["needs_matched"].isna().all()


def test_every_problem_is_listed_not_just_the_first(check, write_file):
    text = ORDERS + ("O1,,R1,2025-02-30,\"12,3k\"\nO1,C1,,2025/3/7,-5\nO3,C1,R1,07/03/2025,5\n"
                     "O4,C1,R1,2052-01-01,5\n")
    path = write_file("orders.csv", text)
    with pytest.raises(ValidationError) as caught:
        load_table(path, as_of=AS_OF)
    err = caught.value
    assert [(p[0], p[1], p[3]) for p in problems(err.issues)] == [
        (2, "order_id", "duplicate_id"),
        (2, "customer_id", "missing_value"),
        (2, "order_date", "bad_date"),
        (2, "amount", "bad_number"),
        (3, "order_id", "duplicate_id"),
        (3, "rep_id", "missing_value"),
        (3, "amount", "negative_not_refund"),
        (4, "order_date", "ambiguous_date"),
        (5, "order_date", "date_after_as_of"),
    ]
    text = str(err)
    assert text.startswith(f"9 problem(s) found in {path}:\n  - {path}, row 2, column order_id")
    assert text.count("\n  - ") == 9


def test_valid_rows_are_typed_exactly(check):
    text = ORDERS.strip() + ",product_line,is_refund,备注\n" \
        " O1 ,C1,R1,2025/3/7,\"¥12,300.00\",CRM ,否, keep me \n" \
        "O2,C2,R2,2025年3月8日,-99.5,,是,\n"
    _, frame, issues = check(text)
    assert problems(issues) == []
    expected = pd.DataFrame({
        "order_id": pd.Series(["O1", "O2"], dtype="str"),
        "customer_id": pd.Series(["C1", "C2"], dtype="str"),
        "rep_id": pd.Series(["R1", "R2"], dtype="str"),
        "order_date": pd.to_datetime(["2025-03-07", "2025-03-08"]).astype("datetime64[us]"),
        "amount": [12300.0, -99.5],
        "product_line": pd.Series(["CRM", np.nan], dtype="str"),
        "is_refund": [False, True],
        "备注": pd.Series([" keep me ", ""], dtype="str"),
    })
    pd.testing.assert_frame_equal(frame, expected)


def test_check_table_on_a_frame_keeps_row_numbers():
    raw = pd.DataFrame({"rep_id": ["R1"], "month": ["2025-13-01"], "quota": ["1"]}, index=[40])
    result = check_table(raw, "quotas", file="q.xlsx")
    assert problems(result.issues)[0][:4] == (40, "month", "2025-13-01", "bad_date")
    assert result.bad.tolist() == [True] and result.valid.empty


def test_check_table_parameters():
    raw = pd.DataFrame({"rep_id": ["R1"]})
    with pytest.raises(ParameterError, match=r"parameter table='nope' is not valid"):
        check_table(raw, "nope")
    with pytest.raises(ParameterError, match=r"parameter date_format='YYYY' is not valid"):
        check_table(raw, "reps", date_format="YYYY")
    with pytest.raises(ParameterError, match=r"parameter as_of='soon' is not valid: expected a "
                                             r"date such as '2025-09-30'"):
        check_table(raw, "reps", as_of="soon")


# ---------------------------------------------------------------------------- rendering
def test_every_code_has_a_text_in_both_languages():
    cat = catalogue()
    assert [c for c in ISSUE_CODES if f"validation.{c}" not in cat] == []
    assert all(cat[f"validation.{c}"][lang].strip() for c in ISSUE_CODES for lang in LANGS)


def test_make_issues_rejects_unknown_codes():
    with pytest.raises(ParameterError, match=r"parameter code='oops' is not valid"):
        make_issues("a.csv", None, "oops")


def test_render_issues_in_chinese():
    issues = pd.concat([
        make_issues("订单.csv", "orders", "missing_value", rows=[5], column="客户名称", values=[""],
                    expected="a value"),
        make_issues("订单.csv", "orders", "duplicate_id", rows=[2, 7], column="订单编号",
                    values=["XS-1", "XS-1"], expected="a unique value"),
        make_issues("订单.csv", "orders", "level_out_of_range", rows=[9], column="等级",
                    values=["6"], expected="1–5"),
    ], ignore_index=True)
    before = issues.copy()
    shown = render_issues(issues, "zh")
    pd.testing.assert_frame_equal(issues, before)
    assert list(shown.columns) == ["文件", "数据表", "行号", "列", "值", "问题类型", "期望", "说明"]
    assert shown["期望"].tolist() == ["非空值", "唯一值", "唯一值", "1–5"]
    assert shown["说明"].tolist() == [
        "订单.csv 第 5 行「客户名称」列：缺少数值，但此列为必填项。请补充数值或删除该行。",
        "订单.csv 第 2 行「订单编号」列：“XS-1”出现了 2 次（第 2、7 行）；期望 唯一值。"
        "请为每行设置不同的编号，或删除重复的行。",
        "订单.csv 第 7 行「订单编号」列：“XS-1”出现了 2 次（第 2、7 行）；期望 唯一值。"
        "请为每行设置不同的编号，或删除重复的行。",
        "订单.csv 第 9 行「等级」列：等级 6 超出了 5 分制范围；期望 1–5。",
    ]
    english = render_issues(issues, "en")
    assert list(english.columns) == ["File", "Table", "Row", "Column", "Value", "Problem",
                                     "Expected", "Message"]
    assert english["Message"].tolist() == issues.message.tolist()


def test_render_issues_parameters():
    with pytest.raises(ParameterError, match=r"parameter lang='fr' is not valid"):
        render_issues(empty_issues(), "fr")
    with pytest.raises(ParameterError, match=r"parameter issues=\['a'\] is not valid"):
        render_issues(pd.DataFrame({"a": [1]}))


def test_format_report_groups_by_file_with_a_summary():
    issues = pd.concat([
        make_issues("a.csv", "orders", "file_not_found", expected="an existing file"),
        make_issues("b.csv", "quotas", "bad_number", rows=[3], column="quota", values=["12,3k"],
                    expected="12300"),
        make_issues("b.csv", "quotas", "missing_value", rows=[4], column="rep_id", values=[""],
                    expected="a value"),
    ], ignore_index=True)
    assert format_report(issues) == (
        "Validation report\n"
        "\n"
        "a.csv (orders): 1 problem\n"
        "  - whole file: file not found; expected an existing file. Check the path and the file "
        "name.\n"
        "\n"
        "b.csv (quotas): 2 problems\n"
        "  - row 3, column quota: '12,3k' is not a number; expected 12300.\n"
        "  - row 4, column rep_id: the value is missing, but this column is required. Fill it in "
        "or remove the row.\n"
        "\n"
        "Summary: 3 problems in 2 file(s) (file not found 1, missing value 1, bad number 1)."
    )
    assert format_report(issues, "zh").splitlines()[3:5] == [
        "  - 整个文件：找不到文件；期望 存在的文件。请检查路径和文件名。",
        "",
    ]
    assert format_report(issues, "zh").splitlines()[-1] == (
        "汇总：2 个文件中共 3 个问题（文件不存在 1、缺少数值 1、数字无效 1）。"
    )


def test_format_report_when_nothing_is_wrong():
    assert format_report(empty_issues()) == (
        "Validation report\nNo problems found: the data can be used as it is."
    )
    assert format_report(empty_issues(), "zh") == "数据校验报告\n未发现问题：数据可以直接使用。"


def test_empty_frames_have_the_kit_dtypes():
    for table in TABLES:
        frame = empty_frame(table)
        assert list(frame.columns) == [c.name for c in TABLES[table].columns]
    assert empty_frame("orders").dtypes.astype(str).tolist() == [
        "str", "str", "str", "datetime64[us]", "float64", "str", "bool"]
