"""Benchmark of the IDP batch: what a report costs on a big company, what the snapshot costs; warm vs fresh kernels.

Scale (``idp_render``, both sides in the same run, interleaved): the per-report cost of
the batch (HTML+PDF, 2 workers, warm kernels, the default settings) on a company of
about 1,000,000 orders and 200 reps (:func:`big_company`) against the same number of
reports of the sample company. Each snapshot is built once before the timings (its
one-off cost is the next row's); what is timed is ``render_idps`` as a user reruns it
with ``--force``: the snapshot's fingerprint check, the workers, the reports and PDFs.
A report reads only its rep's row of the evidence, so its cost must not grow with the
data.

Snapshot (same case): building the snapshot of the big company from its CSV files
(reading, validating, the team evidence, the Parquet files; the validation cache off,
as on a first run without one) against one pass over the data, defined as
:func:`playbook.data.loading.validate_dataset` of the same folder with ``cache=False``
(read and validate every table once). Both sides run alternately.

Engines (``idp_engine``, same run): the sample batch with PDFs on 2 workers, warm
kernels (the default) against a fresh kernel per report (``--isolation fresh``; each
side twice in a full run, alternately, the median of each), and
the warm cost per report against the fresh-kernel floor (start a kernel, import
pandas and matplotlib, shut it down; two at a time, as two workers would), and the
same batch on a local Dask cluster of two worker processes (``--scheduler``) against
the local pool: what the cluster's transport costs when it adds no cores.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from playbook.bench import Result, compare
from playbook.core.paths import SAMPLE_DIR
from playbook.data import loading
from playbook.data.sample import generate, write_tables
from playbook.pipeline.idp_batch import build_snapshot, render_idps
from playbook.pipeline.notebooks import SocketKernelManager

__all__ = ["CASES", "BIG_TEAMS", "big_company", "one_pass", "kernel_floor"]

BIG_TEAMS = 25  # about 8 reps a team: 200 reps


def big_company(scale: float) -> dict[str, pd.DataFrame]:
    """Return the sample company with the orders of ``scale`` (70: 1M) on at most :data:`BIG_TEAMS` teams."""
    return generate(seed=7, scale=scale, teams=min(BIG_TEAMS, max(1, round(3 * scale))))


def one_pass(data_dir: Path) -> object:
    """Make the baseline pass over the data: read and validate every table once, no cache."""
    return loading.validate_dataset(data_dir, cache=False)


@contextlib.contextmanager
def _no_cache() -> Iterator[None]:
    before = os.environ.get("PLAYBOOK_CACHE")
    os.environ["PLAYBOOK_CACHE"] = "off"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PLAYBOOK_CACHE", None)
        else:
            os.environ["PLAYBOOK_CACHE"] = before


def _bench_render(scale: float) -> list[Result]:
    full = scale >= 70
    repeat = 3 if full else 1
    with tempfile.TemporaryDirectory() as tmp, _no_cache():
        tmp = Path(tmp)
        tables = big_company(scale)
        big = tmp / "big"
        write_tables(tables, big)
        n_orders, n_reps = len(tables["orders"]), int(tables["reps"]["leave_date"].isna().sum())
        del tables
        built = iter(range(10**6))
        snap_s, pass_s, _, _ = compare(lambda: build_snapshot(big, tmp / f"snap{next(built)}"),
                                       lambda: one_pass(big), repeat=2 if full else 1)
        # the per-report cost: as many reports of each company, each from its snapshot built above
        _, sample_people = build_snapshot(SAMPLE_DIR, tmp / "out_sample")
        n = len(sample_people) if full else 4
        chosen = {"big": _current(big, n), "sample": sample_people["rep_id"].head(n).tolist()}
        shutil.copytree(tmp / "snap0" / "snapshot", tmp / "out_big" / "snapshot")
        failed = {"big": 0, "sample": 0}

        def batch(which: str, data: Path) -> None:
            done = render_idps(data, tmp / f"out_{which}", reps=chosen[which], workers=2, force=True,
                               progress=False)
            failed[which] += len(done.failed)

        big_s, sample_s, _, _ = compare(lambda: batch("big", big), lambda: batch("sample", SAMPLE_DIR),
                                        repeat=repeat)
        big_s, sample_s = big_s / n, sample_s / n
    bad = sum(failed.values())
    note = f", {bad} FAILED" if bad else ""
    target = 1.2 if full else None  # a quick run times mostly the workers' start
    return [
        Result(f"IDP batch: seconds per report, {n_orders:,}-order company with {n_reps} reps ({n} reports "
               f"HTML+PDF, 2 workers, warm; snapshot built before{note})", n, big_s,
               f"same batch of the sample company ({n} reports, 2 workers, snapshot built before)", sample_s,
               kind="scale", target=target, repeats=repeat),
        Result(f"IDP snapshot build, {n_orders:,}-order company: read, validate, evidence, Parquet (no cache)",
               n_orders, snap_s, "one pass over the data: validate_dataset of the folder, cache off", pass_s,
               kind="floor", target=2.0 if full else None, repeats=2 if full else 1),
    ]


def _current(data_dir: Path, n: int) -> list[str]:
    reps = pd.read_csv(data_dir / "reps.csv", dtype=str)
    return reps.loc[reps["leave_date"].isna(), "rep_id"].head(n).tolist()


def kernel_floor(kernels: int = 3) -> float:
    """Seconds to start a kernel, import pandas and matplotlib in it and shut it down (mean of ``kernels``)."""
    start = time.perf_counter()
    for _ in range(kernels):
        km = SocketKernelManager(kernel_name="python3")
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
    full = n == 24  # the targets are the whole sample's; 6 reports mostly time the start of 2 workers
    repeat = 2 if full else 1  # warm and fresh alternately (fresh, warm, warm, fresh): the median of each
    reps = None if n == 24 else _first_reps(n)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        snap, _ = build_snapshot(SAMPLE_DIR, tmp / "fresh")  # built once, outside the timings
        for isolation in ("warm", "cluster"):
            shutil.copytree(snap, tmp / isolation / "snapshot")
        times: dict[str, list[float]] = {}
        failed = 0
        order = [("fresh", "warm") if i % 2 == 0 else ("warm", "fresh") for i in range(repeat)]
        for isolation in [*(side for pair in order for side in pair), "cluster"]:
            with _local_cluster() if isolation == "cluster" else contextlib.nullcontext() as address:
                if isolation == "cluster" and address is None:
                    continue
                start = time.perf_counter()
                batch = render_idps(SAMPLE_DIR, tmp / isolation, reps=reps, workers=2, force=True, progress=False,
                                    isolation="fresh" if isolation == "fresh" else "warm", scheduler=address)
                times.setdefault(isolation, []).append(time.perf_counter() - start)
            failed += len(batch.failed)
        floor = kernel_floor() / 2  # two workers start kernels side by side
    seconds = {k: statistics.median(v) for k, v in times.items()}
    note = f", {failed} FAILED" if failed else ""
    return [
        Result(f"IDP batch, warm kernels: {n} reports HTML+PDF, 2 workers{note}", n, seconds["warm"],
               "same batch, a fresh kernel per report (--isolation fresh)", seconds["fresh"],
               kind="naive", target=0.25 if full else None, repeats=repeat),
        Result("IDP batch, warm kernels: seconds per report", n, seconds["warm"] / n,
               "fresh-kernel floor per report (start, import pandas+matplotlib, shut down; 2 in parallel)", floor,
               kind="floor", target=1.0 if full else None, repeats=repeat),
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
    "idp_render": (_bench_render, 70.0, 2.0),
    "idp_engine": (_bench_engines, 1.0, 0.25),
}
