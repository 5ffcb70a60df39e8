"""The IDP store's schema changes, as Alembic migrations: an existing store upgrades in place.

One revision per schema, in ``versions/`` (``0001``: schema 1, ``0002``: schema 2 …).
:func:`upgrade` runs the ones a store lacks, inside the caller's transaction: when one
fails, nothing of the upgrade is kept and the store is as it was (on SQLite and on
PostgreSQL, whose DDL is transactional). The revision a store is at is kept in its own
table, :data:`VERSION_TABLE` (not Alembic's default ``alembic_version``, so that the
store can share a database with another application's migrations).

A store made before migrations (by the kit up to schema 2) has no version table; its
``idp_store_meta`` row ``schema`` names its schema, and :func:`upgrade` first stamps it
with that revision, then upgrades it from there.

Adding a schema: copy the latest file in ``versions/`` to ``schema_N.py``, set
``revision`` to ``"000N"`` and ``down_revision`` to the previous one, write ``upgrade()``
with ``alembic.op`` (on SQLite, a column change needs ``op.batch_alter_table``), end it by
setting the ``schema`` meta row to ``N``, and change the tables in
:mod:`playbook.pipeline.store_schema` to match (a test compares the two on SQLite and
PostgreSQL).

Examples
--------
>>> import sqlalchemy as sa
>>> engine = sa.create_engine("sqlite://")
>>> with engine.begin() as conn:
...     before = current(conn)
...     after = upgrade(conn)
>>> before, after, HEAD, schema_of(HEAD)
(None, '0002', '0002', '2')
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

__all__ = ["VERSION_TABLE", "HEAD", "revisions", "revision_of", "schema_of", "current", "upgrade"]

VERSION_TABLE = "idp_store_version"
"""The table holding the store's Alembic revision."""


@lru_cache(maxsize=1)
def _script() -> ScriptDirectory:
    return ScriptDirectory(str(Path(__file__).parent))


def revisions() -> tuple[str, ...]:
    """Return every revision, oldest first.

    Examples
    --------
    >>> revisions()
    ('0001', '0002')
    """
    return tuple(reversed([s.revision for s in _script().walk_revisions()]))


HEAD = revisions()[-1]
"""The revision of the schema this kit writes."""


def revision_of(schema: str) -> str | None:
    """Return the revision of a schema number (``"2"`` -> ``"0002"``), or None when there is none.

    Examples
    --------
    >>> revision_of("1"), revision_of("9"), revision_of("x")
    ('0001', None, None)
    """
    rev = f"{int(schema):04d}" if str(schema).isdigit() else ""
    return rev if rev in revisions() else None


def schema_of(revision: str) -> str:
    """Return the schema number of a revision (``"0002"`` -> ``"2"``)."""
    return str(int(revision))


def _context(conn: Connection, **opts: object) -> MigrationContext:
    return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE, **opts})


def current(conn: Connection) -> str | None:
    """Return the store's revision, or None when it has no version table (new, or made before migrations)."""
    return _context(conn).get_current_revision()


def upgrade(conn: Connection, schema: str | None = None) -> str:
    """Bring the store in ``conn`` to :data:`HEAD` inside the caller's transaction; return the revision.

    ``schema`` is the store's ``schema`` meta row (None: a new store, created from the
    first revision). It is what the store holds: when the version table is missing (a
    store made before migrations) or names another revision, the store is stamped with
    that schema's revision first, then upgraded from there.
    """
    script = _script()
    have = revision_of(schema) if schema is not None else None
    if have is not None and current(conn) != have:
        _context(conn).stamp(script, have)

    def steps(heads, _context):
        return script._upgrade_revs(HEAD, heads)

    ctx = _context(conn, fn=steps)
    with Operations.context(ctx):
        ctx.run_migrations()
    return current(conn) or HEAD
