"""Driving the booking services directly and checking the consistency invariants."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.event_ids import session_event_id
from bot.services import answers
from bot.services.context import Services
from integrations.sandbox.google_calendar import FakeCalendar
from storage.engine import session_scope
from storage.models import (
    AuditLog,
    CalendarIntent,
    IntentState,
    Interviewer,
    InterviewerRequest,
    InterviewSession,
    Loop,
    LoopState,
    RequestState,
    SessionState,
)


def pending_requests(engine: Engine, loop_id: int | None = None) -> list[tuple[int, str]]:
    """(request id, interviewer's Slack id) of every pending request (of one loop)."""
    with session_scope(engine) as session:
        statement = (
            select(InterviewerRequest.id, Interviewer.slack_id, InterviewSession.loop_id)
            .join(Interviewer, col(Interviewer.id) == InterviewerRequest.interviewer_id)
            .join(InterviewSession, col(InterviewSession.id) == InterviewerRequest.session_id)
            .where(InterviewerRequest.state == RequestState.PENDING)
            .order_by(col(InterviewerRequest.id))
        )
        rows = session.exec(statement).all()
    return [(r or 0, s or "") for r, s, lid in rows if loop_id is None or lid == loop_id]


def confirm_all(services: Services, loop_id: int, *, leave: int = 0) -> list[tuple[int, str]]:
    """Confirm every pending request of the loop but the last `leave`; returns those left."""
    asks = pending_requests(services.engine, loop_id)
    keep = asks[len(asks) - leave :] if leave else []
    for request_id, user in asks[: len(asks) - leave]:
        answers.confirm(services, request_id=request_id, user_id=user)
    return keep


def loop_id_of(engine: Engine, short_id: str) -> int:
    with session_scope(engine) as session:
        loop = session.exec(select(Loop).where(Loop.short_id == short_id)).one()
        assert loop.id is not None
        return loop.id


def open_intents(engine: Engine) -> int:
    with session_scope(engine) as session:
        rows = session.exec(
            select(CalendarIntent.id).where(
                col(CalendarIntent.state).in_([IntentState.PENDING, IntentState.CLAIMED])
            )
        ).all()
        return len(rows)


@dataclass
class Problems:
    items: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.items.append(text)


def inconsistencies(engine: Engine, calendar: FakeCalendar, *, idle: bool = True) -> list[str]:
    """Everything that breaks the booking invariants (empty when consistent).

    With `idle` (no intent open), the calendar must hold exactly the events of booked sessions
    of live loops; otherwise only what holds at every moment is checked.
    """
    found = Problems()
    with session_scope(engine) as session:
        loops = {loop.id: loop for loop in session.exec(select(Loop)).all()}
        sessions = session.exec(select(InterviewSession)).all()
        requests = session.exec(select(InterviewerRequest)).all()
        audits = session.exec(select(AuditLog)).all()
    expected: dict[str, int] = {}
    for item in sessions:
        loop = loops[item.loop_id]
        assert loop.id is not None and item.id is not None
        if item.state is SessionState.BOOKED:
            if loop.state not in (LoopState.BOOKED, LoopState.BOOKING, LoopState.COMPLETED):
                found.add(f"session {item.id} booked in a {loop.state.value} loop")
            if item.calendar_event_id != session_event_id(loop.short_id, item.id):
                found.add(f"session {item.id} booked without its event id")
            expected[session_event_id(loop.short_id, item.id)] = item.id
        if loop.state is LoopState.BOOKED and item.state not in (
            SessionState.BOOKED,
            SessionState.CANCELLED,
        ):
            found.add(f"loop {loop.short_id} booked but session {item.id} is {item.state.value}")
    by_session: dict[int, list[InterviewerRequest]] = {}
    for ask in requests:
        by_session.setdefault(ask.session_id, []).append(ask)
    for item in sessions:
        loop = loops[item.loop_id]
        live = [r for r in by_session.get(item.id or 0, []) if r.state is not RequestState.DECLINED]
        if loop.state is LoopState.CANCELLED or item.state is SessionState.CANCELLED:
            held = [r.id for r in live if r.state is not RequestState.CANCELLED]
            if held:
                found.add(f"withdrawn session {item.id} still holds requests {held}")
        per_person = Counter(
            r.interviewer_id for r in live if r.state is not RequestState.CANCELLED
        )
        twice = [p for p, n in per_person.items() if n > 1]
        if twice:
            found.add(f"session {item.id} holds interviewers {twice} twice")
    booked_moves = Counter(a.loop_id for a in audits if a.action == "loop.booked")
    if any(n > 1 for n in booked_moves.values()):
        found.add(f"a loop was booked twice: {booked_moves}")
    if idle:
        live_events = {
            event_id
            for event_id, event in calendar.events.items()
            if event.get("status") != "cancelled"
        }
        stray = live_events - set(expected)
        missing = set(expected) - live_events
        if stray:
            found.add(f"{len(stray)} events on the calendar belong to no booked session")
        if missing:
            found.add(f"{len(missing)} booked sessions have no event")
        for loop in loops.values():
            if loop.state is LoopState.BOOKING:
                found.add(f"loop {loop.short_id} is still booking with no intent open")
    return found.items
