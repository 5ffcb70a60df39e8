"""Batch rendering: one report per rep from one snapshot, in parallel, rerun-safe.

The flow (design.md, "How data flows"):

1. the caller computes team-wide figures once and saves them as a snapshot
   (Parquet files with a ``rep_id`` column, plus ``meta.json`` holding the
   inputs' fingerprint);
2. :func:`plan_jobs` makes one job per rep; a job whose report exists and was
   made from the same snapshot fingerprint and template is skipped (rerun renders
   only what is missing or stale); a PDF is fresh only when it is complete
   (:func:`valid_pdf`) and was printed from that very HTML (:func:`pdf_is_fresh`);
3. :func:`run_batch` executes the template notebook per rep with Papermill in a
   local process pool (or a Dask cluster given ``scheduler``) and each worker prints
   its own PDFs with a headless chromium it keeps warm; one rep's failure is recorded
   and the batch goes on; the workers, their kernels and browsers end with the batch
   process, even when it is killed;
4. :func:`write_index` links every report (and its PDF when fresh);
   :func:`html_to_pdf` prints pages to PDF outside a batch.

Every file is written to a temporary name in its folder and moved into place when
complete; a report's ``.meta.json`` is written after the file it describes, so a run
killed at any moment leaves nothing that a rerun takes for finished.

Each report notebook reads only its own slice of the snapshot
(:func:`read_slice`), so N reports over D rows cost O(D + N), not O(D x N).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import json
import os
import re
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from multiprocessing import util as mp_util
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from playbook.core import extras
from playbook.core.errors import ParameterError, PlaybookError
from playbook.core.labels import t
from playbook.core.paths import TEMPLATES_DIR, safe_filename
from playbook.pipeline.notebooks import REPORT_CSP, execute_notebook, notebook_to_html
from playbook.present.times import now_local

__all__ = [
    "Job",
    "JobResult",
    "fingerprint_files",
    "code_fingerprint",
    "file_sha",
    "write_snapshot",
    "read_snapshot_meta",
    "read_slice",
    "plan_jobs",
    "run_job",
    "run_batch",
    "write_index",
    "html_to_pdf",
    "valid_pdf",
    "pdf_is_fresh",
    "results_frame",
]

META = "meta.json"
_KEY = ("fingerprint", "template", "parameters")  # what a report's meta file records
PR_SET_PDEATHSIG = 1  # linux/prctl.h
_WORKER: dict[str, Any] = {"warm": False}  # this process's state as a pool worker (its warm browser)


def file_sha(path: str | Path) -> str:
    """Return the SHA-256 of a file's bytes (hex)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def fingerprint_files(files: Iterable[str | Path], *extra: object) -> str:
    """Fingerprint a set of input files (names and bytes) plus extra values.

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
    for path in sorted(Path(p) for p in files):
        digest.update(path.name.encode())
        digest.update(file_sha(path).encode())
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


def write_snapshot(
    frames: dict[str, pd.DataFrame], directory: str | Path, *, fingerprint: str, **meta: Any
) -> Path:
    """Write ``frames`` as Parquet files and ``meta.json`` into ``directory``.

    Frames that hold per-rep rows must have a ``rep_id`` column so reports can read
    their slice only. The meta file is written last: a snapshot without it is
    incomplete and is not used.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / META).unlink(missing_ok=True)
    for name, frame in frames.items():
        frame.to_parquet(directory / f"{name}.parquet", index=False)
    info = {"fingerprint": fingerprint, "tables": sorted(frames), **meta}
    (directory / META).write_text(json.dumps(info, ensure_ascii=False, indent=1, default=str),
                                  encoding="utf-8")
    return directory


def read_snapshot_meta(directory: str | Path) -> dict[str, Any]:
    """Return the snapshot's ``meta.json``; a clear error when it is missing."""
    path = Path(directory) / META
    if not path.exists():
        raise PlaybookError(
            f"{directory}: not a complete snapshot (no {META}); build it again with "
            "`playbook idp render`."
        )
    return json.loads(path.read_text(encoding="utf-8"))


def read_slice(directory: str | Path, table: str, rep_id: str | None = None) -> pd.DataFrame:
    """Read one snapshot table; with ``rep_id``, only that rep's rows (Parquet filter).

    Tables without a ``rep_id`` column (anonymous team statistics) are read whole.
    """
    path = Path(directory) / f"{table}.parquet"
    if rep_id is None:
        return pd.read_parquet(path)
    try:
        return pd.read_parquet(path, filters=[("rep_id", "==", str(rep_id))])
    except (KeyError, ValueError):
        # pyarrow refuses a filter on a missing column: a team-level table
        return pd.read_parquet(path)


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


def _read_meta(html: Path) -> dict[str, Any] | None:
    """Return a report's meta file, or None when it is missing or unreadable (then nothing is fresh)."""
    try:
        meta = json.loads(_meta_path(html).read_text(encoding="utf-8"))
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
) -> list[Job]:
    """Make one job per rep; mark as fresh (``stale=False``) those already rendered.

    A report is fresh when its HTML exists and its ``.meta.json`` records the same
    snapshot fingerprint and template hash and parameters. Parameters named in
    ``volatile`` (e.g. the snapshot's path, whose content the fingerprint covers) are
    left out of the comparison, so a moved or copied reports folder stays fresh.
    Its PDF is fresh (``pdf_stale=False``) when the HTML is and :func:`pdf_is_fresh`;
    with ``pdf``, the batch prints the PDFs that are not.
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
        meta = None if force or not html.exists() else _read_meta(html)
        key = {"fingerprint": fingerprint, "template": template_sha, "parameters": _stable(params, volatile)}
        stale = meta is None or {k: meta.get(k) for k in _KEY} != key
        jobs.append(Job(str(rep), str(notebook), params, str(html), f"{fingerprint}:{template_sha}",
                        title(rep), lang, stale, tuple(volatile), pdf, stale or not pdf_is_fresh(html)))
    return jobs


def _stable(params: dict[str, Any], volatile: Sequence[str]) -> dict[str, Any]:
    """Parameters as stored in a report's meta file (JSON types, volatile keys left out)."""
    return json.loads(json.dumps({k: v for k, v in params.items() if k not in volatile}, default=str))


def run_job(job: Job) -> JobResult:
    """Render one job (runs in a worker process). Never raises: failures are results.

    The HTML (when stale) and the PDF (when asked for and stale) are written to
    temporary names and moved into place only when complete, each before the meta
    file that says what it was made from, so a failed or interrupted run never leaves
    a report or PDF that looks finished.
    """
    start = time.perf_counter()
    html = Path(job.html)
    wrote: list[str] = []
    try:
        if job.stale:
            _render_html(job, html)
            wrote.append("html")
        pdf = _job_pdf(job, html, wrote)
        return JobResult(job.rep_id, "rendered" if wrote else "skipped", str(html), None,
                         time.perf_counter() - start, pdf=pdf, wrote=tuple(wrote))
    except Exception as exc:  # noqa: BLE001 - one rep's failure must not stop the batch
        message = str(exc) if isinstance(exc, PlaybookError) else f"{type(exc).__name__}: {exc}"
        message = message.strip().splitlines()[-1][:500] if message.strip() else type(exc).__name__
        html_ok = bool(wrote) or not job.stale  # the HTML is complete; its PDF failed
        return JobResult(job.rep_id, "failed", str(html) if html_ok else None,
                         f"PDF: {message}" if html_ok else message, time.perf_counter() - start,
                         wrote=tuple(wrote))


def _render_html(job: Job, html: Path) -> None:
    """Execute the job's notebook and write its HTML, then the meta file (which has no PDF record)."""
    html.parent.mkdir(parents=True, exist_ok=True)
    tmp = html.with_name(html.name + ".part")
    try:
        nb = execute_notebook(job.notebook, job.parameters)
        tmp.write_text(notebook_to_html(nb, title=job.title, lang=job.lang), encoding="utf-8")
        os.replace(tmp, html)
    finally:
        tmp.unlink(missing_ok=True)
    fingerprint, template_sha = job.fingerprint.split(":")
    _write_json(_meta_path(html), {"fingerprint": fingerprint, "template": template_sha,
                                   "parameters": _stable(job.parameters, job.volatile)})


def _job_pdf(job: Job, html: Path, wrote: list[str]) -> str | None:
    """Print the job's PDF when asked for and stale; return its path when it is fresh."""
    pdf = html.with_suffix(".pdf")
    if not (job.stale or job.pdf_stale):
        return str(pdf)
    exe = _chromium() if job.pdf and extras.has("pdf") else None
    if exe is None:  # no PDF asked for, or no [pdf] extra or chromium to print with (HTML only)
        return None
    with _browser(exe) as browser:
        _print_pdf(browser, html)
    wrote.append("pdf")
    return str(pdf)


def run_batch(
    jobs: Sequence[Job],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    runner: Callable[[Job], JobResult] = run_job,
    log: str | Path | None = None,
) -> list[JobResult]:
    """Run the stale jobs in parallel; return one result per job, in job order.

    A job runs when its HTML is stale, or when it asks for a PDF that is stale (then
    only the PDF is printed). Local workers end when this process ends, however it
    ends (even by ``kill -9``), and take their kernels and browsers along.

    Parameters
    ----------
    workers : int, optional
        Local worker processes (default: CPU count, at most 4).
    scheduler : str, optional
        Address of a Dask distributed scheduler (``tcp://host:8786``); needs the
        ``distributed`` package on every worker.
    progress : bool
        Show a progress bar (rich) on the terminal.
    log : path, optional
        File that receives the workers' and kernels' own messages (stderr), so the
        terminal shows only the progress bar and the failures.
    """
    results: dict[str, JobResult] = {
        j.rep_id: JobResult(j.rep_id, "skipped", j.html,
                            pdf=None if j.pdf_stale else str(Path(j.html).with_suffix(".pdf")))
        for j in jobs if not _todo(j)
    }
    todo = [j for j in jobs if _todo(j)]
    workers = min(4, os.cpu_count() or 1) if workers is None else workers
    if workers < 1:
        raise ParameterError("workers", workers, "a whole number >= 1")
    bar = _progress(len(todo), todo[0].lang) if progress and todo else None
    try:
        if scheduler:
            try:
                from distributed import Client  # optional dependency: the [dask] extra
                from distributed import as_completed as dask_completed  # optional dependency
            except ImportError:
                raise PlaybookError(
                    "--scheduler needs the 'distributed' package: pip install distributed"
                ) from None
            with Client(scheduler) as client:
                futures = client.map(runner, todo, pure=False)
                for fut in dask_completed(futures):
                    res = fut.result()
                    results[res.rep_id] = res
                    bar and bar.advance(res)
        elif todo:
            with ProcessPoolExecutor(max_workers=min(workers, len(todo)), initializer=_worker_init,
                                     initargs=(os.getpid(), str(log) if log else None)) as pool:
                futures = [pool.submit(runner, job) for job in todo]
                for fut in as_completed(futures):
                    res = fut.result()
                    results[res.rep_id] = res
                    bar and bar.advance(res)
    finally:
        bar and bar.close()
    return [results[j.rep_id] for j in jobs]


def _todo(job: Job) -> bool:
    return job.stale or (job.pdf and job.pdf_stale)


def _worker_init(parent: int, log: str | None) -> None:
    """Pool worker initialiser: end with ``parent``, keep a warm browser, send stderr to ``log``.

    The worker gets SIGTERM when its parent dies (Linux ``prctl(PR_SET_PDEATHSIG)``;
    elsewhere a thread watching ``os.getppid()``); on SIGTERM it ends its own children
    (kernels, the browser's driver and chromium) and exits. The death signal fires
    when the *thread* that forked the worker ends: the pool lives inside one
    :func:`run_batch` call, so that thread outlives its workers.
    """
    signal.signal(signal.SIGTERM, _exit_with_children)
    if not _parent_death_signal(signal.SIGTERM):
        threading.Thread(target=_watch_parent, args=(parent,), name="playbook-parent", daemon=True).start()
    if os.getppid() != parent:  # the parent died before the signal was armed
        _exit_with_children()
    _WORKER["warm"] = True
    _quiet(log)


def _parent_death_signal(sig: int) -> bool:
    """Ask Linux to send ``sig`` to this process when its parent dies; False where it cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    """Portable fallback: poll the parent's pid and end this worker when it changes."""
    while os.getppid() == parent:
        time.sleep(0.5)
    _exit_with_children()


def _exit_with_children(signum: int = signal.SIGTERM, frame: object = None) -> None:
    """End this process's children (SIGTERM, then SIGKILL after a grace period) and exit."""
    _end_tree(os.getpid())
    os._exit(128 + int(signum))


def _end_tree(pid: int, grace: float = 2.0) -> None:
    """End every descendant of ``pid``: SIGTERM to its children, SIGKILL to what runs after ``grace`` s.

    The children go first and alone, so each can end its own (the browser's driver
    closes chromium and removes its profile folder); what is left is killed.
    """
    tree = _descendants(pid)
    for kid, parent in tree:
        if parent == pid:
            with contextlib.suppress(OSError):
                os.kill(kid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(_running(kid) for kid, _ in tree) and time.monotonic() < deadline:
        time.sleep(0.05)
    for kid, _ in tree:
        if _running(kid):
            with contextlib.suppress(OSError):
                os.kill(kid, signal.SIGKILL)


def _descendants(pid: int) -> list[tuple[int, int]]:
    """Return ``(pid, parent pid)`` of every descendant of ``pid`` (from /proc, else psutil, else none)."""
    proc = Path("/proc")
    if not (proc / str(pid) / "stat").exists():
        try:
            import psutil  # optional dependency: only where /proc is missing
        except ImportError:
            return []
        with contextlib.suppress(psutil.Error):
            return [(p.pid, p.ppid()) for p in psutil.Process(pid).children(recursive=True)]
        return []
    children: dict[int, list[int]] = {}
    for entry in proc.iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        found += [(kid, parent) for kid in children.get(parent, [])]
        todo += children.get(parent, [])
    return found


def _running(pid: int) -> bool:
    """Tell whether ``pid`` runs (a zombie, dead but not yet reaped, does not count)."""
    if Path("/proc").is_dir():
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _quiet(log: str | None) -> None:
    """Send this process's (and its kernels') stderr to ``log``."""
    if log is None:
        return
    Path(log).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    os.close(fd)


class _progress:
    """A rich progress bar counting rendered and failed reports."""

    def __init__(self, total: int, lang: str = "en") -> None:
        self.failed = 0
        self.lang = lang
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[note]}"), transient=False)
        self.task = self.bar.add_task(t("render.reports", lang), total=total, note="")
        self.bar.start()

    def advance(self, res: JobResult) -> None:
        self.failed += res.status == "failed"
        note = f"[red]{t('render.n_failed', self.lang, n=self.failed)}" if self.failed else ""
        self.bar.update(self.task, advance=1, note=note)

    def close(self) -> None:
        self.bar.stop()


def write_index(
    results: Sequence[JobResult],
    people: pd.DataFrame,
    out_dir: str | Path,
    *,
    lang: str = "en",
    title: str,
    columns: Sequence[str] = ("rep_id", "name", "team"),
) -> Path:
    """Write ``index.html`` linking every report (with status and failure reasons).

    ``people`` gives the columns shown per rep (escaped). Links are relative, so the
    folder can be zipped or moved as a whole.
    """
    out_dir = Path(out_dir)
    info = people.set_index("rep_id")
    rows = []
    for res in results:
        rel = os.path.relpath(res.html, out_dir) if res.html else None
        rows.append({
            "cells": [res.rep_id] + [str(info.loc[res.rep_id, c]) if res.rep_id in info.index
                                     and c in info.columns else "" for c in columns[1:]],
            "href": rel, "pdf": os.path.relpath(res.pdf, out_dir) if res.pdf else None,
            "status": t(f"render.status.{res.status}", lang), "failed": res.status == "failed",
            "error": res.error or "",
        })
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True)
    page = env.get_template("report_index.html.j2").render(
        title=title, lang="zh-CN" if lang == "zh" else "en", rows=rows, csp=REPORT_CSP,
        headers=[t(f"col.{c}", lang) for c in columns] + [t("render.report", lang),
                                                          t("render.status", lang)],
        pdf_label="PDF", generated=now_local(),
        generated_label=t("render.generated", lang),
        summary=t("render.summary", lang, total=len(results),
                  failed=sum(r.status == "failed" for r in results)),
    )
    target = out_dir / "index.html"
    out_dir.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
    return target


def html_to_pdf(pages: Iterable[str | Path], *, chromium: str | None = None) -> list[Path]:
    """Print each HTML page to an A4 PDF beside it, with one headless chromium.

    Each PDF is written to a temporary name, checked (:func:`valid_pdf`) and moved into
    place; a page with a report meta file gets its PDF recorded there. Returns the PDFs
    written; an empty list (and no error) when chromium is missing.
    """
    exe = _chromium(chromium)
    pages = [Path(p) for p in pages]
    if not exe or not pages:
        return []
    with _browser(exe) as browser:
        return [_print_pdf(browser, html) for html in pages]


def _chromium(exe: str | None = None) -> str | None:
    """Return the chromium to print with: ``exe``, else the one on the PATH, else None."""
    return exe or shutil.which("chromium") or shutil.which("chromium-browser")


@contextlib.contextmanager
def _browser(exe: str) -> Iterator[Any]:
    """Yield a headless chromium: a pool worker's warm one, else one for this call only.

    A worker's browser is closed when the worker exits normally (a multiprocessing
    finaliser) and ended with the worker's other children otherwise.
    """
    try:
        from playwright.sync_api import sync_playwright  # optional dependency: the [pdf] extra
    except ImportError:
        raise extras.MissingExtraError("pdf") from None

    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"]
    if not _WORKER["warm"]:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=exe, headless=True, args=args)
            try:
                yield browser
            finally:
                browser.close()
        return
    if "browser" not in _WORKER or not _WORKER["browser"].is_connected():
        driver = sync_playwright().start()
        _WORKER.update(driver=driver, browser=driver.chromium.launch(executable_path=exe, headless=True,
                                                                     args=args))
        mp_util.Finalize(None, _close_browser, exitpriority=10)
    yield _WORKER["browser"]


def _close_browser() -> None:
    """Close a worker's warm browser and its driver."""
    with contextlib.suppress(Exception):
        _WORKER.pop("browser").close()
    with contextlib.suppress(Exception):
        _WORKER.pop("driver").stop()


def _print_pdf(browser: Any, html: Path) -> Path:
    """Print ``html`` to the PDF beside it: a temporary name, checked, moved into place, then recorded."""
    pdf = html.with_suffix(".pdf")
    tmp = pdf.with_name(pdf.name + ".part")
    source = file_sha(html)
    page = browser.new_page()
    try:
        page.goto(html.resolve().as_uri())
        page.pdf(path=str(tmp), format="A4", print_background=True)
        if not valid_pdf(tmp):
            raise PlaybookError(f"{pdf.name}: chromium wrote an incomplete PDF; run the batch again.")
        os.replace(tmp, pdf)
    finally:
        page.close()
        tmp.unlink(missing_ok=True)
    meta = _read_meta(html)
    if meta is not None:  # a batch report: record what the PDF shows, after the PDF
        meta["pdf"] = {**{k: meta.get(k) for k in _KEY}, "html": source}
        _write_json(_meta_path(html), meta)
    return pdf


def valid_pdf(path: str | Path) -> bool:
    r"""Return True when ``path`` looks like a complete PDF with at least one page.

    A structural check, not a parser: the file starts with ``%PDF-``, ends with
    ``%%EOF`` and has a page object. An empty, truncated or half-written file fails.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "a.pdf"
    >>> good = b"%PDF-1.4\n1 0 obj <</Type /Page>> endobj\ntrailer\n%%EOF\n"
    >>> _ = f.write_bytes(good); valid_pdf(f)
    True
    >>> _ = f.write_bytes(good[:30]); valid_pdf(f)  # truncated
    False
    >>> _ = f.write_bytes(b""); valid_pdf(f), valid_pdf(f.with_name("missing.pdf"))
    (False, False)
    """
    try:
        data = Path(path).read_bytes()
    except OSError:
        return False
    return (data.startswith(b"%PDF-") and data[-1024:].rstrip().endswith(b"%%EOF")
            and re.search(rb"/Type\s*/Page(?![A-Za-z])", data) is not None)


def pdf_is_fresh(html: str | Path) -> bool:
    """Return True when the PDF beside ``html`` is complete and was printed from it.

    The report's meta file must record the PDF with the report's own fingerprint,
    template, parameters and the HTML's hash: a PDF left from an older plan version
    (a run killed between the HTML and the PDF) or an older HTML is not fresh.
    """
    html = Path(html)
    meta = _read_meta(html)
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
