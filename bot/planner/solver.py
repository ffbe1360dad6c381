"""Exact search for loops on the bitsets of `problem.py`.

How it stays exact and fast:

1. *Reachability.*  For a stage `x` followed (in time) by the stages in `rest`, `reach(x, rest)`
   is the set of starts of `x` from which the remaining stages can still be placed in time
   order - each on a start where enough of its pool is free, each gap within the break bounds, on
   one candidate date when `same_day`.  It is computed backwards with shifts:
   `reach(x, rest) = feasible(x) & pre_x(OR over next y of reach(y, rest - y))`, where `pre_x`
   maps a set of later starts to the starts of `x` whose gap to one of them is allowed.  With
   `order: "any"` the next stage may be any stage of `rest`, so the memo holds one entry per
   (stage, remaining set) - 32 for four stages - instead of one per permutation.
2. *Depth-first search in time order.*  Start positions are tried in increasing order; from a
   start the search only walks positions that are in `reach`, so every partial loop can be
   completed in time.  What reachability ignores is that an interviewer may serve only once per
   loop; each node therefore checks, with a bipartite matching, that the stages placed so far
   (exact eligible sets) and the stages still to come (anyone with a later start) can get
   distinct interviewers.  A failing node cannot lead to a valid loop, so the first leaf found is
   a valid loop with the earliest possible first start among the allowed start positions.

Choosing *which* eligible interviewers serve is left to `ranking.py`; the search returns times.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Iterator

from bot.planner.problem import Problem, at_least, iter_bits, lowest_bit

Placed = tuple[tuple[int, int], ...]
"""A loop's times: `(stage index, start position)` pairs in chronological order."""


def _smear(bits: int, width: int) -> int:
    """OR of `bits >> j` for `0 <= j < width`, by doubling."""
    result = bits
    span = 1
    while span < width:
        step = min(span, width - span)
        result |= result >> step
        span += step
    return result


def _bits_ascending(bits: int) -> Iterator[int]:
    while bits:
        low = bits & -bits
        yield low.bit_length() - 1
        bits ^= low


def _tagged(bits: int, tag: int) -> Iterator[tuple[int, int]]:
    """`(position, tag)` for each set bit, ascending (a function, so `tag` binds early)."""
    for position in _bits_ascending(bits):
        yield position, tag


def match(slots: list[list[int]]) -> dict[int, int] | None:
    """Give every slot a distinct person from its list (Kuhn's augmenting paths).

    Returns `{person: slot index}` or None when no such assignment exists.
    """
    owner: dict[int, int] = {}

    def augment(slot: int, seen: set[int]) -> bool:
        for person in slots[slot]:
            if person in seen:
                continue
            seen.add(person)
            holder = owner.get(person)
            if holder is None or augment(holder, seen):
                owner[person] = slot
                return True
        return False

    for slot in sorted(range(len(slots)), key=lambda index: len(slots[index])):
        if not augment(slot, set()):
            return None
    return owner


class Searcher:
    """Finds earliest loops within sets of allowed first-start positions."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        timeline = problem.timeline
        loop = problem.request.loop
        self.count = len(problem.stages)
        self.full = (1 << self.count) - 1
        self.fixed = loop.order == "fixed"
        self.same_day = loop.same_day
        resolution = timeline.resolution
        self.kmin: list[int] = []
        self.kmax: list[int] = []
        for plan in problem.stages:
            low = plan.duration + loop.min_break_minutes * 60
            high = plan.duration + loop.max_break_minutes * 60
            self.kmin.append(-(-low // resolution))
            self.kmax.append(high // resolution if self.same_day else timeline.length)
        self.feasible = [plan.feasible for plan in problem.stages]
        self._reach: dict[tuple[int, int], int] = {}
        self._eligible: dict[tuple[int, int], list[int]] = {}
        self._later: dict[tuple[int, int], list[int]] = {}
        self._failed: set[tuple[object, ...]] = set()
        self._failed_from: dict[tuple[object, ...], int] = {}
        self._set_ids: dict[frozenset[int], int] = {}
        seen: set[int] = set()
        shared = False
        for plan in problem.stages:
            people = {member.person for member in plan.members}
            shared = shared or not seen.isdisjoint(people)
            seen |= people
        self.pools_overlap = shared
        """With disjoint pools no one can be needed twice, so matching always succeeds."""

    # -- reachability ------------------------------------------------------------------------

    def next_stages(self, stage: int, rest: int) -> list[int]:
        if not rest:
            return []
        if self.fixed:
            return [lowest_bit(rest)]
        return [index for index in range(self.count) if rest >> index & 1]

    def first_states(self) -> list[tuple[int, int]]:
        if self.fixed:
            return [(0, self.full ^ 1)]
        return [(index, self.full ^ (1 << index)) for index in range(self.count)]

    def reach(self, stage: int, rest: int) -> int:
        key = (stage, rest)
        cached = self._reach.get(key)
        if cached is not None:
            return cached
        bits = self.feasible[stage]
        if rest and bits:
            later = 0
            for following in self.next_stages(stage, rest):
                later |= self.reach(following, rest ^ (1 << following))
            bits &= self._predecessors(stage, later)
        self._reach[key] = bits
        return bits

    def _predecessors(self, stage: int, later: int) -> int:
        """Starts of `stage` from which some start in `later` keeps an allowed gap."""
        if not later:
            return 0
        kmin, kmax = self.kmin[stage], self.kmax[stage]
        if not self.same_day:
            limit = later.bit_length() - 1 - kmin
            return (1 << (limit + 1)) - 1 if limit >= 0 else 0
        if kmax < kmin:
            return 0
        width = min(kmax - kmin + 1, self.problem.timeline.length)
        result = 0
        for mask in self.problem.timeline.date_masks:
            day_bits = later & mask
            if day_bits:
                result |= _smear(day_bits >> kmin, width) & mask
        return result

    def start_bits(self) -> int:
        """Every position at which some valid-in-time loop can start."""
        result = 0
        for stage, rest in self.first_states():
            result |= self.reach(stage, rest)
        return result

    # -- search ------------------------------------------------------------------------------

    def find(self, allowed: int) -> Placed | None:
        """The loop with the earliest first start among positions in `allowed`, or None."""
        states = [
            (stage, rest, bits)
            for stage, rest in self.first_states()
            if (bits := self.reach(stage, rest) & allowed)
        ]
        union = 0
        for _, _, bits in states:
            union |= bits
        for position in _bits_ascending(union):
            for stage, rest, bits in states:
                if bits >> position & 1:
                    found = self._extend(stage, rest, position, ((stage, position),))
                    if found is not None:
                        return found
        return None

    def _window(self, stage: int, position: int) -> int:
        """Positions where the next session may start after `stage` starts at `position`."""
        length = self.problem.timeline.length
        low = position + self.kmin[stage]
        if low >= length:
            return 0
        if not self.same_day:
            return -1 << low
        high = min(position + self.kmax[stage], length - 1)
        if high < low:
            return 0
        return (((1 << (high - low + 1)) - 1) << low) & self.date_mask_of(position)

    def date_index_of(self, position: int) -> int:
        """Index into `timeline.dates` of the candidate-local date of a grid position."""
        return bisect_right(self.problem.timeline.date_first, position) - 1

    def date_mask_of(self, position: int) -> int:
        return self.problem.timeline.date_masks[self.date_index_of(position)]

    def _extend(self, stage: int, rest: int, position: int, placed: Placed) -> Placed | None:
        if not self.pools_overlap:
            return self._explore(stage, rest, position, placed)
        # What lies below a node depends on the earlier stages only through who could staff
        # them, so a failure is remembered under the earlier stages' eligible sets.  Without
        # same_day a later start only narrows what may follow, so a failure at a start also
        # rules out every later start with the same eligible set.
        others = tuple(sorted(self._group(s, at) for s, at in placed[:-1]))
        key = (stage, rest, position, others)
        monotone = (stage, rest, self._group(stage, position), others)
        if key in self._failed:
            return None
        if not self.same_day and self._failed_from.get(monotone, position + 1) <= position:
            return None
        found = None
        if self._matchable(placed, rest, position):
            found = self._explore(stage, rest, position, placed)
        if found is None:
            self._failed.add(key)
            if not self.same_day:
                self._failed_from[monotone] = min(
                    position, self._failed_from.get(monotone, position)
                )
        return found

    def _group(self, stage: int, position: int) -> tuple[int, int]:
        """(panel size, id of the eligible set) of a placed session, for memo keys."""
        people = frozenset(self.eligible(stage, position))
        ident = self._set_ids.setdefault(people, len(self._set_ids))
        return self.problem.stages[stage].stage.interviewers, ident

    def _explore(self, stage: int, rest: int, position: int, placed: Placed) -> Placed | None:
        if not rest:
            return placed
        window = self._window(stage, position)
        candidates = {
            following: self.reach(following, rest ^ (1 << following)) & window
            for following in self.next_stages(stage, rest)
        }
        filtered = not self.pools_overlap
        tried = (-1, -1)
        while True:
            streams = [_tagged(bits, following) for following, bits in candidates.items() if bits]
            if not streams:
                return None
            ordered = streams[0] if len(streams) == 1 else heapq.merge(*streams)
            for candidate, following in ordered:
                if (candidate, following) <= tried:
                    continue
                found = self._extend(
                    following,
                    rest ^ (1 << following),
                    candidate,
                    (*placed, (following, candidate)),
                )
                if found is not None:
                    return found
                tried = (candidate, following)
                if not filtered:
                    # A failure hints that people are scarce.  Give up here if some later stage
                    # has no start with enough people that the other stages leave free, and
                    # from now on only walk such starts for the next stage.
                    filtered = True
                    horizon = self._horizon(position)
                    for later in iter_bits(rest):
                        free = self._unpinned(placed, rest, position, later)
                        if not self.feasible[later] & horizon & free:
                            return None
                        if later in candidates:
                            candidates[later] &= free
                    break
            else:
                return None

    # -- interviewers ------------------------------------------------------------------------

    def eligible(self, stage: int, position: int) -> list[int]:
        """Interviewers who can take `stage` starting at `position`."""
        key = (stage, position)
        cached = self._eligible.get(key)
        if cached is None:
            cached = [
                member.person
                for member in self.problem.stages[stage].members
                if member.bits >> position & 1
            ]
            self._eligible[key] = cached
        return cached

    def _horizon(self, position: int) -> int:
        """Positions where a session after one starting at `position` may start."""
        horizon = -1 << (position + 1)
        if self.same_day:
            horizon &= self.date_mask_of(position)
        return horizon

    def _eligible_later(self, stage: int, position: int) -> list[int]:
        """Interviewers with any start of `stage` after `position` (same date when same_day)."""
        key = (stage, position)
        cached = self._later.get(key)
        if cached is None:
            horizon = self._horizon(position)
            cached = [
                member.person
                for member in self.problem.stages[stage].members
                if member.bits & horizon
            ]
            self._later[key] = cached
        return cached

    def _unpinned(self, placed: Placed, rest: int, position: int, following: int) -> int:
        """Starts of `following` with enough people not pinned by the other stages.

        A person is pinned when every staffing of the placed stages (and of the later ones, by
        anyone free later) needs them.  Persons outside a maximum matching are free; a matched
        person is freed when their slot can take a free person instead (alternating paths).
        For a one-person stage this is exact; for panels it is a necessary condition.
        """
        stages = self.problem.stages
        slots: list[list[int]] = []
        for stage, at in placed:
            slots.extend([self.eligible(stage, at)] * stages[stage].stage.interviewers)
        for stage in iter_bits(rest & ~(1 << following)):
            people = self._eligible_later(stage, position)
            slots.extend([people] * stages[stage].stage.interviewers)
        owner = match(slots)
        if owner is None:
            return 0
        holder = {slot: person for person, slot in owner.items()}
        pinned = set(owner)
        changed = True
        while changed:
            changed = False
            for slot, people in enumerate(slots):
                person = holder[slot]
                if person in pinned and any(other not in pinned for other in people):
                    pinned.discard(person)
                    changed = True
        plan = stages[following]
        return at_least(
            [m.bits for m in plan.members if m.person not in pinned], plan.stage.interviewers
        )

    def _matchable(self, placed: Placed, rest: int, position: int) -> bool:
        slots: list[list[int]] = []
        for stage, at in placed:
            people = self.eligible(stage, at)
            slots.extend([people] * self.problem.stages[stage].stage.interviewers)
        for stage in iter_bits(rest):
            people = self._eligible_later(stage, position)
            slots.extend([people] * self.problem.stages[stage].stage.interviewers)
        return match(slots) is not None
