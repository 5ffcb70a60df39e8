"""Packaging: the dependency lists agree, and the wheel alone runs the README's main commands.

pyproject.toml is the source; environment.yml is the users' conda environment (runtime
and the user extras, no test tools) and environment-test.yml adds the test tools.
"""

import ast
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

from playbook.core import extras, resources

ROOT = Path(__file__).resolve().parent.parent
SELF = "sales-playbook"
USER_EXTRAS = ["apps", "lab", "pdf", "dask", "postgres"]
# conda-forge names that differ from the PyPI names
CONDA_NAMES = {"psycopg[binary]": "psycopg"}
TEST_TOOLS = {"pytest", "nbval", "hypothesis", "ruff", "pytest-xdist", "import-linter"}


def _split(spec: str) -> tuple[str, str]:
    m = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+(?:\[[A-Za-z0-9_,\-]+\])?)\s*(.*)", spec)
    assert m, spec
    name = m.group(1).lower().replace("_", "-")
    return CONDA_NAMES.get(name, name), m.group(2).replace(" ", "")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _extras() -> dict[str, list[str]]:
    return _pyproject()["project"]["optional-dependencies"]


def _own(extra: str) -> dict[str, str]:
    """An extra's packages, without references to the kit's own extras."""
    return dict(_split(s) for s in _extras()[extra] if not s.startswith(SELF))


def _conda(file: str) -> tuple[dict[str, str], list]:
    env = yaml.safe_load((ROOT / file).read_text())
    deps, pip = {}, []
    for item in env["dependencies"]:
        if isinstance(item, dict):
            pip += item.get("pip", [])
            continue
        name, bound = _split(item)
        if name not in {"python", "pip"}:
            deps[name] = bound
    return deps, pip


def test_user_environment_is_the_runtime_and_the_user_extras():
    want = dict(_split(s) for s in _pyproject()["project"]["dependencies"])
    for extra in USER_EXTRAS:
        want.update(_own(extra))
    conda, _ = _conda("environment.yml")
    assert sorted(set(want) - set(conda)) == [], "in pyproject.toml but not environment.yml"
    assert sorted(set(conda) - set(want)) == [], "in environment.yml but not pyproject.toml"
    assert {k: v for k, v in want.items() if conda[k] != v} == {}, "lower bounds differ"


def test_user_environment_holds_no_test_tools_and_the_test_environment_holds_them():
    conda, _ = _conda("environment.yml")
    assert sorted(TEST_TOOLS & set(conda)) == []
    tools, _ = _conda("environment-test.yml")
    assert tools == _own("test")
    assert set(tools) == TEST_TOOLS


def test_runtime_holds_no_extra_and_no_test_tool():
    runtime = {n for n, _ in map(_split, _pyproject()["project"]["dependencies"])}
    extra_modules = {"voila", "jupyterlab", "playwright", "distributed", "psycopg"}
    assert sorted(runtime & (extra_modules | TEST_TOOLS)) == []


def test_the_extras_are_those_the_kit_names_in_its_messages():
    declared = _extras()
    assert sorted(extras.EXTRAS) == sorted(USER_EXTRAS)
    for extra, modules in extras.EXTRAS.items():
        assert [n.split("[")[0] for n in _own(extra)] == list(modules), extra
    assert declared["test"][0] == f"{SELF}[{','.join(USER_EXTRAS)}]"  # the tests use every part
    assert declared["bench"] == [f"{SELF}[apps,pdf]"]


def test_every_dependency_has_a_lower_bound():
    specs = list(_pyproject()["project"]["dependencies"])
    for extra in _extras().values():
        specs += [s for s in extra if not s.startswith(SELF)]
    assert [s for s in specs if not _split(s)[1].startswith(">=")] == []


def test_environment_installs_the_kit_itself():
    _, pip = _conda("environment.yml")
    assert "-e ." in pip


def test_python_floor_matches():
    floor = _pyproject()["project"]["requires-python"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert f"python{floor}" in env["dependencies"]


def test_setup_ships_the_folders_the_kit_looks_for():
    tree = ast.parse((ROOT / "setup.py").read_text())
    folders = next(ast.literal_eval(n.value) for n in tree.body
                   if isinstance(n, ast.Assign) and n.targets[0].id == "KIT_FOLDERS")
    assert folders == resources.KIT_FOLDERS
    assert '"_resources"' in (ROOT / "setup.py").read_text() and resources.PACKAGE_DATA == "_resources"


# --------------------------------------------------------------------------- the wheel

def _tracked_copy(dest: Path) -> Path:
    """Copy the files git tracks (what a clone has) to ``dest``; the build then leaves the tree alone."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = _tracked_copy(tmp_path_factory.mktemp("src"))
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)],
                   check=True, capture_output=True, timeout=600)
    (found,) = dist.glob("sales_playbook-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh venv holding the wheel only; the dependencies come from this interpreter's site-packages.

    The venv is made without the system's or this venv's packages; one ``.pth`` line then
    appends this interpreter's site-packages *after* the venv's own, so ``playbook`` is
    imported from the wheel (the kit in this repository is not on the path) and the
    dependencies, which the wheel does not ship, are found.
    """
    env_dir = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True, timeout=300)
    python = env_dir / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "_deps_from_test_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                    "--no-index", str(wheel)], check=True, timeout=300)
    return env_dir


@pytest.mark.slow
def test_the_wheel_ships_every_kit_folder(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {n.split("/", 3)[2] for n in names if n.startswith("playbook/_resources/")}
    assert shipped == set(resources.KIT_FOLDERS)
    tracked = subprocess.run(["git", "ls-files", *resources.KIT_FOLDERS], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
    assert sorted(set(f"playbook/_resources/{f}" for f in tracked) - set(names)) == []
    assert "playbook/core/labels/common.yaml" in names
    assert not [n for n in names if "__pycache__" in n or ".ipynb_checkpoints" in n]


def _env(venv: Path, cwd: Path) -> dict[str, str]:
    """The environment of a user of the venv: no repository on the path, the kit's own files in ``cwd/home``."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PLAYBOOK_STORE_URL", "PLAYBOOK_HOME")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", PLAYBOOK_HOME=str(cwd / "home"),
               PYTHONNOUSERSITE="1",
               # the dependencies' data files (nbconvert's templates), which pip puts in <venv>/share
               JUPYTER_PATH=str(Path(sys.prefix) / "share" / "jupyter"))
    return env


def _run(venv: Path, cwd: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    res = subprocess.run([str(venv / "bin" / "playbook"), *args], cwd=cwd, env=_env(venv, cwd),
                         capture_output=True, text=True, timeout=600)
    assert (res.returncode == 0) == ok, f"{args}: {res.returncode}\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    assert "Traceback" not in res.stderr, res.stderr[-3000:]
    return res


@pytest.mark.slow
def test_the_installed_wheel_runs_the_readme_commands_from_another_folder(venv, tmp_path):
    where = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import playbook, playbook.core.resources as r; print(playbook.__file__); "
                            "print(r.kit_root())"], cwd=tmp_path, env=_env(venv, tmp_path), capture_output=True,
                           text=True, check=True)
    module, root = where.stdout.split()
    assert module.startswith(str(venv)) and root.startswith(str(venv))   # the wheel's code and files
    assert root.endswith(os.path.join("playbook", "_resources"))

    res = _run(venv, tmp_path, "sample", "--out", "company")
    assert (tmp_path / "company" / "orders.csv").is_file() and "wrote" in res.stdout
    _run(venv, tmp_path, "validate", "--map", "chinese_crm", f"{root}/data/examples/chinese_crm_orders.csv")
    _run(venv, tmp_path, "validate", f"{root}/data/examples/broken_orders.csv", ok=False)
    res = _run(venv, tmp_path, "overview", "--lang", "zh", "--out", "reports")  # the shipped sample
    assert (tmp_path / "reports" / "team_overview_zh.html").stat().st_size > 10_000
    res = _run(venv, tmp_path, "rfm", "--segment-map", "domain", "--export", "reports/segments.xlsx")
    assert (tmp_path / "reports" / "segments.xlsx").is_file()
    _run(venv, tmp_path, "quotas", "--plan-year", "2025", "--growth", "0.3", "--out", "reports/quotas.xlsx")
    assert (tmp_path / "reports" / "quotas.xlsx").is_file()
    res = _run(venv, tmp_path, "idp", "render", "--data", "company", "--reps", "R001", "--no-pdf",
               "--workers", "1", "--out", "reports/idp")
    assert (tmp_path / "reports" / "idp" / "index.html").is_file()
    assert list((tmp_path / "reports" / "idp").glob("idp_R001_en.html"))
    res = _run(venv, tmp_path, "app", "--dry-run")
    assert str(Path(root) / "notebooks" / "apps") in res.stdout
    _run(venv, tmp_path, "notebooks", "copy", "my_notebooks")
    assert (tmp_path / "my_notebooks" / "00_team_overview.ipynb").is_file()
    assert not (tmp_path / "home").exists()   # no command wrote a store or anything else of its own
    assert sorted(p.name for p in tmp_path.iterdir()) == ["company", "my_notebooks", "reports"]
