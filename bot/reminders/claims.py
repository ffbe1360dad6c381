"""The reminder outbox's claim/lease/finish SQL (steps 1 and 4 of a dispatch tick).

Every write the dispatcher makes to a claimed row lives here, so the one invariant that keeps
sends from doubling up is checked in one place: a row is only ever moved by whoever holds its
current claim token (`cas`), and a claim is only taken on a row that is still claimable
(`claim_conditions`, repeated in the outer UPDATE of `claim_due`). See `dispatcher.py` for the
tick as a whole.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, CursorResult, Engine
from sqlmodel import Session

from bot.logging_setup import log_context
from bot.reminders.judge import Close, Delivery
from bot.reminders.outbox import (
    REMINDER,
    STEP_UNREACHABLE,
    PlannedReminder,
    unreachable_key,
    write_reminder,
)
from storage.models import (
    InterviewerRequest,
    Reminder,
    ReminderKind,
    ReminderState,
    RequestState,
)
from storage.repo import audit

# The dispatcher's logger: these lines were always logged under it, and operators filter on it.
log = logging.getLogger("bot.reminders.dispatcher")

REQUEST: sa.Table = InterviewerRequest.__table__  # type: ignore[attr-defined]


def claim_conditions(table: sa.FromClause, now: Any) -> list[sa.ColumnElement[bool]]:
    """The two ways a row becomes claimable, each a range on `ix_reminder_due (state, due_at)`:
    pending and due, or claimed by someone whose lease has run out (a crashed sender)."""
    return [
        sa.and_(table.c.state == ReminderState.CLAIMED, table.c.lease_until < now),
        sa.and_(table.c.state == ReminderState.PENDING, table.c.due_at <= now),
    ]


@functools.cache
def _claim_statement(which: int, dialect: str) -> Any:
    """Built once per dialect (building it costs more than running it on an idle outbox)."""
    now: sa.BindParameter[datetime] = sa.bindparam("now")
    picked = REMINDER.alias("picked")
    pick = (
        sa.select(picked.c.id)
        .where(claim_conditions(picked, now)[which])
        .order_by(picked.c.due_at)
        .limit(sa.bindparam("limit", type_=sa.Integer))
    )
    if dialect == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    return (
        sa.update(REMINDER)
        .where(REMINDER.c.id.in_(pick), claim_conditions(REMINDER, now)[which])
        .values(
            state=ReminderState.CLAIMED,
            claimed_by=sa.bindparam("token"),
            lease_until=sa.bindparam("lease_until"),
            attempts=REMINDER.c.attempts + 1,
        )
        .returning(REMINDER.c.id, REMINDER.c.due_at)
    )


def claim_due(
    bind: Engine | Connection, *, token: str, now: datetime, lease: timedelta, limit: int
) -> list[int]:
    """Atomically claim up to `limit` due reminders for `token`; return their ids, oldest first.

    One transaction, two statements (expired leases first, then due pending rows), each
    `UPDATE … WHERE id IN (SELECT … ORDER BY due_at LIMIT n [FOR UPDATE SKIP LOCKED]) AND
    <condition> RETURNING id`. Kept apart because an OR of the two makes SQLite scan the table;
    the outer condition is repeated so a row that changed meanwhile is never taken.
    """
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            return claim_due(connection, token=token, now=now, lease=lease, limit=limit)
    rows: list[Any] = []
    with bind.begin():
        for which in range(2):
            if len(rows) >= limit:
                break
            statement = _claim_statement(which, bind.dialect.name)
            parameters = {
                "now": now,
                "token": token,
                "lease_until": now + lease,
                "limit": limit - len(rows),
            }
            rows.extend(bind.execute(statement, parameters).all())
    return [row.id for row in sorted(rows, key=lambda row: (row.due_at, row.id))]


def claim_rows(
    bind: Connection, ids: Sequence[int], *, token: str, now: datetime, lease: timedelta
) -> list[int]:
    """Claim these reminders if they are pending and due (the deciding thread's immediate
    send of a notice it just wrote); the ids it got, in order. Rows another worker holds or
    already sent are left alone."""
    if not ids:
        return []
    statement = (
        sa.update(REMINDER)
        .where(
            REMINDER.c.id.in_(list(ids)),
            REMINDER.c.state == ReminderState.PENDING,
            REMINDER.c.due_at <= now,
        )
        .values(
            state=ReminderState.CLAIMED,
            claimed_by=token,
            lease_until=now + lease,
            attempts=REMINDER.c.attempts + 1,
        )
        .returning(REMINDER.c.id)
    )
    with bind.begin():
        got = {row.id for row in bind.execute(statement).all()}
    return [reminder_id for reminder_id in ids if reminder_id in got]


@contextmanager
def unit(connection: Connection) -> Iterator[Session]:
    """One short transaction on the tick's connection: commit on success, roll back on error."""
    with Session(bind=connection, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def cas(
    session: Session,
    reminder_id: int,
    token: str,
    *,
    expected: Sequence[ReminderState],
    values: dict[str, Any],
) -> bool:
    """Move a reminder we hold the claim on; False if the claim is no longer ours."""
    statement = (
        sa.update(REMINDER)
        .where(
            REMINDER.c.id == reminder_id,
            REMINDER.c.claimed_by == token,
            REMINDER.c.state.in_(list(expected)),
        )
        .values(**values)
    )
    result: CursorResult[Any] = session.execute(statement)  # type: ignore[assignment]
    return result.rowcount == 1


def close_claimed(
    session: Session, row: Reminder, token: str, verdict: Close, *, short_id: str | None
) -> bool:
    """Record a re-check verdict of "do not send" (and log it); False if the claim was lost."""
    assert row.id is not None
    closed = cas(
        session,
        row.id,
        token,
        expected=[ReminderState.CLAIMED],
        values={"state": verdict.state, "last_error": verdict.reason, "lease_until": None},
    )
    if not closed:
        return False
    with log_context(loop=short_id, request=row.request_id):
        level = logging.ERROR if verdict.state == ReminderState.FAILED else logging.INFO
        log.log(
            level,
            "reminder %s (%s) %s: %s",
            row.id,
            row.kind.value,
            verdict.state.value,
            verdict.reason,
        )
    return True


def renew_leases(
    connection: Connection, ids: set[int], token: str, *, now: datetime, lease: timedelta
) -> tuple[set[int], datetime]:
    """Extend the lease of the batch's unsent rows; returns those still ours."""
    if not ids:
        return ids, now + lease
    statement = (
        sa.update(REMINDER)
        .where(
            REMINDER.c.id.in_(sorted(ids)),
            REMINDER.c.claimed_by == token,
            REMINDER.c.state == ReminderState.CLAIMED,
        )
        .values(lease_until=now + lease)
        .returning(REMINDER.c.id)
    )
    with connection.begin():
        kept = {row.id for row in connection.execute(statement)}
    return kept, now + lease


def still_pending(connection: Connection, request_id: int) -> bool:
    """Whether the request is still unanswered (a replacement handler may have withdrawn it)."""
    with unit(connection) as session:
        request = session.get(InterviewerRequest, request_id)
        return request is not None and request.state == RequestState.PENDING


def finish_sent(
    connection: Connection, delivery: Delivery, token: str, *, now: datetime, outcome: str | None
) -> None:
    """Record a sent message (and for a nudge, bump the request's `nudges_sent`)."""
    values: dict[str, Any] = {"state": ReminderState.SENT, "sent_at": now, "lease_until": None}
    if outcome is not None:
        values["payload"] = {**delivery.payload, "outcome": outcome}
    with unit(connection) as session:
        # A row cancelled while its message was on the way is still recorded as sent.
        won = cas(
            session,
            delivery.reminder_id,
            token,
            expected=[ReminderState.CLAIMED, ReminderState.CANCELLED],
            values=values,
        )
        if not won:
            log.warning(
                "reminder %s: claim lost while sending; it may be sent twice",
                delivery.reminder_id,
            )
            return
        if delivery.kind == ReminderKind.CONFIRM_NUDGE and delivery.request_id is not None:
            number = delivery.payload.get("nudge")
            if isinstance(number, int):
                session.execute(
                    sa.update(REQUEST)
                    .where(REQUEST.c.id == delivery.request_id, REQUEST.c.nudges_sent < number)
                    .values(nudges_sent=number)
                )
    log.info("reminder %s (%s) sent", delivery.reminder_id, outcome or delivery.kind.value)


def finish_failed(
    connection: Connection, delivery: Delivery, token: str, code: str, *, now: datetime
) -> None:
    """Fail the row for good, audit it, and queue a notice to the recruiter in the same
    transaction, so that notice is delivered (and retried) like any other reminder."""
    with unit(connection) as session:
        won = cas(
            session,
            delivery.reminder_id,
            token,
            expected=[ReminderState.CLAIMED],
            values={"state": ReminderState.FAILED, "last_error": code, "lease_until": None},
        )
        if not won:
            return
        audit(
            "reminder_failed",
            session=session,
            actor="system",
            loop_id=delivery.loop_id,
            details={
                "reminder_id": delivery.reminder_id,
                "kind": delivery.kind.value,
                "target": delivery.target,
                "error": code,
            },
        )
        if delivery.recruiter and delivery.recruiter != delivery.target:
            write_reminder(
                PlannedReminder(
                    key=unreachable_key(delivery.reminder_id),
                    kind=ReminderKind.CONFIRM_ESCALATION,
                    due_at=now,
                    not_after=None,
                    target_slack_id=delivery.recruiter,
                    loop_id=delivery.loop_id,
                    payload={
                        "step": STEP_UNREACHABLE,
                        "reminder_id": delivery.reminder_id,
                        "who_name": delivery.target_name,
                        "who_slack_id": delivery.target or None,
                        "what": delivery.what,
                        "error": code,
                    },
                ),
                session=session,
                now=now,
            )
    log.error(
        "reminder %s (%s) failed for good: %s%s",
        delivery.reminder_id,
        delivery.kind.value,
        code,
        "; recruiter will be told" if delivery.recruiter else "",
    )


def release_for_retry(
    connection: Connection, delivery: Delivery, token: str, error: str, *, due_at: datetime
) -> None:
    """Put the row back to `pending` at `due_at` for another attempt (the caller picks when)."""
    with unit(connection) as session:
        cas(
            session,
            delivery.reminder_id,
            token,
            expected=[ReminderState.CLAIMED],
            values={
                "state": ReminderState.PENDING,
                "due_at": due_at,
                "claimed_by": None,
                "lease_until": None,
                "last_error": error[:2000],
            },
        )
