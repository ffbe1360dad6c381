"""The candidate's own times: rows in their zone → instants, including DST edges."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.services.candidate_page import distinct_times, parse_rows
from bot.services.read import option_fingerprint

NOW = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


def test_rows_in_the_shown_zone_become_instants() -> None:
    ranges, problems = parse_rows(
        [("2024-03-04", "09:00", "12:00"), ("", "", ""), ("2024-03-05", "13:30", "17:00")],
        "America/New_York",
        NOW,
    )
    assert problems == []
    assert [(r.start.isoformat(), r.end.isoformat()) for r in ranges] == [
        ("2024-03-04T14:00:00+00:00", "2024-03-04T17:00:00+00:00"),
        ("2024-03-05T18:30:00+00:00", "2024-03-05T22:00:00+00:00"),
    ]


def test_a_time_in_the_spring_gap_means_the_first_instant_after_it() -> None:
    ranges, problems = parse_rows([("2024-03-31", "01:30", "03:00")], "Europe/London", NOW)
    assert problems == []
    assert ranges[0].start == datetime(2024, 3, 31, 1, 0, tzinfo=UTC)  # 02:00 BST
    assert ranges[0].end == datetime(2024, 3, 31, 2, 0, tzinfo=UTC)  # 03:00 BST


def test_an_ambiguous_time_means_its_first_occurrence() -> None:
    autumn = datetime(2024, 10, 1, tzinfo=UTC)
    ranges, problems = parse_rows([("2024-10-27", "01:30", "04:00")], "Europe/London", autumn)
    assert problems == []
    assert ranges[0].start == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)  # 01:30 BST


def test_every_bad_row_is_named_and_nothing_is_returned() -> None:
    ranges, problems = parse_rows(
        [("2024-03-04", "10:00", "09:00"), ("2024-03-05", "09:00", "10:00"), ("x", "1", "2")],
        "UTC",
        NOW,
    )
    assert ranges == []
    assert [p.split(":")[0] for p in problems] == ["Row 1", "Row 3"]


def test_options_at_the_same_times_are_shown_once() -> None:
    def option(who: str, start: str) -> dict[str, object]:
        return {
            "sessions": [
                {"stage": "a", "interviewers": [who], "start": start, "end": "2026-12-02T11:00Z"}
            ]
        }

    first, same_time, later = (
        option("1", "2026-12-02T10:00Z"),
        option("2", "2026-12-02T10:00:00+00:00"),
        option("1", "2026-12-02T10:15Z"),
    )
    assert distinct_times([first, same_time, later]) == [first, later]
    assert option_fingerprint(first) != option_fingerprint(same_time)
    assert option_fingerprint(first) == option_fingerprint(option("1", "2026-12-02T10:00:00+00:00"))
