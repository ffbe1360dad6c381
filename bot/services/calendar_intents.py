"""Durable calendar intents: "this session's event must be created / updated / removed".

Services call these inside the transaction that makes the change necessary, so the decision and
the promise to carry it out commit together; `bot.services.intent_worker` carries them out with
leases. Every intent names the session's deterministic event id, so a delete can remove an event
whose insert is still in flight, or whose answer was lost, as surely as one we know exists.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.event_ids import session_event_id
from storage.models import CalendarIntent, IntentKind, IntentState, InterviewSession, Loop
from storage.types import utcnow

OPEN_STATES = (IntentState.PENDING, IntentState.CLAIMED)


def _open(session_id: int, kinds: tuple[IntentKind, ...], *, session: Session) -> list[int]:
    rows = session.exec(
        select(CalendarIntent.id).where(
            CalendarIntent.session_id == session_id,
            col(CalendarIntent.kind).in_([k.value for k in kinds]),
            col(CalendarIntent.state).in_([s.value for s in OPEN_STATES]),
        )
    ).all()
    return [row for row in rows if row is not None]


def _add(
    session_id: int, kind: IntentKind, *, session: Session, now: datetime | None
) -> CalendarIntent:
    item = session.get(InterviewSession, session_id)
    if item is None:
        raise ValueError(f"no session {session_id}")
    loop = session.get(Loop, item.loop_id)
    assert loop is not None and loop.id is not None
    intent = CalendarIntent(
        loop_id=loop.id,
        session_id=session_id,
        kind=kind,
        event_id=session_event_id(loop.short_id, session_id),
        due_at=now or utcnow(),
    )
    session.add(intent)
    session.flush()
    return intent


def request_event_insert(session_id: int, *, session: Session, now: datetime | None = None) -> None:
    """Promise the session's event (title, attendees, Meet link) will exist on the calendar.

    A no-op while an insert for the session is already open. `now` (the services' clock) is
    when it becomes due; default: at once.
    """
    if not _open(session_id, (IntentKind.INSERT,), session=session):
        _add(session_id, IntentKind.INSERT, session=session, now=now)


def request_event_patch(session_id: int, *, session: Session, now: datetime | None = None) -> None:
    """Promise the session's existing event will be made to match the database: confirmed
    interviewers plus the candidate as attendees, start and end, title and text
    (`sendUpdates="all"`, `conferenceDataVersion=1`, so the Meet link stays)."""
    if not _open(session_id, (IntentKind.PATCH,), session=session):
        _add(session_id, IntentKind.PATCH, session=session, now=now)


def request_event_delete(session_id: int, *, session: Session, now: datetime | None = None) -> None:
    """Promise the session's event will be gone, whether or not it was ever (fully) created.

    Inserts and patches not started yet are dropped; one already running is undone by the
    worker when it finishes (it re-checks the session under the loop's row lock).
    """
    pending = _open(session_id, (IntentKind.INSERT, IntentKind.PATCH), session=session)
    if pending:
        session.execute(
            sa.update(CalendarIntent)
            .where(
                col(CalendarIntent.id).in_(pending),
                col(CalendarIntent.state) == IntentState.PENDING,
            )
            .values(state=IntentState.CANCELLED, done_at=now or utcnow())
            .execution_options(synchronize_session=False)
        )
    open_deletes = session.exec(
        select(CalendarIntent.id).where(
            CalendarIntent.session_id == session_id,
            CalendarIntent.kind == IntentKind.DELETE,
            CalendarIntent.state == IntentState.PENDING,
        )
    ).first()
    if open_deletes is None:
        _add(session_id, IntentKind.DELETE, session=session, now=now)


def has_open_intent(session_id: int, *, session: Session) -> bool:
    """Whether the bot still has a write about this session's event pending or in flight
    (calendar sync ignores such events: the change it sees may be the bot's own)."""
    return bool(_open(session_id, tuple(IntentKind), session=session))


def loop_has_open_intent(loop_id: int, *, session: Session) -> bool:
    row = session.exec(
        select(CalendarIntent.id).where(
            CalendarIntent.loop_id == loop_id,
            col(CalendarIntent.state).in_([s.value for s in OPEN_STATES]),
        )
    ).first()
    return row is not None
