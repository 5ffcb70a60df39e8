"""A warm-kernel notebook engine: one Jupyter kernel runs a template for report after report.

Starting a kernel, importing pandas and matplotlib and shutting it down costs more
than a report itself. :class:`WarmKernel` starts one kernel, runs the template's
imports once and keeps the snapshot in memory (:mod:`playbook.pipeline.kernelside`),
then for each report injects the parameters the way Papermill does
(``papermill.parameterize.parameterize_notebook``, the same injected cell as the
fresh-kernel path) and runs the cells with nbclient's public ``NotebookClient``
(``setup_kernel``, ``execute_cell``) on that kernel.

Isolation: before every report the kernel is reset (user namespace emptied, figures
closed, matplotlib settings and execution count restored, the kit's errors worded in
the report's language as the fresh path's setup cell words them); the kernel is replaced
after ``max_reports`` reports, on any error and when the template or the snapshot
changes. A new kernel warms up while the caller goes on (:meth:`WarmKernel.prepare`:
a batch worker starts its browser meanwhile). ``tests/pipeline/test_engine.py``
compares warm reports, in several orders, with reports rendered alone in fresh kernels.
"""

from __future__ import annotations

import ast
import copy
from pathlib import Path
from typing import Any

from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from playbook.core.errors import PlaybookError
from playbook.pipeline.notebooks import KERNEL_ARGS, SocketKernelManager, render_error

__all__ = ["WarmKernel", "template_imports"]

KERNEL = "python3"


def template_imports(nb: Any) -> str:
    """Return the top-level ``import`` statements of a notebook's code cells (parameters cell left out).

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import os; x = 1; from a import b")])
    >>> print(template_imports(nb))
    import os
    from a import b
    """
    lines = []
    for cell in nb.cells:
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:  # IPython magics: not an import we can lift
            continue
        lines += [ast.unparse(node) for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    return "\n".join(dict.fromkeys(lines))


def _shown_error(cell: Any, exc: CellExecutionError) -> tuple[str, str]:
    """Return (ename, evalue) of the error the failing ``cell`` shows, as Papermill reads it.

    The kernel's reply names the exception raised; the cell's error output names what
    the reader sees: a kit error worded in the report's language (``KitMessage``, see
    :mod:`playbook.present.notebook_errors`).
    """
    shown = [out for out in cell.get("outputs", []) if out.get("output_type") == "error"]
    return (shown[-1]["ename"], shown[-1]["evalue"]) if shown else (exc.ename, exc.evalue)


class WarmKernel:
    """One kernel, warmed once, running a parameterised notebook report after report.

    Parameters
    ----------
    max_reports : int
        Reports a kernel renders before it is replaced by a fresh one.
    timeout : int
        Seconds a cell may run.

    Attributes
    ----------
    starts : int
        Kernels started so far (a test can see the recycling).
    """

    def __init__(self, *, max_reports: int = 100, timeout: int = 600) -> None:
        if max_reports < 1:
            raise ValueError("max_reports must be >= 1")
        self.max_reports, self.timeout = max_reports, timeout
        self.starts = 0
        self._km: SocketKernelManager | None = None
        self._kc: Any = None
        self._key: tuple[str, str] | None = None
        self._done = 0
        self._templates: dict[str, tuple[int, Any]] = {}
        self._warming: str | None = None  # the warm-up request still running in a new kernel

    def prepare(self, notebook: str | Path, preload: str = "") -> None:
        """Have a kernel ready for ``notebook`` and ``preload``: start one when needed, without waiting.

        The new kernel imports the template's modules and reads the snapshot while the
        caller does something else (a batch worker starts its browser); :meth:`execute`
        waits for it.
        """
        notebook = Path(notebook)
        template = self._template(notebook)
        key = (str(notebook.resolve()), f"{template_imports(template)}\n#{preload}")
        if self._km is None or key != self._key or self._done >= self.max_reports or not self._km.is_alive():
            self._start(notebook.parent, template, preload)
            self._key = key

    def execute(self, notebook: str | Path, parameters: dict[str, Any], *, preload: str = "") -> Any:
        """Run ``notebook`` with ``parameters``; return the executed notebook node.

        ``preload`` names a snapshot folder the kernel keeps in memory. A failing
        cell raises :class:`~playbook.pipeline.notebooks.RenderError` (as the fresh
        path does: a kit error raised in the notebook worded in ``parameters["lang"]``,
        :func:`~playbook.pipeline.notebooks.render_error`) and the kernel is replaced
        before the next report.
        """
        notebook = Path(notebook)
        template = self._template(notebook)
        nb = parameterize_notebook(copy.deepcopy(template), parameters, kernel_name=KERNEL, language="python")
        self.prepare(notebook, preload)
        try:
            if self._warming is not None:
                self._wait(self._warming)
                self._warming = None
            # a fresh kernel, its kit errors worded in the report's language (as the fresh path's setup cell does)
            self._silent(f"__import__('playbook.pipeline.kernelside', fromlist=['reset'])"
                         f".reset({str(parameters.get('lang', 'en'))!r})")
            client = NotebookClient(nb, km=self._km, kernel_name=KERNEL, timeout=self.timeout,
                                    allow_errors=False, resources={"metadata": {"path": str(notebook.parent)}})
            client.kc = self._kc
            with client.setup_kernel():
                for index, cell in enumerate(nb.cells):
                    client.execute_cell(cell, index)
        except CellExecutionError as exc:
            self.close()
            raise render_error(notebook.name, *_shown_error(cell, exc)) from exc
        except BaseException:
            self.close()
            raise
        self._done += 1
        return nb

    def _template(self, notebook: Path) -> Any:
        """Return the template notebook, read once per change of the file."""
        stamp = notebook.stat().st_mtime_ns
        cached = self._templates.get(str(notebook))
        if cached is None or cached[0] != stamp:
            nb = load_notebook_node(str(notebook))  # as Papermill reads it (every cell has its tags)
            nb.metadata.setdefault("kernelspec", {"name": KERNEL, "display_name": "Python 3", "language": "python"})
            self._templates[str(notebook)] = cached = (stamp, nb)
        return cached[1]

    def _start(self, cwd: Path, template: Any, preload: str) -> None:
        """Replace the kernel by a fresh one, warmed with the template's imports and the snapshot."""
        self.close()
        self._km = SocketKernelManager(kernel_name=KERNEL)
        try:
            # as nbclient starts one
            self._km.start_kernel(cwd=str(cwd), extra_arguments=["--HistoryManager.hist_file=:memory:", *KERNEL_ARGS])
            self._kc = self._km.client()
            self._kc.start_channels()
            self._kc.wait_for_ready(timeout=60)
        except BaseException:
            self.close()
            raise
        self.starts += 1
        self._done = 0
        code = f"{template_imports(template)}\n__import__('playbook.pipeline.kernelside', fromlist=['warm'])" \
               f".warm({preload!r})"
        self._warming = self._kc.execute(code, silent=True, store_history=False)

    def _wait(self, msg_id: str) -> None:
        """Wait for the reply to request ``msg_id``; raise when the code failed (its output is dropped)."""
        while True:
            reply = self._kc.get_shell_msg(timeout=self.timeout)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        content = reply["content"]
        if content.get("status") != "ok":
            raise PlaybookError(f"warm kernel: {content.get('ename')}: {content.get('evalue')}")

    def _silent(self, code: str) -> None:
        """Run ``code`` in the kernel without output or history; raise when it fails."""
        reply = self._kc.execute_interactive(code, silent=True, store_history=False, timeout=self.timeout,
                                             output_hook=lambda msg: None)
        content = reply["content"]
        if content.get("status") != "ok":
            raise PlaybookError(f"warm kernel: {content.get('ename')}: {content.get('evalue')}")

    def close(self) -> None:
        """Shut the kernel down (nothing when none runs)."""
        km, kc, self._km, self._kc, self._warming = self._km, self._kc, None, None, None
        if kc is not None:
            kc.stop_channels()
        if km is not None and km.has_kernel:
            km.shutdown_kernel(now=True)

    def __enter__(self) -> WarmKernel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
