"""Periodic upkeep: loops whose last session ended become COMPLETED; old delivery keys expire.

Slack retries a delivery within minutes, so delivery keys older than two days can never match
again and are deleted to keep the table small.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, select

from bot.services.context import Services
from storage.engine import session_scope
from storage.models import InterviewSession, Loop, LoopState, ProcessedDelivery, SessionState
from storage.repo import audit
from storage.states import transition

log = logging.getLogger(__name__)
DELIVERY_KEY_TTL = timedelta(days=2)


def complete_finished_loops(services: Services, now: datetime | None = None) -> int:
    now = now or services.clock()
    done = 0
    with session_scope(services.engine) as session:
        last_end = (
            select(InterviewSession.loop_id, sa.func.max(InterviewSession.end).label("last_end"))
            .where(InterviewSession.state != SessionState.CANCELLED)
            .group_by(col(InterviewSession.loop_id))
            .subquery()
        )
        rows = session.exec(
            select(Loop.id, last_end.c.last_end)
            .join(last_end, last_end.c.loop_id == Loop.id)
            .where(Loop.state == LoopState.BOOKED)
        ).all()
        for loop_id, ended in rows:
            if loop_id is None or ended is None:
                continue
            if ended.tzinfo is None:  # raw aggregate from SQLite: stored as naive UTC
                ended = ended.replace(tzinfo=now.tzinfo)
            if ended <= now and transition(
                Loop,
                loop_id,
                LoopState.COMPLETED,
                session=session,
                expected=[LoopState.BOOKED],
            ):
                audit("loop.completed", session=session, actor="system", loop_id=loop_id)
                done += 1
    return done


def prune_delivery_keys(services: Services, now: datetime | None = None) -> int:
    cutoff = (now or services.clock()) - DELIVERY_KEY_TTL
    with session_scope(services.engine) as session:
        result = session.execute(
            sa.delete(ProcessedDelivery).where(col(ProcessedDelivery.at) < cutoff)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def housekeeping(services: Services) -> None:
    completed = complete_finished_loops(services)
    pruned = prune_delivery_keys(services)
    if completed or pruned:
        log.info("housekeeping: %d loops completed, %d delivery keys pruned", completed, pruned)
