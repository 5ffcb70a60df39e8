"""Every path the kit uses, relative to the repository (or an installed copy).

Examples
--------
>>> from playbook.core import paths
>>> (paths.SAMPLE_DIR / "orders.csv").name
'orders.csv'
"""

from __future__ import annotations

from pathlib import Path

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
]

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "data"
SAMPLE_DIR = DATA_DIR / "sample"
COLUMN_MAPS_DIR = DATA_DIR / "column_maps"
EXAMPLES_DIR = DATA_DIR / "examples"
NOTEBOOKS_DIR = ROOT / "notebooks"
APPS_DIR = NOTEBOOKS_DIR / "apps"
TEMPLATES_DIR = ROOT / "templates"
REPORTS_DIR = ROOT / "reports"


def resolve(path: str | Path) -> Path:
    """Return ``path`` as given if it exists, else relative to the repository root.

    Notebooks run with their own folder as working directory; this lets their
    parameters say ``data/sample`` either way.

    Examples
    --------
    >>> resolve("data/sample") == SAMPLE_DIR
    True
    """
    p = Path(path).expanduser()
    if p.is_absolute() or p.exists():
        return p.resolve()
    return ROOT / p
