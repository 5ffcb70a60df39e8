"""The layers of playbook/ hold: import-linter's contracts (pyproject.toml) pass, and they catch a violation."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")
PACKAGE = ROOT / "playbook"


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    return subprocess.run([str(LINT), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_contracts_are_kept():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("core/paths.py", "from playbook.present import html  # noqa", "Layers"),
    ("rfm/value.py", "from playbook.present.charts import rfm  # noqa", "Layers"),
    ("targets/rules.py", "import matplotlib.pyplot  # noqa", "Computing never shows"),
    ("data/parsing.py", "from playbook.data import loading  # noqa", "No import cycle"),
], ids=["core-imports-present", "domain-imports-charts", "domain-imports-matplotlib", "cycle-in-data"])
def test_a_violation_is_caught(tmp_path, module, line, contract):
    shutil.copytree(PACKAGE, tmp_path / "playbook", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "playbook" / module
    target.write_text(target.read_text() + "\n" + line + "\n")
    result = _lint(tmp_path)
    assert result.returncode == 1, result.stdout
    assert contract in result.stdout.split("Broken contracts")[1]


def _function_level_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for sub in ast.walk(node):
                if isinstance(sub, (ast.Import, ast.ImportFrom)):
                    line = path.read_text(encoding="utf-8").splitlines()[sub.lineno - 1]
                    if "optional dependency" not in line:
                        found.append(f"{path.relative_to(ROOT)}:{sub.lineno}: {line.strip()}")
    return found


def test_imports_at_module_top():
    """Only a lazily imported optional dependency may be imported in a function, and it says so."""
    found = [hit for path in sorted(PACKAGE.rglob("*.py")) for hit in _function_level_imports(path)]
    assert found == []


def test_no_module_over_800_lines():
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 800}
    assert long == {}


def _long_functions(path: Path, limit: int = 80) -> list[str]:
    """Functions whose body (docstring excluded) is longer than ``limit`` lines."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0]
            doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            start = first.end_lineno + 1 if doc and len(node.body) > 1 else first.lineno
            if node.end_lineno - start + 1 > limit:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    return found


def test_no_function_over_80_lines():
    assert [hit for path in sorted(PACKAGE.rglob("*.py")) for hit in _long_functions(path)] == []
