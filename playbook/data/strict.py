"""The strict fast path for clean CSV exports: pyarrow reads the kit's types and checks them, or declines.

A clean export (UTF-8, one plain header row, ISO dates, plain yuan amounts, every
value valid) is parsed by pyarrow's multi-threaded CSV reader straight into the
kit's types (dates, whole numbers and flags parsed by the reader, text kept in Arrow)
and checked with ``pyarrow.compute``: no Python string per cell. The result is the
one the careful path (:mod:`playbook.data.mapping`, :mod:`playbook.data.validation`)
gives for the same file.

Whatever the careful path would read differently or report (a title row, a total or
footer row, a blank line, another encoding, a map that translates values, a date or
amount that is not plain, any problem at all) makes the fast path *decline*: it
returns ``None`` and the caller reads the file the careful way, which explains every
problem with its file, row, column and value.
"""

from __future__ import annotations

import csv as _csv
import io as _io
import mmap
import os
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from playbook.core.codes import arrow_data, remember
from playbook.core.money import round_money
from playbook.core.schema import TABLES, Column
from playbook.data.issues import empty_issues
from playbook.data.mapping import _prepare, _Prepared
from playbook.data.maps import _TEXT_SUFFIXES, _URL_RE
from playbook.data.parsing import _BOOLS, DATE_FORMATS
from playbook.data.reading import _TEXT_TYPES, _TOTAL_RE, _TOTAL_STARTS, _sniff_sep, _title_lines
from playbook.data.units import unit_key
from playbook.data.validation import _finish_rows, _isin, _missing_series, _row_checks

__all__ = ["StrictPrepared", "read_strict", "finish_strict"]

_HEAD = 1 << 16
#: every character Python's ``str.strip()`` removes (the careful path strips each cell)
_SPACE = "".join(chr(i) for i in range(0x110000) if chr(i).isspace())
_YUAN_BYTES = np.zeros(256, bool)
_YUAN_BYTES[list(b"0123456789-.")] = True
_DIGIT = np.zeros(256, bool)
_DIGIT[list(b"0123456789")] = True
_TOTAL_LEAD = np.zeros(256, bool)  # first bytes of the characters a total row can start with
_TOTAL_LEAD[[c.encode()[0] for c in _TOTAL_STARTS]] = True
_THREADS = max(1, min(4, os.cpu_count() or 1))
#: the yes/no texts the careful path reads (parsing._BOOLS, any case), in the common spellings
_BOOL_TEXT = {flag: sorted({v for k, f in _BOOLS.items() if f is flag for v in (k, k.upper(), k.title())})
              for flag in (True, False)}
_ARROW_TYPES = {"id": pa.string(), "text": pa.string(), "category": pa.string(), "date": pa.date32(),
                "money": pa.string(), "count": pa.int64(), "level": pa.int64(), "bool": pa.bool_()}
#: dates both paths read alike (within datetime64[ns]); others are left to the careful path
_FIRST_DAY, _LAST_DAY = pa.scalar(date(1678, 1, 1), pa.date32()), pa.scalar(date(2261, 12, 31), pa.date32())
_WHOLE = 2 ** 53  # whole numbers the careful path's float64 holds exactly
#: below this a plain amount's float (the double nearest its cents / 100) is its own cent rounding:
#: money.cents finds exactly those cents, and cents / 100 is that double again
_EXACT_YUAN = 2.0 ** 36  # < MAX_CENTS / 100: above it round_money refuses, as on the careful path


def _memory_pool() -> str:
    """Make jemalloc Arrow's default memory pool (unless ``ARROW_DEFAULT_MEMORY_POOL`` says otherwise); return its name.

    The first big read of a process takes its buffers fresh from the system. With
    mimalloc (pyarrow's default) that cost 0.2-1.6 s of kernel time for a million orders
    (huge pages made ready), with jemalloc about 0.15 s; later reads cost alike. A
    pyarrow built without jemalloc keeps its default.
    """
    if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        try:
            pa.set_memory_pool(pa.jemalloc_memory_pool())
        except NotImplementedError:  # pragma: no cover - a pyarrow build without jemalloc
            pass
    return pa.default_memory_pool().backend_name


_memory_pool()


class _Decline(Exception):
    """The file is not plainly clean: read it the careful way."""


@dataclass
class StrictPrepared(_Prepared):
    """A table read by the strict fast path, its row checks passed (all but references).

    ``frame`` is the final result (valid rows with extras), ``values`` the parsed kit
    columns (index: the user's row numbers), ``raw`` the unmapped columns as text.
    ``requested`` and ``column_map`` say how to read the file again the careful way.
    """

    frame: pd.DataFrame | None = None
    requested: str | None = None
    column_map: object = None


class _Probe:
    """A stand-in for the issue collector: the first problem found declines."""

    headers: dict = {}

    @property
    def original(self):
        raise _Decline

    def add(self, mask, *args, **kwargs) -> None:
        if np.asarray(mask, dtype=bool).any():
            raise _Decline


def read_strict(source: object, table: str | None, column_map: object, stamp: pd.Timestamp | None
                ) -> StrictPrepared | None:
    r"""Read and check a clean CSV/TSV file the fast way; None when it is not plainly clean.

    ``table`` and ``column_map`` are as for :func:`playbook.data.loading.validate_table`
    (a map already loaded, or None), ``stamp`` the as-of date. The reference checks
    (ids of other tables) are left to :func:`finish_strict`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "orders.csv"
    >>> _ = path.write_text("order_id,customer_id,rep_id,order_date,amount\n"
    ...                     "O1,C1,R1,2025-03-07,100.5\n")
    >>> prep = read_strict(path, None, None, pd.Timestamp("2025-09-30"))
    >>> prep.table, prep.frame.amount.tolist()
    ('orders', [100.5])
    >>> _ = path.write_text("order_id,customer_id,rep_id,order_date,amount\n"
    ...                     "O1,C1,R1,2025/3/7,100.5\n")
    >>> read_strict(path, None, None, None) is None  # not an ISO date: the careful path reads it
    True
    """
    if _TEXT_TYPES is None or not isinstance(source, (str, Path)) or (
            isinstance(source, str) and _URL_RE.match(source)):
        return None
    path = Path(source)
    if path.suffix.lower() not in _TEXT_SUFFIXES or not path.is_file():
        return None
    try:
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            names, sep, quoted = _header(data, path.suffix.lower())
        prep = _map_headers(str(source), names, table, column_map)
        with pa.memory_map(str(path)) as file:
            arrow = _read(file, sep, quoted, names, prep)
        prep.requested, prep.column_map = table, column_map
        _check(arrow, names, prep, stamp)
    except (_Decline, OSError, ValueError, pa.ArrowException):
        return None
    return prep


def _header(data: mmap.mmap, suffix: str) -> tuple[list[str], str, bool]:
    """Return the header names, the delimiter and whether any cell is quoted; decline if not plain."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise _Decline  # UTF-16
    head = data[:_HEAD]
    head = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    end = head.find(b"\n")
    try:
        first = (head if end < 0 else head[:end]).decode("utf-8")
    except UnicodeDecodeError:
        raise _Decline from None
    sep = _sniff_sep(first, suffix)
    if _title_lines(head.decode("utf-8", "replace"), sep) != 0:
        raise _Decline
    quoted = data.find(b'"') >= 0
    if quoted and (data.find(b"\n\n") >= 0 or data.find(b"\n\r\n") >= 0 or data.find(b"\r\r") >= 0):
        raise _Decline  # as reading._read_csv_arrow: the careful path keeps blank lines' numbers
    if '"' in first:
        names = next(_csv.reader(_io.StringIO(head.decode("utf-8", "replace")), delimiter=sep))
    else:
        names = first.rstrip("\r").split(sep)
    if len(names) < 2 or len(set(names)) != len(names) or any(
            not n.strip() or n != n.strip() or "\ufeff" in n or n.startswith("Unnamed: ") for n in names):
        raise _Decline
    return names, sep, quoted


def _map_headers(file: str, names: list[str], table: str | None, column_map: object) -> StrictPrepared:
    """Map the headers as the careful path does; decline unless the map only renames columns."""
    base = _prepare(pd.DataFrame({n: pd.Series([], dtype="str") for n in names}), file, table, column_map)
    tmap = base.tmap
    if (not base.usable or base.table is None or len(base.issues) or base.units or tmap is None
            or tmap.values or tmap.defaults or tmap.same_as or tmap.refund is not None or tmap.clear_unless
            or unit_key(tmap.amount_unit) != "cny" or tmap.date_format not in DATE_FORMATS):
        raise _Decline
    fields = {f: getattr(base, f) for f in _Prepared.__dataclass_fields__}
    return StrictPrepared(**fields)


def _read(file: pa.NativeFile, sep: str, quoted: bool, names: list[str], prep: StrictPrepared) -> pa.Table:
    """Parse the file with pyarrow (multi-threaded), each kit column in its type, the others as text."""
    kinds = {h: TABLES[prep.table].column(c).kind for c, h in prep.found.items()}
    types = {n: _ARROW_TYPES[kinds[n]] if n in kinds else pa.string() for n in names}
    arrow = pa_csv.read_csv(
        file,
        parse_options=pa_csv.ParseOptions(delimiter=sep, newlines_in_values=quoted, ignore_empty_lines=False),
        convert_options=pa_csv.ConvertOptions(
            column_types=types, strings_can_be_null=False, null_values=[""],
            true_values=_BOOL_TEXT[True], false_values=_BOOL_TEXT[False],
        ),
    )
    if arrow.schema.names != names or [f.type for f in arrow.schema] != [types[n] for n in names] \
            or arrow.num_rows == 0:
        raise _Decline
    return arrow


def _check(arrow: pa.Table, names: list[str], prep: StrictPrepared, stamp: pd.Timestamp | None) -> None:
    """Parse and check every column (in threads: pyarrow.compute releases the GIL); fill ``prep`` or decline."""
    spec = TABLES[prep.table]
    index = pd.RangeIndex(2, arrow.num_rows + 2)
    kinds = {h: spec.column(c).kind for c, h in prep.found.items()}
    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        try:
            footer = pool.submit(_no_footer, arrow, names, kinds.get(names[0]) in ("id", "text", "category"))
            parsed = {c.name: pool.submit(_column, arrow.column(prep.found[c.name]), c, prep.table, index)
                      for c in spec.columns if c.name in prep.found}
            typed = {c.name: parsed[c.name].result() if c.name in parsed else _missing_series(c.kind, index)
                     for c in spec.columns}
            footer.result()
        except _Decline:
            pool.shutdown(cancel_futures=True)
            raise
    values = pd.DataFrame(typed, index=index, copy=False)  # fresh columns: no copy into 2-D blocks
    _row_checks(values, prep.table, prep.found, _Probe(), rules={}, negate_refunds=False, stamp=stamp,
                references=None)
    prep.values = values
    prep.raw = arrow.select(prep.extras).to_pandas(types_mapper=_TEXT_TYPES).set_axis(index)
    prep.issues = empty_issues()
    extra = prep.raw.rename(columns=prep.renamed).reset_index(drop=True)
    prep.frame = pd.concat([_finish_rows(values, prep.table), extra], axis=1)


def _no_footer(arrow: pa.Table, names: list[str], stripped: bool) -> None:
    """Decline when a total row (合计, Total …) or a report footer may be among the rows.

    ``stripped``: the first column is kit text, which declines anyway unless stripped.
    """
    first = arrow.column(names[0])
    if first.type == pa.string() and (not stripped or any(_TOTAL_LEAD[b].any() for b in _first_bytes(first))):
        trimmed = first if stripped else pc.utf8_trim(first, characters=_SPACE)
        maybe = pc.is_in(pc.utf8_slice_codeunits(trimmed, 0, 1), value_set=pa.array(_TOTAL_STARTS))
        if pc.any(maybe).as_py():
            cells = pd.Series(trimmed.filter(maybe).to_pylist(), dtype="str")
            if cells.str.match(_TOTAL_RE).any():
                raise _Decline
    tail = arrow.slice(max(arrow.num_rows - 50, 0))
    filled = [pc.fill_null(pc.not_equal(c, ""), False) if c.type == pa.string() else c.is_valid()
              for c in tail.columns]
    count = np.sum([f.to_numpy(zero_copy_only=False) for f in filled], axis=0)
    if (count <= 1).any() or not pc.all(filled[0]).as_py():
        raise _Decline  # a footer block, or a row whose first filled cell is not the first column


def _pieces(arr: pa.ChunkedArray):
    """Yield ``(offsets, data)`` of each chunk of a string array as numpy views (no copy)."""
    for chunk in arr.chunks:
        if len(chunk) == 0:
            continue
        _, offsets, data = chunk.buffers()
        off = np.frombuffer(offsets, np.int32, count=len(chunk) + 1, offset=chunk.offset * 4)
        yield off, (np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8))


def _first_bytes(arr: pa.ChunkedArray):
    """Yield the first byte of every non-empty string, chunk by chunk."""
    for off, data in _pieces(arr):
        yield data[off[:-1][off[1:] > off[:-1]]]


def _plain_yuan(arr: pa.ChunkedArray) -> bool:
    r"""Return True when every non-empty string is plain yuan, ``^-?\d+(?:\.\d{1,2})?$``, in a few numpy passes.

    Examples
    --------
    >>> _plain_yuan(pa.chunked_array([["12", "-0.5", "", "3.25"]])), _plain_yuan(pa.chunked_array([["1.234"]]))
    (True, False)
    """
    for off, data in _pieces(arr):
        d = data[off[0]:off[-1]]
        n = len(d)
        if not _YUAN_BYTES[d].all():
            return False
        edge = np.zeros(n + 4, bool)  # True where a string begins (and at the end)
        edge[off - off[0]] = True
        minus = np.flatnonzero(d == 45)  # "-": only first, and a digit after it
        if not edge[minus].all() or edge[minus + 1].any() or not _DIGIT[d[minus + 1]].all():
            return False
        dot = np.flatnonzero(d == 46)  # ".": after a digit, then one or two digits to the end
        if edge[dot].any() or not _DIGIT[d[dot - 1]].all() or edge[dot + 1].any() \
                or not (edge[dot + 2] | edge[dot + 3]).all():
            return False
    return True


def _column(arr: pa.ChunkedArray, c: Column, table: str, index: pd.RangeIndex) -> pd.Series:
    """One kit column parsed as the careful path parses it (``validation._parse_column``), or decline."""
    if c.kind in ("id", "text", "category"):
        return _text(arr, c, index)
    if c.kind == "date":
        _required(c, arr.is_null())
        low, high = pc.min_max(arr).values()
        if low.is_valid and (pc.less(low, _FIRST_DAY).as_py() or pc.greater(high, _LAST_DAY).as_py()):
            raise _Decline
        return pd.Series(arr.cast(pa.timestamp("us")).to_numpy(zero_copy_only=False), index=index,
                         dtype="datetime64[us]")
    if c.kind == "money":
        return _money(arr, c, table, index)
    if c.kind in ("count", "level"):
        _required(c, arr.is_null())
        low, high = pc.min_max(arr).values()
        if low.is_valid and (abs(low.as_py()) >= _WHOLE or abs(high.as_py()) >= _WHOLE
                             or low.as_py() < (1 if c.kind == "level" else 0)
                             or (c.kind == "level" and high.as_py() > 5)):
            raise _Decline  # negative_count, level_out_of_range
        return pd.Series(arr.cast(pa.float64()).to_numpy(zero_copy_only=False), index=index, dtype="float64")
    if c.kind == "bool":
        return pd.Series(pd.array(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype="boolean"),
                         index=index)
    raise _Decline  # pragma: no cover - schema kinds are fixed


def _text(arr: pa.ChunkedArray, c: Column, index: pd.RangeIndex) -> pd.Series:
    """Ids, text and categories: already stripped, known categories, non-empty when required."""
    length = pc.sum(pc.binary_length(arr)).as_py()
    if length and pc.sum(pc.binary_length(pc.utf8_trim(arr, characters=_SPACE))).as_py() != length:
        raise _Decline  # the careful path strips (trimming only ever shortens)
    empty = pc.equal(arr, "")
    if c.kind == "category":
        allowed = [a for a in c.allowed or () if unicodedata.normalize("NFKC", a).casefold() == a]
        if not pc.all(pc.or_(empty, pc.is_in(arr, value_set=pa.array(allowed, pa.string())))).as_py():
            raise _Decline  # bad_category (or a value the careful path would normalise)
    _required(c, empty)
    if pc.any(empty).as_py():
        arr = pc.if_else(empty, None, arr)
    return pa.table({"v": arr}).to_pandas(types_mapper=_TEXT_TYPES)["v"].set_axis(index)


def _money(arr: pa.ChunkedArray, c: Column, table: str, index: pd.RangeIndex) -> pd.Series:
    """Plain yuan amounts (``-1234.5``) as float, exactly as the careful path reads them."""
    empty = pc.equal(arr, "")
    _required(c, empty)
    if not _plain_yuan(arr):
        raise _Decline  # the careful path reads other amounts exactly (units, signs, separators)
    if pc.any(empty).as_py():
        arr = pc.if_else(empty, None, arr)
    number = pc.cast(arr, pa.float64())
    low, high = pc.min_max(number).values()
    v = pd.Series(number.to_numpy(zero_copy_only=False) + 0.0, index=index, dtype="float64")  # no -0.0
    if low.is_valid and max(-low.as_py(), high.as_py()) >= _EXACT_YUAN:
        v = round_money(v)  # below _EXACT_YUAN rounding a plain amount to the cent changes nothing
    if (table != "orders" or c.name != "amount") and low.is_valid and low.as_py() < 0:
        raise _Decline  # negative_amount
    return v


def _required(c: Column, empty: pa.ChunkedArray) -> None:
    if not c.nullable and c.kind != "bool" and pc.any(empty).as_py():
        raise _Decline  # missing_value


def finish_strict(prep: StrictPrepared, references: dict | None) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    r"""Return ``(frame, issues)`` of a strictly read table after the reference checks; None on a problem.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "orders.csv"
    >>> _ = path.write_text("order_id,customer_id,rep_id,order_date,amount\n"
    ...                     "O1,C1,R1,2025-03-07,100.5\n")
    >>> prep = read_strict(path, None, None, None)
    >>> finish_strict(prep, {"reps": ["R1"]})[0].order_id.tolist()
    ['O1']
    >>> finish_strict(prep, {"reps": ["R2"]}) is None  # an unknown rep: the careful path names it
    True
    """
    columns = [(name, references[ref]) for name, (ref, _) in TABLES[prep.table].references.items()
               if references and ref in references and name in prep.found]
    with ThreadPoolExecutor(max_workers=_THREADS) as pool:  # as validation._reference_check, column by column
        unknown = pool.map(lambda item: _unknown(prep.values[item[0]], prep.frame[item[0]], item[1]), columns)
        if any(list(unknown)):
            return None
    return prep.frame, prep.issues


def _unknown(values: pd.Series, final: pd.Series, known: object) -> bool:
    """Return True when a filled id of ``values`` is not ``known``; else remember the ids' codes.

    With ``known`` an Arrow text Series (as :func:`playbook.data.loading.validate_dataset`
    gives it: distinct ids), the lookup gives each id's position in it: these codes are kept
    for the frame's column ``final`` (:func:`playbook.core.codes.remember`), so the figures
    that group on it do not hash the text again. Other ids (a list, a set) are checked as
    ``validation._reference_check`` does.
    """
    data = arrow_data(final)
    if data is None or not (isinstance(known, pd.Series) and isinstance(known.array, pd.arrays.ArrowStringArray)):
        return bool((values.notna().to_numpy() & ~_isin(values, known)).any())
    value_set = known.array.__arrow_array__()
    if value_set.type != data.type:
        value_set = value_set.cast(data.type)
    found = pc.index_in(data, value_set=value_set, skip_nulls=True)
    if found.null_count != data.null_count:
        return True
    remember(final, pc.fill_null(found, -1).to_numpy(zero_copy_only=False), known)
    return False
