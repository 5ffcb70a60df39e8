"""Whole-input validation: parse raw text into the kit's types and list every problem.

Validation never stops at the first problem. Each problem becomes one row of an
*issue table* with the columns of :data:`ISSUE_COLUMNS`:

``file``      the file (or database URL) as the user named it
``table``     the kit table (``orders`` …), empty when it could not be told
``row``       the row number as the user sees it: in a CSV the header is line 1 and the
              first data row is 2; in Excel the sheet's row number; in Parquet and SQL
              results the record number (1 = first record); empty for a whole-file or
              whole-column problem
``column``    the header as it appears in the user's file (e.g. ``成交金额``)
``value``     the offending raw value, as text
``code``      a stable key (``bad_date``, ``duplicate_id`` … see :data:`ISSUE_CODES`)
``expected``  what was expected, in neutral notation (``1–5``, ``≤ 2025-09-30``,
              ``won | lost | open``) or a short phrase
``message``   a full English sentence naming file, row, column and value

:func:`render_issues` gives the same table in English or Simplified Chinese and
:func:`format_report` a plain-text report for the terminal. The texts live in
``playbook/labels/validation.yaml``.

The parsing helpers (:func:`parse_dates`, :func:`parse_numbers`, :func:`parse_bools`) and
:func:`check_table` are vectorised: a million rows take seconds, not minutes. Rules on
parsed values (ranges, allowed values, uniqueness) run through pandera's lazy
validation, whose ``failure_cases`` become issues. Reading files and column maps is the
job of :mod:`playbook.io`.

Dates
-----
Accepted: ``2025-03-07``, ``2025-3-7``, ``2025/3/7``, ``2025.3.7``, ``2025年3月7日``,
``20250307``, ISO date-times (``2025-03-07T10:30:00``, ``2025-03-07 10:30``; the time is
dropped, the date is kept as written) and Excel date cells. A day-month-year order such
as ``07/03/2025`` is ambiguous (7 March or 3 July?) and is *not* guessed: it is reported
as ``ambiguous_date`` unless the column map says ``date_format: DMY`` or ``MDY``.

Examples
--------
>>> import pandas as pd
>>> from playbook.validation import check_table
>>> raw = pd.DataFrame(
...     {"order_id": ["A1", "A1"], "customer_id": ["C1", "C2"], "rep_id": ["R1", "R1"],
...      "order_date": ["2025-03-07", "2025/3/8"], "amount": ["12,300", "-5"]},
...     index=[2, 3])
>>> result = check_table(raw, "orders", file="orders.csv")
>>> result.issues[["row", "column", "code"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
[[2, 'order_id', 'duplicate_id'], [3, 'order_id', 'duplicate_id'],
 [3, 'amount', 'negative_not_refund']]
>>> print(result.issues.message[2])  # doctest: +NORMALIZE_WHITESPACE
orders.csv, row 3, column amount: the amount -5 is negative but the row is not marked as a
refund; expected ≥ 0 | is_refund = true. Mark refunds as such (is_refund = true, or the
column map's refund rule) or correct the sign.
>>> len(result.valid)  # both rows have a problem
0
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from playbook.errors import ParameterError
from playbook.labels import catalogue, check_lang, t
from playbook.schema import TABLES

__all__ = [
    "ISSUE_COLUMNS",
    "ISSUE_CODES",
    "FILE_CODES",
    "AS_OF_COLUMNS",
    "DATE_FORMATS",
    "TableCheck",
    "check_table",
    "empty_issues",
    "make_issues",
    "empty_frame",
    "parse_dates",
    "parse_numbers",
    "parse_bools",
    "render_issues",
    "format_report",
]

ISSUE_COLUMNS = ["file", "table", "row", "column", "value", "code", "expected", "message"]

#: Problems with a whole file (or its header row); the rest concern cells or rows.
FILE_CODES = (
    "file_not_found",
    "unsupported_format",
    "unreadable_file",
    "empty_file",
    "bad_encoding",
    "bad_csv",
    "ambiguous_file",
    "missing_column",
    "unknown_table",
)
#: Every issue code, in the order the report explains them.
ISSUE_CODES = FILE_CODES + (
    "missing_value",
    "bad_date",
    "ambiguous_date",
    "bad_number",
    "not_integer",
    "level_out_of_range",
    "negative_count",
    "negative_amount",
    "negative_not_refund",
    "bad_bool",
    "bad_category",
    "duplicate_id",
    "unknown_reference",
    "date_after_as_of",
    "stage_order",
)
#: Dates that record something that already happened: none may be after the as-of date.
#: (Quota and spend months, hire and leave dates may lie in the future.)
AS_OF_COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": ("first_order_date",),
    "orders": ("order_date",),
    "opportunities": ("created_date", "intent_date", "negotiation_date", "closed_date"),
    "activities": ("week",),
    "assessments": ("assessed_date",),
}
#: Day order of dates such as 3/7/2025; a strptime pattern (with ``%``) is also accepted.
DATE_FORMATS = ("YMD", "MDY", "DMY")

_DATE_EXPECTED = {
    "YMD": "YYYY-MM-DD | YYYY/M/D | YYYY年M月D日",
    "MDY": "M/D/YYYY | YYYY-MM-DD",
    "DMY": "D/M/YYYY | YYYY-MM-DD",
}
_SEP = {"en": ": ", "zh": "："}  # between where and what in a message
_NUMBER_EXPECTED = "12300 | 12,300.00 | ¥12,300 | 12 300"
_BOOL_EXPECTED = "true | false | 1 | 0 | yes | no | 是 | 否 | Y | N"
_EXPECTED_PHRASES = (
    "file_not_found",
    "unsupported_format",
    "unreadable_file",
    "empty_file",
    "bad_csv",
    "ambiguous_file",
    "missing_value",
    "duplicate_id",
)

_TIME = (
    r"(?:(?:\s+|T)\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s*[AaPp]\.?[Mm]\.?)?"
    r"(?:\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?))?)?"
)
_YMD_RE = (
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?" + _TIME + r"$"
)
_COMPACT_RE = r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"
_XXY_RE = r"^(?P<a>\d{1,2})\s*[-/.]\s*(?P<b>\d{1,2})\s*[-/.]\s*(?P<y>\d{4})" + _TIME + r"$"
_SPACES = "\u00a0\u202f\u2009 "
_NUM_RE = (
    r"^(?:(?P<s1>[-+\u2212])\s*(?:[¥￥]|CNY|RMB)?|(?:[¥￥]|CNY|RMB)\s*(?P<s2>[-+\u2212])?)?\s*"
    r"(?P<num>\d{1,3}(?:[," + _SPACES + r"]\d{3})+(?:\.\d+)?|\d+(?:\.\d*)?|\.\d+)"
    r"\s*(?:元|CNY|RMB)?$"
)
_BOOLS = {
    "true": True, "false": False, "1": True, "0": False, "1.0": True, "0.0": False,
    "yes": True, "no": False, "y": True, "n": False, "t": True, "f": False,
    "是": True, "否": False,
}  # fmt: skip


# ---------------------------------------------------------------------------- issues
def empty_issues() -> pd.DataFrame:
    """Return an issue table with no rows and the right column types.

    Examples
    --------
    >>> list(empty_issues().columns) == ISSUE_COLUMNS
    True
    """
    return _EMPTY_ISSUES.copy()


_EMPTY_ISSUES = pd.DataFrame(
    {c: pd.Series([], dtype="Int64" if c == "row" else "str") for c in ISSUE_COLUMNS}
)


def _text(values: object, n: int) -> list:
    """Broadcast ``values`` to a list of ``n`` text-or-None items."""
    if values is None or isinstance(values, str):
        return [values] * n
    out = list(values)
    return [None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in out]


def make_issues(
    file: str,
    table: str | None,
    code: str,
    *,
    rows: Iterable[int] | int | None = None,
    column: str | Iterable[str] | None = None,
    values: str | Iterable[str] | None = None,
    expected: str | Iterable[str] = "",
) -> pd.DataFrame:
    """Build issue rows (with their English messages) for one kind of problem.

    ``rows``, ``column``, ``values`` and ``expected`` are each one value for all issues
    or one per issue.

    Examples
    --------
    >>> issues = make_issues("orders.csv", "orders", "bad_date", rows=[4], column="成交日期",
    ...                      values=["2025-02-30"], expected="YYYY-MM-DD")
    >>> print(issues.message[0])
    orders.csv, row 4, column 成交日期: '2025-02-30' is not a date; expected YYYY-MM-DD.
    """
    if code not in ISSUE_CODES:
        raise ParameterError("code", code, "one of " + ", ".join(ISSUE_CODES))
    if rows is None or isinstance(rows, (int, np.integer)):
        n = max(
            (len(list(v)) for v in (values, column, expected) if v is not None and
             not isinstance(v, str)),
            default=1,
        )
        row_list = [rows] * n
    else:
        row_list = [None if r is None or pd.isna(r) else int(r) for r in rows]
        n = len(row_list)
    frame = pd.DataFrame(
        {
            "file": [str(file)] * n,
            "table": [table] * n,
            "row": pd.array(row_list, dtype="Int64"),
            "column": _text(column, n),
            "value": _text(values, n),
            "code": [code] * n,
            "expected": _text(expected, n),
            "message": [""] * n,
        }
    )
    frame = _typed_issues(frame)
    frame["message"] = _messages(frame, "en")
    return frame


def _typed_issues(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reindex(columns=ISSUE_COLUMNS)
    for c in ISSUE_COLUMNS:
        out[c] = out[c].astype("Int64") if c == "row" else out[c].astype("str")
    return out.reset_index(drop=True)


def _concat(chunks: list[pd.DataFrame]) -> pd.DataFrame:
    chunks = [c for c in chunks if len(c)]
    if not chunks:
        return empty_issues()
    if len(chunks) == 1 and list(chunks[0].columns) == ISSUE_COLUMNS:
        return chunks[0].reset_index(drop=True)
    return _typed_issues(pd.concat(chunks, ignore_index=True))


def _maps_text() -> str:
    from playbook.io import available_maps  # local: io imports this module

    return ", ".join(available_maps()) or "(none)"


def _messages(issues: pd.DataFrame, lang: str) -> list[str]:
    """Format one message per issue in ``lang`` (a bounded loop over the issues)."""
    if issues.empty:
        return []
    cat = catalogue()
    sep = _SEP[lang]
    where = {k: cat[f"validation.where.{k}"][lang] for k in ("row", "column", "cell")}
    where["file"] = "{file}"
    texts = {code: cat[f"validation.{code}"][lang] for code in ISSUE_CODES}
    dup_rows = _duplicate_rows(issues, lang)
    needs_maps = issues["code"].isin(["missing_column", "unknown_table"]).any()
    maps = _maps_text() if needs_maps else ""
    out = []
    for i, rec in enumerate(issues.itertuples(index=False)):
        row = None if pd.isna(rec.row) else int(rec.row)
        column = None if pd.isna(rec.column) else rec.column
        fields = {
            "file": rec.file,
            "row": row,
            "column": column,
            "value": "" if pd.isna(rec.value) else rec.value,
            "expected": "" if pd.isna(rec.expected) else rec.expected,
            "maps": maps,
            "count": "",
            "rows": "",
        }
        if rec.code == "duplicate_id":
            fields["count"], fields["rows"] = dup_rows[i]
        if rec.code in FILE_CODES or column is None:
            place = where["row"] if row is not None else where["file"]
        else:
            place = where["cell"] if row is not None else where["column"]
        out.append(place.format(**fields) + sep + texts[rec.code].format(**fields))
    return out


def _duplicate_rows(issues: pd.DataFrame, lang: str) -> dict[int, tuple[int, str]]:
    """For each duplicate_id issue (by position): how many rows share its value, which."""
    pos = np.flatnonzero(issues["code"].to_numpy() == "duplicate_id")
    if not len(pos):
        return {}
    dups = issues.iloc[pos][["file", "column", "value", "row"]].copy()
    dups["_pos"] = pos
    joiner = "、" if lang == "zh" else ", "
    out: dict[int, tuple[int, str]] = {}
    for _, group in dups.groupby(["file", "column", "value"], sort=False, dropna=False):
        rows = [str(r) for r in group["row"].dropna().astype(int)]
        shown = joiner.join(rows[:20]) + (joiner + "…" if len(rows) > 20 else "")
        for p in group["_pos"]:
            out[int(p)] = (len(rows), shown)
    return out


def render_issues(issues: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Return the issue table with messages and headers in ``lang`` (for notebooks).

    The ``expected`` phrases are translated too; neutral notation (``1–5``,
    ``≤ 2025-09-30``) is kept. The input is not modified.

    Examples
    --------
    >>> issues = make_issues("orders.csv", "orders", "missing_value", rows=[5],
    ...                      column="客户名称", values=[""], expected="a value")
    >>> shown = render_issues(issues, "zh")
    >>> list(shown.columns)
    ['文件', '数据表', '行号', '列', '值', '问题类型', '期望', '说明']
    >>> print(shown["说明"][0])
    orders.csv 第 5 行「客户名称」列：缺少数值，但此列为必填项。请补充数值或删除该行。
    >>> shown["期望"][0]
    '非空值'
    """
    check_lang(lang)
    missing = [c for c in ISSUE_COLUMNS if c not in issues.columns]
    if missing:
        raise ParameterError("issues", list(issues.columns), "a table with " + ", ".join(missing))
    out = _typed_issues(issues)
    cat = catalogue()
    phrases = {
        cat[f"validation.expected.{k}"]["en"]: cat[f"validation.expected.{k}"][lang]
        for k in _EXPECTED_PHRASES
    }
    out["expected"] = out["expected"].map(lambda x: phrases.get(x, x) if isinstance(x, str) else x)
    out["message"] = _messages(out, lang) if len(out) else out["message"]
    return out.rename(columns={c: cat[f"validation.col.{c}"][lang] for c in ISSUE_COLUMNS})


def format_report(issues: pd.DataFrame, lang: str = "en") -> str:
    """Return a plain-text report of ``issues`` for the terminal, grouped by file.

    Each file gets a heading with its table and problem count, then one line per
    problem (row and column first); a summary line counts problems by code.

    Examples
    --------
    >>> print(format_report(empty_issues()))
    Validation report
    No problems found: the data can be used as it is.
    >>> issues = make_issues("q.csv", "quotas", "bad_number", rows=[3], column="quota",
    ...                      values=["12,3k"], expected="12300")
    >>> print(format_report(issues))
    Validation report
    <BLANKLINE>
    q.csv (quotas): 1 problem
      - row 3, column quota: '12,3k' is not a number; expected 12300.
    <BLANKLINE>
    Summary: 1 problem in 1 file(s) (bad_number 1).
    """
    check_lang(lang)
    title = t("validation.report.title", lang)
    if issues is None or len(issues) == 0:
        return title + "\n" + t("validation.report.none", lang)
    shown = _typed_issues(issues)
    rendered = render_issues(shown, lang)
    shown["message"] = rendered.iloc[:, ISSUE_COLUMNS.index("message")].to_numpy()
    cat = catalogue()
    sep = _SEP[lang]
    at = {k: cat[f"validation.at.{k}"][lang] for k in ("file", "row", "column", "cell")}
    lines = [title]
    for file, group in shown.groupby("file", sort=False):
        tables = [
            cat[f"validation.table.{x}"][lang] if f"validation.table.{x}" in cat else x
            for x in group["table"].dropna().unique()
        ]
        table = ", ".join(tables) or t("validation.report.unknown_table", lang)
        n = len(group)
        key = "validation.report.file_one" if n == 1 else "validation.report.file_many"
        lines += ["", t(key, lang, file=file, table=table, n=n)]
        for rec in group.itertuples(index=False):
            row = None if pd.isna(rec.row) else int(rec.row)
            column = None if pd.isna(rec.column) else rec.column
            if rec.code in FILE_CODES or column is None:
                place = at["row"] if row is not None else at["file"]
            else:
                place = at["cell"] if row is not None else at["column"]
            # the message without its leading "<file>..." location
            text = rec.message
            head = _where_prefix(rec, lang)
            if text.startswith(head + sep):
                text = text[len(head) + len(sep):]
            lines.append("  - " + place.format(row=row, column=column) + sep + text)
    counts = shown["code"].value_counts(sort=False)
    order = [c for c in ISSUE_CODES if c in counts.index]
    codes = ", ".join(f"{c} {counts[c]}" for c in order)
    n = len(shown)
    key = "validation.report.summary_one" if n == 1 else "validation.report.summary_many"
    lines += ["", t(key, lang, n=n, files=shown["file"].nunique(), codes=codes)]
    return "\n".join(lines)


def _where_prefix(rec: object, lang: str) -> str:
    row = None if pd.isna(rec.row) else int(rec.row)
    column = None if pd.isna(rec.column) else rec.column
    if rec.code in FILE_CODES or column is None:
        key = "row" if row is not None else "file"
    else:
        key = "cell" if row is not None else "column"
    if key == "file":
        return str(rec.file)
    return t(f"validation.where.{key}", lang, file=rec.file, row=row, column=column)


# ---------------------------------------------------------------------------- parsing
def _as_text(values: pd.Series | Iterable) -> pd.Series:
    """Return ``values`` as a stripped ``str`` Series with ``""`` for missing values."""
    s = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    return s.astype("str").fillna("").str.strip()


def _check_date_format(date_format: str) -> str:
    fmt = (date_format or "YMD").strip()
    if fmt.upper() in DATE_FORMATS:
        return fmt.upper()
    if "%" in fmt:
        return fmt
    raise ParameterError(
        "date_format", date_format, "YMD, MDY, DMY or a strptime pattern such as '%d.%m.%Y'"
    )


def _date_expected(date_format: str) -> str:
    return _DATE_EXPECTED.get(date_format, f"{date_format} | YYYY-MM-DD")


def _parse_dates(values: pd.Series, date_format: str = "YMD") -> tuple[pd.Series, np.ndarray]:
    """Parse dates; return (datetime64 Series with NaT, mask of ambiguous d/m/y values)."""
    fmt = _check_date_format(date_format)
    s = _as_text(values)
    out = pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")  # fast path: ISO dates
    out = out.astype("datetime64[us]")
    ambiguous = np.zeros(len(s), dtype=bool)
    rest = out.isna().to_numpy() & s.ne("").to_numpy()
    if not rest.any():
        return out, ambiguous
    r = s[rest]
    if "%" in fmt:
        custom = pd.to_datetime(r, format=fmt, errors="coerce").dt.normalize()
        out.iloc[np.flatnonzero(rest)] = custom.astype("datetime64[us]").to_numpy()
        rest = out.isna().to_numpy() & s.ne("").to_numpy()
        r = s[rest]
    parts = r.str.extract(_YMD_RE)
    compact = r.str.extract(_COMPACT_RE)
    parts = parts.fillna(compact)
    xxy = r.str.extract(_XXY_RE)
    if fmt in ("MDY", "DMY"):
        m, d = (xxy["a"], xxy["b"]) if fmt == "MDY" else (xxy["b"], xxy["a"])
        parts = parts.fillna(pd.DataFrame({"y": xxy["y"], "m": m, "d": d}))
    else:
        amb = xxy["y"].notna().to_numpy() & parts["y"].isna().to_numpy()
        ambiguous[np.flatnonzero(rest)[amb]] = True
    found = parts["y"].notna()
    if found.any():
        comps = parts[found].astype("int64").rename(columns={"y": "year", "m": "month", "d": "day"})
        built = pd.to_datetime(comps, errors="coerce").astype("datetime64[us]")
        out.iloc[np.flatnonzero(rest)[found.to_numpy()]] = built.to_numpy()
    return out, ambiguous


def parse_dates(values: pd.Series | Iterable, *, date_format: str = "YMD") -> pd.Series:
    """Parse dates written in the usual ways; unreadable or ambiguous values become NaT.

    Parameters
    ----------
    values
        Raw text (a Series keeps its index).
    date_format
        How to read ``a/b/YYYY`` dates: ``"YMD"`` (default: not at all, they are
        ambiguous), ``"MDY"`` (US, e.g. Salesforce), ``"DMY"``, or a strptime pattern.

    Examples
    --------
    >>> parse_dates(["2025-03-07", "2025/3/7", "2025年3月7日", "2025.3.7",
    ...              "2025-03-07T10:30:00", "3/7/2025", "2025-02-30", ""]).dt.day.tolist()
    [7.0, 7.0, 7.0, 7.0, 7.0, nan, nan, nan]
    >>> parse_dates(["3/7/2025"], date_format="MDY")[0]
    Timestamp('2025-03-07 00:00:00')
    """
    return _parse_dates(values, date_format)[0]


def parse_numbers(values: pd.Series | Iterable) -> pd.Series:
    """Parse numbers with thousands separators and a CNY sign; unreadable values become NaN.

    Accepted: ``12300``, ``12,300``, ``¥12,300.00``, ``12 300``, ``-5``, ``(5)`` (an
    accounting negative), ``12300元``. A comma must separate groups of three digits, so
    ``12,3`` (a decimal comma?) and ``12,3k`` are rejected.

    Examples
    --------
    >>> parse_numbers(["12,300", "¥12,300.00", "12 300", "(1,000)", "12,3k", "1e3", ""]).tolist()
    [12300.0, 12300.0, 12300.0, -1000.0, nan, 1000.0, nan]
    """
    s = _as_text(values)
    out = pd.to_numeric(s, errors="coerce").astype("float64")
    out = out.where(np.isfinite(out.to_numpy()))
    rest = out.isna().to_numpy() & s.ne("").to_numpy()
    if rest.any():
        r = s[rest]
        paren = (r.str.startswith("(") & r.str.endswith(")")).to_numpy()
        r = r.where(~paren, r.str.slice(1, -1).str.strip())
        m = r.str.extract(_NUM_RE, flags=re.IGNORECASE)
        digits = m["num"].str.replace("[," + _SPACES + "]", "", regex=True)
        num = pd.to_numeric(digits, errors="coerce").astype("float64").to_numpy()
        minus = ("-", "\u2212")
        neg = m["s1"].isin(minus).to_numpy() | m["s2"].isin(minus).to_numpy() | paren
        out.iloc[np.flatnonzero(rest)] = np.where(neg, -num, num)
    return out


def parse_bools(values: pd.Series | Iterable) -> pd.Series:
    """Parse yes/no values; empty becomes False, anything unreadable becomes NA.

    Accepted (any case): true/false, 1/0, yes/no, y/n, t/f, 是/否.

    Examples
    --------
    >>> parse_bools(["true", "No", "是", "", "maybe"]).tolist()
    [True, False, True, False, <NA>]
    """
    s = _as_text(values)
    out = s.str.casefold().map(_BOOLS)
    out = out.where(s.ne(""), False)
    return out.astype("boolean")


# ---------------------------------------------------------------------------- tables
_KIND_DTYPES = {
    "id": "str",
    "text": "str",
    "category": "str",
    "date": "datetime64[us]",
    "money": "float64",
    "count": "int64",
    "level": "int64",
    "bool": "bool",
}


def empty_frame(table: str) -> pd.DataFrame:
    """Return an empty frame of ``table`` with the kit's column types.

    Examples
    --------
    >>> empty_frame("quotas").dtypes.astype(str).tolist()
    ['str', 'datetime64[us]', 'float64']
    """
    if table not in TABLES:
        raise ParameterError("table", table, "one of " + ", ".join(TABLES))
    return pd.DataFrame(
        {c.name: pd.Series([], dtype=_KIND_DTYPES[c.kind]) for c in TABLES[table].columns}
    )


@dataclass
class TableCheck:
    """The result of :func:`check_table`.

    Attributes
    ----------
    table
        The kit table.
    typed
        Every row, parsed into the kit's types (unparseable cells are missing); the
        index holds the user's row numbers.
    issues
        The issue table.
    bad
        Boolean Series (same index): True on rows with at least one issue.
    """

    table: str
    typed: pd.DataFrame
    issues: pd.DataFrame
    bad: pd.Series

    @property
    def valid(self) -> pd.DataFrame:
        """The rows without issues, with final dtypes and a fresh 0..n-1 index."""
        return _finish_rows(self.typed.loc[~self.bad.to_numpy()], self.table)


def _finish_rows(typed: pd.DataFrame, table: str) -> pd.DataFrame:
    """Cast parsed rows to the final kit dtypes (whole numbers as int64, flags as bool)."""
    out = typed.reset_index(drop=True)
    for col in TABLES[table].columns:
        if col.name in out:
            out[col.name] = out[col.name].astype(_KIND_DTYPES[col.kind])
    return out


class _Collector:
    """Collects issue chunks and the rows they touch."""

    def __init__(self, file: str, table: str, index: pd.Index, headers: Mapping[str, str],
                 original: pd.DataFrame) -> None:
        self.file, self.table, self.index = file, table, index
        self.headers, self.original = headers, original
        self.chunks: list[pd.DataFrame] = []
        self.bad = np.zeros(len(index), dtype=bool)

    def add(self, mask: np.ndarray | pd.Series, column: str, code: str,
            expected: str | pd.Series, values: pd.Series | None = None) -> None:
        m = np.asarray(mask, dtype=bool)
        if not m.any():
            return
        vals = self.original[column] if values is None else values
        vals = vals.to_numpy()[m] if isinstance(vals, pd.Series) else vals
        exp = expected.to_numpy()[m] if isinstance(expected, pd.Series) else expected
        self.chunks.append(
            _raw_chunk(self.file, self.table, self.index[m], self.headers.get(column, column),
                       vals, code, exp)
        )
        self.bad |= m


def _raw_chunk(file, table, rows, column, values, code, expected) -> pd.DataFrame:
    n = len(rows)
    return pd.DataFrame(
        {
            "file": np.full(n, str(file), dtype=object),
            "table": np.full(n, table, dtype=object),
            "row": np.asarray(rows, dtype="int64"),
            "column": np.full(n, column, dtype=object),
            "value": values if not isinstance(values, str) else np.full(n, values, dtype=object),
            "code": np.full(n, code, dtype=object),
            "expected": expected if not isinstance(expected, str) else np.full(n, expected, object),
        }
    )


def _check_as_of(as_of: object) -> pd.Timestamp | None:
    if as_of is None:
        return None
    try:
        stamp = pd.Timestamp(as_of) if isinstance(as_of, (date, datetime)) else None
        if stamp is None and isinstance(as_of, str):
            parsed = parse_dates([as_of])[0]
            stamp = None if pd.isna(parsed) else parsed
    except (ValueError, TypeError):
        stamp = None
    if stamp is None or pd.isna(stamp):
        raise ParameterError("as_of", as_of, "a date such as '2025-09-30'")
    return pd.Timestamp(stamp).normalize()


def check_table(
    values: pd.DataFrame,
    table: str,
    *,
    file: str = "input",
    headers: Mapping[str, str] | None = None,
    original: pd.DataFrame | None = None,
    date_format: str = "YMD",
    amount_factor: float = 1.0,
    negate_refunds: bool = False,
    as_of: object = None,
    references: Mapping[str, Iterable[str]] | None = None,
) -> TableCheck:
    """Parse a table of raw text named in the kit's columns and list every problem.

    Parameters
    ----------
    values
        Raw text, one column per kit column present (absent optional columns are
        filled with missing values; absent required ones are the caller's to report).
        The index must hold the user's row numbers.
    table
        Kit table name.
    file
        How the file is named in messages.
    headers
        Kit column -> header in the user's file, for messages (default: the kit name).
    original
        The values as written in the file (before a column map translated them), shown
        in issues; default ``values``.
    date_format
        ``"YMD"``, ``"MDY"``, ``"DMY"`` or a strptime pattern (see :func:`parse_dates`).
    amount_factor
        Multiplier for money columns (10000 when amounts are in 万元).
    negate_refunds
        Make refund amounts negative when the export writes them as positive.
    as_of
        Dates of past events (:data:`AS_OF_COLUMNS`) after this date are problems.
    references
        Kit table -> its known ids; columns referring to that table (the schema's
        ``references``) must hold one of them.

    Returns
    -------
    TableCheck
        Parsed rows, the issue table and the mask of rows with issues.

    Examples
    --------
    >>> raw = pd.DataFrame({"rep_id": ["R1", "R2"], "competency": ["negotiation"] * 2,
    ...                     "level": ["3", "6"], "rater": ["self"] * 2,
    ...                     "assessed_date": ["2025-06-30", "2025-06-30"]}, index=[2, 3])
    >>> result = check_table(raw, "assessments", file="a.csv")
    >>> print(result.issues.message[0])
    a.csv, row 3, column level: level 6 is outside the 5-point scale; expected 1–5.
    >>> result.valid.level.tolist()
    [3]
    """
    if table not in TABLES:
        raise ParameterError("table", table, "one of " + ", ".join(TABLES))
    fmt = _check_date_format(date_format)
    stamp = _check_as_of(as_of)
    spec = TABLES[table]
    index = values.index
    headers = dict(headers or {})
    original = values if original is None else original
    col = _Collector(file, table, index, headers, original)
    typed: dict[str, pd.Series] = {}
    rules: dict[str, tuple[str, object]] = {}  # column -> (pandera rule, argument)

    for c in spec.columns:
        name = c.name
        if name not in values:
            typed[name] = _missing_series(c.kind, index)
            continue
        s = _as_text(values[name])
        empty = s.eq("").to_numpy()
        if c.kind in ("id", "text", "category"):
            v = s.where(~empty)
            if c.kind == "category":
                v = v.str.normalize("NFKC").str.casefold()
                rules[name] = ("bad_category", c.allowed)
        elif c.kind == "date":
            v, amb = _parse_dates(s, fmt)
            unread = ~empty & v.isna().to_numpy()
            col.add(unread & ~amb, name, "bad_date", _date_expected(fmt))
            col.add(amb, name, "ambiguous_date", "YYYY-MM-DD")
        elif c.kind in ("money", "count", "level"):
            v = parse_numbers(s)
            col.add(~empty & v.isna().to_numpy(), name, "bad_number", _NUMBER_EXPECTED)
            if c.kind == "money":
                v = (v * amount_factor).round(2)
                if not (table == "orders" and name == "amount"):
                    rules[name] = ("negative_amount", None)
            else:
                frac = (v.notna() & (v % 1 != 0)).to_numpy()
                whole = "1 | 2 | 3 | 4 | 5" if c.kind == "level" else "0 | 1 | 2 | …"
                col.add(frac, name, "not_integer", whole)
                v = v.where(~frac)
                rule = "level_out_of_range" if c.kind == "level" else "negative_count"
                rules[name] = (rule, None)
        elif c.kind == "bool":
            v = parse_bools(s)
            col.add(v.isna().to_numpy(), name, "bad_bool", _BOOL_EXPECTED)
            v = v.fillna(False)
        else:  # pragma: no cover - schema kinds are fixed
            raise ValueError(c.kind)
        if not c.nullable and c.kind != "bool":
            col.add(empty, name, "missing_value", "a value")
        typed[name] = v

    frame = pd.DataFrame(typed, index=index)
    if table == "orders" and "amount" in values:
        refund = frame["is_refund"].fillna(False).to_numpy(dtype=bool)
        if negate_refunds:
            frame["amount"] = frame["amount"].where(~refund, -frame["amount"].abs())
        negative = (frame["amount"] < 0).to_numpy() & ~refund
        col.add(negative, "amount", "negative_not_refund", "≥ 0 | is_refund = true")
    _pandera_checks(frame, rules, col)
    _unique_check(frame, spec, values, col)
    if table == "opportunities":
        _stage_order(frame, values, col)
    if stamp is not None:
        limit = f"≤ {stamp:%Y-%m-%d}"
        for name in AS_OF_COLUMNS.get(table, ()):
            if name in values:
                col.add((frame[name] > stamp).to_numpy(), name, "date_after_as_of", limit)
    for name, (ref_table, ref_col) in spec.references.items():
        if references and ref_table in references and name in values:
            known = pd.Index(list(references[ref_table]), dtype="str")
            unknown = frame[name].notna().to_numpy() & ~frame[name].isin(known).to_numpy()
            col.add(unknown, name, "unknown_reference", f"{ref_table}.{ref_col}")

    issues = _concat(col.chunks)
    if len(issues):
        order = {h: i for i, h in enumerate([headers.get(c.name, c.name) for c in spec.columns])}
        issues["_r"] = issues["row"].fillna(-1)
        issues["_c"] = issues["column"].map(order).fillna(len(order))
        issues = issues.sort_values(["_r", "_c"], kind="stable").drop(columns=["_r", "_c"])
        issues = issues.reset_index(drop=True)
        issues["message"] = _messages(issues, "en")
    return TableCheck(table, frame, issues, pd.Series(col.bad, index=index))


def _missing_series(kind: str, index: pd.Index) -> pd.Series:
    if kind == "bool":
        return pd.Series(False, index=index, dtype="bool")
    if kind in ("count", "level", "money"):
        return pd.Series(np.nan, index=index, dtype="float64")
    return pd.Series(pd.NaT if kind == "date" else np.nan, index=index,
                     dtype=_KIND_DTYPES[kind])


def _pandera_checks(frame: pd.DataFrame, rules: Mapping[str, tuple], col: _Collector) -> None:
    """Ranges and allowed values, through pandera's lazy validation."""
    if not rules or frame.empty:
        return
    import pandera.pandas as pa

    columns = {}
    for name, (rule, arg) in rules.items():
        if rule == "bad_category":
            check = pa.Check.isin(list(arg), error=rule)
        elif rule == "level_out_of_range":
            check = pa.Check.in_range(1, 5, error=rule)
        else:
            check = pa.Check.ge(0, error=rule)
        columns[name] = pa.Column(nullable=True, checks=check)
    try:
        pa.DataFrameSchema(columns).validate(frame[list(rules)], lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
        for (name, rule), group in cases.groupby(["column", "check"], sort=False):
            mask = frame.index.isin(group["index"].dropna().astype("int64"))
            arg = rules[name][1]
            expected = {"bad_category": " | ".join(arg or ()), "level_out_of_range": "1–5"}
            col.add(mask, name, rule, expected.get(rule, "≥ 0"))


def _unique_check(frame: pd.DataFrame, spec, values: pd.DataFrame, col: _Collector) -> None:
    """Every row whose key is repeated, through pandera's uniqueness check."""
    key = [spec.key] if isinstance(spec.key, str) else list(spec.key or ())
    if not key or any(k not in values for k in key):
        return
    keyed = frame[key].dropna()
    if keyed.empty or not keyed.duplicated().any():
        return
    import pandera.pandas as pa

    schema = pa.DataFrameSchema(unique=key, report_duplicates="all")
    try:
        schema.validate(keyed, lazy=True)
    except pa.errors.SchemaErrors as err:
        rows = err.failure_cases["index"].dropna().astype("int64").unique()
        mask = frame.index.isin(rows)
        if len(key) == 1:
            col.add(mask, key[0], "duplicate_id", "a unique value")
        else:
            orig = col.original
            joined = orig[key[0]].astype("str")
            for k in key[1:]:
                joined = joined + ", " + orig[k].astype("str")
            header = ", ".join(col.headers.get(k, k) for k in key)
            col.headers = {**col.headers, "_key": header}
            col.add(mask, "_key", "duplicate_id", "a unique value", values=joined)


def _stage_order(frame: pd.DataFrame, values: pd.DataFrame, col: _Collector) -> None:
    """Funnel stage dates must not go backwards: created ≤ intent ≤ negotiation ≤ closed."""
    stages = ["created_date", "intent_date", "negotiation_date", "closed_date"]
    latest = frame["created_date"].copy()
    latest_name = pd.Series(col.headers.get("created_date", "created_date"), index=frame.index)
    for name in stages[1:]:
        if name in values:
            cur = frame[name]
            early = (cur < latest).to_numpy()
            if early.any():
                expected = "≥ " + latest.dt.strftime("%Y-%m-%d") + " (" + latest_name + ")"
                col.add(early, name, "stage_order", expected.astype(object))
            later = cur.notna() & (latest.isna() | (cur >= latest))
            latest = latest.where(~later, cur)
            latest_name = latest_name.where(~later, col.headers.get(name, name))
