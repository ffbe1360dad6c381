"""The recruiter's booking summary and failure notice survive a kill -9 right after the move.

Both are written into the reminder outbox in the transaction that moves the loop to BOOKED or
NEEDS_ATTENTION; the deciding process sends them at once, and a dispatcher tick after a restart
sends what a dead process could not. Either way the recruiter gets each exactly once.
"""

from __future__ import annotations

import multiprocessing
from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot.reminders.dispatcher import ReminderDispatcher
from bot.services.intent_worker import LEASE
from bot.services.sweeper import sweep
from storage.engine import session_scope
from storage.models import Loop, LoopState, Reminder, ReminderKind, ReminderState
from tests.consistency.helpers import confirm_all, inconsistencies, loop_id_of, open_intents
from tests.consistency.replica import ReplicaConfig, confirm_in_replica
from tests.slack.conftest import ORGANIZER, RECRUITER, Harness

SPAWN = multiprocessing.get_context("spawn")
FAILED = "creating the calendar events failed"


def _config(harness: Harness, fault: str) -> ReplicaConfig:
    settings = harness.services.settings
    assert settings.google_service_account_file is not None
    return ReplicaConfig(
        database_url=str(harness.engine.url.render_as_string(hide_password=False)),
        slack_url=harness.slack.url,
        slack_token=harness.slack.bot_token,
        calendar_url=harness.calendar.url,
        key_file=str(settings.google_service_account_file),
        organizer=ORGANIZER,
        now=harness.clock.now,
        fault=fault,
    )


def _summaries(harness: Harness, short_id: str) -> list[dict[str, Any]]:
    return [
        dm
        for dm in harness.dms(RECRUITER)
        if dm["text"].startswith(f"Loop `{short_id}` booked for")
    ]


def _failure_notices(harness: Harness, short_id: str) -> list[dict[str, Any]]:
    return [dm for dm in harness.dms(RECRUITER) if FAILED in dm["text"] and short_id in dm["text"]]


def _state(harness: Harness, loop_id: int) -> LoopState:
    with session_scope(harness.engine) as session:
        loop = session.get(Loop, loop_id)
        assert loop is not None
        return loop.state


def _notice_states(harness: Harness, loop_id: int, kind: ReminderKind) -> list[ReminderState]:
    with session_scope(harness.engine) as session:
        rows = session.exec(
            select(Reminder).where(Reminder.loop_id == loop_id, Reminder.kind == kind)
        ).all()
        return [row.state for row in rows]


def _kill_last_confirm(
    harness: Harness, fault: str, *, refuse_an_insert: bool = False
) -> tuple[int, str]:
    short_id = harness.book_first_option()
    loop_id = loop_id_of(harness.engine, short_id)
    [(request_id, user)] = confirm_all(harness.services, loop_id, leave=1)
    if refuse_an_insert:  # one event insert is refused for good: the booking fails
        harness.calendar.fail_next(400, reason="badRequest", count=1, match="POST")
    process = SPAWN.Process(
        target=confirm_in_replica, args=(_config(harness, fault), request_id, user)
    )
    process.start()
    process.join(timeout=120)
    assert process.exitcode == -9  # killed at the fault point
    return loop_id, short_id


def _restart(harness: Harness) -> ReminderDispatcher:
    """The dead replica's leases run out; a sweep and a reminder tick pick everything up."""
    harness.clock.now += LEASE + timedelta(seconds=1)
    sweep(harness.services, holder="restarted")
    dispatcher = ReminderDispatcher(harness.engine, harness.services.messenger, now=harness.clock)
    dispatcher.tick()
    return dispatcher


def test_kill_9_right_after_the_booked_commit_still_sends_one_summary(harness: Harness) -> None:
    loop_id, short_id = _kill_last_confirm(harness, "booking.after_booked_commit")
    assert _state(harness, loop_id) is LoopState.BOOKED  # the move was committed …
    assert _summaries(harness, short_id) == []  # … and the process died before the DM
    assert _notice_states(harness, loop_id, ReminderKind.LOOP_BOOKED) == [ReminderState.PENDING]

    dispatcher = _restart(harness)
    [summary] = _summaries(harness, short_id)
    assert "Meet" in str(summary["blocks"]) and f"Loop `{short_id}`" in str(summary["blocks"])
    dispatcher.tick()
    sweep(harness.services, holder="restarted")
    assert len(_summaries(harness, short_id)) == 1
    assert _notice_states(harness, loop_id, ReminderKind.LOOP_BOOKED) == [ReminderState.SENT]
    assert open_intents(harness.engine) == 0
    assert inconsistencies(harness.engine, harness.calendar) == []


def test_kill_9_right_after_the_failed_commit_still_sends_one_notice(harness: Harness) -> None:
    loop_id, short_id = _kill_last_confirm(
        harness, "booking.after_failed_commit", refuse_an_insert=True
    )
    assert _state(harness, loop_id) is LoopState.NEEDS_ATTENTION
    assert _failure_notices(harness, short_id) == []
    assert _notice_states(harness, loop_id, ReminderKind.BOOKING_FAILED) == [ReminderState.PENDING]

    dispatcher = _restart(harness)
    [notice] = _failure_notices(harness, short_id)
    assert [b["value"] for b in harness.buttons(notice, "retry_booking")] == [short_id]
    dispatcher.tick()
    assert len(_failure_notices(harness, short_id)) == 1
    assert _notice_states(harness, loop_id, ReminderKind.BOOKING_FAILED) == [ReminderState.SENT]
    assert harness.calendar.events == {}  # the failed attempt's events were removed again


def test_normal_path_sends_one_summary_at_once_and_a_tick_adds_none(harness: Harness) -> None:
    short_id = harness.book_first_option()
    loop_id = loop_id_of(harness.engine, short_id)
    confirm_all(harness.services, loop_id)
    assert _state(harness, loop_id) is LoopState.BOOKED
    assert len(_summaries(harness, short_id)) == 1  # sent by the deciding thread, no tick
    assert _notice_states(harness, loop_id, ReminderKind.LOOP_BOOKED) == [ReminderState.SENT]
    ReminderDispatcher(harness.engine, harness.services.messenger, now=harness.clock).tick()
    assert len(_summaries(harness, short_id)) == 1


def test_a_retried_booking_gets_its_own_summary(harness: Harness) -> None:
    short_id = harness.book_first_option()
    loop_id = loop_id_of(harness.engine, short_id)
    harness.calendar.fail_next(400, reason="badRequest", count=1, match="POST")
    confirm_all(harness.services, loop_id)
    [notice] = _failure_notices(harness, short_id)
    [retry] = harness.buttons(notice, "retry_booking")
    harness.click(retry["action_id"], retry["value"], RECRUITER)
    assert _state(harness, loop_id) is LoopState.BOOKED
    assert len(_summaries(harness, short_id)) == 1
    assert len(_failure_notices(harness, short_id)) == 1
