"""The watch tables (on the store's one schema; created by Alembic revision 0002_watches).

Times are aware UTC datetimes (``UtcDateTime``), as in the rest of the schema.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from bot.store.tables import UtcDateTime, metadata

# The unit of scheduling: one row per distinct watched search, so identical watches cost one
# Sinch call per interval whichever instance runs it.
watch_searches = Table(
    "watch_searches",
    metadata,
    Column("search", String(600), primary_key=True),
    Column("next_run_at", UtcDateTime(), nullable=False),
    Column("leased_until", UtcDateTime(), nullable=True),
    Column("holder", String(64), nullable=True),
    Column("last_run_at", UtcDateTime(), nullable=True),
)

watches = Table(
    "watches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner", String(32), nullable=False),
    Column("team", String(32), nullable=False),
    Column(
        "search",
        String(600),
        ForeignKey("watch_searches.search", name="fk_watches_search_watch_searches"),
        nullable=False,
    ),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("last_run_at", UtcDateTime(), nullable=True),
    Column("found", Integer, nullable=False, server_default=text("0")),
    Column("reason", String(300), nullable=True),
    Index("ix_watches_owner_status", "owner", "status"),
    Index("ix_watches_search_status", "search", "status"),
    Index("ix_watches_status_expires", "status", "expires_at"),
)

watch_seen = Table(
    "watch_seen",
    metadata,
    Column(
        "watch_id",
        Integer,
        ForeignKey("watches.id", name="fk_watch_seen_watch_id_watches", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("phone_number", String(20), primary_key=True),
    Column("first_seen_at", UtcDateTime(), nullable=False),
    # In stock when the watch started: shown in the reply, never DMed.
    Column("baseline", Boolean, nullable=False),
)

watch_dms = Table(
    "watch_dms",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "watch_id",
        Integer,
        ForeignKey("watches.id", name="fk_watch_dms_watch_id_watches", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("kind", String(16), nullable=False),
    # The number for a NUMBER DM, "" for the expiry notice: one of each per watch at most.
    Column("phone_number", String(20), nullable=False),
    Column("offer", Text, nullable=True),  # the number as Sinch described it (JSON)
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("lease_until", UtcDateTime(), nullable=True),
    Column("last_error", String(60), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=True),
    UniqueConstraint("watch_id", "kind", "phone_number", name="uq_watch_dms_once"),
    Index("ix_watch_dms_state_due", "state", "next_attempt_at"),
)
