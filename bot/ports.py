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


class CalendarPort(Protocol):
    def free_busy(
        self, emails: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, CalendarBusy]: ...

    def create_event(self, spec: EventSpec) -> EventRef: ...

    def move_event(self, event_id: str, start: datetime, end: datetime) -> EventRef: ...

    def patch_event(self, event_id: str, spec: EventSpec) -> EventRef: ...

    def cancel_event(self, event_id: str) -> None: ...

    def attendee_responses(self, event_id: str) -> dict[str, str]: ...

    def invalidate(self, emails: Sequence[str]) -> None: ...


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
        self, user_id: str, text: str, blocks: Sequence[Mapping[str, object]] | None = None
    ) -> MessageRef: ...

    def update_message(
        self,
        ref: MessageRef,
        text: str,
        blocks: Sequence[Mapping[str, object]] | None = None,
    ) -> None: ...

    def publish_home(self, user_id: str, view: Mapping[str, object]) -> None: ...

    def lookup_user_by_email(self, email: str) -> SlackUser | None: ...

    def user_info(self, user_id: str) -> SlackUser | None: ...
