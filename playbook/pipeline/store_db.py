"""The IDP store's database: where it is, opening it, read-only stores, and errors that name their cause.

:class:`Database` opens a store URL (a SQLite file, or a PostgreSQL database through
psycopg) for :class:`playbook.pipeline.store.Store`: it checks that the database is an
IDP store, creates or upgrades it when it may be written (the Alembic migrations of
:mod:`playbook.pipeline.migrations`, in one transaction: an upgrade that fails leaves the
store as it was), and runs read and write transactions. Every database failure becomes a
:class:`StoreError` that says what is wrong (coded, so that
:func:`playbook.present.messages.message` words it in English or Chinese):

- **read-only** (:class:`ReadOnlyStoreError`): the file, its folder or the file system
  is read-only, or the SQLite URL says ``mode=ro``. The store is then opened read-only:
  reading works; a change is refused with a message saying so.
- **corrupt** (:class:`CorruptStoreError`): the file is not a database, is damaged, or
  is another program's database. It is left untouched.
- **busy, unable to open, disk full**: said as such, with what to check.
- **PostgreSQL**: a server that cannot be reached (within ``connect_timeout``, 10 s by
  default), a missing driver, a user who may not create the tables (a new store) or may
  not upgrade them (an old-schema store, then opened read-only as it is) or may not
  write them (read-only): each said as such.

Examples
--------
>>> db = Database("sqlite://")
>>> db.read_only, db.schema, db.where()
('', '2', 'the in-memory IDP store')
>>> db.close()
"""

from __future__ import annotations

import os
import sqlite3
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from playbook.core import resources
from playbook.core.errors import PlaybookError
from playbook.core.labels import t
from playbook.pipeline import migrations
from playbook.pipeline.store_schema import META, METADATA, SCHEMA_VERSION, decode_text

__all__ = [
    "DEFAULT_PATH",
    "ENV_URL",
    "StoreError",
    "TransitionError",
    "ConflictError",
    "CorruptStoreError",
    "ReadOnlyStoreError",
    "PlanVersion",
    "default_url",
    "exists",
    "Database",
]

DEFAULT_PATH = resources.state_dir() / "idp.sqlite"  # var/ of a checkout; see playbook.core.resources
ENV_URL = "PLAYBOOK_STORE_URL"
_RETRIES = 20
_CONNECT_TIMEOUT = 10
_LOCK = 7_402_611_517  # PostgreSQL advisory lock held while a store is created or upgraded
_NO_PRIVILEGE = "42501"  # PostgreSQL: insufficient_privilege


@dataclass(frozen=True)
class PlanVersion:
    """One stored version: ids, number, status, author and time; ``created`` is False on a replay."""

    plan_id: int
    version_id: int
    version: int
    status: str
    author: str
    created_at: datetime
    created: bool = True


class StoreError(PlaybookError):
    """The IDP store cannot do what was asked; the message says why and what to do.

    Like every :class:`~playbook.core.errors.PlaybookError` it carries a ``code``
    (``store.*``, worded from the label ``message.store.*``) and its ``params``;
    :func:`playbook.present.messages.message` gives it in the user's language. A param
    may be another store error (a reason, a fix): it is worded in the same language.
    """

    @classmethod
    def said(cls, code: str, **params: Any) -> StoreError:
        """Return the error coded ``code`` with ``params`` (the English wording as its text).

        Examples
        --------
        >>> err = StoreError.said("store.newer_schema", where="idp.sqlite", have="3", want="2")
        >>> print(str(err).split(". ")[0])
        idp.sqlite: the IDP store has schema 3; this kit reads schemas 1 to 2
        >>> from playbook.present.messages import message
        >>> print(message(err, "zh").split("。")[0])
        idp.sqlite：该 IDP 存储的结构版本为 3；本工具只能读取 1 到 2 版
        """
        plain = {k: (v.strerror or v) if isinstance(v, OSError) else v for k, v in params.items()}
        return cls(t(f"message.{code}", "en", **plain), code=code, params=params)


class TransitionError(StoreError, ValueError):
    """A sign-off step that the workflow does not allow."""


class ConflictError(StoreError, ValueError):
    """The change rests on something that is no longer so; nothing was stored.

    A save or sign-off based on a version the plan has moved past (``plan_id``,
    ``base_version``, and in ``changes`` the versions stored since: number, status,
    author, time); a plan started for a rep and plan date that already has one
    (``plan_id``: that plan, ``changes``: its versions); or a client token reused for
    other content (``changes`` empty).
    """

    def __init__(self, message: str, *, plan_id: int | None = None, base_version: int | None = None,
                 changes: tuple[PlanVersion, ...] = (), code: str | None = None,
                 params: dict[str, Any] | None = None) -> None:
        super().__init__(message, code=code, params=params)
        self.plan_id = plan_id
        self.base_version = base_version
        self.changes = tuple(changes)

    @classmethod
    def changed(cls, plan_id: int, base: int, doing: str, changes: tuple[PlanVersion, ...]) -> ConflictError:
        """Return the error of a ``doing`` ("save", "sign-off") based on version ``base``, past which the plan moved."""
        listed = "; ".join(f"version {c.version} ({c.status}) by {c.author} at {_when(c.created_at)}"
                           for c in changes)
        return cls(
            f"plan {plan_id} changed since version {base}, which this {doing} is based on: {listed}. Nothing was "
            "stored: reload the plan, then make the change again on the latest version.",
            plan_id=plan_id, base_version=base, changes=changes, code="store.changed",
            params={"plan_id": plan_id, "base_version": base, "doing_label": f"message.store.doing.{doing}",
                    "changes_items": [_change_item(c) for c in changes]})

    @classmethod
    def exists(cls, rep_id: str, key: str, other: int, changes: tuple[PlanVersion, ...]) -> ConflictError:
        """Return the error of a second plan for ``rep_id`` and plan date ``key`` ("" = none): ``other`` has it."""
        dated = f"dated {key}" if key else "without a date"
        started = (f", started by {changes[0].author} at {_when(changes[0].created_at)}, now at version "
                   f"{changes[-1].version} ({changes[-1].status})") if changes else ""
        params = {"rep_id": rep_id, "plan_date": key, "other": other}
        if changes:
            params |= _change_item(changes[0]) | {"version": changes[-1].version,
                                                  "status_label": f"idp.status.{changes[-1].status}"}
            params.pop("key")
        return cls(
            f"rep {rep_id} already has a plan {dated}: plan {other}{started}. Nothing was stored: open that "
            "plan and edit it (a plan with another date is a new plan).",
            plan_id=other, changes=changes, params=params,
            code=None if not changes else "store.plan_exists" if key else "store.plan_exists_undated")


def _when(moment: datetime) -> str:
    """Return a stored moment as the developer's text shows it (UTC); people see the team's zone."""
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def _change_item(change: PlanVersion) -> dict[str, Any]:
    """One stored version as the params of ``message.store.change`` (its time shown in the team's zone)."""
    return {"key": "message.store.change", "version": change.version, "status_label": f"idp.status.{change.status}",
            "author": change.author, "at_time": change.created_at}


class CorruptStoreError(StoreError):
    """The file, or one stored row (``plan_id``, ``version``), cannot be read; it was left untouched."""

    def __init__(self, message: str, *, plan_id: int | None = None, version: int | None = None) -> None:
        super().__init__(message)
        self.plan_id = plan_id
        self.version = version


class ReadOnlyStoreError(StoreError):
    """The store may be read but not written (read-only file, folder, file system or URL; a database user)."""


def default_url() -> str:
    """Return the store URL: ``$PLAYBOOK_STORE_URL`` if set, else the SQLite file ``var/idp.sqlite``.

    Examples
    --------
    >>> default_url().startswith("sqlite:///") or "PLAYBOOK_STORE_URL" in os.environ
    True
    """
    return os.environ.get(ENV_URL) or f"sqlite:///{DEFAULT_PATH}"


def exists(url: str | Path | None = None) -> bool:
    """Return False when ``url`` is a SQLite file that does not exist yet, i.e. nothing was ever stored.

    A reader checks this first, so that only reading never creates a store (opening
    one creates it). Other databases and memory count as existing.

    Examples
    --------
    >>> exists("sqlite://"), exists("/nowhere/idp.sqlite"), exists("postgresql+psycopg://h/db")
    (True, False, True)
    """
    parsed = sa.engine.make_url(_url(url))
    if parsed.get_backend_name() != "sqlite":
        return True
    file = _sqlite_file(parsed)
    return file is None or file.exists()


def _url(url: str | Path | None) -> str:
    if url is None or (isinstance(url, str) and not url.strip()):
        return default_url()
    text = str(url)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def _sqlite_file(url: URL) -> Path | None:
    """Return the file of a SQLite URL (None in memory); ``file:`` URIs (``?uri=true``) included."""
    db = url.database or ""
    if str(url.query.get("uri", "")).lower() in ("true", "1") and db.startswith("file:"):
        db = urllib.parse.unquote(db[5:].split("?", 1)[0])
        db = db[2:] if db.startswith("//") else db
        if str(url.query.get("mode", "")) == "memory":
            return None
    return None if db in ("", ":memory:") else Path(db)


def _writable(path: Path) -> bool:
    """Return True when the OS lets the app write ``path`` (a read-only mount says no even to root)."""
    return os.access(path, os.W_OK | (os.X_OK if path.is_dir() else 0))


class Database:
    """An opened IDP store database (see the module docstring); :meth:`close` releases it.

    Parameters
    ----------
    url : str or Path, optional
        A SQLAlchemy URL, a SQLite file path, or ``"sqlite://"`` for memory;
        ``sqlite:///file:PATH?mode=ro&uri=true`` opens a file read-only;
        ``postgresql://USER:PASSWORD@HOST/DB`` a PostgreSQL database (driver psycopg).
        Default :func:`default_url`.

    Attributes
    ----------
    read_only : str
        Empty when the store can be written, else why not.
    schema : str
        The schema of the store (a writable one is upgraded on opening).
    upgraded_from : str
        The schema the store had before this opening upgraded it ("" when it did not).
    """

    def __init__(self, url: str | Path | None = None) -> None:
        self.url = _url(url)
        parsed = sa.engine.make_url(self.url)
        if parsed.drivername == "postgresql":  # psycopg (v3) is the kit's driver ([postgres] extra)
            parsed = parsed.set(drivername="postgresql+psycopg")
            self.url = parsed.render_as_string(hide_password=False)
        self.sqlite = parsed.get_backend_name() == "sqlite"
        self.postgres = parsed.get_backend_name() == "postgresql"
        self.file = _sqlite_file(parsed) if self.sqlite else None
        self._ro_url = str(parsed.query.get("mode", "")) == "ro" or str(parsed.query.get("immutable", "")) == "1"
        self._read_only_said = self._read_only_reason()  # why the store is read-only, as a label
        self.read_only = str(self._read_only_said or "")
        self._read_only_fix = ""  # the label of what to do, when it is not the backend's usual one
        self.schema = SCHEMA_VERSION
        self.upgraded_from = ""
        if self.file is not None and not self.read_only and not self.file.parent.exists():
            try:
                self.file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError.said("store.cannot_create_folder", file=self.file, folder=self.file.parent,
                                      reason=exc) from None
        self.engine: Engine = self._engine()
        self._open()

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def where(self) -> str:
        """Name the store in messages: its file, or its URL without the password."""
        if self.sqlite:
            return str(self.file) if self.file is not None else "the in-memory IDP store"
        return sa.engine.make_url(self.url).render_as_string(hide_password=True)

    # ----------------------------------------------------------------- opening
    def _read_only_reason(self) -> StoreError | None:
        file = self.file
        if file is None:
            return None
        if self._ro_url:
            return StoreError.said("store.ro.url")
        if file.exists() and not _writable(file):
            return StoreError.said("store.ro.file", path=file)
        if file.parent.exists() and not _writable(file.parent):
            return StoreError.said("store.ro.folder", path=file.parent)
        return None

    def _engine(self) -> Engine:
        kwargs: dict[str, Any] = {}
        url: str | URL = self.url
        if self.sqlite and self.file is None:
            kwargs["poolclass"] = sa.pool.StaticPool  # one shared in-memory database
            kwargs["connect_args"] = {"check_same_thread": False}
        elif self.sqlite and self.read_only and not self._ro_url:  # the OS refuses writes: open it read-only
            # without a writable folder SQLite cannot make the WAL index: the file is read as immutable
            target = f"file:{urllib.parse.quote(str(self.file))}?mode=ro"
            target += "" if _writable(self.file.parent) else "&immutable=1"
            kwargs["creator"] = lambda: sqlite3.connect(target, uri=True, timeout=60, check_same_thread=False)
            url = URL.create("sqlite", database=str(self.file))
        elif self.sqlite:
            kwargs["connect_args"] = {"timeout": 60, "check_same_thread": False}
        elif self.postgres and "connect_timeout" not in sa.engine.make_url(self.url).query:
            kwargs["connect_args"] = {"connect_timeout": _CONNECT_TIMEOUT}  # an unreachable host: seconds, not minutes
        try:
            engine = sa.create_engine(url, **kwargs)
        except (ImportError, sa.exc.NoSuchModuleError) as exc:
            raise StoreError.said("store.no_driver", where=self.where(), cause=str(exc),
                                  backend=sa.engine.make_url(self.url).get_backend_name()) from None
        if self.sqlite:
            sa.event.listen(engine, "connect", _sqlite_connect)
            sa.event.listen(engine, "begin", _sqlite_begin)
        return engine

    def _open(self) -> None:
        if self.file is not None and self.read_only and not self.file.exists():
            raise StoreError.said("store.none_creatable", where=self.file, reason=self._read_only_said)
        try:
            if not self.sqlite:
                self._connect()
            with self.transaction(write=not self.read_only) as conn:
                self._check(conn)
            if self.sqlite and not self.read_only:  # only once the file is known to be ours: WAL is kept in it
                raw = self.engine.raw_connection()
                try:
                    raw.cursor().execute("PRAGMA journal_mode = WAL")
                finally:
                    raw.close()
        except _MayNotUpgrade as refused:
            self.engine.dispose()
            self._read_only_said, self._read_only_fix = refused.said, "store.fix.upgrade"
            self.read_only = str(refused.said)
            self._open()
        except StoreError:
            self.engine.dispose()
            raise
        except DBAPIError as exc:
            self.engine.dispose()
            error = self.explain(exc)
            if isinstance(error, ReadOnlyStoreError) and self.file is not None and not self.read_only:
                # the permission check said yes, the database said no: open it read-only
                self._read_only_said = StoreError.said("store.ro.refused", cause=str(getattr(exc, "orig", exc)))
                self.read_only = str(self._read_only_said)
                self.engine = self._engine()
                self._open()
                return
            raise error from None

    def _connect(self) -> None:
        """Reach the database server, or say why not (a server database: host, port, user, password)."""
        try:
            self.engine.connect().close()
        except DBAPIError as exc:
            raise StoreError.said("store.cannot_connect", where=self.where(), cause=_cause(exc)) from None

    def _check(self, conn: Connection) -> None:
        """Check that the database is an IDP store (create or upgrade it when it may be written)."""
        if self.sqlite:
            check = conn.exec_driver_sql("PRAGMA quick_check").scalar()
            if check != "ok":
                raise CorruptStoreError(
                    f"{self.where()}: the database is damaged (SQLite quick_check: {check}). The file "
                    "was left untouched: restore it from a backup, or set another store path.")
        elif self.postgres and not self.read_only:  # one creator or upgrader at a time; the others wait
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK)))
        names = set(sa.inspect(conn).get_table_names())
        ours = {t.name for t in METADATA.tables.values()}
        if names & ours and META.name not in names:
            raise CorruptStoreError(
                f"{self.where()}: this database has tables named like the IDP store's "
                f"({', '.join(sorted(names & ours))}) but is not an IDP store. It was left untouched: "
                "choose another store path.")
        if self.read_only and META.name not in names:
            raise StoreError.said("store.none_creatable", where=self.where(), reason=self._read_only_said)
        have = (conn.execute(sa.select(META.c.value).where(META.c.key == "schema")).scalar()
                if META.name in names else None)
        if have is not None and migrations.revision_of(have) is None:
            raise StoreError.said("store.newer_schema", where=self.where(), have=have, want=SCHEMA_VERSION)
        self.schema = have or SCHEMA_VERSION
        if not self.read_only and (have != SCHEMA_VERSION or migrations.VERSION_TABLE not in names):
            self._upgrade(conn, have)  # a new store, an old schema, or a store made before migrations

    def _upgrade(self, conn: Connection, have: str | None) -> None:
        """Create the store (``have`` None) or upgrade it from schema ``have``, in ``conn``'s transaction."""
        try:
            with conn.begin_nested():  # a refusal rolls back to here; the transaction goes on
                self.schema = migrations.schema_of(migrations.upgrade(conn, have))
        except DBAPIError as exc:
            cause = _cause(exc)
            if getattr(getattr(exc, "orig", None), "sqlstate", None) == _NO_PRIVILEGE:
                if have == SCHEMA_VERSION:  # only the version table is missing: the store works as it is
                    return
                if have is None:
                    raise StoreError.said("store.no_create", where=self.where(), cause=cause) from None
                raise _MayNotUpgrade(StoreError.said("store.no_upgrade", have=have, want=SCHEMA_VERSION,
                                                     cause=cause)) from None
            if have is None or isinstance(self.explain(exc), ReadOnlyStoreError):
                raise
            raise StoreError.said("store.upgrade_failed", where=self.where(), have=have, want=SCHEMA_VERSION,
                                  cause=cause) from None
        self.upgraded_from = have if have is not None and have != self.schema else ""

    # ----------------------------------------------------------------- errors
    def explain(self, exc: DBAPIError) -> StoreError:
        """Return the store error that names the cause of a database error."""
        cause = getattr(exc, "orig", exc)
        text, where = str(cause).lower(), self.where()
        if getattr(cause, "sqlstate", None) == _NO_PRIVILEGE:
            reason = StoreError.said("store.no_write", cause=_cause(exc))
            return ReadOnlyStoreError.said("store.read_only", where=where, reason=reason,
                                           fix=StoreError.said("store.fix.grant"))
        if "readonly" in text or "read-only" in text:
            return self.read_only_error(f"the database refused to write: {cause}")
        if "locked" in text or "busy" in text:
            return StoreError(f"{where}: the database stayed busy (another program is writing it); "
                              "try again in a moment.")
        if "not a database" in text or "malformed" in text or "corrupt" in text:
            return CorruptStoreError(
                f"{where}: cannot be read as an IDP store ({cause}). The file was left untouched: "
                "restore it from a backup, or set another store path (PLAYBOOK_STORE_URL).")
        if "unable to open" in text:
            return StoreError(f"{where}: the store file cannot be opened ({cause}): {self._open_problem()}")
        if "disk i/o" in text or "disk is full" in text:
            return StoreError(f"{where}: the disk refused ({cause}); check the drive and its free space. "
                              "The file was left as it was.")
        if not self.sqlite and isinstance(exc, OperationalError) and exc.connection_invalidated:
            return StoreError.said("store.cannot_connect", where=where, cause=_cause(exc))
        return StoreError(f"{where}: the database refused the request ({cause}).")

    def _open_problem(self) -> str:
        file = self.file
        if file is None:
            return "check the store URL."
        if not file.parent.exists():
            return f"the folder {file.parent} does not exist."
        if not file.exists():
            return "there is no file there."
        if not os.access(file, os.R_OK):
            return "the app may not read it (permissions)."
        return "check that the app may read the file and write its folder."

    def read_only_message(self, reason: str | StoreError) -> str:
        """Return the message of a change refused by a read-only store: why, that reading works, what to do."""
        return str(self.read_only_error(reason))

    def read_only_error(self, reason: str | StoreError) -> ReadOnlyStoreError:
        """Return the error of a change refused by a read-only store (:meth:`read_only_message`)."""
        fix = self._read_only_fix or (
            "store.fix.ro_url" if self._ro_url else "store.fix.file" if self.sqlite else "store.fix.grant")
        return ReadOnlyStoreError.said("store.read_only", where=self.where(), reason=reason,
                                       fix=StoreError.said(fix))

    # ----------------------------------------------------------------- transactions
    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[Connection]:
        """Open a transaction; on SQLite a write one takes the database lock first (``BEGIN IMMEDIATE``)."""
        with self.engine.connect() as conn:
            conn.execution_options(playbook_write=write)
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """Open a read transaction; a database failure becomes a :class:`StoreError` naming its cause."""
        try:
            with self.transaction() as conn:
                yield conn
        except DBAPIError as exc:
            raise self.explain(exc) from None

    def write(self, work: Callable[[Connection], Any]) -> Any:
        """Run ``work`` in a write transaction; retry on a concurrent clash or a busy database."""
        if self.read_only:
            raise self.read_only_error(self._read_only_said or self.read_only)
        delay = 0.01
        for attempt in range(_RETRIES):
            try:
                with self.transaction(write=True) as conn:
                    return work(conn)
            except IntegrityError as exc:
                if attempt == _RETRIES - 1:
                    raise StoreError(f"{self.where()}: could not save after {_RETRIES} attempts "
                                     f"({exc.orig}). Try again.") from None
            except OperationalError as exc:
                if "locked" not in str(exc).lower() and "busy" not in str(exc).lower():
                    raise self.explain(exc) from None
                if attempt == _RETRIES - 1:
                    raise StoreError(f"{self.where()}: the database stayed busy; try again in a moment.") from None
            except DBAPIError as exc:
                raise self.explain(exc) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        raise StoreError("unreachable")  # pragma: no cover


class _MayNotUpgrade(Exception):
    """The store has an old schema and the database user may not upgrade it: open it read-only."""

    def __init__(self, said: StoreError) -> None:
        super().__init__(str(said))
        self.said = said


def _cause(exc: BaseException) -> str:
    """Return the first line of a database error's own message (without SQLAlchemy's statement and link)."""
    cause = getattr(exc, "orig", exc)
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0]


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # let SQLAlchemy's "begin" event emit BEGIN (pysqlite's own BEGIN is off); bad bytes become a marked text
    dbapi_connection.isolation_level = None
    dbapi_connection.text_factory = decode_text
    cur = dbapi_connection.cursor()
    try:
        cur.execute("PRAGMA busy_timeout = 60000")
        cur.execute("PRAGMA foreign_keys = ON")
    finally:
        cur.close()


def _sqlite_begin(conn: Connection) -> None:
    # a write takes the database lock first (BEGIN IMMEDIATE): concurrent writers queue instead of failing
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("playbook_write") else "BEGIN")
