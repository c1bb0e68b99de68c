"""The search form: `/numbers` alone (or a "Search numbers" button) opens a modal.

Owns the modal (view builder), the region type-ahead (block_suggestion) and the submission
(view_submission). The fields are written as `/numbers` text and parsed by
bot.commands.parser, so the form and the command share one grammar: a field the parser refuses
is refused inside the modal, on that field, and nothing is searched. A valid search runs the
command's way (gate, budget, cache, SANDBOX label, Rent buttons) and is posted where the user
typed `/numbers` with chat.postEphemeral, or as a DM when that channel refuses, with the command
to type next time under it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands.parser import format_query, parse_command
from bot.commands.regions import complete_region, lookup_region, region_name
from bot.commands.usage import COMMAND
from bot.core.clock import Clock
from bot.core.domain import MAX_LIMIT, NumberType, SearchQuery
from bot.core.errors import CommandError, SinchError
from bot.search.cache import SearchCache
from bot.search.results import Result, SearchResult
from bot.search.service import NumbersService
from bot.slack import blocks, help_blocks
from bot.slack.delivery import ResponseSender
from bot.slack.gate import Gate

log = logging.getLogger(__name__)

Message = dict[str, Any]
View = dict[str, Any]

CALLBACK_ID = "numbers_search_form"
REGION_ACTION = "numbers_form_region"
# Block ids: Slack keys view.state.values by them, and an error is shown under one of them.
REGION_BLOCK = "region"
TYPE_BLOCK = "type"
PLACE_BLOCK = "place"
CAPABILITIES_BLOCK = "capabilities"
PATTERN_BLOCK = "pattern"
MATCH_BLOCK = "match"
OPTIONS_BLOCK = "options"
MAX_PRICE_BLOCK = "max_price"
LIMIT_BLOCK = "limit"
# Every other input has one element, under this action id.
VALUE = "value"

# Sinch's region list changes rarely; the type-ahead reads it from memory this long.
REGIONS_TTL = 15 * 60.0
# Slack waits about 3 s for options. A region list not fetched by then is not waited for: the
# answer lists every region the parser knows, and the fetch goes on to fill the cache.
OPTIONS_BUDGET = 1.5
# Slack shows at most 100 options.
MAX_OPTIONS = 100
_OPTION_TEXT_MAX = 75
# Slack does not document a length for a field's error; a parser hint is well under this.
_ERROR_MAX = 300

_TYPES = (
    (NumberType.LOCAL, "Local"),
    (NumberType.MOBILE, "Mobile"),
    (NumberType.TOLL_FREE, "Toll-free"),
)
_MATCHES = (("contains", "Contains"), ("ends", "Ends with"))
_OPTIONS = (("nodocs", "No documents needed"), ("sort:price", "Cheapest first (sort by price)"))
_CAPABILITIES = (("sms", "SMS"), ("voice", "Voice"))


class FormAudit(Protocol):
    """The command's audit line (bot.slack.listeners), written once the outcome is known."""

    started: float
    kind: str
    text: str

    def finish(self, *, outcome: str, count: int | None = None) -> None: ...


# Runs a query as the command does: budget, error messages, SANDBOX label, Rent buttons.
Answer = Callable[[SearchQuery, float, str], Awaitable[tuple[Message, str, Result | None]]]
StartAudit = Callable[[Mapping[str, str | None], str], FormAudit]
Spawn = Callable[[Coroutine[Any, Any, None]], None]


@dataclass(frozen=True)
class FormDeps:
    service: NumbersService
    gate: Gate
    sender: ResponseSender
    clock: Clock
    spawn: Spawn
    answer: Answer
    audit: StartAudit


# --- the modal (pure) -------------------------------------------------------------------


def _text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _option(value: str, text: str) -> dict[str, Any]:
    return {"text": _text(text), "value": value}


def _input(block_id: str, label: str, element: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": _text(label),
        "element": {**element, "action_id": element.get("action_id", VALUE)},
        **extra,
    }


def _hint(text: str) -> dict[str, Any]:
    return {"hint": _text(text)}


def render_form(channel_id: str | None) -> View:
    """The search form; ``channel_id`` (where `/numbers` was typed) rides in private_metadata."""
    types = [_option(t.value, label) for t, label in _TYPES]
    matches = [_option(value, label) for value, label in _MATCHES]
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": _text("Search numbers"),
        "submit": _text("Search"),
        "close": _text("Cancel"),
        "private_metadata": json.dumps({"channel": channel_id} if channel_id else {}),
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "Only the region is needed. The answer shows the"
                    f" `{COMMAND} …` command that does the same, for next time.",
                },
            },
            _input(
                REGION_BLOCK,
                "Region",
                {
                    "type": "external_select",
                    "action_id": REGION_ACTION,
                    "placeholder": _text("Type a country: swed, uk, US…"),
                    "min_query_length": 1,
                },
            ),
            _input(
                TYPE_BLOCK,
                "Type",
                {"type": "radio_buttons", "options": types, "initial_option": types[0]},
            ),
            _input(
                PLACE_BLOCK,
                "Place or area code",
                {
                    "type": "plain_text_input",
                    "placeholder": _text("seattle, 206, texas, near:+12065550123"),
                    "max_length": 100,
                },
                optional=True,
                **_hint("A city, state or province, an area code, or near: a phone number."),
            ),
            _input(
                CAPABILITIES_BLOCK,
                "Capabilities",
                {"type": "checkboxes", "options": [_option(v, t) for v, t in _CAPABILITIES]},
                optional=True,
            ),
            _input(
                PATTERN_BLOCK,
                "Digits or letters in the number",
                {
                    "type": "plain_text_input",
                    "placeholder": _text("555 or PIZZA"),
                    "max_length": 30,
                },
                optional=True,
                **_hint("Letters are keypad digits: PIZZA is 74992."),
            ),
            _input(
                MATCH_BLOCK,
                "The number…",
                {"type": "radio_buttons", "options": matches, "initial_option": matches[0]},
                optional=True,
            ),
            _input(
                OPTIONS_BLOCK,
                "Options",
                {"type": "checkboxes", "options": [_option(v, t) for v, t in _OPTIONS]},
                optional=True,
            ),
            _input(
                MAX_PRICE_BLOCK,
                "Max monthly price",
                {"type": "number_input", "is_decimal_allowed": True, "min_value": "0"},
                optional=True,
                **_hint("In the Sinch account's currency, e.g. 2.50."),
            ),
            _input(
                LIMIT_BLOCK,
                "How many",
                {
                    "type": "number_input",
                    "is_decimal_allowed": False,
                    "min_value": "1",
                    "max_value": str(MAX_LIMIT),
                    "initial_value": "10",
                },
                optional=True,
            ),
        ],
    }


def render_notice(message: Message) -> View:
    """A modal with nothing to submit, showing ``message`` (a refusal)."""
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": _text("Search numbers"),
        "close": _text("Close"),
        "blocks": message["blocks"],
    }


def region_options(codes: list[str]) -> list[dict[str, Any]]:
    """Options for the type-ahead: "Sweden (SE)"."""
    options = []
    for code in codes[:MAX_OPTIONS]:
        label = f"{region_name(code)} ({code})"
        if len(label) > _OPTION_TEXT_MAX:
            label = f"{label[: _OPTION_TEXT_MAX - len(code) - 4]}… ({code})"
        options.append(_option(code, label))
    return options


# --- reading a submission (pure) --------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    block: str
    words: str  # what this field adds to the command text
    # Which SearchQuery attributes the field may set; anything else is a word of another field.
    sets: frozenset[str]
    hint: str  # said when it sets something else
    # False for a ticked option the form does not have (a forged payload).
    known: bool = True


def _state(values: Mapping[str, Any], block: str) -> Mapping[str, Any]:
    state = values.get(block)
    inner = state.get(VALUE if block != REGION_BLOCK else REGION_ACTION) if state else None
    return inner if isinstance(inner, Mapping) else {}


def _typed(values: Mapping[str, Any], block: str) -> str:
    return " ".join(str(_state(values, block).get("value") or "").split())


def _chosen(values: Mapping[str, Any], block: str) -> str:
    option = _state(values, block).get("selected_option")
    return str(option.get("value") or "") if isinstance(option, Mapping) else ""


def _ticked(values: Mapping[str, Any], block: str) -> list[str]:
    options = _state(values, block).get("selected_options")
    if not isinstance(options, list):
        return []
    return [str(o.get("value") or "") for o in options if isinstance(o, Mapping)]


def _changed(before: SearchQuery, after: SearchQuery) -> set[str]:
    return {
        f.name
        for f in dataclasses.fields(SearchQuery)
        if f.compare and getattr(before, f.name) != getattr(after, f.name)
    }


def _fields(values: Mapping[str, Any]) -> list[_Field]:
    capabilities = _ticked(values, CAPABILITIES_BLOCK)
    options = _ticked(values, OPTIONS_BLOCK)
    pattern = _typed(values, PATTERN_BLOCK)
    match = _chosen(values, MATCH_BLOCK) or "contains"
    max_price = _typed(values, MAX_PRICE_BLOCK)
    limit = _typed(values, LIMIT_BLOCK)
    return [
        _Field(
            PLACE_BLOCK,
            _place_words(_typed(values, PLACE_BLOCK)),
            frozenset({"place", "pattern"}),
            "Only a place or an area code here, e.g. seattle, 206, texas or"
            " near:+12065550123; the other fields take the rest.",
        ),
        _Field(
            CAPABILITIES_BLOCK,
            " ".join(capabilities),
            frozenset({"capabilities"}),
            "Tick SMS, Voice or both.",
            known=set(capabilities) <= {v for v, _ in _CAPABILITIES},
        ),
        _Field(
            PATTERN_BLOCK,
            f"{match}:{pattern}" if pattern else "",
            frozenset({"pattern"}),
            "Digits or letters only, e.g. 555 or PIZZA.",
        ),
        _Field(
            OPTIONS_BLOCK,
            " ".join(options),
            frozenset({"nodocs", "sort_by_price"}),
            "Tick the options you want.",
            known=set(options) <= {v for v, _ in _OPTIONS},
        ),
        _Field(
            MAX_PRICE_BLOCK,
            f"max:{max_price}" if max_price else "",
            frozenset({"max_monthly"}),
            "A monthly price such as 2.50.",
        ),
        _Field(
            LIMIT_BLOCK,
            f"limit:{limit}" if limit else "",
            frozenset({"limit"}),
            f"A number from 1 to {MAX_LIMIT}.",
        ),
    ]


def _place_words(text: str) -> str:
    """Words without digits are a place name: `in:` says so, and the parser's hint then
    speaks of a place ("not a place I know in …"), not of types and filters."""
    if not text or any(c.isdigit() or c in ":+" for c in text):
        return text  # 206, near:+1…, +1206: the grammar's own forms
    return f"in:{text}"


def read_form(values: Mapping[str, Any]) -> tuple[SearchQuery | None, dict[str, str]]:
    """The search the fields ask for, or the error to show under each field that is wrong.

    The fields become `/numbers` words and go through parse_command one field at a time, so a
    field the parser refuses (or that conflicts with the fields before it) is the one blamed.
    """
    errors: dict[str, str] = {}
    region = _chosen(values, REGION_BLOCK)
    number_type = _chosen(values, TYPE_BLOCK) or NumberType.LOCAL.value
    if lookup_region(region) != region or not region.isalpha():
        errors[REGION_BLOCK] = "Pick a region from the list: type a few letters of its name."
    if number_type not in {t.value for t, _ in _TYPES}:
        errors[TYPE_BLOCK] = "Pick Local, Mobile or Toll-free."
    if errors:
        return None, errors
    words = [region, number_type]
    try:
        query = parse_command(" ".join(words))
    except CommandError as err:  # a region without phone numbers
        return None, {REGION_BLOCK: _clip(err.hint)}
    assert isinstance(query, SearchQuery)
    for field in _fields(values):
        if not field.words:
            continue
        if not field.known:
            errors[field.block] = field.hint
            continue
        try:
            found = parse_command(" ".join([*words, field.words]))
        except CommandError as err:
            errors[field.block] = _clip(err.hint)
            continue
        if (
            not isinstance(found, SearchQuery)
            or _changed(query, found) - field.sets
            or (field.block == PLACE_BLOCK and _pattern_kind(found) not in (None, "START"))
        ):
            errors[field.block] = field.hint
            continue
        words.append(field.words)
        query = found
    return (None, errors) if errors else (query, {})


def _pattern_kind(query: SearchQuery) -> str | None:
    return None if query.pattern is None else str(query.pattern.kind)


def _clip(text: str) -> str:
    return text if len(text) <= _ERROR_MAX else text[: _ERROR_MAX - 1] + "…"


def with_next_time(message: Message, query: SearchQuery) -> Message:
    """``message`` with the command that does the same search under it (the form teaches)."""
    command = f"{COMMAND} {format_query(query)}".replace("`", "'")
    line = {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"Next time: `{blocks.escape(command)}`"}],
    }
    kept = message["blocks"][: blocks.MAX_BLOCKS - 1]
    return {**message, "blocks": [*kept, line]}


def _metadata_channel(view: Mapping[str, Any]) -> str | None:
    try:
        data = json.loads(str(view.get("private_metadata") or "{}"))
    except ValueError:
        return None
    channel = data.get("channel") if isinstance(data, dict) else None
    return str(channel) if channel else None


def _id(value: object, key: str = "id") -> str | None:
    return str(value[key]) if isinstance(value, dict) and value.get(key) else None


# --- the listeners ----------------------------------------------------------------------


class OfferedRegions:
    """The codes of the regions Sinch offers, cached: the type-ahead answers from memory."""

    _KEY = "regions"

    def __init__(self, service: NumbersService, clock: Clock) -> None:
        self._service = service
        self._cache: SearchCache[frozenset[str]] = SearchCache(
            ttl=REGIONS_TTL, clock=clock, max_entries=1
        )

    async def _fetch(self) -> frozenset[str]:
        result = await self._service.regions()
        return frozenset(r.region_code.upper() for r in result.regions)

    async def codes(self, budget: float) -> frozenset[str] | None:
        """The offered codes, or None when they are not known within ``budget`` seconds.

        A fetch still running at the budget is not cancelled: the cache's task goes on and the
        next keystroke finds the list.
        """
        try:
            async with asyncio.timeout(budget):
                codes, _ = await self._cache.get_or_fetch(self._KEY, self._fetch)
        except TimeoutError:
            log.info("Sinch's region list not there within %g s; offering every region", budget)
            return None
        except SinchError as err:
            log.warning("could not read Sinch's region list: %s: %s", type(err).__name__, err)
            return None
        return codes or None  # an empty list would leave nothing to pick: let the search say

    async def warm(self) -> None:
        await self.codes(REGIONS_TTL)


class SearchForm:
    def __init__(self, deps: FormDeps) -> None:
        self._d = deps
        self.regions = OfferedRegions(deps.service, deps.clock)

    def register(self, app: AsyncApp) -> None:
        app.action(help_blocks.SEARCH_FORM_ACTION)(self.on_open_click)
        app.options(REGION_ACTION)(self.on_region_options)
        app.view(CALLBACK_ID)(self.on_submit)

    # --- opening --------------------------------------------------------------------------

    async def open_for_command(
        self, client: AsyncWebClient, command: Mapping[str, Any], finish: Callable[[str], None]
    ) -> None:
        """`/numbers` alone: open the form on the command's trigger_id before anything else.

        If Slack refuses (the trigger lasts 3 s), the help text arrives by response_url instead.
        """
        channel = str(command.get("channel_id") or "") or None
        trigger = str(command.get("trigger_id") or "")
        opened = await self._open(client, trigger, render_form(channel))
        if opened:
            return finish("ok")
        message = help_blocks.render_help()
        note = ":warning: The search form did not open; this is how to type a search."
        note_block = {"type": "section", "text": {"type": "mrkdwn", "text": note}}
        message = {**message, "blocks": [note_block, *message["blocks"]]}
        await self._d.sender.send(str(command.get("response_url") or ""), message)
        finish("form_failed")

    async def on_open_click(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """The "Search numbers" button (help message, Home tab): the same form."""
        await ack()
        trigger = str(body.get("trigger_id") or "")
        refusal = self._d.gate.click_refusal(body)
        # From the Home tab there is no channel: the answer then comes as a DM.
        view = (
            render_form(_id(body.get("channel")))
            if refusal is None
            else render_notice(refusal.message)
        )
        self._d.spawn(self._open_quietly(client, trigger, view))

    async def _open_quietly(self, client: AsyncWebClient, trigger: str, view: View) -> None:
        await self._open(client, trigger, view)

    async def _open(self, client: AsyncWebClient, trigger: str, view: View) -> bool:
        try:
            await client.views_open(trigger_id=trigger, view=view)
        except SlackApiError as err:
            log.warning("views.open failed: %s", _slack_error(err))
            return False
        if "submit" in view:
            # Now the regions, for the type-ahead: after views.open, never before it.
            self._d.spawn(self.regions.warm())
        return True

    # --- the type-ahead -------------------------------------------------------------------

    async def on_region_options(self, ack: AsyncAck, payload: dict[str, Any]) -> None:
        """Regions whose code, name or alias starts with what was typed, Sinch's only."""
        typed = str(payload.get("value") or "")
        offered = await self.regions.codes(OPTIONS_BUDGET)
        codes = complete_region(typed, among=offered, limit=MAX_OPTIONS)
        await ack(options=region_options(codes))

    # --- submitting -----------------------------------------------------------------------

    async def on_submit(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """Refuse (modal kept open, message on the field) or close the modal and search.

        Slack needs the answer within 3 s: the parse is all that happens before it.
        """
        user = body.get("user")
        ids = {
            "team_id": _id(body.get("team")) or _id(user, "team_id"),
            "channel_id": _metadata_channel(view),
            "user_id": _id(user),
        }
        audit = self._d.audit(ids, "")
        audit.kind = "search"
        refusal = self._d.gate.refusal(**ids)
        if refusal is not None:
            await ack(response_action="update", view=render_notice(refusal.message))
            return audit.finish(outcome=refusal.outcome)
        values = (view.get("state") or {}).get("values") or {}
        query, errors = read_form(values if isinstance(values, Mapping) else {})
        if query is not None:
            audit.text = format_query(query)  # the command it stands for
        if query is None:
            await ack(response_action="errors", errors=errors)
            return audit.finish(outcome="bad_input")
        await ack()
        self._d.spawn(self._search(client, query, ids, audit))
        return None

    async def _search(
        self,
        client: AsyncWebClient,
        query: SearchQuery,
        ids: Mapping[str, str | None],
        audit: FormAudit,
    ) -> None:
        user_id = str(ids["user_id"] or "")
        message, outcome, result = await self._d.answer(query, audit.started, user_id)
        count = len(result.shown) if isinstance(result, SearchResult) else None
        try:
            await self._post(client, user_id, ids["channel_id"], with_next_time(message, query))
        finally:
            audit.finish(outcome=outcome, count=count)

    async def _post(
        self, client: AsyncWebClient, user_id: str, channel: str | None, message: Message
    ) -> None:
        """Ephemeral in the channel the form came from; a DM when there is none or it refuses."""
        if channel:
            try:
                await client.chat_postEphemeral(channel=channel, user=user_id, **message)
                return
            except SlackApiError as err:
                # not_in_channel, channel_not_found: the bot cannot post there.
                log.info("chat.postEphemeral refused (%s); answering by DM", _slack_error(err))
        try:
            await client.chat_postMessage(channel=user_id, **message)
        except SlackApiError as err:
            log.error("could not deliver a search form's answer: %s", _slack_error(err))


def _slack_error(err: SlackApiError) -> str:
    return str(err.response.get("error") or "no error code")[:60]
