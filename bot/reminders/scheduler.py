"""APScheduler 3 wiring: a short interval job that runs one dispatch tick.

The scheduler holds no state that matters: every reminder is a database row, so a restarted
process (or another replica) simply claims what is due. The job runs once immediately on start,
which sends whatever came due while the bot was down (if it is still useful), then every
`interval` seconds. `coalesce=True` and `max_instances=1` mean a slow tick is never run twice at
once and missed runs collapse into one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.engine import Engine

from bot.durations import format_duration
from bot.ports import MessagingPort
from bot.reminders.dispatcher import (
    Clock,
    ReminderDispatcher,
    TickResult,
    UnansweredRequestHandler,
)
from bot.settings import Settings
from storage.types import utcnow

log = logging.getLogger(__name__)

DISPATCH_JOB_ID = "reminders.dispatch"
DEFAULT_INTERVAL_SECONDS = 20.0


def _run_tick(dispatcher: ReminderDispatcher, on_tick: Callable[[TickResult], None] | None) -> None:
    try:
        result = dispatcher.tick()
    except Exception:  # keep the job alive: the next tick retries, the rows are all in the DB
        log.exception("reminder dispatch tick failed")
        return
    if on_tick is not None:
        on_tick(result)


def add_dispatch_job(
    scheduler: BackgroundScheduler,
    dispatcher: ReminderDispatcher,
    *,
    interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
    on_tick: Callable[[TickResult], None] | None = None,
) -> None:
    """Add the dispatch job to an existing scheduler (first run: as soon as it starts)."""
    scheduler.add_job(
        _run_tick,
        "interval",
        args=[dispatcher, on_tick],
        seconds=interval_seconds,
        id=DISPATCH_JOB_ID,
        name="send due reminders",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
        next_run_time=datetime.now(UTC),
        replace_existing=True,
    )


def start_reminder_scheduler(
    engine: Engine,
    messenger: MessagingPort,
    settings: Settings,
    handler: UnansweredRequestHandler | None,
    *,
    worker_id: str | None = None,
    interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
    now: Clock = utcnow,
    on_tick: Callable[[TickResult], None] | None = None,
) -> BackgroundScheduler:
    """Start a background scheduler that dispatches reminders; call `.shutdown()` on exit.

    `worker_id` names this process in claims (default `host:pid`); `now` and `on_tick` are for
    tests. Other periodic jobs may be added to the returned scheduler.
    """
    dispatcher = ReminderDispatcher(
        engine, messenger, worker_id=worker_id, handler=handler, now=now
    )
    scheduler = BackgroundScheduler(timezone=UTC, daemon=True)
    add_dispatch_job(scheduler, dispatcher, interval_seconds=interval_seconds, on_tick=on_tick)

    def on_shutdown(_event: object) -> None:
        dispatcher.close()

    scheduler.add_listener(on_shutdown, EVENT_SCHEDULER_SHUTDOWN)
    scheduler.start()
    log.info(
        "reminder scheduler started as %s: every %ss; offsets %s; nudge after %s",
        dispatcher.worker_id,
        interval_seconds,
        ",".join(format_duration(offset) for offset in settings.reminder_offsets) or "none",
        format_duration(settings.confirm_nudge_after),
    )
    return scheduler
