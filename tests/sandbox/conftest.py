"""Fixtures for the sandbox tests: a real server on 127.0.0.1:0 driven by a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.sandbox import (
    SANDBOX_KEY_ID,
    SANDBOX_KEY_SECRET,
    SANDBOX_PROJECT_ID,
    SandboxConfig,
    SandboxServer,
)
from tests.fakes import FakeClock

TOKEN_LIFETIME = 60
PROJECT_PATH = f"/v1/projects/{SANDBOX_PROJECT_ID}"


@pytest.fixture
async def sandbox(fake_clock: FakeClock) -> AsyncIterator[SandboxServer]:
    config = SandboxConfig(token_lifetime=TOKEN_LIFETIME)
    async with SandboxServer(config, clock=fake_clock) as server:
        yield server


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sandbox.base_url, timeout=5.0) as http:
        yield http


async def fetch_token(client: httpx.AsyncClient) -> str:
    response = await client.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(SANDBOX_KEY_ID, SANDBOX_KEY_SECRET),
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@pytest.fixture
async def token(client: httpx.AsyncClient) -> str:
    return await fetch_token(client)


class Api:
    """GETs on the three Numbers endpoints with a bearer token."""

    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self.client = client
        self.token = token

    async def get(self, endpoint: str, params: Any = None, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        return await self.client.get(
            f"{PROJECT_PATH}/{endpoint}", params=params, headers=headers, **kwargs
        )


@pytest.fixture
def api(client: httpx.AsyncClient, token: str) -> Api:
    return Api(client, token)
