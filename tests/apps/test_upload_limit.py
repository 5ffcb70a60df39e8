"""``playbook app --upload-limit`` is the server's real limit, and a larger upload gets a clear message.

An upload reaches the kernel as one websocket message; Tornado drops (closes the connection
on) a message over ``websocket_max_message_size``. The server is started with twice the
limit and 1 MiB more: (2 x 50 + 1) MiB = 101 x 1,048,576 = 105,906,176 bytes for 50 MB.
"""

from __future__ import annotations

import asyncio
import types

import pytest
from click.testing import CliRunner
from tornado import httpserver, netutil, web, websocket
from voila.app import Voila

from playbook import cli
from playbook.apps import uploaded_file
from playbook.apps.voila_app import PlaybookVoila
from playbook.core.errors import PlaybookError
from playbook.present.messages import message


def test_the_upload_limit_sets_the_servers_websocket_limit():
    res = CliRunner().invoke(cli.main, ["app", "--dry-run", "--upload-limit", "50"])
    assert res.exit_code == 0, res.output
    assert "--PlaybookVoila.websocket_max_message_size=105906176" in res.output.splitlines()[-1]


def test_the_voila_server_applies_the_limit_to_tornado(monkeypatch):
    seen = {}
    monkeypatch.setattr(Voila, "start", lambda self: seen.update(self.tornado_settings))
    app = PlaybookVoila()
    app.parse_command_line(["--PlaybookVoila.websocket_max_message_size=3145728"])
    app.start()
    assert seen == {"websocket_max_message_size": 3145728}


class _Echo(websocket.WebSocketHandler):
    def on_message(self, msg):
        self.write_message(msg, binary=True)


def test_tornado_drops_a_websocket_message_over_the_limit():
    """What the setting does (the assumption the limit rests on): 1 MiB passes, 1 MiB + 1 byte closes."""

    async def scenario():
        sockets = netutil.bind_sockets(0, "127.0.0.1")
        port = sockets[0].getsockname()[1]
        server = httpserver.HTTPServer(web.Application([("/ws", _Echo)], websocket_max_message_size=2**20))
        server.add_sockets(sockets)
        try:
            conn = await websocket.websocket_connect(f"ws://127.0.0.1:{port}/ws", max_message_size=2**22)
            await conn.write_message(b"x" * 2**20, binary=True)
            echoed = await conn.read_message()
            await conn.write_message(b"x" * (2**20 + 1), binary=True)
            after = await asyncio.wait_for(conn.read_message(), 30)
            return len(echoed), after, conn.close_code
        finally:
            server.stop()

    assert asyncio.run(scenario()) == (2**20, None, 1009)


def _upload(n_bytes: int) -> types.SimpleNamespace:
    return types.SimpleNamespace(value=({"name": "../orders.csv", "content": memoryview(b"a" * n_bytes)},))


def test_an_upload_over_the_limit_is_refused_naming_the_limit(monkeypatch):
    monkeypatch.setenv("PLAYBOOK_UPLOAD_LIMIT_MB", "1")
    with pytest.raises(PlaybookError) as err:
        uploaded_file(_upload(3 * 2**19))  # 1.5 MiB
    assert message(err.value, "en") == ("orders.csv is 1.5 MB, over the upload limit of 1 MB: export fewer "
                                        "rows, or start the server with a larger --upload-limit.")
    assert message(err.value, "zh").startswith("orders.csv 大小为 1.5 MB，超过上传限制 1 MB")
    path = uploaded_file(_upload(2**20))  # exactly the limit: accepted
    try:
        assert path.name == "orders.csv" and path.stat().st_size == 2**20
    finally:
        path.unlink()
        path.parent.rmdir()


def test_the_rfm_app_shows_the_limit_for_a_too_big_upload(monkeypatch):
    import datetime

    from playbook.apps.rfm import RfmExplorer

    monkeypatch.setenv("PLAYBOOK_UPLOAD_LIMIT_MB", "1")
    app = RfmExplorer(lang="zh", user="hr.li", hr_users="hr.li")
    head = b"order_id,customer_id,rep_id,order_date,amount\n"
    data = head + b"O1,A,R1,2025-09-01,50000\n" * 60_000  # 46 + 25 x 60,000 = 1,500,046 bytes: 1.4 MiB
    app.upload.value = ({"name": "orders.csv", "type": "", "size": len(data), "content": memoryview(data),
                         "last_modified": datetime.datetime(2025, 10, 1)},)
    assert app.show() is False
    page = "".join(o["data"].get("text/html", "") for o in app.out.outputs)
    assert 'class="pb-error"' in page and "超过上传限制 1 MB" in page and "Traceback" not in page


@pytest.mark.slow
def test_the_page_refuses_a_file_over_the_limit_before_sending_it(serve, page, screenshot, tmp_path):
    """1 MB limit: a 1.5 MiB file and a 5 MiB one (over the server's message limit) never leave the page."""
    from playbook.core import paths
    from playbook.core.labels import t

    url = serve(paths.APPS_DIR / "rfm_explorer.ipynb", env={"PLAYBOOK_UPLOAD_LIMIT_MB": "1"})
    page.goto(f"{url}/?lang=zh", timeout=90000)
    button = page.get_by_role("button", name=t("app_rfm.upload", "zh"))
    button.wait_for(timeout=90000)
    sample = page.locator(".pb-source")
    sample.wait_for(timeout=60000)
    before = sample.inner_text()
    head = b"order_id,customer_id,rep_id,order_date,amount\n"
    for name, rows in (("big.csv", 60_000), ("huge.csv", 210_000)):  # 25 bytes a row: 1.4 MiB, 5.0 MiB
        path = tmp_path / name
        path.write_bytes(head + b"O1,A,R1,2025-09-01,50000\n" * rows)
        with page.expect_file_chooser() as chooser:
            button.click()
        chooser.value.set_files(str(path))
        size = f"{path.stat().st_size / 2**20:.1f}"
        page.get_by_text(f"{name} 大小为 {size} MB，超过上传限制 1 MB").wait_for(timeout=30000)
        assert sample.inner_text() == before  # the kernel heard nothing: still the data folder
    screenshot(page, "refused")
    small = tmp_path / "small.csv"
    small.write_bytes(head + b"O1,A,R1,2025-09-01,50000\nO2,B,R1,2025-08-01,900\n")
    with page.expect_file_chooser() as chooser:
        button.click()
    chooser.value.set_files(str(small))
    page.get_by_text(t("app_rfm.source_upload", "zh", name="small.csv")).wait_for(timeout=30000)
    assert not page.locator(".pb-upload-refused").is_visible()  # the message goes with a file that fits
    page.get_by_role("button", name=t("app.show", "zh")).click()
    page.get_by_role("heading", name=t("rfm.segments", "zh")).wait_for(timeout=60000)  # the page is alive
    assert "Traceback" not in page.content()
