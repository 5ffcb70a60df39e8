"""Applying a column map to a raw table."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from playbook.core.errors import ParameterError, ValidationError
from playbook.core.schema import TABLE_ORDER, TABLES, required_columns
from playbook.data.issues import _concat, empty_issues, make_issues
from playbook.data.maps import ColumnMap, TableMap, _norm, available_maps, load_column_map
from playbook.data.parsing import _as_text
from playbook.data.reading import _read_source
from playbook.data.units import header_unit
from playbook.data.validation import TableCheck, _check_as_of, check_table, empty_frame

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
    issues = _concat([prep.issues, check.issues, _assumed_unit(prep, check)])
    renamed = prep.renamed
    if prep.usable:
        keep = ~check.bad.to_numpy()
        frame = check.valid
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
    if header is None or prep.tmap.amount_factor == 1 or prep.table not in ("orders", "opportunities"):
        return empty_issues()
    amounts = check.typed["amount"].abs()
    median = amounts.where(amounts > 0).median()
    if pd.isna(median) or median < 50_000_000:
        return empty_issues()
    unit = {10_000.0: "万元", 1_000.0: "千元"}.get(prep.tmap.amount_factor, prep.tmap.amount_unit)
    return make_issues(prep.file, prep.table, "unit_assumed", column=header, values=unit,
                       expected=f"≈ ¥{median:,.2f}")


def _default_as_of(as_of: object) -> pd.Timestamp:
    """Return the as-of date to check: the one given, else today (nothing is in the future)."""
    stamp = _check_as_of(as_of)
    return stamp if stamp is not None else pd.Timestamp.today().normalize()


def _check_table_param(table: str | None) -> None:
    if table is not None and table not in TABLES:
        raise ParameterError("table", table, "one of " + ", ".join(TABLES) + " or None (detect)")
