"""Immutable data the planner works on, after validation.

Why a separate model instead of planning straight from the JSON dict: the JSON form is the
interface (CONTRACT.md section 5), but every rule is easier to get right, and cheaper to evaluate,
on values that have already been checked, defaulted and converted.  Instants are whole seconds
since the Unix epoch (UTC); `parse.py` rounds fractional seconds in the direction that keeps every
rule exact (busy time outwards, availability inwards), so nothing downstream needs fractions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal
from zoneinfo import ZoneInfo

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Day keys of `working_hours`, in `date.weekday()` order."""

MINUTES_PER_DAY = 24 * 60

Order = Literal["fixed", "any"]


class PlanInputError(ValueError):
    """A request that breaks CONTRACT.md section 5; `str()` is one line: `path: problem`."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}" if path else problem)


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open interval `[start, end)` of UTC seconds."""

    start: int
    end: int


# One tuple of `(start_minute, end_minute)` wall-clock intervals per weekday, Monday first;
# 0 <= start < end <= 1440 (1440 being the next midnight).
WeekHours = tuple[tuple[tuple[int, int], ...], ...]


@dataclass(frozen=True, slots=True)
class Candidate:
    zone: ZoneInfo
    working_hours: WeekHours
    availability: tuple[Span, ...] | None
    """Explicit availability; replaces `working_hours` when not None (empty = no time at all)."""


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    duration_minutes: int
    pool: str
    interviewers: int


@dataclass(frozen=True, slots=True)
class LoopSpec:
    stages: tuple[Stage, ...]
    same_day: bool
    order: Order
    min_break_minutes: int
    max_break_minutes: int


@dataclass(frozen=True, slots=True)
class Interviewer:
    id: str
    email: str | None
    zone: ZoneInfo
    pools: frozenset[str]
    working_hours: WeekHours
    busy: tuple[Span, ...]
    booked: tuple[Span, ...]
    max_per_day: int | None
    max_per_week: int | None


@dataclass(frozen=True, slots=True)
class Settings:
    slot_step_minutes: int = 15
    min_notice_minutes: int = 0
    buffer_minutes: int = 0
    max_options: int = 5


@dataclass(frozen=True, slots=True)
class PlanRequest:
    now: int
    window_start: date
    window_end: date
    candidate: Candidate
    loop: LoopSpec
    interviewers: tuple[Interviewer, ...]
    settings: Settings


@dataclass(frozen=True, slots=True)
class Session:
    stage: str
    interviewers: tuple[str, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Option:
    sessions: tuple[Session, ...]
    """In chronological order."""
    score: float
    why: str


@dataclass(frozen=True, slots=True)
class PlanAnswer:
    options: tuple[Option, ...]
    reason: str | None
    """One sentence naming what blocks every loop; None when options exist."""
