"""Calendar intents: cancel and reschedule racing inserts, lost answers, crashed workers,
part-failed bookings retried then escalated, the sweeper, candidate-safe event text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import select

from bot.ports import CalendarBusy, EventRef, EventSpec
from bot.services import answers, loops
from bot.services.booking import spec_for_session
from bot.services.calendar_intents import has_open_intent, request_event_patch
from bot.services.intent_worker import LEASE, claim, run_intents
from bot.services.sweeper import SWEEP_JOB, sweep, take_lease
from storage.engine import session_scope
from storage.models import (
    AuditLog,
    CalendarIntent,
    IntentKind,
    IntentState,
    InterviewSession,
    Loop,
    LoopState,
    RequestState,
    SessionState,
)
from storage.states import transition
from tests.consistency.helpers import (
    confirm_all,
    inconsistencies,
    loop_id_of,
    open_intents,
    pending_requests,
)
from tests.slack.conftest import RECRUITER, Harness


def _ready_to_book(harness: Harness) -> tuple[int, tuple[int, str]]:
    """A loop with every request confirmed but the last one."""
    loop_id = loop_id_of(harness.engine, harness.book_first_option())
    [last] = confirm_all(harness.services, loop_id, leave=1)
    return loop_id, last


def _loop(harness: Harness, loop_id: int) -> Loop:
    with session_scope(harness.engine) as session:
        loop = session.get(Loop, loop_id)
        assert loop is not None
        return loop


@dataclass
class Interleave:
    """The real calendar client with a hook that runs right after an insert came back, to
    put a cancel exactly in the window between Google's answer and its recording."""

    inner: Any
    after_insert: Callable[[], None] | None = None

    def free_busy(self, emails: Any, start: datetime, end: datetime) -> dict[str, CalendarBusy]:
        return self.inner.free_busy(emails, start, end)  # type: ignore[no-any-return]

    def create_event(self, spec: EventSpec) -> EventRef:
        ref = self.inner.create_event(spec)
        hook, self.after_insert = self.after_insert, None
        if hook is not None:
            hook()
        return ref  # type: ignore[no-any-return]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_last_confirm_books_every_session_exactly_once(harness: Harness) -> None:
    loop_id, (request_id, user) = _ready_to_book(harness)
    assert harness.calendar.events == {}
    answers.confirm(harness.services, request_id=request_id, user_id=user)
    assert _loop(harness, loop_id).state is LoopState.BOOKED
    assert len(harness.calendar.events) == 3
    assert inconsistencies(harness.engine, harness.calendar) == []
    summaries = [m for m in harness.dms(RECRUITER) if "booked" in m["text"].lower()]
    assert len(summaries) == 1


def test_events_are_fit_for_the_candidate(harness: Harness) -> None:
    loop_id, (request_id, user) = _ready_to_book(harness)
    with session_scope(harness.engine) as session:
        session.get(Loop, loop_id).notes = "Internal: strong referral, push hard"  # type: ignore[union-attr]
    answers.confirm(harness.services, request_id=request_id, user_id=user)
    events = list(harness.calendar.events.values())
    assert len(events) == 3
    for event in events:
        text = event["summary"] + "\n" + event["description"]
        assert "take-home" not in text  # the stage's prep
        assert "Internal" not in text  # recruiter notes
        assert "@corp.example" not in text  # interviewer emails only as attendees
        assert "Software Engineer, Backend & Infrastructure" in text  # the role
        assert "ada@cand.example" in {a["email"] for a in event["attendees"]}
    review = next(e for e in events if "Code review" in e["summary"])
    assert "Session: Code review" in review["description"]


def test_cancel_while_an_insert_is_in_flight_leaves_no_event(harness: Harness) -> None:
    loop_id, (request_id, user) = _ready_to_book(harness)
    short_id = _loop(harness, loop_id).short_id
    wrapped = Interleave(harness.services.calendar)
    harness.services.calendar = wrapped  # type: ignore[assignment]
    wrapped.after_insert = lambda: loops.cancel(
        harness.services, short_id=short_id, user_id=RECRUITER, reason="withdrew"
    )
    answers.confirm(harness.services, request_id=request_id, user_id=user)
    run_intents(harness.services)
    assert _loop(harness, loop_id).state is LoopState.CANCELLED
    assert harness.calendar.events == {}
    assert open_intents(harness.engine) == 0
    with session_scope(harness.engine) as session:
        undone = session.exec(select(AuditLog).where(AuditLog.action == "event.undone")).all()
        states = {s.state for s in session.exec(select(InterviewSession)).all()}
    assert len(undone) == 1  # the insert that landed after the cancel was removed again
    assert states == {SessionState.CANCELLED}
    assert inconsistencies(harness.engine, harness.calendar) == []


def test_insert_whose_answer_was_lost_by_a_crashed_worker_is_removed_on_cancel(
    harness: Harness,
) -> None:
    loop_id, (request_id, user) = _ready_to_book(harness)
    short_id = _loop(harness, loop_id).short_id
    # The deciding transaction commits, then "the worker" claims and inserts one event and
    # dies before recording it (its claim stays until the lease runs out).
    real_run = answers.run_intents
    answers.run_intents = lambda services, **_: 0  # type: ignore[assignment]
    try:
        answers.confirm(harness.services, request_id=request_id, user_id=user)
    finally:
        answers.run_intents = real_run
    now = harness.clock.now
    [first, *_] = claim(harness.services, token="dead", now=now, limit=1)
    with session_scope(harness.engine) as session:
        intent = session.get(CalendarIntent, first)
        assert intent is not None
        spec = spec_for_session(intent.session_id, session=session)
        assert spec is not None and has_open_intent(intent.session_id, session=session)
    assert harness.services.calendar is not None
    harness.services.calendar.create_event(spec)  # landed; the answer never got recorded
    assert len(harness.calendar.events) == 1
    loops.cancel(harness.services, short_id=short_id, user_id=RECRUITER, reason=None)
    assert open_intents(harness.engine) > 0  # the dead worker's claim is still leased
    harness.clock.now = now + LEASE + timedelta(seconds=1)
    run_intents(harness.services)
    assert harness.calendar.events == {}
    assert open_intents(harness.engine) == 0
    assert inconsistencies(harness.engine, harness.calendar) == []


def test_reschedule_during_booking_removes_every_event(harness: Harness) -> None:
    loop_id, (request_id, user) = _ready_to_book(harness)
    short_id = _loop(harness, loop_id).short_id
    wrapped = Interleave(harness.services.calendar)
    harness.services.calendar = wrapped  # type: ignore[assignment]
    wrapped.after_insert = lambda: loops.reschedule(
        harness.services, short_id=short_id, user_id=RECRUITER
    )
    answers.confirm(harness.services, request_id=request_id, user_id=user)
    run_intents(harness.services)
    assert _loop(harness, loop_id).state is LoopState.PROPOSED
    assert harness.calendar.events == {}
    assert inconsistencies(harness.engine, harness.calendar) == []


def test_transient_failures_are_retried_with_backoff_then_book(harness: Harness) -> None:
    loop_id, (request_id, user) = _ready_to_book(harness)
    harness.calendar.fail_next(503, count=3, match="POST /calendar/v3/calendars/primary/events")
    answers.confirm(harness.services, request_id=request_id, user_id=user)
    assert _loop(harness, loop_id).state is LoopState.BOOKING
    assert len(harness.calendar.events) == 2  # one insert waits for its retry
    assert run_intents(harness.services) == 0  # not due yet: backoff
    harness.clock.now += timedelta(seconds=16)
    run_intents(harness.services)
    assert _loop(harness, loop_id).state is LoopState.BOOKED
    assert len(harness.calendar.events) == 3
    assert inconsistencies(harness.engine, harness.calendar) == []


def test_retry_budget_spent_escalates_and_leaves_no_stray_event(harness: Harness) -> None:
    loop_id, (request_id, user) = _ready_to_book(harness)
    inserts = "POST /calendar/v3/calendars/primary/events"
    harness.calendar.fail_next(503, count=3, match=inserts)  # 3 HTTP attempts: the first insert
    answers.confirm(harness.services, request_id=request_id, user_id=user)
    assert len(harness.calendar.events) == 2
    harness.calendar.fail_next(503, count=3 * 4, match=inserts)  # its 4 further attempts
    for _ in range(6):
        harness.clock.now += timedelta(minutes=10)
        run_intents(harness.services)
    loop = _loop(harness, loop_id)
    assert loop.state is LoopState.NEEDS_ATTENTION
    assert loop.attention_reason and loop.attention_reason.startswith("booking failed")
    assert harness.calendar.events == {}  # the two that were made are removed again
    assert open_intents(harness.engine) == 0
    notices = [m for m in harness.dms(RECRUITER) if harness.buttons(m, "retry_booking")]
    assert len(notices) == 1
    assert inconsistencies(harness.engine, harness.calendar) == []


def test_patch_makes_the_event_match_the_database(harness: Harness) -> None:
    loop_id, (request_id, user) = _ready_to_book(harness)
    answers.confirm(harness.services, request_id=request_id, user_id=user)
    with session_scope(harness.engine) as session:
        item = session.exec(
            select(InterviewSession).where(InterviewSession.loop_id == loop_id)
        ).first()
        assert item is not None and item.id is not None
        item.start += timedelta(minutes=30)
        item.end += timedelta(minutes=30)
        request_event_patch(item.id, session=session, now=harness.clock.now)
        event_id, start = item.calendar_event_id, item.start
    run_intents(harness.services)
    event = harness.calendar.events[event_id or ""]
    assert datetime.fromisoformat(event["start"]["dateTime"]) == start
    assert event.get("hangoutLink")  # conferenceDataVersion=1 kept the Meet link
    patches = harness.calendar.api_requests("PATCH")
    assert patches[-1].query["sendUpdates"] == "all"
    assert patches[-1].query["conferenceDataVersion"] == "1"


def test_sweeper_books_a_loop_whose_confirmer_died_before_deciding(harness: Harness) -> None:
    loop_id = loop_id_of(harness.engine, harness.book_first_option())
    with session_scope(harness.engine) as session:  # answers recorded, no decision taken
        for request_id, _ in pending_requests(harness.engine, loop_id):
            transition(
                answers.InterviewerRequest,
                request_id,
                RequestState.CONFIRMED,
                session=session,
            )
    assert _loop(harness, loop_id).state is LoopState.PENDING
    report = sweep(harness.services, holder="replica-a")
    assert report.ran and report.started == 1
    assert _loop(harness, loop_id).state is LoopState.BOOKED
    assert len(harness.calendar.events) == 3
    assert inconsistencies(harness.engine, harness.calendar) == []


def test_sweeper_resumes_a_booking_left_without_intents(harness: Harness) -> None:
    loop_id, (request_id, user) = _ready_to_book(harness)
    real_run = answers.run_intents
    answers.run_intents = lambda services, **_: 0  # type: ignore[assignment]
    try:
        answers.confirm(harness.services, request_id=request_id, user_id=user)
    finally:
        answers.run_intents = real_run
    with session_scope(harness.engine) as session:  # as if the intents were lost
        for intent in session.exec(select(CalendarIntent)).all():
            intent.state = IntentState.CANCELLED
    assert _loop(harness, loop_id).state is LoopState.BOOKING
    report = sweep(harness.services, holder="replica-a")
    assert report.resumed == 1
    assert _loop(harness, loop_id).state is LoopState.BOOKED
    assert len(harness.calendar.events) == 3


def test_one_replica_sweeps_at_a_time(harness: Harness) -> None:
    now = harness.clock.now
    assert take_lease(harness.services, SWEEP_JOB, "a", now=now, lease=timedelta(minutes=5))
    assert not take_lease(harness.services, SWEEP_JOB, "b", now=now, lease=timedelta(minutes=5))
    assert not sweep(harness.services, holder="b").ran
    later = now + timedelta(minutes=6)  # a died: its lease ran out
    assert take_lease(harness.services, SWEEP_JOB, "b", now=later, lease=timedelta(minutes=5))


def test_intent_api_dedupes_and_delete_supersedes_pending_writes(harness: Harness) -> None:
    loop_id = loop_id_of(harness.engine, harness.book_first_option())
    from bot.services.calendar_intents import request_event_delete, request_event_insert

    with session_scope(harness.engine) as session:
        item = session.exec(
            select(InterviewSession).where(InterviewSession.loop_id == loop_id)
        ).first()
        assert item is not None and item.id is not None
        request_event_insert(item.id, session=session)
        request_event_insert(item.id, session=session)
        request_event_patch(item.id, session=session)
        assert has_open_intent(item.id, session=session)
        request_event_delete(item.id, session=session)
        request_event_delete(item.id, session=session)
        rows = session.exec(
            select(CalendarIntent).where(CalendarIntent.session_id == item.id)
        ).all()
    kinds = sorted((r.kind.value, r.state.value) for r in rows)
    assert kinds == [
        (IntentKind.DELETE.value, "pending"),
        (IntentKind.INSERT.value, "cancelled"),
        (IntentKind.PATCH.value, "cancelled"),
    ]


def test_prep_and_recruiter_notes_reach_interviewers_in_slack(harness: Harness) -> None:
    proposal = harness.propose()
    button = harness.buttons(proposal, "choose_option")[0]
    short_id = str(button["value"]).split(":")[0]
    with session_scope(harness.engine) as session:
        loop = session.exec(select(Loop).where(Loop.short_id == short_id)).one()
        loop.notes = "Internal: strong referral"
    harness.click(button["action_id"], button["value"], RECRUITER)
    asks = [m for m in harness.dms("U01ANA") + harness.dms("U02BEN") if "Code review" in str(m)]
    assert len(asks) == 1
    text = str(asks[0]["blocks"])
    assert "Read the take-home PR." in text and "Internal: strong referral" in text
