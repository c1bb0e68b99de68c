"""Plain-text sentences for rent/release outcomes and `show`: shared by Slack and the CLI (pure).

Slack escapes these before putting them in mrkdwn; the CLI prints them as they are.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from bot.changes.service import ChangeResult
from bot.core.money import Money
from bot.core.phone import format_international
from bot.sinch.models import (
    ActiveNumber,
    AvailableNumber,
    ScheduledVoiceProvisioning,
    VoiceConfiguration,
)


def money(value: Money | None) -> str:
    """``USD 0.80``: two decimals at least, all of them when finer; the code as Sinch gave it."""
    if value is None:
        return "unknown price"
    amount = value.amount
    try:
        cents = amount.quantize(Decimal("0.01"))
        text = f"{cents:f}" if cents == amount else f"{amount.normalize():f}"
    except InvalidOperation:
        text = str(amount)
    return f"{value.currency_code[:12]} {text}"


def priced(price: Money | None, interval_months: int | None) -> str:
    """``Monthly: USD 0.80``, or what the price is when Sinch's interval is not one month."""
    if interval_months is None or interval_months == 1:
        return f"Monthly: {money(price)}"
    if interval_months > 1:
        return f"Price: {money(price)} every {interval_months} months"
    # paymentIntervalMonths 0 appears in Sinch's SDK fixtures; it is no monthly price.
    return f"Price: {money(price)} (payment interval {interval_months} months: not monthly)"


def number(phone: str) -> str:
    return format_international(phone) or phone


def _until(active: ActiveNumber | None) -> str:
    if active is None or active.expire_at is None:
        return ""
    return f"; it stays active until {active.expire_at.date().isoformat()}"


def _said(result: ChangeResult) -> str:
    err = result.error
    message = getattr(err, "message", None) or (str(err) if err is not None else "")
    return f" Sinch said: {message[:300]}" if message else ""


def describe(
    result: ChangeResult, *, ceiling: Decimal | None = None, approved: bool = False
) -> str:
    """One or two sentences that tell the truth about ``result``.

    ``approved``: an approver agreed to the prices (else only the requester saw them).
    """
    n = number(result.number)
    price = money(result.price)
    outcome = result.outcome
    if result.limit is not None:
        ceiling = result.limit
    since = "since it was approved" if approved else "since it was shown"
    # The ceiling is in the account's currency, which is the one Sinch prices in.
    prices = (result.price, result.setup_price)
    code = next((p.currency_code for p in prices if p is not None), None)
    limit = ""
    if ceiling is not None:
        limit = f" {money(Money(amount=ceiling, currency_code=code))}" if code else f" {ceiling}"
    if outcome == "rented":
        return f"Rented {n} ({price}/month)."
    if outcome == "already_rented":
        return f"{n} is already rented by this project; it was not rented again."
    if outcome == "not_available":
        # Sinch's 404 does not say whether the number was ever on offer: claim neither.
        return (
            f"Not rented: Sinch does not offer {n} for rent (someone else has it, or it was"
            " never available)."
        )
    if outcome == "over_ceiling":
        return (
            f"Not rented: {n} costs {price} a month, above the limit of{limit}"
            " (RENT_MAX_MONTHLY_PRICE)."
        )
    if outcome == "price_changed":
        return f"Not rented: the monthly price of {n} rose to {price} {since}."
    if outcome == "price_unknown":
        return f"Not rented: Sinch gave no monthly price for {n}."
    setup = money(result.setup_price)
    if outcome == "setup_over_ceiling":
        return (
            f"Not rented: {n} has a setup price of {setup}, above the limit of{limit}"
            " (RENT_MAX_SETUP_PRICE)."
        )
    if outcome == "setup_price_changed":
        return f"Not rented: the setup price of {n} rose to {setup} {since}."
    if outcome == "setup_price_unknown":
        return f"Not rented: Sinch gave no setup price for {n}."
    if outcome == "refused":
        verb = "rent" if result.action == "rent" else "release"
        return f"Sinch refused to {verb} {n} (not allowed for this account).{_said(result)}"
    if outcome == "rejected":
        verb = "rented" if result.action == "rent" else "released"
        return f"Not {verb}: Sinch rejected the request for {n}.{_said(result)}"
    if outcome == "not_rented":
        return (
            f"Sinch did not answer the rent clearly, so the bot read the number back:"
            f" {n} is not rented by this project."
        )
    if outcome == "unknown":
        return (
            f"Unknown: Sinch did not answer clearly and {n} could not be read back."
            f" Check with `show {result.number}` before trying again."
        )
    if outcome == "released":
        return f"Released {n}{_until(result.active)}."
    if outcome == "already_releasing":
        return f"{n} is already being released{_until(result.active)}."
    if outcome == "not_held":
        return f"Not released: this project does not rent {n}."
    if outcome == "not_released":
        return (
            f"Sinch did not answer the release clearly, so the bot read the number back:"
            f" {n} is still rented, with no release scheduled."
        )
    return f"Nothing was changed: the bot could not ask Sinch about {n}.{_said(result)}"


def offer_lines(offer: AvailableNumber) -> list[str]:
    """What a confirmation shows before renting."""
    setup = offer.setup_price
    lines = [
        priced(offer.monthly_price, offer.payment_interval_months),
        "Setup: no setup fee"
        if setup is not None and setup.amount == 0
        else f"Setup: {money(setup)}",
        f"Capabilities: {', '.join(offer.capability) or 'none listed'}",
    ]
    if offer.supporting_documentation_required:
        lines.append("Supporting documents are required to rent it.")
    return lines


_VOICE_TARGET = {"RTC": "app", "EST": "trunk", "FAX": "service"}


def _voice_targets(voice: VoiceConfiguration | ScheduledVoiceProvisioning) -> list[str]:
    """``app X``, ``trunk X``, ``service X``: whichever the configuration names."""
    named = (("app", voice.app_id), ("trunk", voice.trunk_id), ("service", voice.service_id))
    return [f"{label} {value}" for label, value in named if value]


def active_lines(active: ActiveNumber) -> list[str]:
    """`show`: what the project's number looks like at Sinch."""
    lines = [f"Number: {number(active.phone_number)}"]
    if active.display_name:
        lines.append(f"Name: {active.display_name[:80]}")
    lines.append(f"Type: {active.type or 'unknown'} ({active.region_code or '?'})")
    lines.append(f"Capabilities: {', '.join(active.capability) or 'none listed'}")
    lines.append(priced(active.money, active.payment_interval_months))
    if active.next_charge_date is not None:
        lines.append(f"Next charge: {active.next_charge_date.date().isoformat()}")
    sms = active.sms_configuration
    if sms is not None:
        plan = sms.service_plan_id or "none"
        pending = sms.scheduled_provisioning
        if pending is not None and pending.service_plan_id:
            plan += f" (pending: {pending.service_plan_id}, {pending.status or 'waiting'})"
        lines.append(f"SMS service plan: {plan}")
    voice = active.voice_configuration
    if voice is not None:
        # RTC routes to an app, EST (SIP) to a trunk, FAX to a fax service.
        target = (
            ", ".join(_voice_targets(voice)) or f"{_VOICE_TARGET.get(voice.type or '', 'app')} none"
        )
        pending = voice.scheduled_voice_provisioning
        if pending is not None and _voice_targets(pending):
            switch = f"{pending.type} " if pending.type and pending.type != voice.type else ""
            target += (
                f" (pending: {switch}{', '.join(_voice_targets(pending))},"
                f" {pending.status or 'waiting'})"
            )
        lines.append(f"Voice: {voice.type or '?'}, {target}")
    lines.append(f"Callback URL: {active.callback_url or 'none'}")
    if active.expire_at is not None:
        # Sinch's words for expireAt: when the subscription expires, if a date has been set.
        lines.append(f"Subscription expires: {active.expire_at.date().isoformat()}")
    return lines
