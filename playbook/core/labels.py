"""The label catalogue: every user-facing string, in English and Simplified Chinese.

Labels live in YAML files in ``playbook/core/labels/`` (one file per area, merged on
load). Each entry maps a key to its ``en`` and ``zh`` text; texts may hold
``str.format`` fields.

Examples
--------
>>> from playbook.core.labels import t
>>> t("lang.name", "zh")
'简体中文'
>>> t("unit.cny", "en")
'CNY'
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache

import yaml

from playbook.core.errors import ParameterError
from playbook.core.resources import package_path

__all__ = ["LANGS", "t", "catalogue", "check_lang", "label_frame", "env_lang"]

LANGS = ("en", "zh")
_DIR = package_path("core", "labels")


def check_lang(lang: str) -> str:
    """Return ``lang`` if supported, else raise :class:`ParameterError`.

    Examples
    --------
    >>> check_lang("en")
    'en'
    """
    if lang not in LANGS:
        raise ParameterError("lang", lang, "one of " + ", ".join(repr(x) for x in LANGS))
    return lang


def env_lang(environ: Mapping[str, str] | None = None) -> str:
    """Return the language of the environment's locale: ``zh`` for a Chinese locale, else ``en``.

    The first of ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set decides (as for gettext).

    Examples
    --------
    >>> env_lang({"LANG": "zh_CN.UTF-8"}), env_lang({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}), env_lang({})
    ('zh', 'en', 'en')
    """
    environ = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


# libyaml's safe loader reads the catalogue ten times faster than the pure-Python one (the
# same documents, the same safe subset of YAML); PyYAML built without libyaml has only the latter
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    """Return the merged catalogue ``{key: {"en": ..., "zh": ...}}``.

    Raises ``RuntimeError`` when two files define the same key or an entry lacks a
    language (a defect of the kit, caught by the tests).
    """
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(_DIR.glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
        for key, entry in data.items():
            if key in merged:
                raise RuntimeError(f"label {key!r} defined twice ({path.name})")
            if not isinstance(entry, dict) or any(lang not in entry for lang in LANGS):
                raise RuntimeError(f"label {key!r} in {path.name} needs both 'en' and 'zh'")
            merged[key] = {lang: str(entry[lang]) for lang in LANGS}
    return merged


def t(key: str, lang: str = "en", /, **fields: object) -> str:
    """Return the text of label ``key`` in ``lang``, formatted with ``fields``.

    Examples
    --------
    >>> t("overview.title", "en")
    'Team overview'
    """
    check_lang(lang)
    try:
        text = catalogue()[key][lang]
    except KeyError:
        raise KeyError(f"no label {key!r} in the catalogue") from None
    return text.format(**fields) if fields else text


def label_frame(columns: list[str], lang: str, prefix: str = "col.") -> dict[str, str]:
    """Return a rename mapping ``{column: label}`` for display of a frame's columns.

    Columns without a label keep their name.

    Examples
    --------
    >>> label_frame(["rep_id", "zzz"], "zh")["rep_id"]
    '销售代表编号'
    """
    cat = catalogue()
    return {c: cat[prefix + c][check_lang(lang)] if prefix + c in cat else c for c in columns}
