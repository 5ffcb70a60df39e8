"""Packaging: the dependency lists agree, and the wheel alone runs the README's main commands.

pyproject.toml is the source; environment.yml is the users' conda environment (runtime
and the user extras, no test tools) and environment-test.yml adds the test tools.
"""

import ast
import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import tomllib
import urllib.request
import zipfile
from pathlib import Path

import pytest
import yaml

from playbook.core import extras, resources
from playbook.core.errors import PlaybookError

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
    assert declared["bench"] == [f"{SELF}[apps,pdf]", "lifetimes>=0.11", "pymc-marketing>=0.19"]  # + the RFM peers


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


WHEEL = pytest.mark.xdist_group(name="wheel")
"""Every test of :func:`wheel` on one xdist worker (a module fixture runs once per worker: one build)."""


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
@WHEEL
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
@WHEEL
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
    _run(venv, tmp_path, "workshop", "solutions", "--out", "reports/answers")
    assert (tmp_path / "reports" / "answers" / "ANSWERS.md").is_file()
    _serve_from_the_wheel(venv, tmp_path)
    assert not (tmp_path / "home").exists()   # no command wrote a store or anything else of its own
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.log", "company", "my_notebooks", "reports"]


def _serve_from_the_wheel(venv: Path, cwd: Path) -> None:
    """`playbook app` from the wheel: the health check answers and the landing page renders; SIGTERM ends it."""
    port = _free_port()
    with open(cwd / "app.log", "w") as log:
        proc = subprocess.Popen([str(venv / "bin" / "playbook"), "app", "--port", str(port)], cwd=cwd,
                                env=_env(venv, cwd), stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 240
        while "Apps: " not in (cwd / "app.log").read_text():
            assert proc.poll() is None and time.monotonic() < deadline, (cwd / "app.log").read_text()[-3000:]
            time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/playbook/health", timeout=30) as res:
            assert res.status == 200 and b'"ok"' in res.read()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/voila/render/home.ipynb", timeout=240) as res:
            page = res.read().decode()
        assert res.status == 200 and "Traceback" not in page and "ModuleNotFoundError" not in page
    finally:
        proc.terminate()
        assert proc.wait(timeout=60) == 0


# --------------------------------------------------------------------------- extras missing at run time

def test_without_the_pdf_extra_a_report_keeps_its_html_and_no_pdf_is_attempted(tmp_path, monkeypatch):
    from playbook.pipeline import batch

    monkeypatch.setitem(sys.modules, "playwright", None)
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)
    html = tmp_path / "idp_R1_en.html"
    html.write_text("<html><body>plan</body></html>", encoding="utf-8")
    job = batch.Job("R1", "nb.ipynb", {}, str(html), "f:t", "R1", stale=False, pdf=True, pdf_stale=True)
    res = batch.run_job(job)
    assert (res.status, res.error, res.pdf, res.wrote) == ("skipped", None, None, ())
    with pytest.raises(PlaybookError, match=r"\[pdf\]"):
        batch.html_to_pdf([html], chromium="/bin/true")


def test_idp_render_without_the_pdf_extra_says_in_one_line_how_to_get_pdfs(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from click.testing import CliRunner

    from playbook import cli

    index = tmp_path / "index.html"
    done = SimpleNamespace(counts=lambda: {"rendered": 2, "skipped": 0, "failed": 0}, failed=[], index=index)
    monkeypatch.setattr(cli, "render_idps", lambda *args, **kwargs: done)
    monkeypatch.setitem(sys.modules, "playwright", None)
    for lang, line in (("en", "HTML only, no PDFs: Missing optional part [pdf] (PDFs of the reports): "
                               "pip install 'sales-playbook[pdf]'"),
                       ("zh", "仅生成 HTML，未生成 PDF：缺少可选组件 [pdf]（报告的 PDF）："
                              "pip install 'sales-playbook[pdf]'")):
        res = CliRunner().invoke(cli.main, ["idp", "render", "--out", str(tmp_path), "--lang", lang])
        assert res.exit_code == 0 and "Traceback" not in res.output
        assert res.output.splitlines()[-1] == line
        assert str(index) in res.output
    quiet = CliRunner().invoke(cli.main, ["idp", "render", "--out", str(tmp_path), "--no-pdf"])
    assert "pdf]" not in quiet.output


def test_a_missing_extra_raised_deep_down_is_one_line_naming_it(monkeypatch):
    from click.testing import CliRunner

    from playbook import cli

    def render(*args, **kwargs):
        raise ModuleNotFoundError("No module named 'psycopg'", name="psycopg")

    monkeypatch.setattr(cli, "render_idps", render)
    res = CliRunner().invoke(cli.main, ["idp", "render", "--from-store", "--store", "postgresql+psycopg://h/db"])
    assert res.exit_code == 1
    assert res.output.strip() == ("Error: Missing optional part [postgres] (the PostgreSQL store): "
                                  "pip install 'sales-playbook[postgres]'")


def test_every_extra_has_its_message_in_both_languages():
    for extra in extras.EXTRAS:
        en, zh = extras.message(extra, "en"), extras.message(extra, "zh")
        assert f"[{extra}]" in en and f"[{extra}]" in zh and "\n" not in en + zh
        assert f"pip install 'sales-playbook[{extra}]'" in en


# --------------------------------------------------------------------------- notebooks copy, make lab as root

def test_notebooks_copy_gives_an_editable_copy_and_never_overwrites(tmp_path):
    from click.testing import CliRunner

    from playbook import cli

    dest = tmp_path / "mine"
    res = CliRunner().invoke(cli.main, ["notebooks", "copy", str(dest)])
    assert res.exit_code == 0, res.output
    shipped = {str(p.relative_to(resources.kit_path("notebooks"))) for p in resources.kit_path("notebooks").rglob("*")
               if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts}
    assert {str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file()} == shipped
    assert f"Copied {len(shipped)} files" in res.output and "jupyter lab" in res.output
    (dest / "00_team_overview.ipynb").write_text("my edits", encoding="utf-8")
    again = CliRunner().invoke(cli.main, ["notebooks", "copy", str(dest), "--lang", "zh"])
    assert again.exit_code == 1 and "已存在且不为空" in again.output and "Traceback" not in again.output
    assert (dest / "00_team_overview.ipynb").read_text(encoding="utf-8") == "my edits"


def _make_dry_run(*targets: str) -> list[str]:
    """The recipes `make` would run (``make -n``: printed, nothing run)."""
    res = subprocess.run(["make", "-n", "--no-print-directory", *targets], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, env={**os.environ, "MAKEFLAGS": ""})
    assert res.returncode == 0, res.stderr
    return res.stdout.splitlines()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lab_passes_allow_root_only_when_root_and_make_app_needs_none():
    lines = _make_dry_run("lab", "app")
    (lab,) = [line for line in lines if "jupyter lab" in line]
    (app,) = [line for line in lines if "playbook app" in line]
    assert ("--allow-root" in lab.split()) == (os.geteuid() == 0)
    assert "--allow-root" not in app   # Voila has no such check (and no such flag)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_labs_jupyter_command_starts_as_this_user(tmp_path):
    """The `make lab` command line (with --allow-root when root) starts JupyterLab, which answers."""
    (lab,) = [line for line in _make_dry_run("lab") if "jupyter lab" in line]
    args = lab.split()[1:]  # after .venv/bin/jupyter: this interpreter's
    port = _free_port()
    jupyter = str(Path(sys.executable).with_name("jupyter"))
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg")}
    with open(tmp_path / "lab.log", "w") as log:
        proc = subprocess.Popen([jupyter, *args, "--no-browser", f"--port={port}", "--ServerApp.port_retries=0",
                                 "--IdentityProvider.token=", f"--LabApp.workspaces_dir={tmp_path / 'ws'}"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 240
        while True:
            assert proc.poll() is None, (tmp_path / "lab.log").read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab", timeout=5) as res:
                    assert res.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "lab.log").read_text()[-3000:]
                time.sleep(1)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
