"""Batch machinery: slices, failure isolation, rerun of only stale reports and PDFs, index."""

import json
import shutil
import subprocess
import threading

import nbformat
import pandas as pd
import pytest

from playbook.core.errors import ParameterError, PlaybookError
from playbook.pipeline.batch import (
    html_to_pdf,
    pdf_is_fresh,
    plan_jobs,
    read_slice,
    read_snapshot_meta,
    run_batch,
    valid_pdf,
    write_index,
    write_snapshot,
)


@pytest.fixture()
def snapshot(tmp_path):
    frames = {
        "sales": pd.DataFrame({"rep_id": ["R1", "R1", "R2", "R3"], "amount": [1.0, 2.0, 3.0, 4.0]}),
        "team": pd.DataFrame({"stat": ["median"], "value": [2.5]}),
    }
    return write_snapshot(frames, tmp_path / "snap", fingerprint="abc", as_of="2025-09-30")


@pytest.fixture()
def template(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    p = nbformat.v4.new_code_cell('rep_id: str = ""\nsnapshot: str = ""\nlang: str = "en"')
    p.metadata["tags"] = ["parameters"]
    nb.cells = [p, nbformat.v4.new_code_cell(
        "from playbook.pipeline.batch import read_slice\n"
        "from playbook.core.errors import PlaybookError\n"
        "mine = read_slice(snapshot, 'sales', rep_id)\n"
        "if rep_id == 'R2':\n    raise PlaybookError('no assessment for R2')\n"
        "print('REP', rep_id, 'TOTAL', mine['amount'].sum(), 'ROWS', len(mine))")]
    path = tmp_path / "tpl.ipynb"
    nbformat.write(nb, path)
    return path


def _jobs(template, snapshot, out, fingerprint="abc", reps=("R1", "R2", "R3"), params=None, **kw):
    return plan_jobs(list(reps), notebook=template, out_dir=out,
                     parameters=params or (lambda r: {"rep_id": r, "snapshot": str(snapshot)}),
                     fingerprint=fingerprint, title=lambda r: f"Plan {r}", **kw)


def test_slice_reads_only_that_rep(snapshot):
    assert read_slice(snapshot, "sales", "R1")["amount"].tolist() == [1.0, 2.0]
    assert read_slice(snapshot, "sales", "R9").empty
    assert len(read_slice(snapshot, "team", "R1")) == 1  # team-level tables are read whole
    assert read_snapshot_meta(snapshot)["fingerprint"] == "abc"


def test_incomplete_snapshot_is_refused(tmp_path):
    (tmp_path / "s").mkdir()
    with pytest.raises(PlaybookError, match="not a complete snapshot"):
        read_snapshot_meta(tmp_path / "s")


@pytest.mark.slow
def test_batch_isolates_failure_and_reruns_only_stale(template, snapshot, tmp_path):
    out = tmp_path / "out"
    results = run_batch(_jobs(template, snapshot, out), workers=2, progress=False)
    status = {r.rep_id: r.status for r in results}
    assert status == {"R1": "rendered", "R2": "failed", "R3": "rendered"}
    failed = next(r for r in results if r.rep_id == "R2")
    assert "no assessment for R2" in failed.error
    # a failed rep leaves no file that looks complete
    assert sorted(p.name for p in out.glob("*.html")) == ["idp_R1_en.html", "idp_R3_en.html"]
    assert not list(out.glob("*.part"))
    html = (out / "idp_R1_en.html").read_text(encoding="utf-8")
    assert "REP R1 TOTAL 3.0 ROWS 2" in html and "read_slice" not in html  # no code shown

    again = _jobs(template, snapshot, out)
    assert [j.stale for j in again] == [False, True, False]  # only the failed one reruns
    before = (out / "idp_R1_en.html").stat().st_mtime_ns
    results = run_batch(again, workers=1, progress=False)
    assert [r.status for r in results] == ["skipped", "failed", "skipped"]
    assert (out / "idp_R1_en.html").stat().st_mtime_ns == before

    # new data -> new fingerprint -> everything is stale
    assert all(j.stale for j in _jobs(template, snapshot, out, fingerprint="new"))
    # template edited -> stale too
    template.write_text(template.read_text() + " ")
    assert all(j.stale for j in _jobs(template, snapshot, out))

    people = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "name": ["A<b>", "B", "C"],
                           "team": ["T", "T", "T"]})
    index = write_index(results, people, out, title="Plans", lang="en")
    page = index.read_text(encoding="utf-8")
    assert page.count('href="idp_R') == 2
    assert "A&lt;b&gt;" in page and "no assessment for R2" in page
    assert "3 reports, 1 failed." in page


def test_bad_parameters(template, snapshot, tmp_path):
    with pytest.raises(ParameterError, match="reps"):
        _jobs(template, snapshot, tmp_path, reps=())
    with pytest.raises(ParameterError, match="workers"):
        run_batch(_jobs(template, snapshot, tmp_path), workers=0, progress=False)


@pytest.mark.slow
def test_pdf_from_html(tmp_path):
    page = tmp_path / "a.html"
    page.write_text("<html><body><h1>个人发展计划</h1></body></html>", encoding="utf-8")
    pdfs = html_to_pdf([page])
    if not pdfs:
        pytest.skip("chromium not installed")
    assert pdfs[0].read_bytes()[:5] == b"%PDF-"


@pytest.mark.slow
def test_volatile_parameters_do_not_make_a_moved_folder_stale(template, snapshot, tmp_path):
    import shutil

    out = tmp_path / "a"
    jobs = plan_jobs(["R1"], notebook=template, out_dir=out, fingerprint="abc", title=lambda r: r,
                     parameters=lambda r: {"rep_id": r, "snapshot": str(snapshot)}, volatile=("snapshot",))
    assert [r.status for r in run_batch(jobs, workers=1, progress=False)] == ["rendered"]
    shutil.copytree(out, tmp_path / "b")
    moved = plan_jobs(["R1"], notebook=template, out_dir=tmp_path / "b", fingerprint="abc", title=lambda r: r,
                      parameters=lambda r: {"rep_id": r, "snapshot": "/elsewhere"}, volatile=("snapshot",))
    assert [j.stale for j in moved] == [False]
    strict = plan_jobs(["R1"], notebook=template, out_dir=tmp_path / "b", fingerprint="abc", title=lambda r: r,
                       parameters=lambda r: {"rep_id": r, "snapshot": "/elsewhere"})
    assert [j.stale for j in strict] == [True]


def test_valid_pdf_is_a_structural_check(tmp_path):
    pdf = tmp_path / "a.pdf"
    good = b"%PDF-1.4\n1 0 obj\n<< /Type /Pages /Kids [2 0 R] /Count 1 >>\nendobj\n" \
           b"2 0 obj\n<< /Type /Page /Parent 1 0 R >>\nendobj\ntrailer\n%%EOF\n"
    cases = {"good": good, "empty": b"", "truncated": good[:-8], "not a pdf": b"<html>" + good[5:],
             "no page": good.replace(b"/Type /Page /Parent", b"/Type /Font /Parent")}
    checked = {}
    for name, data in cases.items():
        pdf.write_bytes(data)
        checked[name] = valid_pdf(pdf)
    assert checked == {"good": True, "empty": False, "truncated": False, "not a pdf": False, "no page": False}
    assert not valid_pdf(tmp_path / "missing.pdf")


def _pages(pdf):
    """Pages of a PDF by poppler's pdfinfo (tests only), or 1 when poppler is missing."""
    if not shutil.which("pdfinfo"):
        return 1
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[1] for line in out.splitlines() if line.startswith("Pages:")))


@pytest.mark.slow
def test_missing_broken_or_older_pdf_is_printed_again_and_nothing_else(template, snapshot, tmp_path):
    out = tmp_path / "out"
    first = run_batch(_jobs(template, snapshot, out, reps=("R1", "R3"), pdf=True), workers=1, progress=False)
    if not all(r.pdf for r in first):
        pytest.skip("chromium not installed")
    assert [(r.status, r.wrote) for r in first] == [("rendered", ("html", "pdf"))] * 2
    r1, r3 = (out / "idp_R1_en.html", out / "idp_R3_en.html")
    good = r1.with_suffix(".pdf").read_bytes()
    assert valid_pdf(r1.with_suffix(".pdf")) and _pages(r1.with_suffix(".pdf")) == 1
    assert [(j.stale, j.pdf_stale) for j in _jobs(template, snapshot, out, reps=("R1", "R3"))] == [(False, False)] * 2

    for broken in (None, b"", good[: len(good) // 2]):  # missing, empty, truncated (a killed printer)
        r1.with_suffix(".pdf").unlink()
        if broken is not None:
            r1.with_suffix(".pdf").write_bytes(broken)
        jobs = _jobs(template, snapshot, out, reps=("R1", "R3"))
        assert [(j.stale, j.pdf_stale) for j in jobs] == [(False, True), (False, False)], broken
        r1.with_suffix(".pdf").write_bytes(good)

    # killed between the HTML of a new version and its PDF: HTML meta new, PDF record old
    old = json.loads(r1.with_suffix(".meta.json").read_text(encoding="utf-8"))
    v2 = lambda r: {"rep_id": r, "snapshot": str(snapshot), **({"lang": "zh"} if r == "R1" else {})}  # noqa: E731
    html_only = run_batch(_jobs(template, snapshot, out, reps=("R1", "R3"), params=v2), workers=1, progress=False)
    assert [(r.status, r.wrote, bool(r.pdf)) for r in html_only] == [("rendered", ("html",), False),
                                                                    ("skipped", (), True)]
    new = json.loads(r1.with_suffix(".meta.json").read_text(encoding="utf-8"))
    assert "pdf" not in new and new["parameters"]["lang"] == "zh"
    r1.with_suffix(".meta.json").write_text(json.dumps({**new, "pdf": old["pdf"]}), encoding="utf-8")
    assert not pdf_is_fresh(r1) and pdf_is_fresh(r3)
    jobs = _jobs(template, snapshot, out, reps=("R1", "R3"), params=v2, pdf=True)
    assert [(j.stale, j.pdf_stale) for j in jobs] == [(False, True), (False, False)]

    before = {p.name: p.stat().st_mtime_ns for p in (r1, r3, r3.with_suffix(".pdf"))}
    again = run_batch(jobs, workers=1, progress=False)
    assert [(r.status, r.wrote) for r in again] == [("rendered", ("pdf",)), ("skipped", ())]
    assert {p.name: p.stat().st_mtime_ns for p in (r1, r3, r3.with_suffix(".pdf"))} == before  # HTML kept
    assert pdf_is_fresh(r1) and _pages(r1.with_suffix(".pdf")) == 1
    assert not list(out.glob("*.part"))
    people = pd.DataFrame({"rep_id": ["R1", "R3"], "name": ["A", "C"], "team": ["T", "T"]})
    assert write_index(again, people, out, title="Plans").read_text(encoding="utf-8").count('.pdf"') == 2
    assert all(j.stale for j in _jobs(template, snapshot, out, reps=("R1", "R3"), params=v2, force=True, pdf=True))


def test_code_fingerprint_changes_with_a_template(tmp_path, monkeypatch):
    """Reports made by older code or templates are not "up to date" after an upgrade."""
    from playbook.pipeline import batch

    (tmp_path / "idp_report.ipynb").write_text("{}")
    monkeypatch.setattr(batch, "TEMPLATES_DIR", tmp_path)
    batch.code_fingerprint.cache_clear()
    before = batch.code_fingerprint()
    (tmp_path / "idp_report.ipynb").write_text('{"cells": []}')
    batch.code_fingerprint.cache_clear()
    assert batch.code_fingerprint() != before
    batch.code_fingerprint.cache_clear()


def test_after_an_interrupt_only_the_batch_threads_errors_are_silenced(monkeypatch):
    """The quiet hook set on Ctrl-C covers the batch's own threads; another thread's error is still shown."""
    from playbook.pipeline import batch

    shown = []
    monkeypatch.setattr(threading, "excepthook", lambda args: shown.append(args.thread.name))

    def boom():
        raise RuntimeError("worker ended")

    pool_thread = threading.Thread(target=boom, name="pool")
    batch._silence_threads({pool_thread})
    pool_thread.start()
    pool_thread.join()
    other = threading.Thread(target=boom, name="later")
    other.start()
    other.join()
    assert shown == ["later"]


def test_a_pdf_printed_later_completes_its_result():
    """A pool worker's PDF prints on its browser thread; its outcome completes the job's result."""
    from playbook.pipeline.batch import JobResult, merge_pdf

    def later(wrote=("html",)):
        return JobResult("R1", "rendered" if wrote else "skipped", "r1.html", extra={"pdf": "later"}, wrote=wrote)

    done = merge_pdf(later(), "r1.pdf", None, ("html", "pdf"))
    assert (done.status, done.pdf, done.wrote, done.error, done.extra) == ("rendered", "r1.pdf", ("html", "pdf"),
                                                                          None, {})
    failed = merge_pdf(later(), None, "chromium crashed", ("html",))
    assert (failed.status, failed.html, failed.pdf, failed.error) == ("failed", "r1.html", None,
                                                                      "PDF: chromium crashed")
    only_pdf = merge_pdf(later(()), "r1.pdf", None, ("pdf",))  # the HTML was fresh: only its PDF printed
    assert (only_pdf.status, only_pdf.wrote) == ("rendered", ("pdf",))
    nothing = merge_pdf(later(()), None, None, ())  # no browser here: no PDF, and nothing failed
    assert (nothing.status, nothing.pdf) == ("skipped", None)
