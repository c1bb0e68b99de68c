"""/slack/events before Bolt: a cap on the body's size, then the signature, then Bolt.

Bolt verifies signatures too, but on a bad one it logs the whole request body at INFO, and a
slash command's body holds its ``response_url`` (a bearer capability). So the route checks the
signature first, with the same algorithm (HMAC-SHA256 over ``v0:timestamp:body``, timestamps
more than 5 minutes off refused either way), refuses with Bolt's 401 and logs one WARNING that
says why, never what was sent. This route is the only way into Bolt over HTTP, so Bolt's own
check is off (bot.slack.app); its body-carrying log line stays dropped should it be turned on.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable, Mapping

from pydantic import SecretStr
from slack_bolt.adapter.starlette.async_handler import to_starlette_response
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from bot.slack.bolt_request import SlashCommandSafeRequest

log = logging.getLogger(__name__)

# Slack's payloads are a few KB (a slash command's text is at most 4,000 characters).
MAX_BODY_BYTES = 64 * 1024
# Slack's own rule for a request's age, both ways (a replayed or future-dated request).
MAX_CLOCK_SKEW = 5 * 60
BOLT_VERIFICATION_LOGGER = "slack_bolt.RequestVerification"


class BodyTooLarge(Exception):
    """The request body is over MAX_BODY_BYTES (declared or streamed)."""


async def read_capped_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body, refused as soon as it is known to exceed ``limit``: never read whole."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge  # stop reading here: the rest is never pulled off the socket
        chunks.append(chunk)
    return b"".join(chunks)


class SignatureCheck:
    """Slack's request signing, answering why a request is refused (None: it is Slack's)."""

    def __init__(self, signing_secret: SecretStr, *, now: Callable[[], float] = time.time) -> None:
        self._verifier = SignatureVerifier(signing_secret.get_secret_value())
        self._now = now

    def refusal(self, body: bytes, headers: Mapping[str, str]) -> str | None:
        timestamp = headers.get("x-slack-request-timestamp")
        signature = headers.get("x-slack-signature")
        if not timestamp or not signature:
            return "no signature"
        try:
            age = self._now() - int(timestamp)
        except ValueError:
            return "malformed timestamp"
        if age > MAX_CLOCK_SKEW:
            return "stale timestamp"
        if age < -MAX_CLOCK_SKEW:
            return "future-dated timestamp"
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return "body is not UTF-8"
        expected = self._verifier.generate_signature(timestamp=timestamp, body=text)
        if expected is None or not hmac.compare_digest(expected, signature):
            return "bad signature"
        return None


class _DropBodyLines(logging.Filter):
    """Bolt's "Invalid request signature detected (… body: …)" line; the route logs its own."""

    def filter(self, record: logging.LogRecord) -> bool:
        return False


_DROP_BODY_LINES = _DropBodyLines()


class SlackEvents:
    """The /slack/events endpoint: size cap, signature, then Bolt."""

    def __init__(self, bolt: AsyncApp, signing_secret: SecretStr) -> None:
        self._bolt = bolt
        self._check = SignatureCheck(signing_secret)
        # Adding the same filter object twice is a no-op (one app per process, many in tests).
        logging.getLogger(BOLT_VERIFICATION_LOGGER).addFilter(_DROP_BODY_LINES)

    async def handle(self, request: Request) -> Response:
        try:
            body = await read_capped_body(request)
        except BodyTooLarge:
            log.warning("refused a request to /slack/events: body over %d bytes", MAX_BODY_BYTES)
            return PlainTextResponse("request body too large", status_code=413)
        except ClientDisconnect:
            # Gone before its body arrived: nothing to answer, nobody to answer it to. Unsigned,
            # so one quiet line (uvicorn would log a traceback at ERROR for each one).
            log.debug("a client closed its connection to /slack/events before sending its body")
            return Response(status_code=400)
        reason = self._check.refusal(body, request.headers)
        if reason is not None:
            log.warning("refused a request to /slack/events: %s", reason)
            # The answer Bolt gives a request it cannot verify.
            return JSONResponse({"error": "invalid request"}, status_code=401)
        bolt_request = SlashCommandSafeRequest(
            body=body.decode("utf-8"), query=request.url.query, headers=dict(request.headers)
        )
        return to_starlette_response(await self._bolt.async_dispatch(bolt_request))
