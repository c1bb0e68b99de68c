"""Block Kit for renting and releasing: buttons, confirmations, approval requests, outcomes (pure).

Every button that leads to a rent or release carries its request in its value as compact JSON
(``ChangeRequest``): the bot keeps no database, so the pending request lives in the message.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from bot.changes.service import ChangeAction, ChangeResult, Prices, RentPolicy
from bot.changes.text import active_lines, describe, number, offer_lines
from bot.commands.number_change import parse_e164
from bot.core.errors import CommandError
from bot.core.money import Money
from bot.sinch.models import ActiveNumber, AvailableNumber
from bot.slack.blocks import Block, Message, _context, _mention, _message, _section, clip, escape

RENT_ACTION = "numbers_rent"  # the Rent button on a search result (a confirm dialog first)
CONFIRM_ACTION = "numbers_change_confirm"  # Confirm on `/numbers rent|release N`
CANCEL_ACTION = "numbers_change_cancel"
APPROVE_ACTION = "numbers_change_approve"
DENY_ACTION = "numbers_change_deny"

_CONFIRM_TEXT_MAX = 300


@dataclass(frozen=True)
class ChangeRequest:
    """What a change button carries. ``id`` makes each rendered request distinct (double
    clicks and redeliveries of one button share it); ``requester`` is set once approval is asked.
    """

    action: ChangeAction
    number: str
    id: str
    price: Money | None = None
    requester: str | None = None
    # A rent's one-off setup price as shown (None on a release, and on buttons from before).
    setup: Money | None = None

    @property
    def prices(self) -> Prices:
        """What the requester (and then the approver) was shown: the rent goes ahead within it."""
        return Prices(monthly=self.price, setup=self.setup)

    def to_value(self) -> str:
        data: dict[str, str] = {"a": self.action, "n": self.number, "id": self.id}
        if self.price is not None:
            data["p"], data["c"] = str(self.price.amount), self.price.currency_code
        if self.setup is not None:
            data["sp"], data["sc"] = str(self.setup.amount), self.setup.currency_code
        if self.requester is not None:
            data["u"] = self.requester
        return json.dumps(data, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_value(cls, value: str) -> ChangeRequest:
        """Parse a button value; CommandError for anything this bot did not write."""
        expired = CommandError("That button has expired; run the command again.")
        try:
            data = json.loads(value)
            action = data["a"]
            if action not in ("rent", "release"):
                raise expired
            price = setup = None
            if "p" in data:
                price = Money(currency_code=str(data["c"]), amount=Decimal(str(data["p"])))
            if "sp" in data:
                setup = Money(currency_code=str(data["sc"]), amount=Decimal(str(data["sp"])))
            requester = data.get("u")
            return cls(
                action=action,
                number=parse_e164(str(data["n"])),
                id=str(data["id"])[:64],
                price=price,
                requester=str(requester)[:32] if requester is not None else None,
                setup=setup,
            )
        except (ValueError, KeyError, TypeError, InvalidOperation, CommandError):
            raise expired from None


def new_request_id() -> str:
    return uuid.uuid4().hex


def rent_request(
    offer: AvailableNumber, *, id: str | None = None, requester: str | None = None
) -> ChangeRequest:
    """A rent of ``offer`` at the prices it shows now."""
    return ChangeRequest(
        "rent",
        offer.phone_number,
        id or new_request_id(),
        offer.monthly_price,
        requester=requester,
        setup=offer.setup_price,
    )


def _button(
    text: str,
    action_id: str,
    value: str,
    *,
    style: Literal["primary", "danger"] | None = None,
    confirm: dict[str, Any] | None = None,
) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }
    if style is not None:
        button["style"] = style
    if confirm is not None:
        button["confirm"] = confirm
    return button


def _plain(text: str, limit: int) -> dict[str, str]:
    return {"type": "plain_text", "text": clip(" ".join(text.split()), limit)}


def rent_button(offer: AvailableNumber, policy: RentPolicy) -> Block | None:
    """The Rent accessory of one search result, with Slack's confirm dialog; None above the
    ceiling (the click would be refused anyway)."""
    if not policy.allows_offer(offer):
        return None
    request = rent_request(offer)
    ask = "Ask an approver to rent" if policy.needs_approval else "Rent"
    text = f"{ask} {number(offer.phone_number)}? " + ". ".join(offer_lines(offer))
    dialog = {
        "title": _plain("Rent this number?", 100),
        "text": _plain(text, _CONFIRM_TEXT_MAX),
        "confirm": _plain("Request" if policy.needs_approval else "Rent", 30),
        "deny": _plain("Cancel", 30),
        "style": "primary",
    }
    return _button("Rent", RENT_ACTION, request.to_value(), confirm=dialog)


def with_accessory(block: Block, accessory: Block | None) -> Block:
    return block if accessory is None else {**block, "accessory": accessory}


def _verb(action: ChangeAction) -> str:
    return "Rent" if action == "rent" else "Release"


def render_confirm(
    request: ChangeRequest,
    *,
    offer: AvailableNumber | None = None,
    active: ActiveNumber | None = None,
    needs_approval: bool,
) -> Message:
    """`/numbers rent|release N`: what it would cost or stop, with Confirm / Cancel."""
    verb = _verb(request.action)
    n = escape(number(request.number))
    lines = offer_lines(offer) if offer is not None else []
    if active is not None:
        lines = active_lines(active)[1:]
        lines.append("Released numbers stay active until the end of the paid period.")
    then = " An approver will be asked first." if needs_approval else ""
    blocks = [
        _section(f":warning: *{verb} {n}?*{then}"),
        _section("\n".join(escape(line) for line in lines) or "\u200b"),
        {
            "type": "actions",
            "elements": [
                _button(
                    "Request approval" if needs_approval else verb,
                    CONFIRM_ACTION,
                    request.to_value(),
                    style="primary" if request.action == "rent" else "danger",
                ),
                _button("Cancel", CANCEL_ACTION, request.to_value()),
            ],
        },
    ]
    return _message(f"{verb} {n}? Confirm or cancel.", blocks)


def render_approval_request(request: ChangeRequest, details: list[str]) -> Message:
    """Posted to RENT_APPROVAL_CHANNEL: the request, with Approve / Deny."""
    assert request.requester is not None
    verb = "rent" if request.action == "rent" else "release"
    n = escape(number(request.number))
    head = f":raised_hand: {_mention(request.requester)} asks to {verb} *{n}*."
    blocks = [
        _section(head),
        _section("\n".join(escape(line) for line in details) or "\u200b"),
        {
            "type": "actions",
            "elements": [
                _button("Approve", APPROVE_ACTION, request.to_value(), style="primary"),
                _button("Deny", DENY_ACTION, request.to_value(), style="danger"),
            ],
        },
        _context("Only an approver other than the requester can decide."),
    ]
    return _message(f"{request.requester} asks to {verb} {number(request.number)}", blocks)


def render_decided(
    request: ChangeRequest,
    approver: str,
    *,
    result: ChangeResult | None,
    note: str = "",
    ceiling: Decimal | None = None,
) -> Message:
    """The approval message once decided: "Approved by @x: rented +1 206-555-0103"."""
    who = _mention(approver)
    verb = "rent" if request.action == "rent" else "release"
    n = escape(number(request.number))
    requester = _mention(request.requester or "")
    if result is None:
        text = f":no_entry_sign: Denied by {who}: {requester}'s request to {verb} {n}."
    else:
        icon = ":white_check_mark:" if result.done else ":warning:"
        outcome = escape(describe(result, ceiling=ceiling, approved=True))
        text = f"{icon} Approved by {who}: {outcome} (requested by {requester})"
    if note:
        text += f" {escape(note)}"
    return _message(text, [_section(text)])


def render_in_progress(request: ChangeRequest, approver: str) -> Message:
    verb = "Renting" if request.action == "rent" else "Releasing"
    text = f":hourglass: Approved by {_mention(approver)}: {verb} {escape(number(request.number))}…"
    return _message(text, [_section(text)])


def render_result(result: ChangeResult, *, ceiling: Decimal | None = None) -> Message:
    icon = ":white_check_mark:" if result.done else ":warning:"
    if result.outcome == "unknown":
        icon = ":question:"
    text = f"{icon} {escape(describe(result, ceiling=ceiling))}"
    return _message(text, [_section(text)])


def render_waiting(request: ChangeRequest, channel: str) -> Message:
    verb = "rent" if request.action == "rent" else "release"
    text = (
        f":hourglass_flowing_sand: Your request to {verb} {escape(number(request.number))}"
        f" waits for approval in <#{escape(channel)}>. You'll get a DM with the outcome."
    )
    return _message(text, [_section(text)])


def render_notice(text: str) -> Message:
    """A one-line ephemeral (refusals, 'already decided', 'cancelled')."""
    return _message(text, [_section(text)])


def render_disabled() -> Message:
    return render_notice(
        ":lock: Renting and releasing numbers is turned off for this bot. An admin can turn it"
        ' on with `RENT_ENABLED=true` and `RENT_ALLOWED_USER_IDS` (see the README, "Renting'
        ' and releasing").'
    )


def render_not_allowed(contact: str) -> Message:
    return render_notice(
        f":no_entry: You're not on the list of people who may rent or release numbers."
        f" Ask {escape(contact)} to add your Slack user ID to `RENT_ALLOWED_USER_IDS`."
    )


def render_show(
    phone: str, active: ActiveNumber | None, *, sandbox: bool = False, history: str | None = None
) -> Message:
    """``history``: the ledger's "Rented by <@U…> on …" line (mentions are Slack markup)."""
    n = escape(number(phone))
    if active is None:
        text = f":mag: This project does not rent {n}."
        return _message(text, [_section(text)])
    blocks = [_section(f"*{n}*"), _section("\n".join(escape(x) for x in active_lines(active)))]
    if history:
        blocks.append(_context(history))
    if sandbox:
        blocks.append(_context(":test_tube: Sandbox data — fictional numbers."))
    return _message(f"{number(phone)}: rented by this project", blocks)
