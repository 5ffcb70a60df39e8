"""The IDP store's backends for the store tests: a SQLite file, and a throw-away PostgreSQL server.

``store_url`` runs a test on both: a fresh SQLite file, and a fresh database on the
PostgreSQL server that this session starts once (:mod:`store_harness`) and stops at the
end. Without the server binaries (Debian's ``postgresql``, which ``make setup``
installs as root) the PostgreSQL cases are skipped, saying why. The PostgreSQL cases
are one xdist group, so that one worker (one server) runs them all.
"""

import pytest
from store_harness import PostgresServer, postgres_bin


@pytest.fixture(scope="session")
def postgres_server():
    """The session's PostgreSQL server (started on first use); skipped when the binaries are absent."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: install Debian's "
                    "postgresql package (make setup does, as root)")
    server = PostgresServer(bin_dir)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_schema(postgres_server):
    """A fresh, empty schema on the session's server: ``(server, name)``; dropped after the test."""
    name = postgres_server.new_schema()
    yield postgres_server, name
    postgres_server.drop_schema(name)


POSTGRES = pytest.param("postgresql", marks=pytest.mark.xdist_group("postgres"), id="postgresql")
"""A parameter for the PostgreSQL backend: its tests share one xdist worker, so one server."""


@pytest.fixture(params=["sqlite", POSTGRES])
def backend(request):
    """The store's backend of this test case: ``"sqlite"`` or ``"postgresql"``."""
    return request.param


@pytest.fixture
def store_url(request, backend, tmp_path):
    """A URL for a new, empty IDP store: a SQLite file, or a fresh schema of a PostgreSQL database."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'idp.sqlite'}"
    server, name = request.getfixturevalue("postgres_schema")
    return server.url(schema=name)
