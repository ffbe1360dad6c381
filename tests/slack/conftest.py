"""The real bolt app, the real WebClient and google-api-python-client, against local fakes.

Requests are signed exactly as Slack signs them and dispatched through `App.dispatch`; slow
work runs on the app's background pool, which each step waits for (no sleeps). The clock is
fixed, so plans and reminders are deterministic.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import App, BoltResponse
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.app import build_app
from bot.blocks.kit import BlockKit
from bot.org import parse_org
from bot.org.sync import sync_org
from bot.reminders.dispatcher import send_now
from bot.services.context import Services
from bot.settings import Settings
from integrations.google import GoogleCalendar, RetryPolicy
from integrations.sandbox.google_calendar import FakeCalendar
from integrations.sandbox.slack_api import FakeSlack
from integrations.sandbox.slack_requests import RequestFactory, to_bolt_request
from integrations.slack.messenger import SlackMessenger, make_web_client
from storage.engine import session_scope
from storage.models import InterviewerRequest, Loop

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # a Tuesday
RECRUITER = "U0RECRUIT"
ORGANIZER = "scheduler@corp.example"


def org_data() -> dict[str, Any]:
    def person(
        slack_id: str, name: str, pools: list[str], tz: str = "Europe/London"
    ) -> dict[str, Any]:
        return {
            "slack_id": slack_id,
            "name": name,
            "email": f"{name.lower()}@corp.example",
            "timezone": tz,
            "pools": pools,
        }

    return {
        "timezone": "Europe/London",
        "recruiters": [RECRUITER],
        "defaults": {
            "max_per_day": 3,
            "max_per_week": 10,
            "buffer": "0m",
            "min_notice": "1h",
            "slot_step": "15m",
            "working_hours": {"mon-fri": "09:00-17:00"},
            "candidate_hours": {"mon-fri": "09:00-18:00"},
        },
        "interviewers": [
            person("U01ANA", "Ana", ["code-review"]),
            person("U02BEN", "Ben", ["code-review"], tz="America/New_York"),
            person("U03CHI", "Chi", ["design-discussion"]),
            person("U04DAN", "Dan", ["design-discussion"]),
            person("U05EVA", "Eva", ["design-discussion"]),
            person("U06FAY", "Fay", ["retro"]),
            person("U07GUS", "Gus", ["retro"]),
        ],
        "templates": {
            "backend-swe": {
                "title": "Software Engineer, Backend & Infrastructure",
                "same_day": True,
                "max_break": "30m",
                "stages": [
                    {
                        "name": "code-review",
                        "title": "Code review",
                        "duration": "60m",
                        "pool": "code-review",
                        "prep": "Read the take-home PR.",
                    },
                    {
                        "name": "design-discussion",
                        "title": "Design discussion",
                        "duration": "60m",
                        "pool": "design-discussion",
                        "interviewers": 2,
                    },
                    {"name": "retro", "title": "Retrospective", "duration": "45m", "pool": "retro"},
                ],
            }
        },
    }


class Clock:
    """A controllable clock: services read it; tests move it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Harness:
    app: App
    services: Services
    slack: FakeSlack
    calendar: FakeCalendar
    requests: RequestFactory
    engine: Engine
    clock: Clock

    def send(self, signed: tuple[str, dict[str, str]]) -> BoltResponse:
        response = self.app.dispatch(to_bolt_request(*signed))
        self.settle()
        return response

    def settle(self) -> None:
        """Wait until the background work the listeners handed off has finished.

        Listeners themselves run on the request thread (`process_before_response=True`), so
        they are done when `dispatch` returns.
        """
        assert self.services.work.wait_idle(timeout=30), "background work did not finish"

    def command(self, text: str, user: str = RECRUITER, **fields: Any) -> BoltResponse:
        return self.send(self.requests.slash_command(text, user_id=user, **fields))

    def click(self, action_id: str, value: str, user: str, **fields: Any) -> BoltResponse:
        return self.send(self.requests.block_action(action_id, value, user_id=user, **fields))

    def dms(self, user: str) -> list[dict[str, Any]]:
        channel = self.slack.dm_channel_id(user)
        return [
            c.args
            for c in self.slack.calls("chat.postMessage")
            if c.ok and c.args.get("channel") in (channel, user)
        ]

    def buttons(self, message: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
        found = []
        for block in message.get("blocks") or []:
            elements = list(block.get("elements") or [])
            if block.get("accessory"):
                elements.append(block["accessory"])
            found += [e for e in elements if str(e.get("action_id", "")).startswith(prefix)]
        return found

    def loops(self) -> list[Loop]:
        with session_scope(self.engine) as session:
            return list(session.exec(select(Loop)).all())

    def requests_state(self) -> dict[int, str]:
        with session_scope(self.engine) as session:
            return {r.id or 0: r.state.value for r in session.exec(select(InterviewerRequest))}

    def propose(self, extra: str = "") -> dict[str, Any]:
        """Run `/interview schedule` and return the proposals DM."""
        before = len(self.dms(RECRUITER))
        self.command(
            f'schedule ada@cand.example backend-swe name="Ada Lovelace" '
            f"tz=Europe/London from=2026-12-02 to=2026-12-04 {extra}"
        )
        messages = self.dms(RECRUITER)
        assert len(messages) == before + 1, messages
        return messages[-1]

    def book_first_option(self) -> str:
        proposal = self.propose()
        button = self.buttons(proposal, "choose_option")[0]
        self.click(button["action_id"], button["value"], RECRUITER)
        return str(button["value"]).split(":")[0]

    def pending_request_buttons(self, user: str) -> list[dict[str, Any]]:
        found = []
        for message in self.dms(user):
            found += self.buttons(message, "confirm_slot")
        return found


@pytest.fixture
def harness(
    engine: Engine,
    fake_slack: FakeSlack,
    slack_requests: RequestFactory,
    slack_signing_secret: str,
    tmp_path: Path,
) -> Iterator[Harness]:
    calendar = FakeCalendar.start()
    key = calendar.write_service_account_key(tmp_path / "sa.json")
    settings = Settings(
        _env_file=None,
        slack_bot_token=fake_slack.bot_token,
        slack_signing_secret=slack_signing_secret,
        slack_api_url=fake_slack.url,
        google_service_account_file=key,
        google_organizer_email=ORGANIZER,
        google_api_endpoint=calendar.url,
        database_url=str(engine.url),
    )
    with session_scope(engine) as session:
        sync_org(parse_org(org_data()), session=session)
    client = make_web_client(fake_slack.bot_token, fake_slack.url)
    clock = Clock(NOW)
    google = GoogleCalendar.from_settings(
        settings, retry=RetryPolicy(max_attempts=3, initial_backoff=0.01, deadline=5)
    )
    services = Services(
        settings=settings,
        engine=engine,
        messenger=SlackMessenger(client),
        calendar=google,
        render=BlockKit(),
        send_outbox=send_now,
        clock=clock,
    )
    app = build_app(services, client=client, signing_secret=slack_signing_secret)
    try:
        yield Harness(app, services, fake_slack, calendar, slack_requests, engine, clock)
    finally:
        services.work.wait_idle()
        services.work.shutdown()
        google.close()
        calendar.stop()
