"""Wall-clock rules on DST days and odd offsets (CONTRACT.md section 5, FACTS.md "Time").

Expected instants were worked out by hand from the tz database rules, e.g. London springs forward
at 01:00 UTC on 2024-03-31, so every wall time from 01:00 to 01:59 that day means 01:00Z.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.planner.instants import format_instant
from bot.planner.wallclock import ZoneClock, _Day, week_hours_to_utc


def utc(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def clock(zone: str) -> ZoneClock:
    return ZoneClock(ZoneInfo(zone))


def hm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


TO_UTC_CASES = [
    # London spring forward: 01:00-02:00 does not exist -> 01:00Z (= 02:00 BST).
    ("Europe/London", date(2024, 3, 31), "00:30", "2024-03-31T00:30"),
    ("Europe/London", date(2024, 3, 31), "01:00", "2024-03-31T01:00"),
    ("Europe/London", date(2024, 3, 31), "01:30", "2024-03-31T01:00"),
    ("Europe/London", date(2024, 3, 31), "02:00", "2024-03-31T01:00"),
    ("Europe/London", date(2024, 3, 31), "02:30", "2024-03-31T01:30"),
    # London fall back: 01:00-02:00 twice -> first occurrence (BST).
    ("Europe/London", date(2024, 10, 27), "00:00", "2024-10-26T23:00"),
    ("Europe/London", date(2024, 10, 27), "01:30", "2024-10-27T00:30"),
    ("Europe/London", date(2024, 10, 27), "02:00", "2024-10-27T02:00"),
    # New York: gap 02:00-03:00 on 2024-03-10, 01:00-02:00 twice on 2024-11-03.
    ("America/New_York", date(2024, 3, 10), "02:30", "2024-03-10T07:00"),
    ("America/New_York", date(2024, 3, 10), "03:00", "2024-03-10T07:00"),
    ("America/New_York", date(2024, 11, 3), "01:30", "2024-11-03T05:30"),
    ("America/New_York", date(2024, 11, 3), "02:00", "2024-11-03T07:00"),
    # São Paulo 2018-11-04: the day has no midnight (00:00 -> 01:00).
    ("America/Sao_Paulo", date(2018, 11, 4), "00:00", "2018-11-04T03:00"),
    ("America/Sao_Paulo", date(2018, 11, 4), "00:59", "2018-11-04T03:00"),
    ("America/Sao_Paulo", date(2018, 11, 4), "01:00", "2018-11-04T03:00"),
    ("America/Sao_Paulo", date(2018, 11, 3), "24:00", "2018-11-04T03:00"),
    ("America/Sao_Paulo", date(2018, 11, 3), "23:00", "2018-11-04T02:00"),
    # Lord Howe: 30-minute shifts. 2024-04-07 02:00 (+11) -> 01:30 (+10:30).
    ("Australia/Lord_Howe", date(2024, 4, 7), "01:30", "2024-04-06T14:30"),
    ("Australia/Lord_Howe", date(2024, 4, 7), "01:45", "2024-04-06T14:45"),
    ("Australia/Lord_Howe", date(2024, 4, 7), "02:00", "2024-04-06T15:30"),
    # 2024-10-06 02:00 (+10:30) -> 02:30 (+11).
    ("Australia/Lord_Howe", date(2024, 10, 6), "02:00", "2024-10-05T15:30"),
    ("Australia/Lord_Howe", date(2024, 10, 6), "02:15", "2024-10-05T15:30"),
    ("Australia/Lord_Howe", date(2024, 10, 6), "02:30", "2024-10-05T15:30"),
    ("Australia/Lord_Howe", date(2024, 10, 6), "01:59", "2024-10-05T15:29"),
    # Fixed odd offsets.
    ("Asia/Kolkata", date(2024, 6, 12), "09:00", "2024-06-12T03:30"),
    ("Asia/Kathmandu", date(2024, 6, 12), "09:00", "2024-06-12T03:15"),
    ("Pacific/Chatham", date(2024, 6, 12), "09:00", "2024-06-11T20:15"),
    ("Pacific/Chatham", date(2024, 6, 12), "24:00", "2024-06-12T11:15"),
]


@pytest.mark.parametrize(("zone", "day", "wall", "expected"), TO_UTC_CASES)
def test_wall_time_to_utc(zone: str, day: date, wall: str, expected: str) -> None:
    assert format_instant(clock(zone).to_utc(day, hm(wall))) == expected + ":00Z"


GRID_CASES = [
    # (zone, date, step, number of grid points, a wall time that is not a grid point or None)
    ("UTC", date(2024, 3, 31), 15, 96, None),
    ("Europe/London", date(2024, 3, 31), 15, 92, "01:15"),
    ("Europe/London", date(2024, 10, 27), 15, 100, None),
    ("America/New_York", date(2024, 3, 10), 15, 92, "02:00"),
    ("America/New_York", date(2024, 11, 3), 60, 25, None),
    ("America/Sao_Paulo", date(2018, 11, 4), 60, 23, "00:00"),
    ("Australia/Lord_Howe", date(2024, 4, 7), 30, 49, None),
    ("Australia/Lord_Howe", date(2024, 4, 7), 60, 24, None),
    ("Australia/Lord_Howe", date(2024, 10, 6), 60, 23, "02:00"),
    ("Australia/Lord_Howe", date(2024, 10, 6), 15, 94, "02:15"),
    ("Asia/Kolkata", date(2024, 6, 12), 60, 24, None),
    ("Asia/Kathmandu", date(2024, 6, 12), 60, 24, None),
    ("Pacific/Chatham", date(2024, 6, 12), 60, 24, None),
    ("Pacific/Chatham", date(2024, 9, 29), 15, 92, "03:00"),
    ("UTC", date(2024, 6, 12), 7, 206, None),  # 0, 7, ..., 1435: the step need not divide a day
]


@pytest.mark.parametrize(("zone", "day", "step", "count", "missing"), GRID_CASES)
def test_grid_points(zone: str, day: date, step: int, count: int, missing: str | None) -> None:
    points = clock(zone).grid(day, step)
    assert len(points) == count
    assert points == sorted(set(points))
    tz = ZoneInfo(zone)
    walls = [datetime.fromtimestamp(p, tz) for p in points]
    assert all(w.date() == day and (w.hour * 60 + w.minute) % step == 0 for w in walls)
    if missing is not None:
        assert missing not in {w.strftime("%H:%M") for w in walls}


def test_repeated_wall_time_is_a_grid_point_at_both_occurrences() -> None:
    points = clock("Europe/London").grid(date(2024, 10, 27), 30)
    assert utc("2024-10-27T00:30") in points  # 01:30 BST
    assert utc("2024-10-27T01:30") in points  # 01:30 GMT


def test_odd_offsets_put_the_grid_off_the_utc_hour() -> None:
    kathmandu = clock("Asia/Kathmandu").grid(date(2024, 6, 12), 60)
    chatham = clock("Pacific/Chatham").grid(date(2024, 6, 12), 60)
    kolkata = clock("Asia/Kolkata").grid(date(2024, 6, 12), 60)
    assert {p % 3600 for p in kathmandu} == {15 * 60}
    assert {p % 3600 for p in chatham} == {15 * 60}
    assert {p % 3600 for p in kolkata} == {30 * 60}


def test_sao_paulo_day_start_is_the_end_of_the_gap() -> None:
    sao_paulo = clock("America/Sao_Paulo")
    assert format_instant(sao_paulo.day_start(date(2018, 11, 4))) == "2018-11-04T03:00:00Z"
    assert sao_paulo.grid(date(2018, 11, 4), 60)[0] == utc("2018-11-04T03:00")


def test_working_hours_across_midnight_touch_in_utc() -> None:
    hours = tuple(
        ((18 * 60, 1440),) if d == 5 else ((0, 9 * 60),) if d == 6 else () for d in range(7)
    )
    intervals = week_hours_to_utc(
        clock("America/Sao_Paulo"), hours, date(2018, 11, 3), date(2018, 11, 4)
    )
    # Saturday 18:00-24:00 (-03) and Sunday 00:00 (no such time: 01:00 -02) to 09:00 (-02).
    assert intervals == [
        (utc("2018-11-03T21:00"), utc("2018-11-04T03:00")),
        (utc("2018-11-04T03:00"), utc("2018-11-04T11:00")),
    ]


def test_a_working_interval_inside_a_gap_is_empty() -> None:
    hours = tuple(((60, 120),) for _ in range(7))
    intervals = week_hours_to_utc(
        clock("Europe/London"), hours, date(2024, 3, 31), date(2024, 3, 31)
    )
    assert intervals == [(utc("2024-03-31T01:00"), utc("2024-03-31T01:00"))]


class _SlowClock(ZoneClock):
    """The careful path for every day, to check the one-offset fast path against it."""

    def _day(self, day: date) -> _Day:
        return _Day(None)


@pytest.mark.parametrize(
    "zone",
    [
        "Europe/London",
        "America/New_York",
        "America/Sao_Paulo",
        "Australia/Lord_Howe",
        "Pacific/Chatham",
        "America/Santiago",
        "Asia/Kathmandu",
    ],
)
def test_fast_path_agrees_with_careful_path(zone: str) -> None:
    fast, slow = clock(zone), _SlowClock(ZoneInfo(zone))
    days = [date(2018, 1, 1) + timedelta(days=n) for n in range(365)]
    days += [date(2024, 1, 1) + timedelta(days=n) for n in range(366)]
    for day in days:
        for minute in (0, 30, 90, 150, 1439):
            assert fast.to_utc(day, minute) == slow.to_utc(day, minute), (day, minute)
        if day.day in (1, 2, 3, 4, 5, 6, 7):  # the first week of each month holds most shifts
            assert fast.grid(day, 30) == slow.grid(day, 30), day
