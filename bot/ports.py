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


class CalendarPort(Protocol):
    def free_busy(
        self, emails: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, CalendarBusy]: ...

    def create_event(self, spec: EventSpec) -> EventRef: ...

    def move_event(self, event_id: str, start: datetime, end: datetime) -> EventRef: ...

    def cancel_event(self, event_id: str) -> None: ...

    def attendee_responses(self, event_id: str) -> dict[str, str]: ...

    def invalidate(self, emails: Sequence[str]) -> None: ...
