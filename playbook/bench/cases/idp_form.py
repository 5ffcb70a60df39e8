"""Benchmark of the IDP form's Save (Voila app in a browser) against the store's own save in Python.

One Voila server on ``notebooks/apps`` and one page of ``idp_form.ipynb`` (as HR behind a
trusted proxy) on :data:`REP`'s plan. Each run types a new measure and times the click on
Save until the page says which version was stored: the widgets' round trip, the form's
checks, the store's write and reading it back into the form. Baseline (floor), in this
process, right after each click: :meth:`playbook.pipeline.store.Store.save_version` of
the same plan with the same kind of edit, in a store of its own. Both sides save version 2
onward (version 1, the plan's creation, is saved once first and not timed), N times each,
alternating. How fast the form starts is :mod:`playbook.bench.cases.app_start`.

``rows`` is the plan's development items. Needs Voila and chromium; without chromium the
case returns nothing.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from playbook import idp
from playbook.apps import identity
from playbook.bench import Result
from playbook.bench.browser import CHROMIUM, KERNEL_CULL, REP_PICKER_READY, VIEWPORT, launch_browser, voila
from playbook.core.labels import t
from playbook.core.paths import APPS_DIR, SAMPLE_DIR
from playbook.data import loading
from playbook.pipeline.store import Store
from playbook.present import idp as present_idp

__all__ = ["CASES", "REP", "HR_USER", "edited"]

REP = "R004"
"""Whose plan is saved."""
HR_USER = "bench"
"""Who saves it (HR: may edit every rep's plan)."""


def edited(plan: idp.Plan, text: str) -> idp.Plan:
    """Return ``plan`` with the line ``text`` after its first item's measures: what the form saves when it is typed.

    The draft's measures are chosen from the library; a line typed in the form's "Other
    measures" box comes after them.
    """
    items = plan.items.copy()
    items.loc[0, "measures"] = f"{items.loc[0, 'measures']}\n{text}"
    return replace(plan, items=items)


class _FormPage:
    """The IDP form in a browser page, on :data:`REP`'s plan."""

    def __init__(self, browser: Any, url: str) -> None:
        context = browser.new_context(viewport=VIEWPORT,
                                      extra_http_headers={identity.DEFAULT_USER_HEADER: HR_USER})
        self.page = page = context.new_page()
        page.goto(url, timeout=120000)
        page.wait_for_function(REP_PICKER_READY, timeout=120000)
        rep = page.get_by_label(t("app_idp.rep", "en"), exact=True)
        rep.select_option(label=rep.locator("option", has_text=REP).text_content())
        self.measures = page.get_by_label(t("app_idp.typed", "en"), exact=True).first
        self.measures.wait_for(timeout=120000)

    def save(self, text: str, version: int) -> float:
        """Type ``text`` in the first item's other measures; return seconds from the Save click to ``version`` shown."""
        self.measures.fill(text)
        saved = t("app_idp.saved", "en", version=version, plan_id="\0", author="").split("\0")[0]
        done = self.page.locator(".pb-message", has_text=saved)  # "Saved as version 2 of plan "
        start = time.perf_counter()
        self.page.get_by_role("button", name=t("app_idp.save", "en")).click()
        done.wait_for(timeout=120000)
        return time.perf_counter() - start


def _bench_idp_form(scale: float) -> list[Result]:
    if CHROMIUM is None:
        return []
    runs = max(1, int(scale))
    data = loading.load_inputs(SAMPLE_DIR)
    rep_ids = data.reps["rep_id"].astype(str).tolist()
    plan = present_idp.word_plan(idp.draft_plan(idp.dataset_evidence(data), REP))
    form, store_seconds = [], []
    with tempfile.TemporaryDirectory(prefix="bench_idp_form_") as tmp:
        # as `playbook app --trusted-proxy --hr bench` behind a proxy: each page says who it is
        env = {"PLAYBOOK_STORE_URL": f"sqlite:///{Path(tmp) / 'store.sqlite'}",
               **identity.server_env(trusted_proxy=True, hr=HR_USER, environ={})}
        with voila(APPS_DIR, extra=KERNEL_CULL, env=env, log=Path(tmp) / "voila.log") as url, \
                launch_browser() as browser, Store(f"sqlite:///{Path(tmp) / 'baseline.sqlite'}") as store:
            page = _FormPage(browser, f"{url}/voila/render/idp_form.ipynb?lang=en")
            page.save("Bench: version 1", 1)  # untimed: creates the plan
            first = store.create_plan(edited(plan, "Bench: version 1"), author=HR_USER, rep_ids=rep_ids)
            for version in range(2, runs + 2):
                text = f"Bench: version {version}"
                form.append(page.save(text, version))
                changed = edited(plan, text)
                start = time.perf_counter()
                store.save_version(first.plan_id, changed, author=HR_USER, base_version=version - 1,
                                   client_token=f"bench-{version}", rep_ids=rep_ids)
                store_seconds.append(time.perf_counter() - start)
    return [Result("IDP form: Save click to version shown", len(plan.items), float(statistics.median(form)),
                   "Store.save_version in Python (same plan, same edit)", float(statistics.median(store_seconds)),
                   kind="floor", repeats=runs)]


CASES = {
    "idp_form": (_bench_idp_form, 10.0, 1.0),  # quick: one save of each side
}
