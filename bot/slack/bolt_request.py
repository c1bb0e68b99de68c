"""Starlette request → AsyncBoltRequest, with the fix for Bolt's "payload" substring quirk."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from slack_bolt.async_app import AsyncBoltRequest
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context


class SlashCommandSafeRequest(AsyncBoltRequest):
    """An AsyncBoltRequest that parses slash-command forms containing the word "payload".

    Bolt treats any form body containing the substring ``payload`` as an interactivity form and,
    finding no ``payload`` key, parses it as ``{}``: a command from ``#payload-ops`` or with the
    text ``payload`` matches no listener and the user sees ``http_client_error``. Signature
    verification is untouched: it always uses ``raw_body``.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self.mode == "http" and not self.body and self.raw_body:
            form = dict(parse_qsl(self.raw_body, keep_blank_values=True))
            if "command" in form and "payload" not in form:
                self.body = form
                self.context = build_async_context(AsyncBoltContext({}), form)

    def to_copyable(self) -> SlashCommandSafeRequest:
        return SlashCommandSafeRequest(
            body=self.raw_body if self.mode == "http" else self.body,
            query=self.query,
            headers=self.headers,
            context=self.context.to_copyable(),
            mode=self.mode,
        )
