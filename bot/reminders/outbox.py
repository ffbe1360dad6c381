"""Writing reminders: outbox rows added inside the caller's transaction.

Every function takes the caller's `Session` (keyword-only) and never commits, so a reminder
exists exactly when the change that causes it does: roll the transaction back and the rows are
gone too. Rows are written with `INSERT … ON CONFLICT (dedupe_key)`, so writing the same reminder
twice is a no-op, and two writers racing cannot fail each other's transaction.

Rules (contract §3: reminders are DMs; none is sent after its session began):

* `plan_session_reminders` is a *sync* of a loop's interviewer reminders, feedback requests and
  the recruiter's end-of-loop note with the loop's current state. Call it whenever a loop becomes
  booked and after any change to it (a session moved or cancelled, a decline, a replacement
  confirmed, the loop cancelled): rows that no longer match the loop are cancelled, missing ones
  are written. A reminder whose due time has already passed when it is planned is **not
  created** (it is counted in `PlanResult.skipped_past` and logged) — it could only be sent
  late or not at all.
* `plan_confirm_nudges` writes nudge 1, nudge 2 and the escalation step for a request just sent.
* `cancel_reminders` cancels what is still pending (or claimed but not yet sent).

Dedupe keys embed the instant that defines the reminder (session start or end), so a session
moved to a new time gets new rows, and a session moved back revives the cancelled ones.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlmodel import Session

from storage.models import (
    Interviewer,
    InterviewerRequest,
    InterviewSession,
    Loop,
    LoopState,
    Reminder,
    ReminderKind,
    ReminderState,
    RequestState,
)
from storage.repo import confirmed_interviewers, live_sessions

log = logging.getLogger(__name__)

REMINDER: sa.Table = Reminder.__table__  # type: ignore[attr-defined]

FEEDBACK_AFTER = timedelta(hours=1)
ESCALATION_LEAD = timedelta(hours=2)
OPEN_STATES = (ReminderState.PENDING, ReminderState.CLAIMED)
SESSION_KINDS = (
    ReminderKind.SESSION_REMINDER,
    ReminderKind.FEEDBACK_DUE,
    ReminderKind.LOOP_FINISHED,
)
REQUEST_KINDS = (ReminderKind.CONFIRM_NUDGE, ReminderKind.CONFIRM_ESCALATION)
STEP_UNANSWERED = "unanswered"  # payload["step"] of a CONFIRM_ESCALATION for a silent request
STEP_UNREACHABLE = "unreachable"  # payload["step"] of a CONFIRM_ESCALATION for a failed DM


@dataclass(frozen=True, slots=True)
class PlannedReminder:
    """One reminder as it should exist; `key` is its unique `dedupe_key`."""

    key: str
    kind: ReminderKind
    due_at: datetime
    not_after: datetime | None
    target_slack_id: str
    loop_id: int | None
    session_id: int | None = None
    request_id: int | None = None
    payload: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class PlanResult:
    written: int = 0  # rows inserted (or cancelled rows revived)
    skipped_past: int = 0  # due before `now`: not created
    cancelled: int = 0  # open rows that no longer match the loop


def _stamp(moment: datetime) -> int:
    return int(moment.timestamp())


def _minutes(offset: timedelta) -> int:
    return int(offset.total_seconds() // 60)


def session_reminder_key(request_id: int, offset: timedelta, start: datetime) -> str:
    return f"remind:{request_id}:{_minutes(offset)}m:{_stamp(start)}"


def feedback_key(request_id: int, end: datetime) -> str:
    return f"feedback:{request_id}:{_stamp(end)}"


def loop_finished_key(loop_id: int, end: datetime) -> str:
    return f"finished:{loop_id}:{_stamp(end)}"


def nudge_key(request_id: int, number: int) -> str:
    return f"nudge:{request_id}:{number}"


def escalation_key(request_id: int) -> str:
    return f"escalate:{request_id}"


def unreachable_key(reminder_id: int) -> str:
    return f"unreachable:{reminder_id}"


def write_reminders(planned: Sequence[PlannedReminder], *, session: Session, now: datetime) -> int:
    """Insert reminders whose key does not exist yet, in one statement; a *cancelled* row with
    the key is revived with the new values. Rows that were sent, dropped or failed, and open
    ones, are never touched. Returns the number of rows inserted or revived.
    """
    unique = list({item.key: item for item in planned}.values())
    if not unique:
        return 0
    rows: list[dict[str, Any]] = [
        {
            "kind": item.kind,
            "dedupe_key": item.key,
            "due_at": item.due_at,
            "not_after": item.not_after,
            "target_slack_id": item.target_slack_id,
            "loop_id": item.loop_id,
            "session_id": item.session_id,
            "request_id": item.request_id,
            "payload": item.payload,
            "state": ReminderState.PENDING,
            "attempts": 0,
            "created_at": now,
        }
        for item in unique
    ]
    dialect = session.get_bind().dialect.name
    statement: Any
    if dialect == "postgresql":
        statement = postgresql.insert(REMINDER).values(rows)
    elif dialect == "sqlite":
        statement = sqlite.insert(REMINDER).values(rows)
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise RuntimeError(f"unsupported database dialect {dialect!r}")
    revive = {
        name: statement.excluded[name]
        for name in ("due_at", "not_after", "target_slack_id", "payload", "state", "attempts")
    }
    revive.update(claimed_by=None, lease_until=None, last_error=None, sent_at=None)
    statement = statement.on_conflict_do_update(
        index_elements=[REMINDER.c.dedupe_key],
        set_=revive,
        where=REMINDER.c.state == ReminderState.CANCELLED,
    ).returning(REMINDER.c.id)
    return len(session.execute(statement).all())


def write_reminder(planned: PlannedReminder, *, session: Session, now: datetime) -> bool:
    """`write_reminders` for one reminder; True if it was written."""
    return write_reminders([planned], session=session, now=now) == 1


def cancel_reminders(
    *,
    session: Session,
    loop_id: int | None = None,
    session_id: int | None = None,
    request_id: int | None = None,
    kinds: Collection[ReminderKind] | None = None,
    keep_keys: Collection[str] = (),
    reason: str,
) -> int:
    """Cancel every open (pending, or claimed and not yet sent) reminder matching all filters.

    At least one of `loop_id`, `session_id`, `request_id` is required. `reason` is stored in
    `last_error` for the record. Returns the number of rows cancelled. A claimed row whose
    message is already on its way is still recorded as sent by its dispatcher.
    """
    if loop_id is None and session_id is None and request_id is None:
        raise ValueError("cancel_reminders needs loop_id, session_id or request_id")
    session.flush()
    conditions: list[Any] = [REMINDER.c.state.in_(OPEN_STATES)]
    if loop_id is not None:
        conditions.append(REMINDER.c.loop_id == loop_id)
    if session_id is not None:
        conditions.append(REMINDER.c.session_id == session_id)
    if request_id is not None:
        conditions.append(REMINDER.c.request_id == request_id)
    if kinds is not None:
        conditions.append(REMINDER.c.kind.in_(list(kinds)))
    if keep_keys:
        conditions.append(REMINDER.c.dedupe_key.not_in(list(keep_keys)))
    statement = (
        sa.update(REMINDER)
        .where(*conditions)
        .values(state=ReminderState.CANCELLED, last_error=f"cancelled: {reason}"[:2000])
    )
    result: CursorResult[Any] = session.execute(statement)  # type: ignore[assignment]
    if result.rowcount:
        log.info(
            "cancelled %d reminder(s): %s",
            result.rowcount,
            reason,
            extra={"loop": loop_id, "session": session_id, "request": request_id},
        )
    return int(result.rowcount)


def _wanted_session_reminders(
    loop: Loop,
    sessions: Sequence[InterviewSession],
    requests: Sequence[tuple[InterviewerRequest, str]],
    offsets: Sequence[timedelta],
    feedback_after: timedelta,
) -> list[PlannedReminder]:
    assert loop.id is not None
    by_session = {item.id: item for item in sessions}
    wanted: list[PlannedReminder] = []
    for request, slack_id in requests:
        interview = by_session.get(request.session_id)
        if interview is None or request.id is None or interview.id is None:
            continue
        for offset in sorted(set(offsets), reverse=True):
            if offset <= timedelta(0):
                continue
            wanted.append(
                PlannedReminder(
                    key=session_reminder_key(request.id, offset, interview.start),
                    kind=ReminderKind.SESSION_REMINDER,
                    due_at=interview.start - offset,
                    not_after=interview.start,
                    target_slack_id=slack_id,
                    loop_id=loop.id,
                    session_id=interview.id,
                    request_id=request.id,
                    payload={
                        "offset_minutes": _minutes(offset),
                        "start": interview.start.isoformat(),
                        "interviewer_id": request.interviewer_id,
                    },
                )
            )
        wanted.append(
            PlannedReminder(
                key=feedback_key(request.id, interview.end),
                kind=ReminderKind.FEEDBACK_DUE,
                due_at=interview.end + feedback_after,
                not_after=None,
                target_slack_id=slack_id,
                loop_id=loop.id,
                session_id=interview.id,
                request_id=request.id,
                payload={
                    "end": interview.end.isoformat(),
                    "interviewer_id": request.interviewer_id,
                },
            )
        )
    if sessions:
        last_end = max(item.end for item in sessions)
        wanted.append(
            PlannedReminder(
                key=loop_finished_key(loop.id, last_end),
                kind=ReminderKind.LOOP_FINISHED,
                due_at=last_end,
                not_after=None,
                target_slack_id=loop.recruiter_slack_id,
                loop_id=loop.id,
                payload={"end": last_end.isoformat()},
            )
        )
    return wanted


def plan_session_reminders(
    loop_id: int,
    *,
    session: Session,
    offsets: Sequence[timedelta],
    now: datetime,
    feedback_after: timedelta = FEEDBACK_AFTER,
) -> PlanResult:
    """Make the loop's session reminders match the loop as it is now (idempotent).

    For every session that is not cancelled and every *confirmed* request on it: one
    `SESSION_REMINDER` per offset (due `start - offset`, `not_after = start`) and a
    `FEEDBACK_DUE` at `end + feedback_after`; plus one `LOOP_FINISHED` to the recruiter at the
    last session's end. A cancelled (or still proposed) loop wants none. Open rows of those kinds
    that the loop no longer wants are cancelled; wanted rows due before `now` are not created.
    """
    session.flush()
    loop = session.get(Loop, loop_id)
    if loop is None:
        raise LookupError(f"loop {loop_id} does not exist")
    sessions: list[InterviewSession] = []
    requests: list[tuple[InterviewerRequest, str]] = []
    if loop.state not in (LoopState.CANCELLED, LoopState.PROPOSED):
        sessions = live_sessions(loop_id, session=session)
        requests = [
            (request, interviewer.slack_id or "")
            for request, interviewer in confirmed_interviewers(sessions, session=session)
        ]
    wanted = _wanted_session_reminders(loop, sessions, requests, offsets, feedback_after)
    cancelled = cancel_reminders(
        session=session,
        loop_id=loop_id,
        kinds=SESSION_KINDS,
        keep_keys=[item.key for item in wanted],
        reason="loop changed" if loop.state != LoopState.CANCELLED else "loop cancelled",
    )
    future = [item for item in wanted if item.due_at >= now]
    for item in wanted:
        if item.due_at < now:
            log.info(
                "not planning %s %s: due %s had already passed",
                item.kind.value,
                item.key,
                item.due_at.isoformat(),
                extra={"loop": loop.short_id},
            )
    written = write_reminders(future, session=session, now=now)
    return PlanResult(written=written, skipped_past=len(wanted) - len(future), cancelled=cancelled)


def plan_confirm_nudges(
    request_id: int,
    *,
    session: Session,
    after: timedelta,
    now: datetime,
    escalation_lead: timedelta = ESCALATION_LEAD,
) -> PlanResult:
    """Plan the follow-ups of a request sent at `now` (call it in the transaction that sends it).

    Nudge 1 at `now + after`, nudge 2 at `now + 2·after`, and the escalation step at
    `now + 3·after`. The escalation step is brought forward to `escalation_lead` before the
    session when that is earlier (and to half-way to the session when even that has passed), so
    someone always hears about a silent interviewer before the session; nudges that would come
    at or after the escalation are not written. At dispatch, the escalation step asks for an
    automatic replacement when the session is more than 24 h away, else DMs the recruiter.
    """
    session.flush()
    request = session.get(InterviewerRequest, request_id)
    if request is None:
        raise LookupError(f"interviewer request {request_id} does not exist")
    interview = session.get(InterviewSession, request.session_id)
    if interview is None or request.state != RequestState.PENDING or interview.start <= now:
        return PlanResult()
    loop = session.get(Loop, interview.loop_id)
    interviewer = session.get(Interviewer, request.interviewer_id)
    if loop is None or interviewer is None or after <= timedelta(0):
        return PlanResult()
    escalate_at = min(now + 3 * after, interview.start - escalation_lead)
    if escalate_at <= now:
        escalate_at = now + (interview.start - now) / 2
    common: dict[str, Any] = {
        "interviewer_id": interviewer.id,
        "start": interview.start.isoformat(),
    }
    steps = [
        PlannedReminder(
            key=nudge_key(request_id, number),
            kind=ReminderKind.CONFIRM_NUDGE,
            due_at=now + number * after,
            not_after=interview.start,
            target_slack_id=interviewer.slack_id or "",
            loop_id=loop.id,
            session_id=interview.id,
            request_id=request_id,
            payload={**common, "nudge": number},
        )
        for number in (1, 2)
        if now + number * after < escalate_at
    ]
    steps.append(
        PlannedReminder(
            key=escalation_key(request_id),
            kind=ReminderKind.CONFIRM_ESCALATION,
            due_at=escalate_at,
            not_after=interview.start,
            target_slack_id=loop.recruiter_slack_id,
            loop_id=loop.id,
            session_id=interview.id,
            request_id=request_id,
            payload={**common, "step": STEP_UNANSWERED, "nudges": len(steps)},
        )
    )
    return PlanResult(written=write_reminders(steps, session=session, now=now))


def cancel_request_follow_ups(request_id: int, *, session: Session, reason: str) -> int:
    """Cancel a request's nudges and escalation (it was answered, withdrawn or replaced)."""
    return cancel_reminders(
        session=session, request_id=request_id, kinds=REQUEST_KINDS, reason=reason
    )


NOTICE_KINDS = (ReminderKind.LOOP_BOOKED, ReminderKind.BOOKING_FAILED)


def write_loop_notice(
    kind: ReminderKind,
    loop_id: int,
    *,
    target_slack_id: str,
    text: str,
    blocks: Sequence[dict[str, Any]],
    session: Session,
    now: datetime,
) -> int:
    """A DM to the loop's recruiter about a state move, written in the move's transaction.

    The message is rendered by the caller at the move (the payload holds its text and blocks),
    so the dispatcher sends exactly what the deciding thread would have sent. The caller holds
    the loop's row lock, so the generation number in the key (one more than this loop's notices
    of `kind` so far) is unique: a loop booked again after a retry or a reschedule gets a new
    notice, while the same move can never be announced twice. Returns the row's id.
    """
    session.flush()
    earlier = session.execute(
        sa.select(sa.func.count())
        .select_from(REMINDER)
        .where(REMINDER.c.loop_id == loop_id, REMINDER.c.kind == kind)
    ).scalar_one()
    key = f"{kind.value}:{loop_id}:{int(earlier) + 1}"
    planned = PlannedReminder(
        key=key,
        kind=kind,
        due_at=now,
        not_after=None,
        target_slack_id=target_slack_id,
        loop_id=loop_id,
        payload={"text": text, "blocks": list(blocks)},
    )
    write_reminder(planned, session=session, now=now)
    found = session.execute(
        sa.select(REMINDER.c.id).where(REMINDER.c.dedupe_key == key)
    ).scalar_one()
    return int(found)
