"""The IDP form's downloads: the plan page (HTML, PDF) and the rep's report.

The PDF and the report are built by a child process (:mod:`playbook.apps.idp_render`):
the form's kernel does not import the report pipeline, so the form starts fast.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from playbook.apps import download_html
from playbook.apps import identity as ident
from playbook.apps.idp_parts import _box, _failure, plan_page_html
from playbook.core import paths
from playbook.core.errors import PlaybookError
from playbook.core.labels import t

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
        The PDF and the report are built by a child process (:mod:`playbook.apps.idp_render`).
        """
        if self.base is None:
            raise PlaybookError(t("app_idp.pick_first", self.lang))
        plan = self.saved if self.saved is not None else self.current_plan()
        if not ident.may_see(self.roles, plan.rep_id):  # the same rule as the picker's
            raise PlaybookError(t("app_idp.not_visible", self.lang, user=self.identity.user, rep=plan.rep_id)
                                if self.identity.user else t("app_idp.no_identity", self.lang))
        history = self.store().history(self.plan_id) if self.plan_id is not None else None
        page = plan_page_html(plan, lang=self.lang, status=self.status or "", version=self.version,
                              history=history)
        return self._render(plan.rep_id, page)

    def _render(self, rep_id: str, page: str) -> list[tuple[str, str, bytes, str]]:
        folder = Path(tempfile.mkdtemp(prefix="playbook_idp_form_"))
        lang = self.lang
        try:
            suffix = f"_v{self.version}" if self.version else ""
            html_path = folder / f"{paths.safe_filename(f'idp_plan_{rep_id}_{lang}{suffix}')}.html"
            html_path.write_text(page, encoding="utf-8")
            docs = [("app_idp.link.plan_html", html_path.name, html_path.read_bytes(), _HTML_MIME)]
            if self._report_dir is None:
                self._report_dir = Path(tempfile.mkdtemp(prefix="playbook_idp_reports_"))
            answer = folder / "documents.json"
            request = {"page": str(html_path), "rep_id": rep_id, "lang": lang, "answer": str(answer),
                       "data_dir": str(paths.resolve(self.data_dir)), "report_dir": str(self._report_dir),
                       "from_store": self.plan_id is not None, "store_url": self.store_url or ""}
            child = subprocess.run([sys.executable, "-m", "playbook.apps.idp_render"], input=json.dumps(request),
                                   capture_output=True, text=True, encoding="utf-8", check=False)
            if child.returncode != 0 or not answer.exists():
                lines = child.stderr.strip().splitlines()
                text = lines[-1] if lines else f"playbook.apps.idp_render exited {child.returncode}"
                raise PlaybookError(text, code="idp.render_failed", params={"text": text})
            for doc in json.loads(answer.read_text(encoding="utf-8")):
                if "error" in doc:
                    docs.append((doc["key"], "", doc["error"].encode("utf-8"), ""))
                else:
                    path = Path(doc["path"])
                    docs.append((doc["key"], path.name, path.read_bytes(), doc["mime"]))
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
