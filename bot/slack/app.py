"""build_bolt_app(): the Bolt AsyncApp for /numbers, with its Web API client on SLACK_API_URL."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.logger.messages import warning_token_skipped
from slack_sdk.web.async_client import AsyncWebClient

from bot.ops.config import Settings
from bot.slack.home import HomeStatus, ViewerBlocks, register_home
from bot.slack.listeners import CommandDeps, InflightCommands, register
from bot.slack.token_check import SlackTokenCheck

Authorize = Callable[..., Awaitable[AuthorizeResult]]


def build_bolt_app(
    settings: Settings,
    deps: CommandDeps,
    inflight: InflightCommands,
    *,
    home_status: Callable[[], HomeStatus],
    authorize: Authorize | None = None,
    token_check: SlackTokenCheck | None = None,
    home_viewer: ViewerBlocks | None = None,
) -> AsyncApp:
    """Secrets are unwrapped here, where they are handed to Bolt, and nowhere else.

    With ``token_check``, its start-up auth.test answers Bolt's authorization and a refused
    token stops every request before it (see bot.slack.token_check).
    """
    if token_check is not None and authorize is None:
        authorize = token_check.authorize
    bot_token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    signing_secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    # Bolt builds its own Web API client from the token (with authorize= the token comes from
    # the authorize result instead). Not client=: Bolt also reads SLACK_BOT_TOKEN from the
    # environment, and a client next to that token logs a WARNING at every start. For the same
    # reason authorize= (the start-up token check's answer) makes Bolt warn that the token from
    # the environment is unused: it is used, through authorize, so that one notice is dropped.
    bolt_log = logging.getLogger("bot.slack.bolt")
    quiet = _DropMessage(warning_token_skipped())
    bolt_log.addFilter(quiet)
    try:
        app = _bolt_app(bot_token, signing_secret, authorize, token_check, bolt_log)
    finally:
        bolt_log.removeFilter(quiet)
    # Our base_url (GovSlack, test stubs): Bolt copies it into every request's client.
    app.client.base_url = settings.slack_api_url
    register(app, deps, inflight)
    register_home(app, home_status, home_viewer)
    return app


def build_web_client(settings: Settings) -> AsyncWebClient:
    """A Web API client outside any request (a watch's DMs), on SLACK_API_URL."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return AsyncWebClient(token=token, base_url=settings.slack_api_url)


def _bolt_app(
    bot_token: str | None,
    signing_secret: str | None,
    authorize: Authorize | None,
    token_check: SlackTokenCheck | None,
    logger: logging.Logger,
) -> AsyncApp:
    return AsyncApp(
        token=None if authorize else bot_token,
        signing_secret=signing_secret or "socket-mode-has-no-signature",
        authorize=authorize,
        before_authorize=token_check.before_authorize if token_check is not None else None,
        # Listeners ack and return at once, handing lookups to tasks of their own
        # (listeners.InflightCommands); Bolt then answers without polling for the ack every 10 ms.
        process_before_response=True,
        # Every HTTP request reaches Bolt through /slack/events, whose route has verified its
        # signature already (bot.slack.inbound); a second HMAC in Bolt cost ~15 us a command.
        # Socket Mode requests carry no signature by design.
        request_verification_enabled=False,
        logger=logger,
    )


class _DropMessage(logging.Filter):
    def __init__(self, message: str) -> None:
        super().__init__()
        self._message = message

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self._message
