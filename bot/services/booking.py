"""Booking a fully confirmed loop: one calendar event per session, then the recruiter's summary.

Event ids are derived from the session, so a retry after a lost response or a crash half way
re-finds the same event instead of creating a second one.
"""

from __future__ import annotations

import logging

from bot.ports import CalendarError, EventSpec, MessagingError
from bot.services.asks import notify
from bot.services.context import Services
from bot.services.directory import org_view
from bot.services.read import LoopBundle, bundle, session_views
from bot.timefmt import clock_label, day_label
from storage.engine import session_scope
from storage.models import InterviewSession, Loop, LoopState, SessionState
from storage.repo import audit, compare_and_set

log = logging.getLogger(__name__)


def event_spec(found: LoopBundle, item: InterviewSession) -> EventSpec:
    assert item.id is not None
    holders = found.holders(item.id)
    people = [found.people[r.interviewer_id] for r in holders]
    candidate = found.candidate_label()
    zone = found.loop.candidate_timezone
    lines = [
        f"Candidate: {candidate} <{found.candidate.email}>",
        f"Session: {item.title} ({found.template_title})",
        f"When (candidate's time): {day_label(item.start, zone)} "
        f"{clock_label(item.start, item.end, zone)}",
        "Interviewers: " + ", ".join(p.name or p.email for p in people),
    ]
    if item.prep:
        lines += ["", f"Prep: {item.prep}"]
    if found.loop.notes:
        lines += ["", f"Recruiter notes: {found.loop.notes}"]
    lines += ["", f"Loop {found.loop.short_id} · scheduled by the interview bot"]
    return EventSpec(
        key=f"{found.loop.short_id}-{item.id}",
        summary=f"Interview: {candidate} — {item.title}",
        description="\n".join(lines),
        start=item.start,
        end=item.end,
        attendees=(*(p.email for p in people), found.candidate.email),
        private_properties={
            "interviewBotLoop": found.loop.short_id,
            "interviewBotSession": str(item.id),
        },
    )


def book_loop(services: Services, loop_id: int) -> bool:
    """Create the events of a loop in BOOKING; True when it reached BOOKED."""
    with session_scope(services.engine) as session:
        loop = session.get(Loop, loop_id)
        assert loop is not None
        found = bundle(loop, session=session)
        specs = [
            (item.id, event_spec(found, item))
            for item in found.sessions
            if item.state is not SessionState.CANCELLED
        ]
        short_id, recruiter = loop.short_id, loop.recruiter_slack_id
    calendar = services.calendar
    try:
        if calendar is None:
            raise CalendarError("Google Calendar is not configured")
        refs = [(session_id, calendar.create_event(spec)) for session_id, spec in specs]
    except CalendarError as error:
        log.error("booking failed: %s", error, extra={"loop": short_id})
        with session_scope(services.engine) as session:
            compare_and_set(
                Loop,
                loop_id,
                session=session,
                expected=[LoopState.BOOKING],
                values={"state": LoopState.NEEDS_ATTENTION},
            )
            audit(
                "loop.booking_failed",
                session=session,
                actor="system",
                loop_id=loop_id,
                details={"error": str(error)},
            )
        notify(
            services,
            recruiter,
            f":warning: Everyone confirmed loop `{short_id}`, but creating the calendar events "
            f"failed: {error}. Fix the cause, then `/interview reschedule {short_id}` or "
            f"`/interview cancel {short_id}`.",
            short_id,
        )
        return False
    calendar.invalidate([a for _, spec in specs for a in spec.attendees])
    with session_scope(services.engine) as session:
        for session_id, ref in refs:
            item = session.get(InterviewSession, session_id)
            assert item is not None
            item.calendar_event_id, item.meet_link = ref.event_id, ref.meet_link
            item.state = SessionState.BOOKED
        if not compare_and_set(
            Loop,
            loop_id,
            session=session,
            expected=[LoopState.BOOKING],
            values={"state": LoopState.BOOKED},
        ):
            return False
        from bot.reminders.outbox import plan_session_reminders

        plan_session_reminders(
            loop_id,
            session=session,
            offsets=services.settings.reminder_offsets,
            now=services.clock(),
        )
        audit(
            "loop.booked",
            session=session,
            actor="system",
            loop_id=loop_id,
            details={"events": [ref.event_id for _, ref in refs]},
        )
        loop = session.get(Loop, loop_id)
        assert loop is not None
        found = bundle(loop, session=session)
        views = session_views(found, org_view(session=session).timezone)
        text, blocks = services.render.booked(
            short_id, found.candidate_label(), found.template_title, loop.candidate_timezone, views
        )
    try:
        services.messenger.send_dm(recruiter, text, blocks)
    except MessagingError as error:  # the booking stands even if the summary is not delivered
        log.warning("could not send booking summary: %s", error, extra={"loop": short_id})
    log.info("loop booked", extra={"loop": short_id})
    return True
