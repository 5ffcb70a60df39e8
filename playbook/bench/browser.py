"""Voila on a free loopback port and a headless chromium: the apps' benchmarks and browser tests drive both.

Playwright's own browser download does not work everywhere: the system chromium (the one
:func:`playbook.pipeline.pdf.chromium` finds, ``None`` when missing) is launched instead,
through the kit's one Playwright import (:func:`playbook.pipeline.pdf.playwright`). The
benchmarks (:mod:`playbook.bench.cases.app_start`, :mod:`playbook.bench.cases.idp_form`)
and the tests' fixtures (``tests/voila_harness.py``, ``tests/conftest.py``) use these.

Examples
--------
>>> 0 < free_port() < 65536
True
>>> VIEWPORT
{'width': 1280, 'height': 900}
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from playbook.apps.server import KERNELS_ON_SOCKETS
from playbook.pipeline import pdf

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "VIEWPORT", "KERNEL_CULL", "REP_PICKER_READY", "free_port", "voila",
           "launch_browser"]

CHROMIUM = pdf.chromium()
"""The system chromium (``None`` when it is not installed)."""
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
VIEWPORT = {"width": 1280, "height": 900}
KERNEL_CULL = ("--MappingKernelManager.cull_idle_timeout=10", "--MappingKernelManager.cull_interval=5")
"""Voila options that end a closed page's kernel within seconds (so page after page does not pile kernels up)."""
REP_PICKER_READY = ("() => { const s = Array.from(document.querySelectorAll('select'))"
                    ".find(e => e.closest('.widget-dropdown') && !e.disabled && e.options.length > 1); return !!s; }")
"""JavaScript true once the IDP form is interactive: its rep picker is enabled and lists reps."""


def free_port() -> int:
    """Return a TCP port free on the loopback interface now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _voila_exe() -> str:
    return shutil.which("voila", path=str(Path(sys.executable).parent)) or "voila"


@contextlib.contextmanager
def voila(target: str | Path, *, timeout: float = 90.0, extra: tuple[str, ...] = (),
          env: dict[str, str] | None = None, log: str | Path | None = None) -> Iterator[str]:
    """Serve ``target`` (a notebook or a folder) with Voila on 127.0.0.1; yield the base URL.

    Voila runs in the notebook's folder (so it reads that folder's ``voila.py``).
    ``extra`` adds command-line options (e.g. :data:`KERNEL_CULL`); ``env`` adds
    environment variables, which its kernels inherit (Voila does not pass notebook
    parameters: e.g. ``PLAYBOOK_STORE_URL`` points the IDP form at a test store). Its output
    goes to ``log`` (default ``voila_<port>.log`` in the temporary folder). The server is
    ended when the block exits; :class:`TimeoutError` when it does not answer within
    ``timeout`` seconds, :class:`RuntimeError` (with the log's end) when it exits.
    """
    target = Path(target)
    for attempt in range(3):  # a free port can be taken by another process before Voila binds it: another one
        port = free_port()
        log_path = Path(log) if log is not None else Path(tempfile.gettempdir()) / f"voila_{port}.log"
        with open(log_path, "w", encoding="utf-8") as out:
            proc = subprocess.Popen(
                [_voila_exe(), str(target), "--no-browser", f"--port={port}", "--Voila.port_retries=0",
                 "--Voila.ip=127.0.0.1", *KERNELS_ON_SOCKETS, *extra],
                cwd=str(target.parent if target.is_file() else target), stdout=out, stderr=subprocess.STDOUT,
                env=None if env is None else {**os.environ, **env})
        try:
            _wait_listening(proc, port, timeout, log_path)
            break
        except RuntimeError:  # it exited
            if attempt == 2 or "already in use" not in log_path.read_text(encoding="utf-8", errors="replace"):
                raise
        except BaseException:
            _end(proc)
            raise
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        _end(proc)


def _end(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:  # pragma: no cover - a server that ignores SIGTERM
            proc.kill()
            proc.wait()


def _wait_listening(proc: subprocess.Popen, port: int, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"voila exited: {log.read_text(encoding='utf-8', errors='replace')[-2000:]}")
        try:  # Voila says it runs on the port (not another process that took it first), and the port answers
            if f"127.0.0.1:{port}/" in log.read_text(encoding="utf-8", errors="replace"):
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return
            raise OSError("not yet")
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"voila did not answer on port {port} within {timeout:g} s") from None
            time.sleep(0.2)


@contextlib.contextmanager
def launch_browser() -> Iterator[Any]:
    """Yield a Playwright browser: the headless system chromium with :data:`CHROMIUM_ARGS`; closed after."""
    with pdf.playwright()() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
