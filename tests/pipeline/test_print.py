"""The printed IDP, read back with `pdftotext -layout` as a manager reads the paper, in both languages.

A 4-item plan fits on two A4 pages: the plan first (header, every column of the plan
table), the evidence after; money never breaks across lines; a stored plan says which
version it is and its status. R004 has the fullest first page of the sample (4 items, the
longest reasons and measures), shown as his stored plan agreed by him; R001 is a data draft.
"""

import html
import re
import shutil
import subprocess

import pytest

from playbook.core import paths
from playbook.core.labels import t
from playbook.pipeline.idp_batch import render_idps

pytestmark = pytest.mark.slow

REPS = ("R004", "R001")
MAX_PAGES = 2  # every rep of the sample prints on two pages, in both languages
PLAN_COLUMNS = ("item", "why", "current", "target", "measures", "resources", "review")
MONEY = re.compile(r"-?\d[\d,]*(?:\.\d+)?[ \xa0](?:万元|CNY)")  # a space or a no-break space


def _pdftotext(pdf, *pages: int) -> str:
    first_last = ["-f", str(pages[0]), "-l", str(pages[-1])] if pages else []
    return subprocess.run(["pdftotext", "-layout", *first_last, str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout


def _pages(pdf) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, flags=re.M).group(1))


def _plan_rows(page: str) -> list[list[str]]:
    """The plan table's rows from a report's HTML: each cell's text lines, unescaped."""
    body = re.search(r'<table class="idp-plan".*?<tbody>(.*?)</tbody>', page, flags=re.S).group(1)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body)]
    return [[[html.unescape(x) for x in re.split(r"<br\s*/?>", cell)] for cell in row] for row in cells]


def _visible(page: str) -> str:
    page = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.fixture(scope="module", params=["en", "zh"])
def printed(request, tmp_path_factory):
    """The two reports printed once per language: {rep: (html, pdf)}; R004 from the store, agreed by him."""
    from playbook import idp
    from playbook.pipeline.batch import read_slice
    from playbook.pipeline.idp_batch import build_snapshot
    from playbook.pipeline.store import Store
    from playbook.present import idp as present_idp

    if shutil.which("pdftotext") is None or shutil.which("chromium") is None:
        pytest.skip("pdftotext (poppler-utils) or chromium not installed")
    lang = request.param
    tmp = tmp_path_factory.mktemp(f"print_{lang}")
    out, url = tmp / "out", f"sqlite:///{tmp / 'idp.sqlite'}"
    snap, _ = build_snapshot(paths.SAMPLE_DIR, out)
    plan = present_idp.word_plan(idp.draft_plan(read_slice(snap, "evidence", "R004"), "R004"), lang)
    with Store(url) as store:
        stored = store.create_plan(plan, author="那振宇")
        agreed = store.sign(stored.plan_id, "agreed_by_rep", author="董文斌")
    batch = render_idps(paths.SAMPLE_DIR, out, reps=list(REPS), lang=lang, workers=1, progress=False,
                        from_store=True, store_url=url)
    assert batch.counts()["failed"] == 0
    reports = {rep: ((out / f"idp_{rep}_{lang}.html").read_text(encoding="utf-8"), out / f"idp_{rep}_{lang}.pdf")
               for rep in REPS}
    assert all(pdf.exists() for _, pdf in reports.values())
    return lang, reports, (stored.plan_id, agreed.version)


def test_plan_first_evidence_after_within_two_pages(printed):
    lang, reports, _ = printed
    for rep, (page, pdf) in reports.items():
        assert _pages(pdf) <= MAX_PAGES, rep
        first, second = _pdftotext(pdf, 1), _pdftotext(pdf, 2)
        assert t("idp.section.plan_items", lang) in first, rep
        assert t("idp.section.performance", lang) in second and t("idp.section.evidence", lang) in second, rep
        assert len(_plan_rows(page)) == 4, rep  # the sample's plans: 4 items, the most a plan has


def test_every_column_of_the_plan_table_is_on_the_page(printed):
    lang, reports, _ = printed
    heads = [t(f"idp.table.{k}", lang) for k in PLAN_COLUMNS]
    for rep, (page, pdf) in reports.items():
        first, rows = _pdftotext(pdf, 1), _plan_rows(page)
        # the header band: from the section's heading to the first item's row
        start = first.index("\n", first.index(t("idp.section.plan_items", lang)))
        band = first[start:first.index(rows[0][0][0].split()[0], start)]
        if lang == "zh":  # each header on one line: 目前水平 is not broken one character a line
            assert [h for h in heads if h not in band] == [], rep
        else:  # headers wrap between words, never inside one
            assert {w for h in heads for w in h.split()} <= set(band.split()), rep
        months = [row[-1][0] for row in rows]
        assert all(re.fullmatch(r"\d{4}-\d{2}", m) for m in months)
        assert sum(first.count(m) for m in set(months)) >= len(months), rep  # the last column, Review
        words = set(re.findall(r"[A-Za-z']+", first))  # no resource cut at the right edge
        assert {w for row in rows for line in row[5] for w in re.findall(r"[A-Za-z']+", line)} <= words, rep


def test_money_never_breaks_across_lines(printed):
    _, reports, _ = printed
    for rep, (page, pdf) in reports.items():
        amounts = {a.replace("\xa0", " ") for a in MONEY.findall(_visible(page))}  # pdftotext: NBSP -> space
        assert len(amounts) >= 2, rep  # quota and sales at least (R001 has too few peers to show theirs)
        lines = {re.sub(r"[ \xa0]+", " ", line) for line in _pdftotext(pdf).splitlines()}
        assert [a for a in amounts if not any(a in line for line in lines)] == [], rep


def test_the_header_says_which_plan_it_is(printed):
    lang, reports, (plan_id, version) = printed
    stored, draft = reports["R004"][0], reports["R001"][0]
    header = re.search(r'<table class="idp-header">.*?</table>', stored, flags=re.S).group(0)
    assert t("render.stored_plan", lang, plan=plan_id, version=version,
             status=t("idp.status.agreed_by_rep", lang)) in _visible(header)
    assert t("idp.state.data_draft", lang) in _visible(re.search(r'<table class="idp-header">.*?</table>', draft,
                                                                 flags=re.S).group(0))
    for page in (stored, draft):  # no "Draft plan" above an agreed plan
        assert t("idp.section.plan", lang) not in _visible(page)
