"""Sentences about the ledger's requests, for Slack and the CLI (pure, but for provenance_of).

``mention`` renders a Slack user id: ``<@U…>`` in Slack, ``@U…`` in a terminal.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.changes.text import money, number
from bot.core.errors import StoreUnavailableError
from bot.store.ledger import ChangeLedger, Entry

Mention = Callable[[str], str]

_DONE = {
    "rented": "rented",
    "already_rented": "already rented",
    "released": "released",
    "already_releasing": "already releasing",
}


def at(user_id: str) -> str:
    return f"@{user_id}"


def what_happened(entry: Entry) -> str:
    """``rented +1 206-555-0101``, ``renting +1 206-555-0101 now``, ``not rented …``."""
    n = number(entry.number)
    if entry.state == "executing" or entry.state == "approved":
        return f"{'renting' if entry.action == 'rent' else 'releasing'} {n} now"
    if entry.state == "done":
        outcome = entry.outcome or "unknown"
        return f"{_DONE.get(outcome, outcome.replace('_', ' '))} {n}"
    if entry.state == "pending":
        return f"the request to {entry.action} {n} waits for an approver"
    return f"{entry.state} ({entry.action} {n})"


def already_handled(entry: Entry, mention: Mention) -> str:
    """What a later click is told, on any instance."""
    who = mention(entry.decided_by or entry.requester)
    n = number(entry.number)
    if entry.state == "denied":
        return f"Already denied by {who}: {n} was not {_past(entry)}; nothing was changed."
    if entry.state == "cancelled":
        return f"Already cancelled by {who}: nothing was changed."
    if entry.state == "expired":
        return expired(entry)
    if entry.decided_by is not None:
        return f"Already approved by {who}: {what_happened(entry)}; nothing more was done."
    return f"{who} already handled this request ({what_happened(entry)}); nothing more was done."


def expired(entry: Entry) -> str:
    return (
        f"This request to {entry.action} {number(entry.number)} expired before anyone decided"
        " (APPROVAL_TTL): nothing was changed. Ask again if it is still needed."
    )


def _past(entry: Entry) -> str:
    return "rented" if entry.action == "rent" else "released"


def provenance(entry: Entry, mention: Mention) -> str:
    """``Rented by @alice on 2026-12-06, approved by @bob``."""
    verb = "Rented" if entry.action == "rent" else "Released"
    when = (entry.done_at or entry.created_at).date().isoformat()
    line = f"{verb} by {mention(entry.requester)} on {when}"
    if entry.decided_by is not None:
        line += f", approved by {mention(entry.decided_by)}"
    if entry.price is not None:
        line += f" ({money(entry.price)}/month)"
    return line


async def provenance_of(ledger: ChangeLedger, phone: str, mention: Mention) -> str | None:
    """``show``'s line from the ledger; None when it has none or the database is away (the
    Sinch part of ``show`` never depends on the database)."""
    try:
        entry = await ledger.last_rent(phone)
    except StoreUnavailableError:
        return None
    return None if entry is None else provenance(entry, mention)
