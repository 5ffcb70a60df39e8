"""What a warm kernel runs between reports (imported inside the kernel by :mod:`playbook.pipeline.engine`).

:func:`warm` runs once per kernel, after the template's imports: it keeps the
snapshot in memory (:func:`playbook.pipeline.snapshot.preload_snapshot`) and saves
matplotlib's settings as a fresh kernel has them after those imports. :func:`reset`
runs before every report: it empties the user namespace (imported modules stay
loaded, so the template's imports cost nothing), closes every figure, restores the
saved matplotlib settings, restarts the execution count and words the kit's errors in
the report's language (:func:`playbook.present.notebook_errors.show_kit_errors`, as the
fresh path's setup cell), so a report sees what a fresh kernel would show it. What
outlives a report (the imported modules, the snapshot) is moved out of the garbage
collector's sight (``gc.freeze``), so the full collection of each reset scans only
what the last report made (0.3 s a report less).
"""

from __future__ import annotations

import gc
import sys
from typing import Any

from IPython import get_ipython

from playbook.pipeline import snapshot
from playbook.present.notebook_errors import show_kit_errors

__all__ = ["reset", "warm"]

_SAVED: dict[str, Any] = {}


def warm(preload: str = "") -> None:
    """Keep the snapshot ``preload`` (a folder; empty for none) in memory; save matplotlib's settings."""
    if preload:
        snapshot.preload_snapshot(preload)
    mpl = sys.modules.get("matplotlib")
    _SAVED["rc"] = dict(mpl.rcParams) if mpl is not None else None
    gc.collect()
    gc.freeze()  # the imports and the snapshot live as long as the kernel: no collection scans them again


def reset(lang: str = "en") -> None:
    """Make the kernel look fresh to the next report, its kit errors worded in ``lang`` (see the module's docstring)."""
    shell = get_ipython()
    shell.reset(new_session=True)  # a new history session: line numbers start again at 1
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")
    mpl = sys.modules.get("matplotlib")
    if mpl is not None:
        if _SAVED.get("rc") is None:  # matplotlib came in with an earlier report: defaults then
            _SAVED["rc"] = dict(mpl.rcParamsDefault)
        mpl.rcParams.update(_SAVED["rc"])
    shell.execution_count = 1
    show_kit_errors(lang)  # what the fresh path's setup cell does (notebooks.execute_notebook)
    gc.freeze()  # what survived the reset's collection (caches, lazily imported modules) is not scanned again
