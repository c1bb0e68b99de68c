"""Block Kit checks for rendered messages: slack_sdk's validators plus the limits it skips."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import Block

# slack-platform.md §6.
MAX_BLOCKS = 50
MAX_TEXT = 4000
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000


def _no_empties(value: Any, path: str) -> None:
    """None and empty lists are dropped by to_dict(), which would hide them from the check."""
    assert value is not None, f"None at {path}"
    if isinstance(value, Mapping):
        for key, item in value.items():
            _no_empties(item, f"{path}.{key}")
    elif isinstance(value, list):
        assert value, f"empty list at {path}"
        for index, item in enumerate(value):
            _no_empties(item, f"{path}[{index}]")


def _text_of(obj: Mapping[str, Any], path: str) -> str:
    text = obj["text"]
    assert isinstance(text, str), f"{path}: text is not a string"
    assert text.strip(), f"{path}: empty text"
    return text


def _check_block(block: Mapping[str, Any], path: str) -> None:
    kind = block["type"]
    if kind == "header":
        assert block["text"]["type"] == "plain_text", f"{path}: header must be plain_text"
        assert len(_text_of(block["text"], path)) <= MAX_HEADER_TEXT, f"{path}: header too long"
    elif kind == "section":
        if "text" in block:
            assert len(_text_of(block["text"], path)) <= MAX_SECTION_TEXT, f"{path}: text too long"
        for index, field in enumerate(block.get("fields", [])):
            text = _text_of(field, f"{path}.fields[{index}]")
            assert len(text) <= MAX_FIELD_TEXT, f"{path}.fields[{index}]: over 2000 chars"
    elif kind == "context":
        assert len(block["elements"]) <= MAX_CONTEXT_ELEMENTS, f"{path}: too many elements"
        for index, element in enumerate(block["elements"]):
            if element["type"] in ("mrkdwn", "plain_text"):
                _text_of(element, f"{path}.elements[{index}]")
    elif kind == "actions":
        for index, element in enumerate(block["elements"]):
            if element["type"] == "button":
                where = f"{path}.elements[{index}]"
                assert len(_text_of(element["text"], where)) <= MAX_BUTTON_TEXT, where
                assert len(element.get("value", "")) <= MAX_BUTTON_VALUE, where


def assert_valid_message(message: Mapping[str, Any]) -> None:
    """Assert ``message`` (text + blocks) is a message Slack accepts.

    The recipe of slack-platform.md §6: slack_sdk parses every block and validates it in
    to_dict(), which must give the input back (no typos, unknown keys or types); then the
    limits slack_sdk does not check: blocks per message, field length, plain_text headers,
    and a non-empty top-level text.
    """
    text = message.get("text")
    assert isinstance(text, str), "top-level text missing"
    assert text.strip(), "top-level text is empty"
    assert len(text) <= MAX_TEXT, f"top-level text has {len(text)} chars"

    blocks = message.get("blocks")
    assert isinstance(blocks, list), "blocks missing"
    assert blocks, "no blocks"
    assert len(blocks) <= MAX_BLOCKS, f"{len(blocks)} blocks"
    _no_empties(blocks, "blocks")

    parsed = Block.parse_all(blocks)
    for index, (block, model) in enumerate(zip(blocks, parsed, strict=True)):
        path = f"blocks[{index}]"
        assert model is not None, f"{path}: unknown block type {block.get('type')!r}"
        # to_dict() raises SlackObjectFormationError for the limits slack_sdk enforces.
        assert model.to_dict() == block, f"{path}: not what Slack would read back"
        _check_block(block, path)
