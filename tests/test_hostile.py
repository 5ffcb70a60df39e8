"""Hostile data is harmless everywhere: escaped in HTML, neutralised in spreadsheets, never a path.

The sample company gets markup, formula and path strings planted in its names, teams,
regions, channels, product lines and lost reasons; two reps and two customers get
hostile ids. Every CLI command that writes output runs on it in both languages (as a
real ``python -m playbook`` process), the analysis notebooks are rendered with
:func:`playbook.pipeline.notebooks.render_notebook`, and the IDP store holds a plan
typed with hostile text. The outputs are rendered once per module and then checked:

- HTML, parsed with ``html.parser``: no ``on*`` attribute, no element made from the
  hostile strings, no script, no URL to another origin; each page carries the
  Content-Security-Policy (:data:`playbook.pipeline.notebooks.REPORT_CSP`);
- XLSX: no formula cell, hostile text starting with ``=+-@`` stored with a leading ``'``;
- CSV: no field starting with ``=+-@`` unless it is a number;
- files: each command wrote inside its own output folder, nothing anywhere else.
"""

import csv
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import openpyxl
import pandas as pd
import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from playbook.core import paths
from playbook.data.sample import generate, write_tables
from playbook.idp import Plan
from playbook.pipeline.batch import JobResult, write_index
from playbook.pipeline.notebooks import REPORT_CSP, notebook_to_html
from playbook.pipeline.store import Store
from playbook.present.html import heading

MARKUP = ("<img src=x onerror=alert(1)>", "<script>alert(1)</script>", '"><svg onload=alert(1)>')
FORMULA = ('=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)")
TRAVERSAL = ("../x", "..\\y")
HOSTILE = MARKUP + FORMULA + TRAVERSAL
REP_IDS = {"R002": FORMULA[0], "R003": "../evil", "R005": MARKUP[2]}
CUSTOMER_IDS = {"C00001": FORMULA[0], "C00002": TRAVERSAL[0], "C00003": MARKUP[0]}
LANGS = ("en", "zh")
IDP_REPS = {"en": f"{REP_IDS['R003']},{REP_IDS['R005']},R004", "zh": REP_IDS["R003"]}
"""Reps of ``idp render --reps``: a comma-separated list, so the ``=HYPERLINK(..,..)`` rep is in notebook 04."""
NOTEBOOKS = {"en": ("01", "02", "04"), "zh": ("01", "02", "04")}  # 00, 03, 05: the CLI renders them
"""Analysis notebooks rendered per language (01 and 02 in one each: their text from data is the same)."""
FORMULA_START = ("=", "+", "-", "@")


def hostile_tables() -> dict[str, pd.DataFrame]:
    """The sample company with hostile text in every free-text column and a few hostile ids."""
    tables = generate()
    reps = tables["reps"]
    reps["name"] = [HOSTILE[i] if i < len(HOSTILE) else f"{HOSTILE[i % len(HOSTILE)]} {i}"
                    for i in range(len(reps))]
    reps["team"] = reps["team"].map({"华东一组": MARKUP[1], "华北一组": FORMULA[0], "华南一组": TRAVERSAL[0]})
    reps["region"] = reps["region"].map({"华东": FORMULA[3], "华北": MARKUP[2], "华南": TRAVERSAL[1]})
    for frame in tables.values():
        for column in ("rep_id", "owner_rep_id", "manager_id"):
            if column in frame:
                frame[column] = frame[column].replace(REP_IDS)
        if "customer_id" in frame:
            frame["customer_id"] = frame["customer_id"].replace(CUSTOMER_IDS)
        if "channel" in frame:
            frame["channel"] = frame["channel"].replace({"referral": MARKUP[2], "trade_show": FORMULA[1]})
    customers = tables["customers"]
    customers.loc[customers.index[:len(HOSTILE)], "name"] = HOSTILE
    customers["industry"] = customers["industry"].replace({customers["industry"].iloc[0]: MARKUP[0]})
    orders = tables["orders"]
    orders["product_line"] = orders["product_line"].replace({"培训服务": MARKUP[0], "实施服务": FORMULA[2]})
    opps = tables["opportunities"]
    opps["lost_reason"] = opps["lost_reason"].replace({"价格": FORMULA[2], "竞品": MARKUP[1]})
    return tables


def hostile_plan() -> Plan:
    """A stored IDP of rep ``../evil`` with hostile text typed into every free field."""
    items = pd.DataFrame({
        "competency": ["negotiation", MARKUP[2]], "why": [MARKUP[1], FORMULA[0]],
        "current_level": [2, 3], "target_level": [4, 4],
        "measures": [f"{FORMULA[3]}\n{MARKUP[2]}", TRAVERSAL[1]], "resources": [FORMULA[1], MARKUP[0]],
        "review_date": pd.to_datetime(["2026-03-01", "2026-06-01"]),
    })
    return Plan(REP_IDS["R003"], rep_name=MARKUP[2], position=FORMULA[2], department=MARKUP[1],
                supervisor_name=FORMULA[0], plan_date=pd.Timestamp("2025-09-30"),
                strengths=(MARKUP[0], FORMULA[3]), summary=MARKUP[1], items=items)


@dataclass
class Rendered:
    """The hostile data folder and everything the kit wrote from it."""

    root: Path
    data: Path
    out: Path
    cwd: Path
    runs: list[tuple[str, subprocess.CompletedProcess]]
    inputs: dict[str, bytes]


_RENDER = (
    "import json, sys; from playbook.pipeline.notebooks import render_notebook; "
    "a = json.loads(sys.argv[1]); render_notebook(a['nb'], a['out'], a['params'], title=a['title'], lang=a['lang'])"
)


def _jobs(data: Path, out: Path, store_url: str) -> list[tuple[str, list[str]]]:
    """(output folder name, argv) of every command run on the hostile data."""
    jobs = []
    cli = [sys.executable, "-m", "playbook"]
    for lang in LANGS:
        o = out / lang
        d = ["--data", str(data), "--lang", lang]
        jobs += [
            (f"{lang}/overview", cli + ["overview", *d, "--out", str(o / "overview")]),
            (f"{lang}/funnel", cli + ["funnel", *d, "--out", str(o / "funnel")]),
            (f"{lang}/incentives", cli + ["incentives", *d, "--out", str(o / "incentives")]),
            (f"{lang}/statements", cli + ["statements", *d, "--period", "2024", "--out", str(o / "statements")]),
            (f"{lang}/rfm_xlsx", cli + ["rfm", *d, "--export", str(o / "rfm_xlsx" / "segments.xlsx")]),
            (f"{lang}/rfm_csv", cli + ["rfm", *d, "--export", str(o / "rfm_csv")]),
            (f"{lang}/quotas", cli + ["quotas", *d, "--plan-year", "2025", "--growth", "0.3",
                                      "--out", str(o / "quotas" / "quotas.xlsx")]),
            (f"{lang}/idp", cli + ["idp", "render", *d, "--out", str(o / "idp"), "--no-pdf", "--workers", "1",
                                   "--reps", IDP_REPS[lang], "--from-store", "--store", store_url]),
            (f"{lang}/idp_export", cli + ["idp", "export", "--store", store_url,
                                          "--out", str(o / "idp_export" / "plans.xlsx")]),
        ]
        notebooks = [
            ("01_target_decomposition", {"excel_out": str(o / "nb01" / "quotas.xlsx")}),
            ("02_rfm_segmentation", {"export_path": str(o / "nb02" / "segments.xlsx")}),
            ("04_idp", {"rep_id": REP_IDS["R003" if lang == "en" else "R002"],
                        "strengths": f"{MARKUP[1]}; {FORMULA[0]}"}),
        ]
        for name, params in (n for n in notebooks if n[0][:2] in NOTEBOOKS[lang]):
            folder = f"nb{name[:2]}"
            args = {"nb": str(paths.NOTEBOOKS_DIR / f"{name}.ipynb"), "out": str(o / folder / f"{name}.html"),
                    "params": {"data_dir": str(data), "lang": lang, **params}, "title": MARKUP[0], "lang": lang}
            jobs.append((f"{lang}/{folder}", [sys.executable, "-c", _RENDER, json.dumps(args)]))
    return jobs


RENDERED = pytest.mark.xdist_group(name="hostile_rendered")
"""Every test of :func:`rendered` on one xdist worker: the fixture is module-scoped *per worker*, and
``--dist loadgroup`` would otherwise send these tests to both workers and render everything twice."""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Rendered:
    """Every output of the kit on the hostile company, rendered once (two processes at a time)."""
    root = tmp_path_factory.mktemp("hostile")
    data, out, cwd = root / "data", root / "out", root / "cwd"
    write_tables(hostile_tables(), data)
    cwd.mkdir()
    store_dir = root / "store"
    store_dir.mkdir()
    store_url = f"sqlite:///{store_dir / 'idp.sqlite'}"
    with Store(store_url) as store:
        store.create_plan(hostile_plan(), author=FORMULA[0], note=MARKUP[1])
    inputs = {p.name: p.read_bytes() for p in data.iterdir()}
    env = {**os.environ, "PYTHONPATH": str(paths.ROOT), "PLAYBOOK_STORE_URL": store_url}

    def run(job):
        name, argv = job
        return name, subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)

    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(run, _jobs(data, out, store_url)))
    return Rendered(root, data, out, cwd, runs, inputs)


@pytest.mark.slow
@RENDERED
def test_every_command_succeeds(rendered):
    failed = {name: res.stderr[-2000:] for name, res in rendered.runs if res.returncode != 0}
    assert failed == {}


class _Page(HTMLParser):
    """Collects what would be live in a browser: event handlers, scripts, hostile elements, external URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.live: list[tuple] = []
        self.csp: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.live.append((tag, name, value))
            if name in ("src", "href", "action", "formaction", "xlink:href", "srcset") and value:
                if value.strip().lower().startswith(("http:", "https:", "//", "javascript:")):
                    self.live.append((tag, name, value))
        if tag == "script" or (tag == "img" and values.get("src") == "x") or tag in ("svg", "iframe", "object"):
            self.live.append((tag, attrs))
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "content-security-policy":
            self.csp.append(values.get("content", ""))


def _parse(text: str) -> _Page:
    parser = _Page()
    parser.feed(text)
    return parser


@pytest.mark.parametrize("name", HOSTILE)
def test_a_heading_shows_a_hostile_name_as_text(name):
    html = markdown2html_mistune(heading("idp.subtitle", "en", level=4, name=name, as_of="2025-09-30",
                                         source="[y](javascript:alert(1))").data)
    page = _parse(html)
    assert page.live == [] and "<a href=\"javascript" not in html
    assert _text(html).startswith(f"{name} · as of 2025-09-30 · data: [y](javascript:alert(1))")


def _text(html: str) -> str:
    chunks = []
    parser = HTMLParser(convert_charrefs=True)
    parser.handle_data = chunks.append
    parser.feed(html)
    return "".join(chunks)


def test_a_standalone_page_carries_the_csp_and_its_title_once_escaped():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Report")])
    html = notebook_to_html(nb, title=f"IDP · {MARKUP[2]}", lang="zh")
    page = _parse(html)
    assert page.csp == [REPORT_CSP] and page.live == []
    assert "<title>IDP · \"&gt;&lt;svg onload=alert(1)&gt;</title>" in html
    assert html.index("Content-Security-Policy") < html.index("<style")  # before anything is loaded


def test_the_index_page_carries_the_csp_and_escapes_the_reps(tmp_path):
    people = pd.DataFrame({"rep_id": list(REP_IDS.values()), "name": MARKUP, "team": FORMULA[:3]})
    results = [JobResult(r, "failed", None, f"{MARKUP[0]} failed") for r in people["rep_id"]]
    html = write_index(results, people, tmp_path, title=MARKUP[1]).read_text(encoding="utf-8")
    page = _parse(html)
    assert page.csp == [REPORT_CSP] and page.live == []
    assert MARKUP[2] in _text(html) and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def _html_files(rendered):
    return sorted(rendered.out.rglob("*.html"))


@pytest.mark.slow
@RENDERED
def test_html_is_inert(rendered):
    pages = _html_files(rendered)
    assert len(pages) == 2 * (3 + 3 + 1) + 3 + 1  # overview, funnel, incentives; 3 notebooks; IDPs + index
    live = {}
    for page in pages:
        parser = _Page()
        parser.feed(page.read_text(encoding="utf-8"))
        if parser.live:
            live[str(page.relative_to(rendered.out))] = parser.live[:3]
    assert live == {}


@pytest.mark.slow
@RENDERED
def test_html_shows_the_hostile_text_as_text(rendered):
    """Not vacuous: the hostile names are in the pages, escaped, and read back as the same text."""
    overview = (rendered.out / "en" / "overview" / "team_overview_en.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in overview and "&lt;script&gt;alert(1)&lt;/script&gt;" in overview
    idp = (rendered.out / "en" / "idp" / "idp_.._evil_en.html").read_text(encoding="utf-8")
    assert "Stored plan 1, version 1" in idp and "&lt;svg onload=alert(1)&gt;" in idp  # the stored plan's text
    for page in _html_files(rendered):
        text = page.read_text(encoding="utf-8")
        title = text.split("<title>", 1)[1].split("</title>", 1)[0]
        assert "&amp;lt;" not in title and "&amp;quot;" not in title, page  # escaped once, not twice


@pytest.mark.slow
@RENDERED
def test_every_page_carries_the_csp(rendered):
    missing = {}
    for page in _html_files(rendered):
        parser = _Page()
        parser.feed(page.read_text(encoding="utf-8"))
        if parser.csp != [REPORT_CSP]:
            missing[page.name] = parser.csp
    assert missing == {}
    assert "script-src 'none'" in REPORT_CSP and "default-src 'none'" in REPORT_CSP


def _workbooks(rendered):
    return sorted(rendered.out.rglob("*.xlsx"))


@pytest.mark.slow
@RENDERED
def test_no_formula_in_any_workbook(rendered):
    books = _workbooks(rendered)
    folders = {p.relative_to(rendered.out).parts[1] for p in books}
    assert folders == {"statements", "rfm_xlsx", "quotas", "idp_export", "nb01", "nb02"}
    live, kept = [], set()
    for book in books:
        for sheet in openpyxl.load_workbook(book).worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    value = cell.value
                    if cell.data_type == "f" or (isinstance(value, str) and value.startswith(FORMULA_START)):
                        live.append((book.name, sheet.title, cell.coordinate, value))
                    if isinstance(value, str) and value[1:] in FORMULA:
                        kept.add(value)
    assert live == []
    assert kept == {"'" + f for f in FORMULA}  # every formula string reached a workbook, as text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.mark.slow
@RENDERED
def test_no_formula_in_any_csv(rendered):
    files = sorted(rendered.out.rglob("*.csv"))
    assert {p.relative_to(rendered.out).parts[1] for p in files} == {"rfm_csv"}
    live, kept = [], set()
    for path in files:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.reader(handle):
                for value in row:
                    if value in FORMULA or (value.startswith(FORMULA_START) and not _is_number(value)):
                        live.append((path.name, value))
                    if value[1:] in FORMULA:
                        kept.add(value)
    assert live == []
    assert "'" + FORMULA[0] in kept


@pytest.mark.slow
@RENDERED
def test_nothing_written_outside_the_output_folders(rendered):
    """The whole tmp tree: inputs unchanged, the working folder empty, each command in its folder."""
    tree = sorted(str(p.relative_to(rendered.root)) for p in rendered.root.rglob("*"))
    expected_top = {"data", "out", "cwd", "store"}
    assert {Path(p).parts[0] for p in tree} == expected_top, tree
    assert list(rendered.cwd.iterdir()) == []
    assert {p.name: p.read_bytes() for p in rendered.data.iterdir()} == rendered.inputs
    assert sorted(p.name for p in (rendered.root / "store").iterdir() if not p.name.startswith("idp.sqlite")) == []
    folders = {name for name, _ in rendered.runs}
    assert {f"{a.name}/{b.name}" for a in rendered.out.iterdir() for b in a.iterdir()} == folders
    statements = rendered.out / "en" / "statements"
    assert all(p.is_file() and p.suffix == ".xlsx" for p in statements.iterdir())
    assert {"evil_2024.xlsx", "HYPERLINK__http___x___y___2024.xlsx"} <= {p.name for p in statements.iterdir()}
    idp = rendered.out / "en" / "idp"
    assert {p.name for p in idp.glob("*.html")} == {
        "index.html", "idp_.._evil_en.html", "idp_R004_en.html", "idp____svg_onload_alert_1___en.html"}
