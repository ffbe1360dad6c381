"""The recruiter's message carrying a candidate link (CONTRACT.md section 7)."""

from __future__ import annotations

from datetime import datetime

from bot.blocks.common import Block, context, escape, fallback, section
from bot.services.views import day_label


def candidate_link_message(
    loop_id: str,
    candidate: str,
    template_title: str,
    url: str,
    expires: datetime,
    zone: str,
    note: str | None = None,
) -> tuple[str, list[Block]]:
    """The link to send, what the candidate can do with it, and until when it works."""
    blocks: list[Block] = []
    if note:
        blocks.append(section(escape(note)))
    blocks += [
        section(
            f":link: Candidate link for loop `{loop_id}` — {escape(candidate)}, "
            f"{escape(template_title)}. Send it to the candidate:\n{url}"
        ),
        context(
            "They see the times that fit right now, pick one (I then ask the interviewers and "
            "tell you), or send their own available times. "
            f"Works until {day_label(expires, zone)}; cancelling or rescheduling the loop ends it."
        ),
    ]
    return fallback(f"Candidate link for loop `{loop_id}`: {url}"), blocks
