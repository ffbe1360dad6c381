"""Turning found loop times into a short, ranked, diverse list of options.

Policy (also in docs/planner.md):

* **Proposals.**  The earliest loop overall, and again with interviewers as different as possible
  from its first staffing; the earliest loop on each of the next candidate dates that have one
  (up to `max_options + 2` dates); then, round-robin over those dates, the next loop starting
  after the previous one there would have ended, until there are `2 * max_options` proposals.
* **Staffing.**  For a loop's times, interviewers are picked by increasing load (greedy on the
  transversal matroid, which gives the least total load among valid staffings).  Load is
  `0.75 * week/cap + 0.25 * day/cap` from booked interviews on the interviewer-local ISO week and
  date of the loop's first session (uncapped: nominal caps of 10 a week, 4 a day), capped at 1.
* **Score** (0..1, higher is better, 3 decimals) =
  `0.4 * (1 - mean load) + 0.4 * 1 / (1 + days after the earliest start / 2) + 0.2 * compactness`,
  where compactness is interview time divided by the time from first start to last end.
* **Selection.**  Greedily take the best score minus a diversity penalty (0.2 for a date already
  taken, 0.15 times the largest interviewer overlap with a taken option, 0.3 for identical times);
  if no taken option starts at the earliest possible instant, the last pick is swapped for the best
  one that does, so the earliest loop is always offered.  Options are listed by score.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from bot.planner.model import Option, Session
from bot.planner.problem import Problem
from bot.planner.solver import Placed, Searcher

WEIGHT_LOAD, WEIGHT_TIME, WEIGHT_COMPACT = 0.4, 0.4, 0.2
NOMINAL_WEEK, NOMINAL_DAY = 10, 4
PENALTY_SAME_DATE, PENALTY_OVERLAP, PENALTY_SAME_TIMES = 0.2, 0.15, 0.3


@dataclass(frozen=True, slots=True)
class Proposal:
    placed: Placed
    staff: tuple[tuple[int, ...], ...]
    """Interviewer indices per placed session."""
    start: int
    date_index: int
    load: float
    score: float
    why: str

    @property
    def people(self) -> frozenset[int]:
        return frozenset(person for group in self.staff for person in group)


class Ranker:
    def __init__(self, problem: Problem, searcher: Searcher) -> None:
        self.problem = problem
        self.searcher = searcher
        self._local: dict[tuple[str, int], date] = {}

    # -- load --------------------------------------------------------------------------------

    def _local_date(self, person: int, instant: int) -> date:
        zone = self.problem.request.interviewers[person].zone
        key = (zone.key, instant)
        day = self._local.get(key)
        if day is None:
            day = self.problem.clocks(zone).local_date(instant)
            self._local[key] = day
        return day

    def load(self, person: int, instant: int) -> tuple[float, int]:
        """(load in 0..1, interviews booked that week) for a session starting at `instant`."""
        interviewer = self.problem.request.interviewers[person]
        counts = self.problem.loads[person]
        day = self._local_date(person, instant)
        iso = day.isocalendar()
        week_count = counts.per_week[(iso.year, iso.week)]
        day_count = counts.per_day[day]
        week_cap = interviewer.max_per_week or NOMINAL_WEEK
        day_cap = interviewer.max_per_day or NOMINAL_DAY
        return min(1.0, 0.75 * week_count / week_cap + 0.25 * day_count / day_cap), week_count

    # -- staffing ----------------------------------------------------------------------------

    def staff(
        self, placed: Placed, avoid: frozenset[int] = frozenset()
    ) -> tuple[tuple[int, ...], ...]:
        """Least-loaded valid staffing of a loop's times (people in `avoid` only if needed)."""
        stages = self.problem.stages
        instant = self.problem.timeline.instant(placed[0][1])
        slot_session: list[int] = []
        slots_of: dict[int, list[int]] = {}
        for session, (stage, position) in enumerate(placed):
            for _ in range(stages[stage].stage.interviewers):
                slot = len(slot_session)
                slot_session.append(session)
                for person in self.searcher.eligible(stage, position):
                    slots_of.setdefault(person, []).append(slot)
        ids = self.problem.request.interviewers

        def cost(person: int) -> tuple[bool, float, int, str]:
            load, week = self.load(person, instant)
            return person in avoid, load, week, ids[person].id

        owner: dict[int, int] = {}

        def augment(person: int, seen: set[int]) -> bool:
            for slot in slots_of[person]:
                if slot in seen:
                    continue
                seen.add(slot)
                holder = owner.get(slot)
                if holder is None or augment(holder, seen):
                    owner[slot] = person
                    return True
            return False

        for person in sorted(slots_of, key=cost):
            if len(owner) == len(slot_session):
                break
            augment(person, set())
        if len(owner) != len(slot_session):  # the search guarantees a staffing exists
            raise AssertionError("loop times without a valid staffing")
        groups: list[list[int]] = [[] for _ in placed]
        for slot, person in owner.items():
            groups[slot_session[slot]].append(person)
        return tuple(tuple(sorted(group, key=lambda p: ids[p].id)) for group in groups)

    # -- proposals ---------------------------------------------------------------------------

    def _propose(self, placed: Placed, earliest: int, avoid: frozenset[int]) -> Proposal:
        problem = self.problem
        timeline = problem.timeline
        staff = self.staff(placed, avoid)
        start = timeline.instant(placed[0][1])
        loads = [self.load(person, start)[0] for group in staff for person in group]
        mean_load = sum(loads) / len(loads)
        late_days = (start - earliest) / 86400
        ends = [timeline.instant(at) + problem.stages[stage].duration for stage, at in placed]
        busy = sum(problem.stages[stage].duration for stage, _ in placed)
        compact = busy / (max(ends) - start)
        score = (
            WEIGHT_LOAD * (1 - mean_load)
            + WEIGHT_TIME / (1 + late_days / 2)
            + WEIGHT_COMPACT * compact
        )
        return Proposal(
            placed=placed,
            staff=staff,
            start=start,
            date_index=self.searcher.date_index_of(placed[0][1]),
            load=mean_load,
            score=round(score, 3),
            why="",
        )

    def _why(self, proposal: Proposal, earliest: Proposal, least_load: float) -> str:
        problem = self.problem
        timeline = problem.timeline
        parts: list[str] = []
        if proposal.start == earliest.start:
            parts.append("earliest possible start")
        elif proposal.date_index == earliest.date_index:
            parts.append("same day as the earliest, later start")
        else:
            days = (timeline.dates[proposal.date_index] - timeline.dates[earliest.date_index]).days
            parts.append(f"{days} day{'s' if days != 1 else ''} after the earliest")
        if proposal.load <= least_load + 1e-9:
            parts.append("least-loaded interviewers")
        else:
            parts.append(f"interviewer load {round(proposal.load * 100)}%")
        placed = proposal.placed
        if len(placed) > 1:
            dates = {self.searcher.date_index_of(position) for _, position in placed}
            if len(dates) > 1:
                parts.append(f"over {len(dates)} days")
            else:
                idle = 0
                for (stage, at), (_, following) in pairwise(placed):
                    end = timeline.instant(at) + problem.stages[stage].duration
                    idle += timeline.instant(following) - end
                parts.append("back-to-back" if idle == 0 else f"{idle // 60} min of breaks")
        return "; ".join(parts)

    def options(self) -> list[Option]:
        problem = self.problem
        searcher = self.searcher
        timeline = problem.timeline
        max_options = problem.request.settings.max_options
        if not timeline.length:
            return []
        first = searcher.find(timeline.grid)
        if first is None:
            return []
        earliest_instant = timeline.instant(first[0][1])
        proposals: dict[tuple[object, ...], Proposal] = {}

        def add(placed: Placed, avoid: frozenset[int] = frozenset()) -> Proposal:
            proposal = self._propose(placed, earliest_instant, avoid)
            proposals.setdefault((proposal.placed, proposal.staff), proposal)
            return proposal

        earliest = add(first)
        add(first, earliest.people)
        mask_of = timeline.date_masks.__getitem__
        # One loop per date (the earliest there), then later loops on those dates, round by
        # round, until there are twice as many proposals as options (or no more loops).
        total = sum(plan.duration for plan in problem.stages)
        gap = min(-(-total // timeline.resolution), timeline.length)
        wanted = 2 * max_options
        cursors: list[tuple[int, Placed]] = []
        for index in range(earliest.date_index, len(timeline.dates)):
            if len(cursors) >= max_options + 2:
                break
            found = first if index == earliest.date_index else searcher.find(mask_of(index))
            if found is not None:
                add(found)
                cursors.append((index, found))
        while cursors and len(proposals) < wanted:
            advanced: list[tuple[int, Placed]] = []
            for index, previous in cursors:
                if len(proposals) >= wanted:
                    break
                later = searcher.find(mask_of(index) & (-1 << (previous[0][1] + gap)))
                if later is not None:
                    add(later)
                    advanced.append((index, later))
            cursors = advanced

        least = min(proposal.load for proposal in proposals.values())
        ranked = [
            Proposal(
                p.placed,
                p.staff,
                p.start,
                p.date_index,
                p.load,
                p.score,
                self._why(p, earliest, least),
            )
            for p in proposals.values()
        ]
        chosen = _select(ranked, max_options, earliest_instant)
        return [self._option(proposal) for proposal in chosen]

    def _option(self, proposal: Proposal) -> Option:
        problem = self.problem
        ids = problem.request.interviewers
        sessions = []
        for (stage, position), group in zip(proposal.placed, proposal.staff, strict=True):
            start = problem.timeline.instant(position)
            sessions.append(
                Session(
                    stage=problem.stages[stage].stage.name,
                    interviewers=tuple(ids[person].id for person in group),
                    start=start,
                    end=start + problem.stages[stage].duration,
                )
            )
        return Option(sessions=tuple(sessions), score=proposal.score, why=proposal.why)


def _select(proposals: list[Proposal], limit: int, earliest: int) -> list[Proposal]:
    """Best score minus a diversity penalty, greedily; the earliest start is always kept."""
    remaining = sorted(proposals, key=lambda p: (-p.score, p.start))
    chosen: list[Proposal] = []

    def penalty(proposal: Proposal) -> float:
        total = 0.0
        if any(other.date_index == proposal.date_index for other in chosen):
            total += PENALTY_SAME_DATE
        people = proposal.people
        overlap = max(
            (len(people & other.people) / len(people | other.people) for other in chosen),
            default=0.0,
        )
        total += PENALTY_OVERLAP * overlap
        if any(other.placed == proposal.placed for other in chosen):
            total += PENALTY_SAME_TIMES
        return total

    while remaining and len(chosen) < limit:
        best = min(remaining, key=lambda p: (penalty(p) - p.score, p.start))
        chosen.append(best)
        remaining.remove(best)
    if all(p.start != earliest for p in chosen):
        fallback = min(
            (p for p in remaining if p.start == earliest), key=lambda p: (-p.score, p.start)
        )
        chosen[-1] = fallback
    return sorted(chosen, key=lambda p: (-p.score, p.start))
