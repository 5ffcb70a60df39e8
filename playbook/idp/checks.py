"""Plan validation: every problem of a plan's items, as codes with row, column, value and what was expected.

The checks compute only; :func:`playbook.present.idp.word_plan_issues` words the problems
in a language and :func:`playbook.present.idp.check_plan` raises them worded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from playbook.core.errors import ValidationError, require_columns
from playbook.core.schema import is_blank
from playbook.idp.catalogue import PLAN_ITEM_COLUMNS, Catalogue, _as_catalogue
from playbook.idp.plan import Plan, _typed_items, strength_item

__all__ = ["PLAN_ISSUE_CODES", "PLAN_ISSUE_COLUMNS", "plan_issues", "validate_plan"]

PLAN_ISSUE_COLUMNS = ["file", "table", "row", "column", "value", "code", "expected", "against"]
"""Columns of :func:`plan_issues`: those of :data:`playbook.data.issues.ISSUE_COLUMNS` but the
message (worded by the presentation layer), and ``against``: what the value was checked against
(the current level, the plan date, the item it repeats), empty for the other codes."""

PLAN_ISSUE_CODES = ("unknown_rep", "missing_plan_date", "empty_item", "level_out_of_range", "target_below_current",
                    "missing_review_date", "review_in_past", "empty_measures", "duplicate_item", "strength_is_item")
"""Every code of :func:`plan_issues` (label ``idp.issue.<code>`` words it)."""

_COLUMN_ORDER = {c: i for i, c in enumerate(["competency", "current_level", "target_level", "review_date",
                                             "measures"])}


# --------------------------------------------------------------------------- validation
def _issue(code: str, *, row: int | None, column: str, value: object, expected: str,
           against: object = "") -> dict[str, object]:
    return {"file": "plan", "table": "idp_items" if row is not None else "idp", "row": row, "column": column,
            "value": "" if is_blank(value) else str(value), "code": code, "expected": expected,
            "against": "" if is_blank(against) else str(against)}


def plan_issues(plan: Plan, *, rep_ids: Sequence[str] | None = None,
                catalogue: Catalogue | str | None = None) -> pd.DataFrame:
    """Every problem of a (hand-edited) plan, one row each; empty when the plan is fine.

    Checks: unknown rep (when ``rep_ids`` is given), missing plan date, a strength that
    names a development item of the plan (:func:`~playbook.idp.plan.strength_item`: a
    competency is a strength or an item, not both), empty item, levels not whole numbers
    1-5, target below current level, review date missing or not after the plan date,
    empty measures, the same item twice.

    Parameters
    ----------
    plan : Plan
    rep_ids : sequence of str, optional
        The known reps (e.g. ``reps["rep_id"]``).
    catalogue : Catalogue or path, optional
        Competency names to recognise in the strengths (default: the kit's catalogue).

    Returns
    -------
    DataFrame
        :data:`PLAN_ISSUE_COLUMNS`; ``row`` is the item's number in the plan table
        (1 = first), empty for the plan header; ``code`` one of :data:`PLAN_ISSUE_CODES`.
        Ordered by row, then column. Messages in a language:
        :func:`playbook.present.idp.word_plan_issues`.

    Examples
    --------
    >>> items = pd.DataFrame({"competency": ["negotiation", "negotiation"], "why": "",
    ...                       "current_level": [3, 6], "target_level": [2, 5], "measures": ["Course", " "],
    ...                       "resources": "", "review_date": pd.to_datetime(["2026-03-01", "2026-06-01"])})
    >>> plan = Plan("R1", plan_date=pd.Timestamp("2025-10-08"), items=items)
    >>> plan_issues(plan)[["row", "column", "value", "against", "code"]]
       row         column        value against                  code
    0    1   target_level            2       3  target_below_current
    1    2  current_level            6            level_out_of_range
    2    2       measures                             empty_measures
    3    2     competency  negotiation       1        duplicate_item
    """
    issues: list[dict[str, object]] = []
    if rep_ids is not None and str(plan.rep_id) not in set(map(str, rep_ids)):
        issues.append(_issue("unknown_rep", row=None, column="rep_id", value=plan.rep_id,
                             expected="a rep_id of the data"))
    plan_date = pd.to_datetime(plan.plan_date, errors="coerce") if plan.plan_date is not None else pd.NaT
    if pd.isna(plan_date):
        issues.append(_issue("missing_plan_date", row=None, column="plan_date", value=plan.plan_date,
                             expected="YYYY-MM-DD"))
    require_columns(plan.items, PLAN_ITEM_COLUMNS, "plan items")
    cat = _as_catalogue(catalogue)
    keys = [str(k) for k in plan.items["competency"].fillna("")]
    for strength in plan.strengths:
        i = strength_item(strength, keys, cat)
        if i is not None:
            issues.append(_issue("strength_is_item", row=None, column="strengths", value=strength,
                                 expected="a strength that is not a development item", against=i + 1))
    issues += _item_issues(plan.items, plan_date)
    frame = pd.DataFrame(issues, columns=PLAN_ISSUE_COLUMNS)
    frame["row"] = frame["row"].astype("Int64")
    frame = frame.assign(_r=frame["row"].fillna(0), _c=frame["code"].eq("duplicate_item").astype(int),
                         _o=frame["column"].map(_COLUMN_ORDER).fillna(-1))
    frame = frame.sort_values(["_r", "_c", "_o"], kind="stable").drop(columns=["_r", "_c", "_o"])
    return frame.reset_index(drop=True)


def _item_issues(raw: pd.DataFrame, plan_date: pd.Timestamp) -> list[dict[str, object]]:
    """List the problems of the plan table's rows (``plan_date`` may be missing)."""
    issues: list[dict[str, object]] = []
    items = _typed_items(raw)
    raw = raw.reset_index(drop=True)
    rows = pd.Series(np.arange(1, len(items) + 1), index=items.index)
    comp = items["competency"].str.strip()
    for i in items.index[comp == ""]:
        issues.append(_issue("empty_item", row=int(rows[i]), column="competency", value="",
                             expected="a competency"))
    for col in ("current_level", "target_level"):
        bad = items[col].isna() | (items[col] < 1) | (items[col] > 5)
        for i in items.index[bad.fillna(True)]:
            issues.append(_issue("level_out_of_range", row=int(rows[i]), column=col, value=raw.at[i, col],
                                 expected="1–5"))
    ok = items["current_level"].between(1, 5) & items["target_level"].between(1, 5)
    below = ok.fillna(False) & (items["target_level"] < items["current_level"]).fillna(False)
    for i in items.index[below]:
        issues.append(_issue("target_below_current", row=int(rows[i]), column="target_level",
                             value=items.at[i, "target_level"], expected=f"≥ {items.at[i, 'current_level']}",
                             against=items.at[i, "current_level"]))
    for i in items.index[items["review_date"].isna()]:
        issues.append(_issue("missing_review_date", row=int(rows[i]), column="review_date",
                             value=raw.at[i, "review_date"], expected="YYYY-MM-DD"))
    if not pd.isna(plan_date):
        past = items["review_date"].notna() & (items["review_date"] <= plan_date.normalize())
        for i in items.index[past]:
            issues.append(_issue("review_in_past", row=int(rows[i]), column="review_date",
                                 value=items.at[i, "review_date"].date(), expected=f"> {plan_date.date()}",
                                 against=plan_date.date()))
    for i in items.index[items["measures"].str.strip() == ""]:
        issues.append(_issue("empty_measures", row=int(rows[i]), column="measures", value="",
                             expected="at least one measure"))
    norm = comp.str.casefold()
    dup = norm.duplicated(keep="first") & (norm != "")
    first_row = rows.groupby(norm).transform("min")
    for i in items.index[dup]:
        issues.append(_issue("duplicate_item", row=int(rows[i]), column="competency", value=comp[i],
                             expected="each item once", against=int(first_row[i])))
    return issues


def validate_plan(plan: Plan, *, rep_ids: Sequence[str] | None = None) -> Plan:
    """Return ``plan`` with typed items if it has no problem, else raise listing all of them.

    The error names each problem by its code; to raise it worded in a language (as forms
    and the plan store do), use :func:`playbook.present.idp.check_plan`.

    Raises
    ------
    ValidationError
        ``issues`` holds :func:`plan_issues` and a ``message`` per problem.

    Examples
    --------
    >>> items = pd.DataFrame({"competency": ["negotiation"], "why": "", "current_level": [3],
    ...                       "target_level": [5], "measures": [""], "resources": "",
    ...                       "review_date": ["2025-01-01"]})
    >>> validate_plan(Plan("R1", plan_date=pd.Timestamp("2025-10-08"), items=items))
    Traceback (most recent call last):
    ...
    playbook.core.errors.ValidationError: The plan of R1 has 2 problem(s):
      - item 1, review_date: review_in_past ('2025-01-01'; expected > 2025-10-08)
      - item 1, measures: empty_measures (''; expected at least one measure)
    """
    issues = plan_issues(plan, rep_ids=rep_ids)
    if len(issues):
        where = np.where(issues["row"].isna(), "plan", "item " + issues["row"].astype("string").fillna(""))
        issues["message"] = [f"{w}, {c}: {code} ({v!r}; expected {e})" for w, c, code, v, e in zip(
            where, issues["column"], issues["code"], issues["value"], issues["expected"], strict=True)]
        raise ValidationError(issues, summary=f"The plan of {plan.rep_id} has {len(issues)} problem(s)")
    return replace(plan, items=_typed_items(plan.items))
