"""Benchmark of app start: the IDP form against the simplest app, on the same server, in the same run.

- **request to interactive**: from the request of ``idp_form.ipynb`` until its rep picker
  is enabled and lists the reps, against ``home.ipynb`` until its link to the form shows
  (the simplest app: a kernel, the kit's imports, one widget). Pages alternate, so both
  see the same load. Goal: a ratio within 1.5 (issue 17).
- **start in a fresh Python**: what the form's kernel does before it can answer (its
  imports and building the form) against the home app's, each in a new interpreter; the
  part of the ratio the kit controls, without Voila and the browser.

Each figure is the median over the runs (the scale). Needs Voila and chromium for the
first; without chromium only the second is measured.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playbook.bench import Result
from playbook.bench.cases.idp_form import _ARGS, _READY, _free_port, _serve, median_seconds
from playbook.core.labels import t
from playbook.core.paths import APPS_DIR, ROOT

__all__ = ["CASES", "START_HOME", "START_FORM"]

START_HOME = "from playbook import apps\napps.home_app(lang='en')"
"""The home app's start, as its notebook runs it."""

START_FORM = ("from playbook.apps.idp import idp_form_app\n"
              "idp_form_app('data/sample', lang='en', store_url='sqlite://', user='R001', identity_source='proxy')")
"""The IDP form's start, as its notebook runs it (an in-memory store)."""


def _python_seconds(code: str) -> float:
    """Wall seconds of ``code`` in a new interpreter (run from the repository, as the apps' data paths expect)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=str(ROOT), check=True, capture_output=True)
    return time.perf_counter() - start


def _in_browser(runs: int) -> tuple[list[float], list[float]]:
    """Seconds to interactive of the home app and the IDP form, ``runs`` times each, alternating."""
    from playwright.sync_api import sync_playwright  # optional dependency: the test extra

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    home, form = [], []
    with tempfile.TemporaryDirectory(prefix="bench_app_start_") as tmp:
        env = {"PLAYBOOK_STORE_URL": f"sqlite:///{Path(tmp) / 'store.sqlite'}", "PLAYBOOK_TRUSTED_PROXY": "1"}
        port = _free_port()
        proc = _serve(APPS_DIR, port, env, Path(tmp) / "voila.log")
        base = f"http://127.0.0.1:{port}/voila/render"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, headless=True, args=_ARGS)
                try:
                    for _ in range(runs):
                        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                        start = time.perf_counter()
                        page.goto(f"{base}/home.ipynb?lang=en", timeout=120000)
                        page.get_by_role("link", name=t("apps.idp_form.title", "en")).wait_for(timeout=120000)
                        home.append(time.perf_counter() - start)
                        page.context.close()
                        page = browser.new_context(viewport={"width": 1280, "height": 900},
                                                   extra_http_headers={"X-Forwarded-User": "R001"}).new_page()
                        start = time.perf_counter()
                        page.goto(f"{base}/idp_form.ipynb?lang=en", timeout=120000)
                        page.wait_for_function(_READY, timeout=120000)
                        form.append(time.perf_counter() - start)
                        page.context.close()
                finally:
                    browser.close()
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:  # pragma: no cover
                proc.kill()
    return home, form


def _bench_app_start(scale: float) -> list[Result]:
    runs = max(1, int(scale))
    home, form = [], []
    for _ in range(runs):
        home.append(_python_seconds(START_HOME))
        form.append(_python_seconds(START_FORM))
    results = [Result(f"IDP form: start in a fresh Python, imports and form (median of {runs})", runs,
                      median_seconds(form), "home app the same", median_seconds(home))]
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        home, form = _in_browser(runs)
        results.insert(0, Result(f"IDP form: request to interactive rep picker (median of {runs})", runs,
                                 median_seconds(form), "home app to interactive (same server, alternating)",
                                 median_seconds(home)))
    return results


CASES = {
    "app_start": (_bench_app_start, 5.0, 1.0),
}
