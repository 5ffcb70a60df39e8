"""Start Voila on a free loopback port and drive it with Debian's chromium (Playwright).

Playwright's own browser download does not work here: we launch the system chromium.
Tests use these through the fixtures of ``conftest.py`` (``server``, ``serve``,
``browser``, ``page``, ``screenshot``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
VIEWPORT = {"width": 1280, "height": 900}
SCREENSHOTS = Path(__file__).resolve().parent.parent / "reports" / "screenshots"
MAX_SCREENSHOT_HEIGHT = 9000
# Voila scrolls inside the page: the tallest element, not the document, is the app's height
FULL_HEIGHT = "Math.max(...Array.from(document.querySelectorAll('*')).map(e => e.scrollHeight))"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def voila(target: Path, *, timeout: float = 90.0, extra: tuple[str, ...] = (),
          env: dict[str, str] | None = None):
    """Serve ``target`` (a notebook or folder) with Voila; yield the base URL.

    ``env`` adds environment variables to the Voila process; its kernels inherit them
    (Voila does not pass notebook parameters: e.g. ``PLAYBOOK_STORE_URL`` points the IDP
    form at a test store).
    """
    port = free_port()
    exe = Path(sys.executable).with_name("voila")
    log = open(Path(f"/tmp/voila_{port}.log"), "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [str(exe), str(target), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
         *extra],
        cwd=str(Path(target).parent if Path(target).is_file() else target),
        stdout=log, stderr=subprocess.STDOUT,
        env=None if env is None else {**os.environ, **env},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"voila exited: {Path(log.name).read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError("voila did not start") from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
        log.close()


@contextlib.contextmanager
def launch_browser():
    """Yield a Playwright browser: headless system chromium with :data:`CHROMIUM_ARGS`."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def browser_page(width: int = VIEWPORT["width"], height: int = VIEWPORT["height"]):
    """Yield a Playwright page in headless system chromium."""
    with launch_browser() as browser:
        yield browser.new_page(viewport={"width": width, "height": height})


def screenshot(page, name: str) -> Path:
    """Write the whole app to ``reports/screenshots/<name>.png``; return the path.

    The viewport grows to the app's height first (at most :data:`MAX_SCREENSHOT_HEIGHT`),
    and is put back after.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    size = page.viewport_size or VIEWPORT
    height = min(max(page.evaluate(FULL_HEIGHT), size["height"]), MAX_SCREENSHOT_HEIGHT)
    page.set_viewport_size({"width": size["width"], "height": height})
    try:
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(size)
    return path
