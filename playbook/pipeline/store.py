"""Where IDPs live: plans, versions, sign-offs and review outcomes (SQLAlchemy 2).

A SQLite file by default (``var/idp.sqlite``, in WAL mode), any SQLAlchemy URL
(PostgreSQL …) by setting ``PLAYBOOK_STORE_URL`` or passing ``url``.

Rules the store keeps
---------------------
- **Nothing is overwritten, nothing is deleted.** Every change (new content, a
  sign-off) is a new row of ``plan_versions`` with its author, time (UTC) and status,
  the full content as JSON, and a copy of the plan table in ``items``. The store issues
  only INSERT statements.
- **Sign-off** runs ``draft -> agreed_by_rep -> agreed_by_supervisor ->
  archived_by_hr`` (:data:`TRANSITIONS`); any other step raises
  :class:`TransitionError`. Saving new content on an agreed plan starts a new
  draft (it has to be agreed again); an archived plan is read-only.
- **Idempotent save.** A form sends a *client token* (any unique text) with each
  submission. The same token with the same content returns the version stored the
  first time; the same token with other content is a :class:`ConflictError`.
- **Concurrent saves** (threads or processes) each get their own version number: on
  SQLite a write takes the database lock first (``BEGIN IMMEDIATE``); elsewhere a
  clash on the unique (plan, version) pair is retried.
- **PDCA.** At a review date the manager records the level reached
  (:meth:`Store.record_review`); :func:`next_plan_start_levels` gives the next plan's
  starting levels (pass them to :func:`playbook.idp.draft_plan` as ``levels``).
- A file that is not a readable IDP store raises :class:`CorruptStoreError` and is
  left untouched.

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
...     _ = store.sign(v1.plan_id, "agreed_by_rep", author="Ann")
...     _ = store.sign(v1.plan_id, "agreed_by_supervisor", author="manager")
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
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError

from playbook.core import paths
from playbook.core.dates import parse_date
from playbook.core.errors import ParameterError, PlaybookError
from playbook.idp import PLAN_ITEM_COLUMNS, Plan, plan_from_dict, plan_to_dict
from playbook.present.excel import write_workbook
from playbook.present.idp import check_plan

__all__ = [
    "STATUSES",
    "TRANSITIONS",
    "REVIEWABLE",
    "DEFAULT_PATH",
    "ENV_URL",
    "START_LEVEL_COLUMNS",
    "EXPORT_SHEETS",
    "StoreError",
    "TransitionError",
    "ConflictError",
    "CorruptStoreError",
    "PlanVersion",
    "default_url",
    "content_hash",
    "Store",
    "next_plan_start_levels",
    "export_frames",
    "write_excel",
    "export_excel",
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
DEFAULT_PATH = paths.ROOT / "var" / "idp.sqlite"
ENV_URL = "PLAYBOOK_STORE_URL"
START_LEVEL_COLUMNS = ["competency", "level", "source", "plan_id", "plan_date", "target_level", "review_date"]
EXPORT_SHEETS = ("plans", "items", "versions", "signoffs", "reviews")
_SCHEMA_VERSION = "1"
_RETRIES = 20


class StoreError(PlaybookError):
    """The IDP store cannot do what was asked; the message says why and what to do."""


class TransitionError(StoreError, ValueError):
    """A sign-off step that the workflow does not allow."""


class ConflictError(StoreError, ValueError):
    """A client token reused for different content (a form must send a new token per submission)."""


class CorruptStoreError(StoreError):
    """The database file cannot be read as an IDP store; it was left untouched."""


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


# --------------------------------------------------------------------------- schema
_META = sa.MetaData()
_T_META = sa.Table("idp_store_meta", _META, sa.Column("key", sa.String(64), primary_key=True),
                   sa.Column("value", sa.String(200), nullable=False))
_T_PLANS = sa.Table(
    "plans", _META,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("rep_id", sa.String(100), nullable=False, index=True),
    sa.Column("plan_date", sa.Date, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
)
_T_VERSIONS = sa.Table(
    "plan_versions", _META,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=False, index=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("client_token", sa.String(200), nullable=True, unique=True),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.UniqueConstraint("plan_id", "version", name="uq_plan_version"),
)
_T_ITEMS = sa.Table(
    "items", _META,
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
_T_SIGNOFFS = sa.Table(
    "signoffs", _META,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=False, index=True),
    sa.Column("version_id", sa.Integer, sa.ForeignKey("plan_versions.id"), nullable=False),
    sa.Column("from_status", sa.String(32), nullable=False),
    sa.Column("to_status", sa.String(32), nullable=False),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)
_T_REVIEWS = sa.Table(
    "reviews", _META,
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
_TABLES = {"plans": _T_PLANS, "versions": _T_VERSIONS, "items": _T_ITEMS, "signoffs": _T_SIGNOFFS,
           "reviews": _T_REVIEWS}


def default_url() -> str:
    """Return the store URL: ``$PLAYBOOK_STORE_URL`` if set, else the SQLite file ``var/idp.sqlite``.

    Examples
    --------
    >>> default_url().startswith("sqlite:///") or "PLAYBOOK_STORE_URL" in os.environ
    True
    """
    return os.environ.get(ENV_URL) or f"sqlite:///{DEFAULT_PATH}"


def _url(url: str | Path | None) -> str:
    if url is None or (isinstance(url, str) and not url.strip()):
        return default_url()
    text = str(url)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


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


def _day(value: object, name: str):
    return parse_date(value, name).date()


class Store:
    """The IDP store (SQLAlchemy engine); use as a context manager or call :meth:`close`.

    Parameters
    ----------
    url : str or Path, optional
        A SQLAlchemy URL (``postgresql+psycopg://…``), a SQLite file path, or
        ``"sqlite://"`` for memory. Default :func:`default_url`.
    clock : callable, optional
        Returns the current UTC time (naive ``datetime``); for tests.

    Raises
    ------
    CorruptStoreError
        The file is not a readable IDP store (it is not modified).
    """

    def __init__(self, url: str | Path | None = None, *, clock: Callable[[], datetime] | None = None) -> None:
        self.url = _url(url)
        self._clock = clock or _utcnow
        self._sqlite = self.url.startswith("sqlite")
        if self._sqlite and self.url not in ("sqlite://", "sqlite:///:memory:"):
            Path(self.url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, Any] = {}
        if self._sqlite and self.url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = sa.pool.StaticPool  # one shared in-memory database
            kwargs["connect_args"] = {"check_same_thread": False}
        elif self._sqlite:
            kwargs["connect_args"] = {"timeout": 60, "check_same_thread": False}
        self.engine: Engine = sa.create_engine(self.url, **kwargs)
        if self._sqlite:
            sa.event.listen(self.engine, "connect", _sqlite_connect)
            sa.event.listen(self.engine, "begin", _sqlite_begin)
        self._open()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    # ----------------------------------------------------------------- opening
    def _where(self) -> str:
        return self.url.split("///", 1)[1] if self._sqlite and "///" in self.url else self.url

    def _open(self) -> None:
        try:
            with self._transaction() as conn:
                if self._sqlite:
                    check = conn.exec_driver_sql("PRAGMA quick_check").scalar()
                    if check != "ok":
                        raise CorruptStoreError(
                            f"{self._where()}: the database is damaged (SQLite quick_check: {check}). The file "
                            "was left untouched: restore it from a backup, or set another store path.")
                names = set(sa.inspect(conn).get_table_names())
                ours = {t.name for t in _META.tables.values()}
                if names & ours and "idp_store_meta" not in names:
                    raise CorruptStoreError(
                        f"{self._where()}: this database has tables named like the IDP store's "
                        f"({', '.join(sorted(names & ours))}) but is not an IDP store. It was left untouched: "
                        "choose another store path.")
                _META.create_all(conn)
                have = conn.execute(sa.select(_T_META.c.value).where(_T_META.c.key == "schema")).scalar()
                if have is None:
                    conn.execute(_T_META.insert().values(key="schema", value=_SCHEMA_VERSION))
                elif have != _SCHEMA_VERSION:
                    raise CorruptStoreError(f"{self._where()}: IDP store schema {have}; this kit reads "
                                            f"schema {_SCHEMA_VERSION}. Upgrade the kit.")
            if self._sqlite:  # only once the file is known to be ours: WAL mode is kept in the file
                raw = self.engine.raw_connection()
                try:
                    raw.cursor().execute("PRAGMA journal_mode = WAL")
                finally:
                    raw.close()
        except CorruptStoreError:
            self.engine.dispose()
            raise
        except DatabaseError as exc:
            self.engine.dispose()
            cause = getattr(exc, "orig", exc)
            raise CorruptStoreError(
                f"{self._where()}: cannot be read as an IDP store ({cause}). The file was left untouched: "
                "restore it from a backup, or set another store path (PLAYBOOK_STORE_URL).") from None

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    def _write(self, work: Callable[[Connection], PlanVersion | int]) -> Any:
        """Run ``work`` in a write transaction; retry on a concurrent clash or a busy database."""
        delay = 0.01
        for attempt in range(_RETRIES):
            try:
                with self._transaction() as conn:
                    return work(conn)
            except IntegrityError as exc:
                if attempt == _RETRIES - 1:
                    raise StoreError(f"{self._where()}: could not save after {_RETRIES} attempts "
                                     f"({exc.orig}). Try again.") from None
            except OperationalError as exc:
                if "locked" not in str(exc).lower() and "busy" not in str(exc).lower():
                    raise StoreError(f"{self._where()}: the database refused the change ({exc.orig}).") from None
                if attempt == _RETRIES - 1:
                    raise StoreError(f"{self._where()}: the database stayed busy; try again in a moment.") from None
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        raise StoreError("unreachable")  # pragma: no cover

    # ----------------------------------------------------------------- reading
    def _latest(self, conn: Connection, plan_id: int) -> sa.Row:
        row = conn.execute(
            sa.select(_T_VERSIONS).where(_T_VERSIONS.c.plan_id == plan_id)
            .order_by(_T_VERSIONS.c.version.desc()).limit(1)
        ).first()
        if row is None:
            raise ParameterError("plan_id", plan_id, "the id of a stored plan (see Store.plans())")
        return row

    def _by_token(self, conn: Connection, token: str | None) -> sa.Row | None:
        if token is None:
            return None
        return conn.execute(sa.select(_T_VERSIONS).where(_T_VERSIONS.c.client_token == token)).first()

    def status(self, plan_id: int) -> str:
        """Return the plan's current status (that of its latest version)."""
        with self._transaction() as conn:
            return str(self._latest(conn, int(plan_id)).status)

    def plan(self, plan_id: int, version: int | None = None) -> Plan:
        """Return the plan's content at ``version`` (default: the latest)."""
        with self._transaction() as conn:
            if version is None:
                row = self._latest(conn, int(plan_id))
            else:
                row = conn.execute(sa.select(_T_VERSIONS).where(
                    (_T_VERSIONS.c.plan_id == int(plan_id)) & (_T_VERSIONS.c.version == int(version)))).first()
                if row is None:
                    raise ParameterError("version", version, f"a version of plan {plan_id} (see Store.history())")
        return plan_from_dict(json.loads(row.content))

    def history(self, plan_id: int) -> pd.DataFrame:
        """Return every version of the plan: ``version, status, author, created_at, content_hash, note``."""
        with self._transaction() as conn:
            self._latest(conn, int(plan_id))
            rows = conn.execute(
                sa.select(_T_VERSIONS.c.version, _T_VERSIONS.c.status, _T_VERSIONS.c.author,
                          _T_VERSIONS.c.created_at, _T_VERSIONS.c.content_hash, _T_VERSIONS.c.note)
                .where(_T_VERSIONS.c.plan_id == int(plan_id)).order_by(_T_VERSIONS.c.version)
            ).all()
        return pd.DataFrame(rows, columns=["version", "status", "author", "created_at", "content_hash", "note"])

    def table(self, name: str) -> pd.DataFrame:
        """Return one raw table (``plans, versions, items, signoffs, reviews``) as a frame."""
        if name not in _TABLES:
            raise ParameterError("name", name, "one of " + ", ".join(_TABLES))
        tbl = _TABLES[name]
        with self._transaction() as conn:
            rows = conn.execute(sa.select(tbl).order_by(tbl.c.id)).all()
        return pd.DataFrame(rows, columns=[c.name for c in tbl.columns])

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return all raw tables (for :func:`export_frames`)."""
        return {name: self.table(name) for name in _TABLES}

    def plans(self, rep_id: str | None = None) -> pd.DataFrame:
        """Return one row per plan with its latest version: ``plan_id, rep_id, plan_date, version, status, ...``."""
        frames = export_frames(self.tables())
        out = frames["plans"]
        return out if rep_id is None else out.loc[out["rep_id"] == str(rep_id)].reset_index(drop=True)

    # ----------------------------------------------------------------- writing
    def _insert_version(self, conn: Connection, plan_id: int, number: int, status: str, content: dict,
                        author: str, token: str | None, note: str) -> PlanVersion:
        now = self._clock()
        vid = conn.execute(_T_VERSIONS.insert().values(
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
            conn.execute(_T_ITEMS.insert(), rows)
        return PlanVersion(plan_id, int(vid), number, status, author, now)

    @staticmethod
    def _replay(row: sa.Row, digest: str, token: str, plan_id: int | None = None) -> PlanVersion:
        if row.content_hash != digest or (plan_id is not None and row.plan_id != plan_id):
            raise ConflictError(
                f"client token {token!r} was already used for other content (plan {row.plan_id}, version "
                f"{row.version}); each form submission needs a new token.")
        return PlanVersion(row.plan_id, row.id, row.version, row.status, row.author, row.created_at, created=False)

    def create_plan(self, plan: Plan, *, author: str, client_token: str | None = None, note: str = "",
                    rep_ids: Any = None) -> PlanVersion:
        """Store a new plan as version 1 (status ``draft``); the plan is validated first.

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
        """
        who, token = _author(author), _token(client_token)
        content = plan_to_dict(check_plan(plan, rep_ids=rep_ids))
        digest = content_hash(content)

        def work(conn: Connection) -> PlanVersion:
            old = self._by_token(conn, token)
            if old is not None:
                return self._replay(old, digest, token)
            pid = conn.execute(_T_PLANS.insert().values(
                rep_id=content["rep_id"],
                plan_date=None if content["plan_date"] is None else _day(content["plan_date"], "plan_date"),
                created_at=self._clock(), created_by=who)).inserted_primary_key[0]
            return self._insert_version(conn, int(pid), 1, "draft", content, who, token, note)

        return self._write(work)

    def save_version(self, plan_id: int, plan: Plan, *, author: str, client_token: str | None = None,
                     note: str = "", rep_ids: Any = None) -> PlanVersion:
        """Store edited content as the plan's next version.

        The new version is a ``draft`` (an agreed plan must be agreed again after an
        edit). An archived plan cannot change: start a new plan.

        Raises
        ------
        TransitionError
            The plan is archived.
        ConflictError
            ``client_token`` was used for other content.
        """
        who, token, plan_id = _author(author), _token(client_token), int(plan_id)
        content = plan_to_dict(check_plan(plan, rep_ids=rep_ids))
        digest = content_hash(content)

        def work(conn: Connection) -> PlanVersion:
            old = self._by_token(conn, token)
            if old is not None:
                return self._replay(old, digest, token, plan_id)
            latest = self._latest(conn, plan_id)
            if latest.status == "archived_by_hr":
                raise TransitionError(f"plan {plan_id} is archived by HR and cannot change; start a new plan "
                                      "(it can start from the levels reached: next_plan_start_levels).")
            owner = conn.execute(sa.select(_T_PLANS.c.rep_id).where(_T_PLANS.c.id == plan_id)).scalar()
            if owner != content["rep_id"]:
                raise ParameterError("plan", content["rep_id"], f"a plan of rep {owner} (plan {plan_id} is his)")
            return self._insert_version(conn, plan_id, latest.version + 1, "draft", content, who, token, note)

        return self._write(work)

    def sign(self, plan_id: int, status: str, *, author: str, client_token: str | None = None,
             note: str = "") -> PlanVersion:
        """Move the plan to ``status`` (one step of :data:`TRANSITIONS`), as a new version.

        Raises
        ------
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
        playbook.pipeline.store.TransitionError: plan 1 is draft: it can go to agreed_by_rep, not to archived_by_hr.
        """
        who, token, plan_id = _author(author), _token(client_token), int(plan_id)
        if status not in STATUSES:
            raise ParameterError("status", status, "one of " + ", ".join(STATUSES))

        def work(conn: Connection) -> PlanVersion:
            latest = self._latest(conn, plan_id)
            old = self._by_token(conn, token)
            if old is not None:
                if old.plan_id != plan_id or old.status != status:
                    raise ConflictError(f"client token {token!r} was already used for another change (plan "
                                        f"{old.plan_id}, version {old.version}); send a new token.")
                return PlanVersion(old.plan_id, old.id, old.version, old.status, old.author, old.created_at,
                                   created=False)
            allowed = TRANSITIONS[latest.status]
            if status not in allowed:
                nxt = ", ".join(allowed) or "nothing (it is final)"
                raise TransitionError(f"plan {plan_id} is {latest.status}: it can go to {nxt}, not to {status}.")
            content = json.loads(latest.content)
            v = self._insert_version(conn, plan_id, latest.version + 1, status, content, who, token, note)
            conn.execute(_T_SIGNOFFS.insert().values(plan_id=plan_id, version_id=v.version_id,
                                                     from_status=latest.status, to_status=status, author=who,
                                                     created_at=v.created_at))
            return v

        return self._write(work)

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
                old = conn.execute(sa.select(_T_REVIEWS).where(_T_REVIEWS.c.client_token == token)).first()
                if old is not None:
                    same = (old.plan_id, old.competency, old.level_reached, old.review_date) == (
                        plan_id, str(competency), int(level), day)
                    if not same:
                        raise ConflictError(f"client token {token!r} was already used for another review "
                                            "record; send a new token.")
                    return int(old.id)
            latest = self._latest(conn, plan_id)
            if latest.status not in REVIEWABLE:
                raise TransitionError(f"plan {plan_id} is {latest.status}: record reviews once the supervisor "
                                      "has agreed the plan.")
            items = [it["competency"] for it in json.loads(latest.content)["items"]]
            if str(competency) not in items:
                raise ParameterError("competency", competency, "an item of the plan: " + ", ".join(items))
            return int(conn.execute(_T_REVIEWS.insert().values(
                plan_id=plan_id, competency=str(competency), level_reached=int(level), review_date=day,
                author=who, created_at=self._clock(), client_token=token, note=note or "",
            )).inserted_primary_key[0])

        return self._write(work)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # let SQLAlchemy's "begin" event emit BEGIN IMMEDIATE (pysqlite's own BEGIN is off)
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    try:
        cur.execute("PRAGMA busy_timeout = 60000")
        cur.execute("PRAGMA foreign_keys = ON")
    finally:
        cur.close()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


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


# --------------------------------------------------------------------------- export
def export_frames(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Turn the store's raw tables (:meth:`Store.tables`) into the export sheets (pure).

    Sheets (:data:`EXPORT_SHEETS`): ``plans`` (one row per plan, its latest version),
    ``items`` (the plan table of each plan's latest version, with the latest level
    reached), ``versions`` (every version, without the JSON), ``signoffs``, ``reviews``.

    Examples
    --------
    >>> with Store("sqlite://") as s:
    ...     frames = export_frames(s.tables())
    >>> {k: len(v) for k, v in frames.items()}
    {'plans': 0, 'items': 0, 'versions': 0, 'signoffs': 0, 'reviews': 0}
    """
    plans, versions = tables["plans"], tables["versions"]
    items, signoffs, reviews = tables["items"], tables["signoffs"], tables["reviews"]
    latest = versions.sort_values(["plan_id", "version"]).drop_duplicates("plan_id", keep="last")
    names = latest.set_index("plan_id")["content"].map(lambda c: json.loads(c).get("rep_name") or "")
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


def export_excel(store: Store, path: str | Path) -> Path:
    """Export every plan of ``store`` to an Excel workbook (sheets :data:`EXPORT_SHEETS`)."""
    return write_excel(export_frames(store.tables()), path)
