"""What the IDP report template (``templates/idp_report.ipynb``) calls in its kernel: its snapshot, its plan.

A batch's warm kernel imports the template's modules once, before its first report
(:mod:`playbook.pipeline.engine`), and every worker does so at the same time as its
browser starts: this module keeps that start light. The batch always passes the
snapshot and, without ``--from-store``, no stored plan, so the data loaders and the
plan store (SQLAlchemy) are imported only on the paths that use them: a template run
on its own (no snapshot: one is built, :func:`playbook.pipeline.idp_batch.build_snapshot`)
and a stored plan. ``tests/pipeline/test_workers.py`` checks what the template's
imports load.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from playbook import idp
from playbook.core import paths
from playbook.core.labels import t
from playbook.present import idp as present_idp

__all__ = ["snapshot_for", "report_plan"]


def snapshot_for(snapshot: str | Path = "", data_dir: str | Path = "data/sample") -> Path:
    """Return the snapshot folder to read; with none given, build one from ``data_dir``.

    The batch always passes its snapshot. Run on its own (in JupyterLab, or in the
    test suite), the report template builds a snapshot of ``data_dir`` in a temporary
    folder, so it shows a real report for the sample company.
    """
    if snapshot:
        return paths.resolve(snapshot)
    # the batch's module (the loaders, the batch machinery) only when run alone: a batch kernel never loads it
    from playbook.pipeline.idp_batch import build_snapshot

    folder = Path(tempfile.mkdtemp(prefix="playbook_snapshot_"))
    snap, _ = build_snapshot(paths.resolve(data_dir), folder)
    return snap


def report_plan(evidence: pd.DataFrame, rep_id: str, *, stored: str = "", store_url: str = "",
                plan_date: str = "", lang: str = "en", max_items: int = 4) -> tuple[object, str]:
    """Return (plan, note) for a report: the stored version named by ``stored``, else a draft.

    ``stored`` is a value of :func:`playbook.pipeline.idp_batch.stored_versions`
    (``"plan_id:version:status"``); the note says which plan the report shows, in
    ``lang`` (empty for a draft).
    """
    if stored:
        # the plan store (SQLAlchemy) only for a stored plan: a batch of drafts never loads it
        from playbook.pipeline.store import Store

        plan_id, version, status = stored.split(":", 2)
        with Store(store_url or None) as store:
            plan = store.plan(int(plan_id), int(version))
        note = t("render.stored_plan", lang, plan=plan_id, version=version, status=t(f"idp.status.{status}", lang))
        return plan, note
    draft = idp.draft_plan(evidence, rep_id, plan_date=plan_date or None, max_items=max_items)
    return present_idp.word_plan(draft, lang), ""
