"""`playbook app` as a service: stops cleanly on a supervisor's signal, tells the truth about its address,
answers its health check; the deployment files are valid; reading commands leave no files behind."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import voila_harness as harness
from click.testing import CliRunner

from playbook import cli
from playbook.apps import server
from playbook.core import paths
from playbook.core.errors import PlaybookError
from playbook.pipeline import store_db

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _kernel_connection(pid: int) -> dict | None:
    """The connection file of kernel process ``pid`` (``None`` for another process)."""
    try:
        args = (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    if b"ipykernel_launcher" not in args or b"-f" not in args:
        return None
    return json.loads(Path(args[args.index(b"-f") + 1].decode()).read_text())


def _tree(pid: int) -> set[int]:
    """``pid`` and every process below it (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = {pid}, [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        found.update(kids)
        todo += kids
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _health(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{server.HEALTH_PATH}", timeout=10) as res:
        assert res.status == 200 and res.headers["Content-Type"] == "application/json"
        return json.loads(res.read())


def _start_app(tmp_path: Path, *args: str) -> tuple[subprocess.Popen, Path]:
    log = tmp_path / "app.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "PLAYBOOK_STORE_URL": f"sqlite:///{tmp_path / 'idp.sqlite'}"}
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "playbook", "app", *args], cwd=tmp_path, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    return proc, log


def _wait_for(predicate, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"{what} within {timeout} s; log:\n{log.read_text()[-3000:]}")


@pytest.mark.slow
def test_sigterm_ends_the_server_and_its_kernels_and_frees_the_port(tmp_path):
    port = harness.free_port()
    proc, log = _start_app(tmp_path, "--port", str(port))
    try:
        _wait_for(lambda: "Apps: " in log.read_text(), 240, "the app did not announce its address", log)
        text = log.read_text()
        assert f"Apps: http://127.0.0.1:{port}/voila/render/home.ipynb" in text       # the address bound
        assert f"http://127.0.0.1:{port}{server.HEALTH_PATH}" in text
        assert "Warning" not in text                                                  # loopback: no warning
        with harness.launch_browser() as browser:
            pages = [browser.new_page() for _ in range(2)]
            for page, name in zip(pages, ("home", "team_overview"), strict=True):
                page.goto(f"http://127.0.0.1:{port}/voila/render/{name}.ipynb", timeout=240_000)
            _wait_for(lambda: _health(port)["kernels"] >= 2, 240, "two kernels did not start", log)
            tree = _tree(proc.pid)
            assert len(tree) >= 4, tree  # playbook, its Voila server and at least two kernels
            kernels = [k for k in map(_kernel_connection, tree) if k]
            assert len(kernels) >= 2 and {k["transport"] for k in kernels} == {"ipc"}  # no TCP port to lose
            proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and (any(_alive(p) for p in tree) or not _port_free(port)):
                time.sleep(0.1)
            left = sorted(p for p in tree if _alive(p))
            assert left == [], f"still running 10 s after SIGTERM: {left}\n{log.read_text()[-3000:]}"
            assert _port_free(port)
        assert proc.wait(timeout=5) == 0
        assert "Apps stopped" in log.read_text()
    finally:
        if proc.poll() is None:  # pragma: no cover - only when the test failed
            for pid in _tree(proc.pid):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
def test_beyond_loopback_the_bound_address_is_printed_with_a_warning_and_health_answers(tmp_path):
    port = harness.free_port()
    proc, log = _start_app(tmp_path, "--port", str(port), "--ip", "0.0.0.0", "--lang", "zh")
    try:
        _wait_for(lambda: "应用地址" in log.read_text(), 240, "the app did not announce its address", log)
        text = log.read_text()
        assert f"http://0.0.0.0:{port}/voila/render/home.ipynb" in text               # not 127.0.0.1
        assert "警告" in text and "反向代理" in text
        report = _health(port)
        assert report["status"] == "ok" and report["kernels"] == 0
        busy = CliRunner().invoke(cli.main, ["app", "--port", str(port), "--ip", "127.0.0.1"])
        assert busy.exit_code == 1 and f"127.0.0.1:{port}" in busy.output and "--port" in busy.output
        assert "Traceback" not in busy.output
        proc.send_signal(signal.SIGHUP)                  # the terminal closed: the same clean stop
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:  # pragma: no cover
            proc.kill()


def test_dry_run_prints_the_address_as_bound_and_warns_beyond_loopback():
    wide = CliRunner().invoke(cli.main, ["app", "--dry-run", "--ip", "0.0.0.0", "--port", "9000"])
    assert wide.exit_code == 0
    assert "Apps: http://0.0.0.0:9000/voila/render/home.ipynb" in wide.output
    assert "Warning: the apps listen on 0.0.0.0" in wide.output and "authenticating reverse proxy" in wide.output
    local = CliRunner().invoke(cli.main, ["app", "--dry-run"])
    assert "Apps: http://127.0.0.1:8866/" in local.output and "Warning" not in local.output
    six = CliRunner().invoke(cli.main, ["app", "--dry-run", "--ip", "::1"])
    assert "http://[::1]:8866/" in six.output and "Warning" not in six.output
    cmd = local.output.splitlines()[-1]
    assert "-m playbook.apps.voila_app" in cmd and "--Voila.port_retries=0" in cmd


def test_a_missing_apps_extra_is_one_line_naming_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "voila", None)
    res = CliRunner().invoke(cli.main, ["app", "--port", "9"])
    assert res.exit_code == 1
    assert res.output.strip() == "Error: Missing optional part [apps] (the staff apps): pip install " \
                                 "'sales-playbook[apps]'"


def test_the_apps_default_language_is_the_servers(monkeypatch):
    from playbook.apps import ENV_LANG, app_lang

    monkeypatch.setenv(ENV_LANG, "zh")
    assert (app_lang(""), app_lang("lang=en"), app_lang("lang=fr")) == ("zh", "en", "zh")
    res = CliRunner().invoke(cli.main, ["app", "--dry-run", "--lang", "zh"])
    assert "应用地址" in res.output


# --------------------------------------------------------------------------- reading creates nothing

def _listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if "__pycache__" not in p.parts}


@pytest.mark.slow
def test_reading_commands_create_nothing_outside_out(tmp_path, monkeypatch):
    """Each command that only reads runs in an empty folder: only its --out appears, no store anywhere."""
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("PLAYBOOK_STORE_URL", raising=False)
    monkeypatch.setattr(store_db, "DEFAULT_PATH", home / "idp.sqlite")  # the default store, as the kit sets it
    kit_before = {f: _listing(paths.ROOT / f) for f in ("data", "notebooks", "templates")}
    examples = paths.EXAMPLES_DIR
    runs = [
        (["validate", str(examples / "chinese_crm_orders.csv"), "--map", "chinese_crm"], 0, []),
        (["rfm"], 0, []),
        (["app", "--dry-run"], 0, []),
        (["idp", "export", "--out", "plans.xlsx"], 1, []),             # no store yet: said, none created
        (["idp", "render", "--reps", "R001", "--no-pdf", "--workers", "1", "--out", "idp"], 0, ["idp"]),
        (["idp", "render", "--reps", "R001", "--no-pdf", "--workers", "1", "--from-store", "--out", "idp"], 0,
         ["idp"]),
        (["overview", "--out", "reports"], 0, ["reports"]),
    ]
    allowed: set[str] = set()
    for args, status, outs in runs:
        res = CliRunner().invoke(cli.main, args)
        assert res.exit_code == status, (args, res.output)
        allowed.update(outs)
        assert set(os.listdir(work)) == allowed, args   # the --out of this and earlier commands only
        assert not home.exists(), args
    assert "There is no IDP store" in CliRunner().invoke(cli.main, ["idp", "export", "--out", "x.xlsx"]).output
    # PDFs asked for without the [pdf] extra: the (fresh) HTML stays, no PDF, one line says how to get them
    monkeypatch.setitem(sys.modules, "playwright", None)
    res = CliRunner().invoke(cli.main, ["idp", "render", "--reps", "R001", "--workers", "1", "--out", "idp"])
    assert res.exit_code == 0 and "Traceback" not in res.output, res.output
    assert res.output.splitlines()[-1].startswith("HTML only, no PDFs: Missing optional part [pdf]")
    assert (work / "idp" / "index.html").is_file() and not list((work / "idp").glob("*.pdf"))
    assert {f: _listing(paths.ROOT / f) for f in kit_before} == kit_before


# --------------------------------------------------------------------------- deployment files

def test_the_systemd_unit_runs_the_app_unprivileged_with_its_settings():
    unit = (DEPLOY / "sales-playbook.service").read_text()
    sections = {}
    current = None
    for line in unit.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key, []).append(value)
    service = sections["Service"]
    assert service["User"] == ["playbook"] and "root" not in unit.split("User=")[1].splitlines()[0]
    assert service["EnvironmentFile"] == ["/etc/sales-playbook/playbook.env"]
    start = service["ExecStart"][0].split()
    assert start[1:3] == ["app", "--ip"] and start[3] == "127.0.0.1" and "--trusted-proxy" in start
    assert service["KillSignal"] == ["SIGTERM"] and service["Restart"] == ["on-failure"]
    settings = (DEPLOY / "playbook.env").read_text()
    for name in ("PLAYBOOK_DATA", "PLAYBOOK_STORE_URL", "PLAYBOOK_LANG", "PLAYBOOK_PORT"):
        assert f"\n{name}=" in f"\n{settings}", name
    nginx = (DEPLOY / "nginx-sales-playbook.conf").read_text()
    assert "auth_basic" in nginx or "auth_request" in nginx
    assert "proxy_set_header X-Forwarded-User" in nginx and "Upgrade" in nginx   # identity; kernels' websockets
    assert server.HEALTH_PATH in nginx


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verifies_the_unit(tmp_path):
    """The unit as shipped, with the install path replaced by a `playbook` that exists here."""
    exe = shutil.which("playbook", path=str(Path(sys.executable).parent)) or sys.executable
    unit = tmp_path / "sales-playbook.service"
    unit.write_text((DEPLOY / "sales-playbook.service").read_text().replace("/opt/sales-playbook/bin/playbook", exe))
    res = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=120)
    assert (res.returncode, res.stderr) == (0, "")


def test_a_port_in_use_is_refused_in_the_servers_language():
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        with pytest.raises(PlaybookError) as info:
            server.check_port("127.0.0.1", port, "zh")
    assert str(info.value) == f"无法在 127.0.0.1:{port} 上提供应用：地址已被占用。请换一个 --port（或 --ip）。"
