"""Benchmark of a render worker's start: the seconds its imports cost, before any report.

Each figure is a fresh ``python`` process (the median of N), less a bare ``python -c
pass`` started the same way. ``import papermill`` alone pulls in ``jsonschema``'s
optional ``rfc3987_syntax`` (a grammar built at import, about 1.7 s on a quiet 2-core
machine); the kit's processes skip it (:mod:`playbook._fast_start`), which the first
row measures against papermill imported the plain way.

A render worker process loads :data:`WORKER_MODULES`: its initialiser
(:func:`playbook.pipeline.workers.init_worker`) and its job runner
(:func:`playbook.pipeline.batch.run_job`), which is what a pool worker started by
``spawn``/``forkserver`` (or a Dask worker, :mod:`playbook.pipeline.cluster`) imports
before its first report; its kernel imports the report template's own modules.
``tests/pipeline/test_workers.py`` checks that these modules leave out what a worker
never runs (the plan store, the data loaders, pandera, matplotlib).
"""

from __future__ import annotations

import subprocess
import sys
import time

from playbook.bench import Result

__all__ = ["CASES", "WORKER_MODULES", "import_seconds"]

# what playbook._fast_start does first thing in every kit process (without importing the kit itself)
_SKIP = "import sys; sys.modules.setdefault('rfc3987_syntax', None); "
WORKER_MODULES = ("playbook.pipeline.workers", "playbook.pipeline.batch")
"""What a render worker process imports before its first report (initialiser, job runner)."""


def import_seconds(code: str) -> float:
    """Return the wall seconds of ``python -c code`` in a fresh process."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - start


def _median(samples: list[float]) -> float:
    s = sorted(samples)
    return (s[(len(s) - 1) // 2] + s[len(s) // 2]) / 2


def _bench_imports(scale: float) -> list[Result]:
    n = max(1, int(scale))
    bare, kit_pm, plain_pm, worker = [], [], [], []
    for _ in range(n):  # interleaved
        bare.append(import_seconds("pass"))
        kit_pm.append(import_seconds(_SKIP + "import papermill"))
        plain_pm.append(import_seconds("import papermill"))
        worker.append(import_seconds("import " + ", ".join(WORKER_MODULES)))
    b = _median(bare)
    return [
        Result("import papermill as the kit's processes do (rfc3987_syntax skipped)", 1, _median(kit_pm) - b,
               "import papermill the plain way", _median(plain_pm) - b, kind="naive", repeats=n),
        Result("render worker process imports (pipeline.workers, pipeline.batch: initialiser and job runner), "
               "over a bare python", 1,
               _median(worker) - b, f"bare python start ({b:.2f} s, not subtracted from the baseline)", b,
               kind="limit", limit=1.0, repeats=n),
    ]


CASES = {
    "imports": (_bench_imports, 5.0, 1.0),
}
