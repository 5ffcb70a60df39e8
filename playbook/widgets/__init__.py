"""Widget layer for the Voila apps: forms bound to the same pure functions as the notebooks.

An app notebook stays a few lines: it builds one form from here and displays it.
Errors from bad input (``PlaybookError``) are shown in the form as a readable list,
never as a traceback.

Examples
--------
>>> from playbook.widgets import app_lang
>>> app_lang("lang=zh&x=1"), app_lang(""), app_lang("lang=fr")
('zh', 'en', 'en')
"""

from __future__ import annotations

import html
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import ipywidgets as W
from IPython.display import display

from playbook.errors import PlaybookError, ValidationError
from playbook.labels import LANGS, t

__all__ = [
    "app_lang",
    "error_html",
    "run_safely",
    "uploaded_file",
    "overview_app",
    "app_names",
    "home_app",
]


def app_lang(query: str | None = None, default: str = "en") -> str:
    """Return the language asked for in the page's query string (``?lang=zh``).

    Voila passes the query string to the kernel as ``QUERY_STRING``.
    """
    query = os.environ.get("QUERY_STRING", "") if query is None else query
    lang = parse_qs(query).get("lang", [default])[0]
    return lang if lang in LANGS else default


def error_html(exc: PlaybookError, lang: str = "en") -> str:
    """Return an escaped HTML box listing what is wrong (every problem for validation)."""
    title = html.escape(t("app.error_title", lang))
    if isinstance(exc, ValidationError):
        from playbook.validation import render_issues

        table = render_issues(exc.issues, lang).to_html(index=False, escape=True)
        body = table
    else:
        body = "<p>" + html.escape(str(exc)).replace("\n", "<br>") + "</p>"
    return (f'<div class="pb-error" role="alert" style="border:1px solid #c0392b;'
            f'background:#fdecea;padding:8px;border-radius:4px"><b>{title}</b>{body}</div>')


def run_safely(out: W.Output, func: Callable[[], Any], lang: str = "en") -> Any:
    """Run ``func`` with its display going to ``out``; show PlaybookError as a message box.

    Unexpected errors show a short generic message (Voila hides tracebacks too).
    """
    out.clear_output(wait=True)
    with out:
        try:
            return func()
        except PlaybookError as exc:
            display(W.HTML(error_html(exc, lang)))
        except Exception as exc:  # noqa: BLE001 - last line of defence in a form
            display(W.HTML(error_html(PlaybookError(f"{type(exc).__name__}: {exc}"), lang)))
    return None


def uploaded_file(upload: W.FileUpload) -> Path | None:
    """Write the file chosen in a FileUpload widget to a temporary path (keeping its name).

    Returns None when nothing was uploaded. The loaders then read it like any file,
    with the same formats and column maps as the command line.
    """
    if not upload.value:
        return None
    item = upload.value[0]
    folder = Path(tempfile.mkdtemp(prefix="playbook_upload_"))
    path = folder / Path(str(item["name"])).name
    path.write_bytes(bytes(item["content"]))
    return path


def overview_app(data_dir: str | Path, *, lang: str = "en") -> W.Widget:
    """Team overview form: pick an as-of date, see per-rep attainment and the chart."""
    from playbook import io, overview, paths, plotting, report

    as_of = W.DatePicker(description=t("app.as_of", lang))
    button = W.Button(description=t("app.show", lang), button_style="primary")
    out = W.Output()

    def show(_: object = None) -> None:
        def body() -> None:
            ds = io.load_dataset(paths.resolve(data_dir))
            when = overview.resolve_as_of(as_of.value.isoformat() if as_of.value else "", ds.orders)
            summary = overview.rep_summary(ds.orders, ds.reps, ds.quotas, as_of=when)
            display(W.HTML("<h3>" + html.escape(t("overview.subtitle", lang, as_of=when.date(),
                                                          source=Path(data_dir).name)) + "</h3>"))
            display(report.style_table(overview.team_summary(summary), lang=lang))
            display(report.style_table(summary, lang=lang))
            display(plotting.attainment_chart(summary, lang=lang))

        run_safely(out, body, lang)

    button.on_click(show)
    return W.VBox([W.HTML(f"<h2>{html.escape(t('overview.title', lang))}</h2>"),
                   W.HBox([as_of, button]), out])




def app_names() -> list[str]:
    """Return the app notebooks' names (``notebooks/apps/*.ipynb``) except the home page.

    Examples
    --------
    >>> "team_overview" in app_names()
    True
    """
    from playbook.paths import APPS_DIR

    return sorted(p.stem for p in APPS_DIR.glob("*.ipynb") if p.stem != "home")


def home_app(*, lang: str = "en", base: str = "") -> W.Widget:
    """Landing page: every app by name and purpose, with links in the chosen language.

    ``base`` is the URL prefix of the rendered notebooks (Voila: ``/voila/render``,
    found relative to the page when empty).
    """
    other = "zh" if lang == "en" else "en"
    items = []
    for name in app_names():
        href = html.escape(f"{base or '.'}/{name}.ipynb?lang={lang}")
        items.append(
            f'<li style="margin:0.6em 0"><a href="{href}" style="font-size:1.15em">'
            f"{html.escape(t(f'apps.{name}.title', lang))}</a><br>"
            f"<span style=\"color:#555\">{html.escape(t(f'apps.{name}.purpose', lang))}</span></li>"
        )
    switch = html.escape(f"?lang={other}")
    return W.HTML(
        f"<h2>{html.escape(t('apps.home.title', lang))}</h2>"
        f"<p>{html.escape(t('apps.home.intro', lang))} "
        f'<a href="{switch}">{html.escape(t("lang.name", other))}</a></p>'
        f"<ul style=\"list-style:none;padding-left:0\">{''.join(items)}</ul>"
    )
