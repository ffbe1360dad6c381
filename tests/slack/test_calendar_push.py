"""Calendar push: the bot opens an events.watch channel to PUBLIC_URL/google/notifications,
the fake Calendar delivers notifications over real HTTP to the public app, a right token starts
the same sync in the background, a wrong or missing one gets 4xx and starts nothing; channels
are renewed before they expire and stopped on shutdown."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from werkzeug.serving import BaseWSGIServer, make_server

from bot.services.calendar_sync import state
from bot.services.calendar_sync.channel import stop_channel
from bot.services.calendar_sync.job import CalendarSync, default_worker_id
from bot.web.app import create_public_app
from storage.models import LoopState
from tests.slack.conftest import RECRUITER, Harness
from tests.slack.test_calendar_sync import book_everything, session_event


@pytest.fixture
def public(harness: Harness) -> Iterator[str]:
    """The public app served on a free local port; PUBLIC_URL points at it."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, lambda e, s: app(e, s), threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    harness.services.settings = harness.services.settings.model_copy(
        update={"public_url": url, "secret_key": SecretStr("k" * 40)}
    )
    flask_app = create_public_app(harness.services)
    assert flask_app is not None
    app = flask_app.wsgi_app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        thread.join(timeout=5)


def listings(harness: Harness) -> int:
    return len(harness.calendar.api_requests("GET", "/events"))


def test_a_push_with_the_channel_token_syncs_at_once(harness: Harness, public: str) -> None:
    short_id = book_everything(harness)
    CalendarSync(harness.services).run()
    (channel,) = harness.calendar.channels.values()
    assert channel["address"] == f"{public}/google/notifications"
    row = state.read(harness.engine)
    assert row.channel_id == channel["id"] and row.channel_token == channel["token"]
    assert len(row.channel_token or "") >= 32

    _, event = session_event(harness, "Code review")
    harness.calendar.delete_by_someone_else(event["id"])
    before = listings(harness)
    assert harness.calendar.push("exists") == [204]
    harness.settle()

    assert listings(harness) == before + 1
    assert harness.loops()[0].state is LoopState.NEEDS_ATTENTION
    assert any(f"`{short_id}`" in m["text"] for m in harness.dms(RECRUITER))


@pytest.mark.parametrize(("token", "status"), [("forged-token", 403), ("", 400)])
def test_a_wrong_or_missing_token_is_refused_and_syncs_nothing(
    harness: Harness, public: str, token: str, status: int
) -> None:
    book_everything(harness)
    CalendarSync(harness.services).run()
    _, event = session_event(harness, "Code review")
    harness.calendar.delete_by_someone_else(event["id"])
    before = listings(harness)

    assert harness.calendar.push("exists", token=token) == [status]
    harness.settle()

    assert listings(harness) == before
    assert harness.loops()[0].state is LoopState.BOOKED


def test_the_first_sync_message_only_confirms_the_channel(harness: Harness, public: str) -> None:
    book_everything(harness)
    CalendarSync(harness.services).run()
    before = listings(harness)
    assert harness.calendar.push("sync") == [204]
    harness.settle()
    assert listings(harness) == before


def test_channels_are_renewed_before_they_expire_and_stopped_on_shutdown(
    harness: Harness, public: str
) -> None:
    book_everything(harness)
    sync = CalendarSync(harness.services)
    sync.run()
    (first,) = harness.calendar.channels
    sync.run()
    assert list(harness.calendar.channels) == [first]  # far from expiring: kept

    soon = datetime.now(UTC) + timedelta(hours=1)
    with state.read_session(harness.engine) as row:
        row.channel_expiration = soon
    sync.run()
    (second,) = harness.calendar.channels
    assert second != first and state.read(harness.engine).channel_id == second
    stops = harness.calendar.api_requests("POST", "/channels/stop")
    assert [r.body["id"] for r in stops] == [first]

    stop_channel(harness.services, default_worker_id())
    assert harness.calendar.channels == {}
    assert state.read(harness.engine).channel_id is None


def test_without_public_url_no_channel_is_opened(harness: Harness) -> None:
    book_everything(harness)
    CalendarSync(harness.services).run()
    assert harness.calendar.channels == {}
    assert harness.calendar.api_requests("POST", "/events/watch") == []


def test_the_runtime_polls_every_calendar_sync_every(harness: Harness) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    from bot.runtime import add_calendar_sync

    harness.services.settings = harness.services.settings.model_copy(
        update={"calendar_sync_every": timedelta(seconds=45)}
    )
    scheduler = BackgroundScheduler(timezone=UTC)
    stop = add_calendar_sync(harness.services, scheduler, "replica-1")
    job = scheduler.get_job("calendar.sync")
    assert job is not None and job.trigger.interval == timedelta(seconds=45)
    stop()  # no channel open: nothing to stop, no Google call
    assert harness.calendar.api_requests("POST", "/channels/stop") == []
