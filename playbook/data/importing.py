"""Importing raw CRM exports into a clean data folder: what ``playbook import`` runs.

One or more exports (CSV/XLSX, as they come out of the CRM) are read with a column map,
their units, time zones and multi-valued cells resolved as the map and the file state,
and the tables the kit needs are derived from them: from a deals export alone,
``opportunities``, ``orders`` (the won deals), ``customers`` and ``reps`` (the owners).
Any problem stops the import; nothing half-done is written.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from playbook.core.errors import ParameterError, ValidationError
from playbook.core.labels import t
from playbook.core.money import allocate_cents
from playbook.core.schema import TABLE_ORDER, TABLES, required_columns
from playbook.data.issues import _concat, empty_issues, format_causes, make_issues
from playbook.data.loading import validate_dataset
from playbook.data.mapping import (
    _choose,
    _default_as_of,
    _finish,
    _match,
    _prepare,
    _Prepared,
    _read_dates,
    _read_money,
    _unit_headers,
)
from playbook.data.maps import REQUIRED_TABLES, ColumnMap, _norm, load_column_map
from playbook.data.reading import read_frame
from playbook.data.sample import write_tables
from playbook.data.units import UNIT_NAMES, magnitude_outliers, unit_key

__all__ = ["ImportResult", "import_exports", "write_dataset", "format_notes", "format_failure", "MARKER"]

#: File an import writes into its folder (a folder holding it may be replaced by a new import).
MARKER = "IMPORTED.txt"
_MULTI_RE = r"\s*[;；]\s*"
_UNKNOWN_TEAM = "(unknown)"


@dataclass
class ImportResult:
    """The tables an import derived, what it did (notes: label key, fields) and its issues."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[tuple[str, dict]] = field(default_factory=list)
    issues: pd.DataFrame = field(default_factory=empty_issues)
    rows: dict[str, int] = field(default_factory=dict)  # file -> its data rows


@dataclass
class _File:
    """One export read and mapped, with the notes and issues of its own."""

    prep: _Prepared
    notes: list[tuple[str, dict]]
    issues: list[pd.DataFrame]


# ---------------------------------------------------------------------------- reading
def _rows_text(rows: Sequence[int]) -> str:
    rows = list(rows)
    return ", ".join(map(str, rows[:10])) + (", …" if len(rows) > 10 else "")


def _read(path: Path, cmap: ColumnMap, encoding: str | None, sheet: str | None) -> tuple:
    """Read one export; return (raw frame or None, header units, notes, issues)."""
    try:
        raw = read_frame(path, encoding=encoding, sheet=sheet, one_sheet=True)
    except ValidationError as err:
        return None, {}, [], [err.issues], None
    attrs = dict(raw.attrs)
    raw, units = _unit_headers(raw, cmap)
    notes = []
    if attrs.get("title_rows"):
        notes.append(("import.title_rows", {"rows": _rows_text(attrs["title_rows"])}))
    if attrs.get("skipped"):
        notes.append(("import.footer_rows", {"rows": _rows_text(r for r, _ in attrs["skipped"])}))
    return raw, units, notes, [], attrs.get("sheet")


def _read_one(path: Path, cmap: ColumnMap, *, encoding: str | None, sheet: str | None,
              tz: str, unit: str | None) -> _File:
    """Read, map and pre-parse one export (units, time zones, first-of-several values)."""
    file = str(path)
    got = _read(path, cmap, encoding, sheet)
    if got[0] is None:
        return _File(_Prepared(file, None, pd.DataFrame(), usable=False), [], got[3])
    raw, units, notes, issues, sheet_name = got
    _, table = _choose(list(raw.columns), path.stem, None, cmap)
    tmap = cmap.table(table) if table else None
    if tmap is not None and tmap.row_ids:
        key = TABLES[table].key
        if key not in _match(list(raw.columns), table, tmap):
            raw = raw.assign(**{key: [f"{path.stem}-{r}" for r in raw.index]})
    prep = _prepare(raw, file, table, cmap)
    prep.units = {**units, **prep.units}  # headers renamed above keep the unit they stated
    shown = {"file": path.name, "sheet": "", "map": cmap.name, "table": table or "?",
             "n": len(raw)}
    if sheet_name and path.suffix.lower() in (".xlsx", ".xlsm"):
        shown["sheet"] = ("import.sheet", {"sheet": sheet_name})
    notes.insert(0, ("import.read", shown))
    if table is not None and not prep.usable:
        prep.issues = _explain_missing(prep, raw)
    if prep.usable:
        issues += _amounts(prep, cmap, unit, notes)
        _dates(prep, tz, notes)
        _first_values(prep, notes)
        issues += _won_without_customer(prep)
        prep.tmap = dataclasses.replace(prep.tmap, amount_unit="cny")
    return _File(prep, notes, issues)


def _explain_missing(prep: _Prepared, raw: pd.DataFrame) -> pd.DataFrame:
    """Explain a required column missing because its header already fills another kit column."""
    taken = {h: c for c, h in prep.found.items()}
    lookup = {_norm(h): h for h in raw.columns}
    twice = []
    for c in required_columns(prep.table):
        if c in prep.values:
            continue
        for cand in prep.tmap.headers_for(c):
            h = lookup.get(_norm(cand))
            if h in taken:
                twice.append(make_issues(prep.file, prep.table, "header_used_twice", column=h,
                                         values=f"{taken[h]}, {c}", expected=c))
                break
    return _concat(twice) if twice else prep.issues


# ---------------------------------------------------------------------------- values
def _amounts(prep: _Prepared, cmap: ColumnMap, option: str | None,
             notes: list) -> list[pd.DataFrame]:
    """Read every money column exactly, in CNY (:func:`_read_money`); check magnitudes."""
    reads, issues = _read_money(prep, option, every=True)
    for col, unit, how, read in reads:
        header = prep.headers[col]
        if read["unit"].notna().any() and how != "import.how.header":
            how = "import.how.cells"
        notes.append(("import.amounts", {"column": header, "unit": UNIT_NAMES[unit],
                                         "how": (how, {})}))
        if col == "amount" and prep.table in ("orders", "opportunities"):
            issues += _magnitude(prep, read, header, assumed=how in ("import.how.map",), unit=unit)
    return issues


def _magnitude(prep: _Prepared, read: pd.DataFrame, header: str, *, assumed: bool,
               unit: str) -> list[pd.DataFrame]:
    """Flag amounts ×1,000 off the file's median, and an assumed unit giving absurd sizes."""
    cents = pd.to_numeric(read["cents"], errors="coerce")
    median = cents.abs().where(cents.abs() > 0).median()
    if pd.isna(median):
        return []
    typical = f"≈ ¥{median / 100:,.2f}"
    if assumed and (median >= 5_000_000_000 or (unit == "cny" and median <= 5_000)):
        return [make_issues(prep.file, prep.table, "unit_assumed", column=header,
                            values=UNIT_NAMES[unit], expected=typical)]
    odd = magnitude_outliers(read["cents"])
    if not odd.any():
        return []
    return [make_issues(prep.file, prep.table, "unit_magnitude", rows=list(read.index[odd]),
                        column=header, values=list(prep.original["amount"][odd]),
                        expected=typical)]


def _dates(prep: _Prepared, tz: str, notes: list) -> None:
    for col, (zoned, serial) in _read_dates(prep, tz).items():
        header = prep.headers[col]
        if zoned:
            notes.append(("import.zoned", {"n": zoned, "column": header, "tz": tz}))
        if serial:
            notes.append(("import.serial", {"n": serial, "column": header}))


def _first_values(prep: _Prepared, notes: list) -> None:
    for col, rule in prep.tmap.multi_value.items():
        if col not in prep.values:
            continue
        s = prep.values[col].astype("str")
        several = s.str.contains(_MULTI_RE, regex=True)
        if several.any():
            key = "import.multi_first" if rule == "first" else "import.multi_split"
            notes.append((key, {"n": int(several.sum()), "column": prep.headers[col]}))
            if rule == "first":
                prep.values[col] = s.str.split(_MULTI_RE, n=1, regex=True).str[0]


def _won_without_customer(prep: _Prepared) -> list[pd.DataFrame]:
    """Report won deals without a customer (a won deal becomes an order of its customer)."""
    if prep.table != "opportunities" or "outcome" not in prep.values:
        return []
    cust = prep.values["customer_id"].astype("str").str.strip() if "customer_id" in prep.values \
        else pd.Series("", index=prep.values.index)
    bad = prep.values["outcome"].astype("str").str.casefold().eq("won") & cust.eq("")
    if not bad.any():
        return []
    header = prep.headers.get("customer_id", "customer_id")
    return [make_issues(prep.file, prep.table, "missing_value", rows=list(bad.index[bad]),
                        column=header, values="", expected="a value")]


# ---------------------------------------------------------------------------- splitting
def _split_rows(frame: pd.DataFrame, col: str, key: str | None) -> pd.DataFrame:
    """One row per value of ``col`` (A;B), the amount allocated exactly to the cent."""
    parts = frame[col].astype("str").str.split(_MULTI_RE, regex=True)
    n = parts.str.len().to_numpy()
    if (n <= 1).all():
        return frame
    out = frame.loc[frame.index.repeat(n)].copy()
    out[col] = [v for p in parts for v in p]
    cents = []
    for amount, k in zip(frame["amount"], n, strict=True):
        total = int(round(amount * 100))
        share = allocate_cents(abs(total), np.ones(k)) if k > 1 else np.array([abs(total)])
        cents.extend((share * (1 if total >= 0 else -1)).tolist())
    out["amount"] = np.asarray(cents, dtype="int64") / 100
    if key:
        seq = np.concatenate([np.arange(1, k + 1) for k in n])
        many = np.repeat(n > 1, n)
        out[key] = np.where(many, out[key].astype("str") + "#" + seq.astype(str), out[key])
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------- deriving
def _orders_from(opps: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    won = opps[opps["outcome"].eq("won")]
    if len(opps) and won.empty:
        return won, [make_issues(file, "opportunities", "no_won_deals", values=str(len(opps)),
                                 expected="at least one won deal")]
    orders = pd.DataFrame({
        "order_id": won["opportunity_id"], "customer_id": won["customer_id"],
        "rep_id": won["rep_id"], "order_date": won["closed_date"], "amount": won["amount"],
        "product_line": pd.Series(np.nan, index=won.index, dtype="str"), "is_refund": False,
    })
    return orders.reset_index(drop=True), []


def _customers_from(orders: pd.DataFrame, opps: pd.DataFrame | None) -> pd.DataFrame:
    sales = orders[~orders["is_refund"].astype(bool)].sort_values(["order_date", "order_id"])
    first = sales.drop_duplicates("customer_id")[["customer_id", "rep_id", "order_date"]]
    ids = pd.concat([orders["customer_id"]] + ([opps["customer_id"]] if opps is not None else []))
    ids = pd.Series(sorted(set(ids.dropna().astype("str")) - {""}), name="customer_id", dtype="str")
    out = pd.DataFrame({"customer_id": ids}).merge(first, on="customer_id", how="left")
    return pd.DataFrame({"customer_id": out["customer_id"], "name": out["customer_id"],
                         "owner_rep_id": out["rep_id"], "first_order_date": out["order_date"]})


def _reps_from(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    dated = []
    for table, col, date in (("orders", "rep_id", "order_date"),
                             ("opportunities", "rep_id", "created_date"),
                             ("customers", "owner_rep_id", "first_order_date")):
        if tables.get(table) is not None:
            part = tables[table][[col, date]].set_axis(["rep_id", "date"], axis=1)
            dated.append(part.dropna(subset=["rep_id"]))
    both = pd.concat(dated)
    both = both[both["rep_id"].astype("str").ne("")]
    first = both.groupby("rep_id", sort=True)["date"].min()
    return pd.DataFrame({"rep_id": first.index.astype("str"), "name": first.index.astype("str"),
                         "team": _UNKNOWN_TEAM, "hire_date": first.to_numpy()})


def _derive(tables: dict[str, pd.DataFrame], files: dict[str, str], notes: list
            ) -> list[pd.DataFrame]:
    """Fill orders, customers and reps from the tables read; return the issues found."""
    issues = []
    opps = tables.get("opportunities")
    if "orders" not in tables and opps is not None:
        orders, bad = _orders_from(opps, files["opportunities"])
        issues += bad
        tables["orders"] = orders
        notes.append(("import.derived", {"table": "orders", "n": len(orders),
                                         "source": ("import.from_won", {})}))
    if issues or "orders" not in tables:
        return issues
    if "customers" not in tables:
        tables["customers"] = _customers_from(tables["orders"], opps)
        notes.append(("import.derived", {"table": "customers", "n": len(tables["customers"]),
                                         "source": ("import.from_data", {})}))
    if "reps" not in tables:
        tables["reps"] = _reps_from(tables)
        notes.append(("import.derived", {"table": "reps", "n": len(tables["reps"]),
                                         "source": ("import.from_data", {})}))
        notes.append(("import.reps_guess", {"team": _UNKNOWN_TEAM}))
    if opps is None:
        notes.append(("import.no_opportunities", {}))
    return issues


# ---------------------------------------------------------------------------- the import
def _one_per_table(read: list[_File]) -> tuple[dict[str, _File], list[pd.DataFrame]]:
    by_table: dict[str, list[_File]] = {}
    for f in read:
        if f.prep.table is not None:
            by_table.setdefault(f.prep.table, []).append(f)
    issues = []
    for table, group in by_table.items():
        if len(group) > 1:
            names = ", ".join(Path(g.prep.file).name for g in group)
            issues.append(make_issues(group[1].prep.file, table, "ambiguous_file", values=names,
                                      expected="one export per table"))
    return {t: g[0] for t, g in by_table.items()}, issues


def _check_files(read: list[_File], as_of: pd.Timestamp) -> tuple[dict, dict, list]:
    """Run each table's checks (references among the files given); return frames, files, issues."""
    chosen, issues = _one_per_table(read)
    issues += [i for f in read for i in f.issues] + [f.prep.issues for f in read
                                                      if f.prep.table is None]
    known = {}
    for name in ("reps", "customers"):
        if name in chosen and chosen[name].prep.values is not None:
            known[name] = chosen[name].prep.ids(TABLES[name].key)
    frames, files = {}, {}
    for name, f in chosen.items():
        frame, found, _ = _finish(f.prep, as_of, _with_joined(f.prep, known))
        issues.append(found)
        kit = [c.name for c in TABLES[name].columns]
        frame = frame[[c for c in kit if c in frame]]
        key = TABLES[name].key if isinstance(TABLES[name].key, str) else None
        for col, rule in f.prep.tmap.multi_value.items() if f.prep.tmap else ():
            if rule == "split" and col in frame:
                frame = _split_rows(frame, col, key)
        frames[name], files[name] = frame, f.prep.file
    return frames, files, issues


def _with_joined(prep: _Prepared, known: dict[str, set[str]]) -> dict[str, set[str]]:
    """Known ids plus the "A;B" cells of split columns whose every part is known."""
    out = dict(known)
    for col, rule in (prep.tmap.multi_value.items() if prep.tmap else ()):
        ref = TABLES[prep.table].references.get(col)
        if rule != "split" or ref is None or ref[0] not in known or col not in prep.values:
            continue
        cells = set(prep.values[col].astype("str"))
        joined = {c for c in cells if re.search(_MULTI_RE, c)
                  and set(re.split(_MULTI_RE, c.strip())) <= known[ref[0]]}
        out[ref[0]] = known[ref[0]] | joined
    return out


def import_exports(
    paths: Sequence[str | Path],
    column_map: str | Path | ColumnMap,
    *,
    tz: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    amount_unit: str | None = None,
    as_of: object = None,
) -> ImportResult:
    """Read CRM exports with a column map and derive the kit's tables from them.

    Parameters
    ----------
    paths
        Export files (CSV/TSV/XLSX), at most one per kit table.
    column_map
        Map name (``salesforce``, ``hubspot``, ``chinese_crm``, ``kit``), YAML path or map.
    tz
        The team's time zone; timestamps with ``Z`` or an offset are converted to it
        before the date is taken. Default: the map's ``timezone``.
    encoding, sheet
        A CSV's text encoding (default: detected); the sheet of a workbook with several.
    amount_unit
        The unit of amounts whose header and cells state none (元, 千元, 万元); default
        the map's. A header stating another unit is then an error.
    as_of
        Dates of past events after it are problems; default today.

    Returns
    -------
    ImportResult
        Tables (kit columns only, valid rows), notes, and every issue; a non-empty
        ``issues`` means the import must not be written.

    Examples
    --------
    >>> from playbook.core.paths import EXAMPLES_DIR
    >>> res = import_exports([EXAMPLES_DIR / "hubspot_deals.csv"], "hubspot", as_of="2025-09-30")
    >>> len(res.issues), sorted(res.tables), res.tables["orders"]["amount"].sum()
    (0, ['customers', 'opportunities', 'orders', 'reps'], np.float64(152500.5))
    """
    cmap = load_column_map(column_map)
    zone = tz or cmap.timezone
    if amount_unit:
        unit_key(amount_unit)  # a bad unit is a parameter error, before reading
    if not paths:
        raise ParameterError("paths", [], "one or more export files")
    stamp = _default_as_of(as_of)
    read = [_read_one(Path(p), cmap, encoding=encoding, sheet=sheet, tz=zone, unit=amount_unit)
            for p in paths]
    notes = [n for f in read for n in f.notes]
    frames, files, issues = _check_files(read, stamp)
    issues = _concat(issues)
    if not len(issues):
        issues = _concat(_derive(frames, files, notes))
    absent = [t for t in TABLE_ORDER if t not in frames and t not in REQUIRED_TABLES]
    if absent and not len(issues):
        notes.append(("import.absent", {"tables": ", ".join(absent)}))
    rows = {f.prep.file: len(f.prep.raw) for f in read}
    return ImportResult(frames, notes, issues, rows)


def write_dataset(tables: dict[str, pd.DataFrame], out: str | Path, *, as_of: object = None,
                  report: str = "") -> list[Path]:
    """Write ``tables`` to the data folder ``out``, all or nothing.

    The files are written to a new folder beside ``out``, checked as a dataset, and only
    then renamed to ``out``. An existing ``out`` must be empty or an earlier import (it
    holds :data:`MARKER`); it is replaced whole.
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise ParameterError("out", str(out), "a new or empty folder, or one an earlier import wrote")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        files = write_tables({t: tables[t] for t in TABLE_ORDER if t in tables}, tmp)
        (tmp / MARKER).write_text(report or "written by playbook import\n", encoding="utf-8")
        _, issues = validate_dataset(tmp, column_map="kit", as_of=as_of)
        if len(issues):  # pragma: no cover - the tables were checked before
            raise ValidationError(issues, summary=f"the imported tables do not load ({tmp})")
        old = None
        if out.exists():
            old = out.with_name(tmp.name + ".old")
            out.rename(old)
        tmp.rename(out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [out / f.name for f in files]



def format_notes(notes: Sequence[tuple[str, dict]], lang: str = "en") -> str:
    """Return the import's notes (what was read and derived) as lines in ``lang``.

    Examples
    --------
    >>> print(format_notes([("import.derived", {"table": "orders", "n": 3,
    ...                                         "source": ("import.from_won", {})})], "zh"))
    已推导 orders：3 行，来自 赢单商机
    """
    def text(key: str, fields: dict) -> str:
        resolved = {k: text(*v) if isinstance(v, tuple) else v for k, v in fields.items()}
        return t(key, lang, **resolved)

    return "\n".join(text(key, fields) for key, fields in notes)


def format_failure(issues: pd.DataFrame, out: str | Path, lang: str = "en",
                   rows: dict[str, int] | None = None) -> str:
    """Return the import's problems grouped by cause: one line per cause, most rows first.

    A cause is one problem (code) in one column of one file; its first message is shown
    with the count and the rows it affects, so a missing table or column is one line
    (saying how many rows of the file it affects, given ``rows``: file -> data rows).

    Examples
    --------
    >>> issues = make_issues("deals.csv", "opportunities", "missing_value", rows=[3, 5, 9],
    ...                      column="Deal owner", values="", expected="a value")
    >>> print(format_failure(issues, "data/mine"))  # doctest: +ELLIPSIS
    Nothing was written to data/mine. 1 cause(s) to fix, most rows first; then run the import again:
      - deals.csv, row 3, column Deal owner: the value is missing, but this column is required. ...
        (and 2 more row(s) with the same problem: 5, 9)
    """
    lines = format_causes(issues, lang, rows)
    n = len(issues.fillna({"column": ""}).groupby(["file", "column", "code"], sort=False))
    lines.insert(0, t("import.failed", lang, out=str(out), n=n))
    return "\n".join(lines)
