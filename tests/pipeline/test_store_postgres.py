"""Bad input on PostgreSQL: a server that cannot be reached, a missing driver, users without the rights.

Each case says what is wrong in English and Chinese (labels ``store.*``), exits 1 from
the command line without a traceback, and loses nothing.
"""

import itertools
import socket

import pytest
from click.testing import CliRunner
from store_harness import dump, legacy_store, make_plan, where_of

from playbook.cli import main
from playbook.pipeline import migrations
from playbook.pipeline.store import ReadOnlyStoreError, Store, StoreError
from playbook.present.messages import message

pytestmark = pytest.mark.xdist_group("postgres")
_ROLES = itertools.count(1)


def export(url, tmp_path):
    return CliRunner().invoke(main, ["idp", "export", "--store", url, "--out", str(tmp_path / "plans.xlsx")],
                              catch_exceptions=False)


def closed_port():
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TestCannotConnect:
    def test_no_server_at_the_address(self, tmp_path):
        port = closed_port()
        url = f"postgresql://clerk:s3cret@127.0.0.1:{port}/stores"     # plain postgresql:// means psycopg
        with pytest.raises(StoreError) as info:
            Store(url)
        err, where = info.value, f"postgresql+psycopg://clerk:***@127.0.0.1:{port}/stores"
        assert err.code == "store.cannot_connect"
        assert str(err).startswith(f"{where}: cannot connect to the database server (")
        assert "Connection refused" in str(err)
        assert str(err).endswith("Check the host, port, database name, user and password in the store URL "
                                 "(PLAYBOOK_STORE_URL), and that the server is running. Nothing was changed.")
        assert message(err, "zh").startswith(f"{where}：无法连接数据库服务器（")
        assert "s3cret" not in str(err) + message(err, "zh")              # the password is never shown
        result = export(url, tmp_path)
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert result.stderr.startswith(f"Error: {where}: cannot connect to the database server (")
        assert not (tmp_path / "plans.xlsx").exists()

    def test_a_database_or_user_that_does_not_exist(self, postgres_server):
        for url, why in [(postgres_server.url("no_such_db"), 'database "no_such_db" does not exist'),
                         (postgres_server.url(user="no_such_user"), 'role "no_such_user" does not exist')]:
            with pytest.raises(StoreError) as info:
                Store(url)
            assert info.value.code == "store.cannot_connect" and why in str(info.value)

    def test_a_missing_driver(self):
        with pytest.raises(StoreError) as info:
            Store("postgresql+pg8000://clerk@127.0.0.1/stores")
        assert str(info.value) == (
            "postgresql+pg8000://clerk@127.0.0.1/stores: the database driver for postgresql is not installed (No "
            "module named 'pg8000'). Install it with: pip install 'sales-playbook[postgres]'. Nothing was changed.")
        assert "pip install 'sales-playbook[postgres]'" in message(info.value, "zh")


@pytest.fixture
def clerk(postgres_schema):
    """A login role that may use the test's schema but not create anything in it: ``grant(sql)`` gives more."""
    server, schema = postgres_schema
    role = f"clerk_{next(_ROLES)}"
    server.sql(f"CREATE ROLE {role} LOGIN")
    server.sql(f"GRANT USAGE ON SCHEMA {schema} TO {role}", database="stores")

    class Clerk:
        name = role
        url = server.url(schema=schema, user=role)
        admin_url = server.url(schema=schema)

        @staticmethod
        def grant(*privileges):
            server.sql(*(f"GRANT {p} IN SCHEMA {schema} TO {role}" for p in privileges), database="stores")

    yield Clerk
    server.sql(f"DROP OWNED BY {role}", database="stores")
    server.sql(f"DROP ROLE {role}")


class TestPermissions:
    def test_a_user_who_may_not_create_the_tables(self, clerk, postgres_schema, tmp_path):
        _server, schema = postgres_schema
        with pytest.raises(StoreError) as info:
            Store(clerk.url)
        err = info.value
        assert str(err) == (
            f"{where_of(clerk.url)}: the database user may not create the IDP store's tables (permission denied for "
            f"schema {schema}). Nothing was changed. Ask the database administrator to let this user create tables "
            "in the schema (GRANT CREATE ON SCHEMA public TO the user), or to open the store once as a user who may.")
        assert message(err, "zh").startswith(
            f"{where_of(clerk.url)}：该数据库用户无权创建 IDP 存储的数据表（permission denied for schema {schema}）。"
            "未做任何更改。")
        assert dump(clerk.admin_url)["(tables)"] == []                   # nothing was created
        result = export(clerk.url, tmp_path)
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert result.stderr.startswith(f"Error: {where_of(clerk.url)}: the database user may not create")

    def test_an_old_store_the_user_may_not_upgrade_is_read_as_it_is(self, clerk, postgres_schema):
        _server, schema = postgres_schema
        legacy_store(clerk.admin_url, "postgresql", "1")
        clerk.grant("SELECT, INSERT ON ALL TABLES", "USAGE ON ALL SEQUENCES")
        before = dump(clerk.admin_url)
        with Store(clerk.url) as s:
            assert s.schema == "1"
            assert s.read_only == (
                f"the store has schema 1 and this kit upgrades it to schema 2, but the database user may not change "
                f"its tables (permission denied for schema {schema}); it was opened as it is, and nothing was lost")
            assert (s.status(1), len(s.plans())) == ("agreed_by_rep", 2)  # reading works
            with pytest.raises(ReadOnlyStoreError) as info:
                s.save_version(2, make_plan("x", rep_id="R2"), author="Bo", base_version=1)
        assert str(info.value) == (
            f"{where_of(clerk.url)}: the IDP store is read-only ({s.read_only}): plans can still be read, but no "
            "change can be saved. To save, ask the database administrator to open the store once as a user who may "
            "change its tables (the kit then upgrades it), or set another store path (PLAYBOOK_STORE_URL).")
        assert message(info.value, "zh") == (
            f"{where_of(clerk.url)}：IDP 存储为只读（该存储的结构版本为 1，本工具需将其升级到 2，"
            f"但该数据库用户无权修改数据表（permission denied for schema {schema}）；已按原样打开，"
            "没有丢失任何内容）：仍可读取计划，但无法保存任何更改。如需保存，请由数据库管理员用有权修改数据表的用户"
            "打开一次该存储（本工具会随之完成升级），或设置其他存储路径（PLAYBOOK_STORE_URL）。")
        assert dump(clerk.admin_url) == before                           # nothing changed
        with Store(clerk.admin_url) as s:                                # the administrator opens it: upgraded
            assert (s.schema, s._db.upgraded_from) == ("2", "1")

    def test_a_store_from_before_migrations_at_the_latest_schema_works_for_a_user_who_may_not_create(self, clerk):
        legacy_store(clerk.admin_url, "postgresql", "2")
        clerk.grant("SELECT, INSERT ON ALL TABLES", "USAGE ON ALL SEQUENCES")
        with Store(clerk.url) as s:                                      # the version table waits for the admin
            assert (s.schema, s.read_only) == ("2", "")
            s.create_plan(make_plan(rep_id="R3"), author="Bo")
        assert migrations.VERSION_TABLE not in dump(clerk.admin_url)["(tables)"]
        assert len(dump(clerk.admin_url)["plans"]) == 3

    def test_a_user_who_may_read_but_not_write(self, clerk):
        with Store(clerk.admin_url) as s:
            s.create_plan(make_plan(), author="Bo")
        clerk.grant("SELECT ON ALL TABLES")
        with Store(clerk.url) as s:
            assert (s.read_only, s.status(1)) == ("", "draft")           # at the latest schema: nothing to change
            with pytest.raises(ReadOnlyStoreError) as info:
                s.create_plan(make_plan(rep_id="R2"), author="Bo")
        assert str(info.value) == (
            f"{where_of(clerk.url)}: the IDP store is read-only (the database user may not write the store's tables "
            "(permission denied for table plans)): plans can still be read, but no change can be saved. To save, "
            "ask the database administrator to let this user write the store's tables, or set another store path "
            "(PLAYBOOK_STORE_URL).")
        assert "该数据库用户无权写入存储的数据表（permission denied for table plans）" in message(info.value, "zh")
        assert len(dump(clerk.admin_url)["plans"]) == 1
