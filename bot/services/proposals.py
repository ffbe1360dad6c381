"""Proposing options: plan a new loop (`propose`) or an existing one again (`replan`).

Both gather inputs the same way (`plan`): the roster from the database, free/busy from Google
outside any transaction, what other loops hold, then the pure planner. Booking the option the
recruiter picks is in `choose.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from bot.ports import CalendarError, TimeRange
from bot.services.context import Services
from bot.services.directory import find_template, is_recruiter, org_view
from bot.services.errors import UserFacingError, require_calendar
from bot.services.planning import (
    CandidateSpec,
    build_request,
    default_window,
    fetch_busy,
    held_intervals,
    parse_instant,
    query_range,
    roster_for,
    run_planner,
    unknown_calendars,
)
from bot.services.read import option_views
from bot.services.shortid import new_short_id
from bot.views import ProposalView
from storage.engine import session_scope
from storage.models import (
    Candidate,
    Loop,
    LoopState,
    LoopTemplate,
    TemplateStage,
)
from storage.repo import audit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScheduleInput:
    recruiter: str
    candidate_email: str
    template_key: str
    candidate_name: str | None = None
    timezone: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    availability: tuple[TimeRange, ...] | None = None
    notes: str | None = None


def plan(
    services: Services,
    template: LoopTemplate,
    stages: list[TemplateStage],
    candidate: CandidateSpec,
    window: tuple[date, date],
    exclude_loop_id: int | None,
    *,
    max_options: int = 5,
    planner: Callable[[dict[str, Any]], dict[str, Any]] = run_planner,
    now: datetime | None = None,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """Gather inputs (DB, then Google outside any transaction) and run the planner.

    `planner` and `now` let the candidate page share planning runs (see candidate_page.py).
    """
    calendar = require_calendar(services)
    with session_scope(services.engine) as session:
        org = org_view(session=session)
        roster = roster_for(stages, session=session)
    start, end = query_range(window[0], window[1], candidate.timezone)
    try:
        busy = fetch_busy(calendar, roster.emails(), start, end)
    except CalendarError as error:
        raise UserFacingError(f"Google Calendar failed: {error}") from None
    with session_scope(services.engine) as session:
        held = held_intervals(
            [p.id for p in roster.people.values() if p.id is not None],
            session=session,
            exclude_loop_id=exclude_loop_id,
        )
        request = build_request(
            org=org,
            template=template,
            stages=stages,
            roster=roster,
            busy=busy,
            held=held,
            candidate=candidate,
            window=window,
            now=now or services.clock(),
            max_options=max_options,
        )
    answer = planner(request)
    return request, answer, unknown_calendars(roster, busy)


def propose(services: Services, spec: ScheduleInput) -> ProposalView:
    """Plan a new loop for a candidate and store it as PROPOSED with its options."""
    with session_scope(services.engine) as session:
        if not is_recruiter(spec.recruiter, session=session):
            raise UserFacingError("Only recruiters can schedule interviews.")
        org = org_view(session=session)
        found = find_template(spec.template_key, session=session)
        if found is None:
            raise UserFacingError(
                f"Unknown template `{spec.template_key}`; `/interview templates` lists them."
            )
        template, stages = found
        if not stages:
            raise UserFacingError(f"Template `{spec.template_key}` has no stages.")
    zone = spec.timezone or org.timezone
    window = _window(services, spec, zone, org.defaults)
    candidate = CandidateSpec(zone, spec.availability)
    request, answer, unknown = plan(services, template, stages, candidate, window, None)
    with session_scope(services.engine) as session:
        person = _upsert_candidate(spec, zone, session=session)
        loop = Loop(
            short_id=new_short_id(session=session),
            candidate_id=person.id or 0,
            template_key=template.key,
            recruiter_slack_id=spec.recruiter,
            candidate_timezone=zone,
            window_start=window[0].isoformat(),
            window_end=window[1].isoformat(),
            notes=spec.notes,
            request=request,
            proposals=answer["options"],
            state=LoopState.PROPOSED,
        )
        session.add(loop)
        session.flush()
        audit(
            "loop.proposed",
            session=session,
            actor=spec.recruiter,
            loop_id=loop.id,
            details={"options": len(answer["options"]), "reason": answer["diagnostics"]["reason"]},
        )
        log.info("proposed %d options", len(answer["options"]), extra={"loop": loop.short_id})
        titles = {stage.name: stage.title for stage in stages}
        return ProposalView(
            loop_id=loop.short_id,
            candidate=person.name or person.email,
            candidate_timezone=zone,
            template_title=template.title,
            options=option_views(answer["options"], titles, session=session),
            reason=answer["diagnostics"]["reason"],
            unknown_calendars=unknown,
            candidate_link=services.settings.public_url is not None,
        )


def _window(
    services: Services, spec: ScheduleInput, zone: str, defaults: dict[str, Any]
) -> tuple[date, date]:
    default_from, default_to = default_window(
        services.clock(), zone, int(defaults.get("min_notice_minutes") or 0)
    )
    date_from = spec.date_from or default_from
    date_to = spec.date_to or max(default_to, date_from)
    if date_to < date_from:
        raise UserFacingError(f"`to={date_to}` is before `from={date_from}`.")
    if (date_to - date_from).days > 90:
        raise UserFacingError("The window is longer than 90 days; pick a shorter range.")
    return date_from, date_to


def _upsert_candidate(spec: ScheduleInput, zone: str, *, session: Session) -> Candidate:
    email = spec.candidate_email.strip().lower()
    person = session.exec(select(Candidate).where(Candidate.email == email)).first()
    if person is None:
        person = Candidate(email=email, name=spec.candidate_name, timezone=zone)
        session.add(person)
    else:
        if spec.candidate_name:
            person.name = spec.candidate_name
        person.timezone = zone
    session.flush()
    return person


@dataclass(frozen=True)
class LoopPlan:
    """A fresh plan for an existing loop, with what rendering it needs."""

    request: dict[str, Any]
    answer: dict[str, Any]
    unknown: dict[str, str]
    titles: dict[str, str]
    template_title: str


def plan_for_loop(
    services: Services,
    loop_id: int,
    *,
    availability: tuple[TimeRange, ...] | None = None,
    window: tuple[date, date] | None = None,
    max_options: int = 5,
    planner: Callable[[dict[str, Any]], dict[str, Any]] = run_planner,
    now: datetime | None = None,
) -> LoopPlan:
    """Plan an existing loop again with its constraints (or the given availability/window).

    Nothing is stored: the recruiter's `replan` stores the answer, the candidate page shows it.
    """
    with session_scope(services.engine) as session:
        loop = session.get(Loop, loop_id)
        assert loop is not None and loop.request is not None
        found = find_template(loop.template_key, session=session)
        if found is None:
            raise UserFacingError(f"Template `{loop.template_key}` no longer exists.")
        template, stages = found
        if window is None:
            window = (date.fromisoformat(loop.window_start), date.fromisoformat(loop.window_end))
        if availability is None:
            stored = loop.request["candidate"].get("availability")
            if stored is not None:
                availability = tuple(
                    TimeRange(parse_instant(a["start"]), parse_instant(a["end"])) for a in stored
                )
        candidate = CandidateSpec(loop.candidate_timezone, availability)
    request, answer, unknown = plan(
        services,
        template,
        stages,
        candidate,
        window,
        loop_id,
        max_options=max_options,
        planner=planner,
        now=now,
    )
    titles = {stage.name: stage.title for stage in stages}
    return LoopPlan(request, answer, unknown, titles, template.title)


def replan(
    services: Services,
    loop_id: int,
    note: str,
    *,
    availability: tuple[TimeRange, ...] | None = None,
    window: tuple[date, date] | None = None,
) -> ProposalView:
    """Fresh options for an existing loop with its original constraints (or the candidate's own
    times and the window around them); stays PROPOSED."""
    fresh = plan_for_loop(services, loop_id, availability=availability, window=window)
    request, answer = fresh.request, fresh.answer
    with session_scope(services.engine) as session:
        loop = session.get(Loop, loop_id)
        assert loop is not None
        loop.request, loop.proposals, loop.chosen_option = request, answer["options"], None
        if window is not None:
            loop.window_start, loop.window_end = window[0].isoformat(), window[1].isoformat()
        candidate_row = session.get(Candidate, loop.candidate_id)
        assert candidate_row is not None
        return ProposalView(
            loop_id=loop.short_id,
            candidate=candidate_row.name or candidate_row.email,
            candidate_timezone=loop.candidate_timezone,
            template_title=fresh.template_title,
            options=option_views(answer["options"], fresh.titles, session=session),
            reason=answer["diagnostics"]["reason"],
            unknown_calendars=fresh.unknown,
            note=note,
            candidate_link=services.settings.public_url is not None,
        )
