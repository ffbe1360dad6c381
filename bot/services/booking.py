"""Booking a fully confirmed loop: the decision, what each event says, and how it ends.

The decision that everyone confirmed and the loop moves to BOOKING is taken under the loop's
row lock (`storage.states.lock_row`) and writes one insert intent per session in the same
transaction; `bot.services.intent_worker` creates the events and calls back here
(`record_insert`, `complete_booking`, `fail_booking`) under the same lock. So two replicas
racing the last two confirms book exactly once, and a cancel racing the inserts always wins:
whatever lands after it is removed again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlmodel import Session, col, select

from bot.event_ids import session_event_key
from bot.ports import EventRef, EventSpec
from bot.services.calendar_intents import (
    loop_has_open_intent,
    request_event_delete,
    request_event_insert,
)
from bot.services.context import Services
from bot.services.directory import OrgView, is_recruiter, org_view
from bot.services.read import LoopBundle, bundle, load_loop, session_views
from bot.timefmt import clock_label, day_label
from bot.views import BookedView
from storage.engine import session_scope
from storage.models import (
    InterviewSession,
    Loop,
    LoopState,
    Reminder,
    ReminderKind,
    ReminderState,
    RequestState,
    SessionState,
)
from storage.repo import audit
from storage.states import lock_row, transition

log = logging.getLogger(__name__)

BOOKING_FAILED = "booking failed"  # prefix of `Loop.attention_reason` for a failed booking
LIVE_LOOP_STATES = (LoopState.BOOKING, LoopState.BOOKED)


def event_spec(found: LoopBundle, item: InterviewSession, org: OrgView) -> EventSpec:
    """The session's event, fit for the candidate's eyes: role, session, company, time.

    No prep, no recruiter notes, no interviewer emails in the text (they are attendees; Google
    shows attendees to each other anyway), nothing about the loop beyond its short id.
    """
    assert item.id is not None
    confirmed = [r for r in found.holders(item.id) if r.state is RequestState.CONFIRMED]
    people = [found.people[r.interviewer_id] for r in confirmed]  # a pending ask is not invited
    zone = found.loop.candidate_timezone
    company = org.company
    role = found.template_title
    lines = [
        f"Your interview{f' with {company}' if company else ''} for the role: {role}.",
        f"Session: {item.title}",
        f"When (your time, {zone}): {day_label(item.start, zone)} "
        f"{clock_label(item.start, item.end, zone)}",
    ]
    if org.show_interviewer_names:
        names = [(p.name or "").split(" ")[0] for p in people]
        if all(names):
            lines.append("With: " + ", ".join(names))
    lines += [
        "",
        "Join with the Google Meet link in this invitation.",
        f"Ref {found.loop.short_id}",
    ]
    return EventSpec(
        key=session_event_key(found.loop.short_id, item.id),
        summary=f"Interview{f' at {company}' if company else ''}: {item.title} — {role}",
        description="\n".join(lines),
        start=item.start,
        end=item.end,
        attendees=(*(p.email for p in people), found.candidate.email),
        private_properties={
            "interviewBotLoop": found.loop.short_id,
            "interviewBotSession": str(item.id),
        },
    )


def everyone_confirmed(found: LoopBundle) -> bool:
    """Every seat of every live session is held by a confirmed request (and there is one)."""
    seats = 0
    for item in found.sessions:
        if item.state is SessionState.CANCELLED:
            continue
        assert item.id is not None
        holders = found.holders(item.id)
        confirmed = [r for r in holders if r.state is RequestState.CONFIRMED]
        if len(confirmed) < item.panel_size or len(confirmed) != len(holders):
            return False
        seats += item.panel_size
    return seats > 0


def start_booking(loop_id: int, *, session: Session, services: Services) -> bool:
    """If the loop is PENDING and everyone confirmed, move it to BOOKING and write its inserts.

    Takes the loop's row lock first, then reads the requests afresh, so of two transactions
    recording the last two confirms, the second always sees the first's: exactly one books.
    """
    session.flush()
    loop = lock_row(Loop, loop_id, session=session)
    session.expire_all()
    if loop is None or loop.state is not LoopState.PENDING:
        return False
    found = bundle(loop, session=session)
    if not everyone_confirmed(found):
        return False
    for item in found.sessions:
        assert item.id is not None
        if item.state is SessionState.PENDING:
            transition(InterviewSession, item.id, SessionState.CONFIRMED, session=session)
    if not transition(
        Loop,
        loop_id,
        LoopState.BOOKING,
        session=session,
        expected=[LoopState.PENDING],
        values={"attention_reason": None},
    ):
        return False
    _request_events(services, found, session=session)
    audit("loop.booking", session=session, actor="system", loop_id=loop_id)
    return True


def _request_events(services: Services, found: LoopBundle, *, session: Session) -> None:
    """Durable intents for the worker to create every session's event (loop now BOOKING)."""
    now = services.clock()
    for item in found.sessions:
        assert item.id is not None
        request_event_insert(item.id, session=session, now=now)


def mark_booked(
    session_id: int, *, session: Session, values: Mapping[str, object] | None = None
) -> bool:
    """CONFIRMED → BOOKED (compare-and-set): the session's event exists in Calendar."""
    return transition(
        InterviewSession,
        session_id,
        SessionState.BOOKED,
        session=session,
        expected=[SessionState.CONFIRMED],
        values=values,
    )


def session_wanted(loop: Loop, item: InterviewSession) -> bool:
    """Whether the session's event should exist right now."""
    return loop.state in LIVE_LOOP_STATES and item.state in (
        SessionState.CONFIRMED,
        SessionState.BOOKED,
    )


def spec_for_session(
    session_id: int, *, session: Session, patching: bool = False
) -> EventSpec | None:
    """The event as the database has it now; None if the session's event should not exist.

    `patching`: a booked session of a loop that needs attention for another reason (an open
    seat elsewhere, a change made in Calendar) keeps its event, so a patch still applies.
    """
    item = session.get(InterviewSession, session_id)
    assert item is not None
    loop = session.get(Loop, item.loop_id)
    assert loop is not None
    kept = (
        patching
        and loop.state is LoopState.NEEDS_ATTENTION
        and item.state is SessionState.BOOKED
        and item.calendar_event_id is not None
    )
    if not (session_wanted(loop, item) or kept):
        return None
    return event_spec(bundle(loop, session=session), item, org_view(session=session))


def record_insert(session_id: int, ref: EventRef, *, session: Session, services: Services) -> bool:
    """An insert succeeded: mark the session BOOKED, or (cancelled meanwhile) undo the event.

    Runs under the loop's row lock. True when the loop became BOOKED in this transaction.
    """
    item = session.get(InterviewSession, session_id)
    assert item is not None
    loop = lock_row(Loop, item.loop_id, session=session)
    session.refresh(item)
    assert loop is not None and loop.id is not None
    if not session_wanted(loop, item):
        request_event_delete(session_id, session=session, now=services.clock())
        audit(
            "event.undone",
            session=session,
            actor="system",
            loop_id=loop.id,
            details={"session": session_id, "event": ref.event_id},
        )
        return False
    values = {"calendar_event_id": ref.event_id, "meet_link": ref.meet_link}
    if item.state is SessionState.CONFIRMED:
        mark_booked(session_id, session=session, values=values)
    else:
        item.calendar_event_id, item.meet_link = ref.event_id, ref.meet_link
    return complete_booking(loop.id, session=session, services=services)


def complete_booking(loop_id: int, *, session: Session, services: Services) -> bool:
    """BOOKING → BOOKED once every live session has its event; plans the reminders."""
    loop = lock_row(Loop, loop_id, session=session)
    if loop is None or loop.state is not LoopState.BOOKING:
        return False
    sessions = session.exec(
        select(InterviewSession).where(
            InterviewSession.loop_id == loop_id,
            col(InterviewSession.state) != SessionState.CANCELLED,
        )
    ).all()
    if not sessions or any(s.state is not SessionState.BOOKED for s in sessions):
        return False
    if not transition(
        Loop, loop_id, LoopState.BOOKED, session=session, expected=[LoopState.BOOKING]
    ):
        return False
    from bot.reminders.outbox import plan_session_reminders

    plan_session_reminders(
        loop_id,
        session=session,
        offsets=services.settings.reminder_offsets,
        now=services.clock(),
    )
    _write_summary(services, loop, session=session)
    audit(
        "loop.booked",
        session=session,
        actor="system",
        loop_id=loop_id,
        details={"events": [s.calendar_event_id for s in sessions]},
    )
    return True


def _write_summary(services: Services, loop: Loop, *, session: Session) -> None:
    """The booked loop's summary to its recruiter, into the outbox with the BOOKED move."""
    from bot.reminders.outbox import write_loop_notice

    assert loop.id is not None
    session.refresh(loop)
    found = bundle(loop, session=session)
    views = session_views(found, org_view(session=session).timezone)
    text, blocks = services.render.booked(
        BookedView(
            loop.short_id,
            found.candidate_label(),
            found.template_title,
            loop.candidate_timezone,
            views,
        )
    )
    write_loop_notice(
        ReminderKind.LOOP_BOOKED,
        loop.id,
        target_slack_id=loop.recruiter_slack_id,
        text=text,
        blocks=blocks,
        session=session,
        now=services.clock(),
    )
    log.info("loop booked", extra={"loop": loop.short_id})


def fail_booking(loop_id: int, why: str, *, session: Session, services: Services) -> bool:
    """BOOKING → NEEDS_ATTENTION, and every event of the loop is to be removed again.

    True if this transaction made the move; the recruiter's notice is written with it (the
    caller sends it after the commit with `send_notices`).
    """
    loop = lock_row(Loop, loop_id, session=session)
    if loop is None or loop.state is not LoopState.BOOKING:
        return False
    found = bundle(loop, session=session)
    reason = f"{BOOKING_FAILED}: {why}"
    transition(
        Loop,
        loop_id,
        LoopState.NEEDS_ATTENTION,
        session=session,
        expected=[LoopState.BOOKING],
        values={"attention_reason": reason},
    )
    now = services.clock()
    for item in found.sessions:
        assert item.id is not None
        if item.state is SessionState.BOOKED:
            transition(
                InterviewSession,
                item.id,
                SessionState.CONFIRMED,
                session=session,
                expected=[SessionState.BOOKED],
                values={"calendar_event_id": None, "meet_link": None},
            )
        request_event_delete(item.id, session=session, now=now)
    audit(
        "loop.booking_failed",
        session=session,
        actor="system",
        loop_id=loop_id,
        details={"error": why},
    )
    from bot.reminders.outbox import write_loop_notice

    log.error("booking failed: %s", why, extra={"loop": loop.short_id})
    text, blocks = services.render.booking_failed(loop.short_id, why)
    write_loop_notice(
        ReminderKind.BOOKING_FAILED,
        loop_id,
        target_slack_id=loop.recruiter_slack_id,
        text=text,
        blocks=blocks,
        session=session,
        now=now,
    )
    return True


def send_notices(services: Services, loop_id: int) -> None:
    """Send the loop's pending booking notices now (call it after the move's commit).

    `complete_booking` and `fail_booking` write the summary or failure notice into the reminder
    outbox in the move's own transaction; this only makes it go out at once. If the process
    dies before or during the send, the dispatcher's next tick sends it (checking the DM's
    history first on a later attempt, so it is never posted twice).
    """
    from bot.reminders.outbox import NOTICE_KINDS

    if services.send_outbox is None:
        return

    with session_scope(services.engine) as session:
        ids = session.exec(
            select(Reminder.id)
            .where(
                Reminder.loop_id == loop_id,
                col(Reminder.kind).in_(list(NOTICE_KINDS)),
                Reminder.state == ReminderState.PENDING,
            )
            .order_by(col(Reminder.id))
        ).all()
    wanted = [reminder_id for reminder_id in ids if reminder_id is not None]
    if wanted:
        services.send_outbox(services.engine, services.messenger, services.clock, wanted)


def retry_booking(services: Services, *, short_id: str, user_id: str) -> str:
    """The recruiter's Retry: book a loop whose booking failed again, if it still can be."""
    with session_scope(services.engine) as session:
        if not is_recruiter(user_id, session=session):
            return "Only recruiters can retry a booking. Nothing changed."
        found = load_loop(short_id, session=session)
        if found is None:
            return f"No loop `{short_id}`; nothing changed."
        assert found.loop.id is not None
        loop = lock_row(Loop, found.loop.id, session=session)
        session.expire_all()
        assert loop is not None and loop.id is not None
        reason = loop.attention_reason or ""
        if loop.state is not LoopState.NEEDS_ATTENTION or not reason.startswith(BOOKING_FAILED):
            return f"Loop `{short_id}` is {loop.state.value}; there is no failed booking to retry."
        if loop_has_open_intent(loop.id, session=session):
            return (
                f"Loop `{short_id}`: the events of the failed attempt are still being removed; "
                "try again in a minute. Nothing changed."
            )
        found = bundle(loop, session=session)
        if not everyone_confirmed(found):
            return (
                f"Loop `{short_id}` no longer has every interviewer confirmed; use "
                f"`/interview reschedule {short_id}`. Nothing changed."
            )
        transition(
            Loop,
            loop.id,
            LoopState.BOOKING,
            session=session,
            expected=[LoopState.NEEDS_ATTENTION],
            values={"attention_reason": None},
        )
        _request_events(services, found, session=session)
        audit("loop.booking_retried", session=session, actor=user_id, loop_id=loop.id)
        loop_id = loop.id
    from bot.services.intent_worker import run_intents

    if services.inline_intents:
        run_intents(services, loop_id=loop_id)
    return f"Retrying the booking of loop `{short_id}`."
