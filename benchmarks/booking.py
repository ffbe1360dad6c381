"""Booking under load: 200 loops booked concurrently by 2 replica processes on PostgreSQL.

Setup (in a temporary PostgreSQL schema, migrated with Alembic): the test org, and `--loops`
loops in PENDING, each with three sessions (code review, a design panel of two, a retro): four
pending interviewer requests per loop. FakeCalendar answers every Calendar API request after
`--latency` seconds (default 50 ms); FakeSlack takes the DMs.

Run: two replica processes (multiprocessing `spawn`, each with its own engine, Slack and
Google clients, `--threads` threads) confirm the requests; the requests of every loop are split
between the two replicas, so the last two confirms of a loop usually race on different
processes. Each confirm runs the real service (`answers.confirm`): row-locked decision, insert
intents, the intent worker inline. Afterwards each replica runs the worker once more.

Reported: loops/s (loops booked / time from the first confirm to the last loop booked);
p50/p95 from a loop's last confirm to all its events created (`loop.booked`); and the number of
inconsistencies the invariant check finds (`tests/consistency/helpers.py`; must be 0).

    TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/booking.py [--loops 200] [--threads 4] [--latency 0.05]

Exit 1 if any loop is not booked exactly once or an inconsistency is found.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlmodel import col, select  # noqa: E402

from bot.org import parse_org  # noqa: E402
from bot.org.sync import sync_org  # noqa: E402
from integrations.sandbox.google_calendar import FakeCalendar  # noqa: E402
from integrations.sandbox.slack_api import FakeSlack  # noqa: E402
from storage.engine import make_engine, session_scope  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import (  # noqa: E402
    AuditLog,
    Candidate,
    Interviewer,
    InterviewerRequest,
    InterviewSession,
    Loop,
    LoopState,
)
from tests.consistency.helpers import inconsistencies  # noqa: E402
from tests.consistency.replica import ReplicaConfig, build  # noqa: E402
from tests.slack.conftest import ORGANIZER, org_data  # noqa: E402

START = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
STAGES = [
    ("code-review", "Code review", 1),
    ("design-discussion", "Design", 2),
    ("retro", "Retro", 1),
]


@contextmanager
def temporary_schema() -> Iterator[str]:
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        sys.exit("set TEST_DATABASE_URL to a PostgreSQL URL (the benchmark is PostgreSQL only)")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def seed(url: str, loops: int) -> list[list[tuple[int, str]]]:
    """The org and `loops` PENDING loops; returns each loop's (request id, Slack id) list."""
    engine = make_engine(url)
    plan: list[list[tuple[int, str]]] = []
    with session_scope(engine) as session:
        sync_org(parse_org(org_data()), session=session)
        people = session.exec(select(Interviewer).order_by(col(Interviewer.id))).all()
        pools: dict[str, list[Interviewer]] = {}
        for person in people:
            for pool in ("code-review", "design-discussion", "retro"):
                if (
                    person.email.split("@")[0]
                    in {
                        "code-review": ("ana", "ben"),
                        "design-discussion": ("chi", "dan", "eva"),
                        "retro": ("fay", "gus"),
                    }[pool]
                ):
                    pools.setdefault(pool, []).append(person)
        for index in range(loops):
            candidate = Candidate(email=f"bench{index}@cand.example", name=f"Candidate {index}")
            session.add(candidate)
            session.flush()
            loop = Loop(
                short_id=f"B{index:05d}",
                candidate_id=candidate.id or 0,
                template_key="backend-swe",
                recruiter_slack_id="U0RECRUIT",
                state=LoopState.PENDING,
                candidate_timezone="Europe/London",
                window_start="2027-01-04",
                window_end="2027-01-29",
            )
            session.add(loop)
            session.flush()
            asks: list[tuple[InterviewerRequest, str]] = []
            day = START + timedelta(days=index % 20, minutes=15 * (index // 20))
            for position, (pool, title, panel) in enumerate(STAGES):
                item = InterviewSession(
                    loop_id=loop.id or 0,
                    position=position,
                    stage_name=pool,
                    title=title,
                    pool=pool,
                    panel_size=panel,
                    start=day + timedelta(hours=position),
                    end=day + timedelta(hours=position, minutes=45),
                )
                session.add(item)
                session.flush()
                for person in pools[pool][:panel]:
                    ask = InterviewerRequest(session_id=item.id or 0, interviewer_id=person.id or 0)
                    session.add(ask)
                    asks.append((ask, person.slack_id or ""))
            session.flush()
            plan.append([(ask.id or 0, user) for ask, user in asks])
    engine.dispose()
    return plan


def replica(config: ReplicaConfig, work: list[tuple[int, str]], threads: int, go: Any) -> None:
    from bot.services import answers
    from bot.services.context import system_clock
    from bot.services.intent_worker import run_intents

    services = build(config)
    services.clock = system_clock
    go.wait(timeout=60)
    with ThreadPoolExecutor(threads) as pool:
        list(
            pool.map(
                lambda item: answers.confirm(services, request_id=item[0], user_id=item[1]),
                work,
            )
        )
    run_intents(services)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=200)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    spawn = multiprocessing.get_context("spawn")
    with (
        temporary_schema() as url,
        FakeCalendar.start(latency=args.latency) as calendar,
        FakeSlack() as slack,
        tempfile.TemporaryDirectory() as folder,
    ):
        upgrade(url)
        plan = seed(url, args.loops)
        key = calendar.write_service_account_key(Path(folder) / "sa.json")
        config = ReplicaConfig(
            database_url=url,
            slack_url=slack.url,
            slack_token=slack.bot_token,
            calendar_url=calendar.url,
            key_file=str(key),
            organizer=ORGANIZER,
            now=datetime.now(UTC),
        )
        halves: list[list[tuple[int, str]]] = [[], []]
        for asks in plan:
            for position, ask in enumerate(asks):
                halves[position % 2].append(ask)
        go = spawn.Event()
        processes = [
            spawn.Process(target=replica, args=(config, half, args.threads, go)) for half in halves
        ]
        for process in processes:
            process.start()
        time.sleep(3)  # let both replicas import and connect before the clock starts
        go.set()
        for process in processes:
            process.join(timeout=600)
        failed = [p.exitcode for p in processes if p.exitcode != 0]
        engine = make_engine(url)
        with session_scope(engine) as session:
            audits = session.exec(select(AuditLog)).all()
            states = [loop.state for loop in session.exec(select(Loop)).all()]
        problems = inconsistencies(engine, calendar)
        engine.dispose()
    last_confirm: dict[int, datetime] = {}
    first_confirm: datetime | None = None
    booked_at: dict[int, datetime] = {}
    booked_count: dict[int, int] = {}
    for row in audits:
        if row.loop_id is None:
            continue
        if row.action == "request.confirmed":
            last_confirm[row.loop_id] = max(last_confirm.get(row.loop_id, row.at), row.at)
            first_confirm = row.at if first_confirm is None else min(first_confirm, row.at)
        elif row.action == "loop.booked":
            booked_at[row.loop_id] = row.at
            booked_count[row.loop_id] = booked_count.get(row.loop_id, 0) + 1
    delays = [(booked_at[i] - last_confirm[i]).total_seconds() for i in booked_at]
    booked = sum(1 for state in states if state is LoopState.BOOKED)
    twice = sum(1 for n in booked_count.values() if n > 1)
    span = (max(booked_at.values()) - first_confirm).total_seconds() if booked_at else 0.0
    assert first_confirm is not None or not booked_at
    print("## Booking benchmark (PostgreSQL, 2 replica processes)\n")
    print(
        f"- loops: {args.loops}, threads per replica: {args.threads}, "
        f"Google latency: {args.latency * 1000:.0f} ms per request"
    )
    print(f"- booked: {booked}/{args.loops}; booked twice: {twice}; replica failures: {failed}")
    if delays:
        print(
            f"- throughput: {len(booked_at) / span:.1f} loops/s "
            f"({span:.2f} s from first confirm to last loop booked)"
        )
        print(
            f"- last confirm → all events created: p50 {statistics.median(delays) * 1000:.0f} ms, "
            f"p95 {percentile(delays, 0.95) * 1000:.0f} ms, max {max(delays) * 1000:.0f} ms"
        )
    print(f"- inconsistencies found by the invariant check: {len(problems)}")
    for problem in problems[:10]:
        print(f"  - {problem}")
    ok = booked == args.loops and not twice and not problems and not failed
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
