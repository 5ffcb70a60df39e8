"""pyproject.toml and environment.yml must list the same packages with the same bounds."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# conda-forge names that differ from the PyPI names
CONDA_NAMES = {"playwright": "playwright"}


def _split(spec: str) -> tuple[str, str]:
    m = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(.*)", spec)  # extras: psycopg[binary]
    assert m, spec
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def pyproject_deps() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    specs = list(data["project"]["dependencies"])
    for extra in data["project"].get("optional-dependencies", {}).values():
        specs += extra
    return dict(_split(CONDA_NAMES.get(s, s)) for s in specs)


def conda_deps() -> tuple[dict[str, str], list]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps, pip = {}, []
    for item in env["dependencies"]:
        if isinstance(item, dict):
            pip += item.get("pip", [])
            continue
        name, bound = _split(item)
        if name not in {"python", "pip"}:
            deps[name] = bound
    return deps, pip


def test_same_packages_and_bounds():
    py, (conda, _) = pyproject_deps(), conda_deps()
    assert sorted(set(py) - set(conda)) == [], "in pyproject.toml but not environment.yml"
    assert sorted(set(conda) - set(py)) == [], "in environment.yml but not pyproject.toml"
    assert {k: v for k, v in py.items() if conda[k] != v} == {}, "lower bounds differ"


def test_every_dependency_has_a_lower_bound():
    assert [n for n, b in pyproject_deps().items() if not b.startswith(">=")] == []


def test_environment_installs_the_kit_itself():
    _, pip = conda_deps()
    assert "-e ." in pip


def test_python_floor_matches():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    floor = data["project"]["requires-python"]
    assert f"python{floor}" in env["dependencies"]
