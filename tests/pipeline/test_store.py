import multiprocessing
import os
import sqlite3
import threading
from datetime import datetime

import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from store_harness import Clock, make_plan, run_sql, where_of

from playbook.cli import main
from playbook.core.errors import ParameterError, ValidationError
from playbook.idp import draft_plan, plan_to_dict
from playbook.pipeline import store_db
from playbook.pipeline.store import (
    EXPORT_SHEETS,
    UNREADABLE_COLUMNS,
    ConflictError,
    CorruptStoreError,
    PlanVersion,
    ReadOnlyStoreError,
    Store,
    StoreError,
    TransitionError,
    export_excel,
    export_frames,
    export_workbook,
    next_plan_start_levels,
)
from playbook.present.idp import word_plan
from playbook.present.messages import message


@pytest.fixture
def store(store_url):
    """An empty store on each backend (store_url: a SQLite file, a PostgreSQL database)."""
    with Store(store_url, clock=Clock()) as s:
        yield s


def agree(store, plan_id):
    store.sign(plan_id, "agreed_by_rep", author="Ann")
    store.sign(plan_id, "agreed_by_supervisor", author="Bo")


class TestVersions:
    def test_every_change_is_a_new_version_and_nothing_is_overwritten(self, store):
        statements = []
        sa.event.listen(store.engine, "before_cursor_execute",
                        lambda conn, cur, stmt, *a: statements.append(stmt.split()[0].upper()))
        v1 = store.create_plan(make_plan(), author="Bo")
        v2 = store.save_version(v1.plan_id, make_plan("Negotiation course + role play"), author="Bo")
        v3 = store.sign(v1.plan_id, "agreed_by_rep", author="Ann")
        assert [v.version for v in (v1, v2, v3)] == [1, 2, 3]
        history = store.history(v1.plan_id)
        assert history[["version", "status", "author"]].values.tolist() == [
            [1, "draft", "Bo"], [2, "draft", "Bo"], [3, "agreed_by_rep", "Ann"]]
        assert history["created_at"].tolist() == sorted(history["created_at"])
        # version 1 still holds the first content; the latest holds the edit
        assert plan_to_dict(store.plan(v1.plan_id, version=1)) == plan_to_dict(make_plan())
        assert store.plan(v1.plan_id).items["measures"][0] == "Negotiation course + role play"
        assert "UPDATE" not in statements and "DELETE" not in statements
        assert len(store.table("items")) == 6  # two items copied into each of the three versions

    def test_reopening_the_file_keeps_everything_in_wal_mode(self, tmp_path):
        path = tmp_path / "idp.sqlite"
        with Store(path) as s:
            pid = s.create_plan(make_plan(), author="Bo").plan_id
        with Store(str(path)) as s:
            assert s.status(pid) == "draft"
            with s.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"

    def test_an_invalid_plan_is_not_stored(self, store):
        bad = make_plan(measure="")
        with pytest.raises(ValidationError, match="Item 1: no development measure"):
            store.create_plan(bad, author="Bo")
        with pytest.raises(ValidationError, match="The rep R1 is not in the data"):
            store.create_plan(make_plan(), author="Bo", rep_ids=["R2"])
        assert store.plans().empty

    def test_unknown_plan_and_version(self, store):
        with pytest.raises(ParameterError, match="parameter plan_id=99 is not valid: expected the id of a stored"):
            store.status(99)
        pid = store.create_plan(make_plan(), author="Bo").plan_id
        with pytest.raises(ParameterError, match="parameter version=5 is not valid: expected a version of plan 1"):
            store.plan(pid, version=5)
        with pytest.raises(ParameterError, match="parameter author='' is not valid"):
            store.save_version(pid, make_plan(), author="")

    def test_a_plan_cannot_change_owner(self, store):
        pid = store.create_plan(make_plan(), author="Bo").plan_id
        with pytest.raises(ParameterError, match="expected a plan of rep R1"):
            store.save_version(pid, make_plan(rep_id="R2"), author="Bo")


class TestSignOff:
    def test_the_whole_chain(self, store):
        pid = store.create_plan(make_plan(), author="Bo").plan_id
        agree(store, pid)
        store.sign(pid, "archived_by_hr", author="HR")
        assert store.status(pid) == "archived_by_hr"
        signoffs = store.table("signoffs")
        assert signoffs[["from_status", "to_status", "author"]].values.tolist() == [
            ["draft", "agreed_by_rep", "Ann"], ["agreed_by_rep", "agreed_by_supervisor", "Bo"],
            ["agreed_by_supervisor", "archived_by_hr", "HR"]]

    @pytest.mark.parametrize(("steps", "to", "message"), [
        ([], "agreed_by_supervisor", "plan 1 is draft: it can go to agreed_by_rep, not to agreed_by_supervisor."),
        ([], "archived_by_hr", "plan 1 is draft: it can go to agreed_by_rep, not to archived_by_hr."),
        (["agreed_by_rep"], "draft", "plan 1 is agreed_by_rep: it can go to agreed_by_supervisor, not to draft."),
        (["agreed_by_rep"], "agreed_by_rep",
         "plan 1 is agreed_by_rep: it can go to agreed_by_supervisor, not to agreed_by_rep."),
        (["agreed_by_rep", "agreed_by_supervisor", "archived_by_hr"], "agreed_by_rep",
         "plan 1 is archived_by_hr: it can go to nothing (it is final), not to agreed_by_rep."),
    ], ids=["skip-rep", "skip-to-archive", "back", "twice", "after-archive"])
    def test_invalid_transitions(self, store, steps, to, message):
        pid = store.create_plan(make_plan(), author="Bo").plan_id
        for step in steps:
            store.sign(pid, step, author="x")
        with pytest.raises(TransitionError) as info:
            store.sign(pid, to, author="x")
        assert str(info.value) == message
        assert len(store.history(pid)) == 1 + len(steps)

    def test_unknown_status(self, store):
        pid = store.create_plan(make_plan(), author="Bo").plan_id
        with pytest.raises(ParameterError, match="parameter status='approved' is not valid: expected one of draft"):
            store.sign(pid, "approved", author="x")

    def test_editing_an_agreed_plan_starts_a_new_draft(self, store):
        pid = store.create_plan(make_plan(), author="Bo").plan_id
        agree(store, pid)
        v = store.save_version(pid, make_plan("Course and coaching"), author="Bo")
        assert (v.version, v.status, store.status(pid)) == (4, "draft", "draft")

    def test_an_archived_plan_is_read_only(self, store):
        pid = store.create_plan(make_plan(), author="Bo").plan_id
        agree(store, pid)
        store.sign(pid, "archived_by_hr", author="HR")
        with pytest.raises(TransitionError, match="plan 1 is archived by HR and cannot change; start a new plan"):
            store.save_version(pid, make_plan("Late edit"), author="Bo")


class TestIdempotence:
    def test_double_submit_of_a_new_plan(self, store):
        first = store.create_plan(make_plan(), author="Bo", client_token="form-7")
        second = store.create_plan(make_plan(), author="Bo", client_token="form-7")
        assert (first.created, second.created) == (True, False)
        assert (second.plan_id, second.version_id) == (first.plan_id, first.version_id)
        assert len(store.table("plans")) == 1 and len(store.table("versions")) == 1

    def test_double_submit_of_an_edit_and_a_sign_off(self, store):
        pid = store.create_plan(make_plan(), author="Bo").plan_id
        a = store.save_version(pid, make_plan("Edited"), author="Bo", client_token="t1")
        b = store.save_version(pid, make_plan("Edited"), author="Bo", client_token="t1")
        s1 = store.sign(pid, "agreed_by_rep", author="Ann", client_token="t2")
        s2 = store.sign(pid, "agreed_by_rep", author="Ann", client_token="t2")
        assert (a.version, b.version, b.created, s1.version, s2.version, s2.created) == (2, 2, False, 3, 3, False)
        assert len(store.history(pid)) == 3 and len(store.table("signoffs")) == 1

    def test_a_reused_token_with_other_content_is_a_conflict(self, store):
        pid = store.create_plan(make_plan(), author="Bo", client_token="t1").plan_id
        with pytest.raises(ConflictError, match="client token 't1' was already used for other content"):
            store.save_version(pid, make_plan("Other"), author="Bo", client_token="t1")
        with pytest.raises(ConflictError, match="already used for another change"):
            store.sign(pid, "agreed_by_rep", author="Ann", client_token="t1")

    def test_without_a_token_each_save_is_a_version(self, store):
        pid = store.create_plan(make_plan(), author="Bo").plan_id
        store.save_version(pid, make_plan(), author="Bo")
        assert len(store.history(pid)) == 2


def _save_in_process(url, plan_id, i, barrier):
    barrier.wait()
    with Store(url) as s:
        s.save_version(plan_id, make_plan(f"measure from process {i}"), author=f"user{i}")


class TestConcurrency:
    def test_five_threads(self, store_url):
        with Store(store_url) as s:
            pid = s.create_plan(make_plan(), author="Bo").plan_id
            barrier = threading.Barrier(5)
            errors = []

            def save(i):
                try:
                    barrier.wait()
                    s.save_version(pid, make_plan(f"measure from thread {i}"), author=f"user{i}")
                except Exception as exc:  # noqa: BLE001 - collected and asserted below
                    errors.append(exc)

            threads = [threading.Thread(target=save, args=(i,)) for i in range(5)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            assert errors == []
            history = s.history(pid)
            assert history["version"].tolist() == [1, 2, 3, 4, 5, 6]
            assert sorted(history["author"][1:]) == [f"user{i}" for i in range(5)]
            measures = {s.plan(pid, version=v).items["measures"][0] for v in range(2, 7)}
            assert measures == {f"measure from thread {i}" for i in range(5)}

    def test_five_processes(self, store_url):
        url = store_url
        with Store(url) as s:
            pid = s.create_plan(make_plan(), author="Bo").plan_id
        ctx = multiprocessing.get_context("fork")
        barrier = ctx.Barrier(5)
        procs = [ctx.Process(target=_save_in_process, args=(url, pid, i, barrier)) for i in range(5)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        assert [p.exitcode for p in procs] == [0] * 5
        with Store(url) as s:
            history = s.history(pid)
        assert history["version"].tolist() == [1, 2, 3, 4, 5, 6]
        assert sorted(history["author"][1:]) == [f"user{i}" for i in range(5)]


    def test_twenty_writers_on_one_version_one_is_stored_the_others_are_told(self, store_url):
        """Optimistic versions: all twenty edit version 1; one is stored, each other hears who came first."""
        with Store(store_url) as s:
            pid = s.create_plan(make_plan(), author="Bo").plan_id
        stores = [Store(store_url) for _ in range(20)]                  # twenty forms, twenty connections
        plans = [make_plan(f"edit {i}") for i in range(20)]
        barrier, results = threading.Barrier(20), [None] * 20

        def edit(i):
            barrier.wait()
            try:
                results[i] = stores[i].save_version(pid, plans[i], author=f"user{i}", base_version=1)
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                results[i] = exc

        threads = [threading.Thread(target=edit, args=(i,)) for i in range(20)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(120)
        for s in stores:
            s.close()
        winners = [r for r in results if isinstance(r, PlanVersion)]
        told = [r for r in results if isinstance(r, ConflictError)]
        assert (len(winners), len(told)) == (1, 19)
        winner = winners[0]
        assert winner.version == 2
        assert {(e.base_version, tuple((c.version, c.author) for c in e.changes)) for e in told} == {
            (1, ((2, winner.author),))}
        assert all(str(e).startswith(f"plan {pid} changed since version 1, which this save is based on: version 2 "
                                     f"(draft) by {winner.author} at ") for e in told)
        with Store(store_url) as s:                                    # nobody's edit replaced the winner's
            assert s.history(pid)[["version", "author"]].values.tolist() == [[1, "Bo"], [2, winner.author]]
            assert s.plan(pid).items["measures"][0] == f"edit {winner.author.removeprefix('user')}"


class TestCorruptDatabase:
    def test_garbage_bytes(self, tmp_path):
        path = tmp_path / "idp.sqlite"
        garbage = b"this is not a database \x00\x01\x02" * 200
        path.write_bytes(garbage)
        with pytest.raises(CorruptStoreError) as info:
            Store(path)
        message = str(info.value)
        assert message.startswith(f"{path}: cannot be read as an IDP store (file is not a database).")
        assert "The file was left untouched: restore it from a backup" in message
        assert path.read_bytes() == garbage
        assert sorted(p.name for p in tmp_path.iterdir()) == ["idp.sqlite"]

    def test_a_database_that_is_not_a_store(self, store_url):
        run_sql(store_url, "CREATE TABLE plans (x TEXT)", "INSERT INTO plans VALUES ('someone else''s row')")
        with pytest.raises(CorruptStoreError) as info:
            Store(store_url)
        assert str(info.value) == (f"{where_of(store_url)}: this database has tables named like the IDP store's "
                                   "(plans) but is not an IDP store. It was left untouched: choose another store path.")
        engine = sa.create_engine(store_url)
        with engine.connect() as conn:                    # nothing created, nothing changed
            assert sa.inspect(conn).get_table_names() == ["plans"]
            assert conn.exec_driver_sql("SELECT x FROM plans").all() == [("someone else's row",)]
        engine.dispose()


class TestPDCA:
    def test_next_plan_starts_from_the_levels_reached(self, store):
        pid = store.create_plan(make_plan(), author="Bo").plan_id
        with pytest.raises(TransitionError, match="plan 1 is draft: record reviews once the supervisor"):
            store.record_review(pid, "negotiation", 4, review_date="2026-05-04", author="Bo")
        agree(store, pid)
        store.record_review(pid, "negotiation", 4, review_date="2026-05-04", author="Bo")
        store.record_review(pid, "negotiation", 5, review_date="2026-05-20", author="Bo")  # a later record counts
        start = next_plan_start_levels(store, "R1")
        assert start[["competency", "level", "source", "target_level"]].values.tolist() == [
            ["negotiation", 5, "review", 5], ["market_awareness", 4, "plan", 5]]
        # the next draft starts from there: negotiation reached 5, so market awareness is the item
        ev = pd.DataFrame({"rep_id": ["R1"], "name": ["Ann"]})
        nxt = word_plan(draft_plan(ev, "R1", levels=start, plan_date="2026-06-01"))
        assert nxt.items["competency"].tolist() == ["market_awareness"]
        assert nxt.items["current_level"].tolist() == [4]
        assert "Negotiation: level 5 of 5" in nxt.strengths

    def test_review_checks(self, store):
        pid = store.create_plan(make_plan(), author="Bo").plan_id
        agree(store, pid)
        with pytest.raises(ParameterError, match="parameter level_reached=6 is not valid"):
            store.record_review(pid, "negotiation", 6, review_date="2026-05-04", author="Bo")
        with pytest.raises(ParameterError, match="expected an item of the plan: negotiation, market_awareness"):
            store.record_review(pid, "charisma", 3, review_date="2026-05-04", author="Bo")
        with pytest.raises(ParameterError, match="parameter review_date='soon' is not valid"):
            store.record_review(pid, "negotiation", 3, review_date="soon", author="Bo")
        a = store.record_review(pid, "negotiation", 4, review_date="2026-05-04", author="Bo", client_token="r1")
        b = store.record_review(pid, "negotiation", 4, review_date="2026-05-04", author="Bo", client_token="r1")
        assert a == b and len(store.table("reviews")) == 1

    def test_no_agreed_plan_no_start_levels(self, store):
        store.create_plan(make_plan(), author="Bo")
        assert next_plan_start_levels(store, "R1").empty
        assert next_plan_start_levels(store, "R9").empty


class TestExport:
    def test_excel_round_trip(self, store, tmp_path):
        pid = store.create_plan(make_plan(), author="Bo").plan_id
        agree(store, pid)
        store.record_review(pid, "negotiation", 4, review_date="2026-05-04", author="Bo")
        store.create_plan(make_plan("中文措施 <b>", rep_id="R2"), author="Bo")
        frames = export_frames(store.tables())
        assert tuple(frames) == EXPORT_SHEETS
        plans = frames["plans"]
        assert plans[["plan_id", "rep_id", "version", "status", "items"]].values.tolist() == [
            [1, "R1", 3, "agreed_by_supervisor", 2], [2, "R2", 1, "draft", 2]]
        items = frames["items"]
        assert items["level_reached"].fillna(0).tolist() == [4, 0, 0, 0]
        path = export_excel(store, tmp_path / "out" / "plans.xlsx")
        back = pd.read_excel(path, sheet_name=None)
        assert list(back) == list(EXPORT_SHEETS)
        for name, frame in frames.items():
            got = back[name]
            assert list(got.columns) == list(frame.columns), name
            assert len(got) == len(frame), name
        assert back["items"]["measures"].tolist()[2] == "中文措施 <b>"
        assert back["plans"]["status"].tolist() == ["agreed_by_supervisor", "draft"]
        pd.testing.assert_series_equal(back["items"]["review_date"], frames["items"]["review_date"],
                                       check_dtype=False)
        assert back["versions"]["version"].tolist() == [1, 2, 3, 1]


# --------------------------------------------------------------------------- no lost update

def versions_of(history):
    return history[["version", "status", "author"]].values.tolist()


class TestBaseVersion:
    def test_a_save_based_on_an_old_version_is_a_conflict_and_stores_nothing(self, store):
        pid = store.create_plan(make_plan(), author="Bo").plan_id
        store.save_version(pid, make_plan("Ann's change"), author="Ann", base_version=1)
        rows_before = len(store.table("items"))
        with pytest.raises(ConflictError) as info:
            store.save_version(pid, make_plan("Bo's change"), author="Bo", base_version=1, client_token="b-1")
        assert str(info.value) == (
            "plan 1 changed since version 1, which this save is based on: version 2 (draft) by Ann at "
            "2025-10-08 09:00:03 UTC. Nothing was stored: reload the plan, then make the change again on the "
            "latest version.")
        err = info.value
        assert (err.plan_id, err.base_version) == (1, 1)
        assert err.changes == (PlanVersion(1, 2, 2, "draft", "Ann", datetime(2025, 10, 8, 9, 0, 3)),)
        assert versions_of(store.history(pid)) == [[1, "draft", "Bo"], [2, "draft", "Ann"]]
        assert store.plan(pid).items["measures"][0] == "Ann's change"       # Ann's change is not dropped
        assert len(store.table("items")) == rows_before
        v = store.save_version(pid, make_plan("Bo's change on 2"), author="Bo", base_version=2)
        assert (v.version, v.created) == (3, True)

    def test_a_sign_off_based_on_an_old_version_is_a_conflict(self, store):
        pid = store.create_plan(make_plan(), author="Bo").plan_id
        store.save_version(pid, make_plan("Edited"), author="Bo", base_version=1)
        store.sign(pid, "agreed_by_rep", author="Ann", base_version=2)
        store.save_version(pid, make_plan("Edited again"), author="Bo", base_version=3)
        # the supervisor's page still shows version 2: agreeing would agree to version 4, never seen
        with pytest.raises(ConflictError) as info:
            store.sign(pid, "agreed_by_rep", author="Ann", base_version=2)
        assert [(c.version, c.status, c.author) for c in info.value.changes] == [
            (3, "agreed_by_rep", "Ann"), (4, "draft", "Bo")]
        assert "plan 1 changed since version 2, which this sign-off is based on: version 3 (agreed_by_rep)" in str(
            info.value)
        assert store.status(pid) == "draft" and len(store.history(pid)) == 4
        assert store.table("signoffs")["to_status"].tolist() == ["agreed_by_rep"]
        assert store.sign(pid, "agreed_by_rep", author="Ann", base_version=4).version == 5

    def test_a_resent_submission_is_a_replay_not_a_conflict(self, store):
        pid = store.create_plan(make_plan(), author="Bo").plan_id
        first = store.save_version(pid, make_plan("Edited"), author="Bo", base_version=1, client_token="t1")
        again = store.save_version(pid, make_plan("Edited"), author="Bo", base_version=1, client_token="t1")
        signed = store.sign(pid, "agreed_by_rep", author="Ann", base_version=2, client_token="t2")
        resent = store.sign(pid, "agreed_by_rep", author="Ann", base_version=2, client_token="t2")
        assert (again.version, again.created, resent.version, resent.created) == (2, False, 3, False)
        assert (first.version, signed.version) == (2, 3)

    @pytest.mark.parametrize(("base", "message"), [
        (5, "parameter base_version=5 is not valid: expected a stored version of plan 1 (the latest is 1)."),
        (0, "parameter base_version=0 is not valid: expected the version number the change is based on"),
        ("1", "parameter base_version='1' is not valid"),
    ], ids=["future", "zero", "text"])
    def test_a_bad_base_version(self, store, base, message):
        pid = store.create_plan(make_plan(), author="Bo").plan_id
        with pytest.raises(ParameterError, match=message.replace("(", "\\(").replace(")", "\\)")):
            store.save_version(pid, make_plan("x"), author="Bo", base_version=base)
        assert len(store.history(pid)) == 1


def _start_in_process(url, i, barrier, results):
    barrier.wait()
    try:
        with Store(url) as s:
            results.put(("stored", s.create_plan(make_plan(f"measure of writer {i}"), author=f"user{i}").plan_id))
    except ConflictError as exc:
        results.put(("conflict", exc.plan_id))


class TestStartOnce:
    def test_twenty_writers_starting_the_same_reps_first_plan_store_one_plan(self, store_url):
        path = store_url
        Store(path).close()
        stores = [Store(path) for _ in range(20)]      # twenty connections, as twenty forms have
        barrier, results = threading.Barrier(20), [None] * 20

        def start(i):
            barrier.wait()
            try:
                results[i] = stores[i].create_plan(make_plan(f"measure of writer {i}"), author=f"user{i}")
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                results[i] = exc

        threads = [threading.Thread(target=start, args=(i,)) for i in range(20)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        for s in stores:
            s.close()
        stored = [r for r in results if isinstance(r, PlanVersion)]
        refused = [r for r in results if isinstance(r, ConflictError)]
        assert (len(stored), len(refused)) == (1, 19)
        winner = stored[0]
        assert {e.plan_id for e in refused} == {winner.plan_id}
        assert all(str(e).startswith(f"rep R1 already has a plan dated 2025-10-08: plan {winner.plan_id}, started "
                                     f"by {winner.author} at ") for e in refused)
        with Store(path) as s:
            assert len(s.table("plans")) == 1 and len(s.table("versions")) == 1
            assert s.plans()[["rep_id", "version", "updated_by"]].values.tolist() == [["R1", 1, winner.author]]

    def test_twenty_processes_starting_the_same_reps_first_plan_store_one_plan(self, store_url):
        path = store_url
        Store(path).close()
        ctx = multiprocessing.get_context("fork")
        barrier, results = ctx.Barrier(20), ctx.Queue()
        procs = [ctx.Process(target=_start_in_process, args=(str(path), i, barrier, results)) for i in range(20)]
        for p in procs:
            p.start()
        got = sorted(results.get(timeout=120) for _ in procs)
        for p in procs:
            p.join(60)
        assert [p.exitcode for p in procs] == [0] * 20
        assert [kind for kind, _ in got] == ["conflict"] * 19 + ["stored"]
        assert len({plan_id for _, plan_id in got}) == 1  # every loser is told the winner's plan
        with Store(path) as s:
            assert len(s.table("plans")) == 1 and len(s.table("versions")) == 1

    def test_the_database_itself_refuses_a_second_start(self, store, store_url):
        store.create_plan(make_plan(), author="Bo")
        with pytest.raises(sa.exc.IntegrityError, match="UNIQUE constraint failed: plan_starts.rep_id, plan_starts."
                                                        "plan_date|duplicate key value violates unique constraint "
                                                        "\"plan_starts_pkey\""):
            run_sql(store_url, "INSERT INTO plans (rep_id, plan_date, created_at, created_by) "
                               "VALUES ('R1', '2025-10-08', '2025-10-08 10:00:00', 'Cy')",
                    "INSERT INTO plan_starts (rep_id, plan_date, plan_id) "
                    "SELECT 'R1', '2025-10-08', max(id) FROM plans")
        assert len(store.table("plans")) == 1

    def test_the_loser_is_told_which_plan_exists_and_nothing_is_stored(self, store):
        first = store.create_plan(make_plan(), author="Bo")
        store.sign(first.plan_id, "agreed_by_rep", author="Ann")
        with pytest.raises(ConflictError) as info:
            store.create_plan(make_plan("Another start"), author="Cy", client_token="c-1")
        assert str(info.value) == (
            "rep R1 already has a plan dated 2025-10-08: plan 1, started by Bo at 2025-10-08 09:00:02 UTC, now at "
            "version 2 (agreed_by_rep). Nothing was stored: open that plan and edit it (a plan with another date "
            "is a new plan).")
        assert info.value.plan_id == 1 and [c.version for c in info.value.changes] == [1, 2]
        assert len(store.table("plans")) == 1 and len(store.table("versions")) == 2
        # a plan for another date (the next period) is a new plan; so is another rep's
        later = store.create_plan(make_plan(plan_date="2025-12-01"), author="Bo")
        other = store.create_plan(make_plan(rep_id="R2"), author="Bo")
        assert len({1, later.plan_id, other.plan_id}) == 3  # (PostgreSQL does not reuse the refused start's id)
        assert store.plans()[["rep_id", "plan_date"]].astype(str).values.tolist() == [
            ["R1", "2025-10-08"], ["R1", "2025-12-01"], ["R2", "2025-10-08"]]


def _schema_1(url, duplicate=False):
    """Turn a store into what the kit wrote before schema 2 (no plan_starts), optionally with the old bug."""
    url = url if "://" in str(url) else f"sqlite:///{url}"
    statements = ["DROP TABLE plan_starts", "UPDATE idp_store_meta SET value = '1' WHERE key = 'schema'"]
    if duplicate:  # two people started R1's plan at once: two plans with the same date
        statements += ["INSERT INTO plans (rep_id, plan_date, created_at, created_by) "
                       "SELECT rep_id, plan_date, created_at, 'Cy' FROM plans WHERE id = 1",
                       "INSERT INTO plan_versions (plan_id, version, status, content, content_hash, author, "
                       "created_at, note) SELECT 3, 1, status, content, content_hash, 'Cy', created_at, note "
                       "FROM plan_versions WHERE id = 1"]
    run_sql(url, *statements)


class TestSchemaUpgrade:
    def test_a_schema_1_store_is_upgraded_when_opened(self, store_url):
        path = store_url
        with Store(path) as s:
            s.create_plan(make_plan(), author="Bo")
            s.create_plan(make_plan(rep_id="R2"), author="Bo")
        _schema_1(path, duplicate=True)
        with Store(path) as s:
            assert s.schema == "2"
            with s.engine.connect() as conn:
                assert conn.exec_driver_sql("SELECT rep_id, plan_date, plan_id FROM plan_starts ORDER BY 1").all() == [
                    ("R1", "2025-10-08", 1), ("R2", "2025-10-08", 2)]
                assert conn.exec_driver_sql("SELECT value FROM idp_store_meta").scalar() == "2"
            assert s.plans()[["plan_id", "rep_id", "updated_by"]].values.tolist() == [
                [1, "R1", "Bo"], [2, "R2", "Bo"], [3, "R1", "Cy"]]
            assert s.save_version(3, make_plan("Cy edits the duplicate"), author="Cy", base_version=1).version == 2
            with pytest.raises(ConflictError, match="rep R1 already has a plan dated 2025-10-08: plan 1, started"):
                s.create_plan(make_plan(), author="Dee")
        with Store(path) as s:                            # opened again: nothing more to do
            assert s.schema == "2" and len(s.table("plans")) == 3

    def test_a_read_only_schema_1_store_is_read_as_it_is(self, tmp_path):
        path = tmp_path / "idp.sqlite"
        with Store(path) as s:
            s.create_plan(make_plan(), author="Bo")
        _schema_1(path)
        before = path.read_bytes()
        with Store(f"sqlite:///file:{path}?mode=ro&uri=true") as s:
            assert (s.schema, s.status(1), s.read_only) == ("1", "draft", "the store URL opens it read-only")
        assert path.read_bytes() == before


# --------------------------------------------------------------------------- errors that name the cause

class TestReadOnly:
    def _filled(self, tmp_path):
        path = tmp_path / "store" / "idp.sqlite"
        with Store(path) as s:
            s.create_plan(make_plan(), author="Bo")
        return path

    def test_a_store_opened_read_only_reads_and_refuses_changes(self, tmp_path):
        path = self._filled(tmp_path)
        before = path.read_bytes()
        with Store(f"sqlite:///file:{path}?mode=ro&uri=true") as s:
            assert s.read_only == "the store URL opens it read-only"
            assert s.status(1) == "draft" and s.plan(1).items["measures"][0] == "Negotiation course"
            assert len(export_frames(s.tables())["plans"]) == 1
            with pytest.raises(ReadOnlyStoreError) as info:
                s.save_version(1, make_plan("x"), author="Bo", base_version=1)
            with pytest.raises(ReadOnlyStoreError):
                s.create_plan(make_plan(rep_id="R2"), author="Bo")
        assert str(info.value) == (
            f"{path}: the IDP store is read-only (the store URL opens it read-only): plans can still be read, but "
            "no change can be saved. To save, open it without mode=ro, or set another store path "
            "(PLAYBOOK_STORE_URL).")
        assert "restore it from a backup" not in str(info.value)
        assert message(info.value, "zh") == (
            f"{path}：IDP 存储为只读（存储地址以只读方式打开它）：仍可读取计划，但无法保存任何更改。"
            "如需保存，请去掉地址中的 mode=ro 再打开，或设置其他存储路径（PLAYBOOK_STORE_URL）。")
        assert path.read_bytes() == before

    def test_a_folder_the_os_will_not_let_us_write(self, tmp_path, monkeypatch):
        """A read-only folder or file system (what os.access reports, even to root on a read-only mount)."""
        path = self._filled(tmp_path)
        files = sorted(p.name for p in path.parent.iterdir())
        monkeypatch.setattr(store_db, "_writable", lambda p: p != path.parent)
        with Store(path) as s:
            assert s.read_only == f"the folder {path.parent} is read-only"
            assert s.plans()["rep_id"].tolist() == ["R1"]
            with pytest.raises(ReadOnlyStoreError, match=f"the folder {path.parent} is read-only\\): plans can "
                                                         "still be read, but no change can be saved. To save, make "
                                                         "the file and its folder writable for the app"):
                s.sign(1, "agreed_by_rep", author="Ann", base_version=1)
        assert sorted(p.name for p in path.parent.iterdir()) == files  # not even a journal was made

    def test_a_read_only_file_the_os_reports(self, tmp_path, monkeypatch):
        path = self._filled(tmp_path)
        monkeypatch.setattr(store_db, "_writable", lambda p: p != path)
        with Store(path) as s:
            assert s.read_only == f"the file {path} is read-only" and s.status(1) == "draft"
            with pytest.raises(ReadOnlyStoreError, match="the IDP store is read-only"):
                s.record_review(1, "negotiation", 4, review_date="2026-05-04", author="Bo")

    @pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions (the tests above simulate them)")
    @pytest.mark.parametrize("what", ["file", "folder"])
    def test_chmod(self, tmp_path, what):
        path = self._filled(tmp_path)
        target = path if what == "file" else path.parent
        target.chmod(0o444 if what == "file" else 0o555)
        try:
            with Store(path) as s:
                assert s.read_only == f"the {what} {target} is read-only" and s.status(1) == "draft"
                with pytest.raises(ReadOnlyStoreError, match="plans can still be read"):
                    s.save_version(1, make_plan("x"), author="Bo", base_version=1)
        finally:
            target.chmod(0o644 if what == "file" else 0o755)

    def test_the_database_refusing_to_write_is_named_as_such(self, tmp_path, monkeypatch):
        """When the permission check says yes but SQLite says read-only: read-only, never "corrupt"."""
        path = self._filled(tmp_path)
        monkeypatch.setattr(store_db.Database, "_read_only_reason", lambda self: "")
        url = f"sqlite:///file:{path}?mode=ro&uri=true"
        with Store(url) as s:                              # nothing to write on opening: it opens
            with pytest.raises(ReadOnlyStoreError) as info:
                s.save_version(1, make_plan("x"), author="Bo", base_version=1)
        assert str(info.value).startswith(f"{path}: the IDP store is read-only (the database refused to write: "
                                          "attempt to write a readonly database): plans can still be read")
        _schema_1(path)                                    # the upgrade on opening is a write: refused, then read
        with Store(url) as s:
            assert s.read_only == "the database refused to write (attempt to write a readonly database)"
            assert (s.schema, s.status(1)) == ("1", "draft")

    def test_no_store_where_none_can_be_created(self, tmp_path):
        missing = tmp_path / "missing.sqlite"
        with pytest.raises(StoreError) as info:
            Store(f"sqlite:///file:{missing}?mode=ro&uri=true")
        assert str(info.value) == (f"{missing}: there is no IDP store here, and none can be created: the store URL "
                                   "opens it read-only. Set another store path (PLAYBOOK_STORE_URL).")
        assert message(info.value, "zh") == (f"{missing}：这里没有 IDP 存储，也无法新建：存储地址以只读方式打开它。"
                                             "请设置其他存储路径（PLAYBOOK_STORE_URL）。")
        assert not missing.exists()

    def test_a_folder_that_cannot_be_made_says_why_in_the_users_language(self, tmp_path):
        (tmp_path / "afile").write_text("x")
        path = tmp_path / "afile" / "sub" / "idp.sqlite"  # a file where a folder should be
        with pytest.raises(StoreError) as info:
            Store(path)
        assert str(info.value) == (f"{path}: cannot create the folder {path.parent} (Not a directory). Create it, "
                                   "or set another store path (PLAYBOOK_STORE_URL).")
        assert message(info.value, "zh") == (f"{path}：无法创建文件夹 {path.parent}（路径中有一项不是文件夹）。"
                                             "请先创建该文件夹，或设置其他存储路径（PLAYBOOK_STORE_URL）。")

    def test_an_export_that_cannot_be_written_says_why_in_chinese(self, tmp_path, monkeypatch):
        with Store(tmp_path / "idp.sqlite") as s:
            s.create_plan(make_plan("R1"), author="Ann")
        (tmp_path / "afile").write_text("x")
        out = tmp_path / "afile" / "plans.xlsx"
        monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")
        res = CliRunner().invoke(main, ["idp", "export", "--store", f"sqlite:///{tmp_path / 'idp.sqlite'}",
                                        "--out", str(out)])
        assert res.exit_code != 0 and "Traceback" not in res.output
        assert f"无法写入 {out}（系统提示：文件已存在）。" in res.output  # mkdir of afile: a file is there


def _corrupt(path, sql):
    con = sqlite3.connect(path)
    con.execute(sql)
    con.commit()
    con.close()


def export(*args):
    return CliRunner().invoke(main, ["idp", "export", *map(str, args)], catch_exceptions=False)


class TestBadRows:
    @pytest.fixture
    def two_plans(self, store_url):
        path = store_url
        with Store(path, clock=Clock()) as s:
            pid = s.create_plan(make_plan(), author="Bo").plan_id
            s.save_version(pid, make_plan("Edited"), author="Bo", base_version=1)
            s.create_plan(make_plan("R2's measure", rep_id="R2"), author="Bo")
        return path

    def test_a_cell_that_is_not_json(self, two_plans, tmp_path):
        run_sql(two_plans, "UPDATE plan_versions SET content = '{\"rep_id\": \"R1\", ' "
                           "WHERE plan_id = 1 AND version = 2")
        with Store(two_plans) as s:
            with pytest.raises(CorruptStoreError) as info:
                s.plan(1)
            assert (info.value.plan_id, info.value.version) == (1, 2)
            assert str(info.value) == (
                f"{where_of(two_plans)}: plan 1, version 2 cannot be read: content: not valid JSON (Expecting property "
                "name "
                "enclosed in double quotes: line 1 column 18 (char 17)). The row was left untouched; the other rows "
                "can still be read. Restore the store from a backup to get it back.")
            assert s.plan(1, version=1).items["measures"][0] == "Negotiation course"   # the others still read
            with pytest.raises(CorruptStoreError, match="plan 1, version 2 cannot be read"):
                s.sign(1, "agreed_by_rep", author="Ann", base_version=2)               # nobody agrees to it
            assert len(s.history(1)) == 2
            done = export_workbook(s, tmp_path / "plans.xlsx")
        assert done.unreadable.columns.tolist() == UNREADABLE_COLUMNS
        assert done.unreadable.values.tolist() == [
            ["versions", 2, 1, 2, "content: not valid JSON (Expecting property name enclosed in double quotes: "
                                  "line 1 column 18 (char 17))"]]
        back = pd.read_excel(done.path, sheet_name=None)
        assert list(back) == [*EXPORT_SHEETS, "unreadable"]
        assert back["plans"][["plan_id", "version", "status"]].values.tolist() == [[1, 2, "draft"], [2, 1, "draft"]]
        assert back["items"]["measures"].tolist() == ["Edited", "Read the market brief", "R2's measure",
                                                      "Read the market brief"]    # the items of version 2 are whole
        assert back["unreadable"][["plan_id", "version"]].values.tolist() == [[1, 2]]

    @pytest.mark.parametrize("backend", ["sqlite"])  # PostgreSQL stores only valid UTF-8 text
    def test_a_bad_byte_in_a_cell(self, two_plans, tmp_path):
        two_plans = two_plans.removeprefix("sqlite:///")
        _corrupt(two_plans, "UPDATE items SET measures = CAST(x'4564ff6974' AS TEXT) WHERE id = 5")  # R2's item 1
        _corrupt(two_plans, "UPDATE plan_versions SET content = CAST(x'7bff7d' AS TEXT) WHERE id = 1")
        with Store(two_plans) as s:
            assert s.plan(2).items["measures"][0] == "R2's measure"  # content is whole; its items copy is not
            with pytest.raises(CorruptStoreError, match="plan 1, version 1 cannot be read: content: not UTF-8 text "
                                                        "\\(byte 0xff at position 1\\)"):
                s.plan(1, version=1)
            assert s.table("items")["id"].tolist() == [1, 2, 3, 4, 6]
            tables, unreadable = s.read_all()
        assert unreadable.values.tolist() == [
            ["versions", 1, 1, 1, "content: not UTF-8 text (byte 0xff at position 1)"],
            ["items", 5, 2, 1, "measures: not UTF-8 text (byte 0xff at position 2)"]]
        assert len(tables["versions"]) == 3
        out = tmp_path / "plans.xlsx"
        result = export("--store", two_plans, "--out", out)
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert result.stdout == f"wrote {out}\n"
        assert result.stderr.splitlines() == [
            "2 stored row(s) could not be read; the workbook holds everything else (they are listed in its sheet "
            "'unreadable'). Restore the store from a backup to recover them:",
            "  plan 1, version 1 (versions row 1): content: not UTF-8 text (byte 0xff at position 1)",
            "  plan 2, version 1 (items row 5): measures: not UTF-8 text (byte 0xff at position 2)"]
        back = pd.read_excel(out, sheet_name=None)
        assert back["plans"]["rep_id"].tolist() == ["R1", "R2"] and len(back["versions"]) == 3
        assert back["items"]["measures"].tolist() == ["Edited", "Read the market brief", "Read the market brief"]

    def test_the_cli_says_what_is_wrong_with_the_store(self, tmp_path):
        garbage = tmp_path / "notes.sqlite"
        garbage.write_bytes(b"meeting notes, not a database" * 100)
        result = export("--store", garbage, "--out", tmp_path / "x.xlsx")
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert result.stderr.startswith(f"Error: {garbage}: cannot be read as an IDP store (file is not a database).")
        good = tmp_path / "idp.sqlite"
        with Store(good) as s:
            s.create_plan(make_plan(), author="Bo")
        out = tmp_path / "ok.xlsx"
        result = export("--store", f"sqlite:///file:{good}?mode=ro&uri=true", "--out", out)
        assert (result.exit_code, result.stdout, result.stderr) == (0, f"wrote {out}\n", "")
