"""Errors and warnings worded for people, in their language.

Domain modules raise :class:`~playbook.core.errors.PlaybookError` and warn with
:class:`~playbook.core.errors.PlaybookWarning` carrying a ``code`` and ``params``; the
wording lives in the label catalogue under ``message.<code>`` (both languages). The CLI,
the reports and the apps show ``message(exc, lang)``. An error without a code keeps its
own (English) text; missing columns and bad parameters are worded from their fields.

Examples
--------
>>> from playbook.core.errors import InputError, MissingColumnsError
>>> message(MissingColumnsError(["amount"], present=["order_id"], where="orders.csv"), "zh")
'orders.csv：缺少必需的列：amount。现有的列：order_id。'
>>> message(InputError("plan 3 is archived", code="store.archived", params={"plan_id": 3}), "zh")
'计划 3 已由人力资源归档，不能再修改；请为该销售代表新建一份计划。'
>>> message(ValueError("plain"), "zh")
'plain'
"""

from __future__ import annotations

import datetime as dt
import errno
import numbers as _numbers
import re
import string
from collections.abc import Iterable
from functools import lru_cache

from playbook.core.errors import MissingColumnsError, ParameterError, ValidationError
from playbook.core.labels import catalogue, check_lang, t
from playbook.data.issues import format_causes
from playbook.present import numbers, times

__all__ = ["message", "text_of", "joined", "expected_text"]

_LIST_SEP = {"en": ", ", "zh": "、"}


def joined(values: Iterable[object], lang: str = "en") -> str:
    """Return ``values`` as one list in ``lang`` (``a, b`` / ``a、b``).

    Examples
    --------
    >>> joined(["R1", "R2"], "zh")
    'R1、R2'
    """
    return _LIST_SEP[check_lang(lang)].join(text_of(v, lang) for v in values)


def text_of(value: object, lang: str = "en") -> str:
    """Return one parameter of a message as text in ``lang`` (numbers, dates and lists formatted).

    Examples
    --------
    >>> text_of(1234567.5, "zh"), text_of(2025, "en"), text_of(["a", "b"], "en")
    ('1,234,567.50', '2025', 'a, b')
    """
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, _numbers.Integral):  # ids, years, counts: as written
        return str(int(value))
    if isinstance(value, _numbers.Real):
        return numbers.number(float(value), lang, 2)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value == value.replace(hour=0, minute=0, second=0, microsecond=0) \
            else value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        return joined(sorted(value, key=str) if isinstance(value, (set, frozenset)) else value, lang)
    return str(value)


_ITEM_SEP = {"en": "; ", "zh": "；"}


def _params(params: dict[str, object], lang: str) -> dict[str, str]:
    """Each parameter as text.

    ``*_label`` / ``*_labels`` hold label keys (a status, a unit) to word; ``*_time`` a UTC
    moment, shown in the team's time zone; ``*_items``, ``*_list`` and ``*_lines`` a list of
    ``{"key": label, **fields}``, each worded, joined as sentences (``a; b`` / ``a；b``), as a
    list (``a, b`` / ``a、b``) or as lines (``  - a`` each). An error (a store error's reason
    or fix) is worded by :func:`message` in ``lang``.
    """
    out = {}
    for k, v in params.items():
        if k.endswith(("_items", "_list", "_lines")):
            worded = [t(str(item["key"]), lang, **_params({f: x for f, x in item.items() if f != "key"}, lang))
                      for item in v]
            out[k] = ("\n".join("  - " + w for w in worded) if k.endswith("_lines")
                      else _LIST_SEP[lang].join(worded) if k.endswith("_list") else _ITEM_SEP[lang].join(worded))
        elif isinstance(v, BaseException):  # a part worded on its own (a store error's reason, its fix)
            out[k] = message(v, lang)
        elif k.endswith("_time"):
            out[k] = times.local_time(v)
        elif k.endswith("_labels"):
            out[k] = joined([t(str(x), lang) for x in v], lang) or t("message.none", lang)
        elif k.endswith("_label"):
            out[k] = t(str(v), lang)
        else:
            out[k] = text_of(v, lang)
    return out


_FIELD = {
    "quoted": r"'[^']*'(?:(?:, |,? or )'[^']*')+",  # 'a', 'b' or 'c'
    "choices": r"[^()]+?",
}
"""What a field of an ``expected.*`` pattern matches (any other field: any text)."""

_QUOTED = re.compile(r"(?<![A-Za-z])'([^'\n]*)'(?![A-Za-z])")


@lru_cache(maxsize=1)
def _expected_patterns() -> tuple[tuple[re.Pattern[str], str, int], ...]:
    """(regex of the English pattern, label key, literal length) of every ``expected.*`` label, most literal first."""
    out = []
    for key, entry in catalogue().items():
        if not key.startswith("expected."):
            continue
        regex, seen, literal = [], set(), 0
        for text, field, _spec, _conv in string.Formatter().parse(entry["en"]):
            regex.append(re.escape(text))
            literal += len(text)
            if field is not None:
                regex.append(f"(?P={field})" if field in seen else f"(?P<{field}>{_FIELD.get(field, '.+?')})")
                seen.add(field)
        out.append((re.compile("".join(regex) + r"\Z", re.S), key, literal))
    return tuple(sorted(out, key=lambda p: -p[2]))


def _choices_zh(text: str) -> str:
    """Return ``'a', 'b' or c`` as “a”、“b”、“c”."""
    items = [i.strip().strip("'\"") for i in re.split(r", or |, | or ", text) if i.strip()]
    return "、".join(f"“{i}”" for i in items)


def expected_text(expected: str, lang: str = "en") -> str:
    """Return what a bad parameter should have been (``ParameterError.expected``) in ``lang``.

    The English text is matched against the ``expected.*`` labels; a text that matches
    none stays as it is. Values a user types are quoted (“2025-09-30”).

    Examples
    --------
    >>> expected_text("a date such as '2025-09-30'", "zh")
    '日期，例如 “2025-09-30”'
    >>> expected_text("'month', 'quarter' or 'ytd'", "zh")
    '以下之一：“month”、“quarter”、“ytd”'
    >>> expected_text("a whole number >= 1", "en")
    'a whole number >= 1'
    """
    if check_lang(lang) == "en":
        return expected
    for regex, key, _literal in _expected_patterns():
        found = regex.match(expected)
        if found:
            fields = {k: _choices_zh(v) if k in ("choices", "quoted") else expected_text(v, lang) if k == "detail"
                      else v for k, v in found.groupdict().items()}
            expected = t(key, lang, **fields)
            break
    return _QUOTED.sub(r"“\1”", expected)


_RULE_PART = re.compile(r"(?P<rule>.+) (?P<part>tier|band) (?P<n>\d+)")


def _rule(rule: str, lang: str) -> str:
    """Return the ``rule`` of an incentive plan error (``commission 'x' tier 2``, ``(plan)``) in ``lang``.

    >>> _rule("commission 'all_sales' tier 2", "zh"), _rule("(plan)", "zh"), _rule("bonus band 1", "en")
    ("commission 'all_sales' 第 2 档", '方案整体', 'bonus band 1')
    """
    if rule == "(plan)":
        return t("message.incentives.rule.plan", lang)
    found = _RULE_PART.fullmatch(rule)
    if found is None:
        return rule
    return t(f"message.incentives.rule.{found['part']}", lang, rule=found["rule"], n=found["n"])


def message(exc: BaseException, lang: str = "en") -> str:
    """Return the text of the error or warning ``exc`` in ``lang``.

    A ``code`` with a label ``message.<code>`` (or a code that is a label key itself,
    such as ``idp.warn.unknown_competencies``) is worded from the catalogue with its
    ``params`` (an ``in_file`` param puts the file's name first); a :class:`ValidationError`
    lists the data's problems one line per cause; :class:`MissingColumnsError`
    and :class:`ParameterError` from their fields; an ``OSError`` is its reason (by errno:
    "Permission denied", 没有权限); anything else keeps its own text.

    Examples
    --------
    >>> message(PermissionError(13, "Permission denied"), "zh"), message(OSError(99999, "odd"), "zh")
    ('没有权限', 'odd')
    """
    check_lang(lang)
    if isinstance(exc, OSError):  # the operating system's reason, worded by its errno when the catalogue has it
        key = f"oserror.{errno.errorcode.get(exc.errno or 0, '')}"
        return t(key, lang) if key in catalogue() else (exc.strerror or str(exc))
    if isinstance(exc, ValidationError):  # the data's problems, one line per cause (most rows first)
        lines = format_causes(exc.issues, lang, exc.issues.attrs.get("rows"))
        causes = sum(1 for line in lines if line.startswith("  - "))
        return "\n".join([t("validation.causes", lang, n=len(exc.issues), causes=causes), *lines])
    code = getattr(exc, "code", None)
    key = next((k for k in (f"message.{code}", str(code)) if code and k in catalogue()), None)
    if key is not None:
        params = dict(getattr(exc, "params", {}))
        if isinstance(params.get("rule"), str):
            params["rule"] = _rule(params["rule"], lang)
        in_file = params.pop("in_file", None)  # the file the problem is in, before the message
        text = t(key, lang, **_params(params, lang))
        return text if in_file is None else t("message.in_file", lang, file=in_file, text=text)
    if isinstance(exc, MissingColumnsError):
        return t("message.missing_columns", lang, where=exc.where, missing=joined(exc.missing, lang),
                 present=joined(exc.present, lang) or t("message.none", lang))
    if isinstance(exc, ParameterError) and lang != "en":
        value = exc.value if isinstance(exc.value, str) else text_of(exc.value, lang)
        return t("message.parameter", lang, name=exc.name, value=value,
                 expected=expected_text(str(exc.expected), lang))
    return str(exc)
