"""Numbers as people read them, per language: the one home of number formatting (Babel).

Every figure the kit writes for people goes through these functions: counts, decimals,
percentages and money in CNY or 万元. The locale of each language is
:data:`LOCALES`; the patterns are CLDR patterns (``#,##0.00``), so digits, grouping and
the percent sign follow the language. A unit is joined to its figure with a
non-breaking space, so "124.82 万元" is never split across two lines.

Examples
--------
>>> number(1234567.891, "zh"), number(3, "en", 0), percent(0.1234, "zh"), percent(0.5, "en", 0)
('1,234,567.89', '3', '12.3%', '50%')
>>> money(1248200, "zh") == "124.82" + NBSP + "万元", money(1248200, "en") == "1,248,200" + NBSP + "CNY"
(True, True)
>>> money(1248200.5, "en", decimals=2) == "1,248,200.50" + NBSP + "CNY"
True
"""

from __future__ import annotations

from babel.numbers import format_decimal, format_percent

from playbook.core.labels import check_lang

__all__ = ["LOCALES", "NBSP", "number", "percent", "money", "wan"]

LOCALES = {"en": "en_US", "zh": "zh_Hans_CN"}
"""The Babel locale of each language of the kit."""

NBSP = "\u00a0"
"""Joins a figure to its unit: the two never part at a line end."""


def _pattern(decimals: int) -> str:
    return "#,##0" + ("." + "0" * decimals if decimals > 0 else "")


def number(value: float, lang: str = "en", decimals: int = 2) -> str:
    """Return ``value`` with thousands separators and ``decimals`` decimals.

    Examples
    --------
    >>> number(-1234.5, "en"), number(24.355, "zh", 1)
    ('-1,234.50', '24.4')
    """
    return format_decimal(value, format=_pattern(decimals), locale=LOCALES[check_lang(lang)],
                          decimal_quantization=True)


def percent(value: float, lang: str = "en", decimals: int = 1) -> str:
    """Return the ratio ``value`` as a percentage with ``decimals`` decimals (0.123 -> 12.3%).

    Examples
    --------
    >>> percent(0.12, "en", 2), percent(-0.05, "zh", 0)
    ('12.00%', '-5%')
    """
    return format_percent(value, format=_pattern(decimals) + "%", locale=LOCALES[check_lang(lang)],
                          decimal_quantization=True)


def wan(value: float, lang: str = "zh", decimals: int = 2) -> str:
    """Return an amount in CNY as 万元 (10,000 CNY) with its unit, joined by a non-breaking space.

    Examples
    --------
    >>> wan(1248200) == "124.82" + NBSP + "万元"
    True
    """
    return f"{number(value / 1e4, lang, decimals)}{NBSP}万元"


def money(value: float, lang: str = "en", *, decimals: int | None = None) -> str:
    """Return an amount in CNY with its unit: ``1,248,200 CNY`` (en), ``124.82 万元`` (zh).

    ``decimals`` (default: 0 for CNY, 2 for 万元) sets the decimals shown.

    Examples
    --------
    >>> money(-5000, "zh") == "-0.50" + NBSP + "万元"
    True
    """
    if check_lang(lang) == "zh":
        return wan(value, lang, 2 if decimals is None else decimals)
    return f"{number(value, lang, decimals or 0)}{NBSP}CNY"
