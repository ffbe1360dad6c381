"""Block Kit for changes after booking: "can't make it", the swap form, the attention list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.blocks.common import (
    MODAL_TITLE_MAX,
    Block,
    actions,
    button,
    context,
    escape,
    plain,
    section,
)
from bot.ids import ActionId, CallbackId, with_suffix
from bot.views import AttentionItem

REASON_BLOCK = "cant_make_it_reason"
REASON_ACTION = "reason"
SWAP_OLD_BLOCK = "swap_old"
SWAP_NEW_BLOCK = "swap_new"
SWAP_OLD_ACTION = "old"
SWAP_NEW_ACTION = "new"


def cant_make_it_button(request_id: int) -> Block:
    value = str(request_id)
    return button("Can't make it", with_suffix(ActionId.CANT_MAKE_IT, value), value)


def cant_make_it_actions(request_id: int) -> Block:
    return actions([cant_make_it_button(request_id)], block_id=f"backout:{request_id}")


def _modal(
    callback: CallbackId, title: str, metadata: str, blocks: list[Block], submit: str
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback.value,
        "title": plain(title, MODAL_TITLE_MAX),
        "submit": plain(submit, MODAL_TITLE_MAX),
        "close": plain("Back", MODAL_TITLE_MAX),
        "private_metadata": metadata,
        "blocks": blocks,
    }


def cant_make_it_modal(request_id: int, what: str) -> dict[str, Any]:
    """`what` is already-escaped mrkdwn naming the session (title, time, loop id)."""
    blocks: list[Block] = [
        section(
            f"You are about to back out of {what}. I'll find someone else and tell the recruiter."
        ),
        {
            "type": "input",
            "block_id": REASON_BLOCK,
            "optional": True,
            "label": plain("Reason (shown to the recruiter)", 2000),
            "element": {
                "type": "plain_text_input",
                "action_id": REASON_ACTION,
                "multiline": True,
                "max_length": 500,
            },
        },
    ]
    return _modal(
        CallbackId.CANT_MAKE_IT_MODAL, "Can't make it", str(request_id), blocks, "Back out"
    )


def notice_modal(title: str, text: str) -> dict[str, Any]:
    """A read-only modal: how a click in App Home (which has no ephemeral replies) is answered."""
    return {
        "type": "modal",
        "title": plain(title, MODAL_TITLE_MAX),
        "close": plain("OK", MODAL_TITLE_MAX),
        "blocks": [section(text)],
    }


def swap_modal(short_id: str, people: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """`people` are (Slack id, name) of the loop's interviewers; @new is any Slack user."""
    options = [{"text": plain(name, 75), "value": slack_id} for slack_id, name in people[:100]]
    blocks: list[Block] = [
        section(f"Swap an interviewer on loop `{short_id}` (sessions not started yet)."),
        {
            "type": "input",
            "block_id": SWAP_OLD_BLOCK,
            "label": plain("Take off", 2000),
            "element": {
                "type": "static_select",
                "action_id": SWAP_OLD_ACTION,
                "options": options,
            },
        },
        {
            "type": "input",
            "block_id": SWAP_NEW_BLOCK,
            "optional": True,
            "label": plain("Ask instead (empty: I pick from the pool)", 2000),
            "element": {"type": "users_select", "action_id": SWAP_NEW_ACTION},
        },
    ]
    return _modal(CallbackId.SWAP_MODAL, "Swap interviewer", short_id, blocks, "Swap")


def attention_blocks(items: Sequence[AttentionItem]) -> list[Block]:
    """The recruiter's "needs your attention" list: each loop, why, and the buttons that fix it."""
    blocks: list[Block] = [section("*Needs your attention*")]
    if not items:
        return [*blocks, context("Nothing needs you right now.")]
    for item in items:
        blocks.append(
            section(f"`{item.loop_id}` · {escape(item.candidate)}\n{escape(item.reason)}")
        )
        buttons = []
        if item.can_retry:
            buttons.append(
                button(
                    "Retry booking",
                    with_suffix(ActionId.RETRY_BOOKING, item.loop_id),
                    item.loop_id,
                    "primary",
                )
            )
        buttons += [
            button("Swap", with_suffix(ActionId.SWAP_INTERVIEWER, item.loop_id), item.loop_id),
            button("Reschedule", with_suffix(ActionId.RESCHEDULE_LOOP, item.loop_id), item.loop_id),
            button(
                "Cancel loop",
                with_suffix(ActionId.CANCEL_LOOP, item.loop_id),
                item.loop_id,
                "danger",
                confirm={
                    "title": plain("Cancel this loop?", 100),
                    "text": plain(
                        f"Loop {item.loop_id}: every event and request is withdrawn.", 300
                    ),
                    "confirm": plain("Cancel loop", 30),
                    "deny": plain("Keep it", 30),
                },
            ),
        ]
        blocks.append(actions(buttons, block_id=f"attention:{item.loop_id}"))
    return blocks


def unresolved_blocks(lines: Sequence[str]) -> list[Block]:
    """Interviewers the directory could not resolve (no Slack id, or no zone)."""
    if not lines:
        return []
    text = "\n".join(f"• {escape(line)}" for line in lines[:30])
    return [section("*Interviewers I can't fully resolve*\n" + text)]
