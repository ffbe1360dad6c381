"""Read models handed to the Block Kit builders: plain data, already in each reader's zone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class PersonTime:
    name: str
    slack_id: str | None
    timezone: str


@dataclass(frozen=True)
class SessionView:
    stage: str
    title: str
    start: datetime
    end: datetime
    interviewers: tuple[PersonTime, ...]
    state: str = "proposed"
    meet_link: str | None = None


@dataclass(frozen=True)
class OptionView:
    index: int
    sessions: tuple[SessionView, ...]
    why: str
    score: float


@dataclass(frozen=True)
class ProposalView:
    loop_id: str
    candidate: str
    candidate_timezone: str
    template_title: str
    options: tuple[OptionView, ...]
    reason: str | None = None
    unknown_calendars: dict[str, str] = field(default_factory=dict)
    note: str | None = None
    candidate_link: bool = False  # offer the `candidate_link` button (PUBLIC_URL is set)


def local(instant: datetime, zone: str) -> datetime:
    return instant.astimezone(ZoneInfo(zone))


def day_label(instant: datetime, zone: str) -> str:
    """`Wed 2 Dec 2026` in `zone`."""
    value = local(instant, zone)
    return f"{value:%a} {value.day} {value:%b %Y}"


def clock_label(start: datetime, end: datetime, zone: str) -> str:
    """`14:00–15:00 GMT` in `zone` (abbreviation, or UTC offset where the zone has none)."""
    a, b = local(start, zone), local(end, zone)
    abbreviation = a.tzname() or ""
    if not abbreviation or abbreviation[0] in "+-":
        abbreviation = "UTC" + a.strftime("%z")[:3] + ":" + a.strftime("%z")[3:]
    return f"{a:%H:%M}–{b:%H:%M} {abbreviation}"
