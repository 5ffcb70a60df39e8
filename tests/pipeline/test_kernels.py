"""The kit's kernels are reached over no TCP port, so no other process can take their port first.

jupyter_client picks a TCP kernel's ports by binding and releasing them; when another
process (a parallel test, a batch's other worker, a Voila server) takes one before the
kernel binds it, the kernel dies ("Kernel died before replying to kernel_info": a batch
report failed that way in CI). The kit's kernels use Unix sockets of their own instead.
Each kernel here tells how it bound its channels (the kernel application's own settings).
"""

import os

import nbformat
import pytest

from playbook.pipeline.engine import WarmKernel
from playbook.pipeline.notebooks import execute_notebook

pytestmark = pytest.mark.slow

BOUND = ("from ipykernel.kernelapp import IPKernelApp\n"
         "app = IPKernelApp.instance()\n"
         "print(app.transport, app.ip.startswith('/'))")


def _notebook(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell(BOUND)])
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "listen.ipynb"
    nbformat.write(nb, path)
    return path


def _printed(nb):
    return "".join(o.get("text", "") for o in nb.cells[-1].outputs).strip()


def test_a_fresh_kernel_is_reached_over_unix_sockets(tmp_path):
    assert _printed(execute_notebook(_notebook(tmp_path), {"x": 2})) == "ipc True"


def test_a_warm_kernel_is_reached_over_unix_sockets_and_leaves_no_socket_file(tmp_path):
    with WarmKernel() as kernel:
        assert _printed(kernel.execute(_notebook(tmp_path), {"x": 2})) == "ipc True"
        prefix = kernel._km.ip
        assert os.path.isabs(prefix) and any(os.path.exists(f"{prefix}-{n}") for n in range(1, 6))
    assert not any(os.path.exists(f"{prefix}-{n}") for n in range(1, 6))  # removed with the kernel
    assert not (tmp_path / "kernel-ipc-1").exists()  # nothing in the notebook's folder


def test_a_runtime_folder_that_cannot_be_made_falls_back_to_a_private_temporary_one(tmp_path, monkeypatch):
    (tmp_path / "afile").write_text("x")
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "afile" / "runtime"))  # a service user's home, say
    assert _printed(execute_notebook(_notebook(tmp_path), {"x": 2})) == "ipc True"
