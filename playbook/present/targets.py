"""The quota workbook: pure sheets and one small writer."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from openpyxl.utils import get_column_letter

from playbook.core.labels import check_lang, label_frame, t
from playbook.core.money import cents
from playbook.targets.quotas import QuotaPlan

__all__ = ["quota_sheets", "write_quota_workbook"]

# ---------------------------------------------------------------------------------------
# Excel export: pure sheets + one small writer
# ---------------------------------------------------------------------------------------
def quota_sheets(plan: QuotaPlan, *, lang: str = "en") -> dict[str, pd.DataFrame]:
    """Build the quota workbook as frames, one per level, with headers in ``lang`` (no I/O).

    Sheets: year, quarters, months, teams, reps, rep x month (reps as rows, months as
    columns, a total column and a total row: every row and column adds up exactly).

    Examples
    --------
    >>> from playbook.targets import decompose
    >>> reps = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann", "Bo"], "team": ["A", "A"]})
    >>> plan = decompose(reps, target=1200.0, plan_year=2025, time_method="equal", rep_method="equal")
    >>> sheets = quota_sheets(plan)
    >>> list(sheets)
    ['Year', 'Quarters', 'Months', 'Teams', 'Reps', 'Rep x month']
    >>> sheets["Rep x month"].iloc[-1, -4:].astype(float).tolist()
    [100.0, 100.0, 100.0, 1200.0]
    """
    check_lang(lang)

    def show(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.rename(columns=label_frame(list(frame.columns), lang))

    year = plan.target.to_frame()
    monthly = plan.monthly.assign(month=plan.monthly["month"].dt.strftime("%Y-%m"))
    reps = plan.reps.drop(columns=["weight"])
    wide = plan.matrix.assign(month=pd.to_datetime(plan.matrix["month"]).dt.strftime("%Y-%m"),
                              _c=cents(plan.matrix["quota"]))
    pivot = wide.pivot_table(index="rep_id", columns="month", values="_c", aggfunc="sum", sort=False)
    pivot = pivot.reindex(plan.reps["rep_id"]).fillna(0).astype("int64")
    pivot["total"] = pivot.sum(axis=1)
    pivot.loc["total"] = pivot.sum(axis=0)
    body = (pivot / 100).reset_index()
    body.columns.name = None
    info = plan.reps.set_index("rep_id")[["name", "team"]]
    body.insert(1, "name", body["rep_id"].map(info["name"]))
    body.insert(2, "team", body["rep_id"].map(info["team"]))
    total_label = t("targets.total", lang)
    body["rep_id"] = body["rep_id"].where(body["rep_id"] != "total", total_label)
    body = body.rename(columns={"total": total_label})
    return {
        t("targets.sheet.year", lang): show(year),
        t("targets.sheet.quarters", lang): show(plan.quarterly),
        t("targets.sheet.months", lang): show(monthly),
        t("targets.sheet.teams", lang): show(plan.teams),
        t("targets.sheet.reps", lang): show(reps),
        t("targets.sheet.matrix", lang): show(body),
    }


def write_quota_workbook(sheets: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write ``sheets`` (from :func:`quota_sheets`) to an Excel file with openpyxl; return its path.

    The module's only I/O. Money cells get a ``#,##0.00`` format; columns are widened
    to fit their headers.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=str(name)[:31], index=False)
            ws = writer.sheets[str(name)[:31]]
            for i, col in enumerate(frame.columns, start=1):
                letter = get_column_letter(i)
                ws.column_dimensions[letter].width = max(10, min(40, len(str(col)) * 2 + 2))
                if pd.api.types.is_float_dtype(frame[col]):
                    for cell in ws[letter][1:]:
                        cell.number_format = "#,##0.00"
    return path
