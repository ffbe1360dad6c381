"""The DM asking an interviewer to take a session, and what replaces it once answered."""

from __future__ import annotations

from bot.blocks.common import Block, actions, button, context, escape, fallback, section, who
from bot.ids import ActionId, with_suffix
from bot.timefmt import clock_label, day_label
from bot.views import RequestView


def _when(view: RequestView) -> str:
    minutes = int((view.end - view.start).total_seconds() // 60)
    return (
        f"{day_label(view.start, view.timezone)}, "
        f"{clock_label(view.start, view.end, view.timezone)} ({minutes} min)"
    )


def _details(view: RequestView) -> str:
    lines = [
        f"*Candidate:* {escape(view.candidate)}",
        f"*Session:* {escape(view.stage_title)} — {escape(view.template_title)}",
        f"*When:* {_when(view)}",
    ]
    if view.co_interviewers:
        lines.append("*With:* " + ", ".join(who(u, u) for u in view.co_interviewers))
    if view.prep:
        lines.append(f"*Prep:* {escape(view.prep)}")
    if view.notes:
        lines.append(f"*Recruiter notes:* {escape(view.notes)}")
    return "\n".join(lines)


def answer_buttons(request_id: int, *, block_id: str) -> Block:
    """Confirm / Decline for one interviewer request (the request DM and its nudges)."""
    value = str(request_id)
    return actions(
        [
            button("Confirm", with_suffix(ActionId.CONFIRM_SLOT, value), value, style="primary"),
            button("Decline", with_suffix(ActionId.DECLINE_SLOT, value), value, style="danger"),
        ],
        block_id=block_id,
    )


def request_message(view: RequestView) -> tuple[str, list[Block]]:
    ask = "Can you step in for" if view.replacing else "Can you take"
    intro = f"{ask} an interview? Loop `{view.loop_id}`"
    blocks: list[Block] = [
        section(f"*{intro}*"),
        section(_details(view)),
        answer_buttons(view.request_id, block_id=f"request:{view.request_id}"),
    ]
    text = (
        f"{intro}: {escape(view.stage_title)} with {escape(view.candidate)}, {_when(view)}. "
        "Confirm or decline."
    )
    return fallback(text), blocks


def answered_message(view: RequestView, outcome: str) -> tuple[str, list[Block]]:
    """`outcome` is a short past-tense phrase: "You confirmed", "You declined", "Cancelled"."""
    blocks: list[Block] = [
        section(f"*{escape(outcome)}* — loop `{view.loop_id}`"),
        section(_details(view)),
        context(
            "Thanks! The calendar invite follows once everyone has confirmed."
            if outcome == "You confirmed"
            else "No action needed."
        ),
    ]
    text = (
        f"{escape(outcome)}: {escape(view.stage_title)} with {escape(view.candidate)} "
        f"(loop `{view.loop_id}`)"
    )
    return fallback(text), blocks
