"""Loading CRM exports into the kit's schema, with validation that reports everything.

One loader for every source: CSV/TSV (encoding detected: UTF-8 with or without BOM,
GB18030/GBK, UTF-16 with BOM), Excel ``.xlsx``, Parquet, and SQL queries through a
SQLAlchemy URL. A *column map* turns the export's headers into the kit's column names
(:mod:`playbook.schema`); validation (:mod:`playbook.validation`) then checks the whole
input and lists every problem at once, with file, row, column, value and what was
expected.

- :func:`validate_table` / :func:`load_table`: one table (file or query).
- :func:`validate_dataset` / :func:`load_dataset`: a directory with one file per table,
  plus the cross-table checks (unknown customers and reps).
- :func:`validate_paths`: what ``playbook validate PATH…`` runs.

``validate_*`` never raise for data problems: they return ``(data, issues)``.
``load_*`` raise :class:`~playbook.errors.ValidationError` holding all issues.
Only bad parameters raise :class:`~playbook.errors.ParameterError`.

Column maps
-----------
A column map is a small YAML file in ``data/column_maps/`` (``kit``, ``salesforce``,
``hubspot``, ``chinese_crm``); pass its name or a path as ``column_map``. With
``column_map=None`` the map (and, with ``table=None``, the table) that matches the
file's headers best is chosen. The format (documented again in ``kit.yaml``)::

    name: chinese_crm              # optional, default: the file's stem
    description: one line          # optional
    date_format: YMD               # optional, for every table: YMD | MDY | DMY | strptime
    amount_unit: cny               # optional, for every table: cny | wan (万元, x 10,000)
    tables:
      orders:                      # a kit table
        columns:                   # kit column: export header, or a list of alternatives
          order_id: 订单编号
          amount: [成交金额, 金额]
        values:                    # kit column: {export value: kit value}; "*": any other
          outcome: {Closed Won: won, Closed Lost: lost, "*": open}
        amount_unit: wan           # money columns of this table are in 万元
        date_format: YMD
        refund: {column: 类型, values: [退款, 退货], negate: true}
        defaults: {channel: unknown}   # value of a kit column the export lacks
        clear_unless: {closed_date: {outcome: [won, lost]}}

Headers match ignoring case, surrounding spaces, full-width forms and ``_`` versus
spaces; a kit column the map does not list is looked up under its kit name. Value keys
match ignoring case. ``refund`` sets ``is_refund`` on rows whose ``column`` holds one of
``values`` (``negate``: the export writes refunds as positive amounts). ``clear_unless``
empties a column unless another kit column holds one of the listed values (a CRM's
"close date" of an open deal is only a forecast). Unmapped columns are kept, unchanged,
after the kit's columns.

Empty files
-----------
A file with no data rows -- 0 bytes, only blank lines, or a header row only -- is an
``empty_file`` problem: every table the kit reads must hold at least one row. Leave an
optional table's file out of a dataset instead of shipping it empty.

Examples
--------
>>> from playbook.io import load_table
>>> from playbook.paths import EXAMPLES_DIR
>>> orders = load_table(EXAMPLES_DIR / "chinese_crm_orders.csv", as_of="2025-09-30")
>>> orders[["order_id", "amount", "order_date", "is_refund"]].head(4)
       order_id   amount order_date  is_refund
0  XS-2025-0001  15000.0 2025-03-07      False
1  XS-2025-0002  45000.0 2025-03-15      False
2  XS-2025-0003   8800.0 2025-04-02      False
3  XS-2025-0004  -2300.0 2025-05-20       True
"""

from __future__ import annotations

import io as _io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

import playbook.paths as _paths
from playbook.errors import ParameterError, ValidationError
from playbook.schema import TABLE_ORDER, TABLES, required_columns
from playbook.validation import (
    TableCheck,
    _as_text,
    _check_as_of,
    _check_date_format,
    _concat,
    check_table,
    empty_frame,
    empty_issues,
    make_issues,
)

__all__ = [
    "RefundRule",
    "TableMap",
    "ColumnMap",
    "load_column_map",
    "available_maps",
    "detect_table",
    "read_frame",
    "validate_table",
    "load_table",
    "Dataset",
    "REQUIRED_TABLES",
    "validate_dataset",
    "load_dataset",
    "validate_paths",
]

#: Tables a dataset directory must hold; the others are optional.
REQUIRED_TABLES = ("reps", "customers", "orders")
#: File types read, in the order a dataset directory is searched.
SUFFIXES = (".csv", ".tsv", ".xlsx", ".parquet")
_TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
_EXCEL_SUFFIXES = (".xlsx", ".xlsm")
_UNITS = {"cny": 1.0, "yuan": 1.0, "元": 1.0, "wan": 10_000.0, "万元": 10_000.0, "万": 10_000.0}
_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


# ---------------------------------------------------------------------------- column maps
def _norm(text: object) -> str:
    """Normalise a header or value for matching: NFKC, no BOM, spaces/underscores, case."""
    s = unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "")
    return re.sub(r"[\s_]+", " ", s).strip().casefold()


@dataclass
class RefundRule:
    """Mark rows as refunds when ``column`` (an export header) holds one of ``values``."""

    column: str
    values: tuple[str, ...]
    negate: bool = False


@dataclass
class TableMap:
    """How one export table maps onto one kit table (see the module docstring)."""

    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    amount_unit: str = "cny"
    date_format: str = "YMD"
    refund: RefundRule | None = None
    defaults: dict[str, str] = field(default_factory=dict)
    clear_unless: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)

    @property
    def amount_factor(self) -> float:
        """Multiplier from the export's money unit to CNY."""
        return _UNITS[self.amount_unit]

    def headers_for(self, column: str) -> tuple[str, ...]:
        """Export headers that may hold kit ``column``, best first (kit name last)."""
        listed = self.columns.get(column, ())
        return listed + ((column,) if column not in listed else ())


@dataclass
class ColumnMap:
    """A column map: export headers and values -> the kit's schema, per table.

    Examples
    --------
    >>> cmap = ColumnMap.from_dict({"tables": {"orders": {"columns": {"amount": "金额"},
    ...                                                   "amount_unit": "wan"}}})
    >>> cmap.table("orders").headers_for("amount"), cmap.table("orders").amount_factor
    (('金额', 'amount'), 10000.0)
    >>> cmap.table("reps").columns  # tables the map does not list: kit names
    {}
    """

    name: str
    tables: dict[str, TableMap] = field(default_factory=dict)
    description: str = ""
    date_format: str = "YMD"
    amount_unit: str = "cny"
    path: Path | None = None

    def table(self, name: str) -> TableMap:
        """Return the map of kit table ``name`` (an identity map if the map lacks it)."""
        if name not in TABLES:
            raise ParameterError("table", name, "one of " + ", ".join(TABLES))
        return self.tables.get(
            name, TableMap(amount_unit=self.amount_unit, date_format=self.date_format)
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, name: str = "custom",
                  path: Path | None = None) -> ColumnMap:
        """Build a map from its YAML structure; raise :class:`ParameterError` if malformed."""
        where = str(path) if path else name

        def bad(expected: str) -> ParameterError:
            return ParameterError("column_map", where, expected)

        if not isinstance(data, Mapping):
            raise bad("a YAML mapping with a 'tables:' section")
        unknown = set(data) - {"name", "description", "date_format", "amount_unit", "tables"}
        if unknown:
            raise bad("only the keys name, description, date_format, amount_unit, tables "
                      f"(unknown: {', '.join(sorted(map(str, unknown)))})")
        unit = _check_unit(data.get("amount_unit", "cny"), where)
        fmt = _map_date_format(data.get("date_format", "YMD"), where)
        tables: dict[str, TableMap] = {}
        raw_tables = data.get("tables") or {}
        if not isinstance(raw_tables, Mapping):
            raise bad("'tables:' to map kit table names to their settings")
        for tname, spec in raw_tables.items():
            if tname not in TABLES:
                raise bad(f"kit tables only under 'tables:' ({', '.join(TABLES)}), not {tname!r}")
            tables[tname] = _table_map(tname, spec or {}, unit, fmt, where)
        return cls(
            name=str(data.get("name") or name),
            tables=tables,
            description=str(data.get("description") or ""),
            date_format=fmt,
            amount_unit=unit,
            path=path,
        )


def _check_unit(unit: object, where: str) -> str:
    key = str(unit).strip().casefold()
    if key not in _UNITS:
        raise ParameterError("column_map", where, "amount_unit: cny or wan (万元), "
                             f"not {unit!r}")
    return key


def _map_date_format(fmt: object, where: str) -> str:
    try:
        return _check_date_format(str(fmt))
    except ParameterError:
        raise ParameterError(
            "column_map", where, f"date_format: YMD, MDY, DMY or a strptime pattern, not {fmt!r}"
        ) from None


def _table_map(tname: str, spec: Mapping, unit: str, fmt: str, where: str) -> TableMap:
    def bad(expected: str) -> ParameterError:
        return ParameterError("column_map", where, f"in table {tname!r}: {expected}")

    if not isinstance(spec, Mapping):
        raise bad("a mapping of settings")
    allowed = {"columns", "values", "amount_unit", "date_format", "refund", "defaults",
               "clear_unless"}
    unknown = set(spec) - allowed
    if unknown:
        raise bad(f"only the keys {', '.join(sorted(allowed))} "
                  f"(unknown: {', '.join(sorted(map(str, unknown)))})")
    kit_cols = {c.name for c in TABLES[tname].columns}

    def kit_keys(section: str) -> Mapping:
        part = spec.get(section) or {}
        if not isinstance(part, Mapping):
            raise bad(f"'{section}:' as a mapping")
        wrong = [str(k) for k in part if k not in kit_cols]
        if wrong:
            raise bad(f"kit columns of {tname} under '{section}:' "
                      f"({', '.join(sorted(kit_cols))}), not {', '.join(wrong)}")
        return part

    columns = {}
    for col, headers in kit_keys("columns").items():
        items = [headers] if isinstance(headers, (str, int, float)) else list(headers or [])
        columns[col] = tuple(str(h) for h in items)
    values = {}
    for col, vmap in kit_keys("values").items():
        if not isinstance(vmap, Mapping):
            raise bad(f"'values: {col}:' as a mapping of export value to kit value")
        values[col] = {("*" if str(k) == "*" else _norm(k)): str(v) for k, v in vmap.items()}
    defaults = {col: str(v) for col, v in kit_keys("defaults").items()}
    clear = {}
    for col, cond in kit_keys("clear_unless").items():
        if not isinstance(cond, Mapping) or len(cond) != 1:
            raise bad(f"'clear_unless: {col}:' as {{kit column: [values]}}")
        (other, allowed_values), = cond.items()
        if other not in kit_cols:
            raise bad(f"a kit column of {tname} in 'clear_unless: {col}:', not {other!r}")
        items = [allowed_values] if isinstance(allowed_values, str) else list(allowed_values)
        clear[col] = (str(other), tuple(_norm(v) for v in items))
    refund = None
    if spec.get("refund") is not None:
        rule = spec["refund"]
        if tname != "orders" or not isinstance(rule, Mapping) or "column" not in rule:
            raise bad("'refund:' only for orders, as {column: header, values: [...]}")
        items = rule.get("values") or []
        items = [items] if isinstance(items, str) else list(items)
        refund = RefundRule(str(rule["column"]), tuple(_norm(v) for v in items),
                            bool(rule.get("negate", False)))
    return TableMap(
        columns=columns,
        values=values,
        amount_unit=_check_unit(spec.get("amount_unit", unit), where),
        date_format=_map_date_format(spec.get("date_format", fmt), where),
        refund=refund,
        defaults=defaults,
        clear_unless=clear,
    )


def available_maps() -> list[str]:
    """Return the names of the column maps shipped in ``data/column_maps/`` (kit first).

    Examples
    --------
    >>> available_maps()
    ['kit', 'chinese_crm', 'hubspot', 'salesforce']
    """
    names = sorted(p.stem for p in _paths.COLUMN_MAPS_DIR.glob("*.yaml"))
    return sorted(names, key=lambda n: n != "kit")


def load_column_map(name_or_path: str | Path | ColumnMap | Mapping) -> ColumnMap:
    """Return a column map given its name (``"salesforce"``), a YAML path or a dict.

    Examples
    --------
    >>> cmap = load_column_map("chinese_crm")
    >>> cmap.table("orders").headers_for("amount")[0], cmap.table("orders").amount_unit
    ('成交金额', 'wan')
    """
    if isinstance(name_or_path, ColumnMap):
        return name_or_path
    if isinstance(name_or_path, Mapping):
        return ColumnMap.from_dict(name_or_path)
    if not isinstance(name_or_path, (str, Path)):
        raise ParameterError("column_map", name_or_path, "a map name, a YAML path or a dict")
    text = str(name_or_path)
    path = Path(text)
    if path.suffix.lower() not in (".yaml", ".yml") and not path.exists():
        path = _paths.COLUMN_MAPS_DIR / f"{text}.yaml"
    if not path.is_file():
        raise ParameterError(
            "column_map", name_or_path,
            "one of " + ", ".join(available_maps()) + " or the path of a YAML column map",
        )
    stat = path.stat()
    data = _read_yaml(str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    return ColumnMap.from_dict(data, name=path.stem, path=path)


@lru_cache(maxsize=64)
def _read_yaml(path: str, mtime_ns: int, size: int) -> dict:
    """Parse a map's YAML once per file version (the result is never modified)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=loader) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise ParameterError("column_map", path, f"valid UTF-8 YAML ({err})") from None


# ---------------------------------------------------------------------------- reading
def _fail(file: object, code: str, *, row: int | None = None, value: str | None = None,
          expected: str = "", table: str | None = None) -> ValidationError:
    issues = make_issues(str(file), table, code, rows=[row], values=[value], expected=expected)
    return ValidationError(issues, summary=f"cannot read {file}")


_ENCODING_EXPECTED = "UTF-8 | GB18030 (GBK)"


def _decode(data: bytes, encoding: str | None, file: str) -> str:
    """Decode ``data`` with ``encoding`` or the first of UTF-8(-BOM), GB18030 that works."""
    if encoding:
        try:
            return data.decode(encoding)
        except LookupError:
            raise ParameterError("encoding", encoding, "an encoding such as 'utf-8' or "
                                 "'gb18030'") from None
        except UnicodeDecodeError as err:
            raise _encoding_error(data, err, file, encoding) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as err:
            raise _encoding_error(data, err, file, "UTF-16") from None
    first = None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
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
    head = text.split("\n", 1)[0]
    counts = {sep: head.count(sep) for sep in (",", "\t", ";")}
    best = max(counts, key=counts.get)
    return best if counts[best] > counts[","] else ","


def _read_text(path: Path, encoding: str | None) -> pd.DataFrame:
    file = str(path)
    data = path.read_bytes()
    text = _decode(data, encoding, file)
    if not text.replace("\ufeff", "").strip():
        raise _fail(file, "empty_file", expected="a header row and at least one data row")
    try:
        frame = pd.read_csv(
            _io.StringIO(text), sep=_sniff_sep(text, path.suffix.lower()), dtype=str,
            keep_default_na=False, na_filter=False, skip_blank_lines=False,
        )
    except pd.errors.ParserError as err:
        msg = str(err).split("C error: ")[-1].strip()
        found = re.search(r"line (\d+)", msg)
        raise _fail(file, "bad_csv", row=int(found.group(1)) if found else None, value=msg,
                    expected="the same number of cells on every row") from None
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
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

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
        A :class:`~playbook.errors.ValidationError` (an ``InputError``) whose ``issues``
        hold one issue: ``file_not_found``, ``unsupported_format``, ``unreadable_file``,
        ``bad_encoding``, ``bad_csv`` or ``empty_file`` (no data rows).

    Examples
    --------
    >>> from playbook.paths import EXAMPLES_DIR
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
    from sqlalchemy import create_engine, make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

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


# ---------------------------------------------------------------------------- mapping
@dataclass
class _Prepared:
    """A table read and mapped onto kit columns, before its checks."""

    file: str
    table: str | None
    raw: pd.DataFrame
    tmap: TableMap | None = None
    found: dict[str, str] = field(default_factory=dict)  # kit column -> file header
    values: pd.DataFrame | None = None
    original: pd.DataFrame | None = None
    headers: dict[str, str] = field(default_factory=dict)  # kit column -> shown header
    extras: list[str] = field(default_factory=list)
    issues: pd.DataFrame = field(default_factory=empty_issues)
    usable: bool = True
    renamed: dict[str, str] = field(default_factory=dict)  # extra header -> output name

    def ids(self, column: str) -> set[str]:
        """Return the non-empty stripped values of a kit column (for reference checks)."""
        if self.values is None or column not in self.values:
            return set()
        s = _as_text(self.values[column])
        return set(s[s.ne("")].unique())


def _match(raw_headers: Sequence[str], table: str, tmap: TableMap) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for h in raw_headers:
        lookup.setdefault(_norm(h), h)
    found: dict[str, str] = {}
    used: set[str] = set()
    for c in TABLES[table].columns:
        for candidate in tmap.headers_for(c.name):
            h = lookup.get(_norm(candidate))
            if h is not None and h not in used:
                found[c.name] = h
                used.add(h)
                break
    return found


def _score(raw_headers, table, tmap, stem, in_map, order) -> tuple:
    found = _match(raw_headers, table, tmap)
    req = required_columns(table)
    have = sum(1 for c in req if c in found or c in tmap.defaults)
    hint = bool(re.search(rf"(^|[^a-z]){table}($|[^a-z])", stem.lower()))
    return (len(found), hint, have == len(req), have / len(req), in_map, -order), found


def _choose(
    raw_headers: Sequence[str], stem: str, table: str | None, column_map: object
) -> tuple[ColumnMap, str | None]:
    """Pick the (map, table) pair that explains the most headers."""
    if column_map is not None:
        maps = [load_column_map(column_map)]
    else:
        maps = [load_column_map(n) for n in available_maps()] or [ColumnMap("kit")]
    best = None
    for order, cmap in enumerate(maps):
        if table is not None:
            candidates = [table]
        elif column_map is not None or not cmap.tables:
            candidates = list(TABLE_ORDER)
        else:
            candidates = list(cmap.tables)
        for tname in candidates:
            score, _ = _score(raw_headers, tname, cmap.table(tname), stem, tname in cmap.tables,
                              order)
            if best is None or score > best[0]:
                best = (score, cmap, tname)
    score, cmap, tname = best
    if table is None and score[0] == 0:  # no header matches: no table, the first map
        return maps[0], None
    return cmap, tname


def _norm_series(s: pd.Series) -> pd.Series:
    """Vectorised :func:`_norm` of a text Series."""
    s = s.astype("str").fillna("").str.normalize("NFKC").str.replace("\ufeff", "")
    return s.str.replace(r"[\s_]+", " ", regex=True).str.strip().str.casefold()


def detect_table(
    headers: Sequence[str],
    *,
    column_map: str | Path | ColumnMap | Mapping | None = None,
    file_name: str = "",
) -> tuple[str, str | None]:
    """Return ``(map name, kit table)`` that explain the most of ``headers``.

    The table is ``None`` when no header matches any kit table. With ``column_map``
    given only that map is tried; ``file_name`` breaks ties (``orders.csv``).

    Examples
    --------
    >>> detect_table(["订单编号", "客户名称", "成交金额", "负责人", "成交日期"])
    ('chinese_crm', 'orders')
    >>> detect_table(["rep_id", "week", "visits", "calls", "demos"])
    ('kit', 'activities')
    >>> detect_table(["Opportunity ID", "Stage", "Amount", "Close Date", "Lead Source"])
    ('salesforce', 'opportunities')
    """
    cmap, table = _choose(list(headers), Path(file_name).stem, None, column_map)
    return cmap.name, table


def _apply_values(s: pd.Series, vmap: Mapping[str, str]) -> pd.Series:
    key = _norm_series(s)
    mapped = key.map({k: v for k, v in vmap.items() if k != "*"})
    if "*" in vmap:
        mapped = mapped.where(mapped.notna() | key.eq(""), vmap["*"])
    return mapped.where(mapped.notna(), s).astype("str")


def _prepare(raw: pd.DataFrame, file: str, table: str | None, column_map: object) -> _Prepared:
    headers = list(raw.columns)
    cmap, table = _choose(headers, Path(file).stem, table, column_map)
    if table is None:
        issues = make_issues(file, None, "unknown_table", values=[", ".join(headers)],
                             expected=" | ".join(TABLES))
        return _Prepared(file, None, raw, issues=issues, usable=False, extras=headers)
    tmap = cmap.table(table)
    found = _match(headers, table, tmap)
    original = pd.DataFrame({c: raw[h] for c, h in found.items()}, index=raw.index)
    values = original.copy()
    shown = dict(found)
    for c, v in tmap.defaults.items():
        if c not in found:
            values[c] = v
            original[c] = v
            shown[c] = f"{c} (map default)"
    for c, vmap in tmap.values.items():
        if c in values:
            values[c] = _apply_values(values[c].astype("str"), vmap)
    if tmap.refund is not None:
        rule = tmap.refund
        src = next((h for h in headers if _norm(h) == _norm(rule.column)), None)
        if src is not None:
            hit = _norm_series(raw[src]).isin(rule.values)
            old = values["is_refund"] if "is_refund" in values else pd.Series("", index=raw.index)
            values["is_refund"] = old.where(~hit, "true").astype("str")
            if "is_refund" not in found:
                original["is_refund"] = raw[src]
                shown["is_refund"] = src
    for c, (other, keep) in tmap.clear_unless.items():
        if c in values and other in values:
            ok = _norm_series(values[other]).isin(keep)
            values[c] = values[c].where(ok, "")
    used = set(found.values())
    taken = {c.name for c in TABLES[table].columns}
    extras = [h for h in headers if h not in used]
    missing = [c for c in required_columns(table) if c not in values]
    prep = _Prepared(file, table, raw, tmap, found, values, original, shown, extras)
    if missing:
        want = [tmap.headers_for(c)[0] for c in required_columns(table)]
        prep.issues = make_issues(
            file, table, "missing_column",
            column=[", ".join(tmap.headers_for(c)[0] for c in missing)],
            values=[", ".join(headers)], expected=", ".join(want),
        )
        prep.usable = False
    prep.extras = extras
    prep.renamed = {h: (f"{h} (unmapped)" if h in taken else h) for h in extras}
    return prep


def _read_prepared(source: object, table: str | None, column_map: object,
                   sql: str | None = None) -> _Prepared:
    try:
        raw, label = _read_source(source, sql)
    except ValidationError as err:
        label = str(err.issues["file"].iloc[0])
        issues = err.issues.copy()
        stem = Path(label).stem.lower()
        issues["table"] = table or (stem if stem in TABLES else None)
        return _Prepared(label, table, pd.DataFrame(), issues=issues, usable=False)
    return _prepare(raw, label, table, column_map)


def _finish(prep: _Prepared, as_of: object, references: Mapping | None
            ) -> tuple[pd.DataFrame, pd.DataFrame, TableCheck | None]:
    """Run the table's checks; return (valid rows + extras, all issues, the check)."""
    if prep.table is None:
        return pd.DataFrame(), prep.issues, None
    if prep.values is None:
        return empty_frame(prep.table), prep.issues, None
    tmap = prep.tmap
    check = check_table(
        prep.values, prep.table, file=prep.file, headers=prep.headers, original=prep.original,
        date_format=tmap.date_format, amount_factor=tmap.amount_factor,
        negate_refunds=bool(tmap.refund and tmap.refund.negate), as_of=as_of,
        references=references,
    )
    issues = _concat([prep.issues, check.issues])
    renamed = prep.renamed
    if prep.usable:
        keep = ~check.bad.to_numpy()
        frame = check.valid
        extra = prep.raw.loc[keep, prep.extras].rename(columns=renamed).reset_index(drop=True)
    else:
        frame = empty_frame(prep.table)
        extra = pd.DataFrame({renamed.get(h, h): pd.Series([], dtype="str") for h in prep.extras})
    return pd.concat([frame, extra], axis=1), issues, check


def _default_as_of(as_of: object) -> pd.Timestamp:
    """Return the as-of date to check: the one given, else today (nothing is in the future)."""
    stamp = _check_as_of(as_of)
    return stamp if stamp is not None else pd.Timestamp.today().normalize()


def _check_table_param(table: str | None) -> None:
    if table is not None and table not in TABLES:
        raise ParameterError("table", table, "one of " + ", ".join(TABLES) + " or None (detect)")


# ---------------------------------------------------------------------------- one table
def validate_table(
    source: str | Path,
    table: str | None = None,
    *,
    column_map: str | Path | ColumnMap | Mapping | None = None,
    as_of: str | date | None = None,
    references: Mapping[str, Iterable[str]] | None = None,
    sql: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read, map and check one table; return ``(valid rows, issues)``, never raising for data.

    Parameters
    ----------
    source
        A file path (``.csv``, ``.tsv``, ``.xlsx``, ``.parquet``) or a SQLAlchemy URL
        (``"sqlite:///crm.db"``) together with ``sql``.
    table
        Kit table name; ``None`` detects it from the (mapped) headers.
    column_map
        Map name, YAML path, dict or :class:`ColumnMap`; ``None`` picks the map that
        matches the headers best (``"kit"`` for the kit's own files).
    as_of
        Dates of past events after this date are problems; default today.
    references
        Known ids per kit table, e.g. ``{"customers": {...}, "reps": {...}}``: the
        columns that refer to those tables must hold one of them.
    sql
        The query (or table name) when ``source`` is a database URL.

    Returns
    -------
    tuple of DataFrame
        The valid rows in the kit's schema (ids and text as strings, dates as
        ``datetime64``, money as float rounded to the cent, counts and levels as int64,
        flags as bool; unmapped columns kept after them, unchanged), and the issue table
        (:data:`playbook.validation.ISSUE_COLUMNS`).

    Raises
    ------
    ParameterError
        For a bad ``table``, ``column_map``, ``as_of``, ``references`` or ``sql``.

    Examples
    --------
    >>> from playbook.paths import EXAMPLES_DIR
    >>> frame, issues = validate_table(EXAMPLES_DIR / "salesforce_opportunities.csv",
    ...                                as_of="2025-09-30")
    >>> len(issues), frame.outcome.tolist()[:3]
    (0, ['won', 'lost', 'open'])
    """
    _check_table_param(table)
    stamp = _default_as_of(as_of)
    column_map = None if column_map is None else load_column_map(column_map)
    if references is not None:
        wrong = [k for k in references if k not in TABLES]
        if wrong:
            raise ParameterError("references", sorted(wrong), "kit table names as keys ("
                                 + ", ".join(TABLES) + ")")
    prep = _read_prepared(source, table, column_map, sql)
    frame, issues, _ = _finish(prep, stamp, references)
    return frame, issues


def load_table(
    source: str | Path,
    table: str | None = None,
    *,
    column_map: str | Path | ColumnMap | Mapping | None = None,
    as_of: str | date | None = None,
    sql: str | None = None,
) -> pd.DataFrame:
    """Like :func:`validate_table`, but raise :class:`ValidationError` on any problem.

    Examples
    --------
    >>> from playbook.paths import EXAMPLES_DIR
    >>> load_table(EXAMPLES_DIR / "broken_orders.csv", as_of="2025-09-30")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    playbook.errors.ValidationError: 10 problem(s) found in data/examples/broken_orders.csv:
      - .../broken_orders.csv, row 3, column order_date: '2025-02-30' is not a date; ...
    ...
    """
    frame, issues = validate_table(source, table, column_map=column_map, as_of=as_of, sql=sql)
    if len(issues):
        raise ValidationError(issues, summary=f"{len(issues)} problem(s) found in "
                              f"{_short(issues['file'].iloc[0])}")
    return frame


def _short(file: str) -> str:
    """Return ``file`` relative to the repository when it is inside it (stable messages)."""
    try:
        return str(Path(file).resolve().relative_to(_paths.ROOT))
    except (ValueError, OSError):
        return file


# ---------------------------------------------------------------------------- datasets
@dataclass
class Dataset:
    """All tables of one company, validated; optional tables are ``None`` when absent.

    ``as_of`` is the as-of date given, else the latest order date; ``source`` the
    directory read.
    """

    reps: pd.DataFrame
    customers: pd.DataFrame
    orders: pd.DataFrame
    opportunities: pd.DataFrame | None = None
    activities: pd.DataFrame | None = None
    channel_spend: pd.DataFrame | None = None
    assessments: pd.DataFrame | None = None
    quotas: pd.DataFrame | None = None
    as_of: pd.Timestamp | None = None
    source: str | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the tables present, in schema order.

        Examples
        --------
        >>> ds = Dataset(*(empty_frame(t) for t in REQUIRED_TABLES))
        >>> list(ds.tables())
        ['reps', 'customers', 'orders']
        """
        return {t: getattr(self, t) for t in TABLE_ORDER if getattr(self, t) is not None}



def _dataset_files(directory: Path, table: str) -> list[Path]:
    return [directory / f"{table}{s}" for s in SUFFIXES if (directory / f"{table}{s}").is_file()]


def _references(preps: Iterable[_Prepared]) -> dict[str, set[str]]:
    """Known ids of every table present (from all its rows, even rows with problems)."""
    known: dict[str, set[str]] = {}
    for prep in preps:
        if prep.table and prep.values is not None:
            key = TABLES[prep.table].key
            if isinstance(key, str):
                known.setdefault(prep.table, set()).update(prep.ids(key))
    return known


def validate_dataset(
    directory: str | Path,
    *,
    column_map: str | Path | ColumnMap | Mapping | None = None,
    as_of: str | date | None = None,
) -> tuple[Dataset, pd.DataFrame]:
    r"""Read and check every table of a dataset directory, with the cross-table checks.

    The directory holds ``<table>.csv`` (or ``.tsv``, ``.xlsx``, ``.parquet``) per kit
    table; ``reps``, ``customers`` and ``orders`` are required. Orders, opportunities
    and the other tables must name known reps and customers.

    Returns
    -------
    tuple
        The :class:`Dataset` (valid rows only) and every issue of every file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "reps.csv").write_text("rep_id,name,team,hire_date\nR1,Li,East,2024-01-02\n")
    >>> _ = (d / "customers.csv").write_text("customer_id\nC1\n")
    >>> _ = (d / "orders.csv").write_text(
    ...     "order_id,customer_id,rep_id,order_date,amount\nO1,C1,R1,2025-03-07,100\n"
    ...     "O2,C9,R1,2025-03-08,200\n")
    >>> ds, issues = validate_dataset(d, as_of="2025-09-30")
    >>> issues[["table", "row", "code"]].values.tolist(), len(ds.orders), ds.as_of
    ([['orders', 3, 'unknown_reference']], 1, Timestamp('2025-09-30 00:00:00'))
    """
    directory = Path(directory)
    stamp = _default_as_of(as_of)
    column_map = None if column_map is None else load_column_map(column_map)
    if directory.exists() and not directory.is_dir():
        raise ParameterError("directory", str(directory), "a directory holding reps.csv, "
                             "customers.csv, orders.csv … (use validate_table for one file)")
    chunks: dict[str | None, list[pd.DataFrame]] = {t: [] for t in TABLE_ORDER}
    preps: dict[str, _Prepared] = {}
    if not directory.exists():
        chunks[None] = [make_issues(str(directory), None, "file_not_found",
                                    expected="an existing file")]
    else:
        for table in TABLE_ORDER:
            found = _dataset_files(directory, table)
            if not found:
                if table in REQUIRED_TABLES:
                    chunks[table].append(make_issues(
                        str(directory / f"{table}.csv"), table, "file_not_found",
                        expected=" | ".join(f"{table}{s}" for s in SUFFIXES),
                    ))
                continue
            if len(found) > 1:
                chunks[table].append(make_issues(
                    str(found[0]), table, "ambiguous_file",
                    values=[", ".join(p.name for p in found)], expected="one file per table",
                ))
            preps[table] = _read_prepared(found[0], table, column_map)
    known = _references(preps.values())
    frames: dict[str, pd.DataFrame | None] = {}
    for table in TABLE_ORDER:
        if table in preps:
            frame, issues, _ = _finish(preps[table], stamp, known)
            frames[table] = frame
            chunks[table].append(issues)
        else:
            frames[table] = empty_frame(table) if table in REQUIRED_TABLES else None
    orders = frames["orders"]
    if as_of is not None:
        ds_as_of = stamp
    elif len(orders) and orders["order_date"].notna().any():
        ds_as_of = orders["order_date"].max()
    else:
        ds_as_of = None
    dataset = Dataset(**frames, as_of=ds_as_of, source=str(directory))
    return dataset, _concat([c for part in chunks.values() for c in part])


def load_dataset(
    directory: str | Path,
    *,
    column_map: str | Path | ColumnMap | Mapping | None = None,
    as_of: str | date | None = None,
) -> Dataset:
    """Like :func:`validate_dataset`, but raise :class:`ValidationError` listing every issue.

    Examples
    --------
    >>> import tempfile
    >>> load_dataset(tempfile.mkdtemp())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    playbook.errors.ValidationError: 3 problem(s) found in dataset ...:
      - .../reps.csv: file not found; expected reps.csv | reps.tsv | reps.xlsx | reps.parquet. ...
    ...
    """
    dataset, issues = validate_dataset(directory, column_map=column_map, as_of=as_of)
    if len(issues):
        raise ValidationError(issues, summary=f"{len(issues)} problem(s) found in dataset "
                              f"{directory}")
    return dataset


def validate_paths(
    paths: Sequence[str | Path] | str | Path,
    *,
    column_map: str | Path | ColumnMap | Mapping | None = None,
    table: str | None = None,
    as_of: str | date | None = None,
) -> pd.DataFrame:
    """Check files and dataset directories together; return all their issues.

    What ``playbook validate PATH…`` runs. A directory is checked as a dataset
    (:func:`validate_dataset`); a file as one table (``table`` given or detected, the
    column map given or the best match). Files that refer to other tables (orders ->
    customers, reps) are checked against them when those tables are among the files.

    Examples
    --------
    >>> from playbook.paths import EXAMPLES_DIR
    >>> issues = validate_paths([EXAMPLES_DIR / "broken_orders.csv"], as_of="2025-09-30")
    >>> issues.code.value_counts()["duplicate_id"]
    np.int64(2)
    """
    _check_table_param(table)
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    stamp = _default_as_of(as_of)
    column_map = None if column_map is None else load_column_map(column_map)
    slots: list[pd.DataFrame | _Prepared] = []
    for item in items:
        if Path(item).is_dir():
            slots.append(validate_dataset(item, column_map=column_map, as_of=stamp)[1])
        else:
            slots.append(_read_prepared(item, table, column_map))
    known = _references(p for p in slots if isinstance(p, _Prepared))
    chunks = [
        _finish(s, stamp, known)[1] if isinstance(s, _Prepared) else s for s in slots
    ]
    return _concat(chunks) if chunks else empty_issues()

