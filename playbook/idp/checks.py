"""Plan validation: every problem of a plan's items, with row, column, value and what was expected."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from playbook.core.errors import ValidationError, require_columns
from playbook.core.labels import check_lang, t
from playbook.data.issues import ISSUE_COLUMNS
from playbook.idp.catalogue import PLAN_ITEM_COLUMNS, _blank
from playbook.idp.plan import Plan, _typed_items

__all__ = ["plan_issues", "validate_plan"]

# --------------------------------------------------------------------------- validation
def _issue(code: str, lang: str, *, row: int | None, column: str, value: object, expected: str,
           **fields_: object) -> dict[str, object]:
    shown = "" if _blank(value) else str(value)
    return {"file": "plan", "table": "idp_items" if row is not None else "idp", "row": row, "column": column,
            "value": shown, "code": code, "expected": expected,
            "message": t(f"idp.issue.{code}", lang, row=row if row is not None else "", value=shown,
                         expected=expected, **fields_)}


def plan_issues(
    plan: Plan,
    *,
    rep_ids: Sequence[str] | None = None,
    lang: str | None = None,
) -> pd.DataFrame:
    """Every problem of a (hand-edited) plan, one row each; empty when the plan is fine.

    Checks: unknown rep (when ``rep_ids`` is given), missing plan date, empty item,
    levels not whole numbers 1-5, target below current level, review date missing or
    not after the plan date, empty measures, the same item twice.

    Parameters
    ----------
    plan : Plan
    rep_ids : sequence of str, optional
        The known reps (e.g. ``reps["rep_id"]``).
    lang : {"en", "zh"}, optional
        Language of the messages; default the plan's.

    Returns
    -------
    DataFrame
        Columns of :data:`playbook.data.validation.ISSUE_COLUMNS`; ``row`` is the item's
        number in the plan table (1 = first), empty for the plan header.

    Examples
    --------
    >>> items = pd.DataFrame({"competency": ["negotiation", "negotiation"], "why": "",
    ...                       "current_level": [3, 6], "target_level": [2, 5], "measures": ["Course", " "],
    ...                       "resources": "", "review_date": pd.to_datetime(["2026-03-01", "2026-06-01"])})
    >>> plan = Plan("R1", plan_date=pd.Timestamp("2025-10-08"), items=items)
    >>> plan_issues(plan)[["row", "column", "code"]]
       row         column                  code
    0    1   target_level  target_below_current
    1    2  current_level    level_out_of_range
    2    2       measures        empty_measures
    3    2     competency        duplicate_item
    """
    lang = check_lang(lang or plan.lang)
    issues: list[dict[str, object]] = []
    if rep_ids is not None and str(plan.rep_id) not in set(map(str, rep_ids)):
        issues.append(_issue("unknown_rep", lang, row=None, column="rep_id", value=plan.rep_id,
                             expected="a rep_id of the data"))
    plan_date = pd.to_datetime(plan.plan_date, errors="coerce") if plan.plan_date is not None else pd.NaT
    if pd.isna(plan_date):
        issues.append(_issue("missing_plan_date", lang, row=None, column="plan_date", value=plan.plan_date,
                             expected="YYYY-MM-DD"))
    raw = plan.items
    require_columns(raw, PLAN_ITEM_COLUMNS, "plan items")
    items = _typed_items(raw)
    raw = raw.reset_index(drop=True)
    rows = pd.Series(np.arange(1, len(items) + 1), index=items.index)
    comp = items["competency"].str.strip()
    for i in items.index[comp == ""]:
        issues.append(_issue("empty_item", lang, row=int(rows[i]), column="competency", value="",
                             expected="a competency"))
    for col in ("current_level", "target_level"):
        bad = items[col].isna() | (items[col] < 1) | (items[col] > 5)
        for i in items.index[bad.fillna(True)]:
            issues.append(_issue("level_out_of_range", lang, row=int(rows[i]), column=col, value=raw.at[i, col],
                                 expected="1–5"))
    ok = items["current_level"].between(1, 5) & items["target_level"].between(1, 5)
    below = ok.fillna(False) & (items["target_level"] < items["current_level"]).fillna(False)
    for i in items.index[below]:
        issues.append(_issue("target_below_current", lang, row=int(rows[i]), column="target_level",
                             value=items.at[i, "target_level"], expected=f"≥ {items.at[i, 'current_level']}",
                             current=items.at[i, "current_level"]))
    for i in items.index[items["review_date"].isna()]:
        issues.append(_issue("missing_review_date", lang, row=int(rows[i]), column="review_date",
                             value=raw.at[i, "review_date"], expected="YYYY-MM-DD"))
    if not pd.isna(plan_date):
        past = items["review_date"].notna() & (items["review_date"] <= plan_date.normalize())
        for i in items.index[past]:
            issues.append(_issue("review_in_past", lang, row=int(rows[i]), column="review_date",
                                 value=items.at[i, "review_date"].date(), expected=f"> {plan_date.date()}",
                                 plan_date=plan_date.date()))
    for i in items.index[items["measures"].str.strip() == ""]:
        issues.append(_issue("empty_measures", lang, row=int(rows[i]), column="measures", value="",
                             expected="at least one measure"))
    norm = comp.str.casefold()
    dup = norm.duplicated(keep="first") & (norm != "")
    first_row = rows.groupby(norm).transform("min")
    for i in items.index[dup]:
        issues.append(_issue("duplicate_item", lang, row=int(rows[i]), column="competency", value=comp[i],
                             expected="each item once", first=int(first_row[i])))
    frame = pd.DataFrame(issues, columns=ISSUE_COLUMNS)
    frame["row"] = frame["row"].astype("Int64")
    order = {c: i for i, c in enumerate(["competency", "current_level", "target_level", "review_date", "measures"])}
    frame = frame.assign(_r=frame["row"].fillna(0), _c=frame["code"].eq("duplicate_item").astype(int),
                         _o=frame["column"].map(order).fillna(-1))
    frame = frame.sort_values(["_r", "_c", "_o"], kind="stable").drop(columns=["_r", "_c", "_o"])
    return frame.reset_index(drop=True)


def validate_plan(plan: Plan, *, rep_ids: Sequence[str] | None = None, lang: str | None = None) -> Plan:
    """Return ``plan`` with typed items if it has no problem, else raise listing all of them.

    Raises
    ------
    ValidationError
        ``issues`` holds :func:`plan_issues`; the message lists each problem.

    Examples
    --------
    >>> items = pd.DataFrame({"competency": ["negotiation"], "why": "", "current_level": [3],
    ...                       "target_level": [5], "measures": [""], "resources": "",
    ...                       "review_date": ["2025-01-01"]})
    >>> validate_plan(Plan("R1", plan_date=pd.Timestamp("2025-10-08"), items=items))
    Traceback (most recent call last):
    ...
    playbook.core.errors.ValidationError: The plan of R1 has 2 problem(s):
      - Item 1: the review date 2025-01-01 is not after the plan date 2025-10-08; set a later review date.
      - Item 1: no development measure; write at least one measure.
    """
    issues = plan_issues(plan, rep_ids=rep_ids, lang=lang)
    if len(issues):
        raise ValidationError(issues, summary=t("idp.invalid", check_lang(lang or plan.lang), rep=plan.rep_id,
                                                n=len(issues)))
    return replace(plan, items=_typed_items(plan.items))
