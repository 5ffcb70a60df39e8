"""Benchmark of the funnel table by rep against its floor: one groupby over stage flags (a crosstab)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook import funnel
from playbook.bench import Result, compare

__all__ = ["CASES", "synthetic_opportunities", "naive_rep_funnel", "floor_rep_funnel"]

_AS_OF = pd.Timestamp("2025-09-30")


def synthetic_opportunities(n: int, *, reps: int = 1000, teams: int = 25, seed: int = 7) -> tuple[
        pd.DataFrame, pd.DataFrame]:
    """Return ``(opportunities, reps)`` with ``n`` opportunities drawn with numpy.

    Stage dates increase, about 45% reach intent, 57% of those negotiation, 47% of those
    win; leads of the last 60 days may still be open.
    """
    rng = np.random.default_rng(seed)
    rep_ids = np.char.add("R", np.char.zfill(np.arange(1, reps + 1).astype(str), 5))
    team = np.char.add("T", np.char.zfill((np.arange(reps) % teams).astype(str), 3))
    rep_frame = pd.DataFrame({"rep_id": rep_ids, "name": rep_ids, "team": team})
    rep = rng.integers(0, reps, n)
    skill = rng.normal(0, 0.05, reps)[rep]
    start = np.datetime64("2023-01-01", "D")
    created = start + rng.integers(0, 1003, n).astype("timedelta64[D]")
    intent = rng.random(n) < 0.45 + skill
    neg = intent & (rng.random(n) < 0.57 + skill)
    won = neg & (rng.random(n) < 0.47 + skill)
    gaps = rng.gamma(2.0, 6.0, (3, n)).astype("int64").astype("timedelta64[D]")
    d_i = created + 2 + gaps[0]
    d_n = d_i + 3 + gaps[1]
    closed = np.where(neg, d_n, np.where(intent, d_i, created)) + 4 + gaps[2]
    is_open = closed > np.datetime64(_AS_OF.date(), "D")
    outcome = np.where(is_open, "open", np.where(won, "won", "lost"))
    nat = np.datetime64("NaT", "D")
    channels = np.array(["referral", "vertical_community", "trade_show", "paid_search", "paid_social"])
    opps = pd.DataFrame({
        "opportunity_id": np.char.add("P", np.arange(n).astype(str)),
        "customer_id": pd.array([None] * n, dtype="string"),
        "rep_id": rep_ids[rep],
        "channel": channels[rng.integers(0, 5, n)],
        "amount": np.round(rng.lognormal(np.log(11000), 0.6, n), -1),
        "created_date": created.astype("datetime64[ns]"),
        "intent_date": np.where(intent & (d_i <= closed) & ~(is_open & (d_i > _AS_OF.to_datetime64())),
                                d_i, nat).astype("datetime64[ns]"),
        "negotiation_date": np.where(neg & ~(is_open & (d_n > _AS_OF.to_datetime64())), d_n, nat)
        .astype("datetime64[ns]"),
        "closed_date": np.where(is_open, nat, closed).astype("datetime64[ns]"),
        "outcome": outcome,
    })
    opps = opps.astype({"opportunity_id": "string", "rep_id": "string", "channel": "string",
                        "outcome": "string"})
    opps = opps.loc[opps["created_date"] <= _AS_OF].reset_index(drop=True)
    return opps, rep_frame


def naive_rep_funnel(opportunities: pd.DataFrame, reps: pd.DataFrame) -> pd.DataFrame:
    """Baseline: per-rep funnel counts and step rates with a Python loop over reps.

    The way a spreadsheet macro would do it: filter the rep's rows, count each stage.
    It gives the same counts as :func:`playbook.funnel.funnel_table` by ``rep_id`` (a
    test checks this).
    """
    rows = []
    for rep_id in reps["rep_id"]:
        mine = opportunities[opportunities["rep_id"] == rep_id]
        won = mine["outcome"] == "won"
        is_open = mine["outcome"] == "open"
        neg = mine["negotiation_date"].notna() | won
        intent = mine["intent_date"].notna() | neg
        leads = len(mine)
        d1 = leads - int((is_open & ~intent).sum())
        d2 = int(intent.sum()) - int((is_open & intent & ~neg).sum())
        d3 = int(neg.sum()) - int((is_open & neg & ~won).sum())
        rows.append({
            "rep_id": rep_id, "leads": leads, "intents": int(intent.sum()),
            "negotiations": int(neg.sum()), "deals": int(won.sum()),
            "rate_lead_to_intent": intent.sum() / d1 if d1 else np.nan,
            "rate_intent_to_negotiation": neg.sum() / d2 if d2 else np.nan,
            "rate_negotiation_to_deal": won.sum() / d3 if d3 else np.nan,
        })
    return pd.DataFrame(rows)


def floor_rep_funnel(opportunities: pd.DataFrame) -> pd.DataFrame:
    """Floor: per-rep funnel counts and step rates from one ``groupby`` over stage flags.

    The same figures as :func:`naive_rep_funnel` and :func:`playbook.funnel.funnel_table`
    by ``rep_id`` (a test checks this), in the least code: flags per opportunity, one sum.
    """
    o = opportunities
    won = o["outcome"].eq("won")
    is_open = o["outcome"].eq("open")
    neg = o["negotiation_date"].notna() | won
    intent = o["intent_date"].notna() | neg
    flags = pd.DataFrame({"rep_id": o["rep_id"], "leads": 1, "intents": intent, "negotiations": neg,
                          "deals": won, "open_lead": is_open & ~intent, "open_intent": is_open & intent & ~neg,
                          "open_neg": is_open & neg & ~won})
    c = flags.groupby("rep_id", sort=True).sum()
    out = c[["leads", "intents", "negotiations", "deals"]].astype("int64")
    d1, d2, d3 = c["leads"] - c["open_lead"], c["intents"] - c["open_intent"], c["negotiations"] - c["open_neg"]
    out["rate_lead_to_intent"] = c["intents"] / d1.where(d1 > 0)
    out["rate_intent_to_negotiation"] = c["negotiations"] / d2.where(d2 > 0)
    out["rate_negotiation_to_deal"] = c["deals"] / d3.where(d3 > 0)
    return out.reset_index()


def _bench_funnel(scale: float) -> list[Result]:
    n = 3
    opps, reps = synthetic_opportunities(int(scale))

    def kit() -> pd.DataFrame:
        return funnel.funnel_table(funnel.stage_table(opps, reps=reps, as_of=_AS_OF), by="rep_id")

    seconds, base, _, _ = compare(kit, lambda: floor_rep_funnel(opps), repeat=n)
    return [Result(f"funnel table by rep ({len(reps):,} reps)", len(opps), seconds,
                   "one groupby over stage flags (crosstab)", base, kind="floor", target=2.0, repeats=n)]


CASES = {
    "funnel": (_bench_funnel, 1_000_000, 50_000),
}
