"""The recruiter's message carrying a candidate link (CONTRACT.md section 7)."""

from __future__ import annotations

from bot.blocks.common import Block, context, escape, fallback, section
from bot.timefmt import day_label
from bot.views import CandidateLinkView


def candidate_link_message(view: CandidateLinkView) -> tuple[str, list[Block]]:
    """The link to send, what the candidate can do with it, and until when it works."""
    blocks: list[Block] = []
    if view.note:
        blocks.append(section(escape(view.note)))
    blocks += [
        section(
            f":link: Candidate link for loop `{view.loop_id}` — {escape(view.candidate)}, "
            f"{escape(view.template_title)}. Send it to the candidate:\n{view.url}"
        ),
        context(
            "They see the times that fit right now, pick one (I then ask the interviewers and "
            "tell you), or send their own available times. "
            f"Works until {day_label(view.expires, view.zone)}; cancelling or rescheduling the "
            "loop ends it."
        ),
    ]
    return fallback(f"Candidate link for loop `{view.loop_id}`: {view.url}"), blocks
