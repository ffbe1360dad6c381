"""What the database says about the sessions behind a batch of changed events (batched reads).

An event is matched to its session by the stored event id, else by the session id the bot put
in the event's private properties (`interviewBotSession`); a deleted event in an incremental
listing may carry nothing but its id, so the stored id comes first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from bot.ports import CalendarEvent
from bot.services.calendar_intents import OPEN_STATES
from bot.services.calendar_sync.classify import LIVE_LOOPS, Seat, SessionFacts
from bot.services.directory import display_name
from storage.models import (
    CalendarIntent,
    Candidate,
    Interviewer,
    InterviewerRequest,
    InterviewSession,
    Loop,
    RequestState,
    SessionState,
)

SESSION_PROPERTY = "interviewBotSession"
CHUNK = 500  # ids per IN (…) list
M = TypeVar("M", bound=SQLModel)


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), CHUNK):
        yield values[i : i + CHUNK]


def _by_ids(model: type[M], column: Any, ids: Iterable[Any], *, session: Session) -> list[M]:
    unique = sorted(set(ids))
    rows: list[M] = []
    for part in _chunks(unique):
        rows.extend(session.exec(select(model).where(column.in_(part))).all())
    return rows


def sessions_with_open_intent(session_ids: Iterable[int], *, session: Session) -> set[int]:
    """The batch form of `calendar_intents.has_open_intent`: which of these sessions the bot
    still has a calendar write pending or in flight for (one query per 500 ids, not one each).
    """
    found: set[int] = set()
    for part in _chunks(sorted(set(session_ids))):
        found.update(
            session.exec(
                select(CalendarIntent.session_id).where(
                    col(CalendarIntent.session_id).in_(part),
                    col(CalendarIntent.state).in_([s.value for s in OPEN_STATES]),
                )
            ).all()
        )
    return found


def load_facts(events: Sequence[CalendarEvent], *, session: Session) -> dict[str, SessionFacts]:
    """{event id: facts} for every event that belongs to one of the bot's sessions."""
    event_ids = [e.event_id for e in events]
    wanted_sessions = [
        int(e.private[SESSION_PROPERTY])
        for e in events
        if e.private.get(SESSION_PROPERTY, "").isdigit()
    ]
    sessions = _by_ids(
        InterviewSession, col(InterviewSession.calendar_event_id), event_ids, session=session
    )
    sessions += _by_ids(
        InterviewSession, col(InterviewSession.id), wanted_sessions, session=session
    )
    by_id = {s.id: s for s in sessions if s.id is not None}
    by_event = {s.calendar_event_id: s for s in by_id.values() if s.calendar_event_id}
    matched: dict[str, InterviewSession] = {}
    for event in events:
        item = by_event.get(event.event_id)
        if item is None:
            prop = event.private.get(SESSION_PROPERTY, "")
            item = by_id.get(int(prop)) if prop.isdigit() else None
        if item is not None:
            matched[event.event_id] = item
    return _facts(matched, session=session)


def _facts(matched: dict[str, InterviewSession], *, session: Session) -> dict[str, SessionFacts]:
    items = list(matched.values())
    loops = {
        loop.id: loop
        for loop in _by_ids(Loop, col(Loop.id), (s.loop_id for s in items), session=session)
    }
    candidates = {
        c.id: c
        for c in _by_ids(
            Candidate,
            col(Candidate.id),
            (lp.candidate_id for lp in loops.values()),
            session=session,
        )
    }
    requests = [
        r
        for r in _by_ids(
            InterviewerRequest,
            col(InterviewerRequest.session_id),
            (s.id for s in items),
            session=session,
        )
        if r.state in (RequestState.PENDING, RequestState.CONFIRMED)
    ]
    people = {
        p.id: p
        for p in _by_ids(
            Interviewer, col(Interviewer.id), (r.interviewer_id for r in requests), session=session
        )
    }
    busy = sessions_with_open_intent((s.id for s in items if s.id is not None), session=session)
    seats: dict[int, list[Seat]] = {}
    for ask in requests:
        assert ask.id is not None
        seats.setdefault(ask.session_id, []).append(
            Seat(
                interviewer_id=ask.interviewer_id,
                request_id=ask.id,
                email=people[ask.interviewer_id].email.casefold(),
                name=display_name(people[ask.interviewer_id]),
                state=ask.state,
                calendar_response=ask.calendar_response,
            )
        )
    facts: dict[str, SessionFacts] = {}
    for event_id, item in matched.items():
        assert item.id is not None
        loop = loops[item.loop_id]
        assert loop.id is not None
        facts[event_id] = SessionFacts(
            session_id=item.id,
            loop_id=loop.id,
            short_id=loop.short_id,
            loop_state=loop.state,
            session_state=item.state,
            title=item.title,
            start=item.start,
            end=item.end,
            event_id=item.calendar_event_id,
            candidate_email=candidates[loop.candidate_id].email.casefold(),
            zone=loop.candidate_timezone,
            seats=tuple(seats.get(item.id, [])),
            reported=frozenset(item.calendar_changes or []),
            open_intent=item.id in busy,
        )
    return facts


def upcoming_event_ids(*, session: Session, now: datetime) -> dict[str, int]:
    """{event id: session id} of live sessions not yet over: what a full resync must find."""
    rows = session.exec(
        select(InterviewSession.calendar_event_id, InterviewSession.id)
        .join(Loop, sa.and_(col(Loop.id) == col(InterviewSession.loop_id)))
        .where(
            col(InterviewSession.calendar_event_id).is_not(None),
            InterviewSession.state != SessionState.CANCELLED,
            col(InterviewSession.end) > now,
            col(Loop.state).in_([s.value for s in LIVE_LOOPS]),
        )
    ).all()
    return {event_id: session_id for event_id, session_id in rows if event_id and session_id}
