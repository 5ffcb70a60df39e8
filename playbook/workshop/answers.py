"""Read a participant's answer as the checks need it: numbers as typed, choices in either language.

A participant types ``64,200,000``, ``6420万``, ``6,420 万元``, ``¥64.2M`` or ``62%``; a
zh participant picks or types ``客户运营粗放`` where the check's key is
``crude_operations``. :func:`parse_number` and :func:`to_key` turn these into what the
checks compare (``playbook.workshop.checks`` calls them, so the code path and the widget
forms of :mod:`playbook.workshop.forms` accept the same answers).

Examples
--------
>>> parse_number("6,420 万元"), parse_number("62%"), parse_number("¥64.2M")
(64200000.0, 0.62, 64200000.0)
>>> to_key("客户运营粗放", ["vague_targets", "crude_operations"], "workshop.cause.")
'crude_operations'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from playbook.core.labels import LANGS, t

__all__ = ["parse_number", "to_key"]

_MULTIPLIERS = {"亿": 1e8, "百万": 1e6, "万": 1e4, "千": 1e3, "k": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6,
                "%": 0.01, "％": 0.01}
_CURRENCY = re.compile(r"(?i)(cny|rmb|yuan|人民币|元|¥|￥)")
_NUMBER = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*([^\d\s.]*)$")


def parse_number(text: object) -> float | None:
    """Return the number a participant typed, or None when it is not one number.

    Thousands separators (``,``, ``，``, spaces, ``'``), full-width digits, a currency
    (CNY, RMB, 元, ¥) and one unit are accepted: 万 (10,000), 亿, 千, 百万, k, M,
    million, and % (a share: ``62%`` is 0.62). Numbers (int, float) pass unchanged.

    Examples
    --------
    >>> parse_number("64 200 000"), parse_number("0.18"), parse_number("１８％")
    (64200000.0, 0.18, 0.18)
    >>> parse_number("about 60"), parse_number(""), parse_number(True)
    (None, None, None)
    """
    if isinstance(text, bool) or text is None:
        return None
    if isinstance(text, int | float):
        return float(text)
    s = unicodedata.normalize("NFKC", str(text)).strip()
    s = _CURRENCY.sub("", s)
    s = re.sub(r"(?<=\d)[,，'’ _](?=\d{3}(?!\d))", "", s).replace(" ", "").strip()
    match = _NUMBER.match(s)
    if not match:
        return None
    unit = match.group(2).lower()
    if unit and unit not in _MULTIPLIERS:
        return None
    return float(match.group(1)) * _MULTIPLIERS.get(unit, 1.0)


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-·]+", " ", unicodedata.normalize("NFKC", text)).strip().casefold()


def to_key(value: object, options: Sequence[str], prefix: str) -> object:
    """Return the option key that ``value`` names (the key, or its label in en or zh); else ``value``.

    ``prefix`` + key is the option's label in the catalogue (``workshop.cause.``). The
    comparison ignores case, spaces, underscores and full-width forms.

    Examples
    --------
    >>> to_key("Crude operations", ["crude_operations"], "workshop.cause."), to_key("x", ["y"], "workshop.cause.")
    ('crude_operations', 'x')
    """
    if not isinstance(value, str):
        return value
    if value in options:
        return value
    wanted = _norm(value)
    for key in options:
        names = {_norm(key)}
        for lang in LANGS:
            try:
                names.add(_norm(t(prefix + key, lang)))
            except KeyError:
                continue
        if wanted in names:
            return key
    return value
