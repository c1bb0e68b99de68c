"""The schema, one for SQLite and PostgreSQL. Changed only through a new Alembic revision."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Index, MetaData, String, Table, TypeDecorator
from sqlalchemy.engine import Dialect

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out: SQLite keeps no offset, so it is put back on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# One row per request (a rendered Rent/Confirm button or approval message has its id).
# state moves only forward, each step a compare-and-set UPDATE:
#   pending → approved | denied | cancelled | expired;  (approved | pending*) → executing → done
# (*without approvers a confirmed request is claimed straight into executing).
change_requests = Table(
    "change_requests",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("action", String(16), nullable=False),  # rent | release
    Column("number", String(32), nullable=False),  # E.164
    Column("state", String(16), nullable=False),
    Column("requester", String(32), nullable=False),  # Slack user id
    Column("decided_by", String(32)),  # who approved, denied or cancelled
    Column("price_amount", String(32)),  # Decimal as text: exact on both engines
    Column("price_currency", String(8)),
    Column("outcome", String(32)),  # bot.changes.service.Outcome once done
    Column("created_at", UtcDateTime(), nullable=False),
    Column("decided_at", UtcDateTime()),
    Column("claimed_at", UtcDateTime()),  # executing since: the Sinch call may be in flight
    Column("done_at", UtcDateTime()),
    Column("expires_at", UtcDateTime()),  # a pending approval's APPROVAL_TTL
    Index(None, "number", "created_at"),
    Index(None, "state"),
)
