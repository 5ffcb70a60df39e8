"""The IDP form's downloads: the plan page (HTML, PDF) and the rep's report, built in a worker thread."""

from __future__ import annotations

import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from playbook.apps import download_html
from playbook.apps.idp_parts import _box, _failure, plan_page_html
from playbook.core import paths
from playbook.core.errors import PlaybookError
from playbook.core.labels import t
from playbook.pipeline import batch as render
from playbook.pipeline.idp_batch import render_idps

__all__ = ["Downloads"]

_HTML_MIME = "text/html"
_PDF_MIME = "application/pdf"


class Downloads:
    """The download part of :class:`playbook.apps.idp.IdpForm` (a mixin: it uses the form's state)."""

    # ----------------------------------------------------------------- download
    def documents(self) -> list[tuple[str, str, bytes, str]]:
        """Return the documents of the download: ``(label key, file name, bytes, MIME)`` each.

        The plan page (HTML, and PDF when chromium is installed) shows the saved version
        (the form's content when not saved yet); the report is
        :func:`playbook.pipeline.idp_batch.render_idps` for this rep (its latest stored plan with the
        evidence, or the data's draft when nothing is stored), in a temporary folder.
        Runs in a worker thread (the PDF printer cannot run inside the kernel's event loop).
        """
        if self.base is None:
            raise PlaybookError(t("app_idp.pick_first", self.lang))
        plan = self.saved if self.saved is not None else self.current_plan()
        history = self.store().history(self.plan_id) if self.plan_id is not None else None
        page = plan_page_html(plan, lang=self.lang, status=self.status or "", version=self.version,
                              history=history)
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(self._render, plan.rep_id, page).result()

    def _render(self, rep_id: str, page: str) -> list[tuple[str, str, bytes, str]]:
        folder = Path(tempfile.mkdtemp(prefix="playbook_idp_form_"))
        lang = self.lang
        try:
            suffix = f"_v{self.version}" if self.version else ""
            html_path = folder / f"{paths.safe_filename(f'idp_plan_{rep_id}_{lang}{suffix}')}.html"
            html_path.write_text(page, encoding="utf-8")
            docs = [("app_idp.link.plan_html", html_path.name, html_path.read_bytes(), _HTML_MIME)]
            chromium = shutil.which("chromium") or shutil.which("chromium-browser")
            for pdf in render.html_to_pdf([html_path]) if chromium else []:
                docs.append(("app_idp.link.plan_pdf", pdf.name, pdf.read_bytes(), _PDF_MIME))
            try:
                # the report shows the stored plan (what was saved and agreed), else the draft
                # the snapshot (evidence of all reps) is computed once per form, and a report is
                # rendered again only when its stored plan changed
                if self._report_dir is None:
                    self._report_dir = Path(tempfile.mkdtemp(prefix="playbook_idp_reports_"))
                batch = render_idps(paths.resolve(self.data_dir), self._report_dir, reps=[rep_id], lang=lang,
                                    pdf=bool(chromium), progress=False, workers=1,
                                    from_store=self.plan_id is not None, store_url=self.store_url or None)
            except PlaybookError as exc:
                docs.append(("app_idp.report_failed", "", str(exc).encode("utf-8"), ""))
                return docs
            for res in batch.results:
                if res.status == "failed" or not res.html:
                    docs.append(("app_idp.report_failed", "", str(res.error or "").encode("utf-8"), ""))
                    continue
                report = Path(res.html)
                docs.append(("app_idp.link.report_html", report.name, report.read_bytes(), _HTML_MIME))
                if res.pdf:  # only a PDF the batch printed from this HTML and checked
                    pdf = Path(res.pdf)
                    docs.append(("app_idp.link.report_pdf", pdf.name, pdf.read_bytes(), _PDF_MIME))
            return docs
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def prepare_download(self, _: object = None) -> bool:
        """Build the documents and show one download link each; return True when the plan page is ready."""
        lang = self.lang
        self.download_button.disabled = True
        self.download.value = _box(t("app_idp.preparing", lang), "info")
        try:
            docs = self.documents()
        except Exception as exc:  # noqa: BLE001 - a form shows every failure
            self.download.value = _failure(exc, lang)
            return False
        finally:
            self.download_button.disabled = False
        note = (t("app_idp.download_note", lang, version=self.version, status=t(f"idp.status.{self.status}", lang))
                if self.saved is not None else t("app_idp.download_draft_note", lang))
        parts, links = [_box(note, "info")], []
        for key, name, data, mime in docs:
            if key == "app_idp.report_failed":
                parts.append(_box(t(key, lang, reason=data.decode("utf-8")), "warn"))
            else:
                links.append(download_html(data, name, t(key, lang), mime=mime))
        parts.insert(1, f'<p style="display:flex;flex-wrap:wrap;gap:8px">{"".join(links)}</p>')
        if not any(mime == _PDF_MIME for *_, mime in docs):
            parts.append(_box(t("app_idp.no_pdf", lang), "info"))
        self.download.value = "".join(parts)
        return True
