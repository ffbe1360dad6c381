"""Booking notices in the outbox: one row per move, sent as rendered at the move."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.blocks.kit import BlockKit
from bot.reminders.outbox import write_loop_notice
from integrations.sandbox.slack_api import FakeSlack
from integrations.slack.messenger import SlackMessenger
from storage.engine import session_scope
from storage.models import Loop, LoopState, ReminderKind, ReminderState
from tests.reminders.conftest import dispatcher, dms, reminders
from tests.reminders.factory import RECRUITER, T0, Clock, make_loop


def _notice(engine: Engine, loop_id: int, why: str = "quota exceeded") -> None:
    text, blocks = BlockKit().booking_failed("L7F3K", why)
    with session_scope(engine) as session:
        write_loop_notice(
            ReminderKind.BOOKING_FAILED,
            loop_id,
            target_slack_id=RECRUITER,
            text=text,
            blocks=blocks,
            session=session,
            now=T0,
        )


def test_each_move_gets_its_own_notice_and_each_is_sent_once_as_rendered(
    engine: Engine, fake_slack: FakeSlack, messenger: SlackMessenger, clock: Clock
) -> None:
    with session_scope(engine) as session:
        loop_id = make_loop(session, loop_state=LoopState.NEEDS_ATTENTION).loop_id
    _notice(engine, loop_id, "first")
    _notice(engine, loop_id, "second")  # failed again after a retry: a new notice
    rows = reminders(engine)
    assert [row.dedupe_key for row in rows] == [
        f"booking_failed:{loop_id}:1",
        f"booking_failed:{loop_id}:2",
    ]
    assert all(row.due_at == T0 and row.state is ReminderState.PENDING for row in rows)

    worker = dispatcher(engine, messenger, clock)
    assert worker.tick().sent == 2
    assert worker.tick().sent == 0
    sent = dms(fake_slack, RECRUITER)
    expected = [BlockKit().booking_failed("L7F3K", why) for why in ("first", "second")]
    assert [(call.args["text"], call.args["blocks"]) for call in sent] == expected
    assert [row.state for row in reminders(engine)] == [ReminderState.SENT] * 2


def test_a_notice_about_a_cancelled_loop_is_not_sent(
    engine: Engine, fake_slack: FakeSlack, messenger: SlackMessenger, clock: Clock
) -> None:
    with session_scope(engine) as session:
        loop_id = make_loop(session, loop_state=LoopState.NEEDS_ATTENTION).loop_id
    _notice(engine, loop_id)
    with session_scope(engine) as session:
        loop = session.get(Loop, loop_id)
        assert loop is not None
        loop.state = LoopState.CANCELLED
    assert dispatcher(engine, messenger, clock).tick().cancelled == 1
    assert dms(fake_slack, RECRUITER) == []
