"""The recruiter's notice that a loop's calendar events could not be created."""

from __future__ import annotations

from bot.blocks.common import Block, actions, button, escape, fallback, section
from bot.ids import ActionId


def booking_failed_notice(loop_id: str, why: str) -> tuple[str, list[Block]]:
    text = (
        f":warning: Everyone confirmed loop `{loop_id}`, but creating the calendar events "
        f"failed: {escape(why)}. Events already created are removed again. Fix the cause, "
        "then retry, "
        f"or `/interview reschedule {loop_id}` / `/interview cancel {loop_id}`."
    )
    return fallback(text), [
        section(text),
        actions([button("Retry booking", ActionId.RETRY_BOOKING, loop_id, style="primary")]),
    ]
