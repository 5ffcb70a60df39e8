"""A plan to and from plain data (JSON-ready dictionaries)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from playbook.core.errors import InputError
from playbook.idp.catalogue import PLAN_ITEM_COLUMNS
from playbook.idp.plan import Plan, _typed_items

__all__ = ["plan_to_dict", "plan_from_dict"]

# --------------------------------------------------------------------------- (de)serialisation
_HEADER = ("rep_id", "rep_name", "position", "department", "supervisor_name", "plan_date", "quota", "actual",
           "attainment", "peer_mean", "peer_median", "peer_count", "strengths", "summary", "lang")


def _json_value(v: object) -> object:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.date().isoformat()
    if v is pd.NaT or v is pd.NA:
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return _json_value(float(v))
    return v


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """Return a JSON-ready dict of the plan (dates ISO, missing values None); inverse of :func:`plan_from_dict`.

    Examples
    --------
    >>> d = plan_to_dict(Plan("R1", plan_date=pd.Timestamp("2025-10-08")))
    >>> d["plan_date"], d["items"], d["quota"]
    ('2025-10-08', [], None)
    """
    out: dict[str, Any] = {k: _json_value(getattr(plan, k)) for k in _HEADER if k not in ("strengths",)}
    out["strengths"] = [str(s) for s in plan.strengths]
    out["peer_count"] = int(plan.peer_count or 0)
    items = _typed_items(plan.items)
    out["items"] = [
        {k: _json_value(v) for k, v in rec.items()}
        for rec in items.astype({"current_level": "object", "target_level": "object"}).to_dict("records")
    ]
    return out


def plan_from_dict(data: Mapping[str, Any]) -> Plan:
    """Rebuild a :class:`Plan` from :func:`plan_to_dict` output (e.g. stored JSON).

    Examples
    --------
    >>> p = Plan("R1", plan_date=pd.Timestamp("2025-10-08"), strengths=("Cooperative",))
    >>> plan_from_dict(plan_to_dict(p)).strengths
    ('Cooperative',)
    """
    if not isinstance(data, Mapping) or "rep_id" not in data:
        raise InputError("plan content: expected a mapping with at least 'rep_id' and 'items'.")
    items = pd.DataFrame(list(data.get("items") or []), columns=PLAN_ITEM_COLUMNS)
    kw: dict[str, Any] = {}
    for k in _HEADER:
        if k not in data or k == "rep_id":
            continue
        v = data[k]
        if k == "plan_date":
            v = None if v is None else pd.Timestamp(v)
        elif k in ("quota", "actual", "attainment", "peer_mean", "peer_median"):
            v = float("nan") if v is None else float(v)
        elif k == "strengths":
            v = tuple(str(s) for s in v or ())
        elif k == "peer_count":
            v = int(v or 0)
        elif v is None:
            v = ""
        kw[k] = v
    return Plan(rep_id=str(data["rep_id"]), items=_typed_items(items), **kw)
