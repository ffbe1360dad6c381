"""One sentence saying why no loop exists.

Why checks in this order: a recruiter can act on the most basic cause first (the candidate gave no
time, the window is already past, a pool is empty) and only then on the subtler ones (one stage
never has free interviewers, stages never fit together, the same people are needed twice).  For a
stage or loop that fails, the problem is rebuilt with one rule relaxed at a time (caps, notice,
buffers, busy time): the first relaxation that makes it work names the binding constraint.
Runs only when there is no option, so its extra builds cost nothing in the common case.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations

from bot.planner.instants import format_instant
from bot.planner.intervals import clip
from bot.planner.model import PlanRequest
from bot.planner.problem import Problem, Relaxation, build
from bot.planner.solver import Searcher


def _pool_people(request: PlanRequest) -> dict[str, set[int]]:
    people: dict[str, set[int]] = {}
    for index, interviewer in enumerate(request.interviewers):
        for pool in interviewer.pools:
            people.setdefault(pool, set()).add(index)
    return people


def _structural(request: PlanRequest, problem: Problem) -> str | None:
    """Causes visible without searching."""
    candidate = request.candidate
    settings = request.settings
    loop = request.loop
    if candidate.availability is not None and not candidate.availability:
        return "the candidate has no availability (candidate.availability is empty)"
    if not problem.timeline.length:
        try:
            allowed = f"the earliest allowed start {format_instant(problem.earliest_allowed)}"
        except (OverflowError, ValueError):
            allowed = "the earliest allowed start"
        return (
            f"the whole window {request.window_start} to {request.window_end} "
            f"({candidate.zone.key}) is before {allowed} "
            f"(now plus {settings.min_notice_minutes} minutes of notice)"
        )
    people = _pool_people(request)
    for stage in loop.stages:
        size = len(people.get(stage.pool, ()))
        if size == 0:
            return f"pool {stage.pool!r} of stage {stage.name!r} has no interviewers"
        if size < stage.interviewers:
            return (
                f"stage {stage.name!r} needs {stage.interviewers} interviewers "
                f"but pool {stage.pool!r} has only {size}"
            )
    stages = loop.stages
    for size in range(2, len(stages) + 1):
        for group in combinations(stages, size):
            needed = sum(stage.interviewers for stage in group)
            available = set().union(*(people[stage.pool] for stage in group))
            if len(available) < needed:
                names = ", ".join(repr(stage.name) for stage in group)
                return (
                    f"stages {names} need {needed} different interviewers but their pools "
                    f"have only {len(available)} people between them"
                )
    if loop.same_day and len(stages) > 1 and loop.max_break_minutes < loop.min_break_minutes:
        return (
            f"loop.max_break_minutes ({loop.max_break_minutes}) is less than "
            f"loop.min_break_minutes ({loop.min_break_minutes}), so no two sessions "
            "can follow each other on the same day"
        )
    timeline = problem.timeline
    if not clip(problem.candidate_time, timeline.base, timeline.last + 1):
        where = "availability" if candidate.availability is not None else "working hours"
        return (
            f"the candidate's {where} leave no time in the window "
            f"{request.window_start} to {request.window_end} ({candidate.zone.key})"
            + (" after the minimum notice" if settings.min_notice_minutes else "")
        )
    step = settings.slot_step_minutes
    for plan in problem.stages:
        if not plan.candidate_bits:
            return (
                f"the candidate's time never fits the {plan.stage.duration_minutes}-minute "
                f"stage {plan.stage.name!r} on the {step}-minute grid in the window"
            )
    return None


def _relaxations(request: PlanRequest) -> list[tuple[Relaxation, str]]:
    """Rules worth relaxing for this request, with how to name them."""
    settings = request.settings
    result: list[tuple[Relaxation, str]] = []
    if any(i.max_per_day is not None or i.max_per_week is not None for i in request.interviewers):
        result.append((Relaxation(caps=False), "caps"))
    if settings.min_notice_minutes:
        result.append((Relaxation(notice=False), "notice"))
    if settings.buffer_minutes:
        result.append((Relaxation(buffers=False), "buffer"))
    result.append((Relaxation(busy=False, buffers=False), "busy"))
    return result


def _stage_reason(request: PlanRequest, problem: Problem) -> str | None:
    """A stage that never has enough free interviewers, and the rule that causes it."""
    for plan in problem.stages:
        if plan.feasible:
            continue
        stage = plan.stage
        minutes = stage.duration_minutes
        who = (
            "no one in" if stage.interviewers == 1 else f"no {stage.interviewers} interviewers from"
        )
        together = "" if stage.interviewers == 1 else " together"
        free = (
            f"{who} pool {stage.pool!r} {'is' if stage.interviewers == 1 else 'are'} free"
            f"{together} for {minutes} minutes on any day of the window in the candidate's hours"
        )
        for relax, name in _relaxations(request):
            if not build(request, relax=relax).stages[plan.index].feasible:
                continue
            if name == "caps":
                return (
                    f"caps are exhausted: everyone in pool {stage.pool!r} who is free for "
                    f"stage {stage.name!r} has reached max_per_day or max_per_week"
                )
            if name == "notice":
                return (
                    f"{free} after the minimum notice of "
                    f"{request.settings.min_notice_minutes} minutes"
                )
            if name == "buffer":
                return f"with the {request.settings.buffer_minutes}-minute buffer, {free}"
            return f"{free} (busy time)"
        if stage.interviewers == 1:
            return (
                f"the working hours of pool {stage.pool!r} never cover {minutes} minutes of the "
                f"candidate's hours for stage {stage.name!r} in the window"
            )
        return (
            f"the working hours of no {stage.interviewers} interviewers from pool "
            f"{stage.pool!r} overlap each other and the candidate's hours for {minutes} minutes "
            f"(stage {stage.name!r}) in the window"
        )
    return None


def _chain_reason(request: PlanRequest, problem: Problem) -> str:
    """The stages each fit somewhere but never together in time."""
    loop = request.loop
    low, high = loop.min_break_minutes, loop.max_break_minutes
    if loop.order == "any":
        if loop.same_day:
            return (
                "the stages never fit on one day in any order with breaks of "
                f"{low}-{high} minutes while the interviewers and the candidate are free"
            )
        return (
            "the stages never all fit in the window one after another "
            f"(with at least {low} minutes between them) while the interviewers are free"
        )
    previous = problem.stages[0]
    for plan in problem.stages[1:]:
        prefix = replace(loop, stages=loop.stages[: plan.index + 1])
        shorter = build(replace(request, loop=prefix), problem.clocks)
        if not Searcher(shorter).start_bits():
            if loop.same_day:
                return (
                    f"stage {plan.stage.name!r} never starts {low}-{high} minutes after stage "
                    f"{previous.stage.name!r} ends on the same day while its interviewers and "
                    "the candidate are free"
                )
            return (
                f"stage {plan.stage.name!r} never fits at least {low} minutes after stage "
                f"{previous.stage.name!r} ends within the window while its interviewers are free"
            )
        previous = plan
    return "the stages never fit together in the window"  # unreachable in practice


def _loop_relaxation(request: PlanRequest) -> str | None:
    for relax, name in _relaxations(request):
        if name == "busy":
            continue
        relaxed = build(request, relax=relax)
        if Searcher(relaxed).find(relaxed.timeline.grid) is None:
            continue
        if name == "caps":
            return (
                "caps are exhausted: max_per_day and max_per_week leave too few interviewers "
                "for a complete loop in the window"
            )
        if name == "notice":
            return (
                f"the minimum notice of {request.settings.min_notice_minutes} minutes "
                "leaves no room for a complete loop in the window"
            )
        return (
            f"the {request.settings.buffer_minutes}-minute buffer around busy time "
            "leaves no room for a complete loop in the window"
        )
    return None


def explain(problem: Problem, searcher: Searcher) -> str:
    """Why `problem` has no valid loop, in one sentence."""
    request = problem.request
    reason = _structural(request, problem) or _stage_reason(request, problem)
    if reason is not None:
        return reason
    relaxed = _loop_relaxation(request)
    if relaxed is not None:
        return relaxed
    if not searcher.start_bits():
        return _chain_reason(request, problem)
    return (
        "every time that fits needs the same interviewer in two stages, and an interviewer can "
        "take only one session of a loop (pools "
        + ", ".join(sorted({repr(plan.stage.pool) for plan in problem.stages}))
        + " share people)"
    )
