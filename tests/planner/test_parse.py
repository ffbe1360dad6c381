"""Validation and defaults of the planning request's JSON form (CONTRACT.md section 5)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from bot.planner import PlanInputError, parse_request
from bot.planner.parse import CANDIDATE_HOURS, INTERVIEWER_HOURS
from tests.planner.conftest import BASE_REQUEST, Request


def edited(change: Callable[[Request], object]) -> Request:
    request = copy.deepcopy(BASE_REQUEST)
    request["interviewers"] = [copy.deepcopy(request["interviewers"][0]) for _ in range(3)]
    for index, person in enumerate(request["interviewers"]):
        person["id"] = f"U{index}"
    change(request)
    return request


def put(path: list[Any], value: object) -> Callable[[Request], None]:
    def change(request: Request) -> None:
        target: Any = request
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def drop(path: list[Any]) -> Callable[[Request], None]:
    def change(request: Request) -> None:
        target: Any = request
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


BAD = [
    (put(["now"], "2026-12-01T08:00:00"), "now", "offset"),
    (put(["now"], 1733040000), "now", "RFC 3339"),
    (drop(["now"]), "now", "required"),
    (put(["window", "end"], "2026-12-01"), "window.end", "before"),
    (put(["window", "start"], "2026-02-30"), "window.start", "impossible"),
    (put(["window", "end"], "2027-12-31"), "window.end", "366"),
    (drop(["candidate", "timezone"]), "candidate.timezone", "required"),
    (put(["candidate", "timezone"], "Mars/Olympus"), "candidate.timezone", "unknown time zone"),
    (put(["candidate", "timezone"], "../etc/passwd"), "candidate.timezone", "unknown time zone"),
    (put(["interviewers", 2, "timezone"], "Europe/Londn"), "interviewers[2].timezone", "unknown"),
    (drop(["interviewers", 1, "timezone"]), "interviewers[1].timezone", "required"),
    (
        put(["candidate", "working_hours"], {"monday": [["09:00", "17:00"]]}),
        "candidate.working_hours.monday",
        "unknown field",
    ),
    (
        put(["interviewers", 0, "working_hours"], {"wed": [["9:00", "17:00"]]}),
        "interviewers[0].working_hours.wed[0][0]",
        "time like",
    ),
    (
        put(["interviewers", 0, "working_hours"], {"wed": [["24:00", "24:00"]]}),
        "interviewers[0].working_hours.wed[0][0]",
        "only allowed as the end",
    ),
    (
        put(["interviewers", 0, "working_hours"], {"wed": [["18:00", "09:00"]]}),
        "interviewers[0].working_hours.wed[0]",
        "ends before it starts",
    ),
    (
        put(["interviewers", 0, "working_hours"], {"wed": [["09:00", "09:00"]]}),
        "interviewers[0].working_hours.wed[0]",
        "ends before it starts",
    ),
    (
        put(["interviewers", 0, "working_hours"], {"wed": [["09:00", "24:30"]]}),
        "interviewers[0].working_hours.wed[0][1]",
        "not a time of day",
    ),
    (
        put(["interviewers", 0, "working_hours"], {"wed": [["09:00"]]}),
        "interviewers[0].working_hours.wed[0]",
        "pair",
    ),
    (
        put(
            ["candidate", "availability"],
            [{"start": "2026-12-02T10:00:00Z", "end": "2026-12-02T09:00:00Z"}],
        ),
        "candidate.availability[0].end",
        "not after start",
    ),
    (
        put(
            ["interviewers", 1, "busy"],
            [
                {"start": "2026-12-02T10:00:00Z", "end": "2026-12-02T11:00:00Z"},
                {"start": "2026-12-02T10:00:00+01:00", "end": "2026-12-02T09:00:00Z"},
            ],
        ),
        "interviewers[1].busy[1].end",
        "not after start",
    ),
    (
        put(["interviewers", 1, "booked_interviews"], [{"start": "2026-12-02T10:00:00Z"}]),
        "interviewers[1].booked_interviews[0].end",
        "required",
    ),
    (put(["loop", "stages", 0, "duration_minutes"], 0), "loop.stages[0].duration_minutes", ""),
    (put(["loop", "stages", 0, "duration_minutes"], -5), "loop.stages[0].duration_minutes", ""),
    (put(["loop", "stages", 0, "duration_minutes"], 1.5), "loop.stages[0].duration_minutes", ""),
    (put(["loop", "stages", 0, "duration_minutes"], "60"), "loop.stages[0].duration_minutes", ""),
    (put(["loop", "stages", 0, "duration_minutes"], True), "loop.stages[0].duration_minutes", ""),
    (
        put(["loop", "stages", 0, "duration_minutes"], 7 * 24 * 60 + 1),
        "loop.stages[0].duration_minutes",
        "longer than a week",
    ),
    (put(["loop", "stages", 0, "interviewers"], 0), "loop.stages[0].interviewers", "positive"),
    (
        put(["loop", "stages"], [BASE_REQUEST["loop"]["stages"][0]] * 2),
        "loop.stages[1].name",
        "duplicate stage name 'talk'",
    ),
    (put(["loop", "stages"], []), "loop.stages", "at least one"),
    (put(["loop", "order"], "random"), "loop.order", '"fixed" or "any"'),
    (put(["loop", "same_day"], "yes"), "loop.same_day", "true or false"),
    (put(["loop", "min_break_minutes"], -1), "loop.min_break_minutes", "non-negative"),
    (put(["settings", "slot_step_minutes"], 0), "settings.slot_step_minutes", "positive"),
    (put(["settings", "max_options"], 0), "settings.max_options", "positive"),
    (put(["settings", "buffer_minutes"], -10), "settings.buffer_minutes", "non-negative"),
    (put(["interviewers", 2, "max_per_week"], -1), "interviewers[2].max_per_week", ""),
    (put(["interviewers", 2, "id"], "U0"), "interviewers[2].id", "duplicate id 'U0'"),
    (put(["interviewers", 2, "pools"], "p"), "interviewers[2].pools", "list"),
    (put(["interviewers"], {"U1": {}}), "interviewers", "list"),
]


@pytest.mark.parametrize(("change", "path", "words"), BAD)
def test_bad_input_names_the_field(
    change: Callable[[Request], None], path: str, words: str
) -> None:
    with pytest.raises(PlanInputError) as caught:
        parse_request(edited(change))
    message = str(caught.value)
    assert message.startswith(path + ": ")
    assert words in message
    assert "\n" not in message
    assert caught.value.path == path
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("data", [None, [], "request", 3])
def test_request_must_be_an_object(data: object) -> None:
    with pytest.raises(PlanInputError, match="request must be an object"):
        parse_request(data)


def test_defaults_follow_the_contract() -> None:
    request = parse_request(
        {
            "now": "2026-12-01T08:00:00Z",
            "window": {"start": "2026-12-02", "end": "2026-12-15"},
            "candidate": {"timezone": "America/New_York"},
            "loop": {"stages": [{"name": "a", "duration_minutes": 60, "pool": "p"}]},
            "interviewers": [{"id": "U1", "timezone": "Europe/London", "pools": ["p"]}],
        }
    )
    assert request.candidate.working_hours == CANDIDATE_HOURS
    assert CANDIDATE_HOURS[0] == ((540, 1080),) and CANDIDATE_HOURS[5] == ()
    assert request.candidate.availability is None
    assert request.loop.stages[0].interviewers == 1
    assert request.loop.same_day is True
    assert request.loop.order == "fixed"
    assert (request.loop.min_break_minutes, request.loop.max_break_minutes) == (0, 60)
    person = request.interviewers[0]
    assert person.working_hours == INTERVIEWER_HOURS
    assert INTERVIEWER_HOURS[4] == ((540, 1020),) and INTERVIEWER_HOURS[6] == ()
    assert (person.max_per_day, person.max_per_week) == (None, None)
    assert person.busy == person.booked == ()
    settings = request.settings
    assert (settings.slot_step_minutes, settings.min_notice_minutes) == (15, 0)
    assert (settings.buffer_minutes, settings.max_options) == (0, 5)
    assert (request.window_start, request.window_end) == (date(2026, 12, 2), date(2026, 12, 15))


def test_missing_day_means_not_working_and_empty_availability_means_no_time() -> None:
    request = parse_request(
        edited(put(["candidate", "availability"], []))
        | {"candidate": {"timezone": "UTC", "working_hours": {}, "availability": []}}
    )
    assert request.candidate.working_hours == ((),) * 7
    assert request.candidate.availability == ()


def test_null_means_default() -> None:
    request = parse_request(
        edited(put(["candidate", "availability"], None))
        | {"settings": None}
        | {"loop": {"stages": BASE_REQUEST["loop"]["stages"], "order": None}}
    )
    assert request.candidate.availability is None
    assert request.settings.max_options == 5
    assert request.loop.order == "fixed"


def test_instants_with_offsets_and_fractions() -> None:
    request = parse_request(
        edited(
            put(
                ["interviewers", 0, "busy"],
                [{"start": "2026-12-02T10:00:00.250+01:00", "end": "2026-12-02T09:30:00.5Z"}],
            )
        )
        | {
            "now": "2026-12-01T08:00:00.1Z",
            "candidate": {
                "timezone": "UTC",
                "availability": [
                    {"start": "2026-12-02T09:00:00.9Z", "end": "2026-12-02T10:00:00.9Z"},
                    {"start": "2026-12-02T11:00:00.2Z", "end": "2026-12-02T11:00:00.7Z"},
                ],
            },
        }
    )
    nine = 1_796_202_000  # 2026-12-02T09:00:00Z
    busy = request.interviewers[0].busy[0]
    assert (busy.start, busy.end) == (nine, nine + 1801)  # widened to whole seconds
    availability = request.candidate.availability
    assert availability is not None
    assert [(s.start, s.end) for s in availability] == [(nine + 1, nine + 3600)]  # narrowed
    assert request.now == nine - 25 * 3600 + 1


def test_error_message_is_one_line_even_for_odd_values() -> None:
    with pytest.raises(PlanInputError) as caught:
        parse_request(edited(put(["loop", "stages", 0, "name"], "\n\n")))
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith("loop.stages[0].name: ")


def test_fields_outside_the_contract_are_ignored() -> None:
    """Annotations such as names do not make a request invalid; day keys stay strict."""

    def annotate(request: Request) -> None:
        request["extra"] = 1
        request["interviewers"][0]["name"] = "Ana"
        request["loop"]["stages"][0]["title"] = "Code review"
        request["settings"]["min_notice"] = 10

    assert parse_request(edited(annotate)) == parse_request(edited(lambda _: None))
