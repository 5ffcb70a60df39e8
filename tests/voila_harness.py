"""The tests' browser kit: Voila and headless chromium from :mod:`playbook.bench.browser`, plus screenshots.

Tests use these through the fixtures of ``conftest.py`` (``server``, ``serve``,
``browser``, ``page``, ``screenshot``); the benchmarks of the apps start Voila and the
browser with the same code.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from playbook.apps import identity
from playbook.bench.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    REP_PICKER_READY,
    VIEWPORT,
    free_port,
    launch_browser,
    voila,
)
from playbook.core.paths import REPORTS_DIR

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "REP_PICKER_READY", "VIEWPORT", "SCREENSHOTS", "free_port", "voila",
           "launch_browser", "browser_page", "screenshot", "behind_proxy", "served_behind_proxy", "page_as"]

SCREENSHOTS = REPORTS_DIR / "screenshots"
MAX_SCREENSHOT_HEIGHT = 9000
# Voila scrolls inside the page: the tallest element, not the document, is the app's height
FULL_HEIGHT = "Math.max(...Array.from(document.querySelectorAll('*')).map(e => e.scrollHeight))"


@contextlib.contextmanager
def browser_page(width: int = VIEWPORT["width"], height: int = VIEWPORT["height"]):
    """Yield a Playwright page in headless system chromium."""
    with launch_browser() as browser:
        yield browser.new_page(viewport={"width": width, "height": height})


@contextlib.contextmanager
def behind_proxy(app: Path, hr: str = "hr.li"):
    """Yield the URL of Voila on ``app`` as ``playbook app --trusted-proxy --hr HR`` serves it.

    Who is logged in is the proxy's header: open pages with :func:`page_as`.
    """
    with voila(app, env=identity.server_env(trusted_proxy=True, hr=hr, environ={})) as url:
        yield url


def served_behind_proxy(app: Path, hr: str = "hr.li"):
    """A module-scoped ``server`` fixture: :func:`behind_proxy` on ``app`` for the module's tests."""

    @pytest.fixture(scope="module")
    def server():
        with behind_proxy(app, hr=hr) as url:
            yield url

    return server


def page_as(browser, user: str | None):
    """A new page whose requests carry ``user`` in the proxy's header (None or "": nobody logged in)."""
    headers = {identity.DEFAULT_USER_HEADER: user} if user else {}
    return browser.new_context(viewport=VIEWPORT, extra_http_headers=headers).new_page()


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
