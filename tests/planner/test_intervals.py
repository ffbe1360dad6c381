"""Half-open interval algebra, by example and against a set-of-points model."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from bot.planner.intervals import clip, contains, intersect, merge, overlaps, subtract, widen


def test_merge_joins_touching_and_overlapping_and_drops_empty() -> None:
    assert merge([(12, 17), (9, 12), (20, 20), (25, 30), (26, 28), (31, 29)]) == [
        (9, 17),
        (25, 30),
    ]


def test_merge_keeps_a_gap_of_one() -> None:
    assert merge([(0, 5), (6, 8)]) == [(0, 5), (6, 8)]


def test_subtract_touching_cut_leaves_the_base() -> None:
    assert subtract([(10, 20)], [(0, 10), (20, 30)]) == [(10, 20)]


def test_subtract_splits_and_trims() -> None:
    assert subtract([(0, 100), (200, 300)], [(10, 20), (90, 210), (250, 260)]) == [
        (0, 10),
        (20, 90),
        (210, 250),
        (260, 300),
    ]


def test_subtract_everything() -> None:
    assert subtract([(0, 10), (20, 30)], [(-5, 40)]) == []


def test_intersect_and_clip() -> None:
    assert intersect([(0, 10), (20, 30)], [(5, 25)]) == [(5, 10), (20, 25)]
    assert intersect([(0, 10)], [(10, 20)]) == []
    assert clip([(0, 10), (20, 30)], 5, 22) == [(5, 10), (20, 22)]
    assert clip([(0, 10)], 5, 5) == []


def test_widen_merges_what_the_buffer_joins() -> None:
    assert widen([(10, 20), (25, 30)], 3) == [(7, 33)]
    assert widen([(10, 20), (40, 50)], 0) == [(10, 20), (40, 50)]


def test_contains_needs_one_interval() -> None:
    intervals = merge([(9, 12), (12, 17), (20, 22)])
    assert contains(intervals, 11, 13)  # spans the merged 12:00 seam
    assert contains(intervals, 9, 17)
    assert not contains(intervals, 16, 21)
    assert not contains(intervals, 8, 10)
    assert not contains([], 1, 2)


def test_overlaps_is_half_open() -> None:
    intervals = [(10, 20), (30, 40)]
    assert not overlaps(intervals, 20, 30)  # touching both sides
    assert not overlaps(intervals, 0, 10)
    assert overlaps(intervals, 19, 21)
    assert overlaps(intervals, 0, 50)
    assert overlaps(intervals, 35, 36)
    assert not overlaps([], 0, 1)


interval_lists = st.lists(
    st.tuples(st.integers(0, 40), st.integers(0, 40)).map(lambda p: (p[0], p[0] + p[1] % 9)),
    max_size=6,
)


def points(intervals: list[tuple[int, int]]) -> set[int]:
    return {x for start, end in intervals for x in range(start, end)}


@given(interval_lists, interval_lists)
def test_algebra_matches_point_sets(
    first: list[tuple[int, int]], second: list[tuple[int, int]]
) -> None:
    a, b = merge(first), merge(second)
    assert points(a) == points(first)
    assert all(x[1] < y[0] for x, y in itertools.pairwise(a)), "merged must not touch"
    assert points(subtract(a, b)) == points(a) - points(b)
    assert points(intersect(a, b)) == points(a) & points(b)
    assert points(widen(first, 2)) == points([(s - 2, e + 2) for s, e in first if e > s])
    for start in range(0, 50, 3):
        for length in (1, 4):
            span = set(range(start, start + length))
            assert overlaps(a, start, start + length) == bool(span & points(a))
            inside = any(span <= set(range(s, e)) for s, e in a)
            assert contains(a, start, start + length) == inside
