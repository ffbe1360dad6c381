"""Interview events: idempotent insert, Meet links, moves that keep them, cancels, responses."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.ports import CalendarError, EventSpec
from integrations.google import GoogleApiError, GoogleCalendar, event_id_for
from integrations.sandbox.google_calendar import FakeCalendar
from tests.google.conftest import ORGANIZER, FakeClock

ANA = "ana@corp.example"
BO = "bo@corp.example"
CANDIDATE = "jane.doe@example.org"


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=UTC)


def spec(key: str = "loop-L7F3K/session-1", **changes: object) -> EventSpec:
    fields: dict[str, object] = {
        "key": key,
        "summary": "Interview: Jane Doe — Code review (L7F3K)",
        "description": "Candidate: Jane Doe\nStage: Code review\nPrep: read the PR\nLoop: L7F3K",
        "start": at(2, 14),
        "end": at(2, 15),
        "attendees": (ANA, BO, CANDIDATE),
        "private_properties": {"loop_id": "L7F3K", "session_id": "1"},
    }
    fields.update(changes)
    return EventSpec(**fields)  # type: ignore[arg-type]


def inserts(fake: FakeCalendar) -> list[int | None]:
    return [r.status for r in fake.api_requests("POST", "/events")]


def test_event_ids_are_deterministic_base32hex() -> None:
    first = event_id_for("loop-L7F3K/session-1")
    assert first == event_id_for("loop-L7F3K/session-1")
    assert first != event_id_for("loop-L7F3K/session-2")
    assert re.fullmatch(r"[a-v0-9]{5,1024}", first)
    with pytest.raises(ValueError, match="empty"):
        event_id_for("")


def test_create_sends_invitations_with_a_meet_link_and_tags(
    fake: FakeCalendar, calendar: GoogleCalendar
) -> None:
    ref = calendar.create_event(spec(attendees=(ANA, "Ana@Corp.example", BO, CANDIDATE)))

    (request,) = fake.api_requests("POST", "/events")
    assert request.path == "/calendar/v3/calendars/primary/events"
    assert request.query["sendUpdates"] == "all"
    assert request.query["conferenceDataVersion"] == "1"
    body = request.body
    assert body["id"] == event_id_for("loop-L7F3K/session-1") == ref.event_id
    assert body["start"] == {"dateTime": "2026-12-02T14:00:00Z"}
    assert body["end"] == {"dateTime": "2026-12-02T15:00:00Z"}
    assert body["attendees"] == [{"email": ANA}, {"email": BO}, {"email": CANDIDATE}]
    assert body["extendedProperties"] == {
        "private": {"loop_id": "L7F3K", "session_id": "1", "interviewBot": "1"}
    }
    create = body["conferenceData"]["createRequest"]
    assert create["conferenceSolutionKey"] == {"type": "hangoutsMeet"}
    assert create["requestId"] == ref.event_id
    assert "Prep: read the PR" in body["description"]

    event = fake.events[ref.event_id]
    assert event["organizer"]["email"] == ORGANIZER  # "primary" = the impersonated organizer
    assert ref.meet_link is not None
    assert ref.meet_link.startswith("https://meet.google.com/")
    assert ref.meet_link == event["hangoutLink"]
    assert ref.html_link == event["htmlLink"]


def test_a_duplicate_insert_returns_the_existing_event(
    fake: FakeCalendar, calendar: GoogleCalendar
) -> None:
    first = calendar.create_event(spec())
    second = calendar.create_event(spec())
    assert second == first
    assert len(fake.events) == 1
    assert inserts(fake) == [200, 409]
    assert [r.status for r in fake.api_requests("GET")] == [200]


@pytest.mark.parametrize("lost", [1, 2])
def test_an_insert_whose_response_is_lost_makes_one_event(
    fake: FakeCalendar, calendar: GoogleCalendar, lost: int
) -> None:
    # lost=1: httplib2 itself resends on the dead connection; lost=2: our retry does.
    fake.drop_next(count=lost, match="POST /calendar/v3/calendars/primary/events")
    ref = calendar.create_event(spec())

    assert len(fake.events) == 1
    assert inserts(fake) == [None] * lost + [409]
    assert ref.event_id == event_id_for("loop-L7F3K/session-1")
    assert ref.meet_link == fake.events[ref.event_id]["hangoutLink"]


def test_an_insert_failing_with_503_then_succeeding_makes_one_event(
    fake: FakeCalendar, calendar: GoogleCalendar, clock: FakeClock
) -> None:
    fake.fail_next(503, match="POST")
    calendar.create_event(spec())
    assert inserts(fake) == [503, 200]
    assert len(fake.events) == 1
    assert clock.sleeps == [0.5]


def test_a_forbidden_insert_is_a_clear_error_at_once(
    fake: FakeCalendar, calendar: GoogleCalendar, clock: FakeClock
) -> None:
    fake.fail_next(403, reason="forbidden", message="Service accounts cannot invite attendees")
    with pytest.raises(CalendarError) as raised:
        calendar.create_event(spec())
    message = str(raised.value)
    assert message.startswith("Creating the event 'Interview: Jane Doe")
    assert f"on {ORGANIZER}'s calendar" in message
    assert "permission denied (Service accounts cannot invite attendees)" in message
    assert inserts(fake) == [403]
    assert clock.sleeps == []
    assert fake.events == {}


def test_patch_moves_the_event_and_keeps_the_meet_link(
    fake: FakeCalendar, calendar: GoogleCalendar
) -> None:
    ref = calendar.create_event(spec())
    moved = calendar.patch_event(ref.event_id, spec(start=at(3, 16), end=at(3, 17)))

    (patch,) = fake.api_requests("PATCH")
    assert patch.query["conferenceDataVersion"] == "1"
    assert patch.query["sendUpdates"] == "all"
    assert patch.body["start"]["dateTime"] == "2026-12-03T16:00:00Z"
    assert patch.body["end"]["dateTime"] == "2026-12-03T17:00:00Z"
    assert "conferenceData" not in patch.body
    event = fake.events[ref.event_id]
    assert event["start"]["dateTime"] == "2026-12-03T16:00:00Z"
    assert moved.meet_link == ref.meet_link
    assert event["hangoutLink"] == ref.meet_link
    assert event["conferenceData"]["conferenceId"]
    assert len(fake.events) == 1


def test_the_fake_drops_the_conference_on_a_patch_without_conference_version(
    fake: FakeCalendar, calendar: GoogleCalendar
) -> None:
    # Guards the test above: the fake behaves like Google, so keeping the link is not free.
    ref = calendar.create_event(spec())
    organizer_events = f"/calendar/v3/calendars/primary/events/{ref.event_id}"
    status, _ = fake._api(
        "PATCH",
        organizer_events,
        {"sendUpdates": "all"},
        {"summary": "renamed"},
        next(iter(fake._tokens.values())),
    )
    assert status == 200
    assert "hangoutLink" not in fake.events[ref.event_id]
    assert "conferenceData" not in fake.events[ref.event_id]


def test_patching_a_missing_event_names_it(fake: FakeCalendar, calendar: GoogleCalendar) -> None:
    with pytest.raises(GoogleApiError) as raised:
        calendar.patch_event("abcdefghij", spec(start=at(3, 16), end=at(3, 17)))
    assert raised.value.status == 404
    assert str(raised.value).startswith("Updating event abcdefghij on organizer@corp.example's")
    assert len(fake.api_requests("PATCH")) == 1


def test_cancel_notifies_and_twice_is_fine(fake: FakeCalendar, calendar: GoogleCalendar) -> None:
    ref = calendar.create_event(spec())
    calendar.cancel_event(ref.event_id)
    calendar.cancel_event(ref.event_id)  # 410 Gone: already done
    calendar.cancel_event(event_id_for("never-booked"))  # 404: nothing to cancel

    deletes = fake.api_requests("DELETE")
    assert [r.status for r in deletes] == [204, 410, 404]
    assert all(r.query["sendUpdates"] == "all" for r in deletes)
    assert fake.events == {}
    assert fake.all_events[ref.event_id]["status"] == "cancelled"


def test_a_cancel_whose_response_is_lost_is_fine(
    fake: FakeCalendar, calendar: GoogleCalendar
) -> None:
    ref = calendar.create_event(spec())
    fake.drop_next(count=2, match="DELETE")
    calendar.cancel_event(ref.event_id)
    assert [r.status for r in fake.api_requests("DELETE")] == [None, None, 410]
    assert fake.events == {}


def test_booking_a_cancelled_session_again_revives_its_event(
    fake: FakeCalendar, calendar: GoogleCalendar
) -> None:
    ref = calendar.create_event(spec())
    calendar.cancel_event(ref.event_id)
    again = calendar.create_event(spec(start=at(4, 10), end=at(4, 11)))

    assert again.event_id == ref.event_id
    event = fake.events[ref.event_id]
    assert event["status"] == "confirmed"
    assert event["start"]["dateTime"] == "2026-12-04T10:00:00Z"
    assert again.meet_link is not None
    (update,) = fake.api_requests("PUT")
    assert update.query["sendUpdates"] == "all"
    assert update.query["conferenceDataVersion"] == "1"


def test_bad_specs_are_programming_errors(fake: FakeCalendar, calendar: GoogleCalendar) -> None:
    with pytest.raises(ValueError, match="ends"):
        calendar.create_event(spec(end=at(2, 13)))
    with pytest.raises(ValueError, match="naive"):
        calendar.create_event(spec(start=datetime(2026, 12, 2, 14), end=datetime(2026, 12, 2, 15)))
    assert fake.api_requests() == []


def test_calls_from_many_threads_share_one_client(
    fake: FakeCalendar, calendar: GoogleCalendar
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    fake.latency = 0.02
    specs = [spec(key=f"loop/{i}", start=at(2, 8) + timedelta(hours=i)) for i in range(8)]
    specs = [spec(key=s.key, start=s.start, end=s.start + timedelta(hours=1)) for s in specs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        refs = list(pool.map(calendar.create_event, specs + specs))
    assert len(fake.events) == 8
    assert {r.event_id for r in refs} == {event_id_for(s.key) for s in specs}
