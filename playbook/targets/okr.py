"""OKRs: load from YAML, progress from the data, SMART check."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from playbook.core import paths
from playbook.core.dates import parse_date
from playbook.core.errors import InputError, ParameterError, yaml_error
from playbook.core.money import cents, div_money, round_money
from playbook.targets.quotas import QuotaPlan
from playbook.targets.rules import KEY_ACCOUNT_MIN, METRICS, SMART_CRITERIA, VAGUE_METRICS

__all__ = [
    "OKR", "SMART_COLUMNS", "PLAN_CHECKS", "parse_okr", "load_okr", "metric_value", "okr_progress", "smart_check",
    "plan_checks"
]

# ---------------------------------------------------------------------------------------
# OKR: load, progress from data, SMART check
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OKR:
    """Objectives and key results as two frames (see :func:`parse_okr`)."""

    objectives: pd.DataFrame
    key_results: pd.DataFrame
    plan_year: int | None = None


_OBJ_COLUMNS = ["objective_id", "title_en", "title_zh", "owner", "parent_id", "depth"]
_KR_COLUMNS = ["kr_id", "objective_id", "title_en", "title_zh", "metric", "baseline", "target", "target_text",
               "unit", "start", "deadline", "deadline_text", "period", "owner", "scope", "actual", "min_spend"]


def _text(value: object) -> str:
    """Return ``value`` as stripped text; missing values (None, NaN, NA) as ''."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).strip()


def _title(value: object) -> tuple[str, str]:
    if isinstance(value, Mapping):
        en, zh = value.get("en"), value.get("zh")
        en = "" if en is None else str(en)
        zh = "" if zh is None else str(zh)
        return en or zh, zh or en
    text = "" if value is None else str(value)
    return text, text


def _number(value: object) -> float:
    if value is None or isinstance(value, bool):
        return np.nan
    try:
        x = float(str(value).strip().rstrip("%")) / (100 if str(value).strip().endswith("%") else 1)
    except ValueError:
        return np.nan
    return x if math.isfinite(x) else np.nan


def _maybe_date(value: object) -> pd.Timestamp | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        return None
    return None if pd.isna(ts) else ts.normalize()


def parse_okr(data: Mapping[str, Any], *, where: str = "okr") -> OKR:
    """Build an :class:`OKR` from a mapping (a parsed YAML file, see ``templates/okr_example.yaml``).

    ``objectives``: list of ``{id, title, owner, parent, key_results: [...]}``; a
    key result is ``{id, title, metric, baseline, target, unit, deadline, period,
    start, owner, scope, actual, min_spend}``. Titles are text or ``{en, zh}``.
    A top-level ``key_results`` list holds goals not nested in an objective (each
    may name its ``objective``), e.g. drafts to check with :func:`smart_check`.
    ``where`` names the source in error messages (:func:`load_okr` passes the file name).

    Raises
    ------
    InputError
        Missing or duplicated ids, a parent objective that does not exist, a cycle.

    Examples
    --------
    >>> okr = parse_okr({"objectives": [{"id": "O1", "title": "Grow", "key_results": [
    ...     {"id": "KR1", "metric": "sales_growth", "target": "30%", "deadline": "2025-12-31"}]}]})
    >>> okr.key_results[["kr_id", "objective_id", "target"]].to_dict("records")
    [{'kr_id': 'KR1', 'objective_id': 'O1', 'target': 0.3}]
    """
    if not isinstance(data, Mapping):
        raise InputError(f"{where}: expected a mapping with 'objectives' (and optionally 'key_results')",
                         code="targets.okr.not_mapping", params={"where": where})
    objs, krs = [], []

    def kr_row(kr: Mapping[str, Any], objective: object, item: str) -> dict[str, Any]:
        if not isinstance(kr, Mapping) or not str(kr.get("id") or "").strip():
            raise InputError(f"{where}: {item} needs an id", code="targets.okr.no_id",
                             params={"where": where, "item": item})
        en, zh = _title(kr.get("title"))
        deadline = kr.get("deadline")
        period = str(kr.get("period") or "").strip()
        if period not in ("", "year", "quarter", "month"):
            raise InputError(f"{where}: {item}.period must be year, quarter or month (got {period!r})",
                             code="targets.okr.period", params={"where": where, "item": item, "value": period})
        return {
            "kr_id": str(kr["id"]).strip(), "objective_id": None if objective is None else str(objective),
            "title_en": en, "title_zh": zh, "metric": str(kr.get("metric") or "").strip(),
            "baseline": _number(kr.get("baseline")), "target": _number(kr.get("target")),
            "target_text": "" if kr.get("target") is None else str(kr.get("target")),
            "unit": str(kr.get("unit") or ""), "start": _maybe_date(kr.get("start")),
            "deadline": _maybe_date(deadline), "deadline_text": "" if deadline is None else str(deadline),
            "period": period, "owner": str(kr.get("owner") or "").strip(),
            "scope": str(kr.get("scope") or "company").strip(), "actual": _number(kr.get("actual")),
            "min_spend": _number(kr.get("min_spend")),
        }

    for i, obj in enumerate(data.get("objectives") or []):
        if not isinstance(obj, Mapping) or not str(obj.get("id") or "").strip():
            raise InputError(f"{where}: objectives[{i}] needs an id", code="targets.okr.no_id",
                             params={"where": where, "item": f"objectives[{i}]"})
        oid = str(obj["id"]).strip()
        en, zh = _title(obj.get("title"))
        parent = obj.get("parent")
        objs.append({"objective_id": oid, "title_en": en, "title_zh": zh, "owner": str(obj.get("owner") or ""),
                     "parent_id": None if parent in (None, "") else str(parent), "depth": 0})
        for j, kr in enumerate(obj.get("key_results") or []):
            krs.append(kr_row(kr, oid, f"objectives[{i}].key_results[{j}]"))
    for j, kr in enumerate(data.get("key_results") or []):
        krs.append(kr_row(kr, kr.get("objective") if isinstance(kr, Mapping) else None, f"key_results[{j}]"))
    objectives = pd.DataFrame(objs, columns=_OBJ_COLUMNS)
    key_results = pd.DataFrame(krs, columns=_KR_COLUMNS)
    for frame, col in ((objectives, "objective_id"), (key_results, "kr_id")):
        dup = frame.loc[frame[col].duplicated(), col].tolist()
        if dup:
            raise InputError(f"{where}: {col} must be unique (duplicated: {', '.join(dup)})",
                             code="targets.okr.duplicate", params={"where": where, "column": col, "dup": dup})
    parents = {o["objective_id"]: o["parent_id"] for o in objs}
    unknown = sorted({p for p in parents.values() if p is not None and p not in parents})
    if unknown:
        raise InputError(f"{where}: parent objective(s) {', '.join(unknown)} do not exist",
                         code="targets.okr.unknown_parent", params={"where": where, "unknown": unknown})
    depth = {}
    for oid in parents:  # objectives are few: a walk up the tree each
        seen, node = [oid], parents[oid]
        while node is not None:
            if node in seen:
                raise InputError(f"{where}: objectives form a cycle: {' -> '.join([*seen, node])}",
                                 code="targets.okr.cycle", params={"where": where, "path": " -> ".join([*seen, node])})
            seen.append(node)
            node = parents[node]
        depth[oid] = len(seen) - 1
    objectives["depth"] = objectives["objective_id"].map(depth).astype("int64")
    for col in ["baseline", "target", "actual", "min_spend"]:
        key_results[col] = key_results[col].astype(float)
    for col in ["start", "deadline"]:
        key_results[col] = pd.to_datetime(key_results[col])
    plan_year = data.get("plan_year")
    if plan_year and not (str(plan_year).strip().isdigit() and len(str(plan_year).strip()) == 4):
        raise InputError(f"{where}: plan_year must be a year such as 2025 (got '{plan_year}')",
                         code="targets.okr.plan_year", params={"where": where, "value": str(plan_year)})
    return OKR(objectives, key_results, int(plan_year) if plan_year else None)


def load_okr(path: str | Path | None = None) -> OKR:
    """Read an OKR YAML file (default ``templates/okr_example.yaml``) with :func:`parse_okr`.

    Examples
    --------
    >>> okr = load_okr()
    >>> okr.objectives["objective_id"].tolist()
    ['O1', 'O2', 'O3']
    """
    p = paths.TEMPLATES_DIR / "okr_example.yaml" if path is None else paths.resolve(path)
    if not Path(p).is_file():
        raise ParameterError("okr_file", str(path), "a YAML file of objectives and key results",
                             code="targets.okr.file", params={"file": str(path)})
    try:
        data = yaml.safe_load(Path(p).read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise yaml_error(Path(p).name, exc) from None
    return parse_okr(data or {}, where=Path(p).name)


def _scope_reps(scope: str, reps: pd.DataFrame | None) -> set[str] | None:
    """Return the rep ids in scope, or None for the whole company."""
    if not scope or scope == "company":
        return None
    kind, _, value = scope.partition(":")
    if kind == "rep" and value:
        return {value}
    if kind == "team" and value:
        if reps is None:
            raise ParameterError("reps", None, f"the reps table, for scope {scope!r}")
        return set(reps.loc[reps["team"].astype(str) == value, "rep_id"].astype(str))
    raise ParameterError("scope", scope, "'company', 'team:<team>' or 'rep:<rep_id>'")


def metric_value(
    metric: str,
    *,
    start: object,
    end: object,
    orders: pd.DataFrame,
    opportunities: pd.DataFrame | None = None,
    activities: pd.DataFrame | None = None,
    reps: pd.DataFrame | None = None,
    scope: str = "company",
    min_spend: float = KEY_ACCOUNT_MIN,
) -> float:
    """Value of a :data:`METRICS` metric over the days ``start``..``end`` (inclusive).

    - ``sales``: net sales; ``sales_growth``: net sales over the same days a year
      earlier, minus 1; ``orders``: orders with a positive amount.
    - ``new_customers``: customers whose first order ever falls in the window;
      ``new_key_accounts``: those of them who spent at least ``min_spend`` in the window.
    - ``repurchase_rate``: of the customers who ordered in the 365 days before
      ``start``, the share who ordered again in the window.
    - ``repurchase_cycle_days``: median days between a customer's consecutive orders,
      for repeat orders in the window.
    - ``cycle_days``: median days from lead created to won, deals won in the window;
      ``win_rate``: won / closed; ``avg_deal_size``: mean won amount (opportunities).
    - ``visits``: customer visits (activities, weeks starting in the window).

    ``scope`` is ``company``, ``team:<team>`` (needs ``reps``) or ``rep:<rep_id>``.
    NaN when there is nothing to measure.

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": ["A", "A", "B"], "rep_id": ["R1"] * 3, "amount": [10.0, 20.0, 5.0],
    ...                   "order_date": pd.to_datetime(["2024-01-10", "2025-01-20", "2025-02-01"])})
    >>> metric_value("new_customers", start="2025-01-01", end="2025-03-31", orders=o)
    1.0
    >>> metric_value("repurchase_cycle_days", start="2025-01-01", end="2025-03-31", orders=o)
    376.0
    """
    if metric not in METRICS:
        raise ParameterError("metric", metric, "one of " + ", ".join(METRICS))
    start, end = parse_date(start, "start"), parse_date(end, "end")
    keep = _scope_reps(scope, reps)

    def scoped(frame: pd.DataFrame) -> pd.DataFrame:
        return frame if keep is None else frame.loc[frame["rep_id"].astype(str).isin(keep)]

    if metric in ("cycle_days", "win_rate", "avg_deal_size"):
        if opportunities is None:
            return np.nan
        opp = scoped(opportunities)
        closed = pd.to_datetime(opp["closed_date"])
        inside = (closed >= start) & (closed <= end)
        won = inside & (opp["outcome"].astype(str) == "won")
        if metric == "win_rate":
            n = int((inside & opp["outcome"].astype(str).isin(["won", "lost"])).sum())
            return float(won.sum() / n) if n else np.nan
        if metric == "avg_deal_size":
            return div_money(float(opp.loc[won, "amount"].sum()), int(won.sum())) if won.any() else np.nan
        days = (closed[won] - pd.to_datetime(opp.loc[won, "created_date"])).dt.days
        return float(days.median()) if len(days) else np.nan
    if metric == "visits":
        if activities is None:
            return np.nan
        act = scoped(activities)
        week = pd.to_datetime(act["week"])
        return float(act.loc[(week >= start) & (week <= end), "visits"].sum())
    o = scoped(orders) if metric not in ("new_customers", "new_key_accounts") else orders
    dates = pd.to_datetime(o["order_date"])
    inside = (dates >= start) & (dates <= end)
    if metric == "sales":
        return round_money(float(o.loc[inside, "amount"].sum()))
    if metric == "orders":
        return float((inside & (o["amount"] > 0)).sum())
    if metric == "sales_growth":
        p_start, p_end = start - pd.DateOffset(years=1), end - pd.DateOffset(years=1)
        prior = float(o.loc[(dates >= p_start) & (dates <= p_end), "amount"].sum())
        return float(o.loc[inside, "amount"].sum()) / prior - 1 if prior > 0 else np.nan
    pos = o.loc[o["amount"] > 0].assign(_d=dates[o["amount"] > 0])
    if metric in ("new_customers", "new_key_accounts"):
        first = pos.sort_values("_d", kind="stable").drop_duplicates("customer_id")
        new = first.loc[(first["_d"] >= start) & (first["_d"] <= end)]
        if keep is not None:  # credited to the rep of the first order
            new = new.loc[new["rep_id"].astype(str).isin(keep)]
        if metric == "new_customers":
            return float(len(new))
        spend = o.loc[inside].groupby("customer_id")["amount"].sum()
        return float((new["customer_id"].map(spend).fillna(0) >= min_spend).sum())
    if metric == "repurchase_rate":
        before = pos.loc[(pos["_d"] < start) & (pos["_d"] >= start - pd.Timedelta(days=365)), "customer_id"]
        again = pos.loc[(pos["_d"] >= start) & (pos["_d"] <= end), "customer_id"]
        base = set(before)
        return len(base & set(again)) / len(base) if base else np.nan
    # repurchase_cycle_days
    pos = pos.sort_values(["customer_id", "_d"], kind="stable")
    gap = pos.groupby("customer_id")["_d"].diff().dt.days
    sel = gap[(pos["_d"] >= start) & (pos["_d"] <= end)].dropna()
    return float(sel.median()) if len(sel) else np.nan


def _window(period: str, start: pd.Timestamp | None, deadline: pd.Timestamp | None, as_of: pd.Timestamp,
            plan_year: int | None) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    ref = min(deadline, as_of) if deadline is not None else as_of
    if start is not None:
        return start, ref
    if period == "quarter":
        return ref.to_period("Q").start_time, ref
    if period == "month":
        return ref.to_period("M").start_time, ref
    year = plan_year or (deadline.year if deadline is not None else as_of.year)
    return pd.Timestamp(year=year, month=1, day=1), ref


def _kr_progress(okr: OKR, *, tables: Mapping[str, pd.DataFrame | None], as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per key result: its window, actual (from the data or by hand) and progress."""
    rows = []
    for rec in okr.key_results.itertuples(index=False):  # key results are few (config, not data)
        start = None if pd.isna(rec.start) else rec.start
        deadline = None if pd.isna(rec.deadline) else rec.deadline
        win = _window(rec.period, start, deadline, as_of, okr.plan_year)
        if rec.metric in METRICS and tables["orders"] is not None:
            actual = (metric_value(rec.metric, start=win[0], end=win[1], **tables, scope=rec.scope,
                                   min_spend=KEY_ACCOUNT_MIN if pd.isna(rec.min_spend) else rec.min_spend)
                      if win[0] <= win[1] else np.nan)
            source = "data"
        elif not pd.isna(rec.actual):  # tracked by hand
            actual, source = rec.actual, "manual"
        else:
            actual, source = np.nan, "none"
        base = 0.0 if pd.isna(rec.baseline) else rec.baseline
        den = rec.target - base
        progress = (actual - base) / den if (not pd.isna(den) and den != 0) else np.nan
        rows.append({"kind": "key_result", "id": rec.kr_id, "parent_id": rec.objective_id,
                     "title_en": rec.title_en, "title_zh": rec.title_zh, "owner": rec.owner,
                     "metric": rec.metric, "baseline": rec.baseline, "target": rec.target, "actual": actual,
                     "progress": progress, "source": source, "window_start": win[0], "window_end": win[1],
                     "deadline": deadline})
    return pd.DataFrame(rows, columns=[c for c in _PROGRESS_COLUMNS if c != "depth"])


def _tree_rows(objectives: pd.DataFrame, krs: pd.DataFrame) -> list[dict[str, Any]]:
    """Return the objectives and key results in tree order, each objective with its mean progress."""
    children: dict[str | None, list[str]] = {}
    for oid, parent in zip(objectives["objective_id"], objectives["parent_id"], strict=True):
        children.setdefault(_text(parent) or None, []).append(oid)
    kr_of: dict[str, list[int]] = {}
    for i, parent in enumerate(krs["parent_id"]):
        kr_of.setdefault(_text(parent), []).append(i)
    info = objectives.set_index("objective_id")
    ordered: list[dict[str, Any]] = []

    def score(oid: str) -> float:  # objectives are few; recursion over the tree
        parts = list(krs.loc[kr_of.get(oid, []), "progress"]) + [score(c) for c in children.get(oid, [])]
        parts = [min(max(p, 0.0), 1.0) for p in parts if not pd.isna(p)]
        return float(np.mean(parts)) if parts else np.nan

    def walk(oid: str, depth: int) -> None:
        o = info.loc[oid]
        ordered.append({"kind": "objective", "id": oid, "parent_id": o["parent_id"], "depth": depth,
                        "title_en": o["title_en"], "title_zh": o["title_zh"], "owner": o["owner"],
                        "progress": score(oid)})
        for i in kr_of.get(oid, []):
            ordered.append({**krs.iloc[i].to_dict(), "depth": depth + 1})
        for child in children.get(oid, []):
            walk(child, depth + 1)

    for root in children.get(None, []):
        walk(root, 0)
    known = set(objectives["objective_id"])
    for i, parent in enumerate(krs["parent_id"]):  # goals outside the tree come last
        if _text(parent) not in known:
            ordered.append({**krs.iloc[i].to_dict(), "depth": 0})
    return ordered


_PROGRESS_COLUMNS = ["kind", "id", "parent_id", "depth", "title_en", "title_zh", "owner", "metric", "baseline",
                     "target", "actual", "progress", "source", "window_start", "window_end", "deadline"]


def okr_progress(
    okr: OKR,
    *,
    orders: pd.DataFrame | None,
    opportunities: pd.DataFrame | None = None,
    activities: pd.DataFrame | None = None,
    reps: pd.DataFrame | None = None,
    as_of: object,
) -> pd.DataFrame:
    """Return the OKR tree with each key result's progress, computed from the data where possible.

    A key result whose ``metric`` is in :data:`METRICS` is measured over its window:
    ``period: quarter`` / ``month`` = the quarter / month of ``min(deadline, as_of)``,
    otherwise from ``start`` (default 1 January of the plan year) to ``min(deadline,
    as_of)``. Other key results use their ``actual`` from the YAML (tracked by hand).
    ``progress = (actual - baseline) / (target - baseline)`` (baseline 0 when absent), so
    it also works for targets that go down (cycle 90 -> 60 days). An objective's
    progress is the mean of its key results' and child objectives' progress, each
    capped to 0..1.

    Returns
    -------
    DataFrame
        ``kind`` (objective / key_result), ``id, parent_id, depth, title_en, title_zh,
        owner, metric, baseline, target, actual, progress, source`` (data / manual / none),
        ``window_start, window_end, deadline``; in tree order. Both titles are kept;
        :func:`playbook.present.targets.okr_table` shows the one in the reader's language.

    Examples
    --------
    >>> okr = parse_okr({"objectives": [{"id": "O1", "title": "Grow", "key_results": [
    ...     {"id": "K1", "metric": "orders", "target": 4, "deadline": "2025-12-31"},
    ...     {"id": "K2", "metric": "reference cases", "target": 3, "actual": 3, "deadline": "2025-09-30"}]}]})
    >>> o = pd.DataFrame({"customer_id": ["A", "B"], "rep_id": ["R1", "R1"], "amount": [1.0, 2.0],
    ...                   "order_date": pd.to_datetime(["2025-02-01", "2025-03-01"])})
    >>> okr_progress(okr, orders=o, as_of="2025-06-30")[["id", "actual", "progress", "source"]]
       id  actual  progress  source
    0  O1     NaN      0.75     NaN
    1  K1     2.0      0.50    data
    2  K2     3.0      1.00  manual
    """
    tables = {"orders": orders, "opportunities": opportunities, "activities": activities, "reps": reps}
    krs = _kr_progress(okr, tables=tables, as_of=parse_date(as_of, "as_of"))
    out = pd.DataFrame(_tree_rows(okr.objectives, krs), columns=_PROGRESS_COLUMNS)
    out["depth"] = out["depth"].astype("int64")
    for col in ["baseline", "target", "actual", "progress"]:
        out[col] = out[col].astype(float)
    for col in ["window_start", "window_end", "deadline"]:
        out[col] = pd.to_datetime(out[col])
    return out


def _history_windows(period: str, data_start: pd.Timestamp, data_end: pd.Timestamp, lookback: bool,
                     before: pd.Timestamp) -> list[tuple[str, pd.Timestamp, pd.Timestamp]]:
    """Complete calendar periods inside the data (and before ``before``), for achievability."""
    freq = {"quarter": "Q", "month": "M"}.get(period, "Y")
    first = data_start.to_period("M").start_time  # data from 2 January covers January
    first = first + (pd.DateOffset(years=1) if lookback else pd.DateOffset(days=0))
    out = []
    for p in pd.period_range(first, data_end, freq=freq):
        s, e = p.start_time.normalize(), p.end_time.normalize()
        if s >= first and e <= data_end and e < before:
            out.append((str(p), s, e))
    return out


def _smart_margin(margin: object) -> float:
    try:
        value = float(margin)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ParameterError("margin", margin, "a share such as 0.10") from None
    if not math.isfinite(value) or value < 0:
        raise ParameterError("margin", margin, "a share >= 0 such as 0.10")
    return value


def _specific(rec: Any, vague: set[str]) -> tuple[bool, list[str]]:
    """Specific: an owner is named and the metric is named and not vague."""
    issues = [] if rec.owner else ["no_owner"]
    if not rec.metric:
        issues.append("no_metric")
    elif rec.metric.lower() in vague:
        issues.append("vague_metric")
    return not issues, issues


def _relevant(rec: Any, known: set[str]) -> tuple[bool, list[str]]:
    """Relevant: linked to an objective that exists."""
    if not _text(rec.objective_id):
        return False, ["no_objective"]
    if rec.objective_id not in known:
        return False, ["unknown_objective"]
    return True, []


def _achievable(rec: Any, *, okr: OKR, margin: float, span: tuple[pd.Timestamp, pd.Timestamp] | None,
                tables: Mapping[str, pd.DataFrame | None]) -> dict[str, Any]:
    """Achievable: the target against the best complete past period (plus ``margin``).

    Returns ``achievable`` (True / False / None when not assessed), the issue codes and
    the figures behind them: ``best_period, best, limit, gap``.
    """
    out: dict[str, Any] = {"achievable": None, "issues": [], "best_period": "", "best": np.nan,
                           "limit": np.nan, "gap": np.nan}
    if pd.isna(rec.target) or not rec.metric:
        return out
    if rec.metric not in METRICS or span is None:  # tracked by hand, or no orders to learn from
        out["issues"] = ["not_assessed"]
        return out
    spec = METRICS[rec.metric]
    data_start, data_end = span
    before = (pd.Timestamp(year=okr.plan_year, month=1, day=1) if okr.plan_year
              else (rec.deadline if not pd.isna(rec.deadline) else data_end + pd.Timedelta(days=1)))
    min_spend = KEY_ACCOUNT_MIN if pd.isna(rec.min_spend) else rec.min_spend
    values = [(name, metric_value(rec.metric, start=s, end=e, **tables, scope=rec.scope, min_spend=min_spend))
              for name, s, e in _history_windows(rec.period, data_start, data_end, spec["lookback"], before)]
    values = [(n, v) for n, v in values if not pd.isna(v)]
    if not values:
        out["issues"] = ["not_assessed"]
        return out
    when, best = (max if spec["higher"] else min)(values, key=lambda nv: nv[1])
    sign = 1 if spec["higher"] else -1
    limit = best + sign * margin if spec["kind"] == "ratio" else best * (1 + sign * margin)
    achievable = bool(rec.target <= limit) if spec["higher"] else bool(rec.target >= limit)
    issues = [] if achievable else ["too_high" if spec["higher"] else "too_low"]
    return {"achievable": achievable, "issues": issues, "best_period": when, "best": float(best),
            "limit": float(limit), "gap": float(abs(rec.target - limit))}


SMART_COLUMNS = ["kr_id", "title_en", "title_zh", *SMART_CRITERIA, "all_pass", "issues", "metric", "kind",
                 "target", "target_text", "deadline_text", "objective_id", "period", "best_period", "best", "limit",
                 "gap", "margin"]
"""Columns of :func:`smart_check`."""


def smart_check(
    okr: OKR,
    *,
    orders: pd.DataFrame | None = None,
    opportunities: pd.DataFrame | None = None,
    activities: pd.DataFrame | None = None,
    reps: pd.DataFrame | None = None,
    margin: float = 0.10,
    vague_metrics: Sequence[str] = VAGUE_METRICS,
) -> pd.DataFrame:
    """Check every key result (goal) against SMART; say which rule failed and the figures why.

    Rules (each failure is an issue code of :data:`SMART_ISSUES`):

    - **specific**: an ``owner`` is named (else ``no_owner``) and the ``metric`` is named
      (``no_metric``) and not vague (``vague_metric``: in ``vague_metrics`` such as
      "performance", "提升").
    - **measurable**: the ``target`` is a number (``no_target``).
    - **achievable**: for a metric the kit computes, the target is within what history
      supports: the best complete past period of the same length (year, quarter or
      month, by ``period``) plus ``margin`` (10 points for rates and growth, +10% for
      counts and money; minus for metrics where lower is better, such as cycle days):
      ``too_high`` / ``too_low`` otherwise. Periods that start in the data's first year
      are skipped for metrics that need a year of earlier data (growth, new customers,
      repurchase). Unknown (NA, ``not_assessed``) when it cannot be assessed; that does
      not fail the goal.
    - **relevant**: linked to an objective (``no_objective``) that exists
      (``unknown_objective``).
    - **time_bound**: a valid ``deadline`` (``no_deadline``, ``bad_deadline``).

    Returns
    -------
    DataFrame
        Columns :data:`SMART_COLUMNS`: ``kr_id, title_en, title_zh``; the boolean
        columns ``specific, measurable, achievable, relevant, time_bound, all_pass``
        (``achievable`` may be NA); ``issues`` (a tuple of issue codes, in the order of
        the rules above; empty when the goal passes and was fully assessed); and the
        figures the issues refer to: ``metric``, ``kind`` (of :data:`METRICS`, "" for
        other metrics), ``target``, ``target_text`` and ``deadline_text`` (as written),
        ``objective_id``, ``period`` (year, quarter or month), ``best_period`` and
        ``best`` (the best past period and its value), ``limit`` (``best`` plus or minus
        the margin), ``gap`` (``|target - limit|``), ``margin``.
        :func:`playbook.present.targets.smart_table` explains them in words.

    Examples
    --------
    >>> okr = parse_okr({"objectives": [{"id": "O1", "title": "Grow"}], "key_results": [
    ...     {"id": "G1", "title": "Do better", "metric": "performance", "target": "a lot"}]})
    >>> r = smart_check(okr).iloc[0]
    >>> [bool(r[c]) for c in ["specific", "measurable", "relevant", "time_bound", "all_pass"]]
    [False, False, False, False, False]
    >>> r["issues"]
    ('no_owner', 'vague_metric', 'no_target', 'no_deadline', 'no_objective')
    """
    margin = _smart_margin(margin)
    vague = {v.lower() for v in vague_metrics}
    known = set(okr.objectives["objective_id"])
    tables = {"orders": orders, "opportunities": opportunities, "activities": activities, "reps": reps}
    span = None
    if orders is not None and len(orders):
        d = pd.to_datetime(orders["order_date"])
        span = (d.min().normalize(), d.max().normalize())
    rows = []
    for rec in okr.key_results.itertuples(index=False):  # goals are few (config, not data)
        specific, issues = _specific(rec, vague)
        measurable = not pd.isna(rec.target)
        time_bound = not pd.isna(rec.deadline)
        issues += [] if measurable else ["no_target"]
        issues += [] if time_bound else ["bad_deadline" if rec.deadline_text else "no_deadline"]
        relevant, why = _relevant(rec, known)
        ach = _achievable(rec, okr=okr, margin=margin, span=span, tables=tables)
        rows.append({
            "kr_id": rec.kr_id, "title_en": rec.title_en, "title_zh": rec.title_zh, "specific": specific,
            "measurable": measurable, "achievable": ach["achievable"], "relevant": relevant,
            "time_bound": time_bound,
            "all_pass": specific and measurable and relevant and time_bound and ach["achievable"] is not False,
            "issues": tuple(issues + why + ach["issues"]), "metric": rec.metric,
            "kind": METRICS.get(rec.metric, {}).get("kind", ""), "target": rec.target,
            "target_text": rec.target_text, "deadline_text": rec.deadline_text,
            "objective_id": _text(rec.objective_id), "period": rec.period or "year",
            "best_period": ach["best_period"], "best": ach["best"], "limit": ach["limit"], "gap": ach["gap"],
            "margin": margin,
        })
    out = pd.DataFrame(rows, columns=SMART_COLUMNS)
    for col in [*SMART_CRITERIA, "all_pass"]:
        out[col] = out[col].astype("boolean")
    for col in ["target", "best", "limit", "gap", "margin"]:
        out[col] = out[col].astype(float)
    return out


PLAN_CHECKS = ("year_quarters", "quarter_months", "year_teams", "team_reps", "rep_rows", "month_columns")
"""The checks of :func:`plan_checks`, in order."""


def plan_checks(plan: QuotaPlan) -> pd.DataFrame:
    """Show that every level of ``plan`` adds up to its parent: the largest difference in cents.

    Returns
    -------
    DataFrame
        ``check`` (a key of :data:`PLAN_CHECKS`: year = sum of quarters, each quarter =
        sum of its months, year = sum of teams, each team = sum of its reps, each rep's
        year = sum of his months, each month = sum over reps), ``parts`` (how many parts
        were compared), ``difference`` (largest absolute difference between a parent and
        the sum of its parts, in cents; 0 everywhere for an exact plan).

    Examples
    --------
    >>> from playbook.targets import decompose
    >>> reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "team": ["A", "A", "B"]})
    >>> plan = decompose(reps, target=1000.0, plan_year=2025, time_method="equal", rep_method="equal")
    >>> checks = plan_checks(plan)
    >>> checks["check"].iloc[0], checks["difference"].tolist()
    ('year_quarters', [0, 0, 0, 0, 0, 0])
    """

    def c(values: pd.Series | np.ndarray) -> np.ndarray:
        return cents(values)

    total = plan.target.cents
    months = plan.monthly.assign(_c=c(plan.monthly["target"]))
    by_quarter = months.groupby("quarter")["_c"].sum()
    reps = plan.reps.assign(_c=c(plan.reps["quota"]), team=plan.reps["team"].fillna("—"))
    by_team = reps.groupby("team")["_c"].sum().reindex(plan.teams["team"].to_numpy()).fillna(0)
    cells = plan.matrix.assign(_c=c(plan.matrix["quota"]))
    rows = cells.groupby("rep_id")["_c"].sum().reindex(reps["rep_id"].to_numpy()).fillna(0).to_numpy()
    cols = cells.groupby("month")["_c"].sum().reindex(pd.to_datetime(months["month"])).fillna(0).to_numpy()
    checks = [
        (4, abs(int(c(plan.quarterly["target"]).sum()) - total)),
        (12, int(np.abs(by_quarter.to_numpy() - c(plan.quarterly["target"])).max())),
        (len(plan.teams), abs(int(c(plan.teams["quota"]).sum()) - total)),
        (len(reps), int(np.abs(by_team.to_numpy() - c(plan.teams["quota"])).max())),
        (int(cells["_c"].size), int(np.abs(rows - reps["_c"].to_numpy()).max())),
        (int(cells["_c"].size), int(np.abs(cols - months["_c"].to_numpy()).max())),
    ]
    return pd.DataFrame({
        "check": list(PLAN_CHECKS),
        "parts": [n for n, _ in checks],
        "difference": [d for _, d in checks],
    })
