"""The loop planner: exact, fast, explainable multi-stage interview planning.

Pure: no I/O, no clock - `now` is part of the request.  The JSON form of CONTRACT.md section 5 is
the interface; the Slack service and the `plan` command both go through it:

    answer = plan_json(request_dict)                 # parse + plan + answer_to_json
    request = parse_request(request_dict)            # raises PlanInputError ("path: problem")
    answer_to_json(plan(request))

See docs/planner.md for the algorithm and the ranking policy.
"""

from __future__ import annotations

from bot.planner.diagnostics import explain
from bot.planner.instants import format_instant
from bot.planner.model import Option, PlanAnswer, PlanInputError, PlanRequest, Session
from bot.planner.parse import parse_request
from bot.planner.problem import build
from bot.planner.ranking import Ranker
from bot.planner.solver import Searcher
from bot.planner.wallclock import Clocks

__all__ = [
    "Option",
    "PlanAnswer",
    "PlanInputError",
    "PlanRequest",
    "Session",
    "answer_to_json",
    "parse_request",
    "plan",
    "plan_json",
]


def plan(request: PlanRequest) -> PlanAnswer:
    """Ranked valid loops for a validated request, or the reason there are none."""
    problem = build(request, Clocks())
    searcher = Searcher(problem)
    options = Ranker(problem, searcher).options()
    if options:
        return PlanAnswer(options=tuple(options), reason=None)
    return PlanAnswer(options=(), reason=explain(problem, searcher))


def _session_json(session: Session) -> dict[str, object]:
    return {
        "stage": session.stage,
        "interviewers": list(session.interviewers),
        "start": format_instant(session.start),
        "end": format_instant(session.end),
    }


def answer_to_json(answer: PlanAnswer) -> dict[str, object]:
    """The contract's answer JSON; instants in RFC 3339 UTC (`Z`) form."""
    return {
        "options": [
            {
                "sessions": [_session_json(session) for session in option.sessions],
                "score": option.score,
                "why": option.why,
            }
            for option in answer.options
        ],
        "diagnostics": {"reason": answer.reason},
    }


def plan_json(data: object) -> dict[str, object]:
    """Parse a request in its JSON form, plan it and return the answer's JSON form."""
    return answer_to_json(plan(parse_request(data)))
