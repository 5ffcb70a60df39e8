"""The IDP form starts as light as the simplest app: no report pipeline in its kernel; interactive in a browser.

How fast is in ``make bench`` (``playbook.bench.cases.app_start``: the form against the home
app, a ratio in the same run); here, what makes it fast and that it works.
"""

import subprocess
import sys

import pytest
from voila_harness import REP_PICKER_READY, VIEWPORT

from playbook.apps import identity
from playbook.bench.cases.app_start import START_FORM
from playbook.core import paths
from playbook.core.labels import t

APP = paths.APPS_DIR / "idp_form.ipynb"
HEAVY = ("papermill", "nbconvert", "nbclient", "nbformat", "jsonschema", "playwright")
"""Imported by a download (in its child process, playbook.apps.idp_render), never by the form's start."""


def test_the_forms_start_imports_no_report_pipeline():
    code = f"import sys\n{START_FORM}\nprint(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}))"
    out = subprocess.run([sys.executable, "-c", code], cwd=str(paths.ROOT), check=True, capture_output=True,
                         text=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


@pytest.mark.slow
def test_browser_the_form_becomes_interactive(serve, browser, tmp_path):
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    env = identity.server_env(trusted_proxy=True, hr="R001", environ={})
    base = serve(APP, env={"PLAYBOOK_STORE_URL": url, **env})
    page = browser.new_context(viewport=VIEWPORT, extra_http_headers={identity.DEFAULT_USER_HEADER: "R001"}
                               ).new_page()
    page.goto(f"{base}/?lang=en", timeout=120000)
    page.wait_for_function(REP_PICKER_READY, timeout=120000)  # the rep picker is enabled and lists the reps
    rep = page.get_by_label(t("app_idp.rep", "en"), exact=True)
    rep.select_option(label=rep.locator("option", has_text="R004").text_content())
    page.locator("table.idp-header", has_text="1,248,191 CNY").first.wait_for(timeout=120000)  # his plan's header
    assert page.get_by_label("Development item", exact=True).count() == 4
    assert "Traceback" not in page.content()
