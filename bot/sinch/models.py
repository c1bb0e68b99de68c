"""Pydantic models of the Numbers API responses (camelCase on the wire, unknown fields ignored)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from bot.core.money import Money


class _Wire(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )


class AvailableNumber(_Wire):
    phone_number: str
    region_code: str
    type: str
    capability: tuple[str, ...] = ()
    setup_price: Money | None = None
    monthly_price: Money | None = None
    payment_interval_months: int | None = None
    supporting_documentation_required: bool = False


class AvailableNumbersResponse(_Wire):
    # The key is absent when nothing matches.
    available_numbers: tuple[AvailableNumber, ...] = ()


class AvailableRegion(_Wire):
    region_code: str
    region_name: str = ""
    types: tuple[str, ...] = ()


class AvailableRegionsResponse(_Wire):
    available_regions: tuple[AvailableRegion, ...] = ()


class SmsConfiguration(_Wire):
    service_plan_id: str | None = None
    campaign_id: str | None = None


class VoiceConfiguration(_Wire):
    # RTC carries appId, EST trunkId, FAX serviceId; RTC when an appId is given.
    type: str | None = None
    app_id: str | None = None
    trunk_id: str | None = None
    service_id: str | None = None


class ScheduledProvisioning(_Wire):
    # Right after a rent the requested configuration waits here ("WAITING") until applied.
    service_plan_id: str | None = None
    app_id: str | None = None
    status: str | None = None


class ActiveSmsConfiguration(SmsConfiguration):
    scheduled_provisioning: ScheduledProvisioning | None = None


class ScheduledVoiceProvisioning(ScheduledProvisioning):
    # A pending voice switch may change the type too (RTC to EST), with its trunk or service.
    type: str | None = None
    trunk_id: str | None = None
    service_id: str | None = None


class ActiveVoiceConfiguration(VoiceConfiguration):
    scheduled_voice_provisioning: ScheduledVoiceProvisioning | None = None


class ActiveNumber(_Wire):
    phone_number: str
    region_code: str = ""
    type: str = ""
    display_name: str | None = None
    capability: tuple[str, ...] = ()
    money: Money | None = None
    payment_interval_months: int | None = None
    next_charge_date: datetime | None = None
    expire_at: datetime | None = None
    sms_configuration: ActiveSmsConfiguration | None = None
    voice_configuration: ActiveVoiceConfiguration | None = None
    callback_url: str | None = None

    @property
    def ends_before_next_charge(self) -> bool:
        """Sinch set an end (``expireAt``: "when the subscription will expire if an expiration
        date has been set") no later than the next charge, so it is not charged again: what a
        release does. ``expireAt`` alone says nothing of a release: SDK fixtures carry it on
        numbers whose next charge comes first."""
        if self.expire_at is None:
            return False
        return self.next_charge_date is None or self.expire_at <= self.next_charge_date


class RentRequest(_Wire):
    """The body of ``:rent``; every field optional, and unset ones are not sent."""

    sms_configuration: SmsConfiguration | None = None
    voice_configuration: VoiceConfiguration | None = None
    callback_url: str | None = None


class ActiveNumbersPage(_Wire):
    active_numbers: tuple[ActiveNumber, ...] = ()
    next_page_token: str | None = None
    total_size: int | None = Field(default=None)
