"""The method's other worked cases (domain brief, sections 1 and 6), as workshop material with figures.

Each case is a small set of the source's figures and the figures a participant works out
from them (what the target was, how far behind, what next month's goal means), computed
here so a facilitator's answers always match:

- ``half_year_review``: a half-year review at 1,200,000 CNY = 80% of target, customer
  satisfaction 75%, online channel 20% of sales;
- ``car_dealer_pdca``: a car dealer's PDCA plan after a month 10% down, aiming +10% the
  next month (with weekly tracking of sales and stock turnover);
- ``fmcg_targets``: an FMCG company's quarterly target attainment, 75% -> 92%, after
  OKR target decomposition with weekly reviews;
- ``building_materials``: a building-materials firm's sales cycle, 45 -> 28 days;
- ``real_estate_mentoring``: a real-estate agency's mentoring, new-hire probation 6 -> 4
  months and output per head +25%;
- ``case_company_people``: the SaaS case company's top-rep attrition 15% -> 5%, output per
  rep +38% and new hires' 3-month first-deal rate 30% -> 55% (people figures its tables do
  not reproduce, :mod:`playbook.case.figures`).

The package computes only: keys and numbers (:data:`WORKED_COLUMNS`);
:func:`playbook.present.case_study.worked_display` words them in English or Chinese.
"""

from __future__ import annotations

import pandas as pd

from playbook.core.errors import ParameterError
from playbook.core.money import round_money

__all__ = ["WORKED_CASES", "WORKED_COLUMNS", "worked_cases"]

WORKED_CASES = ("half_year_review", "car_dealer_pdca", "fmcg_targets", "building_materials",
                "real_estate_mentoring", "case_company_people")
WORKED_COLUMNS = ["case", "figure", "value", "unit", "given"]
"""``given`` is True for a figure of the source, False for one worked out from them; ``unit``:
``cny``, ``pct`` (a share), ``pts`` (percentage points, as a share), ``days``, ``months``,
``index`` (a month's sales as a multiple of the month before the fall), ``people``, ``x`` (a ratio)."""


def worked_cases(*, half_year_sales: float = 1_200_000.0, top_reps: int = 20) -> pd.DataFrame:
    """Return the worked cases' figures, the source's and the ones worked out from them.

    Parameters
    ----------
    half_year_sales : float
        The half-year review's sales (1,200,000 CNY in the source), at 80% of target.
    top_reps : int
        Size of the case company's top-rep group, to turn attrition rates into people.

    Returns
    -------
    DataFrame
        :data:`WORKED_COLUMNS`, cases in :data:`WORKED_CASES` order.

    Examples
    --------
    >>> w = worked_cases().set_index(["case", "figure"])["value"]
    >>> [float(w["half_year_review", k]) for k in ("target", "gap", "online_sales")]
    [1500000.0, 300000.0, 240000.0]
    >>> round(float(w["car_dealer_pdca", "goal_index"]), 4), round(float(w["building_materials", "cycle_cut"]), 4)
    (0.99, 0.3778)
    """
    if isinstance(half_year_sales, bool) or not isinstance(half_year_sales, (int, float)) or half_year_sales <= 0:
        raise ParameterError("half_year_sales", half_year_sales, "an amount above 0 CNY, e.g. 1200000")
    if isinstance(top_reps, bool) or not isinstance(top_reps, int) or top_reps < 1:
        raise ParameterError("top_reps", top_reps, "a whole number of reps >= 1, e.g. 20")
    sales, attained = float(half_year_sales), 0.80
    target = round_money(sales / attained)
    drop, goal = -0.10, 0.10
    before_cycle, after_cycle = 45, 28
    rows = [
        ("half_year_review", "sales", sales, "cny", True),
        ("half_year_review", "attainment", attained, "pct", True),
        ("half_year_review", "satisfaction", 0.75, "pct", True),
        ("half_year_review", "online_share", 0.20, "pct", True),
        ("half_year_review", "target", target, "cny", False),
        ("half_year_review", "gap", round_money(target - sales), "cny", False),
        ("half_year_review", "online_sales", round_money(sales * 0.20), "cny", False),
        ("car_dealer_pdca", "month_change", drop, "pct", True),
        ("car_dealer_pdca", "goal_change", goal, "pct", True),
        ("car_dealer_pdca", "goal_index", (1 + drop) * (1 + goal), "index", False),
        ("car_dealer_pdca", "recovery_needed", 1 / (1 + drop) - 1, "pct", False),
        ("fmcg_targets", "attainment_before", 0.75, "pct", True),
        ("fmcg_targets", "attainment_after", 0.92, "pct", True),
        ("fmcg_targets", "attainment_gain", 0.92 - 0.75, "pts", False),
        ("building_materials", "cycle_before", before_cycle, "days", True),
        ("building_materials", "cycle_after", after_cycle, "days", True),
        ("building_materials", "cycle_cut", 1 - after_cycle / before_cycle, "pct", False),
        ("building_materials", "cycles_per_year_before", 365 / before_cycle, "x", False),
        ("building_materials", "cycles_per_year_after", 365 / after_cycle, "x", False),
        ("real_estate_mentoring", "probation_before", 6, "months", True),
        ("real_estate_mentoring", "probation_after", 4, "months", True),
        ("real_estate_mentoring", "output_gain", 0.25, "pct", True),
        ("real_estate_mentoring", "probation_cut", 1 - 4 / 6, "pct", False),
        ("case_company_people", "attrition_before", 0.15, "pct", True),
        ("case_company_people", "attrition_after", 0.05, "pct", True),
        ("case_company_people", "output_gain", 0.38, "pct", True),
        ("case_company_people", "first_deal_before", 0.30, "pct", True),
        ("case_company_people", "first_deal_after", 0.55, "pct", True),
        ("case_company_people", "leavers_before", 0.15 * top_reps, "people", False),
        ("case_company_people", "leavers_after", 0.05 * top_reps, "people", False),
        ("case_company_people", "first_deal_gain", 0.55 - 0.30, "pts", False),
    ]
    return pd.DataFrame(rows, columns=WORKED_COLUMNS).astype({"value": "float64", "given": "bool"})
