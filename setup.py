"""Packaging beyond pyproject.toml: the kit's top-level folders ship as package data.

``data/``, ``notebooks/`` and ``templates/`` stay at the top of the repository (the
product's layout); in the wheel they become ``playbook/_resources/<folder>/…``, which
:mod:`playbook.core.resources` finds with :mod:`importlib.resources`. Each folder and
subfolder is declared as a data-only package so that every file in it ships. Everything
else (name, dependencies, extras, the ``playbook`` command) is in ``pyproject.toml``.
"""

from pathlib import Path

from setuptools import find_namespace_packages, setup

KIT_FOLDERS = ("data", "notebooks", "templates")  # playbook.core.resources.KIT_FOLDERS
SKIP = {".ipynb_checkpoints", "__pycache__"}


def shipped_packages() -> list[str]:
    """Return ``playbook._resources.<folder>[.<subfolder>…]`` for each kit folder and subfolder."""
    names = []
    for folder in KIT_FOLDERS:
        for path in sorted([Path(folder), *Path(folder).rglob("*")]):
            if path.is_dir() and not SKIP & set(path.parts):
                names.append(".".join(("playbook", "_resources", *path.parts)))
    return names


SHIPPED = shipped_packages()

setup(
    packages=find_namespace_packages(include=["playbook", "playbook.*"], exclude=["*.__pycache__"]) + SHIPPED,
    package_dir={f"playbook._resources.{folder}": folder for folder in KIT_FOLDERS},
    package_data={**{name: ["*"] for name in SHIPPED}, "playbook.core.labels": ["*.yaml"]},
    exclude_package_data={name: ["*.pyc"] for name in SHIPPED},
)
