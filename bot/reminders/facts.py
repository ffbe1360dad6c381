"""What the dispatcher knows about a claimed reminder when it re-checks it (step 2 of a tick).

Kept apart from the judgement (`judge.py`) so that the rules "is it still useful, what to send"
read as pure functions of a `Facts` value, with all database access here. A batch is loaded
with one query per table (`preload`); the per-row `gather_facts` then only hits the session's
identity map, which is why `Batch.keep` holds strong references to what was loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.reminders import render
from storage.models import (
    Candidate,
    Interviewer,
    InterviewerRequest,
    InterviewSession,
    Loop,
    LoopTemplate,
    OrgSettings,
    Reminder,
    ReminderKind,
    ReminderState,
)
from storage.repo import confirmed_interviewers, live_sessions

SERIES = {  # reminders of one request that supersede each other when due together
    ReminderKind.SESSION_REMINDER: "before-session",
    ReminderKind.CONFIRM_NUDGE: "follow-up",
    ReminderKind.CONFIRM_ESCALATION: "follow-up",
}


@dataclass
class Batch:
    """What `preload` fetched for one claimed batch."""

    keep: list[Any] = field(default_factory=list)  # strong refs: the identity map is weak
    org_timezone: str | None = None
    latest_due: dict[tuple[int, str], datetime] = field(default_factory=dict)  # (request, series)


@dataclass
class Facts:
    row: Reminder
    payload: dict[str, Any]
    loop: Loop | None = None
    candidate: Candidate | None = None
    interview: InterviewSession | None = None
    request: InterviewerRequest | None = None
    interviewer: Interviewer | None = None
    org_timezone: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def candidate_name(self) -> str:
        if self.candidate is None:
            return "the candidate"
        return self.candidate.name or self.candidate.email

    @property
    def interviewer_zone(self) -> str | None:
        if self.interviewer is not None and self.interviewer.timezone:
            return self.interviewer.timezone
        return self.org_timezone

    @property
    def interviewer_name(self) -> str | None:
        if self.interviewer is None:
            return None
        return self.interviewer.name or self.interviewer.email

    @property
    def interviewer_target(self) -> str:
        if self.interviewer is not None and self.interviewer.slack_id:
            return self.interviewer.slack_id
        return self.row.target_slack_id


def preload(session: Session, ids: Sequence[int], now: datetime) -> Batch:
    """Load everything a batch needs with one query per table (then `get` hits the map)."""
    batch = Batch()
    rows = list(session.exec(select(Reminder).where(col(Reminder.id).in_(ids))))
    batch.keep.extend(rows)

    def load(model: Any, wanted: set[int]) -> list[Any]:
        wanted.discard(0)
        if not wanted:
            return []
        found = list(session.exec(select(model).where(model.id.in_(sorted(wanted)))))
        batch.keep.extend(found)
        return found

    loops = load(Loop, {row.loop_id or 0 for row in rows})
    load(Candidate, {loop.candidate_id for loop in loops})
    load(InterviewSession, {row.session_id or 0 for row in rows})
    requests = load(InterviewerRequest, {row.request_id or 0 for row in rows})
    interviewers = {request.interviewer_id for request in requests}
    for row in rows:
        candidate = (row.payload or {}).get("interviewer_id")
        if isinstance(candidate, int):
            interviewers.add(candidate)
    load(Interviewer, interviewers)
    org = session.exec(select(OrgSettings).order_by(col(OrgSettings.id))).first()
    batch.org_timezone = org.timezone if org is not None else None
    # After downtime the 24 h and the 1 h reminder (or both nudges and the escalation) can
    # all be due at once: only the last of each request's series is acted on.
    series = {row.request_id for row in rows if row.kind in SERIES and row.request_id is not None}
    if series:
        due = session.exec(
            select(Reminder.request_id, Reminder.kind, Reminder.due_at).where(
                col(Reminder.request_id).in_(sorted(series)),
                col(Reminder.kind).in_(list(SERIES)),
                col(Reminder.state).in_(
                    [ReminderState.PENDING, ReminderState.CLAIMED, ReminderState.SENT]
                ),
                col(Reminder.due_at) <= now,
            )
        )
        for request_id, kind, due_at in due:
            if request_id is None:
                continue
            key = (request_id, SERIES[ReminderKind(kind)])
            latest = batch.latest_due.get(key)
            batch.latest_due[key] = due_at if latest is None else max(latest, due_at)
    return batch


def gather_facts(session: Session, row: Reminder, batch: Batch) -> Facts:
    """Everything the judgement needs about `row`, from the batch's identity map."""
    facts = Facts(row=row, payload=dict(row.payload or {}), org_timezone=batch.org_timezone)
    if row.loop_id is not None:
        facts.loop = session.get(Loop, row.loop_id)
    if facts.loop is not None:
        facts.candidate = session.get(Candidate, facts.loop.candidate_id)
    if row.session_id is not None:
        facts.interview = session.get(InterviewSession, row.session_id)
    if row.request_id is not None:
        facts.request = session.get(InterviewerRequest, row.request_id)
    interviewer_id = (
        facts.request.interviewer_id
        if facts.request is not None
        else facts.payload.get("interviewer_id")
    )
    if isinstance(interviewer_id, int):
        facts.interviewer = session.get(Interviewer, interviewer_id)
    if row.kind in SERIES and row.request_id is not None:
        latest = batch.latest_due.get((row.request_id, SERIES[row.kind]))
        facts.extra["superseded"] = latest is not None and latest > row.due_at
    if row.kind == ReminderKind.LOOP_FINISHED and facts.loop is not None:
        facts.extra["sessions"] = loop_sessions(session, facts.loop)
        template = session.exec(
            select(LoopTemplate).where(LoopTemplate.key == facts.loop.template_key)
        ).first()
        facts.extra["title"] = template.title if template is not None else None
    return facts


def loop_sessions(session: Session, loop: Loop) -> list[render.SessionLine]:
    """The loop's live sessions with their confirmed interviewers, for the "loop finished" note."""
    sessions = live_sessions(loop.id, session=session)
    names: dict[int, list[str]] = {}
    for request, interviewer in confirmed_interviewers(sessions, session=session):
        names.setdefault(request.session_id, []).append(
            interviewer.slack_id or interviewer.name or interviewer.email
        )
    return [
        render.SessionLine(
            stage_title=item.title,
            start=item.start,
            end=item.end,
            interviewers=tuple(names.get(item.id or -1, ())),
        )
        for item in sessions
    ]
