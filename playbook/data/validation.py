"""Checking a table against the kit's schema: every problem at once."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd
import pandera.pandas as pandera
import pyarrow as pa
import pyarrow.compute as pc

from playbook.core.errors import ParameterError
from playbook.core.money import MAX_CENTS, round_money
from playbook.core.schema import TABLES, Column, Table
from playbook.data.issues import _BOOL_EXPECTED, _NUMBER_EXPECTED, AS_OF_COLUMNS, _concat, _messages
from playbook.data.parsing import (
    _as_text,
    _check_date_format,
    _date_expected,
    _parse_dates,
    parse_bools,
    parse_dates,
    parse_numbers,
)

__all__ = ["TableCheck", "check_table", "empty_frame"]

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
    """Cast parsed rows to the final kit dtypes (whole numbers as int64, or Int64 when optional; flags as bool)."""
    out = typed.reset_index(drop=True)
    for col in TABLES[table].columns:
        if col.name in out:
            whole = col.nullable and col.kind in ("count", "level")  # optional whole numbers may be empty
            out[col.name] = out[col.name].astype("Int64" if whole else _KIND_DTYPES[col.kind])
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
        if c.name not in values:
            typed[c.name] = _missing_series(c.kind, index)
        else:
            typed[c.name] = _parse_column(values[c.name], c, table, fmt=fmt, amount_factor=amount_factor,
                                          col=col, rules=rules)
    frame = pd.DataFrame(typed, index=index)
    _row_checks(frame, table, values, col, rules=rules, negate_refunds=negate_refunds, stamp=stamp,
                references=references)
    return TableCheck(table, frame, _sorted_issues(col, spec, headers), pd.Series(col.bad, index=index))


def _row_checks(frame: pd.DataFrame, table: str, present: Collection[str], col: _Collector, *,
                rules: Mapping[str, tuple[str, object]], negate_refunds: bool, stamp: pd.Timestamp | None,
                references: Mapping[str, Iterable[str]] | None) -> None:
    """Run the checks on parsed rows: refunds, value rules, keys, stage order, as-of date, references.

    ``present`` names the kit columns the file holds (a frame of them will do).
    """
    spec = TABLES[table]
    if table == "orders" and "amount" in present:
        _refund_check(frame, negate_refunds, col)
    _pandera_checks(frame, rules, col)
    _unique_check(frame, spec, present, col)
    if table == "opportunities":
        _stage_order(frame, present, col)
    if stamp is not None:
        _as_of_check(frame, table, present, stamp, col)
    if references:
        _reference_check(frame, spec, present, references, col)


def _parse_column(raw: pd.Series, c: Column, table: str, *, fmt: str, amount_factor: float, col: _Collector,
                  rules: dict[str, tuple[str, object]]) -> pd.Series:
    """Parse one column of raw text by its kind; report what cannot be read, add its value rules."""
    name = c.name
    s = _as_text(raw)
    empty = s.eq("").to_numpy()
    if c.kind in ("id", "text", "category"):
        v = s.where(~empty)
        if c.kind == "category":
            v = _per_distinct(v, lambda u: (u.str.normalize("NFKC").str.casefold(), None))[0]
    elif c.kind == "date":
        v, amb = _per_distinct(s, lambda u: _parse_dates(u, fmt))
        unread = ~empty & v.isna().to_numpy()
        col.add(unread & ~amb, name, "bad_date", _date_expected(fmt))
        col.add(amb, name, "ambiguous_date", "YYYY-MM-DD")
    elif c.kind in ("money", "count", "level"):
        v = _numbers(s)
        col.add(~empty & v.isna().to_numpy(), name, "bad_number", _NUMBER_EXPECTED)
        if c.kind == "money":
            v = v * amount_factor
            huge = (v.abs() * 100 >= MAX_CENTS - 1).to_numpy()  # round_money refuses these
            col.add(huge, name, "amount_too_large", f"< {MAX_CENTS // 100:,}")
            v = round_money(v.where(~huge))
        else:
            frac = (v.notna() & (v % 1 != 0)).to_numpy()
            whole = "1 | 2 | 3 | 4 | 5" if c.kind == "level" else "0 | 1 | 2 | …"
            col.add(frac, name, "not_integer", whole)
            v = v.where(~frac)
    elif c.kind == "bool":
        v = _per_distinct(s, lambda u: (parse_bools(u), None))[0]
        col.add(v.isna().to_numpy(), name, "bad_bool", _BOOL_EXPECTED)
        v = v.fillna(False)
    else:  # pragma: no cover - schema kinds are fixed
        raise ValueError(c.kind)
    if not c.nullable and c.kind != "bool":
        col.add(empty, name, "missing_value", "a value")
    rule = _value_rule(c, table)
    if rule is not None:
        rules[name] = rule
    return v


def _value_rule(c: Column, table: str) -> tuple[str, object] | None:
    """Return the (pandera rule, argument) a parsed column of ``table`` must pass, or None."""
    if c.kind == "category":
        return "bad_category", c.allowed
    if c.kind == "money" and not (table == "orders" and c.name == "amount"):
        return "negative_amount", None
    if c.kind in ("count", "level"):
        return ("level_out_of_range" if c.kind == "level" else "negative_count"), None
    return None


_FEW = 4096  # a column whose first 2 x _FEW values hold at most _FEW distinct ones is parsed per distinct value


def _per_distinct(s: pd.Series, parse) -> tuple[pd.Series, np.ndarray | None]:
    """Apply ``parse`` (text Series -> (Series, mask or None), element by element) to each distinct value once.

    Dates, flags and categories repeat: a million order dates hold about a thousand
    distinct days, so parsing those and spreading the results costs one hash of the
    column. Columns of mostly distinct values (timestamps) are parsed directly. The
    result is the same either way.
    """
    head = s.iloc[: 2 * _FEW]
    if len(s) <= 2 * _FEW or head.nunique(dropna=False) > _FEW:
        return parse(s)
    codes, uniques = pd.factorize(s, use_na_sentinel=False)
    values, mask = parse(pd.Series(uniques, dtype=s.dtype))
    out = pd.Series(values.array.take(codes), index=s.index, name=s.name)
    return out, (None if mask is None else np.asarray(mask)[codes])


def _numbers(s: pd.Series) -> pd.Series:
    """:func:`parse_numbers`, through one Arrow cast when every value is a plain finite number (or empty)."""
    arr = pa.array(s.astype("str"), from_pandas=True)
    arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)
    try:
        cast = pc.cast(arr, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return parse_numbers(s)
    values = cast.to_numpy(zero_copy_only=False)
    if not np.isfinite(values[cast.is_valid().to_numpy(zero_copy_only=False)]).all():
        return parse_numbers(s)  # inf, nan: read (and refused) the careful way
    return pd.Series(values + 0.0, index=s.index, dtype="float64")  # + 0.0: no negative zero


def _refund_check(frame: pd.DataFrame, negate_refunds: bool, col: _Collector) -> None:
    """Negate refunds written as positive (when asked); a negative amount must be a refund."""
    refund = frame["is_refund"].fillna(False).to_numpy(dtype=bool)
    if negate_refunds:
        frame["amount"] = frame["amount"].where(~refund, -frame["amount"].abs())
    negative = (frame["amount"] < 0).to_numpy() & ~refund
    col.add(negative, "amount", "negative_not_refund", "≥ 0 | is_refund = true")


def _as_of_check(frame: pd.DataFrame, table: str, values: pd.DataFrame, stamp: pd.Timestamp,
                 col: _Collector) -> None:
    """Report dates of past events (:data:`AS_OF_COLUMNS`) after the as-of date."""
    limit = f"≤ {stamp:%Y-%m-%d}"
    for name in AS_OF_COLUMNS.get(table, ()):
        if name in values:
            col.add((frame[name] > stamp).to_numpy(), name, "date_after_as_of", limit)


def _reference_check(frame: pd.DataFrame, spec: Table, values: pd.DataFrame,
                     references: Mapping[str, Iterable[str]], col: _Collector) -> None:
    """Report ids that refer to a table given in ``references`` but are not among its ids."""
    for name, (ref_table, ref_col) in spec.references.items():
        if ref_table in references and name in values:
            unknown = frame[name].notna().to_numpy() & ~_isin(frame[name], references[ref_table])
            col.add(unknown, name, "unknown_reference", f"{ref_table}.{ref_col}")


def _isin(values: pd.Series, known: Iterable[str]) -> np.ndarray:
    """Return a boolean array: True where ``values`` (text) is one of ``known``; vectorised in Arrow."""
    if not isinstance(known, (pd.Series, pd.Index, np.ndarray, pa.Array, pa.ChunkedArray)):
        known = list(known)
    known = pa.array(pd.Series(known, dtype="str").dropna(), type=pa.large_string())
    arr = pa.array(values.astype("str"), from_pandas=True).cast(pa.large_string())
    return pc.fill_null(pc.is_in(arr, value_set=known), False).to_numpy(zero_copy_only=False)


def _sorted_issues(col: _Collector, spec: Table, headers: Mapping[str, str]) -> pd.DataFrame:
    """Return the issues found, by row and then by column in schema order, with their messages."""
    issues = _concat(col.chunks)
    if len(issues):
        order = {h: i for i, h in enumerate([headers.get(c.name, c.name) for c in spec.columns])}
        issues["_r"] = issues["row"].fillna(-1)
        issues["_c"] = issues["column"].map(order).fillna(len(order))
        issues = issues.sort_values(["_r", "_c"], kind="stable").drop(columns=["_r", "_c"])
        issues = issues.reset_index(drop=True)
        issues["message"] = _messages(issues, "en")
    return issues

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

    columns = {}
    for name, (rule, arg) in rules.items():
        if rule == "bad_category":
            check = pandera.Check.isin(list(arg), error=rule)
        elif rule == "level_out_of_range":
            check = pandera.Check.in_range(1, 5, error=rule)
        else:
            check = pandera.Check.ge(0, error=rule)
        columns[name] = pandera.Column(nullable=True, checks=check)
    try:
        pandera.DataFrameSchema(columns).validate(frame[list(rules)], lazy=True)
    except pandera.errors.SchemaErrors as err:
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
    if len(key) == 1 and not _has_duplicates(frame[key[0]]):
        return
    keyed = frame[key].dropna()
    if keyed.empty or not keyed.duplicated().any():
        return

    schema = pandera.DataFrameSchema(unique=key, report_duplicates="all")
    try:
        schema.validate(keyed, lazy=True)
    except pandera.errors.SchemaErrors as err:
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


def _has_duplicates(values: pd.Series) -> bool:
    """Return True when a value (missing ones aside) occurs twice; one Arrow pass.

    Ids in increasing order (most exports) cannot repeat: one comparison of neighbours
    says so; otherwise the distinct values are counted (a hash pass).
    """
    arr = pa.array(values.astype("str"), from_pandas=True).drop_null()
    if len(arr) < 2:
        return False
    if pc.all(pc.greater(arr[1:], arr[:-1])).as_py():
        return False
    return pc.count_distinct(arr).as_py() < len(arr)


def _stage_order(frame: pd.DataFrame, values: Collection[str], col: _Collector) -> None:
    """Funnel stage dates must not go backwards: created ≤ intent ≤ negotiation ≤ closed.

    Each stage date is compared with the latest earlier stage date given (numpy
    datetimes; a missing date compares as neither earlier nor later).
    """
    stages = ["created_date", "intent_date", "negotiation_date", "closed_date"]
    shown = np.array([col.headers.get(s, s) for s in stages], dtype=object)
    latest = frame["created_date"].to_numpy(dtype="datetime64[us]")
    which = np.zeros(len(frame), dtype=np.int8)  # the stage whose date is latest
    for k, name in enumerate(stages[1:], start=1):
        if name in values:
            cur = frame[name].to_numpy(dtype="datetime64[us]")
            early = cur < latest
            if early.any():
                before = pd.Series(latest[early]).dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
                col.add(early, name, "stage_order", "≥ " + before + " (" + shown[which[early]] + ")")
            later = ~np.isnat(cur) & (np.isnat(latest) | (cur >= latest))
            latest = np.where(later, cur, latest)
            which = np.where(later, k, which)
