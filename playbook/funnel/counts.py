"""Step and funnel counts per group: the step table (long) and the funnel table (wide) of a stage table."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from playbook.core.errors import require_columns
from playbook.core.money import div_money, round_money
from playbook.core.schema import OUTCOMES
from playbook.funnel.codes import frame_group_codes, numpy_bools, recall, value_codes
from playbook.funnel.rules import FUNNEL_COLUMNS, REPURCHASE_STEP, STEP_COLUMNS, STEPS
from playbook.funnel.stages import _by, _check_stages, _latest_date, _ratio, repurchase_table

__all__ = ["step_table", "funnel_table"]

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
    by a groupby, so they are the groupby's sums to the last digit. Grouped by columns of
    a stage table, the codes :func:`stage_table` remembered for them
    (:mod:`playbook.funnel.codes`, :func:`~playbook.funnel.codes.frame_group_codes`)
    number the groups, so their text is not hashed again.

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
    recalled = recall(stages["outcome"])
    code = (recalled[0] if recalled is not None and tuple(recalled[1]) == OUTCOMES
            else value_codes(stages["outcome"], OUTCOMES))
    won = numpy_bools(stages["reached_deal"])
    facts = [numpy_bools(stages[c]) for c in ("reached_intent", "reached_negotiation")]
    facts += [won, code == OUTCOMES.index("open"), code == OUTCOMES.index("lost")]
    pattern = np.zeros(len(stages), dtype="uint8")
    for i, fact in enumerate(facts):
        pattern |= fact.view("uint8") << np.uint8(i)
    amount = stages["amount"].astype("float64").to_numpy()
    won_amount = np.where(won & ~np.isnan(amount), amount, 0.0)
    coded = frame_group_codes(stages, keys)
    if coded is not None:  # the stage table's own codes (funnel.codes): the groupby's groups and sums
        group, out = coded
        # every code is a group: grouped as categories, not hashed again (the same sums, row by row)
        by = pd.Categorical.from_codes(group, categories=pd.RangeIndex(len(out)), validate=False)
        amounts = pd.Series(won_amount).groupby(by, observed=False, sort=True).sum().to_numpy()
    elif keys:
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
