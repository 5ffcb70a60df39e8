"""The IDP batch's snapshot fingerprint: each data file is read once for hashing, the value is the files' bytes."""

import collections
import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

import pytest

from playbook import __version__
from playbook.core import paths
from playbook.data import cache, loading
from playbook.pipeline import batch
from playbook.pipeline.idp_batch import build_snapshot

_WATCHED: list = []  # [(folder, Counter of opens per file name)] while a test watches


def _count_opens(event, args):
    if event == "open" and _WATCHED and isinstance(args[0], (str, bytes, os.PathLike)):
        path = Path(os.fsdecode(args[0]))
        folder, opens = _WATCHED[-1]
        if path.parent == folder:
            opens[path.name] += 1


sys.addaudithook(_count_opens)  # audit hooks stay for the process: it counts only while a test watches


@pytest.fixture
def opens():
    """Count every opening of a file of a folder, whoever opens it: ``opens(folder)`` returns the Counter."""
    def watch(folder):
        _WATCHED.append((Path(folder), collections.Counter()))
        return _WATCHED[-1][1]
    yield watch
    _WATCHED.clear()


@pytest.fixture
def sample(tmp_path, monkeypatch):
    """A copy of the sample company whose files last changed before they are hashed; a cache of its own."""
    monkeypatch.setenv("PLAYBOOK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PLAYBOOK_CACHE", raising=False)
    monkeypatch.setattr(cache, "_KNOWN", {})
    monkeypatch.setattr(cache, "_READ", {})
    monkeypatch.setattr(cache, "RACY_NS", 50_000_000)
    data = shutil.copytree(paths.SAMPLE_DIR, tmp_path / "data")
    time.sleep(0.1)
    cache.HASHED.clear()
    return data


def test_a_first_snapshot_reads_each_file_once_for_hashing(sample, tmp_path, opens):
    """The snapshot's fingerprint and the validation cache both hash the files: one reading serves both."""
    files = sorted(p for p in sample.iterdir() if p.is_file())
    validating = opens(sample)
    loading.validate_dataset(sample, cache=False)  # the openings of validation alone
    building = opens(sample)
    snap, _ = build_snapshot(sample, tmp_path / "out")
    assert building == {p.name: 1 + validating[p.name] for p in files}
    assert cache.HASHED == {"files": len(files), "bytes": sum(p.stat().st_size for p in files)}
    digest = hashlib.sha256()  # the fingerprint, computed independently from the bytes
    for path in files:
        digest.update(path.name.encode() + hashlib.sha256(path.read_bytes()).hexdigest().encode())
    for value in ("", "", __version__, batch.code_fingerprint()):
        digest.update(repr(value).encode())
    assert json.loads((snap / "meta.json").read_text(encoding="utf-8"))["fingerprint"] == digest.hexdigest()[:16]


def test_a_rerun_on_unchanged_files_reads_none_and_a_changed_file_rebuilds(sample, tmp_path, opens):
    snap, _ = build_snapshot(sample, tmp_path / "out")
    before = json.loads((snap / "meta.json").read_text(encoding="utf-8"))["fingerprint"]
    cache.HASHED.clear()
    rerun = opens(sample)
    build_snapshot(sample, tmp_path / "out")
    assert cache.HASHED == {} and rerun == {}
    with open(sample / "reps.csv", "a", encoding="utf-8") as f:
        f.write("\n")
    time.sleep(0.1)  # settled (changed just now, it would be read by both: racily clean)
    build_snapshot(sample, tmp_path / "out")
    assert cache.HASHED["files"] == 1  # only reps.csv, read again once for the snapshot and the validation
    assert json.loads((snap / "meta.json").read_text(encoding="utf-8"))["fingerprint"] != before
