"""Batch rendering: one report per rep from one snapshot, in parallel, rerun-safe.

The flow (design.md, "How data flows"):

1. the caller computes team-wide figures once and saves them as a snapshot
   (Parquet files with a ``rep_id`` column, plus ``meta.json`` holding the
   inputs' fingerprint);
2. :func:`plan_jobs` makes one job per rep; a job whose report exists and was
   made from the same snapshot fingerprint and template is skipped (rerun renders
   only what is missing or stale); a PDF is fresh only when it is complete
   (:func:`valid_pdf`) and was printed from that very HTML (:func:`pdf_is_fresh`);
3. :func:`run_batch` executes the template notebook per rep in a local process
   pool (or on a Dask cluster, :mod:`playbook.pipeline.cluster`): each worker keeps
   one warm kernel (:mod:`playbook.pipeline.engine`; or a fresh kernel per report)
   and one headless chromium, and prints each report's PDF as soon as its HTML is
   written; one rep's failure is recorded and the batch goes on; the workers, their
   kernels and browsers end with the batch process, even when it is killed; Ctrl-C
   ends them at once and keeps every finished report (:class:`BatchInterrupted`);
4. :func:`write_index` links every report in the folder, this run's and earlier
   runs' (and each PDF when fresh); :func:`html_to_pdf` prints pages outside a batch.

Every file is written to a temporary name in its folder and moved into place when
complete; a report's ``.meta.json`` is written after the file it describes, so a run
killed at any moment leaves nothing that a rerun takes for finished.

Each report notebook reads only its own slice of the snapshot
(:func:`read_slice`), so N reports over D rows cost O(D + N), not O(D x N). The
snapshot's files are :mod:`playbook.pipeline.snapshot`'s (re-exported here); a report's
kernel imports that small module, not this one.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader

from playbook.core.errors import ParameterError, PlaybookError
from playbook.core.labels import t
from playbook.core.paths import TEMPLATES_DIR, safe_filename
from playbook.data.cache import file_shas
from playbook.pipeline import workers
from playbook.pipeline.engine import WarmKernel
from playbook.pipeline.notebooks import REPORT_CSP, execute_notebook, notebook_to_html
from playbook.pipeline.pdf import PdfUnavailable, Printer, playwright, valid_pdf
from playbook.pipeline.progress import BatchProgress
from playbook.pipeline.snapshot import preload_snapshot, read_slice, read_snapshot_meta, write_snapshot
from playbook.present import messages
from playbook.present.times import now_local

__all__ = [
    "HTML_TEMPLATE",
    "ISOLATION",
    "BatchInterrupted",
    "Job",
    "JobResult",
    "fingerprint_files",
    "code_fingerprint",
    "file_sha",
    "write_snapshot",
    "read_snapshot_meta",
    "read_slice",
    "preload_snapshot",
    "plan_jobs",
    "run_job",
    "warm_up",
    "run_batch",
    "write_index",
    "html_to_pdf",
    "valid_pdf",
    "pdf_is_fresh",
    "read_meta",
    "results_frame",
]

_KEY = ("fingerprint", "template", "parameters")  # what a report's meta file records
HTML_TEMPLATE = "idp"  # nbconvert template of the batch's reports: JupyterLab's look, only the CSS they use
ISOLATION = ("warm", "fresh")  # a warm kernel per worker (engine.WarmKernel), or a fresh kernel per report


def file_sha(path: str | Path) -> str:
    """Return the SHA-256 of a file's bytes (hex)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def fingerprint_files(files: Iterable[str | Path], *extra: object) -> str:
    """Fingerprint a set of input files (names and bytes) plus extra values.

    The files' hashes come from :func:`playbook.data.cache.file_shas`: a file unchanged
    since it was last hashed (by this or the validation cache) is not read again.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); (d / "a.csv").write_text("x")
    1
    >>> fingerprint_files([d / "a.csv"], "2025-09-30") == fingerprint_files([d / "a.csv"], "2025-09-30")
    True
    >>> fingerprint_files([d / "a.csv"], "2025-09-30") == fingerprint_files([d / "a.csv"], "2025-10-31")
    False
    """
    digest = hashlib.sha256()
    found = sorted(Path(p) for p in files)
    for path, sha in zip(found, file_shas(found), strict=True):
        digest.update(path.name.encode())
        digest.update(sha.encode())
    for value in extra:
        digest.update(repr(value).encode())
    return digest.hexdigest()[:16]


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Fingerprint of the kit's own code and templates (every ``playbook/**/*.py`` and ``templates/**``).

    Part of every report's freshness: after an upgrade of the kit (or an edit of a
    template or catalogue), the next batch renders every report again instead of
    calling reports made by the old code "up to date".

    Examples
    --------
    >>> len(code_fingerprint()), code_fingerprint() == code_fingerprint()
    (16, True)
    """
    package = Path(__file__).resolve().parents[1]
    files = [*package.rglob("*.py"), *package.rglob("*.yaml"),
             *(f for f in TEMPLATES_DIR.rglob("*") if f.is_file())]
    digest = hashlib.sha256()
    for path in sorted(f for f in files if "__pycache__" not in f.parts and ".ipynb_checkpoints" not in f.parts):
        digest.update(path.as_posix().encode())
        digest.update(file_sha(path).encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Job:
    """One report to render: its HTML when ``stale``, its PDF when ``pdf`` and ``pdf_stale``."""

    rep_id: str
    notebook: str
    parameters: dict[str, Any]
    html: str
    fingerprint: str
    title: str
    lang: str = "en"
    stale: bool = True
    volatile: tuple[str, ...] = ()
    pdf: bool = False
    pdf_stale: bool = True
    preload: str = ""  # a snapshot folder a warm kernel keeps in memory



@dataclass
class JobResult:
    """What happened to one job.

    ``status`` is ``rendered`` when this run wrote a file for the rep (``wrote`` says
    which: ``"html"``, ``"pdf"``), ``skipped`` when everything was fresh, ``failed``
    otherwise (``html`` then names the report only if it is complete and fresh). ``pdf``
    names the rep's PDF only when it is complete and printed from the current HTML.
    """

    rep_id: str
    status: str  # rendered | skipped | failed
    html: str | None = None
    error: str | None = None
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    pdf: str | None = None
    wrote: tuple[str, ...] = ()


def _meta_path(html: Path) -> Path:
    return html.with_suffix(".meta.json")


def read_meta(html: str | Path) -> dict[str, Any] | None:
    """Return a report's meta file, or None when it is missing or unreadable (then nothing is fresh)."""
    try:
        meta = json.loads(_meta_path(Path(html)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def _write_json(path: Path, value: dict[str, Any]) -> None:
    """Write ``value`` as JSON to a temporary name beside ``path``, then move it into place."""
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def plan_jobs(
    rep_ids: Sequence[str],
    *,
    notebook: str | Path,
    out_dir: str | Path,
    parameters: Callable[[str], dict[str, Any]],
    fingerprint: str,
    title: Callable[[str], str],
    filename: Callable[[str], str] | None = None,
    lang: str = "en",
    force: bool = False,
    volatile: Sequence[str] = (),
    pdf: bool = False,
    preload: str | Path = "",
) -> list[Job]:
    """Make one job per rep; mark as fresh (``stale=False``) those already rendered.

    A report is fresh when its HTML exists and its ``.meta.json`` records the same
    snapshot fingerprint and template hash and parameters. Parameters named in
    ``volatile`` (e.g. the snapshot's path, whose content the fingerprint covers) are
    left out of the comparison, so a moved or copied reports folder stays fresh.
    Its PDF is fresh (``pdf_stale=False``) when the HTML is and :func:`pdf_is_fresh`;
    with ``pdf``, the batch prints the PDFs that are not. ``preload`` names the
    snapshot folder a warm kernel keeps in memory for all its reports.
    """
    if not rep_ids:
        raise ParameterError("reps", list(rep_ids), "at least one rep id")
    notebook = Path(notebook)
    template_sha = file_sha(notebook)[:16]
    out_dir = Path(out_dir)
    jobs = []
    for rep in rep_ids:
        name = (filename or (lambda r: safe_filename(f"idp_{r}_{lang}")))(rep)
        html = out_dir / f"{name}.html"
        params = parameters(rep)
        meta = None if force or not html.exists() else read_meta(html)
        key = {"fingerprint": fingerprint, "template": template_sha, "parameters": _stable(params, volatile)}
        stale = meta is None or {k: meta.get(k) for k in _KEY} != key
        jobs.append(Job(str(rep), str(notebook), params, str(html), f"{fingerprint}:{template_sha}",
                        title(rep), lang, stale, tuple(volatile), pdf, stale or not pdf_is_fresh(html),
                        str(preload)))
    return jobs


def _stable(params: dict[str, Any], volatile: Sequence[str]) -> dict[str, Any]:
    """Parameters as stored in a report's meta file (JSON types, volatile keys left out)."""
    return json.loads(json.dumps({k: v for k, v in params.items() if k not in volatile}, default=str))


def run_job(job: Job, *, engine: WarmKernel | None = None,
            printer: Printer | workers.PrintThread | None = None) -> JobResult:
    """Render one job; never raises: failures are results.

    The HTML runs in ``engine`` (a warm kernel) when given, else in a fresh kernel;
    in a pool worker, the worker's own warm kernel and browser are used (see
    :mod:`playbook.pipeline.workers`). The HTML (when stale) and the PDF (when asked
    for and stale) are written to temporary names and moved into place only when
    complete, each before the meta file that says what it was made from, so a failed
    or interrupted run never leaves a report or PDF that looks finished. In a pool
    worker the PDF prints on the browser's thread while the worker goes on with its
    next report: the result then says ``extra["pdf"] == "later"`` and the PDF's outcome
    reaches the batch as a ``"pdfdone"`` event (:func:`_pdf_later`, :func:`merge_pdf`).
    """
    start = time.perf_counter()
    html = Path(job.html)
    wrote: list[str] = []
    engine, printer = engine or workers.worker_engine(), printer or workers.worker_printer()
    try:
        if job.stale:
            warm_up(job, engine, printer)
            _render_html(job, html, engine)
            wrote.append("html")
            workers.emit("html", job.rep_id)
        if (job.pdf and (job.stale or job.pdf_stale) and isinstance(printer, workers.PrintThread)
                and workers.STATE.get("events") is not None):
            printer.later(functools.partial(_pdf_later, job, html, tuple(wrote)))
            return JobResult(job.rep_id, "rendered" if wrote else "skipped", str(html), None,
                             time.perf_counter() - start, extra={"pdf": "later"}, wrote=tuple(wrote))
        pdf = _job_pdf(job, html, wrote, printer)
        return JobResult(job.rep_id, "rendered" if wrote else "skipped", str(html), None,
                         time.perf_counter() - start, pdf=pdf, wrote=tuple(wrote))
    except Exception as exc:  # noqa: BLE001 - one rep's failure must not stop the batch
        message = _message(exc, job.lang)
        html_ok = bool(wrote) or not job.stale  # the HTML is complete; its PDF failed
        return JobResult(job.rep_id, "failed", str(html) if html_ok else None,
                         f"PDF: {message}" if html_ok else message, time.perf_counter() - start,
                         wrote=tuple(wrote))


def _message(exc: Exception, lang: str = "en") -> str:
    """One line saying what went wrong: a kit error worded in ``lang``, else the exception's type and text.

    A report's own kit error comes worded in its language from its kernel
    (:func:`~playbook.pipeline.notebooks.render_error`); the notebook's name around it
    is worded here.
    """
    message = messages.message(exc, lang) if isinstance(exc, PlaybookError) else f"{type(exc).__name__}: {exc}"
    return message.strip().splitlines()[-1][:500] if message.strip() else type(exc).__name__


def _pdf_later(job: Job, html: Path, wrote: tuple[str, ...], printer: Printer) -> None:
    """Print the job's PDF (on the worker's browser thread); tell the batch ``("pdfdone", outcome)``."""
    done = list(wrote)
    try:
        pdf, error = _job_pdf(job, html, done, printer), None
    except Exception as exc:  # noqa: BLE001 - one rep's PDF failure must not stop the worker
        pdf, error = None, _message(exc, job.lang)
    workers.emit("pdfdone", (job.rep_id, pdf, error, tuple(done)))


def merge_pdf(res: JobResult, pdf: str | None, error: str | None, wrote: tuple[str, ...]) -> JobResult:
    """Complete a result whose PDF printed later (:func:`run_job`) with that PDF's outcome."""
    res.extra.pop("pdf", None)
    res.pdf, res.wrote = pdf, wrote
    if error is not None:
        res.status, res.error = "failed", f"PDF: {error}"
    else:
        res.status = "rendered" if wrote else "skipped"
    return res


def warm_up(job: Job, engine: WarmKernel | None, printer: Printer | workers.PrintThread | None) -> None:
    """Start ``printer``'s browser while ``engine``'s new kernel imports and reads the snapshot.

    Nothing to do once both run; without an engine (a fresh kernel per report) the
    browser starts when the first PDF is printed. A worker's browser thread starts it
    without this thread waiting.
    """
    if engine is None:
        return
    if job.pdf and isinstance(printer, workers.PrintThread):
        printer.later(_start_browser)  # first: it starts while this thread waits for the new kernel to answer
    engine.prepare(job.notebook, job.preload)
    if job.pdf and printer is not None and not isinstance(printer, workers.PrintThread):
        _start_browser(printer)


def _start_browser(printer: Printer) -> None:
    with contextlib.suppress(PdfUnavailable):  # said once the HTML is written, as without a warm-up
        printer.browser()


def render_html(job: Job, engine: WarmKernel | None = None) -> str:
    """Execute the job's notebook (in ``engine``, else a fresh kernel) and return its standalone HTML."""
    if engine is not None:
        nb = engine.execute(job.notebook, job.parameters, preload=job.preload)
    else:
        nb = execute_notebook(job.notebook, job.parameters)
    return notebook_to_html(nb, title=job.title, lang=job.lang, template=HTML_TEMPLATE)


def _render_html(job: Job, html: Path, engine: WarmKernel | None) -> None:
    """Write the job's HTML atomically, then its meta file (which has no PDF record)."""
    write_report(job, html, render_html(job, engine))


def write_report(job: Job, html: Path, page: str | bytes) -> None:
    """Write a report's HTML to a temporary name, move it into place, then write its meta file."""
    html.parent.mkdir(parents=True, exist_ok=True)
    tmp = html.with_name(html.name + ".part")
    try:
        tmp.write_bytes(page.encode("utf-8") if isinstance(page, str) else page)
        os.replace(tmp, html)
    finally:
        tmp.unlink(missing_ok=True)
    fingerprint, template_sha = job.fingerprint.split(":")
    _write_json(_meta_path(html), {"fingerprint": fingerprint, "template": template_sha,
                                   "parameters": _stable(job.parameters, job.volatile),
                                   "rep_id": job.rep_id, "lang": job.lang})


def record_pdf(html: Path, source: str) -> None:
    """Record in a report's meta file that its PDF was printed from the HTML of hash ``source``."""
    meta = read_meta(html)
    if meta is not None:  # a batch report: record what the PDF shows, after the PDF
        meta["pdf"] = {**{k: meta.get(k) for k in _KEY}, "html": source}
        _write_json(_meta_path(html), meta)


def _job_pdf(job: Job, html: Path, wrote: list[str], printer: Printer | None) -> str | None:
    """Print the job's PDF when asked for and stale; return its path when it is fresh.

    Without Playwright or chromium no PDF is printed (None), as before the PDFs existed.
    """
    pdf = html.with_suffix(".pdf")
    if not (job.stale or job.pdf_stale):
        return str(pdf)
    if not job.pdf:
        return None
    own = printer is None
    printer = printer or Printer()
    try:
        source = file_sha(html)
        printer.print(html, pdf)
    except PdfUnavailable:
        workers.emit("nopdf", job.rep_id)
        return None
    finally:
        if own:
            printer.close()
    record_pdf(html, source)
    wrote.append("pdf")
    workers.emit("pdf", job.rep_id)
    return str(pdf)


class BatchInterrupted(PlaybookError):
    """The batch was interrupted (Ctrl-C); ``results`` holds the reports finished before it."""

    def __init__(self, results: list[JobResult], total: int) -> None:
        self.results, self.total = results, total
        super().__init__(f"interrupted: {sum(r.status != 'failed' for r in results)} of {total} reports "
                         "finished and kept; run the same command again to render the rest.")


def run_batch(
    jobs: Sequence[Job],
    *,
    workers: int | None = None,
    remote: Callable[[list[Job], BatchProgress], list[JobResult]] | None = None,
    progress: bool | BatchProgress = True,
    runner: Callable[[Job], JobResult] = run_job,
    log: str | Path | None = None,
    isolation: str = "warm",
    max_reports: int = 100,
) -> list[JobResult]:
    """Run the stale jobs in parallel; return one result per job, in job order.

    A job runs when its HTML is stale, or when it asks for a PDF that is stale (then
    only the PDF is printed). Each local worker keeps one warm kernel (``isolation``
    ``"warm"``, replaced after ``max_reports`` reports or any error) or starts a fresh
    kernel per report (``"fresh"``), and one browser; it prints each report's PDF as
    soon as its HTML is written. Local workers end when this process ends, however it
    ends (even by ``kill -9``), and take their kernels and browsers along. On Ctrl-C
    the workers are ended at once and :class:`BatchInterrupted` carries the results
    finished before it (each complete on disk).

    Parameters
    ----------
    workers : int, optional
        Local worker processes (default: CPU count, at most 4).
    remote : callable, optional
        Runs the jobs to do elsewhere instead of the local pool, e.g. on a Dask cluster
        (:func:`playbook.pipeline.cluster.run_on_cluster`): called with the jobs and
        the progress display, returns their results.
    progress : bool or BatchProgress
        Show the phases (HTML, PDF) with rate and ETA on the terminal (rich).
    log : path, optional
        File that receives the workers' and kernels' own messages (stderr), so the
        terminal shows only the progress bar and the failures.
    """
    if isolation not in ISOLATION:
        raise ParameterError("isolation", isolation, " or ".join(ISOLATION))
    results: dict[str, JobResult] = {
        j.rep_id: JobResult(j.rep_id, "skipped", j.html,
                            pdf=None if j.pdf_stale else str(Path(j.html).with_suffix(".pdf")))
        for j in jobs if not _todo(j)
    }
    todo = [j for j in jobs if _todo(j)]
    workers = min(4, os.cpu_count() or 1) if workers is None else workers
    if workers < 1:
        raise ParameterError("workers", workers, "a whole number >= 1")
    bar = progress if isinstance(progress, BatchProgress) else BatchProgress(enabled=bool(progress and todo),
                                                                           lang=todo[0].lang if todo else "en")
    _phases(bar, todo)
    try:
        if remote is not None and todo:
            done = remote(todo, bar)
        elif todo:
            done = _run_local(todo, min(workers, len(todo)), bar, runner, log, isolation, max_reports)
        else:
            done = []
    finally:
        if not isinstance(progress, BatchProgress):
            bar.close()
    results.update({r.rep_id: r for r in done})
    return [results[j.rep_id] for j in jobs]


def _phases(bar: BatchProgress, todo: Sequence[Job]) -> None:
    """Add the HTML and PDF phases for the jobs to do."""
    htmls = sum(j.stale for j in todo)
    pdfs = sum(j.pdf for j in todo)
    if htmls:
        bar.phase("html", "HTML", total=htmls)
    if pdfs:
        bar.phase("pdf", "PDF", total=pdfs)


def follow(bar: BatchProgress, kind: str, value: Any, seen: dict[str, set[str]]) -> None:
    """Show one worker event on ``bar``: an HTML or PDF done, a PDF not printed."""
    if kind in ("html", "pdf") and value not in seen.setdefault(kind, set()):
        seen[kind].add(value)
        bar.advance(kind)
    elif kind == "nopdf":
        bar.shrink("pdf")


def finish(bar: BatchProgress, job: Job, res: JobResult, seen: dict[str, set[str]]) -> None:
    """Account for a finished job: its phases not reported (failed, or no events) count as done."""
    if res.status == "failed":
        bar.fail()
    for kind, wanted in (("html", job.stale), ("pdf", job.pdf)):
        if wanted and res.rep_id not in seen.setdefault(kind, set()):
            if kind == "pdf" and res.status != "failed" and "pdf" not in res.wrote:
                bar.shrink("pdf")
            else:
                follow(bar, kind, res.rep_id, seen)


def _run_local(todo: Sequence[Job], n: int, bar: BatchProgress, runner: Callable[[Job], JobResult],
               log: str | Path | None, isolation: str, max_reports: int) -> list[JobResult]:
    """Run ``todo`` in a pool of ``n`` local workers, following their events; Ctrl-C ends them at once."""
    before = set(threading.enumerate())
    context = multiprocessing.get_context()
    events = context.SimpleQueue()
    pool = ProcessPoolExecutor(max_workers=n, mp_context=context, initializer=workers.init_worker,
                               initargs=(os.getpid(), str(log) if log else None, events, isolation, max_reports))
    by_future: dict[Future[JobResult], Job] = {pool.submit(runner, job): job for job in todo}
    pending, done, pids, seen = set(by_future), [], [], {}
    waiting: dict[str, tuple[JobResult, Job]] = {}  # results whose PDF prints later, by rep
    early: dict[str, tuple[Any, ...]] = {}  # PDF outcomes that came before their job's result

    def land(res: JobResult, job: Job) -> None:
        done.append(res)
        finish(bar, job, res, seen)

    def event(kind: str, value: Any) -> None:
        if kind == "pid":
            pids.append(value)
        elif kind == "pdfdone":
            rep, *outcome = value
            if rep in waiting:
                res, job = waiting.pop(rep)
                land(merge_pdf(res, *outcome), job)
            else:
                early[rep] = tuple(outcome)
        else:
            follow(bar, kind, value, seen)

    try:
        while pending:
            finished, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            while not events.empty():
                event(*events.get())
            for fut in finished:
                res, job = fut.result(), by_future[fut]
                if res.extra.get("pdf") != "later":
                    land(res, job)
                elif res.rep_id in early:
                    land(merge_pdf(res, *early.pop(res.rep_id)), job)
                else:
                    waiting[res.rep_id] = (res, job)
        deadline = time.monotonic() + 600
        while waiting and time.monotonic() < deadline and any(workers.running(pid) for pid in pids):
            if events.empty():
                time.sleep(0.05)
            while not events.empty():
                event(*events.get())
    except KeyboardInterrupt:
        _silence_threads(set(threading.enumerate()) - before)  # the pool's, which may complain about its workers
        for fut in pending:
            fut.cancel()
        while not events.empty():
            kind, value = events.get()
            pids.append(value) if kind == "pid" else None
        workers.stop(pids)
        pool.shutdown(wait=False, cancel_futures=True)
        for job in todo:  # what a worker ended mid-write left behind
            for part in Path(job.html).parent.glob(Path(job.html).stem + ".*part"):
                part.unlink(missing_ok=True)
        done += [merge_pdf(res, None, None, res.wrote) for res, _ in waiting.values()]  # HTML complete, no PDF
        raise BatchInterrupted(done, len(todo)) from None
    pool.shutdown(wait=True)
    while not events.empty():
        event(*events.get())
    for res, job in waiting.values():  # its worker ended before telling
        land(merge_pdf(res, None, "the worker ended before the PDF was printed; run the batch again.", res.wrote),
             job)
    return done


def _silence_threads(threads: set[threading.Thread]) -> None:
    """After Ctrl-C: an error of one of ``threads`` (the pool noticing its ended workers) is not shown.

    Errors of every other thread still reach the hook that was in place.
    """
    previous = threading.excepthook

    def hook(args: Any) -> None:
        if args.thread not in threads:
            previous(args)

    threading.excepthook = hook


def _todo(job: Job) -> bool:
    return job.stale or (job.pdf and job.pdf_stale)


def write_index(
    results: Sequence[JobResult],
    people: pd.DataFrame,
    out_dir: str | Path,
    *,
    lang: str = "en",
    title: str,
    columns: Sequence[str] = ("rep_id", "name", "team"),
    current: str | None = None,
) -> Path:
    """Write ``index.html`` linking every report in ``out_dir``: this run's and earlier runs' (merged).

    One row per rep and language. This run's ``results`` (in ``lang``) replace what is
    on disk for the same rep and language; every other complete report in the folder
    (HTML with its meta file) stays listed, as "up to date" when made from ``current``
    (``"fingerprint:template"``, or unknown when None) and "out of date" otherwise. A
    PDF is linked only when it is complete and printed from its report. ``people``
    gives the columns shown per rep (escaped). Links are relative, so the folder can be
    zipped or moved as a whole. The page is written atomically.
    """
    out_dir = Path(out_dir)
    info = people.assign(rep_id=people["rep_id"].astype(str)).set_index("rep_id")
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for meta_file in sorted(out_dir.glob("*.meta.json")):
        html = meta_file.with_name(meta_file.name[: -len(".meta.json")] + ".html")
        meta = read_meta(html)
        params = meta.get("parameters") if meta else None
        rep = str((meta or {}).get("rep_id") or (params or {}).get("rep_id") or "")
        if not rep or not html.exists() or not isinstance(params, dict):
            continue
        fresh = current is None or f"{meta.get('fingerprint')}:{meta.get('template')}" == current
        found[(rep, str(meta.get("lang") or params.get("lang") or lang))] = {
            "rep": rep, "href": html, "pdf": html.with_suffix(".pdf") if pdf_is_fresh(html) else None,
            "status": "skipped" if fresh else "stale", "error": ""}
    for res in results:
        found[(res.rep_id, lang)] = {"rep": res.rep_id, "href": res.html and Path(res.html),
                                     "pdf": res.pdf and Path(res.pdf), "status": res.status, "error": res.error or ""}
    rows = []
    for (rep, row_lang), row in sorted(found.items()):
        rows.append({
            "cells": [rep] + [str(info.loc[rep, c]) if rep in info.index and c in info.columns else ""
                              for c in columns[1:]] + [t(f"render.lang.{row_lang}", lang)],
            "href": os.path.relpath(row["href"], out_dir) if row["href"] else None,
            "pdf": os.path.relpath(row["pdf"], out_dir) if row["pdf"] else None,
            "status": t(f"render.status.{row['status']}", lang), "failed": row["status"] == "failed",
            "error": row["error"],
        })
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True)
    page = env.get_template("report_index.html.j2").render(
        title=title, lang="zh-CN" if lang == "zh" else "en", rows=rows, csp=REPORT_CSP,
        headers=[t(f"col.{c}", lang) for c in columns] + [t("render.language", lang), t("render.report", lang),
                                                          t("render.status", lang)],
        pdf_label="PDF", generated=now_local(),
        generated_label=t("render.generated", lang),
        summary=t("render.summary", lang, total=len(rows), failed=sum(r["failed"] for r in rows)),
    )
    target = out_dir / "index.html"
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, target)
    return target


def html_to_pdf(pages: Iterable[str | Path], *, chromium: str | None = None) -> list[Path]:
    """Print each HTML page to an A4 PDF beside it, with one headless chromium.

    Each PDF is written to a temporary name, checked (:func:`valid_pdf`) and moved into
    place; a page with a report meta file gets its PDF recorded there. Returns the PDFs
    written; an empty list (and no error) when chromium is missing. Without Playwright
    (the ``[pdf]`` extra) it raises :class:`PdfUnavailable`, naming the extra.
    """
    pages = [Path(p) for p in pages]
    playwright()  # the [pdf] extra, asked for by name: say so rather than print nothing
    out = []
    try:
        with Printer(chromium) as printer:
            for html in pages:
                source = file_sha(html)
                out.append(printer.print(html))
                record_pdf(html, source)
    except PdfUnavailable:
        return out
    return out


def pdf_is_fresh(html: str | Path) -> bool:
    """Return True when the PDF beside ``html`` is complete and was printed from it.

    The report's meta file must record the PDF with the report's own fingerprint,
    template, parameters and the HTML's hash: a PDF left from an older plan version
    (a run killed between the HTML and the PDF) or an older HTML is not fresh.
    """
    html = Path(html)
    meta = read_meta(html)
    if meta is None or not isinstance(meta.get("pdf"), dict):
        return False
    try:
        source = file_sha(html)
    except OSError:
        return False
    return (meta["pdf"] == {**{k: meta.get(k) for k in _KEY}, "html": source}
            and valid_pdf(html.with_suffix(".pdf")))


def results_frame(results: Sequence[JobResult]) -> pd.DataFrame:
    """Return the batch results as a frame (for logs and tests)."""
    return pd.DataFrame([asdict(r) for r in results])
