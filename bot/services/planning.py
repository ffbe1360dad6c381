"""Turning the database and fresh calendars into a planner request (CONTRACT.md section 5).

The planner is pure; this module gathers its inputs: pool members with their zones, hours and
caps, Google free/busy (a calendar that cannot be read leaves its owner out, never "free"),
and the sessions other loops already hold, which count as busy and against caps so two
recruiters can never book one interviewer twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.planner import plan_json
from bot.ports import CalendarBusy, CalendarPort, TimeRange
from bot.services.directory import OrgView, display_name, pool_members
from storage.models import (
    Interviewer,
    InterviewerRequest,
    InterviewSession,
    Loop,
    LoopState,
    LoopTemplate,
    RequestState,
    SessionState,
    TemplateStage,
)

LIVE_LOOP_STATES = (
    LoopState.PENDING,
    LoopState.BOOKING,
    LoopState.BOOKED,
    LoopState.NEEDS_ATTENTION,
)
HOLDING_REQUEST_STATES = (RequestState.PENDING, RequestState.CONFIRMED)
BUSINESS_DAYS_IN_DEFAULT_WINDOW = 10


def iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def default_window(now: datetime, zone: str, min_notice_minutes: int) -> tuple[date, date]:
    """Today (candidate-local) up to the 10th business day after the minimum notice."""
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    day = (now + timedelta(minutes=min_notice_minutes)).astimezone(tz).date()
    counted = 0
    while True:
        if day.weekday() < 5:
            counted += 1
            if counted == BUSINESS_DAYS_IN_DEFAULT_WINDOW:
                return today, day
        day += timedelta(days=1)


def query_range(date_from: date, date_to: date, zone: str) -> tuple[datetime, datetime]:
    """UTC range covering the window's local days, a day wider on each side for other zones."""
    tz = ZoneInfo(zone)
    start = datetime.combine(date_from - timedelta(days=1), time(), tz).astimezone(UTC)
    end = datetime.combine(date_to + timedelta(days=2), time(), tz).astimezone(UTC)
    return start, end


@dataclass
class Roster:
    """The people a plan may use, keyed by the planner id (the interviewer's row id)."""

    people: dict[str, Interviewer] = field(default_factory=dict)
    pools: dict[str, list[str]] = field(default_factory=dict)

    def emails(self) -> list[str]:
        return sorted({person.email for person in self.people.values()})


def roster_for(stages: Sequence[TemplateStage], *, session: Session) -> Roster:
    roster = Roster()
    for stage in stages:
        if stage.pool in roster.pools:
            continue
        members = pool_members(stage.pool, session=session)
        roster.pools[stage.pool] = [str(person.id) for person in members]
        for person in members:
            roster.people[str(person.id)] = person
    return roster


def held_intervals(
    interviewer_ids: Iterable[int], *, session: Session, exclude_loop_id: int | None = None
) -> dict[int, list[tuple[datetime, datetime]]]:
    """Sessions that other live loops hold for these people (asked or confirmed)."""
    ids = list(interviewer_ids)
    if not ids:
        return {}
    statement = (
        select(InterviewerRequest.interviewer_id, InterviewSession.start, InterviewSession.end)
        .join(InterviewSession, col(InterviewSession.id) == col(InterviewerRequest.session_id))
        .join(Loop, col(Loop.id) == col(InterviewSession.loop_id))
        .where(
            col(InterviewerRequest.interviewer_id).in_(ids),
            col(InterviewerRequest.state).in_([s.value for s in HOLDING_REQUEST_STATES]),
            col(InterviewSession.state) != SessionState.CANCELLED.value,
            col(Loop.state).in_([s.value for s in LIVE_LOOP_STATES]),
        )
    )
    if exclude_loop_id is not None:
        statement = statement.where(col(Loop.id) != exclude_loop_id)
    held: dict[int, list[tuple[datetime, datetime]]] = {}
    for interviewer_id, start, end in session.exec(statement).all():
        held.setdefault(interviewer_id, []).append((start, end))
    return held


def fetch_busy(
    calendar: CalendarPort, emails: Sequence[str], start: datetime, end: datetime
) -> dict[str, CalendarBusy]:
    if not emails:
        return {}
    return calendar.free_busy(list(emails), start, end)


def unknown_calendars(roster: Roster, busy: dict[str, CalendarBusy]) -> dict[str, str]:
    """People whose calendar could not be read: name → error. They are left out of plans."""
    unknown: dict[str, str] = {}
    for person in roster.people.values():
        answer = busy.get(person.email)
        if answer is None:
            unknown[display_name(person)] = "no answer from Google"
        elif answer.error is not None:
            unknown[display_name(person)] = answer.error
    return unknown


@dataclass(frozen=True)
class CandidateSpec:
    timezone: str
    availability: tuple[TimeRange, ...] | None = None


def build_request(
    *,
    org: OrgView,
    template: LoopTemplate,
    stages: Sequence[TemplateStage],
    roster: Roster,
    busy: dict[str, CalendarBusy],
    held: dict[int, list[tuple[datetime, datetime]]],
    candidate: CandidateSpec,
    window: tuple[date, date],
    now: datetime,
    max_options: int = 5,
) -> dict[str, Any]:
    defaults = org.defaults
    candidate_json: dict[str, Any] = {
        "timezone": candidate.timezone,
        "working_hours": defaults.get("candidate_hours") or {},
    }
    if candidate.availability is not None:
        candidate_json["availability"] = [
            {"start": iso(r.start), "end": iso(r.end)} for r in candidate.availability
        ]
    interviewers = []
    for planner_id, person in roster.people.items():
        answer = busy.get(person.email)
        if answer is None or answer.error is not None:
            continue  # unknown is never free
        assert person.id is not None
        entry: dict[str, Any] = {
            "id": planner_id,
            "email": person.email,
            "timezone": person.timezone or org.timezone,
            "pools": [pool for pool, ids in roster.pools.items() if planner_id in ids],
            "working_hours": person.working_hours or defaults.get("working_hours") or {},
            "busy": [{"start": iso(r.start), "end": iso(r.end)} for r in answer.busy],
            "booked_interviews": [
                {"start": iso(start), "end": iso(end)} for start, end in held.get(person.id, [])
            ],
        }
        for cap in ("max_per_day", "max_per_week"):
            value = getattr(person, cap) or defaults.get(cap)
            if value is not None:
                entry[cap] = value
        interviewers.append(entry)
    return {
        "now": iso(now),
        "window": {"start": window[0].isoformat(), "end": window[1].isoformat()},
        "candidate": candidate_json,
        "loop": {
            "stages": [
                {
                    "name": stage.name,
                    "duration_minutes": stage.duration_minutes,
                    "pool": stage.pool,
                    "interviewers": stage.interviewers,
                }
                for stage in stages
            ],
            "same_day": template.same_day,
            "order": "any" if template.any_order else "fixed",
            "min_break_minutes": template.min_break_minutes,
            "max_break_minutes": template.max_break_minutes,
        },
        "interviewers": interviewers,
        "settings": {
            "slot_step_minutes": int(defaults.get("slot_step_minutes") or 15),
            "min_notice_minutes": int(defaults.get("min_notice_minutes") or 0),
            "buffer_minutes": int(defaults.get("buffer_minutes") or 0),
            "max_options": max_options,
        },
    }


def run_planner(request: dict[str, Any]) -> dict[str, Any]:
    """The planner's JSON answer for a JSON request (CONTRACT.md section 5)."""
    answer: dict[str, Any] = dict(plan_json(request))
    return answer
