"""An interviewer's "can't make it": who may click, whether the click still applies, and doing it.

Only the interviewer the request belongs to counts; a click on a session that was moved,
cancelled, already started, or that they already left gets an answer saying so and changes
nothing. The work itself is `release_interviewer`, shared with swaps and Calendar declines.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.mrkdwn import escape
from bot.services.context import Services
from bot.services.directory import org_view
from bot.services.release import ReleaseResult, release_interviewer
from bot.timefmt import clock_label, day_label
from storage.engine import read_scope
from storage.models import (
    Interviewer,
    InterviewerRequest,
    InterviewSession,
    Loop,
    LoopState,
    RequestState,
    SessionState,
)


@dataclass(frozen=True)
class BackOutCheck:
    refusal: str | None  # shown to the clicker; None = the click applies
    what: str = ""  # escaped mrkdwn naming the session, for the modal
    session_id: int = 0
    interviewer_id: int = 0


def check_back_out(services: Services, *, request_id: int, user_id: str) -> BackOutCheck:
    with read_scope(services.engine) as session:
        ask = session.get(InterviewerRequest, request_id)
        if ask is None:
            return BackOutCheck("That interview no longer exists; nothing changed.")
        person = session.get(Interviewer, ask.interviewer_id)
        item = session.get(InterviewSession, ask.session_id)
        assert person is not None and item is not None
        loop = session.get(Loop, item.loop_id)
        assert loop is not None
        if person.slack_id != user_id:
            return BackOutCheck(
                f"This interview is <@{person.slack_id}>'s; only they can back out of it. "
                "Nothing changed."
            )
        title = escape(item.title)
        if loop.state in (LoopState.CANCELLED, LoopState.COMPLETED, LoopState.PROPOSED):
            state = "rescheduled" if loop.state is LoopState.PROPOSED else loop.state.value
            return BackOutCheck(f"Loop `{loop.short_id}` was {state}; nothing changed.")
        if item.state is SessionState.CANCELLED:
            return BackOutCheck(
                f"*{title}* of loop `{loop.short_id}` was moved or cancelled; nothing changed."
            )
        if ask.state is not RequestState.CONFIRMED:
            return BackOutCheck(
                f"You are no longer on *{title}* of loop `{loop.short_id}` ({ask.state.value}); "
                "nothing changed."
            )
        if item.start <= services.clock():
            return BackOutCheck(
                f"*{title}* of loop `{loop.short_id}` has already started; nothing changed."
            )
        zone = person.timezone or org_view(session=session).timezone
        what = (
            f"*{title}* on {day_label(item.start, zone)} {clock_label(item.start, item.end, zone)}"
            f" (loop `{loop.short_id}`)"
        )
        return BackOutCheck(None, what, ask.session_id, ask.interviewer_id)


def back_out(services: Services, *, request_id: int, user_id: str, reason: str) -> ReleaseResult:
    """Check the click again (the modal may have sat open) and release the interviewer."""
    checked = check_back_out(services, request_id=request_id, user_id=user_id)
    if checked.refusal is not None:
        return ReleaseResult("refused", checked.refusal)
    return release_interviewer(
        services,
        session_id=checked.session_id,
        interviewer_id=checked.interviewer_id,
        reason=reason,
        actor=user_id,
    )
