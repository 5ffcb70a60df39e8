"""The Voila server of ``playbook app``: Voila itself plus a health check URL.

Run as ``python -m playbook.apps.voila_app APPS_DIR [Voila options]`` (``playbook app``
does it, see :mod:`playbook.apps.server`). It is Voila's own application with one more
route, :data:`HEALTH_PATH` (``/playbook/health``), for a load balancer, a reverse proxy
or systemd's watchdog to ask whether the apps are served: ``200`` and
``{"status": "ok", ...}`` when the server runs and the apps folder is readable, ``503``
otherwise. It tells nothing about people or plans, so it needs no login.

Examples
--------
>>> HEALTH_PATH
'/playbook/health'
>>> health({"apps_dir": "/nowhere", "kernels": 0})["status"]
'unavailable'
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from jupyter_server.utils import url_path_join
from tornado import web
from traitlets import Int
from voila.app import Voila

from playbook import __version__
from playbook.apps.server import HEALTH_PATH

__all__ = ["HEALTH_PATH", "health", "HealthHandler", "PlaybookVoila", "main"]


def health(state: dict[str, Any]) -> dict[str, Any]:
    """Return the health report for ``state`` (``apps_dir``, ``kernels``): status ``ok`` or ``unavailable``."""
    apps = Path(state["apps_dir"])
    ok = apps.is_dir() and (apps / "home.ipynb").is_file()
    return {"status": "ok" if ok else "unavailable", "version": __version__, "kernels": int(state["kernels"])}


class HealthHandler(web.RequestHandler):
    """``GET /playbook/health``: JSON, 200 when the apps are served, 503 otherwise."""

    def initialize(self, app: Voila) -> None:
        """Keep the Voila application (its apps folder and kernel manager)."""
        self.voila = app

    def get(self) -> None:
        """Answer with the health report."""
        report = health({"apps_dir": self.voila.root_dir,
                         "kernels": len(self.voila.kernel_manager.list_kernel_ids())})
        self.set_status(200 if report["status"] == "ok" else 503)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(report))


class PlaybookVoila(Voila):
    """Voila with the :data:`HEALTH_PATH` route (first, before Voila's catch-all file route).

    ``websocket_max_message_size`` (bytes; 0: Tornado's 10 MiB) bounds the kernel websocket's
    messages, hence the largest upload (``playbook app --upload-limit``).
    """

    websocket_max_message_size = Int(0, config=True, help="Largest websocket message in bytes (uploads).")

    def start(self) -> None:
        """Start Voila with the websocket message limit among Tornado's settings."""
        if self.websocket_max_message_size > 0:
            self.tornado_settings = {**self.tornado_settings,
                                     "websocket_max_message_size": self.websocket_max_message_size}
        super().start()

    def init_handlers(self) -> list:
        """Return Voila's handlers with the health check in front."""
        route = (url_path_join(self.server_url, HEALTH_PATH), HealthHandler, {"app": self})
        return [route, *super().init_handlers()]


def main() -> None:
    """Start the server (``python -m playbook.apps.voila_app``); exit once Voila has stopped its kernels.

    Voila returns from ``launch_instance`` after its own shutdown (kernels ended, connection
    files removed); the process then ends at once, without the interpreter's slow final
    garbage collection, so a supervisor sees it gone within its stop timeout.
    """
    PlaybookVoila.launch_instance()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":  # pragma: no cover - run by playbook app
    main()
