"""Free/busy at scale: chunking, concurrency, unknown calendars, retries, cache, long windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.ports import CalendarBusy, CalendarError, EventSpec, TimeRange
from integrations.google import GoogleApiError, GoogleCalendar
from integrations.sandbox.google_calendar import FakeCalendar
from tests.google.conftest import FakeClock

START = datetime(2026, 12, 1, tzinfo=UTC)
END = START + timedelta(days=14)
ANA = "ana@corp.example"
BO = "bo@corp.example"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def people(n: int) -> list[str]:
    return [f"person{i:03d}@corp.example" for i in range(n)]


def test_busy_intervals_come_back_per_calendar_keyed_as_asked(
    fake: FakeCalendar, calendar: GoogleCalendar
) -> None:
    fake.set_busy(ANA, [(at(2, 10), at(2, 11)), ("2026-12-03T09:00:00-05:00", at(3, 15))])
    answer = calendar.free_busy(["Ana@Corp.example", BO, ANA], START, END)

    assert list(answer) == ["Ana@Corp.example", BO, ANA]
    assert answer[ANA] == answer["Ana@Corp.example"]
    assert answer[ANA].error is None
    assert answer[ANA].busy == (TimeRange(at(2, 10), at(2, 11)), TimeRange(at(3, 14), at(3, 15)))
    assert answer[BO].busy == ()
    assert answer[BO].error is None
    (request,) = fake.freebusy_requests  # duplicates asked once
    assert [item["id"] for item in request.body["items"]] == ["Ana@Corp.example", BO]
    assert request.body["timeMin"] == "2026-12-01T00:00:00Z"
    assert request.body["timeMax"] == "2026-12-15T00:00:00Z"


def test_120_calendars_take_exactly_three_requests_of_at_most_50(
    fake: FakeCalendar, calendar: GoogleCalendar
) -> None:
    emails = people(120)
    fake.set_busy(emails[119], [(at(4, 9), at(4, 10))])
    answer = calendar.free_busy(emails, START, END)

    requests = fake.freebusy_requests
    assert len(requests) == 3
    sizes = sorted(len(r.body["items"]) for r in requests)
    assert sizes == [20, 50, 50]
    asked = [item["id"] for r in requests for item in r.body["items"]]
    assert sorted(asked) == sorted(emails)
    assert set(answer) == set(emails)
    assert answer[emails[119]].busy == (TimeRange(at(4, 9), at(4, 10)),)


def test_the_chunks_are_in_flight_at_the_same_time(
    fake: FakeCalendar, calendar: GoogleCalendar
) -> None:
    calendar.free_busy([ANA], START, END)  # warm up: token and one worker
    fake.reset_requests()
    fake.latency = 0.15  # each request takes 150 ms at the fake
    calendar.free_busy(people(150), START, END)
    assert len(fake.freebusy_requests) == 3
    assert fake.max_in_flight >= 2  # sequential chunks would never overlap


def test_a_calendar_with_errors_is_unknown_not_free(
    fake: FakeCalendar, calendar: GoogleCalendar
) -> None:
    ghost = "ghost@corp.example"
    fake.calendar_error(ghost, "notFound")
    fake.set_busy(ANA, [(at(2, 10), at(2, 11))])
    answer = calendar.free_busy([ANA, ghost], START, END)

    error = answer[ghost].error
    assert error is not None
    assert error.startswith("notFound")
    assert answer[ghost].busy == ()
    assert answer[ANA].error is None
    assert len(answer[ANA].busy) == 1
    # unknown answers are not cached: the next planning run asks again
    fake.calendar_error(ghost, None)
    again = calendar.free_busy([ANA, ghost], START, END)
    assert again[ghost].error is None
    assert [item["id"] for item in fake.freebusy_requests[-1].body["items"]] == [ghost]


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (503, "backendError"),
        (500, "internalError"),
        (429, "rateLimitExceeded"),
        (403, "rateLimitExceeded"),
        (403, "userRateLimitExceeded"),
    ],
)
def test_transient_failures_are_retried_with_backoff(
    fake: FakeCalendar, calendar: GoogleCalendar, clock: FakeClock, status: int, reason: str
) -> None:
    fake.set_busy(ANA, [(at(2, 10), at(2, 11))])
    fake.fail_next(status, reason=reason)
    answer = calendar.free_busy([ANA], START, END)

    assert [r.status for r in fake.freebusy_requests] == [status, 200]
    assert answer[ANA].busy == (TimeRange(at(2, 10), at(2, 11)),)
    assert clock.sleeps == [0.5]  # first backoff: initial 0.5 s (jitter pinned to 1)


def test_backoff_grows_exponentially_up_to_the_cap(
    fake: FakeCalendar, calendar: GoogleCalendar, clock: FakeClock
) -> None:
    fake.fail_next(503, count=5)
    calendar.free_busy([ANA], START, END)
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert len(fake.freebusy_requests) == 6


def test_retry_after_is_honoured(
    fake: FakeCalendar, calendar: GoogleCalendar, clock: FakeClock
) -> None:
    fake.fail_next(429, retry_after=3)
    calendar.free_busy([ANA], START, END)
    assert clock.sleeps == [3.0]


def test_giving_up_is_bounded_and_says_why(
    fake: FakeCalendar, calendar: GoogleCalendar, clock: FakeClock
) -> None:
    fake.fail_next(503, count=100)
    with pytest.raises(CalendarError) as raised:
        calendar.free_busy([ANA], START, END)
    assert len(fake.freebusy_requests) == 6  # max_attempts
    assert sum(clock.sleeps) <= 30.0  # the deadline
    message = str(raised.value)
    assert "\n" not in message
    assert "free/busy" in message
    assert ANA in message
    assert "gave up after 6 attempts" in message
    assert "HTTP 503 backendError" in message


@pytest.mark.parametrize(
    ("status", "reason", "words"),
    [
        (403, "quotaExceeded", "quota is used up"),
        (403, "forbidden", "permission denied"),
        (400, "badRequest", "Google rejected the request"),
        (404, "notFound", "not found"),
    ],
)
def test_permanent_failures_are_not_retried(
    fake: FakeCalendar,
    calendar: GoogleCalendar,
    clock: FakeClock,
    status: int,
    reason: str,
    words: str,
) -> None:
    fake.fail_next(status, reason=reason, count=5)
    with pytest.raises(GoogleApiError) as raised:
        calendar.free_busy([ANA], START, END)
    assert len(fake.freebusy_requests) == 1
    assert clock.sleeps == []
    assert raised.value.status == status
    assert raised.value.reason == reason
    assert words in str(raised.value)
    assert f"HTTP {status} {reason}" in str(raised.value)


def test_a_lost_response_is_asked_again(fake: FakeCalendar, calendar: GoogleCalendar) -> None:
    fake.drop_next(count=2, match="/freeBusy")
    fake.set_busy(ANA, [(at(2, 10), at(2, 11))])
    answer = calendar.free_busy([ANA], START, END)
    assert answer[ANA].busy == (TimeRange(at(2, 10), at(2, 11)),)
    assert [r.status for r in fake.freebusy_requests] == [None, None, 200]


def test_one_failed_chunk_fails_the_whole_query(
    fake: FakeCalendar, calendar: GoogleCalendar
) -> None:
    fake.fail_next(403, reason="forbidden", count=1)
    with pytest.raises(CalendarError, match="permission denied"):
        calendar.free_busy(people(120), START, END)
    assert len(fake.freebusy_requests) == 3


def test_the_cache_answers_a_repeat_and_invalidate_forces_a_query(
    fake: FakeCalendar, calendar: GoogleCalendar, clock: FakeClock
) -> None:
    fake.set_busy(ANA, [(at(2, 10), at(2, 11))])
    first = calendar.free_busy([ANA, BO], START, END)
    assert calendar.free_busy([BO, ANA], START, END) == {BO: first[BO], ANA: first[ANA]}
    assert len(fake.freebusy_requests) == 1

    fake.set_busy(ANA, [(at(2, 12), at(2, 13))])
    calendar.invalidate([ANA.upper()])
    answer = calendar.free_busy([ANA, BO], START, END)
    assert len(fake.freebusy_requests) == 2
    assert [item["id"] for item in fake.freebusy_requests[1].body["items"]] == [ANA]
    assert answer[ANA].busy == (TimeRange(at(2, 12), at(2, 13)),)

    # another window is another key
    calendar.free_busy([BO], START, END + timedelta(days=1))
    assert len(fake.freebusy_requests) == 3

    clock.advance(61)  # past the 60 s TTL
    calendar.free_busy([ANA, BO], START, END)
    assert len(fake.freebusy_requests) == 4
    assert len(fake.freebusy_requests[3].body["items"]) == 2


def test_booking_invalidates_the_attendees(fake: FakeCalendar, calendar: GoogleCalendar) -> None:
    calendar.free_busy([ANA, BO], START, END)
    calendar.create_event(
        EventSpec(
            key="loop-1/session-1",
            summary="Code review",
            description="",
            start=at(2, 14),
            end=at(2, 15),
            attendees=(ANA, "candidate@example.org"),
        )
    )
    answer = calendar.free_busy([ANA, BO], START, END)
    assert [item["id"] for item in fake.freebusy_requests[-1].body["items"]] == [ANA]
    assert answer[ANA].busy == (TimeRange(at(2, 14), at(2, 15)),)  # the fake sees the event


def test_a_long_window_is_split_into_queries_of_at_most_60_days(
    fake: FakeCalendar, calendar: GoogleCalendar
) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = start + timedelta(days=150)
    boundary = start + timedelta(days=60)
    # one meeting straddles the first split point; it must come back as one interval
    fake.set_busy(ANA, [(boundary - timedelta(hours=1), boundary + timedelta(hours=1))])
    emails = [ANA, *people(59)]  # 60 calendars: 2 chunks x 3 windows
    answer = calendar.free_busy(emails, start, end)

    requests = fake.freebusy_requests
    assert len(requests) == 6
    assert all(r.status == 200 for r in requests)  # the fake refuses > 60 days
    windows = sorted({(r.body["timeMin"], r.body["timeMax"]) for r in requests})
    assert windows == [
        ("2026-01-01T00:00:00Z", "2026-03-02T00:00:00Z"),
        ("2026-03-02T00:00:00Z", "2026-05-01T00:00:00Z"),
        ("2026-05-01T00:00:00Z", "2026-05-31T00:00:00Z"),
    ]
    assert answer[ANA].busy == (
        TimeRange(boundary - timedelta(hours=1), boundary + timedelta(hours=1)),
    )


def test_the_fake_refuses_a_window_over_60_days_like_google(fake: FakeCalendar) -> None:
    # Guards the test above: without the split the query really would fail.
    status, body = fake._freebusy(
        {"timeMin": "2026-01-01T00:00:00Z", "timeMax": "2026-03-03T00:00:00Z", "items": []}
    )
    assert status == 400
    assert body["error"]["errors"][0]["reason"] == "timeRangeTooLong"


def test_naive_datetimes_and_reversed_windows_are_programming_errors(
    fake: FakeCalendar, calendar: GoogleCalendar
) -> None:
    with pytest.raises(ValueError, match="naive"):
        calendar.free_busy([ANA], datetime(2026, 12, 1), END)
    with pytest.raises(ValueError, match="before it starts"):
        calendar.free_busy([ANA], END, START)
    assert calendar.free_busy([ANA], START, START) == {ANA: CalendarBusy()}
    assert fake.freebusy_requests == []
