"""The kit's optional parts (pip extras) and the one message naming a missing one.

``pip install sales-playbook`` gives the command line, the reports and the notebooks.
The rest comes as extras: ``[apps]`` (Voila, for ``playbook app``), ``[lab]``
(JupyterLab), ``[pdf]`` (Playwright, to print PDFs with the system's chromium),
``[dask]`` (``distributed``, for ``--scheduler``) and ``[postgres]`` (psycopg, for a
``postgresql+psycopg://`` store). A command that needs a missing one stops with one
line naming the extra (:class:`MissingExtraError`), or, for PDFs, makes the HTML and
says how to get the PDFs.

Examples
--------
>>> from playbook.core import extras
>>> extras.has("pdf") in (True, False)
True
>>> extras.message("postgres")
"Missing optional part [postgres] (the PostgreSQL store): pip install 'sales-playbook[postgres]'"
>>> extras.extra_of(ModuleNotFoundError("No module named 'psycopg'", name="psycopg"))
'postgres'
"""

from __future__ import annotations

import importlib.util
import sys

from playbook.core.errors import PlaybookError
from playbook.core.labels import t

__all__ = ["DISTRIBUTION", "EXTRAS", "MissingExtraError", "has", "message", "require", "extra_of"]

#: The name the kit is installed under (``pip install 'sales-playbook[pdf]'``).
DISTRIBUTION = "sales-playbook"
#: Each extra and the top-level modules it brings (pyproject.toml's optional dependencies).
EXTRAS: dict[str, tuple[str, ...]] = {
    "apps": ("voila",),
    "lab": ("jupyterlab",),
    "pdf": ("playwright",),
    "dask": ("distributed",),
    "postgres": ("psycopg",),
}


class MissingExtraError(PlaybookError):
    """An optional part of the kit is not installed; the message names the extra to install."""

    def __init__(self, extra: str, lang: str = "en") -> None:
        super().__init__(message(extra, lang))
        self.extra = extra


def _importable(module: str) -> bool:
    if module in sys.modules:  # None there means "known to be missing"
        return sys.modules[module] is not None
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def has(extra: str) -> bool:
    """Return True when every module of ``extra`` can be imported."""
    return all(_importable(m) for m in EXTRAS[extra])


def message(extra: str, lang: str = "en") -> str:
    """Return the one line saying what needs ``extra`` and how to install it."""
    return t("extras.missing", lang, what=t(f"extras.{extra}", lang), extra=extra,
             command=f"pip install '{DISTRIBUTION}[{extra}]'")


def require(extra: str, lang: str = "en") -> None:
    """Raise :class:`MissingExtraError` unless ``extra`` is installed.

    Examples
    --------
    >>> import sys
    >>> saved = sys.modules.get("voila", "absent"); sys.modules["voila"] = None
    >>> try:
    ...     require("apps")
    ... except MissingExtraError as exc:
    ...     print(exc)
    Missing optional part [apps] (the staff apps): pip install 'sales-playbook[apps]'
    >>> _ = sys.modules.pop("voila") if saved == "absent" else sys.modules.update(voila=saved)
    """
    if not has(extra):
        raise MissingExtraError(extra, lang)


def extra_of(exc: BaseException) -> str | None:
    """Return the extra whose missing module raised ``exc`` (an ``ImportError``), else None."""
    name = getattr(exc, "name", None) or ""
    top = name.split(".", 1)[0]
    return next((extra for extra, modules in EXTRAS.items() if top in modules), None)
