"""Planner behaviour rule by rule: every answer is also checked by the literal reference."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import time_machine

from bot.planner import answer_to_json, parse_request, plan, plan_json
from tests.planner.conftest import BASE_REQUEST, Request
from tests.planner.reference import earliest_start, seconds, validate_loop

ALL_DAY = [["00:00", "24:00"]]


def person(pid: str, pools: list[str], **fields: Any) -> dict[str, Any]:
    return {
        "id": pid,
        "timezone": "UTC",
        "pools": pools,
        "working_hours": {"wed": [["09:00", "17:00"]], "thu": [["09:00", "17:00"]]},
    } | fields


def stage(name: str, minutes: int = 60, pool: str = "p", panel: int = 1) -> dict[str, Any]:
    return {"name": name, "duration_minutes": minutes, "pool": pool, "interviewers": panel}


def make(**changes: Any) -> Request:
    request = copy.deepcopy(BASE_REQUEST)
    for key, value in changes.items():
        if key in ("stages", "same_day", "order", "min_break_minutes", "max_break_minutes"):
            request["loop"][key] = value
        elif key in ("slot_step_minutes", "min_notice_minutes", "buffer_minutes", "max_options"):
            request["settings"][key] = value
        else:
            request[key] = value
    return request


def solve(request: Request) -> dict[str, Any]:
    """Plan, then check every option literally and the earliest start by brute force."""
    answer = plan_json(request)
    options = answer["options"]
    assert isinstance(options, list)
    for option in options:
        assert validate_loop(request, option) == [], option
    expected = earliest_start(request)
    if expected is None:
        assert options == []
    else:
        assert min(seconds(o["sessions"][0]["start"]) for o in options) == expected
    return answer


def first_starts(answer: dict[str, Any]) -> list[str]:
    return [option["sessions"][0]["start"] for option in answer["options"]]


def earliest(answer: dict[str, Any]) -> str:
    return min(first_starts(answer))


def reason(answer: dict[str, Any]) -> str:
    assert answer["options"] == []
    text = answer["diagnostics"]["reason"]
    assert isinstance(text, str) and "\n" not in text
    return text


# -- the answer ---------------------------------------------------------------------------------


def test_answer_has_exactly_the_contract_shape(request_dict: Request) -> None:
    answer = solve(request_dict)
    assert set(answer) == {"options", "diagnostics"}
    assert answer["diagnostics"] == {"reason": None}
    option = answer["options"][0]
    assert set(option) == {"sessions", "score", "why"}
    assert isinstance(option["score"], float) and 0 <= option["score"] <= 1
    assert isinstance(option["why"], str) and option["why"]
    session = option["sessions"][0]
    assert set(session) == {"stage", "interviewers", "start", "end"}
    assert session == {
        "stage": "talk",
        "interviewers": ["U1"],
        "start": "2026-12-02T09:00:00Z",
        "end": "2026-12-02T10:00:00Z",
    }
    json.dumps(answer)  # plain JSON types only


def test_options_are_distinct_bounded_and_include_the_earliest() -> None:
    request = make(
        window={"start": "2026-12-02", "end": "2026-12-10"},
        candidate={"timezone": "UTC"},
        interviewers=[person(f"U{i}", ["p"], working_hours={}) for i in range(1, 4)],
        max_options=3,
    )
    for entry in request["interviewers"]:
        del entry["working_hours"]  # default Mon-Fri 09:00-17:00
    answer = solve(request)
    options = answer["options"]
    assert 1 <= len(options) <= 3
    assert "2026-12-02T09:00:00Z" in first_starts(answer)
    keys = [json.dumps(option["sessions"], sort_keys=True) for option in options]
    assert len(set(keys)) == len(keys)
    scores = [option["score"] for option in options]
    assert scores == sorted(scores, reverse=True)


def test_options_are_diverse_in_days() -> None:
    request = make(
        window={"start": "2026-12-02", "end": "2026-12-11"},
        candidate={"timezone": "UTC"},
        interviewers=[person("U1", ["p"]), person("U2", ["p"])],
    )
    for entry in request["interviewers"]:
        del entry["working_hours"]
    days = {start[:10] for start in first_starts(solve(request))}
    assert len(days) >= 3


def test_plan_is_pure_and_ignores_the_system_clock(request_dict: Request) -> None:
    first = plan_json(request_dict)
    with time_machine.travel("2031-05-05T12:00:00Z", tick=False):
        second = plan_json(request_dict)
    assert first == second
    assert answer_to_json(plan(parse_request(request_dict))) == first


# -- rules 1 and 4: grid, notice, window ----------------------------------------------------------


def test_notice_moves_the_earliest_start(request_dict: Request) -> None:
    request_dict["now"] = "2026-12-02T08:50:00Z"
    request_dict["settings"]["min_notice_minutes"] = 20
    assert earliest(solve(request_dict)) == "2026-12-02T09:15:00Z"  # 09:10 is not on the grid


def test_window_entirely_before_notice() -> None:
    request = make(now="2026-12-02T12:00:00Z", min_notice_minutes=24 * 60)
    assert "before the earliest allowed start 2026-12-03T12:00:00Z" in reason(solve(request))


def test_window_dates_are_candidate_local() -> None:
    # 2026-12-02 in Auckland (+13) is 2026-12-01T11:00Z to 2026-12-02T11:00Z.
    request = make(
        candidate={"timezone": "Pacific/Auckland", "working_hours": {"wed": ALL_DAY}},
        interviewers=[person("U1", ["p"], working_hours={"tue": ALL_DAY, "wed": ALL_DAY})],
        now="2026-11-30T00:00:00Z",
    )
    answer = solve(request)
    assert earliest(answer) == "2026-12-01T11:00:00Z"
    assert max(first_starts(answer)) <= "2026-12-02T10:00:00Z"


def test_grid_follows_the_candidates_zone_not_busy_time() -> None:
    request = make(
        candidate={"timezone": "Asia/Kathmandu", "working_hours": {"wed": ALL_DAY}},
        interviewers=[
            person(
                "U1",
                ["p"],
                working_hours={"wed": [["03:07", "17:00"]]},
                busy=[{"start": "2026-12-02T03:07:00Z", "end": "2026-12-02T03:22:00Z"}],
            )
        ],
        slot_step_minutes=60,
    )
    answer = solve(request)
    assert earliest(answer) == "2026-12-02T04:15:00Z"  # 10:00 in Kathmandu (+05:45)
    assert all(start.endswith(":15:00Z") for start in first_starts(answer))


# -- rule 2: working hours and candidate time ----------------------------------------------------


def test_touching_working_hours_merge(request_dict: Request) -> None:
    request_dict["interviewers"][0]["working_hours"] = {
        "wed": [["09:00", "12:00"], ["12:00", "17:00"]]
    }
    request_dict["interviewers"][0]["busy"] = [
        {"start": "2026-12-02T09:00:00Z", "end": "2026-12-02T11:00:00Z"}
    ]
    request_dict["loop"]["stages"][0]["duration_minutes"] = 120
    assert earliest(solve(request_dict)) == "2026-12-02T11:00:00Z"  # spans the 12:00 seam


def test_working_hours_merge_across_midnight() -> None:
    request = make(
        window={"start": "2026-12-01", "end": "2026-12-01"},
        now="2026-11-30T00:00:00Z",
        candidate={"timezone": "UTC", "working_hours": {"tue": ALL_DAY, "wed": ALL_DAY}},
        interviewers=[
            person(
                "U1",
                ["p"],
                working_hours={"tue": [["22:00", "24:00"]], "wed": [["00:00", "02:00"]]},
            )
        ],
        stages=[stage("night", 180)],
    )
    answer = solve(request)
    assert (
        first_starts(answer)
        == ["2026-12-01T22:00:00Z", "2026-12-01T22:15:00Z"][: len(first_starts(answer))]
    )
    assert earliest(answer) == "2026-12-01T22:00:00Z"


def test_candidate_hours_across_midnight_merge() -> None:
    request = make(
        window={"start": "2026-12-01", "end": "2026-12-01"},
        now="2026-11-30T00:00:00Z",
        candidate={
            "timezone": "UTC",
            "working_hours": {"tue": [["23:00", "24:00"]], "wed": [["00:00", "01:00"]]},
        },
        interviewers=[person("U1", ["p"], working_hours={"tue": ALL_DAY, "wed": ALL_DAY})],
        stages=[stage("late", 120)],
    )
    assert first_starts(solve(request)) == ["2026-12-01T23:00:00Z"]


def test_availability_replaces_candidate_working_hours(request_dict: Request) -> None:
    request_dict["candidate"]["availability"] = [
        {"start": "2026-12-02T13:30:00Z", "end": "2026-12-02T15:00:00Z"},
        {"start": "2026-12-02T15:00:00Z", "end": "2026-12-02T15:30:00Z"},
    ]
    request_dict["loop"]["stages"][0]["duration_minutes"] = 120
    assert first_starts(solve(request_dict)) == ["2026-12-02T13:30:00Z"]


def test_empty_availability_means_no_time(request_dict: Request) -> None:
    request_dict["candidate"]["availability"] = []
    assert reason(solve(request_dict)) == (
        "the candidate has no availability (candidate.availability is empty)"
    )


def test_candidate_hours_too_short_for_a_stage(request_dict: Request) -> None:
    request_dict["candidate"]["working_hours"] = {"wed": [["09:00", "09:45"]]}
    assert reason(solve(request_dict)).startswith(
        "the candidate's time never fits the 60-minute stage 'talk'"
    )


# -- rule 3: busy time and buffers ---------------------------------------------------------------


def test_touching_busy_time_is_not_overlap(request_dict: Request) -> None:
    request_dict["interviewers"][0]["busy"] = [
        {"start": "2026-12-02T10:00:00Z", "end": "2026-12-02T11:00:00Z"}
    ]
    answer = solve(request_dict)
    assert earliest(answer) == "2026-12-02T09:00:00Z"
    assert "2026-12-02T09:15:00Z" not in first_starts(answer)


def test_buffer_widens_busy_and_booked_time(request_dict: Request) -> None:
    request_dict["interviewers"][0]["busy"] = [
        {"start": "2026-12-02T10:00:00Z", "end": "2026-12-02T11:00:00Z"}
    ]
    request_dict["interviewers"][0]["booked_interviews"] = [
        {"start": "2026-12-02T13:00:00Z", "end": "2026-12-02T14:00:00Z"}
    ]
    request_dict["settings"]["buffer_minutes"] = 10
    request_dict["candidate"]["availability"] = [
        {"start": "2026-12-02T08:00:00Z", "end": "2026-12-02T14:30:00Z"}
    ]
    request_dict["settings"]["max_options"] = 10
    answer = solve(request_dict)
    starts = first_starts(answer)
    assert "2026-12-02T09:00:00Z" not in starts  # ends 10:00, busy widened to 09:50
    assert earliest(answer) == "2026-12-02T11:15:00Z"  # busy widened to 11:10


def test_buffer_binds_in_the_diagnosis(request_dict: Request) -> None:
    request_dict["interviewers"][0]["busy"] = [
        {"start": "2026-12-02T10:00:00Z", "end": "2026-12-02T17:00:00Z"}
    ]
    request_dict["settings"]["buffer_minutes"] = 5
    assert reason(solve(request_dict)) == (
        "with the 5-minute buffer, no one in pool 'p' is free for 60 minutes on any day of the "
        "window in the candidate's hours"
    )


# -- rule 5: pools, distinct interviewers, caps ---------------------------------------------------


def test_no_interviewer_twice_in_a_loop() -> None:
    request = make(
        stages=[stage("a", pool="x"), stage("b", pool="y")],
        interviewers=[person("U1", ["x", "y"]), person("U2", ["x"])],
    )
    for option in solve(request)["options"]:
        assert [s["interviewers"] for s in option["sessions"]] == [["U2"], ["U1"]]


def test_hall_condition_is_diagnosed() -> None:
    request = make(
        stages=[stage("a", pool="x"), stage("b", pool="x")],
        interviewers=[person("U1", ["x"])],
    )
    assert reason(solve(request)) == (
        "stages 'a', 'b' need 2 different interviewers but their pools have only 1 people "
        "between them"
    )


def test_panel_takes_distinct_free_members() -> None:
    request = make(
        stages=[stage("panel", panel=2)],
        interviewers=[
            person(
                "U1", ["p"], busy=[{"start": "2026-12-02T09:00:00Z", "end": "2026-12-02T17:00:00Z"}]
            ),
            person("U2", ["p"]),
            person("U3", ["p"]),
        ],
    )
    answer = solve(request)
    assert earliest(answer) == "2026-12-02T09:00:00Z"
    for option in answer["options"]:
        assert "U1" not in option["sessions"][0]["interviewers"]
        assert len(set(option["sessions"][0]["interviewers"])) == 2


def test_panel_member_counts_the_interview_once() -> None:
    request = make(
        stages=[stage("panel", panel=2)],
        interviewers=[person("U1", ["p"], max_per_day=1), person("U2", ["p"], max_per_day=1)],
    )
    assert earliest(solve(request)) == "2026-12-02T09:00:00Z"


def test_pool_smaller_than_panel() -> None:
    request = make(stages=[stage("panel", panel=3)], interviewers=[person("U1", ["p"])])
    assert reason(solve(request)) == "stage 'panel' needs 3 interviewers but pool 'p' has only 1"


def test_empty_pool() -> None:
    request = make(stages=[stage("talk", pool="nobody")])
    assert reason(solve(request)) == "pool 'nobody' of stage 'talk' has no interviewers"


def test_day_cap_counts_booked_interviews_on_the_interviewer_local_date() -> None:
    # Tokyo is +09:00: 2026-12-02T16:00Z is 2026-12-03 01:00 there.
    booked_next_local_day = [{"start": "2026-12-02T16:00:00Z", "end": "2026-12-02T16:30:00Z"}]
    request = make(
        candidate={
            "timezone": "UTC",
            "availability": [{"start": "2026-12-02T15:00:00Z", "end": "2026-12-02T16:00:00Z"}],
        },
        interviewers=[
            person(
                "U1",
                ["p"],
                timezone="Asia/Tokyo",
                working_hours={"wed": ALL_DAY, "thu": ALL_DAY},
                booked_interviews=booked_next_local_day,
                max_per_day=1,
            )
        ],
    )
    # The only start, 15:00Z, is 2026-12-03 00:00 in Tokyo: that day already has its one interview.
    assert reason(solve(request)).startswith("caps are exhausted: everyone in pool 'p'")
    request["interviewers"][0]["booked_interviews"] = [
        {"start": "2026-12-02T01:00:00Z", "end": "2026-12-02T01:30:00Z"}  # 10:00 on 12-02 in Tokyo
    ]
    assert first_starts(solve(request)) == ["2026-12-02T15:00:00Z"]


def test_week_cap_uses_iso_weeks() -> None:
    # 2026-12-04 is a Friday; 2026-12-07 a Monday (next ISO week).
    busy_week = [
        {"start": f"2026-12-0{d}T08:00:00Z", "end": f"2026-12-0{d}T08:30:00Z"} for d in (1, 2)
    ]
    request = make(
        window={"start": "2026-12-03", "end": "2026-12-09"},
        candidate={"timezone": "UTC"},
        interviewers=[person("U1", ["p"], booked_interviews=busy_week, max_per_week=2)],
    )
    del request["interviewers"][0]["working_hours"]
    answer = solve(request)
    assert earliest(answer) == "2026-12-07T09:00:00Z"
    request["interviewers"][0]["max_per_week"] = 3
    assert earliest(solve(request)) == "2026-12-03T09:00:00Z"


def test_zero_cap_excludes_an_interviewer() -> None:
    request = make(interviewers=[person("U1", ["p"], max_per_week=0), person("U2", ["p"])])
    answer = solve(request)
    assert all(o["sessions"][0]["interviewers"] == ["U2"] for o in answer["options"])


# -- loop rules: order, same day, breaks ----------------------------------------------------------


def two_stage(**changes: Any) -> Request:
    return make(
        stages=[stage("a", pool="x"), stage("b", pool="y")],
        interviewers=[person("U1", ["x"]), person("U2", ["y"])],
        **changes,
    )


def test_fixed_order_and_back_to_back_by_default() -> None:
    answer = solve(two_stage(max_break_minutes=0))
    for option in answer["options"]:
        a, b = option["sessions"]
        assert (a["stage"], b["stage"]) == ("a", "b")
        assert a["end"] == b["start"]


def test_min_break_is_respected() -> None:
    answer = solve(two_stage(min_break_minutes=30, max_break_minutes=45))
    for option in answer["options"]:
        a, b = option["sessions"]
        assert 30 * 60 <= seconds(b["start"]) - seconds(a["end"]) <= 45 * 60


def test_order_any_puts_the_morning_stage_first() -> None:
    request = two_stage()
    request["interviewers"][0]["working_hours"] = {"wed": [["13:00", "17:00"]]}
    request["interviewers"][1]["working_hours"] = {"wed": [["09:00", "12:00"]]}
    assert reason(solve(request)).startswith("stage 'b' never starts 0-60 minutes after stage 'a'")
    request["loop"]["order"] = "any"
    answer = solve(request)
    assert [s["stage"] for s in answer["options"][0]["sessions"]] == ["b", "a"]


def test_same_day_versus_multi_day() -> None:
    request = two_stage(
        window={"start": "2026-12-02", "end": "2026-12-03"},
        candidate={
            "timezone": "UTC",
            "availability": [
                {"start": "2026-12-02T09:00:00Z", "end": "2026-12-02T10:00:00Z"},
                {"start": "2026-12-03T09:00:00Z", "end": "2026-12-03T10:00:00Z"},
            ],
        },
    )
    assert "never starts 0-60 minutes after stage 'a'" in reason(solve(request))
    request["loop"]["same_day"] = False
    option = solve(request)["options"][0]
    assert [s["start"] for s in option["sessions"]] == [
        "2026-12-02T09:00:00Z",
        "2026-12-03T09:00:00Z",
    ]
    assert "over 2 days" in option["why"]


def test_impossible_break_bounds() -> None:
    assert reason(solve(two_stage(min_break_minutes=30, max_break_minutes=10))) == (
        "loop.max_break_minutes (10) is less than loop.min_break_minutes (30), "
        "so no two sessions can follow each other on the same day"
    )


# -- diagnostics ----------------------------------------------------------------------------------


def test_no_one_free_names_pool_and_duration() -> None:
    request = two_stage()
    request["interviewers"][1]["busy"] = [
        {"start": "2026-12-02T00:00:00Z", "end": "2026-12-03T00:00:00Z"}
    ]
    assert reason(solve(request)) == (
        "no one in pool 'y' is free for 60 minutes on any day of the window in the candidate's "
        "hours (busy time)"
    )


def test_working_hours_never_meet_the_candidate() -> None:
    request = make(interviewers=[person("U1", ["p"], working_hours={"thu": ALL_DAY})])
    assert reason(solve(request)).startswith("the working hours of pool 'p' never cover 60 minutes")


def test_week_caps_exhausted_for_a_whole_loop() -> None:
    booked = [{"start": "2026-12-01T08:00:00Z", "end": "2026-12-01T08:30:00Z"}]
    request = two_stage()
    request["interviewers"][1] |= {"booked_interviews": booked, "max_per_week": 1}
    assert reason(solve(request)).startswith("caps are exhausted")


def test_notice_binds_for_a_stage() -> None:
    request = two_stage(now="2026-12-02T10:00:00Z", min_notice_minutes=60)
    request["interviewers"][1]["working_hours"] = {"wed": [["09:00", "11:00"]]}
    assert reason(solve(request)).endswith("after the minimum notice of 60 minutes")


def test_overlapping_pools_needing_the_same_person() -> None:
    request = make(
        stages=[stage("a", pool="x"), stage("b", pool="y")],
        interviewers=[
            person("U1", ["x", "y"]),
            person("U2", ["x", "y"], working_hours={"thu": ALL_DAY}),
        ],
        max_break_minutes=0,
    )
    assert reason(solve(request)).startswith("every time that fits needs the same interviewer")


def test_panel_whose_hours_never_overlap() -> None:
    request = make(
        stages=[stage("panel", panel=2)],
        interviewers=[
            person("U1", ["p"], working_hours={"wed": [["09:00", "12:00"]]}),
            person("U2", ["p"], working_hours={"wed": [["12:00", "17:00"]]}),
        ],
    )
    assert reason(solve(request)) == (
        "the working hours of no 2 interviewers from pool 'p' overlap each other and the "
        "candidate's hours for 60 minutes (stage 'panel') in the window"
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_break_minutes", 10**12),
        ("min_break_minutes", 10**12),
        ("buffer_minutes", 10**12),
        ("min_notice_minutes", 10**12),
        ("slot_step_minutes", 10**6),
        ("max_options", 10**6),
    ],
)
def test_huge_numbers_are_answered(field: str, value: int) -> None:
    request = two_stage(same_day=field != "min_break_minutes", **{field: value})
    answer = plan_json(request)
    assert answer["options"] or answer["diagnostics"]["reason"]  # type: ignore[index]


# -- DST and offsets, end to end ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "now", "expected"),
    [
        # London spring forward: wall 01:00-01:59 does not exist, so no session starts there.
        ("Europe/London", "2024-03-31", "2024-03-31T00:50:00Z", "2024-03-31T01:00:00Z"),
        # New York spring forward: 02:00-02:59 does not exist.
        ("America/New_York", "2024-03-10", "2024-03-10T06:50:00Z", "2024-03-10T07:00:00Z"),
        # São Paulo 2018-11-04: no local midnight, the day starts at 01:00 (-02).
        ("America/Sao_Paulo", "2018-11-04", "2018-11-03T00:00:00Z", "2018-11-04T03:00:00Z"),
        # Lord Howe 2024-10-06: 02:00-02:29 does not exist.
        ("Australia/Lord_Howe", "2024-10-06", "2024-10-05T15:20:00Z", "2024-10-05T15:30:00Z"),
        # Chatham +12:45: the 60-minute grid sits at :15 UTC.
        ("Pacific/Chatham", "2024-06-12", "2024-06-11T11:20:00Z", "2024-06-11T12:15:00Z"),
        # Kolkata +05:30.
        ("Asia/Kolkata", "2024-06-12", "2024-06-11T18:40:00Z", "2024-06-11T19:30:00Z"),
    ],
)
def test_grid_on_dst_days(zone: str, day: str, now: str, expected: str) -> None:
    request = make(
        now=now,
        window={"start": day, "end": day},
        candidate={
            "timezone": zone,
            "working_hours": dict.fromkeys(("sat", "sun", "wed"), ALL_DAY),
        },
        interviewers=[
            person(
                "U1",
                ["p"],
                working_hours=dict.fromkeys(("fri", "sat", "sun", "tue", "wed"), ALL_DAY),
            )
        ],
        stages=[stage("talk", 30)],
        slot_step_minutes=60 if zone in ("Pacific/Chatham", "Asia/Kolkata") else 15,
    )
    assert earliest(solve(request)) == expected


def test_repeated_hour_offers_both_occurrences() -> None:
    # London 2024-10-27: 01:00-02:00 happens at 00:00Z (BST) and again at 01:00Z (GMT).
    request = make(
        now="2024-10-26T00:00:00Z",
        window={"start": "2024-10-27", "end": "2024-10-27"},
        candidate={"timezone": "Europe/London", "working_hours": {"sun": [["01:00", "02:00"]]}},
        interviewers=[
            person(
                "U1",
                ["p"],
                working_hours={"sat": ALL_DAY, "sun": ALL_DAY},
                busy=[{"start": "2024-10-26T00:00:00Z", "end": "2024-10-27T00:30:00Z"}],
            )
        ],
        stages=[stage("talk", 30)],
        slot_step_minutes=30,
    )
    # Wall 01:00 means its first occurrence (00:00Z) but 02:00 exists once (02:00Z), so the
    # candidate's hours are two hours long; both 01:00 and 01:30 are grid points twice.
    assert sorted(first_starts(solve(request))) == [
        "2024-10-27T00:30:00Z",
        "2024-10-27T01:00:00Z",
        "2024-10-27T01:30:00Z",
    ]


def test_lord_howe_working_hours_on_the_fall_back_day() -> None:
    # 2024-04-07: 02:00 (+11) becomes 01:30 (+10:30); 09:00-17:00 is 22:30Z-06:30Z.
    request = make(
        now="2024-04-05T00:00:00Z",
        window={"start": "2024-04-06", "end": "2024-04-06"},
        candidate={
            "timezone": "UTC",
            "availability": [{"start": "2024-04-06T00:00:00Z", "end": "2024-04-08T00:00:00Z"}],
        },
        interviewers=[
            person(
                "U1",
                ["p"],
                timezone="Australia/Lord_Howe",
                working_hours={"mon": [["09:00", "17:00"]], "sun": [["09:00", "17:00"]]},
            )
        ],
        stages=[stage("talk", 480)],
        slot_step_minutes=30,
    )
    assert first_starts(solve(request)) == ["2024-04-06T22:30:00Z"]
