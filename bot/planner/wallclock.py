"""Local wall-clock times to UTC instants, with the contract's DST rules.

CONTRACT.md section 5 reads working hours and window dates in IANA zones and fixes what a wall
time means on DST days:

* a wall time that does not exist (spring-forward gap) means the first instant after the gap, so
  London 2024-03-31 01:30 is 01:00Z, and São Paulo 2018-11-04 00:00 (no local midnight that day)
  is 03:00Z;
* an ambiguous wall time (fall-back) means its first occurrence;
* `24:00` is the next day's midnight, read with the same two rules.

The candidate's step grid has its own, different rule: a wall time inside a gap is *not* a grid
point, and a repeated wall time is a grid point at *both* occurrences.

`zoneinfo` silently accepts nonexistent wall times, so every conversion is checked by a round
trip through UTC.  Why a per-day cache with a fast path: a request converts thousands of wall
times, almost all on days with a single UTC offset, where a conversion is one addition; only days
with a transition take the careful path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.planner.model import MINUTES_PER_DAY

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_SAMPLE_STEP = 8 * 3600
"""Seconds between the offset samples that decide whether a local day has a transition."""


def wall_seconds(day: date, minute: int = 0) -> int:
    """Seconds since 1970-01-01 00:00 of the naive wall time `day` + `minute`."""
    return (day.toordinal() - _EPOCH_ORDINAL) * 86400 + minute * 60


@dataclass(frozen=True, slots=True)
class _Day:
    midnight: int | None
    """UTC of local midnight when the whole local day has one offset; None on transition days."""


class ZoneClock:
    """Wall-time conversions for one zone, memoised per local date (one instance per plan)."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._days: dict[date, _Day] = {}
        self._slow: dict[tuple[date, int], tuple[int, ...]] = {}

    # -- offsets -----------------------------------------------------------------------------

    def offset_at(self, instant: int) -> int:
        """UTC offset in seconds in force at a UTC instant."""
        offset = datetime.fromtimestamp(instant, self.zone).utcoffset()
        assert offset is not None
        return int(offset.total_seconds())

    def local_date(self, instant: int) -> date:
        """The local calendar date of a UTC instant."""
        return datetime.fromtimestamp(instant, self.zone).date()

    def _wall_offset(self, day: date, minute: int, fold: int) -> int:
        naive = datetime(day.year, day.month, day.day) + timedelta(minutes=minute)
        offset = naive.replace(tzinfo=self.zone, fold=fold).utcoffset()
        assert offset is not None
        return int(offset.total_seconds())

    def _day(self, day: date) -> _Day:
        cached = self._days.get(day)
        if cached is not None:
            return cached
        offset = self._wall_offset(day, 0, 0)
        midnight = wall_seconds(day) - offset
        uniform = all(
            self.offset_at(midnight + sample) == offset
            for sample in range(0, 86400 + 1, _SAMPLE_STEP)
        )
        info = _Day(midnight if uniform else None)
        self._days[day] = info
        return info

    # -- conversions -------------------------------------------------------------------------

    def occurrences(self, day: date, minute: int) -> tuple[int, ...]:
        """Every UTC instant whose local wall time is `day` + `minute` (0 <= minute < 1440).

        Empty inside a DST gap, two instants for a repeated wall time, one otherwise.
        """
        midnight = self._day(day).midnight
        if midnight is not None:
            return (midnight + minute * 60,)
        key = (day, minute)
        cached = self._slow.get(key)
        if cached is None:
            wall = wall_seconds(day, minute)
            found = set()
            for fold in (0, 1):
                instant = wall - self._wall_offset(day, minute, fold)
                if instant + self.offset_at(instant) == wall:
                    found.add(instant)
            cached = tuple(sorted(found))
            self._slow[key] = cached
        return cached

    def to_utc(self, day: date, minute: int) -> int:
        """The instant a wall time names: first occurrence; in a gap, the first instant after it.

        `minute` may be 1440, meaning the next day's midnight.
        """
        if minute >= MINUTES_PER_DAY:
            return self.to_utc(day + timedelta(days=minute // MINUTES_PER_DAY), minute % 1440)
        found = self.occurrences(day, minute)
        if found:
            return found[0]
        return self._gap_end(day, minute)

    def day_start(self, day: date) -> int:
        """First instant of a local date (its midnight, or the end of a gap swallowing it)."""
        return self.to_utc(day, 0)

    def grid(self, day: date, step_minutes: int) -> list[int]:
        """The step grid of a local date: instants whose wall minutes are multiples of the step."""
        midnight = self._day(day).midnight
        if midnight is not None:
            step = step_minutes * 60
            return list(range(midnight, midnight + 86400, step))
        points: list[int] = []
        for minute in range(0, MINUTES_PER_DAY, step_minutes):
            points.extend(self.occurrences(day, minute))
        points.sort()
        return points

    def _gap_end(self, day: date, minute: int) -> int:
        """The first instant after the DST gap that contains the wall time `day` + `minute`.

        Reading the wall time with the offsets before and after the gap brackets the transition:
        before it the wall clock shows less than the target, from it on more.  Binary search over
        whole seconds finds the transition instant.
        """
        wall = wall_seconds(day, minute)
        guesses = [wall - self._wall_offset(day, minute, fold) for fold in (0, 1)]
        low, high = min(guesses), max(guesses)
        if not (low + self.offset_at(low) < wall < high + self.offset_at(high)):
            low, high = wall - 2 * 86400, wall + 2 * 86400  # defensive: unusual fold semantics
        while high - low > 1:
            middle = (low + high) // 2
            if middle + self.offset_at(middle) > wall:
                high = middle
            else:
                low = middle
        return high


class Clocks:
    """One `ZoneClock` per zone, shared by everything a single plan converts."""

    def __init__(self) -> None:
        self._clocks: dict[str, ZoneClock] = {}

    def __call__(self, zone: ZoneInfo) -> ZoneClock:
        clock = self._clocks.get(zone.key)
        if clock is None:
            clock = ZoneClock(zone)
            self._clocks[zone.key] = clock
        return clock


def week_hours_to_utc(
    clock: ZoneClock,
    hours: tuple[tuple[tuple[int, int], ...], ...],
    first_day: date,
    last_day: date,
) -> list[tuple[int, int]]:
    """Working hours on the local dates `first_day`..`last_day` as unmerged UTC intervals."""
    intervals: list[tuple[int, int]] = []
    day = first_day
    one_day = timedelta(days=1)
    while day <= last_day:
        for start_minute, end_minute in hours[day.weekday()]:
            intervals.append((clock.to_utc(day, start_minute), clock.to_utc(day, end_minute)))
        day += one_day
    return intervals
