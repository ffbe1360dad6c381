"""Calendar sync at scale: 2,000 upcoming bot events, 20 changed since the last sync.

The real sync job (`bot.services.calendar_sync.job.CalendarSync`) with the real Google client
against the fake Calendar, which adds `--latency` to every Calendar API request, and a
migrated SQLite database holding the loops, sessions and confirmed requests behind the events.
Three measurements:

1. the first sync (no token yet): full listing of the bot's events plus a fresh token;
2. an incremental tick after 20 changes made in Calendar (8 accepted, 4 tentative answers,
   3 moves, 3 deletes, 2 candidate declines): requests (target: 1 page) and wall time
   (target < 300 ms), including the reactions (database writes, recruiter DMs to a fake Slack);
3. the full resync after a 410 (all tokens expired): requests and wall time.

    python benchmarks/calendar_sync.py [--events 2000] [--changes 20] [--latency 0.1]

Exit 1 if the incremental tick misses its targets.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import cpu_model  # noqa: E402
from bot.blocks.kit import BlockKit  # noqa: E402
from bot.ports import EventSpec  # noqa: E402
from bot.reminders.dispatcher import send_now  # noqa: E402
from bot.services.calendar_sync.job import CalendarSync, SyncReport  # noqa: E402
from bot.services.context import Services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from integrations.google import GoogleCalendar  # noqa: E402
from integrations.sandbox.google_calendar import FakeCalendar  # noqa: E402
from integrations.sandbox.slack_api import FakeSlack  # noqa: E402
from integrations.slack.messenger import SlackMessenger, make_web_client  # noqa: E402
from storage.engine import make_engine, session_scope  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import (  # noqa: E402
    Candidate,
    Interviewer,
    InterviewerRequest,
    InterviewSession,
    Loop,
    LoopState,
    RequestState,
    SessionState,
)

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
TARGET_SECONDS = 0.3
PER_LOOP = 3


def seed(engine: object, calendar: GoogleCalendar, events: int) -> list[tuple[str, str, str]]:
    """Loops of 3 booked sessions, one confirmed interviewer each; returns (event id,
    interviewer email, candidate email) per session, in booking order."""
    booked: list[tuple[str, str, str]] = []
    with session_scope(engine) as session:  # type: ignore[arg-type]
        people = [
            Interviewer(email=f"person{i:02d}@corp.example", slack_id=f"U{i:08d}", name=f"P{i}")
            for i in range(40)
        ]
        session.add_all(people)
        session.flush()
        plan = []
        for n in range((events + PER_LOOP - 1) // PER_LOOP):
            candidate = Candidate(email=f"cand{n:04d}@example.org", name=f"Candidate {n}")
            session.add(candidate)
            session.flush()
            assert candidate.id is not None
            loop = Loop(
                short_id=f"L{n:04d}",
                candidate_id=candidate.id,
                template_key="bench",
                recruiter_slack_id="U0RECRUIT",
                state=LoopState.BOOKED,
                candidate_timezone="Europe/London",
                window_start="2026-12-02",
                window_end="2026-12-31",
            )
            session.add(loop)
            session.flush()
            assert loop.id is not None
            day = NOW + timedelta(days=1 + n % 28)
            for k in range(PER_LOOP):
                if len(plan) == events:
                    break
                start = day.replace(hour=9 + k) + timedelta(minutes=0)
                item = InterviewSession(
                    loop_id=loop.id,
                    position=k,
                    stage_name=f"s{k}",
                    title=f"Stage {k}",
                    pool="bench",
                    start=start,
                    end=start + timedelta(hours=1),
                    state=SessionState.BOOKED,
                )
                session.add(item)
                session.flush()
                person = people[(n * PER_LOOP + k) % len(people)]
                session.add(
                    InterviewerRequest(
                        session_id=item.id or 0,
                        interviewer_id=person.id or 0,
                        state=RequestState.CONFIRMED,
                    )
                )
                plan.append((item, loop.short_id, person.email, candidate.email))
        for item, short_id, email, candidate_email in plan:
            ref = calendar.create_event(
                EventSpec(
                    key=f"{short_id}-{item.id}",
                    summary=f"Interview {short_id}",
                    description="",
                    start=item.start,
                    end=item.end,
                    attendees=(email, candidate_email),
                    private_properties={
                        "interviewBotLoop": short_id,
                        "interviewBotSession": str(item.id),
                    },
                )
            )
            item.calendar_event_id = ref.event_id
            booked.append((ref.event_id, email, candidate_email))
    return booked


def timed(sync: CalendarSync, fake: FakeCalendar) -> tuple[float, SyncReport, int]:
    fake.reset_requests()
    began = time.perf_counter()
    report = sync.run()
    wall = time.perf_counter() - began
    assert report is not None
    return wall, report, len(fake.api_requests())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.1)
    args = parser.parse_args()

    with (
        FakeCalendar.start() as fake,
        FakeSlack() as slack,
        tempfile.TemporaryDirectory() as tmp,
    ):
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        engine = make_engine(url)
        settings = Settings(
            _env_file=None,
            slack_bot_token=slack.bot_token,
            slack_api_url=slack.url,
            google_service_account_file=fake.write_service_account_key(Path(tmp) / "sa.json"),
            google_organizer_email="scheduler@corp.example",
            google_api_endpoint=fake.url,
            database_url=url,
        )
        calendar = GoogleCalendar.from_settings(settings)
        began = time.perf_counter()
        booked = seed(engine, calendar, args.events)
        seeding = time.perf_counter() - began
        services = Services(
            settings=settings,
            engine=engine,
            messenger=SlackMessenger(make_web_client(slack.bot_token, slack.url)),
            calendar=calendar,
            render=BlockKit(),
            send_outbox=send_now,
            clock=lambda: NOW,
        )
        sync = CalendarSync(services, worker_id="bench")
        fake.latency = args.latency
        first = timed(sync, fake)

        changes = booked[:: max(1, len(booked) // args.changes)][: args.changes]
        kinds = ["accepted"] * 8 + ["tentative"] * 4 + ["move"] * 3 + ["delete"] * 3
        kinds += ["candidate"] * max(0, args.changes - len(kinds))
        for (event_id, email, candidate_email), kind in zip(changes, kinds, strict=False):
            if kind in ("accepted", "tentative"):
                fake.set_response(event_id, email, kind)
            elif kind == "move":
                start = NOW + timedelta(days=40)
                fake.move_by_someone_else(event_id, start, start + timedelta(hours=1))
            elif kind == "delete":
                fake.delete_by_someone_else(event_id)
            else:
                fake.set_response(event_id, candidate_email, "declined")
        incremental = timed(sync, fake)
        fake.expire_sync_tokens()
        resync = timed(sync, fake)
        quiet = timed(sync, fake)
        calendar.close()
        dms = len(slack.calls("chat.postMessage"))

    print(f"machine: {cpu_model()}, {os.cpu_count()} CPUs, python {platform.python_version()}")
    print(
        f"{len(booked)} upcoming bot events (seeded in {seeding:.1f} s), {len(changes)} changed; "
        f"{args.latency * 1000:.0f} ms added per Calendar request by the fake; SQLite"
    )
    print("| sync | wall | Calendar requests | events listed | reactions |")
    print("|---|---|---|---|---|")
    for name, (wall, report, requests) in (
        ("first sync (no token: full)", first),
        (f"incremental tick, {len(changes)} changed", incremental),
        ("full resync after 410", resync),
        ("incremental tick, nothing changed", quiet),
    ):
        print(
            f"| {name} | {wall * 1000:.0f} ms | {requests} | {report.events} | {report.reactions} |"
        )
    print(f"recruiter DMs sent: {dms}")
    wall, report, requests = incremental
    ok = wall < TARGET_SECONDS and requests == 1 and not report.full
    print("PASS" if ok else f"FAIL (target: incremental tick < {TARGET_SECONDS} s in 1 request)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
