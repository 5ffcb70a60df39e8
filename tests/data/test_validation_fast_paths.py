"""The fast paths of reading and validation give what the careful paths give.

Large exports are read by pyarrow's CSV parser, repeated values (dates, flags,
categories) are parsed once per distinct value, plain numbers in one Arrow cast. Each
test states the expected figures independently (by hand or with pandas' own parser).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from playbook.data.loading import validate_table
from playbook.data.reading import _read_csv_arrow, read_frame
from playbook.data.validation import _FEW, _has_duplicates, _numbers

AS_OF = "2025-09-30"
HEADER = "order_id,customer_id,rep_id,order_date,amount,is_refund\n"
CELLS = ["", " ", "a", " b ", '"q,uoted"', '"two\nlines"', "007", "1e3", "中文", '""', "NA", "null",
         "nan", "-", '"a""b"', 'a"b', "\t"]


def _careful(text: str) -> pd.DataFrame:
    """What pandas' C parser reads, every cell as text (the reference)."""
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False,
                       skip_blank_lines=False)


@given(st.integers(1, 4).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.lists(st.sampled_from(CELLS), min_size=n, max_size=n), max_size=6))))
def test_arrow_reader_reads_what_pandas_reads(case):
    n, rows = case
    text = ",".join(f"h{i}" for i in range(n)) + "\n" + "".join(",".join(r) + "\n" for r in rows)
    fast = _read_csv_arrow(text.encode(), ",")
    if fast is None:  # not plain (e.g. a row that is one blank cell): the careful path reads it
        return
    pd.testing.assert_frame_equal(fast, _careful(text))


@pytest.mark.parametrize("text", [
    "a,b\n1,2\n\n3,4\n",   # a blank line keeps its line number: careful path
    "a,a\n1,2\n",          # repeated header
    "a,\n1,2\n",           # nameless header
    "a,b\n1,2\n3\n",       # ragged row
], ids=["blank-line", "repeated-header", "nameless-header", "ragged"])
def test_arrow_reader_declines_what_it_would_read_differently(text):
    assert _read_csv_arrow(text.encode(), ",") is None


def test_read_frame_fast_and_careful_paths_agree(write_file):
    body = "".join(f"O{i},C{i % 7},R1,2025-03-{1 + i % 28:02d},{i}.5,\n" for i in range(50))
    fast = read_frame(write_file("a.csv", HEADER + body))
    careful = read_frame(write_file("b.csv", HEADER + body + "\n"))  # a trailing blank line
    pd.testing.assert_frame_equal(fast, careful)
    assert fast.index[0] == 2 and fast.index[-1] == 51


def test_gb18030_file_takes_the_arrow_path_after_decoding(write_file):
    text = "订单编号,成交金额\nXS-1,1.5\nXS-2,2\n"
    raw = read_frame(write_file("x.csv", text, encoding="gb18030"))
    assert raw.values.tolist() == [["XS-1", "1.5"], ["XS-2", "2"]]
    assert raw.columns.tolist() == ["订单编号", "成交金额"]


def test_repeated_dates_and_flags_are_checked_per_row(write_file):
    """More rows than the distinct-value threshold: each bad cell is still reported on its own row."""
    n = 3 * _FEW
    days = ["2025-03-07", "2025/3/8", "2025-02-30", "3/7/2025", "2025年3月9日"]
    flags = ["false", "是", "maybe", "0"]
    lines = [f"O{i},C1,R1,{days[i % 5]},10,{flags[i % 4]}\n" for i in range(n)]
    frame, issues = validate_table(write_file("orders.csv", HEADER + "".join(lines)), as_of=AS_OF)
    got = issues.groupby("code")["row"].apply(list).to_dict()
    assert got["bad_date"] == [i + 2 for i in range(n) if i % 5 == 2]
    assert got["ambiguous_date"] == [i + 2 for i in range(n) if i % 5 == 3]
    assert got["bad_bool"] == [i + 2 for i in range(n) if i % 4 == 2]
    good = [i for i in range(n) if i % 5 not in (2, 3) and i % 4 != 2]
    assert frame["order_id"].tolist() == [f"O{i}" for i in good]
    expected_day = {0: "2025-03-07", 1: "2025-03-08", 4: "2025-03-09"}
    assert frame["order_date"].dt.strftime("%Y-%m-%d").tolist() == [expected_day[i % 5] for i in good]
    assert frame["is_refund"].tolist() == [flags[i % 4] == "是" for i in good]


def test_numbers_fast_path():
    s = pd.Series(["12", "-0", "", "0.1", "1e3", "+.5"], dtype="str")
    got = _numbers(s)
    assert got.tolist()[:2] == [12.0, 0.0] and np.signbit(got.iloc[1]) == np.False_  # no "-0.00"
    assert np.isnan(got.iloc[2]) and got.tolist()[3:] == [0.1, 1000.0, 0.5]
    # anything else (separators, currency, inf) goes the careful way: the same as parse_numbers
    s = pd.Series(["12,300", "¥5", "inf", "7"], dtype="str")
    assert _numbers(s).tolist()[:2] == [12300.0, 5.0] and np.isnan(_numbers(s).iloc[2])


def test_duplicates_found_in_one_hash_pass():
    assert not _has_duplicates(pd.Series(["a", "b", None, None], dtype="str"))
    assert _has_duplicates(pd.Series(["a", "b", "a"], dtype="str"))
    assert not _has_duplicates(pd.Series(["b", "a", "c"], dtype="str"))  # unsorted: counted
    assert _has_duplicates(pd.Series(["a", "a"], dtype="str"))  # sorted but not strictly increasing
