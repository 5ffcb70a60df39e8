"""Applying a column map to a raw table."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from playbook.core.errors import ParameterError, ValidationError
from playbook.core.schema import TABLE_ORDER, TABLES, required_columns
from playbook.data.issues import _concat, empty_issues, make_issues
from playbook.data.maps import ColumnMap, TableMap, _norm, available_maps, load_column_map
from playbook.data.parsing import _as_text
from playbook.data.reading import _read_source
from playbook.data.units import UNIT_NAMES, header_unit, local_dates, read_amounts, unit_key
from playbook.data.validation import TableCheck, _check_as_of, _finish_rows, check_table, empty_frame

__all__ = ["detect_table"]

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
    cmap: ColumnMap | None = None
    units: dict[str, tuple[str, str]] = field(default_factory=dict)  # header -> (stated unit, as written)
    assumed: str | None = None  # the map's 万元/千元 taken for a bare amount header (validation path)

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


def _unit_headers(raw: pd.DataFrame, cmap: ColumnMap) -> tuple[pd.DataFrame, dict[str, tuple[str, str]]]:
    """Strip a stated unit from headers the map knows only without it; return the units.

    ``Amount (万元)`` becomes ``Amount`` when the map knows ``Amount``; the units map each
    (new) header to ``(unit key, header as written)``.
    """
    known = {_norm(h) for t in TABLES for hs in (cmap.table(t).headers_for(c.name)
             for c in TABLES[t].columns) for h in hs}
    units, rename = {}, {}
    for h in raw.columns:
        base, unit = header_unit(h)
        if unit is None:
            continue
        if _norm(h) in known:
            units[h] = (unit, h)
        elif _norm(base) in known and base not in raw.columns:
            rename[h] = base
            units[base] = (unit, h)
    return (raw.rename(columns=rename) if rename else raw), units


def _prepare(raw: pd.DataFrame, file: str, table: str | None, column_map: object) -> _Prepared:
    cmap, table = _choose(list(raw.columns), Path(file).stem, table, column_map)
    if table is None:
        headers = list(raw.columns)
        issues = make_issues(file, None, "unknown_table", values=[", ".join(headers)],
                             expected=" | ".join(TABLES))
        return _Prepared(file, None, raw, issues=issues, usable=False, extras=headers)
    raw, units = _unit_headers(raw, cmap)
    headers = list(raw.columns)
    tmap = cmap.table(table)
    found = _match(headers, table, tmap)
    stated = header_unit(found["amount"])[1] if "amount" in found else None
    if stated is not None:  # 成交金额(元): the header's unit, not the map's
        tmap = dataclasses.replace(tmap, amount_unit=stated)
    original = pd.DataFrame({c: raw[h] for c, h in found.items()}, index=raw.index)
    values = original.copy()
    shown = dict(found)
    for c, v in tmap.defaults.items():
        if c not in found:
            values[c] = v
            original[c] = v
            shown[c] = f"{c} (map default)"
        else:  # a blank cell takes the default too
            values[c] = values[c].where(values[c].astype("str").str.strip().ne(""), v)
    for c, other in tmap.same_as.items():
        if c not in found and other in found:
            values[c], original[c], shown[c] = values[other], original[other], found[other]
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
    prep = _Prepared(file, table, raw, tmap, found, values, original, shown, extras, cmap=cmap, units=units)
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
    prep = _prepare(raw, label, table, column_map)
    if prep.usable:
        _read_cells(prep)
    return prep


# ---------------------------------------------------------------------------- values
_PLAIN_DATE = r"^(?:\d{4}-\d{2}-\d{2})?$"
_PLAIN_YUAN = r"^(?:-?\d+(?:\.\d{1,2})?)?$"


def _not_plain(s: pd.Series, plain: str) -> np.ndarray:
    """Mask of the cells not matching ``plain`` (one RE2 pass in Arrow; missing cells are plain)."""
    arr = pa.array(s.astype("str"), from_pandas=True)
    hit = pc.fill_null(pc.match_substring_regex(arr, plain), True)
    return ~hit.to_numpy(zero_copy_only=False)


def _money_unit(prep: _Prepared, col: str, option: str | None) -> tuple[str, str, pd.DataFrame | None]:
    """Return (unit, how it is known: a label key, conflict issue or None) for money column ``col``.

    The header's unit (``金额(元)``) wins over the map's; a header unit contradicting the
    map (unless the map lists that very header) or ``option`` (``--amount-unit``) is an
    issue naming both.
    """
    header = prep.found.get(col)
    stated, written = prep.units.get(header, (None, header)) if header else (None, None)
    base = unit_key(option) if option else unit_key(prep.tmap.amount_unit)
    literal = header is not None and any(_norm(h) == _norm(header) and header_unit(h)[1]
                                         for h in prep.tmap.columns.get(col, ()))
    if stated is None:
        return base, "import.how.option" if option else "import.how.map", None
    if stated != base and (option or not literal):
        whose = "--amount-unit" if option else f"column map {prep.cmap.name if prep.cmap else '?'}"
        issue = make_issues(prep.file, prep.table, "unit_conflict", column=written,
                            values=f"{written}: {UNIT_NAMES[stated]}",
                            expected=f"{whose}: {UNIT_NAMES[base]}")
        return stated, "import.how.header", issue
    return stated, "import.how.header", None


def _read_money(prep: _Prepared, option: str | None = None, *, every: bool = False
                ) -> tuple[list[tuple[str, str, str, pd.DataFrame]], list[pd.DataFrame]]:
    """Read every money column exactly (:func:`read_amounts`) and write it back as yuan text.

    The one reading of amounts, for ``playbook import`` and for data folders alike.
    Returns ``([(column, unit, how, read)], issues)``; ``read`` covers every row when
    ``every``, else only the cells that were not already plain yuan (``1234.5``).
    """
    reads, issues = [], []
    for c in TABLES[prep.table].columns:
        if c.kind != "money" or c.name not in prep.found:
            continue
        unit, how, conflict = _money_unit(prep, c.name, option)
        if conflict is not None:
            issues.append(conflict)
            continue
        s = prep.values[c.name]
        need = np.ones(len(s), bool) if every or unit != "cny" else _not_plain(s, _PLAIN_YUAN)
        read = read_amounts(s[need], unit)
        header = prep.headers[c.name]
        if how == "import.how.header":
            clash = read["unit"].notna() & read["unit"].ne(unit) & read["unit"].isin(["wan", "qian"])
            if clash.any():
                issues.append(make_issues(
                    prep.file, prep.table, "unit_conflict", rows=list(read.index[clash]),
                    column=header, values=list(s[need][clash]), expected=f"{header}: {UNIT_NAMES[unit]}"))
        ok = read["cents"].notna().to_numpy()
        if ok.any():
            text = [f"{'-' if v < 0 else ''}{abs(v) // 100}.{abs(v) % 100:02d}" for v in read["cents"][ok]]
            s = s.copy()
            s.iloc[np.flatnonzero(need)[ok]] = text  # exact decimal text
            prep.values[c.name] = s
        reads.append((c.name, unit, how, read))
    return reads, issues


def _read_dates(prep: _Prepared, tz: str) -> dict[str, tuple[int, int]]:
    """Take the local date of zoned timestamps, read Excel serials and full-width digits.

    The one reading of dates (:func:`local_dates`), for ``playbook import`` and data
    folders alike; returns column -> (zoned timestamps, serial dates) read.
    """
    counts = {}
    for c in TABLES[prep.table].columns:
        if c.kind != "date" or c.name not in prep.found:
            continue
        s = prep.values[c.name]
        need = _not_plain(s, _PLAIN_DATE)
        zoned = serial = 0
        if need.any():
            text, z, e = local_dates(s[need], tz)
            s = s.copy()
            s.iloc[np.flatnonzero(need)] = text.to_numpy()
            prep.values[c.name] = s
            zoned, serial = int(z.sum()), int(e.sum())
        counts[c.name] = (zoned, serial)
    return counts


def _read_cells(prep: _Prepared, tz: str | None = None) -> None:
    """Read a mapped table's money and dates as ``playbook import`` does (data-folder path).

    Amounts become exact yuan text (the map's amount unit is then 元), zoned timestamps
    the date in ``tz`` (default: the map's ``timezone``); unit conflicts join the issues.
    """
    reads, issues = _read_money(prep)
    _read_dates(prep, tz or (prep.cmap.timezone if prep.cmap else "Asia/Shanghai"))
    for col, unit, how, _ in reads:
        if col == "amount" and how == "import.how.map" and unit != "cny":
            prep.assumed = unit
    prep.issues = _concat([prep.issues, *issues])
    prep.tmap = dataclasses.replace(prep.tmap, amount_unit="cny")


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
    issues = _concat([prep.issues, check.issues, _assumed_unit(prep, check)])
    renamed = prep.renamed
    if prep.usable:
        keep = ~check.bad.to_numpy()
        if len(prep.issues):  # rows with a problem found while reading (a unit conflict) go too
            keep &= ~check.bad.index.isin(prep.issues["row"].dropna().astype("int64"))
        frame = _finish_rows(check.typed.loc[keep], prep.table)
        extra = prep.raw.loc[keep, prep.extras].rename(columns=renamed).reset_index(drop=True)
    else:
        frame = empty_frame(prep.table)
        extra = pd.DataFrame({renamed.get(h, h): pd.Series([], dtype="str") for h in prep.extras})
    return pd.concat([frame, extra], axis=1), issues, check


def _assumed_unit(prep: _Prepared, check: TableCheck) -> pd.DataFrame:
    """Flag amounts read in the map's 万元/千元 (no unit in the header) that give absurd sizes.

    A bare 成交金额 read as 万元 while the export is in 元 makes every order 10,000 times
    too large; a typical (median) order of ≥ ¥50,000,000 is taken as that mistake.
    """
    header = prep.found.get("amount")
    if header is None or prep.assumed is None or prep.table not in ("orders", "opportunities"):
        return empty_issues()
    amounts = check.typed["amount"].abs()
    median = amounts.where(amounts > 0).median()
    if pd.isna(median) or median < 50_000_000:
        return empty_issues()
    unit = UNIT_NAMES[prep.assumed]
    return make_issues(prep.file, prep.table, "unit_assumed", column=header, values=unit,
                       expected=f"≈ ¥{median:,.2f}")


def _default_as_of(as_of: object) -> pd.Timestamp:
    """Return the as-of date to check: the one given, else today (nothing is in the future)."""
    stamp = _check_as_of(as_of)
    return stamp if stamp is not None else pd.Timestamp.today().normalize()


def _check_table_param(table: str | None) -> None:
    if table is not None and table not in TABLES:
        raise ParameterError("table", table, "one of " + ", ".join(TABLES) + " or None (detect)")
