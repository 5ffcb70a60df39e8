"""Validation issues: one row per problem (file, table, row, column, value, expected) and their report."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from playbook.core.errors import ParameterError
from playbook.core.labels import catalogue, check_lang, t
from playbook.data.maps import available_maps

__all__ = [
    "ISSUE_COLUMNS", "ISSUE_CODES", "FILE_CODES", "AS_OF_COLUMNS", "empty_issues", "make_issues",
    "render_issues", "format_report", "format_causes"
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
    "ambiguous_sheet",
    "mojibake",
    "no_won_deals",
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
    "amount_too_large",
    "negative_not_refund",
    "bad_bool",
    "bad_category",
    "duplicate_id",
    "unknown_reference",
    "date_after_as_of",
    "stage_order",
    "header_used_twice",
    "unit_conflict",
    "unit_assumed",
    "unit_magnitude",
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
    out["code"] = out["code"].map(lambda c: cat[f"validation.code.{c}"][lang] if f"validation.code.{c}" in cat else c)
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
    Summary: 1 problem in 1 file(s) (bad number 1).
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
    codes = ("、" if lang == "zh" else ", ").join(f"{t(f'validation.code.{c}', lang)} {counts[c]}" for c in order)
    n = len(shown)
    key = "validation.report.summary_one" if n == 1 else "validation.report.summary_many"
    lines += ["", t(key, lang, n=n, files=shown["file"].nunique(), codes=codes)]
    return "\n".join(lines)


def format_causes(issues: pd.DataFrame, lang: str = "en", rows: dict[str, int] | None = None) -> list[str]:
    r"""Return one line per cause of ``issues`` (most rows first), with the rows it affects.

    A cause is one problem (code) in one column of one file: its first message is shown
    with the count and the other rows, so a missing table or column is one line (saying how
    many rows of the file it affects, given ``rows``: file -> data rows). What
    ``playbook import`` prints, and the commands that stop on a data folder's problems.

    Examples
    --------
    >>> issues = make_issues("orders.csv", "orders", "missing_value", rows=[3, 5, 9],
    ...                      column="rep_id", values="", expected="a value")
    >>> print("\n".join(format_causes(issues)))  # doctest: +ELLIPSIS
      - orders.csv, row 3, column rep_id: the value is missing, but this column is required. ...
        (and 2 more row(s) with the same problem: 5, 9)
    """
    shown = render_issues(issues, lang)
    shown.columns = list(issues.columns)
    groups = sorted(shown.fillna({"column": ""}).groupby(["file", "column", "code"], sort=False),
                    key=lambda kv: -len(kv[1]))
    lines = []
    for _, group in groups:
        lines.append("  - " + str(group["message"].iloc[0]))
        listed = [int(r) for r in group["row"].dropna().iloc[1:]]
        if len(group) > 1:
            text = ", ".join(map(str, listed[:10])) + (", …" if len(listed) > 10 else "")
            lines.append("    " + t("import.more_rows", lang, n=len(group) - 1, rows=text or "-"))
        elif group["row"].isna().all() and (rows or {}).get(group["file"].iloc[0]):
            lines.append("    " + t("import.affects", lang, n=rows[group["file"].iloc[0]]))
    return lines


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
