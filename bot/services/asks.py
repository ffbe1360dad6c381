"""Asking interviewers: the DM for each request, and keeping that DM in step with its state."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.mrkdwn import escape
from bot.ports import MessageRef, MessagingError
from bot.reminders.outbox import plan_confirm_nudges
from bot.services.context import Services
from bot.services.directory import display_name, org_view
from bot.services.read import LoopBundle, bundle
from bot.views import RequestView
from storage.engine import session_scope
from storage.models import Interviewer, InterviewerRequest, InterviewSession, Loop

log = logging.getLogger(__name__)


def request_view(found: LoopBundle, ask: InterviewerRequest, default_zone: str) -> RequestView:
    item = next(s for s in found.sessions if s.id == ask.session_id)
    person = found.people[ask.interviewer_id]
    others = tuple(
        found.people[r.interviewer_id].slack_id or display_name(found.people[r.interviewer_id])
        for r in found.holders(ask.session_id)
        if r.interviewer_id != ask.interviewer_id
    )
    return RequestView(
        request_id=ask.id or 0,
        loop_id=found.loop.short_id,
        candidate=found.candidate_label(),
        stage_title=item.title,
        template_title=found.template_title,
        start=item.start,
        end=item.end,
        timezone=person.timezone or default_zone,
        prep=item.prep,
        notes=found.loop.notes,
        co_interviewers=others,
        replacing=len(found.requests.get(ask.session_id, [])) > item.panel_size,
    )


def open_requests(
    session_id: int,
    interviewer_ids: Iterable[int],
    *,
    session: Session,
    now: datetime,
    nudge_after: timedelta,
) -> tuple[int, ...]:
    """Create pending requests and, in the same transaction, their nudges and escalation."""
    ids = []
    for person_id in interviewer_ids:
        ask = InterviewerRequest(session_id=session_id, interviewer_id=person_id)
        session.add(ask)
        session.flush()
        assert ask.id is not None
        plan_confirm_nudges(ask.id, session=session, after=nudge_after, now=now)
        ids.append(ask.id)
    return tuple(ids)


def send_requests(services: Services, request_ids: Iterable[int]) -> list[str]:
    """DM each request's interviewer; return who could not be reached, as escaped mrkdwn."""
    unreachable: list[str] = []
    for request_id in request_ids:
        with session_scope(services.engine) as session:
            ask = session.get(InterviewerRequest, request_id)
            assert ask is not None
            item = session.get(InterviewSession, ask.session_id)
            assert item is not None
            loop = session.get(Loop, item.loop_id)
            assert loop is not None
            found = bundle(loop, session=session)
            person = found.people[ask.interviewer_id]
            view = request_view(found, ask, org_view(session=session).timezone)
        if person.slack_id is None:
            unreachable.append(f"{escape(display_name(person))} (no Slack account found)")
            continue
        text, blocks = services.render.request(view)
        try:
            ref = services.messenger.send_dm(
                person.slack_id, text, blocks, key=f"request:{request_id}"
            )
        except MessagingError as error:
            log.warning(
                "could not DM request %s: %s",
                request_id,
                error.code,
                extra={"loop": view.loop_id, "user": person.slack_id},
            )
            unreachable.append(f"{escape(display_name(person))} ({escape(error.code)})")
            continue
        with session_scope(services.engine) as session:
            ask = session.get(InterviewerRequest, request_id)
            assert ask is not None
            ask.dm_channel, ask.dm_ts = ref.channel, ref.ts
    return unreachable


def show_outcome(services: Services, request_id: int, outcome: str) -> None:
    """Replace the request DM's buttons with the outcome; a failure here is only logged."""
    with session_scope(services.engine) as session:
        ask = session.get(InterviewerRequest, request_id)
        if ask is None or ask.dm_channel is None or ask.dm_ts is None:
            return
        item = session.get(InterviewSession, ask.session_id)
        assert item is not None
        loop = session.get(Loop, item.loop_id)
        assert loop is not None
        view = request_view(bundle(loop, session=session), ask, org_view(session=session).timezone)
        ref = MessageRef(ask.dm_channel, ask.dm_ts)
    text, blocks = services.render.answered(view, outcome)
    try:
        services.messenger.update_message(ref, text, blocks)
    except MessagingError as error:
        log.warning("could not update request DM: %s", error.code, extra={"loop": view.loop_id})


def notify(services: Services, user_id: str | None, text: str, loop_id: str | None = None) -> None:
    """A plain DM to a recruiter or interviewer; failures are logged, never raised."""
    if not user_id:
        return
    try:
        services.messenger.send_dm(user_id, *services.render.note(text))
    except MessagingError as error:
        log.warning("could not DM %s: %s", user_id, error.code, extra={"loop": loop_id})


def interviewer(services: Services, interviewer_id: int) -> Interviewer:
    with session_scope(services.engine) as session:
        person = session.get(Interviewer, interviewer_id)
        assert person is not None
        return person
