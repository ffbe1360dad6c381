"""Fixtures: a running fake Calendar server, a service-account key for it, and a client.

The client is the real `GoogleCalendar` (real google-api-python-client, google-auth and
httplib2) pointed at the fake; only the retry policy's sleep and clock are replaced, so
backoffs are recorded instead of slept.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import Settings
from integrations.google import GoogleCalendar, RetryPolicy
from integrations.sandbox.google_calendar import FakeCalendar

ORGANIZER = "organizer@corp.example"


class FakeClock:
    """Monotonic clock whose `sleep` advances time instantly and records each wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


@pytest.fixture
def fake() -> Iterator[FakeCalendar]:
    with FakeCalendar.start() as server:
        yield server


@pytest.fixture
def key_file(fake: FakeCalendar, tmp_path: Path) -> Path:
    return fake.write_service_account_key(tmp_path / "service-account.json")


@pytest.fixture
def settings(fake: FakeCalendar, key_file: Path) -> Settings:
    return Settings(
        _env_file=None,
        google_service_account_file=key_file,
        google_organizer_email=ORGANIZER,
        google_api_endpoint=fake.url,
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def policy(clock: FakeClock) -> RetryPolicy:
    """Default bounds, instant sleeps, jitter pinned to the full backoff (rand() == 1)."""
    return RetryPolicy(sleep=clock.sleep, clock=clock, rand=lambda: 1.0)


@pytest.fixture
def calendar(settings: Settings, policy: RetryPolicy, clock: FakeClock) -> Iterator[GoogleCalendar]:
    with GoogleCalendar.from_settings(settings, retry=policy, clock=clock) as client:
        yield client
