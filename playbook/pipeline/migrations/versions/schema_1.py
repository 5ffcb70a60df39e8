"""Schema 1: plans, their versions and items, sign-offs, reviews, and the store's meta row.

The tables as the kit created them before migrations (``METADATA.create_all``): names,
types, keys and indexes are those of a store made then, so that such a store is stamped
with this revision and upgraded from here.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

__all__ = ["revision", "down_revision", "upgrade", "downgrade"]

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def _plans_and_versions() -> None:
    op.create_table("idp_store_meta", sa.Column("key", sa.String(64), primary_key=True),
                    sa.Column("value", sa.String(200), nullable=False))
    op.create_table(
        "plans", _id(),
        sa.Column("rep_id", sa.String(100), nullable=False),
        sa.Column("plan_date", sa.Date, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_plans_rep_id", "plans", ["rep_id"])
    op.create_table(
        "plan_versions", _id(),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("client_token", sa.String(200), nullable=True, unique=True),
        sa.Column("note", sa.Text, nullable=False),
        sa.UniqueConstraint("plan_id", "version", name="uq_plan_version"),
    )
    op.create_index("ix_plan_versions_plan_id", "plan_versions", ["plan_id"])


def _items_signoffs_reviews() -> None:
    op.create_table(
        "items", _id(),
        sa.Column("version_id", sa.Integer, sa.ForeignKey("plan_versions.id"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("competency", sa.String(200), nullable=False),
        sa.Column("why", sa.Text, nullable=False),
        sa.Column("current_level", sa.Integer, nullable=True),
        sa.Column("target_level", sa.Integer, nullable=True),
        sa.Column("measures", sa.Text, nullable=False),
        sa.Column("resources", sa.Text, nullable=False),
        sa.Column("review_date", sa.Date, nullable=True),
    )
    op.create_index("ix_items_version_id", "items", ["version_id"])
    op.create_table(
        "signoffs", _id(),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=False),
        sa.Column("version_id", sa.Integer, sa.ForeignKey("plan_versions.id"), nullable=False),
        sa.Column("from_status", sa.String(32), nullable=False),
        sa.Column("to_status", sa.String(32), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_signoffs_plan_id", "signoffs", ["plan_id"])
    op.create_table(
        "reviews", _id(),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=False),
        sa.Column("competency", sa.String(200), nullable=False),
        sa.Column("level_reached", sa.Integer, nullable=False),
        sa.Column("review_date", sa.Date, nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("client_token", sa.String(200), nullable=True, unique=True),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_index("ix_reviews_plan_id", "reviews", ["plan_id"])


def upgrade() -> None:
    """Create the schema 1 tables and record schema 1 in the meta table."""
    _plans_and_versions()
    _items_signoffs_reviews()
    meta = sa.table("idp_store_meta", sa.column("key", sa.String), sa.column("value", sa.String))
    op.bulk_insert(meta, [{"key": "schema", "value": "1"}])


def downgrade() -> None:
    """Refuse: the store is never downgraded (nothing is deleted)."""
    raise NotImplementedError("the IDP store is never downgraded")
