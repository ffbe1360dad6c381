"""Planner benchmark: speed and exactness against OR-Tools CP-SAT, and load fairness.

Run: `python benchmarks/planner.py` (needs the `bench` extra for ortools; `make bench`).

1. Seeded instances of three sizes (see SIZES) in the contract's JSON form.  Each is planned by
   `bot.planner` and solved by a CP-SAT model of the same rules with an earliest-start objective.
   The CP-SAT side has its own preprocessing, written independently of the planner straight from
   CONTRACT.md section 5 (grid points, wall times, caps via `zoneinfo`), so agreement on
   feasibility and earliest start is a real cross-check.  Reported: p50/p95 planner time
   (`plan()` on a parsed request; parsing is reported separately), CP-SAT time (model build +
   solve, excluding its preprocessing), their ratio, and agreement.
2. Fairness: 60 candidates planned one after another within one week against one org, booking
   `options[0]` each time (its sessions become booked interviews and busy time); per pool, the
   spread of interviews per interviewer.  The same run booking the earliest-starting option
   instead is shown for comparison.

Output is markdown on stdout.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import platform
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.planner import answer_to_json, parse_request, plan
from bot.planner.problem import build
from bot.planner.solver import Searcher

Request = dict[str, Any]

INTERVIEWER_ZONES = [
    "America/Los_Angeles",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Kolkata",
]
CANDIDATE_ZONES = [*INTERVIEWER_ZONES, "America/Chicago", "Europe/Madrid", "Asia/Kathmandu"]
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_HOURS = {day: [["09:00", "17:00"]] for day in DAYS[:5]}


@dataclass(frozen=True)
class Size:
    name: str
    stages: list[tuple[str, int, int]]  # (name, minutes, panel size)
    pool_size: int
    interviewers: int
    days: int
    busy_fraction: float
    caps: tuple[int, int] | None  # (per day, per week)
    variants: bool  # also multi-day and any-order loops


SIZES = [
    Size("small", [("code-review", 60, 1), ("design", 60, 1), ("retro", 45, 1)], 5, 12, 5, 0.4,
         None, False),
    Size(
        "medium",
        [("screen", 45, 1), ("code-review", 60, 1), ("design", 60, 2), ("retro", 45, 1)],
        12, 35, 10, 0.45, (2, 5), True,
    ),
    Size(
        "large",
        [("screen", 45, 1), ("code-review", 60, 1), ("design", 60, 2), ("retro", 45, 1)],
        40, 100, 20, 0.5, (2, 4), False,
    ),
]  # fmt: skip


def iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def busy_day(
    rng: random.Random, zone: ZoneInfo, day: date, fraction: float
) -> list[dict[str, str]]:
    """Meetings filling about `fraction` of 09:00-17:00 local, on :00/:30 boundaries."""
    meetings = []
    minute = 9 * 60
    while minute < 17 * 60:
        if rng.random() < fraction:
            length = rng.choice([30, 60, 90])
            start = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(minutes=minute)
            meetings.append({"start": iso(start), "end": iso(start + timedelta(minutes=length))})
        else:
            length = rng.choice([30, 60, 90])
        minute += length
    return meetings


def generate(size: Size, seed: int) -> Request:
    """A seeded request of the given size in the contract's JSON form."""
    rng = random.Random(seed)
    first = date(2026, 1, 5) + timedelta(days=rng.randrange(0, 330))
    last = first + timedelta(days=size.days - 1)
    pools = [name for name, _, _ in size.stages]
    members: dict[int, list[str]] = {i: [] for i in range(size.interviewers)}
    for pool in pools:
        for person in rng.sample(range(size.interviewers), size.pool_size):
            members[person].append(pool)
    interviewers = []
    for person in range(size.interviewers):
        zone_name = rng.choice(INTERVIEWER_ZONES)
        zone = ZoneInfo(zone_name)
        busy: list[dict[str, str]] = []
        booked: list[dict[str, str]] = []
        day = first - timedelta(days=3)
        while day <= last + timedelta(days=3):
            if day.weekday() < 5:
                busy.extend(busy_day(rng, zone, day, size.busy_fraction))
            day += timedelta(days=1)
        entry: dict[str, Any] = {
            "id": f"U{person:03d}",
            "email": f"person{person}@corp.example",
            "timezone": zone_name,
            "pools": members[person],
        }
        if size.caps is not None:
            per_day, per_week = size.caps
            monday = first - timedelta(days=first.weekday())
            while monday <= last:
                for _ in range(rng.choice([0, 1, 2, per_week, per_week])):
                    day = monday + timedelta(days=rng.randrange(5))
                    start = datetime(
                        day.year, day.month, day.day, rng.randrange(9, 16), tzinfo=zone
                    )
                    booked.append({"start": iso(start), "end": iso(start + timedelta(hours=1))})
                monday += timedelta(days=7)
            entry |= {"max_per_day": per_day, "max_per_week": per_week}
        entry |= {"busy": busy, "booked_interviews": booked}
        interviewers.append(entry)
    same_day, order = True, "fixed"
    if size.variants:
        same_day, order = rng.choice([(True, "fixed"), (False, "fixed"), (True, "any")])
    now = datetime(first.year, first.month, first.day, tzinfo=UTC) - timedelta(
        hours=rng.randrange(0, 30)
    )
    return {
        "now": iso(now),
        "window": {"start": first.isoformat(), "end": last.isoformat()},
        "candidate": {"timezone": rng.choice(CANDIDATE_ZONES)},
        "loop": {
            "stages": [
                {"name": name, "duration_minutes": minutes, "pool": name, "interviewers": panel}
                for name, minutes, panel in size.stages
            ],
            "same_day": same_day,
            "order": order,
            "min_break_minutes": 0,
            "max_break_minutes": rng.choice([15, 30, 60]),
        },
        "interviewers": interviewers,
        "settings": {
            "slot_step_minutes": 15,
            "min_notice_minutes": rng.choice([0, 240, 1440]),
            "buffer_minutes": rng.choice([0, 5, 10]),
            "max_options": 5,
        },
    }  # fmt: skip


# -- an independent reading of the rules, for the CP-SAT model --------------------------------


def _seconds(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def _wall(instant: int, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(instant, zone).replace(tzinfo=None)


def wall_instants(zone: ZoneInfo, day: date, minute: int) -> list[int]:
    """Every instant whose local wall time is `day` + `minute` (none in a DST gap)."""
    naive = datetime(day.year, day.month, day.day) + timedelta(minutes=minute)
    found = set()
    for fold in (0, 1):
        instant = int(naive.replace(tzinfo=zone, fold=fold).timestamp())
        if _wall(instant, zone) == naive:
            found.add(instant)
    return sorted(found)


def wall_to_instant(zone: ZoneInfo, day: date, minute: int) -> int:
    """First occurrence of a wall time; inside a gap the first minute after the gap."""
    if minute >= 1440:
        return wall_to_instant(zone, day + timedelta(days=1), minute - 1440)
    found = wall_instants(zone, day, minute)
    if found:
        return found[0]
    naive = datetime(day.year, day.month, day.day) + timedelta(minutes=minute)
    instant = min(int(naive.replace(tzinfo=zone, fold=f).timestamp()) for f in (0, 1))
    instant -= instant % 60
    while _wall(instant, zone) < naive:
        instant += 60
    return instant


def _merged(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    result: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if result and start <= result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], end))
        else:
            result.append((start, end))
    return result


def _hours(
    zone: ZoneInfo, hours: dict[str, list[list[str]]], first: date, last: date
) -> list[tuple[int, int]]:
    def minutes(text: str) -> int:
        return int(text[:2]) * 60 + int(text[3:])

    intervals = []
    day = first
    while day <= last:
        for start, end in hours.get(DAYS[day.weekday()], []):
            intervals.append(
                (
                    wall_to_instant(zone, day, minutes(start)),
                    wall_to_instant(zone, day, minutes(end)),
                )
            )
        day += timedelta(days=1)
    return _merged(intervals)


def _inside(intervals: list[tuple[int, int]], starts: list[int], start: int, end: int) -> bool:
    index = bisect.bisect_right(starts, start) - 1
    return index >= 0 and end <= intervals[index][1]


def _overlaps(intervals: list[tuple[int, int]], starts: list[int], start: int, end: int) -> bool:
    index = bisect.bisect_left(starts, end) - 1
    return index >= 0 and intervals[index][1] > start


def allowed_starts(request: Request) -> tuple[list[tuple[int, date]], list[dict[int, list[int]]]]:
    """Grid points (instant, candidate date) and, per stage and interviewer, allowed starts.

    Straight from CONTRACT.md section 5; an interviewer serves at most once per loop, so their
    caps hold for a session exactly when the booked count on its local date and ISO week is
    below the cap.
    """
    settings = request["settings"]
    step = settings["slot_step_minutes"]
    earliest = _seconds(request["now"]) + settings["min_notice_minutes"] * 60
    buffer = settings["buffer_minutes"] * 60
    candidate = request["candidate"]
    czone = ZoneInfo(candidate["timezone"])
    first = date.fromisoformat(request["window"]["start"])
    last = date.fromisoformat(request["window"]["end"])
    grid: list[tuple[int, date]] = []
    day = first
    while day <= last:
        for minute in range(0, 1440, step):
            grid.extend((i, day) for i in wall_instants(czone, day, minute) if i >= earliest)
        day += timedelta(days=1)
    grid.sort()
    hours = candidate.get("working_hours") or {d: [["09:00", "18:00"]] for d in DAYS[:5]}
    if candidate.get("availability") is not None:
        ctime = _merged(
            [(_seconds(a["start"]), _seconds(a["end"])) for a in candidate["availability"]]
        )
    else:
        ctime = _hours(czone, hours, first - timedelta(days=2), last + timedelta(days=2))
    cstarts = [start for start, _ in ctime]
    result: list[dict[int, list[int]]] = []
    local_dates: dict[tuple[str, int], date] = {}
    people = []
    for person in request["interviewers"]:
        zone = ZoneInfo(person["timezone"])
        working = _hours(zone, person.get("working_hours") or WEEKDAY_HOURS,
                         first - timedelta(days=3), last + timedelta(days=3))  # fmt: skip
        blocked = _merged([
            (_seconds(b["start"]) - buffer, _seconds(b["end"]) + buffer)
            for b in person.get("busy", []) + person.get("booked_interviews", [])
        ])  # fmt: skip
        per_day: Counter[date] = Counter()
        per_week: Counter[tuple[int, int]] = Counter()
        for booked in person.get("booked_interviews", []):
            local = datetime.fromtimestamp(_seconds(booked["start"]), zone).date()
            per_day[local] += 1
            per_week[local.isocalendar()[:2]] += 1
        people.append((person, zone, working, [s for s, _ in working], blocked,
                       [s for s, _ in blocked], per_day, per_week))  # fmt: skip
    for stage in request["loop"]["stages"]:
        duration = stage["duration_minutes"] * 60
        points = [t for t, _ in grid if _inside(ctime, cstarts, t, t + duration)]
        allowed: dict[int, list[int]] = {}
        for index, (
            person,
            zone,
            working,
            wstarts,
            blocked,
            bstarts,
            per_day,
            per_week,
        ) in enumerate(people):
            if stage["pool"] not in person["pools"]:
                continue
            cap_day, cap_week = person.get("max_per_day"), person.get("max_per_week")
            ok = []
            for t in points:
                if not _inside(working, wstarts, t, t + duration):
                    continue
                if _overlaps(blocked, bstarts, t, t + duration):
                    continue
                key = (person["timezone"], t)
                if key not in local_dates:
                    local_dates[key] = datetime.fromtimestamp(t, zone).date()
                local = local_dates[key]
                if cap_day is not None and per_day[local] + 1 > cap_day:
                    continue
                if cap_week is not None and per_week[local.isocalendar()[:2]] + 1 > cap_week:
                    continue
                ok.append(t)
            if ok:
                allowed[index] = ok
        result.append(allowed)
    return grid, result


def solve_cpsat(
    request: Request, grid: list[tuple[int, date]], allowed: list[dict[int, list[int]]]
) -> tuple[int | None, float]:
    """Earliest first-session start by CP-SAT (None if infeasible) and build+solve seconds."""
    from itertools import permutations

    from ortools.sat.python import cp_model
    from ortools.util.python import sorted_interval_list

    domain = sorted_interval_list.Domain
    started = time.perf_counter()
    loop = request["loop"]
    stages = loop["stages"]
    if not grid or any(not a for a in allowed):
        return None, time.perf_counter() - started
    base = grid[0][0]
    model = cp_model.CpModel()
    starts = []
    chosen: dict[int, list[Any]] = {}
    for index, stage in enumerate(stages):
        values = sorted({(t - base) // 60 for ts in allowed[index].values() for t in ts})
        start = model.new_int_var_from_domain(domain.from_values(values), f"start{index}")
        starts.append(start)
        picks = []
        for person, ts in allowed[index].items():
            pick = model.new_bool_var(f"z{index}_{person}")
            model.add_linear_expression_in_domain(
                start, domain.from_values([(t - base) // 60 for t in ts])
            ).only_enforce_if(pick)
            picks.append(pick)
            chosen.setdefault(person, []).append(pick)
        model.add(sum(picks) == stage.get("interviewers", 1))
    for picks in chosen.values():
        if len(picks) > 1:
            model.add_at_most_one(picks)
    low, high = loop["min_break_minutes"], loop["max_break_minutes"]
    orders = (
        [tuple(range(len(stages)))]
        if loop["order"] == "fixed"
        else list(permutations(range(len(stages))))
    )
    flags = [model.new_bool_var(f"order{n}") for n in range(len(orders))]
    model.add_exactly_one(flags)
    for flag, order in zip(flags, orders, strict=True):
        for a, b in itertools.pairwise(order):
            gap = starts[b] - starts[a] - stages[a]["duration_minutes"]
            model.add(gap >= low).only_enforce_if(flag)
            if loop["same_day"]:
                model.add(gap <= high).only_enforce_if(flag)
    if loop["same_day"]:
        ranges: dict[date, list[int]] = {}
        for t, day in grid:
            ranges.setdefault(day, []).append((t - base) // 60)
        days = [model.new_bool_var(f"day{n}") for n in range(len(ranges))]
        model.add_exactly_one(days)
        for flag, minutes in zip(days, ranges.values(), strict=True):
            for start in starts:
                model.add(start >= min(minutes)).only_enforce_if(flag)
                model.add(start <= max(minutes)).only_enforce_if(flag)
    first = model.new_int_var(0, (grid[-1][0] - base) // 60, "first")
    model.add_min_equality(first, starts)
    model.minimize(first)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 120
    solver.parameters.num_workers = 2
    status = solver.solve(model)
    elapsed = time.perf_counter() - started
    if status == cp_model.OPTIMAL:
        return base + 60 * int(solver.value(first)), elapsed
    if status == cp_model.INFEASIBLE:
        return None, elapsed
    raise RuntimeError(f"CP-SAT ended with {solver.status_name(status)}")


# -- measurement -------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(size: Size, count: int, seed: int) -> dict[str, Any]:
    planner_ms: list[float] = []
    search_ms: list[float] = []
    parse_ms: list[float] = []
    cpsat_ms: list[float] = []
    feasible = same_feasibility = same_earliest = 0
    for index in range(count):
        raw = generate(size, seed * 1000 + index)
        began = time.perf_counter()
        request = parse_request(raw)
        parse_ms.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        answer = plan(request)
        planner_ms.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        problem = build(request)
        Searcher(problem).find(problem.timeline.grid)
        search_ms.append((time.perf_counter() - began) * 1000)
        ours = min((o.sessions[0].start for o in answer.options), default=None)
        grid, allowed = allowed_starts(raw)
        theirs, seconds = solve_cpsat(raw, grid, allowed)
        cpsat_ms.append(seconds * 1000)
        feasible += ours is not None
        same_feasibility += (ours is None) == (theirs is None)
        same_earliest += ours == theirs
        if ours != theirs:
            print(f"<!-- disagreement: {size.name} seed {seed * 1000 + index}: "
                  f"planner {ours} CP-SAT {theirs} -->")  # fmt: skip
    return {
        "size": size.name,
        "count": count,
        "feasible": feasible,
        "p50": statistics.median(planner_ms),
        "p95": percentile(planner_ms, 0.95),
        "max": max(planner_ms),
        "parse": statistics.median(parse_ms),
        "search50": statistics.median(search_ms),
        "search95": percentile(search_ms, 0.95),
        "cpsat50": statistics.median(cpsat_ms),
        "cpsat95": percentile(cpsat_ms, 0.95),
        "feasibility": same_feasibility,
        "earliest": same_earliest,
    }


# -- fairness ----------------------------------------------------------------------------------


def fairness(policy: str, seed: int, candidates: int = 60) -> tuple[dict[str, list[int]], int]:
    """Plan `candidates` loops in one week, booking each answer.

    Returns, per pool, the number of interviews (of any stage) of each of its members, and the
    number of candidates that got no loop.
    """
    size = Size("fairness", SIZES[2].stages, 40, 100, 5, 0.3, (2, 5), False)
    org = generate(size, seed)
    for person in org["interviewers"]:
        person["booked_interviews"] = []
    monday = date(2026, 3, 9)
    org["window"] = {"start": monday.isoformat(), "end": (monday + timedelta(days=4)).isoformat()}
    org["now"] = iso(datetime(2026, 3, 7, tzinfo=UTC))
    org["loop"]["max_break_minutes"] = 30
    org["settings"] |= {"min_notice_minutes": 0, "buffer_minutes": 0}
    rng = random.Random(seed)
    by_id = {person["id"]: person for person in org["interviewers"]}
    served: Counter[tuple[str, str]] = Counter()
    unplaced = 0
    for _ in range(candidates):
        org["candidate"] = {"timezone": rng.choice(CANDIDATE_ZONES)}
        options = answer_to_json(plan(parse_request(org)))["options"]
        assert isinstance(options, list)
        if not options:
            unplaced += 1
            continue
        pick = (
            options[0]
            if policy == "ranked"
            else min(options, key=lambda o: o["sessions"][0]["start"])
        )
        for session in pick["sessions"]:
            for pid in session["interviewers"]:
                span = {"start": session["start"], "end": session["end"]}
                by_id[pid]["booked_interviews"].append(span)
                by_id[pid]["busy"].append(span)
                served[(session["stage"], pid)] += 1
    total: Counter[str] = Counter()
    for (_, pid), count in served.items():
        total[pid] += count
    counts = {
        pool: [total[p["id"]] for p in org["interviewers"] if pool in p["pools"]]
        for pool, _, _ in size.stages
    }
    counts["(all pools)"] = [total[p["id"]] for p in org["interviewers"] if p["pools"]]
    return counts, unplaced


# -- report ------------------------------------------------------------------------------------


def machine() -> str:
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next((line.split(":", 1)[1].strip() for line in lscpu.splitlines()
                      if line.startswith("Model name")), "unknown")  # fmt: skip
    except OSError:
        model = "unknown"
    import os

    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=30, help="instances per size")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    from importlib.metadata import version

    print("## Planner benchmark\n")
    print(f"Machine: {machine()}; OR-Tools {version('ortools')} (CP-SAT, 2 workers).\n")
    for size in SIZES:  # warm-up: imports, first-call costs
        raw = generate(size, 0)
        plan(parse_request(raw))
        solve_cpsat(raw, *allowed_starts(raw))
    rows = [measure(size, args.instances, args.seed) for size in SIZES]
    print(
        "| size | instances | feasible | plan() p50 ms | plan() p95 ms | plan() max ms "
        "| earliest-start search p50 / p95 ms | parse p50 ms | CP-SAT p50 / p95 ms "
        "| CP-SAT p50 / plan() p50 | CP-SAT p50 / search p50 | same feasibility "
        "| same earliest start |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['size']} | {row['count']} | {row['feasible']} | {row['p50']:.1f} "
            f"| {row['p95']:.1f} | {row['max']:.1f} "
            f"| {row['search50']:.1f} / {row['search95']:.1f} | {row['parse']:.1f} "
            f"| {row['cpsat50']:.1f} / {row['cpsat95']:.1f} "
            f"| {row['cpsat50'] / row['p50']:.1f}x | {row['cpsat50'] / row['search50']:.1f}x "
            f"| {100 * row['feasibility'] / row['count']:.0f}% "
            f"| {100 * row['earliest'] / row['count']:.0f}% |"
        )
    print("\n## Fairness: 60 candidates in one week, booking each answer\n")
    ranked, unplaced_ranked = fairness("ranked", args.seed)
    earliest, unplaced_earliest = fairness("earliest", args.seed)
    print("| pool | members | interviews by its members | options[0]: min / max / stdev "
          "| earliest option: min / max / stdev |")  # fmt: skip
    print("|---|---|---|---|---|")
    for pool, counts in ranked.items():
        other = earliest[pool]
        print(
            f"| {pool} | {len(counts)} | {sum(counts)} "
            f"| {min(counts)} / {max(counts)} / {statistics.pstdev(counts):.2f} "
            f"| {min(other)} / {max(other)} / {statistics.pstdev(other):.2f} |"
        )
    print(f"\nCandidates without a loop: {unplaced_ranked} (options[0]), "
          f"{unplaced_earliest} (earliest option).")  # fmt: skip


if __name__ == "__main__":
    main()
