"""Incentive tables for display and the statement workbooks."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from playbook.core.labels import catalogue, check_lang, t
from playbook.incentives.payouts import PayoutRun
from playbook.incentives.statements import payout_statement
from playbook.present.excel import write_workbook

__all__ = ["column_label", "display_frame", "write_statement", "write_statements"]

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
    for col, prefix in (("rule", "incentives.rule"), ("component", "incentives.component"),
                        ("outcome", "incentives.outcome"), ("flag", "incentives.flag")):
        if col in out.columns:
            out[col] = out[col].map({v: tr(prefix, v) for v in out[col].dropna().unique()})
    return out.rename(columns={c: column_label(c, lang) for c in out.columns})


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
    return [write_statement(payout_statement(run, rep_id=r), Path(out_dir) / f"{r}_{run.period}.xlsx", lang=lang)
            for r in run.by_rep["rep_id"].astype(str)]
