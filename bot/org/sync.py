"""Loading a validated org file into the database, idempotently and in one transaction.

Rows are only written when a value differs, so a second sync of the same file changes nothing
(not even timestamps). People and pool memberships that disappear from the file are deactivated,
not deleted: their past interviews keep pointing at them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from bot.org.schema import OrgConfig
from storage.models import (
    Interviewer,
    LoopTemplate,
    OrgSettings,
    PoolMembership,
    TemplateStage,
)
from storage.repo import audit
from storage.types import utcnow


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deactivated)

    def summary(self) -> str:
        if not self.changed:
            return "org file loaded: no changes"
        parts = [
            f"{len(items)} {label}"
            for label, items in (
                ("created", self.created),
                ("updated", self.updated),
                ("deactivated", self.deactivated),
            )
            if items
        ]
        return "org file loaded: " + ", ".join(parts)


def _minutes(value: Any) -> int:
    return int(value.total_seconds() // 60)


def defaults_record(org: OrgConfig) -> dict[str, Any]:
    d = org.defaults
    return {
        "max_per_day": d.max_per_day,
        "max_per_week": d.max_per_week,
        "buffer_minutes": _minutes(d.buffer),
        "min_notice_minutes": _minutes(d.min_notice),
        "slot_step_minutes": _minutes(d.slot_step),
        "working_hours": d.working_hours,
        "candidate_hours": d.candidate_hours,
    }


def _digest(org: OrgConfig) -> str:
    dumped = json.dumps(org.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(dumped.encode()).hexdigest()


def _apply(row: Any, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if changed and hasattr(row, "updated_at"):
        row.updated_at = utcnow()
    return changed


def sync_org(org: OrgConfig, *, session: Session, actor: str = "system") -> SyncReport:
    """Make the database reflect `org`; the caller's transaction commits or rolls back all."""
    report = SyncReport()
    _sync_settings(org, session=session, report=report)
    people = _sync_interviewers(org, session=session, report=report)
    _sync_memberships(org, people, session=session, report=report)
    _sync_templates(org, session=session, report=report)
    if report.changed:
        audit(
            "org.sync",
            session=session,
            actor=actor,
            details={
                "created": report.created,
                "updated": report.updated,
                "deactivated": report.deactivated,
            },
        )
    session.flush()
    return report


def _sync_settings(org: OrgConfig, *, session: Session, report: SyncReport) -> None:
    values: dict[str, Any] = {
        "timezone": org.timezone,
        "recruiters": list(org.recruiters),
        "defaults": defaults_record(org),
        "company": org.company,
        "candidate_page": org.candidate_page.model_dump(),
        "source_digest": _digest(org),
    }
    row = session.get(OrgSettings, 1)
    if row is None:
        session.add(OrgSettings(id=1, **values))
        report.created.append("org settings")
    elif _apply(row, values):
        report.updated.append("org settings")


def _sync_interviewers(
    org: OrgConfig, *, session: Session, report: SyncReport
) -> dict[str, Interviewer]:
    existing = {row.email: row for row in session.exec(select(Interviewer)).all()}
    listed: dict[str, Interviewer] = {}
    for entry in org.interviewers:
        values: dict[str, Any] = {
            "working_hours": entry.working_hours,
            "max_per_day": entry.max_per_day,
            "max_per_week": entry.max_per_week,
            "active": True,
        }
        # Slack ids and zones found by directory look-up are kept when the file leaves them out.
        for name in ("slack_id", "timezone", "name"):
            if getattr(entry, name) is not None:
                values[name] = getattr(entry, name)
        row = existing.get(entry.email)
        if row is None:
            row = Interviewer(email=entry.email, **values)
            session.add(row)
            report.created.append(f"interviewer {entry.email}")
        elif _apply(row, values):
            report.updated.append(f"interviewer {entry.email}")
        listed[entry.email] = row
    for email, row in existing.items():
        if email not in listed and row.active:
            _apply(row, {"active": False})
            report.deactivated.append(f"interviewer {email}")
    session.flush()
    return listed


def _sync_memberships(
    org: OrgConfig, people: dict[str, Interviewer], *, session: Session, report: SyncReport
) -> None:
    wanted = {(pool, people[entry.email].id) for entry in org.interviewers for pool in entry.pools}
    rows = {(row.pool, row.interviewer_id): row for row in session.exec(select(PoolMembership))}
    email_of = {person.id: email for email, person in people.items()}
    for pool, person_id in sorted(wanted, key=str):
        assert person_id is not None
        row = rows.get((pool, person_id))
        if row is None:
            session.add(PoolMembership(pool=pool, interviewer_id=person_id))
            report.created.append(f"pool {pool}: {email_of[person_id]}")
        elif _apply(row, {"active": True}):
            report.updated.append(f"pool {pool}: {email_of[person_id]}")
    for key, row in rows.items():
        if key not in wanted and row.active:
            _apply(row, {"active": False})
            report.deactivated.append(f"pool {row.pool}: interviewer #{row.interviewer_id}")


def _sync_templates(org: OrgConfig, *, session: Session, report: SyncReport) -> None:
    existing = {row.key: row for row in session.exec(select(LoopTemplate)).all()}
    for key, entry in org.templates.items():
        values: dict[str, Any] = {
            "title": entry.title,
            "same_day": entry.same_day,
            "any_order": entry.order == "any",
            "min_break_minutes": _minutes(entry.min_break),
            "max_break_minutes": _minutes(entry.max_break),
            "active": True,
        }
        row = existing.get(key)
        if row is None:
            row = LoopTemplate(key=key, **values)
            session.add(row)
            session.flush()
            report.created.append(f"template {key}")
        elif _apply(row, values):
            report.updated.append(f"template {key}")
        assert row.id is not None
        if _sync_stages(row.id, entry.stages, session=session) and key in existing:
            report.updated.append(f"template {key} stages")
    for key, row in existing.items():
        if key not in org.templates and row.active:
            _apply(row, {"active": False})
            report.deactivated.append(f"template {key}")


def _sync_stages(template_id: int, stages: Any, *, session: Session) -> bool:
    rows = session.exec(
        select(TemplateStage)
        .where(TemplateStage.template_id == template_id)
        .order_by(TemplateStage.position)  # type: ignore[arg-type]
    ).all()
    wanted = [
        {
            "position": position,
            "name": stage.name,
            "title": stage.title,
            "duration_minutes": stage.duration_minutes,
            "pool": stage.pool,
            "interviewers": stage.interviewers,
            "prep": stage.prep,
        }
        for position, stage in enumerate(stages)
    ]
    current = [{name: getattr(row, name) for name in wanted[0]} for row in rows] if wanted else []
    if current == wanted:
        return False
    for row in rows:
        session.delete(row)
    session.flush()
    for values in wanted:
        session.add(TemplateStage(template_id=template_id, **values))
    return True
