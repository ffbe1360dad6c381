"""Changes made in Calendar, through the real client against the fake: incremental sync with
sync tokens (pages, deletes, 410), the full listing of the bot's own events, push channels."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.ports import CalendarError, EventSpec, SyncTokenExpiredError
from integrations.google import GoogleCalendar
from integrations.google import changes as changes_module
from integrations.sandbox.google_calendar import FakeCalendar
from tests.google.conftest import ORGANIZER

ANA = "ana@corp.example"
CANDIDATE = "jane.doe@example.org"
SINCE = datetime(2026, 12, 1, tzinfo=UTC)


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=UTC)


def spec(n: int, day: int = 20) -> EventSpec:
    return EventSpec(
        key=f"L7F3K-{n}",
        summary=f"Interview {n}",
        description="",
        start=at(day, 9 + n % 8),
        end=at(day, 10 + n % 8),
        attendees=(ANA, CANDIDATE),
        private_properties={"interviewBotSession": str(n)},
    )


def test_full_listing_holds_only_the_bots_live_upcoming_events(
    fake: FakeCalendar, calendar: GoogleCalendar
) -> None:
    mine = [calendar.create_event(spec(n)).event_id for n in range(3)]
    past = calendar.create_event(spec(9, day=2)).event_id
    gone = calendar.create_event(spec(10)).event_id
    calendar.cancel_event(gone)
    fake.add_foreign_event(ORGANIZER, at(20, 9), at(20, 10))
    fake.reset_requests()

    listing = calendar.list_own_events(at(10, 0))

    assert sorted(e.event_id for e in listing.events) == sorted(mine)
    assert past not in {e.event_id for e in listing.events}
    assert listing.sync_token and listing.requests == 2
    first, second = fake.api_requests("GET", "/events")
    assert first.query["fields"] == "nextPageToken,nextSyncToken"
    assert second.query["privateExtendedProperty"] == "interviewBot=1"
    event = listing.events[0]
    assert event.attendees == {ANA: "needsAction", CANDIDATE: "needsAction"}
    assert event.private["interviewBotSession"] in {"0", "1", "2"}


def test_incremental_sync_returns_only_what_changed_and_deletes_as_cancelled(
    fake: FakeCalendar, calendar: GoogleCalendar
) -> None:
    ids = [calendar.create_event(spec(n)).event_id for n in range(4)]
    token = calendar.list_own_events(SINCE).sync_token

    quiet = calendar.list_changes(token)
    assert quiet.events == () and quiet.requests == 1

    fake.set_response(ids[0], ANA, "declined")
    fake.set_response(ids[0], CANDIDATE, "accepted")
    fake.move_by_someone_else(ids[1], at(21, 9), at(21, 10))
    fake.delete_by_someone_else(ids[2])
    changed = calendar.list_changes(quiet.sync_token)

    by_id = {e.event_id: e for e in changed.events}
    assert set(by_id) == {ids[0], ids[1], ids[2]} and changed.requests == 1
    assert by_id[ids[0]].attendees == {ANA: "declined", CANDIDATE: "accepted"}
    assert (by_id[ids[1]].start, by_id[ids[1]].end) == (at(21, 9), at(21, 10))
    assert by_id[ids[2]].deleted and by_id[ids[2]].start is None
    assert calendar.list_changes(changed.sync_token).events == ()


def test_incremental_sync_follows_pages_to_the_sync_token(
    fake: FakeCalendar, calendar: GoogleCalendar, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = calendar.list_own_events(SINCE).sync_token
    for n in range(5):
        calendar.create_event(spec(n))
    monkeypatch.setattr(changes_module, "PAGE_SIZE", 2)
    fake.reset_requests()

    listing = calendar.list_changes(token)

    assert len(listing.events) == 5 and listing.requests == 3
    pages = fake.api_requests("GET", "/events")
    assert [r.query.get("pageToken") is None for r in pages] == [True, False, False]
    assert all(r.query["syncToken"] == token for r in pages)


def test_an_expired_token_raises_and_a_full_listing_starts_again(
    fake: FakeCalendar, calendar: GoogleCalendar
) -> None:
    calendar.create_event(spec(1))
    token = calendar.list_own_events(SINCE).sync_token
    fake.expire_sync_tokens()

    with pytest.raises(SyncTokenExpiredError, match="full sync is required"):
        calendar.list_changes(token)

    fresh = calendar.list_own_events(SINCE)
    assert len(fresh.events) == 1
    assert calendar.list_changes(fresh.sync_token).events == ()


def test_sync_token_cannot_be_combined_with_filters(fake: FakeCalendar) -> None:
    """The fake refuses what Google refuses, so a client that mixes them fails in tests too."""
    with FakeCalendar.start(require_auth=False) as bare:
        import json
        import urllib.request

        base = f"{bare.url}calendars/primary/events"
        with urllib.request.urlopen(f"{base}?timeMin=2026-12-01T00:00:00Z") as answer:
            token = json.load(answer)["nextSyncToken"]
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{base}?syncToken={token}&timeMin=2026-12-01T00:00:00Z")
        assert refused.value.code == 400


def test_read_event_sees_deletes_and_unknown_ids(
    fake: FakeCalendar, calendar: GoogleCalendar
) -> None:
    event_id = calendar.create_event(spec(1)).event_id
    fake.delete_by_someone_else(event_id)
    read = calendar.read_event(event_id)
    assert read is not None and read.deleted
    assert calendar.read_event("nosuchevent00") is None


def test_watch_opens_a_channel_and_stop_closes_it(
    fake: FakeCalendar, calendar: GoogleCalendar
) -> None:
    channel = calendar.watch("https://bot.example/google/notifications", "chan-1", "s3cret", 3600)

    (watch,) = fake.api_requests("POST", "/events/watch")
    assert watch.body["type"] == "web_hook" and watch.body["token"] == "s3cret"
    assert channel.channel_id == "chan-1" and channel.resource_id
    assert 3500 < (channel.expiration - datetime.now(UTC)).total_seconds() <= 3600
    assert set(fake.channels) == {"chan-1"}

    calendar.stop_watch(channel.channel_id, channel.resource_id)
    assert fake.channels == {}
    calendar.stop_watch(channel.channel_id, channel.resource_id)  # already gone: fine


def test_watch_refuses_a_plain_http_public_address(calendar: GoogleCalendar) -> None:
    with pytest.raises(CalendarError, match="HTTPS"):
        calendar.watch("http://bot.example/google/notifications", "chan-2", "s3cret", 3600)
