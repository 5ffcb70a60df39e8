"""RFM customer tiering: recency, frequency and monetary scores, segments, spend tiers, LTV and CAC.

Domain brief, section 2 (客户分层, RFM: 最近消费 R, 消费频率 F, 消费金额 M) and the
customer metrics of section 3 (LTV, CAC, LTV/CAC; cut channels with ROI < 1).

Conventions (each one is pinned by a test)
------------------------------------------
Window
    The ``window_days`` calendar days ending on ``as_of``, both ends included: from
    ``as_of - (window_days - 1)`` days to ``as_of``. Orders dated after ``as_of`` are
    ignored; an order with a time of day counts on its calendar day.
Orders, refunds, zero rows
    An *order* is a row with ``amount > 0``; a *refund* a row with ``amount < 0``.
    Rows with ``amount == 0`` are ignored (neither an order nor a refund, and they do
    not refresh recency).
Recency
    ``recency_days``: days from the customer's last order in the window to ``as_of``
    (0 = ordered on the as-of date). Refunds do not refresh recency.
Frequency
    ``frequency``: the number of distinct ``order_id`` among the customer's orders in
    the window, **all orders, not only repeat ones** (several rows with the same
    ``order_id``, e.g. order lines, count once). ``repeat_orders = frequency - 1``.
Monetary
    ``gross_sales`` sums the orders, ``refunds`` the refund rows (<= 0) of the window;
    ``monetary = gross_sales + refunds`` is the **net** spend: refunds are netted
    against the customer in the window the refund is dated (even when the refunded
    order is older). ``avg_order_value = monetary / frequency``.
    ``annual_spend = monetary * 365 / window_days`` (equal to ``monetary`` for the
    default one-year window); spend tiers use it.
Who is scored
    Customers with at least one order in the window. Customers whose only rows in
    the window are refunds are left out, with a :class:`~playbook.core.errors.PlaybookWarning`
    naming how many.
Scores
    1-5 by mid-rank percentile: with ``n`` customers and average rank ``k`` (ties share
    their average rank), ``p = (k - 0.5) / n`` and ``score = floor(5 p) + 1``, except
    that a tie at the worst value (many one-time buyers) scores 1. Ties
    always get the same score, nothing breaks on duplicate bin edges, ``n`` distinct
    values give equal-sized quintiles when ``n`` is a multiple of 5, a single customer
    (or a population where everyone is identical) scores 3, two customers 2 and 4.
    Higher frequency and monetary score higher; recency is inverted (most recent = 5).
    ``fm_score`` is the mean of F and M rounded half up: ``(f + m + 1) // 2``.
Segments
    A segment map (YAML in ``templates/``) lists segments in order with rules on
    ``r``, ``f``, ``m``, ``fm``; the first segment that matches wins, and the map must
    cover every score combination, so each customer lands in exactly one segment.
    ``"default"``: the widely used 11 segments; ``"domain"``: high-value, potential,
    sleeping and other.
Spend tiers
    By ``annual_spend`` with thresholds ``(low, high)``: basic ``< low``, growth from
    ``low`` to ``high`` (both included), strategic ``> high``. Presets
    :data:`TIER_PRESETS`: ``"saas"`` (30k / 100k CNY) and ``"case"`` (100k / 500k CNY).
Words
    Segment keys, tiers and channels are codes; the segment maps' labels and the
    action catalogue are data in both languages (``labels[key]["zh"]``, ``action_en``
    / ``action_zh``). :mod:`playbook.present.rfm` picks the reader's language.

Examples
--------
>>> import pandas as pd
>>> orders = pd.DataFrame({
...     "order_id": ["o1", "o2", "o3", "o4", "o5"],
...     "customer_id": ["A", "A", "B", "B", "C"],
...     "rep_id": ["R1", "R1", "R2", "R2", "R1"],
...     "order_date": pd.to_datetime(["2025-09-01", "2025-09-28", "2025-06-30", "2025-07-15", "2025-01-10"]),
...     "amount": [50_000.0, 70_000.0, 20_000.0, -5_000.0, 8_000.0]})
>>> seg = segment_customers(orders, as_of="2025-09-30", segment_map="domain", tiers="saas")
>>> seg[["customer_id", "recency_days", "frequency", "monetary", "tier"]]
  customer_id  recency_days  frequency  monetary       tier
0           A             2          2  120000.0  strategic
1           B            92          1   15000.0      basic
2           C           263          1    8000.0      basic
>>> seg[["customer_id", "r_score", "f_score", "m_score", "segment"]]
  customer_id  r_score  f_score  m_score     segment
0           A        5        5        5  high_value
1           B        3        1        3       other
2           C        1        1        1    sleeping
"""

from __future__ import annotations

from playbook.rfm.actions import (  # noqa: F401
    ACTION_COLUMNS,
    action_plan,
    load_actions,
    segment_actions,
    tier_actions,
)
from playbook.rfm.export import (  # noqa: F401
    segment_lists,
)
from playbook.rfm.portfolio import (  # noqa: F401
    migration,
    portfolio_matrix,
    portfolio_summary,
    rep_portfolio,
)
from playbook.rfm.scores import (  # noqa: F401
    CUSTOMER_COLUMNS,
    INACTIVE,
    RFM_COLUMNS,
    SCORE_COLUMNS,
    SCORE_NAMES,
    SEGMENT_MAPS,
    TIER_PRESETS,
    TIERS,
    quantile_score,
    rfm_table,
    score,
)
from playbook.rfm.segments import (  # noqa: F401
    SegmentMap,
    assign_tier,
    load_segment_map,
    segment,
    segment_customers,
    segment_summary,
    tier_thresholds,
)
from playbook.rfm.value import (  # noqa: F401
    channel_economics,
    customer_ltv,
    retention_rate,
)

__all__ = [
    'RFM_COLUMNS',
    'SCORE_COLUMNS',
    'CUSTOMER_COLUMNS',
    'SCORE_NAMES',
    'TIERS',
    'TIER_PRESETS',
    'SEGMENT_MAPS',
    'INACTIVE',
    'SegmentMap',
    'rfm_table',
    'quantile_score',
    'score',
    'load_segment_map',
    'segment',
    'tier_thresholds',
    'assign_tier',
    'segment_customers',
    'segment_summary',
    'ACTION_COLUMNS',
    'load_actions',
    'segment_actions',
    'tier_actions',
    'action_plan',
    'rep_portfolio',
    'portfolio_summary',
    'portfolio_matrix',
    'migration',
    'retention_rate',
    'customer_ltv',
    'channel_economics',
    'segment_lists',
]
