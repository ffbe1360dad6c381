"""Interfaces the domain talks to; `integrations/` holds the Google and Slack adapters.

The domain (planning, booking, reminders) depends only on these shapes, so it can be tested
against fakes and never imports a vendor library.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class TimeRange:
    """Half-open `[start, end)` interval of aware datetimes."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class CalendarBusy:
    """One calendar's busy time, or why it could not be read (then it is unknown, not free)."""

    busy: tuple[TimeRange, ...] = ()
    error: str | None = None


@dataclass(frozen=True, slots=True)
class EventSpec:
    """An interview session as a calendar event; `key` derives the client-supplied event id."""

    key: str
    summary: str
    description: str
    start: datetime
    end: datetime
    attendees: tuple[str, ...]
    private_properties: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EventRef:
    event_id: str
    html_link: str | None = None
    meet_link: str | None = None


class CalendarError(Exception):
    """A calendar call failed for good; `str(error)` is fit to show the person who asked."""

    @property
    def retryable(self) -> bool:
        """Whether trying again later may help (outage, rate limit) or never will (bad request)."""
        return True


class SyncTokenExpiredError(CalendarError):
    """The stored sync token is no longer valid (Google's 410 Gone): do a full resync."""


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """One event as a change listing reports it. A deleted event may carry only id and status."""

    event_id: str
    status: str  # confirmed | tentative | cancelled
    start: datetime | None = None
    end: datetime | None = None
    attendees: Mapping[str, str] = field(default_factory=dict)  # email (lower case) → answer
    private: Mapping[str, str] = field(default_factory=dict)  # extendedProperties.private

    @property
    def deleted(self) -> bool:
        return self.status == "cancelled"


@dataclass(frozen=True, slots=True)
class EventListing:
    """Events from one listing, the token for the next incremental one, and its cost."""

    events: tuple[CalendarEvent, ...]
    sync_token: str
    requests: int


@dataclass(frozen=True, slots=True)
class WatchChannel:
    """A push channel Google opened: needed to stop it, and renewed before `expiration`."""

    channel_id: str
    resource_id: str
    expiration: datetime


class CalendarPort(Protocol):
    def free_busy(
        self, emails: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, CalendarBusy]: ...

    def create_event(self, spec: EventSpec) -> EventRef: ...

    def patch_event(self, event_id: str, spec: EventSpec) -> EventRef: ...

    def cancel_event(self, event_id: str) -> None: ...

    def invalidate(self, emails: Sequence[str]) -> None: ...

    # Changes made in Calendar (incremental sync, push).
    def list_changes(self, sync_token: str) -> EventListing:
        """Events changed since `sync_token`; raises `SyncTokenExpiredError` on 410."""
        ...

    def list_own_events(self, since: datetime) -> EventListing:
        """The bot's own live events ending after `since`, and a fresh sync token."""
        ...

    def read_event(self, event_id: str) -> CalendarEvent | None:
        """One event (a deleted one has status `cancelled`); None if Google does not know it."""
        ...

    def watch(self, address: str, channel_id: str, token: str, ttl_seconds: int) -> WatchChannel:
        """Open a push channel for the calendar's events to `address`."""
        ...

    def stop_watch(self, channel_id: str, resource_id: str) -> None:
        """Stop a push channel (one already gone is fine)."""
        ...


@dataclass(frozen=True, slots=True)
class MessageRef:
    """Where a posted message lives, so it can be updated later (e.g. buttons → outcome)."""

    channel: str
    ts: str


@dataclass(frozen=True, slots=True)
class SlackUser:
    user_id: str
    email: str | None = None
    name: str | None = None
    timezone: str | None = None


class MessagingError(Exception):
    """A Slack call failed for good. `code` is Slack's error string (e.g. `user_not_found`)."""

    def __init__(self, code: str, message: str | None = None) -> None:
        super().__init__(message or code)
        self.code = code

    @property
    def permanent(self) -> bool:
        """Errors retrying cannot fix: the person or channel is gone or unreachable."""
        return self.code in PERMANENT_SLACK_ERRORS


PERMANENT_SLACK_ERRORS = frozenset(
    {
        "user_not_found",
        "users_not_found",
        "account_inactive",
        "channel_not_found",
        "is_archived",
        "user_disabled",
        "cannot_dm_bot",
        "not_in_channel",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "missing_scope",
    }
)


class MessagingPort(Protocol):
    """What the domain needs from Slack. Blocks are plain Block Kit dicts."""

    def send_dm(
        self,
        user_id: str,
        text: str,
        blocks: Sequence[Mapping[str, object]] | None = None,
        *,
        key: str | None = None,
        check_first: bool = False,
        attempts: int | None = None,
    ) -> MessageRef:
        """Post at most once per `key` (an intent: a reminder, a request), never blindly twice.

        `check_first`: an earlier attempt for this key may have been delivered; look first.
        `attempts`: posts to try now (None: the messenger's default); a caller with durable
        retries of its own (the reminder outbox) passes 1.
        """
        ...

    def update_message(
        self,
        ref: MessageRef,
        text: str,
        blocks: Sequence[Mapping[str, object]] | None = None,
    ) -> None: ...

    def publish_home(self, user_id: str, view: Mapping[str, object]) -> None: ...

    def lookup_user_by_email(self, email: str) -> SlackUser | None: ...

    def user_info(self, user_id: str) -> SlackUser | None: ...
