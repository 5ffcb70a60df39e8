"""Every path the kit uses: its shipped folders (see :mod:`playbook.core.resources`) and safe names.

``ROOT`` is the folder holding ``data/``, ``notebooks/`` and ``templates/``: the repository
in a source checkout, the package data of an installed wheel.

Examples
--------
>>> from playbook.core import paths
>>> (paths.SAMPLE_DIR / "orders.csv").name
'orders.csv'
"""

from __future__ import annotations

from pathlib import Path

from playbook.core.resources import kit_root

__all__ = [
    "ROOT",
    "DATA_DIR",
    "SAMPLE_DIR",
    "COLUMN_MAPS_DIR",
    "EXAMPLES_DIR",
    "NOTEBOOKS_DIR",
    "APPS_DIR",
    "TEMPLATES_DIR",
    "REPORTS_DIR",
    "resolve",
    "safe_filename",
    "file_in",
]

ROOT = kit_root()
DATA_DIR = ROOT / "data"
SAMPLE_DIR = DATA_DIR / "sample"
COLUMN_MAPS_DIR = DATA_DIR / "column_maps"
EXAMPLES_DIR = DATA_DIR / "examples"
NOTEBOOKS_DIR = ROOT / "notebooks"
APPS_DIR = NOTEBOOKS_DIR / "apps"
TEMPLATES_DIR = ROOT / "templates"
REPORTS_DIR = ROOT / "reports"


def resolve(path: str | Path) -> Path:
    """Return ``path`` as given if it exists, else relative to the kit's folders (:data:`ROOT`).

    Notebooks run with their own folder as working directory; this lets their
    parameters say ``data/sample`` either way, in a checkout or an installed kit.

    Examples
    --------
    >>> resolve("data/sample") == SAMPLE_DIR
    True
    """
    p = Path(path).expanduser()
    if p.is_absolute() or p.exists():
        return p.resolve()
    return ROOT / p


def safe_filename(text: object, *, default: str = "file") -> str:
    """Return ``text`` usable as one file name: the one rule for names built from data.

    Letters and digits of any script (CJK kept), ``-``, ``_`` and ``.`` stay; everything
    else (path separators, spaces, control characters) becomes ``_``; leading and trailing
    dots and underscores go, so ``..`` cannot climb a folder. At most 150 characters.

    Examples
    --------
    >>> safe_filename("R001 董某某/x")
    'R001_董某某_x'
    >>> safe_filename("../../etc/passwd"), safe_filename(".."), safe_filename("")
    ('etc_passwd', 'file', 'file')
    """
    keep = [ch if (ch.isalnum() or ch in "-_.") else "_" for ch in str(text).strip()]
    return "".join(keep).strip("._")[:150].strip("._") or default


def file_in(folder: str | Path, name: object) -> Path:
    """Return ``folder / safe_filename(name)``, checked to lie inside ``folder``.

    Every file whose name comes from data (a rep id, a period, a segment) is placed
    through this function, so no id such as ``../x`` can write outside the folder.

    Examples
    --------
    >>> file_in("/tmp/out", "../R1_2025-Q1.xlsx").as_posix()
    '/tmp/out/R1_2025-Q1.xlsx'
    """
    base = Path(folder).resolve()
    path = (base / safe_filename(name)).resolve()
    if path.parent != base:  # pragma: no cover - safe_filename already prevents it
        raise ValueError(f"{name!r} would leave {base}")
    return path
