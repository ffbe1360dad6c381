"""Half-open interval algebra on sorted lists of `(start, end)` integer pairs.

Why plain tuples in lists: the planner handles thousands of busy intervals per request, and these
few linear-time sweeps over sorted lists are the cheapest exact way to turn "working hours minus
busy time" into free windows.  Every function treats intervals as `[start, end)`: intervals that
touch (`end == start`) merge, and touching is never overlapping.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from operator import itemgetter

Interval = tuple[int, int]

_first = itemgetter(0)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort, drop empty intervals and merge those that overlap or touch."""
    result: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if result and start <= result[-1][1]:
            if end > result[-1][1]:
                result[-1] = (result[-1][0], end)
        else:
            result.append((start, end))
    return result


def widen(intervals: Iterable[Interval], by: int) -> list[Interval]:
    """Extend every non-empty interval by `by` on both sides and merge the result."""
    return merge((start - by, end + by) for start, end in intervals if end > start)


def subtract(base: list[Interval], cut: list[Interval]) -> list[Interval]:
    """`base` minus `cut`; both must be merged (sorted, disjoint, non-touching)."""
    result: list[Interval] = []
    j = 0
    n = len(cut)
    for start, end in base:
        while j < n and cut[j][1] <= start:
            j += 1
        k = j
        cursor = start
        while k < n and cut[k][0] < end:
            cut_start, cut_end = cut[k]
            if cut_start > cursor:
                result.append((cursor, cut_start))
            if cut_end > cursor:
                cursor = cut_end
            if cursor >= end:
                break
            k += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def intersect(first: list[Interval], second: list[Interval]) -> list[Interval]:
    """Intersection of two merged lists."""
    result: list[Interval] = []
    i = j = 0
    while i < len(first) and j < len(second):
        start = max(first[i][0], second[j][0])
        end = min(first[i][1], second[j][1])
        if start < end:
            result.append((start, end))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return result


def clip(intervals: list[Interval], low: int, high: int) -> list[Interval]:
    """The parts of a merged list that lie inside `[low, high)`."""
    return intersect(intervals, [(low, high)]) if low < high else []


def contains(intervals: list[Interval], start: int, end: int) -> bool:
    """Whether `[start, end)` lies inside one interval of a merged list."""
    index = bisect_right(intervals, start, key=_first) - 1
    return index >= 0 and intervals[index][0] <= start and end <= intervals[index][1]


def overlaps(intervals: list[Interval], start: int, end: int) -> bool:
    """Whether `[start, end)` shares any instant with an interval of a merged list."""
    index = bisect_left(intervals, end, key=_first) - 1
    # intervals[index] is the last one starting before `end`; being merged, it has the largest end
    # among those, so it alone decides.
    return index >= 0 and intervals[index][1] > start
