"""Two dispatchers on one database never send a reminder twice and never lose one; a crashed
sender's claim is taken over once its lease has passed. SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine

from bot.ports import MessageRef
from bot.reminders import TickResult, claim_due, plan_session_reminders
from integrations.sandbox.slack_api import FakeSlack
from integrations.slack.messenger import SlackMessenger
from storage.engine import make_engine, session_scope
from storage.models import ReminderKind, ReminderState
from tests.reminders.conftest import all_dms, dispatcher, dms, make_messenger, reminders
from tests.reminders.factory import SESSION_START, T0, Clock, make_wide_loop

COUNT = 300


def _many(engine: Engine, count: int) -> None:
    """One loop with `count` sessions, each with its own interviewer: one reminder per person."""
    with session_scope(engine) as session:
        rows = make_wide_loop(session, count)
        plan_session_reminders(rows.loop_id, session=session, offsets=[timedelta(hours=1)], now=T0)


def test_two_dispatchers_send_every_reminder_exactly_once(
    engine: Engine, database_url: str, fake_slack: FakeSlack
) -> None:
    _many(engine, COUNT)
    clock = Clock(SESSION_START - timedelta(minutes=30))  # all session reminders due
    barrier = threading.Barrier(2)
    results: dict[str, list[TickResult]] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def run(name: str) -> None:
        own_engine = make_engine(database_url)  # a separate process, as far as the DB can tell
        worker = dispatcher(
            own_engine, make_messenger(fake_slack), clock, worker_id=name, batch_size=10
        )
        try:
            barrier.wait()
            # Tick until every reminder is out, not until this worker's first empty claim: on a
            # loaded machine one thread may find every row claimed by the other for a moment.
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                result = worker.tick()
                results[name].append(result)
                if sum(r.sent for ticks in results.values() for r in ticks) >= COUNT:
                    break
                if result.claimed == 0:
                    time.sleep(0.005)  # let the other worker's batch finish
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            own_engine.dispose()

    threads = [threading.Thread(target=run, args=(name,)) for name in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    sent = all_dms(fake_slack)
    per_channel = Counter(call.args["channel"] for call in sent)
    assert len(per_channel) == COUNT  # nobody lost
    assert set(per_channel.values()) == {1}  # nobody doubled
    rows = [row for row in reminders(engine) if row.kind == ReminderKind.SESSION_REMINDER]
    assert {row.state for row in rows} == {ReminderState.SENT}
    assert all(row.attempts == 1 for row in rows)
    by_worker = {name: sum(r.sent for r in ticks) for name, ticks in results.items()}
    assert sum(by_worker.values()) == COUNT
    assert all(by_worker.values()), by_worker  # both really took part


def test_concurrent_claims_are_disjoint_and_complete(engine: Engine, database_url: str) -> None:
    _many(engine, COUNT)
    now = SESSION_START - timedelta(minutes=30)
    claimed: dict[str, list[int]] = {"a": [], "b": [], "c": []}
    barrier = threading.Barrier(len(claimed))

    def run(name: str) -> None:
        own_engine = make_engine(database_url)
        barrier.wait()
        while ids := claim_due(
            own_engine, token=name, now=now, lease=timedelta(minutes=5), limit=7
        ):
            claimed[name].extend(ids)
        own_engine.dispose()

    threads = [threading.Thread(target=run, args=(name,)) for name in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    every = [item for ids in claimed.values() for item in ids]
    assert len(every) == len(set(every)) == COUNT
    tokens = {row.id: row.claimed_by for row in reminders(engine) if row.id in set(every)}
    for name, ids in claimed.items():
        assert all(tokens[item] == name for item in ids)


def test_a_crashed_senders_claim_is_taken_over_after_its_lease(
    engine: Engine, fake_slack: FakeSlack
) -> None:
    _many(engine, 1)
    clock = Clock(SESSION_START - timedelta(minutes=59))
    (crashed,) = claim_due(
        engine, token="dead-host:1#0", now=clock(), lease=timedelta(minutes=5), limit=10
    )  # ... and the process dies before sending
    survivor = dispatcher(engine, make_messenger(fake_slack), clock, worker_id="alive")
    assert survivor.tick().claimed == 0  # the lease still protects the claim
    clock.advance(minutes=4, seconds=59)
    assert survivor.tick().claimed == 0
    clock.advance(seconds=2)
    assert survivor.tick().sent == 1
    assert survivor.tick().claimed == 0
    assert len(dms(fake_slack, "U1000")) == 1
    (row,) = [row for row in reminders(engine) if row.id == crashed]
    assert row.state == ReminderState.SENT
    assert row.attempts == 2
    assert (row.claimed_by or "").startswith("alive#")


def test_a_sender_whose_claim_was_taken_over_does_not_send(
    engine: Engine, fake_slack: FakeSlack
) -> None:
    _many(engine, 1)
    clock = Clock(SESSION_START - timedelta(minutes=59))
    lease = timedelta(minutes=5)
    ids = claim_due(engine, token="slow#1", now=clock(), lease=lease, limit=10)
    clock.advance(minutes=6)  # the slow sender stalls past its lease; another takes over
    assert claim_due(engine, token="other#1", now=clock(), lease=lease, limit=10) == ids
    slow = dispatcher(engine, make_messenger(fake_slack), clock, worker_id="slow")
    result = TickResult()
    with engine.connect() as connection:
        slow._handle_batch(connection, ids, "slow#1", result)
    assert (result.skipped, result.sent) == (1, 0)
    assert all_dms(fake_slack) == []
    clock.advance(minutes=6)  # ... and the other one died too: the row is still not lost
    assert dispatcher(engine, make_messenger(fake_slack), clock).tick().sent == 1
    assert len(dms(fake_slack, "U1000")) == 1


class SlowSlack:
    """The real messenger, but every DM takes three minutes of (controlled) time."""

    def __init__(self, inner: SlackMessenger, clock: Clock) -> None:
        self.inner = inner
        self.clock = clock

    def send_dm(
        self,
        user_id: str,
        text: str,
        blocks: Sequence[Mapping[str, object]] | None = None,
        **options: Any,
    ) -> MessageRef:
        self.clock.advance(minutes=3)
        return self.inner.send_dm(user_id, text, blocks, **options)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def test_a_slow_batch_renews_its_lease_and_nothing_is_sent_twice(
    engine: Engine, fake_slack: FakeSlack
) -> None:
    _many(engine, 4)
    clock = Clock(SESSION_START - timedelta(minutes=59))
    slow = dispatcher(
        engine,
        SlowSlack(make_messenger(fake_slack), clock),  # type: ignore[arg-type]
        clock,
        worker_id="slow",
        lease=timedelta(minutes=5),
    )
    rival = dispatcher(engine, make_messenger(fake_slack), clock, worker_id="rival")
    original_send = slow.messenger.send_dm
    rival_results: list[TickResult] = []

    def send_and_let_the_rival_try(
        user_id: str,
        text: str,
        blocks: Sequence[Mapping[str, object]] | None = None,
        **options: Any,
    ) -> MessageRef:
        ref = original_send(user_id, text, blocks, **options)
        rival_results.append(rival.tick())  # between two slow sends, minutes later
        return ref

    slow.messenger.send_dm = send_and_let_the_rival_try  # type: ignore[method-assign]
    assert slow.tick().sent == 4
    assert [result.claimed for result in rival_results] == [0, 0, 0, 0]
    per_channel = Counter(call.args["channel"] for call in all_dms(fake_slack))
    assert len(per_channel) == 4
    assert set(per_channel.values()) == {1}
