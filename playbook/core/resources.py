"""The one home for locating the kit's own files, and the folder it may write to.

The kit ships folders beside its code: ``templates/`` (report notebooks, HTML templates,
catalogues, plans), ``data/`` (the sample company, column maps, example exports) and
``notebooks/`` (analysis notebooks, the Voila apps, the workshop). In a source checkout
they are the repository's top-level folders; in an installed wheel they are package
data under ``playbook/_resources/`` (``setup.py`` maps the folders there). Every module
finds them through :func:`kit_root` (usually via the names in :mod:`playbook.core.paths`),
which asks :mod:`importlib.resources` where the package is.

Files the kit writes on its own account (the IDP store by default) go to
:func:`state_dir`: ``var/`` of a checkout, else ``$PLAYBOOK_HOME`` or the user's data
folder, never the current folder and never the installed package.

Examples
--------
>>> from playbook.core import resources
>>> (resources.kit_root() / "templates" / "competencies.yaml").is_file()
True
>>> resources.kit_path("data", "column_maps", "chinese_crm.yaml").name
'chinese_crm.yaml'
"""

from __future__ import annotations

import os
import shutil
from importlib import resources as _importlib_resources
from pathlib import Path

__all__ = ["KIT_FOLDERS", "PACKAGE_DATA", "ENV_HOME", "kit_root", "kit_path", "package_path", "installed",
           "state_dir", "copy_folder"]

#: The top-level folders shipped with the kit (a checkout) or as package data (a wheel).
KIT_FOLDERS = ("data", "notebooks", "templates")
#: Where the wheel keeps them, inside the ``playbook`` package.
PACKAGE_DATA = "_resources"
#: Environment variable naming the folder for the kit's own writable files.
ENV_HOME = "PLAYBOOK_HOME"
_IGNORE = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc")


def _package() -> Path:
    """Return the folder of the ``playbook`` package (on disk: the kit is never zipped)."""
    return Path(str(_importlib_resources.files("playbook"))).resolve()


def installed() -> bool:
    """Return True when the kit runs from an installed wheel (its folders are package data).

    Examples
    --------
    >>> installed() in (True, False)
    True
    """
    return (_package() / PACKAGE_DATA).is_dir()


def kit_root() -> Path:
    """Return the folder holding ``data/``, ``notebooks/`` and ``templates/``.

    The wheel's ``playbook/_resources`` when installed, else the source checkout
    (the folder above the package).

    Examples
    --------
    >>> sorted(p.name for p in kit_root().iterdir() if p.name in KIT_FOLDERS)
    ['data', 'notebooks', 'templates']
    """
    package = _package()
    shipped = package / PACKAGE_DATA
    return shipped if shipped.is_dir() else package.parent


def kit_path(*parts: str) -> Path:
    """Return the path of one shipped file or folder, e.g. ``kit_path("templates", "plans")``.

    Examples
    --------
    >>> kit_path("notebooks", "apps").is_dir()
    True
    """
    return kit_root().joinpath(*parts)


def package_path(*parts: str) -> Path:
    """Return a file or folder inside the ``playbook`` package itself, e.g. ``("core", "labels")``.

    Examples
    --------
    >>> package_path("core", "labels", "common.yaml").is_file()
    True
    """
    return _package().joinpath(*parts)


def state_dir() -> Path:
    """Return the folder for files the kit writes on its own account (not created here).

    ``$PLAYBOOK_HOME`` when set; else ``var/`` of a source checkout; else the user's data
    folder (``$XDG_DATA_HOME/sales-playbook``, default ``~/.local/share/sales-playbook``).

    Examples
    --------
    >>> os.environ.get(ENV_HOME) or installed() or state_dir() == kit_root() / "var"
    True
    """
    home = os.environ.get(ENV_HOME, "").strip()
    if home:
        return Path(home).expanduser().resolve()
    if not installed():
        return kit_root() / "var"
    data_home = os.environ.get("XDG_DATA_HOME", "").strip() or str(Path.home() / ".local" / "share")
    return Path(data_home).expanduser() / "sales-playbook"


def copy_folder(name: str, dest: str | Path) -> list[Path]:
    """Copy the shipped folder ``name`` (e.g. ``"notebooks"``) into ``dest``; return the files copied.

    ``dest`` must not exist yet or be empty, so nobody's edited copy is overwritten.
    Raises ``FileExistsError`` otherwise, ``FileNotFoundError`` for an unknown folder.

    Examples
    --------
    >>> import tempfile
    >>> files = copy_folder("notebooks", Path(tempfile.mkdtemp()) / "nb")
    >>> any(f.name == "00_team_overview.ipynb" for f in files)
    True
    """
    source = kit_path(*Path(name).parts)
    if not source.is_dir():
        raise FileNotFoundError(f"no folder {name!r} in the kit ({kit_root()})")
    target = Path(dest).expanduser()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise FileExistsError(str(target))
    shutil.copytree(source, target, ignore=_IGNORE, dirs_exist_ok=True)
    return sorted(p for p in target.rglob("*") if p.is_file())
