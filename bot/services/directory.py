"""Who is who: org-wide settings, recruiters, pools, templates, and Slack look-ups by email."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from bot.ports import MessagingError, MessagingPort
from storage.models import Interviewer, LoopTemplate, OrgSettings, PoolMembership, TemplateStage

log = logging.getLogger(__name__)


class OrgNotLoadedError(Exception):
    """No org file has been synced into this database yet."""


@dataclass(frozen=True)
class OrgView:
    timezone: str
    recruiters: frozenset[str]
    defaults: dict[str, Any]
    company: str | None = None
    show_interviewer_names: bool = False


def org_view(*, session: Session) -> OrgView:
    row = session.get(OrgSettings, 1)
    if row is None:
        raise OrgNotLoadedError("no org file loaded yet: run `interview-bot sync-org`")
    page = row.candidate_page or {}
    return OrgView(
        row.timezone,
        frozenset(row.recruiters),
        dict(row.defaults),
        row.company,
        bool(page.get("show_interviewer_names", False)),
    )


def is_recruiter(user_id: str, *, session: Session) -> bool:
    row = session.get(OrgSettings, 1)
    return row is not None and user_id in row.recruiters


def find_template(key: str, *, session: Session) -> tuple[LoopTemplate, list[TemplateStage]] | None:
    template = session.exec(
        select(LoopTemplate).where(LoopTemplate.key == key, col(LoopTemplate.active).is_(True))
    ).first()
    if template is None:
        return None
    stages = session.exec(
        select(TemplateStage)
        .where(TemplateStage.template_id == template.id)
        .order_by(col(TemplateStage.position))
    ).all()
    return template, list(stages)


def active_templates(*, session: Session) -> list[tuple[LoopTemplate, list[TemplateStage]]]:
    templates = session.exec(
        select(LoopTemplate).where(col(LoopTemplate.active).is_(True)).order_by(LoopTemplate.key)
    ).all()
    result = []
    for template in templates:
        found = find_template(template.key, session=session)
        if found is not None:
            result.append(found)
    return result


def pool_members(pool: str, *, session: Session) -> list[Interviewer]:
    """Interviewers eligible for `pool` now: active people with an active membership."""
    rows = session.exec(
        select(Interviewer)
        .join(PoolMembership, col(PoolMembership.interviewer_id) == col(Interviewer.id))
        .where(
            PoolMembership.pool == pool,
            col(PoolMembership.active).is_(True),
            col(Interviewer.active).is_(True),
        )
        .order_by(col(Interviewer.id))
    ).all()
    return list(rows)


def pools(*, session: Session) -> dict[str, list[Interviewer]]:
    names = session.exec(
        select(PoolMembership.pool).where(col(PoolMembership.active).is_(True)).distinct()
    ).all()
    return {name: pool_members(name, session=session) for name in sorted(names)}


def interviewer_by_slack_id(user_id: str, *, session: Session) -> Interviewer | None:
    return session.exec(select(Interviewer).where(Interviewer.slack_id == user_id)).first()


def display_name(person: Interviewer) -> str:
    return person.name or person.email.split("@", 1)[0]


def resolve_directory(messenger: MessagingPort, *, session: Session) -> list[str]:
    """Fill in missing Slack ids (by email) and zones (from profiles); return problems by name.

    Failures are reported, never fatal: one unknown email must not stop the bot.
    """
    problems: list[str] = []
    people = session.exec(select(Interviewer).where(col(Interviewer.active).is_(True))).all()
    for person in people:
        try:
            if person.slack_id is None:
                found = messenger.lookup_user_by_email(person.email)
                if found is None:
                    problems.append(f"{display_name(person)}: no Slack user with that email")
                    continue
                person.slack_id = found.user_id
                if person.timezone is None and found.timezone:
                    person.timezone = found.timezone
                if person.name is None and found.name:
                    person.name = found.name
            if person.timezone is None:
                info = messenger.user_info(person.slack_id)
                if info is not None and info.timezone:
                    person.timezone = info.timezone
                else:
                    problems.append(f"{display_name(person)}: no time zone in Slack profile")
        except MessagingError as error:
            problems.append(f"{display_name(person)}: Slack look-up failed ({error.code})")
    session.flush()
    for problem in problems:
        log.warning("directory: %s", problem)
    return problems
