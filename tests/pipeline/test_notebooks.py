"""Every notebook runs, in both languages, and keeps the house rules.

Notebooks are found by glob (never a hand-kept list). They are executed with
Papermill on the shipped sample company; widget apps are also served in a real
browser by the Voila tests.
"""

import ast
import json
import re
from pathlib import Path

import nbformat
import papermill
import pytest

from playbook.core import paths
from playbook.pipeline.notebooks import execute_notebook

NOTEBOOKS = sorted(paths.NOTEBOOKS_DIR.rglob("*.ipynb")) + sorted(
    paths.TEMPLATES_DIR.rglob("*.ipynb")
)
NOTEBOOKS = [p for p in NOTEBOOKS if ".ipynb_checkpoints" not in p.parts]
IDS = [str(p.relative_to(paths.ROOT)) for p in NOTEBOOKS]


def _code_cells(path: Path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def test_there_are_notebooks():
    assert paths.NOTEBOOKS_DIR / "00_team_overview.ipynb" in NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_house_rules(path):
    cells = _code_cells(path)
    assert cells, "a notebook without code"
    first = cells[0]
    assert "parameters" in first.get("metadata", {}).get("tags", []), "cell 1 must be tagged"
    params = ast.parse("".join(first["source"]))
    names = {n.target.id for n in params.body if isinstance(n, ast.AnnAssign)}
    assert "lang" in names, "every notebook takes lang"
    assert all(isinstance(n, ast.AnnAssign) for n in params.body), "flat typed literals only"
    # papermill must understand every parameter (papermill --help-notebook documents them)
    assert set(papermill.inspect_notebook(str(path))) == names
    for cell in cells:
        assert cell.get("outputs", []) == [] and cell.get("execution_count") is None, (
            "commit notebooks without outputs"
        )
        tree = ast.parse("".join(cell["source"]))
        defs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
        assert defs == [], "no def/class in a notebook: move it to playbook/"


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_executes(path, lang, tmp_path):
    nb = execute_notebook(path, {"lang": lang}, output=tmp_path / path.name)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert errors == []
    assert nbformat.validate(nb) is None


def _markdown_notebook():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": "## Plan\n\n| a |\n|---|\n| 1 |"})]
    nb.cells = [cell]
    return nb


def test_idp_template_carries_only_the_css_a_report_uses():
    """The batch's ``idp`` template: same CSP and look as ``offline``, a fraction of its stylesheet."""
    from playbook.pipeline.notebooks import REPORT_CSP, notebook_to_html

    light = notebook_to_html(_markdown_notebook(), title="t", template="idp")
    full = notebook_to_html(_markdown_notebook(), title="t")
    assert REPORT_CSP in light and "<script" not in light
    assert len(light) < 30_000 < 200_000 < len(full)  # JupyterLab's index.css alone is ~240 KB
    for rule in (".jp-RenderedHTMLCommon table", ".jp-RenderedHTMLCommon h2", "@page", "@media print"):
        assert rule in light and rule in full
    styles = "".join(re.findall(r"<style[^>]*>(.*?)</style>", light, flags=re.S))
    defined = set(re.findall(r"(--[\w-]+)\s*:", styles))
    assert set(re.findall(r"var\(\s*(--[\w-]+)", styles)) <= defined  # no rule reads an undefined variable
