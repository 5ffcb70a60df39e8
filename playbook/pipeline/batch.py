"""Batch rendering: one report per rep from one snapshot, in parallel, rerun-safe.

The flow (design.md, "How data flows"):

1. the caller computes team-wide figures once and saves them as a snapshot
   (Parquet files with a ``rep_id`` column, plus ``meta.json`` holding the
   inputs' fingerprint);
2. :func:`plan_jobs` makes one job per rep; a job whose report exists and was
   made from the same snapshot fingerprint and template is skipped (rerun renders
   only what is missing or stale);
3. :func:`run_batch` executes the template notebook per rep with Papermill in a
   local process pool (or a Dask cluster given ``scheduler``); one rep's failure is
   recorded and the batch goes on;
4. :func:`write_index` links every report; :func:`html_to_pdf` prints them to PDF
   with one headless chromium.

Each report notebook reads only its own slice of the snapshot
(:func:`read_slice`), so N reports over D rows cost O(D + N), not O(D x N).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from playbook.core.errors import ParameterError, PlaybookError
from playbook.core.labels import t
from playbook.core.paths import TEMPLATES_DIR, safe_filename
from playbook.pipeline.notebooks import REPORT_CSP, execute_notebook, notebook_to_html

__all__ = [
    "Job",
    "JobResult",
    "fingerprint_files",
    "file_sha",
    "write_snapshot",
    "read_snapshot_meta",
    "read_slice",
    "plan_jobs",
    "run_job",
    "run_batch",
    "write_index",
    "html_to_pdf",
    "results_frame",
]

META = "meta.json"


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
    """One report to render."""

    rep_id: str
    notebook: str
    parameters: dict[str, Any]
    html: str
    fingerprint: str
    title: str
    lang: str = "en"
    stale: bool = True
    volatile: tuple[str, ...] = ()


@dataclass
class JobResult:
    """What happened to one job."""

    rep_id: str
    status: str  # rendered | skipped | failed
    html: str | None = None
    error: str | None = None
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def _meta_path(html: Path) -> Path:
    return html.with_suffix(".meta.json")


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
) -> list[Job]:
    """Make one job per rep; mark as fresh (``stale=False``) those already rendered.

    A report is fresh when its HTML exists and its ``.meta.json`` records the same
    snapshot fingerprint and template hash and parameters. Parameters named in
    ``volatile`` (e.g. the snapshot's path, whose content the fingerprint covers) are
    left out of the comparison, so a moved or copied reports folder stays fresh.
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
        stale = True
        if not force and html.exists() and _meta_path(html).exists():
            try:
                meta = json.loads(_meta_path(html).read_text(encoding="utf-8"))
                stale = meta != {"fingerprint": fingerprint, "template": template_sha,
                                 "parameters": _stable(params, volatile)}
            except (OSError, ValueError):
                stale = True
        jobs.append(Job(str(rep), str(notebook), params, str(html),
                        f"{fingerprint}:{template_sha}", title(rep), lang, stale, tuple(volatile)))
    return jobs


def _stable(params: dict[str, Any], volatile: Sequence[str]) -> dict[str, Any]:
    """Parameters as stored in a report's meta file (JSON types, volatile keys left out)."""
    return json.loads(json.dumps({k: v for k, v in params.items() if k not in volatile}, default=str))


def run_job(job: Job) -> JobResult:
    """Render one job (runs in a worker process). Never raises: failures are results.

    The HTML is written to a temporary name and moved into place only when complete,
    so a failed or interrupted run never leaves a report that looks finished.
    """
    start = time.perf_counter()
    html = Path(job.html)
    html.parent.mkdir(parents=True, exist_ok=True)
    tmp = html.with_name(html.name + ".part")
    try:
        nb = execute_notebook(job.notebook, job.parameters)
        tmp.write_text(notebook_to_html(nb, title=job.title, lang=job.lang),
                       encoding="utf-8")
        os.replace(tmp, html)
        fingerprint, template_sha = job.fingerprint.split(":")
        _meta_path(html).write_text(json.dumps(
            {"fingerprint": fingerprint, "template": template_sha,
             "parameters": _stable(job.parameters, job.volatile)},
            ensure_ascii=False), encoding="utf-8")
        return JobResult(job.rep_id, "rendered", str(html), None, time.perf_counter() - start)
    except Exception as exc:  # noqa: BLE001 - one rep's failure must not stop the batch
        tmp.unlink(missing_ok=True)
        message = str(exc) if isinstance(exc, PlaybookError) else f"{type(exc).__name__}: {exc}"
        return JobResult(job.rep_id, "failed", None, message.strip().splitlines()[-1][:500],
                         time.perf_counter() - start)


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
        j.rep_id: JobResult(j.rep_id, "skipped", j.html) for j in jobs if not j.stale
    }
    todo = [j for j in jobs if j.stale]
    workers = min(4, os.cpu_count() or 1) if workers is None else workers
    if workers < 1:
        raise ParameterError("workers", workers, "a whole number >= 1")
    bar = _progress(len(todo)) if progress and todo else None
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
        else:
            with ProcessPoolExecutor(max_workers=workers, initializer=_quiet,
                                     initargs=(str(log) if log else None,)) as pool:
                futures = [pool.submit(runner, job) for job in todo]
                for fut in as_completed(futures):
                    res = fut.result()
                    results[res.rep_id] = res
                    bar and bar.advance(res)
    finally:
        bar and bar.close()
    return [results[j.rep_id] for j in jobs]


def _quiet(log: str | None) -> None:
    """Worker initialiser: send this process's (and its kernels') stderr to ``log``."""
    if log is None:
        return
    Path(log).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    os.close(fd)


class _progress:
    """A rich progress bar counting rendered and failed reports."""

    def __init__(self, total: int) -> None:
        self.failed = 0
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[note]}"), transient=False)
        self.task = self.bar.add_task("reports", total=total, note="")
        self.bar.start()

    def advance(self, res: JobResult) -> None:
        self.failed += res.status == "failed"
        note = f"[red]{self.failed} failed" if self.failed else ""
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
        pdf = Path(res.html).with_suffix(".pdf") if res.html else None
        rows.append({
            "cells": [res.rep_id] + [str(info.loc[res.rep_id, c]) if res.rep_id in info.index
                                     and c in info.columns else "" for c in columns[1:]],
            "href": rel, "pdf": os.path.relpath(pdf, out_dir) if pdf and pdf.exists() else None,
            "status": t(f"render.status.{res.status}", lang), "failed": res.status == "failed",
            "error": res.error or "",
        })
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True)
    page = env.get_template("report_index.html.j2").render(
        title=title, lang="zh-CN" if lang == "zh" else "en", rows=rows, csp=REPORT_CSP,
        headers=[t(f"col.{c}", lang) for c in columns] + [t("render.report", lang),
                                                          t("render.status", lang)],
        pdf_label="PDF", generated=pd.Timestamp.now().strftime("%Y-%m-%d %H:%M"),
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

    Returns the PDFs written; an empty list (and no error) when chromium is missing.
    """
    exe = chromium or shutil.which("chromium") or shutil.which("chromium-browser")
    pages = [Path(p) for p in pages]
    if not exe or not pages:
        return []
    from playwright.sync_api import sync_playwright  # optional dependency: the test extra

    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page()
            for html in pages:
                page.goto(html.resolve().as_uri())
                pdf = html.with_suffix(".pdf")
                page.pdf(path=str(pdf), format="A4", print_background=True)
                written.append(pdf)
        finally:
            browser.close()
    return written


def results_frame(results: Sequence[JobResult]) -> pd.DataFrame:
    """Return the batch results as a frame (for logs and tests)."""
    return pd.DataFrame([asdict(r) for r in results])
