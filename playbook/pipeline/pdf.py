"""Printing HTML reports to A4 PDF with a headless chromium (Playwright), written atomically.

Playwright is imported in ONE place, :func:`playwright`: without the package (the
``[pdf]`` extra) it raises :class:`PdfUnavailable`, whose message says what to
install. A :class:`Printer` keeps one browser open and prints page after page (a
batch worker keeps one for all its reports); every PDF goes to a temporary name,
is checked (:func:`valid_pdf`) and only then moved into place.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from pathlib import Path
from typing import Any

from playbook.core import extras
from playbook.core.errors import PlaybookError

__all__ = ["PdfUnavailable", "Printer", "chromium", "playwright", "print_pdf", "valid_pdf"]

CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run")


class PdfUnavailable(PlaybookError):
    """PDFs cannot be printed here: Playwright (the ``[pdf]`` extra) or chromium is missing."""


def chromium(exe: str | None = None) -> str | None:
    """Return the chromium to print with: ``exe``, else the one on the PATH, else None."""
    return exe or shutil.which("chromium") or shutil.which("chromium-browser")


def playwright() -> Any:
    """Return Playwright's ``sync_playwright``; :class:`PdfUnavailable` when it is not installed."""
    try:
        from playwright.sync_api import sync_playwright  # optional dependency: the [pdf] extra
    except ImportError:
        raise PdfUnavailable(extras.message("pdf", "en")) from None
    return sync_playwright


class Printer:
    """One headless chromium, started on first use and reused for every page until :meth:`close`.

    Raises :class:`PdfUnavailable` on first use when Playwright or chromium is missing.
    """

    def __init__(self, exe: str | None = None) -> None:
        self.exe = exe
        self._driver: Any = None
        self._browser: Any = None
        self._page: Any = None

    def browser(self) -> Any:
        """Return the running browser, starting it (again) when needed."""
        if self._browser is not None and self._browser.is_connected():
            return self._browser
        self.close()
        exe = chromium(self.exe)
        if exe is None:
            raise PdfUnavailable("PDFs need chromium: apt-get install chromium (Debian) or your system's package.")
        self._driver = playwright()().start()
        self._browser = self._driver.chromium.launch(executable_path=exe, headless=True, args=list(CHROMIUM_ARGS))
        return self._browser

    def print(self, html: str | Path, pdf: str | Path | None = None) -> Path:
        """Print ``html`` to ``pdf`` (default: beside it) atomically; see :func:`print_pdf`."""
        browser = self.browser()
        if self._page is None or self._page.is_closed():
            self._page = browser.new_page()  # one tab for every page: each print loads a new document in it
        try:
            return print_pdf(browser, html, pdf, page=self._page)
        except Exception:
            with contextlib.suppress(Exception):
                self._page.close()
            self._page = None  # a tab in an unknown state is not reused
            raise

    def close(self) -> None:
        """Close the browser and its driver (nothing when none runs)."""
        browser, driver, self._browser, self._driver, self._page = self._browser, self._driver, None, None, None
        with contextlib.suppress(Exception):
            browser is not None and browser.close()
        with contextlib.suppress(Exception):
            driver is not None and driver.stop()

    def __enter__(self) -> Printer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def print_pdf(browser: Any, html: str | Path, pdf: str | Path | None = None, *, page: Any = None) -> Path:
    """Print ``html`` to an A4 PDF: a temporary name, checked with :func:`valid_pdf`, moved into place.

    ``page`` is a tab to print in (kept open); by default a new tab, closed after.
    """
    html = Path(html)
    pdf = Path(pdf) if pdf else html.with_suffix(".pdf")
    tmp = pdf.with_name(pdf.name + ".part")
    own = page is None
    page = browser.new_page() if own else page
    try:
        page.goto(html.resolve().as_uri())
        page.pdf(path=str(tmp), format="A4", print_background=True)
        if not valid_pdf(tmp):
            raise PlaybookError(f"{pdf.name}: chromium wrote an incomplete PDF; run the batch again.")
        os.replace(tmp, pdf)
    finally:
        if own:
            page.close()
        tmp.unlink(missing_ok=True)
    return pdf


def valid_pdf(path: str | Path) -> bool:
    r"""Return True when ``path`` looks like a complete PDF with at least one page.

    A structural check, not a parser: the file starts with ``%PDF-``, ends with
    ``%%EOF`` and has a page object. An empty, truncated or half-written file fails.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "a.pdf"
    >>> good = b"%PDF-1.4\n1 0 obj <</Type /Page>> endobj\ntrailer\n%%EOF\n"
    >>> _ = f.write_bytes(good); valid_pdf(f)
    True
    >>> _ = f.write_bytes(good[:30]); valid_pdf(f)  # truncated
    False
    >>> _ = f.write_bytes(b""); valid_pdf(f), valid_pdf(f.with_name("missing.pdf"))
    (False, False)
    """
    try:
        data = Path(path).read_bytes()
    except OSError:
        return False
    return (data.startswith(b"%PDF-") and data[-1024:].rstrip().endswith(b"%%EOF")
            and re.search(rb"/Type\s*/Page(?![A-Za-z])", data) is not None)
