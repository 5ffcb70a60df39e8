"""HTML pieces of reports and notebooks: headings, sign-off block, print stylesheet; one escape, Jinja2 templates.

Every HTML fragment the kit builds escapes text from data and labels through one
function, :func:`escape`. Fragments longer than a line are Jinja2 templates under
``templates/html/`` (:func:`render`), rendered with autoescape on and every
``{{ value }}`` written through :func:`escape`. HTML tables of frames come from
:func:`playbook.present.tables.style_table` (re-exported here), which escapes every
cell, header and index value through the pandas Styler's own HTML escape (the same
characters; quotes written as ``&#34;``).
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import numbers
import re
from typing import Any

import pandas as pd
from IPython.display import Markdown, display
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from playbook.core.errors import ValidationError
from playbook.core.labels import check_lang, t
from playbook.core.paths import TEMPLATES_DIR
from playbook.core.schema import is_blank
from playbook.data.issues import render_issues
from playbook.present.tables import style_table

__all__ = [
    "PRINT_CSS", "HTML_TEMPLATES_DIR", "style_table", "heading", "show_issues", "signoff_html", "escape",
    "escape_lines", "escape_markdown", "render",
]

HTML_TEMPLATES_DIR = TEMPLATES_DIR / "html"
"""Where the HTML fragments' Jinja2 templates live."""

PRINT_CSS = """
<style>
  body { font-family: "Noto Sans CJK SC", "Noto Sans", "PingFang SC", "Microsoft YaHei",
         system-ui, sans-serif; }
  .jp-Cell-inputWrapper, .jp-InputPrompt, .jp-OutputPrompt { display: none !important; }
  table { border-collapse: collapse; font-size: 0.9em; }
  th, td { padding: 2px 8px; border-bottom: 1px solid #ddd; }
  @media print {
    @page { size: A4; margin: 12mm; }
    body { font-size: 9.5pt; }
    .jp-Notebook, main { padding: 0 !important; }
    .jp-Cell { padding: 0 !important; break-inside: auto; }
    .jp-OutputArea-output { break-inside: avoid; }
    h1, h2, h3, h4, h5 { break-after: avoid; margin: 0.4em 0 !important; }
    img { max-width: 100% !important; max-height: 105mm; width: auto; }
    table { font-size: 8.5pt; }
  }
</style>
"""


_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def escape_markdown(text: object) -> str:
    r"""Return ``text`` as literal Markdown text: every ASCII punctuation character backslash-escaped.

    A value from data written into Markdown (a rep's name in a heading) then shows as
    it is: no raw HTML (``<script>``, ``<img onerror=...>``), no link, no emphasis.

    Examples
    --------
    >>> print(escape_markdown("<img src=x onerror=alert(1)>"))
    \<img src\=x onerror\=alert\(1\)\>
    >>> escape_markdown("董文斌 R004")
    '董文斌 R004'
    """
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", str(text))


def _literal(value: object) -> object:
    """Return a heading field: numbers and dates as they are (labels may format them), text escaped."""
    if isinstance(value, (numbers.Number, dt.date)):
        return value
    return escape_markdown(value)


def heading(key: str, lang: str = "en", level: int = 2, **fields: object) -> Any:
    r"""Return an IPython Markdown heading for label ``key`` (for notebooks).

    Text ``fields`` (names, teams, file names from data) are written as literal text
    (:func:`escape_markdown`): a name such as ``<script>...`` shows, it never runs.
    Numbers and dates are passed as they are, for the label's own format.

    Examples
    --------
    >>> print(heading("idp.subtitle", "en", level=4, name="<b>x</b>", as_of=dt.date(2025, 9, 30), source="a").data)
    #### \<b\>x\<\/b\> · as of 2025-09-30 · data: a
    """
    return Markdown("#" * level + " " + t(key, lang, **{k: _literal(v) for k, v in fields.items()}))


def show_issues(issues: pd.DataFrame, lang: str = "en") -> None:
    """In a notebook: show the validation report; stop with a clear error if not empty."""
    if len(issues) == 0:
        display(Markdown(t("report.data_ok", lang)))
        return
    display(render_issues(issues, lang))
    raise ValidationError(issues)


def escape(text: object) -> str:
    """Return ``text`` escaped for HTML: the one escape of every HTML fragment the kit builds.

    ``&``, ``<``, ``>`` and both quotes are replaced, so the result is safe in element
    text and in quoted attribute values. Markup already escaped (a ``markupsafe.Markup``
    from a template) is kept as it is.

    Examples
    --------
    >>> escape("<b>a&b</b>"), escape('say "hi"')
    ('&lt;b&gt;a&amp;b&lt;/b&gt;', 'say &quot;hi&quot;')
    """
    if isinstance(text, Markup):
        return str(text)
    return html_lib.escape(str(text), quote=True)



def escape_lines(value: object) -> str:
    r"""Return a typed text escaped by :func:`escape`; line breaks become ``<br>``; missing values "".

    Examples
    --------
    >>> escape_lines('<script>alert("x")</script>\r\nread & learn'), escape_lines(None), escape_lines(4)
    ('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<br>read &amp; learn', '', '4')
    """
    if is_blank(value):
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return "<br>".join(escape(line) for line in text.split("\n"))


def _finalize(value: object) -> Markup:
    return Markup(escape(value))


_ENV = Environment(loader=FileSystemLoader(HTML_TEMPLATES_DIR), autoescape=True, finalize=_finalize,
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
_ENV.filters["lines"] = lambda value: Markup(escape_lines(value))


def render(template: str, /, **context: Any) -> str:
    """Render the HTML template ``templates/html/<template>`` with ``context``; every value escaped.

    Pass a ``markupsafe.Markup`` for a piece that is HTML already (built by another
    template); anything else is escaped by :func:`escape`. The filter ``lines``
    writes a typed text with :func:`escape_lines`.

    Examples
    --------
    >>> page = render("signoff.html.j2", rows=[("<b>Rep</b>", "Date")], note="a & b")
    >>> "<td style='width:30%'>&lt;b&gt;Rep&lt;/b&gt;</td>" in page, page.endswith(">a &amp; b</p>")
    (True, True)
    """
    return _ENV.get_template(template).render(**context).strip("\n")


def signoff_html(lang: str = "en") -> str:
    """Return the sign-off block: rep, supervisor and HR archive (the plan's three copies).

    Examples
    --------
    >>> "人力资源部" in signoff_html("zh")
    True
    """
    check_lang(lang)
    date = t("render.signoff.date", lang)
    rows = [(t(f"render.signoff.{who}", lang), date) for who in ("rep", "supervisor", "hr")]
    return render("signoff.html.j2", rows=rows, note=t("render.signoff.note", lang))
