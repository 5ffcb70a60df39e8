"""Each rep's customer portfolio, and migration between segments."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from playbook.core.errors import ParameterError, require_columns
from playbook.core.money import round_money
from playbook.rfm.scores import INACTIVE, TIERS
from playbook.rfm.segments import SegmentMap, load_segment_map

__all__ = ["rep_portfolio", "portfolio_summary", "portfolio_matrix", "migration"]

# --------------------------------------------------------------------------- portfolios

def _owners(segmented: pd.DataFrame, customers: pd.DataFrame | None, customer_col: str,
            owner_col: str) -> pd.Series:
    rep = segmented["rep_id"]
    if customers is None:
        return rep
    require_columns(customers, [customer_col, owner_col], "customers")
    owner = customers.drop_duplicates(customer_col).set_index(customer_col)[owner_col]
    return segmented["customer_id"].map(owner).fillna(rep)


def _rep_names(reps: pd.DataFrame | None) -> pd.Series:
    if reps is None:
        return pd.Series(dtype="str")
    require_columns(reps, ["rep_id", "name"], "reps")
    return reps.drop_duplicates("rep_id").set_index("rep_id")["name"]


def rep_portfolio(segmented: pd.DataFrame, *, customers: pd.DataFrame | None = None,
                  customer_col: str = "customer_id", owner_col: str = "owner_rep_id") -> pd.DataFrame:
    """Count customers and net revenue per rep, segment and tier (long format).

    A customer belongs to its owner in ``customers`` (``owner_rep_id``); without one,
    to the rep credited on its latest order (``rep_id`` of the RFM table).
    Columns ``rep_id, segment, tier, customers, revenue``.

    Examples
    --------
    >>> s = pd.DataFrame({"customer_id": ["A", "B", "C"], "rep_id": ["R1", "R1", "R2"],
    ...                   "segment": ["x", "x", "y"], "tier": ["basic"] * 3, "monetary": [1.0, 2.0, 5.0]})
    >>> rep_portfolio(s, customers=pd.DataFrame({"customer_id": ["C"], "owner_rep_id": ["R1"]}))
      rep_id segment   tier  customers  revenue
    0     R1       x  basic          2      3.0
    1     R1       y  basic          1      5.0
    """
    require_columns(segmented, ["customer_id", "rep_id", "segment", "tier", "monetary"], "segmented customers")
    frame = segmented.assign(rep_id=_owners(segmented, customers, customer_col, owner_col))
    g = frame.groupby(["rep_id", "segment", "tier"], sort=True)
    out = pd.DataFrame({"customers": g.size(), "revenue": round_money(g["monetary"].sum())})
    return out.reset_index()


def portfolio_summary(segmented: pd.DataFrame, *,
                      segment_map: str | Path | Mapping[str, Any] | SegmentMap = "default",
                      customers: pd.DataFrame | None = None, reps: pd.DataFrame | None = None,
                      customer_col: str = "customer_id", owner_col: str = "owner_rep_id") -> pd.DataFrame:
    """Summarise each rep's portfolio: customers, revenue, high-value revenue and its share, customers per tier.

    High-value segments are the map's ``high_value`` list (default map: champions,
    loyal; domain map: high_value). Columns ``rep_id, name, customers, revenue,
    high_value_customers, high_value_revenue, high_value_share, strategic_customers,
    growth_customers, basic_customers``; ``name`` comes from ``reps`` (NA without it);
    ``high_value_share`` is NaN when the rep's revenue is not positive. The last row
    (``rep_id`` "total") sums the team.

    Examples
    --------
    >>> s = pd.DataFrame({"customer_id": ["A", "B"], "rep_id": ["R1", "R1"], "segment": ["high_value", "other"],
    ...                   "tier": ["strategic", "basic"], "monetary": [600.0, 400.0]})
    >>> portfolio_summary(s, segment_map="domain")[["rep_id", "customers", "revenue", "high_value_share"]]
      rep_id  customers  revenue  high_value_share
    0     R1          2   1000.0               0.6
    1  total          2   1000.0               0.6
    """
    smap = load_segment_map(segment_map)
    long = rep_portfolio(segmented, customers=customers, customer_col=customer_col, owner_col=owner_col)
    long["_hv"] = long["segment"].isin(smap.high_value)
    g = long.groupby("rep_id", sort=True)
    out = pd.DataFrame({
        "customers": g["customers"].sum(),
        "revenue": g["revenue"].sum(),
        "high_value_customers": long["customers"].where(long["_hv"], 0).groupby(long["rep_id"]).sum(),
        "high_value_revenue": long["revenue"].where(long["_hv"], 0.0).groupby(long["rep_id"]).sum(),
    })
    for tier in TIERS:
        out[f"{tier}_customers"] = long["customers"].where(long["tier"] == tier, 0).groupby(long["rep_id"]).sum()
    out.loc["total"] = out.sum()
    out = out.rename_axis("rep_id").reset_index()
    out["revenue"] = round_money(out["revenue"])
    out["high_value_revenue"] = round_money(out["high_value_revenue"])
    out["high_value_share"] = (out["high_value_revenue"] / out["revenue"].where(out["revenue"] > 0)).round(4)
    out["name"] = pd.array(out["rep_id"].map(_rep_names(reps)), dtype="str")
    cols = ["customers", "high_value_customers"] + [f"{t_}_customers" for t_ in TIERS]
    out[cols] = out[cols].astype("int64")
    return out[["rep_id", "name", "customers", "revenue", "high_value_customers", "high_value_revenue",
                "high_value_share"] + [f"{t_}_customers" for t_ in TIERS]]


def portfolio_matrix(segmented: pd.DataFrame, *,
                     segment_map: str | Path | Mapping[str, Any] | SegmentMap = "default",
                     value: str = "customers", customers: pd.DataFrame | None = None,
                     reps: pd.DataFrame | None = None,
                     customer_col: str = "customer_id", owner_col: str = "owner_rep_id") -> pd.DataFrame:
    """Tabulate reps x segments: ``value`` (``"customers"`` or ``"revenue"``), one column per segment key.

    Columns ``rep_id``, ``name`` (from ``reps``; NA without it), then the map's segment keys.

    Examples
    --------
    >>> s = pd.DataFrame({"customer_id": ["A", "B"], "rep_id": ["R1", "R2"], "segment": ["other", "sleeping"],
    ...                   "tier": ["basic", "basic"], "monetary": [5.0, 7.0]})
    >>> portfolio_matrix(s, segment_map="domain").drop(columns="name")
      rep_id  high_value  potential  sleeping  other
    0     R1           0          0         0      1
    1     R2           0          0         1      0
    """
    if value not in ("customers", "revenue"):
        raise ParameterError("value", value, "'customers' or 'revenue'")
    smap = load_segment_map(segment_map)
    long = rep_portfolio(segmented, customers=customers, customer_col=customer_col, owner_col=owner_col)
    wide = long.pivot_table(index="rep_id", columns="segment", values=value, aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=list(smap.keys), fill_value=0).rename_axis(columns=None)
    if value == "customers":
        wide = wide.astype("int64")
    else:
        wide = round_money(wide.astype("float64"))
    wide = wide.rename_axis("rep_id").reset_index()
    wide.insert(1, "name", pd.array(wide["rep_id"].map(_rep_names(reps)), dtype="str"))
    return wide


# --------------------------------------------------------------------------- migration

def migration(before: pd.DataFrame, after: pd.DataFrame, *,
              segment_map: str | Path | Mapping[str, Any] | SegmentMap = "default") -> pd.DataFrame:
    """Count customers moving from segment to segment between two segmentations (e.g. two as-of dates).

    Rows: segment at the first date (``from_segment``); columns: segment at the
    second date. A customer absent from one of the two frames (no order in that
    window) is counted under :data:`INACTIVE`; customers absent from both do not appear.

    Examples
    --------
    >>> b = pd.DataFrame({"customer_id": ["A", "B"], "segment": ["high_value", "potential"]})
    >>> a = pd.DataFrame({"customer_id": ["A", "C"], "segment": ["sleeping", "potential"]})
    >>> migration(b, a, segment_map="domain")
      from_segment  high_value  potential  sleeping  other  inactive
    0   high_value           0          0         1      0         0
    1    potential           0          0         0      0         1
    2     sleeping           0          0         0      0         0
    3        other           0          0         0      0         0
    4     inactive           0          1         0      0         0
    """
    require_columns(before, ["customer_id", "segment"], "first segmentation")
    require_columns(after, ["customer_id", "segment"], "second segmentation")
    smap = load_segment_map(segment_map)
    order = list(smap.keys) + [INACTIVE]
    both = before[["customer_id", "segment"]].merge(
        after[["customer_id", "segment"]], on="customer_id", how="outer", suffixes=("_from", "_to"))
    both = both.fillna({"segment_from": INACTIVE, "segment_to": INACTIVE})
    counts = both.groupby(["segment_from", "segment_to"]).size().unstack(fill_value=0)
    counts = counts.reindex(index=order, columns=order, fill_value=0).astype("int64")
    counts = counts.rename_axis(index="from_segment", columns=None).reset_index()
    counts["from_segment"] = counts["from_segment"].astype("str")
    return counts
