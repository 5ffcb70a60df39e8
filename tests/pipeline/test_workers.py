"""What a render worker process and a report's kernel import: only what they run.

Each check starts a fresh Python (as a ``spawn`` pool worker, a Dask worker or a kernel
does) and reads ``sys.modules`` after the imports, so a module that starts pulling the
plan store, the data loaders or the notebook machinery into them fails here at once,
not months later as a slower batch.
"""

import json
import subprocess
import sys

import pytest

from playbook.bench.cases.imports import WORKER_MODULES

# never used by a render worker: the plan store (SQLAlchemy, Alembic), the data loaders and their
# validation (pandera, openpyxl), charts (the kernel draws them), the cluster client, the IDP batch
# (its snapshot build), the browser driver before its first print, jsonschema's skipped grammar
NOT_IN_WORKER = ("sqlalchemy", "alembic", "pandera", "openpyxl", "matplotlib", "distributed", "playwright",
                 "playbook.pipeline.store", "playbook.pipeline.idp_batch", "playbook.data.loading",
                 "playbook.data.validation", "playbook.present.charts", "rfc3987_syntax")
# what the kernel's reset and snapshot reading never need (the worker's machinery, the store)
NOT_IN_KERNELSIDE = ("papermill", "nbconvert", "nbclient", "jupyter_client", "playwright", "rich", "sqlalchemy",
                     "alembic", "pandera", "playbook.pipeline.batch", "playbook.pipeline.engine")


def _loaded(*modules: str) -> set[str]:
    """Return the modules (with a real module object) loaded by ``import modules`` in a fresh Python."""
    code = ("import json, sys\nimport " + ", ".join(modules) +
            "\nprint(json.dumps(sorted(k for k, v in sys.modules.items() if v is not None)))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return set(json.loads(out))


def _heavy(loaded: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(p for p in packages if p in loaded or any(m.startswith(p + ".") for m in loaded))


@pytest.mark.parametrize("modules", [WORKER_MODULES, ("playbook.pipeline.cluster",)], ids=["pool", "dask"])
def test_render_worker_imports_only_what_it_runs(modules):
    loaded = _loaded(*modules)
    assert set(modules) <= loaded
    assert _heavy(loaded, NOT_IN_WORKER) == []
    # what it does run: the kernel client, the HTML export, the parameters cell
    assert {"jupyter_client", "nbclient", "nbconvert", "papermill"} <= loaded


def test_kernel_side_imports_only_snapshot_reading():
    loaded = _loaded("playbook.pipeline.kernelside", "playbook.pipeline.snapshot")
    assert _heavy(loaded, NOT_IN_KERNELSIDE) == []
    assert {"pandas", "IPython"} <= loaded
