"""Offline slides: a workshop deck loads nothing from the internet, and what it loads is there."""

import re
from html.parser import HTMLParser

import pytest

from playbook.core.paths import NOTEBOOKS_DIR
from playbook.workshop.slides import write_slides


class _Loads(HTMLParser):
    """Every script, style sheet and image the page loads, and the inline scripts' text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "script":
            self._in_script = True
            if values.get("src"):
                self.urls.append(values["src"])
        if tag == "link" and values.get("href"):
            self.urls.append(values["href"])
        if tag == "img" and values.get("src", "").startswith(("http", "//")):
            self.urls.append(values["src"])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.inline.append(data)


pytestmark = pytest.mark.xdist_group(name="slides")
"""Both tests on one xdist worker: :func:`decks` (module-scoped, so once per worker) is written once."""


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    out = tmp_path_factory.mktemp("slides")
    return out, write_slides(sorted((NOTEBOOKS_DIR / "workshop").glob("0[13]_*.ipynb")), out)


def test_a_deck_loads_nothing_from_the_internet(decks):
    out, written = decks
    assert [p.name for p in written] == ["01_four_causes.slides.html", "03_rfm_tiers.slides.html"]
    for deck in written:
        page = _Loads()
        page.feed(deck.read_text(encoding="utf-8"))
        assert page.urls and not [u for u in page.urls if u.startswith(("http:", "https:", "//"))]
        scripts = "\n".join(page.inline)
        assert not re.search(r"""(?:import\b[^;]*|require\(\s*\[[^\]]*|["'])\s*(?:https?:)?//[\w.-]+\.\w+/""", scripts)
        assert all((out / u).is_file() for u in page.urls if not u.startswith("#")), page.urls


def test_the_vendored_files_reference_nothing_remote(decks):
    out, _ = decks
    for css in (out / "reveal.js").rglob("*.css"):
        assert "@import url(http" not in css.read_text(encoding="utf-8"), css
    assert (out / "reveal.js" / "dist" / "reveal.js").is_file() and (out / "reveal.js" / "plugin" / "notes").is_dir()
