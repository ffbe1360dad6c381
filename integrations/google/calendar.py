"""`GoogleCalendar`: the Google implementation of `bot.ports.CalendarPort`, and the doctor check.

    calendar = GoogleCalendar.from_settings(settings)
    busy = calendar.free_busy(["ana@corp.example", ...], start, end)   # {email: CalendarBusy}
    ref = calendar.create_event(spec)                                   # EventRef(id, links)
    calendar.patch_event(ref.event_id, new_spec)                        # times, attendees, text
    calendar.cancel_event(ref.event_id)
    calendar.close()

One instance serves the whole process and is safe to share between threads. Every failure that
should reach a person is a `bot.ports.CalendarError` whose text names the operation.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from google.auth.credentials import Credentials

from bot.ports import (
    CalendarBusy,
    CalendarError,
    CalendarEvent,
    CalendarPort,
    EventListing,
    EventRef,
    EventSpec,
    WatchChannel,
)
from bot.retry import RetryPolicy
from bot.settings import MissingSettingError, Settings
from integrations.google.auth import SCOPES, load_service_account
from integrations.google.changes import ChangeReader
from integrations.google.errors import GoogleConfigError
from integrations.google.events import EventWriter, event_id_for
from integrations.google.freebusy import (
    DEFAULT_CACHE_TTL,
    FreeBusyCache,
    FreeBusyReader,
)
from integrations.google.service import DEFAULT_HTTP_TIMEOUT, CalendarApi

PURPOSE = "for Google Calendar features"
DEFAULT_WORKERS = 8


class GoogleCalendar:
    """Free/busy, interview events and attendee responses on Google Calendar.

    `credentials` are used as given (service-account credentials delegated to `organizer` in
    production; anything google-auth accepts in tests). `retry` bounds every call;
    `cache_ttl` seconds (0 disables) is how long a calendar's free/busy answer is reused.
    """

    def __init__(
        self,
        credentials: Credentials,
        organizer: str,
        *,
        api_endpoint: str | None = None,
        retry: RetryPolicy | None = None,
        http_timeout: float = DEFAULT_HTTP_TIMEOUT,
        cache_ttl: float = DEFAULT_CACHE_TTL,
        clock: Callable[[], float] = time.monotonic,
        max_workers: int = DEFAULT_WORKERS,
        calendar_id: str = "primary",
        token_hint: str | None = None,
    ) -> None:
        self.organizer = organizer
        self.api = CalendarApi(
            credentials,
            api_endpoint=api_endpoint,
            retry=retry,
            http_timeout=http_timeout,
            token_hint=token_hint,
        )
        self.cache = FreeBusyCache(cache_ttl, clock=clock)
        self._max_workers = max_workers
        self._executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()
        self._closed = False
        self._freebusy = FreeBusyReader(self.api, self._pool, self.cache)
        self._events = EventWriter(self.api, organizer, calendar_id)
        self._changes = ChangeReader(self.api, organizer, calendar_id)

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> GoogleCalendar:
        """Build from GOOGLE_SERVICE_ACCOUNT_FILE, GOOGLE_ORGANIZER_EMAIL, GOOGLE_API_ENDPOINT.

        Raises `MissingSettingError` for an unset key and `GoogleConfigError` for an unusable
        key file or organizer address (both: one line naming the key/file). No network.
        """
        path = settings.require("GOOGLE_SERVICE_ACCOUNT_FILE", PURPOSE)
        organizer = str(settings.require("GOOGLE_ORGANIZER_EMAIL", PURPOSE)).strip()
        account = load_service_account(path, organizer)
        client = f" (client id {account.client_id})" if account.client_id else ""
        options.setdefault(
            "token_hint",
            f"in the Workspace Admin console, authorise service account {account.client_email}"
            f"{client} for domain-wide delegation with scopes {','.join(SCOPES)}, and check "
            f"that {organizer} is an active user of the domain",
        )
        options.setdefault("api_endpoint", settings.google_api_endpoint)
        return cls(account.credentials, organizer, **options)

    # -- lifecycle -------------------------------------------------------------------------

    def _pool(self) -> Executor:
        with self._executor_lock:
            if self._closed:
                raise CalendarError("the Google Calendar client has been closed")
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self._max_workers, thread_name_prefix="google-calendar"
                )
            return self._executor

    def close(self) -> None:
        """Stop the worker threads (waits for queries in flight)."""
        with self._executor_lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)

    def __enter__(self) -> GoogleCalendar:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- CalendarPort ----------------------------------------------------------------------

    def free_busy(
        self, emails: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, CalendarBusy]:
        """Busy time of each calendar in `[start, end)`, keyed by the emails as given.

        A calendar Google could not read has `error` set (unknown, never free). Raises
        `CalendarError` when a query fails for good, `ValueError` for naive datetimes.
        """
        return self._freebusy.query(emails, start, end)

    def create_event(self, spec: EventSpec) -> EventRef:
        """Create the session's event (or return it if it exists): Meet link, invitations sent."""
        ref, event = self._events.create(spec)
        self.invalidate([*spec.attendees, self.organizer, *_attendee_emails(event)])
        return ref

    def patch_event(self, event_id: str, spec: EventSpec) -> EventRef:
        """Make the event match `spec` (times, attendees, text); attendees are told, Meet kept."""
        ref, event = self._events.patch(event_id, spec)
        self.invalidate([*spec.attendees, self.organizer, *_attendee_emails(event)])
        return ref

    def cancel_event(self, event_id: str) -> None:
        """Delete the event and notify attendees; an event already gone (404/410) is fine."""
        self._events.cancel(event_id)
        self.cache.clear()  # the attendees are not known without another request

    def invalidate(self, emails: Sequence[str]) -> None:
        """Forget cached free/busy of these calendars (after booking or cancelling)."""
        self.cache.invalidate(emails)

    def list_changes(self, sync_token: str) -> EventListing:
        """Events changed since `sync_token` (deleted ones too); `SyncTokenExpiredError` on 410."""
        return self._changes.list_changes(sync_token)

    def list_own_events(self, since: datetime) -> EventListing:
        """The bot's live events ending after `since`, with a fresh sync token (full resync)."""
        return self._changes.list_own_events(since)

    def read_event(self, event_id: str) -> CalendarEvent | None:
        return self._changes.read(event_id)

    def watch(self, address: str, channel_id: str, token: str, ttl_seconds: int) -> WatchChannel:
        """Open an `events.watch` push channel to `address` (HTTPS in production)."""
        return self._changes.watch(address, channel_id, token, ttl_seconds)

    def stop_watch(self, channel_id: str, resource_id: str) -> None:
        self._changes.stop_watch(channel_id, resource_id)

    # -- extras ----------------------------------------------------------------------------

    @staticmethod
    def event_id_for(key: str) -> str:
        """The event id `create_event` uses for `EventSpec.key`."""
        return event_id_for(key)


if TYPE_CHECKING:

    def _implements_the_port(calendar: GoogleCalendar) -> CalendarPort:
        return calendar  # mypy checks GoogleCalendar against the protocol here


def _attendee_emails(event: dict[str, Any]) -> list[str]:
    return [
        str(attendee["email"])
        for attendee in event.get("attendees") or []
        if isinstance(attendee, dict) and attendee.get("email")
    ]


def check(settings: Settings, *, retry: RetryPolicy | None = None) -> tuple[bool, str]:
    """The Google line of `interview-bot doctor`: a free/busy call on the organizer.

    Also proves the token flow (domain-wide delegation must grant *both* scopes, or Google
    refuses the token). Returns (ok, one-line message); never raises for a failed check.
    """
    try:
        calendar = GoogleCalendar.from_settings(
            settings,
            retry=retry or RetryPolicy(max_attempts=3, deadline=10.0),
            http_timeout=10.0,
            cache_ttl=0,
        )
    except (MissingSettingError, GoogleConfigError) as error:
        return False, str(error)
    organizer = calendar.organizer
    with calendar:
        now = datetime.now(UTC).replace(microsecond=0)
        try:
            answer = calendar.free_busy([organizer], now, now + timedelta(days=1))[organizer]
        except CalendarError as error:
            return False, str(error)
    if answer.error is not None:
        return False, f"Google free/busy for organizer {organizer}: {answer.error}"
    count = len(answer.busy)
    return True, (
        f"Google Calendar ok: free/busy for {organizer} answered "
        f"({count} busy interval{'s' if count != 1 else ''} in the next 24 h)"
    )
