"""Taking an interviewer off a session after it was arranged, and putting the seat back.

Three doors lead here: the interviewer's own `cant_make_it`, a recruiter's swap, and a decline
of the invitation made in Google Calendar (the sync job). All are handled like `decline_slot`:
the request is withdrawn with a compare-and-set, its follow-ups and reminders are cancelled,
and the seat is covered by the vacancy code (same time from the pool, else a move within the
loop's rules, else the recruiter is told). The session keeps its calendar event; once the
replacement confirms, `rebook_session` asks for that same event to be patched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.mrkdwn import escape
from bot.reminders.outbox import cancel_reminders, plan_session_reminders
from bot.services.asks import notify, open_requests, send_requests, show_outcome
from bot.services.booking import mark_booked
from bot.services.calendar_intents import request_event_patch
from bot.services.context import Services
from bot.services.directory import display_name
from bot.services.escalation import OPEN_SEAT
from bot.services.locks import booking_lock
from bot.services.vacancy import fill_vacancy
from bot.timefmt import duration
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

SOON = timedelta(hours=24)  # closer than this, the recruiter is told and the time is kept
CALENDAR_ACTOR = "calendar"
RELEASABLE = (LoopState.PENDING, LoopState.BOOKED, LoopState.NEEDS_ATTENTION)


@dataclass(frozen=True)
class ReleaseResult:
    """What happened. `message` is for whoever asked (ephemeral or DM); the recruiter, the person
    taken off and any replacement have been messaged by the service already. Every outcome but
    "released" changed nothing."""

    # "released", or "missing", "closed", "not_on_session", "started", "busy" ("refused": the
    # click was not that interviewer's, from `bot.services.backout`)
    outcome: str
    message: str
    short_id: str | None = None
    asked: tuple[int, ...] = ()  # requests sent to a replacement

    @property
    def released(self) -> bool:
        return self.outcome == "released"


def release_interviewer(
    services: Services, *, session_id: int, interviewer_id: int, reason: str, actor: str
) -> ReleaseResult:
    """Take `interviewer_id` off `session_id` and cover the seat, like `decline_slot`.

    `actor` is the Slack id of whoever asked, or "calendar" for a decline made in Google
    Calendar; `reason` is shown to the recruiter (escaped). A session that already started,
    a loop that is closed, or someone no longer on the session is refused and nothing changes.
    """
    return take_off(
        services, session_id=session_id, interviewer_id=interviewer_id, reason=reason, actor=actor
    )


@dataclass(frozen=True)
class _Released:
    request_id: int | None  # the request withdrawn (None: refilling a seat already open)
    short_id: str
    recruiter: str
    label: str
    who: str
    starts_in: timedelta
    was_booked: bool
    loop_id: int
    asked: tuple[int, ...]
    person_slack_id: str | None


def take_off(
    services: Services,
    *,
    session_id: int,
    interviewer_id: int,
    reason: str,
    actor: str,
    stand_in: int | None = None,
) -> ReleaseResult:
    """`release_interviewer`, and for a swap: withdrawn by the bot, and `stand_in` asked."""
    now = services.clock()
    with session_scope(services.engine) as session:
        # The booking lock (a stand-in's new hold must not race a recheck), then the loop's
        # row, in the order `choose` takes them, so the two can never wait on each other.
        booking_lock(session=session)
        item = session.get(InterviewSession, session_id)
        if item is not None:
            lock_row(Loop, item.loop_id, session=session)
            session.expire_all()
        checked = _check(session_id, interviewer_id, now=now, session=session)
        if isinstance(checked, ReleaseResult):
            return checked
        item, loop, ask, person = checked
        assert ask.id is not None and loop.id is not None and item.id is not None
        by_bot = actor not in (CALENDAR_ACTOR, person.slack_id)
        if not transition(
            InterviewerRequest,
            ask.id,
            RequestState.CANCELLED if by_bot else RequestState.DECLINED,
            session=session,
            expected=[RequestState.PENDING, RequestState.CONFIRMED],
            values={"answered_at": now},
        ):
            return ReleaseResult(
                "not_on_session", "That was already handled; nothing changed.", loop.short_id
            )
        cancel_reminders(session=session, request_id=ask.id, reason="taken off the session")
        if item.state in (SessionState.CONFIRMED, SessionState.BOOKED):
            transition(
                InterviewSession,
                item.id,
                SessionState.PENDING,
                session=session,
                expected=[item.state],
            )
        asked = _ask_stand_in(services, item.id, stand_in, now, session=session)
        audit(
            "request.released",
            session=session,
            actor=actor,
            loop_id=loop.id,
            details={"request": ask.id, "session": item.id, "reason": reason, "asked": asked},
        )
        released = _Released(
            request_id=ask.id,
            short_id=loop.short_id,
            recruiter=loop.recruiter_slack_id,
            label=f"*{escape(item.title)}*",
            who=_who(person, actor),
            starts_in=item.start - now,
            was_booked=loop.state is LoopState.BOOKED,
            loop_id=loop.id,
            asked=asked,
            person_slack_id=person.slack_id,
        )
    return _cover(services, released, session_id, reason, by_bot=by_bot)


def _check(
    session_id: int, interviewer_id: int, *, now: datetime, session: Session
) -> tuple[InterviewSession, Loop, InterviewerRequest, Interviewer] | ReleaseResult:
    item = session.get(InterviewSession, session_id)
    person = session.get(Interviewer, interviewer_id)
    if item is None or person is None:
        return ReleaseResult("missing", "That session no longer exists; nothing changed.")
    loop = session.get(Loop, item.loop_id)
    assert loop is not None
    short_id = loop.short_id
    if loop.state not in RELEASABLE and loop.state is not LoopState.BOOKING:
        return ReleaseResult(
            "closed", f"Loop `{short_id}` is {loop.state.value}; nothing changed.", short_id
        )
    if item.state is SessionState.CANCELLED:
        return ReleaseResult(
            "closed",
            f"*{escape(item.title)}* of loop `{short_id}` was moved or cancelled; nothing changed.",
            short_id,
        )
    ask = session.exec(
        select(InterviewerRequest).where(
            InterviewerRequest.session_id == session_id,
            InterviewerRequest.interviewer_id == interviewer_id,
            col(InterviewerRequest.state).in_(
                [RequestState.PENDING.value, RequestState.CONFIRMED.value]
            ),
        )
    ).first()
    if ask is None:
        return ReleaseResult(
            "not_on_session",
            f"{escape(display_name(person))} is no longer on *{escape(item.title)}* of loop "
            f"`{short_id}`; nothing changed.",
            short_id,
        )
    if item.start <= now:
        return ReleaseResult(
            "started",
            f"*{escape(item.title)}* of loop `{short_id}` has already started; nothing changed.",
            short_id,
        )
    if loop.state is LoopState.BOOKING:
        return ReleaseResult(
            "busy",
            f"The invitations for loop `{short_id}` are being sent right now; try again in a "
            "minute. Nothing changed.",
            short_id,
        )
    return item, loop, ask, person


def _ask_stand_in(
    services: Services,
    session_id: int,
    stand_in: int | None,
    now: datetime,
    *,
    session: Session,
) -> tuple[int, ...]:
    """Ask the named stand-in (if any) to cover the session; the ids of the requests opened."""
    if stand_in is None:
        return ()
    return open_requests(
        session_id,
        [stand_in],
        session=session,
        now=now,
        nudge_after=services.settings.confirm_nudge_after,
    )


def _who(person: Interviewer, actor: str) -> str:
    name = escape(display_name(person))
    if actor == CALENDAR_ACTOR:
        return f"{name} declined the invitation to"
    if actor == person.slack_id:
        return f"{name} can't make"
    return f"<@{actor}> took {name} off"


def _cover(
    services: Services, released: _Released, session_id: int, reason: str, *, by_bot: bool
) -> ReleaseResult:
    """After the seat is open: ask a replacement (or the stand-in), tell the recruiter."""
    short_id = released.short_id
    if released.request_id is not None:
        show_outcome(
            services,
            released.request_id,
            "You were taken off this session" if by_bot else "You can't make it",
        )
    if by_bot and released.request_id is not None:
        notify(
            services,
            released.person_slack_id,
            f"You were taken off {released.label} (loop `{short_id}`); nothing is needed from you.",
            short_id,
        )
    soon = released.starts_in < SOON
    if released.asked:
        outcome_message = f"Loop `{short_id}`: {released.who} {released.label}; asked the stand-in."
        asked = released.asked
    else:
        outcome = fill_vacancy(services, session_id, reason=released.who, allow_move=not soon)
        for cancelled in outcome.cancelled_request_ids:
            show_outcome(services, cancelled, "Session moved; you are no longer needed")
        outcome_message, asked = outcome.message, outcome.request_ids
    unreachable = send_requests(services, asked) if asked else []
    if released.was_booked:
        with session_scope(services.engine) as session:
            plan_session_reminders(
                released.loop_id,
                session=session,
                offsets=services.settings.reminder_offsets,
                now=services.clock(),
            )
    lines = []
    if soon:
        lines.append(
            f":rotating_light: Loop `{short_id}`: {released.who} {released.label}, which starts "
            f"in {duration(released.starts_in)}. Please make sure it is covered."
        )
    lines.append(outcome_message)
    if reason.strip():
        lines.append(f"Reason given: {escape(reason.strip()[:500])}")
    if unreachable:
        lines.append(f"Could not reach {', '.join(unreachable)}.")
    notify(services, released.recruiter, "\n".join(lines), short_id)
    log.info("interviewer released", extra={"loop": short_id})
    return ReleaseResult(
        "released",
        f"Done: you are off {released.label} (loop `{short_id}`); the recruiter has been told.",
        short_id,
        asked,
    )


def refill_seat(
    services: Services,
    *,
    session_id: int,
    left: int,
    actor: str,
    stand_in: int | None = None,
) -> ReleaseResult:
    """A seat `left` (an interviewer id) already left open, e.g. nobody could cover it: ask
    `stand_in`, or look in the pool again. The swap form's way to resolve an open seat."""
    now = services.clock()
    with session_scope(services.engine) as session:
        booking_lock(session=session)  # then the loop's row, as in `take_off`
        item = session.get(InterviewSession, session_id)
        person = session.get(Interviewer, left)
        assert item is not None and person is not None
        loop = lock_row(Loop, item.loop_id, session=session)
        assert loop is not None and loop.id is not None and item.id is not None
        session.refresh(item)
        if item.start <= now or item.state is SessionState.CANCELLED:
            return ReleaseResult(
                "started",
                f"*{escape(item.title)}* of loop `{loop.short_id}` has already started or "
                "was moved; nothing changed.",
                loop.short_id,
            )
        asked = _ask_stand_in(services, item.id, stand_in, now, session=session)
        if stand_in is not None:
            audit(
                "session.stand_in",
                session=session,
                actor=actor,
                loop_id=loop.id,
                details={"session": item.id, "asked": asked},
            )
        released = _Released(
            request_id=None,
            short_id=loop.short_id,
            recruiter=loop.recruiter_slack_id,
            label=f"*{escape(item.title)}*",
            who=f"<@{actor}> refilled {escape(display_name(person))}'s seat on",
            starts_in=item.start - now,
            was_booked=loop.state is LoopState.BOOKED,
            loop_id=loop.id,
            asked=asked,
            person_slack_id=person.slack_id,
        )
    return _cover(services, released, session_id, "", by_bot=True)


def rebook_session(services: Services, session_id: int, *, session: Session) -> bool:
    """A booked session has its full panel again: patch its existing event (`sendUpdates=all`,
    durable intent), mark it booked, re-plan reminders. False if this is not such a session."""
    item = session.get(InterviewSession, session_id)
    assert item is not None
    loop = session.get(Loop, item.loop_id)
    assert loop is not None and loop.id is not None
    if (
        item.state is not SessionState.CONFIRMED
        or not item.calendar_event_id
        or loop.state not in (LoopState.BOOKED, LoopState.NEEDS_ATTENTION)
    ):
        return False
    request_event_patch(session_id, session=session, now=services.clock())
    mark_booked(session_id, session=session)
    if loop.state is LoopState.NEEDS_ATTENTION and (loop.attention_reason or "").startswith(
        OPEN_SEAT
    ):
        # Only an open seat is resolved here; a change made in Calendar still needs a person.
        states = session.exec(
            select(InterviewSession.state).where(
                InterviewSession.loop_id == loop.id,
                InterviewSession.state != SessionState.CANCELLED,
            )
        ).all()
        if all(state is SessionState.BOOKED for state in states):
            transition(
                Loop,
                loop.id,
                LoopState.BOOKED,
                session=session,
                expected=[LoopState.NEEDS_ATTENTION],
                values={"attention_reason": None},
            )
    plan_session_reminders(
        loop.id, session=session, offsets=services.settings.reminder_offsets, now=services.clock()
    )
    audit(
        "session.rebooked",
        session=session,
        actor="system",
        loop_id=loop.id,
        details={"session": session_id},
    )
    return True
