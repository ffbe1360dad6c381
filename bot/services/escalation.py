"""Handing a loop back to its recruiter: NEEDS_ATTENTION, audited, with what they can do."""

from __future__ import annotations

from sqlmodel import Session

from bot.mrkdwn import unescape
from bot.services.vacancy_outcome import VacancyOutcome
from storage.models import Loop, LoopState
from storage.repo import audit
from storage.states import transition


def escalate(loop: Loop, why: str, *, session: Session) -> VacancyOutcome:
    """`why` is mrkdwn (names escaped); the loop stores it as plain text, escaped when shown."""
    assert loop.id is not None
    transition(
        Loop,
        loop.id,
        LoopState.NEEDS_ATTENTION,
        session=session,
        expected=[LoopState.PENDING, LoopState.BOOKING],
        values={"attention_reason": unescape(why)},
    )
    audit(
        "loop.needs_attention",
        session=session,
        actor="system",
        loop_id=loop.id,
        details={"why": why},
    )
    return VacancyOutcome(
        f":warning: Loop `{loop.short_id}` needs you: {why}. Options: "
        f"`/interview reschedule {loop.short_id}` for fresh options, or "
        f"`/interview cancel {loop.short_id}`.",
        loop.recruiter_slack_id,
    )
