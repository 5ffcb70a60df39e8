"""The cache of validated datasets: used when nothing changed, never stale."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

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
    entries = [p for p in cache.cache_dir().iterdir() if p.is_dir()]  # beside them: the files' hashes
    assert len(entries) == 1 and len(list(entries[0].iterdir())) == 1  # the older entry is gone
    cache.clear()
    monkeypatch.setenv("PLAYBOOK_CACHE", "off")
    loading.validate_dataset(folder, as_of=AS_OF)
    loading.validate_dataset(folder, as_of=AS_OF)
    assert len(validations) == 4 and not cache.cache_dir() and not (folder.parent / "cache" / "validated").exists()


def test_a_broken_entry_is_a_miss_not_an_error(folder, validations):
    first = loading.validate_dataset(folder, as_of=AS_OF)
    (entry,) = [e for f in cache.cache_dir().iterdir() if f.is_dir() for e in f.iterdir()]
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
    (entry,) = [e for f in cache.cache_dir().iterdir() if f.is_dir() for e in f.iterdir()]
    shutil.copytree(entry, entry.parent / "someone-elses-key")
    _same(first, loading.validate_dataset(folder, as_of=AS_OF))
    assert len(validations) == 1


# ---------------------------------------------------------------------------- the files' hashes (stat cache)
@pytest.fixture
def fresh_process(monkeypatch):
    """This process as a new command would start: no hashes in memory, counters at zero."""
    monkeypatch.setattr(cache, "_KNOWN", {})
    monkeypatch.setattr(cache, "_READ", {})
    cache.HASHED.clear()


@pytest.fixture
def settled(folder, monkeypatch, fresh_process):
    """The folder's files last changed well before they are hashed (0.1 s, with a 0.05 s racy window)."""
    monkeypatch.setattr(cache, "RACY_NS", 50_000_000)
    time.sleep(0.1)
    return folder


def _sizes(folder, *names):
    return sum((folder / f"{n}.csv").stat().st_size for n in names)


def test_unchanged_files_are_not_read_again(settled, validations):
    first = loading.validate_dataset(settled, as_of=AS_OF)
    assert cache.HASHED == {"files": 3, "bytes": _sizes(settled, "reps", "customers", "orders")}
    kept = json.loads((cache.cache_dir() / "hashes.json").read_text(encoding="utf-8"))["files"]
    orders = str((settled / "orders.csv").resolve())
    assert kept[orders][5] == hashlib.sha256(ORDERS.encode()).hexdigest()
    _same(first, loading.validate_dataset(settled, as_of=AS_OF))
    assert cache.HASHED["files"] == 3 and len(validations) == 1


@pytest.mark.parametrize("how", ["in place", "replaced"])
def test_a_rewrite_with_the_same_size_and_old_mtime_is_seen(settled, validations, how):
    """Only the change time (and, replaced, the inode) tells: the file is hashed again."""
    loading.validate_dataset(settled, as_of=AS_OF)
    path = settled / "orders.csv"
    old = path.stat()
    new = ORDERS.replace("O2,C2,R2", "O2,C9,R2").encode()
    if how == "in place":
        with open(path, "r+b") as f:
            f.write(new)
    else:
        (settled / "orders.tmp").write_bytes(new)
        os.replace(settled / "orders.tmp", path)
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))
    now = path.stat()
    assert (now.st_size, now.st_mtime_ns) == (old.st_size, old.st_mtime_ns)
    assert now.st_ctime_ns != old.st_ctime_ns and (now.st_ino != old.st_ino) == (how == "replaced")
    ds, issues = loading.validate_dataset(settled, as_of=AS_OF)
    assert issues[["row", "code"]].values.tolist() == [[3, "unknown_reference"]]
    assert len(validations) == 2 and cache.HASHED["files"] == 4  # orders.csv only, read again


def test_a_racily_clean_file_is_hashed_again_and_not_kept(folder, fresh_process):
    """Written just now: it may change again within the same timestamp, at the same size."""
    path = folder / "orders.csv"
    old = path.stat()
    assert cache.file_shas([path]) == [hashlib.sha256(ORDERS.encode()).hexdigest()]
    new = ORDERS.replace("O2,C2,R2", "O2,C9,R2")
    path.write_text(new, encoding="utf-8")
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))  # perhaps the same ctime too: same timestamp tick
    assert cache.file_shas([path]) == [hashlib.sha256(new.encode()).hexdigest()]
    assert cache.file_shas([path]) == [hashlib.sha256(new.encode()).hexdigest()]
    assert cache.HASHED == {"files": 3, "bytes": 3 * old.st_size}
    assert not (cache.cache_dir() / "hashes.json").exists()


def test_another_process_uses_the_hashes_without_reading_the_files(settled, validations):
    """The second command is another process: it finds the hashes and the entry, and reads no data file."""
    first = loading.validate_dataset(settled, as_of=AS_OF)
    script = (
        "import json, sys\n"
        "from playbook.data import cache, loading\n"
        "ds, issues = loading.validate_dataset(sys.argv[1], as_of=sys.argv[2])\n"
        "print(json.dumps([dict(cache.HASHED), ds.orders['order_id'].tolist(), len(issues)]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(loading.__file__).parents[2])}
    done = subprocess.run([sys.executable, "-c", script, str(settled), AS_OF], env=env, capture_output=True,
                          text=True, check=True)
    hashed, orders, issues = json.loads(done.stdout)
    assert hashed == {} and orders == first[0].orders["order_id"].tolist() == ["O1", "O2"] and issues == 0
    assert len(validations) == 1


@pytest.mark.parametrize("text", ["not json", "{}", '{"files": [1]}', '{"files": {"x": [1, 2]}}', ""])
def test_a_broken_hashes_file_is_a_miss(settled, validations, monkeypatch, text):
    first = loading.validate_dataset(settled, as_of=AS_OF)
    hashes = cache.cache_dir() / "hashes.json"
    hashes.write_text(text, encoding="utf-8")
    monkeypatch.setattr(cache, "_KNOWN", {})  # a new command
    monkeypatch.setattr(cache, "_READ", {})
    _same(first, loading.validate_dataset(settled, as_of=AS_OF))
    assert cache.HASHED["files"] == 6 and len(validations) == 1  # read again; the entry itself still used
    assert len(json.loads(hashes.read_text(encoding="utf-8"))["files"]) == 3  # and kept again


def test_with_the_cache_off_nothing_is_hashed_kept_or_written(settled, validations, monkeypatch):
    monkeypatch.setenv("PLAYBOOK_CACHE", "off")
    loading.validate_dataset(settled, as_of=AS_OF)
    assert cache.HASHED == {} and len(validations) == 1
    path = settled / "orders.csv"
    assert cache.file_shas([path]) == cache.file_shas([path])  # asked for: read every time
    assert cache.HASHED["files"] == 2 and cache._KNOWN == {}
    assert not (settled.parent / "cache").exists()


def test_the_hashes_kept_are_bounded(settled, monkeypatch):
    monkeypatch.setattr(cache, "MAX_HASHES", 2)
    cache.file_shas([settled / "reps.csv"])
    cache.file_shas([settled / "customers.csv", settled / "orders.csv"])
    kept = json.loads((cache.cache_dir() / "hashes.json").read_text(encoding="utf-8"))["files"]
    assert sorted(Path(p).name for p in kept) == ["customers.csv", "orders.csv"]


def test_a_file_asked_for_twice_at_once_is_read_once(tmp_path, monkeypatch, fresh_process):
    """Two threads hashing the same file (the snapshot's fingerprint and the validation cache) share one reading."""
    monkeypatch.setenv("PLAYBOOK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "RACY_NS", 50_000_000)
    big = tmp_path / "orders.csv"
    big.write_bytes(ORDERS.encode() * 200_000)  # 20 MB: the two readings would overlap
    time.sleep(0.1)
    expected = hashlib.sha256(big.read_bytes()).hexdigest()
    assert cache.file_shas([big, big]) == [expected, expected]
    assert cache.HASHED == {"files": 1, "bytes": big.stat().st_size}
