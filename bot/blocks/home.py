"""The App Home tab: an interviewer's upcoming interviews and open requests; a recruiter's loops."""

from __future__ import annotations

from typing import Any

from bot.blocks.common import VIEW_BLOCKS_MAX, Block, context, divider, escape, header, section
from bot.blocks.loops import status_message
from bot.blocks.requests import request_message
from bot.timefmt import clock_label, day_label
from bot.views import HomeView


def home_view(home: HomeView) -> dict[str, Any]:
    """`home.notice` is mrkdwn built by the bot (person-supplied parts already escaped)."""
    upcoming, pending, loops, notice = home.upcoming, home.pending, home.loops, home.notice
    blocks: list[Block] = [header("Interviews")]
    if notice:
        blocks.append(context(f":information_source: {notice}"))
    blocks.append(section("*Waiting for your answer*"))
    if pending:
        for view in pending:
            blocks.extend(request_message(view)[1][1:])
    else:
        blocks.append(context("Nothing to answer."))
    blocks.append(divider())
    blocks.append(section("*Your upcoming interviews*"))
    if upcoming:
        lines = [
            f"• {day_label(v.start, v.timezone)} {clock_label(v.start, v.end, v.timezone)} "
            f"*{escape(v.stage_title)}* with {escape(v.candidate)} · `{v.loop_id}`"
            for v in upcoming
        ]
        blocks.append(section("\n".join(lines)))
    else:
        blocks.append(context("No interviews booked."))
    if loops is not None:
        blocks.append(divider())
        blocks.extend(status_message("Loops in flight", loops)[1])
    if len(blocks) > VIEW_BLOCKS_MAX:
        blocks = [*blocks[: VIEW_BLOCKS_MAX - 1], context("More items were left out.")]
    return {"type": "home", "blocks": blocks}
