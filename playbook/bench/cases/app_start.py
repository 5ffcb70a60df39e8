"""Benchmark of app start: the IDP form against the simplest app, on the same server, in the same run.

- **request to interactive**: from the request of ``idp_form.ipynb`` until its rep picker
  is enabled and lists the reps (:data:`playbook.bench.browser.REP_PICKER_READY`), against
  ``home.ipynb`` until its link to the form shows (the floor of an app: a kernel, the
  kit's imports, one widget). One Voila server, each page in a new browser context (so a
  new kernel), the form and the home app alternating, both as the same user behind a
  trusted proxy; one untimed page of each first, so neither side pays the cold disk
  cache. Target (issue 17): the form within 1.5 times the home app.
- **start in a fresh Python**: what the form's kernel does before it can answer (its
  imports and building the form, :data:`START_FORM`) against the home app's
  (:data:`START_HOME`), each in a new interpreter, alternating; the part of the ratio the
  kit controls, without Voila and the browser.

``rows`` is the sample company's orders, which the form loads. Each figure is the median
of N runs of each side (the scale; N is the row's ``N``). The first row needs Voila and
chromium; without chromium only the second is measured.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playbook.apps import identity
from playbook.bench import Result, compare
from playbook.bench.browser import CHROMIUM, KERNEL_CULL, REP_PICKER_READY, VIEWPORT, launch_browser, voila
from playbook.core.labels import t
from playbook.core.paths import APPS_DIR, ROOT, SAMPLE_DIR
from playbook.data import loading

__all__ = ["CASES", "START_HOME", "START_FORM", "USER", "to_interactive"]

START_HOME = "from playbook import apps\napps.home_app(lang='en')"
"""The home app's start, as its notebook runs it."""

USER = "R001"
"""Who opens the pages (a manager in the sample: the form's picker lists his team)."""

START_FORM = ("from playbook.apps.idp import idp_form_app\n"
              f"idp_form_app('data/sample', lang='en', store_url='sqlite://', user='{USER}', identity_source='proxy')")
"""The IDP form's start, as its notebook runs it (an in-memory store)."""

TARGET = 1.5
"""The form's start over the home app's, at most (issue 17)."""


def _python(code: str) -> None:
    """Run ``code`` in a new interpreter, from the repository (as the apps' data paths expect)."""
    subprocess.run([sys.executable, "-c", code], cwd=str(ROOT), check=True, capture_output=True)


def _median(samples: list[float]) -> float:
    return float(statistics.median(samples))


def to_interactive(browser: Any, url: str, ready: Any, *, user: str = USER) -> float:
    """Open ``url`` in a new context of ``browser`` as ``user``; return the seconds until ``ready(page)`` returns.

    The context (and so the page's kernel) is closed after the clock stops.
    """
    context = browser.new_context(viewport=VIEWPORT, extra_http_headers={identity.DEFAULT_USER_HEADER: user})
    try:
        page = context.new_page()
        start = time.perf_counter()
        page.goto(url, timeout=120000)
        ready(page)
        return time.perf_counter() - start
    finally:
        context.close()


def _form_ready(page: Any) -> None:
    page.wait_for_function(REP_PICKER_READY, timeout=120000)


def _home_ready(page: Any) -> None:
    page.get_by_role("link", name=t("apps.idp_form.title", "en")).wait_for(timeout=120000)


def _in_browser(runs: int) -> tuple[list[float], list[float]]:
    """Seconds to interactive of the IDP form and the home app, ``runs`` times each, alternating."""
    form, home = [], []
    with tempfile.TemporaryDirectory(prefix="bench_app_start_") as tmp:
        env = {"PLAYBOOK_STORE_URL": f"sqlite:///{Path(tmp) / 'store.sqlite'}",
               **identity.server_env(trusted_proxy=True, environ={})}
        with voila(APPS_DIR, extra=KERNEL_CULL, env=env, log=Path(tmp) / "voila.log") as url, \
                launch_browser() as browser:
            base = f"{url}/voila/render"
            pages = [(f"{base}/idp_form.ipynb?lang=en", _form_ready, form),
                     (f"{base}/home.ipynb?lang=en", _home_ready, home)]
            for page_url, ready, _ in pages:  # untimed: the first kernels read the imports from disk
                to_interactive(browser, page_url, ready)
            for _ in range(runs):
                for page_url, ready, samples in pages:
                    samples.append(to_interactive(browser, page_url, ready))
    return form, home


def _bench_app_start(scale: float) -> list[Result]:
    runs = max(1, int(scale))
    orders = len(loading.load_inputs(SAMPLE_DIR).orders)
    results = []
    if CHROMIUM is not None:
        form, home = _in_browser(runs)
        results.append(Result("IDP form: request to interactive rep picker", orders, _median(form),
                              "home app to interactive (same server, alternating)", _median(home),
                              kind="floor", target=TARGET, repeats=runs))
    form_s, home_s, _, _ = compare(lambda: _python(START_FORM), lambda: _python(START_HOME), repeat=runs)
    results.append(Result("IDP form: start in a fresh Python, imports and form", orders, form_s,
                          "home app's start in a fresh Python", home_s, kind="floor", repeats=runs))
    return results


CASES = {
    "app_start": (_bench_app_start, 10.0, 1.0),  # quick: one run of each side
}
