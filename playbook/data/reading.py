"""Reading export files: CSV in any common encoding, Excel, Parquet and SQL."""

from __future__ import annotations

import io as _io
import re
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import create_engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from playbook.core.errors import ParameterError, ValidationError
from playbook.data.issues import make_issues
from playbook.data.maps import _EXCEL_SUFFIXES, _TEXT_SUFFIXES, _URL_RE

__all__ = ["read_frame"]

# ---------------------------------------------------------------------------- reading
def _fail(file: object, code: str, *, row: int | None = None, value: str | None = None,
          expected: str = "", table: str | None = None) -> ValidationError:
    issues = make_issues(str(file), table, code, rows=[row], values=[value], expected=expected)
    return ValidationError(issues, summary=f"cannot read {file}")


_ENCODING_EXPECTED = "UTF-8 | GB18030 (GBK)"


def _decode(data: bytes, encoding: str | None, file: str) -> tuple[str, str]:
    """Decode ``data`` with ``encoding`` or the first of UTF-8(-BOM), GB18030 that works.

    Returns the text and the encoding used.
    """
    if encoding:
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise ParameterError("encoding", encoding, "an encoding such as 'utf-8' or "
                                 "'gb18030'") from None
        except UnicodeDecodeError as err:
            raise _encoding_error(data, err, file, encoding) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as err:
            raise _encoding_error(data, err, file, "UTF-16") from None
    first = None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError as err:
            first = first or err
    raise _encoding_error(data, first, file, _ENCODING_EXPECTED)


def _encoding_error(data: bytes, err: UnicodeDecodeError, file: str, expected: str):
    line = data[: err.start].count(b"\n") + 1
    shown = " ".join(f"0x{b:02x}" for b in data[err.start : err.start + 4])
    return _fail(file, "bad_encoding", row=line, value=shown, expected=expected)


def _sniff_sep(text: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    end = text.find("\n")
    head = text if end < 0 else text[:end]
    counts = {sep: head.count(sep) for sep in (",", "\t", ";")}
    best = max(counts, key=counts.get)
    return best if counts[best] > counts[","] else ","


_TEXT = pd.Series([], dtype="str").dtype  # pandas' text dtype: Arrow-backed "str" (pandas >= 3)
_TEXT_TYPES = ({pa.string(): _TEXT, pa.large_string(): _TEXT}.get
               if isinstance(_TEXT, pd.api.extensions.ExtensionDtype) else None)


def _read_csv_arrow(data: bytes, sep: str) -> pd.DataFrame | None:
    """Read well-formed UTF-8 CSV bytes with pyarrow's parser (every cell as text); None when not plain.

    The fast path for large exports: Arrow-backed text columns, no Python string per
    cell. Anything pandas' parser reads differently (blank lines, which keep their line
    numbers; nameless or repeated headers; ragged rows) returns None, and the caller
    reads the file the careful way.
    """
    quoted = b'"' in data  # one memchr; without any quote no value spans lines
    if quoted and (b"\n\n" in data or b"\n\r\n" in data or b"\r\r" in data):
        return None
    try:  # the header row, from the first block only
        with pa_csv.open_csv(pa.py_buffer(data), read_options=pa_csv.ReadOptions(block_size=1 << 16),
                             parse_options=pa_csv.ParseOptions(delimiter=sep, newlines_in_values=True)) as head:
            names = head.schema.names
    except (pa.ArrowInvalid, ValueError):
        names = None
    if not names or len(set(names)) != len(names) or any(not n.strip() for n in names):
        return None
    try:  # without quotes pyarrow parses blocks in parallel
        table = pa_csv.read_csv(
            pa.py_buffer(data),
            parse_options=pa_csv.ParseOptions(delimiter=sep, newlines_in_values=quoted),
            convert_options=pa_csv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False, quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, ValueError):
        return None
    if not quoted and table.num_rows != data.count(b"\n") - data.endswith(b"\n"):
        return None  # pyarrow skipped blank lines (which keep their line numbers the careful way)
    return table.to_pandas(types_mapper=_TEXT_TYPES)


def _read_text(path: Path, encoding: str | None) -> pd.DataFrame:
    file = str(path)
    data = path.read_bytes()
    if (encoding or "utf-8").replace("_", "-").lower() in ("utf-8", "utf-8-sig", "utf8") \
            and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
        end = body.find(b"\n")
        head = (body if end < 0 else body[:end]).decode("utf-8", "replace")
        frame = _read_csv_arrow(body, _sniff_sep(head, path.suffix.lower()))  # pyarrow checks the UTF-8
        if frame is not None:
            return _numbered(frame)
    text, used = _decode(data, encoding, file)
    del data
    if not text.replace("\ufeff", "").strip():
        raise _fail(file, "empty_file", expected="a header row and at least one data row")
    sep = _sniff_sep(text, path.suffix.lower())
    if used.replace("_", "-").lower() not in ("utf-8", "utf-8-sig", "utf8"):  # e.g. GB18030
        frame = _read_csv_arrow(text.replace("\ufeff", "", 1).encode("utf-8"), sep)
        if frame is not None:
            return _numbered(frame)
    try:
        frame = pd.read_csv(
            _io.StringIO(text), sep=sep, dtype=str,
            keep_default_na=False, na_filter=False, skip_blank_lines=False,
        )
    except pd.errors.ParserError as err:
        msg = str(err).split("C error: ")[-1].strip()
        found = re.search(r"line (\d+)", msg)
        raise _fail(file, "bad_csv", row=int(found.group(1)) if found else None, value=msg,
                    expected="the same number of cells on every row") from None
    return _numbered(frame)


def _numbered(frame: pd.DataFrame) -> pd.DataFrame:
    """Give a CSV's records the row numbers the user sees (line 2 is the first); tidy the headers."""
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    frame.columns = [str(c).replace("\ufeff", "").strip() for c in frame.columns]
    return frame


def _cell_text(value: object) -> str:
    """Return the text of an Excel cell, as a CSV export would write it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d" if value.time() == time() else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _dedupe(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, h in enumerate(headers):
        h = h or f"Unnamed: {i}"
        if h in seen:
            seen[h] += 1
            h = f"{h}.{seen[h]}"
        else:
            seen[h] = 0
        out.append(h)
    return out


def _read_excel(path: Path, sheet: str | int | None) -> pd.DataFrame:
    file = str(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as err:
        raise _fail(file, "unreadable_file", value=type(err).__name__,
                    expected="a file that opens") from None
    try:
        names = book.sheetnames
        if sheet is None:
            ws = book.worksheets[0]
        elif isinstance(sheet, int) and 0 <= sheet < len(names):
            ws = book.worksheets[sheet]
        elif isinstance(sheet, str) and sheet in names:
            ws = book[sheet]
        else:
            raise ParameterError("sheet", sheet, "a sheet name (" + ", ".join(names) +
                                 ") or a 0-based sheet number")
        ws.reset_dimensions()
        rows = [
            (number, [_cell_text(v) for v in cells])
            for number, cells in enumerate(ws.iter_rows(values_only=True), start=1)
        ]
    finally:
        book.close()
    rows = [(n, cells) for n, cells in rows if any(c.strip() for c in cells)]
    if not rows:
        raise _fail(file, "empty_file", expected="a header row and at least one data row")
    # a title line above the table (one cell, e.g. "订单明细") is not the header row
    start = next((i for i, (_, cells) in enumerate(rows) if sum(bool(c.strip()) for c in cells)
                  >= 2), 0)
    rows = rows[start:]
    width = max(len(cells) for _, cells in rows)
    header = rows[0][1] + [""] * (width - len(rows[0][1]))
    body = [cells + [""] * (width - len(cells)) for _, cells in rows[1:]]
    frame = pd.DataFrame(body, columns=_dedupe([h.strip() for h in header]), dtype="str")
    frame.index = pd.Index([n for n, _ in rows[1:]], dtype="int64")
    return frame


def _frame_to_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn a typed frame (Parquet, SQL) into raw text like a CSV, keeping its rows."""
    out = pd.DataFrame(
        {str(c): frame[c].astype("str").fillna("") for c in frame.columns}, dtype="str"
    )
    out.columns = _dedupe([str(c).strip() for c in frame.columns])
    out.index = pd.RangeIndex(1, len(out) + 1)
    return out


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as err:  # pyarrow raises several unrelated types for bad files
        raise _fail(str(path), "unreadable_file", value=type(err).__name__,
                    expected="a file that opens") from None
    return _frame_to_text(frame.reset_index(drop=True))


def _tidy(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """Drop blank rows and nameless empty columns; a frame with no rows is an empty file."""
    if len(frame.columns):
        filled = frame.ne("").any(axis=1).to_numpy()
        if not filled.all():
            frame = frame.loc[filled]
        blank = [c for c in frame.columns
                 if c.startswith("Unnamed: ") and not frame[c].ne("").any()]
        frame = frame.drop(columns=blank)
    if frame.empty:
        raise _fail(file, "empty_file", expected="a header row and at least one data row")
    return frame


def read_frame(
    path: str | Path, *, encoding: str | None = None, sheet: str | int | None = None
) -> pd.DataFrame:
    """Read a CSV/TSV, ``.xlsx`` or ``.parquet`` file as raw text, one column per header.

    Every cell is a string (``""`` when empty); the index holds the row number as the
    user sees it (CSV: line 2 is the first data row; Excel: the sheet row; Parquet: the
    record number from 1). Blank rows are dropped. CSV encodings are tried in the order
    UTF-8 (with or without BOM), GB18030 (which covers GBK/GB2312); a UTF-16 BOM is
    honoured.

    Parameters
    ----------
    path
        The file.
    encoding
        Force a text encoding (e.g. ``"gb18030"``).
    sheet
        Excel sheet name or 0-based number; default the first sheet.

    Raises
    ------
    InputError
        A :class:`~playbook.core.errors.ValidationError` (an ``InputError``) whose ``issues``
        hold one issue: ``file_not_found``, ``unsupported_format``, ``unreadable_file``,
        ``bad_encoding``, ``bad_csv`` or ``empty_file`` (no data rows).

    Examples
    --------
    >>> from playbook.core.paths import EXAMPLES_DIR
    >>> raw = read_frame(EXAMPLES_DIR / "chinese_crm_orders.csv")  # GB18030
    >>> raw.loc[2, ["订单编号", "成交金额", "成交日期"]].tolist()
    ['XS-2025-0001', '1.5', '2025/3/7']
    """
    path = Path(path)
    file = str(path)
    if path.is_dir():
        raise ParameterError("path", file, "a file (use validate_dataset for a directory)")
    if not path.exists():
        raise _fail(file, "file_not_found", expected="an existing file")
    suffix = path.suffix.lower()
    try:
        if suffix in _TEXT_SUFFIXES:
            frame = _read_text(path, encoding)
        elif suffix in _EXCEL_SUFFIXES:
            frame = _read_excel(path, sheet)
        elif suffix == ".parquet":
            frame = _read_parquet(path)
        else:
            raise _fail(file, "unsupported_format", value=suffix or "(none)",
                        expected="a .csv, .tsv, .xlsx or .parquet file")
    except PermissionError as err:
        raise _fail(file, "unreadable_file", value=type(err).__name__,
                    expected="a file that opens") from None
    return _tidy(frame, file)


def _is_url(source: object) -> bool:
    return isinstance(source, str) and bool(_URL_RE.match(source))


def _read_sql(url: str, sql: str) -> tuple[pd.DataFrame, str]:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ParameterError("source", url, "a SQLAlchemy URL such as 'sqlite:///crm.db'") from None
    label = parsed.render_as_string(hide_password=True)
    db = parsed.database
    if parsed.get_backend_name() == "sqlite" and db and db != ":memory:" and not \
            db.startswith("file:") and not Path(db).exists():
        raise _fail(label, "file_not_found", expected="an existing file")
    try:
        engine = create_engine(parsed)
    except (ArgumentError, NoSuchModuleError, ImportError) as err:
        raise ParameterError("source", label, f"a URL whose database driver is installed ({err})"
                             ) from None
    try:
        with engine.connect() as conn:
            frame = pd.read_sql(sql, conn)
    except (SQLAlchemyError, pd.errors.DatabaseError) as err:
        cause = err.__cause__ if isinstance(err.__cause__, SQLAlchemyError) else err
        first = (str(getattr(cause, "orig", None) or cause).splitlines() or [""])[0]
        raise ParameterError("sql", sql, f"a query that runs on {label} ({first})") from None
    finally:
        engine.dispose()
    frame = _frame_to_text(frame)
    if frame.empty:
        raise _fail(label, "empty_file", expected="a header row and at least one data row")
    return frame, label


def _read_source(source: object, sql: str | None) -> tuple[pd.DataFrame, str]:
    if _is_url(source):
        if not sql:
            raise ParameterError("sql", sql, "a SQL query (or table name) when source is a "
                                 "database URL")
        return _read_sql(source, sql)
    if sql is not None:
        raise ParameterError("sql", sql, "only with a database URL as source, e.g. "
                             "'sqlite:///crm.db'")
    if not isinstance(source, (str, Path)):
        raise ParameterError("source", source, "a file path or a SQLAlchemy URL")
    return read_frame(source), str(source)
