"""What a recruiter must look at: loops that need attention (and why), and interviewers the
directory could not resolve (no Slack account: they can't be asked by DM; no zone: planned in
the org zone).
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from bot.services.booking import BOOKING_FAILED, everyone_confirmed
from bot.services.context import Services
from bot.services.directory import display_name, org_view
from bot.services.read import bundle
from bot.views import AttentionItem
from storage.engine import read_scope
from storage.models import AuditLog, Interviewer, Loop, LoopState

REASON_ACTIONS = ("loop.needs_attention", "loop.booking_failed")


def attention_items(services: Services, user_id: str) -> list[AttentionItem]:
    """The recruiter's own loops in NEEDS_ATTENTION, oldest first, each with its reason."""
    with read_scope(services.engine) as session:
        loops = session.exec(
            select(Loop)
            .where(
                Loop.recruiter_slack_id == user_id,
                Loop.state == LoopState.NEEDS_ATTENTION,
            )
            .order_by(col(Loop.id))
        ).all()
        items = []
        for loop in loops:
            found = bundle(loop, session=session)
            reason = _reason(loop, session=session)
            items.append(
                AttentionItem(
                    loop_id=loop.short_id,
                    candidate=found.candidate_label(),
                    reason=reason,
                    can_retry=reason.startswith(BOOKING_FAILED) and everyone_confirmed(found),
                )
            )
        return items


def _reason(loop: Loop, *, session: Session) -> str:
    """The loop's recorded reason (`Loop.attention_reason`); else the latest one audited."""
    if loop.attention_reason:
        return loop.attention_reason
    entry = session.exec(
        select(AuditLog)
        .where(AuditLog.loop_id == loop.id, col(AuditLog.action).in_(REASON_ACTIONS))
        .order_by(col(AuditLog.id).desc())
    ).first()
    details = (entry.details or {}) if entry is not None else {}
    why = details.get("why") or details.get("error")
    return str(why) if why else "It needs a decision."


def unresolved_interviewers(*, session: Session) -> list[str]:
    """One line per active interviewer without a Slack id or a time zone, saying the effect."""
    zone = org_view(session=session).timezone
    people = session.exec(
        select(Interviewer)
        .where(
            col(Interviewer.active).is_(True),
            col(Interviewer.slack_id).is_(None) | col(Interviewer.timezone).is_(None),
        )
        .order_by(col(Interviewer.email))
    ).all()
    lines = []
    for person in people:
        who = f"{display_name(person)} <{person.email}>"
        if person.slack_id is None:
            lines.append(f"{who}: no Slack account found for this email, so they can't be asked")
        else:
            lines.append(f"{who}: no time zone in Slack or the org file, so planned in {zone}")
    return lines


def unresolved_for(services: Services) -> list[str]:
    with read_scope(services.engine) as session:
        return unresolved_interviewers(session=session)
