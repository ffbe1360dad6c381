"""An interviewer's answer: confirm moves the loop toward booking; decline finds cover.

Every move is a compare-and-set on the request's state, so a double click, a Slack retry or a
confirm racing a decline ends in exactly one recorded answer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlmodel import Session

from bot.mrkdwn import escape, who
from bot.reminders.outbox import cancel_request_follow_ups
from bot.services.asks import notify, send_requests, show_outcome
from bot.services.booking import start_booking
from bot.services.context import Services
from bot.services.directory import display_name
from bot.services.intent_worker import run_intents
from bot.services.read import LoopBundle, bundle
from bot.services.vacancy import fill_vacancy
from storage.engine import session_scope
from storage.models import (
    Interviewer,
    InterviewerRequest,
    InterviewSession,
    Loop,
    LoopState,
    RequestState,
    SessionState,
)
from storage.repo import audit
from storage.states import lock_row, transition

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnswerResult:
    outcome: str  # "confirmed", "declined", "already", "refused", "missing", "stale"
    message: str


def _stale(ask: InterviewerRequest, item: InterviewSession, loop: Loop) -> AnswerResult | None:
    """Why a click on this request's buttons no longer applies, or None when it still does."""
    short_id = loop.short_id
    if ask.state is RequestState.PENDING:
        if loop.state in (LoopState.CANCELLED, LoopState.COMPLETED):
            state = loop.state.value
            return AnswerResult(
                "stale", f"Loop `{short_id}` is {state}; nothing to answer. Nothing changed."
            )
        return None
    if ask.state is not RequestState.CANCELLED:
        return AnswerResult(
            "already",
            f"You already answered this one ({ask.state.value}) for loop `{short_id}`; "
            "nothing changed.",
        )
    if loop.state is LoopState.CANCELLED:
        why = f"loop `{short_id}` was cancelled"
    elif item.state is SessionState.CANCELLED:
        why = f"this session of loop `{short_id}` was moved or the loop was rescheduled"
    else:
        why = f"the request was withdrawn (loop `{short_id}` no longer needs you for it)"
    return AnswerResult(
        "stale",
        f"This request no longer applies: {why}. Nothing changed; any new request "
        "comes in its own message.",
    )


def _check_answerer(
    request_id: int, user_id: str, *, session: Session
) -> tuple[InterviewerRequest, LoopBundle] | AnswerResult:
    """The request if `user_id` may answer it now; otherwise a clear answer and no change.

    Loaded row by row (not through the loop's bundle, which leaves out a rescheduled loop's old
    sessions), so a click on an old button is answered instead of failing.
    """
    ask = session.get(InterviewerRequest, request_id)
    item = session.get(InterviewSession, ask.session_id) if ask is not None else None
    loop = session.get(Loop, item.loop_id) if item is not None else None
    person = session.get(Interviewer, ask.interviewer_id) if ask is not None else None
    if ask is None or item is None or loop is None or person is None:
        return AnswerResult("missing", "That interview request no longer exists; nothing changed.")
    if person.slack_id != user_id:
        return AnswerResult(
            "refused",
            f"This request is for {who(person.slack_id, display_name(person))}; only they can "
            "answer it. Nothing changed.",
        )
    stale = _stale(ask, item, loop)
    if stale is not None:
        return stale
    return ask, bundle(loop, session=session)


def _record(
    services: Services,
    request_id: int,
    user_id: str,
    answer: RequestState,
    *,
    session: Session,
) -> tuple[InterviewerRequest, LoopBundle] | AnswerResult:
    """Check who answers, then move PENDING → `answer` (one winner) and stop its nudges."""
    checked = _check_answerer(request_id, user_id, session=session)
    if isinstance(checked, AnswerResult):
        return checked
    if not transition(
        InterviewerRequest,
        request_id,
        answer,
        session=session,
        expected=[RequestState.PENDING],
        values={"answered_at": services.clock()},
    ):
        return AnswerResult("already", "This request was already answered; nothing changed.")
    cancel_request_follow_ups(request_id, session=session, reason="answered")
    return checked


def confirm(services: Services, *, request_id: int, user_id: str) -> AnswerResult:
    with session_scope(services.engine) as session:
        # The loop's row lock first: whoever records the last confirm sees every earlier one.
        loop_id = _loop_of(request_id, session=session)
        if loop_id is not None:
            lock_row(Loop, loop_id, session=session)
            session.expire_all()
        recorded = _record(services, request_id, user_id, RequestState.CONFIRMED, session=session)
        if isinstance(recorded, AnswerResult):
            return recorded
        ask, found = recorded
        found = bundle(found.loop, session=session)
        item = next(s for s in found.sessions if s.id == ask.session_id)
        holders = found.holders(ask.session_id)
        if len(holders) >= item.panel_size and all(
            r.state is RequestState.CONFIRMED for r in holders
        ):
            assert item.id is not None
            transition(
                InterviewSession,
                item.id,
                SessionState.CONFIRMED,
                session=session,
                expected=[SessionState.PENDING],
            )
        found = bundle(found.loop, session=session)
        confirmed, needed = _progress(found)
        loop_id = found.loop.id
        assert loop_id is not None
        audit(
            "request.confirmed",
            session=session,
            actor=user_id,
            loop_id=loop_id,
            details={"request": request_id},
        )
        ready = start_booking(loop_id, session=session, services=services)
        recruiter, short_id = found.loop.recruiter_slack_id, found.loop.short_id
        stage = item.title
    show_outcome(services, request_id, "You confirmed")
    notify(
        services,
        recruiter,
        f"<@{user_id}> confirmed *{escape(stage)}* for loop `{short_id}` "
        f"({confirmed}/{needed} confirmed).",
        short_id,
    )
    if ready:
        run_intents(services, loop_id=loop_id)
    return AnswerResult("confirmed", f"Confirmed. Thanks! (loop `{short_id}`)")


def _loop_of(request_id: int, *, session: Session) -> int | None:
    ask = session.get(InterviewerRequest, request_id)
    item = None if ask is None else session.get(InterviewSession, ask.session_id)
    return None if item is None else item.loop_id


def _progress(found: LoopBundle) -> tuple[int, int]:
    needed = sum(s.panel_size for s in found.sessions if s.state is not SessionState.CANCELLED)
    confirmed = sum(
        1
        for s in found.sessions
        if s.id is not None and s.state is not SessionState.CANCELLED
        for r in found.holders(s.id)
        if r.state is RequestState.CONFIRMED
    )
    return confirmed, needed


def decline(services: Services, *, request_id: int, user_id: str) -> AnswerResult:
    with session_scope(services.engine) as session:
        recorded = _record(services, request_id, user_id, RequestState.DECLINED, session=session)
        if isinstance(recorded, AnswerResult):
            return recorded
        ask, found = recorded
        audit(
            "request.declined",
            session=session,
            actor=user_id,
            loop_id=found.loop.id,
            details={"request": request_id},
        )
        session_id, short_id = ask.session_id, found.loop.short_id
        person = found.people[ask.interviewer_id]
        name = who(person.slack_id, display_name(person))
    show_outcome(services, request_id, "You declined")
    outcome = fill_vacancy(services, session_id, reason=f"{name} declined")
    for cancelled in outcome.cancelled_request_ids:
        show_outcome(services, cancelled, "Session moved; you are no longer needed")
    if outcome.request_ids:
        unreachable = send_requests(services, outcome.request_ids)
        if unreachable:
            notify(
                services,
                outcome.recruiter,
                f"Loop `{short_id}`: could not reach {', '.join(unreachable)}.",
                short_id,
            )
    notify(services, outcome.recruiter, outcome.message, short_id)
    return AnswerResult("declined", f"Declined; I'll find someone else. (loop `{short_id}`)")
