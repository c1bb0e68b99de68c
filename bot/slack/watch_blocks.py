"""Block Kit for watches (pure): the confirmation, the DMs, the list, and the Home tab's part."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from bot.commands.usage import COMMAND
from bot.search.results import SearchResult
from bot.sinch.models import AvailableNumber
from bot.slack.blocks import (
    MAX_BLOCKS,
    Block,
    Message,
    _button,
    _context,
    _header,
    _message,
    _section,
    _user,
)
from bot.slack.search_blocks import available_text, render_search
from bot.watch.model import Watch, WatchStatus

STOP_ACTION = "numbers_watch_stop"

Accessory = Callable[[AvailableNumber], Block | None]


def when(epoch: float) -> str:
    """A time in each reader's own time zone (Slack's date token), UTC as the fallback."""
    fallback = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(epoch)}^{{date_short_pretty}} {{time}}|{fallback}>"


def every(seconds: float) -> str:
    """900 → "15 min", 30 → "30 s", 7200 → "2 h"."""
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.3g} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.3g} h"


def ago(seconds: float) -> str:
    return f"{every(round(seconds))} ago"


def _code(text: str) -> str:
    """A command as a code span; the search text came from a user, so it is escaped."""
    return "`" + _user(text.replace("`", "'"), 200) + "`"


def _search(watch: Watch) -> str:
    return _code(f"{COMMAND} {watch.search}")


def stop_button(watch: Watch) -> Block:
    return _button("Stop watching", STOP_ACTION, str(watch.id))


def render_watch_started(
    watch: Watch,
    result: SearchResult,
    *,
    interval: float,
    sandbox: bool = False,
    accessory: Accessory | None = None,
) -> Message:
    """The reply to `watch …`: what is watched, how often, until when, and what is there now."""
    now = render_search(result, sandbox=sandbox, shareable=False, accessory=accessory)
    count = len(result.numbers)
    noun = "number matches" if count == 1 else "numbers match"
    available = (
        "Nothing matches right now."
        if not count
        else f"{count} {noun} right now (below): they are not news, so they are not DMed."
    )
    intro = _section(
        f":eyes: Watching {_search(watch)} (watch *{watch.id}*): I'll search every"
        f" {every(interval)} until {when(watch.expires_at)} and DM you each number that"
        f" appears. {available}"
    )
    blocks = [intro, *now["blocks"]]
    if len(blocks) > MAX_BLOCKS:
        blocks = [*blocks[: MAX_BLOCKS - 1], _context("…more in the search itself.")]
    return _message(f"Watching {COMMAND} {watch.search} (watch {watch.id})", blocks)


def render_number_dm(
    watch: Watch, offer: AvailableNumber, *, accessory: Block | None, sandbox: bool = False
) -> Message:
    """One new number: the number, place, capabilities, prices, Rent (if allowed), Stop."""
    number = _section(available_text(offer))
    if accessory is not None:
        number = {**number, "accessory": accessory}
    blocks: list[Block] = [
        _section(f":bell: A new number for {_search(watch)} (watch *{watch.id}*):"),
        number,
    ]
    if sandbox:
        blocks.append(_context(":test_tube: Sandbox data — fictional numbers, not rentable."))
    blocks.append({"type": "actions", "elements": [stop_button(watch)]})
    return _message(f"New number for {COMMAND} {watch.search}: {offer.phone_number}", blocks)


def render_expired_dm(watch: Watch) -> Message:
    found = f"{watch.found} new number{'s' if watch.found != 1 else ''}"
    text = (
        f":hourglass: Your watch *{watch.id}* of {_search(watch)} ended: watches last until"
        f" {when(watch.expires_at)}. It found {found}. To keep watching, start it again:"
        f" {_code(f'{COMMAND} watch {watch.search}')}"
    )
    return _message(f"Your watch {watch.id} of {COMMAND} {watch.search} ended", [_section(text)])


def watch_line(watch: Watch, now: float) -> str:
    """*3* · `/numbers seattle` · since … · last run 5 min ago · 2 found (· paused: why)."""
    last = (
        "not run yet" if watch.last_run_at is None else f"last run {ago(now - watch.last_run_at)}"
    )
    line = (
        f"*{watch.id}* · {_search(watch)} · since {when(watch.created_at)} · {last}"
        f" · {watch.found} found · until {when(watch.expires_at)}"
    )
    if watch.status is WatchStatus.PAUSED:
        line += f"\n:warning: Paused: {_user(watch.reason or 'Slack refused its DMs', 200)}."
    return line


def render_watch_list(watches: Sequence[Watch], *, now: float, limit: int) -> Message:
    """`/numbers watches`: each live watch with a Stop button."""
    if not watches:
        return _message(
            "You have no watches.",
            [
                _section(
                    f"You have no watches. Start one with `{COMMAND} watch SEARCH`, e.g."
                    f" `{COMMAND} watch seattle sms max:2`."
                )
            ],
        )
    blocks: list[Block] = [_header(f"Your watches ({len(watches)} of {limit})")]
    blocks += [
        {**_section(watch_line(w, now)), "accessory": stop_button(w)}
        for w in watches[: MAX_BLOCKS - 2]
    ]
    blocks.append(_context(f"`{COMMAND} unwatch ID` stops one too."))
    return _message(f"Your watches: {len(watches)}", blocks)


def render_notice(text: str) -> Message:
    return _message(text, [_section(text)])


def render_stopped(watch: Watch) -> Message:
    return render_notice(
        f":white_check_mark: Stopped watch *{watch.id}* ({_search(watch)}): no more DMs from it."
    )


def render_no_such_watch(watch_id: int) -> Message:
    return render_notice(
        f"You have no running watch *{watch_id}*. `{COMMAND} watches` lists yours."
    )


def render_limit_reached(limit: int) -> Message:
    return render_notice(
        f":no_entry: You already have {limit} watches, the most one person may have"
        f" (`WATCH_MAX_PER_USER`). Stop one first: `{COMMAND} watches` lists them."
    )


def home_blocks(watches: Sequence[Watch], *, now: float, undelivered: int = 0) -> list[Block]:
    """The Home tab's part: the viewer's watches, and why any is paused."""
    if not watches:
        return []
    blocks: list[Block] = [{"type": "divider"}, _section("*Your watches*")]
    blocks += [_section(watch_line(w, now)) for w in watches[:10]]
    if undelivered:
        blocks.append(
            _context(
                f":warning: {undelivered} watch DM(s) may not have arrived (Slack refused them, or"
                " the bot restarted while sending). The numbers are listed above as found."
            )
        )
    return blocks
