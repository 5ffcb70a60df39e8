"""Column maps: a CRM export's headers, units, date formats and stage names -> the kit's schema."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from playbook.core import paths as _paths
from playbook.core.errors import ParameterError, yaml_error
from playbook.core.schema import TABLES
from playbook.data.parsing import _check_date_format

__all__ = ["RefundRule", "TableMap", "ColumnMap", "load_column_map", "available_maps", "REQUIRED_TABLES"]

#: Tables a dataset directory must hold; the others are optional.
REQUIRED_TABLES = ("reps", "customers", "orders")
#: File types read, in the order a dataset directory is searched.
SUFFIXES = (".csv", ".tsv", ".xlsx", ".parquet")
_TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
_EXCEL_SUFFIXES = (".xlsx", ".xlsm")
_UNITS = {"cny": 1.0, "yuan": 1.0, "元": 1.0, "wan": 10_000.0, "万元": 10_000.0, "万": 10_000.0,
          "qian": 1_000.0, "千元": 1_000.0}
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
    multi_value: dict[str, str] = field(default_factory=dict)  # kit column -> first | split
    row_ids: bool = False  # the key column may be absent: ids from the file's row numbers
    same_as: dict[str, str] = field(default_factory=dict)  # kit column -> kit column it copies

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
    timezone: str = "Asia/Shanghai"

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
        unknown = set(data) - {"name", "description", "date_format", "amount_unit", "tables",
                               "timezone"}
        if unknown:
            raise bad("only the keys name, description, date_format, amount_unit, timezone, tables "
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
            timezone=_check_zone(data.get("timezone", "Asia/Shanghai"), where),
        )


def _check_zone(zone: object, where: str) -> str:
    try:
        ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        raise ParameterError("column_map", where, f"timezone: an IANA zone such as Asia/Shanghai, "
                             f"not {zone!r}") from None
    return str(zone)


def _check_unit(unit: object, where: str) -> str:
    key = str(unit).strip().casefold()
    if key not in _UNITS:
        raise ParameterError("column_map", where, "amount_unit: cny, qian (千元) or wan (万元), "
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
               "clear_unless", "multi_value", "row_ids", "same_as"}
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
    multi = {}
    for col, rule in kit_keys("multi_value").items():
        if rule not in ("first", "split") or (rule == "split" and "amount" not in kit_cols):
            raise bad(f"'multi_value: {col}:' first or split (split only in a table with amount)")
        multi[col] = str(rule)
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
        multi_value=multi,
        row_ids=bool(spec.get("row_ids", False)),
        same_as={col: str(other) for col, other in kit_keys("same_as").items()},
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
        raise yaml_error(Path(path).name, err) from None
