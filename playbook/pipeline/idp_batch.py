"""``playbook idp render``: one IDP report per rep, from one snapshot, in one batch.

Team evidence is computed once for all reps (:func:`playbook.idp.dataset_evidence`)
and saved as a Parquet snapshot with the inputs' fingerprint. Each report runs
``templates/idp_report.ipynb`` with Papermill and reads only its rep's slice. Rendering
runs in parallel, each worker printing its reps' PDFs; one rep's failure is reported and
the batch goes on; a rerun renders only missing or stale reports, and prints again only
the PDFs that are missing, incomplete or older than their report (see
:mod:`playbook.pipeline.batch`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

from playbook import __version__, idp
from playbook.core import paths
from playbook.core.errors import ParameterError
from playbook.core.labels import check_lang, t
from playbook.core.paths import TEMPLATES_DIR
from playbook.data import loading
from playbook.pipeline import batch as render
from playbook.pipeline import cluster
from playbook.pipeline.progress import BatchProgress
from playbook.pipeline.store import Store
from playbook.pipeline.store_db import exists as store_exists
from playbook.present import idp as present_idp
from playbook.targets import overview

__all__ = ["TEMPLATE", "BatchReport", "build_snapshot", "snapshot_for", "stored_versions", "report_plan", "render_idps"]


TEMPLATE = TEMPLATES_DIR / "idp_report.ipynb"


@dataclass
class BatchReport:
    """What a batch did: results per rep, the index page, PDFs written by this run."""

    results: list
    index: Path
    pdfs: list[Path]
    snapshot: Path

    @property
    def failed(self) -> list:
        """Results of the reps whose report failed."""
        return [r for r in self.results if r.status == "failed"]

    def counts(self) -> dict[str, int]:
        """Return the number of reports per status (rendered, skipped, failed)."""
        out = {"rendered": 0, "skipped": 0, "failed": 0}
        for r in self.results:
            out[r.status] += 1
        return out


def build_snapshot(data_dir: str | Path, out_dir: str | Path, *, column_map: str | None = None,
                   as_of: str | None = None) -> tuple[Path, pd.DataFrame]:
    """Validate the data, compute the team evidence once and write the snapshot.

    Returns the snapshot folder and the current reps (``rep_id, name, team``, for
    choosing reps and the index). The data is read, validated and the evidence computed
    only when the input files' fingerprint changed; otherwise the snapshot is reused.
    """
    data_dir = Path(data_dir)
    files = [p for p in sorted(data_dir.iterdir()) if p.is_file()] if data_dir.is_dir() else [data_dir]
    snap = Path(out_dir) / "snapshot"
    try:
        current = render.read_snapshot_meta(snap).get("fingerprint")
    except Exception:  # noqa: BLE001 - missing or broken snapshot: rebuild it
        current = None
    dataset = None
    with ThreadPoolExecutor(max_workers=1) as pool:  # hashing releases the GIL: it overlaps the reading
        hashing = pool.submit(lambda: render.fingerprint_files(files, as_of or "", column_map or "", __version__,
                                                               render.code_fingerprint()))
        if current is None:  # no snapshot yet: the data is read while the files are hashed
            dataset = loading.load_inputs(data_dir, column_map=column_map, as_of=as_of)
        fingerprint = hashing.result()
    if current != fingerprint:  # only then is the data read and validated (a rerun costs the hashing)
        if dataset is None:
            dataset = loading.load_inputs(data_dir, column_map=column_map, as_of=as_of)
        when = overview.resolve_as_of(as_of or "", dataset.orders)
        people = overview.current_reps(dataset.reps, as_of=when)
        people = people[[c for c in ("rep_id", "name", "team") if c in people]].astype(str)
        render.write_snapshot({"evidence": idp.dataset_evidence(dataset, as_of=when), "reps": people}, snap,
                              fingerprint=fingerprint, as_of=str(when.date()), source=str(data_dir))
    return snap, render.read_slice(snap, "reps")


def snapshot_for(snapshot: str | Path = "", data_dir: str | Path = "data/sample") -> Path:
    """Return the snapshot folder to read; with none given, build one from ``data_dir``.

    The batch always passes its snapshot. Run on its own (in JupyterLab, or in the
    test suite), the report template builds a snapshot of ``data_dir`` in a temporary
    folder, so it shows a real report for the sample company.
    """
    if snapshot:
        return paths.resolve(snapshot)
    folder = Path(tempfile.mkdtemp(prefix="playbook_snapshot_"))
    snap, _ = build_snapshot(paths.resolve(data_dir), folder)
    return snap


def stored_versions(store_url: str | None) -> dict[str, str]:
    """Return ``{rep_id: "plan_id:version:status"}`` of each rep's latest stored plan.

    Used to render stored plans and to notice a new version (the report is then out of
    date). An empty dict when the store holds no plan, or does not exist (it is not created).
    """
    if not store_exists(store_url or None):
        return {}
    with Store(store_url or None) as store:
        plans = store.plans()
    if plans.empty:
        return {}
    latest = plans.sort_values(["rep_id", "plan_id"]).drop_duplicates("rep_id", keep="last")
    return {str(r.rep_id): f"{int(r.plan_id)}:{int(r.version)}:{r.status}" for r in latest.itertuples(index=False)}


def report_plan(evidence: pd.DataFrame, rep_id: str, *, stored: str = "", store_url: str = "",
                plan_date: str = "", lang: str = "en", max_items: int = 4) -> tuple[object, str]:
    """Return (plan, note) for a report: the stored version named by ``stored``, else a draft.

    ``stored`` is a value of :func:`stored_versions` (``"plan_id:version:status"``); the
    note says which plan the report shows, in ``lang`` (empty for a draft).
    """
    if stored:
        plan_id, version, status = stored.split(":", 2)
        with Store(store_url or None) as store:
            plan = store.plan(int(plan_id), int(version))
        note = t("render.stored_plan", lang, plan=plan_id, version=version, status=t(f"idp.status.{status}", lang))
        return plan, note
    draft = idp.draft_plan(evidence, rep_id, plan_date=plan_date or None, max_items=max_items)
    return present_idp.word_plan(draft, lang), ""


def render_idps(
    data_dir: str | Path,
    out_dir: str | Path,
    *,
    column_map: str | None = None,
    reps: Sequence[str] | None = None,
    lang: str = "en",
    as_of: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    pdf: bool = True,
    progress: bool = True,
    max_items: int = 4,
    from_store: bool = False,
    store_url: str | None = None,
    isolation: str = "warm",
    max_reports: int = 100,
) -> BatchReport:
    """Render one IDP per rep (default: every current rep) and an index page.

    With ``from_store``, a rep who has a stored plan gets its latest version (the one
    agreed and archived, with everything people typed), the others the data's draft; a
    new stored version makes that rep's report out of date, and its PDF with it: a PDF
    is reused only when it is complete and was printed from the current report.

    Each worker renders its reports in one warm kernel (``isolation="warm"``, a new
    kernel after ``max_reports`` reports or any error) or each in a fresh kernel
    (``"fresh"``), and prints each PDF as soon as its HTML is written. The progress
    display follows the snapshot, the HTML and the PDFs. The index lists every report
    in ``out_dir``, this run's and earlier runs' (other reps, other languages).

    Raises :class:`~playbook.core.errors.ParameterError` for unknown rep ids before anything
    runs; failures of single reports are in the returned results, not raised. On
    Ctrl-C, :class:`~playbook.pipeline.batch.BatchInterrupted` is raised after the
    index is written: it lists exactly the reports complete on disk.
    """
    check_lang(lang)
    out_dir = Path(out_dir)
    if scheduler:
        cluster.check(scheduler)  # an unreachable scheduler: a clear error now, not after the snapshot
    with BatchProgress(enabled=progress, lang=lang) as bar:
        bar.phase("snapshot", t("render.phase.snapshot", lang))
        snap, people = build_snapshot(data_dir, out_dir, column_map=column_map, as_of=as_of)
        bar.done("snapshot")
        return _render(snap, people, out_dir, bar, reps=reps, lang=lang, workers=workers, scheduler=scheduler,
                       force=force, pdf=pdf, max_items=max_items, from_store=from_store, store_url=store_url,
                       isolation=isolation, max_reports=max_reports)


def _render(snap: Path, people: pd.DataFrame, out_dir: Path, bar: BatchProgress, *, reps: Sequence[str] | None,
            lang: str, workers: int | None, scheduler: str | None, force: bool, pdf: bool, max_items: int,
            from_store: bool, store_url: str | None, isolation: str, max_reports: int) -> BatchReport:
    """Plan and run the jobs of :func:`render_idps`, then write the index (also when interrupted)."""
    known = people["rep_id"].astype(str).tolist()
    chosen = list(dict.fromkeys(str(r).strip() for r in reps if str(r).strip())) if reps else known
    unknown = [r for r in chosen if r not in known]
    if unknown:
        raise ParameterError("reps", ",".join(unknown),
                             f"rep ids of the data ({', '.join(known[:5])} …)")
    meta = render.read_snapshot_meta(snap)
    names = people.set_index(people["rep_id"].astype(str))["name"].astype(str)
    stored = stored_versions(store_url) if from_store else {}
    jobs = render.plan_jobs(
        chosen, notebook=TEMPLATE, out_dir=out_dir, fingerprint=meta["fingerprint"], lang=lang,
        parameters=lambda r: {"rep_id": r, "snapshot": str(snap.resolve()), "lang": lang,
                              "max_items": max_items, "stored": stored.get(r, ""),
                              "store_url": str(store_url or "")},
        title=lambda r: f"{t('idp.title', lang)} · {names.get(r, r)}",
        filename=lambda r: paths.safe_filename(f"idp_{r}_{lang}"), force=force, volatile=("snapshot",),
        pdf=pdf, preload=snap.resolve(),
    )
    index = partial(render.write_index, people=people, out_dir=out_dir, lang=lang, current=jobs[0].fingerprint,
                    title=t("render.idp_index_title", lang))
    try:
        remote = partial(cluster.run_on_cluster, address=scheduler, isolation=isolation,
                         max_reports=max_reports) if scheduler else None
        results = render.run_batch(jobs, workers=workers, remote=remote, progress=bar,
                                   log=out_dir / "render.log", isolation=isolation, max_reports=max_reports)
    except render.BatchInterrupted as stop:
        index(stop.results)
        raise
    pdfs = [Path(r.pdf) for r in results if "pdf" in r.wrote]
    return BatchReport(results, index(results), pdfs, snap)
