"""Covering a session someone declined (or never answered).

First choice: another member of the same pool at the same time (caps, hours, fresh free/busy,
other loops' holds — the planner decides, on a one-session request). Second: move the session
within the loop's own rules (order, breaks, same day) and ask a fresh panel. Last: tell the
recruiter what blocks it. Swaps per loop are bounded so a stubborn loop escalates.

This module runs the first choice and decides; moving is `move_session.py`, the candidate's
wall-clock hours it needs are `candidate_hours.py`, telling the recruiter is `escalation.py`.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.mrkdwn import escape, who
from bot.ports import CalendarError, TimeRange
from bot.services.asks import open_requests
from bot.services.context import Services
from bot.services.directory import display_name, find_template, org_view, pool_members
from bot.services.escalation import escalate
from bot.services.locks import booking_lock
from bot.services.move_session import move_session, session_stage
from bot.services.planning import (
    CandidateSpec,
    Roster,
    build_request,
    fetch_busy,
    held_intervals,
    run_planner,
)
from bot.services.read import LoopBundle, bundle
from bot.services.vacancy_outcome import VacancyOutcome
from storage.engine import session_scope
from storage.models import (
    InterviewSession,
    Loop,
    LoopState,
)
from storage.repo import audit

log = logging.getLogger(__name__)


def _excluded(found: LoopBundle, session_id: int) -> set[int]:
    """Everyone already in the loop, and everyone this session has already asked."""
    people = {r.interviewer_id for s in found.sessions if s.id for r in found.holders(s.id)}
    people |= {r.interviewer_id for r in found.requests.get(session_id, [])}
    return people


def fill_vacancy(services: Services, session_id: int, *, reason: str) -> VacancyOutcome:
    """`reason` is mrkdwn (people as mentions or escaped names); the outcome's message too."""
    with session_scope(services.engine) as session:
        item = session.get(InterviewSession, session_id)
        assert item is not None
        loop = session.get(Loop, item.loop_id)
        assert loop is not None
        found = bundle(loop, session=session)
        short_id, recruiter = loop.short_id, loop.recruiter_slack_id
        if loop.state is not LoopState.PENDING:
            return VacancyOutcome(
                f"Loop `{short_id}`: {reason}; the loop is {loop.state.value}, nothing to fill.",
                recruiter,
            )
        if loop.swaps >= services.max_swaps:
            return escalate(
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
            return escalate(
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
            why = f"{reason}; Google Calendar failed ({escape(str(error))})"
            return escalate(loop, why, session=session)
    now = services.clock()
    with session_scope(services.engine) as session:
        booking_lock(session=session)
        loop = session.get(Loop, found.loop.id)
        item = session.get(InterviewSession, session_id)
        assert loop is not None and item is not None and loop.id is not None
        if loop.state is not LoopState.PENDING:
            return VacancyOutcome(f"Loop `{short_id}` is {loop.state.value}.", recruiter)
        held = held_intervals(
            [p.id for p in members if p.id], session=session, exclude_loop_id=loop.id
        )
        local_day = item.start.astimezone(tz).date()
        base: dict[str, Any] = {
            "org": org,
            "template": template,
            "roster": roster,
            "busy": busy,
            "held": held,
            "now": now,
        }
        stage = session_stage(item, panel=missing)
        same_time = build_request(
            **base,
            stages=[stage],
            window=(local_day, local_day),
            candidate=CandidateSpec(loop.candidate_timezone, (TimeRange(item.start, item.end),)),
        )
        same_time["settings"]["min_notice_minutes"] = 0
        answer = run_planner(same_time)
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
            names = ", ".join(who(p.slack_id, display_name(p)) for p in members if p.id in chosen)
            audit(
                "session.replaced",
                session=session,
                actor="system",
                loop_id=loop.id,
                details={"session": session_id, "asked": chosen, "reason": reason},
            )
            return VacancyOutcome(
                f"Loop `{short_id}`: {reason} *{escape(item.title)}*; asked {names} to step in "
                "at the same time.",
                recruiter,
                ids,
            )
        moved = move_session(services, base, loop, item, found, session=session)
        if moved is not None:
            return moved
        detail = answer["diagnostics"]["reason"] or "no one else in the pool is free"
        return escalate(
            loop, f"{reason} *{escape(item.title)}*, and {escape(detail)}", session=session
        )
