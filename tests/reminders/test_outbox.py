"""Writing reminders: rows are created, rewritten and cancelled inside the caller's transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.reminders import (
    cancel_reminders,
    cancel_request_follow_ups,
    plan_confirm_nudges,
    plan_session_reminders,
)
from storage.engine import session_scope
from storage.models import (
    InterviewerRequest,
    InterviewSession,
    Loop,
    LoopState,
    Reminder,
    ReminderKind,
    ReminderState,
    RequestState,
    SessionState,
)
from tests.reminders.conftest import by_key, reminders
from tests.reminders.factory import (
    ANA,
    BO,
    CY,
    RECRUITER,
    SESSION_START,
    T0,
    add_request,
    make_loop,
)

OFFSETS = (timedelta(hours=24), timedelta(hours=1))


def _open(engine: Engine) -> list[Reminder]:
    return [
        row
        for row in reminders(engine)
        if row.state in (ReminderState.PENDING, ReminderState.CLAIMED)
    ]


def test_booking_plans_reminders_feedback_and_the_loop_end(engine: Engine) -> None:
    second = SESSION_START + timedelta(hours=2)
    with session_scope(engine) as session:
        rows = make_loop(session, starts=[SESSION_START, second], panels=[[ANA], [BO, CY]])
        result = plan_session_reminders(rows.loop_id, session=session, offsets=OFFSETS, now=T0)
    assert result.written == 10
    assert result.skipped_past == 0
    planned = reminders(engine)
    kinds = [row.kind for row in planned]
    assert kinds.count(ReminderKind.SESSION_REMINDER) == 6
    assert kinds.count(ReminderKind.FEEDBACK_DUE) == 3
    assert kinds.count(ReminderKind.LOOP_FINISHED) == 1
    ana = [
        row
        for row in planned
        if row.target_slack_id == ANA.slack_id and row.kind == ReminderKind.SESSION_REMINDER
    ]
    assert sorted(row.due_at for row in ana) == [
        SESSION_START - timedelta(hours=24),
        SESSION_START - timedelta(hours=1),
    ]
    assert all(row.not_after == SESSION_START for row in ana)
    assert all(row.state == ReminderState.PENDING for row in planned)
    (feedback,) = [
        row
        for row in planned
        if row.kind == ReminderKind.FEEDBACK_DUE and row.target_slack_id == BO.slack_id
    ]
    assert feedback.due_at == second + timedelta(hours=2)  # end (start + 1 h) + 1 h
    (finished,) = [row for row in planned if row.kind == ReminderKind.LOOP_FINISHED]
    assert finished.target_slack_id == RECRUITER
    assert finished.due_at == second + timedelta(hours=1)


def test_rows_roll_back_with_the_change_that_caused_them(engine: Engine) -> None:
    def book_then_fail() -> None:
        with session_scope(engine) as session:
            rows = make_loop(session)
            plan_session_reminders(rows.loop_id, session=session, offsets=OFFSETS, now=T0)
            plan_confirm_nudges(
                add_request(session, rows.session_ids[0], BO),
                session=session,
                after=timedelta(hours=4),
                now=T0,
            )
            session.flush()
            assert session.exec(select(Reminder)).first() is not None
            raise RuntimeError("booking failed after the reminders were written")

    with pytest.raises(RuntimeError):
        book_then_fail()
    assert reminders(engine) == []
    with Session(engine) as session:
        assert session.exec(select(Loop)).first() is None


def test_writing_the_same_reminders_twice_is_a_no_op(engine: Engine) -> None:
    with session_scope(engine) as session:
        rows = make_loop(session)
        first = plan_session_reminders(rows.loop_id, session=session, offsets=OFFSETS, now=T0)
    with session_scope(engine) as session:
        again = plan_session_reminders(rows.loop_id, session=session, offsets=OFFSETS, now=T0)
        nudges = plan_confirm_nudges(
            add_request(session, rows.session_ids[0], BO),
            session=session,
            after=timedelta(hours=4),
            now=T0,
        )
    with session_scope(engine) as session:
        request_id = session.exec(
            select(InterviewerRequest.id).where(InterviewerRequest.state == RequestState.PENDING)
        ).one()
        assert request_id is not None
        nudges_again = plan_confirm_nudges(
            request_id, session=session, after=timedelta(hours=4), now=T0
        )
    assert first.written == 4
    assert (again.written, again.cancelled) == (0, 0)
    assert nudges.written == 3
    assert nudges_again.written == 0
    assert len(reminders(engine)) == 7


def test_a_reminder_already_due_when_booked_is_not_created(engine: Engine) -> None:
    with session_scope(engine) as session:
        rows = make_loop(session)
        late = plan_session_reminders(
            rows.loop_id, session=session, offsets=OFFSETS, now=SESSION_START - timedelta(hours=2)
        )
    assert (late.written, late.skipped_past) == (3, 1)
    session_reminders = [
        row for row in reminders(engine) if row.kind == ReminderKind.SESSION_REMINDER
    ]
    assert [row.payload["offset_minutes"] for row in session_reminders] == [60]  # type: ignore[index]
    with session_scope(engine) as session:
        rows = make_loop(session, short_id="L2222", starts=[SESSION_START + timedelta(days=1)])
        very_late = plan_session_reminders(
            rows.loop_id,
            session=session,
            offsets=OFFSETS,
            now=SESSION_START + timedelta(days=1) - timedelta(minutes=30),
        )
    assert (very_late.written, very_late.skipped_past) == (2, 2)  # feedback + loop end only


def test_cancelling_the_loop_cancels_every_open_reminder(engine: Engine) -> None:
    with session_scope(engine) as session:
        rows = make_loop(session, panels=[[ANA, BO]])
        plan_session_reminders(rows.loop_id, session=session, offsets=OFFSETS, now=T0)
        plan_confirm_nudges(
            add_request(session, rows.session_ids[0], CY),
            session=session,
            after=timedelta(hours=4),
            now=T0,
        )
    with session_scope(engine) as session:
        loop = session.get(Loop, rows.loop_id)
        assert loop is not None
        loop.state = LoopState.CANCELLED
        session.add(loop)
        cancelled = cancel_reminders(session=session, loop_id=rows.loop_id, reason="loop cancelled")
    assert cancelled == 10  # 2×2 reminders + 2 feedback + loop end + 2 nudges + escalation
    assert _open(engine) == []
    assert {row.last_error for row in reminders(engine)} == {"cancelled: loop cancelled"}
    with session_scope(engine) as session:  # a later sync of the cancelled loop writes nothing
        again = plan_session_reminders(rows.loop_id, session=session, offsets=OFFSETS, now=T0)
    assert again.written == 0
    assert _open(engine) == []


def test_decline_and_replacement_rewrite_the_reminders(engine: Engine) -> None:
    with session_scope(engine) as session:
        rows = make_loop(session)
        plan_session_reminders(rows.loop_id, session=session, offsets=OFFSETS, now=T0)
    with session_scope(engine) as session:  # Ana declines, Bo is asked instead
        request = session.get(InterviewerRequest, rows.first_request)
        assert request is not None
        request.state = RequestState.DECLINED
        session.add(request)
        cancel_reminders(session=session, request_id=rows.first_request, reason="declined")
        replacement = add_request(session, rows.session_ids[0], BO)
        plan_confirm_nudges(replacement, session=session, after=timedelta(hours=4), now=T0)
    assert {row.target_slack_id for row in _open(engine)} == {RECRUITER, BO.slack_id}
    with session_scope(engine) as session:  # Bo confirms
        request = session.get(InterviewerRequest, replacement)
        assert request is not None
        request.state = RequestState.CONFIRMED
        session.add(request)
        cancel_request_follow_ups(replacement, session=session, reason="confirmed")
        plan_session_reminders(rows.loop_id, session=session, offsets=OFFSETS, now=T0)
    open_rows = _open(engine)
    assert sorted((row.kind.value, row.target_slack_id) for row in open_rows) == [
        ("feedback_due", BO.slack_id),
        ("loop_finished", RECRUITER),
        ("session_reminder", BO.slack_id),
        ("session_reminder", BO.slack_id),
    ]
    assert all(row.request_id in (replacement, None) for row in open_rows)


def test_a_moved_session_gets_new_reminders_and_moving_back_revives_the_old(
    engine: Engine,
) -> None:
    with session_scope(engine) as session:
        rows = make_loop(session)
        plan_session_reminders(rows.loop_id, session=session, offsets=OFFSETS, now=T0)
    original = {row.dedupe_key for row in _open(engine)}

    def move(delta: timedelta) -> None:
        with session_scope(engine) as session:
            interview = session.get(InterviewSession, rows.session_ids[0])
            assert interview is not None
            interview.start = SESSION_START + delta
            interview.end = SESSION_START + delta + timedelta(hours=1)
            session.add(interview)
            plan_session_reminders(rows.loop_id, session=session, offsets=OFFSETS, now=T0)

    move(timedelta(days=1))
    moved = _open(engine)
    assert len(moved) == 4
    assert not original & {row.dedupe_key for row in moved}
    assert min(row.due_at for row in moved) == SESSION_START  # 24 h before the new start
    assert all(by_key(engine)[key].state == ReminderState.CANCELLED for key in original)
    move(timedelta(0))
    assert {row.dedupe_key for row in _open(engine)} == original


def test_a_cancelled_session_loses_its_reminders_and_the_loop_end_moves(engine: Engine) -> None:
    later = SESSION_START + timedelta(hours=3)
    with session_scope(engine) as session:
        rows = make_loop(session, starts=[SESSION_START, later], panels=[[ANA], [BO]])
        plan_session_reminders(rows.loop_id, session=session, offsets=OFFSETS, now=T0)
    with session_scope(engine) as session:
        interview = session.get(InterviewSession, rows.session_ids[1])
        assert interview is not None
        interview.state = SessionState.CANCELLED
        session.add(interview)
        result = plan_session_reminders(rows.loop_id, session=session, offsets=OFFSETS, now=T0)
    assert result.cancelled == 4  # Bo's two reminders, his feedback, the old loop end
    open_rows = _open(engine)
    assert {row.target_slack_id for row in open_rows} == {ANA.slack_id, RECRUITER}
    (finished,) = [row for row in open_rows if row.kind == ReminderKind.LOOP_FINISHED]
    assert finished.due_at == SESSION_START + timedelta(hours=1)


NUDGE_CASES = [
    # session starts in → planned (kind, minutes after the request was sent)
    (timedelta(days=7), [("confirm_nudge", 4 * 60), ("confirm_nudge", 8 * 60), ("esc", 12 * 60)]),
    (timedelta(hours=12), [("confirm_nudge", 4 * 60), ("confirm_nudge", 8 * 60), ("esc", 10 * 60)]),
    (timedelta(hours=6), [("esc", 4 * 60)]),
    (timedelta(minutes=90), [("esc", 45)]),
]


def test_nudge_schedule(engine: Engine) -> None:
    for index, (session_in, expected) in enumerate(NUDGE_CASES):
        with session_scope(engine) as session:
            rows = make_loop(
                session,
                short_id=f"LN{index}",
                starts=[T0 + session_in],
                panels=[[ANA]],
                request_state=RequestState.PENDING,
                loop_state=LoopState.PENDING,
            )
            plan_confirm_nudges(
                rows.first_request, session=session, after=timedelta(hours=4), now=T0
            )
        planned = [row for row in reminders(engine) if row.loop_id == rows.loop_id]
        got = [
            (
                "esc" if row.kind == ReminderKind.CONFIRM_ESCALATION else row.kind.value,
                int((row.due_at - T0).total_seconds() // 60),
            )
            for row in planned
        ]
        assert got == expected, session_in
        assert all(row.not_after == T0 + session_in for row in planned)
        assert planned[-1].target_slack_id == RECRUITER
        assert all(row.target_slack_id == ANA.slack_id for row in planned[:-1])


def test_answering_cancels_only_the_follow_ups(engine: Engine) -> None:
    with session_scope(engine) as session:
        rows = make_loop(session, panels=[[ANA, BO]])
        plan_session_reminders(rows.loop_id, session=session, offsets=OFFSETS, now=T0)
        pending = add_request(session, rows.session_ids[0], CY)
        plan_confirm_nudges(pending, session=session, after=timedelta(hours=4), now=T0)
    with session_scope(engine) as session:
        assert cancel_request_follow_ups(pending, session=session, reason="confirmed") == 3
    assert len(_open(engine)) == 7
    with pytest.raises(ValueError, match="needs"), session_scope(engine) as session:
        cancel_reminders(session=session, reason="nothing named")
