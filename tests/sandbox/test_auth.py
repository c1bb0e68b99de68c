"""The sandbox's token endpoint and the Numbers API's 401s (expired, unknown, revoked)."""

from __future__ import annotations

import base64

import httpx
import pytest

from bot.sandbox import SANDBOX_KEY_ID, SANDBOX_KEY_SECRET, SandboxServer
from tests.fakes import FakeClock
from tests.sandbox.conftest import PROJECT_PATH, TOKEN_LIFETIME, Api, fetch_token

EXPIRED = 'Bearer error="invalid_token", error_description="expired"'
FORM = {"grant_type": "client_credentials"}


async def test_token_has_the_wire_format_the_sdks_parse(client: httpx.AsyncClient):
    response = await client.post(
        "/oauth2/token", data=FORM, auth=(SANDBOX_KEY_ID, SANDBOX_KEY_SECRET)
    )

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "expires_in", "scope", "token_type"}
    assert body["expires_in"] == TOKEN_LIFETIME
    assert body["scope"] == ""
    assert body["token_type"] == "bearer"
    assert isinstance(body["access_token"], str)
    assert len(body["access_token"]) >= 32
    assert response.headers["cache-control"] == "no-store"


async def test_every_fetch_issues_a_new_token_and_is_counted(
    client: httpx.AsyncClient, sandbox: SandboxServer
):
    tokens = {await fetch_token(client) for _ in range(3)}

    assert len(tokens) == 3
    assert sandbox.state.token_fetches == 3
    assert sandbox.state.tokens_issued == 3


def basic(key_id: str, key_secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key_id}:{key_secret}".encode()).decode()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": basic(SANDBOX_KEY_ID, "wrong-secret")},
        {"Authorization": basic("wrong-id", SANDBOX_KEY_SECRET)},
        {"Authorization": basic(SANDBOX_KEY_ID, "")},
        {"Authorization": f"Bearer {SANDBOX_KEY_SECRET}"},
    ],
)
async def test_token_needs_the_sandbox_key(
    client: httpx.AsyncClient, sandbox: SandboxServer, headers: dict[str, str]
):
    response = await client.post("/oauth2/token", data=FORM, headers=headers)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")
    assert sandbox.state.tokens_issued == 0


@pytest.mark.parametrize(
    "header", ["Basic !!!not-base64", "Basic " + base64.b64encode(b"no-colon").decode()]
)
async def test_token_rejects_malformed_basic_auth(client: httpx.AsyncClient, header: str):
    response = await client.post("/oauth2/token", data=FORM, headers={"Authorization": header})

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("form", [{}, {"grant_type": "password"}, {"grant_type": "refresh_token"}])
async def test_token_needs_the_client_credentials_grant(
    client: httpx.AsyncClient, form: dict[str, str]
):
    response = await client.post(
        "/oauth2/token", data=form, auth=(SANDBOX_KEY_ID, SANDBOX_KEY_SECRET)
    )

    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"
    assert "access_token" not in response.text


async def test_token_endpoint_only_takes_post(client: httpx.AsyncClient):
    response = await client.get("/oauth2/token")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == 405


async def test_a_valid_token_is_accepted_until_its_lifetime_ends(api: Api, fake_clock: FakeClock):
    fake_clock.advance(TOKEN_LIFETIME - 0.5)

    response = await api.get("availableRegions")

    assert response.status_code == 200


async def test_an_expired_token_gets_401_with_expired_in_www_authenticate(
    api: Api, fake_clock: FakeClock, sandbox: SandboxServer
):
    fake_clock.advance(TOKEN_LIFETIME)

    response = await api.get("availableNumbers", {"regionCode": "US", "type": "LOCAL"})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == EXPIRED
    assert response.json()["error"]["status"] == "UNAUTHENTICATED"
    assert sandbox.state.numbers_unauthorized == 1


async def test_a_new_token_works_after_the_old_one_expired(
    api: Api, client: httpx.AsyncClient, fake_clock: FakeClock
):
    fake_clock.advance(TOKEN_LIFETIME + 1)
    assert (await api.get("availableRegions")).status_code == 401

    api.token = await fetch_token(client)

    assert (await api.get("availableRegions")).status_code == 200


async def test_a_revoked_token_gets_401_without_expired(
    api: Api, client: httpx.AsyncClient, sandbox: SandboxServer
):
    assert sandbox.state.revoke_all_tokens() == 1

    response = await api.get("availableRegions")

    assert response.status_code == 401
    assert "expired" not in response.headers["www-authenticate"]
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    api.token = await fetch_token(client)
    assert (await api.get("availableRegions")).status_code == 200


@pytest.mark.parametrize(
    "authorization", [None, "Bearer made-up-token", "Bearer", "Token abc", "Basic Zm9vOmJhcg=="]
)
async def test_missing_or_unknown_credentials_get_401_without_expired(
    client: httpx.AsyncClient, authorization: str | None
):
    headers = {"Authorization": authorization} if authorization is not None else {}

    response = await client.get(f"{PROJECT_PATH}/availableRegions", headers=headers)

    assert response.status_code == 401
    assert "expired" not in response.headers["www-authenticate"]
    assert response.json()["error"]["code"] == 401


async def test_numbers_api_also_takes_the_key_with_basic_auth(client: httpx.AsyncClient):
    response = await client.get(
        f"{PROJECT_PATH}/availableRegions", auth=(SANDBOX_KEY_ID, SANDBOX_KEY_SECRET)
    )

    assert response.status_code == 200


async def test_state_never_shows_a_token(api: Api, sandbox: SandboxServer):
    assert api.token not in repr(sandbox.state)
    assert api.token not in str(sandbox.state.stats())
    assert api.token not in str(vars(sandbox.state))
