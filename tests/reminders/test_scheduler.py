"""The APScheduler job: ticks on start and then periodically; a restarted bot (a new scheduler
on the same database) sends what came due while it was down, exactly once."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy.engine import Engine

from bot.reminders import TickResult, plan_session_reminders, start_reminder_scheduler
from bot.reminders.scheduler import DISPATCH_JOB_ID
from bot.settings import Settings
from integrations.sandbox.slack_api import FakeSlack
from storage.engine import make_engine, session_scope
from storage.models import ReminderState
from tests.reminders.conftest import dms, make_messenger, reminders
from tests.reminders.factory import SESSION_START, T0, Clock, make_loop

OFFSETS = (timedelta(hours=24), timedelta(hours=1))


class Ticks:
    """Collects tick results from the scheduler thread; `wait(n)` blocks until n ticks ran."""

    def __init__(self) -> None:
        self.results: list[TickResult] = []
        self._cond = threading.Condition()

    def __call__(self, result: TickResult) -> None:
        with self._cond:
            self.results.append(result)
            self._cond.notify_all()

    def wait(self, count: int, timeout: float = 10.0) -> list[TickResult]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.results) >= count, timeout), self.results
            return list(self.results)


def _settings() -> Settings:
    return Settings(_env_file=None)  # type: ignore[call-arg]


def test_a_restarted_bot_sends_what_came_due_while_it_was_down_exactly_once(
    engine: Engine, database_url: str, fake_slack: FakeSlack
) -> None:
    with session_scope(engine) as session:
        rows = make_loop(session)
        plan_session_reminders(rows.loop_id, session=session, offsets=OFFSETS, now=T0)
    clock = Clock(SESSION_START - timedelta(hours=23))  # the 24 h reminder came due while down

    first_ticks = Ticks()
    first_engine = make_engine(database_url)
    first = start_reminder_scheduler(
        first_engine,
        make_messenger(fake_slack),
        _settings(),
        None,
        worker_id="bot-1",
        interval_seconds=0.05,
        now=clock,
        on_tick=first_ticks,
    )
    try:
        job = first.get_job(DISPATCH_JOB_ID)
        assert job.coalesce is True
        assert job.max_instances == 1
        assert first_ticks.wait(1)[0].sent == 1  # sent by the tick run at start
        first_ticks.wait(3)
    finally:
        first.shutdown(wait=True)
        first_engine.dispose()
    assert len(dms(fake_slack, "U01ANA")) == 1

    clock.set(SESSION_START - timedelta(minutes=50))  # down again over the 1 h reminder
    second_ticks = Ticks()
    second_engine = make_engine(database_url)
    second = start_reminder_scheduler(
        second_engine,
        make_messenger(fake_slack),
        _settings(),
        None,
        worker_id="bot-2",
        interval_seconds=0.05,
        now=clock,
        on_tick=second_ticks,
    )
    try:
        assert second_ticks.wait(1)[0].sent == 1
        second_ticks.wait(3)
    finally:
        second.shutdown(wait=True)
        second_engine.dispose()
    ana = dms(fake_slack, "U01ANA")
    assert len(ana) == 2
    assert "starts in 1 hour" in ana[1].args["text"]
    states = [row.state for row in reminders(engine)]
    assert states.count(ReminderState.SENT) == 2
    assert states.count(ReminderState.PENDING) == 2  # feedback and the loop note, not yet due


def test_a_failing_tick_does_not_stop_the_job(engine: Engine, fake_slack: FakeSlack) -> None:
    calls: list[int] = []

    def broken_clock() -> object:
        calls.append(1)
        raise RuntimeError("clock exploded")

    ticks = Ticks()
    scheduler = start_reminder_scheduler(
        engine,
        make_messenger(fake_slack),
        _settings(),
        None,
        worker_id="bot",
        interval_seconds=0.05,
        now=broken_clock,  # type: ignore[arg-type]
        on_tick=ticks,
    )
    try:
        deadline = threading.Event()
        while len(calls) < 3 and not deadline.wait(0.05):
            pass
    finally:
        scheduler.shutdown(wait=True)
    assert len(calls) >= 3  # the job kept running after failures
    assert ticks.results == []
