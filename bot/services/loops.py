"""Whole-loop operations: status, cancel, reschedule; and the pool/template overviews."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.mrkdwn import who
from bot.ports import MessageRef, MessagingError
from bot.services.asks import notify
from bot.services.calendar_intents import loop_has_open_intent, request_event_delete
from bot.services.candidate_links import LinkError, link_message, link_summary, revoke_links
from bot.services.context import Services
from bot.services.directory import (
    active_templates,
    display_name,
    interviewer_by_slack_id,
    is_recruiter,
    org_view,
    pools,
)
from bot.services.errors import UserFacingError
from bot.services.intent_worker import run_intents
from bot.services.planning import held_intervals
from bot.services.proposals import replan
from bot.services.read import LoopBundle, bundle, load_loop, session_views
from bot.timefmt import clock_label, day_label
from bot.views import LoopStatus, ProposalView, Renderer
from storage.engine import read_scope, session_scope
from storage.models import (
    Candidate,
    InterviewerRequest,
    InterviewSession,
    Loop,
    LoopState,
    RequestState,
    SessionState,
)
from storage.repo import audit
from storage.states import transition

log = logging.getLogger(__name__)

OPEN_STATES = (
    LoopState.PROPOSED,
    LoopState.PENDING,
    LoopState.BOOKING,
    LoopState.BOOKED,
    LoopState.NEEDS_ATTENTION,
)


def _status(found: LoopBundle, zone: str, *, session: Session, now: datetime) -> LoopStatus:
    assert found.loop.id is not None
    return LoopStatus(
        loop_id=found.loop.short_id,
        candidate=found.candidate_label(),
        template_title=found.template_title,
        state=found.loop.state.value,
        zone=found.loop.candidate_timezone,
        sessions=session_views(found, zone),
        updated=found.loop.updated_at,
        attention=found.loop.attention_reason
        if found.loop.state is LoopState.NEEDS_ATTENTION
        else None,
        candidate_link=link_summary(found.loop.id, session=session, now=now),
    )


NOT_ALLOWED = (
    "Only recruiters and interviewers can look up loops; nothing to show. "
    "Ask the recruiter who scheduled the loop."
)
NOT_YOURS = (
    "You can see only the loops you are asked for or booked on, and none of them matches. "
    "Ask the recruiter who scheduled the loop."
)


def _interviewer_loop_ids(person_id: int, *, session: Session) -> set[int]:
    """Loops the interviewer is asked for (pending) or booked on (confirmed)."""
    rows = session.exec(
        select(InterviewSession.loop_id)
        .join(InterviewerRequest, col(InterviewerRequest.session_id) == col(InterviewSession.id))
        .where(
            InterviewerRequest.interviewer_id == person_id,
            col(InterviewerRequest.state).in_(
                [RequestState.PENDING.value, RequestState.CONFIRMED.value]
            ),
        )
    ).all()
    return set(rows)


def status(services: Services, query: str | None, user_id: str) -> tuple[str, list[LoopStatus]]:
    """Loops by id, by candidate email, or (no query) the asker's open loops.

    Recruiters see every loop. An interviewer sees only loops they are asked for or booked on;
    for anything else they get the same refusal whether or not the loop or candidate exists.
    Anyone else is refused. Refusals name no candidate.
    """
    now = services.clock()
    with read_scope(services.engine) as session:
        zone = org_view(session=session).timezone
        visible: set[int] | None = None  # None: everything (a recruiter)
        if not is_recruiter(user_id, session=session):
            person = interviewer_by_slack_id(user_id, session=session)
            if person is None or person.id is None:
                raise UserFacingError(NOT_ALLOWED)
            visible = _interviewer_loop_ids(person.id, session=session)
        if query and "@" in query:
            candidate = session.exec(
                select(Candidate).where(Candidate.email == query.strip().lower())
            ).first()
            loops = (
                []
                if candidate is None
                else session.exec(
                    select(Loop).where(Loop.candidate_id == candidate.id).order_by(col(Loop.id))
                ).all()
            )
            if visible is not None:
                loops = [loop for loop in loops if loop.id in visible]
                if not loops:
                    raise UserFacingError(NOT_YOURS)
            title = f"Loops for {query}"
        elif query:
            found = load_loop(query, session=session)
            if visible is not None and (found is None or found.loop.id not in visible):
                raise UserFacingError(NOT_YOURS)
            if found is None:
                raise UserFacingError(f"No loop `{query}`; `/interview status EMAIL` lists ids.")
            return f"Loop `{query}`", [_status(found, zone, session=session, now=now)]
        else:
            mine = (
                Loop.recruiter_slack_id == user_id
                if visible is None
                else col(Loop.id).in_(sorted(visible))
            )
            loops = session.exec(
                select(Loop)
                .where(mine, col(Loop.state).in_([s.value for s in OPEN_STATES]))
                .order_by(col(Loop.id))
            ).all()
            title = "Your loops in flight"
        return title, [
            _status(bundle(loop, session=session), zone, session=session, now=now) for loop in loops
        ]


@dataclass(frozen=True)
class _Withdrawn:
    refs: list[tuple[str, MessageRef | None, str]]  # (slack id, request DM, notice text)
    event_ids: list[str]  # events known to exist; deletes are written for every session
    loop_id: int


def _withdraw(
    found: LoopBundle,
    reason: str | None,
    *,
    session: Session,
    now: datetime,
    render: Renderer,
) -> _Withdrawn:
    """Cancel every live request and session of a loop in this transaction, and promise the
    removal of every event the loop could have (known, in flight or with a lost answer)."""
    from bot.reminders.outbox import cancel_reminders

    refs: list[tuple[str, MessageRef | None, str]] = []
    events: list[str] = []
    for item in found.sessions:
        assert item.id is not None
        if item.calendar_event_id:
            events.append(item.calendar_event_id)
        when = f"{day_label(item.start, found.loop.candidate_timezone)}"
        for ask in found.holders(item.id):
            assert ask.id is not None
            transition(
                InterviewerRequest,
                ask.id,
                RequestState.CANCELLED,
                session=session,
                expected=[RequestState.PENDING, RequestState.CONFIRMED],
            )
            person = found.people[ask.interviewer_id]
            zone = person.timezone or found.loop.candidate_timezone
            when = f"{day_label(item.start, zone)} {clock_label(item.start, item.end, zone)}"
            ref = MessageRef(ask.dm_channel, ask.dm_ts) if ask.dm_channel and ask.dm_ts else None
            if person.slack_id:
                refs.append(
                    (
                        person.slack_id,
                        ref,
                        render.cancelled(
                            found.loop.short_id, found.candidate_label(), item.title, when, reason
                        ),
                    )
                )
        transition(InterviewSession, item.id, SessionState.CANCELLED, session=session)
        request_event_delete(item.id, session=session, now=now)
    cancel_reminders(session=session, loop_id=found.loop.id, reason="loop withdrawn")
    assert found.loop.id is not None
    return _Withdrawn(refs, events, found.loop.id)


def _tell_withdrawn(services: Services, withdrawn: _Withdrawn, loop_id: str) -> list[str]:
    """Carry out the deletes now (the intent worker retries what fails), then tell people."""
    run_intents(services, loop_id=withdrawn.loop_id)
    problems = []
    with read_scope(services.engine) as session:
        if loop_has_open_intent(withdrawn.loop_id, session=session):
            problems.append("some calendar events (Google failed; I keep retrying)")
    for user_id, ref, text in withdrawn.refs:
        if ref is not None:
            try:
                services.messenger.update_message(ref, text, None)
            except MessagingError as error:
                log.warning("could not update request DM: %s", error.code, extra={"loop": loop_id})
        notify(services, user_id, text, loop_id)
    return problems


def cancel(services: Services, *, short_id: str, user_id: str, reason: str | None) -> str:
    with session_scope(services.engine) as session:
        if not is_recruiter(user_id, session=session):
            raise UserFacingError("Only recruiters can cancel loops. Nothing changed.")
        found = load_loop(short_id, session=session)
        if found is None:
            raise UserFacingError(f"No loop `{short_id}`; `/interview status EMAIL` lists ids.")
        assert found.loop.id is not None
        if not transition(
            Loop,
            found.loop.id,
            LoopState.CANCELLED,
            session=session,
            expected=list(OPEN_STATES),
            values={"cancel_reason": reason},
        ):
            return f"Loop `{short_id}` is already {found.loop.state.value}; nothing changed."
        withdrawn = _withdraw(
            found, reason, session=session, now=services.clock(), render=services.render
        )
        revoke_links(found.loop.id, "cancelled", session=session, now=services.clock())
        audit(
            "loop.cancelled",
            session=session,
            actor=user_id,
            loop_id=found.loop.id,
            details={"reason": reason},
        )
    problems = _tell_withdrawn(services, withdrawn, short_id)
    people = len({u for u, _, _ in withdrawn.refs})
    message = (
        f"Loop `{short_id}` cancelled: {len(withdrawn.event_ids)} calendar events removed, "
        f"{people} interviewers told."
    )
    if problems:
        message += " Could not remove: " + "; ".join(problems)
    return message


def reschedule(services: Services, *, short_id: str, user_id: str) -> ProposalView:
    with session_scope(services.engine) as session:
        if not is_recruiter(user_id, session=session):
            raise UserFacingError("Only recruiters can reschedule loops. Nothing changed.")
        found = load_loop(short_id, session=session)
        if found is None:
            raise UserFacingError(f"No loop `{short_id}`; `/interview status EMAIL` lists ids.")
        loop = found.loop
        assert loop.id is not None
        if loop.state in (LoopState.CANCELLED, LoopState.COMPLETED):
            raise UserFacingError(f"Loop `{short_id}` is {loop.state.value}; schedule a new one.")
        if loop.state is not LoopState.PROPOSED and not transition(
            Loop,
            loop.id,
            LoopState.PROPOSED,
            session=session,
            expected=[loop.state],
            values={"chosen_option": None, "attention_reason": None},
        ):
            raise UserFacingError(f"Loop `{short_id}` changed meanwhile; try again.")
        tz = ZoneInfo(loop.candidate_timezone)
        today = services.clock().astimezone(tz).date()
        if datetime.fromisoformat(loop.window_end).date() < today:
            span = (
                datetime.fromisoformat(loop.window_end).date()
                - datetime.fromisoformat(loop.window_start).date()
            )
            loop.window_start = today.isoformat()
            loop.window_end = (today + max(span, timedelta(days=13))).isoformat()
        elif datetime.fromisoformat(loop.window_start).date() < today:
            loop.window_start = today.isoformat()
        withdrawn = _withdraw(
            found, "rescheduling", session=session, now=services.clock(), render=services.render
        )
        had_link = revoke_links(loop.id, "rescheduled", session=session, now=services.clock())
        audit("loop.rescheduled", session=session, actor=user_id, loop_id=loop.id)
        loop_id = loop.id
    _tell_withdrawn(services, withdrawn, short_id)
    view = replan(services, loop_id, note=f"Rescheduling loop `{short_id}`: fresh options.")
    if had_link:
        _reissue_link(services, short_id, user_id)
    return view


def _reissue_link(services: Services, short_id: str, user_id: str) -> None:
    """The old candidate link stopped working with the reschedule; the recruiter gets a new one."""
    try:
        text, blocks = link_message(
            services,
            short_id=short_id,
            user_id=user_id,
            note=f"Loop `{short_id}` was rescheduled, so the candidate's old link no longer "
            "works. Send them this new one.",
        )
        services.messenger.send_dm(user_id, text, blocks)
    except (LinkError, MessagingError) as error:
        log.warning("could not reissue the candidate link: %s", error, extra={"loop": short_id})


def templates(services: Services) -> list[tuple[str, str, list[str]]]:
    with read_scope(services.engine) as session:
        return [
            (
                template.key,
                template.title,
                [
                    f"{s.title} — {s.duration_minutes} min, pool `{s.pool}`"
                    + (f", {s.interviewers} interviewers" if s.interviewers > 1 else "")
                    for s in stages
                ],
            )
            for template, stages in active_templates(session=session)
        ]


def pool_load(services: Services) -> list[tuple[str, list[str]]]:
    """Each pool's members with interviews held this ISO week (their own zone) and cap."""
    now = services.clock()
    with read_scope(services.engine) as session:
        org = org_view(session=session)
        result = []
        for name, members in pools(session=session).items():
            held = held_intervals([m.id for m in members if m.id], session=session)
            lines = []
            for person in members:
                zone = ZoneInfo(person.timezone or org.timezone)
                week = now.astimezone(zone).isocalendar()[:2]
                count = sum(
                    1
                    for start, _ in held.get(person.id or 0, [])
                    if start.astimezone(zone).isocalendar()[:2] == week
                )
                cap = person.max_per_week or org.defaults.get("max_per_week")
                person_md = who(person.slack_id, display_name(person))
                lines.append(f"• {person_md}: {count}/{cap or '∞'}")
            result.append((name, lines))
        return result
