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
dispatcher (or the same one after a restart) claims them again. Each DM carries the reminder's
dedupe key in its `metadata`; a send whose answer was lost, and every later attempt of a row
(`attempts > 1`: an earlier one may have posted before dying), first looks for that key in the
DM's history, so a message Slack accepted is not posted again.

Code: this module runs the tick (`ReminderDispatcher`) and holds its public types; the SQL of
steps 1 and 4 is in `claims.py`, the step-2 data loading in `facts.py` and the step-2 rules in
`judge.py`.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from bot.logging_setup import log_context
from bot.ports import MessagingError, MessagingPort
from bot.reminders.claims import (
    cas,
    claim_rows,
    close_claimed,
    finish_failed,
    finish_sent,
    release_for_retry,
    renew_leases,
    still_pending,
    unit,
)
from bot.reminders.claims import claim_conditions as claim_conditions  # re-exported for callers
from bot.reminders.claims import claim_due as claim_due  # re-exported for callers
from bot.reminders.facts import Batch, gather_facts, preload
from bot.reminders.judge import FAR_FUTURE, Close, Delivery, judge
from bot.retry import RetryPolicy
from storage.models import Reminder, ReminderKind, ReminderState
from storage.types import utcnow

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(minutes=5)
REPLACE_IF_MORE_THAN = timedelta(hours=24)
NO_SLACK_USER = "no_slack_user"

Clock = Callable[[], datetime]


class UnansweredRequestHandler(Protocol):
    """Implemented by the scheduling service; called for a request still silent after nudges."""

    def replace_unresponsive(self, request_id: int) -> bool:
        """Withdraw the request and ask someone else from the pool; True if a replacement was
        asked (the dispatcher then tells no one), False if none could be (the recruiter is DMed).
        """
        ...


SEND_RETRY = RetryPolicy(initial_backoff=30, max_backoff=30 * 60, deadline=None, jitter=False)
"""Passing Slack errors: 30 s, 1 min, 2 min, … at most 30 min between attempts, 6 attempts."""


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


def default_worker_id() -> str:
    """`host:pid`, which tells operators which replica holds a claim."""
    return f"{socket.gethostname()}:{os.getpid()}"


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
        self.retry = retry or SEND_RETRY
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

    def deliver(self, ids: Sequence[int]) -> TickResult:
        """Send these reminders now if they are still pending and due, exactly as a tick would.

        For a notice its writer wants out at once: the row makes it durable, this makes it fast.
        A row someone else already claimed or sent is skipped (the outbox owns it).
        """
        result = TickResult()
        token = f"{self.worker_id}#{secrets.token_hex(4)}"
        with self._lock:
            try:
                connection = self._connect()
                got = claim_rows(connection, ids, token=token, now=self.now(), lease=self.lease)
                if got:
                    result.claimed += len(got)
                    self._handle_batch(connection, got, token, result)
            except sa.exc.DBAPIError:
                log.exception("reminder delivery: database error; the next tick retries")
            finally:
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
        with unit(connection) as session:
            batch = preload(session, ids, self.now())
            decisions = [self._prepare(session, reminder_id, token, batch) for reminder_id in ids]
        deadline = min(
            (item.lease_until for item in decisions if isinstance(item, Delivery)),
            default=FAR_FUTURE,
        )
        held = {item.reminder_id for item in decisions if isinstance(item, Delivery)}
        for reminder_id, decision in zip(ids, decisions, strict=True):
            if decision is None:
                result.skipped += 1
                continue
            if isinstance(decision, Close):
                if decision.state == ReminderState.DROPPED:
                    result.dropped += 1
                elif decision.state == ReminderState.CANCELLED:
                    result.cancelled += 1
                else:
                    result.failed += 1
                continue
            if self.now() >= deadline - self.lease / 2:  # a slow batch: keep the rest ours
                held, deadline = renew_leases(
                    connection, held, token, now=self.now(), lease=self.lease
                )
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

    @contextmanager
    def _context(self, delivery: Delivery) -> Iterator[None]:
        with log_context(
            loop=delivery.short_id, request=delivery.request_id, user=delivery.target or None
        ):
            yield

    # ------------------------------------------------------------ step 2: re-check

    def _prepare(
        self, session: Session, reminder_id: int, token: str, batch: Batch
    ) -> Delivery | Close | None:
        now = self.now()
        row = session.get(Reminder, reminder_id)
        if row is None or row.state != ReminderState.CLAIMED or row.claimed_by != token:
            return None
        if row.lease_until is None or row.lease_until <= now:
            log.warning("reminder %s: lease ran out before it was handled", reminder_id)
            return None
        try:
            facts = gather_facts(session, row, batch)
            if row.attempts > self.retry.max_attempts:
                verdict: Delivery | Close = Close(
                    ReminderState.FAILED,
                    f"gave up: claimed {row.attempts} times without finishing",
                )
            else:
                replace_if_more_than = None if self.handler is None else self.replace_if_more_than
                verdict = judge(facts, now, replace_if_more_than=replace_if_more_than)
        except sa.exc.DBAPIError:
            raise
        except Exception:  # a bug in rendering: retried after the lease, failed after max_attempts
            log.exception("reminder %s: could not be prepared", reminder_id)
            return None
        if isinstance(verdict, Close):
            short_id = facts.loop.short_id if facts.loop else None
            closed = close_claimed(session, row, token, verdict, short_id=short_id)
            return verdict if closed else None
        lease_until = now + self.lease
        renewed = cas(
            session,
            reminder_id,
            token,
            expected=[ReminderState.CLAIMED],
            values={"lease_until": lease_until},
        )
        return replace(verdict, lease_until=lease_until) if renewed else None

    # ------------------------------------------------------------ steps 3 and 4

    def _deliver(
        self, connection: Connection, delivery: Delivery, token: str, result: TickResult
    ) -> None:
        if delivery.replace_request_id is not None and self.handler is not None:
            try:
                replaced = self.handler.replace_unresponsive(delivery.replace_request_id)
            except Exception:
                log.exception("replacement of request %s failed", delivery.replace_request_id)
                replaced = False
            if replaced:
                finish_sent(
                    connection, delivery, token, now=self.now(), outcome="replacement_requested"
                )
                result.replaced += 1
                return
            if not still_pending(connection, delivery.replace_request_id):
                # The handler withdrew the request itself and told the recruiter: no second DM.
                finish_sent(
                    connection, delivery, token, now=self.now(), outcome="handled_by_service"
                )
                result.replaced += 1
                return
        if not delivery.target:
            finish_failed(connection, delivery, token, NO_SLACK_USER, now=self.now())
            result.failed += 1
            return
        try:
            self.messenger.send_dm(
                delivery.target,
                delivery.message.text,
                delivery.message.blocks,
                key=f"reminder:{delivery.dedupe_key or delivery.reminder_id}",
                # an earlier claim of this row may have posted it before dying or losing the answer
                check_first=delivery.attempts > 1,
                attempts=1,  # later attempts come from this outbox, with backoff
            )
        except MessagingError as error:
            if error.permanent:
                finish_failed(connection, delivery, token, error.code, now=self.now())
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
            finish_sent(connection, delivery, token, now=self.now(), outcome=outcome)
            result.sent += 1

    def _finish_retry(
        self, connection: Connection, delivery: Delivery, token: str, error: str
    ) -> bool:
        """Put the row back for a later attempt; False (and failed) once attempts are used up."""
        if delivery.attempts >= self.retry.max_attempts:
            finish_failed(
                connection,
                delivery,
                token,
                f"gave up after {delivery.attempts} attempts: {error}",
                now=self.now(),
            )
            return False
        delay = self.retry.delay(delivery.attempts)
        release_for_retry(connection, delivery, token, error, due_at=self.now() + delay)
        log.warning(
            "reminder %s: Slack error %s (attempt %d); retrying in %ss",
            delivery.reminder_id,
            error,
            delivery.attempts,
            int(delay.total_seconds()),
        )
        return True


def send_now(
    engine: Engine,
    messenger: MessagingPort,
    clock: Callable[[], datetime],
    ids: Sequence[int],
) -> None:
    """Send these outbox rows at once (a notice its writer wants out now); `Services.send_outbox`.

    A short-lived dispatcher whose connection is released at the end; a row another sender
    already claimed or sent is skipped, so this never doubles what a tick does.
    """
    dispatcher = ReminderDispatcher(engine, messenger, now=clock)
    try:
        dispatcher.deliver(ids)
    finally:
        dispatcher.close()
