"""View data: what services hand to whoever talks to Slack, already in each reader's zone.

Services build these plain dataclasses and never Block Kit; `bot/blocks/` turns them into
messages. `Renderer` is how a service that sends a DM itself (asks, booking, cancel) gets the
message rendered without importing the builders: the Slack side passes `bot.blocks.kit.BlockKit`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class PersonTime:
    name: str
    slack_id: str | None
    timezone: str
    calendar_answer: str | None = None  # their answer to the calendar invitation, if seen


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
    fingerprint: str = ""  # ties a "Book this" button to exactly this option (see read.py)


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


@dataclass(frozen=True)
class RequestView:
    request_id: int
    loop_id: str
    candidate: str
    stage_title: str
    template_title: str
    start: datetime
    end: datetime
    timezone: str
    prep: str | None
    co_interviewers: tuple[str, ...] = ()  # Slack ids, or names of people without one
    replacing: bool = False
    notes: str | None = None  # the recruiter's notes: for interviewers, never in the event


@dataclass(frozen=True)
class LoopStatus:
    loop_id: str
    candidate: str
    template_title: str
    state: str
    zone: str
    sessions: tuple[SessionView, ...]
    updated: datetime
    attention: str | None = None  # why the loop needs attention (shown after its state)
    candidate_link: str | None = None  # the newest candidate link's use, in words


@dataclass(frozen=True)
class BookedView:
    """A loop just booked, for its recruiter; times in the candidate's zone."""

    loop_id: str
    candidate: str
    template_title: str
    zone: str
    sessions: tuple[SessionView, ...]


@dataclass(frozen=True)
class HomeView:
    """What one user's App Home shows; `loops` is None for someone who is not a recruiter."""

    upcoming: tuple[RequestView, ...]
    pending: tuple[RequestView, ...]
    loops: tuple[LoopStatus, ...] | None
    notice: str | None = None  # mrkdwn answering a click on the Home tab (no response URL)


@dataclass(frozen=True)
class CandidateLinkView:
    """A candidate link for the recruiter to send (CONTRACT.md section 7)."""

    loop_id: str
    candidate: str
    template_title: str
    url: str
    expires: datetime
    zone: str
    note: str | None = None


Rendered = tuple[str, list[dict[str, Any]]]
"""A message: notification (fallback) text and its Block Kit blocks."""


class Renderer(Protocol):
    """The messages services send themselves; implemented by `bot.blocks.kit.BlockKit`."""

    def request(self, view: RequestView) -> Rendered: ...

    def answered(self, view: RequestView, outcome: str) -> Rendered: ...

    def note(self, text: str) -> Rendered: ...

    def booked(self, view: BookedView) -> Rendered: ...

    def cancelled(
        self, loop_id: str, candidate: str, title: str, when: str, reason: str | None
    ) -> str: ...

    def booking_failed(self, loop_id: str, why: str) -> Rendered: ...

    def proposals(self, view: ProposalView) -> Rendered: ...

    def candidate_link(self, view: CandidateLinkView) -> Rendered: ...

    def calendar_change(self, loop_id: str, changes: Sequence[str]) -> Rendered: ...
