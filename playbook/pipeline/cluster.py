"""The batch on a Dask ``distributed`` cluster, without a shared filesystem.

The client reads the snapshot folder and the template once and sends them through
the cluster (``Client.scatter``, to every worker); each worker writes them to its own
temporary folder (once per content), renders the report's HTML in its warm kernel
(:mod:`playbook.pipeline.engine`), prints the PDF with its own browser, and returns
the bytes. The client writes each file atomically, then its meta file, as the local
pool does, and follows the same progress phases; one rep's failure is a result.
A worker lost mid-batch: the scheduler gives its reports to the others (the snapshot
is on every worker). Needs the ``[dask]`` extra (``distributed``) on the client and
on the workers, and the kit installed on the workers.

Starting a cluster (two machines, one report worker process each)::

    dask scheduler --port 8786                                        # on host A
    dask worker tcp://A:8786 --nworkers 2 --nthreads 1                # on each worker host
    playbook idp render --scheduler tcp://A:8786                      # anywhere
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from playbook.core.errors import PlaybookError
from playbook.pipeline import batch
from playbook.pipeline.engine import WarmKernel
from playbook.pipeline.pdf import PdfUnavailable, Printer, valid_pdf
from playbook.pipeline.progress import BatchProgress

__all__ = ["Folder", "check", "connect", "render_remote", "run_on_cluster"]

CONNECT_TIMEOUT = 5  # seconds to reach the scheduler before a clear error
_REMOTE: dict[str, Any] = {"lock": threading.Lock()}  # a cluster worker's kernel, browser and folders


@dataclass(frozen=True)
class Folder:
    """A folder's files (name -> bytes), sent once to every worker; ``key`` is a hash of the content."""

    key: str
    files: dict[str, bytes]

    @classmethod
    def read(cls, path: str | Path, only: tuple[str, ...] = ()) -> Folder:
        """Read the files of ``path`` (or only those named)."""
        path = Path(path)
        files = {p.name: p.read_bytes() for p in sorted(path.iterdir())
                 if p.is_file() and (not only or p.name in only)}
        digest = hashlib.sha256()
        for name, data in files.items():
            digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
        return cls(digest.hexdigest()[:16], files)

    def local(self) -> Path:
        """Write the files to this machine's temporary folder (once per content); return the folder."""
        folder = Path(tempfile.gettempdir()) / f"playbook-cluster-{self.key}"
        if not (folder / ".complete").exists():
            folder.mkdir(parents=True, exist_ok=True)
            for name, data in self.files.items():
                tmp = folder / f"{name}.part"
                tmp.write_bytes(data)
                os.replace(tmp, folder / name)
            (folder / ".complete").touch()
        return folder


def connect(address: str, timeout: float = CONNECT_TIMEOUT) -> Any:
    """Return a ``distributed.Client`` on ``address``; a clear :class:`PlaybookError` when it cannot."""
    try:
        from distributed import Client  # optional dependency: the [dask] extra
    except ImportError:
        raise PlaybookError("--scheduler needs the [dask] extra: pip install 'playbook[dask]'") from None
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise PlaybookError(
            f"cannot reach the Dask scheduler at {address} within {timeout:g} s "
            f"({type(exc).__name__}); start one with `dask scheduler` or check the address."
        ) from None


def check(address: str) -> None:
    """Connect to the scheduler at ``address`` and leave: a clear error early, before any work."""
    connect(address).close()


def render_remote(job: batch.Job, snapshot: Folder | None, template: Folder, html: bytes | None,
                  isolation: str = "warm", max_reports: int = 100) -> dict[str, Any]:
    """Render one job on a cluster worker; return its HTML and PDF bytes (or the error).

    ``snapshot`` and ``template`` arrive from the client and are written locally; a
    job whose HTML is fresh sends it (``html``) and gets only the PDF printed.
    """
    start = time.perf_counter()
    with _REMOTE["lock"]:  # one report at a time per worker process: one kernel, one browser
        work = Path(tempfile.mkdtemp(prefix="playbook-job-"))
        out: dict[str, Any] = {"html": None, "pdf": None, "error": None}
        try:
            local = _local_job(job, snapshot, template, work)
            if html is None:
                engine = _engine(isolation, max_reports)
                batch.warm_up(local, engine, _REMOTE.setdefault("printer", Printer()))
                html = out["html"] = batch.render_html(local, engine).encode("utf-8")
            if job.pdf:
                out["pdf"] = _print(html, Path(local.html))
        except Exception as exc:  # noqa: BLE001 - a rep's failure is a result, not a lost worker
            out["error"] = str(exc) if isinstance(exc, PlaybookError) else f"{type(exc).__name__}: {exc}"
        finally:
            for path in work.iterdir():
                path.unlink()
            work.rmdir()
        out["seconds"] = time.perf_counter() - start
        return out


def _local_job(job: batch.Job, snapshot: Folder | None, template: Folder, work: Path) -> batch.Job:
    """Return the job with its snapshot, template and HTML moved to this worker's folders."""
    notebook = template.local() / Path(job.notebook).name
    snap = str(snapshot.local()) if snapshot is not None else ""
    params = {k: snap if snap and v == job.preload else v for k, v in job.parameters.items()}
    return replace(job, notebook=str(notebook), parameters=params, preload=snap, html=str(work / Path(job.html).name))


def _engine(isolation: str, max_reports: int) -> WarmKernel | None:
    """Return the worker process's warm kernel (None with ``isolation="fresh"``)."""
    if isolation != "warm":
        return None
    if "engine" not in _REMOTE:
        _REMOTE["engine"] = WarmKernel(max_reports=max_reports)
    return _REMOTE["engine"]


def _print(html: bytes, path: Path) -> bytes | None:
    """Print ``html`` with this worker's browser; None when it has no Playwright or chromium."""
    path.write_bytes(html)
    printer = _REMOTE.setdefault("printer", Printer())
    try:
        return printer.print(path).read_bytes()
    except PdfUnavailable:
        return None


def run_on_cluster(todo: list[batch.Job], bar: BatchProgress, *, address: str, isolation: str = "warm",
                   max_reports: int = 100) -> list[batch.JobResult]:
    """Render ``todo`` on the cluster at ``address``; write every file here, atomically; one result per job."""
    if not todo:
        return []
    client = connect(address)
    try:
        from distributed import as_completed  # optional dependency: the [dask] extra

        preload = todo[0].preload
        [snapshot] = client.scatter([Folder.read(preload)], broadcast=True) if preload else [None]
        [template] = client.scatter([Folder.read(Path(todo[0].notebook).parent,
                                                 only=(Path(todo[0].notebook).name,))], broadcast=True)
        futures = {client.submit(render_remote, job, snapshot, template,
                                 None if job.stale else Path(job.html).read_bytes(), isolation, max_reports,
                                 pure=False, retries=1): job for job in todo}
        results, seen = [], {}
        try:
            for fut in as_completed(list(futures), loop=client.loop):
                job = futures[fut]
                res = _save(job, fut)
                results.append(res)
                for kind in res.wrote:
                    batch.follow(bar, kind, job.rep_id, seen)
                batch.finish(bar, job, res, seen)
        except KeyboardInterrupt:  # what was written is complete (atomic files); the rest is dropped
            client.cancel(list(futures))
            raise batch.BatchInterrupted(results, len(todo)) from None
        return results
    finally:
        client.close()


def _save(job: batch.Job, fut: Any) -> batch.JobResult:
    """Write what a worker returned for ``job`` (HTML, meta, PDF, its record); the job's result."""
    html = Path(job.html)
    try:
        out = fut.result()
    except Exception as exc:  # noqa: BLE001 - e.g. every worker that tried it died
        return batch.JobResult(job.rep_id, "failed", None, f"{type(exc).__name__}: {exc}"[:500])
    wrote: list[str] = []
    if job.stale and out["html"] is not None:
        batch.write_report(job, html, out["html"])
        wrote.append("html")
    if out["error"]:
        html_ok = bool(wrote) or not job.stale
        message = out["error"].strip().splitlines()[-1][:500] if out["error"].strip() else "error"
        return batch.JobResult(job.rep_id, "failed", str(html) if html_ok else None,
                               f"PDF: {message}" if html_ok else message, out["seconds"], wrote=tuple(wrote))
    pdf = None
    if out["pdf"] is not None:
        pdf = html.with_suffix(".pdf")
        tmp = pdf.with_name(pdf.name + ".part")
        tmp.write_bytes(out["pdf"])
        if not valid_pdf(tmp):
            tmp.unlink()
            return batch.JobResult(job.rep_id, "failed", str(html), "PDF: incomplete PDF from the worker",
                                   out["seconds"], wrote=tuple(wrote))
        os.replace(tmp, pdf)
        batch.record_pdf(html, batch.file_sha(html))
        wrote.append("pdf")
    return batch.JobResult(job.rep_id, "rendered" if wrote else "skipped", str(html), None, out["seconds"],
                           pdf=str(pdf) if pdf else None, wrote=tuple(wrote))
