"""New stock over time, so a watch can be shown: POST /_sandbox/available and --new-number-every."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from bot.sandbox import SandboxConfig, SandboxServer, serve_forever
from bot.sandbox.catalog import CATALOG, Offer, fresh_offer
from tests.sandbox.conftest import Api, fetch_token


async def _seattle(api: Api) -> list[str]:
    params = {
        "regionCode": "US",
        "type": "LOCAL",
        "numberPattern.pattern": "+1206",
        "numberPattern.searchPattern": "START",
        "size": 30,
    }
    body = (await api.get("availableNumbers", params)).json()
    return [n["phoneNumber"] for n in body["availableNumbers"]]


async def test_post_available_puts_a_new_number_first(client: httpx.AsyncClient, api: Api):
    before = await _seattle(api)

    response = await client.post("/_sandbox/available", json={})

    assert response.status_code == 201
    added = response.json()
    assert added["phoneNumber"].startswith("+12065550")
    assert added["phoneNumber"] not in before
    assert added["monthlyPrice"] == {"currencyCode": "USD", "amount": "1.00"}
    after = await _seattle(api)
    # Listed first: a search capped at 30 of Seattle's 37 numbers still sees it.
    assert after[0] == added["phoneNumber"]
    second = (await client.post("/_sandbox/available", json={"prefix": "+1206"})).json()
    assert second["phoneNumber"] not in {added["phoneNumber"], *before}


async def test_post_available_refuses_bad_bodies_and_says_when_a_range_is_used_up(
    client: httpx.AsyncClient, sandbox: SandboxServer
):
    offers = len(sandbox.state.catalog.offers)
    for bad in ([1], {"prefix": 1206}, {"prefix": "1206"}, {"prefix": "+1", "x": 1}):
        response = await client.post("/_sandbox/available", json=bad)
        assert response.status_code == 400, bad
        assert "error" in response.json()
    assert (await client.post("/_sandbox/available", content=b"{")).status_code == 400
    used_up = await client.post("/_sandbox/available", json={"prefix": "+999"})
    assert used_up.status_code == 409
    assert len(sandbox.state.catalog.offers) == offers


def test_fresh_offer_is_never_a_number_already_offered_or_rented():
    taken = {o.phone_number for o in CATALOG.offers} | {r.phone_number for r in CATALOG.rentals}
    offer = fresh_offer(CATALOG, "+4420")
    assert offer is not None
    assert offer.phone_number.startswith("+4420")
    assert offer.phone_number not in taken
    assert fresh_offer(CATALOG, "+999") is None


async def test_new_number_every_adds_stock_while_serving():
    ready: asyncio.Queue[SandboxServer] = asyncio.Queue()
    added: asyncio.Queue[Offer | None] = asyncio.Queue()
    task = asyncio.create_task(
        serve_forever(
            "127.0.0.1",
            0,
            SandboxConfig(),
            on_ready=ready.put_nowait,
            new_number_every=0.01,
            on_new_number=added.put_nowait,
        )
    )
    server = await ready.get()
    first, second = await added.get(), await added.get()
    assert first is not None
    assert second is not None
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        api = Api(client, await fetch_token(client))
        listed = await _seattle(api)
    assert {first.phone_number, second.phone_number} <= set(listed)
    task.cancel()
    await task


def test_the_sandbox_command_takes_new_number_every(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli.app import _parser, main

    assert _parser().parse_args(["sandbox", "--new-number-every", "30"]).new_number_every == 30
    assert main(["sandbox", "--port", "0", "--new-number-every", "0"]) == 2
    err = capsys.readouterr().err
    assert "--new-number-every" in err
    assert "Traceback" not in err
