"""Whether a named person can take a session at its time: the check a swap to @new needs
before anything changes. The planner decides, on the same one-session request a replacement
from the pool gets (pool, working hours, caps, fresh free/busy, other loops' holds)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.ports import CalendarError
from bot.services.context import Services
from bot.services.directory import find_template, org_view, pool_members
from bot.services.planning import Roster, fetch_busy, held_intervals, run_planner
from bot.services.vacancy import same_time_request
from bot.timefmt import clock_label, day_label
from storage.engine import session_scope
from storage.models import Interviewer, InterviewSession, Loop


def stand_in_problem(services: Services, session_id: int, person_id: int) -> str | None:
    """Why the person cannot take this session (a phrase to follow their mention); None if
    they can."""
    with session_scope(services.engine) as session:
        item = session.get(InterviewSession, session_id)
        assert item is not None
        loop = session.get(Loop, item.loop_id)
        assert loop is not None and loop.id is not None
        person = session.get(Interviewer, person_id)
        assert person is not None
        if person.id not in {p.id for p in pool_members(item.pool, session=session)}:
            return f"is not in the `{item.pool}` pool of *{item.title}*"
        org = org_view(session=session)
        template_found = find_template(loop.template_key, session=session)
        held = held_intervals([person_id], session=session, exclude_loop_id=loop.id)
    if services.calendar is None or template_found is None:
        return "cannot be checked: no calendar or template to plan with"
    roster = Roster(people={str(person_id): person}, pools={item.pool: [str(person_id)]})
    services.calendar.invalidate(roster.emails())
    day = timedelta(days=1)
    try:
        busy = fetch_busy(services.calendar, roster.emails(), item.start - day, item.end + day)
    except CalendarError as error:
        return f"cannot be checked: Google Calendar failed ({error})"
    base: dict[str, Any] = {
        "org": org,
        "template": template_found[0],
        "roster": roster,
        "busy": busy,
        "held": held,
        "now": services.clock(),
    }
    answer = run_planner(same_time_request(base, loop, item, panel=1))
    if answer["options"]:
        return None
    zone = loop.candidate_timezone
    when = f"{day_label(item.start, zone)} {clock_label(item.start, item.end, zone)}"
    detail = answer["diagnostics"]["reason"] or "busy, off hours or over their caps"
    return f"cannot take *{item.title}* on {when}: {detail}"
