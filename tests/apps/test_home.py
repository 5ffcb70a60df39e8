"""Voila apps in a real headless browser: served, clicked, checked, screenshotted."""

import pytest
from voila_harness import page_as, served_behind_proxy

from playbook.core import paths
from playbook.core.labels import t

pytestmark = pytest.mark.slow
APP = paths.APPS_DIR / "team_overview.ipynb"


server = served_behind_proxy(APP, hr="hr.li")  # who is logged in: the proxy's header



@pytest.mark.xdist_group(name="voila_team_overview")
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_overview_app_shows_attainment_after_click(server, browser, screenshot, lang):
    page = page_as(browser, "hr.li")  # HR: every rep
    page.goto(f"{server}/?lang={lang}", timeout=90000)
    page.get_by_role("button", name=t("app.show", lang)).click(timeout=90000)
    page.get_by_text(t("col.attainment", lang)).first.wait_for(timeout=60000)
    page.locator(".jp-OutputArea-output img").first.wait_for(timeout=60000)  # the chart
    assert page.locator("table tbody tr").count() >= 24
    # the source code is not served to staff
    assert "import" not in page.inner_text("body")
    assert "Traceback" not in page.content()
    screenshot(page)


@pytest.mark.xdist_group(name="voila_team_overview")
def test_overview_a_rep_sees_their_row_and_a_supervisor_their_team(server, browser, screenshot):
    from playbook.data import loading

    reps = loading.load_table(paths.SAMPLE_DIR / "reps.csv", "reps")
    for user, expected in (("R011", ["R011"]), ("R008", ["R008", "R009", "R010", "R011", "R012", "R013", "R014",
                                                          "R024"])):
        page = page_as(browser, user)  # R011 彭伟新, a rep of 华北一组; R008 曾颖琳, its manager
        page.goto(f"{server}/?lang=en", timeout=90000)
        page.get_by_role("button", name=t("app.show", "en")).click(timeout=90000)
        page.locator(".pb-access").wait_for(timeout=60000)
        page.get_by_text(t("col.attainment", "en")).first.wait_for(timeout=60000)
        # the chart is the last output (a supervisor's team total comes before the per-rep table)
        page.locator(".jp-OutputArea-output img").first.wait_for(timeout=60000)
        body = page.inner_text("body")
        shown = [r for r, n in zip(reps["rep_id"], reps["name"], strict=True) if r in body or n in body]
        assert shown == expected, user
        assert "Traceback" not in page.content()
        screenshot(page, user)


def test_every_app_has_a_title_and_purpose():
    from playbook.apps import app_names
    from playbook.core.labels import catalogue

    cat = catalogue()
    missing = [n for n in app_names()
               if f"apps.{n}.title" not in cat or f"apps.{n}.purpose" not in cat]
    assert missing == []


def test_landing_page_lists_apps_and_opens_one(serve, page, screenshot):
    from playbook.apps import app_names

    url = serve(paths.APPS_DIR, extra=("--strip_sources=True", "--show_tracebacks=False"))
    page.goto(f"{url}/voila/render/home.ipynb?lang=zh", timeout=90000)
    page.get_by_text(t("apps.home.title", "zh")).wait_for(timeout=60000)
    for name in app_names():
        assert page.get_by_role("link", name=t(f"apps.{name}.title", "zh")).count() == 1
    screenshot(page)
    page.get_by_role("link", name=t("apps.team_overview.title", "zh")).click()
    page.get_by_role("button", name=t("app.show", "zh")).wait_for(timeout=90000)
    assert "lang=zh" in page.url
