"""Benchmarks of the IDP: team evidence computed once, against a per-rep loop."""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook import idp
from playbook.bench import Result, compare
from playbook.data.sample import SAMPLE_AS_OF, generate

__all__ = ["CASES", "naive_evidence"]


def naive_evidence(orders: pd.DataFrame, reps: pd.DataFrame, assessments: pd.DataFrame, *,
                   as_of: object) -> pd.DataFrame:
    """Baseline: YTD sales, the peers' median and the latest manager levels, one rep at a time.

    The way a spreadsheet macro would build each rep's IDP evidence: filter the whole
    tables for the rep, then again for each of his peers (O(reps x rows)).
    """
    end = pd.Timestamp(as_of)
    start = pd.Timestamp(year=end.year, month=1, day=1)
    ytd = orders[(orders["order_date"] >= start) & (orders["order_date"] <= end)]
    rows = []
    for rep in reps.itertuples(index=False):
        actual = ytd.loc[ytd["rep_id"] == rep.rep_id, "amount"].sum()
        peers = reps.loc[(reps["role"] == rep.role) & (reps["rep_id"] != rep.rep_id), "rep_id"]
        peer_sales = [ytd.loc[ytd["rep_id"] == p, "amount"].sum() for p in peers]
        mine = assessments[(assessments["rep_id"] == rep.rep_id) & (assessments["rater"] == "manager")
                           & (assessments["assessed_date"] <= end)]
        levels = {c: part.sort_values("assessed_date")["level"].iloc[-1] for c, part in mine.groupby("competency")}
        rows.append({"rep_id": rep.rep_id, "actual": actual,
                     "peer_median": float(np.median(peer_sales)) if peer_sales else np.nan, **levels})
    return pd.DataFrame(rows)


def _bench_evidence(scale: float) -> list[Result]:
    tables = generate(seed=7, scale=scale)
    orders, reps, quotas, assessments = (tables[t] for t in ("orders", "reps", "quotas", "assessments"))
    seconds, base, _, _ = compare(
        lambda: idp.team_evidence(orders, reps, quotas, assessments=assessments, as_of=SAMPLE_AS_OF),
        lambda: naive_evidence(orders, reps, assessments, as_of=SAMPLE_AS_OF), repeat=1)
    return [Result(f"IDP evidence, all {len(reps)} reps in one pass", len(orders), seconds,
                   "per-rep Python loop (YTD sales, peer median, manager levels only: does less)", base,
                   kind="naive", repeats=1)]


CASES = {
    "idp_evidence": (_bench_evidence, 4.0, 1.0),
}
