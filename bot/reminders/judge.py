"""Whether a claimed reminder is still useful, and if so what to send to whom (step 2 of a tick).

The rules live here, as pure functions of the `Facts` loaded by `facts.py` and the current time,
so they can be read (and changed) without the claim/lease machinery around them. The verdict is
either a `Close` (the row becomes `cancelled`, `dropped` or `failed` and nothing is sent) or a
`Delivery` (a rendered message plus what the finish step needs to record the outcome).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.reminders import render
from bot.reminders.facts import Facts
from bot.reminders.outbox import STEP_UNANSWERED, STEP_UNREACHABLE
from storage.models import (
    InterviewSession,
    LoopState,
    ReminderKind,
    ReminderState,
    RequestState,
    SessionState,
)

LEAD_TOLERANCE = timedelta(minutes=10)
FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Close:
    state: ReminderState
    reason: str


@dataclass(frozen=True, slots=True)
class Delivery:
    reminder_id: int
    kind: ReminderKind
    target: str
    message: render.Message
    attempts: int
    payload: dict[str, Any]
    loop_id: int | None
    short_id: str | None
    request_id: int | None
    # Whom to tell when `target` cannot be reached (None when the target is the recruiter).
    recruiter: str | None = None
    target_name: str | None = None
    what: str = "a reminder"
    # Escalation step: ask the handler for a replacement first; `message` is the fallback.
    replace_request_id: int | None = None
    lease_until: datetime = FAR_FUTURE
    dedupe_key: str = ""  # the reminder's; tags the DM so a lost answer is not sent twice


def judge(
    facts: Facts, now: datetime, *, replace_if_more_than: timedelta | None
) -> Delivery | Close:
    """Decide what to do with one claimed reminder.

    `replace_if_more_than` is None when there is no replacement handler; otherwise an unanswered
    request whose session is further away than that is handed to the handler first.
    """
    row = facts.row
    loop = facts.loop
    if loop is None:
        return Close(ReminderState.CANCELLED, "loop no longer exists")
    if loop.state == LoopState.CANCELLED:
        return Close(ReminderState.CANCELLED, "loop cancelled")
    if row.session_id is not None:
        if facts.interview is None:
            return Close(ReminderState.CANCELLED, "session no longer exists")
        if facts.interview.state == SessionState.CANCELLED:
            return Close(ReminderState.CANCELLED, "session cancelled")
    kind = row.kind
    if kind == ReminderKind.SESSION_REMINDER:
        return _judge_session_reminder(facts, now)
    if kind == ReminderKind.CONFIRM_NUDGE:
        return _judge_request_step(facts, now, replace_if_more_than)
    if kind == ReminderKind.CONFIRM_ESCALATION:
        if facts.payload.get("step") == STEP_UNREACHABLE:
            return _unreachable_notice(facts)
        return _judge_request_step(facts, now, replace_if_more_than)
    if kind == ReminderKind.FEEDBACK_DUE:
        return _judge_feedback(facts)
    if kind == ReminderKind.LOOP_FINISHED:
        return _judge_loop_finished(facts)
    if kind in (ReminderKind.LOOP_BOOKED, ReminderKind.BOOKING_FAILED):
        return _loop_notice(facts)
    return Close(ReminderState.FAILED, f"unknown reminder kind {kind!r}")


def _moved(facts: Facts, key: str, actual: datetime) -> bool:
    planned = facts.payload.get(key)
    if not isinstance(planned, str):
        return False
    return datetime.fromisoformat(planned) != actual


def _delivery(facts: Facts, target: str, message: render.Message, **extra: Any) -> Delivery:
    row = facts.row
    assert row.id is not None
    return Delivery(
        reminder_id=row.id,
        kind=row.kind,
        target=target,
        message=message,
        attempts=row.attempts,
        payload=facts.payload,
        loop_id=row.loop_id,
        short_id=facts.loop.short_id if facts.loop else None,
        request_id=row.request_id,
        dedupe_key=row.dedupe_key,
        **extra,
    )


def _to_interviewer(facts: Facts, message: render.Message, what: str) -> Delivery:
    assert facts.loop is not None
    return _delivery(
        facts,
        facts.interviewer_target,
        message,
        recruiter=facts.loop.recruiter_slack_id,
        target_name=facts.interviewer_name,
        what=what,
    )


def _before_session(
    facts: Facts, now: datetime, request_state: RequestState, *, need_loop: bool
) -> Close | None:
    """The checks every "before the session" kind shares: gone, answered, moved, or too late."""
    interview, request = facts.interview, facts.request
    if interview is None or request is None or (need_loop and facts.loop is None):
        return Close(ReminderState.CANCELLED, "session or request no longer exists")
    if request.state != request_state:
        return Close(ReminderState.CANCELLED, f"request {request.state.value}")
    if _moved(facts, "start", interview.start):
        return Close(ReminderState.CANCELLED, "session moved")
    not_after = facts.row.not_after or interview.start
    if now >= not_after or now >= interview.start:
        return Close(ReminderState.DROPPED, f"session began at {interview.start.isoformat()}")
    return None


def _judge_session_reminder(facts: Facts, now: datetime) -> Delivery | Close:
    closed = _before_session(facts, now, RequestState.CONFIRMED, need_loop=False)
    if closed is not None:
        return closed
    interview = facts.interview
    assert interview is not None
    if facts.extra.get("superseded"):
        return Close(ReminderState.DROPPED, "superseded by a later reminder also due")
    lead = interview.start - now
    offset = facts.payload.get("offset_minutes")
    if isinstance(offset, int) and abs(lead - timedelta(minutes=offset)) <= LEAD_TOLERANCE:
        lead = timedelta(minutes=offset)
    else:
        lead = timedelta(minutes=int(lead.total_seconds() // 60))
    message = render.session_reminder(
        _about(facts, interview, facts.interviewer_zone),
        prep=interview.prep,
        meet_link=interview.meet_link,
        lead=lead,
        request_id=facts.request.id if facts.request is not None else None,
    )
    return _to_interviewer(facts, message, f"a reminder about {interview.title}")


def _judge_request_step(
    facts: Facts, now: datetime, replace_if_more_than: timedelta | None
) -> Delivery | Close:
    closed = _before_session(facts, now, RequestState.PENDING, need_loop=True)
    if closed is not None:
        return closed
    interview, request, loop = facts.interview, facts.request, facts.loop
    assert interview is not None and request is not None and loop is not None
    if facts.row.kind == ReminderKind.CONFIRM_NUDGE:
        if facts.extra.get("superseded"):
            return Close(ReminderState.DROPPED, "superseded by a later follow-up also due")
        number = facts.payload.get("nudge")
        message = render.confirm_nudge(
            _about(facts, interview, facts.interviewer_zone),
            nudge_number=number if isinstance(number, int) else 1,
            request_id=request.id,
        )
        return _to_interviewer(facts, message, f"a request to confirm {interview.title}")
    if facts.payload.get("step", STEP_UNANSWERED) != STEP_UNANSWERED:
        return Close(ReminderState.FAILED, f"unknown escalation step {facts.payload!r}")
    replace = replace_if_more_than is not None and interview.start - now > replace_if_more_than
    nudges = facts.payload.get("nudges")
    message = render.unanswered_escalation(
        _about(facts, interview, facts.org_timezone),
        interviewer_name=facts.interviewer_name,
        interviewer_slack_id=facts.interviewer_target or None,
        nudges=max(request.nudges_sent, nudges if isinstance(nudges, int) else 0),
        replacement_failed=replace,
    )
    return _delivery(
        facts,
        facts.row.target_slack_id or loop.recruiter_slack_id,
        message,
        replace_request_id=request.id if replace else None,
    )


def _about(facts: Facts, interview: InterviewSession, timezone: str | None) -> render.Interview:
    return render.Interview(
        short_id=facts.loop.short_id if facts.loop else "",
        candidate_name=facts.candidate_name,
        stage_title=interview.title,
        start=interview.start,
        end=interview.end,
        timezone=timezone,
    )


def _judge_feedback(facts: Facts) -> Delivery | Close:
    interview, request = facts.interview, facts.request
    if interview is None or request is None:
        return Close(ReminderState.CANCELLED, "session or request no longer exists")
    if request.state != RequestState.CONFIRMED:
        return Close(ReminderState.CANCELLED, f"request {request.state.value}")
    if _moved(facts, "end", interview.end):
        return Close(ReminderState.CANCELLED, "session moved")
    message = render.feedback_due(_about(facts, interview, facts.interviewer_zone))
    return _to_interviewer(facts, message, f"a feedback request for {interview.title}")


def _judge_loop_finished(facts: Facts) -> Delivery | Close:
    loop = facts.loop
    sessions: list[render.SessionLine] = facts.extra.get("sessions", [])
    if loop is None or not sessions:
        return Close(ReminderState.CANCELLED, "loop has no sessions")
    if _moved(facts, "end", max(line.end for line in sessions)):
        return Close(ReminderState.CANCELLED, "loop changed")
    message = render.loop_finished(
        short_id=loop.short_id,
        candidate_name=facts.candidate_name,
        loop_title=facts.extra.get("title"),
        sessions=sessions,
        timezone=facts.org_timezone,
    )
    return _delivery(facts, facts.row.target_slack_id, message)


def _unreachable_notice(facts: Facts) -> Delivery:
    payload = facts.payload
    message = render.unreachable(
        short_id=facts.loop.short_id if facts.loop else None,
        who_name=_str_or_none(payload.get("who_name")),
        who_slack_id=_str_or_none(payload.get("who_slack_id")),
        what=str(payload.get("what") or "a reminder"),
        error=str(payload.get("error") or "unknown"),
    )
    return _delivery(facts, facts.row.target_slack_id, message)


def _loop_notice(facts: Facts) -> Delivery | Close:
    """A booking summary or failure notice: sent as rendered at the move (see
    `outbox.write_loop_notice`)."""
    text, blocks = facts.payload.get("text"), facts.payload.get("blocks")
    if not isinstance(text, str) or not isinstance(blocks, list):
        return Close(ReminderState.FAILED, f"malformed notice payload {sorted(facts.payload)!r}")
    return _delivery(facts, facts.row.target_slack_id, render.Message(text, blocks))


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
