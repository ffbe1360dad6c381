"""Moving a session nobody can cover at its time: same loop rules, a whole fresh panel.

The new time keeps the session's place among the loop's others (order, breaks, same day) and
lies within the candidate's hours; the planner picks time and panel on a one-session request.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.mrkdwn import escape
from bot.ports import TimeRange
from bot.reminders.outbox import cancel_request_follow_ups
from bot.services.asks import open_requests
from bot.services.candidate_hours import candidate_intervals
from bot.services.context import Services
from bot.services.planning import CandidateSpec, build_request, parse_instant, run_planner
from bot.services.read import LoopBundle
from bot.services.vacancy_outcome import VacancyOutcome
from bot.timefmt import clock_label, day_label
from storage.models import (
    InterviewerRequest,
    InterviewSession,
    Loop,
    RequestState,
    SessionState,
    TemplateStage,
)
from storage.repo import audit
from storage.states import transition


def session_stage(item: InterviewSession, *, panel: int) -> TemplateStage:
    return TemplateStage(
        template_id=0,
        position=item.position,
        name=item.stage_name,
        title=item.title,
        duration_minutes=int((item.end - item.start).total_seconds() // 60),
        pool=item.pool,
        interviewers=max(panel, 1),
    )


def allowed_starts(
    loop: Loop, template: Any, item: InterviewSession, others: list[InterviewSession]
) -> tuple[datetime | None, datetime | None]:
    """Earliest and latest start keeping the session in its place among the others."""
    duration = item.end - item.start
    gap_min = timedelta(minutes=template.min_break_minutes)
    gap_max = timedelta(minutes=template.max_break_minutes)
    before = [o for o in others if o.start < item.start]
    after = [o for o in others if o.start >= item.start]
    low: datetime | None = None
    high: datetime | None = None
    if before:
        prev = max(before, key=lambda o: o.end)
        low = prev.end + gap_min
        if template.same_day:
            high = prev.end + gap_max
    if after:
        nxt = min(after, key=lambda o: o.start)
        latest = nxt.start - gap_min - duration
        high = latest if high is None else min(high, latest)
        if template.same_day:
            earliest = nxt.start - gap_max - duration
            low = earliest if low is None else max(low, earliest)
    return low, high


def move_session(
    services: Services,
    base: dict[str, Any],
    loop: Loop,
    item: InterviewSession,
    found: LoopBundle,
    *,
    session: Session,
) -> VacancyOutcome | None:
    """Re-plan this session at another time with a whole fresh panel; None if nothing fits."""
    template = base["template"]
    others = [
        s for s in found.sessions if s.id != item.id and s.state is not SessionState.CANCELLED
    ]
    low, high = allowed_starts(loop, template, item, others)
    duration = item.end - item.start
    spans = candidate_intervals(loop, base["org"].defaults)
    if template.same_day and others:
        tz = ZoneInfo(loop.candidate_timezone)
        the_day = others[0].start.astimezone(tz).date()
        spans = [
            (a, b)
            for a, b in spans
            if a.astimezone(tz).date() == the_day or b.astimezone(tz).date() == the_day
        ]
    allowed = []
    for a, b in spans:
        start = a if low is None else max(a, low)
        end = b if high is None else min(b, high + duration)
        if end - start >= duration:
            allowed.append(TimeRange(start, end))
    if not allowed:
        return None
    window = (date.fromisoformat(loop.window_start), date.fromisoformat(loop.window_end))
    # The whole panel is re-asked at the new time, so only people outside the rest of the loop.
    request = build_request(
        **base,
        stages=[session_stage(item, panel=item.panel_size)],
        window=window,
        candidate=CandidateSpec(loop.candidate_timezone, tuple(allowed)),
    )
    answer = run_planner(request)
    if not answer["options"]:
        return None
    new = answer["options"][0]["sessions"][0]
    cancelled = []
    assert item.id is not None and loop.id is not None
    for ask in found.holders(item.id):
        assert ask.id is not None
        if transition(
            InterviewerRequest,
            ask.id,
            RequestState.CANCELLED,
            session=session,
            expected=[RequestState.PENDING, RequestState.CONFIRMED],
        ):
            cancelled.append(ask.id)
    item.start, item.end = parse_instant(new["start"]), parse_instant(new["end"])
    if item.state is not SessionState.PENDING:
        session.flush()
        transition(
            InterviewSession,
            item.id,
            SessionState.PENDING,
            session=session,
            expected=[SessionState.CONFIRMED],
        )
    ids = open_requests(
        item.id,
        [int(i) for i in new["interviewers"]],
        session=session,
        now=base["now"],
        nudge_after=services.settings.confirm_nudge_after,
    )
    loop.swaps += 1
    audit(
        "session.moved",
        session=session,
        actor="system",
        loop_id=loop.id,
        details={"session": item.id, "start": new["start"], "asked": new["interviewers"]},
    )
    for request_id in cancelled:
        cancel_request_follow_ups(request_id, session=session, reason="session moved")
    when = (
        f"{day_label(item.start, loop.candidate_timezone)} "
        f"{clock_label(item.start, item.end, loop.candidate_timezone)}"
    )
    return VacancyOutcome(
        f"Loop `{loop.short_id}`: nobody could cover *{escape(item.title)}* at its time, so I "
        "moved it "
        f"to {when} (candidate's time) and asked a fresh panel.",
        loop.recruiter_slack_id,
        ids,
        tuple(cancelled),
    )
