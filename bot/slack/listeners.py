"""The /numbers listener and its buttons: ack at once, look up, answer through the response_url.

This is the one catch boundary for a command: bad input, Sinch failures and bugs all end in
a specific ephemeral reply, never silence.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
import re
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.active.summary import ActiveSummary
from bot.commands.number_change import parse_number_command
from bot.commands.parser import parse_command
from bot.commands.usage import COMMAND
from bot.commands.watch import parse_watch_command
from bot.core.clock import Clock
from bot.core.domain import ActiveQuery, HelpQuery, NumberType, Query, RegionsQuery, SearchQuery
from bot.core.errors import CommandError, SinchError, SinchTimeoutError
from bot.ops.audit import CommandTrace, audit_command, start_trace
from bot.search.results import ActiveResult, RegionsResult, Result, SearchResult
from bot.search.service import NumbersService
from bot.slack import (
    active_blocks,
    error_blocks,
    help_blocks,
    regions_blocks,
    search_blocks,
    summary_blocks,
)
from bot.slack.delivery import ResponseSender
from bot.slack.gate import Gate
from bot.slack.number_changes import NumberChangeFlow
from bot.slack.search_form import FormDeps, SearchForm
from bot.slack.watches import WatchFlow

log = logging.getLogger(__name__)

# Every command gets an answer (results or an error) within this many seconds of its arrival.
ANSWER_BUDGET = 13.0
# A response_url works for 30 minutes, so a redelivery of a command can only come within that.
REDELIVERY_WINDOW = 30 * 60.0
MAX_REMEMBERED_DELIVERIES = 10_000

Message = dict[str, Any]
Observer = Callable[[str, str, float], None]


@dataclass
class CommandDeps:
    """What the listeners need, handed in by the composition root."""

    service: NumbersService
    sender: ResponseSender
    clock: Clock
    gate: Gate
    sandbox: bool = False
    # Called as observe(kind, outcome, seconds) once per command (metrics).
    observe: Observer | None = None
    # rent / release / show NUMBER, and the Rent button on search results.
    number_changes: NumberChangeFlow | None = None
    # watch SEARCH, watches, unwatch ID, and the Stop-watching button.
    watches: WatchFlow | None = None


class InflightCommands:
    """Runs the work that follows an ack as tasks, so shutdown can let them finish."""

    def __init__(self) -> None:
        # Strong references: the loop keeps only weak ones to tasks.
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        # The work catches everything itself; this is only the safety net for a bug there.
        if not task.cancelled() and task.exception() is not None:
            log.error("command work failed", exc_info=task.exception())

    def __len__(self) -> int:
        return len(self._tasks)

    async def drain(self, timeout: float) -> int:
        """Wait up to ``timeout`` s for in-flight commands; returns how many were still running."""
        pending = {t for t in self._tasks if t is not asyncio.current_task()}
        if not pending:
            return 0
        _, still = await asyncio.wait(pending, timeout=timeout)
        return len(still)

    async def cancel_remaining(self) -> int:
        """Cancel the commands still running and wait until they ended; returns how many."""
        pending = {t for t in self._tasks if t is not asyncio.current_task() and not t.done()}
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
        return len(pending)


class RecentDeliveries:
    """Recognises a command Slack delivers twice, so the user is not answered twice.

    Slack may deliver one invocation again: a retry (``X-Slack-Retry-Num``) when the first
    delivery looked slow or failed, or a replay of the same request. Either way the payload is
    the same, including the ``response_url`` and ``trigger_id`` that each invocation gets anew,
    so the whole payload is the key: the same words typed again are a new command. A repeated
    delivery is acked with an empty body, which shows the user nothing, and does no work; the
    first delivery's answer arrives as usual. Payloads without either ID are never deduplicated.
    Only lookups are checked: answers given in the ack alone (help, bad input, refusals) are
    harmless to repeat, since Slack shows one HTTP answer per delivery and nothing is posted.

    Keys are kept as SHA-256 digests (a response_url is a bearer capability), for the URL's
    30-minute life and at most ``max_entries`` of them. The memory is per process: with several
    workers, a redelivery reaching another worker is answered again, which only replaces the
    ephemeral reply with the same content.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        window: float = REDELIVERY_WINDOW,
        max_entries: int = MAX_REMEMBERED_DELIVERIES,
    ) -> None:
        self._clock = clock
        self._window = window
        self._max_entries = max_entries
        self._expiry: OrderedDict[str, float] = OrderedDict()  # oldest first

    def first_delivery(self, command: Mapping[str, Any]) -> bool:
        """Record ``command``; False if it was already delivered within the window."""
        if not (command.get("response_url") or command.get("trigger_id")):
            return True  # nothing identifies the invocation: never drop a command
        digest = _digest(command)
        now = self._clock.now()
        while self._expiry and next(iter(self._expiry.values())) <= now:
            self._expiry.popitem(last=False)
        if digest in self._expiry:
            return False
        self._expiry[digest] = now + self._window
        if len(self._expiry) > self._max_entries:
            self._expiry.popitem(last=False)
        return True

    def forget(self, command: Mapping[str, Any]) -> None:
        """Let ``command`` through again (its first delivery did not do what it was for)."""
        self._expiry.pop(_digest(command), None)


def _digest(command: Mapping[str, Any]) -> str:
    payload = json.dumps(command, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def kind_of(query: Query) -> str:
    return {
        SearchQuery: "search",
        RegionsQuery: "regions",
        ActiveQuery: "active",
        HelpQuery: "help",
    }[type(query)]


def result_count(result: Result) -> int:
    if isinstance(result, SearchResult):
        return len(result.shown)
    if isinstance(result, RegionsResult):
        return len(result.regions)
    if isinstance(result, ActiveSummary):
        return result.counted
    return len(result.numbers)


def register(app: AsyncApp, deps: CommandDeps, inflight: InflightCommands) -> None:
    """Attach the /numbers command and its button actions to ``app``."""
    handler = NumbersHandler(deps, inflight)
    app.command(COMMAND)(handler.on_command)
    app.action(search_blocks.SHARE_ACTION)(handler.on_share)
    app.action(active_blocks.NEXT_PAGE_ACTION)(handler.on_next_page)
    app.action(search_blocks.SHOW_MORE_ACTION)(handler.on_show_more)
    app.action(re.compile(rf"^{summary_blocks.REGION_ACTION}:"))(handler.on_region)
    handler.form.register(app)
    if deps.number_changes is not None:
        deps.number_changes.register(app)
    if deps.watches is not None:
        deps.watches.register(app)


class NumbersHandler:
    def __init__(self, deps: CommandDeps, inflight: InflightCommands) -> None:
        self._d = deps
        self._inflight = inflight
        self._deliveries = RecentDeliveries(clock=deps.clock)
        self.form = SearchForm(
            FormDeps(
                service=deps.service,
                gate=deps.gate,
                sender=deps.sender,
                clock=deps.clock,
                spawn=inflight.spawn,
                answer=lambda query, started, viewer: self._answer(query, started, viewer=viewer),
                audit=lambda ids, text: _CommandAudit(deps, dict(ids), text, start_trace()),
            )
        )
        # Each search message is shared at most once: a redelivered or double Share click of it
        # (same response_url, same search) posts nothing more.
        self._shares = RecentDeliveries(clock=deps.clock)

    async def on_command(
        self, ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """Ack at once; answers that need no lookup go in the ack, lookups follow by response_url.

        Slack cannot replace a slash command's ack message from its response_url, so a lookup
        is acked with an empty body (Slack shows nothing) and its answer is the one message the
        user sees. The app runs with process_before_response=True: Bolt answers Slack as soon as
        this returns, without polling for the ack.
        """
        trace = start_trace()
        text = str(command.get("text") or "")
        audit = _CommandAudit(self._d, command, text, trace)
        refusal = self._d.gate.refusal(**audit.ids)
        if refusal is not None:
            await ack(**refusal.message)
            return audit.finish(outcome=refusal.outcome)
        if not text.strip():
            # `/numbers` alone opens the search form. Its trigger_id lasts 3 s: nothing is
            # fetched before views.open.
            audit.kind = "form"
            await ack()
            if not self._deliveries.first_delivery(command):
                return None  # its trigger_id opened the form already
            finish = lambda outcome: audit.finish(outcome=outcome)  # noqa: E731
            self._inflight.spawn(self.form.open_for_command(client, command, finish))
            return None
        try:
            watch_command = parse_watch_command(text)
            number_command = parse_number_command(text) if watch_command is None else None
            plain = watch_command is None and number_command is None
            query = parse_command(text) if plain else HelpQuery()
        except CommandError as err:
            await ack(**error_blocks.render_command_error(err))
            return audit.finish(outcome="bad_input")
        if watch_command is not None and self._d.watches is not None:
            audit.kind = "watch"
            finish_watch = lambda outcome: audit.finish(outcome=outcome)  # noqa: E731
            return await self._d.watches.on_command(ack, command, watch_command, finish_watch)
        if number_command is not None and self._d.number_changes is not None:
            audit.kind = number_command.action
            finish = lambda outcome: audit.finish(outcome=outcome)  # noqa: E731
            return await self._d.number_changes.on_command(ack, command, number_command, finish)
        audit.kind = kind_of(query)
        if isinstance(query, HelpQuery):
            await ack(**help_blocks.render_help())
            return audit.finish(outcome="ok")
        if not self._deliveries.first_delivery(command):
            log.info("ignored a repeated delivery of a %s command", COMMAND)
            await ack()
            return None
        # Slack needs the ack within 3 s: it never waits on Sinch or a token fetch.
        await ack()
        self._inflight.spawn(self._lookup(query, str(command.get("response_url")), audit))
        return None

    def _refuse_button(self, body: dict[str, Any]) -> bool:
        """Answer a refused click through its response_url (a button's ack shows nothing)."""
        refusal = self._d.gate.click_refusal(body)
        if refusal is None:
            return False
        response_url = str(body.get("response_url") or "")
        # A new ephemeral message: the results the button sits under stay as they were.
        self._inflight.spawn(self._reply(response_url, _beside(refusal.message)))
        return True

    async def _reply(self, response_url: str, message: Message) -> None:
        await self._d.sender.send(response_url, message)

    async def _lookup(self, query: Query, response_url: str, audit: _CommandAudit) -> None:
        viewer = str(audit.ids["user_id"] or "")
        message, outcome, result = await self._answer(query, audit.started, viewer=viewer)
        await self._d.sender.send(response_url, message)
        audit.finish(outcome=outcome, count=None if result is None else result_count(result))

    async def _answer(
        self,
        query: Query,
        started: float,
        *,
        shared_by: str | None = None,
        page: int = 1,
        viewer: str | None = None,
    ) -> tuple[Message, str, Result | None]:
        """Run the query within the command's budget and render the outcome, whatever it is."""
        remaining = max(0.5, ANSWER_BUDGET - (self._d.clock.now() - started))
        try:
            async with asyncio.timeout(remaining):
                result = await self._d.service.run(query)
        except CommandError as err:
            return error_blocks.render_command_error(err), "bad_input", None
        except TimeoutError:
            log.warning("command ran out of its %g s budget", ANSWER_BUDGET)
            timeout = SinchTimeoutError("no answer from Sinch within the command's time budget")
            return error_blocks.render_sinch_error(timeout), "sinch_timeout", None
        except SinchError as err:
            log.warning("Sinch lookup failed: %s: %s", type(err).__name__, err)
            return error_blocks.render_sinch_error(err), _outcome_of(err), None
        except Exception:
            log.exception("unexpected error while answering a command")
            return error_blocks.render_internal_error(), "internal_error", None
        message = self._render(result, shared_by=shared_by, page=page, viewer=viewer)
        return message, "ok", result

    def _render(
        self, result: Result, *, shared_by: str | None, page: int, viewer: str | None = None
    ) -> Message:
        sandbox = self._d.sandbox
        if isinstance(result, SearchResult):
            # Rent buttons only in the viewer's own ephemeral copy, never in a shared one.
            flow = self._d.number_changes
            rent = flow.rent_accessory(viewer) if flow and viewer and not shared_by else None
            return search_blocks.render_search(
                result,
                sandbox=sandbox,
                shareable=shared_by is None,
                shared_by=shared_by,
                accessory=rent,
            )
        if isinstance(result, RegionsResult):
            return regions_blocks.render_regions(result, sandbox=sandbox)
        if isinstance(result, ActiveSummary):
            return summary_blocks.render_active_summary(result, sandbox=sandbox)
        assert isinstance(result, ActiveResult)
        return active_blocks.render_active(result, sandbox=sandbox, page=page)

    async def on_share(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        if self._refuse_button(body):
            return
        once = {"response_url": body.get("response_url"), "share": action.get("value")}
        if not self._shares.first_delivery(once):
            log.info("ignored a repeated Share of one search message")
            return
        self._inflight.spawn(self._share(body, action, once))

    async def _share(
        self, body: dict[str, Any], action: dict[str, Any], once: dict[str, Any]
    ) -> None:
        """Re-post a search publicly, attributed to the sharer, and update the ephemeral copy."""
        started = self._d.clock.now()
        start_trace()
        user_id = str((body.get("user") or {}).get("id") or "")
        response_url = str(body.get("response_url") or "")
        try:
            query = parse_command(str(action.get("value") or ""))
        except CommandError as err:
            await self._d.sender.send(response_url, error_blocks.render_command_error(err))
            return
        message, outcome, _ = await self._answer(query, started, shared_by=user_id)
        if outcome != "ok":
            self._shares.forget(once)  # nothing was posted: the button may be tried again
            await self._d.sender.send(response_url, {**message, "replace_original": False})
            return
        await self._d.sender.send(
            response_url, {**message, "response_type": "in_channel", "replace_original": False}
        )
        await self._d.sender.send(
            response_url, {**search_blocks.render_shared_notice(user_id), "replace_original": True}
        )

    async def on_next_page(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]
    ) -> None:
        """Fetch the next page of active numbers with Sinch's pageToken, replacing the page."""
        await self._on_rerun(ack, body, action, _decode_page_value, replace=True)

    async def on_show_more(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]
    ) -> None:
        """The next numbers of the same search (usually from the cache), replacing the message."""
        await self._on_rerun(
            ack, body, action, lambda value: (_decode_more_value(value), 1), replace=True
        )

    async def on_region(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        """A summary's region button: list that region's numbers below the summary."""
        await self._on_rerun(
            ack, body, action, lambda value: (_decode_region_value(value), 1), replace=False
        )

    async def _on_rerun(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        decode: Callable[[str], tuple[Query, int]],
        *,
        replace: bool,
    ) -> None:
        await ack()
        if not self._refuse_button(body):
            self._inflight.spawn(self._rerun(body, action, decode, replace=replace))

    async def _rerun(
        self,
        body: dict[str, Any],
        action: dict[str, Any],
        decode: Callable[[str], tuple[Query, int]],
        *,
        replace: bool,
    ) -> None:
        """A button that runs a query from its value: the answer replaces the message it sits
        in, or (``replace=False``) comes below it. A value that does not decode gets a hint."""
        started = self._d.clock.now()
        start_trace()
        response_url = str(body.get("response_url") or "")
        try:
            query, page = decode(str(action.get("value") or ""))
        except CommandError as err:
            await self._d.sender.send(response_url, error_blocks.render_command_error(err))
            return
        viewer = str((body.get("user") or {}).get("id") or "")
        message, _, _ = await self._answer(query, started, page=page, viewer=viewer)
        await self._d.sender.send(response_url, {**message, "replace_original": replace})


class _CommandAudit:
    """The audit line and metrics of one command, written once it has its outcome."""

    def __init__(
        self, deps: CommandDeps, command: dict[str, Any], text: str, trace: CommandTrace
    ) -> None:
        self._d = deps
        self._trace = trace
        self.text = text
        self.started = deps.clock.now()
        self.kind = "unknown"
        self.ids = {
            "team_id": command.get("team_id"),
            "channel_id": command.get("channel_id"),
            "user_id": command.get("user_id"),
        }

    def finish(self, *, outcome: str, count: int | None = None) -> None:
        elapsed = self._d.clock.now() - self.started
        audit_command(
            **self.ids,
            text=self.text,
            kind=self.kind,
            outcome=outcome,
            result_count=count,
            upstream_calls=self._trace.sinch_calls,
            latency_ms=elapsed * 1000,
        )
        if self._d.observe is not None:
            self._d.observe(self.kind, outcome, elapsed)


def _beside(message: Message) -> Message:
    """``message`` as a reply that leaves the message it answers in place."""
    return {**message, "response_type": "ephemeral", "replace_original": False}


def _decode_page_value(value: str) -> tuple[ActiveQuery, int]:
    """The Next-page button carries region/type/page_token/page as compact JSON."""
    try:
        data = json.loads(value)
        region = data.get("region") or None
        type_ = NumberType(data["type"]) if data.get("type") else None
        token = str(data["page_token"])
        page = int(data.get("page", 2))
    except (ValueError, KeyError, TypeError, AttributeError):
        raise CommandError("That button has expired; run the command again.") from None
    return ActiveQuery(region=region, type=type_, page_token=token), page


def _decode_region_value(value: str) -> ActiveQuery:
    """A region button carries region (and type) as compact JSON; the service validates them."""
    try:
        data = json.loads(value)
        region = str(data["region"])
        type_ = NumberType(data["type"]) if data.get("type") else None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise CommandError("That button has expired; run the command again.") from None
    return ActiveQuery(region=region, type=type_)


def _decode_more_value(value: str) -> SearchQuery:
    """The Show-more button carries the command text and the offset of the next page."""
    try:
        data = json.loads(value)
        text, offset = str(data["q"]), int(data["o"])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise CommandError("That button has expired; run the command again.") from None
    query = parse_command(text)  # raises CommandError for anything that is not a search
    if not isinstance(query, SearchQuery) or not 0 < offset <= 10_000:
        raise CommandError("That button has expired; run the command again.")
    return dataclasses.replace(query, offset=offset)


def _outcome_of(err: SinchError) -> str:
    """The audit/metrics outcome: sinch_timeout, sinch_unavailable, sinch_token_unavailable, …"""
    name = type(err).__name__.removeprefix("Sinch").removesuffix("Error")
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
    return f"sinch_{snake or 'error'}"
