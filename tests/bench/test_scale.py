"""The growth case's figures are what they say: the tables' size, a process tree's peak, the rows.

The timings themselves live in ``make bench``, never in a test.
"""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from playbook.bench.cases.scale import Run, measure, run_command, scale_rows, tables_size
from playbook.data.loading import load_inputs

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc"), reason="the tree's memory is read from /proc")

MB = 1_000_000


def _bytes(frame: pd.DataFrame) -> int:
    """In-memory bytes of a frame from its buffers: Arrow's for text, values and mask for nullable numbers."""
    total = frame.index.nbytes
    for name in frame.columns:
        values = frame[name].array
        if hasattr(values, "_pa_array"):
            total += values._pa_array.nbytes
        elif hasattr(values, "_mask"):
            total += values._data.nbytes + values._mask.nbytes
        else:
            assert frame[name].dtype != object  # Python objects would need their own sizes
            total += np.asarray(values).nbytes
    return total


def test_tables_size_is_the_bytes_of_every_loaded_table():
    size, orders = tables_size("data/sample")
    ds = load_inputs("data/sample")
    assert orders == len(ds.orders) == 13382
    assert len(ds.tables()) == 8  # every table the folder has, not only the orders
    assert size == sum(_bytes(t) for t in ds.tables().values())


def _hold(mb: int, child_mb: int = 0) -> list[str]:
    """A Python that holds ``mb`` MB (pages touched) for a second, with a child holding ``child_mb`` at once."""
    code = textwrap.dedent(f"""
        import subprocess, sys, time
        kid = None
        if {child_mb}:
            kid = subprocess.Popen([sys.executable, "-c", "import time; b = bytearray({child_mb} * 10**6); "
                                    "time.sleep(1.5)"])
        b = bytearray({mb} * 10**6)
        time.sleep(1.5)
        if kid is not None:
            kid.wait()
    """)
    return [sys.executable, "-c", code]


def test_run_command_sees_the_peak_of_the_process():
    small, held = run_command(_hold(0)), run_command(_hold(300))
    assert small.status == held.status == 0
    assert held.peak - small.peak >= 280 * MB  # bytearray pages are touched (zeroed)
    assert held.seconds >= 1.5 and held.cpu >= 0


def test_run_command_sums_a_process_and_its_child():
    both = run_command(_hold(200, child_mb=200))
    assert both.peak >= 400 * MB  # both at once: the sum, more than either one's peak


def test_run_command_reports_the_exit_status():
    assert run_command([sys.executable, "-c", "raise SystemExit(3)"]).status == 3


def test_rows_give_growth_and_memory_ratios():
    runs = {"rfm": {"small": {"cold": Run(10.0, 100, 0), "warm": Run(4.0, 100, 0)},
                    "large": {"cold": Run(60.0, int(3.3e9), 0), "warm": Run(20.0, int(2.0e9), 0)}}}
    rows = scale_rows(runs, {"small": (200 * MB, 1_000_000), "large": (1000 * MB, 5_000_000)})
    assert [r.kind for r in rows] == ["scale", "memory"] * 2
    assert [r.ratio for r in rows] == pytest.approx([6.0, 3.3, 5.0, 2.0])
    assert [r.verdict for r in rows] == ["FAIL", "FAIL", "pass", "pass"]
    assert rows[0].task == ("playbook rfm, first run on a new folder (load, checks, cache write): "
                            "1,000,000 -> 5,000,000 orders")
    assert rows[1].unit == "GB" and rows[1].seconds == pytest.approx(3.3) and rows[1].baseline_seconds == 1.0
    small = scale_rows(runs, {"small": (2 * MB, 1000), "large": (10 * MB, 5000)})
    assert small[1].target is None and small[1].verdict == ""  # start-up decides at this size


@pytest.mark.slow
def test_measure_runs_the_command_cold_then_warm(tmp_path: Path):
    runs = measure("rfm", Path("data/sample").resolve(), tmp_path)
    assert set(runs) == {"cold", "warm"} and all(r.status == 0 for r in runs.values())
    assert list((tmp_path / "cache_rfm").rglob("*.parquet"))  # the cold run filled its own cache
    size, _ = tables_size("data/sample")
    assert all(50 * MB < r.peak < 2000 * MB and r.peak > size for r in runs.values())
    assert np.isfinite([r.cpu for r in runs.values()]).all()
