"""The IDP store's tables and a row reader that tells bad rows apart.

:mod:`playbook.pipeline.store` is the API; this module holds what it stands on:

- the tables (SQLAlchemy Core) and :data:`SCHEMA_VERSION`, as the migrations of
  :mod:`playbook.pipeline.migrations` make them (a test compares the two);
- :func:`read_rows`, which reads rows cell by cell: a row whose cell cannot be read (bytes
  that are not UTF-8 text, a date that is not a date, stored content that is not JSON) is
  reported as a :class:`BadRow` (table, row id, plan, version, why) instead of stopping
  the whole read. On SQLite, :func:`decode_text` is the connection's text factory, so a bad
  byte reaches :func:`read_rows` as a marked text rather than as a driver error.

Examples
--------
>>> import sqlalchemy as sa
>>> engine = sa.create_engine("sqlite://")
>>> with engine.begin() as conn:
...     METADATA.create_all(conn)
...     _ = conn.execute(PLANS.insert().values(rep_id="R1", created_at=sa.func.current_timestamp(),
...                                            created_by="Bo"))
...     _ = conn.exec_driver_sql("INSERT INTO plans (rep_id, plan_date, created_at, created_by) "
...                              "VALUES ('R2', 'soon', '2025-10-08 09:00:00', 'Bo')")
...     rows, bad = read_rows(conn, PLANS)
>>> [r["rep_id"] for r in rows], bad[0].reason
(['R1'], "plan_date: 'soon' is not a date")
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

__all__ = [
    "SCHEMA_VERSION",
    "METADATA",
    "META",
    "PLANS",
    "VERSIONS",
    "ITEMS",
    "SIGNOFFS",
    "REVIEWS",
    "STARTS",
    "TABLES",
    "BadText",
    "BadRow",
    "decode_text",
    "start_key",
    "read_rows",
]

SCHEMA_VERSION = "2"
"""Schema of the store this kit writes (1: before :data:`STARTS`)."""

METADATA = sa.MetaData()
META = sa.Table("idp_store_meta", METADATA, sa.Column("key", sa.String(64), primary_key=True),
                sa.Column("value", sa.String(200), nullable=False))
PLANS = sa.Table(
    "plans", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("rep_id", sa.String(100), nullable=False, index=True),
    sa.Column("plan_date", sa.Date, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
)
VERSIONS = sa.Table(
    "plan_versions", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=False, index=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    # the plan as JSON; a row whose content alone cannot be read keeps its other cells (info["json"])
    sa.Column("content", sa.Text, nullable=False, info={"json": True}),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("client_token", sa.String(200), nullable=True, unique=True),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.UniqueConstraint("plan_id", "version", name="uq_plan_version"),
)
ITEMS = sa.Table(
    "items", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("version_id", sa.Integer, sa.ForeignKey("plan_versions.id"), nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("competency", sa.String(200), nullable=False),
    sa.Column("why", sa.Text, nullable=False),
    sa.Column("current_level", sa.Integer, nullable=True),
    sa.Column("target_level", sa.Integer, nullable=True),
    sa.Column("measures", sa.Text, nullable=False),
    sa.Column("resources", sa.Text, nullable=False),
    sa.Column("review_date", sa.Date, nullable=True),
)
SIGNOFFS = sa.Table(
    "signoffs", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=False, index=True),
    sa.Column("version_id", sa.Integer, sa.ForeignKey("plan_versions.id"), nullable=False),
    sa.Column("from_status", sa.String(32), nullable=False),
    sa.Column("to_status", sa.String(32), nullable=False),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)
REVIEWS = sa.Table(
    "reviews", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=False, index=True),
    sa.Column("competency", sa.String(200), nullable=False),
    sa.Column("level_reached", sa.Integer, nullable=False),
    sa.Column("review_date", sa.Date, nullable=False),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("client_token", sa.String(200), nullable=True, unique=True),
    sa.Column("note", sa.Text, nullable=False, default=""),
)
STARTS = sa.Table(
    # schema 2: one row per (rep, plan date); its primary key is what makes starting a plan happen once
    "plan_starts", METADATA,
    sa.Column("rep_id", sa.String(100), primary_key=True),
    sa.Column("plan_date", sa.String(10), primary_key=True),  # ISO date; "" for a plan without a date
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=False, unique=True),
)
TABLES = {"plans": PLANS, "versions": VERSIONS, "items": ITEMS, "signoffs": SIGNOFFS, "reviews": REVIEWS}
"""The tables the store reads and exports, by their short name."""


class BadText(str):
    """A stored text that is not UTF-8: shown with replacement characters; ``reason`` says where it broke."""

    reason: str = ""


def decode_text(raw: bytes) -> str:
    r"""Decode a SQLite text cell; bytes that are not UTF-8 give a :class:`BadText` instead of an error.

    Examples
    --------
    >>> decode_text("董".encode())
    '董'
    >>> bad = decode_text(b"ab\xff")
    >>> isinstance(bad, BadText), bad.reason
    (True, 'not UTF-8 text (byte 0xff at position 2)')
    """
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = BadText(raw.decode("utf-8", errors="replace"))
        text.reason = f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at position {exc.start})"
        return text


def start_key(plan_date: object) -> str:
    """Return the plan-date part of a plan's start key: the ISO date, or ``""`` without a date.

    Examples
    --------
    >>> start_key(date(2025, 10, 8)), start_key("2025-10-08"), start_key(None)
    ('2025-10-08', '2025-10-08', '')
    """
    if plan_date is None:
        return ""
    return plan_date.isoformat() if isinstance(plan_date, date) else str(plan_date)[:10]


@dataclass(frozen=True)
class BadRow:
    """A stored row with a cell that cannot be read: where it is and why."""

    table: str
    row_id: Any
    plan_id: int | None
    version: int | None
    reason: str
    cells: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The cells of the row that could be read (e.g. ``version_id`` of an item)."""


def _cell(column: sa.Column, value: Any) -> tuple[Any, str]:
    """Return ``(value, "")`` converted to the column's type, or ``(None, why)`` when it cannot be read."""
    name = column.name
    if value is None:
        return (None, "") if column.nullable else (None, f"{name}: empty")
    if isinstance(value, BadText):
        return None, f"{name}: {value.reason}"
    kind = column.type
    if isinstance(kind, sa.Integer):
        ok = isinstance(value, int) and not isinstance(value, bool)
        return (value, "") if ok else (None, f"{name}: {value!r} is not a whole number")
    if isinstance(kind, sa.DateTime):
        return _parse(value, datetime, name, "a date and time")
    if isinstance(kind, sa.Date):
        return _parse(value, date, name, "a date")
    if not isinstance(value, str):
        return None, f"{name}: {type(value).__name__} where a text was expected"
    if column.info.get("json"):
        try:
            parsed = json.loads(value)
        except ValueError as exc:
            return None, f"{name}: not valid JSON ({exc})"
        if not isinstance(parsed, dict):
            return None, f"{name}: JSON {type(parsed).__name__} where a plan was expected"
    return value, ""


def _parse(value: Any, kind: type, name: str, what: str) -> tuple[Any, str]:
    if isinstance(value, kind) and (kind is datetime or not isinstance(value, datetime)):
        return value, ""
    if isinstance(value, str):
        try:
            return kind.fromisoformat(value), ""
        except ValueError:
            pass
    return None, f"{name}: {value!r} is not {what}"


def read_rows(conn: Connection, table: sa.Table, *, where: Any = None, order_by: Sequence[Any] = (),
              limit: int | None = None, columns: Sequence[str] | None = None) -> tuple[list[dict], list[BadRow]]:
    """Read rows cell by cell; return ``(rows, bad)``: the readable rows as dicts, and each unreadable row.

    A row with an unreadable cell is left out of ``rows``, except when the only cells
    that cannot be read are JSON content (``info["json"]``): that row is kept with the
    cell set to None. Either way it is reported in ``bad``. ``columns`` (default all)
    limits what is read, and so what is checked; the row id is always read.
    """
    wanted = [c for c in table.columns if columns is None or c.name in columns or c.name == "id"]
    stmt = sa.select(*(sa.type_coerce(c, sa.types.NullType()).label(c.name) for c in wanted))
    if where is not None:
        stmt = stmt.where(where)
    if order_by:
        stmt = stmt.order_by(*order_by)
    elif "id" in table.c:
        stmt = stmt.order_by(table.c.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    rows, bad = [], []
    for raw in conn.execute(stmt).mappings():
        row, reasons, soft = {}, [], True
        for column in wanted:
            row[column.name], why = _cell(column, raw[column.name])
            if why:
                reasons.append(why)
                soft = soft and bool(column.info.get("json"))
        if reasons:
            plan = row.get("plan_id") if table is not PLANS else row.get("id")
            bad.append(BadRow(table.name, raw.get("id"), plan, row.get("version"), "; ".join(reasons),
                              {k: v for k, v in row.items() if v is not None}))
        if not reasons or soft:
            rows.append(row)
    return rows, bad
