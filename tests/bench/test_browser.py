"""The shared Voila starter: a port taken between its choice and Voila's start is not mistaken for Voila."""

import socket
import urllib.request

import pytest

from playbook.bench import browser
from playbook.core import paths

pytestmark = pytest.mark.slow


def test_a_port_taken_first_by_another_process_gives_another_port(monkeypatch):
    with socket.socket() as held:  # another process's server, on the port the starter chose
        held.bind(("127.0.0.1", 0))
        held.listen()
        taken = held.getsockname()[1]
        ports = iter([taken, browser.free_port()])
        monkeypatch.setattr(browser, "free_port", lambda: next(ports))
        with browser.voila(paths.APPS_DIR) as url:
            assert url != f"http://127.0.0.1:{taken}"
            with urllib.request.urlopen(f"{url}/", timeout=60) as page:  # Voila's home page
                assert page.status == 200 and "Voilà Home".encode() in page.read()
