"""Rows for reminder tests, inserted straight through the models (no service code involved)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from storage.models import (
    Candidate,
    Interviewer,
    InterviewerRequest,
    InterviewSession,
    Loop,
    LoopState,
    OrgSettings,
    RequestState,
    SessionState,
)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday, a week before the sessions below
SESSION_START = datetime(2026, 12, 8, 14, 0, tzinfo=UTC)  # Tue 8 Dec, 14:00 GMT in London
RECRUITER = "U0RECRUIT"
MEET = "https://meet.google.com/abc-defg-hij"


class Clock:
    """A controlled, thread-safe clock: `clock()` is now; `advance(...)` moves it."""

    def __init__(self, start: datetime = T0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        with self._lock:
            self._now += delta if delta is not None else timedelta(**kwargs)
            return self._now


@dataclass(frozen=True)
class Person:
    slack_id: str | None
    name: str
    timezone: str | None = "Europe/London"
    email: str | None = None

    @property
    def address(self) -> str:
        return self.email or f"{(self.slack_id or self.name).lower()}@corp.example"


ANA = Person("U01ANA", "Ana Lima", "Europe/London")
BO = Person("U02BO", "Bo Chen", "America/New_York")
CY = Person("U03CY", "Cy Park", "Asia/Kolkata")


@dataclass
class LoopRows:
    loop_id: int
    short_id: str
    session_ids: list[int]
    request_ids: list[list[int]] = field(default_factory=list)  # per session

    @property
    def first_request(self) -> int:
        return self.request_ids[0][0]


def ensure_org(session: Session, timezone: str = "America/Los_Angeles") -> None:
    if session.exec(select(OrgSettings)).first() is None:
        session.add(OrgSettings(timezone=timezone, recruiters=[RECRUITER], source_digest="test"))
        session.flush()


def interviewer(session: Session, person: Person) -> int:
    found = session.exec(select(Interviewer).where(Interviewer.email == person.address)).first()
    if found is None:
        found = Interviewer(
            email=person.address,
            slack_id=person.slack_id,
            name=person.name,
            timezone=person.timezone,
        )
        session.add(found)
        session.flush()
    assert found.id is not None
    return found.id


def make_loop(
    session: Session,
    *,
    short_id: str = "L7F3K",
    starts: Sequence[datetime] = (SESSION_START,),
    panels: Sequence[Sequence[Person]] | None = None,
    duration: timedelta = timedelta(hours=1),
    request_state: RequestState = RequestState.CONFIRMED,
    loop_state: LoopState = LoopState.BOOKED,
    candidate_name: str = "Ada Lovelace",
    prep: str | None = "Ask about the cache design.",
    created_at: datetime = T0,
) -> LoopRows:
    """A loop with one session per start; `panels[i]` are session i's interviewers."""
    ensure_org(session)
    panels = panels if panels is not None else [[ANA]] * len(starts)
    candidate = Candidate(email=f"{short_id.lower()}@cand.example", name=candidate_name)
    session.add(candidate)
    session.flush()
    assert candidate.id is not None
    loop = Loop(
        short_id=short_id,
        candidate_id=candidate.id,
        template_key="backend-swe",
        recruiter_slack_id=RECRUITER,
        state=loop_state,
        candidate_timezone="Europe/London",
        window_start="2026-12-01",
        window_end="2026-12-15",
    )
    session.add(loop)
    session.flush()
    assert loop.id is not None
    rows = LoopRows(loop_id=loop.id, short_id=short_id, session_ids=[])
    for position, (start, panel) in enumerate(zip(starts, panels, strict=True)):
        interview = InterviewSession(
            loop_id=loop.id,
            position=position,
            stage_name=f"stage-{position}",
            title="Code review" if position == 0 else f"Stage {position}",
            pool="code-review",
            panel_size=len(panel),
            prep=prep,
            start=start,
            end=start + duration,
            state=SessionState.BOOKED,
            meet_link=MEET,
        )
        session.add(interview)
        session.flush()
        assert interview.id is not None
        rows.session_ids.append(interview.id)
        requests: list[int] = []
        for person in panel:
            request = InterviewerRequest(
                session_id=interview.id,
                interviewer_id=interviewer(session, person),
                state=request_state,
                created_at=created_at,
            )
            session.add(request)
            session.flush()
            assert request.id is not None
            requests.append(request.id)
        rows.request_ids.append(requests)
    return rows


def add_request(
    session: Session,
    session_id: int,
    person: Person,
    *,
    state: RequestState = RequestState.PENDING,
    created_at: datetime = T0,
) -> int:
    request = InterviewerRequest(
        session_id=session_id,
        interviewer_id=interviewer(session, person),
        state=state,
        created_at=created_at,
    )
    session.add(request)
    session.flush()
    assert request.id is not None
    return request.id


def make_wide_loop(session: Session, count: int, *, start: datetime = SESSION_START) -> LoopRows:
    """One loop with `count` sessions at `start`, each with its own confirmed interviewer
    (Slack ids U1000, U1001, …). Bulk inserts, for concurrency tests and benchmarks."""
    rows = make_loop(session, short_id=f"W{count}", starts=[], panels=[])
    people = [
        Interviewer(
            email=f"wide{index}@corp.example",
            slack_id=f"U{1000 + index}",
            name=f"Person {index}",
            timezone="Europe/London",
        )
        for index in range(count)
    ]
    session.add_all(people)
    session.flush()
    sessions = [
        InterviewSession(
            loop_id=rows.loop_id,
            position=index,
            stage_name=f"stage-{index}",
            title=f"Stage {index}",
            pool="code-review",
            start=start,
            end=start + timedelta(hours=1),
            state=SessionState.BOOKED,
            meet_link=MEET,
        )
        for index in range(count)
    ]
    session.add_all(sessions)
    session.flush()
    requests = [
        InterviewerRequest(
            session_id=interview.id,  # type: ignore[arg-type]
            interviewer_id=person.id,  # type: ignore[arg-type]
            state=RequestState.CONFIRMED,
            created_at=T0,
        )
        for interview, person in zip(sessions, people, strict=True)
    ]
    session.add_all(requests)
    session.flush()
    rows.session_ids = [interview.id for interview in sessions]  # type: ignore[misc]
    rows.request_ids = [[request.id] for request in requests]  # type: ignore[list-item]
    return rows
