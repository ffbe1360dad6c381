"""Sending due reminders exactly once in practice, from any number of bot processes.

One dispatch tick repeats, batch by batch (50 rows), until nothing is due:

1. **Claim** (one short transaction, two statements): `UPDATE reminder SET state='claimed',
   claimed_by=<token>, lease_until=now+lease, attempts=attempts+1 WHERE id IN (SELECT id …
   ORDER BY due_at LIMIT n) AND <still claimable> RETURNING id`, first for rows `claimed` by
   someone whose lease has run out (a crashed sender), then for `pending` rows with
   `due_at <= now`; both walk `ix_reminder_due (state, due_at)`. On PostgreSQL the inner SELECT
   takes `FOR UPDATE SKIP LOCKED`, so concurrent dispatchers split the rows instead of queueing
   on them; on SQLite the engine starts every transaction with `BEGIN IMMEDIATE`, so the claim
   runs under the database's single write lock. Either way a row has one claim token at a time,
   and every tick uses a fresh token.
2. **Re-check** (one transaction for the batch): is the claim still ours and the lease alive?
   Is the reminder still useful — loop/session not cancelled, request not answered or replaced,
   session not moved, not superseded by a later reminder of the same series that is also due
   (after downtime only the 1 h reminder goes out, not the 24 h one too), and for "before the
   session" kinds `now < not_after`? If not, the row becomes `cancelled` or `dropped` (logged)
   and nothing is sent. Otherwise the message is rendered from current data and the lease is
   renewed (again for the rest of the batch if sending becomes slow).
3. **Send** outside any transaction.
4. **Finish** (one transaction per row): compare-and-set on the claim token — `sent`; or for a
   passing Slack error back to `pending` with `due_at` pushed out by exponential backoff
   (`failed` once the attempts are used up); or for a permanent error
   (`MessagingError.permanent`) `failed` at once. When an interviewer cannot be reached, a notice
   to the loop's recruiter is written to the outbox in that same transaction, so it is delivered
   (and retried) like any other reminder.

A process that dies after claiming leaves rows `claimed`; once their lease has passed another
dispatcher (or the same one after a restart) claims them again. The only window for a duplicate
is a process dying after Slack accepted a message and before step 4 committed.
"""

from __future__ import annotations

import functools
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, CursorResult, Engine
from sqlmodel import Session, col, select

from bot.logging_setup import log_context
from bot.ports import MessagingError, MessagingPort
from bot.reminders import render
from bot.reminders.outbox import (
    REMINDER,
    STEP_UNANSWERED,
    STEP_UNREACHABLE,
    PlannedReminder,
    unreachable_key,
    write_reminder,
)
from storage.models import (
    Candidate,
    Interviewer,
    InterviewerRequest,
    InterviewSession,
    Loop,
    LoopState,
    LoopTemplate,
    OrgSettings,
    Reminder,
    ReminderKind,
    ReminderState,
    RequestState,
    SessionState,
)
from storage.repo import audit
from storage.types import utcnow

log = logging.getLogger(__name__)

REQUEST: sa.Table = InterviewerRequest.__table__  # type: ignore[attr-defined]

DEFAULT_LEASE = timedelta(minutes=5)
REPLACE_IF_MORE_THAN = timedelta(hours=24)
NO_SLACK_USER = "no_slack_user"
LEAD_TOLERANCE = timedelta(minutes=10)
FAR_FUTURE = datetime.max.replace(tzinfo=UTC)
_SERIES = {  # reminders of one request that supersede each other when due together
    ReminderKind.SESSION_REMINDER: "before-session",
    ReminderKind.CONFIRM_NUDGE: "follow-up",
    ReminderKind.CONFIRM_ESCALATION: "follow-up",
}

Clock = Callable[[], datetime]


class UnansweredRequestHandler(Protocol):
    """Implemented by the scheduling service; called for a request still silent after nudges."""

    def replace_unresponsive(self, request_id: int) -> bool:
        """Withdraw the request and ask someone else from the pool; True if a replacement was
        asked (the dispatcher then tells no one), False if none could be (the recruiter is DMed).
        """
        ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Backoff for passing Slack errors: `base · 2^(attempt-1)`, at most `cap`."""

    max_attempts: int = 6
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(minutes=30)

    def delay(self, attempts: int) -> timedelta:
        delay: timedelta = self.base * (2 ** max(0, attempts - 1))
        return min(self.cap, delay)


@dataclass
class TickResult:
    claimed: int = 0
    sent: int = 0
    replaced: int = 0  # escalations handed to the replacement handler
    dropped: int = 0
    cancelled: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0  # claim lost or lease expired before the row was reached

    @property
    def busy(self) -> bool:
        return self.claimed > 0


@dataclass(frozen=True, slots=True)
class _Close:
    state: ReminderState
    reason: str


@dataclass(frozen=True, slots=True)
class _Delivery:
    reminder_id: int
    kind: ReminderKind
    target: str
    message: render.Message
    attempts: int
    payload: dict[str, Any]
    loop_id: int | None
    short_id: str | None
    request_id: int | None
    # Whom to tell when `target` cannot be reached (None when the target is the recruiter).
    recruiter: str | None = None
    target_name: str | None = None
    what: str = "a reminder"
    # Escalation step: ask the handler for a replacement first; `message` is the fallback.
    replace_request_id: int | None = None
    lease_until: datetime = FAR_FUTURE


@dataclass
class _Batch:
    """What `_preload` fetched for one claimed batch."""

    keep: list[Any] = field(default_factory=list)  # strong refs: the identity map is weak
    org_timezone: str | None = None
    latest_due: dict[tuple[int, str], datetime] = field(default_factory=dict)  # (request, series)


@dataclass
class _Facts:
    row: Reminder
    payload: dict[str, Any]
    loop: Loop | None = None
    candidate: Candidate | None = None
    interview: InterviewSession | None = None
    request: InterviewerRequest | None = None
    interviewer: Interviewer | None = None
    org_timezone: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def candidate_name(self) -> str:
        if self.candidate is None:
            return "the candidate"
        return self.candidate.name or self.candidate.email

    @property
    def interviewer_zone(self) -> str | None:
        if self.interviewer is not None and self.interviewer.timezone:
            return self.interviewer.timezone
        return self.org_timezone

    @property
    def interviewer_name(self) -> str | None:
        if self.interviewer is None:
            return None
        return self.interviewer.name or self.interviewer.email

    @property
    def interviewer_target(self) -> str:
        if self.interviewer is not None and self.interviewer.slack_id:
            return self.interviewer.slack_id
        return self.row.target_slack_id


def default_worker_id() -> str:
    """`host:pid`, which tells operators which replica holds a claim."""
    return f"{socket.gethostname()}:{os.getpid()}"


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


@contextmanager
def _unit(connection: Connection) -> Iterator[Session]:
    """One short transaction on the tick's connection: commit on success, roll back on error."""
    with Session(bind=connection, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _cas(
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


class ReminderDispatcher:
    """Claims due reminders, re-checks them, sends them through `messenger`, records the result.

    `now` is the only clock used (inject one in tests). Safe to run in several processes on one
    database; one instance must not run two ticks at once (the scheduler guarantees that).
    """

    def __init__(
        self,
        engine: Engine,
        messenger: MessagingPort,
        *,
        worker_id: str | None = None,
        handler: UnansweredRequestHandler | None = None,
        now: Clock = utcnow,
        lease: timedelta = DEFAULT_LEASE,
        batch_size: int = 50,
        max_batches: int = 200,
        retry: RetryPolicy | None = None,
        replace_if_more_than: timedelta = REPLACE_IF_MORE_THAN,
    ) -> None:
        self.engine = engine
        self.messenger = messenger
        self.worker_id = (worker_id or default_worker_id())[:80]
        self.handler = handler
        self.now = now
        self.lease = lease
        self.batch_size = batch_size
        self.max_batches = max_batches
        self.retry = retry or RetryPolicy()
        self.replace_if_more_than = replace_if_more_than
        self._connection: Connection | None = None
        self._lock = threading.Lock()
        self._closing = False

    # ------------------------------------------------------------ tick

    def tick(self) -> TickResult:
        """Claim and handle everything due now, in batches; returns what happened.

        Each step is its own short transaction on the dispatcher's connection, which is kept
        between ticks (an idle tick is then two statements, no pool checkout or pre-ping). Every
        transaction on it still starts with SQLite's `BEGIN IMMEDIATE` (the engine's default for
        writers). Any database error drops the connection; the next tick opens a new one, and
        rows claimed meanwhile come back when their lease runs out.
        """
        result = TickResult()
        token = f"{self.worker_id}#{secrets.token_hex(4)}"
        with self._lock:
            try:
                connection = self._connect()
                for _ in range(self.max_batches):
                    ids = claim_due(
                        connection,
                        token=token,
                        now=self.now(),
                        lease=self.lease,
                        limit=self.batch_size,
                    )
                    if not ids:  # (rows written meanwhile, e.g. notices, go out this tick)
                        break
                    result.claimed += len(ids)
                    self._handle_batch(connection, ids, token, result)
            except sa.exc.DBAPIError:
                log.exception("reminder dispatch: database error; tick stopped")
                self._disconnect()
            if self._closing:
                self._disconnect()
        return self._report(result)

    def _connect(self) -> Connection:
        if self._connection is None or self._connection.closed or self._connection.invalidated:
            self._connection = self.engine.connect()
        return self._connection

    def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except sa.exc.DBAPIError:  # pragma: no cover - already broken
                log.debug("closing a broken connection failed", exc_info=True)

    def close(self) -> None:
        """Release the connection kept between ticks (the scheduler does it on shutdown).

        Never waits for a running tick: that tick releases the connection when it ends.
        """
        self._closing = True
        if self._lock.acquire(blocking=False):
            try:
                self._disconnect()
            finally:
                self._lock.release()

    @staticmethod
    def _report(result: TickResult) -> TickResult:
        if result.busy:
            log.info(
                "reminder tick: claimed=%d sent=%d replaced=%d dropped=%d cancelled=%d "
                "retried=%d failed=%d skipped=%d",
                result.claimed,
                result.sent,
                result.replaced,
                result.dropped,
                result.cancelled,
                result.retried,
                result.failed,
                result.skipped,
            )
        return result

    def _handle_batch(
        self, connection: Connection, ids: Sequence[int], token: str, result: TickResult
    ) -> None:
        """Re-check a claimed batch in one transaction, then send each row and record it."""
        with _unit(connection) as session:
            batch = self._preload(session, ids, self.now())
            decisions = [self._prepare(session, reminder_id, token, batch) for reminder_id in ids]
        deadline = min(
            (item.lease_until for item in decisions if isinstance(item, _Delivery)),
            default=FAR_FUTURE,
        )
        held = {item.reminder_id for item in decisions if isinstance(item, _Delivery)}
        for reminder_id, decision in zip(ids, decisions, strict=True):
            if decision is None:
                result.skipped += 1
                continue
            if isinstance(decision, _Close):
                if decision.state == ReminderState.DROPPED:
                    result.dropped += 1
                elif decision.state == ReminderState.CANCELLED:
                    result.cancelled += 1
                else:
                    result.failed += 1
                continue
            if self.now() >= deadline - self.lease / 2:  # a slow batch: keep the rest ours
                held, deadline = self._renew(connection, held, token)
            if reminder_id not in held:
                log.warning("reminder %s: claim lost before sending", reminder_id)
                result.skipped += 1
                continue
            held.discard(reminder_id)
            try:
                with self._context(decision):
                    self._deliver(connection, decision, token, result)
            except sa.exc.DBAPIError:
                raise
            except Exception:
                log.exception("reminder %s: unexpected error; retried after the lease", reminder_id)
                result.skipped += 1

    def _renew(
        self, connection: Connection, ids: set[int], token: str
    ) -> tuple[set[int], datetime]:
        """Extend the lease of the batch's unsent rows; returns those still ours."""
        now = self.now()
        if not ids:
            return ids, now + self.lease
        statement = (
            sa.update(REMINDER)
            .where(
                REMINDER.c.id.in_(sorted(ids)),
                REMINDER.c.claimed_by == token,
                REMINDER.c.state == ReminderState.CLAIMED,
            )
            .values(lease_until=now + self.lease)
            .returning(REMINDER.c.id)
        )
        with connection.begin():
            kept = {row.id for row in connection.execute(statement)}
        return kept, now + self.lease

    @contextmanager
    def _context(self, delivery: _Delivery) -> Iterator[None]:
        with log_context(
            loop=delivery.short_id, request=delivery.request_id, user=delivery.target or None
        ):
            yield

    # ------------------------------------------------------------ step 2: re-check

    def _prepare(
        self, session: Session, reminder_id: int, token: str, batch: _Batch
    ) -> _Delivery | _Close | None:
        now = self.now()
        row = session.get(Reminder, reminder_id)
        if row is None or row.state != ReminderState.CLAIMED or row.claimed_by != token:
            return None
        if row.lease_until is None or row.lease_until <= now:
            log.warning("reminder %s: lease ran out before it was handled", reminder_id)
            return None
        try:
            facts = self._facts(session, row, batch)
            if row.attempts > self.retry.max_attempts:
                verdict: _Delivery | _Close = _Close(
                    ReminderState.FAILED,
                    f"gave up: claimed {row.attempts} times without finishing",
                )
            else:
                verdict = self._judge(facts, now)
        except sa.exc.DBAPIError:
            raise
        except Exception:  # a bug in rendering: retried after the lease, failed after max_attempts
            log.exception("reminder %s: could not be prepared", reminder_id)
            return None
        if isinstance(verdict, _Close):
            closed = _cas(
                session,
                reminder_id,
                token,
                expected=[ReminderState.CLAIMED],
                values={
                    "state": verdict.state,
                    "last_error": verdict.reason,
                    "lease_until": None,
                },
            )
            if not closed:
                return None
            short_id = facts.loop.short_id if facts.loop else None
            with log_context(loop=short_id, request=row.request_id):
                level = logging.ERROR if verdict.state == ReminderState.FAILED else logging.INFO
                log.log(
                    level,
                    "reminder %s (%s) %s: %s",
                    reminder_id,
                    row.kind.value,
                    verdict.state.value,
                    verdict.reason,
                )
            return verdict
        lease_until = now + self.lease
        renewed = _cas(
            session,
            reminder_id,
            token,
            expected=[ReminderState.CLAIMED],
            values={"lease_until": lease_until},
        )
        return replace(verdict, lease_until=lease_until) if renewed else None

    def _preload(self, session: Session, ids: Sequence[int], now: datetime) -> _Batch:
        """Load everything a batch needs with one query per table (then `get` hits the map)."""
        batch = _Batch()
        rows = list(session.exec(select(Reminder).where(col(Reminder.id).in_(ids))))
        batch.keep.extend(rows)

        def load(model: Any, wanted: set[int]) -> list[Any]:
            wanted.discard(0)
            if not wanted:
                return []
            found = list(session.exec(select(model).where(model.id.in_(sorted(wanted)))))
            batch.keep.extend(found)
            return found

        loops = load(Loop, {row.loop_id or 0 for row in rows})
        load(Candidate, {loop.candidate_id for loop in loops})
        load(InterviewSession, {row.session_id or 0 for row in rows})
        requests = load(InterviewerRequest, {row.request_id or 0 for row in rows})
        interviewers = {request.interviewer_id for request in requests}
        for row in rows:
            candidate = (row.payload or {}).get("interviewer_id")
            if isinstance(candidate, int):
                interviewers.add(candidate)
        load(Interviewer, interviewers)
        org = session.exec(select(OrgSettings).order_by(col(OrgSettings.id))).first()
        batch.org_timezone = org.timezone if org is not None else None
        # After downtime the 24 h and the 1 h reminder (or both nudges and the escalation) can
        # all be due at once: only the last of each request's series is acted on.
        series = {
            row.request_id for row in rows if row.kind in _SERIES and row.request_id is not None
        }
        if series:
            due = session.exec(
                select(Reminder.request_id, Reminder.kind, Reminder.due_at).where(
                    col(Reminder.request_id).in_(sorted(series)),
                    col(Reminder.kind).in_(list(_SERIES)),
                    col(Reminder.state).in_(
                        [ReminderState.PENDING, ReminderState.CLAIMED, ReminderState.SENT]
                    ),
                    col(Reminder.due_at) <= now,
                )
            )
            for request_id, kind, due_at in due:
                if request_id is None:
                    continue
                key = (request_id, _SERIES[ReminderKind(kind)])
                latest = batch.latest_due.get(key)
                batch.latest_due[key] = due_at if latest is None else max(latest, due_at)
        return batch

    def _facts(self, session: Session, row: Reminder, batch: _Batch) -> _Facts:
        facts = _Facts(row=row, payload=dict(row.payload or {}), org_timezone=batch.org_timezone)
        if row.loop_id is not None:
            facts.loop = session.get(Loop, row.loop_id)
        if facts.loop is not None:
            facts.candidate = session.get(Candidate, facts.loop.candidate_id)
        if row.session_id is not None:
            facts.interview = session.get(InterviewSession, row.session_id)
        if row.request_id is not None:
            facts.request = session.get(InterviewerRequest, row.request_id)
        interviewer_id = (
            facts.request.interviewer_id
            if facts.request is not None
            else facts.payload.get("interviewer_id")
        )
        if isinstance(interviewer_id, int):
            facts.interviewer = session.get(Interviewer, interviewer_id)
        if row.kind in _SERIES and row.request_id is not None:
            latest = batch.latest_due.get((row.request_id, _SERIES[row.kind]))
            facts.extra["superseded"] = latest is not None and latest > row.due_at
        if row.kind == ReminderKind.LOOP_FINISHED and facts.loop is not None:
            facts.extra["sessions"] = self._loop_sessions(session, facts.loop)
            template = session.exec(
                select(LoopTemplate).where(LoopTemplate.key == facts.loop.template_key)
            ).first()
            facts.extra["title"] = template.title if template is not None else None
        return facts

    @staticmethod
    def _loop_sessions(session: Session, loop: Loop) -> list[render.SessionLine]:
        sessions = list(
            session.exec(
                select(InterviewSession)
                .where(
                    InterviewSession.loop_id == loop.id,
                    InterviewSession.state != SessionState.CANCELLED,
                )
                .order_by(col(InterviewSession.start), col(InterviewSession.position))
            )
        )
        names: dict[int, list[str]] = {}
        if sessions:
            rows = session.exec(
                select(InterviewerRequest, Interviewer)
                .join(Interviewer, col(Interviewer.id) == col(InterviewerRequest.interviewer_id))
                .where(
                    col(InterviewerRequest.session_id).in_([item.id for item in sessions]),
                    InterviewerRequest.state == RequestState.CONFIRMED,
                )
                .order_by(col(InterviewerRequest.id))
            )
            for request, interviewer in rows:
                names.setdefault(request.session_id, []).append(
                    interviewer.name or interviewer.email
                )
        return [
            render.SessionLine(
                stage_title=item.title,
                start=item.start,
                end=item.end,
                interviewers=tuple(names.get(item.id or -1, ())),
            )
            for item in sessions
        ]

    def _judge(self, facts: _Facts, now: datetime) -> _Delivery | _Close:
        row = facts.row
        loop = facts.loop
        if loop is None:
            return _Close(ReminderState.CANCELLED, "loop no longer exists")
        if loop.state == LoopState.CANCELLED:
            return _Close(ReminderState.CANCELLED, "loop cancelled")
        if row.session_id is not None:
            if facts.interview is None:
                return _Close(ReminderState.CANCELLED, "session no longer exists")
            if facts.interview.state == SessionState.CANCELLED:
                return _Close(ReminderState.CANCELLED, "session cancelled")
        kind = row.kind
        if kind == ReminderKind.SESSION_REMINDER:
            return self._judge_session_reminder(facts, now)
        if kind == ReminderKind.CONFIRM_NUDGE:
            return self._judge_request_step(facts, now)
        if kind == ReminderKind.CONFIRM_ESCALATION:
            if facts.payload.get("step") == STEP_UNREACHABLE:
                return self._unreachable_notice(facts)
            return self._judge_request_step(facts, now)
        if kind == ReminderKind.FEEDBACK_DUE:
            return self._judge_feedback(facts)
        if kind == ReminderKind.LOOP_FINISHED:
            return self._judge_loop_finished(facts)
        return _Close(ReminderState.FAILED, f"unknown reminder kind {kind!r}")

    @staticmethod
    def _moved(facts: _Facts, key: str, actual: datetime) -> bool:
        planned = facts.payload.get(key)
        if not isinstance(planned, str):
            return False
        return datetime.fromisoformat(planned) != actual

    def _delivery(
        self, facts: _Facts, target: str, message: render.Message, **extra: Any
    ) -> _Delivery:
        row = facts.row
        assert row.id is not None
        return _Delivery(
            reminder_id=row.id,
            kind=row.kind,
            target=target,
            message=message,
            attempts=row.attempts,
            payload=facts.payload,
            loop_id=row.loop_id,
            short_id=facts.loop.short_id if facts.loop else None,
            request_id=row.request_id,
            **extra,
        )

    def _to_interviewer(self, facts: _Facts, message: render.Message, what: str) -> _Delivery:
        assert facts.loop is not None
        return self._delivery(
            facts,
            facts.interviewer_target,
            message,
            recruiter=facts.loop.recruiter_slack_id,
            target_name=facts.interviewer_name,
            what=what,
        )

    def _judge_session_reminder(self, facts: _Facts, now: datetime) -> _Delivery | _Close:
        interview, request = facts.interview, facts.request
        if interview is None or request is None:
            return _Close(ReminderState.CANCELLED, "session or request no longer exists")
        if request.state != RequestState.CONFIRMED:
            return _Close(ReminderState.CANCELLED, f"request {request.state.value}")
        if self._moved(facts, "start", interview.start):
            return _Close(ReminderState.CANCELLED, "session moved")
        not_after = facts.row.not_after or interview.start
        if now >= not_after or now >= interview.start:
            return _Close(ReminderState.DROPPED, f"session began at {interview.start.isoformat()}")
        if facts.extra.get("superseded"):
            return _Close(ReminderState.DROPPED, "superseded by a later reminder also due")
        lead = interview.start - now
        offset = facts.payload.get("offset_minutes")
        if isinstance(offset, int) and abs(lead - timedelta(minutes=offset)) <= LEAD_TOLERANCE:
            lead = timedelta(minutes=offset)
        else:
            lead = timedelta(minutes=int(lead.total_seconds() // 60))
        message = render.session_reminder(
            short_id=facts.loop.short_id if facts.loop else "",
            candidate_name=facts.candidate_name,
            stage_title=interview.title,
            start=interview.start,
            end=interview.end,
            timezone=facts.interviewer_zone,
            prep=interview.prep,
            meet_link=interview.meet_link,
            lead=lead,
        )
        return self._to_interviewer(facts, message, f"a reminder about {interview.title}")

    def _judge_request_step(self, facts: _Facts, now: datetime) -> _Delivery | _Close:
        interview, request, loop = facts.interview, facts.request, facts.loop
        if interview is None or request is None or loop is None:
            return _Close(ReminderState.CANCELLED, "session or request no longer exists")
        if request.state != RequestState.PENDING:
            return _Close(ReminderState.CANCELLED, f"request {request.state.value}")
        if self._moved(facts, "start", interview.start):
            return _Close(ReminderState.CANCELLED, "session moved")
        not_after = facts.row.not_after or interview.start
        if now >= not_after or now >= interview.start:
            return _Close(ReminderState.DROPPED, f"session began at {interview.start.isoformat()}")
        if facts.row.kind == ReminderKind.CONFIRM_NUDGE:
            if facts.extra.get("superseded"):
                return _Close(ReminderState.DROPPED, "superseded by a later follow-up also due")
            number = facts.payload.get("nudge")
            message = render.confirm_nudge(
                short_id=loop.short_id,
                candidate_name=facts.candidate_name,
                stage_title=interview.title,
                start=interview.start,
                end=interview.end,
                timezone=facts.interviewer_zone,
                nudge_number=number if isinstance(number, int) else 1,
                request_id=request.id,
            )
            return self._to_interviewer(facts, message, f"a request to confirm {interview.title}")
        if facts.payload.get("step", STEP_UNANSWERED) != STEP_UNANSWERED:
            return _Close(ReminderState.FAILED, f"unknown escalation step {facts.payload!r}")
        replace = self.handler is not None and interview.start - now > self.replace_if_more_than
        nudges = facts.payload.get("nudges")
        message = render.unanswered_escalation(
            short_id=loop.short_id,
            interviewer_name=facts.interviewer_name,
            interviewer_slack_id=facts.interviewer_target or None,
            candidate_name=facts.candidate_name,
            stage_title=interview.title,
            start=interview.start,
            end=interview.end,
            timezone=facts.org_timezone,
            nudges=max(request.nudges_sent, nudges if isinstance(nudges, int) else 0),
            replacement_failed=replace,
        )
        return self._delivery(
            facts,
            facts.row.target_slack_id or loop.recruiter_slack_id,
            message,
            replace_request_id=request.id if replace else None,
        )

    def _judge_feedback(self, facts: _Facts) -> _Delivery | _Close:
        interview, request = facts.interview, facts.request
        if interview is None or request is None:
            return _Close(ReminderState.CANCELLED, "session or request no longer exists")
        if request.state != RequestState.CONFIRMED:
            return _Close(ReminderState.CANCELLED, f"request {request.state.value}")
        if self._moved(facts, "end", interview.end):
            return _Close(ReminderState.CANCELLED, "session moved")
        message = render.feedback_due(
            short_id=facts.loop.short_id if facts.loop else "",
            candidate_name=facts.candidate_name,
            stage_title=interview.title,
            start=interview.start,
            end=interview.end,
            timezone=facts.interviewer_zone,
        )
        return self._to_interviewer(facts, message, f"a feedback request for {interview.title}")

    def _judge_loop_finished(self, facts: _Facts) -> _Delivery | _Close:
        loop = facts.loop
        sessions: list[render.SessionLine] = facts.extra.get("sessions", [])
        if loop is None or not sessions:
            return _Close(ReminderState.CANCELLED, "loop has no sessions")
        if self._moved(facts, "end", max(line.end for line in sessions)):
            return _Close(ReminderState.CANCELLED, "loop changed")
        message = render.loop_finished(
            short_id=loop.short_id,
            candidate_name=facts.candidate_name,
            loop_title=facts.extra.get("title"),
            sessions=sessions,
            timezone=facts.org_timezone,
        )
        return self._delivery(facts, facts.row.target_slack_id, message)

    def _unreachable_notice(self, facts: _Facts) -> _Delivery:
        payload = facts.payload
        message = render.unreachable(
            short_id=facts.loop.short_id if facts.loop else None,
            who_name=_str_or_none(payload.get("who_name")),
            who_slack_id=_str_or_none(payload.get("who_slack_id")),
            what=str(payload.get("what") or "a reminder"),
            error=str(payload.get("error") or "unknown"),
        )
        return self._delivery(facts, facts.row.target_slack_id, message)

    # ------------------------------------------------------------ steps 3 and 4

    def _deliver(
        self, connection: Connection, delivery: _Delivery, token: str, result: TickResult
    ) -> None:
        if delivery.replace_request_id is not None and self.handler is not None:
            try:
                replaced = self.handler.replace_unresponsive(delivery.replace_request_id)
            except Exception:
                log.exception("replacement of request %s failed", delivery.replace_request_id)
                replaced = False
            if replaced:
                self._finish_sent(connection, delivery, token, outcome="replacement_requested")
                result.replaced += 1
                return
            if not self._still_pending(connection, delivery.replace_request_id):
                # The handler withdrew the request itself and told the recruiter: no second DM.
                self._finish_sent(connection, delivery, token, outcome="handled_by_service")
                result.replaced += 1
                return
        if not delivery.target:
            self._finish_failed(connection, delivery, token, NO_SLACK_USER)
            result.failed += 1
            return
        try:
            self.messenger.send_dm(delivery.target, delivery.message.text, delivery.message.blocks)
        except MessagingError as error:
            if error.permanent:
                self._finish_failed(connection, delivery, token, error.code)
                result.failed += 1
            elif self._finish_retry(connection, delivery, token, error.code):
                result.retried += 1
            else:
                result.failed += 1
        except Exception as error:  # connection refused, timeouts: urllib errors pass through
            if self._finish_retry(connection, delivery, token, f"{type(error).__name__}: {error}"):
                result.retried += 1
            else:
                result.failed += 1
        else:
            outcome = (
                "recruiter_notified" if delivery.kind == ReminderKind.CONFIRM_ESCALATION else None
            )
            self._finish_sent(connection, delivery, token, outcome=outcome)
            result.sent += 1

    @staticmethod
    def _still_pending(connection: Connection, request_id: int) -> bool:
        with _unit(connection) as session:
            request = session.get(InterviewerRequest, request_id)
            return request is not None and request.state == RequestState.PENDING

    def _finish_sent(
        self, connection: Connection, delivery: _Delivery, token: str, *, outcome: str | None
    ) -> None:
        now = self.now()
        values: dict[str, Any] = {"state": ReminderState.SENT, "sent_at": now, "lease_until": None}
        if outcome is not None:
            values["payload"] = {**delivery.payload, "outcome": outcome}
        with _unit(connection) as session:
            # A row cancelled while its message was on the way is still recorded as sent.
            won = _cas(
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

    def _finish_failed(
        self, connection: Connection, delivery: _Delivery, token: str, code: str
    ) -> None:
        now = self.now()
        with _unit(connection) as session:
            won = _cas(
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

    def _finish_retry(
        self, connection: Connection, delivery: _Delivery, token: str, error: str
    ) -> bool:
        """Put the row back for a later attempt; False (and failed) once attempts are used up."""
        if delivery.attempts >= self.retry.max_attempts:
            self._finish_failed(
                connection, delivery, token, f"gave up after {delivery.attempts} attempts: {error}"
            )
            return False
        delay = self.retry.delay(delivery.attempts)
        with _unit(connection) as session:
            _cas(
                session,
                delivery.reminder_id,
                token,
                expected=[ReminderState.CLAIMED],
                values={
                    "state": ReminderState.PENDING,
                    "due_at": self.now() + delay,
                    "claimed_by": None,
                    "lease_until": None,
                    "last_error": error[:2000],
                },
            )
        log.warning(
            "reminder %s: Slack error %s (attempt %d); retrying in %ss",
            delivery.reminder_id,
            error,
            delivery.attempts,
            int(delay.total_seconds()),
        )
        return True


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
