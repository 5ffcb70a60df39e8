r"""Customer tiering (RFM) explorer: orders in, segments, actions and a downloadable list out.

Staff upload an orders export (CSV/TSV, Excel, Parquet; any column map of
``data/column_maps``, detected from the headers by default) or use the data folder
the app was started with (the shipped sample company). They pick the as-of date,
the window, the spend-tier preset and the segment map, and see the segment summary,
the segment chart, the playbook action per segment and per spend tier; then pick a
segment and download its customer list as CSV (UTF-8 with a byte-order mark, the
same columns as ``playbook rfm --export``).

The form is bound to the functions ``notebooks/02_rfm_segmentation.ipynb`` uses:
:func:`playbook.rfm.segment_customers`, :func:`~playbook.rfm.segment_summary`,
:func:`~playbook.rfm.segment_actions`, :func:`~playbook.rfm.tier_actions`,
:func:`~playbook.rfm.segment_lists` and :func:`playbook.present.charts.rfm.segment_chart`.

Results go to an ``Output`` widget through :func:`render_outputs`, which fills the
widget's ``outputs`` directly (so the content can be checked from Python, without a
browser) and shows bad input as a readable problem list, never a traceback.

Examples
--------
>>> from playbook.apps.rfm import RfmExplorer
>>> app = RfmExplorer("data/sample", lang="en", user="hr.li", hr_users="hr.li")
>>> app.segment_map.value = "domain"
>>> app.show()
True
>>> app.segment.value  # the first segment with customers, in the map's order
'high_value'
>>> app.list_csv()[:3] == b"\xef\xbb\xbf"  # UTF-8 with BOM: Excel shows Chinese
True
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ipywidgets as W
import pandas as pd
from IPython.display import HTML

from playbook import rfm
from playbook.apps import (
    access_html,
    csv_bytes,
    download_html,
    figure_png,
    note_html,
    render_outputs,
    upload_guard,
    upload_limit_mb,
    uploaded_file,
)
from playbook.apps import identity as ident
from playbook.core import paths
from playbook.core.errors import PlaybookError, ValidationError
from playbook.core.labels import check_lang, t
from playbook.data import loading, maps
from playbook.present import html as report
from playbook.present import rfm as present_rfm
from playbook.present.charts import rfm as rfm_plots
from playbook.present.html import escape
from playbook.targets import overview

__all__ = [
    "PREVIEW_COLUMNS",
    "PREVIEW_ROWS",
    "csv_bytes",
    "download_html",
    "figure_png",
    "note_html",
    "render_outputs",
    "RfmExplorer",
    "rfm_app",
]

# columns of the on-page preview of a segment's list (the download holds every column)
PREVIEW_COLUMNS = ["customer_id", "rep_id", "last_order_date", "recency_days", "frequency", "monetary", "tier"]
PREVIEW_ROWS = 10
_UPLOAD_TYPES = ".csv,.tsv,.txt,.xlsx,.parquet"
_WIDE = {"description_width": "initial"}


# --------------------------------------------------------------------------- shared helpers

# csv_bytes, download_html, figure_png, note_html and render_outputs now live in
# playbook.apps (shared by every app); imported above and re-exported here.


def _heading(text: str, level: int = 3) -> HTML:
    return HTML(f"<h{level}>{escape(text)}</h{level}>")


def _para(text: str) -> HTML:
    return HTML(f"<p>{escape(text)}</p>")


def _table(styler: Any) -> HTML:
    return HTML(styler.to_html())


# --------------------------------------------------------------------------- the app

class RfmExplorer:
    """The RFM explorer form: its controls are attributes, :meth:`show` runs it.

    Parameters
    ----------
    data_dir : str or Path
        Data folder used when nothing is uploaded (``orders`` with its
        ``customers`` and ``reps``); the shipped sample by default.
    lang : {"en", "zh"}
        Language of every label.
    user : str
        The logged-in user, from the server (:func:`playbook.apps.identity.prelaunch_hook`),
        never typed. The data folder's customers are shown only for the reps the user may
        see (:func:`playbook.apps.identity.visible_rows` on the customers' ``rep_id``, after
        scoring on every order, so a customer's scores are the ones HR sees); an upload is
        the user's own file and is shown whole. Without identity only an upload is segmented.
    hr_users : str or sequence of str, optional
        The HR logins (default ``$PLAYBOOK_HR_USERS``).

    Attributes
    ----------
    upload, column_map, use_sample, as_of, window_days, tiers, segment_map, button
        The form's controls (the column map applies to an uploaded file).
    out : ipywidgets.Output
        Summary, chart and actions (or the problem list).
    segment, download, preview
        Segment picker, download link and preview (an ``Output``) of the picked segment's list.
    frames : dict of DataFrame
        The frames behind the page after :meth:`show`: ``customers`` (every customer
        with scores, segment and tier) and ``summary`` (per segment).
    widget : ipywidgets.VBox
        The whole form, to display.
    """

    def __init__(self, data_dir: str | Path = "data/sample", *, lang: str = "en", user: str = "",
                 hr_users: str | Sequence[str] | None = None) -> None:
        check_lang(lang)
        self.data_dir = data_dir
        self.lang = lang
        self._user, self._hr = user, hr_users
        self._reps: pd.DataFrame | None = None  # the data folder's reps when it is the source (None: an upload)
        self.access = W.HTML()
        self.upload = W.FileUpload(accept=_UPLOAD_TYPES, multiple=False, description=t("app_rfm.upload", lang),
                                   layout=W.Layout(width="auto"))
        self.column_map = W.Dropdown(options=[(t("app_rfm.map_auto", lang), ""),
                                              *[(name, name) for name in maps.available_maps()]],
                                     value="", description=t("app_rfm.column_map", lang), style=_WIDE)
        self.use_sample = W.Button(description=t("app_rfm.use_sample", lang), layout=W.Layout(width="auto"))
        self.source = W.HTML()
        self.upload_guard = upload_guard(lang)  # a file over the limit is refused in the page, before it is sent
        self.as_of = W.DatePicker(description=t("app.as_of", lang), style=_WIDE)
        self.window_days = W.BoundedIntText(value=365, min=1, max=3650, step=1,
                                            description=t("app_rfm.window_days", lang), style=_WIDE,
                                            layout=W.Layout(width="200px"))
        self.tiers = W.Dropdown(options=[(self._preset_label(name, low, high), name)
                                         for name, (low, high) in rfm.TIER_PRESETS.items()],
                                value="saas", description=t("app_rfm.tiers", lang), style=_WIDE,
                                layout=W.Layout(width="auto"))
        self.segment_map = W.Dropdown(options=[(present_rfm.segment_map_title(name, lang=lang), name)
                                               for name in rfm.SEGMENT_MAPS],
                                      value="default", description=t("app_rfm.segment_map", lang), style=_WIDE,
                                      layout=W.Layout(width="auto"))
        self.button = W.Button(description=t("app.show", lang), button_style="primary")
        self.out = W.Output()
        self.segment = W.Dropdown(description=t("col.segment", lang), style=_WIDE)
        self.download = W.HTML()
        self.preview = W.Output()
        self.lists_box = W.VBox([W.HBox([self.segment, self.download], layout=W.Layout(align_items="center")),
                                 self.preview], layout=W.Layout(display="none"))
        self.frames: dict[str, pd.DataFrame] = {}
        self._lists: dict[str, pd.DataFrame] = {}
        self._list_names: dict[str, str] = {}
        self._smap: Any = None  # the segment map of the lists shown (the dropdown may have changed since)
        self._stamp = ""

        self.upload.observe(self._show_source, names="value")
        self.use_sample.on_click(self._clear_upload)
        self.segment.observe(self._show_list, names="value")
        self.button.on_click(self.show)
        self._show_source()
        self.widget = W.VBox([
            W.HTML(f"<h2>{escape(t('rfm.title', lang))}</h2>"
                   f"<p>{escape(t('app_rfm.intro', lang))}</p>"),
            W.HBox([self.upload, self.column_map, self.use_sample]),
            self.upload_guard,
            self.source,
            self.access,
            W.HBox([self.as_of, self.window_days]),
            W.HBox([self.tiers, self.segment_map]),
            self.button,
            self.out,
            self.lists_box,
        ])

    # -- labels
    def _preset_label(self, name: str, low: float, high: float) -> str:
        key = {"saas": "app_rfm.preset_saas", "case": "app_rfm.preset_case"}.get(name)
        title = t(key, self.lang) if key else name
        return t("app_rfm.preset", self.lang, name=title, low=f"{low:,.0f}", high=f"{high:,.0f}")

    def _source_name(self) -> str:
        return paths.resolve(self.data_dir).name

    # -- events
    def _show_source(self, _: object = None) -> None:
        if self.upload.value:
            text = t("app_rfm.source_upload", self.lang, name=Path(str(self.upload.value[0]["name"])).name)
        else:
            text = t("app_rfm.source_sample", self.lang, name=self._source_name())
            text += " " + t("app.upload_limit", self.lang, mb=upload_limit_mb())
        self.source.value = f'<p class="pb-source"><i>{escape(text)}</i></p>'

    def _clear_upload(self, _: object = None) -> None:
        self.upload.value = ()
        self._show_source()

    # -- data
    def load_orders(self) -> tuple[pd.DataFrame, str]:
        """Return ``(orders, source name)``: the uploaded file, else the data folder's orders.

        An upload is read as an ``orders`` table with the chosen column map (detected
        when empty); every problem in it raises one :class:`ValidationError` naming the
        uploaded file. Orders dated after today are problems; orders after the as-of date
        are simply outside the window.
        """
        path = uploaded_file(self.upload)
        self._reps = None
        if path is None:
            ds = loading.load_inputs(self.data_dir)
            self._reps = ds.reps
            return ds.orders, self._source_name()
        try:
            frame, issues = loading.validate_table(path, "orders", column_map=self.column_map.value or None)
        finally:
            shutil.rmtree(path.parent, ignore_errors=True)
        if len(issues):
            issues = issues.assign(file=path.name)
            raise ValidationError(issues, summary=f"{len(issues)} problem(s) found in {path.name}")
        return frame, path.name

    def results(self) -> list[Any]:
        """Compute the segments and return what the page shows (display objects, in order).

        Also keeps each segment's customer list for :meth:`list_csv` and the picker.
        """
        lang = self.lang
        orders, source = self.load_orders()
        as_of = overview.resolve_as_of(self.as_of.value.isoformat() if self.as_of.value else "", orders)
        smap = rfm.load_segment_map(self.segment_map.value)
        low, high = rfm.tier_thresholds(self.tiers.value)
        segmented = rfm.segment_customers(orders, as_of=as_of, window_days=int(self.window_days.value),
                                          segment_map=smap, tiers=self.tiers.value)
        segmented = self._visible(segmented)
        summary = rfm.segment_summary(segmented, segment_map=smap)
        actions = rfm.segment_actions(segment_map=smap)
        tier_actions = rfm.tier_actions(preset=self.tiers.value)

        self.frames = {"customers": segmented, "summary": summary}
        self._lists = rfm.segment_lists(segmented, segment_map=smap)
        names = present_rfm.segment_labels(smap, lang=lang)
        self._list_names = {key: names[key] for key in self._lists}
        self._smap = smap
        self._stamp = f"{as_of:%Y-%m-%d}"
        return [
            _heading(t("rfm.subtitle", lang, as_of=as_of.date(), window_days=int(self.window_days.value),
                       source=source), 4),
            _para(t("rfm.segment_map", lang, name=present_rfm.segment_map_title(smap, lang=lang), low=f"{low:,.0f}",
                     high=f"{high:,.0f}")),
            _heading(t("rfm.segments", lang)),
            _table(report.style_table(present_rfm.display_labels(summary, segment_map=smap, lang=lang), lang=lang)),
            figure_png(rfm_plots.segment_chart(summary, segment_map=smap, lang=lang).figure),
            _heading(t("rfm.actions", lang)),
            _table(report.style_table(present_rfm.actions_display(actions, segment_map=smap, lang=lang), lang=lang)),
            _heading(t("rfm.tier_actions", lang), 4),
            _table(report.style_table(present_rfm.actions_display(tier_actions, lang=lang), lang=lang)),
            _heading(t("rfm.export", lang)),  # the segment picker and download link follow
        ]

    def _visible(self, segmented: pd.DataFrame) -> pd.DataFrame:
        """Return the customers of the reps the user may see (the data folder), or all of them (an upload)."""
        if self._reps is None:
            self.access.value = ""
            return segmented
        who = ident.viewer(self._user, self._reps, hr=self._hr)
        self.access.value = access_html(who, self.lang)
        if not (who.hr or who.rep_id):
            raise PlaybookError("no rep's customers without a login: upload a file", code="access.upload_only")
        return ident.visible_rows(who, segmented)

    def show(self, _: object = None) -> bool:
        """Run the form: results (or the problem list) in :attr:`out`, then the segment picker."""
        self.frames, self._lists = {}, {}
        ok = render_outputs(self.out, self.results, self.lang)
        options = [(f"{self._list_names[k]} ({len(v)})", k) for k, v in self._lists.items()] if ok else []
        self.segment.options = options
        self.segment.value = options[0][1] if options else None
        self._show_list()
        self.lists_box.layout.display = "flex" if options else "none"
        return ok

    # -- the picked segment's list
    def list_csv(self) -> bytes:
        """Return the picked segment's customer list as CSV (UTF-8 with BOM), all columns."""
        return csv_bytes(self._lists[self.segment.value])

    def _show_list(self, _: object = None) -> None:
        key = self.segment.value
        self.preview.outputs = ()
        if key is None or key not in self._lists:
            self.download.value = ""
            return
        frame = self._lists[key]
        name = self._list_names[key]
        self.download.value = download_html(
            self.list_csv(), f"customers_{key}_{self._stamp}.csv",
            t("app_rfm.download", self.lang, segment=name, n=len(frame)))
        shown = present_rfm.display_labels(frame[PREVIEW_COLUMNS].head(PREVIEW_ROWS), segment_map=self._smap,
                                           lang=self.lang)
        self.preview.append_display_data(_para(t("app_rfm.preview", self.lang, n=len(shown), total=len(frame))))
        self.preview.append_display_data(_table(report.style_table(shown, lang=self.lang)))


def rfm_app(data_dir: str | Path = "data/sample", *, lang: str = "en", user: str = "") -> W.Widget:
    """Return the RFM explorer form (see :class:`RfmExplorer`), ready to display in Voila.

    ``user`` comes from the server (:func:`playbook.apps.identity.prelaunch_hook`), never from the page.
    """
    return RfmExplorer(data_dir, lang=lang, user=user).widget
