"""Where IDPs live: plans, versions, sign-offs and review outcomes (SQLAlchemy 2).

A SQLite file by default (``var/idp.sqlite``, in WAL mode), or a PostgreSQL database
(``postgresql://…``, the ``[postgres]`` extra; both are tested) by setting
``PLAYBOOK_STORE_URL`` or passing ``url``. Opening the database and naming its errors is
:mod:`playbook.pipeline.store_db`; the tables and the row reader are
:mod:`playbook.pipeline.store_schema`; the export to Excel is
:mod:`playbook.pipeline.store_export` (re-exported here); schema changes are the Alembic migrations of
:mod:`playbook.pipeline.migrations`, run when a store is opened.

Rules the store keeps
---------------------
- **Nothing is overwritten, nothing is deleted.** Every change (new content, a
  sign-off) is a new row of ``plan_versions`` with its author, time (UTC) and status,
  the full content as JSON, and a copy of the plan table in ``items``. The store issues
  only INSERT statements (the schema upgrade on opening aside).
- **Sign-off** runs ``draft -> agreed_by_rep -> agreed_by_supervisor ->
  archived_by_hr`` (:data:`TRANSITIONS`); any other step raises
  :class:`TransitionError`. Saving new content on an agreed plan starts a new
  draft (it has to be agreed again); an archived plan is read-only.
- **No lost update.** A save or a sign-off names the version it is based on
  (``base_version``: the version its user saw). If the plan has moved on since, it
  raises :class:`ConflictError` with the versions stored since (who, when) and stores
  nothing: nobody agrees to a version they have not seen, nobody's save drops another's
  change. (``base_version`` is optional for library callers; the form always sends it.)
- **A plan is started once.** A rep's plan for a plan date is started once: the
  database refuses a second start (the primary key of ``plan_starts``), and the second
  :meth:`Store.create_plan` raises :class:`ConflictError` naming the plan that exists.
- **Idempotent save.** A form sends a *client token* (any unique text) with each
  submission. The same token with the same content returns the version stored the
  first time; the same token with other content is a :class:`ConflictError`.
- **Concurrent saves** (threads or processes) each get their own version number: on
  SQLite a write takes the database lock first (``BEGIN IMMEDIATE``); elsewhere a
  clash on the unique (plan, version) pair is retried.
- **PDCA.** At a review date the manager records the level reached
  (:meth:`Store.record_review`); :func:`next_plan_start_levels` gives the next plan's
  starting levels (pass them to :func:`playbook.idp.draft_plan` as ``levels``).
- **Errors name their cause.** A file that is not a readable IDP store raises
  :class:`CorruptStoreError` and is left untouched. A store the app may not write (a
  read-only file, folder or file system, or ``mode=ro`` in a SQLite URL) opens
  read-only: reading works, a change raises :class:`ReadOnlyStoreError` saying so. A
  stored row that cannot be read (bytes that are not UTF-8, content that is not JSON)
  is named with its plan and version (:meth:`Store.plan` raises
  :class:`CorruptStoreError`); reading many rows leaves it out and lists it
  (:meth:`Store.read_all`, :func:`export_workbook`).

Examples
--------
>>> import pandas as pd
>>> from playbook.idp import Plan
>>> items = pd.DataFrame({"competency": ["negotiation"], "why": ["Rated 3 of 5"],
...                       "current_level": [3], "target_level": [5], "measures": ["Negotiation course"],
...                       "resources": ["Training time"], "review_date": pd.to_datetime(["2026-05-01"])})
>>> plan = Plan("R1", rep_name="Ann", plan_date=pd.Timestamp("2025-10-08"), items=items)
>>> with Store("sqlite://") as store:                       # an in-memory store
...     v1 = store.create_plan(plan, author="manager", client_token="form-1")
...     again = store.create_plan(plan, author="manager", client_token="form-1")  # double submit
...     _ = store.sign(v1.plan_id, "agreed_by_rep", author="Ann", base_version=1)
...     _ = store.sign(v1.plan_id, "agreed_by_supervisor", author="manager", base_version=2)
...     _ = store.record_review(v1.plan_id, "negotiation", 4, review_date="2026-05-04", author="manager")
...     print(again.version, again.created, store.status(v1.plan_id))
...     print(next_plan_start_levels(store, "R1")[["competency", "level", "source"]])
1 False agreed_by_supervisor
    competency  level  source
0  negotiation      4  review
"""

from __future__ import annotations

import hashlib
import json
import numbers
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from playbook.core.dates import parse_date
from playbook.core.errors import ParameterError
from playbook.idp import Plan, plan_from_dict, plan_to_dict
from playbook.pipeline.store_db import (
    DEFAULT_PATH,
    ENV_URL,
    ConflictError,
    CorruptStoreError,
    Database,
    PlanVersion,
    ReadOnlyStoreError,
    StoreError,
    TransitionError,
    default_url,
)
from playbook.pipeline.store_export import (
    EXPORT_SHEETS,
    UNREADABLE_COLUMNS,
    StoreExport,
    export_excel,
    export_frames,
    export_workbook,
    write_excel,
)
from playbook.pipeline.store_schema import (
    PLANS,
    REVIEWS,
    SIGNOFFS,
    STARTS,
    TABLES,
    VERSIONS,
    BadRow,
    read_rows,
    start_key,
)
from playbook.present.idp import check_plan

__all__ = [
    "STATUSES",
    "TRANSITIONS",
    "REVIEWABLE",
    "DEFAULT_PATH",
    "ENV_URL",
    "START_LEVEL_COLUMNS",
    "EXPORT_SHEETS",
    "UNREADABLE_COLUMNS",
    "StoreError",
    "TransitionError",
    "ConflictError",
    "CorruptStoreError",
    "ReadOnlyStoreError",
    "PlanVersion",
    "StoreExport",
    "default_url",
    "content_hash",
    "Store",
    "next_plan_start_levels",
    "export_frames",
    "write_excel",
    "export_excel",
    "export_workbook",
]

STATUSES = ("draft", "agreed_by_rep", "agreed_by_supervisor", "archived_by_hr")
TRANSITIONS: Mapping[str, tuple[str, ...]] = {
    "draft": ("agreed_by_rep",),
    "agreed_by_rep": ("agreed_by_supervisor",),
    "agreed_by_supervisor": ("archived_by_hr",),
    "archived_by_hr": (),
}
"""Allowed sign-off steps: status -> next statuses."""
REVIEWABLE = ("agreed_by_supervisor", "archived_by_hr")
"""Statuses in which review outcomes may be recorded (the plan was agreed)."""
START_LEVEL_COLUMNS = ["competency", "level", "source", "plan_id", "plan_date", "target_level", "review_date"]
"""Columns of :meth:`Store.read_all`'s list of stored rows that cannot be read (and of the export's sheet)."""
_SHORT = {tbl.name: name for name, tbl in TABLES.items()}


def content_hash(content: Mapping[str, Any]) -> str:
    """Return the SHA-256 of the content's canonical JSON (key order and spacing do not matter).

    Examples
    --------
    >>> content_hash({"a": 1, "b": [1, 2]}) == content_hash({"b": [1, 2], "a": 1})
    True
    """
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _author(author: object) -> str:
    if not isinstance(author, str) or not author.strip():
        raise ParameterError("author", author, "the name of the person making the change")
    return author.strip()


def _token(token: object) -> str | None:
    if token is None:
        return None
    if not isinstance(token, str) or not token.strip():
        raise ParameterError("client_token", token, "a non-empty text, unique per form submission, or None")
    return token.strip()


def _base(base: object) -> int | None:
    if base is None:
        return None
    if isinstance(base, bool) or not isinstance(base, numbers.Integral) or base < 1:
        raise ParameterError("base_version", base, "the version number the change is based on (1, 2, ...) or None")
    return int(base)


def _day(value: object, name: str):
    return parse_date(value, name).date()


def _version(row: Mapping[str, Any]) -> PlanVersion:
    return PlanVersion(row["plan_id"], row["id"], row["version"], row["status"], row["author"], row["created_at"])


_META_COLUMNS = ("plan_id", "version", "status", "author", "created_at")


class Store:
    """The IDP store (SQLAlchemy engine); use as a context manager or call :meth:`close`.

    Parameters
    ----------
    url : str or Path, optional
        A SQLAlchemy URL (``postgresql+psycopg://…``), a SQLite file path, or
        ``"sqlite://"`` for memory. ``sqlite:///file:PATH?mode=ro&uri=true`` opens a file
        read-only. Default :func:`default_url`.
    clock : callable, optional
        Returns the current UTC time (naive ``datetime``); for tests.

    Attributes
    ----------
    read_only : str
        Empty when the store can be written, else why not (the file, its folder or the
        URL is read-only): reading works, every change raises :class:`ReadOnlyStoreError`.
    schema : str
        The store's schema (a writable store is upgraded to the latest on opening, by the
        migrations of :mod:`playbook.pipeline.migrations`).

    Raises
    ------
    CorruptStoreError
        The file is not a readable IDP store (it is not modified).
    StoreError
        The store cannot be opened (no file where a read-only store was expected, a
        folder that cannot be created …): the message says why.
    """

    def __init__(self, url: str | Path | None = None, *, clock: Callable[[], datetime] | None = None) -> None:
        self._db = Database(url)
        self.url = self._db.url
        self._clock = clock or _utcnow

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the database connections."""
        self._db.close()

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine."""
        return self._db.engine

    @property
    def read_only(self) -> str:
        """Empty when the store can be written, else why not (reading works; changes raise ReadOnlyStoreError)."""
        return self._db.read_only

    @property
    def schema(self) -> str:
        """The store's schema (a writable store is upgraded on opening)."""
        return self._db.schema

    def _where(self) -> str:
        return self._db.where()

    # ----------------------------------------------------------------- reading
    def _bad(self, bad: BadRow) -> CorruptStoreError:
        where = (f"plan {bad.plan_id}, version {bad.version}" if bad.table == VERSIONS.name
                 else f"{_SHORT.get(bad.table, bad.table)} row {bad.row_id} (plan {bad.plan_id})")
        return CorruptStoreError(
            f"{self._where()}: {where} cannot be read: {bad.reason}. The row was left untouched; the other "
            "rows can still be read. Restore the store from a backup to get it back.",
            plan_id=bad.plan_id, version=bad.version)

    def _rows(self, conn: Connection, table: sa.Table, where: Any, *, columns: tuple[str, ...] | None = None,
              order_by: tuple[Any, ...] = (), limit: int | None = None) -> list[dict]:
        """Rows of ``table``; a row that cannot be read raises :class:`CorruptStoreError` naming it."""
        rows, bad = read_rows(conn, table, where=where, order_by=order_by, limit=limit, columns=columns)
        if bad:
            raise self._bad(bad[0])
        return rows

    def _latest(self, conn: Connection, plan_id: int, *, content: bool = False) -> dict:
        rows = self._rows(conn, VERSIONS, VERSIONS.c.plan_id == plan_id, limit=1,
                          columns=(*_META_COLUMNS, "content") if content else _META_COLUMNS,
                          order_by=(VERSIONS.c.version.desc(),))
        if not rows:
            raise ParameterError("plan_id", plan_id, "the id of a stored plan (see Store.plans())")
        return rows[0]

    def _changes(self, conn: Connection, plan_id: int, since: int) -> tuple[PlanVersion, ...]:
        return tuple(_version(r) for r in self._rows(
            conn, VERSIONS, (VERSIONS.c.plan_id == plan_id) & (VERSIONS.c.version > since), columns=_META_COLUMNS,
            order_by=(VERSIONS.c.version,)))

    def _by_token(self, conn: Connection, token: str | None) -> dict | None:
        if token is None:
            return None
        rows = self._rows(conn, VERSIONS, VERSIONS.c.client_token == token,
                          columns=(*_META_COLUMNS, "content_hash"))
        return rows[0] if rows else None

    def status(self, plan_id: int) -> str:
        """Return the plan's current status (that of its latest version)."""
        with self._db.read() as conn:
            return str(self._latest(conn, int(plan_id))["status"])

    def plan(self, plan_id: int, version: int | None = None) -> Plan:
        """Return the plan's content at ``version`` (default: the latest).

        Raises
        ------
        CorruptStoreError
            That version's stored content cannot be read (``plan_id`` and ``version`` say which).
        """
        plan_id = int(plan_id)
        with self._db.read() as conn:
            if version is None:
                row = self._latest(conn, plan_id, content=True)
            else:
                rows = self._rows(conn, VERSIONS, (VERSIONS.c.plan_id == plan_id)
                                  & (VERSIONS.c.version == int(version)), columns=("plan_id", "version", "content"))
                if not rows:
                    raise ParameterError("version", version, f"a version of plan {plan_id} (see Store.history())")
                row = rows[0]
        try:
            return plan_from_dict(json.loads(row["content"]))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise self._bad(BadRow(VERSIONS.name, row["id"], plan_id, row["version"],
                                   f"content: not a plan ({type(exc).__name__}: {exc})")) from None

    def history(self, plan_id: int) -> pd.DataFrame:
        """Return every version of the plan: ``version, status, author, created_at, content_hash, note``."""
        columns = ["version", "status", "author", "created_at", "content_hash", "note"]
        with self._db.read() as conn:
            rows = self._rows(conn, VERSIONS, VERSIONS.c.plan_id == int(plan_id), columns=(*columns, "plan_id"),
                              order_by=(VERSIONS.c.version,))
        if not rows:
            raise ParameterError("plan_id", plan_id, "the id of a stored plan (see Store.plans())")
        return pd.DataFrame(rows, columns=columns)

    def changes_since(self, plan_id: int, version: int) -> tuple[PlanVersion, ...]:
        """Return the versions of the plan stored after ``version`` (empty: ``version`` is the latest).

        Examples
        --------
        >>> import pandas as pd
        >>> from playbook.idp import Plan
        >>> with Store("sqlite://") as s:
        ...     v = s.create_plan(Plan("R1", plan_date=pd.Timestamp("2025-10-08")), author="Bo")
        ...     _ = s.sign(v.plan_id, "agreed_by_rep", author="Ann")
        ...     [(c.version, c.status, c.author) for c in s.changes_since(v.plan_id, 1)]
        [(2, 'agreed_by_rep', 'Ann')]
        """
        with self._db.read() as conn:
            self._latest(conn, int(plan_id))
            return self._changes(conn, int(plan_id), int(version))

    def table(self, name: str) -> pd.DataFrame:
        """Return one raw table (``plans, versions, items, signoffs, reviews``) as a frame: its readable rows."""
        if name not in TABLES:
            raise ParameterError("name", name, "one of " + ", ".join(TABLES))
        tbl = TABLES[name]
        with self._db.read() as conn:
            rows, _bad = read_rows(conn, tbl)
        return pd.DataFrame(rows, columns=[c.name for c in tbl.columns])

    def read_all(self) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
        """Return every raw table (readable rows) and the stored rows that cannot be read, in one read.

        A row with a cell that cannot be read is left out of its table, except a version
        whose JSON content alone is unreadable: it stays with ``content`` None (its
        plan table is in ``items``). Each is listed in the second frame
        (:data:`UNREADABLE_COLUMNS`: table, row id, plan, version, why).
        """
        with self._db.read() as conn:
            read = {name: read_rows(conn, tbl) for name, tbl in TABLES.items()}
        frames = {name: pd.DataFrame(read[name][0], columns=[c.name for c in tbl.columns])
                  for name, tbl in TABLES.items()}
        versions = {r["id"]: (r["plan_id"], r["version"]) for r in read["versions"][0]}
        versions.update({b.row_id: (b.plan_id, b.version) for b in read["versions"][1]})
        listed = []
        for name in TABLES:
            for b in read[name][1]:
                plan, version = versions.get(b.cells.get("version_id"), (b.plan_id, b.version))
                listed.append((name, b.row_id, b.plan_id if b.plan_id is not None else plan, version, b.reason))
        return frames, pd.DataFrame(listed, columns=UNREADABLE_COLUMNS)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return all raw tables (for :func:`export_frames`): their readable rows (see :meth:`read_all`)."""
        return self.read_all()[0]

    def plans(self, rep_id: str | None = None) -> pd.DataFrame:
        """Return one row per plan with its latest version: ``plan_id, rep_id, plan_date, version, status, ...``."""
        frames = export_frames(self.tables())
        out = frames["plans"]
        return out if rep_id is None else out.loc[out["rep_id"] == str(rep_id)].reset_index(drop=True)

    # ----------------------------------------------------------------- writing
    def _insert_version(self, conn: Connection, plan_id: int, number: int, status: str, content: dict,
                        author: str, token: str | None, note: str) -> PlanVersion:
        now = self._clock()
        vid = conn.execute(VERSIONS.insert().values(
            plan_id=plan_id, version=number, status=status,
            content=json.dumps(content, ensure_ascii=False, sort_keys=True), content_hash=content_hash(content),
            author=author, created_at=now, client_token=token, note=note or "",
        )).inserted_primary_key[0]
        rows = [
            {"version_id": vid, "position": i, "competency": it["competency"], "why": it["why"] or "",
             "current_level": it["current_level"], "target_level": it["target_level"],
             "measures": it["measures"] or "", "resources": it["resources"] or "",
             "review_date": None if it["review_date"] is None else _day(it["review_date"], "review_date")}
            for i, it in enumerate(content["items"], start=1)
        ]
        if rows:
            conn.execute(sa.insert(TABLES["items"]), rows)
        return PlanVersion(plan_id, int(vid), number, status, author, now)

    @staticmethod
    def _replay(row: Mapping[str, Any], digest: str, token: str, plan_id: int | None = None) -> PlanVersion:
        if row["content_hash"] != digest or (plan_id is not None and row["plan_id"] != plan_id):
            raise ConflictError(
                f"client token {token!r} was already used for other content (plan {row['plan_id']}, version "
                f"{row['version']}); each form submission needs a new token.",
                code="store.token_used", params={"plan_id": row["plan_id"], "version": row["version"]})
        return PlanVersion(row["plan_id"], row["id"], row["version"], row["status"], row["author"],
                           row["created_at"], created=False)

    def _check_base(self, conn: Connection, plan_id: int, base: int | None, latest: Mapping[str, Any],
                    doing: str) -> None:
        """Raise :class:`ConflictError` when the plan moved past ``base`` (the version the change is based on)."""
        if base is None or base == latest["version"]:
            return
        if base > latest["version"]:
            raise ParameterError("base_version", base, f"a stored version of plan {plan_id} (the latest is "
                                                       f"{latest['version']})")
        raise ConflictError.changed(plan_id, base, doing, self._changes(conn, plan_id, base))

    def _start(self, conn: Connection, rep_id: str, plan_date: object, plan_id: int) -> None:
        """Record the start of the rep's plan for its date; the database refuses a second one."""
        key = start_key(plan_date)
        try:
            with conn.begin_nested():
                conn.execute(STARTS.insert().values(rep_id=rep_id, plan_date=key, plan_id=plan_id))
        except IntegrityError:
            rows = self._rows(conn, STARTS, (STARTS.c.rep_id == rep_id) & (STARTS.c.plan_date == key))
            if not rows:
                raise
            other = int(rows[0]["plan_id"])
            raise ConflictError.exists(rep_id, key, other, self._changes(conn, other, 0)) from None

    def create_plan(self, plan: Plan, *, author: str, client_token: str | None = None, note: str = "",
                    rep_ids: Any = None) -> PlanVersion:
        """Store a new plan as version 1 (status ``draft``); the plan is validated first.

        A rep's plan for a plan date is started once: when the rep already has a plan
        with this date (someone started it meanwhile), nothing is stored.

        Parameters
        ----------
        plan : Plan
        author : str
            Who saves it.
        client_token : str, optional
            Unique per form submission: a second submission with the same token and
            content returns the first version (``created=False``).
        rep_ids : sequence, optional
            Known reps, to reject an unknown ``rep_id``.

        Raises
        ------
        ConflictError
            The rep already has a plan with this date (``plan_id`` names it), or
            ``client_token`` was used for other content.
        """
        who, token = _author(author), _token(client_token)
        content = plan_to_dict(check_plan(plan, rep_ids=rep_ids))
        digest = content_hash(content)
        day = None if content["plan_date"] is None else _day(content["plan_date"], "plan_date")

        def work(conn: Connection) -> PlanVersion:
            old = self._by_token(conn, token)
            if old is not None:
                return self._replay(old, digest, token)
            pid = int(conn.execute(PLANS.insert().values(
                rep_id=content["rep_id"], plan_date=day, created_at=self._clock(), created_by=who,
            )).inserted_primary_key[0])
            version = self._insert_version(conn, pid, 1, "draft", content, who, token, note)
            self._start(conn, content["rep_id"], day, pid)
            return version

        return self._db.write(work)

    def save_version(self, plan_id: int, plan: Plan, *, author: str, base_version: int | None = None,
                     client_token: str | None = None, note: str = "", rep_ids: Any = None) -> PlanVersion:
        """Store edited content as the plan's next version.

        The new version is a ``draft`` (an agreed plan must be agreed again after an
        edit). An archived plan cannot change: start a new plan. ``base_version`` is the
        version the edit started from: when the plan has moved past it, nothing is stored.

        Raises
        ------
        ConflictError
            The plan has versions after ``base_version`` (``changes`` lists them), or
            ``client_token`` was used for other content.
        TransitionError
            The plan is archived.
        """
        who, token, plan_id, base = _author(author), _token(client_token), int(plan_id), _base(base_version)
        digest = content_hash(content := plan_to_dict(check_plan(plan, rep_ids=rep_ids)))

        def work(conn: Connection) -> PlanVersion:
            old = self._by_token(conn, token)
            if old is not None:
                return self._replay(old, digest, token, plan_id)
            latest = self._latest(conn, plan_id)
            self._check_base(conn, plan_id, base, latest, "save")
            if latest["status"] == "archived_by_hr":
                raise TransitionError(f"plan {plan_id} is archived by HR and cannot change; start a new plan (from "
                                      "next_plan_start_levels)", code="store.archived", params={"plan_id": plan_id})
            owner = conn.execute(sa.select(PLANS.c.rep_id).where(PLANS.c.id == plan_id)).scalar()
            if owner != content["rep_id"]:
                raise ParameterError("plan", content["rep_id"], f"a plan of rep {owner} (plan {plan_id} is his)")
            return self._insert_version(conn, plan_id, latest["version"] + 1, "draft", content, who, token, note)

        return self._db.write(work)

    def sign(self, plan_id: int, status: str, *, author: str, base_version: int | None = None,
             client_token: str | None = None, note: str = "") -> PlanVersion:
        """Move the plan to ``status`` (one step of :data:`TRANSITIONS`), as a new version.

        ``base_version`` is the version the signer saw: when the plan has moved past it,
        nothing is stored (nobody agrees to a version they have not seen).

        Raises
        ------
        ConflictError
            The plan has versions after ``base_version`` (``changes`` lists them).
        TransitionError
            The step is not allowed from the current status.

        Examples
        --------
        >>> import pandas as pd
        >>> from playbook.idp import Plan
        >>> with Store("sqlite://") as s:
        ...     v = s.create_plan(Plan("R1", plan_date=pd.Timestamp("2025-10-08")), author="hr")
        ...     s.sign(v.plan_id, "archived_by_hr", author="hr")
        Traceback (most recent call last):
        ...
        playbook.pipeline.store_db.TransitionError: plan 1 is draft: it can go to agreed_by_rep, not to archived_by_hr.
        """
        who, token, plan_id, base = _author(author), _token(client_token), int(plan_id), _base(base_version)
        if status not in STATUSES:
            raise ParameterError("status", status, "one of " + ", ".join(STATUSES))

        def work(conn: Connection) -> PlanVersion:
            old = self._by_token(conn, token)
            if old is not None:
                if old["plan_id"] != plan_id or old["status"] != status:
                    raise ConflictError(f"client token {token!r} was already used for another change (plan "
                                        f"{old['plan_id']}, version {old['version']}); send a new token.",
                                        code="store.token_used",
                                        params={"plan_id": old["plan_id"], "version": old["version"]})
                return self._replay(old, old["content_hash"], token)
            latest = self._latest(conn, plan_id, content=True)
            self._check_base(conn, plan_id, base, latest, "sign-off")
            allowed = TRANSITIONS[latest["status"]]
            if status not in allowed:
                nxt = ", ".join(allowed) or "nothing (it is final)"
                params = {"plan_id": plan_id, "status_label": f"idp.status.{latest['status']}",
                          "next_labels": [f"idp.status.{a}" for a in allowed], "asked_label": f"idp.status.{status}"}
                raise TransitionError(f"plan {plan_id} is {latest['status']}: it can go to {nxt}, not to {status}.",
                                      code="store.transition" if allowed else "store.final", params=params)
            content = json.loads(latest["content"])
            v = self._insert_version(conn, plan_id, latest["version"] + 1, status, content, who, token, note)
            conn.execute(SIGNOFFS.insert().values(plan_id=plan_id, version_id=v.version_id,
                                                  from_status=latest["status"], to_status=status, author=who,
                                                  created_at=v.created_at))
            return v

        return self._db.write(work)

    def record_review(self, plan_id: int, competency: str, level_reached: int, *, review_date: object,
                      author: str, client_token: str | None = None, note: str = "") -> int:
        """Record the level reached on a plan item at its review (PDCA: Check); return the row id.

        The plan must be agreed (:data:`REVIEWABLE`); the competency must be an item of
        its latest version; the level a whole number 1-5. A later record for the same
        item does not replace an earlier one: the latest counts.
        """
        who, token, plan_id = _author(author), _token(client_token), int(plan_id)
        level = pd.to_numeric(pd.Series([level_reached]), errors="coerce").iloc[0]
        if pd.isna(level) or level % 1 != 0 or not 1 <= level <= 5:
            raise ParameterError("level_reached", level_reached, "a whole level from 1 to 5")
        day = _day(review_date, "review_date")

        def work(conn: Connection) -> int:
            if token is not None:
                old = conn.execute(sa.select(REVIEWS.c.id, REVIEWS.c.plan_id, REVIEWS.c.competency,
                                             REVIEWS.c.level_reached, REVIEWS.c.review_date)
                                   .where(REVIEWS.c.client_token == token)).first()
                if old is not None:
                    same = (old.plan_id, old.competency, old.level_reached, old.review_date) == (
                        plan_id, str(competency), int(level), day)
                    if not same:
                        raise ConflictError(f"client token {token!r} was already used for another review "
                                            "record; send a new token.", code="store.review_token_used")
                    return int(old.id)
            latest = self._latest(conn, plan_id, content=True)
            if latest["status"] not in REVIEWABLE:
                raise TransitionError(f"plan {plan_id} is {latest['status']}: record reviews once the supervisor "
                                      "has agreed the plan.", code="store.review_not_agreed",
                                      params={"plan_id": plan_id, "status_label": f"idp.status.{latest['status']}"})
            items = [it["competency"] for it in json.loads(latest["content"])["items"]]
            if str(competency) not in items:
                raise ParameterError("competency", competency, "an item of the plan: " + ", ".join(items))
            return int(conn.execute(REVIEWS.insert().values(
                plan_id=plan_id, competency=str(competency), level_reached=int(level), review_date=day,
                author=who, created_at=self._clock(), client_token=token, note=note or "",
            )).inserted_primary_key[0])

        return self._db.write(work)


# --------------------------------------------------------------------------- PDCA
def next_plan_start_levels(store: Store, rep_id: str) -> pd.DataFrame:
    """Return the starting levels of the rep's next plan: the levels reached at the last review.

    Takes the rep's latest agreed plan (:data:`REVIEWABLE`; latest plan date, then
    latest created). For each of its items: the level recorded at the review
    (``source = "review"``, the latest record), else the plan's current level
    (``source = "plan"``: not reviewed yet). Pass the result to
    :func:`playbook.idp.draft_plan` as ``levels``.

    Returns
    -------
    DataFrame
        :data:`START_LEVEL_COLUMNS`; empty when the rep has no agreed plan.
    """
    frames = store.tables()
    plans, versions = frames["plans"], frames["versions"]
    mine = plans.loc[plans["rep_id"] == str(rep_id)]
    if mine.empty or versions.empty:
        return pd.DataFrame(columns=START_LEVEL_COLUMNS)
    latest = versions.sort_values("version").drop_duplicates("plan_id", keep="last")
    mine = mine.merge(latest[["plan_id", "id", "status"]].rename(columns={"id": "version_id"}),
                      left_on="id", right_on="plan_id")
    mine = mine.loc[mine["status"].isin(REVIEWABLE)]
    if mine.empty:
        return pd.DataFrame(columns=START_LEVEL_COLUMNS)
    mine = mine.assign(_d=pd.to_datetime(mine["plan_date"])).sort_values(["_d", "plan_id"], kind="stable")
    last = mine.iloc[-1]
    items = frames["items"].loc[frames["items"]["version_id"] == last["version_id"]].sort_values("position")
    reviews = frames["reviews"]
    reviews = reviews.loc[reviews["plan_id"] == last["plan_id"]].sort_values("id")
    reached = reviews.drop_duplicates("competency", keep="last").set_index("competency")["level_reached"]
    out = pd.DataFrame({
        "competency": items["competency"].astype("str").to_numpy(),
        "level": items["competency"].map(reached).fillna(items["current_level"]).astype("int64").to_numpy(),
        "source": items["competency"].isin(reached.index).map({True: "review", False: "plan"}).to_numpy(),
        "plan_id": int(last["plan_id"]),
        "plan_date": pd.Timestamp(last["plan_date"]) if last["plan_date"] is not None else pd.NaT,
        "target_level": items["target_level"].astype("Int64").to_numpy(),
        "review_date": pd.to_datetime(items["review_date"]).to_numpy(),
    })
    return out[START_LEVEL_COLUMNS]
