"""Nothing stuck: resume or finish loops a crash left half way, and run overdue intents.

A crash can stop the flow between two transactions; every step is a durable row, so the sweeper
only has to look for the few shapes a stop leaves behind:

- a PENDING loop with a seat nobody holds after a decline (the declining process died before
  finding cover) → the same cover a decline runs;
- a PENDING loop whose every request is confirmed (the confirming process died before it
  decided, or lost a race it could not see) → the same `start_booking` a confirm runs;
- a BOOKING loop with no open intent (all events done but the final move lost, or intents
  finished without effect) → finish it, or write inserts for the sessions still without one;
- intents whose lease ran out (their worker died) → claimed again by `run_intents`.

One replica sweeps at a time: the job holds a lease row (`job_lease`), taken with one
conditional UPDATE, so a replica that dies simply lets its lease run out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlmodel import col, select

from bot.services.answers import cover
from bot.services.booking import complete_booking, send_notices, start_booking
from bot.services.calendar_intents import loop_has_open_intent, request_event_insert
from bot.services.context import Services
from bot.services.intent_worker import default_worker_id, run_intents
from bot.services.read import bundle
from storage.engine import session_scope
from storage.models import JobLease, Loop, LoopState, RequestState, SessionState
from storage.repo import audit
from storage.states import lock_row

log = logging.getLogger(__name__)

SWEEP_JOB = "sweeper"
SWEEP_LEASE = timedelta(minutes=5)
UNCOVERED_GRACE = timedelta(minutes=2)  # a decline being handled right now is left alone


def take_lease(
    services: Services, name: str, holder: str, *, now: datetime, lease: timedelta
) -> bool:
    """Hold job `name` until `now + lease`; False while another holder's lease is live."""
    with session_scope(services.engine) as session:
        table = JobLease.__table__  # type: ignore[attr-defined]
        result: CursorResult[object] = session.execute(  # type: ignore[assignment]
            sa.update(table)
            .where(
                table.c.name == name,
                sa.or_(table.c.holder == holder, table.c.lease_until < now),
            )
            .values(holder=holder, lease_until=now + lease)
        )
        if result.rowcount == 1:
            return True
        if session.get(JobLease, name) is not None:
            return False
        try:
            with session.begin_nested():
                session.add(JobLease(name=name, holder=holder, lease_until=now + lease))
                session.flush()
        except sa.exc.IntegrityError:
            return False
        return True


def release_lease(services: Services, name: str, holder: str) -> None:
    with session_scope(services.engine) as session:
        table = JobLease.__table__  # type: ignore[attr-defined]
        session.execute(sa.delete(table).where(table.c.name == name, table.c.holder == holder))


@dataclass(frozen=True)
class SweepReport:
    ran: bool
    started: int = 0  # PENDING loops found fully confirmed and moved to BOOKING
    resumed: int = 0  # BOOKING loops given fresh inserts
    finished: int = 0  # BOOKING loops whose events were all there
    intents: int = 0  # intents carried out (including expired leases)


def sweep(services: Services, *, holder: str | None = None) -> SweepReport:
    """One sweep, if this replica holds the sweeper lease."""
    holder = holder or default_worker_id()
    now = services.clock()
    if not take_lease(services, SWEEP_JOB, holder, now=now, lease=SWEEP_LEASE):
        return SweepReport(ran=False)
    try:
        for session_id, short_id in open_seats(services, now):
            log.warning("sweeper: loop %s has an uncovered seat; finding cover", short_id)
            cover(services, session_id, short_id, reason="a decline was left without cover")
        started, resumed, finished, booked = _repair(services, now)
        for loop_id in booked:
            send_notices(services, loop_id)
        done = run_intents(services, worker_id=holder)
    finally:
        release_lease(services, SWEEP_JOB, holder)
    report = SweepReport(True, started, resumed, finished, done)
    if started or resumed or finished:
        log.warning("sweeper repaired loops: %s", report)
    return report


def open_seats(services: Services, now: datetime) -> list[tuple[int, str]]:
    """(session id, loop short id) of PENDING loops' sessions with a seat nobody holds whose
    last decline is older than `UNCOVERED_GRACE` (the declining process died before covering)."""
    found: list[tuple[int, str]] = []
    with session_scope(services.engine) as session:
        pending = session.exec(select(Loop).where(Loop.state == LoopState.PENDING)).all()
        for loop in pending:
            view = bundle(loop, session=session)
            for item in view.sessions:
                assert item.id is not None
                if len(view.holders(item.id)) >= item.panel_size:
                    continue
                declined = [
                    r.answered_at
                    for r in view.requests.get(item.id, [])
                    if r.state is RequestState.DECLINED and r.answered_at is not None
                ]
                if declined and max(declined) <= now - UNCOVERED_GRACE:
                    found.append((item.id, loop.short_id))
    return found


def _repair(services: Services, now: datetime) -> tuple[int, int, int, list[int]]:
    with session_scope(services.engine) as session:
        rows = session.exec(
            select(Loop.id, Loop.state).where(
                col(Loop.state).in_([LoopState.PENDING.value, LoopState.BOOKING.value])
            )
        ).all()
    started = resumed = finished = 0
    booked: list[int] = []
    for loop_id, state in rows:
        if loop_id is None:
            continue
        with session_scope(services.engine) as session:
            if state is LoopState.PENDING:
                if start_booking(loop_id, session=session, services=services):
                    audit("loop.sweeper_started", session=session, actor="system", loop_id=loop_id)
                    started += 1
                continue
            loop = lock_row(Loop, loop_id, session=session)
            session.expire_all()
            if loop is None or loop.state is not LoopState.BOOKING:
                continue
            if loop_has_open_intent(loop_id, session=session):
                continue
            if complete_booking(loop_id, session=session, services=services):
                finished += 1
                booked.append(loop_id)
                continue
            for item in bundle(loop, session=session).sessions:
                assert item.id is not None
                if item.state is SessionState.CONFIRMED:
                    request_event_insert(item.id, session=session, now=now)
            audit("loop.sweeper_resumed", session=session, actor="system", loop_id=loop_id)
            resumed += 1
    return started, resumed, finished, booked
