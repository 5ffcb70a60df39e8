"""Tables for people: one registry of column kinds, one display function, one HTML table.

Every figure the kit shows in a table is formatted here, by the *kind* of its column
(money in CNY, percent, count, decimal …), looked up in one registry,
:data:`COLUMN_KINDS`. A column name that means different things in different areas
(``change``: a percentage-point change of a funnel rate, a CNY change of a payout) is
not in the registry: each area passes its meaning per call (``kinds=``, see
:data:`AREA_KINDS`), nothing is guessed.

- :func:`display` — a copy of a frame with every figure as text in the user's language
- :func:`style_table` — a pandas ``Styler`` with translated headers and formatted
  figures, where every text cell, header and index value is HTML-escaped
- :func:`format_value` — one figure as text, by kind

Examples
--------
>>> format_value(1234567, "money"), format_value(0.123, "percent"), format_value(None, "money")
('1,234,567.00', '12.3%', '—')
>>> kind_of("ytd_sales"), kind_of("change"), kind_of("change", AREA_KINDS["incentives"])
('money', None, 'money')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from playbook.core.labels import catalogue, check_lang, label_frame
from playbook.present import numbers

__all__ = [
    "KINDS", "COLUMN_KINDS", "AREA_KINDS", "MISSING", "kind_of", "columns_of", "format_value", "display",
    "style_table",
]

MISSING = "—"
"""How a missing figure is shown."""


def _p_value(value: float, lang: str) -> str:
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _number(decimals: int) -> Callable[[float, str], str]:
    return lambda value, lang: numbers.number(value, lang, decimals)


def _percent(decimals: int) -> Callable[[float, str], str]:
    return lambda value, lang: numbers.percent(value, lang, decimals)


KINDS: Mapping[str, Callable[[float, str], str]] = MappingProxyType({
    "money": _number(2),               # CNY, two decimals, thousands separators: 1,234,567.00
    "money_unit": numbers.money,       # with its unit: 1,234,567 CNY (en), 123.46 万元 (zh)
    "percent": _percent(1),            # a ratio as a percentage, one decimal: 12.3%
    "percent0": _percent(0),           # ... no decimal: 12%
    "rate": _percent(2),               # a rate of pay, two decimals of a percent: 12.00%
    "count": _number(0),               # a whole number: 1,234
    "decimal": _number(2),             # a real number, two decimals: 24.36
    "one_decimal": _number(1),         # a real number, one decimal: 12.5
    "general": lambda value, lang: f"{value:g}",  # as short as exact: 3.5
    "p_value": _p_value,               # 0.250, < 0.001
})
"""The kinds of column and how a figure of each kind is written (value, lang) -> text."""

_MONEY = {
    # targets
    "ytd_sales", "ytd_quota", "prior_ytd_sales", "net_sales", "amount", "quota", "spend", "base_salary", "target",
    "actual", "expected", "gap", "to_go", "run_rate", "needed_run_rate", "won_amount", "avg_deal_size",
    "base_actual",
    # funnel
    "avg_deal", "revenue_at_stake", "repurchase_revenue", "open_amount", "expected_value", "velocity_per_day",
    "quota_horizon", "closed_in_horizon", "remaining_quota", "cost_per_lead", "cac",
    # rfm
    "gross_sales", "refunds", "monetary", "avg_order_value", "annual_spend", "revenue", "mean_monetary",
    "high_value_revenue", "ltv", "historical_ltv", "annual_value", "net_revenue", "predicted_ltv",
    # incentives (after the ``_cents`` suffix is dropped)
    "commission", "clawback", "bonus", "awards", "draw", "total", "base", "payout_a", "payout_b",
    "median_payout", "p90_payout", "max_payout", "sales",
}
_PERCENT = {
    # targets
    "attainment", "yoy_growth", "share", "pace", "growth", "lead_to_intent", "intent_to_negotiation",
    "negotiation_to_won", "progress", "available", "ramp", "capacity",
    # funnel
    "ci_low", "ci_high", "shrunk_rate", "peer_rate", "peer_median_rate", "rep_rate", "rate_lead_to_intent",
    "rate_intent_to_negotiation", "rate_negotiation_to_deal", "conv_lead_to_negotiation", "conv_lead_to_deal",
    "win_rate", "repurchase_rate", "versus_win_rate", "before_rate", "after_rate", "rate_deal_to_repurchase",
    # rfm
    "customer_share", "revenue_share", "high_value_share", "retention",
    # incentives
    "effective_rate", "cost_ratio", "top_decile_share", "change_pct", "effective_rate_a", "effective_rate_b",
    "attainment_change", "retention_change",
    # optional KPIs (scorecards, weekly review)
    "needs_match", "satisfaction", "needs_match_change", "satisfaction_change",
}
_DECIMAL = {
    # rfm
    "mean_recency_days", "mean_frequency", "purchase_rate", "payback_months", "ltv_cac",
    # funnel
    "roi", "ratio", "ratio_ci_low", "ratio_ci_high", "coverage", "weighted_coverage",
}

COLUMN_KINDS: Mapping[str, str] = MappingProxyType({
    **{c: "money" for c in sorted(_MONEY)},
    **{c: "percent" for c in sorted(_PERCENT)},
    **{c: "decimal" for c in sorted(_DECIMAL)},
    "p_value": "p_value",
})
"""Column name -> kind, for the names that mean one thing in every area."""

AREA_KINDS: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "funnel": MappingProxyType({"rate": "percent", "change": "percent"}),
    "incentives": MappingProxyType({"rate": "rate", "change": "money", "score": "one_decimal"}),
})
"""Per-area kinds of the names that mean different things in different areas (pass as ``kinds=``)."""


def kind_of(column: object, kinds: Mapping[str, str | None] | None = None) -> str | None:
    """Return the kind of ``column``: ``kinds`` (the call's override) first, then the registry.

    Examples
    --------
    >>> kind_of("attainment"), kind_of("name"), kind_of("attainment", {"attainment": None})
    ('percent', None, None)
    """
    if kinds is not None and column in kinds:
        return kinds[column]
    return COLUMN_KINDS.get(column) if isinstance(column, str) else None


def columns_of(kind: str, kinds: Mapping[str, str | None] | None = None) -> frozenset[str]:
    """Return the registry's columns of ``kind`` (with the call's override ``kinds``).

    Examples
    --------
    >>> sorted(columns_of("rate", AREA_KINDS["incentives"]))
    ['rate']
    """
    merged = {**COLUMN_KINDS, **(kinds or {})}
    return frozenset(c for c, k in merged.items() if k == kind)


def format_value(value: Any, kind: str, lang: str = "en") -> str:
    r"""Return one figure as text by ``kind`` (see :data:`KINDS`); missing values as an em dash.

    Examples
    --------
    >>> format_value(-1234.5, "money"), format_value(1234567, "money_unit", "zh"), format_value(0.0004, "p_value")
    ('-1,234.50', '123.46\xa0万元', '< 0.001')
    """
    if kind not in KINDS:
        raise KeyError(f"unknown column kind {kind!r}; one of {', '.join(KINDS)}")
    if value is None or value is pd.NA or value is pd.NaT:
        return MISSING
    number = float(value)
    if not math.isfinite(number):
        return MISSING
    return KINDS[kind](value, lang)


def _texts(series: pd.Series, fn: Callable[[Any], str]) -> pd.Series:
    return pd.Series(pd.array([fn(v) for v in series], dtype="string"), index=series.index)


def display(
    frame: pd.DataFrame,
    *,
    lang: str = "en",
    kinds: Mapping[str, str | None] | None = None,
    values: Mapping[str, str] | None = None,
    yes_no: tuple[str, str] = ("funnel.yes", "funnel.no"),
    decimals: int | None = 2,
    numbers: bool = True,
) -> pd.DataFrame:
    """Return a copy of ``frame`` ready to show: its cells as text in ``lang``.

    - ``values`` maps a column to a label prefix: a value ``v`` becomes the label
      ``prefix + v`` in ``lang`` (values without a label are kept);
    - figures in a column of a known kind (:func:`kind_of` with ``kinds``) are written by
      :func:`format_value`; other real numbers with ``decimals`` decimals (``None``:
      left as numbers); whole numbers of no kind stay numbers;
    - dates show as ``YYYY-MM-DD``, booleans as the labels ``yes_no``, missing figures
      as an em dash.

    With ``numbers=False`` figures are left as numbers (for :func:`style_table` to
    format). Headers are not changed: :func:`style_table` translates them.

    Examples
    --------
    >>> f = pd.DataFrame({"channel": ["referral", "radio"], "amount": [1234567.0, -2.5],
    ...                   "attainment": [0.123, None], "won": [True, False], "n": [3, 4], "days": [1.25, 2.0]})
    >>> display(f, lang="zh", values={"channel": "channel."}).values.tolist()
    [['转介绍', '1,234,567.00', '12.3%', '是', 3, '1.25'], ['radio', '-2.50', '—', '否', 4, '2.00']]
    """
    check_lang(lang)
    cat = catalogue()
    out = frame.copy()
    for col, prefix in (values or {}).items():
        if col in out.columns:
            texts = out[col].astype("string")
            mapping = {v: cat[prefix + v][lang] for v in texts.dropna().unique() if prefix + v in cat}
            out[col] = texts.replace(mapping) if mapping else texts
    yes, no = (cat[k][lang] if k in cat else k for k in yes_no)
    for col in out.columns:
        series = out[col]
        if isinstance(series, pd.DataFrame):  # a repeated column name: leave it as it is
            continue
        kind = kind_of(col, kinds)
        if pd.api.types.is_datetime64_any_dtype(series):
            out[col] = series.dt.strftime("%Y-%m-%d").astype("string").fillna(MISSING)
        elif pd.api.types.is_bool_dtype(series):
            out[col] = pd.array(np.where(series.to_numpy(dtype=bool), yes, no), dtype="string")
        elif not numbers or not pd.api.types.is_numeric_dtype(series):
            continue
        elif kind is not None:
            out[col] = _texts(series, lambda v, k=kind: format_value(v, k, lang))
        elif pd.api.types.is_float_dtype(series) and decimals is not None:
            out[col] = _texts(series, lambda v: MISSING if pd.isna(v) else f"{v:,.{decimals}f}")
    return out


def style_table(
    frame: pd.DataFrame,
    *,
    lang: str = "en",
    money: Collection[str] | None = None,
    pct: Collection[str] | None = None,
    decimals: int = 2,
    kinds: Mapping[str, str | None] | None = None,
) -> Any:
    """Return a pandas ``Styler`` with translated headers and figures formatted by kind; every text escaped.

    Numeric columns are formatted by their kind (:func:`kind_of` with ``kinds``: money
    two decimals with thousands separators (CNY), percent one decimal …); other float
    columns with ``decimals`` decimals. ``money`` and ``pct``, when given, name the
    columns shown as money / percent instead of the registry's. Text columns are
    left-aligned; missing values show as an em dash. Columns of a kind that are not
    numeric are shown as they are. Every text cell, header and index value is
    HTML-escaped: a name such as ``<img src=x>`` shows as text, never as markup.

    Examples
    --------
    >>> f = pd.DataFrame({"name": ["<img src=x onerror=alert(1)>"], "ytd_sales": [1234567.0],
    ...                   "attainment": [0.123]})
    >>> html = style_table(f).to_html()
    >>> "&lt;img src=x onerror=alert(1)&gt;" in html, "<img" in html, "1,234,567.00" in html, "12.3%" in html
    (True, False, True, True)
    """
    check_lang(lang)
    override: dict[str, str | None] = dict(kinds or {})
    if money is not None:
        override.update({c: None for c in frame.columns if kind_of(c, kinds) == "money" and c not in money})
        override.update({c: "money" for c in money})
    if pct is not None:
        override.update({c: None for c in frame.columns if kind_of(c, kinds) == "percent" and c not in pct})
        override.update({c: "percent" for c in pct})
    numeric = {c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])}
    fmt: dict[str, Callable[[Any], str] | str] = {}
    for c in frame.columns:
        if c not in numeric:
            continue
        kind = kind_of(c, override)
        if kind is not None:
            fmt[c] = lambda v, k=kind: format_value(v, k, lang)
        elif pd.api.types.is_float_dtype(frame[c]):
            fmt[c] = "{:,.%df}" % decimals
    names = label_frame(list(frame.columns), lang)
    shown = frame.rename(columns=names)
    text = [names[c] for c in frame.columns if c not in numeric]
    styler = (shown.style.format({names[c]: f for c, f in fmt.items()}, na_rep=MISSING, escape="html")
              .format_index(escape="html", axis=0).format_index(escape="html", axis=1)
              .hide(axis="index"))
    if text:
        styler = styler.set_properties(subset=text, **{"text-align": "left"})
        positions = [list(shown.columns).index(c) for c in text]
        styler = styler.set_table_styles(
            [{"selector": f"th.col_heading.col{i}", "props": "text-align: left;"} for i in positions],
            overwrite=False)
    return styler
