"""Carrying out calendar intents: claim with a lease, call Google, record the outcome.

The reminder outbox's pattern (`bot.reminders.claims`): a claim is one conditional UPDATE over
`pending and due` or `claimed with an expired lease` rows (`FOR UPDATE SKIP LOCKED` on
PostgreSQL, so replicas never wait for each other), every later write is a compare-and-set on
the claim token. Every Google call is idempotent: inserts carry the session's event id (409 →
the existing event), deletes treat 404/410 as done. So a worker killed at any point leaves an
intent whose lease runs out and which the next tick simply does again.

Before calling Google the worker re-reads what the session needs now: an insert for a session
whose loop was cancelled meanwhile becomes a delete (its earlier attempt may have landed), and
the outcome is recorded under the loop's row lock, where a cancel that slipped in between is
seen and the fresh event is undone.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlmodel import Session

from bot.faults import fault_point
from bot.ports import CalendarError, EventRef, EventSpec
from bot.retry import RetryPolicy
from bot.services.asks import notify
from bot.services.booking import (
    fail_booking,
    record_insert,
    send_notices,
    spec_for_session,
)
from bot.services.context import Services
from storage.engine import session_scope
from storage.models import CalendarIntent, IntentKind, IntentState, InterviewSession, Loop
from storage.repo import audit
from storage.states import lock_row

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
_RETRY = RetryPolicy(
    max_attempts=5, initial_backoff=15, max_backoff=600, deadline=None, jitter=False
)
RETRY = {
    IntentKind.INSERT: _RETRY,
    IntentKind.PATCH: _RETRY,
    IntentKind.DELETE: replace(_RETRY, max_attempts=10),
}
"""Passing Calendar failures: 15 s, 30 s, 1 min, … at most 10 min apart; deletes try longer."""
MAX_ROUNDS = 5  # claims per run: an undo written while running is picked up by the next round

INTENT: sa.Table = CalendarIntent.__table__  # type: ignore[attr-defined]


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@functools.cache
def _claim_statement(dialect: str, by_loop: bool) -> Any:
    now: sa.BindParameter[datetime] = sa.bindparam("now")

    def claimable(table: sa.FromClause) -> sa.ColumnElement[bool]:
        condition = sa.or_(
            sa.and_(table.c.state == IntentState.PENDING, table.c.due_at <= now),
            sa.and_(table.c.state == IntentState.CLAIMED, table.c.lease_until < now),
        )
        if by_loop:
            condition = sa.and_(condition, table.c.loop_id == sa.bindparam("only_loop"))
        return condition

    picked = INTENT.alias("picked")
    pick = (
        sa.select(picked.c.id)
        .where(claimable(picked))
        .order_by(picked.c.id)
        .limit(sa.bindparam("limit", type_=sa.Integer))
    )
    if dialect == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    return (
        sa.update(INTENT)
        .where(INTENT.c.id.in_(pick), claimable(INTENT))
        .values(
            state=IntentState.CLAIMED,
            claimed_by=sa.bindparam("token"),
            lease_until=sa.bindparam("lease_until"),
            attempts=INTENT.c.attempts + 1,
        )
        .returning(INTENT.c.id)
    )


def claim(
    services: Services, *, token: str, now: datetime, limit: int, loop_id: int | None = None
) -> list[int]:
    """Atomically claim up to `limit` due intents (or ones whose lease ran out), oldest first."""
    with services.engine.begin() as connection:
        statement = _claim_statement(connection.dialect.name, loop_id is not None)
        parameters: dict[str, Any] = {
            "now": now,
            "token": token,
            "lease_until": now + LEASE,
            "limit": limit,
        }
        if loop_id is not None:
            parameters["only_loop"] = loop_id
        rows = connection.execute(statement, parameters).all()
    return sorted(row.id for row in rows)


def _cas(session: Session, intent_id: int, token: str, values: dict[str, Any]) -> bool:
    statement = (
        sa.update(INTENT)
        .where(
            INTENT.c.id == intent_id,
            INTENT.c.claimed_by == token,
            INTENT.c.state == IntentState.CLAIMED,
        )
        .values(**values)
    )
    result: CursorResult[Any] = session.execute(statement)  # type: ignore[assignment]
    return result.rowcount == 1


@dataclass(frozen=True)
class Job:
    """A claimed intent, read: what to do now about which event."""

    intent_id: int
    loop_id: int
    session_id: int
    kind: IntentKind
    action: IntentKind | None  # what to do now (None: nothing left to do)
    event_id: str
    attempts: int
    spec: EventSpec | None


def prepare(services: Services, intent_id: int, token: str) -> Job | None:
    with session_scope(services.engine) as session:
        intent = session.get(CalendarIntent, intent_id)
        if intent is None or intent.state is not IntentState.CLAIMED:
            return None
        if intent.claimed_by != token:
            return None
        spec = None
        action: IntentKind | None = intent.kind
        if intent.kind in (IntentKind.INSERT, IntentKind.PATCH):
            spec = spec_for_session(
                intent.session_id, session=session, patching=intent.kind is IntentKind.PATCH
            )
            if spec is None:
                # No longer wanted: an insert that may have landed is removed, a patch dropped.
                action = IntentKind.DELETE if intent.kind is IntentKind.INSERT else None
        return Job(
            intent_id,
            intent.loop_id,
            intent.session_id,
            intent.kind,
            action,
            intent.event_id,
            intent.attempts,
            spec,
        )


def execute(services: Services, intent_id: int, token: str) -> None:
    """Carry out one claimed intent (never raises for a Google failure: it is recorded)."""
    job = prepare(services, intent_id, token)
    if job is not None:
        finish(services, job, token, call(services, job))


def call(services: Services, job: Job) -> EventRef | CalendarError | None:
    """The Google part of a job, outside any transaction: its answer, or the error."""
    if job.action is None:
        return None
    calendar = services.calendar
    name = job.action.value
    try:
        if calendar is None:
            raise CalendarError("Google Calendar is not configured")
        fault_point(f"intent.before_{name}")
        ref: EventRef | None = None
        if job.action is IntentKind.INSERT:
            assert job.spec is not None
            ref = calendar.create_event(job.spec)
        elif job.action is IntentKind.PATCH:
            assert job.spec is not None
            ref = calendar.patch_event(job.event_id, job.spec)
        else:
            calendar.cancel_event(job.event_id)
        fault_point(f"intent.after_{name}")
        return ref
    except CalendarError as error:
        return error


def finish(
    services: Services, job: Job, token: str, outcome: EventRef | CalendarError | None
) -> None:
    """Record a job's outcome under the loop's row lock (only while the claim is ours)."""
    if isinstance(outcome, CalendarError):
        _record_failure(services, job, token, outcome)
        return
    booked = False
    with session_scope(services.engine) as session:
        lock_row(Loop, job.loop_id, session=session)  # loop first, like every decider
        if not _cas(
            session,
            job.intent_id,
            token,
            {"state": IntentState.DONE, "done_at": services.clock(), "lease_until": None},
        ):
            log.warning("calendar intent %s: claim lost; its new holder redoes it", job.intent_id)
            return
        if job.action is IntentKind.INSERT and outcome is not None:
            booked = record_insert(job.session_id, outcome, session=session, services=services)
        elif job.action is IntentKind.PATCH and outcome is not None and outcome.meet_link:
            item = session.get(InterviewSession, job.session_id)
            if item is not None:
                item.meet_link = outcome.meet_link
        fault_point("intent.before_commit")
    if booked:
        fault_point("booking.after_booked_commit")
        send_notices(services, job.loop_id)


def _record_failure(services: Services, job: Job, token: str, error: CalendarError) -> None:
    now = services.clock()
    policy = RETRY[job.action or job.kind]
    escalated = False
    gave_up = False
    with session_scope(services.engine) as session:
        loop = lock_row(Loop, job.loop_id, session=session)
        assert loop is not None
        if error.retryable and job.attempts < policy.max_attempts:
            _cas(
                session,
                job.intent_id,
                token,
                {
                    "state": IntentState.PENDING,
                    "due_at": now + policy.delay(job.attempts),
                    "claimed_by": None,
                    "lease_until": None,
                    "last_error": str(error)[:2000],
                },
            )
            log.warning(
                "calendar %s for session %s failed (attempt %d), retrying: %s",
                (job.action or job.kind).value,
                job.session_id,
                job.attempts,
                error,
            )
            return
        if not _cas(
            session,
            job.intent_id,
            token,
            {"state": IntentState.FAILED, "lease_until": None, "last_error": str(error)[:2000]},
        ):
            return
        gave_up = True
        if job.action is IntentKind.INSERT:
            escalated = fail_booking(job.loop_id, str(error), session=session, services=services)
        else:
            audit(
                "event.write_failed",
                session=session,
                actor="system",
                loop_id=job.loop_id,
                details={"event": job.event_id, "action": (job.action or job.kind).value},
            )
        recruiter, short_id = loop.recruiter_slack_id, loop.short_id
    if escalated:
        fault_point("booking.after_failed_commit")
        send_notices(services, job.loop_id)
    elif gave_up and job.action is not IntentKind.INSERT:
        notify(
            services,
            recruiter,
            f":warning: Loop `{short_id}`: I could not update or remove a calendar event "
            f"({error}). Please check the organizer's calendar.",
            short_id,
        )


def run_intents(
    services: Services,
    *,
    loop_id: int | None = None,
    limit: int = 50,
    worker_id: str | None = None,
) -> int:
    """Claim and carry out what is due (only one loop's intents when `loop_id` is given)."""
    done = 0
    for _ in range(MAX_ROUNDS):
        token = f"{worker_id or default_worker_id()}:{uuid.uuid4().hex[:8]}"
        ids = claim(services, token=token, now=services.clock(), limit=limit, loop_id=loop_id)
        if not ids:
            break
        for intent_id in ids:
            execute(services, intent_id, token)
        done += len(ids)
    return done
