"""The competency catalogue read by libyaml's loader: the same data as the pure-Python safe loader."""

from pathlib import Path

import pytest
import yaml

from playbook.core.errors import InputError
from playbook.idp.catalogue import _FAST_LOADER, CATALOGUE_PATH, load_catalogue


def test_fast_loader_reads_the_shipped_catalogue_as_the_safe_loader():
    text = Path(CATALOGUE_PATH).read_text(encoding="utf-8")
    assert yaml.load(text, Loader=_FAST_LOADER) == yaml.safe_load(text)


def test_a_broken_catalogue_names_the_line_and_its_text(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("competencies:\n  - grit\n  name: Grit\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.yaml, line 3, column 3: not valid YAML \('name: Grit'\)"):
        load_catalogue(bad)
