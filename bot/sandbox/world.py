"""Everything the sandbox runs, wired in one object: fakes, settings, the real bot, the clock.

The bot itself is built exactly as `interview-bot run --http` builds it (`bot.runtime`): same
services, same bolt app, same public app. Only its surroundings differ: the Slack Web API and
Google Calendar are the local fakes, the clock is shifted by the page, the database is the
sandbox's own SQLite file, and every URL it is given is checked to be loopback.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import secrets
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bot.org import OrgConfig
from bot.sandbox.clock import ShiftedClock
from bot.sandbox.seed import Person, busy_times, people
from bot.settings import Settings
from integrations.sandbox.google_calendar import FakeCalendar
from integrations.sandbox.slack_api import FakeSlack
from integrations.sandbox.slack_requests import RequestFactory

if TYPE_CHECKING:  # the bot's modules load in start_bot(), after the page already answers
    from apscheduler.schedulers.background import BackgroundScheduler

    from bot.reminders.dispatcher import ReminderDispatcher, TickResult
    from bot.services.context import Services

log = logging.getLogger(__name__)

ORGANIZER = "interviews@sandbox.example"
SEED_DAYS = 28
TICK_SECONDS = 5.0
SAVE_SECONDS = 15
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})

WsgiApp = Callable[..., Iterable[bytes]]


class NotLoopbackError(RuntimeError):
    """A URL the sandbox would call is not on this machine: refuse to start."""


def require_loopback(name: str, url: str) -> None:
    host = urlsplit(url).hostname
    if host not in LOOPBACK:
        raise NotLoopbackError(f"{name} is {url!r}: the sandbox only talks to 127.0.0.1")


DATA_FILES = (
    "sandbox.db",
    "sandbox.db-wal",
    "sandbox.db-shm",
    "sandbox.db-journal",
    "clock.json",
    "state.json",
    "state.tmp",
    "service-account.json",
)


def clear_data(data_dir: Path) -> None:
    """`--reset`: forget the sandbox's database, clock, messages and key.

    Only the sandbox's own files go, so a `--data-dir` pointed at a busy folder loses nothing
    else.
    """
    for name in DATA_FILES:
        (data_dir / name).unlink(missing_ok=True)


class Sandbox:
    """The running sandbox: `start_fakes(base_url)` once the page's port is known (the page can
    answer from then on), then `start_bot()`, which loads the bot and is slower."""

    def __init__(self, org: OrgConfig, org_path: Path, data_dir: Path) -> None:
        self.org = org
        self.org_path = org_path
        self.data_dir = data_dir
        self.people: list[Person] = people(org)
        self.by_id = {person.slack_id: person for person in self.people}
        self.clock = ShiftedClock(data_dir / "clock.json")
        self.signing_secret = secrets.token_hex(16)
        self.slack = FakeSlack(bot_token="xoxb-sandbox-" + secrets.token_hex(8))
        self.requests = RequestFactory(self.signing_secret, self.slack)
        self.calendar: FakeCalendar | None = None
        self.services: Services | None = None
        self.app: WsgiApp | None = None
        self.dispatcher: ReminderDispatcher | None = None
        self._scheduler: BackgroundScheduler | None = None
        self._seeded_until: date | None = None
        self._seed_lock = threading.Lock()
        self.typed: list[dict[str, Any]] = []  # commands people typed (the page shows them)
        self.settings: Settings | None = None
        self._save_lock = threading.Lock()
        self._stop_sync: Callable[[], None] = lambda: None
        self._saved_changes = -1

    # ------------------------------------------------------------------ start / stop

    def start_fakes(self, base_url: str) -> None:
        """Start the fake Slack and Calendar and seed them; `base_url` is the page's."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.slack.start()
        self.calendar = FakeCalendar.start(meet_url=f"{base_url}/sandbox/meet/")
        key = self.calendar.write_service_account_key(self.data_dir / "service-account.json")
        for person in self.people:
            self.slack.add_user(
                person.slack_id,
                name=person.name.split(" ")[0].lower(),
                real_name=person.name,
                email=person.email,
                tz=person.timezone,
            )
        settings = Settings(
            _env_file=None,
            slack_bot_token=self.slack.bot_token,
            slack_signing_secret=self.signing_secret,
            slack_app_token=None,
            slack_api_url=self.slack.url,
            google_service_account_file=key,
            google_organizer_email=ORGANIZER,
            google_api_endpoint=self.calendar.url,
            database_url=f"sqlite:///{self.data_dir / 'sandbox.db'}",
            org_config=self.org_path,
            public_url=base_url,
            secret_key=secrets.token_urlsafe(32),
        )
        require_loopback("SLACK_API_URL", settings.slack_api_url)
        require_loopback("GOOGLE_API_ENDPOINT", settings.google_api_endpoint or "")
        require_loopback("the service account's token_uri", self.calendar.token_uri)
        self.seed_calendar()
        self.settings = settings
        self._restore()

    def start_bot(self) -> None:
        """Migrate, load the org, build the real bot and its reminder scheduler."""
        from bot.runtime import build_services, prepare, wsgi_app
        from storage.engine import make_engine
        from storage.migrate import upgrade

        settings = self.settings
        assert settings is not None, "start_fakes() first"
        upgrade(settings.database_url)
        engine = make_engine(settings.database_url)
        prepare(settings, engine, self.org)
        services = dataclasses.replace(build_services(settings, engine), clock=self.clock)
        self.services = services
        self.app = wsgi_app(services, self.signing_secret)
        self._start_background(services)

    def _start_background(self, services: Services) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler

        from bot.reminders.dispatcher import ReminderDispatcher
        from bot.reminders.scheduler import add_dispatch_job
        from bot.runtime import add_booking_jobs, add_calendar_sync
        from bot.services.housekeeping import housekeeping
        from bot.services.unanswered import UnansweredRequests

        self.dispatcher = ReminderDispatcher(
            services.engine,
            services.messenger,
            worker_id="sandbox",
            handler=UnansweredRequests(services),
            now=self.clock,
        )
        scheduler = BackgroundScheduler(timezone=UTC, daemon=True)
        add_dispatch_job(scheduler, self.dispatcher, interval_seconds=TICK_SECONDS)
        scheduler.add_job(
            housekeeping,
            "interval",
            args=[services],
            minutes=1,
            id="housekeeping",
            coalesce=True,
            max_instances=1,
        )
        add_booking_jobs(scheduler, services, "sandbox")
        self._stop_sync = add_calendar_sync(services, scheduler, "sandbox")
        scheduler.add_job(self.save, "interval", seconds=SAVE_SECONDS, id="sandbox.save")
        scheduler.start()
        self._scheduler = scheduler

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._stop_sync()
        self.save()
        if self.dispatcher is not None:
            self.dispatcher.close()
        if self.services is not None:
            self.services.work.wait_idle(timeout=10)
            self.services.work.shutdown()
            calendar = self.services.calendar
            close = getattr(calendar, "close", None)
            if close is not None:
                close()
        if self.calendar is not None:
            self.calendar.stop()
        self.slack.stop()

    # ------------------------------------------------------------------ kept across restarts

    @property
    def state_path(self) -> Path:
        return self.data_dir / "state.json"

    def save(self) -> None:
        """Write what people see and the calendar's events next to the database.

        The database alone would come back with loops whose messages and events were gone.
        """
        if self.calendar is None or not self.data_dir.exists():
            return
        with self._save_lock:
            changes = self.slack.changes
            if changes == self._saved_changes:
                return
            state = {
                "slack": self.slack.snapshot(),
                "calendar": self.calendar.snapshot(),
                "typed": self.typed,
            }
            partial = self.state_path.with_suffix(".tmp")
            partial.write_text(json.dumps(state), encoding="utf-8")
            partial.replace(self.state_path)
            self._saved_changes = changes

    def _restore(self) -> None:
        if not self.state_path.exists() or self.calendar is None:
            return
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
        except ValueError:
            log.warning("sandbox: %s is unreadable; starting with empty messages", self.state_path)
            return
        self.slack.restore(state.get("slack", {}))
        self.calendar.restore(state.get("calendar", {}))
        self.typed.extend(state.get("typed", []))
        self._saved_changes = self.slack.changes

    # ------------------------------------------------------------------ calendar seeding

    def seed_calendar(self) -> None:
        """Busy times from yesterday to `SEED_DAYS` after the sandbox's today (idempotent)."""
        assert self.calendar is not None
        today = self.clock().date()
        with self._seed_lock:
            first = today - timedelta(days=1)
            if self._seeded_until is not None:
                first = max(first, self._seeded_until)
            last = today + timedelta(days=SEED_DAYS)
            if first >= last:
                return
            for person in self.people:
                if person.email is None:
                    continue
                for start, end in busy_times(
                    person.email, person.timezone, first, (last - first).days
                ):
                    self.calendar.add_busy(person.email, start, end)
            self._seeded_until = last

    def busy(self, email: str) -> list[tuple[datetime, datetime]]:
        """Seeded meetings of one person (for the page's calendar)."""
        assert self.calendar is not None
        return self.calendar.busy_of(email)

    def answer_invitation(self, event_id: str, email: str, response: str) -> None:
        """An attendee answers in Google Calendar; Google then notifies the bot (push)."""
        assert self.calendar is not None
        self.calendar.set_response(event_id, email, response)
        self.calendar.push()
        if self.services is not None:
            self.services.work.wait_idle(timeout=10)
        self.slack.touch()

    # ------------------------------------------------------------------ time

    def advance(self, delta: timedelta) -> TickResult | None:
        """Move the clock, then send what came due at once (and wait for the work it causes)."""
        self.clock.advance(delta)
        self.seed_calendar()
        result = None
        if self.dispatcher is not None:
            result = self.dispatcher.tick()
        if self.services is not None:
            from bot.services.housekeeping import housekeeping

            housekeeping(self.services)
            self.services.work.wait_idle(timeout=10)
        self.slack.touch()
        return result
