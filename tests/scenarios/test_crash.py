"""A bot process killed (SIGKILL) while its :rent is in flight: the request is reconciled from
Sinch, never rented twice. Real processes, the real sandbox, the suite's PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import signal
from datetime import timedelta

import httpx

from bot.app.asgi import create_app
from bot.app.runtime import build_runtime
from bot.sandbox import SANDBOX_KEY_ID, SANDBOX_KEY_SECRET, SANDBOX_PROJECT_ID, SandboxServer
from bot.sandbox.rentals import RentFault
from bot.store.ledger import STALE_AFTER, utc_now
from tests.scenarios.conftest import BotHarness, make_settings, offline_authorize
from tests.scenarios.number_fakes import button
from tests.scenarios.test_process import free_port, start, stop
from tests.slack_stub import (
    BOT_TOKEN,
    SIGNING_SECRET,
    SlackStub,
    action_body,
    command_body,
    signed_headers,
)

REQUESTER = "U0ALICE1"


def sinch_env(sandbox: SandboxServer) -> dict[str, str]:
    return {
        "SINCH_PROJECT_ID": SANDBOX_PROJECT_ID,
        "SINCH_KEY_ID": SANDBOX_KEY_ID,
        "SINCH_KEY_SECRET": SANDBOX_KEY_SECRET,
        "SINCH_AUTH_URL": sandbox.auth_url,
        "SINCH_NUMBERS_URL": sandbox.numbers_url,
        "RENT_ENABLED": "true",
        "RENT_ALLOWED_USER_IDS": REQUESTER,
        "RENT_MAX_MONTHLY_PRICE": "1000",
    }


async def committed(sandbox: SandboxServer, rents: int) -> None:
    """Until the sandbox has committed ``rents`` rents (it then holds its answer)."""
    async with asyncio.timeout(20):
        while sandbox.state.rentals.rents < rents:
            await asyncio.sleep(0.02)


async def test_a_process_killed_mid_rent_is_reconciled_with_one_rent_in_all(
    slack: SlackStub, pg_url: str
) -> None:
    async with SandboxServer() as sandbox:
        number = sandbox.state.catalog.offers[0].phone_number
        # The rent commits, then its answer is held: the process dies before hearing it.
        sandbox.state.rentals.add_fault(RentFault("timeout_after_commit", delay=30))
        env = {
            **sinch_env(sandbox),
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": pg_url,
        }
        port = free_port()
        proc = await start(["-m", "bot"], env, port)
        try:
            async with httpx.AsyncClient() as client:
                await proc.wait_ready(client)
                body = command_body(f"rent {number}", slack.response_url("ask"), user_id=REQUESTER)
                ack = await client.post(
                    f"{proc.url}/slack/events", content=body, headers=signed_headers(body)
                )
                assert ack.status_code == 200
                question = (await slack.wait_for(1))[0]
                value = button(question, "numbers_change_confirm")["value"]
                click = action_body(
                    "numbers_change_confirm", value, slack.response_url("go"), user_id=REQUESTER
                )
                ack = await client.post(
                    f"{proc.url}/slack/events", content=click, headers=signed_headers(click)
                )
                assert ack.status_code == 200
                await committed(sandbox, 1)
                proc.proc.send_signal(signal.SIGKILL)
                await proc.proc.wait()
        finally:
            await stop(proc)
        assert len(slack.messages) == 1  # the dead process never answered the click

        # Another instance, a minute later (the claim is stale: nobody waits on Sinch now).
        settings = make_settings(
            slack,
            **{k.lower(): v for k, v in sinch_env(sandbox).items()},
            database_url=pg_url,
        )
        runtime = build_runtime(
            settings, wall_clock=lambda: utc_now() + STALE_AFTER + timedelta(seconds=1)
        )
        app = create_app(settings, runtime=runtime, authorize=offline_authorize)
        bot = BotHarness(app, slack)
        lifespan = app.asgi.router.lifespan_context(app.asgi)
        await lifespan.__aenter__()
        bot._lifespan = lifespan
        try:
            again = action_body(
                "numbers_change_confirm", value, slack.response_url("again"), user_id=REQUESTER
            )
            response = await bot.post_signed(again)
            assert response.status_code == 200
            answer = json.dumps((await slack.wait_for(2))[1])
            assert "already handled this request (rented" in answer
            # Read back, never rented again: one :rent call reached Sinch, not just one commit.
            assert sandbox.state.numbers_calls["rent"] == 1
            assert sandbox.state.rentals.rents == 1
            request_id = json.loads(value)["id"]
            entry = await runtime.ledger.get(request_id)
            assert entry is not None
            assert (entry.state, entry.outcome) == ("done", "rented")
        finally:
            await bot.close()
