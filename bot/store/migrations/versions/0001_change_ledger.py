"""The change ledger: one row per rent/release request, its decision and its outcome.

Revision ID: 0001_change_ledger
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store.tables import UtcDateTime

revision = "0001_change_ledger"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_requests",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("requester", sa.String(32), nullable=False),
        sa.Column("decided_by", sa.String(32), nullable=True),
        sa.Column("price_amount", sa.String(32), nullable=True),
        sa.Column("price_currency", sa.String(8), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("decided_at", UtcDateTime(), nullable=True),
        sa.Column("claimed_at", UtcDateTime(), nullable=True),
        sa.Column("done_at", UtcDateTime(), nullable=True),
        sa.Column("expires_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_change_requests"),
    )
    op.create_index(
        "ix_change_requests_number_created_at", "change_requests", ["number", "created_at"]
    )
    op.create_index("ix_change_requests_state", "change_requests", ["state"])


def downgrade() -> None:
    op.drop_index("ix_change_requests_state", table_name="change_requests")
    op.drop_index("ix_change_requests_number_created_at", table_name="change_requests")
    op.drop_table("change_requests")
