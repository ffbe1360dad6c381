"""A request turned into bitsets over the candidate's step grid.

Why bitsets: every rule that concerns one session and one interviewer (grid, working hours,
candidate time, busy time with buffers, notice, window, caps) can be decided once per possible
start and stored as one bit.  Python ints are arbitrary-size bitsets with C-speed `&`, `|` and
shifts, so the search in `solver.py` combines whole days of starts in a handful of operations.

Bit positions are a *uniform* UTC timeline: position `p` is the instant `base + p * resolution`,
where `resolution` is the gcd of the distances between grid points.  Usually that is the step
(15 minutes), but a DST shift of 30 minutes or a `+05:45` zone with a 60-minute step just makes the
resolution finer; uniformity is what lets "the next stage starts 0 to 30 minutes after this one
ends" be a shift.  Only positions that are real grid points ever carry a bit.

Caps need no search: an interviewer appears at most once in a loop, so a session is within their
caps exactly when the booked count on its interviewer-local date and ISO week is below the cap.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from math import gcd
from operator import sub

from bot.planner.intervals import Interval, intersect, merge, subtract, widen
from bot.planner.model import Interviewer, PlanRequest, Stage
from bot.planner.wallclock import Clocks, ZoneClock, week_hours_to_utc

Week = tuple[int, int]
"""An ISO (year, week) pair."""


def mask_from_positions(positions: list[int]) -> int:
    """A bitset with the given bit positions set."""
    if not positions:
        return 0
    buffer = bytearray(max(positions) // 8 + 1)
    for position in positions:
        buffer[position >> 3] |= 1 << (position & 7)
    return int.from_bytes(buffer, "little")


def iter_bits(bits: int) -> list[int]:
    """Positions of the set bits, ascending (materialised: callers usually need few of them)."""
    result = []
    while bits:
        low = bits & -bits
        result.append(low.bit_length() - 1)
        bits ^= low
    return result


def lowest_bit(bits: int) -> int:
    return (bits & -bits).bit_length() - 1


@dataclass(slots=True)
class Timeline:
    """Grid points of the window (after the notice) as positions on a uniform UTC timeline."""

    base: int = 0
    resolution: int = 60
    length: int = 0
    grid: int = 0
    dates: list[date] = field(default_factory=list)
    date_masks: list[int] = field(default_factory=list)
    date_first: list[int] = field(default_factory=list)
    """First position of each date in `dates` (for finding a position's date)."""

    def instant(self, position: int) -> int:
        return self.base + position * self.resolution

    @property
    def last(self) -> int:
        return self.instant(self.length - 1)

    def ceil_position(self, instant: int) -> int:
        return -((self.base - instant) // self.resolution)

    def floor_position(self, instant: int) -> int:
        return (instant - self.base) // self.resolution

    def starts_within(self, windows: list[Interval], duration: int) -> int:
        """Positions `p` with `[instant(p), instant(p) + duration)` inside one of `windows`."""
        bits = 0
        top = self.length - 1
        for start, end in windows:
            low = max(self.ceil_position(start), 0)
            high = min(self.floor_position(end - duration), top)
            if low <= high:
                bits |= ((1 << (high - low + 1)) - 1) << low
        return bits & self.grid

    def starts_between(self, start: int, end: int) -> int:
        """Positions whose instant lies in `[start, end)` (grid or not)."""
        low = max(self.ceil_position(start), 0)
        high = min(self.ceil_position(end) - 1, self.length - 1)
        return ((1 << (high - low + 1)) - 1) << low if low <= high else 0


@dataclass(slots=True)
class Member:
    """An interviewer who can take a stage at some start: their start bitset for that stage."""

    person: int
    bits: int


@dataclass(slots=True)
class StagePlan:
    index: int
    stage: Stage
    duration: int
    """Seconds."""
    candidate_bits: int
    """Starts where the candidate is available for the whole session (and on the grid)."""
    members: list[Member]
    feasible: int
    """Starts where at least `stage.interviewers` members can take the session."""


@dataclass(slots=True)
class Load:
    """Booked interviews of one interviewer near the window, by local date and ISO week."""

    per_day: Counter[date]
    per_week: Counter[Week]


@dataclass(slots=True)
class Relaxation:
    """Which rules to ignore; diagnostics rebuild the problem without one to find what binds."""

    caps: bool = True
    buffers: bool = True
    notice: bool = True
    busy: bool = True


@dataclass(slots=True)
class Problem:
    request: PlanRequest
    clocks: Clocks
    timeline: Timeline
    candidate_time: list[Interval]
    stages: list[StagePlan]
    loads: dict[int, Load]
    """Per interviewer index (only those in some stage's pool)."""
    earliest_allowed: int
    """now + minimum notice (or minus infinity when the notice is relaxed)."""


def _timeline(request: PlanRequest, clock: ZoneClock, earliest: int) -> Timeline:
    step = request.settings.slot_step_minutes
    days: list[tuple[date, list[int]]] = []
    day = request.window_start
    while day <= request.window_end:
        instants = clock.grid(day, step)
        if instants and instants[-1] >= earliest:
            days.append((day, instants[bisect_left(instants, earliest) :]))
        day += timedelta(days=1)
    if not days:
        return Timeline()
    base = days[0][1][0]
    resolution = 0
    for _, instants in days:
        resolution = gcd(resolution, instants[0] - base, *map(sub, instants[1:], instants[:-1]))
    resolution = resolution or step * 60
    timeline = Timeline(base=base, resolution=resolution, dates=[day for day, _ in days])
    timeline.length = (days[-1][1][-1] - base) // resolution + 1
    grid = 0
    for _, instants in days:
        first = (instants[0] - base) // resolution
        count = len(instants)
        gap = (instants[1] - instants[0]) // resolution if count > 1 else 1
        if instants[-1] - instants[0] == (count - 1) * gap * resolution and all(
            b - a == gap * resolution for a, b in pairwise(instants)
        ):
            # Evenly spaced (every day without a DST change): a repeating bit pattern.
            mask = ((1 << (count * gap)) - 1) // ((1 << gap) - 1) << first
        else:
            mask = mask_from_positions([(instant - base) // resolution for instant in instants])
        timeline.date_masks.append(mask)
        timeline.date_first.append(first)
        grid |= mask
    timeline.grid = grid
    return timeline


def _local_range(clock: ZoneClock, low: int, high: int) -> tuple[date, date]:
    """Local dates covering the UTC instants `[low, high]`, with a day of margin each side."""
    return (
        clock.local_date(low) - timedelta(days=1),
        clock.local_date(high) + timedelta(days=1),
    )


def _candidate_time(request: PlanRequest, clocks: Clocks, timeline: Timeline) -> list[Interval]:
    candidate = request.candidate
    if candidate.availability is not None:
        return merge((span.start, span.end) for span in candidate.availability)
    if not timeline.length:
        return []
    clock = clocks(candidate.zone)
    longest = max(stage.duration_minutes for stage in request.loop.stages) * 60
    first, last = _local_range(clock, timeline.base, timeline.last + longest)
    return merge(week_hours_to_utc(clock, candidate.working_hours, first, last))


def _load(interviewer: Interviewer, clock: ZoneClock, low: int, high: int) -> Load:
    """Count booked interviews by the interviewer-local date and ISO week of their start.

    Only bookings within eight days of `[low, high]` can share a date or ISO week with a session
    starting in that range, so the rest are never converted.
    """
    margin = 8 * 86400
    per_day: Counter[date] = Counter()
    per_week: Counter[Week] = Counter()
    for span in interviewer.booked:
        if low - margin <= span.start <= high + margin:
            day = clock.local_date(span.start)
            per_day[day] += 1
            iso = day.isocalendar()
            per_week[(iso.year, iso.week)] += 1
    return Load(per_day, per_week)


def _capped_starts(
    interviewer: Interviewer,
    clock: ZoneClock,
    load: Load,
    timeline: Timeline,
    day_masks: dict[tuple[str, date], int],
) -> int:
    """Positions where a session would break the interviewer's day or week cap.

    `day_masks` memoises the positions of each (zone, local date): interviewers share zones.
    """
    capped: set[date] = set()
    if interviewer.max_per_day is not None:
        capped.update(
            day for day, count in load.per_day.items() if count >= interviewer.max_per_day
        )
    if interviewer.max_per_week is not None:
        for (year, week), count in load.per_week.items():
            if count >= interviewer.max_per_week:
                monday = date.fromisocalendar(year, week, 1)
                capped.update(monday + timedelta(days=offset) for offset in range(7))
    bits = 0
    one_day = timedelta(days=1)
    zone = clock.zone.key
    for day in capped:
        mask = day_masks.get((zone, day))
        if mask is None:
            start, end = clock.day_start(day), clock.day_start(day + one_day)
            mask = timeline.starts_between(start, end)
            day_masks[(zone, day)] = mask
        bits |= mask
    return bits


def at_least(bitsets: list[int], needed: int) -> int:
    """Positions set in at least `needed` of the bitsets (a counting network, needed is small)."""
    if needed == 1:
        result = 0
        for bits in bitsets:
            result |= bits
        return result
    if needed > len(bitsets):
        return 0
    counts = [0] * (needed + 1)  # counts[j]: positions seen in at least j bitsets so far
    counts[0] = -1
    for bits in bitsets:
        for level in range(needed, 0, -1):
            counts[level] |= counts[level - 1] & bits
    return counts[needed]


def build(
    request: PlanRequest, clocks: Clocks | None = None, relax: Relaxation | None = None
) -> Problem:
    """Precompute everything the search needs; pure and deterministic."""
    clocks = clocks or Clocks()
    relax = relax or Relaxation()
    settings = request.settings
    earliest = request.now + settings.min_notice_minutes * 60 if relax.notice else -(2**62)
    candidate_clock = clocks(request.candidate.zone)
    timeline = _timeline(request, candidate_clock, earliest)
    candidate_time = _candidate_time(request, clocks, timeline)
    stages = request.loop.stages
    durations = [stage.duration_minutes * 60 for stage in stages]
    plans = [
        StagePlan(
            index=index,
            stage=stage,
            duration=durations[index],
            candidate_bits=timeline.starts_within(candidate_time, durations[index]),
            members=[],
            feasible=0,
        )
        for index, stage in enumerate(stages)
    ]
    problem = Problem(request, clocks, timeline, candidate_time, plans, {}, earliest)
    if not timeline.length:
        return problem

    low = timeline.base
    high = timeline.last + max(durations)
    buffer = settings.buffer_minutes * 60 if relax.buffers else 0
    pool_stages: dict[str, list[int]] = {}
    for index, stage in enumerate(stages):
        pool_stages.setdefault(stage.pool, []).append(index)
    # Working hours intersected with the candidate's time, per (zone, hours): a session fits an
    # interviewer and the candidate exactly when it lies inside one interval of
    # (working hours & candidate time) - (busy time widened by the buffer).
    shared_time: dict[tuple[str, object], list[Interval]] = {}
    day_masks: dict[tuple[str, date], int] = {}

    for person, interviewer in enumerate(request.interviewers):
        wanted = sorted({i for pool in interviewer.pools for i in pool_stages.get(pool, ())})
        if not wanted:
            continue
        clock = clocks(interviewer.zone)
        load = _load(interviewer, clock, low, high)
        problem.loads[person] = load
        if relax.caps and 0 in (interviewer.max_per_day, interviewer.max_per_week):
            continue
        key = (interviewer.zone.key, interviewer.working_hours)
        usable = shared_time.get(key)
        if usable is None:
            first, last = _local_range(clock, low, high)
            working = merge(week_hours_to_utc(clock, interviewer.working_hours, first, last))
            usable = intersect(working, candidate_time)
            shared_time[key] = usable
        if not usable:
            continue
        blocked: list[Interval] = []
        if relax.busy:
            for span in (*interviewer.busy, *interviewer.booked):
                if span.end + buffer > low and span.start - buffer < high:
                    blocked.append((span.start, span.end))
        free = subtract(usable, widen(blocked, buffer)) if blocked else usable
        excluded = (
            _capped_starts(interviewer, clock, load, timeline, day_masks) if relax.caps else 0
        )
        by_duration: dict[int, int] = {}
        for index in wanted:
            duration = durations[index]
            bits = by_duration.get(duration)
            if bits is None:
                bits = timeline.starts_within(free, duration) & ~excluded
                by_duration[duration] = bits
            if bits:
                plans[index].members.append(Member(person, bits))

    for plan in plans:
        plan.feasible = at_least([m.bits for m in plan.members], plan.stage.interviewers)
    return problem
