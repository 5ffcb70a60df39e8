"""Incentive tables for display and the statement workbooks."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from playbook.core.errors import PlaybookError
from playbook.core.labels import catalogue, check_lang, t
from playbook.core.paths import file_in
from playbook.incentives.payouts import PayoutRun, plan_summary
from playbook.incentives.plans import Plan, load_plan
from playbook.incentives.scorecards import ScorecardPreset
from playbook.incentives.statements import payout_statement
from playbook.present.excel import write_workbook
from playbook.present.tables import AREA_KINDS, kind_of, style_table

__all__ = ["column_label", "display_frame", "write_statement", "write_statements",
           "plan_label", "preset_label", "table", "summary_frame", "summary_table"]

def column_label(column: str, lang: str = "en") -> str:
    """Header for ``column`` in ``lang`` (``incentives.col.*``, then the shared ``col.*``).

    Examples
    --------
    >>> column_label("rate", "zh"), column_label("rep_id", "en")
    ('比例', 'Rep ID')
    """
    cat = catalogue()
    check_lang(lang)
    for key in (f"incentives.col.{column}", f"col.{column}"):
        if key in cat:
            return cat[key][lang]
    return column


def display_frame(frame: pd.DataFrame, *, lang: str = "en") -> pd.DataFrame:
    """Return a frame for people: ``*_cents`` as CNY, months as ``YYYY-MM``, rules and headers in ``lang``.

    Money columns lose their ``_cents`` suffix and hold CNY with two decimals (for display
    and export only: compute with the cents).

    Examples
    --------
    >>> lines = pd.DataFrame({"rule": ["bonus"], "month": pd.to_datetime(["2025-01-01"]),
    ...                       "amount_cents": [72000]})
    >>> display_frame(lines, lang="zh")
         规则       月份     金额
    0  月度奖金  2025-01  720.0
    """
    cat = catalogue()

    def tr(prefix: str, value: Any) -> Any:
        if pd.isna(value) or value == "":
            return value
        parts = [cat.get(f"{prefix}.{v}", {}).get(lang, v) for v in str(value).split(";")]
        return "; ".join(parts)

    out = frame.copy()
    for col in [c for c in out.columns if c.endswith("_cents")]:
        # int / 100 is correctly rounded: the nearest float to the exact CNY amount
        out[col] = pd.to_numeric(out[col]).astype(float) / 100
    out = out.rename(columns={c: c[: -len("_cents")] for c in out.columns if c.endswith("_cents")})
    if "month" in out.columns:
        out["month"] = pd.to_datetime(out["month"]).dt.strftime("%Y-%m")
    if "plan" in out.columns:
        out["plan"] = out["plan"].map({v: _plan_title(v, lang) for v in out["plan"].dropna().unique()})
    for col, prefix in (("rule", "incentives.rule"), ("component", "incentives.component"),
                        ("outcome", "incentives.outcome"), ("flag", "incentives.flag"),
                        ("at_boundary", "incentives.at_boundary")):
        if col in out.columns:
            out[col] = out[col].map({v: tr(prefix, v) for v in out[col].dropna().unique()})
    return out.rename(columns={c: column_label(c, lang) for c in out.columns})


def _plan_title(name: str, lang: str) -> str:
    """Return the title of the shipped or saved plan ``name`` in ``lang`` (its name when it cannot be read)."""
    try:
        return plan_label(load_plan(name), lang)
    except PlaybookError:
        return str(name)


def write_statement(statement: Mapping[str, pd.DataFrame], path: str | Path, *, lang: str = "en") -> Path:
    """Write one statement from :func:`payout_statement` to an Excel workbook (three sheets).

    Amounts are written in CNY with two decimals; headers and rule names in ``lang``.
    Through :func:`playbook.present.excel.write_workbook` (text cells neutralised, written
    atomically).
    """
    check_lang(lang)
    return write_workbook({t(f"incentives.sheet.{key}", lang): display_frame(statement[key], lang=lang)
                           for key in ("summary", "by_rule", "lines")}, path)


def write_statements(run: PayoutRun, out_dir: str | Path, *, lang: str = "en") -> list[Path]:
    """Write one Excel statement per payee of ``run`` to ``out_dir`` (``<rep_id>_<period>.xlsx``)."""
    return [write_statement(payout_statement(run, rep_id=r), file_in(out_dir, f"{r}_{run.period}.xlsx"), lang=lang)
            for r in run.by_rep["rep_id"].astype(str)]


# ---------------------------------------------------------------------------------------
# Wording of plans and presets; the incentives table (Styler)
# ---------------------------------------------------------------------------------------
def _title(title: Mapping[str, str], name: str, lang: str) -> str:
    check_lang(lang)
    return str(title.get(lang) or title.get("en") or name)


def plan_label(plan: Plan, lang: str = "en") -> str:
    """Return the plan's title in ``lang`` (the English title, or the plan's name, when it has none).

    Examples
    --------
    >>> from playbook.incentives import load_plan, parse_plan
    >>> plan_label(parse_plan({"title": {"en": "Flat", "zh": "固定比例"}}, name="flat"), "zh")
    '固定比例'
    >>> plan_label(parse_plan({}, name="flat"), "zh")
    'flat'
    """
    return _title(plan.title, plan.name, lang)


def preset_label(preset: ScorecardPreset, lang: str = "en") -> str:
    """Return the scorecard preset's title in ``lang`` (the English title, or its name, when it has none).

    Examples
    --------
    >>> from playbook.incentives import ScorecardPreset
    >>> preset_label(ScorecardPreset("n", {"en": "New logos", "zh": "新客户"}, {"new_customers": 1.0}), "zh")
    '新客户'
    """
    return _title(preset.title, preset.name, lang)


def table(frame: pd.DataFrame, *, lang: str = "en") -> Any:
    """Return a ``Styler`` of an incentives frame: CNY amounts, percentages, translated text.

    Figures are formatted by their kind (:mod:`playbook.present.tables`, incentives'
    meaning of ``rate``, ``change`` and ``score``): rates show two decimals of a percent
    (``12.00%``), other ratios one.

    Examples
    --------
    >>> html = table(pd.DataFrame({"rule": ["commission"], "rate": [0.12], "amount_cents": [1234567]}),
    ...              lang="zh").to_html()
    >>> "12,345.67" in html and "12.00%" in html and "提成" in html
    True
    """
    check_lang(lang)
    shown = display_frame(frame, lang=lang)
    plain = [c[: -len("_cents")] if c.endswith("_cents") else c for c in frame.columns]
    kinds = {column_label(c, lang): kind_of(c, AREA_KINDS["incentives"]) for c in plain}
    return style_table(shown, lang=lang, kinds=kinds)


def summary_frame(*runs: PayoutRun, lang: str = "en") -> pd.DataFrame:
    """Return :func:`playbook.incentives.plan_summary` of ``runs`` with each plan's title in ``lang``.

    Examples
    --------
    >>> from playbook.incentives import REP_COLUMNS, parse_plan
    >>> by_rep = pd.DataFrame({c: [0] for c in REP_COLUMNS})
    >>> run = PayoutRun(parse_plan({"title": {"en": "Flat", "zh": "固定"}}, name="p"), "2024", pd.DataFrame(), by_rep)
    >>> summary_frame(run, lang="zh")["plan"].tolist()
    ['固定']
    """
    summary = plan_summary(*runs)
    return summary.assign(plan=[plan_label(run.plan, lang) for run in runs])


def summary_table(*runs: PayoutRun, lang: str = "en") -> Any:
    """Return :func:`summary_frame` of ``runs`` as a :func:`table` (a ``Styler``), one row per plan.

    Examples
    --------
    >>> from playbook.incentives import REP_COLUMNS, parse_plan
    >>> by_rep = pd.DataFrame({c: [0] for c in REP_COLUMNS})
    >>> run = PayoutRun(parse_plan({}, name="flat"), "2024", pd.DataFrame(), by_rep)
    >>> "flat" in summary_table(run, lang="en").to_html()
    True
    """
    return table(summary_frame(*runs, lang=lang), lang=lang)
