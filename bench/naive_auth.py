"""The curl recipe as an httpx.Auth: POST the token endpoint before every Numbers request."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator

import httpx
from pydantic import SecretStr

from bot.core.errors import SinchAuthError, SinchConnectionError


class PerRequestTokenAuth(httpx.Auth):
    """Fetches a fresh access token for each request and stamps it: no cache, no refresh.

    This is the naive baseline the benchmark compares the bot's TokenProvider with. It is
    generous to the recipe: the token POSTs reuse kept-alive connections, which curl would not.
    """

    def __init__(
        self, *, http: httpx.AsyncClient, auth_url: str, key_id: str, key_secret: SecretStr
    ) -> None:
        self._http = http
        self._auth_url = auth_url
        self._basic = httpx.BasicAuth(key_id, key_secret.get_secret_value())
        self.fetches = 0

    def __repr__(self) -> str:
        return f"PerRequestTokenAuth(auth_url={self._auth_url!r}, fetches={self.fetches})"

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("PerRequestTokenAuth needs httpx.AsyncClient")

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        request.headers["Authorization"] = f"Bearer {await self._fetch()}"
        yield request

    async def _fetch(self) -> str:
        self.fetches += 1
        try:
            response = await self._http.post(
                self._auth_url, data={"grant_type": "client_credentials"}, auth=self._basic
            )
        except httpx.HTTPError as exc:
            raise SinchConnectionError(
                f"could not reach the Sinch token endpoint ({type(exc).__name__})"
            ) from None
        if not response.is_success:
            # The body is never echoed: on other answers it could hold a token.
            raise SinchAuthError(f"Sinch token endpoint answered HTTP {response.status_code}")
        try:
            token = response.json()["access_token"]
        except (ValueError, KeyError, TypeError):
            token = None
        if not isinstance(token, str) or not token:
            raise SinchConnectionError("Sinch token endpoint answered without an access token")
        return token
