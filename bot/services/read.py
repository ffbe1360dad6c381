"""Loading loops, sessions and requests together, for services and for rendering."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from bot.services.directory import display_name, org_view
from bot.services.planning import parse_instant
from bot.views import OptionView, PersonTime, SessionView
from storage.models import (
    Candidate,
    Interviewer,
    InterviewerRequest,
    InterviewSession,
    Loop,
    LoopState,
    LoopTemplate,
    RequestState,
    SessionState,
)


@dataclass
class LoopBundle:
    loop: Loop
    candidate: Candidate
    template_title: str
    sessions: list[InterviewSession]
    requests: dict[int, list[InterviewerRequest]]  # session id → requests, oldest first
    people: dict[int, Interviewer]

    def candidate_label(self) -> str:
        return self.candidate.name or self.candidate.email

    def holders(self, session_id: int) -> list[InterviewerRequest]:
        return [
            r
            for r in self.requests.get(session_id, [])
            if r.state in (RequestState.PENDING, RequestState.CONFIRMED)
        ]


def load_loop(short_id: str, *, session: Session) -> LoopBundle | None:
    loop = session.exec(select(Loop).where(Loop.short_id == short_id)).first()
    return None if loop is None else bundle(loop, session=session)


def bundle(loop: Loop, *, session: Session) -> LoopBundle:
    candidate = session.get(Candidate, loop.candidate_id)
    assert candidate is not None
    template = session.exec(
        select(LoopTemplate).where(LoopTemplate.key == loop.template_key)
    ).first()
    statement = select(InterviewSession).where(InterviewSession.loop_id == loop.id)
    if loop.state is not LoopState.CANCELLED:  # a rescheduled loop's old sessions are history
        statement = statement.where(InterviewSession.state != SessionState.CANCELLED)
    sessions = list(
        session.exec(
            statement.order_by(col(InterviewSession.start), col(InterviewSession.position))
        ).all()
    )
    requests: dict[int, list[InterviewerRequest]] = {}
    people: dict[int, Interviewer] = {}
    if sessions:
        rows = session.exec(
            select(InterviewerRequest)
            .where(col(InterviewerRequest.session_id).in_([s.id for s in sessions]))
            .order_by(col(InterviewerRequest.id))
        ).all()
        for row in rows:
            requests.setdefault(row.session_id, []).append(row)
        ids = {row.interviewer_id for row in rows}
        for person in session.exec(select(Interviewer).where(col(Interviewer.id).in_(ids))).all():
            assert person.id is not None
            people[person.id] = person
    return LoopBundle(
        loop=loop,
        candidate=candidate,
        template_title=template.title if template else loop.template_key,
        sessions=sessions,
        requests=requests,
        people=people,
    )


def person_time(
    person: Interviewer, default_zone: str, calendar_answer: str | None = None
) -> PersonTime:
    return PersonTime(
        display_name(person), person.slack_id, person.timezone or default_zone, calendar_answer
    )


def session_views(found: LoopBundle, default_zone: str) -> tuple[SessionView, ...]:
    views = []
    for item in found.sessions:
        assert item.id is not None
        holders = found.holders(item.id)
        views.append(
            SessionView(
                stage=item.stage_name,
                title=item.title,
                start=item.start,
                end=item.end,
                interviewers=tuple(
                    person_time(found.people[r.interviewer_id], default_zone, r.calendar_response)
                    for r in holders
                ),
                state=item.state.value,
                meet_link=item.meet_link,
            )
        )
    return tuple(views)


def option_fingerprint(option: dict[str, Any]) -> str:
    """A short digest of an option's sessions (stage, times, interviewers).

    A "Book this" button carries it, so a click on an old proposals message after the loop was
    re-planned cannot book whatever option now has the same number.
    """
    sessions = sorted(
        (
            str(s["stage"]),
            parse_instant(s["start"]).isoformat(),
            parse_instant(s["end"]).isoformat(),
            sorted(str(i) for i in s["interviewers"]),
        )
        for s in option.get("sessions", [])
    )
    return hashlib.sha256(json.dumps(sessions).encode()).hexdigest()[:12]


def option_views(
    options: list[dict[str, Any]], titles: dict[str, str], *, session: Session
) -> tuple[OptionView, ...]:
    """Planner options (interviewer ids are row ids as strings) → views with names and zones."""
    zone = org_view(session=session).timezone
    ids = {int(i) for option in options for s in option["sessions"] for i in s["interviewers"]}
    people = {
        p.id: p for p in session.exec(select(Interviewer).where(col(Interviewer.id).in_(ids))).all()
    }
    views = []
    for index, option in enumerate(options):
        sessions = tuple(
            SessionView(
                stage=s["stage"],
                title=titles.get(s["stage"], s["stage"]),
                start=parse_instant(s["start"]),
                end=parse_instant(s["end"]),
                interviewers=tuple(person_time(people[int(i)], zone) for i in s["interviewers"]),
            )
            for s in sorted(option["sessions"], key=lambda s: s["start"])
        )
        views.append(
            OptionView(
                index=index,
                sessions=sessions,
                why=str(option.get("why", "")),
                score=float(option.get("score", 0.0)),
                fingerprint=option_fingerprint(option),
            )
        )
    return tuple(views)
