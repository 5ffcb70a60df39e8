"""The IDP store's export: its raw tables as sheets, and the Excel workbook of every readable row.

The read side of :mod:`playbook.pipeline.store` that needs no database:
:func:`export_frames` turns the raw tables a store reads (:meth:`Store.tables
<playbook.pipeline.store.Store.tables>`, :meth:`~playbook.pipeline.store.Store.read_all`)
into the export sheets; :func:`export_workbook` writes them, with the stored rows that
cannot be read listed on their own sheet. Import them from :mod:`playbook.pipeline.store`
(re-exported there) or from here.

Examples
--------
>>> from playbook.pipeline.store import Store
>>> with Store("sqlite://") as s:
...     frames = export_frames(s.tables())
>>> list(frames) == list(EXPORT_SHEETS)
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd

from playbook.idp import PLAN_ITEM_COLUMNS
from playbook.present.excel import write_workbook

__all__ = [
    "EXPORT_SHEETS",
    "UNREADABLE_COLUMNS",
    "StoreExport",
    "export_frames",
    "write_excel",
    "export_workbook",
    "export_excel",
]

EXPORT_SHEETS = ("plans", "items", "versions", "signoffs", "reviews")
UNREADABLE_COLUMNS = ["table", "row_id", "plan_id", "version", "reason"]


class _Readable(Protocol):
    """What an export reads: a :class:`playbook.pipeline.store.Store` (this module does not import it)."""

    def read_all(self) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]: ...


def export_frames(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Turn the store's raw tables (:meth:`Store.tables <playbook.pipeline.store.Store.tables>`) into sheets (pure).

    Sheets (:data:`EXPORT_SHEETS`): ``plans`` (one row per plan, its latest version),
    ``items`` (the plan table of each plan's latest version, with the latest level
    reached), ``versions`` (every version, without the JSON), ``signoffs``, ``reviews``.
    A plan shows its latest version that can be read (:meth:`Store.read_all <playbook.pipeline.store.Store.read_all>`).

    Examples
    --------
    >>> from playbook.pipeline.store import Store
    >>> with Store("sqlite://") as s:
    ...     frames = export_frames(s.tables())
    >>> {k: len(v) for k, v in frames.items()}
    {'plans': 0, 'items': 0, 'versions': 0, 'signoffs': 0, 'reviews': 0}
    """
    plans, versions = tables["plans"], tables["versions"]
    items, signoffs, reviews = tables["items"], tables["signoffs"], tables["reviews"]
    latest = versions.sort_values(["plan_id", "version"]).drop_duplicates("plan_id", keep="last")
    names = latest.set_index("plan_id")["content"].map(_rep_name)
    plan_cols = ["plan_id", "rep_id", "rep_name", "plan_date", "version", "status", "updated_at", "updated_by",
                 "created_at", "created_by", "items"]
    n_items = items.groupby("version_id").size()
    p = plans.rename(columns={"id": "plan_id"}).merge(
        latest[["plan_id", "id", "version", "status", "created_at", "author"]].rename(
            columns={"id": "version_id", "created_at": "updated_at", "author": "updated_by"}),
        on="plan_id", how="left")
    p["rep_name"] = p["plan_id"].map(names).astype("object")
    p["items"] = p["version_id"].map(n_items).fillna(0).astype("int64")
    p["plan_date"] = pd.to_datetime(p["plan_date"])
    item_cols = ["plan_id", "rep_id", "version", "position", *PLAN_ITEM_COLUMNS, "level_reached", "reviewed_on"]
    it = items.merge(latest[["id", "plan_id", "version"]].rename(columns={"id": "version_id"}), on="version_id")
    it["rep_id"] = it["plan_id"].map(plans.set_index("id")["rep_id"]) if len(plans) else pd.Series(dtype="str")
    rv = reviews.sort_values("id").drop_duplicates(["plan_id", "competency"], keep="last")
    it = it.merge(rv[["plan_id", "competency", "level_reached", "review_date"]].rename(
        columns={"review_date": "reviewed_on"}), on=["plan_id", "competency"], how="left")
    it = it.sort_values(["plan_id", "position"], kind="stable")
    for c in ("review_date", "reviewed_on"):
        it[c] = pd.to_datetime(it[c])
    for c in ("current_level", "target_level", "level_reached"):
        it[c] = it[c].astype("Int64")
    v = versions.rename(columns={"id": "version_id"}).drop(columns=["content"])
    v = v.sort_values(["plan_id", "version"], kind="stable")
    s = signoffs.rename(columns={"id": "signoff_id"})
    r = reviews.rename(columns={"id": "review_id"})
    r["review_date"] = pd.to_datetime(r["review_date"])
    return {
        "plans": p[plan_cols].sort_values("plan_id", kind="stable").reset_index(drop=True),
        "items": it[item_cols].reset_index(drop=True),
        "versions": v[["plan_id", "version", "version_id", "status", "author", "created_at", "content_hash",
                       "client_token", "note"]].reset_index(drop=True),
        "signoffs": s[["signoff_id", "plan_id", "version_id", "from_status", "to_status", "author",
                       "created_at"]].reset_index(drop=True),
        "reviews": r[["review_id", "plan_id", "competency", "level_reached", "review_date", "author", "created_at",
                      "note"]].reset_index(drop=True),
    }


def write_excel(frames: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write ``frames`` to an Excel file, one sheet each; return the path.

    Through :func:`playbook.present.excel.write_workbook`: typed texts (measures, names)
    are neutralised, never live formulas; the file is written atomically.
    """
    return write_workbook(frames, path)


@dataclass(frozen=True)
class StoreExport:
    """An export: the workbook written and the stored rows that could not be read (:data:`UNREADABLE_COLUMNS`)."""

    path: Path
    unreadable: pd.DataFrame

    def unreadable_lines(self) -> list[str]:
        """One line per unreadable row: ``plan 1, version 2 (versions row 2): why``."""
        out = []
        for row in self.unreadable.to_dict("records"):
            plan, version = ("?" if pd.isna(row[k]) else int(row[k]) for k in ("plan_id", "version"))
            where = f"plan {plan}" + (f", version {version}" if version != "?" else "")
            out.append(f"{where} ({row['table']} row {row['row_id']}): {row['reason']}")
        return out


def export_workbook(store: _Readable, path: str | Path) -> StoreExport:
    """Export every readable row of ``store`` to an Excel workbook; list the rows that cannot be read.

    Sheets :data:`EXPORT_SHEETS`, plus a sheet ``unreadable`` (table, row, plan, version,
    why) when some stored rows cannot be read: one bad row does not stop the export of
    the others.

    Examples
    --------
    >>> import tempfile
    >>> from playbook.pipeline.store import Store
    >>> with Store("sqlite://") as s, tempfile.TemporaryDirectory() as tmp:
    ...     done = export_workbook(s, Path(tmp) / "plans.xlsx")
    ...     done.path.name, len(done.unreadable)
    ('plans.xlsx', 0)
    """
    tables, unreadable = store.read_all()
    frames = export_frames(tables)
    if len(unreadable):
        frames["unreadable"] = unreadable
    return StoreExport(write_excel(frames, path), unreadable)


def export_excel(store: _Readable, path: str | Path) -> Path:
    """Export every plan of ``store`` to an Excel workbook (:func:`export_workbook`); return its path."""
    return export_workbook(store, path).path


def _rep_name(content: object) -> str:
    return (json.loads(content).get("rep_name") or "") if isinstance(content, str) else ""
