"""Property tests: the planner against the brute-force reference on small random instances.

Instances straddle the DST and odd-offset cases of the issue (London, New York, São Paulo 2018,
Lord Howe, Kolkata, Kathmandu, Chatham), mix panels, caps, buffers, notice, same-day and multi-day
loops, fixed and any order, explicit and empty candidate availability.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.planner import plan_json
from tests.planner.reference import DAYS, earliest_start, seconds, validate_loop

ZONES = [
    "UTC",
    "Europe/London",
    "America/New_York",
    "America/Sao_Paulo",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Pacific/Chatham",
]
DST_DATES = [
    date(2024, 3, 31),
    date(2024, 10, 27),
    date(2024, 3, 10),
    date(2024, 11, 3),
    date(2018, 11, 4),
    date(2018, 11, 3),
    date(2024, 4, 7),
    date(2024, 10, 6),
    date(2024, 6, 12),
]
HOURS = [
    [["00:00", "24:00"]],
    [["00:00", "24:00"]],
    [["00:00", "03:00"], ["03:00", "24:00"]],
    [["00:00", "02:30"], ["05:00", "12:00"], ["13:00", "24:00"]],
    [["01:00", "04:00"], ["06:00", "20:00"]],
    [["07:00", "19:00"]],
    [["00:00", "12:00"], ["12:00", "13:00"], ["14:00", "24:00"]],
    [["20:00", "24:00"]],
    [],
]
POOLS = ["a", "b", "c"]
POOL_SETS = [["a", "b"], ["a"], ["b"], ["a", "b"], ["c"], ["a", "c"], ["b", "c"]]


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@st.composite
def spans(
    draw: st.DrawFn, origin: datetime, count: int, lengths: tuple[int, ...]
) -> list[dict[str, str]]:
    result = []
    for _ in range(draw(st.integers(0, count))):
        start = origin + timedelta(minutes=draw(st.integers(-12 * 60, 48 * 60)))
        length = timedelta(minutes=draw(st.sampled_from(lengths)))
        result.append({"start": _iso(start), "end": _iso(start + length)})
    return result


@st.composite
def week_hours(draw: st.DrawFn, generous: bool = False) -> dict[str, list[list[str]]]:
    choices = HOURS[:7] if generous else HOURS
    return {day: draw(st.sampled_from(choices)) for day in DAYS if draw(st.integers(0, 9))}


@st.composite
def requests(draw: st.DrawFn, generous: bool = False) -> dict[str, Any]:
    """A small random request; `generous` ones have bigger pools, wider hours and no zero caps."""
    first = draw(st.sampled_from(DST_DATES)) + timedelta(days=draw(st.integers(-1, 0)))
    days = draw(st.integers(1, 2))
    origin = datetime(first.year, first.month, first.day, tzinfo=UTC)
    same_day = draw(st.booleans())
    stage_count = draw(st.sampled_from([3, 2, 1]))
    stages = [
        {
            "name": f"s{index}",
            "duration_minutes": draw(st.sampled_from([30, 45, 60, 90, 120])),
            "pool": draw(st.sampled_from(POOLS[:2])),
            "interviewers": draw(st.sampled_from([1, 1, 1, 2])),
        }
        for index in range(stage_count)
    ]
    candidate: dict[str, Any] = {"timezone": draw(st.sampled_from(ZONES))}
    if draw(st.booleans()):
        candidate["working_hours"] = draw(week_hours(generous))
    else:
        candidate["availability"] = draw(spans(origin, 3, (0, 30, 240, 600, 1440, 2880)[1:]))
        if not candidate["availability"] and draw(st.integers(0, 7)):
            candidate["availability"] = [
                {
                    "start": _iso(origin - timedelta(hours=14)),
                    "end": _iso(origin + timedelta(days=3)),
                }
            ]
    interviewers = []
    counts = [4, 5, 6] if generous else [4, 5, 6, 3, 2, 1]
    for index in range(draw(st.sampled_from(counts))):
        person: dict[str, Any] = {
            "id": f"U{index}",
            "timezone": draw(st.sampled_from(ZONES)),
            "pools": draw(st.sampled_from(POOL_SETS[:4] if generous else POOL_SETS)),
            "working_hours": draw(week_hours(generous)),
            "busy": draw(spans(origin, 3, (7, 30, 45, 60, 90, 180, 600))),
            "booked_interviews": draw(spans(origin, 2, (30, 45, 60))),
        }
        for cap in ("max_per_day", "max_per_week"):
            value = draw(st.sampled_from([None] * 6 + ([1, 2] if generous else [0, 1, 1, 2])))
            if value is not None:
                person[cap] = value
        interviewers.append(person)
    now = origin + timedelta(minutes=draw(st.integers(-24 * 60, 20 * 60)))
    return {
        "now": _iso(now),
        "window": {
            "start": first.isoformat(),
            "end": (first + timedelta(days=days - 1)).isoformat(),
        },
        "candidate": candidate,
        "loop": {
            "stages": stages,
            "same_day": same_day,
            "order": draw(st.sampled_from(["fixed", "any"])),
            "min_break_minutes": draw(st.sampled_from([0, 15])),
            "max_break_minutes": draw(st.sampled_from([0, 30, 60, 240])),
        },
        "interviewers": interviewers,
        "settings": {
            "slot_step_minutes": draw(st.sampled_from([30, 60] if not same_day else [15, 30, 60])),
            "min_notice_minutes": draw(st.sampled_from([0, 0, 60, 600])),
            "buffer_minutes": draw(st.sampled_from([0, 10, 15])),
            "max_options": draw(st.sampled_from([1, 2, 5])),
        },
    }


SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(requests())
def test_planner_agrees_with_brute_force(request: dict[str, Any]) -> None:
    check_against_reference(request)


@SETTINGS
@given(requests(generous=True))
def test_planner_agrees_with_brute_force_on_mostly_feasible_requests(
    request: dict[str, Any],
) -> None:
    check_against_reference(request)


def check_against_reference(request: dict[str, Any]) -> None:
    answer = plan_json(request)
    options = answer["options"]
    assert isinstance(options, list)
    expected = earliest_start(request)

    assert (expected is None) == (not options), answer["diagnostics"]
    assert len(options) <= request["settings"]["max_options"]
    for option in options:
        assert validate_loop(request, option) == [], option
    keys = [
        tuple((s["stage"], s["start"], tuple(s["interviewers"])) for s in option["sessions"])
        for option in options
    ]
    assert len(set(keys)) == len(keys), "options are not distinct"
    if expected is None:
        reason = answer["diagnostics"]["reason"]  # type: ignore[index]
        assert isinstance(reason, str) and reason and "\n" not in reason
    else:
        firsts = [min(seconds(s["start"]) for s in option["sessions"]) for option in options]
        assert min(firsts) == expected
        assert answer["diagnostics"] == {"reason": None}
