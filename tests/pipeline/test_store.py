import multiprocessing
import sqlite3
import threading
from datetime import datetime, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from playbook.core.errors import ParameterError, ValidationError
from playbook.idp import Plan, draft_plan, plan_to_dict
from playbook.pipeline.store import (
    EXPORT_SHEETS,
    ConflictError,
    CorruptStoreError,
    Store,
    TransitionError,
    export_excel,
    export_frames,
    next_plan_start_levels,
)
from playbook.present.idp import word_plan


def make_plan(measure="Negotiation course", rep_id="R1", plan_date="2025-10-08"):
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


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "idp.sqlite", clock=Clock()) as s:
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
    def test_five_threads(self, tmp_path):
        with Store(tmp_path / "idp.sqlite") as s:
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

    def test_five_processes(self, tmp_path):
        url = tmp_path / "idp.sqlite"
        with Store(url) as s:
            pid = s.create_plan(make_plan(), author="Bo").plan_id
        ctx = multiprocessing.get_context("fork")
        barrier = ctx.Barrier(5)
        procs = [ctx.Process(target=_save_in_process, args=(str(url), pid, i, barrier)) for i in range(5)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        assert [p.exitcode for p in procs] == [0] * 5
        with Store(url) as s:
            history = s.history(pid)
        assert history["version"].tolist() == [1, 2, 3, 4, 5, 6]
        assert sorted(history["author"][1:]) == [f"user{i}" for i in range(5)]


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

    def test_a_database_that_is_not_a_store(self, tmp_path):
        path = tmp_path / "other.sqlite"
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE plans (x TEXT)")
        con.commit()
        con.close()
        before = path.read_bytes()
        with pytest.raises(CorruptStoreError, match="has tables named like the IDP store's \\(plans\\) but is not"):
            Store(path)
        assert path.read_bytes() == before


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
