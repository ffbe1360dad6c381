"""Fixtures for reminder tests: databases, a controlled clock, FakeSlack and the real
SlackMessenger.

`database_url` and `engine` mean what the shared ones in tests/conftest.py mean (SQLite always,
PostgreSQL too when TEST_DATABASE_URL is set; the schema comes from the Alembic migrations), but
the migrations run once per test session instead of once per test: a SQLite test gets a copy of
a migrated file, and PostgreSQL tests share one migrated schema that is emptied after each
test. That keeps this directory's ~50 database tests × 2 databases inside the time budget.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from bot.ports import MessagingPort
from bot.reminders import ReminderDispatcher, UnansweredRequestHandler
from integrations.sandbox.slack_api import Call, FakeSlack
from integrations.slack.messenger import SlackMessenger, make_web_client
from storage.engine import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import InterviewerRequest, Reminder, RequestState
from storage.repo import compare_and_set
from tests.conftest import PG_URL
from tests.reminders.factory import Clock


def _database_params() -> list[object]:
    params: list[object] = [pytest.param("sqlite", id="sqlite")]
    if PG_URL.startswith("postgresql"):
        params.append(pytest.param("postgres", id="postgres", marks=pytest.mark.postgres))
    return params


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reminders-db") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _postgres_schema() -> Iterator[str]:
    schema = f"rem_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    try:
        upgrade(url)
        yield url
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def _empty_all_tables(url: str) -> None:
    """DELETE (children first) is much faster than TRUNCATE for a few hundred rows."""
    cleaner = make_engine(url)
    try:
        with cleaner.begin() as connection:
            connection.exec_driver_sql("SET LOCAL lock_timeout = '20s'")
            for table in reversed(SQLModel.metadata.sorted_tables):
                connection.execute(table.delete())
    finally:
        cleaner.dispose()


@pytest.fixture(params=_database_params())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database (overrides the shared fixture: migrated once per session)."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url: str = request.getfixturevalue("_postgres_schema")
    try:
        yield url
    finally:
        _empty_all_tables(url)


_OPEN_DISPATCHERS: list[ReminderDispatcher] = []  # see `dispatcher()`


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    while _OPEN_DISPATCHERS:  # they keep a connection between ticks
        _OPEN_DISPATCHERS.pop().close()
    engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def make_messenger(fake: FakeSlack) -> SlackMessenger:
    """The production messenger on a real WebClient; no client-side retries (they would sleep),
    so passing errors reach the dispatcher, whose backoff runs on the controlled clock."""
    return SlackMessenger(make_web_client(fake.bot_token, fake.url, max_retries=0))


@pytest.fixture
def messenger(fake_slack: FakeSlack) -> SlackMessenger:
    return make_messenger(fake_slack)


class RecordingHandler:
    """Test double for the scheduling service's replacement: records calls; when it "replaces",
    it withdraws the request the way the service would (request cancelled, follow-ups gone)."""

    def __init__(self, engine: Engine, *, replaced: bool = True) -> None:
        self.engine = engine
        self.replaced = replaced
        self.calls: list[int] = []

    def replace_unresponsive(self, request_id: int) -> bool:
        self.calls.append(request_id)
        if self.replaced:
            from bot.reminders import cancel_request_follow_ups

            with session_scope(self.engine) as session:
                compare_and_set(
                    InterviewerRequest,
                    request_id,
                    session=session,
                    expected=[RequestState.PENDING],
                    values={"state": RequestState.CANCELLED},
                )
                cancel_request_follow_ups(request_id, session=session, reason="replaced")
        return self.replaced


def dispatcher(
    engine: Engine,
    messenger: MessagingPort,
    clock: Clock,
    *,
    worker_id: str = "test-worker",
    handler: UnansweredRequestHandler | None = None,
    **kwargs: Any,
) -> ReminderDispatcher:
    created = ReminderDispatcher(
        engine, messenger, worker_id=worker_id, handler=handler, now=clock, **kwargs
    )
    _OPEN_DISPATCHERS.append(created)
    return created


def dms(fake: FakeSlack, user: str) -> list[Call]:
    """Successful chat.postMessage calls that reached `user`'s DM."""
    channel = FakeSlack.dm_channel_id(user)
    return [call for call in fake.calls("chat.postMessage", channel=channel) if call.ok]


def all_dms(fake: FakeSlack) -> list[Call]:
    return [call for call in fake.calls("chat.postMessage") if call.ok]


def reminders(engine: Engine) -> list[Reminder]:
    with Session(engine) as session:
        return list(session.exec(select(Reminder).order_by(Reminder.id)))  # type: ignore[arg-type]


def by_key(engine: Engine) -> dict[str, Reminder]:
    return {row.dedupe_key: row for row in reminders(engine)}
