"""Block Kit primitives that enforce Slack's limits so nothing we send is ever rejected.

Texts are clipped (with an ellipsis) rather than refused: a 400-character candidate name must
not make a whole proposal fail to post.
"""

from __future__ import annotations

from typing import Any

# The one escaping function and its helpers live in bot.mrkdwn (services use them too).
from bot.mrkdwn import SLACK_USER_ID as SLACK_USER_ID
from bot.mrkdwn import escape as escape
from bot.mrkdwn import unescape as unescape
from bot.mrkdwn import who as who

Block = dict[str, Any]

SECTION_TEXT_MAX = 3000
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
HEADER_TEXT_MAX = 150
CONTEXT_TEXT_MAX = 2000
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
MODAL_TITLE_MAX = 24
FALLBACK_TEXT_MAX = 3000


def clip(text: str, limit: int) -> str:
    """At most `limit` characters (with an ellipsis), never splitting a `<link>` or `&entity;`."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    opened = cut.rfind("<")
    if opened > cut.rfind(">"):
        cut = cut[:opened]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def mrkdwn(text: str, limit: int = SECTION_TEXT_MAX) -> dict[str, str]:
    return {"type": "mrkdwn", "text": clip(text, limit)}


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def section(text: str, accessory: Block | None = None, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if accessory is not None:
        block["accessory"] = accessory
    if block_id is not None:
        block["block_id"] = block_id
    return block


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_TEXT_MAX)}


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text, CONTEXT_TEXT_MAX)]}


def divider() -> Block:
    return {"type": "divider"}


def button(
    text: str, action_id: str, value: str, style: str | None = None, confirm: Block | None = None
) -> Block:
    element: Block = {
        "type": "button",
        "text": plain(text, BUTTON_TEXT_MAX),
        "action_id": action_id[:255],
        "value": value[:BUTTON_VALUE_MAX],
    }
    if style is not None:
        element["style"] = style
    if confirm is not None:
        element["confirm"] = confirm
    return element


def actions(elements: list[Block], block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": elements[:25]}
    if block_id is not None:
        block["block_id"] = block_id[:255]
    return block


def fit_message(blocks: list[Block], overflow_note: str) -> list[Block]:
    """Keep within 50 blocks; if cut, the last block says what was left out."""
    if len(blocks) <= MESSAGE_BLOCKS_MAX:
        return blocks
    return [*blocks[: MESSAGE_BLOCKS_MAX - 1], context(overflow_note)]


def fallback(text: str) -> str:
    return clip(text, FALLBACK_TEXT_MAX)
