"""Read models handed to the Block Kit builders: plain data, already in each reader's zone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


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
