"""Sending: due reminders go out once as DMs through the real SlackMessenger and FakeSlack."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.reminders import SEND_RETRY, plan_confirm_nudges, plan_session_reminders
from integrations.sandbox.slack_api import Call, FakeSlack
from integrations.slack.messenger import SlackMessenger, make_web_client
from storage.engine import session_scope
from storage.models import (
    AuditLog,
    InterviewerRequest,
    InterviewSession,
    Loop,
    LoopState,
    ReminderKind,
    ReminderState,
    RequestState,
)
from tests.reminders.conftest import (
    RecordingHandler,
    all_dms,
    by_key,
    dispatcher,
    dms,
    reminders,
)
from tests.reminders.factory import (
    ANA,
    BO,
    MEET,
    RECRUITER,
    SESSION_START,
    T0,
    Clock,
    Person,
    make_loop,
)

OFFSETS = (timedelta(hours=24), timedelta(hours=1))
HOUR = timedelta(hours=1)


def _book(engine: Engine, **kwargs: object) -> int:
    with session_scope(engine) as session:
        rows = make_loop(session, **kwargs)  # type: ignore[arg-type]
        plan_session_reminders(rows.loop_id, session=session, offsets=OFFSETS, now=T0)
    return rows.loop_id


def _text(call: Call) -> str:
    parts = [str(call.args.get("text", ""))]
    for block in call.args.get("blocks", []):
        if block["type"] == "section":
            parts.append(block["text"]["text"])
        elif block["type"] == "context":
            parts.extend(element["text"] for element in block["elements"])
    return "\n".join(parts)


def _states(engine: Engine, kind: ReminderKind) -> list[ReminderState]:
    return [row.state for row in reminders(engine) if row.kind == kind]


def test_a_due_reminder_is_sent_once_with_the_session_details(
    engine: Engine, fake_slack: FakeSlack, messenger: SlackMessenger, clock: Clock
) -> None:
    _book(engine)
    worker = dispatcher(engine, messenger, clock)
    assert worker.tick().claimed == 0  # nothing due a week ahead
    clock.set(SESSION_START - timedelta(hours=24))
    result = worker.tick()
    assert (result.claimed, result.sent) == (1, 1)
    assert worker.tick().claimed == 0
    (call,) = dms(fake_slack, "U01ANA")
    assert fake_slack.calls("conversations.open", users="U01ANA")
    text = _text(call)
    assert "Tue 8 Dec, 14:00–15:00 GMT" in text  # Ana's zone: Europe/London
    assert "`L7F3K`" in text
    assert "Ada Lovelace" in text
    assert "Code review" in text
    assert "Ask about the cache design." in text
    assert MEET in text
    assert "starts in 24 hours" in text
    (sent,) = [row for row in reminders(engine) if row.state == ReminderState.SENT]
    assert sent.sent_at == clock()
    assert sent.attempts == 1
    assert sent.lease_until is None


def test_a_whole_loop_reminds_asks_for_feedback_and_tells_the_recruiter(
    engine: Engine, fake_slack: FakeSlack, messenger: SlackMessenger, clock: Clock
) -> None:
    loop_id = _book(engine, starts=[SESSION_START], panels=[[ANA, BO]])
    worker = dispatcher(engine, messenger, clock)
    for moment in (
        SESSION_START - timedelta(hours=24),
        SESSION_START - HOUR,
        SESSION_START + HOUR,  # the session's end
        SESSION_START + 2 * HOUR,  # end + 1 h
    ):
        clock.set(moment)
        worker.tick()
        worker.tick()
    ana, bo = dms(fake_slack, "U01ANA"), dms(fake_slack, "U02BO")
    assert [len(ana), len(bo)] == [3, 3]
    assert "starts in 1 hour" in _text(ana[1])
    assert "Tue 8 Dec, 09:00–10:00 EST" in _text(bo[0])  # Bo's zone: America/New_York
    assert "feedback" in _text(ana[2]).lower()
    (note,) = dms(fake_slack, RECRUITER)
    assert "`L7F3K`" in _text(note)
    assert "<@U01ANA>" in _text(note)  # people as mentions, not as (user-set) names
    assert "<@U02BO>" in _text(note)
    assert {row.state for row in reminders(engine)} == {ReminderState.SENT}
    with Session(engine) as session:  # completing the loop is the housekeeping job's business
        loop = session.get(Loop, loop_id)
        assert loop is not None
        assert loop.state == LoopState.BOOKED


def test_nothing_before_the_session_is_sent_after_it_began(
    engine: Engine, fake_slack: FakeSlack, messenger: SlackMessenger, clock: Clock
) -> None:
    _book(engine)
    clock.set(SESSION_START + timedelta(minutes=30))  # the bot was down for a week
    result = dispatcher(engine, messenger, clock).tick()
    assert (result.dropped, result.sent) == (2, 0)
    assert all_dms(fake_slack) == []
    assert _states(engine, ReminderKind.SESSION_REMINDER) == [ReminderState.DROPPED] * 2
    assert all(
        (row.last_error or "").startswith("session began")
        for row in reminders(engine)
        if row.state == ReminderState.DROPPED
    )
    clock.set(SESSION_START + 2 * HOUR)
    dispatcher(engine, messenger, clock).tick()  # feedback and the loop note are still useful
    assert len(dms(fake_slack, "U01ANA")) == 1
    assert len(dms(fake_slack, RECRUITER)) == 1


def test_after_downtime_only_the_latest_reminder_is_sent(
    engine: Engine, fake_slack: FakeSlack, messenger: SlackMessenger, clock: Clock
) -> None:
    _book(engine)
    clock.set(SESSION_START - timedelta(minutes=30))  # both the 24 h and the 1 h one are due
    result = dispatcher(engine, messenger, clock).tick()
    assert (result.sent, result.dropped) == (1, 1)
    (call,) = dms(fake_slack, "U01ANA")
    assert "starts in 30 minutes" in _text(call)


def test_stale_reminders_are_cancelled_at_send_time(
    engine: Engine, fake_slack: FakeSlack, messenger: SlackMessenger, clock: Clock
) -> None:
    with session_scope(engine) as session:
        rows = make_loop(
            session, starts=[SESSION_START, SESSION_START + 3 * HOUR], panels=[[ANA], [BO]]
        )
        plan_session_reminders(rows.loop_id, session=session, offsets=OFFSETS, now=T0)
    # Changes made without re-planning (a bug elsewhere) must still not reach anyone.
    with session_scope(engine) as session:
        interview = session.get(InterviewSession, rows.session_ids[0])
        request = session.get(InterviewerRequest, rows.request_ids[1][0])
        assert interview is not None and request is not None
        interview.start += timedelta(days=1)
        interview.end += timedelta(days=1)
        request.state = RequestState.DECLINED
        session.add(interview)
        session.add(request)
    clock.set(SESSION_START - timedelta(hours=20))
    result = dispatcher(engine, messenger, clock).tick()
    assert (result.cancelled, result.sent) == (2, 0)
    assert all_dms(fake_slack) == []
    reasons = {row.last_error for row in reminders(engine) if row.state == ReminderState.CANCELLED}
    assert reasons == {"session moved", "request declined"}


def test_a_permanent_slack_failure_fails_the_reminder_and_tells_the_recruiter(
    engine: Engine, fake_slack: FakeSlack, messenger: SlackMessenger, clock: Clock
) -> None:
    _book(engine, panels=[[ANA, BO]])
    fake_slack.fail("chat.postMessage", "account_inactive", match={"channel": "D01ANA"})
    fake_slack.fail("conversations.open", "user_not_found", match={"users": "U02BO"})
    clock.set(SESSION_START - timedelta(hours=24))
    worker = dispatcher(engine, messenger, clock)
    result = worker.tick()
    assert (result.failed, result.sent) == (2, 2)  # two failures, two notices to the recruiter
    assert worker.tick().claimed == 0
    failed = [row for row in reminders(engine) if row.state == ReminderState.FAILED]
    assert sorted(row.last_error or "" for row in failed) == ["account_inactive", "user_not_found"]
    notes = [_text(call) for call in dms(fake_slack, RECRUITER)]
    assert len(notes) == 2
    assert any("Ana Lima (<@U01ANA>)" in note and "account_inactive" in note for note in notes)
    assert any("Bo Chen (<@U02BO>)" in note and "user_not_found" in note for note in notes)
    assert all("`L7F3K`" in note for note in notes)
    with Session(engine) as session:
        actions = session.exec(select(AuditLog.action)).all()
    assert actions.count("reminder_failed") == 2


def test_an_interviewer_without_a_slack_id_is_reported_to_the_recruiter(
    engine: Engine, fake_slack: FakeSlack, messenger: SlackMessenger, clock: Clock
) -> None:
    _book(engine, panels=[[Person(None, "Dee Novak", "Europe/Berlin", "dee@corp.example")]])
    clock.set(SESSION_START - timedelta(hours=24))
    dispatcher(engine, messenger, clock).tick()
    (note,) = dms(fake_slack, RECRUITER)
    assert "Dee Novak" in _text(note)
    assert "no_slack_user" in _text(note)


def test_passing_failures_are_retried_later_then_sent(
    engine: Engine, fake_slack: FakeSlack, messenger: SlackMessenger, clock: Clock
) -> None:
    _book(engine)
    fake_slack.fail_next("chat.postMessage")  # 429 ratelimited
    fake_slack.fail_next("chat.postMessage", "internal_error", status=500)
    clock.set(SESSION_START - timedelta(hours=24))
    worker = dispatcher(engine, messenger, clock, retry=SEND_RETRY)
    assert worker.tick().retried == 1
    (row,) = [
        row for row in reminders(engine) if row.state == ReminderState.PENDING and row.attempts
    ]
    assert row.last_error == "ratelimited"
    assert row.due_at == clock() + timedelta(seconds=30)
    assert row.claimed_by is None
    assert worker.tick().claimed == 0  # not before its new due time
    clock.advance(seconds=30)
    assert worker.tick().retried == 1  # the 500
    assert by_key(engine)[row.dedupe_key].due_at == clock() + timedelta(seconds=60)
    clock.advance(seconds=60)
    assert worker.tick().sent == 1
    assert len(dms(fake_slack, "U01ANA")) == 1
    sent = by_key(engine)[row.dedupe_key]
    assert (sent.state, sent.attempts) == (ReminderState.SENT, 3)


def test_a_connection_error_is_retried(
    engine: Engine, fake_slack: FakeSlack, messenger: SlackMessenger, clock: Clock
) -> None:
    _book(engine)
    clock.set(SESSION_START - timedelta(hours=24))
    offline = SlackMessenger(make_web_client("xoxb-x", "http://127.0.0.1:9/api/", max_retries=0))
    assert dispatcher(engine, offline, clock).tick().retried == 1
    clock.advance(minutes=1)
    assert dispatcher(engine, messenger, clock).tick().sent == 1
    assert len(dms(fake_slack, "U01ANA")) == 1


def test_retries_are_bounded(
    engine: Engine, fake_slack: FakeSlack, messenger: SlackMessenger, clock: Clock
) -> None:
    _book(engine)
    fake_slack.fail("chat.postMessage", "internal_error", status=500, match={"channel": "D01ANA"})
    clock.set(SESSION_START - timedelta(hours=24))
    worker = dispatcher(engine, messenger, clock, retry=replace(SEND_RETRY, max_attempts=3))
    for _ in range(6):
        worker.tick()
        clock.advance(minutes=10)
    attempts = fake_slack.calls("chat.postMessage", channel="D01ANA")
    assert len(attempts) == 3
    (failed,) = [row for row in reminders(engine) if row.state == ReminderState.FAILED]
    assert failed.last_error == "gave up after 3 attempts: internal_error"
    (note,) = dms(fake_slack, RECRUITER)
    assert "Ana Lima" in _text(note)


def _pending_request(engine: Engine, session_in: timedelta) -> int:
    with session_scope(engine) as session:
        rows = make_loop(
            session,
            starts=[T0 + session_in],
            request_state=RequestState.PENDING,
            loop_state=LoopState.PENDING,
        )
        plan_confirm_nudges(rows.first_request, session=session, after=4 * HOUR, now=T0)
    return rows.first_request


def _nudges_sent(engine: Engine, request_id: int) -> int:
    with Session(engine) as session:
        request = session.get(InterviewerRequest, request_id)
        assert request is not None
        return request.nudges_sent


def test_nudge_nudge_then_automatic_replacement_when_the_session_is_far(
    engine: Engine, fake_slack: FakeSlack, messenger: SlackMessenger, clock: Clock
) -> None:
    request_id = _pending_request(engine, timedelta(days=3))
    handler = RecordingHandler(engine)
    worker = dispatcher(engine, messenger, clock, handler=handler)
    clock.advance(hours=4)
    assert worker.tick().sent == 1
    (first,) = dms(fake_slack, "U01ANA")
    assert "waiting for your answer" in _text(first)
    assert "`L7F3K`" in _text(first)
    assert _nudges_sent(engine, request_id) == 1
    clock.advance(hours=4)
    worker.tick()
    assert "still waiting" in _text(dms(fake_slack, "U01ANA")[1])
    assert _nudges_sent(engine, request_id) == 2
    clock.advance(hours=4)
    result = worker.tick()
    assert result.replaced == 1
    assert handler.calls == [request_id]
    assert dms(fake_slack, RECRUITER) == []
    (escalation,) = [r for r in reminders(engine) if r.kind == ReminderKind.CONFIRM_ESCALATION]
    assert escalation.state == ReminderState.SENT
    assert (escalation.payload or {})["outcome"] == "replacement_requested"


def test_escalation_goes_to_the_recruiter_when_the_session_is_near(
    engine: Engine, fake_slack: FakeSlack, messenger: SlackMessenger, clock: Clock
) -> None:
    _pending_request(engine, timedelta(hours=20))
    handler = RecordingHandler(engine)
    worker = dispatcher(engine, messenger, clock, handler=handler)
    for _ in range(3):
        clock.advance(hours=4)
        worker.tick()
    assert len(dms(fake_slack, "U01ANA")) == 2
    assert handler.calls == []
    (note,) = dms(fake_slack, RECRUITER)
    text = _text(note)
    assert "Ana Lima (<@U01ANA>)" in text
    assert "after 2 reminders" in text
    assert "less than 24 hours" in text
    assert "`L7F3K`" in text
    assert "Tue 1 Dec" in text  # recruiter times are in the org zone (Los Angeles)


def test_escalation_goes_to_the_recruiter_when_no_replacement_is_possible(
    engine: Engine, fake_slack: FakeSlack, messenger: SlackMessenger, clock: Clock
) -> None:
    request_id = _pending_request(engine, timedelta(days=3))
    handler = RecordingHandler(engine, replaced=False)
    clock.advance(hours=12)  # all three steps due at once after downtime
    result = dispatcher(engine, messenger, clock, handler=handler).tick()
    assert (result.dropped, result.sent) == (2, 1)  # the nudges are superseded
    assert dms(fake_slack, "U01ANA") == []
    assert handler.calls == [request_id]
    (note,) = dms(fake_slack, RECRUITER)
    assert "could not find a replacement" in _text(note)


class WithdrawingHandler(RecordingHandler):
    """Like the real service when the pool is exhausted: withdraws the request, tells the
    recruiter itself, and reports that no replacement was asked."""

    def replace_unresponsive(self, request_id: int) -> bool:
        self.replaced = True
        super().replace_unresponsive(request_id)
        return False


def test_no_second_dm_when_the_handler_already_dealt_with_the_request(
    engine: Engine, fake_slack: FakeSlack, messenger: SlackMessenger, clock: Clock
) -> None:
    request_id = _pending_request(engine, timedelta(days=3))
    handler = WithdrawingHandler(engine)
    clock.advance(hours=12)
    dispatcher(engine, messenger, clock, handler=handler).tick()
    assert handler.calls == [request_id]
    assert dms(fake_slack, RECRUITER) == []
    (escalation,) = [r for r in reminders(engine) if r.kind == ReminderKind.CONFIRM_ESCALATION]
    assert (escalation.payload or {})["outcome"] == "handled_by_service"


def test_an_answered_request_is_not_nudged(
    engine: Engine, fake_slack: FakeSlack, messenger: SlackMessenger, clock: Clock
) -> None:
    request_id = _pending_request(engine, timedelta(days=3))
    with session_scope(engine) as session:  # answered without cancelling the follow-ups
        request = session.get(InterviewerRequest, request_id)
        assert request is not None
        request.state = RequestState.CONFIRMED
        session.add(request)
    clock.advance(hours=12)
    result = dispatcher(engine, messenger, clock, handler=RecordingHandler(engine)).tick()
    assert (result.cancelled, result.sent) == (3, 0)
    assert all_dms(fake_slack) == []


def test_a_reminder_whose_answer_was_lost_is_sent_exactly_once(
    engine: Engine, fake_slack: FakeSlack, messenger: SlackMessenger, clock: Clock
) -> None:
    _book(engine)
    fake_slack.lose_answer_next("chat.postMessage", status=500)
    clock.set(SESSION_START - timedelta(hours=24))
    assert dispatcher(engine, messenger, clock).tick().sent == 1
    (message,) = fake_slack.messages("D01ANA")
    row = next(r for r in reminders(engine) if r.state == ReminderState.SENT)
    assert message["metadata"]["event_payload"] == {"key": f"reminder:{row.dedupe_key}"}
    assert len(fake_slack.calls("chat.postMessage")) == 1


def test_a_retried_reminder_looks_for_an_earlier_delivery_first(
    engine: Engine, fake_slack: FakeSlack, messenger: SlackMessenger, clock: Clock
) -> None:
    """The answer was lost and the history could not be read: the outcome is unknown, so the
    row is retried later, and that retry finds the message instead of posting it again."""
    _book(engine)
    fake_slack.lose_answer_next("chat.postMessage", status=500)
    fake_slack.fail_next("conversations.history", "internal_error", status=500)
    clock.set(SESSION_START - timedelta(hours=24))
    worker = dispatcher(engine, messenger, clock, retry=SEND_RETRY)
    assert worker.tick().retried == 1
    (row,) = [r for r in reminders(engine) if r.attempts]
    assert (row.state, row.last_error) == (ReminderState.PENDING, "delivery_unknown")
    clock.advance(seconds=30)
    assert worker.tick().sent == 1
    assert len(fake_slack.messages("D01ANA")) == 1
    assert len(fake_slack.calls("chat.postMessage")) == 1
    assert by_key(engine)[row.dedupe_key].state == ReminderState.SENT


def test_a_reminder_that_was_not_posted_is_retried_and_delivered_once(
    engine: Engine, fake_slack: FakeSlack, messenger: SlackMessenger, clock: Clock
) -> None:
    _book(engine)
    fake_slack.fail_next("chat.postMessage", "internal_error", status=500)
    clock.set(SESSION_START - timedelta(hours=24))
    worker = dispatcher(engine, messenger, clock, retry=SEND_RETRY)
    assert worker.tick().retried == 1
    clock.advance(seconds=30)
    assert worker.tick().sent == 1
    assert len(fake_slack.messages("D01ANA")) == 1
    assert [c.status for c in fake_slack.calls("chat.postMessage")] == [500, 200]
