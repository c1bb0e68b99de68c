"""CSV export of rented numbers: columns, quoting, and formula-looking text neutralised."""

from __future__ import annotations

import csv
import io

import pytest

from bot.active import csv_export as active_csv
from bot.cli.app import main
from bot.sinch.models import ActiveNumber

FULL = {
    "phoneNumber": "+12065550100",
    "regionCode": "US",
    "type": "LOCAL",
    "capability": ["SMS", "VOICE"],
    "displayName": 'Ops, "night"\nshift',
    "money": {"currencyCode": "USD", "amount": "0.80"},
    "paymentIntervalMonths": 1,
    "nextChargeDate": "2026-12-06T14:42:42.677575Z",
    "expireAt": "2026-12-06T14:42:42.677575Z",
    "smsConfiguration": {"servicePlanId": "plan-1", "campaignId": "camp-9"},
    "voiceConfiguration": {"type": "EST", "trunkId": "trunk-7"},
    "callbackUrl": "https://example.test/cb?a=1,b=2",
}


def written(*numbers: ActiveNumber) -> list[list[str]]:
    out = io.StringIO()
    writer = active_csv.writer(out)
    writer.writerow(active_csv.HEADER)
    for number in numbers:
        writer.writerow(active_csv.row(number))
    return list(csv.reader(io.StringIO(out.getvalue(), newline="")))


def test_every_operator_field_in_its_column_and_awkward_text_round_trips() -> None:
    rows = written(ActiveNumber.model_validate(FULL))
    assert len(rows) == 2  # the newline inside the name is quoted, not a new row
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record == {
        "phone_number": "+12065550100",
        "region": "US",
        "type": "LOCAL",
        "capabilities": "SMS+VOICE",
        "display_name": 'Ops, "night"\nshift',
        "monthly_price": "0.80",
        "currency": "USD",
        "payment_interval_months": "1",
        "next_charge_date": "2026-12-06T14:42:42.677575Z",
        "expire_at": "2026-12-06T14:42:42.677575Z",
        "sms_service_plan_id": "plan-1",
        "sms_campaign_id": "camp-9",
        "voice_type": "EST",
        "voice_app_id": "",
        "voice_trunk_id": "trunk-7",
        "voice_service_id": "",
        "callback_url": "https://example.test/cb?a=1,b=2",
    }


@pytest.mark.parametrize(
    "name",
    ["=SUM(A1:A9)", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\t=1", "\r=1", '=HYPERLINK("x")'],
)
def test_formula_looking_text_is_neutralised(name: str) -> None:
    rows = written(ActiveNumber.model_validate({**FULL, "displayName": name}))
    assert rows[1][active_csv.HEADER.index("display_name")] == "'" + name


@pytest.mark.parametrize("cell", ["+12065550100", "-1.50", "0.80", "Support line", ""])
def test_plain_numbers_and_text_are_left_alone(cell: str) -> None:
    assert active_csv.neutralise(cell) == cell


def test_a_number_without_optional_fields_gives_empty_cells() -> None:
    rows = written(ActiveNumber.model_validate({"phoneNumber": "+46701740605"}))
    assert rows[1][0] == "+46701740605"
    assert rows[1][1:] == [""] * (len(active_csv.HEADER) - 1)


def test_cli_csv_streams_every_sandbox_number(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["active", "--csv", "--sandbox"]) == 0
    captured = capsys.readouterr()
    rows = list(csv.reader(io.StringIO(captured.out, newline="")))
    assert rows[0] == list(active_csv.HEADER)
    numbers = [r[0] for r in rows[1:]]
    assert len(numbers) == len(set(numbers)) == 45  # the sandbox catalog's rentals
    assert {r[2] for r in rows[1:]} == {"LOCAL", "MOBILE", "TOLL_FREE"}
    assert "SANDBOX" in captured.err  # the banner stays out of the CSV


def test_cli_csv_filters_by_region_and_type(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["active", "GB", "MOBILE", "--csv", "--sandbox"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out, newline="")))[1:]
    assert rows
    assert {(r[1], r[2]) for r in rows} == {("GB", "MOBILE")}


def test_cli_summary_counts_every_sandbox_number(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["active", "--summary", "--sandbox", "--json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    assert data["counted"] == data["total_size"] == 45
    assert data["partial"] is False
    assert sum(r["count"] for r in data["regions"]) == 45
    assert set(data["monthly_cost"]) == {"USD"}


def test_cli_csv_and_json_together_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["active", "--csv", "--json", "--sandbox"]) == 2
    assert "--csv" in capsys.readouterr().err
