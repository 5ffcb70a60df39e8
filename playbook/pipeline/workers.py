"""The life of a batch's local worker processes: they end with the batch, take their children along.

A pool worker (:func:`init_worker`) runs in its own session, so a Ctrl-C on the
terminal reaches the batch process only, which then ends its workers itself
(:func:`stop`); it gets SIGTERM when its parent dies (Linux
``prctl(PR_SET_PDEATHSIG)``; elsewhere a thread watching ``os.getppid()``), and on
SIGTERM it ends its own children (its kernel, its browser's driver and chromium)
and exits. It keeps one warm kernel (:mod:`playbook.pipeline.engine`) and one
browser (:class:`playbook.pipeline.pdf.Printer`) for all its reports, and tells the
batch what it finished (:func:`emit`) so the progress display follows each phase.
The browser lives on a thread of its own (:class:`PrintThread`): a report's PDF prints
while the worker's kernel already runs the next report, and the worker prints its last
PDFs before it ends.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing import util as mp_util
from pathlib import Path
from typing import Any

from playbook.pipeline.engine import WarmKernel
from playbook.pipeline.pdf import Printer

__all__ = ["STATE", "PrintThread", "emit", "end_tree", "init_worker", "stop", "worker_engine", "worker_printer"]

PR_SET_PDEATHSIG = 1  # linux/prctl.h
STATE: dict[str, Any] = {"warm": False}
"""This process's state as a worker: ``warm`` (a pool or cluster worker), ``isolation``,
``max_reports``, ``events`` (a queue to the batch), ``engine`` and ``printer`` once made."""


def init_worker(parent: int, log: str | None, events: Any = None, isolation: str = "warm",
                max_reports: int = 100) -> None:
    """Pool worker initialiser: own session, end with ``parent``, stderr to ``log``, report to ``events``."""
    with contextlib.suppress(OSError):
        os.setsid()  # the terminal's Ctrl-C goes to the batch process, which ends its workers
    signal.signal(signal.SIGTERM, _exit_with_children)
    if not _parent_death_signal(signal.SIGTERM):
        threading.Thread(target=_watch_parent, args=(parent,), name="playbook-parent", daemon=True).start()
    if os.getppid() != parent:  # the parent died before the signal was armed
        _exit_with_children()
    STATE.update(warm=True, events=events, isolation=isolation, max_reports=max_reports)
    _quiet(log)
    emit("pid", os.getpid())


def emit(kind: str, value: Any) -> None:
    """Tell the batch process about progress (``("html", rep_id)``, ``("pdf", rep_id)``, …); nothing outside a pool."""
    events = STATE.get("events")
    if events is not None:
        with contextlib.suppress(Exception):
            events.put((kind, value))


def worker_engine() -> WarmKernel | None:
    """Return the worker's warm kernel (made on first use); None outside a worker or with ``isolation="fresh"``."""
    if not STATE["warm"] or STATE.get("isolation", "warm") != "warm":
        return None
    if "engine" not in STATE:
        STATE["engine"] = WarmKernel(max_reports=STATE.get("max_reports", 100))
        mp_util.Finalize(None, STATE["engine"].close, exitpriority=10)
    return STATE["engine"]


def worker_printer() -> PrintThread | None:
    """Return the worker's browser thread (its browser starts on first use); None outside a worker."""
    if not STATE["warm"]:
        return None
    if "printer" not in STATE:
        STATE["printer"] = PrintThread()
        mp_util.Finalize(None, STATE["printer"].close, exitpriority=10)  # its PDFs first, then the browser
    return STATE["printer"]


class PrintThread:
    """A worker's :class:`~playbook.pipeline.pdf.Printer`, used from one thread of its own.

    Playwright's sync API stays on the thread that started it.
    :meth:`browser` and :meth:`print` behave as the printer's own and wait for it;
    :meth:`later` queues work for the browser and returns at once, so the caller goes on
    (the next report's kernel runs while this one's PDF prints). :meth:`close` does
    everything queued, then closes the browser.
    """

    def __init__(self, exe: str | None = None) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="playbook-pdf")
        self._printer = Printer(exe)

    def later(self, work: Callable[[Printer], Any]) -> Future[Any]:
        """Run ``work(printer)`` on the browser's thread after what is queued; return its future."""
        return self._thread.submit(work, self._printer)

    def browser(self) -> Any:
        """Start the browser (when needed) and wait for it; see :meth:`Printer.browser`."""
        return self.later(Printer.browser).result()

    def print(self, html: str | Path, pdf: str | Path | None = None) -> Path:
        """Print ``html`` to ``pdf`` and wait for it; see :meth:`Printer.print`."""
        return self.later(lambda printer: printer.print(html, pdf)).result()

    def close(self) -> None:
        """Finish the queued work, close the browser, end the thread."""
        with contextlib.suppress(RuntimeError):  # closed already
            self.later(Printer.close).result()
        self._thread.shutdown(wait=True)


def stop(pids: list[int]) -> None:
    """End the workers ``pids`` now (SIGTERM: each ends its kernel and browser first), wait for them."""
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while any(running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in pids:
        if running(pid):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def _parent_death_signal(sig: int) -> bool:
    """Ask Linux to send ``sig`` to this process when its parent dies; False where it cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    """Portable fallback: poll the parent's pid and end this worker when it changes."""
    while os.getppid() == parent:
        time.sleep(0.5)
    _exit_with_children()


def _exit_with_children(signum: int = signal.SIGTERM, frame: object = None) -> None:
    """End this process's children (SIGTERM, then SIGKILL after a grace period) and exit."""
    end_tree(os.getpid())
    os._exit(128 + int(signum))


def end_tree(pid: int, grace: float = 2.0) -> None:
    """End every descendant of ``pid``: SIGTERM to its children, SIGKILL to what runs after ``grace`` s.

    The children go first and alone, so each can end its own (the browser's driver
    closes chromium and removes its profile folder); what is left is killed.
    """
    tree = descendants(pid)
    for kid, parent in tree:
        if parent == pid:
            with contextlib.suppress(OSError):
                os.kill(kid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(running(kid) for kid, _ in tree) and time.monotonic() < deadline:
        time.sleep(0.05)
    for kid, _ in tree:
        if running(kid):
            with contextlib.suppress(OSError):
                os.kill(kid, signal.SIGKILL)


def descendants(pid: int) -> list[tuple[int, int]]:
    """Return ``(pid, parent pid)`` of every descendant of ``pid`` (from /proc, else psutil, else none)."""
    proc = Path("/proc")
    if not (proc / str(pid) / "stat").exists():
        try:
            import psutil  # optional dependency: only where /proc is missing
        except ImportError:
            return []
        with contextlib.suppress(psutil.Error):
            return [(p.pid, p.ppid()) for p in psutil.Process(pid).children(recursive=True)]
        return []
    children: dict[int, list[int]] = {}
    for entry in proc.iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        found += [(kid, parent) for kid in children.get(parent, [])]
        todo += children.get(parent, [])
    return found


def running(pid: int) -> bool:
    """Tell whether ``pid`` runs (a zombie, dead but not yet reaped, does not count)."""
    if Path("/proc").is_dir():
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _quiet(log: str | None) -> None:
    """Send this process's (and its kernels') stderr to ``log``."""
    if log is None:
        return
    Path(log).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    os.close(fd)
