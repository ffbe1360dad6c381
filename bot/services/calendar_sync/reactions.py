"""Carrying out what the classifier decided.

- An interviewer declined the invitation → `release_interviewer` (the path `decline_slot` and
  `cant_make_it` share: a replacement from the pool, else moving the session, else the
  recruiter is told; within 24 h the recruiter is told at once; the event is patched once the
  replacement confirms).
- The event was deleted or moved, or the candidate declined → the loop needs attention and its
  recruiter gets one DM per loop naming the loop and every change, with Reschedule / Cancel
  buttons. Nothing is recreated or moved back.
- Invitation answers are stored on the request (shown in status and App Home).

Each reaction is written before or together with the record that stops it repeating (the
reported fingerprint, the stored answer), so a sync that fails half way is simply run again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session, col

from bot.ports import MessagingError
from bot.services.calendar_sync.classify import (
    InterviewerDeclined,
    PersonChanged,
    Reaction,
    RecordAnswer,
    SessionFacts,
)
from bot.services.context import Services
from bot.services.release import CALENDAR_ACTOR, release_interviewer
from storage.engine import session_scope
from storage.models import InterviewerRequest, InterviewSession, Loop, LoopState
from storage.repo import audit
from storage.states import transition

log = logging.getLogger(__name__)
ACTOR = CALENDAR_ACTOR  # `release_interviewer`'s actor for "declined in Google Calendar"


@dataclass
class Applied:
    answers: int = 0
    releases: int = 0
    attention_loops: list[str] = field(default_factory=list)


def apply(services: Services, decided: Sequence[tuple[SessionFacts, Reaction]]) -> Applied:
    """Carry out every reaction; raises if one failed (the caller then keeps the old token)."""
    applied = Applied()
    changes: dict[int, list[tuple[SessionFacts, PersonChanged]]] = {}
    for facts, reaction in decided:
        if isinstance(reaction, PersonChanged):
            changes.setdefault(facts.loop_id, []).append((facts, reaction))
    if changes:
        _needs_attention(services, list(changes.values()), applied)
    retry_later: set[int] = set()
    for facts, reaction in decided:
        if isinstance(reaction, InterviewerDeclined) and not _release(
            services, facts, reaction, applied
        ):
            retry_later.add(reaction.request_id)
    # An answer is stored only once its reaction is done, so a deferred one is seen again.
    answers = [
        r for _, r in decided if isinstance(r, RecordAnswer) and r.request_id not in retry_later
    ]
    if answers:
        with session_scope(services.engine) as session:
            for answer in answers:
                session.execute(
                    sa.update(InterviewerRequest)
                    .where(col(InterviewerRequest.id) == answer.request_id)
                    .values(calendar_response=answer.response)
                )
        applied.answers = len(answers)
    return applied


def _release(
    services: Services, facts: SessionFacts, reaction: InterviewerDeclined, applied: Applied
) -> bool:
    """Release the decliner like `decline_slot`; False when it must be tried at the next sync
    (the loop's invitations are being sent right now)."""
    # The recruiter's message already says who declined what; no separate reason to repeat.
    result = release_interviewer(
        services,
        session_id=reaction.session_id,
        interviewer_id=reaction.interviewer_id,
        reason="",
        actor=CALENDAR_ACTOR,
    )
    if result.outcome == "busy":
        return False
    applied.releases += 1
    return True


def _needs_attention(
    services: Services,
    by_loop: Sequence[Sequence[tuple[SessionFacts, PersonChanged]]],
    applied: Applied,
) -> None:
    """Every loop's changes in one transaction, then one DM per loop to its recruiter."""
    notices: list[tuple[str, str, list[str]]] = []  # (recruiter, loop id, changes)
    with session_scope(services.engine) as session:
        for changes in by_loop:
            notices.append(_mark(changes, session=session))
    for recruiter, short_id, whats in notices:
        applied.attention_loops.append(short_id)
        text, blocks = services.render.calendar_change(short_id, whats)
        try:
            services.messenger.send_dm(recruiter, text, blocks)
        except MessagingError as error:  # the state change stands; App Home and status show it
            log.warning(
                "could not DM the recruiter about a calendar change: %s",
                error.code,
                extra={"loop": short_id},
            )


def _mark(
    changes: Sequence[tuple[SessionFacts, PersonChanged]], *, session: Session
) -> tuple[str, str, list[str]]:
    """Record one loop's changes as reported and put the loop in "needs attention"."""
    facts = changes[0][0]
    whats = [change.what for _, change in changes]
    for item_facts, change in changes:
        item = session.get(InterviewSession, item_facts.session_id)
        assert item is not None
        item.calendar_changes = [*(item.calendar_changes or []), change.fingerprint]
    reason = "changed in Google Calendar: " + "; ".join(whats)
    loop = session.get(Loop, facts.loop_id)
    assert loop is not None
    if loop.state is LoopState.NEEDS_ATTENTION:  # already waiting: add this to the reason
        reason = f"{loop.attention_reason}; {reason}" if loop.attention_reason else reason
        session.execute(
            sa.update(Loop)
            .where(col(Loop.id) == facts.loop_id, col(Loop.state) == LoopState.NEEDS_ATTENTION)
            .values(attention_reason=reason)
        )
    else:
        transition(
            Loop,
            facts.loop_id,
            LoopState.NEEDS_ATTENTION,
            session=session,
            expected=[LoopState.PENDING, LoopState.BOOKING, LoopState.BOOKED],
            values={"attention_reason": reason},
        )
    audit(
        "loop.calendar_changed",
        session=session,
        actor=ACTOR,
        loop_id=facts.loop_id,
        details={"changes": [change.fingerprint for _, change in changes], "what": whats},
    )
    return loop.recruiter_slack_id, facts.short_id, whats
