"""Requests left ``executing`` by a crash: read the number back from Sinch, never rent again.

A process killed between the ledger's claim and Sinch's answer leaves the request
``executing``. Once it is older than ``STALE_AFTER`` (nobody can still be waiting on Sinch),
the next click on it, or the sweep at start-up, settles it from what Sinch shows now: the
number held → rented; not held → not rented (a person may ask again with a new request);
Sinch unreachable → it stays ``executing`` for the next try.
"""

from __future__ import annotations

import logging

from bot.changes.service import ChangeAction, ChangeResult, NumberChanges, Outcome
from bot.core.errors import SinchError, StoreUnavailableError
from bot.store.ledger import ChangeLedger, Entry

log = logging.getLogger(__name__)


async def read_back(changes: NumberChanges, entry: Entry) -> ChangeResult:
    """What Sinch shows for ``entry``'s number now, as the request's outcome."""
    action: ChangeAction = "rent" if entry.action == "rent" else "release"
    try:
        held = await changes.show(entry.number)
    except SinchError as err:
        return ChangeResult(action, entry.number, "unknown", price=entry.price, error=err)
    outcome: Outcome
    if action == "rent":
        outcome = "rented" if held is not None else "not_rented"
    else:
        # Released: gone, or set to end before it is charged again (expireAt alone is no proof).
        released = held is None or held.ends_before_next_charge
        outcome = "released" if released else "not_released"
    price = held.money if held is not None else entry.price
    return ChangeResult(action, entry.number, outcome, active=held, price=price)


async def reconcile(ledger: ChangeLedger, changes: NumberChanges, entry: Entry) -> Entry:
    """Settle one stale request from Sinch; the row as it is afterwards."""
    if entry.state == "approved":
        # Approved but never claimed for execution: Sinch was never called (the claim comes
        # first), so it was not done, whatever the number's state now says.
        outcome = "not_rented" if entry.action == "rent" else "not_released"
        await ledger.settle(entry.id, outcome)
        return await ledger.get(entry.id) or entry
    result = await read_back(changes, entry)
    if result.outcome == "unknown":
        return entry
    if await ledger.settle(entry.id, result.outcome, price=result.price):
        log.warning(
            "request %s (%s %s) was interrupted before Sinch's answer was recorded;"
            " read back from Sinch: %s",
            entry.id,
            entry.action,
            entry.number,
            result.outcome,
        )
    return await ledger.get(entry.id) or entry


async def sweep(ledger: ChangeLedger, changes: NumberChanges) -> int:
    """At start-up: settle every stale request. The number settled."""
    try:
        stale = await ledger.stale()
    except StoreUnavailableError:
        return 0
    settled = 0
    for entry in stale:
        try:
            after = await reconcile(ledger, changes, entry)
        except StoreUnavailableError:
            return settled
        settled += after.state == "done"
    return settled
