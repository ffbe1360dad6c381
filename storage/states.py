"""The state machine of loops, sessions and interviewer requests, written down once.

`MOVES` is the whole truth about which state may follow which; `transition` is the only way
services change one of these states: a single conditional UPDATE (`… WHERE id = :id AND state
IN (:from…)`) whose row count says whether this writer won. A move the table does not allow is
a programming error (`IllegalMoveError`), raised before anything is written; a move the table allows
but the row is no longer in a state it may come from returns False (someone else moved first).

Loops:
  proposed ─choose→ pending ─everyone confirmed→ booking ─events created→ booked ─→ completed
  any open state ─cancel→ cancelled; pending/booking/booked/needs_attention ─reschedule→ proposed
  pending/booking/booked ─a problem nobody can fix automatically→ needs_attention
  needs_attention ─retry booking→ booking (or back to pending/booked when resolved)
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from storage.models import (
    InterviewerRequest,
    InterviewSession,
    Loop,
    LoopState,
    RequestState,
    SessionState,
)
from storage.repo import compare_and_set
from storage.types import utcnow

M = TypeVar("M", bound=SQLModel)

L, S, R = LoopState, SessionState, RequestState

LOOP_MOVES: Mapping[LoopState, frozenset[LoopState]] = {
    L.PROPOSED: frozenset({L.PENDING, L.CANCELLED}),
    L.PENDING: frozenset({L.BOOKING, L.NEEDS_ATTENTION, L.PROPOSED, L.CANCELLED}),
    L.BOOKING: frozenset({L.BOOKED, L.NEEDS_ATTENTION, L.PROPOSED, L.CANCELLED}),
    L.BOOKED: frozenset({L.COMPLETED, L.NEEDS_ATTENTION, L.PENDING, L.PROPOSED, L.CANCELLED}),
    L.NEEDS_ATTENTION: frozenset({L.BOOKING, L.BOOKED, L.PENDING, L.PROPOSED, L.CANCELLED}),
    L.CANCELLED: frozenset(),
    L.COMPLETED: frozenset(),
}

SESSION_MOVES: Mapping[SessionState, frozenset[SessionState]] = {
    # PENDING → CONFIRMED: every seat confirmed; CONFIRMED → PENDING: a seat opened again.
    S.PENDING: frozenset({S.CONFIRMED, S.CANCELLED}),
    S.CONFIRMED: frozenset({S.BOOKED, S.PENDING, S.CANCELLED}),
    # BOOKED → PENDING: an interviewer backed out of a booked session (the event stays);
    # BOOKED → CONFIRMED: the booking failed elsewhere in the loop and its event is removed.
    S.BOOKED: frozenset({S.CONFIRMED, S.PENDING, S.CANCELLED}),
    S.CANCELLED: frozenset(),
}

REQUEST_MOVES: Mapping[RequestState, frozenset[RequestState]] = {
    R.PENDING: frozenset({R.CONFIRMED, R.DECLINED, R.CANCELLED}),
    # CONFIRMED → DECLINED: "can't make it" after confirming; → CANCELLED: withdrawn by the bot.
    R.CONFIRMED: frozenset({R.DECLINED, R.CANCELLED}),
    R.DECLINED: frozenset(),
    R.CANCELLED: frozenset(),
}

MOVES: Mapping[type[SQLModel], Mapping[Any, frozenset[Any]]] = {
    Loop: LOOP_MOVES,
    InterviewSession: SESSION_MOVES,
    InterviewerRequest: REQUEST_MOVES,
}


class IllegalMoveError(ValueError):
    """A move the state machine does not allow was attempted (a bug, never user input)."""


def allowed(model: type[SQLModel], source: enum.Enum, target: enum.Enum) -> bool:
    return target in MOVES[model].get(source, frozenset())


def sources(model: type[SQLModel], target: enum.Enum) -> list[enum.Enum]:
    """Every state `target` may be reached from, in the enum's order."""
    return [state for state, targets in MOVES[model].items() if target in targets]


def check(model: type[SQLModel], expected: Iterable[enum.Enum], target: enum.Enum) -> None:
    """Raise `IllegalMoveError` unless every state in `expected` may move to `target`."""
    if model not in MOVES:
        return
    bad = [state for state in expected if not allowed(model, state, target)]
    if bad:
        names = ", ".join(state.value for state in bad)
        raise IllegalMoveError(f"{model.__name__}: {names} → {target.value} is not an allowed move")


def transition(
    model: type[M],
    row_id: int,
    target: enum.Enum,
    *,
    session: Session,
    expected: Iterable[enum.Enum] | None = None,
    values: Mapping[str, Any] | None = None,
) -> bool:
    """Move row `row_id` to `target` if its state is one of `expected`; True if this won.

    `expected` defaults to every state the table allows `target` from. `values` are written in
    the same UPDATE (e.g. `answered_at`, `cancel_reason`). A loaded instance of the row is
    refreshed so callers holding it see the new state.
    """
    if model not in MOVES:
        raise IllegalMoveError(f"{model.__name__} has no state machine")
    froms = list(expected) if expected is not None else sources(model, target)
    check(model, froms, target)
    if not froms:
        return False
    changes: dict[str, Any] = {"state": target, **dict(values or {})}
    if hasattr(model, "updated_at"):
        changes.setdefault("updated_at", utcnow())
    return compare_and_set(model, row_id, session=session, expected=froms, values=changes)


def lock_row(model: type[M], row_id: int, *, session: Session) -> M | None:
    """Load a row with `SELECT … FOR UPDATE` (PostgreSQL), serialising deciders on that row.

    On SQLite every writing transaction already begins IMMEDIATE, so the whole database is the
    lock and this is a plain read. The instance is refreshed: another transaction may have
    changed it since it was loaded into this session.
    """
    table: Any = model
    statement = sa.select(table).where(table.id == row_id)
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    row = session.execute(statement.execution_options(populate_existing=True)).scalars().first()
    return row
