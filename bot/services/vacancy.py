"""Covering a session someone declined (or never answered).

First choice: another member of the same pool at the same time (caps, hours, fresh free/busy,
other loops' holds — the planner decides, on a one-session request). Second: move the session
within the loop's own rules (order, breaks, same day) and ask a fresh panel. Last: tell the
recruiter what blocks it. Swaps per loop are bounded so a stubborn loop escalates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.planner.wallclock import ZoneClock, week_hours_to_utc
from bot.ports import CalendarError, TimeRange
from bot.reminders.outbox import cancel_request_follow_ups
from bot.services.asks import open_requests
from bot.services.context import Services
from bot.services.directory import display_name, find_template, org_view, pool_members
from bot.services.locks import booking_lock
from bot.services.planning import (
    CandidateSpec,
    Roster,
    build_request,
    fetch_busy,
    held_intervals,
    parse_instant,
    run_planner,
)
from bot.services.read import LoopBundle, bundle
from bot.services.views import clock_label, day_label
from storage.engine import session_scope
from storage.models import (
    Interviewer,
    InterviewerRequest,
    InterviewSession,
    Loop,
    LoopState,
    RequestState,
    SessionState,
    TemplateStage,
)
from storage.repo import audit
from storage.states import transition

log = logging.getLogger(__name__)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class VacancyOutcome:
    message: str
    recruiter: str | None
    request_ids: tuple[int, ...] = ()
    cancelled_request_ids: tuple[int, ...] = ()


def _excluded(found: LoopBundle, session_id: int) -> set[int]:
    """Everyone already in the loop, and everyone this session has already asked."""
    people = {r.interviewer_id for s in found.sessions if s.id for r in found.holders(s.id)}
    people |= {r.interviewer_id for r in found.requests.get(session_id, [])}
    return people


# A booked loop keeps its events while one seat is filled again (backing out, swaps, declines
# made in Google Calendar); the event is patched once the replacement confirms.
OPEN_SEAT = "Open seat: "  # prefix of `Loop.attention_reason` when nobody could cover a seat
FILLABLE = (LoopState.PENDING, LoopState.BOOKED, LoopState.NEEDS_ATTENTION)


def fill_vacancy(
    services: Services, session_id: int, *, reason: str, allow_move: bool = True
) -> VacancyOutcome:
    """Cover an open seat; `allow_move=False` keeps the session's time (it starts soon)."""
    with session_scope(services.engine) as session:
        item = session.get(InterviewSession, session_id)
        assert item is not None
        loop = session.get(Loop, item.loop_id)
        assert loop is not None
        found = bundle(loop, session=session)
        short_id, recruiter = loop.short_id, loop.recruiter_slack_id
        if loop.state not in FILLABLE:
            return VacancyOutcome(
                f"Loop `{short_id}`: {reason}; the loop is {loop.state.value}, nothing to fill.",
                recruiter,
            )
        if loop.swaps >= services.max_swaps:
            return _escalate(
                loop, f"{reason}, and this loop already had {loop.swaps} swaps", session=session
            )
        excluded = _excluded(found, session_id)
        members = [p for p in pool_members(item.pool, session=session) if p.id not in excluded]
        org = org_view(session=session)
        template_found = find_template(loop.template_key, session=session)
        missing = item.panel_size - len(found.holders(session_id))
    if services.calendar is None or template_found is None:
        with session_scope(services.engine) as session:
            loop = session.get(Loop, found.loop.id)
            assert loop is not None
            return _escalate(
                loop, f"{reason}; no calendar or template to re-plan with", session=session
            )
    template, _ = template_found
    roster = Roster(
        people={str(p.id): p for p in members}, pools={item.pool: [str(p.id) for p in members]}
    )
    day = timedelta(days=1)
    window_start = date.fromisoformat(loop.window_start)
    window_end = date.fromisoformat(loop.window_end)
    tz = ZoneInfo(loop.candidate_timezone)
    query_start = min(item.start - day, datetime.combine(window_start, datetime.min.time(), tz))
    query_end = max(item.end + day, datetime.combine(window_end + 2 * day, datetime.min.time(), tz))
    emails = roster.emails()
    services.calendar.invalidate(emails)
    try:
        busy = fetch_busy(services.calendar, emails, query_start, query_end)
    except CalendarError as error:
        with session_scope(services.engine) as session:
            loop = session.get(Loop, found.loop.id)
            assert loop is not None
            return _escalate(loop, f"{reason}; Google Calendar failed ({error})", session=session)
    now = services.clock()
    with session_scope(services.engine) as session:
        booking_lock(session=session)
        loop = session.get(Loop, found.loop.id)
        item = session.get(InterviewSession, session_id)
        assert loop is not None and item is not None and loop.id is not None
        if loop.state not in FILLABLE:
            return VacancyOutcome(f"Loop `{short_id}` is {loop.state.value}.", recruiter)
        held = held_intervals(
            [p.id for p in members if p.id], session=session, exclude_loop_id=loop.id
        )
        base: dict[str, Any] = {
            "org": org,
            "template": template,
            "roster": roster,
            "busy": busy,
            "held": held,
            "now": now,
        }
        answer = run_planner(_same_time_request(base, loop, item, panel=missing))
        if answer["options"]:
            chosen = [int(i) for i in answer["options"][0]["sessions"][0]["interviewers"]]
            ids = open_requests(
                item.id or 0,
                chosen,
                session=session,
                now=now,
                nudge_after=services.settings.confirm_nudge_after,
            )
            loop.swaps += 1
            names = ", ".join(display_name(p) for p in members if p.id in chosen)
            audit(
                "session.replaced",
                session=session,
                actor="system",
                loop_id=loop.id,
                details={"session": session_id, "asked": chosen, "reason": reason},
            )
            return VacancyOutcome(
                f"Loop `{short_id}`: {reason} *{item.title}*; asked {names} to step in at the "
                "same time.",
                recruiter,
                ids,
            )
        moved = _move(services, base, loop, item, found, session=session) if allow_move else None
        if moved is not None:
            return moved
        detail = answer["diagnostics"]["reason"] or "no one else in the pool is free"
        return _escalate(loop, f"{reason} *{item.title}*, and {detail}", session=session)


def _same_time_request(
    base: dict[str, Any], loop: Loop, item: InterviewSession, *, panel: int
) -> dict[str, Any]:
    """A one-session planning request: this session's stage, at exactly its time."""
    local_day = item.start.astimezone(ZoneInfo(loop.candidate_timezone)).date()
    request = build_request(
        **base,
        stages=[_stage(item, panel=panel)],
        window=(local_day, local_day),
        candidate=CandidateSpec(loop.candidate_timezone, (TimeRange(item.start, item.end),)),
    )
    request["settings"]["min_notice_minutes"] = 0
    return request


def stand_in_problem(services: Services, session_id: int, person_id: int) -> str | None:
    """Why `person` cannot take this session at its time (pool, hours, caps, calendar); None
    if they can. The planner decides, on the same one-session request a replacement gets."""
    with session_scope(services.engine) as session:
        item = session.get(InterviewSession, session_id)
        assert item is not None
        loop = session.get(Loop, item.loop_id)
        assert loop is not None and loop.id is not None
        person = session.get(Interviewer, person_id)
        assert person is not None
        if person.id not in {p.id for p in pool_members(item.pool, session=session)}:
            return f"is not in the `{item.pool}` pool of *{item.title}*"
        org = org_view(session=session)
        template_found = find_template(loop.template_key, session=session)
        held = held_intervals([person.id or 0], session=session, exclude_loop_id=loop.id)
    if services.calendar is None or template_found is None:
        return "cannot be checked: no calendar or template to plan with"
    roster = Roster(people={str(person.id): person}, pools={item.pool: [str(person.id)]})
    services.calendar.invalidate(roster.emails())
    try:
        busy = fetch_busy(
            services.calendar,
            roster.emails(),
            item.start - timedelta(days=1),
            item.end + timedelta(days=1),
        )
    except CalendarError as error:
        return f"cannot be checked: Google Calendar failed ({error})"
    base: dict[str, Any] = {
        "org": org,
        "template": template_found[0],
        "roster": roster,
        "busy": busy,
        "held": held,
        "now": services.clock(),
    }
    answer = run_planner(_same_time_request(base, loop, item, panel=1))
    if answer["options"]:
        return None
    when = f"{day_label(item.start, loop.candidate_timezone)} " + clock_label(
        item.start, item.end, loop.candidate_timezone
    )
    detail = answer["diagnostics"]["reason"] or "busy, off hours or over their caps"
    return f"cannot take *{item.title}* on {when}: {detail}"


def _stage(item: InterviewSession, *, panel: int) -> TemplateStage:
    return TemplateStage(
        template_id=0,
        position=item.position,
        name=item.stage_name,
        title=item.title,
        duration_minutes=int((item.end - item.start).total_seconds() // 60),
        pool=item.pool,
        interviewers=max(panel, 1),
    )


def _escalate(loop: Loop, why: str, *, session: Session) -> VacancyOutcome:
    assert loop.id is not None
    transition(
        Loop,
        loop.id,
        LoopState.NEEDS_ATTENTION,
        session=session,
        expected=[LoopState.PENDING, LoopState.BOOKING, LoopState.BOOKED],
        values={"attention_reason": f"{OPEN_SEAT}{why}"},
    )
    audit(
        "loop.needs_attention",
        session=session,
        actor="system",
        loop_id=loop.id,
        details={"why": why},
    )
    return VacancyOutcome(
        f":warning: Loop `{loop.short_id}` needs you: {why}. Options: "
        f"`/interview reschedule {loop.short_id}` for fresh options, or "
        f"`/interview cancel {loop.short_id}`.",
        loop.recruiter_slack_id,
    )


def candidate_intervals(
    loop: Loop, org_defaults: dict[str, Any]
) -> list[tuple[datetime, datetime]]:
    """When the candidate can be interviewed: their stated availability, else their hours."""
    original = loop.request or {}
    availability = original.get("candidate", {}).get("availability")
    if availability is not None:
        return [(parse_instant(a["start"]), parse_instant(a["end"])) for a in availability]
    hours_json = original.get("candidate", {}).get("working_hours") or org_defaults.get(
        "candidate_hours", {}
    )
    hours = tuple(
        tuple((_minutes(a), _minutes(b)) for a, b in hours_json.get(day, [])) for day in DAYS
    )
    clock = ZoneClock(ZoneInfo(loop.candidate_timezone))
    spans = week_hours_to_utc(
        clock, hours, date.fromisoformat(loop.window_start), date.fromisoformat(loop.window_end)
    )
    return [(datetime.fromtimestamp(a, UTC), datetime.fromtimestamp(b, UTC)) for a, b in spans]


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _allowed_starts(
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


def _move(
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
    low, high = _allowed_starts(loop, template, item, others)
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
        stages=[_stage(item, panel=item.panel_size)],
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
        f"Loop `{loop.short_id}`: nobody could cover *{item.title}* at its time, so I moved it "
        f"to {when} (candidate's time) and asked a fresh panel.",
        loop.recruiter_slack_id,
        ids,
        tuple(cancelled),
    )
