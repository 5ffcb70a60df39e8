"""The strict fast path (playbook.data.strict) gives what the careful path gives, or declines.

Every case is validated twice, once as shipped and once with the fast path switched off
(the careful path alone, the reference), and the results must be identical: the valid
rows with their dtypes, and every issue with its message. Clean files must take the
fast path; files with anything to explain must decline.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playbook.core import codes
from playbook.core.money import round_money
from playbook.core.paths import SAMPLE_DIR
from playbook.core.schema import TABLES
from playbook.data import loading
from playbook.data.strict import _EXACT_YUAN, _plain_yuan, read_strict

AS_OF = "2025-09-30"
STAMP = pd.Timestamp(AS_OF)
HEAD = "order_id,customer_id,rep_id,order_date,amount,product_line,is_refund\n"
ROWS = ["O1,C1,R1,2025-03-07,100.5,软件订阅,False\n", "O2,C2,R2,2025-03-08,-20,,True\n",
        "O3,C1,R1,2025-03-09,0,服务,false\n"]


def _careful(monkeypatch, call):
    with monkeypatch.context() as m:
        m.setattr(loading, "read_strict", lambda *a, **k: None)
        return call()


def _same(monkeypatch, call):
    """Return the shipped result after checking it equals the careful path's."""
    fast, slow = call(), _careful(monkeypatch, call)
    for a, b in zip(fast if isinstance(fast, tuple) else [fast], slow if isinstance(slow, tuple) else [slow],
                    strict=True):
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b)
            assert a.attrs == b.attrs
        else:
            assert a.tables().keys() == b.tables().keys() and a.as_of == b.as_of
            for t, frame in a.tables().items():
                pd.testing.assert_frame_equal(frame, b.tables()[t])
    return fast


def test_sample_folder_is_read_strictly_with_the_careful_result(monkeypatch):
    for table in ("reps", "customers", "orders", "opportunities", "activities", "channel_spend",
                  "assessments", "quotas"):
        assert read_strict(SAMPLE_DIR / f"{table}.csv", table, None, STAMP) is not None, table
    ds, issues = _same(monkeypatch, lambda: loading.validate_dataset(SAMPLE_DIR, cache=False, as_of=AS_OF))
    assert len(issues) == 0 and len(ds.orders) == 13382


CLEAN = {
    "plain": HEAD + "".join(ROWS),
    "bom-crlf": "\ufeff" + (HEAD + "".join(ROWS)).replace("\n", "\r\n"),
    "quoted": HEAD + 'O1,C1,R1,2025-03-07,100.5,"软件, 订阅",False\nO2,"C2",R2,2025-03-08,7,"a\nb",true\n',
    "extras-and-order": "amount,order_date,order_id,note,rep_id,customer_id\n1,2025-01-01,O1, x ,R1,C1\n"
                        "2,2025-01-02,O2,,R1,C1\n",
    "bool-spellings": HEAD + "O1,C1,R1,2025-03-07,1,,yes\nO2,C1,R1,2025-03-07,1,,N\nO3,C1,R1,2025-03-07,1,,是\n",
    "tsv": (HEAD + "".join(ROWS)).replace(",", "\t"),
    "spaced-date-and-count": "rep_id,week,visits,calls,demos\nR1, 2025-03-03 ,007, 5,0\n"
                             "R2,2025-03-03,1,2,3\n",
}


@pytest.mark.parametrize("name", CLEAN)
def test_clean_files_take_the_fast_path(write_file, monkeypatch, name):
    path = write_file(f"{name}/orders.csv", CLEAN[name].encode())
    assert read_strict(path, None, None, STAMP) is not None
    frame, issues = _same(monkeypatch, lambda: loading.validate_table(path, as_of=AS_OF))
    assert len(issues) == 0 and len(frame) >= 2


def _row(**cells):
    base = dict(zip(HEAD.strip().split(","), ROWS[0].strip().split(","), strict=True))
    return ",".join({**base, **cells}.values()) + "\n"


DECLINED = {
    "id-with-space": HEAD + _row(order_id=" O9") + "".join(ROWS),
    "id-with-nbsp": HEAD + _row(customer_id="C1\u00a0") + "".join(ROWS),
    "id-with-ideographic-space": HEAD + _row(rep_id="\u3000R1") + "".join(ROWS),
    "missing-id": HEAD + _row(order_id="") + "".join(ROWS),
    "duplicate-id": HEAD + "".join(ROWS) + ROWS[0],
    "slash-date": HEAD + _row(order_id="O9", order_date="2025/3/7") + "".join(ROWS),
    "bad-date": HEAD + _row(order_id="O9", order_date="2025-02-30") + "".join(ROWS),
    "us-date": HEAD + _row(order_id="O9", order_date="3/7/2025") + "".join(ROWS),
    "excel-serial": HEAD + _row(order_id="O9", order_date="45723") + "".join(ROWS),
    "zoned": HEAD + _row(order_id="O9", order_date="2025-03-06T23:30:00Z") + "".join(ROWS),
    "old-date": HEAD + _row(order_id="O9", order_date="1500-01-01") + "".join(ROWS),
    "future": HEAD + _row(order_id="O9", order_date="2025-10-01") + "".join(ROWS),
    "yuan-sign": HEAD + _row(order_id="O9", amount="¥1200") + "".join(ROWS),
    "wan": HEAD + _row(order_id="O9", amount="1.5万元") + "".join(ROWS),
    "full-width": HEAD + _row(order_id="O9", amount="８８００") + "".join(ROWS),
    "exponent": HEAD + _row(order_id="O9", amount="1e3") + "".join(ROWS),
    "three-decimals": HEAD + _row(order_id="O9", amount="1.005") + "".join(ROWS),
    "leading-dot": HEAD + _row(order_id="O9", amount=".5") + "".join(ROWS),
    "plus": HEAD + _row(order_id="O9", amount="+5") + "".join(ROWS),
    "thousands": HEAD + _row(order_id="O9", amount='"1,200"') + "".join(ROWS),
    "negative-not-refund": HEAD + _row(order_id="O9", amount="-5") + "".join(ROWS),
    "bad-bool": HEAD + _row(order_id="O9", is_refund="maybe") + "".join(ROWS),
    "upper-bool": HEAD + _row(order_id="O9", is_refund="FALSE ") + "".join(ROWS),
    "a;b": "order_id;customer_id;rep_id;order_date;amount\nO1;C1;R1;2025-03-07;1,5\n",
    "total-row": HEAD + "".join(ROWS) + "合计,,,,80.5,,\n",
    "total-row-english": HEAD + "".join(ROWS) + " Grand Total:,,,,80.5,,\n",
    "footer": HEAD + "".join(ROWS) + "\nCopyright 2025 Example Inc.,,,,,,\n",
    "footer-no-gap": HEAD + "".join(ROWS) + "Generated By someone,,,,,,\n",
    "title-row": "订单明细\n" + HEAD + "".join(ROWS),
    "blank-line": HEAD + ROWS[0] + "\n" + "".join(ROWS[1:]),
    "blank-row": HEAD + ROWS[0] + ",,,,,,\n" + "".join(ROWS[1:]),
    "ragged": HEAD + ROWS[0] + "O9,C1\n",
    "repeated-header": HEAD.replace("product_line", "order_id") + "".join(ROWS),
    "spaced-header": HEAD.replace("amount", " amount") + "".join(ROWS),
    "quoted-blank-line": HEAD + 'O1,C1,R1,2025-03-07,1,"a\n\nb",false\n' + "".join(ROWS[1:]),
    "header-unit": HEAD.replace("amount", "amount (万元)") + "".join(ROWS),
    "unnamed-header": HEAD.replace("\n", ",Unnamed: 7\n") + "".join(r.replace("\n", ",\n") for r in ROWS),
}


@pytest.mark.parametrize("name", DECLINED)
def test_files_with_something_to_explain_decline(write_file, monkeypatch, name):
    path = write_file(f"{name}/orders.csv", DECLINED[name].encode())
    assert read_strict(path, None, None, STAMP) is None
    _same(monkeypatch, lambda: loading.validate_table(path, as_of=AS_OF))


def test_amount_beyond_the_exact_range_is_a_problem_not_a_traceback(write_file, monkeypatch):
    path = write_file("orders.csv", (HEAD + _row(order_id="O9", amount="95000000000") + "".join(ROWS)).encode())
    assert read_strict(path, None, None, STAMP) is None
    frame, issues = _same(monkeypatch, lambda: loading.validate_table(path, as_of=AS_OF))
    assert issues[["row", "column", "value", "code", "expected"]].values.tolist() == [
        [2, "amount", "95000000000", "amount_too_large", "< 90,000,000,000"]]
    assert issues.message[0].endswith("row 2, column amount: the amount 95000000000 is beyond the range the kit "
                                      "computes exactly; expected < 90,000,000,000. Check the amount's unit "
                                      "(元, 万元) and the decimal point.")
    assert frame.order_id.tolist() == ["O1", "O2", "O3"]


@pytest.mark.parametrize("encoding", ["gb18030", "utf-16"])
def test_other_encodings_decline(write_file, monkeypatch, encoding):
    path = write_file("orders.csv", (HEAD + "".join(ROWS)).encode(encoding))
    assert read_strict(path, None, None, STAMP) is None
    _same(monkeypatch, lambda: loading.validate_table(path, as_of=AS_OF))


def test_chinese_crm_map_that_translates_values_declines(monkeypatch):
    from playbook.core.paths import EXAMPLES_DIR

    for path in sorted(EXAMPLES_DIR.glob("*.csv")):
        _same(monkeypatch, lambda p=path: loading.validate_table(p, as_of=AS_OF))


def test_unknown_reference_is_found_again_the_careful_way(tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(SAMPLE_DIR, data)
    orders = (data / "orders.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    cells = orders[5].split(",")
    cells[2] = "R9999"  # rep_id of the 4th order
    orders[5] = ",".join(cells)
    (data / "orders.csv").write_text("".join(orders), encoding="utf-8")
    ds, issues = _same(monkeypatch, lambda: loading.validate_dataset(data, cache=False, as_of=AS_OF))
    assert issues[["table", "row", "column", "value", "code"]].values.tolist() == [
        ["orders", 6, "rep_id", "R9999", "unknown_reference"]]
    assert len(ds.orders) == 13381 and issues.attrs["rows"][str(data / "orders.csv")] == 13382


@given(st.integers(-(10**13), 10**13), st.sampled_from([0, 1, 2]))
def test_plain_amounts_below_the_bound_are_their_own_cent_rounding(units, decimals):
    """Why the fast path may skip round_money: the double of a plain amount rounds to itself."""
    text = f"{'-' if units < 0 else ''}{abs(units) // 10**decimals}" + (
        f".{abs(units) % 10**decimals:0{decimals}d}" if decimals else "")
    value = float(text) + 0.0
    if abs(value) < _EXACT_YUAN:
        assert round_money(value) == value


@given(st.lists(st.text(alphabet="0123456789-.e+ ¥,", max_size=6), max_size=8), st.integers(0, 3),
       st.integers(0, 2))
def test_plain_yuan_check_is_the_careful_paths_pattern(cells, cut, skip):
    """The numpy check says what mapping._PLAIN_YUAN (RE2) says, whatever the chunks and slices."""
    import pyarrow.compute as pc

    arr = pa.chunked_array([pa.array(["9"] * skip + cells[:cut], pa.string())[skip:],
                            pa.array(cells[cut:], pa.string())], pa.string())
    plain = pc.match_substring_regex(arr, r"^(?:-?\d+(?:\.\d{1,2})?)?$")
    assert _plain_yuan(arr) == pc.all(plain, min_count=0).as_py()


def test_amounts_with_every_plain_shape_take_the_fast_path(write_file, monkeypatch):
    amounts = ["0", "-0", "7", "007", "12.5", "-12.50", "0.01", "-3", "68719476735.99", "68719476737.5", "1.10"]
    body = "".join(f"O{i},C1,R1,2025-03-07,{a},,{'true' if a.startswith('-') else 'false'}\n"
                   for i, a in enumerate(amounts))
    path = write_file("orders.csv", (HEAD + body).encode())
    assert read_strict(path, None, None, STAMP) is not None
    frame, _ = _same(monkeypatch, lambda: loading.validate_table(path, as_of=AS_OF))
    assert frame.amount.tolist() == [0.0, 0.0, 7.0, 7.0, 12.5, -12.5, 0.01, -3.0, 68719476735.99, 68719476737.5, 1.1]


POOL = {
    "order_id": ["O1", "O2", "O3", " O4", "", "合计", "Total", "S1", "t9"],
    "customer_id": ["C1", "C2", "", "C1\t", '"C,3"'],
    "rep_id": ["R1", "R2", "R1\u3000", ""],
    "order_date": ["2025-03-07", "2025-3-7", "2025-02-30", "", "2026-01-01", "45723", "1600-01-01",
                   "2025-03-07 ", "３/７/2025"],
    "amount": ["1", "-2", "0.5", "1.005", "1e3", "", "１２", "1,000", '"1,000"', "¥5", "5元", "-0", ".5", "7."],
    "product_line": ["", "软件订阅", " x", '"a\nb"', "Ｘ"],
    "is_refund": ["", "false", "True", "是", "maybe", "TRUE", "0", " y"],
}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.fixed_dictionaries({k: st.sampled_from(v) for k, v in POOL.items()}), min_size=1, max_size=5))
def test_any_mix_of_odd_cells_gives_the_careful_result(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("fuzz") / "orders.csv"
    path.write_bytes((HEAD + "".join(",".join(r.values()) + "\n" for r in rows)).encode())
    fast = loading.validate_table(path, as_of=AS_OF)
    loading_read_strict, loading.read_strict = loading.read_strict, lambda *a, **k: None
    try:
        slow = loading.validate_table(path, as_of=AS_OF)
    finally:
        loading.read_strict = loading_read_strict
    for a, b in zip(fast, slow, strict=True):
        pd.testing.assert_frame_equal(a, b)


OPPS = "opportunity_id,rep_id,channel,amount,created_date,intent_date,closed_date,outcome,free_months\n"
OTHER = {
    "opps-clean": (OPPS + "P1,R1,web,10,2025-01-01,2025-01-05,2025-02-01,won,1\n"
                   "P2,R1,web,0,2025-01-01,,,open,\n", True),
    "opps-category-case": (OPPS + "P1,R1,web,10,2025-01-01,,2025-02-01,Won,\n", False),
    "opps-category-unknown": (OPPS + "P1,R1,web,10,2025-01-01,,2025-02-01,maybe,\n", False),
    "opps-stage-order": (OPPS + "P1,R1,web,10,2025-01-09,2025-01-05,2025-02-01,won,\n", False),
    "opps-negative-money": (OPPS + "P1,R1,web,-10,2025-01-01,,2025-02-01,won,\n", False),
    "opps-count-fraction": (OPPS + "P1,R1,web,10,2025-01-01,,2025-02-01,won,1.0\n", False),
    "opps-count-negative": (OPPS + "P1,R1,web,10,2025-01-01,,2025-02-01,won,-1\n", False),
    "assessments-clean": ("rep_id,competency,level,rater,assessed_date\nR1,negotiation,5,self,2025-06-30\n"
                          "R1,negotiation,1,manager,2025-06-30\n", True),
    "assessments-level": ("rep_id,competency,level,rater,assessed_date\nR1,negotiation,6,self,2025-06-30\n"
                          "R1,negotiation,0,manager,2025-06-30\n", False),
    "assessments-duplicate": ("rep_id,competency,level,rater,assessed_date\nR1,negotiation,5,self,2025-06-30\n"
                              "R1,negotiation,4,self,2025-06-30\n", False),
}


@pytest.mark.parametrize("name", OTHER)
def test_other_tables_rules(write_file, monkeypatch, name):
    text, clean = OTHER[name]
    path = write_file(f"{name}/data.csv", text.encode())
    assert (read_strict(path, None, None, STAMP) is not None) == clean
    _same(monkeypatch, lambda: loading.validate_table(path, as_of=AS_OF))


def test_reference_lookup_leaves_the_ids_codes_for_the_figures():
    # the reference check's codes of each id column are pandas' own factorize, recalled without hashing
    ds, _ = loading.validate_dataset(SAMPLE_DIR, cache=False, as_of=AS_OF)
    checked = 0
    for table, frame in ds.tables().items():
        for column, (ref, _) in TABLES[table].references.items():
            if frame is None or column not in frame or ref not in ("reps", "customers"):
                continue
            values = frame[column]
            assert codes.recall(values) is not None, (table, column)
            got_codes, got_uniques = codes.factorized(values)
            want_codes, want_uniques = pd.factorize(values.astype(object))  # independent: Python strings
            assert got_codes.tolist() == want_codes.tolist()
            assert list(got_uniques) == list(want_uniques) and got_uniques.dtype == values.dtype
            checked += 1
    assert checked >= 3  # orders' customer and rep, opportunities' … at least


@pytest.mark.parametrize("asked", ["", "system"])
def test_arrow_memory_pool_is_jemalloc_unless_the_user_chose_one(asked):
    import pyarrow as pa

    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        pytest.skip("this pyarrow is built without jemalloc")
    env = {**os.environ, "ARROW_DEFAULT_MEMORY_POOL": asked}
    code = "import playbook.data.loading, pyarrow as pa; print(pa.default_memory_pool().backend_name)"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == (asked or "jemalloc")
