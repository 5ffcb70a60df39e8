"""The cache of validated datasets: used when nothing changed, never stale."""

from __future__ import annotations

import os
import shutil

import pandas as pd
import pytest

from playbook.core.paths import SAMPLE_DIR
from playbook.data import cache, loading

AS_OF = "2025-09-30"
REPS = "rep_id,name,team,hire_date\nR1,Li,East,2024-01-02\nR2,Wang,East,2024-01-02\n"
CUSTOMERS = "customer_id\nC1\nC2\n"
ORDERS = "order_id,customer_id,rep_id,order_date,amount\nO1,C1,R1,2025-03-07,100\nO2,C2,R2,2025-03-08,200\n"


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYBOOK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PLAYBOOK_CACHE", raising=False)
    d = tmp_path / "data"
    d.mkdir()
    for name, text in (("reps", REPS), ("customers", CUSTOMERS), ("orders", ORDERS)):
        (d / f"{name}.csv").write_text(text, encoding="utf-8")
    return d


@pytest.fixture
def validations(monkeypatch):
    """Count the real validations (cache misses)."""
    calls = []
    real = loading._validate_folder

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(loading, "_validate_folder", counting)
    return calls


def _same(a, b):
    for (name, x), (_, y) in zip(a[0].tables().items(), b[0].tables().items(), strict=True):
        pd.testing.assert_frame_equal(x, y, check_exact=True, obj=name)
    pd.testing.assert_frame_equal(a[1], b[1], check_exact=True)
    assert (a[0].as_of, a[0].source) == (b[0].as_of, b[0].source)


def test_second_call_reads_the_cache_and_gives_the_same_result(folder, validations):
    first = loading.validate_dataset(folder, as_of=AS_OF)
    second = loading.validate_dataset(folder, as_of=AS_OF)
    assert len(validations) == 1
    _same(first, second)
    _same(first, loading.validate_dataset(folder, as_of=AS_OF, cache=False))
    assert len(validations) == 2  # cache=False always validates


def test_a_changed_file_is_validated_again(folder, validations):
    loading.validate_dataset(folder, as_of=AS_OF)
    # same size, same modification time: only the bytes differ
    path = folder / "orders.csv"
    stat = path.stat()
    path.write_text(ORDERS.replace("O2,C2,R2", "O2,C9,R2"), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    ds, issues = loading.validate_dataset(folder, as_of=AS_OF)
    assert len(validations) == 2
    assert issues[["row", "code"]].values.tolist() == [[3, "unknown_reference"]]
    assert ds.orders["order_id"].tolist() == ["O1"]


def test_an_added_or_removed_table_file_is_seen(folder, validations):
    loading.validate_dataset(folder, as_of=AS_OF)
    (folder / "quotas.csv").write_text("rep_id,month,quota\nR1,2025-01-01,10\n", encoding="utf-8")
    assert loading.validate_dataset(folder, as_of=AS_OF)[0].quotas["quota"].tolist() == [10.0]
    (folder / "quotas.csv").unlink()
    assert loading.validate_dataset(folder, as_of=AS_OF)[0].quotas is None
    (folder / "notes.txt").write_text("not a table")  # not a table file: no effect
    loading.validate_dataset(folder, as_of=AS_OF)
    assert len(validations) == 3


def test_a_changed_map_or_as_of_is_validated_again(folder, validations, tmp_path):
    loading.validate_dataset(folder, as_of=AS_OF)
    loading.validate_dataset(folder, as_of="2025-03-07")
    assert len(validations) == 2
    ds, issues = loading.validate_dataset(folder, as_of="2025-03-07")  # cached with its own as-of
    assert issues["code"].tolist() == ["date_after_as_of"] and len(validations) == 2
    map_file = tmp_path / "mine.yaml"
    map_file.write_text("name: mine\ntables:\n  orders:\n    amount_unit: wan\n", encoding="utf-8")
    ds, _ = loading.validate_dataset(folder, as_of=AS_OF, column_map=map_file)
    assert ds.orders["amount"].tolist() == [1_000_000.0, 2_000_000.0] and len(validations) == 3
    map_file.write_text("name: mine\ntables:\n  orders:\n    amount_unit: cny\n", encoding="utf-8")
    ds, _ = loading.validate_dataset(folder, as_of=AS_OF, column_map=map_file)
    assert ds.orders["amount"].tolist() == [100.0, 200.0] and len(validations) == 4


def test_one_entry_per_folder_and_off_switch(folder, validations, monkeypatch):
    loading.validate_dataset(folder, as_of=AS_OF)
    loading.validate_dataset(folder, as_of="2025-06-30")
    entries = [p for p in cache.cache_dir().iterdir()]
    assert len(entries) == 1 and len(list(entries[0].iterdir())) == 1  # the older entry is gone
    cache.clear()
    monkeypatch.setenv("PLAYBOOK_CACHE", "off")
    loading.validate_dataset(folder, as_of=AS_OF)
    loading.validate_dataset(folder, as_of=AS_OF)
    assert len(validations) == 4 and not cache.cache_dir() and not (folder.parent / "cache" / "validated").exists()


def test_a_broken_entry_is_a_miss_not_an_error(folder, validations):
    first = loading.validate_dataset(folder, as_of=AS_OF)
    (entry,) = [e for f in cache.cache_dir().iterdir() for e in f.iterdir()]
    (entry / "orders.parquet").write_bytes(b"not parquet")
    _same(first, loading.validate_dataset(folder, as_of=AS_OF))
    assert len(validations) == 2


def test_an_unwritable_cache_is_skipped(folder, validations, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("PLAYBOOK_CACHE_DIR", str(blocker))  # a file: no folder can be made in it
    first = loading.validate_dataset(folder, as_of=AS_OF)
    _same(first, loading.validate_dataset(folder, as_of=AS_OF))
    assert len(validations) == 2


def test_sample_with_issues_round_trips(tmp_path, monkeypatch, validations):
    """Every dtype of the kit's tables and of the issue table survives the cache exactly."""
    monkeypatch.setenv("PLAYBOOK_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "sample"
    shutil.copytree(SAMPLE_DIR, data)
    with open(data / "orders.csv", "a", encoding="utf-8") as f:
        f.write("X1,C9999,R001,2025-02-30,-5,maybe\n")
    first = loading.validate_dataset(data)
    assert len(first[1]) >= 3
    _same(first, loading.validate_dataset(data))
    assert len(validations) == 1


def test_hit_while_another_entry_of_the_folder_exists(folder, validations):
    """Another process may be storing another as-of date's entry at the same time."""
    first = loading.validate_dataset(folder, as_of=AS_OF)
    (entry,) = [e for f in cache.cache_dir().iterdir() for e in f.iterdir()]
    shutil.copytree(entry, entry.parent / "someone-elses-key")
    _same(first, loading.validate_dataset(folder, as_of=AS_OF))
    assert len(validations) == 1
