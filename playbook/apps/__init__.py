"""Widget layer for the Voila apps: forms bound to the same pure functions as the notebooks.

An app notebook stays a few lines: it builds one form from here and displays it.
Errors from bad input (``PlaybookError``) are shown in the form as a readable list,
never as a traceback.

Examples
--------
>>> from playbook.apps import app_lang
>>> app_lang("lang=zh&x=1"), app_lang(""), app_lang("lang=fr")
('zh', 'en', 'en')
"""

from __future__ import annotations

import base64
import io as _stdio
import json
import os
import tempfile
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import ipywidgets as W
import pandas as pd
from IPython.display import HTML, Image
from matplotlib.figure import Figure

from playbook.apps import identity
from playbook.apps.identity import Roles
from playbook.core.errors import PlaybookError, PlaybookWarning, ValidationError
from playbook.core.labels import LANGS, t
from playbook.core.paths import APPS_DIR
from playbook.data import loading
from playbook.data.issues import render_issues
from playbook.present import charts as plotting
from playbook.present import html as report
from playbook.present.excel import neutralise
from playbook.present.messages import message
from playbook.targets import overview

__all__ = [
    "ENV_LANG",
    "app_lang",
    "error_html",
    "render_outputs",
    "csv_bytes",
    "download_html",
    "figure_png",
    "note_html",
    "access_html",
    "uploaded_file",
    "upload_limit_mb",
    "upload_guard",
    "overview_app",
    "app_names",
    "home_app",
]

#: The apps' default language (``en`` or ``zh``) when a page address has no ``?lang=``.
ENV_LANG = "PLAYBOOK_LANG"


def app_lang(query: str | None = None, default: str | None = None) -> str:
    """Return the language asked for in the page's query string (``?lang=zh``).

    Voila passes the query string to the kernel as ``QUERY_STRING``. Without ``?lang=``
    the page is in ``default``: else the server's language (``$PLAYBOOK_LANG``, set by
    ``playbook app --lang``), else English.
    """
    if default is None:
        default = os.environ.get(ENV_LANG, "").strip() or "en"
    default = default if default in LANGS else "en"
    query = os.environ.get("QUERY_STRING", "") if query is None else query
    lang = parse_qs(query).get("lang", [default])[0]
    return lang if lang in LANGS else default


def error_html(exc: PlaybookError, lang: str = "en") -> str:
    """Return an escaped HTML box listing what is wrong (every problem for validation)."""
    title = report.escape(t("app.error_title", lang))
    if isinstance(exc, ValidationError):
        table = render_issues(exc.issues, lang).to_html(index=False, escape=True)
        body = table
    else:
        body = "<p>" + report.escape(message(exc, lang)).replace("\n", "<br>") + "</p>"
    return (f'<div class="pb-error" role="alert" style="border:1px solid #c0392b;'
            f'background:#fdecea;padding:8px;border-radius:4px"><b>{title}</b>{body}</div>')


def csv_bytes(frame: pd.DataFrame) -> bytes:
    r"""Return ``frame`` as CSV bytes, UTF-8 with a byte-order mark (Excel then shows Chinese).

    Text cells that a spreadsheet could read as a formula (``=…``, ``+…``, ``-…``,
    ``@…``) are neutralised by :func:`playbook.present.excel.neutralise`; numbers stay
    numbers.

    Examples
    --------
    >>> data = csv_bytes(pd.DataFrame({"客户": ["恒达", "=1+1"], "n": [1, -2]}))
    >>> data[:3], data[3:].decode("utf-8")
    (b'\xef\xbb\xbf', "客户,n\n恒达,1\n'=1+1,-2\n")
    """
    return neutralise(frame).to_csv(index=False, lineterminator="\n").encode("utf-8-sig")


def download_html(data: bytes, filename: str, text: str, *, mime: str = "text/csv") -> str:
    r"""Return an HTML link that downloads ``data`` as ``filename`` (a ``data:`` URI, no server).

    Examples
    --------
    >>> link = download_html(b"a,b\n", "list.csv", "Download <list>")
    >>> link[:78]
    '<a class="pb-download" download="list.csv" href="data:text/csv;base64,YSxiCg=='
    >>> link[-26:]
    '>Download &lt;list&gt;</a>'
    """
    b64 = base64.b64encode(data).decode("ascii")
    return (f'<a class="pb-download" download="{report.escape(filename)}" href="data:{mime};base64,{b64}" '
            'style="display:inline-block;padding:6px 12px;border-radius:4px;background:#2c7be5;'
            f'color:white;text-decoration:none">{report.escape(text)}</a>')


def figure_png(fig: Figure, *, dpi: int = 100) -> Image:
    """Return a matplotlib figure as a PNG display object (the same in Voila and in tests)."""
    buf = _stdio.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return Image(data=buf.getvalue(), format="png")


def note_html(notes: Sequence[str], lang: str = "en") -> str:
    """Return an escaped HTML box listing degraded-but-valid results (``PlaybookWarning``).

    Examples
    --------
    >>> note_html(["2 rows <left out>"], "zh").split("</b>")[1]
    '<ul><li>2 rows &lt;left out&gt;</li></ul></div>'
    """
    items = "".join(f"<li>{report.escape(n)}</li>" for n in notes)
    return (f'<div class="pb-note" role="status" style="border:1px solid #d4a017;background:#fff8e1;'
            f'padding:8px;border-radius:4px"><b>{report.escape(t("app_rfm.note", lang))}</b><ul>{items}</ul></div>')


def access_html(who: Roles, lang: str = "en", *, extra: str = "") -> str:
    """Return the box saying who is logged in and whose figures the page shows (or that nobody is).

    ``who`` comes from :func:`playbook.apps.identity.viewer`; ``extra`` is a sentence added
    to the box (escaped).

    Examples
    --------
    >>> _text = lambda h: h.split(">", 1)[1].rsplit("<", 1)[0]
    >>> _text(access_html(Roles("li", rep_id="R1", team=frozenset({"R2", "R3"}))))
    'Logged in as li: your figures and those of the 2 rep(s) below you are shown; totals are over these reps only.'
    >>> "Nobody is logged in" in access_html(Roles()), "ever" in access_html(Roles("hr", hr=True))
    (True, True)
    """
    if not who.user:
        text, kind = t("access.no_identity", lang), "warn"
    else:
        scope = ("hr" if who.hr else "team" if who.team else "self" if who.rep_id else "none")
        text = t("access.logged_in", lang, user=who.user, scope=t(f"access.scope.{scope}", lang, n=len(who.team)))
        kind = "warn" if scope == "none" else "info"
    text = f"{text} {extra}" if extra else text
    colours = {"warn": ("#d4a017", "#fff8e1"), "info": ("#9ec5fe", "#eef5ff")}[kind]
    return (f'<div class="pb-access" role="status" style="border:1px solid {colours[0]};background:{colours[1]};'
            f'padding:6px 8px;border-radius:4px;margin:4px 0">{report.escape(text)}</div>')


def render_outputs(out: W.Output, build: Callable[[], Iterable[Any]], lang: str = "en") -> bool:
    """Replace the content of ``out`` with the display objects ``build()`` returns.

    A :class:`~playbook.core.errors.PlaybookError` (bad file, bad parameter) is shown as a
    readable problem list instead, any other error as a short message: never a
    traceback. ``PlaybookWarning`` messages are listed in a note above the results.
    The content is set on ``out.outputs`` directly, so it can be checked in Python.
    Returns True when ``build`` succeeded.
    """
    out.outputs = ()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            parts = list(build())
        except PlaybookError as exc:
            out.append_display_data(HTML(error_html(exc, lang)))
            return False
        except Exception as exc:  # noqa: BLE001 - last line of defence in a form
            out.append_display_data(HTML(error_html(PlaybookError(f"{type(exc).__name__}: {exc}"), lang)))
            return False
    notes = list(dict.fromkeys(message(w.message, lang) for w in caught if issubclass(w.category, PlaybookWarning)))
    if notes:
        out.append_display_data(HTML(note_html(notes, lang)))
    for part in parts:
        out.append_display_data(part)
    return True


#: Environment variable holding the server's upload limit in MB (``playbook app --upload-limit``).
ENV_UPLOAD_LIMIT = "PLAYBOOK_UPLOAD_LIMIT_MB"
#: The server's default limit: Tornado's largest websocket message, 10 MiB.
DEFAULT_UPLOAD_LIMIT_MB = 10


def upload_limit_mb() -> int:
    """Return the largest upload the server receives, in MB (shown next to every upload button).

    A larger file never reaches the kernel (the server drops the message), so the limit is
    said up front, and the page names the data it shows.

    Examples
    --------
    >>> upload_limit_mb() >= 1
    True
    """
    try:
        return max(1, int(os.environ.get(ENV_UPLOAD_LIMIT, DEFAULT_UPLOAD_LIMIT_MB)))
    except ValueError:
        return DEFAULT_UPLOAD_LIMIT_MB


_GUARD_JS = """(function () {
  window.__pbUploadGuard = %s;
  if (window.__pbUploadGuardOn) { return; }
  window.__pbUploadGuardOn = true;
  var read = FileReader.prototype.readAsArrayBuffer;
  function say(text) {
    document.querySelectorAll(".pb-upload-refused").forEach(function (box) {
      box.textContent = text; box.hidden = !text;
    });
  }
  FileReader.prototype.readAsArrayBuffer = function (blob) {
    var guard = window.__pbUploadGuard;
    if (guard && typeof File !== "undefined" && blob instanceof File) {
      if (blob.size > guard.limit) {  // never read, never sent: the server would drop the message unheard
        say(guard.text.split("{name}").join(blob.name)
                      .split("{size}").join((blob.size / 1048576).toFixed(1)));
        return undefined;
      }
      say("");
    }
    return read.apply(this, arguments);
  };
})();"""


def upload_guard(lang: str = "en", limit_mb: int | None = None) -> W.Output:
    """Return a widget that makes the page refuse, before sending, a file over the upload limit.

    An upload travels to the kernel as one websocket message: a file larger than the
    server's message limit (``playbook app --upload-limit``: twice the limit and 1 MiB more)
    would be dropped by the server with no word to the user. The widget holds a script
    that checks each file the page's upload buttons read: over ``limit_mb`` (default
    :func:`upload_limit_mb`, the limit stated next to the buttons) the file is not read
    nor sent, and the widget shows ``message.upload_too_big`` in ``lang`` (the kernel
    says the same for a file that gets through, :func:`uploaded_file`). Put it next to the
    upload button.

    Examples
    --------
    >>> out = upload_guard("zh", limit_mb=2)
    >>> html = out.outputs[0]["data"]["text/html"]
    >>> '"limit": 2097152' in html and "{name} 大小为 {size} MB，超过上传限制 2 MB" in html
    True
    """
    mb = upload_limit_mb() if limit_mb is None else int(limit_mb)
    guard = {"limit": mb * 1024 * 1024, "text": t("message.upload_too_big", lang, name="{name}", size="{size}", mb=mb)}
    script = _GUARD_JS % json.dumps(guard, ensure_ascii=False).replace("</", "<\\/")
    out = W.Output()
    out.append_display_data(HTML('<div class="pb-upload-refused" role="alert" hidden '
                                 'style="border:1px solid #c0392b;background:#fdecea;padding:8px;border-radius:4px">'
                                 f"</div><script>{script}</script>"))
    return out


def uploaded_file(upload: W.FileUpload) -> Path | None:
    """Write the file chosen in a FileUpload widget to a temporary path (keeping its name).

    Returns None when nothing was uploaded. The loaders then read it like any file,
    with the same formats and column maps as the command line. A file over the upload
    limit (:func:`upload_limit_mb`) raises :class:`PlaybookError` naming the limit.
    """
    if not upload.value:
        return None
    item = upload.value[0]
    size, limit = len(item["content"]), upload_limit_mb()
    if size > limit * 1024 * 1024:  # received (the server takes a little more), but over the limit
        name = Path(str(item["name"])).name
        raise PlaybookError(f"{name} is {size / 2**20:.1f} MB; the upload limit is {limit} MB",
                            code="upload_too_big", params={"name": name, "size": f"{size / 2**20:.1f}",
                                                           "mb": limit})
    folder = Path(tempfile.mkdtemp(prefix="playbook_upload_"))
    path = folder / Path(str(item["name"])).name
    path.write_bytes(bytes(item["content"]))
    return path


def overview_app(data_dir: str | Path, *, lang: str = "en", user: str = "",
                 hr_users: str | Iterable[str] | None = None) -> W.Widget:
    """Team overview form: pick an as-of date, see per-rep attainment and the chart.

    Only the reps the logged-in ``user`` may see are shown (:func:`identity.visible_rows`:
    themselves, their team down the ``manager_id`` chain, everyone for HR; nobody without
    identity), and the team totals are computed over those rows only, so no total reveals
    a person the user may not see. ``user`` comes from the server
    (:func:`identity.prelaunch_hook`), never from the page; ``hr_users`` default
    ``$PLAYBOOK_HR_USERS``.
    """
    as_of = W.DatePicker(description=t("app.as_of", lang))
    button = W.Button(description=t("app.show", lang), button_style="primary")
    out = W.Output()
    loaded: dict[str, Any] = {}  # the data is read and validated once, not on every click

    def body() -> list[Any]:
        if "ds" not in loaded:
            loaded["ds"] = loading.load_inputs(data_dir)
        ds = loaded["ds"]
        who = identity.viewer(user, ds.reps, hr=hr_users)
        when = overview.resolve_as_of(as_of.value.isoformat() if as_of.value else "", ds.orders)
        summary = identity.visible_rows(who, overview.rep_summary(ds.orders, ds.reps, ds.quotas, as_of=when))
        subtitle = t("overview.subtitle", lang, as_of=when.date(), source=Path(data_dir).name)
        parts: list[Any] = [HTML(access_html(who, lang)), HTML(f"<h3>{report.escape(subtitle)}</h3>")]
        if not len(summary):
            return parts
        if who.hr or who.team:  # totals of the rows shown; a rep alone has no team total to see
            parts.append(report.style_table(overview.team_summary(summary), lang=lang))
        return [*parts, report.style_table(summary, lang=lang),
                figure_png(plotting.attainment_chart(summary, lang=lang).figure)]

    def show(_: object = None) -> None:
        render_outputs(out, body, lang)

    button.on_click(show)
    return W.VBox([W.HTML(f"<h2>{report.escape(t('overview.title', lang))}</h2>"),
                   W.HBox([as_of, button]), out])


def app_names() -> list[str]:
    """Return the app notebooks' names (``notebooks/apps/*.ipynb``) except the home page.

    Examples
    --------
    >>> "team_overview" in app_names()
    True
    """
    return sorted(p.stem for p in APPS_DIR.glob("*.ipynb") if p.stem != "home")


def home_app(*, lang: str = "en", base: str = "") -> W.Widget:
    """Landing page: every app by name and purpose, with links in the chosen language.

    ``base`` is the URL prefix of the rendered notebooks (Voila: ``/voila/render``,
    found relative to the page when empty).
    """
    other = "zh" if lang == "en" else "en"
    items = []
    for name in app_names():
        href = report.escape(f"{base or '.'}/{name}.ipynb?lang={lang}")
        items.append(
            f'<li style="margin:0.6em 0"><a href="{href}" style="font-size:1.15em">'
            f"{report.escape(t(f'apps.{name}.title', lang))}</a><br>"
            f"<span style=\"color:#555\">{report.escape(t(f'apps.{name}.purpose', lang))}</span></li>"
        )
    switch = report.escape(f"?lang={other}")
    return W.HTML(
        f"<h2>{report.escape(t('apps.home.title', lang))}</h2>"
        f"<p>{report.escape(t('apps.home.intro', lang))} "
        f'<a href="{switch}">{report.escape(t("lang.name", other))}</a></p>'
        f"<ul style=\"list-style:none;padding-left:0\">{''.join(items)}</ul>"
    )
