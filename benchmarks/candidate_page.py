"""Candidate pages under a burst: 50 candidates open their links at once, then 50 pick at once.

The real public app (Flask) is served by waitress on 127.0.0.1; the real GoogleCalendar client
talks to the fake Calendar with `--latency` seconds added to every request, with its free/busy
cache switched off by default, so every page plans from fresh free/busy. The loops share the
interviewers of tests/slack/conftest.py's org (7 people, 3 stages), so the picks overlap.

    python benchmarks/candidate_page.py [--candidates 50] [--latency 0.1] [--calendar-cache 0]

Phase 1 (open): each client GETs its link at the same moment; time to the full HTML with
options. Target: p95 < 1 s. Phase 2 (pick): each client POSTs its page's first option (with its
CSRF cookie and Origin) at the same moment; afterwards no interviewer may hold two overlapping
live sessions. Exit 1 if either target is missed.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import logging
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pydantic import SecretStr  # noqa: E402
from sqlmodel import col, select  # noqa: E402
from waitress.server import create_server  # noqa: E402

from bot.blocks.kit import BlockKit  # noqa: E402
from bot.org import parse_org  # noqa: E402
from bot.org.sync import sync_org  # noqa: E402
from bot.reminders.dispatcher import send_now  # noqa: E402
from bot.services.candidate_links import new_link  # noqa: E402
from bot.services.context import Services  # noqa: E402
from bot.services.proposals import ScheduleInput, propose  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.web.app import create_public_app  # noqa: E402
from integrations.google import GoogleCalendar  # noqa: E402
from integrations.sandbox.google_calendar import FakeCalendar  # noqa: E402
from integrations.sandbox.slack_api import FakeSlack  # noqa: E402
from integrations.slack.messenger import SlackMessenger, make_web_client  # noqa: E402
from storage.engine import make_engine, session_scope  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import (  # noqa: E402
    InterviewerRequest,
    InterviewSession,
    Loop,
    LoopState,
    RequestState,
)
from tests.slack.conftest import NOW, RECRUITER, org_data  # noqa: E402

TARGET_P95 = 1.0
logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # the burst queues by design


class Client:
    """One candidate's browser: its own cookie jar, no redirects followed."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    def __init__(self, url: str, origin: str) -> None:
        self.url, self.origin = url, origin
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), self._NoRedirect()
        )

    def get(self) -> tuple[int, str]:
        with self.opener.open(self.url, timeout=60) as response:
            return response.status, response.read().decode()

    def post(self, path: str, data: dict[str, str]) -> int:
        request = urllib.request.Request(
            f"{self.url}/{path}",
            data=urllib.parse.urlencode(data).encode(),
            headers={"Origin": self.origin},
        )
        try:
            with self.opener.open(request, timeout=60) as response:
                response.read()
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)


def burst(clients: list[Client], task: Any) -> list[Any]:
    barrier = threading.Barrier(len(clients))
    results: list[Any] = [None] * len(clients)

    def run(index: int, client: Client) -> None:
        barrier.wait()
        began = time.perf_counter()
        outcome = task(client)
        results[index] = (time.perf_counter() - began, outcome)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def double_booked(engine: Any) -> list[str]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(InterviewerRequest.interviewer_id, InterviewSession.start, InterviewSession.end)
            .join(InterviewSession, col(InterviewSession.id) == col(InterviewerRequest.session_id))
            .where(
                col(InterviewerRequest.state).in_(
                    [RequestState.PENDING.value, RequestState.CONFIRMED.value]
                )
            )
        ).all()
    clashes = []
    held: dict[int, list[tuple[datetime, datetime]]] = {}
    for person, start, end in rows:
        for other_start, other_end in held.get(person, []):
            if start < other_end and other_start < end:
                clashes.append(f"interviewer {person}: {start} overlaps {other_start}")
        held.setdefault(person, []).append((start, end))
    return clashes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument(
        "--calendar-cache",
        type=float,
        default=0.0,
        help="the Google adapter's free/busy cache in seconds (the bot runs with 60; 0 = every "
        "page asks Google)",
    )
    args = parser.parse_args()

    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeCalendar.start(latency=0.0) as fake,
        FakeSlack() as slack,
    ):
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        engine = make_engine(url)
        data = org_data()
        data["company"] = "Example Corp"
        with session_scope(engine) as session:
            sync_org(parse_org(data), session=session)
        server: Any = create_server(
            lambda e, s: app.wsgi_app(e, s), host="127.0.0.1", port=0, threads=16
        )
        public = f"http://127.0.0.1:{server.effective_port}"
        settings = Settings(
            _env_file=None,
            slack_bot_token=slack.bot_token,
            slack_api_url=slack.url,
            google_service_account_file=fake.write_service_account_key(Path(tmp) / "sa.json"),
            google_organizer_email="scheduler@corp.example",
            google_api_endpoint=fake.url,
            database_url=url,
            public_url=public,
            secret_key=SecretStr("b" * 40),
        )
        calendar = GoogleCalendar.from_settings(settings, cache_ttl=args.calendar_cache)
        services = Services(
            settings=settings,
            engine=engine,
            messenger=SlackMessenger(make_web_client(slack.bot_token, slack.url)),
            calendar=calendar,
            render=BlockKit(),
            send_outbox=send_now,
            clock=lambda: NOW,
        )
        links = []
        for n in range(args.candidates):
            view = propose(
                services,
                ScheduleInput(
                    recruiter=RECRUITER,
                    candidate_email=f"candidate{n}@cand.example",
                    template_key="backend-swe",
                    timezone="Europe/London",
                ),
            )
            with session_scope(engine) as session:
                loop = session.exec(select(Loop).where(Loop.short_id == view.loop_id)).one()
                assert loop.id is not None
                links.append(new_link(services, loop.id, RECRUITER, session=session))
        app = create_public_app(services)
        assert app is not None
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        fake.latency = args.latency
        calendar.cache.clear()  # setup planned these loops; the burst starts cold
        clients = [Client(link, public) for link in links]
        try:
            opened = burst(clients, lambda c: c.get())
            times = [t for t, _ in opened]
            pages = [page for _, (status, page) in opened if status == 200]
            with_options = sum('name="option"' in page for page in pages)
            print(
                f"open: {len(pages)}/{len(clients)} pages 200, {with_options} with options; "
                f"p50 {statistics.median(times):.3f} s, p95 {p95(times):.3f} s, "
                f"max {max(times):.3f} s (latency {args.latency * 1000:.0f} ms per request)"
            )

            def pick(client: Client) -> int:
                _, page = next(o for c, o in zip(clients, opened, strict=True) if c is client)[1]
                csrf = re.search(r'name="csrf" value="([^"]+)"', page)
                options = re.findall(r'name="option" value="([0-9a-f]+)"', page)
                if csrf is None or not options:
                    return 0
                key = options[clients.index(client) % len(options)]  # overlapping picks
                return client.post("pick", {"csrf": csrf.group(1), "option": key, "tz": "UTC"})

            picked = burst(clients, pick)
            services.work.wait_idle(timeout=120)
            pick_times = [t for t, _ in picked]
            codes: dict[int, int] = {}
            for _, code in picked:
                codes[code] = codes.get(code, 0) + 1
            with session_scope(engine) as session:
                pending = len(
                    session.exec(select(Loop).where(Loop.state == LoopState.PENDING)).all()
                )
            clashes = double_booked(engine)
            print(
                f"pick: answers {dict(sorted(codes.items()))} (302 booked or already, 200 "
                f"fresh options); {pending} loops booked; p50 "
                f"{statistics.median(pick_times):.3f} s, p95 {p95(pick_times):.3f} s; "
                f"interviewers double-booked: {len(clashes)}"
            )
            for clash in clashes[:5]:
                print("  ", clash)
        finally:
            server.task_dispatcher.shutdown()
            server.close()
            services.work.shutdown()
            calendar.close()
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"machine: {os.cpu_count()} cores, load average {load} (other work skews timings)")
        ok = p95(times) < TARGET_P95 and not clashes and len(pages) == len(clients)
        print("targets met" if ok else "TARGET MISSED")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
