"""Executing a notebook with Papermill and publishing it as standalone HTML."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import tempfile
import uuid
from pathlib import Path
from typing import Any

import nbformat
import papermill as pm
from jupyter_client.manager import AsyncKernelManager, KernelManager
from jupyter_core.paths import jupyter_runtime_dir
from jupyter_core.utils import ensure_dir_exists
from nbconvert import HTMLExporter
from papermill.exceptions import PapermillExecutionError
from traitlets import CaselessStrEnum, HasTraits, default
from traitlets.config import Config

from playbook.core.errors import PlaybookError
from playbook.core.labels import t
from playbook.core.paths import TEMPLATES_DIR
from playbook.present.html import PRINT_CSS, escape
from playbook.present.notebook_errors import SETUP, KitMessage

__all__ = [
    "KERNEL_ARGS", "NBCONVERT_TEMPLATES", "NOTEBOOK_ONLY", "REPORT_CSP", "AsyncSocketKernelManager",
    "RenderError", "SocketKernelManager", "execute_notebook", "notebook_to_html", "render_error", "render_notebook",
]


NBCONVERT_TEMPLATES = TEMPLATES_DIR / "nbconvert"
"""nbconvert's ``offline`` template (JupyterLab's look with no script from the internet) and
``idp`` (the same look with only the CSS rules an IDP report uses)."""

REPORT_CSP = (
    "default-src 'none'; script-src 'none'; connect-src 'none'; object-src 'none'; "
    "style-src 'unsafe-inline'; img-src data:; font-src data:; base-uri 'none'; form-action 'none'"
)
"""The Content-Security-Policy of every standalone report (a ``<meta http-equiv>`` in its head).

Nothing runs and nothing is fetched: no script at all (a name in the data that slipped
through as markup could not run), no style, font or image from another origin, no
connection. Styles are inline (``<style>``, the tables' ``style=``) and charts are
``data:`` images, which is all the reports use. Links to other files still open.
"""


NOTEBOOK_ONLY = "notebook-only"
"""Tag of the cells for the notebook's reader only (how to set the parameters), not for the report."""

KERNEL_ARGS = ["--IPKernelApp.log_level=ERROR"]
"""Extra arguments of every kernel the kit starts: the kernel's own warnings are not the user's
business; its errors still show."""


class _OnUnixSockets(HasTraits):
    """A kernel that talks over Unix sockets of its own instead of TCP ports on loopback.

    For TCP, jupyter_client picks five free ports by binding and releasing them, and the
    kernel binds them a moment later: when kernels start at the same time in other
    processes (a batch's workers, a test run in parallel, a Voila server), one of them can
    take a port first and the new kernel dies ("Address already in use", then "Kernel died
    before replying to kernel_info"; seen in CI). A socket path made of a new UUID in
    Jupyter's private runtime folder (mode 0700) cannot be taken by anyone else, and
    jupyter_client removes the socket files when the kernel shuts down.
    """

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

    @default("ip")
    def _ip_default(self) -> str:
        return kernel_socket_prefix()


class SocketKernelManager(_OnUnixSockets, KernelManager):
    """jupyter_client's ``KernelManager`` on Unix sockets (see :class:`_OnUnixSockets`)."""


class AsyncSocketKernelManager(_OnUnixSockets, AsyncKernelManager):
    """jupyter_client's ``AsyncKernelManager`` (nbclient's) on Unix sockets (see :class:`_OnUnixSockets`)."""


def kernel_socket_prefix() -> str:
    """Return a new path prefix for one kernel's Unix sockets (jupyter_client appends ``-1`` … ``-5``).

    The folder is Jupyter's runtime folder, made private when missing; when that cannot
    be made, or the path is too long for a Unix socket (108 bytes), a private folder in
    the temporary folder.

    Examples
    --------
    >>> a, b = kernel_socket_prefix(), kernel_socket_prefix()
    >>> a != b and os.path.isabs(a) and len(a) + 2 < 108
    True
    """
    name = f"pb-{uuid.uuid4().hex[:16]}"
    runtime = jupyter_runtime_dir()
    if len(os.path.join(runtime, name)) + 2 < 108:
        with contextlib.suppress(OSError):  # a home folder that cannot be written (a service user's)
            ensure_dir_exists(runtime, mode=0o700)
            return os.path.join(runtime, name)
    folder = os.path.join(tempfile.gettempdir(), f"playbook-{os.getuid()}")
    ensure_dir_exists(folder, mode=0o700)
    return os.path.join(folder, name)

_SETUP_TAG = "playbook-setup"  # the injected first cell (taken out of the executed notebook again)
_NO_ALT = 'alt="No description has been provided for this image"'  # nbconvert's alt text of an output image


class RenderError(PlaybookError):
    """A report notebook failed to run; the message names the notebook and the cause."""


def execute_notebook(
    notebook: str | Path,
    parameters: dict[str, Any],
    *,
    output: str | Path | None = None,
    cwd: str | Path | None = None,
) -> Any:
    """Run ``notebook`` with Papermill and return the executed notebook node.

    A failure inside the notebook becomes :class:`RenderError` (for a
    ``PlaybookError`` raised in the notebook, its message is kept as is).
    """
    notebook = Path(notebook)
    nb = nbformat.read(notebook, as_version=4)
    # first, before any cell of the notebook: the kit's errors worded in the user's language
    setup = nbformat.v4.new_code_cell(SETUP.format(lang=parameters.get("lang", "en")))
    setup.metadata["tags"] = [NOTEBOOK_ONLY, _SETUP_TAG]
    nb.cells.insert(0, setup)
    try:
        done = pm.execute_notebook(
            nb,
            str(output) if output else None,
            parameters=parameters,
            cwd=str(cwd or notebook.parent),
            kernel_name="python3",
            language="python",
            progress_bar=False,
            log_output=False,
            extra_arguments=KERNEL_ARGS,
            kernel_manager_class=AsyncSocketKernelManager,
        )
    except PapermillExecutionError as exc:
        raise render_error(notebook.name, exc.ename, exc.evalue) from exc
    done.cells = [c for c in done.cells if _SETUP_TAG not in c.get("metadata", {}).get("tags", [])]
    return done


def render_error(notebook: str, ename: str, evalue: str) -> RenderError:
    """Return the error for ``notebook`` failing with ``ename: evalue`` (a kit error's text is already worded).

    Examples
    --------
    >>> from playbook.present.messages import message
    >>> message(render_error("04_idp.ipynb", "KitMessage", "没有该团队"), "zh")
    '04_idp.ipynb 运行失败：没有该团队'
    >>> str(render_error("04_idp.ipynb", "KeyError", "'x'"))
    "04_idp.ipynb failed: KeyError: 'x'"
    """
    error = evalue if ename == KitMessage.__name__ else f"{ename}: {evalue}"
    return RenderError(f"{notebook} failed: {error}", code="render.failed",
                       params={"notebook": notebook, "error": error})


def notebook_to_html(nb: Any, *, title: str, lang: str = "en", keep_input: bool = False,
                     template: str = "offline") -> str:
    """Convert an executed notebook to one standalone HTML page (code hidden unless ``keep_input``).

    ``title`` is plain text (the template escapes it). The page carries :data:`REPORT_CSP`.
    Cells tagged :data:`NOTEBOOK_ONLY` (a notebook's bilingual how-to-use intro) are left
    out; images get an alt text in ``lang``.
    Workshop handouts keep the code: participants see the worked cells and the exercise.
    ``template`` is a template of :data:`NBCONVERT_TEMPLATES`: ``offline`` (JupyterLab's
    whole stylesheet) or ``idp`` (only its rules an IDP report uses: a lighter page).
    """
    exporter = _exporter(keep_input, template)
    nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(nb, resources={"content_security_policy": REPORT_CSP})
    body = re.sub(r"<html[^>]*>", f'<html lang="{"zh-CN" if lang == "zh" else "en"}">', body, count=1)
    body = body.replace(_NO_ALT, f'alt="{escape(t("render.chart_alt", lang))}"')
    css = PRINT_CSS if not keep_input else PRINT_CSS.replace(".jp-Cell-inputWrapper, ", "")
    body = body.replace("</head>", css + "</head>", 1)
    return body


@functools.lru_cache(maxsize=4)
def _exporter(keep_input: bool, template: str = "offline") -> HTMLExporter:
    """Return the HTML exporter (its Jinja templates compiled once per process, reused for every report)."""
    config = Config()
    config.TagRemovePreprocessor.remove_cell_tags = {NOTEBOOK_ONLY}
    config.TagRemovePreprocessor.enabled = True
    return HTMLExporter(
        config=config, template_name=template, extra_template_basedirs=[str(NBCONVERT_TEMPLATES)],
        exclude_input=not keep_input, exclude_input_prompt=True, exclude_output_prompt=True,
    )


def render_notebook(
    notebook: str | Path,
    out_html: str | Path,
    parameters: dict[str, Any],
    *,
    title: str,
    lang: str = "en",
    keep_input: bool = False,
) -> Path:
    """Execute ``notebook`` with ``parameters`` and write standalone HTML to ``out_html``.

    The executed notebook is kept beside the HTML (``.ipynb``) for auditing.
    """
    out_html = Path(out_html)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    nb = execute_notebook(notebook, parameters, output=out_html.with_suffix(".ipynb"))
    out_html.write_text(notebook_to_html(nb, title=title, lang=lang, keep_input=keep_input),
                        encoding="utf-8")
    return out_html
