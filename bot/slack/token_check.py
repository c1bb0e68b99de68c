"""SLACK_BOT_TOKEN, checked once with auth.test: a refused token is said once, at start-up.

Without this, a wrong bot token leaves /readyz 200 and Bolt's single-team authorization calls
auth.test lazily on every request until one succeeds, logging an error each time and showing
users "your installation with this app is no longer available". Here one ``auth.test`` call is
made when the app starts (and its answer stands in for Bolt's own), and when Slack refuses the
token:

- ONE error is logged naming SLACK_BOT_TOKEN and Slack's reason (never the token);
- /readyz answers 503 with that reason;
- every command and button is acked empty and answered through its response_url (which needs no
  bot token) with "the bot is misconfigured, tell its admins", before Bolt's authorization runs.

If Slack cannot be reached, or answers anything else, the token is not judged: one WARNING, the
bot serves as usual (its replies need no bot token) and the check is tried again on the next
request, until Slack answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import aiohttp
from pydantic import SecretStr
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.ops.config import Settings
from bot.slack import error_blocks
from bot.slack.delivery import ResponseSender
from bot.slack.listeners import InflightCommands

log = logging.getLogger(__name__)

# auth.test errors that mean the token itself is no good (not that Slack is having trouble).
REFUSED = frozenset(
    {"invalid_auth", "account_inactive", "token_revoked", "token_expired", "not_authed"}
)
# Seconds; short, as the first request may wait for it and Slack wants its ack within 3 s.
AUTH_TEST_TIMEOUT = 2

Lifespan = Callable[[Any], AbstractAsyncContextManager[None]]


class SlackTokenCheck:
    """Owns the one auth.test call, its verdict, and what the app does with a refused token."""

    def __init__(
        self,
        *,
        token: SecretStr,
        api_url: str,
        sender: ResponseSender,
        inflight: InflightCommands,
    ) -> None:
        self._token = token
        self._client = AsyncWebClient(
            token=token.get_secret_value(), base_url=api_url, timeout=AUTH_TEST_TIMEOUT
        )
        self._sender = sender
        self._inflight = inflight
        self._lock = asyncio.Lock()
        self._answer: AsyncSlackResponse | None = None
        self._attempted = False
        self._warned = False
        # Slack's error code when it refused the token, else None.
        self.refused: str | None = None

    @classmethod
    def of(
        cls, settings: Settings, sender: ResponseSender, inflight: InflightCommands
    ) -> SlackTokenCheck:
        assert settings.slack_bot_token is not None  # require("serve") made sure
        return cls(
            token=settings.slack_bot_token,
            api_url=settings.slack_api_url,
            sender=sender,
            inflight=inflight,
        )

    async def check(self) -> None:
        """Call auth.test unless Slack already answered it; concurrent callers share one call."""
        async with self._lock:
            if self._answer is not None or self.refused is not None:
                return
            try:
                self._answer = await self._client.auth_test()
            except SlackApiError as err:
                code = str(err.response.get("error") or f"HTTP {err.response.status_code}")
                if code in REFUSED:
                    self.refused = code
                    log.error(
                        "Slack refused SLACK_BOT_TOKEN (%s): commands are answered with "
                        "'the bot is misconfigured' until the token is fixed and the bot "
                        "restarted",
                        code,
                    )
                else:
                    self._warn_once(f"Slack answered {code}")
            except (aiohttp.ClientError, TimeoutError, OSError) as err:
                self._warn_once(f"could not reach Slack ({type(err).__name__})")
            finally:
                self._attempted = True

    def _warn_once(self, what: str) -> None:
        if not self._warned:
            self._warned = True
            log.warning(
                "could not check SLACK_BOT_TOKEN: %s; trying again on the next request", what
            )

    def not_ready_reason(self) -> str | None:
        """For /readyz: why the bot is not ready on Slack's side, or None."""
        if self.refused is not None:
            return f"Slack refused SLACK_BOT_TOKEN ({self.refused})"
        if not self._attempted:
            return "checking SLACK_BOT_TOKEN with Slack"
        return None

    async def before_authorize(
        self, body: dict[str, Any], next_: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        """Bolt's before_authorize middleware: a refused token stops the request here."""
        if not self._attempted:
            await self.check()  # start-up's call is under way: share it (bounded by its timeout)
        elif self._answer is None and self.refused is None and not self._lock.locked():
            # Not judged yet (Slack was unreachable): ask again, never delaying this ack.
            self._inflight.spawn(self.check())
        # Slack's URL check needs no token: it must still get its challenge back.
        if self.refused is None or body.get("type") == "url_verification":
            return await next_()
        response_url = body.get("response_url")
        if response_url:
            self._inflight.spawn(self._reply(str(response_url)))
        # An empty ack: the answer is the response_url message (commands and buttons alike).
        return BoltResponse(status=200, body="")

    async def _reply(self, response_url: str) -> None:
        await self._sender.send(
            response_url, {**error_blocks.render_bot_misconfigured(), "replace_original": False}
        )

    @property
    def authorize(self) -> Callable[..., Awaitable[AuthorizeResult]]:
        """Bolt's authorize: the start-up auth.test answer, so Bolt never calls it again.

        A plain function: Bolt passes arguments by the names in its signature (not ``self``).
        """

        async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
            token = self._token.get_secret_value()
            if self._answer is not None:
                return AuthorizeResult.from_auth_test_response(
                    auth_test_response=self._answer, bot_token=token
                )
            # Not judged (Slack unreachable): carry on; replies go through response_urls.
            return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=token)

        return authorize

    def around(self, lifespan: Lifespan) -> Lifespan:
        """``lifespan`` with the check started first (in the background) and stopped last."""

        @contextlib.asynccontextmanager
        async def wrapped(app: Any) -> AsyncIterator[None]:
            task = asyncio.create_task(self.check(), name="slack-token-check")
            try:
                async with lifespan(app):
                    yield
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

        return wrapped
