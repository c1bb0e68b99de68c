"""Watches: the watched searches, the watches, the numbers each has seen, and its DMs.

Revision ID: 0002_watches
Revises: 0001_change_ledger
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store.tables import UtcDateTime

revision = "0002_watches"
down_revision = "0001_change_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "watch_searches",
        sa.Column("search", sa.String(600), nullable=False),
        sa.Column("next_run_at", UtcDateTime(), nullable=False),
        sa.Column("leased_until", UtcDateTime(), nullable=True),
        sa.Column("holder", sa.String(64), nullable=True),
        sa.Column("last_run_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("search", name="pk_watch_searches"),
    )
    op.create_table(
        "watches",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("owner", sa.String(32), nullable=False),
        sa.Column("team", sa.String(32), nullable=False),
        sa.Column("search", sa.String(600), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("last_run_at", UtcDateTime(), nullable=True),
        sa.Column("found", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("reason", sa.String(300), nullable=True),
        sa.ForeignKeyConstraint(
            ["search"], ["watch_searches.search"], name="fk_watches_search_watch_searches"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_watches"),
    )
    op.create_index("ix_watches_owner_status", "watches", ["owner", "status"])
    op.create_index("ix_watches_search_status", "watches", ["search", "status"])
    op.create_index("ix_watches_status_expires", "watches", ["status", "expires_at"])
    op.create_table(
        "watch_seen",
        sa.Column("watch_id", sa.Integer(), nullable=False),
        sa.Column("phone_number", sa.String(20), nullable=False),
        sa.Column("first_seen_at", UtcDateTime(), nullable=False),
        sa.Column("baseline", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["watch_id"], ["watches.id"], name="fk_watch_seen_watch_id_watches", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("watch_id", "phone_number", name="pk_watch_seen"),
    )
    op.create_table(
        "watch_dms",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("watch_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("phone_number", sa.String(20), nullable=False),
        sa.Column("offer", sa.Text(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("lease_until", UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.String(60), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["watch_id"], ["watches.id"], name="fk_watch_dms_watch_id_watches", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_watch_dms"),
        sa.UniqueConstraint("watch_id", "kind", "phone_number", name="uq_watch_dms_once"),
    )
    op.create_index("ix_watch_dms_state_due", "watch_dms", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_watch_dms_state_due", table_name="watch_dms")
    op.drop_table("watch_dms")
    op.drop_table("watch_seen")
    op.drop_index("ix_watches_status_expires", table_name="watches")
    op.drop_index("ix_watches_search_status", table_name="watches")
    op.drop_index("ix_watches_owner_status", table_name="watches")
    op.drop_table("watches")
    op.drop_table("watch_searches")
