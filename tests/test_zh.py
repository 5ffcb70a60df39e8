"""No English left on a Chinese page: every CLI output and analysis notebook in ``lang=zh``.

Each command that shows or writes something for people runs once on the shipped sample
with ``--lang zh`` (as a real ``python -m playbook`` process, like ``test_hostile.py``);
the analysis notebooks the CLI does not render (01, 02, 04) are rendered with
:func:`playbook.pipeline.notebooks.render_notebook`. The user-visible text is then
collected (console output; HTML text content without style, script and markup;
spreadsheet cells and sheet names; CSV fields) and searched for ASCII words of three
or more letters. A word passes only when it is on :data:`ALLOWED` (abbreviations,
units, product names) or is an id (letters and digits, ``R001``).
"""

import csv
import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest

from playbook.core import paths

TABLES = ("reps", "customers", "orders", "opportunities", "activities", "quotas", "assessments", "channel_spend")
"""The kit's table (file) names: a user names the files so, in any language."""

ALLOWED = frozenset({
    *TABLES,
    # settings a user types into a column map
    "date_format", "DMY", "MDY", "YYYY",
    # the literal values a yes/no column accepts, and the column they mark refunds in
    "true", "false", "yes", "is_refund",
    # abbreviations the method uses in Chinese too
    "RFM", "IDP", "OKR", "KPI", "SMART", "PDCA", "ROI", "CAC", "LTV", "CRM", "GMV", "SaaS", "ABC", "FMCG",
    "CNY", "PDF", "HTML", "CSV", "Excel", "YAML", "SQL", "URL", "API",
    # product and library names
    "Playbook", "Voila", "Jupyter", "Python", "pandas",
    # statistics
    "Wilson", "Fisher", "Bayes",
})
"""ASCII words a Chinese page may show."""

WORD = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z][A-Za-z_]*[A-Za-z](?![A-Za-z0-9_])")
"""An ASCII word (a raw key such as ``reference_cases`` counts as one), not part of an id (``R001``)."""

SKIP_TAGS = {"style", "script", "title", "head"}  # title: repeated in the heading; head: no visible text


class _Text(HTMLParser):
    """The text a reader sees: data outside style/script, plus alt texts of images."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIP_TAGS:
            self._skip += 1
        if tag == "img":
            self.chunks.extend(v for k, v in attrs if k in ("alt", "title") and v)

    def handle_endtag(self, tag):
        if tag in SKIP_TAGS and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.chunks.append(data)


def html_text(html: str) -> list[str]:
    """The visible text chunks of an HTML page."""
    parser = _Text()
    parser.feed(html)
    return [c for c in parser.chunks if c.strip()]


def english_words(text: str) -> set[str]:
    """ASCII words of 3+ letters in ``text`` that are not on :data:`ALLOWED`."""
    return {w for w in WORD.findall(text) if len(w.replace("_", "")) >= 3 and w not in ALLOWED}


_RENDER = (
    "import json, sys; from playbook.pipeline.notebooks import render_notebook; "
    "a = json.loads(sys.argv[1]); render_notebook(a['nb'], a['out'], a['params'], title=a['title'], lang='zh')"
)


def _jobs(data: Path, out: Path, store_url: str) -> list[tuple[str, list[str]]]:
    """(name, argv) of every command run in Chinese."""
    cli = [sys.executable, "-m", "playbook"]
    d = ["--data", str(data), "--lang", "zh"]
    jobs = [
        ("overview", cli + ["overview", *d, "--out", str(out / "overview")]),
        ("funnel", cli + ["funnel", *d, "--out", str(out / "funnel")]),
        ("incentives", cli + ["incentives", *d, "--out", str(out / "incentives")]),
        ("statements", cli + ["statements", *d, "--period", "2024", "--out", str(out / "statements")]),
        ("rfm", cli + ["rfm", *d, "--export", str(out / "rfm" / "segments.xlsx")]),
        ("rfm_csv", cli + ["rfm", *d, "--segment-map", "domain", "--export", str(out / "rfm_csv")]),
        ("quotas", cli + ["quotas", *d, "--plan-year", "2025", "--growth", "0.3",
                          "--out", str(out / "quotas" / "quotas.xlsx")]),
        ("quotas_partial", cli + ["quotas", *d, "--plan-year", "2026", "--growth", "0.2", "--months", "equal",
                                  "--out", str(out / "quotas_partial" / "quotas.xlsx")]),
        ("idp", cli + ["idp", "render", *d, "--out", str(out / "idp"), "--no-pdf", "--workers", "1",
                       "--reps", "R002", "--store", store_url]),
        ("validate", cli + ["validate", str(data), "--lang", "zh"]),
        ("validate_broken", cli + ["validate", str(paths.ROOT / "data" / "examples" / "broken_orders.csv"),
                                   "--lang", "zh"]),
    ]
    notebooks = [
        ("01_target_decomposition", {"excel_out": str(out / "nb01" / "quotas.xlsx")}),
        ("02_rfm_segmentation", {"export_path": str(out / "nb02" / "segments.xlsx")}),
        ("04_idp", {"rep_id": "R002"}),
    ]
    for name, params in notebooks:
        args = {"nb": str(paths.NOTEBOOKS_DIR / f"{name}.ipynb"), "out": str(out / f"nb{name[:2]}" / f"{name}.html"),
                "params": {"data_dir": str(data), "lang": "zh", **params}, "title": name}
        jobs.append((f"nb{name[:2]}", [sys.executable, "-c", _RENDER, json.dumps(args)]))
    return jobs


ZH_OUTPUTS = pytest.mark.xdist_group(name="zh_outputs")
"""Every test of :func:`zh_outputs` on one xdist worker (a module fixture runs once per worker)."""


@pytest.fixture(scope="module")
def zh_outputs(tmp_path_factory):
    """Run every job once (two at a time); return (out folder, {job: CompletedProcess})."""
    root = tmp_path_factory.mktemp("zh")
    out = root / "out"
    store_url = f"sqlite:///{root / 'idp.sqlite'}"
    env = {**os.environ, "PYTHONPATH": str(paths.ROOT), "PLAYBOOK_STORE_URL": store_url, "LANG": "C.UTF-8"}

    def run(job):
        name, argv = job
        return name, subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, timeout=900)

    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = dict(pool.map(run, _jobs(paths.ROOT / "data" / "sample", out, store_url)))
    return out, runs


def _texts(out: Path, runs: dict) -> dict[str, list[str]]:
    """Where -> the user-visible text chunks found there."""
    found: dict[str, list[str]] = defaultdict(list)
    for name, res in runs.items():
        found[f"{name}: console"] += [res.stdout.replace(str(out), ""), res.stderr.replace(str(out), "")]
    for page in out.rglob("*.html"):
        found[str(page.relative_to(out))] += html_text(page.read_text(encoding="utf-8"))
    for book in out.rglob("*.xlsx"):
        for sheet in openpyxl.load_workbook(book, read_only=True).worksheets:
            where = f"{book.relative_to(out)}[{sheet.title}]"
            found[where].append(sheet.title)
            for row in sheet.iter_rows(values_only=True):
                found[where] += [v for v in row if isinstance(v, str)]
    for table in out.rglob("*.csv"):
        with table.open(encoding="utf-8-sig", newline="") as handle:
            found[str(table.relative_to(out))] += [v for row in csv.reader(handle) for v in row]
    return found


def _paths_removed(text: str) -> str:
    """Text without file paths and the data folder's name (the user chose them, not words of the kit).

    Lines the Jupyter kernel itself writes on stderr (``[IPKernelApp] WARNING ...``) are not the kit's.
    """
    text = re.sub(r"^\[IPKernelApp\].*$", " ", text, flags=re.M)
    text = text.replace("数据：sample", "数据：")
    text = re.sub(r"「[^」]*」", "「」", text)  # a column of the user's file, named as in the file
    text = re.sub(r"“[^”]*”", "“”", text)  # a value of the user's file, quoted
    return re.sub(r"(?:[A-Za-z]:)?[\w.~-]*(?:[/\\][\w.~-]+)+|[\w-]+\.(?:csv|xlsx|html|yaml|ipynb)", " ", text)


@pytest.mark.slow
@ZH_OUTPUTS
def test_every_command_runs_in_chinese(zh_outputs):
    _out, runs = zh_outputs
    failed = {n: r.stderr[-1500:] for n, r in runs.items() if r.returncode != 0 and n != "validate_broken"}
    assert failed == {}
    assert runs["validate_broken"].returncode == 1


@pytest.mark.slow
@ZH_OUTPUTS
def test_no_english_word_on_a_chinese_output(zh_outputs):
    out, runs = zh_outputs
    leftovers = {}
    for where, chunks in _texts(out, runs).items():
        words = defaultdict(list)
        for chunk in chunks:
            for word in english_words(_paths_removed(str(chunk))):
                words[word].append(str(chunk)[:80])
        if words:
            leftovers[where] = {w: c[0] for w, c in sorted(words.items())}
    assert leftovers == {}


@pytest.mark.parametrize(("text", "words"), [
    ("团队概览 RFM R001 C00001 2025-09-30 ≥ 80%", set()),
    ("Sales director / 销售总监", {"Sales", "director"}),
    ("指标 reference_cases 未达标", {"reference_cases"}),  # a raw key is English to a reader
    ("渠道投入表（channel_spend）", set()),
    ("124.82 万元 · CNY", set()),
])
def test_the_word_rule(text, words):
    assert english_words(text) == words


def test_lang_defaults_from_the_locale():
    from click.testing import CliRunner

    from playbook.cli import main

    broken = str(paths.ROOT / "data" / "examples" / "broken_orders.csv")
    zh = CliRunner().invoke(main, ["validate", broken], env={"LC_ALL": "", "LANG": "zh_CN.UTF-8"})
    en = CliRunner().invoke(main, ["validate", broken], env={"LC_ALL": "C.UTF-8", "LANG": "zh_CN.UTF-8"})
    assert zh.output.startswith("数据校验报告") and en.output.startswith("Validation report")
    assert CliRunner().invoke(main, ["validate", broken, "--lang", "en"],
                              env={"LANG": "zh_CN.UTF-8"}).output.startswith("Validation report")


def test_a_coded_domain_error_is_worded_in_the_users_language():
    from playbook.core.errors import PlaybookError
    from playbook.idp import Plan
    from playbook.pipeline.store import Store
    from playbook.present.messages import message

    with Store("sqlite://") as store:
        version = store.create_plan(Plan("R1", plan_date="2025-10-08"), author="Li")
        with pytest.raises(PlaybookError) as caught:
            store.sign(version.plan_id, "archived_by_hr", author="HR")
    assert message(caught.value, "zh") == (f"计划 {version.plan_id} 的状态为“草稿”：下一步只能是“员工已确认”，"
                                           "不能是“人力资源部已存档”。")
    assert "is Draft: it can go to Agreed by the rep, not to" in message(caught.value, "en")


_BAD_INPUT = [
    ("rfm_as_of", ["rfm", "--as-of", "notadate"]),
    ("statements_period", ["statements", "--period", "20x4", "--out", "{out}"]),
    ("quotas_growth", ["quotas", "--plan-year", "2025", "--growth", "-2", "--out", "{out}/q.xlsx"]),
    ("quotas_seasonality", ["quotas", "--plan-year", "2026", "--growth", "0.2", "--out", "{out}/q.xlsx"]),
    ("quotas_year", ["quotas", "--plan-year", "0", "--growth", "0.2", "--out", "{out}/q.xlsx"]),
    ("rfm_window", ["rfm", "--window-days", "0"]),
    ("rfm_segment_map", ["rfm", "--segment-map", "nosuch"]),
    ("incentives_plan", ["incentives", "--plan", "nosuch", "--out", "{out}"]),
]
"""Commands given bad input a user may type: each must refuse in Chinese under ``--lang zh``."""


@pytest.mark.parametrize(("name", "argv"), _BAD_INPUT, ids=[n for n, _a in _BAD_INPUT])
def test_bad_input_is_refused_in_chinese(name, argv, tmp_path):
    from click.testing import CliRunner

    from playbook.cli import main

    args = [a.format(out=tmp_path) for a in argv] + ["--data", str(paths.ROOT / "data" / "sample"), "--lang", "zh"]
    res = CliRunner().invoke(main, args, env={"PLAYBOOK_TIMEZONE": "Asia/Shanghai"})
    assert res.exit_code == 1, res.output
    text = res.output.replace(str(tmp_path), "")
    assert text.startswith("错误：")
    assert english_words(_paths_removed(text)) == set(), text


def test_a_bad_commission_plan_is_refused_in_chinese(tmp_path):
    from click.testing import CliRunner

    from playbook.cli import main

    plan = tmp_path / "bad.yaml"
    plan.write_text((paths.ROOT / "templates" / "plans" / "domain_whole.yaml").read_text(encoding="utf-8")
                    .replace("mode: whole", "mode: hole"), encoding="utf-8")
    args = ["incentives", "--data", str(paths.ROOT / "data" / "sample"), "--plan", str(plan), "--out", str(tmp_path)]
    zh = CliRunner().invoke(main, [*args, "--lang", "zh"])
    en = CliRunner().invoke(main, [*args, "--lang", "en"])
    assert zh.exit_code == en.exit_code == 1
    assert zh.output.startswith(
        "错误：文件 bad.yaml：方案“domain_whole”的规则“commission 'all_sales'”：计算方式“'hole'”无效。")
    assert en.output.startswith(
        "Error: bad.yaml: plan 'domain_whole', rule commission 'all_sales': mode 'hole' is not valid.")
