"""Price-negotiation ladder and approval limits by position: deals outside a rep's authority.

The method's negotiation stage works with a price ladder (domain section 3: an order above
500,000 gets 3 months of service free; a renewal 20% off) and its evaluation with
authority limits by role (section 4: the discount a rep may grant alone, the contract value
a role may sign). Both are data: ``data/rules/price_authority.yaml`` (:data:`AUTHORITY_PATH`).

:func:`authority_check` flags each opportunity (open or won) whose concessions or value go
beyond what its rep may grant: the ladder's concession for that deal is always allowed, and
above it the rep's position limit; the row names the lowest position that could approve.
The opportunities carry the concessions in the optional columns ``discount_amount`` (CNY off
the list amount, so the discount share is ``discount_amount / (amount + discount_amount)``)
and ``free_months`` (months of service given free).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from playbook.core import paths
from playbook.core.errors import InputError, ParameterError, require_columns, yaml_error

__all__ = ["AUTHORITY_PATH", "AUTHORITY_COLUMNS", "LIMITS", "Position", "LadderStep", "AuthorityRules",
           "load_authority", "authority_check"]

AUTHORITY_PATH = paths.DATA_DIR / "rules" / "price_authority.yaml"
LIMITS = ("discount", "free_months", "amount")
"""The limits checked: discount share, free months of service, contract value."""
AUTHORITY_COLUMNS = ["opportunity_id", "rep_id", "name", "team", "outcome", "position", "amount", "limit",
                     "value", "allowed", "needs"]
"""Columns of :func:`authority_check`: one row per opportunity and limit exceeded; ``position`` and ``needs``
are position keys (``needs`` empty when no position may approve it)."""


@dataclass(frozen=True)
class Position:
    """One position's approval limits (``None``: no limit); ``names`` recognise it in the reps' role."""

    key: str
    title: dict[str, str]
    names: tuple[str, ...]
    max_discount: float | None
    max_free_months: int | None
    max_amount: float | None


@dataclass(frozen=True)
class LadderStep:
    """A concession of the price ladder, for deals above ``min_amount`` and/or of ``deal_type``."""

    key: str
    title: dict[str, str]
    min_amount: float | None
    deal_type: str | None
    discount: float
    free_months: int


@dataclass(frozen=True)
class AuthorityRules:
    """The price ladder and the positions' limits, lowest position first."""

    name: str
    title: dict[str, str]
    ladder: tuple[LadderStep, ...]
    positions: tuple[Position, ...]


class _At(str):
    """Where in the file (English text), with ``item``: a label key and fields to word it."""

    item: dict[str, object]


def _at(file: str, part: str, n: int) -> _At:
    """Return position/ladder step ``n`` of ``file`` (``part``: ``position`` or ``step``)."""
    at = _At(f"{file}, {'position' if part == 'position' else 'ladder step'} {n}")
    at.item = {"key": f"message.funnel.authority.at_{part}", "file": file, "n": n}
    return at


def _number(raw: dict, key: str, where: _At, *, whole: bool = False) -> Any:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise InputError(f"{where}: {key} must be a number >= 0 (or empty for no limit), got {value!r}.",
                         code="funnel.authority.number", params={"at_items": [where.item], "key": key,
                                                                 "value": repr(value)})
    if whole and value != int(value):
        raise InputError(f"{where}: {key} must be a whole number of months, got {value!r}.",
                         code="funnel.authority.months", params={"at_items": [where.item], "key": key,
                                                                 "value": repr(value)})
    return int(value) if whole else float(value)


def _title(raw: dict, key: str) -> dict[str, str]:
    title = raw.get("title") or {}
    return {str(k): str(v) for k, v in title.items()} if isinstance(title, dict) else {"en": str(title)}


def load_authority(path: str | Path | None = None) -> AuthorityRules:
    """Load and check the price ladder and approval limits (default :data:`AUTHORITY_PATH`).

    Examples
    --------
    >>> rules = load_authority()
    >>> [p.key for p in rules.positions], rules.positions[0].max_discount, rules.ladder[0].free_months
    (['sales_specialist', 'senior_sales', 'sales_manager', 'sales_director'], 0.05, 3)
    """
    file = paths.resolve(path) if path else AUTHORITY_PATH
    if not Path(file).is_file():
        raise ParameterError("authority", str(path), "an existing YAML file such as data/rules/price_authority.yaml")
    try:
        data = yaml.safe_load(Path(file).read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise yaml_error(Path(file).name, exc) from None
    where = f"{Path(file).name}"
    if not isinstance(data, dict) or not isinstance(data.get("positions"), list) or not data["positions"]:
        raise InputError(f"{where}: needs 'positions': a list of positions with their limits, lowest first.",
                         code="funnel.authority.positions", params={"where": where})
    positions = []
    for i, raw in enumerate(data["positions"], start=1):
        at = _at(where, "position", i)
        if not isinstance(raw, dict) or not raw.get("key"):
            raise InputError(f"{at}: needs a 'key'.", code="funnel.authority.key", params={"at_items": [at.item]})
        names = raw.get("names") or []
        positions.append(Position(str(raw["key"]), _title(raw, "title"),
                                  tuple(str(n).strip().casefold() for n in [raw["key"], *names]),
                                  _number(raw, "max_discount", at), _number(raw, "max_free_months", at, whole=True),
                                  _number(raw, "max_amount", at)))
    ladder = []
    for i, raw in enumerate(data.get("ladder") or [], start=1):
        at = _at(where, "step", i)
        if not isinstance(raw, dict) or not raw.get("key"):
            raise InputError(f"{at}: needs a 'key'.", code="funnel.authority.key", params={"at_items": [at.item]})
        deal_type = raw.get("deal_type")
        if deal_type not in (None, "new", "renewal"):
            raise InputError(f"{at}: deal_type must be 'new' or 'renewal', got {deal_type!r}.",
                             code="funnel.authority.deal_type",
                             params={"at_items": [at.item], "value": repr(deal_type)})
        ladder.append(LadderStep(str(raw["key"]), _title(raw, "title"), _number(raw, "min_amount", at), deal_type,
                                 _number(raw, "discount", at) or 0.0, _number(raw, "free_months", at, whole=True) or 0))
    return AuthorityRules(str(data.get("name") or Path(file).stem), _title(data, "title"), tuple(ladder),
                          tuple(positions))


def _deal_types(opps: pd.DataFrame, orders: pd.DataFrame | None) -> np.ndarray:
    """``renewal`` for an opportunity of a customer who ordered before it was created, else ``new``."""
    out = np.full(len(opps), "new", dtype=object)
    if orders is None or "customer_id" not in opps:
        return out
    require_columns(orders, ["customer_id", "order_date", "amount"], "orders")
    pos = orders.loc[pd.to_numeric(orders["amount"], errors="coerce") > 0]
    first = pd.to_datetime(pos["order_date"]).groupby(pos["customer_id"].astype(str)).min()
    before = opps["customer_id"].astype("string").map(first)
    created = pd.to_datetime(opps["created_date"])
    out[(before.notna() & (pd.to_datetime(before) < created)).to_numpy(dtype=bool)] = "renewal"
    return out


def authority_check(opportunities: pd.DataFrame, reps: pd.DataFrame, orders: pd.DataFrame | None = None, *,
                    rules: AuthorityRules | str | Path | None = None) -> pd.DataFrame:
    """Flag open and won deals whose concessions or value are beyond their rep's authority.

    For each opportunity the ladder's concession is allowed to anyone (the largest of the
    steps that apply: amount strictly above ``min_amount``, the deal type, ``renewal`` when
    the customer ordered before the opportunity was created, which needs ``orders``); above
    it, the rep's position limit (the reps' ``role`` matched to a position's names; an
    unknown or empty role counts as the lowest position). A limit is exceeded when the
    discount share, the free months or the amount is above what is allowed; ``needs`` is the
    lowest position that may approve it. Lost deals are not checked.

    Returns
    -------
    DataFrame
        :data:`AUTHORITY_COLUMNS`, by opportunity then limit (:data:`LIMITS` order).

    Examples
    --------
    >>> opps = pd.DataFrame({"opportunity_id": ["P1", "P2", "P3"], "rep_id": ["R1"] * 3,
    ...     "amount": [200_000.0, 600_000.0, 200_000.0], "discount_amount": [0.0, 0.0, 50_000.0],
    ...     "free_months": [0, 3, 0], "outcome": ["won", "won", "open"],
    ...     "created_date": pd.to_datetime(["2025-01-01"] * 3)})
    >>> reps = pd.DataFrame({"rep_id": ["R1"], "name": ["Ann"], "team": ["A"], "role": ["销售专员"]})
    >>> authority_check(opps, reps)[["opportunity_id", "limit", "value", "allowed", "needs"]]
      opportunity_id     limit     value    allowed          needs
    0             P2    amount  600000.0  300000.00   senior_sales
    1             P3  discount       0.2       0.05  sales_manager
    """
    require_columns(opportunities, ["opportunity_id", "rep_id", "amount", "outcome"], "opportunities")
    require_columns(reps, ["rep_id"], "reps")
    rules = rules if isinstance(rules, AuthorityRules) else load_authority(rules)
    opps = opportunities.loc[opportunities["outcome"].astype(str).isin(["won", "open"])].reset_index(drop=True)
    amount = pd.to_numeric(opps["amount"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    off = (pd.to_numeric(opps["discount_amount"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
           if "discount_amount" in opps else np.zeros(len(opps)))
    free = (pd.to_numeric(opps["free_months"], errors="coerce").fillna(0).to_numpy(dtype=float)
            if "free_months" in opps else np.zeros(len(opps)))
    listed = amount + off
    discount = np.divide(off, listed, out=np.zeros(len(opps)), where=listed > 0)
    kind = _deal_types(opps, orders) if "created_date" in opps else np.full(len(opps), "new", dtype=object)
    ladder_discount, ladder_free = np.zeros(len(opps)), np.zeros(len(opps))
    for step in rules.ladder:
        applies = np.ones(len(opps), dtype=bool)
        if step.min_amount is not None:
            applies &= amount > step.min_amount
        if step.deal_type is not None:
            applies &= kind == step.deal_type
        ladder_discount = np.where(applies, np.maximum(ladder_discount, step.discount), ladder_discount)
        ladder_free = np.where(applies, np.maximum(ladder_free, step.free_months), ladder_free)
    info = reps.assign(rep_id=reps["rep_id"].astype(str)).drop_duplicates("rep_id").set_index("rep_id")
    rep = opps["rep_id"].astype(str)
    role = rep.map(info["role"]) if "role" in info else pd.Series(pd.NA, index=opps.index)
    by_name = {n: i for i, p in enumerate(rules.positions) for n in p.names}
    level = np.asarray([by_name.get(r.strip().casefold(), 0) if isinstance(r, str) else 0 for r in role],
                       dtype=np.int64)
    inf = float("inf")

    def limits(attr: str) -> np.ndarray:
        return np.array([inf if getattr(p, attr) is None else getattr(p, attr) for p in rules.positions])

    checks = {"discount": (discount, np.maximum(limits("max_discount")[:, None], ladder_discount[None, :])),
              "free_months": (free, np.maximum(limits("max_free_months")[:, None], ladder_free[None, :])),
              "amount": (amount, np.broadcast_to(limits("max_amount")[:, None], (len(rules.positions), len(opps))))}
    keys = np.array([p.key for p in rules.positions] + [""], dtype=object)
    parts = []
    for order, (limit, (value, allowed)) in enumerate(checks.items()):
        own = allowed[level, np.arange(len(opps))]
        bad = value > own + 1e-9
        if not bad.any():
            continue
        ok = value[None, :] <= allowed + 1e-9
        needs = np.where(ok.any(axis=0), ok.argmax(axis=0), len(rules.positions))
        idx = np.flatnonzero(bad)
        parts.append(pd.DataFrame({
            "_i": idx, "_o": order, "limit": limit, "value": np.round(value[idx], 4), "allowed": own[idx],
            "position": keys[level[idx]], "needs": keys[needs[idx]]}))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=float if c in ("amount", "value", "allowed") else object)
                             for c in AUTHORITY_COLUMNS})
    out = pd.concat(parts, ignore_index=True).sort_values(["_i", "_o"], kind="stable")
    rows = opps.iloc[out["_i"].to_numpy()]
    out["opportunity_id"] = rows["opportunity_id"].astype(str).to_numpy()
    out["rep_id"] = rows["rep_id"].astype(str).to_numpy()
    for col in ("name", "team"):
        out[col] = rows["rep_id"].astype(str).map(info[col]).to_numpy() if col in info else pd.NA
    out["outcome"] = rows["outcome"].astype(str).to_numpy()
    out["amount"] = amount[out["_i"].to_numpy()]
    return out[AUTHORITY_COLUMNS].reset_index(drop=True)
