"""Schema changes go through Alembic migrations: stores made before them upgrade in place, on both backends.

The old stores are built with raw SQL (``store_harness.legacy_store``): the DDL the kit
emitted before migrations (``data/store_schema_2.<backend>.sql``, from
``METADATA.create_all`` at commit 76f49c1; schema 1 is the same without ``plan_starts``)
and rows inserted as that kit stored them.
"""


import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from store_harness import ddl, dump, legacy_store, make_plan, run_sql, where_of

from playbook.pipeline import migrations
from playbook.pipeline.store import ConflictError, Store, StoreError
from playbook.pipeline.store_schema import METADATA
from playbook.present.messages import message


def _diff(url):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": migrations.VERSION_TABLE})
        diff = compare_metadata(ctx, METADATA)
    engine.dispose()
    return diff


class TestMigrations:
    def test_a_new_store_is_made_by_the_migrations_as_the_code_declares_it(self, store_url):
        with Store(store_url) as s:
            assert (s.schema, s._db.upgraded_from) == ("2", "")
        assert _diff(store_url) == []
        got = dump(store_url, ("idp_store_meta", migrations.VERSION_TABLE))
        assert got["idp_store_meta"] == [("schema", "2")] and got[migrations.VERSION_TABLE] == [("0002",)]

    def test_the_old_ddl_is_the_schema_the_code_declares(self, store_url, backend):
        """The fixture is the real old schema: migrating it changes nothing but the version table."""
        run_sql(store_url, *ddl(backend, "2"))
        assert _diff(store_url) == []

    def test_the_migrations_know_every_schema(self):
        assert migrations.revisions() == ("0001", "0002")
        assert migrations.schema_of(migrations.HEAD) == "2"
        assert [migrations.revision_of(s) for s in ("1", "2", "3", "")] == ["0001", "0002", None, None]


class TestOldStores:
    def test_a_schema_1_store_upgrades_in_place_and_keeps_everything(self, store_url, backend):
        legacy_store(store_url, backend, "1", duplicate=True)
        before = dump(store_url)
        with Store(store_url) as s:
            assert (s.schema, s._db.upgraded_from, s.read_only) == ("2", "1", "")
            # every plan reads as before; the older of R1's two plans holds the start
            assert s.plans()[["plan_id", "rep_id", "version", "status", "updated_by"]].values.tolist() == [
                [1, "R1", 2, "agreed_by_rep", "Ann"], [2, "R2", 1, "draft", "Bo"],
                [3, "R1", 1, "draft", "Cy"]]
            assert s.plan(1, version=1).items["measures"][0] == "Negotiation course"
            with pytest.raises(ConflictError, match="rep R1 already has a plan dated 2025-10-08: plan 1, started by "
                                                    "Bo at 2025-10-08 09:00:01 UTC, now at version 2"):
                s.create_plan(make_plan(), author="Dee")
            assert s.save_version(3, make_plan("Cy edits the duplicate"), author="Cy", base_version=1).version == 2
        after = dump(store_url)
        assert after["plan_starts"] == [("R1", "2025-10-08", "1"), ("R2", "2025-10-08", "2")]
        assert after[migrations.VERSION_TABLE] == [("0002",)] and after["idp_store_meta"] == [("schema", "2")]
        for table in ("plans", "plan_versions", "items", "signoffs", "reviews"):  # nothing lost, nothing changed
            assert after[table][:len(before[table])] == before[table], table  # (Cy's edit added a version)
        assert len(after["plan_versions"]) == len(before["plan_versions"]) + 1
        with Store(store_url) as s:                                    # opened again: nothing more to do
            assert (s.schema, s._db.upgraded_from) == ("2", "")

    def test_a_schema_2_store_from_before_migrations_is_stamped_and_used_as_it_is(self, store_url, backend):
        legacy_store(store_url, backend, "2")
        before = dump(store_url)
        with Store(store_url) as s:
            assert (s.schema, s._db.upgraded_from) == ("2", "")
            assert s.status(1) == "agreed_by_rep"
            new = s.create_plan(make_plan(rep_id="R3"), author="Bo")    # the ids go on from the old rows
            assert (new.plan_id, new.version_id) == (3, 4)
        after = dump(store_url)
        assert after[migrations.VERSION_TABLE] == [("0002",)]
        assert after["plan_versions"][:3] == before["plan_versions"] and after["plans"][:2] == before["plans"]

    def test_a_failed_upgrade_leaves_the_store_as_it_was(self, store_url, backend):
        legacy_store(store_url, backend, "1")
        run_sql(store_url, "CREATE VIEW plan_starts AS SELECT 1 AS x")   # in the way of the new table
        before = dump(store_url)
        with pytest.raises(StoreError) as info:
            Store(store_url)
        err = info.value
        assert str(err).startswith(f"{where_of(store_url)}: upgrading the IDP store from schema 1 to schema 2 "
                                   "failed (")
        assert str(err).endswith("Nothing was changed: the store is as it was, and nothing was lost. Restore free "
                                 "space or permissions and open it again, or use a kit of the store's version.")
        assert message(err, "zh").startswith(f"{where_of(store_url)}：将 IDP 存储从结构版本 1 升级到 2 失败（")
        assert dump(store_url) == before                                 # not even a version table

    def test_a_store_of_a_newer_kit_is_refused_untouched(self, store_url, backend):
        legacy_store(store_url, backend, "2")
        run_sql(store_url, "UPDATE idp_store_meta SET value = '3' WHERE key = 'schema'")
        before = dump(store_url)
        with pytest.raises(StoreError) as info:
            Store(store_url)
        assert str(info.value) == (f"{where_of(store_url)}: the IDP store has schema 3; this kit reads schemas 1 to "
                                   "2. Upgrade the kit (pip install -U sales-playbook). The store was left untouched.")
        assert message(info.value, "zh") == (f"{where_of(store_url)}：该 IDP 存储的结构版本为 3；本工具只能读取 1 到 2 "
                                             "版。请升级本工具（pip install -U sales-playbook）。存储未被改动。")
        assert dump(store_url) == before
