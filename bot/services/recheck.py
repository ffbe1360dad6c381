"""Is a proposed option still free? Asked again, inside the booking lock, before booking it.

The planner itself decides (on fresh inputs restricted to the option), so the rules are not
written a second time here.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.services.planning import Roster, parse_instant, run_planner


def option_still_valid(
    original: dict[str, Any], option: dict[str, Any], fresh: dict[str, Any]
) -> bool:
    """Re-run the planner on the fresh inputs restricted to this option; valid if it finds it.

    `fresh` is a request rebuilt now (fresh busy, held sessions, now); only the option's people
    are eligible, each for the stage the option gave them, and the candidate is available only
    at the option's times — so the planner's own rules decide, not a second copy of them.
    """
    by_stage = {s["stage"]: [str(i) for i in s["interviewers"]] for s in option["sessions"]}
    wanted = {
        (s["stage"], tuple(sorted(str(i) for i in s["interviewers"])), s["start"], s["end"])
        for s in option["sessions"]
    }
    request = dict(fresh)
    request["candidate"] = dict(original["candidate"])
    request["candidate"]["availability"] = [
        {"start": s["start"], "end": s["end"]} for s in option["sessions"]
    ]
    request["loop"] = dict(fresh["loop"])
    request["loop"]["stages"] = [
        dict(stage, pool=f"option:{stage['name']}") for stage in fresh["loop"]["stages"]
    ]
    people = []
    for entry in fresh["interviewers"]:
        pools = [f"option:{stage}" for stage, ids in by_stage.items() if entry["id"] in ids]
        if pools:
            people.append(dict(entry, pools=pools))
    request["interviewers"] = people
    request["settings"] = dict(fresh["settings"], max_options=50)
    answer = run_planner(request)
    for candidate in answer["options"]:
        got = {
            (s["stage"], tuple(sorted(s["interviewers"])), _norm(s["start"]), _norm(s["end"]))
            for s in candidate["sessions"]
        }
        if got == {(a, b, _norm(c), _norm(d)) for a, b, c, d in wanted}:
            return True
    return False


def _norm(text: str) -> str:
    return parse_instant(text).isoformat()


def replace_roster(roster: Roster, keep: set[str]) -> Roster:
    return replace(
        roster,
        people={pid: p for pid, p in roster.people.items() if pid in keep},
        pools={pool: [i for i in ids if i in keep] for pool, ids in roster.pools.items()},
    )
