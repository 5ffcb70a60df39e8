"""Benchmark of the IDP batch: N reports from one snapshot vs the naive way.

Naive way (measured in the same run): per rep, the ``papermill`` command on the
interactive notebook (which re-reads and recomputes everything from the raw data),
then ``jupyter nbconvert --to html --no-input``. It is timed on a few reps and scaled
to N (the task name says so); the kit renders all N.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playbook.bench import Result
from playbook.core.paths import NOTEBOOKS_DIR
from playbook.data.sample import generate, write_tables
from playbook.pipeline.idp_batch import render_idps

__all__ = ["CASES", "naive_render"]


def naive_render(data_dir: Path, rep_ids: list[str], out: Path) -> float:
    """Render ``rep_ids`` the naive way; return the seconds taken."""
    bindir = Path(sys.executable).parent
    start = time.perf_counter()
    for rep in rep_ids:
        nb = out / f"naive_{rep}.ipynb"
        subprocess.run([str(bindir / "papermill"), str(NOTEBOOKS_DIR / "04_idp.ipynb"), str(nb),
                        "-p", "rep_id", rep, "-p", "data_dir", str(data_dir), "--log-level", "ERROR"],
                       check=True, capture_output=True)
        subprocess.run([str(bindir / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(nb)],
                       check=True, capture_output=True)
    return time.perf_counter() - start


def _bench_render(scale: float) -> list[Result]:
    n_reports = 50 if scale >= 2 else 8
    naive_reps = 3 if scale >= 2 else 1
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sizes = [(2.0 if scale >= 2 else 1.0, "sample")] + ([(70.0, "1M orders")] if scale >= 70 else [])
        base = None
        for data_scale, label in sizes:
            data = tmp / f"data_{data_scale:g}"
            tables = generate(seed=7, scale=data_scale)
            write_tables(tables, data)
            reps = [r for r in tables["reps"].loc[tables["reps"]["leave_date"].isna(), "rep_id"]][:n_reports]
            if base is None:
                naive = naive_render(data, reps[:naive_reps], tmp) / naive_reps * len(reps)
                base = naive
            start = time.perf_counter()
            batch = render_idps(data, tmp / f"out_{data_scale:g}", reps=reps, workers=2, pdf=False,
                                progress=False, force=True)
            seconds = time.perf_counter() - start
            failed = len(batch.failed)
            results.append(Result(
                f"IDP batch: {len(reps)} reports, {label} ({len(tables['orders']):,} orders)"
                + (f", {failed} FAILED" if failed else "") + f"; {seconds / len(reps):.2f} s/report",
                len(reps), seconds,
                f"naive papermill+nbconvert CLI per rep (timed on {naive_reps}, x{len(reps) / naive_reps:g})",
                base))
    return results


CASES = {
    "idp_render": (_bench_render, 70.0, 1.0),
}
