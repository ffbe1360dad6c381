"""A hypothesis state machine over the booking services, the fake calendar and fake Slack.

Rules: propose, choose, confirm, decline, cancel, reschedule, inserts that fail (for now or for
good) or whose answer is lost, worker runs, workers that crash after claiming (with or without
having called Google), the clock moving past leases and backoffs, the sweeper. After every step
the invariants that hold at every moment are checked; whenever no intent is open (the worker is
idle), also that the calendar holds exactly the events of booked sessions of live loops.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlmodel import col, select

from bot.services import answers, loops
from bot.services.choose import choose
from bot.services.errors import UserFacingError
from bot.services.intent_worker import LEASE, Job, call, claim, finish, prepare, run_intents
from bot.services.proposals import ScheduleInput, propose
from bot.services.sweeper import sweep
from storage.engine import session_scope
from storage.models import (
    AuditLog,
    CalendarIntent,
    Candidate,
    InterviewerRequest,
    InterviewSession,
    JobLease,
    Loop,
    LoopState,
    Reminder,
)
from tests.consistency.helpers import (
    inconsistencies,
    loop_id_of,
    open_intents,
    pending_requests,
)
from tests.slack.conftest import NOW, RECRUITER, Harness

INSERTS = "POST /calendar/v3/calendars/primary/events"
LIVE = (LoopState.PROPOSED, LoopState.PENDING, LoopState.BOOKING, LoopState.BOOKED)


def _machine(harness: Harness) -> type[RuleBasedStateMachine]:
    services = harness.services
    engine = harness.engine

    class BookingMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.short_ids: list[str] = []
            self.counter = 0
            self.in_flight: list[tuple[Job, str]] = []

        @initialize(inline=st.booleans())
        def start(self, inline: bool) -> None:
            services.inline_intents = inline  # off: only the worker rules carry intents out
            self.settle()
            self.reset()
            self.propose_loop()
            for short_id in self.with_state(LoopState.PROPOSED):
                choose(services, short_id=short_id, index=0, user_id=RECRUITER)

        # -- helpers ---------------------------------------------------------------------

        def reset(self) -> None:
            """Every example starts from the same world (so hypothesis can replay and shrink):
            the clock at NOW, no loops, no events, no queued Google faults."""
            harness.clock.now = NOW
            assert services.calendar is not None
            for event_id in harness.calendar.events:  # what a failed example left behind
                services.calendar.cancel_event(event_id)
            with harness.calendar._lock:  # the fake has no public "forget faults"
                harness.calendar._faults.clear()
            with engine.begin() as connection:
                for table in (
                    CalendarIntent,
                    Reminder,
                    AuditLog,
                    InterviewerRequest,
                    InterviewSession,
                    Loop,
                    Candidate,
                    JobLease,
                ):
                    connection.execute(sa.delete(table))

        def states(self) -> dict[str, LoopState]:
            with session_scope(engine) as session:
                rows = session.exec(
                    select(Loop.short_id, Loop.state).where(col(Loop.short_id).in_(self.short_ids))
                ).all()
            return dict(rows)

        def with_state(self, *wanted: LoopState) -> list[str]:
            return [s for s, state in self.states().items() if state in wanted]

        def settle(self) -> None:
            """Let the worker finish everything (moving the clock past backoffs and leases)."""
            for _ in range(15):
                run_intents(services)
                if open_intents(engine) == 0:
                    return
                harness.clock.now += timedelta(minutes=10)
            raise AssertionError("intents did not settle")

        # -- rules -----------------------------------------------------------------------

        @precondition(lambda self: len(self.with_state(*LIVE)) < 2)
        @rule()
        def propose_loop(self) -> None:
            self.counter += 1
            email = f"cand{id(self)}-{self.counter}@cand.example"
            try:
                view = propose(
                    services,
                    ScheduleInput(
                        recruiter=RECRUITER,
                        candidate_email=email,
                        template_key="backend-swe",
                        timezone="Europe/London",
                        date_from=date(2026, 12, 2),
                        date_to=date(2026, 12, 11),
                    ),
                )
            except UserFacingError:
                return
            self.short_ids.append(view.loop_id)

        @rule(data=st.data())
        def choose_option(self, data: st.DataObject) -> None:
            proposed = self.with_state(LoopState.PROPOSED)
            if proposed:
                short_id = data.draw(st.sampled_from(proposed))
                choose(services, short_id=short_id, index=0, user_id=RECRUITER)

        @rule(data=st.data())
        def everyone_confirms(self, data: st.DataObject) -> None:
            pending = self.with_state(LoopState.PENDING)
            if pending:
                short_id = data.draw(st.sampled_from(pending))
                for request_id, user in pending_requests(engine, loop_id_of(engine, short_id)):
                    answers.confirm(services, request_id=request_id, user_id=user)
                self.worker_starts_one()  # a worker picks the first insert up at once

        @rule(data=st.data(), confirm=st.sampled_from([True, True, True, False]))
        def answer(self, data: st.DataObject, confirm: bool) -> None:
            asks = pending_requests(engine)
            if asks:
                request_id, user = data.draw(st.sampled_from(asks))
                act = answers.confirm if confirm else answers.decline
                act(services, request_id=request_id, user_id=user)

        @rule(data=st.data())
        def cancel(self, data: st.DataObject) -> None:
            live = self.with_state(*LIVE, LoopState.NEEDS_ATTENTION)
            if live:
                short_id = data.draw(st.sampled_from(live))
                loops.cancel(services, short_id=short_id, user_id=RECRUITER, reason=None)
                # Its deletes are quick (another replica): they may run before an insert that
                # is already in flight lands.
                run_intents(services, loop_id=loop_id_of(engine, short_id))

        @rule(data=st.data())
        def reschedule(self, data: st.DataObject) -> None:
            moving = self.with_state(
                LoopState.PENDING, LoopState.BOOKING, LoopState.BOOKED, LoopState.NEEDS_ATTENTION
            )
            if moving:
                short_id = data.draw(st.sampled_from(moving))
                loops.reschedule(services, short_id=short_id, user_id=RECRUITER)

        @rule(status=st.sampled_from([503, 400]))
        def next_insert_fails(self, status: int) -> None:
            harness.calendar.fail_next(status, count=3 if status == 503 else 1, match=INSERTS)

        @rule()
        def next_insert_answer_lost(self) -> None:
            harness.calendar.drop_next(match=INSERTS)

        @rule()
        def worker_runs(self) -> None:
            run_intents(services)

        @rule()
        def worker_starts_one(self) -> None:
            """A worker claims the oldest due intent and reads what to do; its Google call and
            the recording happen in a later step (`worker_finishes_one`) or never
            (`worker_dies`), so other steps can run in between, as on another replica."""
            token = f"w{len(self.in_flight)}-{harness.clock.now.timestamp()}"
            ids = claim(services, token=token, now=harness.clock.now, limit=1)
            job = prepare(services, ids[0], token) if ids else None
            if job is not None:
                self.in_flight.append((job, token))

        @precondition(lambda self: self.in_flight)
        @rule()
        def worker_finishes_one(self) -> None:
            job, token = self.in_flight.pop(0)
            finish(services, job, token, call(services, job))

        @precondition(lambda self: self.in_flight)
        @rule(reschedule=st.booleans())
        def withdraw_a_loop_with_a_job_in_flight(self, reschedule: bool) -> None:
            """Cancel or reschedule the loop of the oldest job in flight; its deletes run at
            once (another replica), so they may come before that job's insert lands."""
            job, _ = self.in_flight[0]
            with session_scope(engine) as session:
                loop = session.get(Loop, job.loop_id)
                assert loop is not None
                short_id, state = loop.short_id, loop.state
            if state in (LoopState.CANCELLED, LoopState.COMPLETED):
                return
            if reschedule and state is not LoopState.PROPOSED:
                loops.reschedule(services, short_id=short_id, user_id=RECRUITER)
            else:
                loops.cancel(services, short_id=short_id, user_id=RECRUITER, reason=None)
            run_intents(services, loop_id=job.loop_id)

        @precondition(lambda self: self.in_flight)
        @rule(after_google=st.booleans())
        def worker_dies(self, after_google: bool) -> None:
            """Killed before or after its Google call (then the answer is lost); its claim
            stays until the lease runs out."""
            job, _ = self.in_flight.pop(0)
            if after_google:
                call(services, job)

        @rule(minutes=st.sampled_from([1, 3, 11]))
        def time_passes(self, minutes: int) -> None:
            harness.clock.now += timedelta(minutes=minutes)

        @rule()
        def sweeper_runs(self) -> None:
            sweep(services, holder="sweeper")

        @rule()
        def retry_failed_booking(self) -> None:
            from bot.services.booking import retry_booking

            for short_id in self.with_state(LoopState.NEEDS_ATTENTION):
                retry_booking(services, short_id=short_id, user_id=RECRUITER)

        # -- invariants ------------------------------------------------------------------

        @invariant()
        def consistent(self) -> None:
            idle = open_intents(engine) == 0
            assert inconsistencies(engine, harness.calendar, idle=idle) == []

        @invariant()
        def one_message_per_move(self) -> None:
            with session_scope(engine) as session:
                audits = session.exec(
                    select(AuditLog.action, Loop.short_id)
                    .join(Loop, col(Loop.id) == AuditLog.loop_id)
                    .where(col(Loop.short_id).in_(self.short_ids))
                ).all()
            messages = harness.dms(RECRUITER)
            for short_id in self.short_ids:
                booked = sum(1 for a, s in audits if s == short_id and a == "loop.booked")
                failed = sum(1 for a, s in audits if s == short_id and a == "loop.booking_failed")
                summaries = [
                    m for m in messages if m["text"].startswith(f"Loop `{short_id}` booked")
                ]
                notices = [
                    m
                    for m in messages
                    if f"`{short_id}`" in m["text"] and harness.buttons(m, "retry_booking")
                ]
                assert len(summaries) <= booked, (short_id, len(summaries), booked)
                assert len(notices) <= failed, (short_id, len(notices), failed)

        def teardown(self) -> None:
            self.in_flight.clear()  # whatever is still in flight dies with the test
            harness.clock.now += LEASE * 2  # crashed workers' leases run out
            sweep(services, holder="sweeper")
            self.settle()
            assert inconsistencies(engine, harness.calendar, idle=True) == []
            for short_id in self.with_state(*LIVE, LoopState.NEEDS_ATTENTION):
                loops.cancel(services, short_id=short_id, user_id=RECRUITER, reason=None)
            self.settle()
            assert inconsistencies(engine, harness.calendar, idle=True) == []

    return BookingMachine


def test_booking_stays_consistent_under_any_interleaving(harness: Harness) -> None:
    run_state_machine_as_test(
        _machine(harness),
        settings=settings(
            max_examples=40,
            stateful_step_count=40,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        ),
    )
