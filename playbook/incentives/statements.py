"""HR statements: every amount of a rep's period as a line with its rule, base and rate."""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.core.errors import ParameterError
from playbook.incentives.payouts import PayoutRun
from playbook.incentives.plans import REP_COLUMNS, RULES

__all__ = ["payout_statement"]

# --------------------------------------------------------------------------- HR statements


def payout_statement(run: PayoutRun, *, rep_id: str) -> dict[str, pd.DataFrame]:
    """One payee's payout statement for the run's period, as frames (no I/O).

    Returns
    -------
    dict of DataFrame
        ``summary``: one row (rep, name, team, plan, period, currency, ``at_boundary``
        (the plan's side of its tier boundaries, :data:`~playbook.incentives.plans.AT_BOUNDARY`)
        and the ``*_cents`` totals of :data:`REP_COLUMNS`); ``by_rule``: ``rule, amount_cents``
        (the total per rule, adding up to ``total_cents``); ``lines``: the rep's line
        items (:data:`LINE_COLUMNS`), each amount traceable to its rule, base and rate.

    Examples
    --------
    >>> from playbook.incentives import modify_plan
    >>> from playbook.incentives import run_plan
    >>> orders = pd.DataFrame({"customer_id": ["C1"], "rep_id": ["R1"],
    ...                        "order_date": pd.to_datetime(["2024-03-01"]), "amount": [1_200_000.0]})
    >>> run = run_plan(orders, pd.DataFrame({"rep_id": ["R1"], "name": ["Ann"], "team": ["A"]}),
    ...                plan=modify_plan("domain_marginal", {"bonus": None}), period="2024")
    >>> st = payout_statement(run, rep_id="R1")
    >>> st["by_rule"]
             rule  amount_cents
    0  commission      10000000
    >>> int(st["summary"].loc[0, "total_cents"])
    10000000
    """
    rep_id = str(rep_id)
    row = run.by_rep[run.by_rep["rep_id"].astype(str) == rep_id]
    if row.empty:
        raise ParameterError("rep_id", rep_id, f"a payee of plan {run.plan.name!r} in {run.period}")
    summary = row.drop(columns=["effective_rate"]).assign(plan=run.plan.name, period=run.period, currency="CNY",
                                                          at_boundary=run.plan.at_boundary)
    summary = summary[["rep_id", "name", "team", "plan", "period", "currency", "at_boundary",
                       *[c for c in REP_COLUMNS if c.endswith("_cents")]]].reset_index(drop=True)
    lines = run.lines[run.lines["rep_id"].astype(str) == rep_id].reset_index(drop=True)
    by_rule = lines.groupby("rule", sort=False)["amount_cents"].sum()
    by_rule = by_rule.reindex([r for r in RULES if r in by_rule.index]).astype(np.int64)
    by_rule = by_rule.rename_axis("rule").reset_index()
    return {"summary": summary, "by_rule": by_rule, "lines": lines}
