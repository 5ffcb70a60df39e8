"""The store tests' kit: a plan to store, a clock, raw SQL, and a throw-away PostgreSQL server.

The fixtures are in ``tests/pipeline/conftest.py``.

:class:`PostgresServer` runs ``initdb`` into a temporary folder and starts ``postgres``
listening only on a unix socket in that folder (no port to collide on), with ``fsync``
off; :meth:`PostgresServer.stop` stops it and removes the folder. Debian's
``postgresql`` package provides the binaries (:func:`postgres_bin` finds them). As root
the server runs as the ``postgres`` (or ``nobody``) user: PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import json
import os
import pwd
import shlex
import shutil
import subprocess
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from playbook.idp import Plan, plan_to_dict
from playbook.pipeline import migrations
from playbook.pipeline.store import content_hash

DATA = Path(__file__).parent / "pipeline" / "data"
TABLES = ("idp_store_meta", "plans", "plan_versions", "items", "signoffs", "reviews", "plan_starts",
          migrations.VERSION_TABLE)
_BINARIES = ("initdb", "pg_ctl", "postgres")
_SUPERUSER = "playbook"


def postgres_bin() -> Path | None:
    """Return the folder of PostgreSQL's server binaries (on PATH, else Debian's newest), or None."""
    found = shutil.which("pg_ctl")
    folders = [Path(found).parent] if found else []
    folders += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: _version(p.parent.name), reverse=True)
    return next((f for f in folders if all((f / b).exists() for b in _BINARIES)), None)


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(x) for x in name.split(".") if x.isdigit())


def _server_user() -> str | None:
    """Return the user to run the server as: None (this user), or as root ``postgres`` or ``nobody``."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name).pw_name
    raise RuntimeError("running as root, and neither the user postgres nor nobody exists to run PostgreSQL")


def _as(user: str | None, command: list[str]) -> list[str]:
    if user is None:
        return command
    if shutil.which("runuser"):
        return ["runuser", "-u", user, "--", *command]
    return ["su", "-s", "/bin/sh", user, "-c", shlex.join(command)]


class PostgresServer:
    """A PostgreSQL server in a temporary folder, reached on its unix socket; a fresh schema per test."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.user = _server_user()
        # in /tmp: a unix socket path must stay short, and the server's user must reach the folder
        self.root = Path(tempfile.mkdtemp(prefix="playbook-pg-", dir="/tmp" if os.path.isdir("/tmp") else None))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._names = itertools.count(1)
        if self.user is not None:
            os.chown(self.root, pwd.getpwnam(self.user).pw_uid, -1)
        self.admin: sa.Engine | None = None
        atexit.register(self.stop)  # even when the session ends without its fixtures' teardown
        try:
            self._run("initdb", "-D", str(self.data), "-U", _SUPERUSER, "-A", "trust", "-E", "UTF8",
                      "--no-locale", "--no-sync")
            options = (f"-k {self.root} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
                       "-c full_page_writes=off -c max_connections=200")
            self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", options, "start")
            self.admin = sa.create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT",
                                          poolclass=sa.pool.NullPool)
            self.sql("CREATE DATABASE stores")
        except BaseException:
            self.stop()
            raise

    def _run(self, binary: str, *args: str) -> None:
        done = subprocess.run(_as(self.user, [str(self.bin / binary), *args]), capture_output=True, text=True,
                              timeout=120, cwd=self.root)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(f"{binary} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\n{log}")

    def url(self, database: str = "stores", *, schema: str = "", user: str = _SUPERUSER) -> str:
        """Return the SQLAlchemy URL of ``database`` on this server (unix socket), as ``user``.

        With ``schema``, the connection's ``search_path`` is that schema: a store there is
        a store of its own (one per test, faster than a database per test).
        """
        options = f"&options=-csearch_path%3D{schema}" if schema else ""
        return f"postgresql+psycopg://{user}@/{database}?host={self.root}{options}"

    def sql(self, *statements: str, database: str = "postgres") -> None:
        """Run statements on ``database`` (default ``postgres``), each on its own (CREATE DATABASE …)."""
        engine = self.admin if database == "postgres" else sa.create_engine(
            self.url(database), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)

    def new_schema(self) -> str:
        """Create an empty schema in the database ``stores``; return its name."""
        name = f"store_{next(self._names)}"
        self.sql(f"CREATE SCHEMA {name}", database="stores")
        return name

    def drop_schema(self, name: str) -> None:
        """Drop a schema of ``stores`` and everything in it."""
        self.sql(f"DROP SCHEMA IF EXISTS {name} CASCADE", database="stores")

    def stop(self) -> None:
        """Stop the server (immediate shutdown: nothing in it is kept) and remove its folder; again: nothing."""
        if not self.root.exists():
            return
        if self.admin is not None:
            self.admin.dispose()
        with contextlib.suppress(RuntimeError, subprocess.SubprocessError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "60", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def run_sql(url: str, *statements: str) -> None:
    """Run raw SQL statements on a store's database in one transaction (to age or damage a store in a test)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def make_plan(measure="Negotiation course", rep_id="R1", plan_date="2025-10-08"):
    """A two-item plan of rep R1 (Ann) dated 2025-10-08; ``measure`` is the first item's measure."""
    items = pd.DataFrame({
        "competency": ["negotiation", "market_awareness"], "why": ["Rated 3 of 5", "Rated 4 of 5"],
        "current_level": [3, 4], "target_level": [5, 5], "measures": [measure, "Read the market brief"],
        "resources": ["Training time", ""], "review_date": pd.to_datetime(["2026-05-01", "2026-02-01"])})
    return Plan(rep_id, rep_name="Ann", position="Sales specialist", department="East",
                supervisor_name="Bo", plan_date=pd.Timestamp(plan_date), quota=200_000.0, actual=219_000.0,
                strengths=("Cooperative",), items=items)


class Clock:
    """A clock that ticks one second per call."""

    def __init__(self):
        self.now = datetime(2025, 10, 8, 9, 0, 0)

    def __call__(self):
        self.now += timedelta(seconds=1)
        return self.now


def where_of(url):
    """How a store names itself in messages: its file, or its URL without the password."""
    url = sa.engine.make_url(url)
    return url.database if url.get_backend_name() == "sqlite" else url.render_as_string(hide_password=True)


# --------------------------------------------------------------------------- stores made before migrations

def ddl(backend, schema):
    """The statements of the old schema ``"1"`` or ``"2"`` on ``backend`` (from the DDL fixture)."""
    text = "\n".join(line for line in (DATA / f"store_schema_2.{backend}.sql").read_text().splitlines()
                     if not line.startswith("--"))
    statements = [s.strip() for s in text.split(";") if s.strip()]
    return [s for s in statements if schema == "2" or "plan_starts" not in s]


def _version_row(plan_id, version, status, author, when, measure):
    content = plan_to_dict(make_plan(measure))
    text = json.dumps(content, ensure_ascii=False, sort_keys=True).replace("'", "''")
    return ("INSERT INTO plan_versions (plan_id, version, status, content, content_hash, author, created_at, "
            f"client_token, note) VALUES ({plan_id}, {version}, '{status}', '{text}', '{content_hash(content)}', "
            f"'{author}', '{when}', NULL, '')")


def legacy_store(url, backend, schema, *, duplicate=False):
    """Build a store as the kit left it before migrations (no version table), at ``schema`` "1" or "2".

    Plan 1 (R1, agreed by the rep: two versions, one sign-off, two items), plan 2 (R2);
    with ``duplicate`` (schema 1 only: the bug schema 2 fixed) plan 3, a second start of
    R1's plan for the same date.
    """
    rows = [f"INSERT INTO idp_store_meta (key, value) VALUES ('schema', '{schema}')"]
    plans = [("R1", "Bo"), ("R2", "Bo")] + ([("R1", "Cy")] if duplicate else [])
    rows += [f"INSERT INTO plans (rep_id, plan_date, created_at, created_by) VALUES ('{rep}', '2025-10-08', "
             f"'2025-10-08 09:00:0{i}', '{who}')" for i, (rep, who) in enumerate(plans, start=1)]
    rows += [_version_row(1, 1, "draft", "Bo", "2025-10-08 09:00:01", "Negotiation course"),
             _version_row(1, 2, "agreed_by_rep", "Ann", "2025-10-08 09:10:00", "Negotiation course"),
             _version_row(2, 1, "draft", "Bo", "2025-10-08 09:00:02", "R2's measure")]
    rows += [_version_row(3, 1, "draft", "Cy", "2025-10-08 09:00:03", "Cy's measure")] if duplicate else []
    rows += ["INSERT INTO items (version_id, position, competency, why, current_level, target_level, measures, "
             f"resources, review_date) VALUES (2, {i}, '{c}', 'Rated {lvl} of 5', {lvl}, 5, 'm', '', '2026-05-01')"
             for i, (c, lvl) in enumerate([("negotiation", 3), ("market_awareness", 4)], start=1)]
    rows += ["INSERT INTO signoffs (plan_id, version_id, from_status, to_status, author, created_at) "
             "VALUES (1, 2, 'draft', 'agreed_by_rep', 'Ann', '2025-10-08 09:10:00')"]
    if schema == "2":
        rows += ["INSERT INTO plan_starts (rep_id, plan_date, plan_id) VALUES ('R1', '2025-10-08', 1), "
                 "('R2', '2025-10-08', 2)"]
    run_sql(url, *ddl(backend, schema), *rows)


def dump(url, tables=TABLES):
    """Every row of the store's tables, as plain values: to show that nothing was lost or changed."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        names = set(sa.inspect(conn).get_table_names())
        out = {t: [tuple(map(str, r)) for r in conn.exec_driver_sql(f"SELECT * FROM {t} ORDER BY 1").all()]
               for t in tables if t in names}
        out["(tables)"] = sorted(names)
    engine.dispose()
    return out
