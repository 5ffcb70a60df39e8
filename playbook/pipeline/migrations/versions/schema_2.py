"""Schema 2: ``plan_starts``, one row per (rep, plan date), so that a plan is started once.

Two people starting the same rep's plan at once store one plan: the database refuses
the second start (the table's primary key). The migration records the start of every
existing plan; when a rep already has two plans with the same date (made before this
guard existed) the older one holds the start and the other stays as it is, readable and
editable. Plans, versions, sign-offs and reviews are not touched.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from playbook.pipeline.store_schema import read_rows, start_key

__all__ = ["revision", "down_revision", "upgrade", "downgrade"]

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# the plans table as schema 1 has it, for reading (a row with a date that cannot be read is skipped)
_PLANS = sa.Table("plans", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                  sa.Column("rep_id", sa.String(100), nullable=False), sa.Column("plan_date", sa.Date))


def upgrade() -> None:
    """Create ``plan_starts``, record the start of every plan (the older of a pair holds it), set schema 2."""
    starts = op.create_table(
        "plan_starts",
        sa.Column("rep_id", sa.String(100), primary_key=True),
        sa.Column("plan_date", sa.String(10), primary_key=True),  # ISO date; "" for a plan without a date
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=False, unique=True),
    )
    plans, _bad = read_rows(op.get_bind(), _PLANS)
    started: dict[tuple[str, str], int] = {}
    for plan in plans:  # in id order: the older plan of a (rep, date) pair holds the start
        started.setdefault((plan["rep_id"], start_key(plan["plan_date"])), plan["id"])
    if started:
        op.bulk_insert(starts, [{"rep_id": r, "plan_date": d, "plan_id": p} for (r, d), p in started.items()])
    op.execute(sa.text("UPDATE idp_store_meta SET value = '2' WHERE key = 'schema'"))


def downgrade() -> None:
    """Refuse: the store is never downgraded (nothing is deleted)."""
    raise NotImplementedError("the IDP store is never downgraded")
