"""Voila apps in a real headless browser: served, clicked, checked, screenshotted."""

import pytest
from voila_harness import CHROMIUM, browser_page, screenshot, voila

from playbook import paths
from playbook.labels import t

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium not installed (make setup)"),
]
APP = paths.APPS_DIR / "team_overview.ipynb"


@pytest.fixture(scope="module")
def server():
    with voila(APP) as url:
        yield url


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_overview_app_shows_attainment_after_click(server, lang):
    with browser_page() as page:
        page.goto(f"{server}/?lang={lang}", timeout=90000)
        page.get_by_role("button", name=t("app.show", lang)).click(timeout=90000)
        page.get_by_text(t("col.attainment", lang)).first.wait_for(timeout=60000)
        page.locator(".jp-OutputArea-output img").first.wait_for(timeout=60000)  # the chart
        assert page.locator("table tbody tr").count() >= 24
        # the source code is not served to staff
        assert "import" not in page.inner_text("body")
        assert "Traceback" not in page.content()
        screenshot(page, f"app_team_overview_{lang}")
