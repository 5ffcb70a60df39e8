r"""A cache of validated datasets: a folder validated once is not validated again.

:func:`playbook.data.loading.validate_dataset` reads, maps and checks every file of a
data folder. At company scale that is most of a command's time, and every command
(``playbook rfm``, ``overview``, the notebooks, the apps) starts with it. So the
validated tables and the issue table are kept as Parquet, under a **fingerprint of
everything the result depends on**:

- the folder as given (issue messages name its files), and for each table file found:
  its name, size, modification time and the SHA-256 of its bytes;
- the kit's code that reads and checks (the bytes of ``playbook/data``, ``playbook/core``
  with the message catalogue);
- the column map (its full content, and the shipped maps a detection chooses from);
- the as-of date the dates were checked against.

A changed byte, file, map, option or kit version gives another fingerprint: the cache
is never stale, only missed.

Hashing every file again on every command would cost about as much as reading the cached
entry, so the files' hashes are kept too, as git's index keeps them (:func:`file_shas`):
per file, its path, size, modification and change times, inode and device with the hash.
A file whose ``stat`` still gives the same values is not read again; any change of one
of them hashes it again. A file changed within the last :data:`RACY_NS` nanoseconds
before it was hashed is "racily clean" (it may change again within the same timestamp,
at the same size): its hash is used once, never kept.

Where it lives: the user's cache directory (``~/.cache/playbook/validated`` on Linux,
via ``platformdirs``; the files' hashes in its ``hashes.json``), not the data folder,
which may be read-only, shared, or the kit's own sample; ``PLAYBOOK_CACHE_DIR`` moves it,
``PLAYBOOK_CACHE=off`` turns it off (validation then hashes, keeps and writes nothing).
One entry is kept per folder (a new fingerprint replaces the old one) and at most
:data:`MAX_FOLDERS` folders. A cache that cannot be read or written is ignored: it can
make a command faster, never make it fail.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "orders.csv").write_text("order_id\nO1\n")
>>> key = fingerprint(d, [d / "orders.csv"], "2025-09-30")
>>> key == fingerprint(d, [d / "orders.csv"], "2025-09-30"), len(key)
(True, 32)
>>> _ = (d / "orders.csv").write_text("order_id\nO2\n")  # same size, new bytes
>>> key == fingerprint(d, [d / "orders.csv"], "2025-09-30")
False
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import platformdirs

from playbook.core import paths as _paths

__all__ = ["MAX_FOLDERS", "MAX_HASHES", "RACY_NS", "HASHED", "cache_dir", "file_shas", "fingerprint", "lookup",
           "read_entry", "write_entry", "clear"]

#: Folders kept in the cache (the least recently used beyond this are removed).
MAX_FOLDERS = 8
#: Files whose hashes are kept (the ones hashed longest ago beyond this are dropped).
MAX_HASHES = 256
#: A file modified or changed less than this before it was hashed is racily clean: its hash is not kept.
RACY_NS = 2_000_000_000
#: Files and bytes read for hashing by this process (``HASHED["files"]``, ``HASHED["bytes"]``).
HASHED: Counter[str] = Counter()
_META = "meta.json"
_HASHES = "hashes.json"
_OFF = ("0", "off", "false", "no")


def cache_dir() -> Path | None:
    """Return the folder of validated datasets; ``None`` when ``PLAYBOOK_CACHE=off``.

    Examples
    --------
    >>> import os
    >>> os.environ["PLAYBOOK_CACHE_DIR"] = "/tmp/pb-cache-example"
    >>> str(cache_dir())
    '/tmp/pb-cache-example/validated'
    >>> del os.environ["PLAYBOOK_CACHE_DIR"]
    """
    if os.environ.get("PLAYBOOK_CACHE", "").strip().lower() in _OFF:
        return None
    root = os.environ.get("PLAYBOOK_CACHE_DIR") or platformdirs.user_cache_dir("playbook")
    return Path(root) / "validated"


# ---------------------------------------------------------------------------- file hashes
_LOCK = threading.Lock()  # guards the three below and HASHED
_FLIGHTS: dict[tuple, Future] = {}  # (path, *stat) -> the hash being computed: asked twice, read once
_KNOWN: dict[str, list] = {}  # path -> [size, mtime_ns, inode, ctime_ns, device, sha, hashed at (ns)]
_READ: dict[Path, list[int]] = {}  # hashes file -> its stat when last merged into _KNOWN
_WRITING = threading.Lock()  # one writer of the hashes file per process


def _file_sha(path: str | Path) -> str:
    with open(path, "rb") as f:
        sha = hashlib.file_digest(f, "sha256").hexdigest()
        size = f.tell()
    with _LOCK:
        HASHED.update(files=1, bytes=size)
    return sha


def _stat_key(info: os.stat_result) -> list[int]:
    return [info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns, info.st_dev]


def _valid(entry: object) -> bool:
    return (isinstance(entry, list) and len(entry) == 7 and isinstance(entry[5], str)
            and all(type(v) is int for v in (*entry[:5], entry[6])))


def _load_hashes(file: Path) -> dict[str, list]:
    """Return the kept hashes of ``file``; a missing, unreadable or broken file holds none."""
    try:
        files = json.loads(file.read_text(encoding="utf-8"))["files"]
        return {p: e for p, e in files.items() if isinstance(p, str) and _valid(e)}
    except Exception:  # noqa: BLE001 - a broken hashes file is a miss, never an error
        return {}


def _read_hashes(root: Path) -> None:
    """Merge the hashes file into :data:`_KNOWN` when it changed since it was last read."""
    file = root / _HASHES
    try:
        seen = _stat_key(file.stat())
    except OSError:
        return
    if _READ.get(file) == seen:
        return
    kept = _load_hashes(file)
    with _LOCK:
        _KNOWN.update(kept)
        _READ[file] = seen


def _write_hashes(root: Path, new: Mapping[str, list]) -> None:
    """Add ``new`` to the hashes file (read again first: another process may have added others), atomically."""
    file, tmp = root / _HASHES, None
    with _WRITING:
        try:
            files = {**_load_hashes(file), **new}
            kept = dict(sorted(files.items(), key=lambda kv: kv[1][6], reverse=True)[:MAX_HASHES])
            root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=root, prefix=".tmp-", suffix=".json",
                                             delete=False) as f:
                tmp = f.name
                json.dump({"version": 1, "files": kept}, f)
            os.replace(tmp, file)
        except Exception:  # noqa: BLE001 - hashes that cannot be kept are hashed again next time
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)


def _kept_sha(path: str, key: list[int]) -> str | None:
    entry = _KNOWN.get(path)
    return entry[5] if entry is not None and entry[:5] == key else None


def _hash_once(path: str, info: os.stat_result, keep: bool) -> tuple[str, list | None]:
    """Return ``(sha, entry to keep or None)`` of ``path`` as ``info`` states it, reading it at most once.

    Another thread asking for the same file in the same state while it is read waits for
    that reading; one asking later finds the hash kept (unless it was racily clean).
    """
    key = _stat_key(info)
    flight = (path, *key)
    with _LOCK:
        sha = _kept_sha(path, key) if keep else None
        if sha is not None:
            return sha, None
        future = _FLIGHTS.get(flight)
        owner = future is None
        if owner:
            future = _FLIGHTS[flight] = Future()
    if not owner:
        return future.result()[0], None
    try:
        started = time.time_ns()
        sha = _file_sha(path)
        clean = max(info.st_mtime_ns, info.st_ctime_ns) < started - RACY_NS
        entry = [*key, sha, started] if keep and clean else None
        with _LOCK:
            if entry is not None:
                _KNOWN[path] = entry
            future.set_result((sha, entry))
        return sha, entry
    except BaseException as error:
        future.set_exception(error)
        raise
    finally:
        with _LOCK:
            _FLIGHTS.pop(flight, None)


def _shas_and_stats(files: Sequence[str | Path]) -> list[tuple[str, os.stat_result]]:
    """Return ``(sha, stat)`` per file, reading only the files not hashed in the state ``stat`` gives."""
    paths = [os.path.abspath(f) for f in files]
    stats = [os.stat(p) for p in paths]
    root = cache_dir()
    keep = root is not None
    if keep:
        _read_hashes(root)
    with _LOCK:
        shas = [_kept_sha(p, _stat_key(s)) if keep else None for p, s in zip(paths, stats, strict=True)]
    todo = [i for i, sha in enumerate(shas) if sha is None]
    if todo:
        with ThreadPoolExecutor(max_workers=min(2, len(todo))) as pool:  # hashing releases the GIL
            done = list(pool.map(lambda i: _hash_once(paths[i], stats[i], keep), todo))
        new = {}
        for i, (sha, entry) in zip(todo, done, strict=True):
            shas[i] = sha
            if entry is not None:
                new[paths[i]] = entry
        if new and root is not None:
            _write_hashes(root, new)
    return list(zip(shas, stats, strict=True))


def file_shas(files: Sequence[str | Path]) -> list[str]:
    r"""Return the SHA-256 (hex) of each file's bytes, reading only files changed since they were last hashed.

    A file is read again when its size, modification time, change time, inode or device
    differs from those kept with its hash, or when it was racily clean (changed less than
    :data:`RACY_NS` before it was hashed). The hashes are kept in the cache folder
    (``hashes.json``); with the cache off (``PLAYBOOK_CACHE=off``) every file is read
    and nothing is kept. Two threads asking for the same file at once share one reading.

    Examples
    --------
    >>> import hashlib, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "orders.csv").write_text("order_id\nO1\n")
    >>> file_shas([d / "orders.csv"]) == [hashlib.sha256(b"order_id\nO1\n").hexdigest()]
    True
    """
    return [sha for sha, _ in _shas_and_stats(files)]


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """Fingerprint of the code and catalogues validation depends on (the kit's code version).

    Examples
    --------
    >>> len(code_version()) == 16 and code_version() == code_version()
    True
    """
    package = Path(__file__).resolve().parents[1]
    files = [*(package / "data").rglob("*.py"), *(package / "core").rglob("*.py"),
             *(package / "core").rglob("*.yaml"), *_paths.COLUMN_MAPS_DIR.glob("*.yaml")]
    digest = hashlib.sha256()
    for path in sorted(f for f in files if "__pycache__" not in f.parts):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def fingerprint(directory: str | Path, files: Iterable[str | Path], *extra: object) -> str:
    """Fingerprint a folder's table files (names, sizes, times, bytes), the code and ``extra``.

    The files' hashes come from :func:`file_shas` (a file unchanged since it was last
    hashed is not read again).
    """
    found = [Path(f) for f in files]
    digest = hashlib.sha256(str(directory).encode())
    digest.update(str(Path(directory).resolve()).encode())
    for path, (sha, stat) in zip(found, _shas_and_stats(found), strict=True):
        digest.update(f"{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\0{sha}\0".encode())
    digest.update(code_version().encode())
    for value in extra:
        digest.update(repr(value).encode())
    return digest.hexdigest()[:32]


def _folder(directory: str | Path) -> Path | None:
    root = cache_dir()
    if root is None:
        return None
    return root / hashlib.sha256(str(directory).encode()).hexdigest()[:16]


Entry = tuple[dict[str, pd.DataFrame], pd.DataFrame, dict]


def lookup(directory: str | Path, files: Iterable[str | Path], *extra: object) -> tuple[str, Entry | None]:
    """Return ``(key, entry or None)``: the fingerprint, and what is cached under it.

    The files unchanged since they were last hashed are not read (:func:`file_shas`), so
    a hit costs a ``stat`` per file and the Parquet read. With the cache off
    (``PLAYBOOK_CACHE=off``) nothing is hashed: ``("", None)``.
    """
    if _folder(directory) is None:
        return "", None
    key = fingerprint(directory, list(files), *extra)
    return key, read_entry(directory, key)


def read_entry(directory: str | Path, key: str) -> Entry | None:
    """Return ``(tables, issues, meta)`` cached for ``directory`` under ``key``, or None.

    A missing, different, incomplete or unreadable entry is a miss.
    """
    folder = _folder(directory)
    if folder is None:
        return None
    entry = folder / key
    try:
        meta = json.loads((entry / _META).read_text(encoding="utf-8"))
        if meta.get("key") != key:
            return None
        tables = {name: pd.read_parquet(entry / f"{name}.parquet") for name in meta["tables"]}
        issues = pd.read_parquet(entry / "_issues.parquet")
        os.utime(folder)  # recently used
    except Exception:  # noqa: BLE001 - any broken entry is a miss, never an error
        return None
    return tables, issues, meta


def write_entry(directory: str | Path, key: str, tables: Mapping[str, pd.DataFrame], issues: pd.DataFrame,
                **meta: Any) -> Path | None:
    """Store ``tables`` and ``issues`` for ``directory`` under ``key``; return the entry (None if not stored).

    Written to a temporary folder and renamed into place (readers never see half an
    entry); older entries of the same folder are removed, then the least recently
    used folders beyond :data:`MAX_FOLDERS`.
    """
    folder = _folder(directory)
    if folder is None:
        return None
    entry = folder / key
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder))
        for name, frame in tables.items():
            frame.to_parquet(tmp / f"{name}.parquet", index=False)
        issues.to_parquet(tmp / "_issues.parquet", index=False)
        info = {"key": key, "tables": list(tables), "source": str(directory), **meta}
        (tmp / _META).write_text(json.dumps(info, ensure_ascii=False, default=str), encoding="utf-8")
        try:
            tmp.rename(entry)
        except OSError:  # another process stored the same entry first
            shutil.rmtree(tmp, ignore_errors=True)
        for old in folder.iterdir():
            if old.name != key and not old.name.startswith(".tmp-"):
                shutil.rmtree(old, ignore_errors=True)
        _prune(folder.parent)
    except Exception:  # noqa: BLE001 - a cache that cannot be written is skipped
        return None
    return entry if entry.is_dir() else None


def _prune(root: Path) -> None:
    folders = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in folders[MAX_FOLDERS:]:
        shutil.rmtree(old, ignore_errors=True)


def clear() -> None:
    """Remove every cached dataset (of the cache folder in use).

    Examples
    --------
    >>> import os, tempfile
    >>> os.environ["PLAYBOOK_CACHE_DIR"] = tempfile.mkdtemp()
    >>> clear(); cache_dir().exists()
    False
    >>> del os.environ["PLAYBOOK_CACHE_DIR"]
    """
    root = cache_dir()
    if root is not None and root.is_dir():
        shutil.rmtree(root, ignore_errors=True)
