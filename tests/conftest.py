"""Shared pytest fixtures: small files, the sample company, and the browser kit.

The browser kit (see ``voila_harness.py``): ``server`` (Voila on the test module's ``APP``),
``serve`` (Voila on anything, for one test), ``browser`` and ``page`` (headless Debian
chromium), ``screenshot`` (``reports/screenshots/<test name>.png``). Tests that use the
browser are skipped when chromium is not installed (``make setup`` installs it).
"""

import contextlib
import re
import textwrap

import pytest
import voila_harness as harness
from hypothesis import settings

from playbook.data import loading

# Property tests check invariants, not speed: a loaded 2-core CI machine must not fail them on
# hypothesis's per-example deadline (speed lives in `make bench`).
settings.register_profile("kit", deadline=None)
settings.load_profile("kit")

_BROWSER_FIXTURES = {"browser", "page"}


@pytest.hookimpl(trylast=True)  # after pytest-xdist's own (which names the groups on pytest 8)
def pytest_collection_modifyitems(config, items):
    """Skip the browser tests when Debian's chromium is missing (before any server starts)."""
    _name_xdist_groups(config, items)
    if harness.CHROMIUM is not None:
        return
    skip = pytest.mark.skip(reason="Debian chromium not installed (make setup)")
    for item in items:
        if _BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(skip)


def _name_xdist_groups(config, items):
    """Under ``--dist loadgroup``, end each ``xdist_group`` test's node id with ``@<group>``, as xdist means to.

    xdist's scheduler keeps a group on one worker by reading that suffix, which xdist 3.8 writes
    to an attribute pytest 9 no longer reads: unnamed, every mark is ignored and each worker redoes
    the module fixtures of the tests it gets (the hostile renders, the wheel, a Voila server).
    """
    if not getattr(config.option, "loadgroup", False):  # set on xdist workers under --dist loadgroup
        return
    for item in items:
        marks = item.iter_markers("xdist_group")
        names = {str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in marks}
        suffix = "@" + "_".join(sorted(names))
        if names and not item.nodeid.endswith(suffix):
            item._id = type(item._id).parse(item.nodeid + suffix)


@pytest.fixture
def write_file(tmp_path):
    """Return ``write(name, text, encoding="utf-8")``: a file under ``tmp_path``.

    ``text`` is dedented and its leading newline dropped; ``bytes`` are written as they are.
    """

    def write(name, text, encoding="utf-8"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_bytes(textwrap.dedent(text).lstrip("\n").encode(encoding))
        return path

    return write


@pytest.fixture(scope="session")
def sample_dataset():
    """The shipped sample company (``data/sample``), loaded once per session (per xdist worker).

    Shared by every test that asks for it: read it, never change its frames.
    """
    return loading.load_inputs("data/sample")


@pytest.fixture(scope="module")
def server(request):
    """Voila serving the test module's ``APP`` notebook, one server per module; the base URL."""
    with harness.voila(request.module.APP) as url:
        yield url


@pytest.fixture
def serve():
    """Return ``serve(target, *, env=None, extra=())``: Voila on ``target`` until the test ends; the URL."""
    with contextlib.ExitStack() as servers:
        yield lambda target, **options: servers.enter_context(harness.voila(target, **options))


@pytest.fixture
def browser():
    """Headless Debian chromium (Playwright) for one test; closed after it."""
    with harness.launch_browser() as launched:
        yield launched


@pytest.fixture
def page(browser):
    """A new 1280 x 900 page in the test's browser."""
    return browser.new_page(viewport=harness.VIEWPORT)


@pytest.fixture
def screenshot(request):
    """Return ``screenshot(page, step="")``: the whole app to ``reports/screenshots/<test name>.png``.

    ``step`` names one of several screenshots of a test: ``<test name>_<step>.png``.
    """
    name = re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")

    def shoot(page, step=""):
        return harness.screenshot(page, f"{name}_{step}" if step else name)

    return shoot
