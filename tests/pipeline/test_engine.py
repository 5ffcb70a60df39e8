"""The warm-kernel engine: reports rendered rep after rep in one kernel equal reports rendered alone.

Each report is compared with the same rep rendered alone in a fresh kernel (Papermill),
after the random ids a render makes anyway are normalised (the injected cell's id,
pandas' Styler table id): same tables, same figures, same text, no other rep's id or
name. Orders: forwards, backwards and a mixed two-language batch in the worker pool.
"""

import re

import pandas as pd
import pytest

from playbook.core import paths
from playbook.pipeline import batch
from playbook.pipeline.engine import WarmKernel
from playbook.pipeline.idp_batch import TEMPLATE, build_snapshot
from playbook.pipeline.notebooks import RenderError, execute_notebook, notebook_to_html

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group(name="engine")]

REPS = [("R004", "en"), ("R005", "zh"), ("R006", "en")]


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    snap, people = build_snapshot(paths.SAMPLE_DIR, tmp_path_factory.mktemp("engine"))
    return snap.resolve(), people


def _to_html(nb, **kw):
    """The batch's HTML of an executed report (its nbconvert template)."""
    return notebook_to_html(nb, template=batch.HTML_TEMPLATE, **kw)


def _params(snap, rep, lang):
    return {"rep_id": rep, "snapshot": str(snap), "lang": lang, "max_items": 4, "stored": "", "store_url": ""}


def _normal(html):
    """The page without the ids every render draws at random (two fresh renders differ only there)."""
    html = re.sub(r'id="cell-id=[0-9a-f-]+"', 'id="cell"', html)
    return re.sub(r"T_[0-9a-f]{5}", "T_", html)


@pytest.fixture(scope="module")
def fresh(snap):
    """Each rep rendered alone, in its own fresh kernel (the fresh-kernel path)."""
    folder, _ = snap
    return {(rep, lang): _normal(_to_html(execute_notebook(TEMPLATE, _params(folder, rep, lang)),
                                                 title=rep, lang=lang)) for rep, lang in REPS}


def _leaks(html, rep, people):
    """Ids and names of other reps found in a report (the rep's direct supervisor may be named)."""
    reps = pd.read_csv(paths.SAMPLE_DIR / "reps.csv").set_index("rep_id")
    manager = reps.loc[rep, "manager_id"]
    allowed = {rep, manager}
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", html, flags=re.S))
    return [r for r in reps.index if r not in allowed and (re.search(rf"\b{r}\b", text)
                                                           or reps.loc[r, "name"] in text)]


@pytest.mark.parametrize("order", ["forwards", "backwards"])
def test_warm_reports_equal_fresh_ones_in_any_order(snap, fresh, order):
    folder, people = snap
    reps = REPS if order == "forwards" else REPS[::-1]
    with WarmKernel() as kernel:
        for rep, lang in reps:
            html = _normal(_to_html(kernel.execute(TEMPLATE, _params(folder, rep, lang), preload=str(folder)),
                                            title=rep, lang=lang))
            assert html.count("data:image/png;base64,") >= 2 and "<table" in html  # charts and tables: not vacuous
            assert re.findall(r"<table.*?</table>", html, re.S) == re.findall(r"<table.*?</table>", fresh[rep, lang],
                                                                            re.S), rep
            assert re.findall(r"data:image/png;base64,[^\"']+", html) == re.findall(
                r"data:image/png;base64,[^\"']+", fresh[rep, lang]), rep
            assert html == fresh[rep, lang], rep
            assert _leaks(html, rep, people) == []
        assert kernel.starts == 1  # one kernel for all


def test_mixed_batch_in_the_pool_equals_fresh_reports(snap, fresh, tmp_path):
    """Two workers, each with a warm kernel, two languages interleaved in one batch."""
    folder, people = snap
    jobs = []
    for rep, lang in REPS[::-1] + [("R005", "en")]:
        jobs += batch.plan_jobs([rep], notebook=TEMPLATE, out_dir=tmp_path, fingerprint="f", lang=lang,
                                parameters=lambda r, lang=lang: _params(folder, r, lang), title=lambda r: r,
                                filename=lambda r, lang=lang: f"idp_{r}_{lang}", preload=folder)
    results = batch.run_batch(jobs, workers=2, progress=False, isolation="warm")
    assert [r.status for r in results] == ["rendered"] * 4, [r.error for r in results]
    for rep, lang in REPS:
        html = _normal((tmp_path / f"idp_{rep}_{lang}.html").read_text(encoding="utf-8"))
        assert html == fresh[rep, lang], (rep, lang)
    en = (tmp_path / "idp_R005_en.html").read_text(encoding="utf-8")
    assert _leaks(en, "R005", people) == [] and 'lang="en"' in en


def test_kernel_is_replaced_after_n_reports_and_after_an_error(snap, fresh):
    folder, _ = snap
    with WarmKernel(max_reports=2) as kernel:
        for rep, lang in REPS:
            kernel.execute(TEMPLATE, _params(folder, rep, lang), preload=str(folder))
        assert kernel.starts == 2  # the third report had a new kernel
        with pytest.raises(RenderError, match="idp_report.ipynb failed"):
            kernel.execute(TEMPLATE, {**_params(folder, "R004", "en"), "max_items": "many"}, preload=str(folder))
        nb = kernel.execute(TEMPLATE, _params(folder, "R004", "en"), preload=str(folder))
        assert kernel.starts == 3  # replaced after the error
    assert _normal(_to_html(nb, title="R004", lang="en")) == fresh["R004", "en"]
