"""Benchmark of the IDP form (Voila app): time to an interactive form, time to save a plan.

Voila serves ``notebooks/apps``; headless chromium (the system one, as the browser
tests use) opens a page per run, which starts a kernel:

- **request to interactive**: from the request of ``idp_form.ipynb`` until the rep
  dropdown is enabled and lists the reps. Baseline: the same for the trivial landing
  page ``home.ipynb`` (until its link to the IDP form shows), on the same server, in the
  same run; the ratio is what the form itself adds (loading the data, the catalogue).
- **save**: from the click on Save until the page says which version was stored (an
  edited plan of R004, a new version each run). Baseline: the store's own
  :meth:`playbook.pipeline.store.Store.save_version` for a plan of the same size, in Python.

Each figure is the median over the runs (the scale). Needs Voila and chromium; without
chromium the case returns nothing.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from playbook import idp
from playbook.bench import Result
from playbook.core.labels import t
from playbook.core.paths import APPS_DIR
from playbook.data import loading
from playbook.pipeline.store import Store
from playbook.present import idp as present_idp

__all__ = ["CASES", "REP", "median_seconds"]

REP = "R004"
_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]
_READY = ("() => { const s = Array.from(document.querySelectorAll('select'))"
          ".find(e => e.closest('.widget-dropdown') && !e.disabled && e.options.length > 1); return !!s; }")


def median_seconds(samples: list[float]) -> float:
    """Return the median of ``samples`` (seconds).

    Examples
    --------
    >>> median_seconds([3.0, 1.0, 2.0, 10.0])
    2.5
    """
    return float(statistics.median(samples))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(apps: Path, port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    exe = shutil.which("voila", path=str(Path(sys.executable).parent)) or "voila"
    out = open(log, "w")  # noqa: SIM115 - the process owns it until terminated
    proc = subprocess.Popen(
        [exe, str(apps), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
         "--MappingKernelManager.cull_idle_timeout=10", "--MappingKernelManager.cull_interval=5"],
        cwd=str(apps), stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **env})
    deadline = time.monotonic() + 90
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"voila exited: {log.read_text(encoding='utf-8')[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            if time.monotonic() > deadline:
                proc.terminate()
                raise TimeoutError("voila did not start") from None
            time.sleep(0.2)


def _store_baseline(url: str, runs: int) -> float:
    """Median seconds of Store.save_version for R004's draft plan with one edit per run."""
    evidence = idp.dataset_evidence(loading.load_inputs("data/sample"))
    plan = present_idp.word_plan(idp.draft_plan(evidence, REP))
    samples = []
    with Store(url) as store:
        first = store.create_plan(plan, author="bench")
        for i in range(runs):
            items = plan.items.copy()
            items.loc[0, "measures"] = items.loc[0, "measures"] + f"\nStore run {i}"
            start = time.perf_counter()
            store.save_version(first.plan_id, replace(plan, items=items), author="bench", client_token=f"b{i}")
            samples.append(time.perf_counter() - start)
    return median_seconds(samples)


def _bench_idp_form(scale: float) -> list[Result]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return []
    from playwright.sync_api import sync_playwright  # optional dependency: the test extra


    runs = max(1, int(scale))
    home, form, save = [], [], []
    with tempfile.TemporaryDirectory(prefix="bench_idp_form_") as tmp:
        url = f"sqlite:///{Path(tmp) / 'store.sqlite'}"
        port = _free_port()
        # as `playbook app --trusted-proxy --hr bench` behind a proxy: each page says who it is
        env = {"PLAYBOOK_STORE_URL": url, "PLAYBOOK_TRUSTED_PROXY": "1", "PLAYBOOK_HR_USERS": "bench"}
        proc = _serve(APPS_DIR, port, env, Path(tmp) / "voila.log")
        base = f"http://127.0.0.1:{port}/voila/render"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, headless=True, args=_ARGS)
                try:
                    for i in range(runs):
                        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                        start = time.perf_counter()
                        page.goto(f"{base}/home.ipynb?lang=en", timeout=120000)
                        page.get_by_role("link", name=t("apps.idp_form.title", "en")).wait_for(timeout=120000)
                        home.append(time.perf_counter() - start)
                        page.context.close()

                        page = browser.new_context(viewport={"width": 1280, "height": 900},
                                                   extra_http_headers={"X-Forwarded-User": "bench"}).new_page()
                        start = time.perf_counter()
                        page.goto(f"{base}/idp_form.ipynb?lang=en", timeout=120000)
                        page.wait_for_function(_READY, timeout=120000)
                        form.append(time.perf_counter() - start)

                        rep = page.get_by_label(t("app_idp.rep", "en"), exact=True)
                        rep.select_option(label=rep.locator("option", has_text=REP).text_content())
                        measures = page.get_by_label(t("app_idp.typed", "en"), exact=True).first
                        measures.wait_for(timeout=120000)
                        measures.fill(f"Bench run {i}")
                        done = page.locator(".pb-message", has_text=f"Saved as version {i + 1} of plan")
                        start = time.perf_counter()
                        page.get_by_role("button", name=t("app_idp.save", "en")).click()
                        done.wait_for(timeout=120000)
                        save.append(time.perf_counter() - start)
                        page.context.close()
                finally:
                    browser.close()
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:  # pragma: no cover
                proc.kill()
        store_seconds = _store_baseline(f"sqlite:///{Path(tmp) / 'baseline.sqlite'}", runs)
    return [
        Result(f"IDP form: request to interactive rep picker (median of {runs})", runs, median_seconds(form),
               "home app to interactive (same server)", median_seconds(home)),
        Result(f"IDP form: Save click to version shown (median of {runs})", runs, median_seconds(save),
               "Store.save_version in Python", store_seconds),
    ]


CASES = {
    "idp_form": (_bench_idp_form, 10.0, 1.0),  # quick: one run each (a median of one)
}
