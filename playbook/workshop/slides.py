"""Workshop slide decks that open without the internet (reveal.js vendored in ``templates/reveal``).

nbconvert's reveal.js export loads reveal.js, RequireJS, jQuery and MathJax from CDNs;
:func:`write_slides` points each of them at a copy of ``templates/reveal`` written next
to the deck (``reveal.js/``), so a trainer can show the deck on a laptop offline.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter
from traitlets.config import Config

from playbook.core.paths import TEMPLATES_DIR, file_in

__all__ = ["REVEAL_DIR", "write_slides"]

REVEAL_DIR = TEMPLATES_DIR / "reveal"
"""The vendored reveal.js (with jQuery and RequireJS) copied next to every deck."""

_MERMAID = re.compile(r"<script type=\"module\">\s*import mermaid from [^<]*</script>", re.S)
_FOLDER = "reveal.js"  # the copy's name beside the decks, relative to them


def _exporter() -> SlidesExporter:
    config = Config()
    config.SlidesExporter.reveal_url_prefix = _FOLDER
    config.SlidesExporter.reveal_theme = "kit"
    config.SlidesExporter.require_js_url = f"{_FOLDER}/require.min.js"
    config.SlidesExporter.jquery_url = f"{_FOLDER}/jquery.min.js"
    config.SlidesExporter.mathjax_url = ""  # the workshop has no formulas: no MathJax from a CDN
    return SlidesExporter(config=config)


def write_slides(notebooks: list[str | Path], out_dir: str | Path) -> list[Path]:
    """Write one offline reveal.js deck per notebook into ``out_dir``; return the decks' paths.

    ``out_dir/reveal.js/`` receives the vendored reveal.js; each deck
    (``<notebook>.slides.html``) loads only from there.

    Examples
    --------
    >>> import tempfile
    >>> from playbook.core.paths import NOTEBOOKS_DIR
    >>> deck, = write_slides([NOTEBOOKS_DIR / "workshop" / "01_four_causes.ipynb"], tempfile.mkdtemp())
    >>> deck.name, 'src="reveal.js/require.min.js"' in deck.read_text(encoding="utf-8")
    ('01_four_causes.slides.html', True)
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REVEAL_DIR, out / _FOLDER, dirs_exist_ok=True)
    exporter = _exporter()
    written = []
    for nb_path in map(Path, notebooks):
        body, _ = exporter.from_notebook_node(nbformat.read(nb_path, as_version=4))
        body = _MERMAID.sub("", body)  # diagrams need mermaid from a CDN; the workshop has none
        target = file_in(out, f"{nb_path.stem}.slides.html")
        target.write_text(body, encoding="utf-8")
        written.append(target)
    return written
