"""The calendar sync row: sync token, the lease that makes one replica sync, the push channel.

Every write is a conditional UPDATE: the token is saved only by the lease holder, the lease is
taken only when free or expired, so two replicas (or a poll racing a push) never interleave.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult, Engine
from sqlmodel import Session

from storage.engine import read_scope, session_scope
from storage.models import CalendarSync

ROW = "organizer"
TABLE: Any = CalendarSync


def _ensure_row(session: Session) -> None:
    if session.get(CalendarSync, ROW) is None:
        try:
            with session.begin_nested():
                session.add(CalendarSync(name=ROW))
                session.flush()
        except sa.exc.IntegrityError:
            pass  # another replica made it first


def _update(engine: Engine, where: Any, **values: Any) -> bool:
    with session_scope(engine) as session:
        _ensure_row(session)
        result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            sa.update(TABLE).where(TABLE.name == ROW, where).values(**values)
        )
        return result.rowcount == 1


def read(engine: Engine) -> CalendarSync:
    with read_scope(engine) as session:
        row = session.get(CalendarSync, ROW)
        if row is None:
            return CalendarSync(name=ROW)
        session.expunge(row)  # a detached snapshot: the read scope's rollback cannot expire it
        return row


@contextmanager
def read_session(engine: Engine) -> Iterator[CalendarSync]:
    """The sync row inside a writing unit of work (operators' fixes and tests)."""
    with session_scope(engine) as session:
        _ensure_row(session)
        row = session.get(CalendarSync, ROW)
        assert row is not None
        yield row


def take_lease(engine: Engine, holder: str, *, now: datetime, ttl: timedelta) -> bool:
    """Hold the sync for `ttl` (free, expired, or already ours); False if another replica has it."""
    free = sa.or_(
        TABLE.lease_holder.is_(None), TABLE.lease_until < now, TABLE.lease_holder == holder
    )
    return _update(engine, free, lease_holder=holder, lease_until=now + ttl)


def release_lease(engine: Engine, holder: str) -> None:
    _update(engine, TABLE.lease_holder == holder, lease_holder=None, lease_until=None)


def request_sync(engine: Engine, *, now: datetime) -> None:
    """Ask whoever holds the lease to sync once more (a push arrived during their sync)."""
    _update(engine, sa.true(), requested_at=now)


def save_token(engine: Engine, holder: str, token: str, *, now: datetime, full: bool) -> bool:
    """Store the next sync token; only the lease holder may (False if the lease was lost)."""
    values: dict[str, Any] = {"sync_token": token, "synced_at": now}
    if full:
        values["full_syncs"] = TABLE.full_syncs + 1
    return _update(engine, TABLE.lease_holder == holder, **values)


def drop_token(engine: Engine, holder: str) -> None:
    """Forget the token (Google said 410): the next sync is a full one."""
    _update(engine, TABLE.lease_holder == holder, sync_token=None)


def save_channel(
    engine: Engine,
    holder: str,
    *,
    channel_id: str | None,
    resource_id: str | None,
    token: str | None,
    expiration: datetime | None,
) -> bool:
    return _update(
        engine,
        TABLE.lease_holder == holder,
        channel_id=channel_id,
        channel_resource_id=resource_id,
        channel_token=token,
        channel_expiration=expiration,
        channel_owner=holder if channel_id else None,
    )


def clear_channel_if(engine: Engine, channel_id: str) -> bool:
    """Forget the channel if it is still `channel_id` (shutdown, whoever holds the lease)."""
    return _update(
        engine,
        TABLE.channel_id == channel_id,
        channel_id=None,
        channel_resource_id=None,
        channel_token=None,
        channel_expiration=None,
        channel_owner=None,
    )
