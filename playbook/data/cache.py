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
is never stale, only missed. Where it lives: the user's cache directory
(``~/.cache/playbook/validated`` on Linux, via ``platformdirs``), not the data folder,
which may be read-only, shared, or the kit's own sample; ``PLAYBOOK_CACHE_DIR`` moves it,
``PLAYBOOK_CACHE=off`` turns it off. One entry is kept per folder (a new fingerprint
replaces the old one) and at most :data:`MAX_FOLDERS` folders. A cache that cannot be
read or written is ignored: it can make a command faster, never make it fail.

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

import functools
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import platformdirs

from playbook.core import paths as _paths

__all__ = ["MAX_FOLDERS", "cache_dir", "fingerprint", "lookup", "read_entry", "write_entry", "clear"]

#: Folders kept in the cache (the least recently used beyond this are removed).
MAX_FOLDERS = 8
_META = "meta.json"
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


def _file_sha(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


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

    The files are hashed two at a time (hashing releases the GIL).
    """
    found = [Path(f) for f in files]
    with ThreadPoolExecutor(max_workers=2) as pool:
        shas = list(pool.map(_file_sha, found))
    digest = hashlib.sha256(str(directory).encode())
    digest.update(str(Path(directory).resolve()).encode())
    for path, sha in zip(found, shas, strict=True):
        stat = path.stat()
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

    The folder's current entry is read while the files are hashed (both release the
    GIL), so a hit costs about the Parquet read; the entry is used only when its key
    equals the fingerprint. With the cache off (``PLAYBOOK_CACHE=off``) nothing is
    hashed: ``("", None)``.
    """
    folder = _folder(directory)
    if folder is None:
        return "", None
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(fingerprint, directory, list(files), *extra)
        current = None
        if folder is not None and folder.is_dir():
            names = [p.name for p in folder.iterdir() if not p.name.startswith(".tmp-")]
            current = read_entry(directory, names[0]) if len(names) == 1 else None
        key = future.result()
    if current is not None and current[2].get("key") == key:
        return key, current
    return key, (read_entry(directory, key) if folder is not None and (folder / key).is_dir() else None)


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
