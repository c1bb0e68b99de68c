"""`/numbers watch|watches|unwatch`, the Stop-watching button, and the DMs a watch sends.

The gate (allowlists, rate limit) has already let the command through when ``on_command`` runs:
an outsider never gets here, so cannot create a watch.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands.watch import ListWatches, StopWatch, WatchCommand, WatchSearch
from bot.core.clock import Clock
from bot.core.errors import CommandError, SinchError, StoreUnavailableError
from bot.search.results import SearchResult
from bot.search.service import NumbersService
from bot.sinch.models import AvailableNumber
from bot.slack import error_blocks
from bot.slack import watch_blocks as wb
from bot.slack.access import AccessPolicy
from bot.slack.blocks import Block
from bot.slack.delivery import ResponseSender
from bot.watch.model import Dm, DmKind, Watch, WatchLimitReached, WatchStore
from bot.watch.policy import DAY
from bot.watch.tick import DmRefused

log = logging.getLogger(__name__)

Message = dict[str, Any]
Spawn = Callable[[Coroutine[Any, Any, None]], None]
# The Rent button for numbers shown to one user (None: that user may not rent).
RentAccessory = Callable[[str], Callable[[AvailableNumber], Block | None]]
# A watch's first search answers within the same budget as a command's.
FIRST_SEARCH_BUDGET = 13.0
_DB_DOWN = (
    ":warning: The bot's database is unavailable, so watches cannot be read or changed right"
    " now. Try again shortly."
)


@dataclass
class WatchDeps:
    store: WatchStore
    service: NumbersService
    sender: ResponseSender
    clock: Clock  # wall-clock epoch seconds
    interval: float
    days: float
    max_per_user: int
    sandbox: bool = False
    rent_accessory: RentAccessory | None = None


class WatchFlow:
    def __init__(self, deps: WatchDeps, spawn: Spawn) -> None:
        self._d = deps
        self._spawn = spawn

    def register(self, app: AsyncApp) -> None:
        app.action(wb.STOP_ACTION)(self.on_stop)

    async def on_command(
        self,
        ack: AsyncAck,
        command: dict[str, Any],
        request: WatchCommand,
        finish: Callable[[str], None],
    ) -> None:
        # Every form touches the database or Sinch: ack now, answer by response_url.
        await ack()
        user = str(command.get("user_id") or "")
        team = str(command.get("team_id") or "")
        url = str(command.get("response_url") or "")
        if isinstance(request, WatchSearch):
            self._spawn(self._watch(request, user, team, url, finish))
        elif isinstance(request, ListWatches):
            self._spawn(self._list(user, url, finish))
        else:
            assert isinstance(request, StopWatch)
            self._spawn(self._unwatch(request.watch_id, user, url, finish))

    async def _watch(
        self, request: WatchSearch, user: str, team: str, url: str, finish: Callable[[str], None]
    ) -> None:
        try:
            async with asyncio.timeout(FIRST_SEARCH_BUDGET):
                result = await self._d.service.search(request.query)
        except TimeoutError:
            late = (
                ":warning: Sinch did not answer in time, so the watch was not started. Try again."
            )
            await self._d.sender.send(url, wb.render_notice(late))
            return finish("sinch_timeout")
        except SinchError as err:
            log.warning("a watch's first search failed: %s", type(err).__name__)
            await self._d.sender.send(url, error_blocks.render_sinch_error(err))
            return finish("sinch_error")
        except CommandError as err:
            await self._d.sender.send(url, error_blocks.render_command_error(err))
            return finish("bad_input")
        if result.failed_areas:
            # What those areas hold now would be DMed later as news: start from a full picture.
            areas = ", ".join(result.failed_areas[:8])
            partial = (
                f":warning: Sinch did not answer for {areas}, so the watch was not started:"
                " numbers there would later look new. Try again in a moment."
            )
            await self._d.sender.send(url, wb.render_notice(partial))
            return finish("sinch_partial")
        now = self._d.clock.now()
        try:
            watch = await self._d.store.create(
                owner=user,
                team=team,
                search=request.text,
                baseline=[n.phone_number for n in _everything(result)],
                now=now,
                expires_at=now + self._d.days * DAY,
                next_run_at=now + self._d.interval,
                max_per_user=self._d.max_per_user,
            )
        except WatchLimitReached as full:
            await self._d.sender.send(url, wb.render_limit_reached(full.limit))
            return finish("limit_reached")
        except StoreUnavailableError:
            await self._d.sender.send(url, wb.render_notice(_DB_DOWN))
            return finish("store_unavailable")
        accessory = self._d.rent_accessory(user) if self._d.rent_accessory else None
        message = wb.render_watch_started(
            watch, result, interval=self._d.interval, sandbox=self._d.sandbox, accessory=accessory
        )
        await self._d.sender.send(url, message)
        finish("ok")

    async def _list(self, user: str, url: str, finish: Callable[[str], None]) -> None:
        try:
            watches = await self._d.store.list_watches(owner=user, live_only=True)
        except StoreUnavailableError:
            await self._d.sender.send(url, wb.render_notice(_DB_DOWN))
            return finish("store_unavailable")
        message = wb.render_watch_list(watches, now=self._d.clock.now(), limit=self._d.max_per_user)
        await self._d.sender.send(url, message)
        finish("ok")

    async def _unwatch(
        self, watch_id: int, user: str, url: str, finish: Callable[[str], None]
    ) -> None:
        try:
            # Only the owner's own watch: another user's id is "no such watch" to them.
            stopped = await self._d.store.stop(watch_id, reason="stopped by its owner", owner=user)
        except StoreUnavailableError:
            await self._d.sender.send(url, wb.render_notice(_DB_DOWN))
            return finish("store_unavailable")
        if stopped is None:
            await self._d.sender.send(url, wb.render_no_such_watch(watch_id))
            return finish("not_found")
        await self._d.sender.send(url, wb.render_stopped(stopped))
        finish("ok")

    async def _reply(self, url: str, message: Message) -> None:
        await self._d.sender.send(url, message)

    async def home_blocks(self, user: str) -> list[Block]:
        """The viewer's watches on the Home tab, and why any paused (nothing if the database
        is down: the rest of the tab still shows)."""
        try:
            watches = await self._d.store.list_watches(owner=user, live_only=True)
            lost = await self._d.store.undelivered([w.id for w in watches]) if watches else {}
        except StoreUnavailableError:
            return []
        count = sum(len(numbers) for numbers in lost.values())
        return wb.home_blocks(watches, now=self._d.clock.now(), undelivered=count)

    async def on_stop(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        """Stop watching (in a DM or the list): only the owner's click stops the watch."""
        await ack()
        url = str(body.get("response_url") or "")
        user = str((body.get("user") or {}).get("id") or "")
        value = str(action.get("value") or "")
        if not value.isascii() or not value.isdigit() or len(value) > 12:
            expired = CommandError("That button has expired; run the command again.")
            self._spawn(self._reply(url, error_blocks.render_command_error(expired)))
            return
        self._spawn(self._unwatch(int(value), user, url, lambda _: None))


def owner_check(access: AccessPolicy) -> Callable[[Watch], str | None]:
    """Why a watch's owner may no longer watch: the allowlists changed since it started.

    The channel allowlist does not apply: a watch answers in a DM, not in a channel.
    """

    def check(watch: Watch) -> str | None:
        if access.team_ids and watch.team not in access.team_ids:
            return "its workspace is no longer in ALLOWED_TEAM_IDS"
        if access.user_ids and watch.owner not in access.user_ids:
            return "its owner is no longer in ALLOWED_USER_IDS"
        return None

    return check


def _everything(result: SearchResult) -> tuple[AvailableNumber, ...]:
    """Every number the search matched (not only the page shown): none of them is news."""
    return result.numbers


class SlackDmNotifier:
    """Sends a watch's DMs with ``chat.postMessage`` to the owner's user ID (the app's DM)."""

    def __init__(
        self, client: AsyncWebClient, *, rent_accessory: RentAccessory | None, sandbox: bool
    ) -> None:
        self._client = client
        self._rent = rent_accessory
        self._sandbox = sandbox

    async def send(self, dm: Dm) -> None:
        watch = dm.watch
        if dm.kind is DmKind.EXPIRED:
            message = wb.render_expired_dm(watch)
        else:
            assert dm.offer is not None
            # Whether the owner may rent is decided now, when the DM goes out.
            button = self._rent(watch.owner)(dm.offer) if self._rent else None
            message = wb.render_number_dm(watch, dm.offer, accessory=button, sandbox=self._sandbox)
        try:
            await self._client.chat_postMessage(channel=watch.owner, **message)
        except SlackApiError as err:
            code = str(err.response.get("error") or f"http_{err.response.status_code}")
            raise DmRefused(code[:60], retry_after=_retry_after(err)) from None
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as err:
            raise DmRefused(type(err).__name__[:60]) from None


def _retry_after(err: SlackApiError) -> float | None:
    """Slack's Retry-After (seconds) on a 429 ``ratelimited`` answer."""
    headers = err.response.headers or {}
    value = headers.get("Retry-After") or headers.get("retry-after")
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
