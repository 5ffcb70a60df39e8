"""Benchmark of the IDP batch: N reports from one snapshot vs the naive way, and warm vs fresh kernels.

Naive way (measured in the same run): per rep, the ``papermill`` command on the
interactive notebook (which re-reads and recomputes everything from the raw data),
then ``jupyter nbconvert --to html --no-input``. It is timed on a few reps and scaled
to N (the task name says so); the kit renders all N.

Engines (``idp_engine``, same run): the sample batch with PDFs on 2 workers, warm
kernels (the default) against a fresh kernel per report (``--isolation fresh``), and
the warm cost per report against the fresh-kernel floor (start a kernel, import
pandas and matplotlib, shut it down; two at a time, as two workers would), and the
same batch on a local Dask cluster of two worker processes (``--scheduler``) against
the local pool: what the cluster's transport costs when it adds no cores.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
from jupyter_client.manager import KernelManager

from playbook.bench import Result
from playbook.core.paths import NOTEBOOKS_DIR, SAMPLE_DIR
from playbook.data.sample import generate, write_tables
from playbook.pipeline.idp_batch import build_snapshot, render_idps

__all__ = ["CASES", "kernel_floor", "naive_render"]


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


def kernel_floor(kernels: int = 3) -> float:
    """Seconds to start a kernel, import pandas and matplotlib in it and shut it down (mean of ``kernels``)."""
    start = time.perf_counter()
    for _ in range(kernels):
        km = KernelManager(kernel_name="python3")
        km.start_kernel()
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=120)
        kc.execute_interactive("import pandas, matplotlib.pyplot", timeout=120)
        kc.stop_channels()
        km.shutdown_kernel()
    return (time.perf_counter() - start) / kernels


def _bench_engines(scale: float) -> list[Result]:
    n = 24 if scale >= 1 else 6
    reps = None if n == 24 else _first_reps(n)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        snap, _ = build_snapshot(SAMPLE_DIR, tmp / "fresh")  # built once, outside the timings
        seconds, failed = {}, 0
        for isolation in ("fresh", "warm", "cluster"):
            if isolation != "fresh":
                shutil.copytree(snap, tmp / isolation / "snapshot")
            with _local_cluster() if isolation == "cluster" else contextlib.nullcontext() as address:
                if isolation == "cluster" and address is None:
                    continue
                start = time.perf_counter()
                batch = render_idps(SAMPLE_DIR, tmp / isolation, reps=reps, workers=2, force=True, progress=False,
                                    isolation="fresh" if isolation == "fresh" else "warm", scheduler=address)
                seconds[isolation] = time.perf_counter() - start
            failed += len(batch.failed)
        floor = kernel_floor() / 2  # two workers start kernels side by side
    note = f", {failed} FAILED" if failed else ""
    full = n == 24  # the targets are the whole sample's; 6 reports mostly time the start of 2 workers
    return [
        Result(f"IDP batch, warm kernels: {n} reports HTML+PDF, 2 workers{note}", n, seconds["warm"],
               "same batch, a fresh kernel per report (--isolation fresh)", seconds["fresh"],
               kind="naive", target=0.25 if full else None),
        Result("IDP batch, warm kernels: seconds per report", n, seconds["warm"] / n,
               "fresh-kernel floor per report (start, import pandas+matplotlib, shut down; 2 in parallel)", floor,
               kind="floor", target=1.0 if full else None),
        Result("IDP batch on a local Dask cluster (2 workers, same machine, --scheduler)", n,
               seconds.get("cluster", float("nan")), "same batch, local pool of 2 workers", seconds["warm"],
               kind="peer"),
    ]


@contextlib.contextmanager
def _local_cluster() -> Iterator[str | None]:
    """Yield the address of a Dask cluster of 2 single-threaded worker processes here (None without ``distributed``)."""
    try:
        from distributed import LocalCluster  # optional dependency: the [dask] extra
    except ImportError:
        yield None
        return
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as local:
        yield local.scheduler_address


def _first_reps(n: int) -> list[str]:
    reps = pd.read_csv(SAMPLE_DIR / "reps.csv")
    return reps.loc[reps["leave_date"].isna(), "rep_id"].head(n).tolist()


CASES = {
    "idp_render": (_bench_render, 70.0, 1.0),
    "idp_engine": (_bench_engines, 1.0, 0.25),
}
