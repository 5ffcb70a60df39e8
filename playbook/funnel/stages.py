"""The stage table (one row per opportunity and the stages it reached) and step and funnel counts."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from playbook.core import dates
from playbook.core.dates import optional_date
from playbook.core.errors import InputError, ParameterError, PlaybookWarning, require_columns
from playbook.core.money import div_money, round_money
from playbook.core.schema import OUTCOMES
from playbook.funnel.rules import (
    _DATE_COLUMNS,
    _OPP_REQUIRED,
    FUNNEL_COLUMNS,
    FUNNEL_STAGES,
    PROBLEM_COLUMNS,
    REPURCHASE_COLUMNS,
    REPURCHASE_STEP,
    STAGE_COLUMNS,
    STEP_COLUMNS,
    STEPS,
)

__all__ = ["resolve_as_of", "opportunity_problems", "stage_table", "select", "step_table", "funnel_table",
           "repurchase_table"]

# --------------------------------------------------------------------------- helpers
def _kit(frame: pd.DataFrame, columns: Mapping[str, str] | None) -> pd.DataFrame:
    """Return ``frame`` with the caller's column names renamed to the kit's (a new frame)."""
    if not columns:
        return frame
    return frame.rename(columns={theirs: ours for ours, theirs in columns.items()})


def _as_dates(series: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.astype("datetime64[ns]")
    return pd.to_datetime(series, errors="coerce").astype("datetime64[ns]")


def _by(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _check_stages(stages: pd.DataFrame) -> None:
    require_columns(stages, ["reached_intent", "reached_negotiation", "reached_deal", "outcome"],
             "stages (the output of funnel.stage_table)")


def _ratio(num: object, den: object) -> np.ndarray:
    num = np.asarray(num, dtype="float64")
    den = np.asarray(den, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _rep_rows(rep_id: pd.Series, index: pd.Index) -> np.ndarray:
    """Return, for each value of ``rep_id``, its position in ``index`` (-1: missing or not there).

    Looks up the distinct ids only (a hash lookup of every row costs ten times more).

    Examples
    --------
    >>> _rep_rows(pd.Series(["R2", None, "R9", "R2"], dtype="string"), pd.Index(["R1", "R2"])).tolist()
    [1, -1, -1, 1]
    """
    codes, uniques = pd.factorize(rep_id)
    pos = np.append(index.get_indexer(uniques), -1)
    return pos[codes]


def _taken(values: pd.Series, at: np.ndarray, index: pd.Index) -> pd.Series:
    """Return ``values`` (as text) at positions ``at`` (-1: missing) on ``index``."""
    return pd.Series(values.astype("string").array.take(at, allow_fill=True), index=index)


def _latest_date(frame: pd.DataFrame) -> pd.Timestamp:
    return dates.resolve_as_of(None, frame, columns=_DATE_COLUMNS, what="opportunities")


def resolve_as_of(as_of: object, opportunities: pd.DataFrame) -> pd.Timestamp:
    """Return ``as_of`` as a date, or the latest stage date in ``opportunities`` when empty.

    The kit's one as-of rule (:func:`playbook.core.dates.resolve_as_of`) on the
    opportunities' stage dates.

    Examples
    --------
    >>> o = pd.DataFrame({"created_date": pd.to_datetime(["2025-03-01"]),
    ...                   "closed_date": pd.to_datetime(["2025-04-02"])})
    >>> str(resolve_as_of("", o).date()), str(resolve_as_of("2025-03-31", o).date())
    ('2025-04-02', '2025-03-31')
    """
    return dates.resolve_as_of(as_of, opportunities, columns=_DATE_COLUMNS, what="opportunities")


# --------------------------------------------------------------------------- stage table
def _prepared(opportunities: pd.DataFrame, columns: Mapping[str, str] | None) -> pd.DataFrame:
    opps = _kit(opportunities, columns)
    require_columns(opps, _OPP_REQUIRED, "opportunities")
    out = pd.DataFrame(index=opps.index)
    out["opportunity_id"] = opps["opportunity_id"].astype("string")
    out["rep_id"] = opps["rep_id"].astype("string")
    out["customer_id"] = (opps["customer_id"].astype("string") if "customer_id" in opps
                          else pd.Series(pd.NA, index=opps.index, dtype="string"))
    out["channel"] = opps["channel"].astype("string")
    out["amount"] = pd.to_numeric(opps["amount"], errors="coerce").astype("float64")
    outcome = opps["outcome"].astype("string")
    if not _is_one_of(outcome, OUTCOMES).all():
        outcome = outcome.str.strip().str.lower()
    out["outcome"] = outcome
    for col in _DATE_COLUMNS:
        out[col] = (_as_dates(opps[col]) if col in opps
                    else pd.Series(pd.NaT, index=opps.index, dtype="datetime64[ns]"))
    return out


def _is_one_of(values: pd.Series, allowed: Sequence[str]) -> np.ndarray:
    """Return a numpy mask: ``values`` is one of ``allowed`` (missing: False).

    A few equality tests, each one vectorised pass (``isin`` on Arrow text is ten times slower).

    Examples
    --------
    >>> _is_one_of(pd.Series(["won", None, "x"], dtype="string"), ["won", "lost"]).tolist()
    [True, False, False]
    """
    mask = np.zeros(len(values), dtype=bool)
    for value in allowed:
        mask |= (values == value).to_numpy(dtype=bool, na_value=False)
    return mask


def _created_by(opps: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """Return the rows of ``opps`` created on or before ``end`` (``opps`` itself when that is all of them)."""
    later = (opps["created_date"] > end).to_numpy()
    return opps.loc[~later] if later.any() else opps


def _problems(opps: pd.DataFrame) -> pd.DataFrame:
    """Problems of a prepared frame: one row per (opportunity, problem)."""
    parts = []

    def add(mask: np.ndarray, code: str, column: str, message: str) -> None:
        if mask.any():
            sub = opps.loc[mask]
            value = (sub[column].astype("string") if column in sub
                     else pd.Series(pd.NA, index=sub.index, dtype="string"))
            parts.append(pd.DataFrame({
                "opportunity_id": sub["opportunity_id"], "rep_id": sub["rep_id"], "code": code,
                "column": column, "value": value.fillna(""),
                "message": "opportunity " + sub["opportunity_id"].fillna("?") + ": " + message,
            }))

    # numpy masks: a comparison with NaT (or NaN) is False, as the checks want
    outcome = opps["outcome"]
    won, lost, is_open = (_is_one_of(outcome, [o]) for o in ("won", "lost", "open"))
    add(~(won | lost | is_open), "unknown_outcome", "outcome",
        "outcome must be one of won, lost, open")
    latest = opps["created_date"].to_numpy()
    add(np.isnat(latest), "missing_created_date", "created_date",
        "created_date is empty: every opportunity needs the date its lead was created")
    # each stage date must not be earlier than the latest earlier stage date
    for col in _DATE_COLUMNS[1:]:
        d = opps[col].to_numpy()
        add(d < latest, "dates_out_of_order", col,
            f"{col} is earlier than an earlier stage's date (expected created_date <= "
            "intent_date <= negotiation_date <= closed_date)")
        latest = np.where(np.isnat(d) | (latest > d), latest, d)
    no_close = np.isnat(opps["closed_date"].to_numpy())
    add((won | lost) & no_close, "closed_without_date", "closed_date",
        "outcome is won or lost but closed_date is empty: add the close date")
    add(is_open & ~no_close, "open_with_close_date", "closed_date",
        "outcome is open but closed_date is set: set the outcome to won or lost, or clear the date")
    add(won & ~(opps["amount"].to_numpy() >= 0), "won_without_amount", "amount",
        "a won deal needs its signed amount (>= 0)")
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in PROBLEM_COLUMNS})
    return pd.concat(parts, ignore_index=True)[PROBLEM_COLUMNS]


def opportunity_problems(
    opportunities: pd.DataFrame, *, as_of: object = None, columns: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """List the opportunities the funnel cannot count as they are, one row per problem.

    Problems (``code``): ``unknown_outcome``, ``missing_created_date``,
    ``dates_out_of_order`` (a stage date earlier than an earlier stage's date),
    ``closed_without_date`` (won or lost, no ``closed_date``), ``open_with_close_date``,
    ``won_without_amount`` (won, amount missing or negative). Leads created after
    ``as_of`` are not checked (they are out of scope).

    Parameters
    ----------
    opportunities : DataFrame
        The ``opportunities`` table (see :mod:`playbook.core.schema`).
    as_of : date-like, optional
        Only leads created on or before this date are checked.
    columns : mapping, optional
        ``{kit column: your column}`` when the frame uses other names.

    Returns
    -------
    DataFrame
        Columns :data:`PROBLEM_COLUMNS`; empty when every opportunity can be counted.

    Examples
    --------
    >>> o = pd.DataFrame({"opportunity_id": ["o1"], "rep_id": ["R1"], "channel": ["referral"],
    ...                   "amount": [None], "created_date": pd.to_datetime(["2025-01-05"]),
    ...                   "intent_date": pd.to_datetime(["2025-01-02"]),
    ...                   "closed_date": pd.NaT, "outcome": ["won"]})
    >>> opportunity_problems(o)["code"].tolist()
    ['dates_out_of_order', 'closed_without_date', 'won_without_amount']
    """
    opps = _prepared(opportunities, columns)
    end = optional_date(as_of, "as_of")
    if end is not None:
        opps = _created_by(opps, end)
    return _problems(opps)


def stage_table(
    opportunities: pd.DataFrame,
    *,
    reps: pd.DataFrame | None = None,
    as_of: object = None,
    invalid: str = "raise",
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per opportunity with the funnel stages it reached (the module's counting rules).

    Parameters
    ----------
    opportunities : DataFrame
        ``opportunity_id, rep_id, channel, amount, created_date, outcome`` and the optional
        ``customer_id, intent_date, negotiation_date, closed_date``.
    reps : DataFrame, optional
        ``rep_id, team`` (and ``name``): adds each opportunity's team and rep name.
    as_of : date-like, optional
        Show the funnel as it stood that day (see the module notes).
    invalid : {"raise", "drop"}
        What to do with opportunities listed by :func:`opportunity_problems`: raise an
        :class:`~playbook.core.errors.InputError` naming them, or leave them out with a
        :class:`~playbook.core.errors.PlaybookWarning` saying how many.
    columns : mapping, optional
        ``{kit column: your column}`` for ``opportunities``.

    Returns
    -------
    DataFrame
        Columns :data:`STAGE_COLUMNS`. ``stage_reached`` is the furthest stage (lead,
        intent, negotiation, deal); ``reached_*`` are booleans; ``pending_step`` is the
        step an open opportunity is sitting in (else missing); ``stage_entered_date`` is
        the date it entered its furthest stage. ``team`` and ``name`` are missing without
        ``reps``. Row order follows the input.

    Examples
    --------
    >>> o = pd.DataFrame({"opportunity_id": ["o1", "o2"], "rep_id": ["R1", "R2"],
    ...                   "channel": ["referral", "trade_show"], "amount": [10.0, 20.0],
    ...                   "created_date": pd.to_datetime(["2025-01-02", "2025-01-03"]),
    ...                   "negotiation_date": pd.to_datetime(["2025-01-08", None]),
    ...                   "closed_date": pd.to_datetime(["2025-02-01", None]),
    ...                   "outcome": ["won", "open"]})
    >>> s = stage_table(o, as_of="2025-01-31")  # o1 was still open that day
    >>> s[["opportunity_id", "outcome", "stage_reached", "reached_intent", "pending_step"]]
      opportunity_id outcome stage_reached reached_intent         pending_step
    0             o1    open   negotiation           True  negotiation_to_deal
    1             o2    open          lead          False       lead_to_intent
    """
    if invalid not in ("raise", "drop"):
        raise ParameterError("invalid", invalid, "'raise' or 'drop'")
    opps = _prepared(opportunities, columns)
    end = optional_date(as_of, "as_of")
    if end is not None:
        opps = _created_by(opps, end)
    problems = _problems(opps)
    if len(problems):
        if invalid == "raise":
            counts = problems["code"].value_counts()
            lines = [f"{len(problems)} problem(s) in the opportunities stop the funnel count "
                     f"({', '.join(f'{c}: {n}' for c, n in counts.items())}):"]
            lines += ["  - " + m for m in problems["message"].head(10)]
            if len(problems) > 10:
                lines.append(f"  ... and {len(problems) - 10} more (funnel.opportunity_problems lists all)")
            lines.append("Fix these rows in the CRM export, or pass invalid='drop' to leave them out.")
            raise InputError("\n".join(lines), code="funnel.problems", params={
                "n": len(problems),
                "counts_list": [{"key": "message.funnel.count", "code_label": f"message.funnel.code.{c}", "n": int(n)}
                                for c, n in counts.items()],
                "problems_lines": [{"key": f"message.funnel.{r.code}", "opportunity_id": r.opportunity_id,
                                    "column": r.column} for r in problems.head(10).itertuples()],
                "more_items": [{"key": "message.funnel.more", "n": len(problems) - 10}] if len(problems) > 10 else []})
        bad = opps["opportunity_id"].isin(problems["opportunity_id"])
        warnings.warn(
            f"{int(bad.sum())} opportunit(ies) with problems left out of the funnel "
            f"(funnel.opportunity_problems lists them).", PlaybookWarning, stacklevel=2)
        opps = opps.loc[~bad]
    if end is not None:
        cut = np.datetime64(end.asm8, "ns")
        for col in _DATE_COLUMNS[1:]:
            later = opps[col].to_numpy() > cut
            if later.any():
                opps[col] = opps[col].where(~later)
        reopened = _is_one_of(opps["outcome"], ["won", "lost"]) & opps["closed_date"].isna().to_numpy()
        if reopened.any():
            opps["outcome"] = opps["outcome"].where(~reopened, "open")

    won = opps["outcome"] == "won"
    is_open = opps["outcome"] == "open"
    neg = opps["negotiation_date"].notna() | won
    intent = opps["intent_date"].notna() | neg
    level = intent.astype("int8") + neg.astype("int8") + won.astype("int8")
    out = opps.copy()
    out["stage_reached"] = pd.Categorical.from_codes(level.to_numpy(), categories=list(FUNNEL_STAGES),
                                                     ordered=True)
    out["reached_lead"] = True
    out["reached_intent"] = intent
    out["reached_negotiation"] = neg
    out["reached_deal"] = won
    # a take from the three step names (-1: not pending) is far faster than boxing 1M strings
    step_code = np.where(is_open.to_numpy(dtype=bool), level.to_numpy(), -1)
    step_code[step_code == len(STEPS)] = -1
    out["pending_step"] = pd.array(list(STEPS), dtype="string").take(step_code, allow_fill=True)
    entered = np.select(
        [level.to_numpy() == 0, level.to_numpy() == 1, level.to_numpy() == 2],
        [opps["created_date"].to_numpy(), opps["intent_date"].to_numpy(),
         opps["negotiation_date"].to_numpy()],
        opps["closed_date"].to_numpy(),
    )
    # a won deal that skipped negotiation: its furthest stage is "deal", entered on close
    out["stage_entered_date"] = pd.to_datetime(entered)
    if reps is not None:
        require_columns(reps, ["rep_id", "team"], "reps")
        info = reps.assign(rep_id=reps["rep_id"].astype("string")).drop_duplicates("rep_id").set_index("rep_id")
        at = _rep_rows(out["rep_id"], info.index)
        out["team"] = _taken(info["team"], at, out.index)
        out["name"] = (_taken(info["name"], at, out.index) if "name" in reps
                       else pd.Series(pd.NA, index=out.index, dtype="string"))
        unknown = out["team"].isna()
        if unknown.any():
            ids = sorted(out.loc[unknown, "rep_id"].dropna().unique())
            warnings.warn(
                f"{int(unknown.sum())} opportunit(ies) belong to rep_id(s) not in reps "
                f"({', '.join(ids[:5])}{' ...' if len(ids) > 5 else ''}): their team is empty.",
                PlaybookWarning, stacklevel=2)
    else:
        out["team"] = pd.Series(pd.NA, index=out.index, dtype="string")
        out["name"] = pd.Series(pd.NA, index=out.index, dtype="string")
    return out[STAGE_COLUMNS]


def select(
    stages: pd.DataFrame,
    *,
    period_start: object = None,
    period_end: object = None,
    team: str | None = None,
) -> pd.DataFrame:
    """Keep the leads created between ``period_start`` and ``period_end`` (inclusive) of ``team``.

    Empty values (``None`` or ``""``) mean "no limit" / "all teams".

    Raises
    ------
    ParameterError
        ``team`` is not a team of the data, or the period ends before it starts.
    InputError
        Nothing is left: no opportunity was created in the period (for that team).

    Examples
    --------
    >>> s = pd.DataFrame({"created_date": pd.to_datetime(["2025-01-02", "2025-03-01"]),
    ...                   "team": ["A", "B"]})
    >>> len(select(s, period_start="2025-02-01")), len(select(s, team="A"))
    (1, 1)
    """
    require_columns(stages, ["created_date", "team"], "stages")
    start, end = optional_date(period_start, "period_start"), optional_date(period_end, "period_end")
    if start is not None and end is not None and end < start:
        raise ParameterError("period_end", period_end, f"a date on or after period_start={period_start!r}")
    keep = pd.Series(True, index=stages.index)
    if team is not None and str(team).strip():
        teams = sorted(stages["team"].dropna().unique())
        if team not in teams:
            raise ParameterError("team", team, "one of " + ", ".join(repr(x) for x in teams)
                                 + " (or empty for all teams)")
        keep &= stages["team"] == team
    if start is not None:
        keep &= stages["created_date"] >= start
    if end is not None:
        keep &= stages["created_date"] <= end
    keep = keep.fillna(False).astype(bool)
    if not keep.any():
        where = f" for team {team!r}" if team else ""
        raise InputError(
            f"no opportunities created between {start.date() if start is not None else 'the start'} "
            f"and {end.date() if end is not None else 'the end'}{where}: widen period_start/"
            "period_end (empty = all) or choose another team.")
    return stages.loc[keep]


# --------------------------------------------------------------------------- counts
def _count_flags(intent: np.ndarray, neg: np.ndarray, won: np.ndarray, is_open: np.ndarray,
                 lost: np.ndarray) -> dict[str, np.ndarray]:
    """Boolean flags whose per-group sums are the step counts of any grouping."""
    return {
        "entered_1": np.ones(len(intent), dtype=bool),
        "passed_1": intent,
        "pending_1": is_open & ~intent,
        "passed_2": neg,
        "pending_2": is_open & intent & ~neg,
        "passed_3": won,
        "pending_3": is_open & neg & ~won,
        "lost": lost,
        "open": is_open,
    }


# the 32 combinations of (intent, negotiation, deal, open, lost), bit i of the pattern number,
# and the flags each combination sets: a count per group is (opportunities per group and
# pattern) @ (flag per pattern)
_PATTERN_BITS = (np.arange(32)[:, None] >> np.arange(5)) & 1 == 1
_PATTERN_FLAGS = np.column_stack(list(_count_flags(*_PATTERN_BITS.T).values())).astype("int64")


def _sums(stages: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Sum the flags of :func:`_count_flags` per group of ``keys`` (sorted; missing keys form a group).

    Each opportunity gets a pattern number (which of the five stage facts hold), the
    opportunities are counted per group and pattern by one ``bincount``, and the counts
    follow by a product with the flags each pattern sets: exact integers, one pass, where
    a groupby over ten flag columns costs several times more. The won amounts are summed
    by a groupby, so they are the groupby's sums to the last digit.

    Examples
    --------
    >>> s = pd.DataFrame({"team": ["B", "A", "B"], "outcome": ["open", "won", "lost"],
    ...                   "reached_intent": [True, True, False], "reached_negotiation": [False, True, False],
    ...                   "reached_deal": [False, True, False], "amount": [1.0, 5.0, 2.0]})
    >>> _sums(s, ["team"])[["team", "entered_1", "passed_1", "pending_2", "lost", "won_amount"]]
      team  entered_1  passed_1  pending_2  lost  won_amount
    0    A          1         1          0     0         5.0
    1    B          2         1          1     1         0.0
    """
    _check_stages(stages)
    require_columns(stages, keys, "stages (by=)")
    outcome = stages["outcome"]
    facts = [stages[c].astype(bool).to_numpy() for c in ("reached_intent", "reached_negotiation", "reached_deal")]
    facts += [(outcome == o).to_numpy(dtype=bool, na_value=False) for o in ("open", "lost")]
    pattern = sum(f.astype("int64") << i for i, f in enumerate(facts))
    won_amount = stages["amount"].astype("float64").where(facts[2], 0.0).fillna(0.0).to_numpy()
    if keys:
        grouped = stages[keys].assign(won_amount=won_amount).groupby(keys, dropna=False, observed=True, sort=True)
        amounts = grouped["won_amount"].sum()
        group = grouped.ngroup().to_numpy()
        out = amounts.index.to_frame(index=False)
        amounts = amounts.to_numpy()
    else:
        group = np.zeros(len(stages), dtype="int64")
        out = pd.DataFrame(index=range(1))
        amounts = [pd.Series(won_amount).sum()]
    n = len(out)
    per_pattern = np.bincount(group * 32 + pattern, minlength=n * 32).reshape(n, 32).astype("int64")
    counts = per_pattern @ _PATTERN_FLAGS
    for i, c in enumerate(_count_flags(*_PATTERN_BITS.T)):
        out[c] = counts[:, i]
    out["won_amount"] = np.asarray(amounts, dtype="float64")
    return out


def _long(sums: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    parts = []
    entered = sums["entered_1"]
    for i, step in enumerate(STEPS, start=1):
        passed, pending = sums[f"passed_{i}"], sums[f"pending_{i}"]
        part = sums[keys].copy()
        part["step"] = step
        part["entered"] = entered.to_numpy()
        part["passed"] = passed.to_numpy()
        part["pending"] = pending.to_numpy()
        part["decided"] = (entered - pending).to_numpy()
        part["rate"] = _ratio(part["passed"], part["decided"])
        part["_order"] = np.arange(len(sums)) * len(STEPS) + i
        parts.append(part)
        entered = passed
    out = pd.concat(parts, ignore_index=True).sort_values("_order", kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)


def _repurchase_counts(stages: pd.DataFrame, orders: pd.DataFrame, keys: list[str], *, as_of: object,
                       window_days: int) -> pd.DataFrame:
    """Count won customers, eligible and repurchased per group (:func:`repurchase_table`); default as-of: latest."""
    when = _latest_date(stages) if as_of is None or (isinstance(as_of, str) and not as_of.strip()) else as_of
    return repurchase_table(stages, orders, as_of=when, window_days=window_days, by=keys or None)


def _repurchase_step(sums: pd.DataFrame, rp: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Return the fifth step's rows, one per group of ``sums``: won customers -> repurchased (open windows pending)."""
    got = sums[keys].merge(rp, on=keys, how="left") if keys else rp.reindex(range(len(sums)))
    won = got["won_customers"].fillna(0).astype("int64").to_numpy()
    eligible = got["eligible"].fillna(0).astype("int64").to_numpy()
    part = sums[keys].copy().reset_index(drop=True)
    part["step"] = REPURCHASE_STEP
    part["entered"] = won
    part["passed"] = got["repurchased"].fillna(0).astype("int64").to_numpy()
    part["pending"] = won - eligible
    part["decided"] = eligible
    part["rate"] = _ratio(part["passed"], part["decided"])
    return part


def step_table(stages: pd.DataFrame, *, by: str | Sequence[str] | None = None, orders: pd.DataFrame | None = None,
               as_of: object = None, window_days: int = 180) -> pd.DataFrame:
    """Step conversion in long form: one row per group and step.

    With ``orders`` the funnel has the method's fifth stage (domain section 3: lead ->
    intent -> negotiation -> deal -> repurchase): a fourth step per group,
    ``deal_to_repurchase``, whose ``entered`` are the won customers (each once, with
    their earliest won deal), ``passed`` those who ordered again within
    ``window_days`` of the deal, ``pending`` those whose window has not ended by
    ``as_of`` (default: the latest stage date) and ``rate = passed / decided``, as in
    :func:`repurchase_table`.

    Parameters
    ----------
    stages : DataFrame
        The output of :func:`stage_table` (possibly :func:`select`-ed).
    by : str or list of str, optional
        Columns to group by (``"team"``, ``"rep_id"``, ``"channel"``, a period column ...).
    orders : DataFrame, optional
        ``customer_id, order_date, amount``: adds the repurchase step.
    as_of : date-like, optional
        The day repurchase windows must have ended by.
    window_days : int
        Length of the repurchase window in days.

    Returns
    -------
    DataFrame
        The ``by`` columns then :data:`STEP_COLUMNS`: ``entered`` reached the step's first
        stage, ``passed`` reached its second, ``pending`` are open and still sitting in the
        step, ``decided = entered - pending``, ``rate = passed / decided`` (NaN when
        nothing was decided).

    Examples
    --------
    >>> s = pd.DataFrame({"team": ["A", "A", "B"], "outcome": ["won", "lost", "lost"],
    ...                   "reached_intent": [True, True, False],
    ...                   "reached_negotiation": [True, False, False],
    ...                   "reached_deal": [True, False, False], "amount": [5.0, 1.0, 1.0]})
    >>> step_table(s, by="team")[["team", "step", "decided", "rate"]]
      team                   step  decided  rate
    0    A         lead_to_intent        2   1.0
    1    A  intent_to_negotiation        2   0.5
    2    A    negotiation_to_deal        1   1.0
    3    B         lead_to_intent        1   0.0
    4    B  intent_to_negotiation        0   NaN
    5    B    negotiation_to_deal        0   NaN
    """
    keys = _by(by)
    sums = _sums(stages, keys)
    out = _long(sums, keys)
    if orders is not None:
        fifth = _repurchase_step(sums, _repurchase_counts(stages, orders, keys, as_of=as_of,
                                                          window_days=window_days), keys)
        n = len(STEPS)
        order = np.concatenate([np.arange(len(out)) + np.arange(len(out)) // n, np.arange(len(fifth)) * (n + 1) + n])
        out = pd.concat([out, fifth], ignore_index=True).iloc[np.argsort(order, kind="stable")]
    return out[[*keys, *STEP_COLUMNS]].reset_index(drop=True)


def _wide(sums: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    out = sums[keys].copy()
    out["leads"] = sums["entered_1"].to_numpy()
    out["intents"] = sums["passed_1"].to_numpy()
    out["negotiations"] = sums["passed_2"].to_numpy()
    out["deals"] = sums["passed_3"].to_numpy()
    out["lost"] = sums["lost"].to_numpy()
    out["open"] = sums["open"].to_numpy()
    r1 = _ratio(sums["passed_1"], sums["entered_1"] - sums["pending_1"])
    r2 = _ratio(sums["passed_2"], sums["passed_1"] - sums["pending_2"])
    r3 = _ratio(sums["passed_3"], sums["passed_2"] - sums["pending_3"])
    out["rate_lead_to_intent"] = r1
    out["rate_intent_to_negotiation"] = r2
    out["rate_negotiation_to_deal"] = r3
    out["conv_lead_to_negotiation"] = r1 * r2
    out["conv_lead_to_deal"] = r1 * r2 * r3
    out["win_rate"] = _ratio(sums["passed_3"], sums["passed_3"] + sums["lost"])
    out["won_amount"] = round_money(sums["won_amount"].to_numpy())
    out["avg_deal"] = div_money(sums["won_amount"], sums["passed_3"]).to_numpy()
    return out.reset_index(drop=True)


def funnel_table(stages: pd.DataFrame, *, by: str | Sequence[str] | None = None, orders: pd.DataFrame | None = None,
                 as_of: object = None, window_days: int = 180) -> pd.DataFrame:
    """Funnel per group: stage counts, step and cumulative conversion, win rate, deal size, repurchase.

    Parameters
    ----------
    stages : DataFrame
        The output of :func:`stage_table`.
    by : str or list of str, optional
        Columns to group by; ``None`` gives one row for everything.
    orders : DataFrame, optional
        ``customer_id, order_date, amount``: fills the fifth stage, ``repurchases`` (won
        customers who ordered again within ``window_days``) and ``rate_deal_to_repurchase``
        (of those whose window ended by ``as_of``), as in :func:`step_table`; without
        orders both are empty.
    as_of : date-like, optional
        The day repurchase windows must have ended by (default: the latest stage date).
    window_days : int
        Length of the repurchase window in days.

    Returns
    -------
    DataFrame
        The ``by`` columns then :data:`FUNNEL_COLUMNS`. ``leads >= intents >=
        negotiations >= deals``. ``rate_*`` are step rates (open opportunities pending in
        a step are left out of its denominator); ``conv_*`` cumulative conversion from lead
        (product of the step rates; ``conv`` to intent is ``rate_lead_to_intent``);
        ``win_rate = deals / (deals + lost)``; ``avg_deal`` the mean won amount.

    Examples
    --------
    >>> s = pd.DataFrame({"outcome": ["won", "lost", "open", "lost"],
    ...                   "reached_intent": [True, True, True, False],
    ...                   "reached_negotiation": [True, True, False, False],
    ...                   "reached_deal": [True, False, False, False],
    ...                   "amount": [100.0, 40.0, 10.0, 5.0]})
    >>> f = funnel_table(s)
    >>> f[["leads", "intents", "negotiations", "deals", "rate_intent_to_negotiation", "win_rate"]]
       leads  intents  negotiations  deals  rate_intent_to_negotiation  win_rate
    0      4        3             2      1                         1.0  0.333333
    """
    keys = _by(by)
    sums = _sums(stages, keys)
    out = _wide(sums, keys)
    if orders is None:
        out["repurchases"] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["rate_deal_to_repurchase"] = np.nan
    else:
        fifth = _repurchase_step(sums, _repurchase_counts(stages, orders, keys, as_of=as_of,
                                                          window_days=window_days), keys)
        out["repurchases"] = pd.array(fifth["passed"].to_numpy(), dtype="Int64")
        out["rate_deal_to_repurchase"] = fifth["rate"].to_numpy()
    return out[[*keys, *FUNNEL_COLUMNS]]


# --------------------------------------------------------------------------- repurchase
def _positions(values: pd.Series, among: pd.Series) -> np.ndarray:
    """Return the position of each of ``values`` in ``among`` (unique ids), -1 where absent or missing.

    Arrow's hash lookup: on a million orders, five times faster than pandas' (text compared as text).

    Examples
    --------
    >>> _positions(pd.Series(["C2", None, "C9", "C1"]), pd.Series(["C1", "C2"])).tolist()
    [1, -1, -1, 0]
    """
    def arrow(s: pd.Series) -> pa.Array:
        return pa.array(s.astype("string")).cast(pa.large_string())

    found = pc.index_in(arrow(values), value_set=arrow(among))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _won_customers(stages: pd.DataFrame, orders: pd.DataFrame, *, as_of: pd.Timestamp,
                   window_days: int) -> pd.DataFrame:
    """Won customers (earliest won deal each) with their repurchase outcome and revenue."""
    require_columns(orders, ["customer_id", "order_date", "amount"], "orders")
    won = stages.loc[(stages["outcome"] == "won") & stages["customer_id"].notna()]
    won = won.sort_values(["closed_date", "opportunity_id"], kind="stable").drop_duplicates("customer_id")
    won = won.copy()
    won["customer_id"] = won["customer_id"].astype("string")
    won["end"] = won["closed_date"] + pd.Timedelta(days=window_days)
    won["eligible"] = won["end"] <= as_of
    # customers as their row in ``won`` (unique ids): integer keys sort, group and match fast on big data
    o = pd.DataFrame({
        "customer_id": _positions(orders["customer_id"], won["customer_id"]),
        "order_date": _as_dates(orders["order_date"]).astype("datetime64[ns]"),
        "amount": pd.to_numeric(orders["amount"], errors="coerce").astype("float64"),
    })
    o = o.loc[(o["amount"] > 0).to_numpy() & (o["customer_id"].to_numpy() >= 0)]
    o = o.sort_values(["customer_id", "order_date"], kind="stable")
    o["cum"] = o.groupby("customer_id")["amount"].cumsum()
    o = o.sort_values("order_date", kind="stable")

    def cum_at(dates: pd.Series) -> np.ndarray:
        left = pd.DataFrame({"customer_id": np.arange(len(won)), "order_date": dates.astype("datetime64[ns]"),
                             "_i": np.arange(len(won))}).sort_values("order_date", kind="stable")
        m = pd.merge_asof(left, o[["customer_id", "order_date", "cum"]], on="order_date",
                          by="customer_id", direction="backward")
        return m.sort_values("_i")["cum"].fillna(0.0).to_numpy()

    if len(won):
        revenue = cum_at(won["end"]) - cum_at(won["closed_date"])
    else:
        revenue = np.zeros(0)
    won["revenue"] = round_money(revenue)
    won["repurchased"] = won["revenue"] > 0
    return won


def repurchase_table(
    stages: pd.DataFrame,
    orders: pd.DataFrame,
    *,
    as_of: object,
    window_days: int = 180,
    by: str | Sequence[str] | None = None,
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Share of won customers who order again within ``window_days`` after the deal closed.

    Each customer counts once, with their earliest won deal in ``stages``; the rep and
    team of that deal get the credit. "Ordering again" means a positive order dated after
    the close date and at most ``window_days`` later (orders on the close day are the deal
    itself). Only customers whose window has ended by ``as_of`` are *eligible*: a deal
    closed last week has not had its chance yet. Won deals without a ``customer_id``
    cannot be linked to orders and are left out.

    Parameters
    ----------
    stages : DataFrame
        The output of :func:`stage_table`.
    orders : DataFrame
        ``customer_id, order_date, amount`` (refunds negative; they are ignored).
    as_of : date-like
        The day the windows must have ended by.
    window_days : int
        Length of the repurchase window in days.
    by : str or list of str, optional
        Columns of ``stages`` to group by.
    columns : mapping, optional
        ``{kit column: your column}`` for ``orders``.

    Returns
    -------
    DataFrame
        The ``by`` columns then :data:`REPURCHASE_COLUMNS`; ``repurchase_revenue`` is the
        eligible customers' positive orders within their windows.

    Examples
    --------
    >>> s = pd.DataFrame({"opportunity_id": ["o1", "o2", "o3"], "customer_id": ["C1", "C2", "C3"],
    ...                   "rep_id": ["R1"] * 3, "team": ["A"] * 3, "channel": ["referral"] * 3,
    ...                   "outcome": ["won"] * 3,
    ...                   "closed_date": pd.to_datetime(["2025-01-10", "2025-02-01", "2025-06-20"])})
    >>> orders = pd.DataFrame({"customer_id": ["C1", "C1", "C2"], "amount": [9.0, 4.0, 7.0],
    ...                        "order_date": pd.to_datetime(["2025-01-10", "2025-03-01", "2025-08-15"])})
    >>> repurchase_table(s, orders, as_of="2025-06-30", window_days=90)
       won_customers  eligible  repurchased  repurchase_rate  repurchase_revenue
    0              3         2            1              0.5                 4.0
    """
    require_columns(stages, ["opportunity_id", "customer_id", "rep_id", "team", "channel", "outcome",
                      "closed_date"], "stages")
    if int(window_days) < 1:
        raise ParameterError("window_days", window_days, "a whole number of days >= 1")
    end = optional_date(as_of, "as_of")
    if end is None:
        raise ParameterError("as_of", as_of, "a date such as '2025-09-30'")
    won = _won_customers(stages, _kit(orders, columns), as_of=end, window_days=int(window_days))
    keys = _by(by)
    won["won_customers"] = 1
    won["eligible"] = won["eligible"].astype("int64")
    won["repurchased"] = (won["repurchased"] & (won["eligible"] == 1)).astype("int64")
    won["repurchase_revenue"] = won["revenue"].where(won["eligible"] == 1, 0.0)
    cols = ["won_customers", "eligible", "repurchased", "repurchase_revenue"]
    if keys:
        out = won.groupby(keys, dropna=False, observed=True)[cols].sum().reset_index()
    else:
        out = won[cols].sum().to_frame().T
        out = out.astype({c: "int64" for c in cols[:3]})
    out["repurchase_rate"] = _ratio(out["repurchased"], out["eligible"])
    out["repurchase_revenue"] = round_money(out["repurchase_revenue"].astype("float64"))
    return out[[*keys, *REPURCHASE_COLUMNS]].reset_index(drop=True)
