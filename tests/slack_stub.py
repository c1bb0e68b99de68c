"""Slack's side for tests: signed requests, and a local server playing response_url and Web API."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from aiohttp.test_utils import TestServer
from slack_sdk.signature import SignatureVerifier

SIGNING_SECRET = "test-signing-secret-0123456789"
_TRIGGERS = itertools.count(1)
BOT_TOKEN = "xoxb-test-bot-token-0123456789"


def signed_headers(
    body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": ts,
        "x-slack-signature": str(signature),
    }


def command_body(text: str, response_url: str, **fields: str) -> str:
    form = {
        "token": "legacy-unused",
        "team_id": "T1",
        "team_domain": "acme",
        "channel_id": "C1",
        "channel_name": "ops",
        "user_id": "U1",
        "user_name": "alice",
        "command": "/numbers",
        "text": text,
        "api_app_id": "A1",
        "is_enterprise_install": "false",
        "response_url": response_url,
        # Slack gives every invocation its own trigger_id (and response_url).
        "trigger_id": f"{next(_TRIGGERS)}.2.3",
    }
    form.update(fields)
    return urlencode(form)


def action_body(
    action_id: str,
    value: str,
    response_url: str,
    *,
    user_id: str = "U1",
    team_id: str = "T1",
    channel_id: str = "C1",
    message_ts: str | None = None,
    trigger: str = "1.2.3",
) -> str:
    """A block_actions payload; ``message_ts`` set means a click on a channel message."""
    container: dict[str, Any] = {"type": "message", "is_ephemeral": message_ts is None}
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": team_id, "domain": "acme"},
        "user": {"id": user_id, "name": user_id.lower(), "team_id": team_id},
        "api_app_id": "A1",
        "token": "legacy-unused",
        "container": container,
        "trigger_id": trigger,
        "channel": {"id": channel_id, "name": "ops"},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b1",
                "value": value,
                "action_ts": "1.2",
                "text": {"type": "plain_text", "text": "x"},
            }
        ],
    }
    if message_ts is not None:
        container.update(message_ts=message_ts, channel_id=channel_id)
        payload["message"] = {"ts": message_ts, "type": "message"}
    return urlencode({"payload": json.dumps(payload)})


def view_submission_body(
    values: dict[str, dict[str, dict[str, Any]]],
    *,
    callback_id: str,
    private_metadata: str = "",
    user_id: str = "U1",
    team_id: str = "T1",
) -> str:
    """A view_submission payload as Slack sends it: ``values[block_id][action_id]`` = state."""
    payload = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": "acme"},
        "user": {"id": user_id, "name": user_id.lower(), "team_id": team_id},
        "api_app_id": "A1",
        "token": "legacy-unused",
        "trigger_id": f"{next(_TRIGGERS)}.2.3",
        "view": {
            "id": "V1",
            "team_id": team_id,
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "blocks": [],
            "state": {"values": values},
            "hash": "1.a",
            "app_id": "A1",
            "bot_id": "B0",
        },
        "response_urls": [],
    }
    return urlencode({"payload": json.dumps(payload)})


def block_suggestion_body(
    action_id: str, value: str, *, block_id: str, user_id: str = "U1", team_id: str = "T1"
) -> str:
    """A block_suggestion payload (an external_select asking for options)."""
    payload = {
        "type": "block_suggestion",
        "user": {"id": user_id, "name": user_id.lower(), "team_id": team_id},
        "team": {"id": team_id, "domain": "acme"},
        "api_app_id": "A1",
        "token": "legacy-unused",
        "container": {"type": "view", "view_id": "V1"},
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "view": {"id": "V1", "type": "modal", "state": {"values": {}}},
    }
    return urlencode({"payload": json.dumps(payload)})


def button_in(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    """The button ``action_id`` in a message's actions blocks (StopIteration if absent)."""
    return next(
        element
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == action_id
    )


class SlackStub:
    """A local aiohttp server: records response_url posts and answers Web API calls.

    ``fail_next`` makes the next N response_url posts answer ``fail_status`` (500 unless told;
    delivery retry tests).
    """

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.api_calls: list[str] = []
        self.api_bodies: list[dict[str, Any]] = []
        self.fail_next = 0
        self.fail_status = 500
        # auth.test answers {"ok": false, "error": ...} with this, while it is set.
        self.auth_test_error: str | None = None
        # Answer apps.connections.open with invalid_auth, as Slack does for a bad app token.
        self.refuse_app_token = False
        # Web API refusals to answer, in order, per method: (error, HTTP status, Retry-After).
        self.api_errors: dict[str, list[tuple[str, int, str | None]]] = {}
        self._arrived = asyncio.Condition()
        # Socket Mode: envelopes to push once a client connects, and the acks it sent back.
        self.socket_envelopes: list[dict[str, Any]] = []
        self.socket_acks: list[dict[str, Any]] = []
        app = web.Application()
        app.router.add_post("/response/{id}", self._response)
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/socket", self._socket)
        self._server = TestServer(app, host="127.0.0.1")

    async def __aenter__(self) -> SlackStub:
        await self._server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._server.close()

    def response_url(self, name: str = "1") -> str:
        return str(self._server.make_url(f"/response/{name}"))

    @property
    def api_url(self) -> str:
        return str(self._server.make_url("/api/"))

    async def _response(self, request: web.Request) -> web.Response:
        if self.fail_next > 0:
            self.fail_next -= 1
            return web.Response(status=self.fail_status, text="boom")
        message = await request.json()
        message["_path"] = request.match_info["id"]
        async with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return web.Response(text="ok")

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            self.api_bodies.append(await request.json())
        else:
            self.api_bodies.append(dict(await request.post()))
        async with self._arrived:
            self.api_calls.append(method)
            self._arrived.notify_all()
        refusals = self.api_errors.get(method)
        if refusals:
            error, status, retry_after = refusals.pop(0)
            headers = {"Retry-After": retry_after} if retry_after is not None else None
            return web.json_response({"ok": False, "error": error}, status=status, headers=headers)
        if method == "apps.connections.open" and self.refuse_app_token:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if method == "apps.connections.open":
            url = str(self._server.make_url("/socket")).replace("http://", "ws://")
            return web.json_response({"ok": True, "url": url})
        if method == "auth.test" and self.auth_test_error is not None:
            return web.json_response({"ok": False, "error": self.auth_test_error})
        if method == "auth.test":
            return web.json_response(
                {"ok": True, "team_id": "T1", "user_id": "U0", "bot_id": "B0", "team": "acme"}
            )
        return web.json_response({"ok": True})

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1})
        for envelope in self.socket_envelopes:
            await ws.send_json(envelope)
        async for frame in ws:
            if frame.type == web.WSMsgType.TEXT:
                async with self._arrived:
                    self.socket_acks.append(json.loads(frame.data))
                    self._arrived.notify_all()
        return ws

    async def wait_for_api_call(self, method: str, timeout: float = 10.0) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            async with self._arrived:
                await self._arrived.wait_for(lambda: method in self.api_calls)
        return self.api_bodies[self.api_calls.index(method)]

    async def wait_for_api_calls(
        self, method: str, count: int = 1, timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        """Wait until ``method`` was called ``count`` times; returns those calls' bodies."""

        def bodies() -> list[dict[str, Any]]:
            return [b for m, b in zip(self.api_calls, self.api_bodies, strict=False) if m == method]

        async with asyncio.timeout(timeout):
            async with self._arrived:
                await self._arrived.wait_for(lambda: len(bodies()) >= count)
        return bodies()

    async def wait_for_socket_ack(self, timeout: float = 10.0) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            async with self._arrived:
                await self._arrived.wait_for(lambda: bool(self.socket_acks))
        return self.socket_acks[0]

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until ``count`` messages arrived (event-driven, bounded)."""
        async with asyncio.timeout(timeout):
            async with self._arrived:
                await self._arrived.wait_for(lambda: len(self.messages) >= count)
        return self.messages


def form_of(message: Mapping[str, Any]) -> str:
    """All visible text of a message, for assertions."""
    return json.dumps(message, ensure_ascii=False)
