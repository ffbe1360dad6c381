"""Repository functions shared by every service: compare-and-set moves, the audit log, and the
reads several modules make (a loop's live sessions and who confirmed them).

Every state change goes through `compare_and_set`, a single conditional UPDATE, so two writers
racing (two replicas, a double click, a confirm against a decline) cannot both win: the second
finds the row no longer in the state it expected and gets False.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlmodel import Session, SQLModel, col, select

from storage.models import (
    AuditLog,
    Interviewer,
    InterviewerRequest,
    InterviewSession,
    ProcessedDelivery,
    RequestState,
    SessionState,
)

M = TypeVar("M", bound=SQLModel)


def compare_and_set(
    model: type[M],
    row_id: int,
    *,
    session: Session,
    expected: Iterable[enum.Enum],
    values: dict[str, Any],
) -> bool:
    """Set `values` on row `row_id` only if its `state` is one of `expected`; True if it won.

    A state move of a loop, session or request is checked against `storage.states.MOVES`
    first (prefer `storage.states.transition`, which reads better at the call site).
    """
    from storage.states import check

    expected = list(expected)
    if "state" in values:
        check(model, expected, values["state"])
    table: Any = model
    statement = (
        sa.update(table)
        .where(table.id == row_id, table.state.in_([state.value for state in expected]))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    result: CursorResult[Any] = session.execute(statement)  # type: ignore[assignment]
    won = result.rowcount == 1
    if won:
        instance = session.get(model, row_id)
        if instance is not None:
            session.refresh(instance)
    return won


def audit(
    action: str,
    *,
    session: Session,
    actor: str,
    loop_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(AuditLog(actor=actor, action=action, loop_id=loop_id, details=details))


def claim_delivery(key: str, *, session: Session) -> bool:
    """Record a Slack delivery key; False if it was already handled (a retry or double click)."""
    if session.get(ProcessedDelivery, key) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(ProcessedDelivery(key=key))
            session.flush()
    except sa.exc.IntegrityError:
        return False
    return True


def live_sessions(loop_id: int | None, *, session: Session) -> list[InterviewSession]:
    """A loop's sessions that are not cancelled, in the order they happen."""
    return list(
        session.exec(
            select(InterviewSession)
            .where(
                InterviewSession.loop_id == loop_id,
                InterviewSession.state != SessionState.CANCELLED,
            )
            .order_by(col(InterviewSession.start), col(InterviewSession.position))
        )
    )


def confirmed_interviewers(
    sessions: Iterable[InterviewSession], *, session: Session
) -> list[tuple[InterviewerRequest, Interviewer]]:
    """The confirmed requests on these sessions with their interviewers, oldest request first."""
    ids = [item.id for item in sessions]
    if not ids:
        return []
    return list(
        session.exec(
            select(InterviewerRequest, Interviewer)
            .join(Interviewer, col(Interviewer.id) == col(InterviewerRequest.interviewer_id))
            .where(
                col(InterviewerRequest.session_id).in_(ids),
                InterviewerRequest.state == RequestState.CONFIRMED,
            )
            .order_by(col(InterviewerRequest.id))
        )
    )
