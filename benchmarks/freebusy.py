"""Free/busy at scale: 150 calendars over 14 days against the fake with 100 ms per request.

Runs the real GoogleCalendar client (google-api-python-client, google-auth, httplib2) against
tests/fakes/google_calendar.py, which sleeps `--latency` seconds in every Calendar API request.
Two series: a new client per query (pays for the token grant, threads and services), and one
long-lived client as the bot runs it (cache emptied before each query so every run really asks).

    python benchmarks/freebusy.py [--calendars 150] [--days 14] [--latency 0.1] [--runs 10]

Targets (issue 4): wall time < 0.5 s, requests == ceil(calendars / 50). Exit 1 if missed.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import cpu_model  # noqa: E402
from bot.settings import Settings  # noqa: E402
from integrations.google import GoogleCalendar  # noqa: E402
from integrations.sandbox.google_calendar import FakeCalendar  # noqa: E402

TARGET_SECONDS = 0.5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calendars", type=int, default=150)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    emails = [f"interviewer{i:03d}@corp.example" for i in range(args.calendars)]
    start = datetime(2026, 12, 1, tzinfo=UTC)
    end = start + timedelta(days=args.days)
    expected = math.ceil(args.calendars / 50) * math.ceil(args.days / 60)

    with FakeCalendar.start(latency=args.latency) as fake, tempfile.TemporaryDirectory() as tmp:
        for i, email in enumerate(emails):
            hour = start + timedelta(hours=9 + i % 8)
            fake.set_busy(email, [(hour, hour + timedelta(hours=1))])
        settings = Settings(
            _env_file=None,
            google_service_account_file=fake.write_service_account_key(Path(tmp) / "sa.json"),
            google_organizer_email="organizer@corp.example",
            google_api_endpoint=fake.url,
        )

        def measure(calendar: GoogleCalendar) -> tuple[float, int, int]:
            fake.reset_requests()
            began = time.perf_counter()
            answer = calendar.free_busy(emails, start, end)
            wall = time.perf_counter() - began
            assert len(answer) == args.calendars
            assert all(value.error is None and len(value.busy) == 1 for value in answer.values())
            return wall, len(fake.freebusy_requests), fake.max_in_flight

        cold = []  # a new client each run: token grant, thread pool and services from scratch
        for _ in range(args.runs):
            with GoogleCalendar.from_settings(settings) as calendar:
                cold.append(measure(calendar))
        warm = []  # one long-lived client, as in the bot; the cache is emptied before each run
        with GoogleCalendar.from_settings(settings) as calendar:
            measure(calendar)
            for _ in range(args.runs):
                calendar.cache.clear()
                warm.append(measure(calendar))

    print(f"machine: {cpu_model()}, {os.cpu_count()} CPUs, python {platform.python_version()}")
    print(
        f"{args.calendars} calendars, {args.days} days, {args.latency * 1000:.0f} ms added per "
        f"request by the fake, {args.runs} runs each"
    )
    print("| client | wall median | wall max | freeBusy requests | max in flight |")
    print("|---|---|---|---|---|")
    for name, rows in (("new client per query (cold)", cold), ("long-lived client (warm)", warm)):
        walls = [row[0] for row in rows]
        counts = sorted({row[1] for row in rows})
        print(
            f"| {name} | {statistics.median(walls) * 1000:.0f} ms | {max(walls) * 1000:.0f} ms "
            f"| {', '.join(map(str, counts))} (bound {expected}) | {max(row[2] for row in rows)} |"
        )
    rows = cold + warm
    ok = all(row[0] < TARGET_SECONDS and row[1] == expected for row in rows)
    print(
        "PASS" if ok else f"FAIL (target: every run < {TARGET_SECONDS} s with {expected} requests)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
