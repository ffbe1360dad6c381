"""Candidate links: signed tokens, their rows, and the moves that end them.

A token is `public_id` (random, meaningless) signed with SECRET_KEY by itsdangerous, so it holds
no name, email or loop id in clear and cannot be forged. Expiry and revocation live in the
`candidate_link` row and are judged with the injected clock, so tests need no sleeping.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.engine import CursorResult
from sqlmodel import Session, col, select

from bot.services.context import Services
from bot.services.directory import is_recruiter, org_view
from bot.services.read import bundle
from bot.views import CandidateLinkView, Rendered
from storage.engine import read_scope, session_scope
from storage.models import CandidateLink, CandidateLinkState, Loop, LoopState
from storage.repo import audit

SALT = "candidate-link"
LINKABLE_STATES = (LoopState.PROPOSED,)


class LinkError(Exception):
    """Why a link cannot be given; the text is shown to the recruiter as is."""


class LinkStatus(enum.StrEnum):
    OK = "ok"
    INVALID = "invalid"  # 404: not ours, tampered with, or unknown
    EXPIRED = "expired"  # 410
    REVOKED = "revoked"  # 410 (the loop was cancelled or rescheduled)


@dataclass(frozen=True)
class LinkLookup:
    status: LinkStatus
    link_id: int | None = None
    loop_id: int | None = None
    public_id: str | None = None
    revoked_reason: str | None = None
    opened: bool = False


def _serializer(services: Services) -> URLSafeSerializer:
    _, key = services.settings.require_public()
    return URLSafeSerializer(key.get_secret_value(), salt=SALT)


def sign(services: Services, public_id: str) -> str:
    return str(_serializer(services).dumps(public_id))


def unsign(services: Services, token: str) -> str | None:
    """The public id inside a token, or None when it was not signed with our key."""
    if len(token) > 200:
        return None
    try:
        value = _serializer(services).loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def link_url(services: Services, public_id: str) -> str:
    url, _ = services.settings.require_public()
    return f"{url}/c/{sign(services, public_id)}"


def new_link(services: Services, loop_id: int, actor: str, *, session: Session) -> str:
    """Create an active link for a loop in the caller's transaction; returns its URL."""
    now = services.clock()
    public_id = secrets.token_urlsafe(18)
    session.add(
        CandidateLink(
            public_id=public_id,
            loop_id=loop_id,
            created_by=actor,
            created_at=now,
            expires_at=now + services.settings.candidate_link_ttl,
        )
    )
    audit("candidate_link.issued", session=session, actor=actor, loop_id=loop_id)
    return link_url(services, public_id)


def issue_link(services: Services, *, short_id: str, user_id: str) -> str:
    """A new link for a proposed loop (the recruiter's button or `/interview invite`)."""
    if services.settings.public_url is None:
        raise LinkError(
            "Candidate links need PUBLIC_URL (and SECRET_KEY) to be set; ask whoever runs the "
            "bot. Nothing changed."
        )
    with session_scope(services.engine) as session:
        if not is_recruiter(user_id, session=session):
            raise LinkError("Only recruiters can give candidates a link. Nothing changed.")
        loop = session.exec(select(Loop).where(Loop.short_id == short_id)).first()
        if loop is None or loop.id is None:
            raise LinkError(f"No loop `{short_id}`; `/interview status EMAIL` lists ids.")
        if loop.state not in LINKABLE_STATES:
            raise LinkError(
                f"Loop `{short_id}` is already {loop.state.value}; a candidate link only works "
                "while options are open. Nothing changed."
            )
        return new_link(services, loop.id, user_id, session=session)


def link_message(
    services: Services, *, short_id: str, user_id: str, note: str | None = None
) -> Rendered:
    """Issue a link and render the recruiter's message about it."""
    url = issue_link(services, short_id=short_id, user_id=user_id)
    with read_scope(services.engine) as session:
        loop = session.exec(select(Loop).where(Loop.short_id == short_id)).first()
        assert loop is not None
        found = bundle(loop, session=session)
        label, title = found.candidate_label(), found.template_title
        zone = org_view(session=session).timezone
    expires = services.clock() + services.settings.candidate_link_ttl
    return services.render.candidate_link(
        CandidateLinkView(short_id, label, title, url, expires, zone, note)
    )


def revoke_links(loop_id: int, reason: str, *, session: Session, now: datetime) -> int:
    """End every active link of a loop in the caller's transaction; returns how many.

    One conditional UPDATE (active → revoked), so a link is revoked once whoever races.
    """
    table: Any = CandidateLink
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        sa.update(table)
        .where(table.loop_id == loop_id, table.state == CandidateLinkState.ACTIVE.value)
        .values(state=CandidateLinkState.REVOKED.value, revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )
    count = int(result.rowcount or 0)
    if count:
        audit(
            "candidate_link.revoked",
            session=session,
            actor="system",
            loop_id=loop_id,
            details={"reason": reason, "count": count, "at": now.isoformat()},
        )
    return count


def lookup(services: Services, token: str) -> LinkLookup:
    """What a token points at, judged now; reveals nothing about invalid tokens."""
    public_id = unsign(services, token)
    if public_id is None:
        return LinkLookup(LinkStatus.INVALID)
    with read_scope(services.engine) as session:
        link = session.exec(
            select(CandidateLink).where(CandidateLink.public_id == public_id)
        ).first()
        if link is None:
            return LinkLookup(LinkStatus.INVALID)
        if link.state is CandidateLinkState.REVOKED:
            status = LinkStatus.REVOKED
        elif services.clock() >= link.expires_at:
            status = LinkStatus.EXPIRED
        else:
            status = LinkStatus.OK
        return LinkLookup(
            status,
            link.id,
            link.loop_id,
            link.public_id,
            link.revoked_reason,
            opened=link.opened_at is not None,
        )


def mark_opened(services: Services, link_id: int) -> None:
    """Record the first opening (callers skip it when `lookup` saw it opened already)."""
    with session_scope(services.engine) as session:
        link = session.get(CandidateLink, link_id)
        if link is not None and link.opened_at is None:
            link.opened_at = services.clock()


def mark_action(services: Services, link_id: int, action: str) -> None:
    with session_scope(services.engine) as session:
        link = session.get(CandidateLink, link_id)
        if link is not None:
            link.candidate_action = action
            link.action_at = services.clock()
            link.opened_at = link.opened_at or services.clock()


def link_summary(loop_id: int, *, session: Session, now: datetime) -> str | None:
    """For `/interview status`: the newest link of a loop, in one line of words."""
    link = session.exec(
        select(CandidateLink)
        .where(CandidateLink.loop_id == loop_id)
        .order_by(col(CandidateLink.id).desc())
    ).first()
    if link is None:
        return None
    if link.state is CandidateLinkState.REVOKED:
        state = f"revoked ({link.revoked_reason})" if link.revoked_reason else "revoked"
    elif now >= link.expires_at:
        state = "expired"
    else:
        state = "active"
    opened = "opened" if link.opened_at else "not opened yet"
    did = {
        "picked": "the candidate picked an option",
        "gave_times": "the candidate sent their own available times",
    }.get(link.candidate_action or "", "no choice made yet")
    return f"Candidate link: {state}, {opened}; {did}."
