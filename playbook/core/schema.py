"""The kit's data schema: the tables a CRM export is mapped onto.

Every loader, validator, generator and analysis speaks this schema. A column map
(``data/column_maps/*.yaml``) turns an export's headers into these names.
The tables and their columns are documented for people in ``data/README.md``.

Column kinds
------------
``id``        text identifier, stripped; unique where the table says so
``text``      free text
``category``  text from a fixed set (``allowed``)
``date``      calendar date (parsed from many formats, stored as ``datetime64``)
``money``     amount in CNY (float, 2 decimals); a map may convert from 万元
``count``     whole number >= 0
``level``     whole number 1-5 (competency scale)
``bool``      true/false (also 1/0, yes/no, 是/否)

Examples
--------
>>> from playbook.core.schema import TABLES, required_columns
>>> required_columns("orders")
['order_id', 'customer_id', 'rep_id', 'order_date', 'amount']
>>> TABLES["orders"].key
'order_id'
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["is_blank",
    "Column",
    "Table",
    "TABLES",
    "TABLE_ORDER",
    "OUTCOMES",
    "STAGES",
    "STAGE_DATE_COLUMNS",
    "COMPETENCIES",
    "CHANNELS",
    "required_columns",
    "column_names",
]

OUTCOMES = ("won", "lost", "open")
STAGES = ("lead", "intent", "negotiation", "deal", "repurchase")
# funnel stages entered, in order, and the opportunity column holding the date
STAGE_DATE_COLUMNS = {
    "lead": "created_date",
    "intent": "intent_date",
    "negotiation": "negotiation_date",
    "deal": "closed_date",
}
# competency keys of the 5-point scale; labels live in the label catalogue
COMPETENCIES = (
    "product_knowledge",
    "customer_communication",
    "market_awareness",
    "new_customer_development",
    "needs_diagnosis",
    "negotiation",
    "customer_retention",
)
# acquisition / lead channels used by the sample company (real data may have others)
CHANNELS = ("referral", "vertical_community", "trade_show", "paid_search", "paid_social")


@dataclass(frozen=True)
class Column:
    """One column of a kit table."""

    name: str
    kind: str
    required: bool = True
    nullable: bool = False
    allowed: tuple[str, ...] | None = None
    doc: str = ""


@dataclass(frozen=True)
class Table:
    """One kit table: its columns, primary key and references to other tables."""

    name: str
    columns: tuple[Column, ...]
    key: str | tuple[str, ...] | None = None
    # column -> (table, column) it must exist in
    references: dict[str, tuple[str, str]] = field(default_factory=dict)
    doc: str = ""

    def column(self, name: str) -> Column:
        """Return the column called ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


def _t(name, key, doc, references=None, *cols):
    return Table(name, tuple(cols), key, references or {}, doc)


C = Column
TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        _t(
            "reps", "rep_id", "Sales reps, one row each.", None,
            C("rep_id", "id", doc="Rep identifier"),
            C("name", "text", doc="Full name"),
            C("team", "text", doc="Team name"),
            C("region", "text", required=False, nullable=True, doc="Sales region"),
            C("role", "text", required=False, nullable=True, doc="Position, e.g. sales specialist"),
            C("manager_id", "id", required=False, nullable=True, doc="rep_id of the direct supervisor"),
            C("hire_date", "date", doc="First working day"),
            C("leave_date", "date", required=False, nullable=True, doc="Last working day, empty if still employed"),
            C("base_salary", "money", required=False, nullable=True, doc="Monthly base salary, CNY"),
        ),
        _t(
            "customers", "customer_id", "Customers (accounts), one row each.",
            {"owner_rep_id": ("reps", "rep_id")},
            C("customer_id", "id", doc="Customer identifier"),
            C("name", "text", required=False, nullable=True, doc="Customer name"),
            C("industry", "text", required=False, nullable=True, doc="Industry"),
            C("region", "text", required=False, nullable=True, doc="Region"),
            C("channel", "text", required=False, nullable=True, doc="Acquisition channel"),
            C("owner_rep_id", "id", required=False, nullable=True, doc="Rep who owns the account"),
            C("first_order_date", "date", required=False, nullable=True, doc="Date of first order"),
        ),
        _t(
            "orders", "order_id", "Orders and refunds, one row each.",
            {"customer_id": ("customers", "customer_id"), "rep_id": ("reps", "rep_id")},
            C("order_id", "id", doc="Order identifier"),
            C("customer_id", "id", doc="Customer who ordered"),
            C("rep_id", "id", doc="Rep credited with the order"),
            C("order_date", "date", doc="Order (or refund) date"),
            C("amount", "money", doc="Amount in CNY; negative only on refund rows"),
            C("product_line", "text", required=False, nullable=True, doc="Product line"),
            C("is_refund", "bool", required=False, doc="True on refund rows (amount < 0)"),
        ),
        _t(
            "opportunities", "opportunity_id",
            "Sales opportunities with the date each funnel stage was entered.",
            {"customer_id": ("customers", "customer_id"), "rep_id": ("reps", "rep_id")},
            C("opportunity_id", "id", doc="Opportunity identifier"),
            C("customer_id", "id", required=False, nullable=True, doc="Customer, empty for a new lead"),
            C("rep_id", "id", doc="Rep working the opportunity"),
            C("channel", "text", doc="Lead channel"),
            C("amount", "money", doc="Expected (open/lost) or signed (won) amount, CNY"),
            C("created_date", "date", doc="Lead created"),
            C("intent_date", "date", required=False, nullable=True, doc="Entered intent (意向)"),
            C("negotiation_date", "date", required=False, nullable=True, doc="Entered negotiation (谈判)"),
            C("closed_date", "date", required=False, nullable=True, doc="Closed won or lost"),
            C("outcome", "category", allowed=OUTCOMES, doc="won, lost or open"),
            C("lost_reason", "text", required=False, nullable=True, doc="Why it was lost"),
            # concessions of the price ladder (domain section 3), checked against approval limits
            C("discount_amount", "money", required=False, nullable=True,
              doc="Discount granted, CNY off the list amount (list = amount + discount_amount)"),
            C("free_months", "count", required=False, nullable=True, doc="Months of service given free"),
        ),
        _t(
            "activities", ("rep_id", "week"), "Weekly activity counts per rep.",
            {"rep_id": ("reps", "rep_id")},
            C("rep_id", "id", doc="Rep"),
            C("week", "date", doc="Monday of the week"),
            C("visits", "count", doc="Customer visits (拜访)"),
            C("calls", "count", doc="Calls"),
            C("demos", "count", doc="Demos"),
            # optional KPIs of the method (domain sections 3-4): needs-match rate and customer satisfaction
            C("needs_assessed", "count", required=False, nullable=True,
              doc="Leads whose needs were diagnosed this week (需求诊断); empty when not tracked"),
            C("needs_matched", "count", required=False, nullable=True,
              doc="Of those, leads whose needs match the offer (需求匹配); needs-match rate = matched / assessed"),
            C("surveys", "count", required=False, nullable=True,
              doc="Customer-satisfaction survey answers received this week; empty when not tracked"),
            C("satisfied", "count", required=False, nullable=True,
              doc="Of those, answers 'satisfied' or better (满意); satisfaction = satisfied / surveys"),
        ),
        _t(
            "channel_spend", ("channel", "month"), "Marketing spend per channel and month.",
            None,
            C("channel", "text", doc="Channel"),
            C("month", "date", doc="First day of the month"),
            C("spend", "money", doc="Spend in CNY"),
        ),
        _t(
            "assessments", ("rep_id", "competency", "assessed_date", "rater"),
            "Competency assessments on the 5-point scale.",
            {"rep_id": ("reps", "rep_id")},
            C("rep_id", "id", doc="Rep assessed"),
            C("competency", "text", doc="Competency key, e.g. new_customer_development"),
            C("level", "level", doc="Level 1-5"),
            C("rater", "text", doc="Who rated: self, manager, peer"),
            C("assessed_date", "date", doc="Date of the assessment"),
        ),
        _t(
            "quotas", ("rep_id", "month"), "Monthly sales quota per rep.",
            {"rep_id": ("reps", "rep_id")},
            C("rep_id", "id", doc="Rep"),
            C("month", "date", doc="First day of the month"),
            C("quota", "money", doc="Quota in CNY"),
        ),
    ]
}
TABLE_ORDER = tuple(TABLES)


def column_names(table: str) -> list[str]:
    """Return all column names of ``table`` in schema order.

    Examples
    --------
    >>> column_names("quotas")
    ['rep_id', 'month', 'quota']
    """
    return [c.name for c in TABLES[table].columns]


def required_columns(table: str) -> list[str]:
    """Return the columns ``table`` must have.

    Examples
    --------
    >>> required_columns("activities")
    ['rep_id', 'week', 'visits', 'calls', 'demos']
    """
    return [c.name for c in TABLES[table].columns if c.required]


def is_blank(value: object) -> bool:
    """Return True for a missing value from data: None, NaN/NaT, or text of only spaces.

    Examples
    --------
    >>> [is_blank(v) for v in (None, float("nan"), "  ", "x", 0)]
    [True, True, True, False, False]
    """
    if value is None:
        return True
    try:
        if pd.isna(value):
            return True
    except (TypeError, ValueError):
        pass
    return isinstance(value, str) and not value.strip()
