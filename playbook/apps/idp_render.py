"""The IDP form's printed documents, built in a child process: the plan page's PDF and the rep's report.

The form (:mod:`playbook.apps.idp_download`) runs this module as ``python -m
playbook.apps.idp_render``, so that the form's kernel never imports the report pipeline
(papermill, nbconvert, the notebook machinery) nor the PDF printer: the form starts as
fast as the simplest app, and only a download pays for them. The child also keeps
chromium and the report's kernel out of the form's kernel.

The request is JSON on stdin; the answer is a JSON file (``request["answer"]``): a list of
documents, each ``{"key": label key, "path": file, "mime": type}``, or ``{"key":
"app_idp.report_failed", "error": message}`` when the rep's report could not be rendered.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from playbook.core import extras
from playbook.core.errors import PlaybookError
from playbook.pipeline import batch as render
from playbook.pipeline.idp_batch import render_idps
from playbook.present.messages import message

__all__ = ["build_documents", "main"]

_HTML_MIME = "text/html"
_PDF_MIME = "application/pdf"


def build_documents(request: dict[str, Any]) -> list[dict[str, str]]:
    """Print the plan page ``request["page"]`` to PDF and render the rep's report; return the documents.

    ``request`` holds ``page`` (the plan page's HTML file), ``rep_id``, ``lang``,
    ``data_dir``, ``report_dir`` (reports and their snapshot, kept for the form's life),
    ``from_store`` and ``store_url``. Without chromium or the [pdf] extra there is no PDF.
    """
    chromium = (shutil.which("chromium") or shutil.which("chromium-browser")) if extras.has("pdf") else None
    docs = [{"key": "app_idp.link.plan_pdf", "path": str(pdf), "mime": _PDF_MIME}
            for pdf in (render.html_to_pdf([Path(request["page"])]) if chromium else [])]
    try:
        # the report shows the stored plan (what was saved and agreed), else the draft; the
        # snapshot is computed once per form, a report rendered again only when its plan changed
        batch = render_idps(request["data_dir"], request["report_dir"], reps=[request["rep_id"]],
                            lang=request["lang"], pdf=bool(chromium), progress=False, workers=1,
                            from_store=bool(request["from_store"]), store_url=request["store_url"] or None)
    except PlaybookError as exc:
        return [*docs, {"key": "app_idp.report_failed", "error": message(exc, request["lang"])}]
    for res in batch.results:
        if res.status == "failed" or not res.html:
            docs.append({"key": "app_idp.report_failed", "error": str(res.error or "")})
            continue
        docs.append({"key": "app_idp.link.report_html", "path": str(res.html), "mime": _HTML_MIME})
        if res.pdf:  # only a PDF the batch printed from this HTML and checked
            docs.append({"key": "app_idp.link.report_pdf", "path": str(res.pdf), "mime": _PDF_MIME})
    return docs


def main() -> int:
    """Read the request on stdin, write the documents to its answer file; a failure is one line on stderr."""
    request = json.load(sys.stdin)
    try:
        docs = build_documents(request)
    except PlaybookError as exc:
        print(message(exc, request.get("lang", "en")), file=sys.stderr)  # one line, in the form's language
        return 1
    Path(request["answer"]).write_text(json.dumps(docs), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
