"""A kit error raised inside a notebook reaches the command's user in their language (a real kernel)."""

import nbformat
import pytest

from playbook.pipeline.notebooks import RenderError, execute_notebook
from playbook.present.messages import message

pytestmark = pytest.mark.slow


def _notebook(tmp_path, source: str):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('lang = "en"', metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(source)]
    path = tmp_path / "probe.ipynb"
    nbformat.write(nb, path)
    return path


def test_a_kit_error_is_worded_in_the_notebooks_language(tmp_path):
    path = _notebook(tmp_path, "from playbook.core.errors import ParameterError\n"
                               "raise ParameterError('team', 'nosuch', 'one of: East, West')")
    with pytest.raises(RenderError) as caught:
        execute_notebook(path, {"lang": "zh"})
    zh = message(caught.value, "zh")
    # the kernel worded it with message.parameter in Chinese; the command adds the notebook's name
    assert zh.startswith("probe.ipynb 运行失败：")
    assert "nosuch" in zh and "East" in zh
    assert "is not valid" not in zh and "ParameterError" not in zh
    # the text comes worded from the kernel: the command's English frame carries it as it is
    assert message(caught.value, "en") == "probe.ipynb failed: " + zh.split("：", 1)[1]
    with pytest.raises(RenderError) as caught:
        execute_notebook(path, {"lang": "en"})
    assert message(caught.value, "en") == ("probe.ipynb failed: parameter team='nosuch' is not valid: "
                                           "expected one of: East, West.")


def test_other_errors_keep_their_class_and_the_setup_cell_is_not_in_the_result(tmp_path):
    with pytest.raises(RenderError, match=r"probe.ipynb failed: KeyError: 'x'"):
        execute_notebook(_notebook(tmp_path, "{}['x']"), {"lang": "zh"})
    done = execute_notebook(_notebook(tmp_path, "1 + 1"), {"lang": "en"})
    assert [c.source for c in done.cells][-1] == "1 + 1"
    assert not any("show_kit_errors" in c.source for c in done.cells)
