"""Scheduling: plan a loop and propose options; book the one the recruiter chooses.

Choosing re-checks the option against fresh free/busy and against what other loops hold,
inside the booking lock, so a proposal that went stale is never booked: the recruiter is told
and gets fresh options instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from bot.ports import CalendarError, TimeRange
from bot.services.asks import open_requests
from bot.services.context import Services
from bot.services.directory import find_template, is_recruiter, org_view
from bot.services.locks import booking_lock
from bot.services.planning import (
    CandidateSpec,
    Roster,
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
from bot.services.views import ProposalView
from storage.engine import session_scope
from storage.models import (
    Candidate,
    InterviewSession,
    Loop,
    LoopState,
    LoopTemplate,
    TemplateStage,
)
from storage.repo import audit
from storage.states import transition

log = logging.getLogger(__name__)


class UserFacingError(Exception):
    """Something the person who asked must fix or know; the text is shown to them as is."""


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


def _require_calendar(services: Services) -> Any:
    if services.calendar is None:
        raise UserFacingError(
            "Google Calendar is not configured (GOOGLE_SERVICE_ACCOUNT_FILE and "
            "GOOGLE_ORGANIZER_EMAIL), so I cannot read calendars."
        )
    return services.calendar


def _plan(
    services: Services,
    *,
    template: LoopTemplate,
    stages: list[TemplateStage],
    candidate: CandidateSpec,
    window: tuple[date, date],
    exclude_loop_id: int | None,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """Gather inputs (DB, then Google outside any transaction) and run the planner."""
    calendar = _require_calendar(services)
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
            now=services.clock(),
        )
    answer = run_planner(request)
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
    request, answer, unknown = _plan(
        services,
        template=template,
        stages=stages,
        candidate=candidate,
        window=window,
        exclude_loop_id=None,
    )
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
class ChooseResult:
    """What happened to a click on `choose_option`."""

    outcome: str  # "booked", "stale", "already", "refused", "missing"
    message: str
    proposal: ProposalView | None = None
    request_ids: tuple[int, ...] = ()


def replan(services: Services, loop_id: int, note: str) -> ProposalView:
    """Fresh options for an existing loop with its original constraints; stays PROPOSED."""
    with session_scope(services.engine) as session:
        loop = session.get(Loop, loop_id)
        assert loop is not None and loop.request is not None
        found = find_template(loop.template_key, session=session)
        if found is None:
            raise UserFacingError(f"Template `{loop.template_key}` no longer exists.")
        template, stages = found
        original = loop.request
        window = (date.fromisoformat(loop.window_start), date.fromisoformat(loop.window_end))
        availability = original["candidate"].get("availability")
        candidate = CandidateSpec(
            loop.candidate_timezone,
            None
            if availability is None
            else tuple(
                TimeRange(parse_instant(a["start"]), parse_instant(a["end"])) for a in availability
            ),
        )
    request, answer, unknown = _plan(
        services,
        template=template,
        stages=stages,
        candidate=candidate,
        window=window,
        exclude_loop_id=loop_id,
    )
    with session_scope(services.engine) as session:
        loop = session.get(Loop, loop_id)
        assert loop is not None
        loop.request, loop.proposals, loop.chosen_option = request, answer["options"], None
        candidate_row = session.get(Candidate, loop.candidate_id)
        assert candidate_row is not None
        titles = {stage.name: stage.title for stage in stages}
        return ProposalView(
            loop_id=loop.short_id,
            candidate=candidate_row.name or candidate_row.email,
            candidate_timezone=loop.candidate_timezone,
            template_title=template.title,
            options=option_views(answer["options"], titles, session=session),
            reason=answer["diagnostics"]["reason"],
            unknown_calendars=unknown,
            note=note,
        )


def option_still_valid(
    original: dict[str, Any], option: dict[str, Any], fresh: dict[str, Any]
) -> bool:
    """Re-run the planner on the fresh inputs restricted to this option; valid if it finds it.

    `fresh` is a request rebuilt now (fresh busy, held sessions, now); only the option's people
    are eligible, each for the stage the option gave them, and the candidate is available only
    at the option's times — so the planner's own rules decide, not a second copy of them.
    """
    by_stage = {s["stage"]: [str(i) for i in s["interviewers"]] for s in option["sessions"]}
    wanted = {
        (s["stage"], tuple(sorted(str(i) for i in s["interviewers"])), s["start"], s["end"])
        for s in option["sessions"]
    }
    request = dict(fresh)
    request["candidate"] = dict(original["candidate"])
    request["candidate"]["availability"] = [
        {"start": s["start"], "end": s["end"]} for s in option["sessions"]
    ]
    request["loop"] = dict(fresh["loop"])
    request["loop"]["stages"] = [
        dict(stage, pool=f"option:{stage['name']}") for stage in fresh["loop"]["stages"]
    ]
    people = []
    for entry in fresh["interviewers"]:
        pools = [f"option:{stage}" for stage, ids in by_stage.items() if entry["id"] in ids]
        if pools:
            people.append(dict(entry, pools=pools))
    request["interviewers"] = people
    request["settings"] = dict(fresh["settings"], max_options=50)
    answer = run_planner(request)
    for candidate in answer["options"]:
        got = {
            (s["stage"], tuple(sorted(s["interviewers"])), _norm(s["start"]), _norm(s["end"]))
            for s in candidate["sessions"]
        }
        if got == {(a, b, _norm(c), _norm(d)) for a, b, c, d in wanted}:
            return True
    return False


def _norm(text: str) -> str:
    return parse_instant(text).isoformat()


def choose(services: Services, *, short_id: str, index: int, user_id: str) -> ChooseResult:
    with session_scope(services.engine) as session:
        loop = session.exec(select(Loop).where(Loop.short_id == short_id)).first()
        if loop is None:
            return ChooseResult("missing", f"Loop `{short_id}` does not exist.")
        if not is_recruiter(user_id, session=session):
            return ChooseResult("refused", "Only recruiters can book interview loops.")
        if loop.state is not LoopState.PROPOSED:
            return ChooseResult(
                "already", f"Loop `{short_id}` is already {loop.state.value}; nothing changed."
            )
        options = loop.proposals or []
        if not 0 <= index < len(options):
            return ChooseResult("missing", f"Loop `{short_id}` has no option {index + 1}.")
        option, original = options[index], loop.request or {}
        loop_id = loop.id
        assert loop_id is not None
        found = find_template(loop.template_key, session=session)
        if found is None:
            return ChooseResult("missing", f"Template `{loop.template_key}` no longer exists.")
        template, stages = found
        roster = roster_for(stages, session=session)
    calendar = _require_calendar(services)
    chosen_ids = {str(i) for s in option["sessions"] for i in s["interviewers"]}
    emails = sorted(p.email for pid, p in roster.people.items() if pid in chosen_ids)
    calendar.invalidate(emails)
    starts = [parse_instant(s["start"]) for s in option["sessions"]]
    ends = [parse_instant(s["end"]) for s in option["sessions"]]
    try:
        busy = fetch_busy(calendar, emails, min(starts), max(ends))
    except CalendarError as error:
        raise UserFacingError(f"Google Calendar failed: {error}") from None
    with session_scope(services.engine) as session:
        booking_lock(session=session)
        org = org_view(session=session)
        narrowed = replace_roster(roster, chosen_ids)
        held = held_intervals(
            [p.id for p in narrowed.people.values() if p.id is not None],
            session=session,
            exclude_loop_id=loop_id,
        )
        window = (
            date.fromisoformat(original["window"]["start"]),
            date.fromisoformat(original["window"]["end"]),
        )
        fresh = build_request(
            org=org,
            template=template,
            stages=stages,
            roster=narrowed,
            busy=busy,
            held=held,
            candidate=CandidateSpec(original["candidate"]["timezone"]),
            window=window,
            now=services.clock(),
        )
        if option_still_valid(original, option, fresh):
            won = transition(
                Loop,
                loop_id,
                LoopState.PENDING,
                session=session,
                expected=[LoopState.PROPOSED],
                values={"chosen_option": index},
            )
            if not won:
                return ChooseResult("already", f"Loop `{short_id}` was booked by someone else.")
            request_ids = _create_sessions(
                loop_id,
                option,
                stages,
                session=session,
                now=services.clock(),
                nudge_after=services.settings.confirm_nudge_after,
            )
            audit(
                "loop.chosen",
                session=session,
                actor=user_id,
                loop_id=loop_id,
                details={"option": index},
            )
            return ChooseResult(
                "booked",
                f"Option {index + 1} chosen for loop `{short_id}`; asking interviewers.",
                request_ids=tuple(request_ids),
            )
    fresh_view = replan(
        services,
        loop_id,
        note=f"Option {index + 1} is no longer free (a calendar changed or another loop took "
        "the time). Here are fresh options.",
    )
    return ChooseResult("stale", fresh_view.note or "", proposal=fresh_view)


def replace_roster(roster: Roster, keep: set[str]) -> Roster:
    return replace(
        roster,
        people={pid: p for pid, p in roster.people.items() if pid in keep},
        pools={pool: [i for i in ids if i in keep] for pool, ids in roster.pools.items()},
    )


def _create_sessions(
    loop_id: int,
    option: dict[str, Any],
    stages: list[TemplateStage],
    *,
    session: Session,
    now: datetime,
    nudge_after: timedelta,
) -> list[int]:
    by_name = {stage.name: stage for stage in stages}
    request_ids: list[int] = []
    for item in option["sessions"]:
        stage = by_name[item["stage"]]
        row = InterviewSession(
            loop_id=loop_id,
            position=stage.position,
            stage_name=stage.name,
            title=stage.title,
            pool=stage.pool,
            panel_size=stage.interviewers,
            prep=stage.prep,
            start=parse_instant(item["start"]),
            end=parse_instant(item["end"]),
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        request_ids.extend(
            open_requests(
                row.id,
                [int(i) for i in item["interviewers"]],
                session=session,
                now=now,
                nudge_after=nudge_after,
            )
        )
    return request_ids
