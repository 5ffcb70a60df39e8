"""A batch's snapshot: team-wide tables as Parquet files plus ``meta.json``, read slice by slice.

The module a report's kernel needs (:mod:`playbook.pipeline.kernelside`, the report
templates): pandas and the kit's errors, nothing of the batch machinery (no Jupyter
client, Papermill, nbconvert or browser). :mod:`playbook.pipeline.batch` re-exports it.

Examples
--------
>>> import tempfile
>>> import pandas as pd
>>> snap = write_snapshot({"sales": pd.DataFrame({"rep_id": ["R1", "R2"], "amount": [1.0, 2.0]})},
...                       tempfile.mkdtemp(), fingerprint="abc")
>>> read_snapshot_meta(snap)["tables"], read_slice(snap, "sales", "R2")["amount"].tolist()
(['sales'], [2.0])
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from playbook.core.errors import PlaybookError

__all__ = ["META", "write_snapshot", "read_snapshot_meta", "preload_snapshot", "read_slice"]

META = "meta.json"
_PRELOADED: dict[str, tuple[tuple[int, int], pd.DataFrame]] = {}  # preload_snapshot: path -> (stamp, table)


def write_snapshot(
    frames: dict[str, pd.DataFrame], directory: str | Path, *, fingerprint: str, **meta: Any
) -> Path:
    """Write ``frames`` as Parquet files and ``meta.json`` into ``directory``.

    Frames that hold per-rep rows must have a ``rep_id`` column so reports can read
    their slice only. The meta file is written last: a snapshot without it is
    incomplete and is not used.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / META).unlink(missing_ok=True)
    for name, frame in frames.items():
        frame.to_parquet(directory / f"{name}.parquet", index=False)
    info = {"fingerprint": fingerprint, "tables": sorted(frames), **meta}
    (directory / META).write_text(json.dumps(info, ensure_ascii=False, indent=1, default=str),
                                  encoding="utf-8")
    return directory


def read_snapshot_meta(directory: str | Path) -> dict[str, Any]:
    """Return the snapshot's ``meta.json``; a clear error when it is missing."""
    path = Path(directory) / META
    if not path.exists():
        raise PlaybookError(
            f"{directory}: not a complete snapshot (no {META}); build it again with "
            "`playbook idp render`."
        )
    return json.loads(path.read_text(encoding="utf-8"))


def preload_snapshot(directory: str | Path) -> None:
    """Keep every table of a snapshot in memory: :func:`read_slice` then filters there.

    A warm kernel (:mod:`playbook.pipeline.engine`) does this once for all its reports.
    A table file changed since (size or time) is read from disk again.
    """
    directory = Path(directory).resolve()
    for table in read_snapshot_meta(directory).get("tables", []):
        path = directory / f"{table}.parquet"
        _PRELOADED[str(path)] = (_stamp(path), pd.read_parquet(path))


def _stamp(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_mtime_ns, info.st_size


def read_slice(directory: str | Path, table: str, rep_id: str | None = None) -> pd.DataFrame:
    """Read one snapshot table; with ``rep_id``, only that rep's rows (Parquet filter).

    Tables without a ``rep_id`` column (anonymous team statistics) are read whole.
    A preloaded table (:func:`preload_snapshot`) is filtered in memory, to the same frame.
    """
    path = Path(directory) / f"{table}.parquet"
    kept = _PRELOADED.get(str(path.resolve()))
    if kept is not None and kept[0] == _stamp(path):
        frame = kept[1]
        if rep_id is None or "rep_id" not in frame:
            return frame.copy()
        return frame[frame["rep_id"] == str(rep_id)].reset_index(drop=True)
    if rep_id is None:
        return pd.read_parquet(path)
    try:
        return pd.read_parquet(path, filters=[("rep_id", "==", str(rep_id))])
    except (KeyError, ValueError):
        # pyarrow refuses a filter on a missing column: a team-level table
        return pd.read_parquet(path)
