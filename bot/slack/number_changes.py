"""The rent / release / show flow in Slack: confirmation, approvals, and exactly-once outcomes.

What is guaranteed, and where:

- **Every instance, every restart.** Each rendered request (a Rent button, a Confirm, an
  approval message) has an id in its button value, and the shared ledger (``bot.store``) has
  one row per id. The first click claims the row in the database *before* Sinch is called;
  every later click, on any instance, is told who handled it ("Already approved by @x: rented
  …") without calling Sinch. Approve and Deny are one compare-and-set on that row: one decision.
- **A database outage** refuses rent, release and decisions before any Sinch call ("nothing
  was changed"); searches and ``show`` do not need the database.
- **A crash** between the claim and Sinch's answer leaves the row ``executing``; the next click
  on it, or the start-up sweep, reads the number back from Sinch (``bot.changes.reconcile``).
- **In one process**, different requests for the same number share one Sinch operation
  through ``NumberChanges``' per-number single-flight: the cheap layer under the ledger.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.changes.ledger_text import already_handled, expired, provenance_of
from bot.changes.reconcile import reconcile
from bot.changes.service import ChangeResult, NumberChanges, Outcome, Prices, RentPolicy
from bot.changes.text import active_lines, offer_lines
from bot.commands.number_change import NumberCommand
from bot.core.clock import Clock
from bot.core.errors import CommandError, SinchError, StoreUnavailableError
from bot.core.money import Money
from bot.ops.audit import audit_number_change, start_trace
from bot.sinch.models import AvailableNumber
from bot.slack import blocks, error_blocks
from bot.slack import number_change_blocks as cb
from bot.slack.delivery import ResponseSender
from bot.slack.gate import Gate
from bot.store.engine import UNAVAILABLE
from bot.store.ledger import ChangeLedger, Entry, NewRequest

log = logging.getLogger(__name__)

Message = dict[str, Any]


@dataclass
class ChangeDeps:
    changes: NumberChanges
    sender: ResponseSender
    clock: Clock
    gate: Gate
    ledger: ChangeLedger
    sandbox: bool = False
    # observe(action, outcome): numbers_bot_number_changes_total.
    observe: Callable[[str, str], None] | None = None


Spawn = Callable[[Coroutine[Any, Any, None]], None]


class NumberChangeFlow:
    def __init__(self, deps: ChangeDeps, spawn: Spawn) -> None:
        self._d = deps
        self._spawn = spawn
        self.ledger = deps.ledger

    @property
    def policy(self) -> RentPolicy:
        return self._d.changes.policy

    def register(self, app: AsyncApp) -> None:
        app.action(cb.RENT_ACTION)(self.on_request)
        app.action(cb.CONFIRM_ACTION)(self.on_request)
        app.action(cb.CANCEL_ACTION)(self.on_cancel)
        app.action(cb.APPROVE_ACTION)(self.on_decision)
        app.action(cb.DENY_ACTION)(self.on_decision)

    def rent_accessory(self, user_id: str) -> Callable[[AvailableNumber], dict[str, Any] | None]:
        """The Rent button for one search result shown to ``user_id`` (None: no button)."""
        policy = self.policy
        if not policy.may_request(user_id):
            return lambda _: None
        return lambda offer: cb.rent_button(offer, policy)

    # --- bookkeeping ----------------------------------------------------------------------

    def _record(
        self,
        event: str,
        request: cb.ChangeRequest | NumberCommand,
        *,
        requester: str | None,
        outcome: str,
        approver: str | None = None,
        price: Money | None = None,
    ) -> None:
        action = request.action
        audit_number_change(
            event=event,
            action=action,
            number=request.number,
            requester=requester,
            approver=approver,
            monthly_price=None if price is None else f"{price.currency_code} {price.amount}",
            outcome=outcome,
        )
        if self._d.observe is not None:
            self._d.observe(action, outcome)

    def _refusal(self, body: dict[str, Any]) -> Message | None:
        """The bot's access rules for a click: the same gate as commands and other buttons."""
        refusal = self._d.gate.click_refusal(body)
        return None if refusal is None else refusal.message

    async def _reply(self, body: dict[str, Any], message: Message, *, replace: bool) -> None:
        url = str(body.get("response_url") or "")
        if url:
            await self._d.sender.send(url, {**message, "replace_original": replace})

    # --- /numbers rent|release|show N -----------------------------------------------------

    async def on_command(
        self,
        ack: AsyncAck,
        command: dict[str, Any],
        request: NumberCommand,
        finish: Callable[[str], None],
    ) -> None:
        user_id = str(command.get("user_id") or "")
        response_url = str(command.get("response_url") or "")
        if request.action == "show":
            await ack()
            self._spawn(self._show(request, response_url, finish))
            return
        if not self.policy.enabled:
            await ack(**cb.render_disabled())
            self._record("request", request, requester=user_id, outcome="disabled")
            return finish("disabled")
        if not self.policy.may_request(user_id):
            await ack(**cb.render_not_allowed(self._d.gate.contact))
            self._record("request", request, requester=user_id, outcome="not_permitted")
            return finish("not_permitted")
        await ack()
        self._spawn(self._confirm(request, user_id, response_url, finish))

    async def _show(
        self, request: NumberCommand, response_url: str, finish: Callable[[str], None]
    ) -> None:
        # The ledger's line is read beside Sinch's answer, and left out if the database is away.
        history = asyncio.ensure_future(provenance_of(self.ledger, request.number, blocks._mention))
        try:
            active = await self._d.changes.show(request.number)
        except SinchError as err:
            await history  # not cut off mid-query: a cancelled query costs its connection
            await self._d.sender.send(response_url, error_blocks.render_sinch_error(err))
            return finish("sinch_error")
        message = cb.render_show(
            request.number, active, sandbox=self._d.sandbox, history=await history
        )
        await self._d.sender.send(response_url, message)
        finish("ok" if active is not None else "not_held")

    async def _confirm(
        self,
        command: NumberCommand,
        user_id: str,
        response_url: str,
        finish: Callable[[str], None],
    ) -> None:
        """Read what the change would mean, then ask Confirm / Cancel (or say why not).

        The buttons name ``user_id`` as the requester: only they (or an approver) may cancel."""
        assert command.action != "show"
        changes = self._d.changes
        try:
            if command.action == "rent":
                offer = await changes.quote(command.number)
                refusal = await self._rent_refusal(command.number, offer)
                if refusal is not None:
                    message = cb.render_result(refusal, ceiling=self.policy.max_monthly_price)
                    await self._d.sender.send(response_url, message)
                    return finish(refusal.outcome)
                assert offer is not None
                request = cb.rent_request(offer, requester=user_id)
                message = cb.render_confirm(
                    request, offer=offer, needs_approval=self.policy.needs_approval
                )
            else:
                active = await changes.show(command.number)
                if active is None:
                    result = ChangeResult("release", command.number, "not_held")
                    await self._d.sender.send(response_url, cb.render_result(result))
                    return finish("not_held")
                request = cb.ChangeRequest(
                    "release", command.number, cb.new_request_id(), active.money, user_id
                )
                message = cb.render_confirm(
                    request, active=active, needs_approval=self.policy.needs_approval
                )
        except SinchError as err:
            await self._d.sender.send(response_url, error_blocks.render_sinch_error(err))
            return finish("sinch_error")
        await self._d.sender.send(response_url, message)
        finish("confirm_shown")

    async def _rent_refusal(
        self, number: str, offer: AvailableNumber | None, *, seen: Prices | None = None
    ) -> ChangeResult | None:
        """Why a rent would not go ahead now (not for rent, a price unknown or over its ceiling,
        dearer than the prices the requester saw), else None."""
        if offer is None:
            held = await self._d.changes.show(number)
            outcome: Outcome = "already_rented" if held is not None else "not_available"
            return ChangeResult("rent", number, outcome, active=held)
        return self.policy.price_refusal(offer, seen=seen)

    # --- Rent / Confirm / Cancel clicks ---------------------------------------------------

    async def on_request(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        self._spawn(self._request(body, action, client))

    async def on_cancel(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        self._spawn(self._cancel(body, action))

    async def _cancel(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        try:
            request = cb.ChangeRequest.from_value(str(action.get("value") or ""))
        except CommandError as err:
            await self._reply(body, error_blocks.render_command_error(err), replace=False)
            return
        user_id = _user(body)
        requester = request.requester or user_id
        # The same gate as every click, then: only the person who asked, or an approver.
        refusal = self._refusal(body)
        if refusal is None and not self.policy.may_cancel(user_id, request.requester):
            refusal = cb.render_notice(
                ":no_entry: Only the person who asked (or an approver) can cancel this request."
            )
        canceller = None if user_id == requester else user_id
        if refusal is not None:
            self._record(
                "request", request, requester=requester, approver=canceller, outcome="not_permitted"
            )
            await self._reply(body, refusal, replace=False)
            return
        try:
            taken = await self.ledger.cancel(_new(request, requester), user_id)
        except StoreUnavailableError:
            await self._reply(body, _unavailable(), replace=False)
            return
        if taken is not None:
            await self._reply(body, _already(taken), replace=False)
            return
        self._record(
            "request", request, requester=requester, approver=canceller, outcome="cancelled"
        )
        await self._reply(body, cb.render_notice("Cancelled: nothing was changed."), replace=True)

    async def _request(
        self, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """The requester confirmed: act at once, or post the request for approval."""
        start_trace()
        user_id = _user(body)
        # The confirmation message is replaced by the outcome; a search result is kept.
        replace = action.get("action_id") == cb.CONFIRM_ACTION
        try:
            request = cb.ChangeRequest.from_value(str(action.get("value") or ""))
        except CommandError as err:
            await self._reply(body, error_blocks.render_command_error(err), replace=False)
            return
        refusal = self._refusal(body)
        if refusal is None and not self.policy.enabled:
            refusal = cb.render_disabled()
        elif refusal is None and not self.policy.may_request(user_id):
            refusal = cb.render_not_allowed(self._d.gate.contact)
        if refusal is not None:
            outcome = "disabled" if not self.policy.enabled else "not_permitted"
            self._record("request", request, requester=user_id, outcome=outcome)
            await self._reply(body, refusal, replace=False)
            return
        approval = self.policy.needs_approval
        try:
            # Claimed in the database before anything else: a later click anywhere reads it.
            taken = await self.ledger.claim(_new(request, user_id), pending=approval)
        except StoreUnavailableError:
            self._record("request", request, requester=user_id, outcome="store_unavailable")
            await self._reply(body, _unavailable(), replace=False)
            return
        if taken is not None:
            taken = await self._reconciled(taken)
            await self._reply(body, _already(taken), replace=False)
            return
        if approval:
            asked: str | None = None
            try:
                asked = await self._ask_approval(request, user_id, body, client, replace)
            finally:
                if asked is None:
                    # Nothing was asked (or it failed): the same button may be used again.
                    await self._forget(request.id)
            return
        self._record(
            "request", request, requester=user_id, outcome="confirmed", price=request.price
        )
        result = await self._execute(request)
        await self._settle(request.id, result)
        self._record(
            "outcome", request, requester=user_id, outcome=result.outcome, price=result.price
        )
        ceiling = self.policy.max_monthly_price
        await self._reply(body, cb.render_result(result, ceiling=ceiling), replace=replace)

    async def _forget(self, request_id: str) -> None:
        # If the database is away the row stays pending and expires after APPROVAL_TTL.
        with contextlib.suppress(StoreUnavailableError):
            await self.ledger.release(request_id)

    async def _settle(self, request_id: str, result: ChangeResult) -> None:
        """Record Sinch's answer; if the database went away meanwhile, the row stays
        ``executing`` and is reconciled from Sinch later (never rented again)."""
        try:
            await self.ledger.settle(request_id, result.outcome, price=result.price)
        except StoreUnavailableError:
            log.warning(
                "could not record the outcome of request %s (%s); it is read back from Sinch"
                " once the database is back",
                request_id,
                result.outcome,
            )

    async def _reconciled(self, entry: Entry) -> Entry:
        """A request stuck ``executing`` by a crash is settled from Sinch on the next click."""
        if entry.state not in ("executing", "approved"):
            return entry
        try:
            stale = await self.ledger.stale(request_id=entry.id)
            if stale:
                return await reconcile(self.ledger, self._d.changes, stale[0])
            # Still running elsewhere, or just settled (by its instance or a sweep).
            return await self.ledger.get(entry.id) or entry
        except StoreUnavailableError:
            return entry

    async def _execute(self, request: cb.ChangeRequest) -> ChangeResult:
        if request.action == "rent":
            return await self._d.changes.rent(request.number, approved=request.prices)
        return await self._d.changes.release(request.number)

    async def _ask_approval(
        self,
        request: cb.ChangeRequest,
        user_id: str,
        body: dict[str, Any],
        client: AsyncWebClient,
        replace: bool,
    ) -> str | None:
        """Post the request to RENT_APPROVAL_CHANNEL; None when nothing was asked."""
        details: list[str]
        try:
            if request.action == "rent":
                offer = await self._d.changes.quote(request.number)
                refusal = await self._rent_refusal(request.number, offer, seen=request.prices)
                if refusal is not None:
                    self._record("request", request, requester=user_id, outcome=refusal.outcome)
                    ceiling = self.policy.max_monthly_price
                    message = cb.render_result(refusal, ceiling=ceiling)
                    await self._reply(body, message, replace=replace)
                    return None
                assert offer is not None
                pending = cb.rent_request(offer, id=request.id, requester=user_id)
                details = offer_lines(offer)
            else:
                active = await self._d.changes.show(request.number)
                if active is None:
                    result = ChangeResult("release", request.number, "not_held")
                    self._record("request", request, requester=user_id, outcome="not_held")
                    await self._reply(body, cb.render_result(result), replace=replace)
                    return None
                pending = cb.ChangeRequest(
                    "release", request.number, request.id, active.money, requester=user_id
                )
                details = active_lines(active)[1:]
        except SinchError as err:
            await self._reply(body, error_blocks.render_sinch_error(err), replace=False)
            return None
        channel = self.policy.approval_channel
        assert channel is not None  # Settings.require("serve") checked it
        try:
            await client.chat_postMessage(
                channel=channel, **cb.render_approval_request(pending, details)
            )
        except SlackClientError as err:
            log.error("could not post an approval request: %s", _slack_error(err))
            text = (
                f":x: Could not post the approval request to <#{blocks.escape(channel)}>"
                f" ({_slack_error(err)}): is the bot in that channel? Nothing was changed."
            )
            await self._reply(body, cb.render_notice(text), replace=False)
            return None
        self._record(
            "request", pending, requester=user_id, outcome="awaiting_approval", price=pending.price
        )
        await self._reply(body, cb.render_waiting(pending, channel), replace=replace)
        return "sent for approval"

    # --- Approve / Deny -------------------------------------------------------------------

    async def on_decision(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        self._spawn(self._decide(body, action, client))

    async def _decide(
        self, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        start_trace()
        approver = _user(body)
        approve = action.get("action_id") == cb.APPROVE_ACTION
        try:
            request = cb.ChangeRequest.from_value(str(action.get("value") or ""))
            if request.requester is None:
                raise CommandError("That button has expired; run the command again.")
        except CommandError as err:
            await self._reply(body, error_blocks.render_command_error(err), replace=False)
            return
        requester = request.requester
        refusal = self._refusal(body)
        if refusal is None and not self.policy.enabled:
            refusal = cb.render_disabled()
        elif refusal is None and approver == requester:
            refusal = cb.render_notice(
                ":no_entry: You can't decide your own request: another approver must."
            )
        elif refusal is None and not self.policy.may_decide(approver, requester):
            refusal = cb.render_notice(
                ":no_entry: Only the approvers listed in `RENT_APPROVER_IDS` can decide this."
            )
        decision = None
        outcome = "not_permitted"
        if refusal is None:
            try:
                # The one compare-and-set that makes this click the decision, or not.
                decision = await self.ledger.decide(
                    _new(request, requester), approver, approve=approve
                )
            except StoreUnavailableError:
                refusal, outcome = _unavailable(), "store_unavailable"
        if refusal is not None or decision is None:
            self._record(
                "approval" if approve else "denial",
                request,
                requester=requester,
                approver=approver,
                outcome=outcome,
            )
            await self._reply(body, refusal or _unavailable(), replace=False)
            return
        won, entry = decision
        where = _message_ref(body)
        if not won:
            if entry.state == "expired":
                # The buttons go: nobody can decide it any more.
                notice = cb.render_notice(f":hourglass: {expired(entry)}")
                await _update(client, where, notice)
                await self._reply(body, notice, replace=False)
                return
            entry = await self._reconciled(entry)
            await self._reply(body, _already(entry), replace=False)
            return
        if not approve:
            self._record(
                "denial", request, requester=requester, approver=approver, outcome="denied"
            )
            await _update(client, where, cb.render_decided(request, approver, result=None))
            await _dm(client, requester, cb.render_decided(request, approver, result=None))
            return
        self._record(
            "approval",
            request,
            requester=requester,
            approver=approver,
            outcome="approved",
            price=request.price,
        )
        if not self.policy.may_request(requester):
            # Re-checked at execution: the requester may have been removed since asking.
            result = None
            note = "Not done: the requester is no longer in RENT_ALLOWED_USER_IDS."
            with contextlib.suppress(StoreUnavailableError):
                await self.ledger.settle(request.id, "not_permitted")
            self._record(
                "outcome", request, requester=requester, approver=approver, outcome="not_permitted"
            )
            await _update(
                client, where, cb.render_decided(request, approver, result=result, note=note)
            )
            await _dm(client, requester, cb.render_notice(f":no_entry: {note}"))
            return
        try:
            # approved → executing: the claim on Sinch's call, written before it is made.
            started = await self.ledger.start(request.id)
        except StoreUnavailableError:
            started = False
        if not started:
            # Approved, but the claim could not be written: nothing is sent to Sinch. The row
            # stays approved and is settled as not done by the next click or sweep.
            await self._reply(body, _unavailable(), replace=False)
            return
        await _update(client, where, cb.render_in_progress(request, approver))
        result = await self._execute(request)
        await self._settle(request.id, result)
        self._record(
            "outcome",
            request,
            requester=requester,
            approver=approver,
            outcome=result.outcome,
            price=result.price,
        )
        ceiling = self.policy.max_monthly_price
        decided = cb.render_decided(request, approver, result=result, ceiling=ceiling)
        await _update(client, where, decided)
        await _dm(client, requester, decided)


def _new(request: cb.ChangeRequest, requester: str) -> NewRequest:
    return NewRequest(
        id=request.id,
        action=request.action,
        number=request.number,
        requester=requester,
        price=request.price,
    )


def _unavailable() -> Message:
    return cb.render_notice(f":warning: {UNAVAILABLE}")


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")


def _already(entry: Entry) -> Message:
    # Not escaped: mentions are Slack markup, the rest is the bot's words and a number.
    return cb.render_notice(f":information_source: {already_handled(entry, blocks._mention)}")


def _message_ref(body: dict[str, Any]) -> tuple[str, str] | None:
    channel = str((body.get("channel") or {}).get("id") or "")
    container = body.get("container") or {}
    ts = str(container.get("message_ts") or (body.get("message") or {}).get("ts") or "")
    return (channel, ts) if channel and ts else None


def _slack_error(err: SlackClientError) -> str:
    response = getattr(err, "response", None)
    code = response.get("error") if response is not None else None
    return str(code or type(err).__name__)[:60]


async def _update(client: AsyncWebClient, where: tuple[str, str] | None, message: Message) -> None:
    if where is None:
        log.warning("a decision click without its message; the approval message is not updated")
        return
    try:
        await client.chat_update(channel=where[0], ts=where[1], **message)
    except SlackClientError as err:
        log.error("could not update the approval message: %s", _slack_error(err))


async def _dm(client: AsyncWebClient, user_id: str, message: Message) -> None:
    """chat.postMessage to a user ID posts in the app's DM with them (the Messages tab)."""
    try:
        await client.chat_postMessage(channel=user_id, **message)
    except SlackClientError as err:
        log.error("could not DM the requester: %s", _slack_error(err))
