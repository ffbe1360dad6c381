"""An independent, literal reading of CONTRACT.md section 5, for checking the planner.

Shares no code with `bot.planner`: it reads the raw JSON dict, applies the defaults itself and
decides every wall-clock question by scanning UTC minutes with `datetime.fromtimestamp`, which is
slow but obviously right:

* a wall time names the first UTC minute whose local wall time is at or after it (that is its
  first occurrence, or the first instant after a DST gap);
* a grid point is a UTC minute whose local wall time has zero seconds, minutes-since-midnight
  divisible by the step and a date inside the window.

`validate_loop` checks one option against every rule; `earliest_start` brute-forces the earliest
first-session start over all valid loops (small instances only).
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_INTERVIEWER = {day: [["09:00", "17:00"]] for day in DAYS[:5]}
DEFAULT_CANDIDATE = {day: [["09:00", "18:00"]] for day in DAYS[:5]}

Request = dict[str, Any]


def seconds(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def local(instant: int, zone: str) -> datetime:
    return datetime.fromtimestamp(instant, ZoneInfo(zone))


@cache
def wall_to_instant(zone: str, day: date, minute: int) -> int:
    """The first UTC minute whose wall time in `zone` is at or after `day` + `minute`."""
    target = datetime(day.year, day.month, day.day) + timedelta(minutes=minute)
    as_utc = int(target.replace(tzinfo=UTC).timestamp())
    offset = local(as_utc, zone).utcoffset()
    assert offset is not None
    instant = as_utc - int(offset.total_seconds()) - 3 * 3600
    while local(instant, zone).replace(tzinfo=None) >= target:  # start well before it
        instant -= 3 * 3600
    while local(instant, zone).replace(tzinfo=None) < target:
        instant += 60
    return instant


@cache
def grid_points(zone: str, day: date, step: int) -> tuple[int, ...]:
    """UTC minutes whose local date is `day` and whose wall minutes are a multiple of `step`."""
    low = wall_to_instant(zone, day, 0) - 3 * 3600
    high = wall_to_instant(zone, day + timedelta(days=1), 0) + 3 * 3600
    points = []
    for instant in range(low - low % 60, high, 60):
        wall = local(instant, zone)
        if wall.date() == day and wall.second == 0 and (wall.hour * 60 + wall.minute) % step == 0:
            points.append(instant)
    return tuple(points)


def hhmm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def merged(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    result: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if result and start <= result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], end))
        else:
            result.append((start, end))
    return result


def working_intervals(
    zone: str, hours: dict[str, list[list[str]]], first: date, last: date
) -> list[tuple[int, int]]:
    intervals = []
    day = first
    while day <= last:
        for start, end in hours.get(DAYS[day.weekday()], []):
            intervals.append(
                (wall_to_instant(zone, day, hhmm(start)), wall_to_instant(zone, day, hhmm(end)))
            )
        day += timedelta(days=1)
    return merged(intervals)


def inside_one(intervals: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(low <= start and end <= high for low, high in intervals)


def spans(items: list[dict[str, str]] | None) -> list[tuple[int, int]]:
    return [(seconds(item["start"]), seconds(item["end"])) for item in items or []]


class Facts:
    """The request with defaults applied and intervals converted (literally)."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.now = seconds(request["now"])
        self.window = (
            date.fromisoformat(request["window"]["start"]),
            date.fromisoformat(request["window"]["end"]),
        )
        settings = request.get("settings") or {}
        self.step = settings.get("slot_step_minutes", 15)
        self.notice = settings.get("min_notice_minutes", 0)
        self.buffer = settings.get("buffer_minutes", 0) * 60
        self.max_options = settings.get("max_options", 5)
        loop = request["loop"]
        self.stages = [
            (s["name"], s["duration_minutes"] * 60, s["pool"], s.get("interviewers", 1))
            for s in loop["stages"]
        ]
        self.same_day = loop.get("same_day", True)
        self.order = loop.get("order", "fixed")
        self.min_break = loop.get("min_break_minutes", 0) * 60
        self.max_break = loop.get("max_break_minutes", 60) * 60
        candidate = request["candidate"]
        self.candidate_zone = candidate["timezone"]
        first = self.window[0] - timedelta(days=2)
        last = self.window[1] + timedelta(days=3)
        if candidate.get("availability") is not None:
            self.candidate_time = merged(spans(candidate["availability"]))
        else:
            hours = candidate.get("working_hours") or DEFAULT_CANDIDATE
            self.candidate_time = working_intervals(self.candidate_zone, hours, first, last)
        self.people = {person["id"]: person for person in request["interviewers"]}
        self.working = {
            pid: working_intervals(
                person["timezone"],
                person.get("working_hours") or DEFAULT_INTERVIEWER,
                first - timedelta(days=1),
                last + timedelta(days=1),
            )
            for pid, person in self.people.items()
        }

        self.blocked = {
            pid: spans(person.get("busy")) + spans(person.get("booked_interviews"))
            for pid, person in self.people.items()
        }
        self.booked_dates = {
            pid: [
                local(low, person["timezone"]).date()
                for low, _ in spans(person.get("booked_interviews"))
            ]
            for pid, person in self.people.items()
        }

    def candidate_date(self, instant: int) -> date:
        return local(instant, self.candidate_zone).date()

    def person_ok(self, pid: str, start: int, end: int) -> bool:
        """Rules 2 and 3 and the single-session reading of rule 5 for one interviewer."""
        if not inside_one(self.working[pid], start, end):
            return False
        for low, high in self.blocked[pid]:
            if start < high + self.buffer and low - self.buffer < end:
                return False
        return not self.cap_problems(pid, [start])

    def cap_problems(self, pid: str, new_starts: list[int]) -> list[str]:
        person = self.people[pid]
        zone = person["timezone"]
        booked = self.booked_dates[pid]
        new = [local(start, zone).date() for start in new_starts]
        problems = []
        cap_day = person.get("max_per_day")
        cap_week = person.get("max_per_week")
        for day in set(new):
            if cap_day is not None and booked.count(day) + new.count(day) > cap_day:
                problems.append(f"{pid} over max_per_day on {day}")
            week = day.isocalendar()[:2]
            count = sum(1 for d in booked + new if d.isocalendar()[:2] == week)
            if cap_week is not None and count > cap_week:
                problems.append(f"{pid} over max_per_week in {week}")
        return problems

    def grid(self) -> list[int]:
        points: list[int] = []
        day = self.window[0]
        while day <= self.window[1]:
            points.extend(grid_points(self.candidate_zone, day, self.step))
            day += timedelta(days=1)
        return sorted(p for p in points if p >= self.now + self.notice * 60)


def validate_loop(request: Request, option: dict[str, Any]) -> list[str]:
    """Every rule of CONTRACT.md section 5 that `option` breaks (empty when it is valid)."""
    facts = Facts(request)
    problems: list[str] = []
    sessions = option["sessions"]
    by_name = {name: (duration, pool, need) for name, duration, pool, need in facts.stages}
    if sorted(s["stage"] for s in sessions) != sorted(by_name):
        problems.append("sessions do not cover each stage exactly once")
        return problems
    grid = set(facts.grid())
    used: dict[str, list[int]] = {}
    times = []
    for session in sessions:
        name = session["stage"]
        duration, pool, need = by_name[name]
        start, end = seconds(session["start"]), seconds(session["end"])
        times.append((start, end, name))
        if end - start != duration:
            problems.append(f"{name}: lasts {end - start}s, not {duration}s")
        if start not in grid:
            problems.append(f"{name}: start is not a grid point in the window after the notice")
        if not inside_one(facts.candidate_time, start, end):
            problems.append(f"{name}: outside the candidate's time")
        if len(session["interviewers"]) != need:
            problems.append(f"{name}: {len(session['interviewers'])} interviewers, needs {need}")
        for pid in session["interviewers"]:
            person = facts.people.get(pid)
            if person is None or pool not in person["pools"]:
                problems.append(f"{name}: {pid} is not in pool {pool}")
                continue
            used.setdefault(pid, []).append(start)
            if not inside_one(facts.working[pid], start, end):
                problems.append(f"{name}: outside working hours of {pid}")
            for low, high in spans(person.get("busy")) + spans(person.get("booked_interviews")):
                if start < high + facts.buffer and low - facts.buffer < end:
                    problems.append(f"{name}: overlaps busy time of {pid}")
    for pid, starts in used.items():
        if len(starts) > 1:
            problems.append(f"{pid} interviews twice")
        problems.extend(facts.cap_problems(pid, starts))
    times.sort()
    for (_, end, name), (next_start, _, next_name) in itertools.pairwise(times):
        gap = next_start - end
        if gap < facts.min_break:
            problems.append(f"gap {name}->{next_name} is {gap}s, below the minimum break")
        if facts.same_day and gap > facts.max_break:
            problems.append(f"gap {name}->{next_name} is {gap}s, above the maximum break")
    if facts.order == "fixed" and [name for _, _, name in times] != [s[0] for s in facts.stages]:
        problems.append("sessions are not in stage order")
    if facts.same_day and len({facts.candidate_date(start) for start, _, _ in times}) > 1:
        problems.append("sessions are on different candidate dates")
    return problems


def earliest_start(request: Request) -> int | None:
    """The earliest first-session start over all valid loops, by exhaustive search."""
    facts = Facts(request)
    grid = facts.grid()
    options: list[list[tuple[int, list[str]]]] = []
    for _, duration, pool, need in facts.stages:
        per_stage = []
        for start in grid:
            end = start + duration
            if not inside_one(facts.candidate_time, start, end):
                continue
            eligible = [
                pid
                for pid, person in facts.people.items()
                if pool in person["pools"] and facts.person_ok(pid, start, end)
            ]
            if len(eligible) >= need:
                per_stage.append((start, eligible))
        options.append(per_stage)
    orders = (
        [tuple(range(len(facts.stages)))]
        if facts.order == "fixed"
        else list(itertools.permutations(range(len(facts.stages))))
    )
    best: int | None = None
    for order in orders:
        for start, eligible in options[order[0]]:
            if best is not None and start >= best:
                break
            if _complete(facts, options, order, [(order[0], start, eligible)]):
                best = start
                break
    return best


def _staffable(facts: Facts, chosen: list[tuple[int, int, list[str]]]) -> bool:
    def assign(index: int, used: frozenset[str]) -> bool:
        if index == len(chosen):
            return True
        stage, _, eligible = chosen[index]
        need = facts.stages[stage][3]
        for group in itertools.combinations([p for p in eligible if p not in used], need):
            if assign(index + 1, used | set(group)):
                return True
        return False

    return assign(0, frozenset())


def _complete(
    facts: Facts,
    options: list[list[tuple[int, list[str]]]],
    order: tuple[int, ...],
    chosen: list[tuple[int, int, list[str]]],
) -> bool:
    if not _staffable(facts, chosen):
        return False
    if len(chosen) == len(order):
        return True
    stage, start, _ = chosen[-1]
    end = start + facts.stages[stage][1]
    day = facts.candidate_date(start)
    following = order[len(chosen)]
    for next_start, eligible in options[following]:
        gap = next_start - end
        if gap < facts.min_break:
            continue
        if facts.same_day and (gap > facts.max_break or facts.candidate_date(next_start) != day):
            continue
        if _complete(facts, options, order, [*chosen, (following, next_start, eligible)]):
            return True
    return False
