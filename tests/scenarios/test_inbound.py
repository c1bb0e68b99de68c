"""/slack/events before Bolt: bodies over 64 KiB are refused unread, signatures checked first."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator

import pytest
import respx

from bot.slack.inbound import MAX_BODY_BYTES
from tests.scenarios.conftest import MakeBot
from tests.slack_stub import command_body, signed_headers

CHUNK = 4096


async def test_a_declared_body_over_the_cap_is_refused_with_413(
    make_bot: MakeBot, sinch_api: respx.Router, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await make_bot()
    body = command_body("US LOCAL " + "x" * MAX_BODY_BYTES, bot.slack.response_url())
    response = await bot.post_signed(body)  # validly signed: size alone refuses it
    assert response.status_code == 413
    warnings = [r for r in caplog.get_records("call") if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        f"refused a request to /slack/events: body over {MAX_BODY_BYTES} bytes"
    ]
    assert not sinch_api["available"].called
    assert bot.slack.messages == []


async def test_a_declared_length_over_the_cap_is_refused_before_reading_any_of_it(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot()
    pulled: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        for _ in range(32):
            pulled.append(CHUNK)
            yield b"a" * CHUNK

    headers = {**signed_headers(""), "content-length": str(32 * CHUNK)}
    response = await bot.http.post("/slack/events", content=body(), headers=headers)
    assert response.status_code == 413
    assert pulled == []


async def test_a_body_at_the_cap_is_still_read(make_bot: MakeBot) -> None:
    bot = await make_bot()
    url = bot.slack.response_url()
    padding = MAX_BODY_BYTES - len(command_body("help", url, channel_name=""))
    body = command_body("help", url, channel_name="p" * padding)
    assert len(body.encode()) == MAX_BODY_BYTES
    response = await bot.post_signed(body)
    assert response.status_code == 200
    assert "/numbers" in response.text


async def test_a_streamed_body_without_length_is_read_only_up_to_the_cap(
    make_bot: MakeBot, sinch_api: respx.Router
) -> None:
    bot = await make_bot()
    sent: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        # 16 MiB on offer, in 4 KiB chunks, with no Content-Length (chunked upload).
        for _ in range(4096):
            sent.append(CHUNK)
            yield b"a" * CHUNK

    headers = signed_headers("")
    response = await bot.http.post("/slack/events", content=endless(), headers=headers)
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    # The app pulled one chunk past the cap, then stopped reading.
    assert sum(sent) == MAX_BODY_BYTES + CHUNK
    assert not sinch_api["available"].called


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"x-slack-request-timestamp": "yesterday", "x-slack-signature": "v0=00"}, "malformed"),
        ({"x-slack-signature": "v0=00"}, "no signature"),
        ({"x-slack-request-timestamp": str(int(time.time()))}, "no signature"),
    ],
)
async def test_malformed_signature_headers_get_401_not_500(
    make_bot: MakeBot, caplog: pytest.LogCaptureFixture, headers: dict[str, str], reason: str
) -> None:
    bot = await make_bot()
    body = command_body("US LOCAL", bot.slack.response_url())
    response = await bot.http.post(
        "/slack/events",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded", **headers},
    )
    assert response.status_code == 401
    assert response.json() == {"error": "invalid request"}
    (warning,) = [r for r in caplog.get_records("call") if r.levelno >= logging.WARNING]
    assert reason in warning.getMessage()


async def test_a_body_that_is_not_utf8_is_refused_not_a_500(make_bot: MakeBot) -> None:
    bot = await make_bot()
    body = b"command=%2Fnumbers&text=\xff\xfe"
    headers = signed_headers(body.decode("latin-1"))
    response = await bot.http.post("/slack/events", content=body, headers=headers)
    assert response.status_code == 401
