import json
import re
import string
from pathlib import Path

import pytest

from playbook.core.errors import ParameterError
from playbook.core.labels import LANGS, catalogue, check_lang, label_frame, t
from playbook.core.schema import COMPETENCIES, TABLES

ROOT = Path(__file__).resolve().parents[2]
KEY_USE = re.compile(r"""(?:\bt|heading)\(\s*["']([a-z_]+\.[A-Za-z0-9_.]+)["']""")


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def _sources():
    for path in sorted((ROOT / "playbook").rglob("*.py")):
        yield path, path.read_text(encoding="utf-8")
    for path in sorted((ROOT / "notebooks").rglob("*.ipynb")) + sorted(
        (ROOT / "templates").rglob("*.ipynb")
    ):
        nb = json.loads(path.read_text(encoding="utf-8"))
        yield path, "\n".join("".join(c["source"]) for c in nb["cells"])


def test_every_key_used_in_code_and_notebooks_exists():
    cat = catalogue()
    missing = sorted(
        f"{path.relative_to(ROOT)}: {key}"
        for path, text in _sources()
        for key in KEY_USE.findall(text)
        if key not in cat
    )
    assert missing == []


def test_both_languages_present_with_same_fields():
    bad = [k for k, v in catalogue().items()
           if not all(v[lang].strip() for lang in LANGS) or _fields(v["en"]) != _fields(v["zh"])]
    assert bad == []


def test_chinese_texts_are_chinese():
    cjk = re.compile(r"[\u4e00-\u9fff]")
    not_translated = [k for k, v in catalogue().items() if not cjk.search(v["zh"])]
    assert not_translated == []


def test_every_schema_column_and_competency_has_a_label():
    cat = catalogue()
    cols = {c.name for table in TABLES.values() for c in table.columns}
    assert sorted(c for c in cols if f"col.{c}" not in cat) == []
    assert sorted(c for c in COMPETENCIES if f"competency.{c}" not in cat) == []


def test_lookup_and_formatting():
    assert t("overview.subtitle", "zh", as_of="2025-09-30", source="sample") == (
        "截至 2025-09-30 · 数据：sample"
    )
    assert label_frame(["ytd_sales", "unknown"], "en") == {"ytd_sales": "YTD sales",
                                                           "unknown": "unknown"}
    with pytest.raises(KeyError, match="no label 'nope.nope'"):
        t("nope.nope", "en")


def test_unknown_language_is_a_parameter_error():
    with pytest.raises(ParameterError, match=r"parameter lang='fr' is not valid: expected one of 'en', 'zh'"):
        check_lang("fr")
