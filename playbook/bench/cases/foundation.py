"""Benchmarks of the foundation: loading and validating, the validation cache, team overview metrics.

Baselines (floors): pandas' pyarrow CSV reader on the same file (it checks nothing);
reading the cached Parquet files; one ``groupby`` pass computing the overview's figures.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from playbook.bench import Result, compare, sample_tables
from playbook.core.money import round_money
from playbook.data import cache
from playbook.data.loading import load_table, validate_dataset
from playbook.data.sample import SAMPLE_AS_OF, write_tables
from playbook.targets.overview import rep_summary

__all__ = ["CASES", "naive_rep_summary", "floor_rep_summary", "FLOOR_SUMMARY_COLUMNS"]

FLOOR_SUMMARY_COLUMNS = ["rep_id", "ytd_sales", "ytd_quota", "new_customers", "orders", "prior_ytd_sales"]


def naive_rep_summary(orders: pd.DataFrame, reps: pd.DataFrame, *, as_of: object) -> pd.DataFrame:
    """Compute YTD sales and new customers with a per-rep Python loop (an independent check in the tests)."""
    end = pd.Timestamp(as_of)
    start = pd.Timestamp(year=end.year, month=1, day=1)
    rows = []
    for rep_id in reps["rep_id"]:
        mine = orders[orders["rep_id"] == rep_id]
        ytd = mine[(mine["order_date"] >= start) & (mine["order_date"] <= end)]
        new = 0
        for cust in ytd.loc[ytd["amount"] > 0, "customer_id"].unique():
            theirs = orders[(orders["customer_id"] == cust) & (orders["amount"] > 0)]
            first = theirs.sort_values(["order_date", "order_id"]).iloc[0]
            if first["rep_id"] == rep_id and first["order_date"] >= start:
                new += 1
        rows.append({"rep_id": rep_id, "ytd_sales": round(ytd["amount"].sum(), 2),
                     "new_customers": new})
    return pd.DataFrame(rows)


def floor_rep_summary(orders: pd.DataFrame, quotas: pd.DataFrame, *, as_of: object) -> pd.DataFrame:
    """Floor: the overview's figures per rep in one ``groupby`` each, no checks (reps with orders or quota).

    YTD and prior-YTD net sales, orders, new customers (first positive order ever in the
    YTD window) and the YTD quota with the as-of month pro-rated by days.
    """
    end = pd.Timestamp(as_of)
    start = pd.Timestamp(year=end.year, month=1, day=1)
    d, a = orders["order_date"], orders["amount"]
    ytd = orders[(d >= start) & (d <= end)]
    prior = orders[(d >= start - pd.DateOffset(years=1)) & (d <= end - pd.DateOffset(years=1))]
    first = orders[(a > 0) & (d <= end)].sort_values(["order_date", "order_id"]).drop_duplicates("customer_id")
    month = quotas["month"]
    q = quotas[(month >= start) & (month <= end)]
    share = ((end - q["month"]).dt.days + 1).clip(upper=q["month"].dt.days_in_month) / q["month"].dt.days_in_month
    out = pd.DataFrame({
        "ytd_sales": ytd.groupby("rep_id")["amount"].sum(),
        "ytd_quota": (q["quota"] * share).groupby(q["rep_id"]).sum(),
        "new_customers": first[first["order_date"] >= start].groupby("rep_id").size(),
        "orders": ytd[ytd["amount"] > 0].groupby("rep_id").size(),
        "prior_ytd_sales": prior.groupby("rep_id")["amount"].sum(),
    }).fillna(0)
    for c in ("ytd_sales", "ytd_quota", "prior_ytd_sales"):
        out[c] = round_money(out[c])
    for c in ("new_customers", "orders"):
        out[c] = out[c].astype("int64")
    return out.rename_axis("rep_id").reset_index()[FLOOR_SUMMARY_COLUMNS]


def _bench_load(scale: float) -> list[Result]:
    n = 3
    with tempfile.TemporaryDirectory() as tmp:
        write_tables({"orders": sample_tables(scale)["orders"]}, tmp)
        path = Path(tmp) / "orders.csv"
        kit, base, frame, _ = compare(lambda: load_table(path, "orders", as_of=SAMPLE_AS_OF),
                                      lambda: pd.read_csv(path, engine="pyarrow"), repeat=n)
    return [Result("load + validate orders.csv", len(frame), kit,
                   "pandas.read_csv(engine='pyarrow'), no checks", base, kind="floor", target=3.0, repeats=n)]


def _bench_dataset(scale: float) -> list[Result]:
    """Time a whole data folder: first validation (no cache), then a second command on the unchanged folder."""
    n = 3
    old = os.environ.get("PLAYBOOK_CACHE_DIR")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PLAYBOOK_CACHE_DIR"] = str(Path(tmp) / "cache")
        try:
            data = Path(tmp) / "data"
            write_tables(sample_tables(scale), data)
            files = sorted(data.glob("*.csv"))
            cold, read, ds, _ = compare(lambda: validate_dataset(data, cache=False)[0],
                                        lambda: [pd.read_csv(f, engine="pyarrow") for f in files], repeat=n)
            validate_dataset(data)  # fills the cache
            entry = next(p for p in cache.cache_dir().rglob("meta.json")).parent
            cached = sorted(entry.glob("*.parquet"))
            warm, parquet, _, _ = compare(lambda: validate_dataset(data),
                                          lambda: [pd.read_parquet(f) for f in cached], repeat=n)
        finally:
            if old is None:
                os.environ.pop("PLAYBOOK_CACHE_DIR", None)
            else:
                os.environ["PLAYBOOK_CACHE_DIR"] = old
    rows = sum(len(t) for t in ds.tables().values())
    return [
        Result(f"load + validate a data folder ({len(files)} tables), first run", rows, cold,
               "pandas.read_csv(engine='pyarrow') of every file", read, kind="floor", target=3.0, repeats=n),
        Result("load a data folder again, unchanged (validation cache)", rows, warm,
               "pandas.read_parquet of the cached tables", parquet, kind="floor", target=1.5, repeats=n),
    ]


def _bench_overview(scale: float) -> list[Result]:
    n = 3
    tables = sample_tables(scale)
    orders, reps, quotas = tables["orders"], tables["reps"], tables["quotas"]
    kit, base, _, _ = compare(lambda: rep_summary(orders, reps, quotas, as_of=SAMPLE_AS_OF),
                              lambda: floor_rep_summary(orders, quotas, as_of=SAMPLE_AS_OF), repeat=n)
    return [Result(f"team overview metrics ({len(reps):,} reps)", len(orders), kit,
                   "one groupby per figure", base, kind="floor", target=2.0, repeats=n)]


CASES = {
    "load": (_bench_load, 70.0, 4.0),
    "dataset": (_bench_dataset, 70.0, 4.0),
    "overview": (_bench_overview, 70.0, 4.0),
}
