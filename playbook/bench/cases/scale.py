"""Benchmark of growth: ``playbook rfm`` and ``playbook overview`` from 1M to 5M orders, time and memory.

Issue 17: from about 1,000,000 orders (``playbook sample --scale 70``) to about
5,000,000 (``--scale 350``), a command's time grows at most 5.5 times and its peak
memory stays within 3 times the size of the tables it loads.

Each command runs as a user runs it: the CLI in a new process, on a data folder written
by ``playbook sample``, once **cold** (a new, empty validation cache: the user's first
command on a new folder, with the load, the checks and the cache write) and once
**warm** (the same command again: the validated tables come from the cache). Each
command has a cache folder of its own, so ``overview`` never reads what ``rfm`` wrote.

- **time**: wall seconds of the process, 5M over 1M (one run each: a run at 5M is tens
  of seconds);
- **peak memory**: the most memory the command held at once: the larger of the summed
  resident set size (RSS) of the process and its children (sampled every 20 ms; the
  overview's notebook kernel is a child) and the highest peak RSS one of them reached
  (``VmHWM``), over the in-memory size of every table the command loads
  (``DataFrame.memory_usage(deep=True)``, summed; the loaded folder measured after the
  runs, through the cache).

The 5M folder is generated once, in its own process (``playbook sample``, timed: a row
says how long a user waits for it), and serves both commands; the 1M folder is written
from the bench's 1M sample.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from playbook.bench import Result, sample_tables
from playbook.data.loading import load_inputs
from playbook.data.sample import write_tables
from playbook.pipeline.workers import descendants

__all__ = ["CASES", "Run", "COMMANDS", "run_command", "tree_rss", "tables_size", "measure", "scale_rows"]

COMMANDS: dict[str, tuple[str, ...]] = {
    "rfm": ("rfm",),
    "overview": ("overview", "--out", "{out}"),
}
"""The commands measured and their arguments (``{out}``: a folder of the run's own)."""

_EVERY = 0.02  # seconds between two samples of the process tree's memory
_RESCAN = 25  # samples between two searches for the tree's processes
_GROWTH, _MEMORY = 5.5, 3.0  # issue 17's targets
_MEMORY_FROM = 256e6  # bytes of tables from which the memory target applies (below, start-up decides)


@dataclass(frozen=True)
class Run:
    """One command run: wall seconds, peak bytes (tree sum or one process's peak), exit status, CPU seconds."""

    seconds: float
    peak: int
    status: int
    cpu: float = float("nan")


def _memory(pid: int) -> tuple[int, int]:
    """Resident bytes of ``pid`` now and at its peak (``VmRSS``, ``VmHWM``); zeros when it is gone."""
    found = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    found[key] = int(value.split()[0]) * 1024
    except (OSError, ValueError):
        pass
    return found.get("VmRSS", 0), found.get("VmHWM", 0)


def tree_rss(pid: int, kids: Sequence[int] | None = None) -> tuple[int, int]:
    """Return (summed resident bytes of ``pid`` and its descendants, the highest peak of one of them).

    ``kids``: the descendants' ids, found when not given. Zeros where /proc is missing.

    Examples
    --------
    >>> now, peak = tree_rss(os.getpid())
    >>> peak >= now > 0 or not os.path.isdir("/proc")
    True
    """
    if kids is None:
        kids = [kid for kid, _ in descendants(pid)]
    each = [_memory(p) for p in (pid, *kids)]
    return sum(now for now, _ in each), max(peak for _, peak in each)


def run_command(argv: Sequence[str], *, env: dict[str, str] | None = None, cwd: str | Path | None = None) -> Run:
    """Run ``argv`` in a new process (output discarded); return its wall time and peak memory.

    The peak is the larger of the summed RSS of the process tree and the highest peak
    RSS (``VmHWM``) one process of it reached, both read from /proc every 20 ms (the
    tree itself found again every half second: a scan of /proc costs more than a
    sample). ``wait4``'s ``ru_maxrss`` is not used: on Linux it counts the parent's
    pages a child had between ``fork`` and ``exec``.

    Examples
    --------
    >>> r = run_command([sys.executable, "-m", "playbook", "--help"])
    >>> r.status, r.seconds > 0, r.peak > 0 or not os.path.isdir("/proc")
    (0, True, True)
    """
    start = time.perf_counter()
    proc = subprocess.Popen(list(argv), env=env, cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak, kids, n = 0, [], 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if n % _RESCAN == 0:
            kids = [kid for kid, _ in descendants(proc.pid)]
        peak, n = max(peak, *tree_rss(proc.pid, kids)), n + 1
        time.sleep(_EVERY)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    return Run(seconds, peak, proc.returncode, usage.ru_utime + usage.ru_stime)


def tables_size(data: str | Path, *, cache: str | Path | None = None) -> tuple[int, int]:
    """Return (bytes in memory of every table :func:`load_inputs` gives for ``data``, number of orders).

    The size is ``memory_usage(deep=True)`` summed over the tables and their columns:
    what a command that loads the folder holds before it computes anything. ``cache``:
    the validation cache folder to read them from (as ``PLAYBOOK_CACHE_DIR``).

    Examples
    --------
    >>> size, orders = tables_size("data/sample")
    >>> orders, size > 1_000_000
    (13382, True)
    """
    old = os.environ.get("PLAYBOOK_CACHE_DIR")
    if cache is not None:
        os.environ["PLAYBOOK_CACHE_DIR"] = str(cache)
    try:
        ds = load_inputs(data)
    finally:
        if cache is not None and old is None:
            os.environ.pop("PLAYBOOK_CACHE_DIR", None)
        elif cache is not None:
            os.environ["PLAYBOOK_CACHE_DIR"] = old
    return sum(int(t.memory_usage(deep=True).sum()) for t in ds.tables().values()), len(ds.orders)


def measure(command: str, data: Path, work: Path) -> dict[str, Run]:
    """Run ``command`` on ``data`` cold (a new cache folder) then warm (the same folder again)."""
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PLAYBOOK_CACHE_DIR": str(work / f"cache_{command}")}
    env.pop("PLAYBOOK_CACHE", None)
    out = {}
    for mode in ("cold", "warm"):
        args = [a.format(out=work / f"out_{command}_{mode}") for a in COMMANDS[command]]
        out[mode] = run = run_command([sys.executable, "-m", "playbook", *args, "--data", str(data), "--lang", "en"],
                                      env=env, cwd=work)
        if run.status:
            raise RuntimeError(f"playbook {command} --data {data} exited with status {run.status}")
    return out


def scale_rows(runs: dict[str, dict[str, dict[str, Run]]], sizes: dict[str, tuple[int, int]]) -> list[Result]:
    """Turn the runs (``runs[command][size][mode]``, sizes ``"small"``/``"large"``) into rows.

    ``sizes[size]`` is (bytes of the loaded tables, orders).

    The memory target applies from 256 MB of tables: below, the interpreter and the
    imports (about 0.2 GB a process) decide the ratio.

    Examples
    --------
    >>> r = {"rfm": {s: {m: Run(x, int(2e9 * x), 0) for m in ("cold", "warm")}
    ...              for s, x in (("small", 1.0), ("large", 5.0))}}
    >>> rows = scale_rows(r, {"small": (10**9, 1000), "large": (5 * 10**9, 5000)})
    >>> [(row.ratio, row.verdict) for row in rows][:2]
    [(5.0, 'pass'), (2.0, 'pass')]
    """
    rows = []
    small, large = sizes["small"][1], sizes["large"][1]
    for command, by_size in runs.items():
        for mode, what in (("cold", "first run on a new folder (load, checks, cache write)"),
                           ("warm", "again (tables from the validation cache)")):
            a, b = by_size["small"][mode], by_size["large"][mode]
            rows.append(Result(f"playbook {command}, {what}: {small:,} -> {large:,} orders", large, b.seconds,
                               f"the same at {small:,} orders", a.seconds, kind="scale", target=_GROWTH))
            big = sizes["large"][0] >= _MEMORY_FROM
            rows.append(Result(f"playbook {command}, {mode}, {large:,} orders: peak memory (process and children)",
                               large, b.peak / 1e9, "size of the loaded tables (memory_usage deep)"
                               + ("" if big else "; no target below 0.26 GB: start-up decides"),
                               sizes["large"][0] / 1e9, kind="memory", target=_MEMORY if big else None, unit="GB"))
    return rows


def _write_large(scale: float, folder: Path) -> float:
    """Write the sample at ``scale`` to ``folder`` with ``playbook sample`` in a new process; return seconds."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "playbook", "sample", "--scale", f"{scale:g}", "--out", str(folder)],
                   check=True, capture_output=True)
    return time.perf_counter() - start


def _bench_scale(scale: float) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="bench_scale_") as tmp:
        work = Path(tmp)
        write_tables(sample_tables(scale / 5), work / "small")  # the bench's 1M sample (other cases use it)
        generated = _write_large(scale, work / "large")
        runs: dict[str, dict[str, dict[str, Run]]] = {}
        for command in COMMANDS:
            runs[command] = {size: measure(command, work / size, work / f"run_{size}")
                             for size in ("small", "large")}
        sizes = {size: tables_size(work / size, cache=work / f"run_{size}" / "cache_rfm")
                 for size in ("small", "large")}
    return [Result(f"playbook sample --scale {scale:g}: generate and write the {sizes['large'][1]:,}-order "
                   "folder (its own process)", sizes["large"][1], generated,
                   "none (how long a user waits for the folder)", float("nan")),
            *scale_rows(runs, sizes)]


CASES = {
    "scale": (_bench_scale, 350.0, 10.0),
}
