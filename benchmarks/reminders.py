"""Reminder dispatch: the cost of an idle tick over a big outbox, and delivery throughput.

For each database (a temporary SQLite file; also PostgreSQL when TEST_DATABASE_URL is set, in a
temporary schema), migrated with Alembic:

1. Idle tick: 10,000 pending reminders, none due (spread over 30 days), plus 10,000
   already sent (history). `ReminderDispatcher.tick()` is timed `--ticks` times; nothing is
   claimed. The claim's inner SELECT is EXPLAINed to show it walks `ix_reminder_due`.
2. Throughput: 1,000 interviewers with a session each and a due 1 h reminder (on top of the
   10,000 idle rows). Timed from the first tick until every reminder is `sent`, through the
   real `SlackMessenger` + `WebClient` against FakeSlack in this process (each DM is two HTTP
   calls: `conversations.open` and `chat.postMessage`). Once with one dispatcher and once with
   two dispatchers (threads, separate engines) sharing the work; every reminder must be sent
   exactly once.

    .venv/bin/python benchmarks/reminders.py [--pending 10000] [--ticks 300] [--due 1000]

Prints a markdown report on stdout. Target (issue 6): idle tick under 20 ms (p95). Exit 1 if
the target is missed, the index is not used, or a reminder is lost or doubled.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.reminders import ReminderDispatcher, plan_session_reminders  # noqa: E402
from bot.reminders.dispatcher import claim_conditions  # noqa: E402
from bot.reminders.outbox import REMINDER  # noqa: E402
from integrations.sandbox.slack_api import FakeSlack  # noqa: E402
from integrations.slack.messenger import SlackMessenger, make_web_client  # noqa: E402
from storage.engine import make_engine, session_scope  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import ReminderKind, ReminderState  # noqa: E402
from tests.reminders.factory import Clock, make_wide_loop  # noqa: E402

IDLE_TARGET_MS = 20.0
START = datetime(2026, 12, 8, 14, 0, tzinfo=UTC)


@dataclass
class Report:
    database: str
    idle_p50: float
    idle_p95: float
    idle_max: float
    plan: str
    index_used: bool
    one_worker: float
    two_workers: float
    two_split: str


@contextmanager
def database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite:///{directory}/bench.db"
        return
    base = os.environ["TEST_DATABASE_URL"]
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        separator = "&" if "?" in base else "?"
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def fill_idle(engine: Engine, pending: int, now: datetime) -> None:
    """`pending` reminders due over 30 days from a day after START (never due in this run)
    and as many already sent ones (history), inserted in bulk."""
    rows = []
    for index in range(pending):
        due = START + timedelta(days=1, minutes=(index * 30 * 24 * 60) // pending)
        common = {"target_slack_id": f"U{index:07d}", "loop_id": None, "payload": None}
        rows.append(
            {
                **common,
                "kind": ReminderKind.SESSION_REMINDER,
                "dedupe_key": f"idle:{index}",
                "due_at": due,
                "not_after": due + timedelta(hours=1),
                "state": ReminderState.PENDING,
                "attempts": 0,
                "created_at": now,
                "sent_at": None,
            }
        )
        rows.append(
            {
                **common,
                "kind": ReminderKind.FEEDBACK_DUE,
                "dedupe_key": f"history:{index}",
                "due_at": now - timedelta(minutes=5 + index),
                "not_after": None,
                "state": ReminderState.SENT,
                "attempts": 1,
                "created_at": now - timedelta(days=30),
                "sent_at": now - timedelta(minutes=5 + index),
            }
        )
    with engine.begin() as connection:
        for offset in range(0, len(rows), 2000):
            connection.execute(sa.insert(REMINDER), rows[offset : offset + 2000])
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("ANALYZE reminder")
        else:
            connection.exec_driver_sql("ANALYZE")


def explain_claim(engine: Engine, now: datetime) -> tuple[str, bool]:
    """EXPLAIN the claim's two inner SELECTs; True if both use ix_reminder_due."""
    picked = REMINDER.alias("picked")
    plans = []
    for condition in claim_conditions(picked, now):
        query = sa.select(picked.c.id).where(condition).order_by(picked.c.due_at).limit(50)
        compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                rows = connection.exec_driver_sql(f"EXPLAIN {compiled}")
                lines = [str(row[0]) for row in rows]
            else:
                rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")
                lines = [str(row[-1]) for row in rows]
        plans.append(" / ".join(line.strip() for line in lines))
    return " ‖ ".join(plans), all("ix_reminder_due" in plan for plan in plans)


def messenger(fake: FakeSlack) -> SlackMessenger:
    return SlackMessenger(make_web_client(fake.bot_token, fake.url, max_retries=0))


def idle_ticks(engine: Engine, fake: FakeSlack, count: int, now: datetime) -> list[float]:
    worker = ReminderDispatcher(engine, messenger(fake), worker_id="bench", now=lambda: now)
    worker.tick()  # warm-up (statement cache, first connection)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        result = worker.tick()
        times.append((time.perf_counter() - started) * 1000)
        assert result.claimed == 0, result
    worker.close()
    return times


def plan_due(engine: Engine, count: int) -> None:
    with session_scope(engine) as session:
        rows = make_wide_loop(session, count, start=START)
        plan_session_reminders(
            rows.loop_id,
            session=session,
            offsets=[timedelta(hours=1)],
            now=START - timedelta(days=2),
        )


def dispatch_all(url: str, fake: FakeSlack, workers: int, clock: Clock) -> tuple[float, list[int]]:
    barrier = threading.Barrier(workers + 1)
    sent = [0] * workers
    errors: list[BaseException] = []

    def run(index: int) -> None:
        engine = make_engine(url)
        worker = ReminderDispatcher(engine, messenger(fake), worker_id=f"w{index}", now=clock)
        try:
            barrier.wait()
            while (result := worker.tick()).claimed:
                sent[index] += result.sent
        except BaseException as error:
            errors.append(error)
        finally:
            worker.close()
            engine.dispose()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(workers)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return elapsed, sent


def check_exactly_once(fake: FakeSlack, count: int) -> None:
    channels = Counter(call.args["channel"] for call in fake.calls("chat.postMessage") if call.ok)
    if len(channels) != count or set(channels.values()) != {1}:
        raise SystemExit(
            f"lost or doubled reminders: {len(channels)} channels, {channels.most_common(3)}"
        )


def reset_due(engine: Engine) -> None:
    """Put the due reminders back to pending for the next throughput run."""
    with engine.begin() as connection:
        connection.execute(
            sa.update(REMINDER)
            .where(
                REMINDER.c.kind == ReminderKind.SESSION_REMINDER,
                REMINDER.c.state == ReminderState.SENT,
            )
            .values(
                state=ReminderState.PENDING,
                claimed_by=None,
                lease_until=None,
                sent_at=None,
                attempts=0,
            )
        )


def bench(kind: str, args: argparse.Namespace) -> Report:
    with database(kind) as url, FakeSlack() as fake:
        upgrade(url)
        engine = make_engine(url)
        now = START - timedelta(days=3)
        fill_idle(engine, args.pending, now)
        plan, used = explain_claim(engine, now)
        times = sorted(idle_ticks(engine, fake, args.ticks, now))
        plan_due(engine, args.due)
        clock = Clock(START - timedelta(minutes=30))
        one, _ = dispatch_all(url, fake, 1, clock)
        check_exactly_once(fake, args.due)
        reset_due(engine)
        fake.reset()
        two, split = dispatch_all(url, fake, 2, clock)
        check_exactly_once(fake, args.due)
        engine.dispose()
    return Report(
        database=kind,
        idle_p50=statistics.median(times),
        idle_p95=times[int(len(times) * 0.95) - 1],
        idle_max=times[-1],
        plan=plan,
        index_used=used,
        one_worker=args.due / one,
        two_workers=args.due / two,
        two_split=" + ".join(str(part) for part in split),
    )


def machine() -> str:
    model = "unknown CPU"
    try:
        output = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in output.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores, {model}; Python {platform.python_version()}; "
        f"SQLite {sqlite3.sqlite_version}"
    )


def postgres_version() -> str:
    engine = make_engine(os.environ["TEST_DATABASE_URL"])
    try:
        with engine.connect() as connection:
            return str(connection.exec_driver_sql("SHOW server_version").scalar())
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pending", type=int, default=10_000)
    parser.add_argument("--ticks", type=int, default=300)
    parser.add_argument("--due", type=int, default=1_000)
    args = parser.parse_args()
    kinds = ["sqlite"]
    if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        kinds.append("postgres")
    reports = [bench(kind, args) for kind in kinds]

    print(
        f"Machine: {machine()}" + (f"; PostgreSQL {postgres_version()}" if len(kinds) > 1 else "")
    )
    print()
    print(
        f"| database | idle tick p50 | idle tick p95 | idle tick max | "
        f"{args.due} due, 1 dispatcher | {args.due} due, 2 dispatchers |"
    )
    print("|---|---|---|---|---|---|")
    for report in reports:
        print(
            f"| {report.database} | {report.idle_p50:.2f} ms | {report.idle_p95:.2f} ms | "
            f"{report.idle_max:.2f} ms | {report.one_worker:.0f} reminders/s | "
            f"{report.two_workers:.0f} reminders/s ({report.two_split}) |"
        )
    print()
    print(
        f"Idle tick: {args.pending:,} pending (none due) + {args.pending:,} sent rows, "
        f"{args.ticks} ticks. Throughput: real SlackMessenger/WebClient against in-process "
        "FakeSlack, 2 HTTP calls per DM; every reminder sent exactly once."
    )
    print()
    for report in reports:
        print(f"- {report.database} claim plan: `{report.plan}`")
    failed = [r.database for r in reports if r.idle_p95 >= IDLE_TARGET_MS or not r.index_used]
    if failed:
        print(f"\nTARGET MISSED (idle p95 < {IDLE_TARGET_MS} ms using ix_reminder_due): {failed}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
