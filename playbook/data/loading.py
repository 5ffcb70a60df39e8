"""Loading and validating one table or a whole data folder (a dataset)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa

from playbook.core import paths as _paths
from playbook.core.errors import ParameterError, ValidationError
from playbook.core.schema import TABLE_ORDER, TABLES
from playbook.data import cache as _cache
from playbook.data.issues import _concat, empty_issues, make_issues
from playbook.data.mapping import _check_table_param, _default_as_of, _finish, _Prepared, _read_prepared
from playbook.data.maps import REQUIRED_TABLES, SUFFIXES, ColumnMap, load_column_map
from playbook.data.parsing import _as_text
from playbook.data.strict import StrictPrepared, finish_strict, read_strict
from playbook.data.validation import empty_frame

__all__ = [
    "validate_table", "load_table", "Dataset", "validate_dataset", "load_dataset", "load_inputs",
    "validate_paths",
]

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
        (:data:`playbook.data.validation.ISSUE_COLUMNS`).

    Raises
    ------
    ParameterError
        For a bad ``table``, ``column_map``, ``as_of``, ``references`` or ``sql``.

    Examples
    --------
    >>> from playbook.core.paths import EXAMPLES_DIR
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
    prep = _read(source, table, column_map, stamp, sql)
    return _check(prep, stamp, references)[1:]


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
    >>> from playbook.core.paths import EXAMPLES_DIR
    >>> load_table(EXAMPLES_DIR / "broken_orders.csv", as_of="2025-09-30")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    playbook.core.errors.ValidationError: 10 problem(s) found in data/examples/broken_orders.csv:
      - .../broken_orders.csv, row 3, column order_date: '2025-02-30' is not a date; ...
    ...
    """
    frame, issues = validate_table(source, table, column_map=column_map, as_of=as_of, sql=sql)
    if len(issues):
        raise ValidationError(issues, summary=f"{len(issues)} problem(s) found in "
                              f"{_short(issues['file'].iloc[0])}")
    return frame


def _read(source: object, table: str | None, column_map: ColumnMap | None, stamp: pd.Timestamp,
          sql: str | None = None) -> _Prepared:
    """Read one source: a clean CSV the strict fast way (:mod:`playbook.data.strict`), else carefully."""
    prep = read_strict(source, table, column_map, stamp) if sql is None else None
    return prep if prep is not None else _read_prepared(source, table, column_map, sql)


def _check(prep: _Prepared, stamp: pd.Timestamp, references: Mapping | None
           ) -> tuple[_Prepared, pd.DataFrame, pd.DataFrame]:
    """Run the table's checks; return (the prepared table, valid rows + extras, all issues).

    A strictly read table with an unknown reference is read again the careful way, which
    names every problem (the prepared table returned is then that one).
    """
    if isinstance(prep, StrictPrepared):
        done = finish_strict(prep, references)
        if done is not None:
            return prep, *done
        prep = _read_prepared(prep.file, prep.requested, prep.column_map)
    frame, issues, _ = _finish(prep, stamp, references)
    return prep, frame, issues


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


def _references(preps: Iterable[_Prepared]) -> dict[str, pd.Series]:
    """Known ids of every table present that others refer to (from all its rows, even rows with problems).

    Each table's ids are a Series of distinct non-empty stripped values (Arrow-backed
    text: no Python string per id).
    """
    referenced = {ref for spec in TABLES.values() for ref, _ in spec.references.values()}
    parts: dict[str, list[pd.Series]] = {}
    for prep in preps:
        if prep.table in referenced and prep.values is not None:
            key = TABLES[prep.table].key
            if isinstance(key, str) and key in prep.values:
                s = _as_text(prep.values[key])
                parts.setdefault(prep.table, []).append(s[s.ne("")])
    return {t: pd.Series(pd.concat(p, ignore_index=True).unique(), dtype="str") for t, p in parts.items()}


def validate_dataset(
    directory: str | Path,
    *,
    column_map: str | Path | ColumnMap | Mapping | None = None,
    as_of: str | date | None = None,
    cache: bool = True,
) -> tuple[Dataset, pd.DataFrame]:
    r"""Read and check every table of a dataset directory, with the cross-table checks.

    The directory holds ``<table>.csv`` (or ``.tsv``, ``.xlsx``, ``.parquet``) per kit
    table; ``reps``, ``customers`` and ``orders`` are required. Orders, opportunities
    and the other tables must name known reps and customers.

    With ``cache`` (the default), the result is kept as Parquet under the fingerprint
    of the files, the code, the map and the as-of date (:mod:`playbook.data.cache`), and
    the next call on the unchanged folder reads it instead of validating again.

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
    key = None
    if cache and directory.is_dir():
        files = [f for t in TABLE_ORDER for f in _dataset_files(directory, t)]
        key, hit = _cache.lookup(directory, files, repr(column_map), str(stamp.date()))
        if hit is not None:
            tables, issues, _ = hit
            frames = {t: tables.get(t) for t in TABLE_ORDER}
            return Dataset(**frames, as_of=_dataset_as_of(frames["orders"], as_of, stamp),
                           source=str(directory)), issues
    dataset, issues = _validate_folder(directory, column_map, as_of, stamp)
    if key is not None:
        _cache.write_entry(directory, key, dataset.tables(), issues)
    return dataset, issues


def _dataset_as_of(orders: pd.DataFrame, as_of: object, stamp: pd.Timestamp) -> pd.Timestamp | None:
    """Return the as-of date given, else the latest order date (None without dated orders)."""
    if as_of is not None:
        return stamp
    if len(orders) and orders["order_date"].notna().any():
        return orders["order_date"].max()
    return None


def _validate_folder(directory: Path, column_map: ColumnMap | None, as_of: object,
                     stamp: pd.Timestamp) -> tuple[Dataset, pd.DataFrame]:
    """Validate every table of ``directory`` (no cache): what :func:`validate_dataset` returns."""
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
            preps[table] = _read(found[0], table, column_map, stamp)
    known = _references(preps.values())
    frames: dict[str, pd.DataFrame | None] = {}
    rows: dict[str, int] = {}
    for table in TABLE_ORDER:
        if table in preps:
            # popped: each table's raw cells are freed as soon as it is checked (peak memory ~ the tables)
            prep, frame, issues = _check(preps.pop(table), stamp, known)
            rows[prep.file] = len(prep.raw)
            del prep
            pa.default_memory_pool().release_unused()
            frames[table] = frame
            chunks[table].append(issues)
        else:
            frames[table] = empty_frame(table) if table in REQUIRED_TABLES else None
    dataset = Dataset(**frames, as_of=_dataset_as_of(frames["orders"], as_of, stamp), source=str(directory))
    issues = _concat([c for part in chunks.values() for c in part])
    issues.attrs["rows"] = rows  # a file-wide problem affects them all
    return dataset, issues


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
    playbook.core.errors.ValidationError: 3 problem(s) found in dataset ...:
      - .../reps.csv: file not found; expected reps.csv | reps.tsv | reps.xlsx | reps.parquet. ...
    ...
    """
    dataset, issues = validate_dataset(directory, column_map=column_map, as_of=as_of)
    if len(issues):
        raise ValidationError(issues, summary=f"{len(issues)} problem(s) found in dataset "
                              f"{directory}")
    return dataset


def load_inputs(
    data: str | Path,
    *,
    column_map: str | Path | ColumnMap | Mapping | None = "",
    as_of: str | date | None = "",
) -> Dataset:
    """Load a data folder given as people give it: the one way the CLI, apps and notebooks load.

    :func:`load_dataset` after two conveniences: ``data`` goes through
    :func:`playbook.core.paths.resolve` (the folder as given if it exists, else relative to
    the repository, so ``"data/sample"`` works from a notebook's own folder), and an empty
    string for ``column_map`` or ``as_of`` (a CLI option or notebook parameter left blank)
    means "not given", like ``None``.

    Parameters
    ----------
    data
        The data folder (``reps``, ``customers``, ``orders`` … one file per table).
    column_map
        Map name, YAML path, dict or :class:`ColumnMap`; ``""`` or ``None``: the map that
        matches each file's headers best.
    as_of
        As-of date; ``""`` or ``None``: the latest order date.

    Returns
    -------
    Dataset
        Every table, validated; ``source`` is the resolved folder.

    Raises
    ------
    ValidationError
        Listing every problem of every file, as :func:`load_dataset`.

    Examples
    --------
    >>> ds = load_inputs("data/sample", column_map="", as_of="")  # as an empty CLI option
    >>> ds.source == str(_paths.SAMPLE_DIR), ds.as_of  # the folder, and the latest order date
    (True, Timestamp('2025-09-30 00:00:00'))
    """
    return load_dataset(_paths.resolve(data), column_map=_given(column_map), as_of=_given(as_of))


def _given(value: object) -> object:
    """Return ``None`` for ``""`` (a blank option or parameter), else ``value`` unchanged."""
    return None if isinstance(value, str) and value == "" else value


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
    >>> from playbook.core.paths import EXAMPLES_DIR
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
            slots.append(_read(item, table, column_map, stamp))
    known = _references(p for p in slots if isinstance(p, _Prepared))
    chunks = [
        _check(s, stamp, known)[2] if isinstance(s, _Prepared) else s for s in slots
    ]
    return _concat(chunks) if chunks else empty_issues()
