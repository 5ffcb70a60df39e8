"""Run the staff apps as a service: ``playbook app`` starts Voila, supervises it and cleans up.

``playbook app`` stays the parent of its Voila server (:mod:`playbook.apps.voila_app`)
and forwards what a supervisor sends (``SIGTERM`` from systemd or Docker, ``SIGINT``
from Ctrl-C, ``SIGHUP`` when the terminal closes) to it as ``SIGTERM``, on which Voila
shuts its kernels down. It then waits; whatever of its tree still runs after a grace
period is ended (on Linux the command is a *child subreaper*, so the kernels of a Voila
that died come back to it), and the server gets ``SIGTERM`` if ``playbook app`` itself
is killed. So no server and no kernel outlives the command, and the port is free when
it returns.

The address printed is the one bound (``--Voila.port_retries=0``: a busy port is an error,
never a silent move to the next one), printed once the server answers its health
check; an address beyond loopback gets a warning to put an authenticating proxy in
front.

Examples
--------
>>> app_url("127.0.0.1", 8866)
'http://127.0.0.1:8866/voila/render/home.ipynb'
>>> app_url("::1", 8866, "/playbook/health")
'http://[::1]:8866/playbook/health'
>>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0"), is_loopback("10.0.0.5")
(True, True, False, False)
"""

from __future__ import annotations

import contextlib
import ctypes
import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

from playbook.core.errors import PlaybookError
from playbook.core.labels import t
from playbook.pipeline import workers
from playbook.present.messages import message

__all__ = ["HOME_PATH", "HEALTH_PATH", "KERNELS_ON_SOCKETS", "STOP_SIGNALS", "socket_limit_bytes", "voila_command",
           "app_url", "is_loopback", "check_port", "serve", "without_cwd_on_path"]

HOME_PATH = "/voila/render/home.ipynb"
#: The health check URL path, served by :mod:`playbook.apps.voila_app` (JSON; 200 when the apps are served).
HEALTH_PATH = "/playbook/health"
#: What a supervisor or a terminal sends to stop the apps; each is forwarded as SIGTERM.
KERNELS_ON_SOCKETS = ("--KernelManager.transport=ipc",)
"""Voila's kernels on Unix sockets in Jupyter's runtime folder, not on TCP ports of loopback that
another process could take between their choice and the kernel's start (as the kit's own
kernels: :class:`playbook.pipeline.notebooks.SocketKernelManager`)."""
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def socket_limit_bytes(upload_limit_mb: int) -> int:
    """Return the largest websocket message the server takes for an upload limit (MB, i.e. MiB).

    An upload reaches the kernel as one websocket message (ipywidgets sends the file's bytes
    in a binary frame); Tornado closes the connection on a larger message (its
    ``websocket_max_message_size``, 10 MiB by default) and the page hears nothing. The
    server takes twice the limit and 1 MiB more, so a file somewhat over the limit still
    reaches the kernel, which refuses it with a message naming the limit
    (:func:`playbook.apps.uploaded_file`).

    Examples
    --------
    >>> socket_limit_bytes(10) == 21 * 1024 * 1024
    True
    """
    return (2 * int(upload_limit_mb) + 1) * 1024 * 1024


def voila_command(apps_dir: str | Path, *, ip: str, port: int, python: str | None = None,
                  upload_limit_mb: int = 10) -> list[str]:
    """Return the command line of the apps' Voila server.

    ``upload_limit_mb`` (``playbook app --upload-limit``) sets the server's websocket
    message limit (:func:`socket_limit_bytes`); uploads travel over the kernel's websocket,
    not in an HTTP body, so no body limit is involved.

    Examples
    --------
    >>> cmd = voila_command("/kit/notebooks/apps", ip="127.0.0.1", port=8866, python="python3")
    >>> cmd[:5], "--Voila.port_retries=0" in cmd
    (['python3', '-P', '-m', 'playbook.apps.voila_app', '/kit/notebooks/apps'], True)
    >>> [a for a in voila_command("/a", ip="::1", port=1, upload_limit_mb=50) if "websocket" in a]
    ['--PlaybookVoila.websocket_max_message_size=105906176']
    """
    # Kernels of closed pages are culled after 15 idle minutes: Voila's own shutdown request
    # on page close is refused (voila-dashboards/voila#1458, "_xsrf argument missing").
    # -P: the apps folder (the server's working folder, where Voila reads voila.py) is not on
    # sys.path, so its voila.py configuration file does not hide the voila package.
    return [python or sys.executable, "-P", "-m", "playbook.apps.voila_app", str(apps_dir), "--no-browser",
            f"--port={port}", "--Voila.port_retries=0", f"--Voila.ip={ip}",
            "--strip_sources=True", "--show_tracebacks=False", *KERNELS_ON_SOCKETS,
            "--MappingKernelManager.cull_idle_timeout=900", "--MappingKernelManager.cull_interval=60",
            f"--PlaybookVoila.websocket_max_message_size={socket_limit_bytes(upload_limit_mb)}"]


def _host(ip: str) -> str:
    return f"[{ip}]" if ":" in ip else ip


def app_url(ip: str, port: int, path: str = HOME_PATH) -> str:
    """Return the URL of ``path`` on the server bound to ``ip``:``port`` (the address as bound)."""
    return f"http://{_host(ip)}:{port}{path}"


def is_loopback(ip: str) -> bool:
    """Return True when ``ip`` is reachable from this computer only."""
    if ip == "localhost":
        return True
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def _probe_ip(ip: str) -> str:
    """Return the address to reach a server bound to ``ip`` from this computer."""
    if ip in ("", "0.0.0.0"):
        return "127.0.0.1"
    return "::1" if ip == "::" else ip


def check_port(ip: str, port: int, lang: str = "en") -> None:
    """Raise :class:`PlaybookError` when ``ip``:``port`` cannot be bound (in use, not this host's address)."""
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((ip or "0.0.0.0", port))
        except OSError as exc:
            raise PlaybookError(t("serve.cannot_bind", lang, address=f"{_host(ip)}:{port}",
                                  reason=message(exc, lang))) from None


def _prctl(option: int, value: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _server_preexec() -> None:  # pragma: no cover - runs in the child between fork and exec
    _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)  # `playbook app` killed: the server still shuts its kernels


def _descendants(pid: int) -> set[int]:
    """Return the ids of every process below ``pid`` (the batch workers' one process-tree walk)."""
    return {kid for kid, _ in workers.descendants(pid)}


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as res:  # noqa: S310 - our own loopback URL
            return res.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def without_cwd_on_path(env: dict[str, str]) -> dict[str, str]:
    """Return ``env`` with the empty entries of ``PYTHONPATH`` removed.

    An empty entry (``"/kit:"``) means the working folder, the apps folder, whose
    ``voila.py`` configuration file would then hide the voila package.

    Examples
    --------
    >>> without_cwd_on_path({"PYTHONPATH": "/kit::/lib:", "HOME": "/root"})
    {'HOME': '/root', 'PYTHONPATH': '/kit:/lib'}
    >>> without_cwd_on_path({"PYTHONPATH": ":"})
    {}
    """
    out = dict(env)
    parts = [p for p in out.pop("PYTHONPATH", "").split(os.pathsep) if p]
    if parts:
        out["PYTHONPATH"] = os.pathsep.join(parts)
    return out


def serve(cmd: Sequence[str], *, cwd: str | Path, env: dict[str, str], ip: str, port: int,
          ready: Callable[[], None] = lambda: None, timeout: float = 180.0, grace: float = 6.0,
          lang: str = "en") -> int:
    """Run the server ``cmd`` until it ends or a stop signal comes; return the exit status.

    ``ready`` is called once the server answers its health check. A stop signal is
    forwarded as ``SIGTERM``; after ``grace`` seconds what is left of the server's tree
    (as last seen, kernels included) is ended: ``SIGTERM``, then ``SIGKILL``. Returns 0
    after a requested stop, else the server's status; raises :class:`PlaybookError` when
    the server ends, or does not answer within ``timeout`` seconds, before it is ready.
    """
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)  # orphaned kernels come back to us, not to init
    stopping: list[int] = []
    tree: set[int] = set()
    proc = subprocess.Popen(list(cmd), cwd=str(cwd), env=without_cwd_on_path(env), start_new_session=True,
                            preexec_fn=_server_preexec if sys.platform.startswith("linux") else None)

    def stop(signum: int, _frame: object) -> None:
        stopping.append(signum)
        tree.update(_descendants(proc.pid))
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in STOP_SIGNALS}
    try:
        probe, announced = app_url(_probe_ip(ip), port, HEALTH_PATH), False
        deadline = time.monotonic() + timeout
        while proc.poll() is None and not stopping:
            tree.update(_descendants(proc.pid))
            if not announced and not stopping and _healthy(probe):
                announced = True
                ready()
            elif not announced and time.monotonic() > deadline:
                raise PlaybookError(t("serve.not_ready", lang, url=probe, seconds=f"{timeout:.0f}"))
            time.sleep(0.5)
        if not stopping and not announced:
            raise PlaybookError(t("serve.failed", lang, code=proc.returncode))
        return 0 if stopping else proc.returncode
    finally:
        _finish(proc, tree, grace)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _finish(proc: subprocess.Popen, tree: set[int], grace: float) -> None:
    """End the server (SIGTERM, wait ``grace`` s), then what is left of its ``tree``; reap our children."""
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # the server leads its own process group
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=2)
    # The server's kernels run in sessions of their own; orphaned, they came back to us (subreaper)
    # or, where that is not available, went to init: either way they are ended by their ids.
    left = [pid for pid in tree if workers.running(pid)]
    for sig, wait in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 0.0)):
        for pid in left:
            with contextlib.suppress(OSError):
                os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while wait and any(workers.running(pid) for pid in left) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [pid for pid in left if workers.running(pid)]
    for pid in tree & _descendants(os.getpid()):  # reap those that became our children
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)
