"""The recruiter's notice that a person changed a booked loop in Google Calendar."""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks.common import Block, actions, button, context, escape, fallback, section
from bot.ids import ActionId, with_suffix


def calendar_change_notice(short_id: str, changes: Sequence[str]) -> tuple[str, list[Block]]:
    """DM text and blocks: what changed (plain text, escaped here), and buttons to resolve it."""
    changes = [escape(change) for change in changes]
    listed = "\n".join(f"• {change}" for change in changes)
    text = (
        f":warning: Loop `{short_id}` needs attention: {'; '.join(changes)}. "
        "I have not changed anything back."
    )
    blocks = [
        section(
            f":warning: Loop `{short_id}` needs attention — changed in Google Calendar:\n{listed}"
        ),
        context(
            "I have not recreated or moved anything back. Reschedule for fresh options, "
            f"or cancel the loop (`/interview reschedule {short_id}` / "
            f"`/interview cancel {short_id}` work too)."
        ),
        actions(
            [
                button(
                    "Reschedule",
                    with_suffix(ActionId.RESCHEDULE_LOOP, short_id),
                    short_id,
                    style="primary",
                ),
                button("Cancel loop", with_suffix(ActionId.CANCEL_LOOP, short_id), short_id),
            ],
            block_id=f"attention:{short_id}",
        ),
    ]
    return fallback(text), blocks
