"""`idp render --scheduler`: a real Dask scheduler and two worker processes on loopback.

The workers get their own temporary folders (``TMPDIR``): the snapshot and the
template reach them through the cluster, and the reports come back as bytes, written
by the client. One worker is killed mid-batch; the batch still completes. A dead
address fails fast with a clear message.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from playbook.cli import main
from playbook.core import paths
from playbook.pipeline.batch import pdf_is_fresh, valid_pdf
from playbook.pipeline.idp_batch import render_idps

distributed = pytest.importorskip("distributed", reason="the [dask] extra is not installed")
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group(name="cluster")]

REPS = ["R004", "R005", "R006", "R007"]


def _normal(html):
    html = re.sub(r'id="cell-id=[0-9a-f-]+"', 'id="cell"', html)
    return re.sub(r"T_[0-9a-f]{5}", "T_", html)


@pytest.fixture()
def cluster(tmp_path):
    """A scheduler and two single-threaded workers (no nanny: a killed worker stays dead)."""
    dask = str(Path(sys.executable).parent / "dask")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(paths.ROOT), os.environ.get("PYTHONPATH", "")])}
    info, procs, tmps = tmp_path / "scheduler.json", [], []
    try:
        procs.append(subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                       "--scheduler-file", str(info)], env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, start_new_session=True))
        for n in (1, 2):  # short folders: chromium's profile socket path must stay under 108 characters
            tmps.append(Path(tempfile.mkdtemp(prefix=f"pbw{n}-")))
            procs.append(subprocess.Popen(
                [dask, "worker", "--scheduler-file", str(info), "--nthreads", "1", "--no-nanny", "--no-dashboard",
                 "--host", "127.0.0.1", "--local-directory", str(tmps[-1])],
                env={**env, "TMPDIR": str(tmps[-1])}, stdout=subprocess.DEVNULL,
                stderr=(tmp_path / f"worker{n}.log").open("w"),
                start_new_session=True))
        deadline = time.monotonic() + 120
        while not info.exists():
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.2)
        with distributed.Client(scheduler_file=str(info), timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
            address = client.scheduler.address
        yield address, procs[1:], tmps
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for folder in tmps:
            shutil.rmtree(folder, ignore_errors=True)


def test_cluster_batch_equals_a_local_one_and_survives_a_lost_worker(cluster, tmp_path):
    address, workers, tmps = cluster
    out, local = tmp_path / "cluster", tmp_path / "local"

    def kill_a_worker_after_the_first_report():
        deadline = time.monotonic() + 300
        while not list(out.glob("idp_*_en.html")) and time.monotonic() < deadline:
            time.sleep(0.05)
        workers[0].kill()

    killer = threading.Thread(target=kill_a_worker_after_the_first_report, daemon=True)
    killer.start()
    batch = render_idps(paths.SAMPLE_DIR, out, reps=REPS, lang="en", scheduler=address, progress=False)
    killer.join()
    assert workers[0].poll() is not None  # one worker died mid-batch
    assert {r.rep_id: (r.status, r.error) for r in batch.results} == {r: ("rendered", None) for r in REPS}
    # the snapshot travelled through the cluster to a worker's own temporary folder
    assert any((t / f).is_dir() for t in tmps for f in os.listdir(t) if f.startswith("playbook-cluster-"))

    here = render_idps(paths.SAMPLE_DIR, local, reps=REPS, lang="en", workers=2, progress=False)
    printed = all(r.pdf for r in here.results)  # chromium installed here (then on the workers too)
    for rep in REPS:
        html = out / f"idp_{rep}_en.html"
        assert _normal(html.read_text(encoding="utf-8")) == _normal(
            (local / html.name).read_text(encoding="utf-8")), rep
        if printed:
            assert valid_pdf(html.with_suffix(".pdf")) and pdf_is_fresh(html), rep
    index = (out / "index.html").read_text(encoding="utf-8")
    assert all(f'href="idp_{r}_en.html"' in index for r in REPS)
    assert not list(out.glob("*.part"))
    # a rerun on the cluster: everything fresh, nothing sent
    assert render_idps(paths.SAMPLE_DIR, out, reps=REPS, lang="en", scheduler=address,
                       progress=False).counts() == {"rendered": 0, "skipped": len(REPS), "failed": 0}


def test_a_dead_scheduler_address_fails_fast_and_clearly(tmp_path):
    start = time.monotonic()
    res = CliRunner().invoke(main, ["idp", "render", "--out", str(tmp_path), "--reps", "R004", "--no-pdf",
                                    "--scheduler", "tcp://127.0.0.1:9"])
    assert time.monotonic() - start < 10
    assert res.exit_code == 1, res.output
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in res.output
    assert "Traceback" not in res.output
    assert not list(tmp_path.glob("idp_*"))
