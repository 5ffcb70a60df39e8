"""The team overview renders to one standalone HTML page that a browser shows well."""

import re
import shutil

import pytest

from playbook.core import paths
from playbook.core.labels import t
from playbook.pipeline.notebooks import render_notebook

CHROMIUM = shutil.which("chromium")


@pytest.fixture(scope="module", params=["en", "zh"])
def overview_html(request, tmp_path_factory):
    lang = request.param
    out = tmp_path_factory.mktemp(f"report_{lang}") / f"team_overview_{lang}.html"
    render_notebook(paths.NOTEBOOKS_DIR / "00_team_overview.ipynb", out,
                    {"data_dir": str(paths.SAMPLE_DIR), "lang": lang},
                    title=t("overview.title", lang), lang=lang)
    return lang, out


@pytest.mark.slow
def test_html_is_standalone_without_code(overview_html):
    lang, out = overview_html
    html = out.read_text(encoding="utf-8")
    assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in html
    assert t("overview.title", lang) in html and t("overview.by_rep", lang) in html
    assert html.count("<table") >= 2  # teams and reps
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', html)) == 2  # two charts
    assert "import playbook" not in html and "validate_dataset" not in html  # no code shown
    assert "@media print" in html
    # self-contained: nothing loaded from the internet (no CDN script, style, font or image)
    assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)="(https?:)?//', html)
    assert "cdnjs" not in html and "unpkg" not in html and "mathjax" not in html.lower()
    assert out.with_suffix(".ipynb").exists()  # executed notebook kept for audit


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium not installed (make setup)")
def test_page_opens_in_a_real_browser(overview_html, tmp_path):
    from playwright.sync_api import sync_playwright

    lang, out = overview_html
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(out.as_uri())
        # every chart image decoded and shown with a real size
        sizes = page.eval_on_selector_all("img", "els => els.map(e => [e.naturalWidth, e.clientWidth])")
        assert len(sizes) == 2 and all(w > 300 and cw > 300 for w, cw in sizes)
        rows = page.locator("table tbody tr").count()
        assert rows >= 24 + 3  # every rep of the sample, and the teams
        assert page.get_by_role("heading", name=t("overview.title", lang), exact=True).is_visible()
        shots = paths.REPORTS_DIR / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"team_overview_{lang}.png"), full_page=True)
        pdf = tmp_path / "overview.pdf"
        page.pdf(path=str(pdf), format="A4")
        assert pdf.read_bytes()[:5] == b"%PDF-"
        browser.close()
