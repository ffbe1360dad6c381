"""Booking the option a recruiter picks: re-checked under the booking lock, then sessions.

Choosing re-checks the option against fresh free/busy and against what other loops hold,
inside the booking lock, so a proposal that went stale is never booked: the recruiter is told
and gets fresh options instead (`replan`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import select

from bot.ports import CalendarError
from bot.services.context import Services
from bot.services.directory import find_template, is_recruiter, org_view
from bot.services.errors import UserFacingError, require_calendar
from bot.services.locks import booking_lock
from bot.services.planning import (
    CandidateSpec,
    build_request,
    fetch_busy,
    held_intervals,
    parse_instant,
    roster_for,
)
from bot.services.proposals import replan
from bot.services.read import option_fingerprint
from bot.services.recheck import option_still_valid, replace_roster
from bot.services.sessions import create_sessions
from bot.views import ProposalView
from storage.engine import session_scope
from storage.models import Loop, LoopState
from storage.repo import audit
from storage.states import transition

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChooseResult:
    """What happened to a click on `choose_option`."""

    outcome: str  # "booked", "stale", "already", "refused", "missing"
    message: str
    proposal: ProposalView | None = None
    request_ids: tuple[int, ...] = ()


def choose(
    services: Services,
    *,
    short_id: str,
    index: int,
    user_id: str,
    fingerprint: str | None = None,
) -> ChooseResult:
    """Book option `index`; `fingerprint` (from the button) must match that option if given."""
    with session_scope(services.engine) as session:
        loop = session.exec(select(Loop).where(Loop.short_id == short_id)).first()
        if loop is None:
            return ChooseResult("missing", f"Loop `{short_id}` does not exist.")
        if not is_recruiter(user_id, session=session):
            return ChooseResult("refused", "Only recruiters can book interview loops.")
        if loop.state is not LoopState.PROPOSED:
            return ChooseResult(
                "already", f"Loop `{short_id}` is already {loop.state.value}; nothing changed."
            )
        options = loop.proposals or []
        if not 0 <= index < len(options):
            return ChooseResult("missing", f"Loop `{short_id}` has no option {index + 1}.")
        option = options[index]
        if fingerprint and option_fingerprint(option) != fingerprint:
            return ChooseResult(
                "outdated",
                f"Those options for loop `{short_id}` are out of date (it was re-planned since); "
                "use the newest proposals message. Nothing changed.",
            )
        loop_id = loop.id
        assert loop_id is not None
    result = book_option(
        services,
        loop_id=loop_id,
        option=option,
        index=index,
        actor=user_id,
        booked_message=f"Option {index + 1} chosen for loop `{short_id}`; asking interviewers.",
    )
    if result.outcome != "stale":
        return result
    fresh_view = replan(
        services,
        loop_id,
        note=f"Option {index + 1} is no longer free (a calendar changed or another loop took "
        "the time). Here are fresh options.",
    )
    return ChooseResult("stale", fresh_view.note or "", proposal=fresh_view)


def book_option(
    services: Services,
    *,
    loop_id: int,
    option: dict[str, Any],
    index: int | None,
    actor: str,
    booked_message: str,
) -> ChooseResult:
    """Re-check `option` on fresh free/busy and held sessions under the booking lock; if it still
    fits, move the loop PROPOSED → PENDING (compare-and-set) and open the interviewer requests.

    Used by the recruiter's `choose_option` and by the candidate page. `index` is the option's
    place in `loop.proposals`; None for an option planned elsewhere (the candidate page), which
    is then appended there so `chosen_option` points at what was booked. Outcome "stale" means
    the option no longer fits; the caller decides what to show instead.
    """
    with session_scope(services.engine) as session:
        loop = session.get(Loop, loop_id)
        assert loop is not None
        short_id, original = loop.short_id, loop.request or {}
        if loop.state is not LoopState.PROPOSED:
            return ChooseResult(
                "already", f"Loop `{short_id}` is already {loop.state.value}; nothing changed."
            )
        found = find_template(loop.template_key, session=session)
        if found is None:
            return ChooseResult("missing", f"Template `{loop.template_key}` no longer exists.")
        template, stages = found
        roster = roster_for(stages, session=session)
    calendar = require_calendar(services)
    chosen_ids = {str(i) for s in option["sessions"] for i in s["interviewers"]}
    emails = sorted(p.email for pid, p in roster.people.items() if pid in chosen_ids)
    calendar.invalidate(emails)
    starts = [parse_instant(s["start"]) for s in option["sessions"]]
    ends = [parse_instant(s["end"]) for s in option["sessions"]]
    try:
        busy = fetch_busy(calendar, emails, min(starts), max(ends))
    except CalendarError as error:
        raise UserFacingError(f"Google Calendar failed: {error}") from None
    with session_scope(services.engine) as session:
        booking_lock(session=session)
        org = org_view(session=session)
        narrowed = replace_roster(roster, chosen_ids)
        held = held_intervals(
            [p.id for p in narrowed.people.values() if p.id is not None],
            session=session,
            exclude_loop_id=loop_id,
        )
        window = (
            date.fromisoformat(original["window"]["start"]),
            date.fromisoformat(original["window"]["end"]),
        )
        fresh = build_request(
            org=org,
            template=template,
            stages=stages,
            roster=narrowed,
            busy=busy,
            held=held,
            candidate=CandidateSpec(original["candidate"]["timezone"]),
            window=window,
            now=services.clock(),
        )
        if not option_still_valid(original, option, fresh):
            return ChooseResult("stale", f"Loop `{short_id}`: the option is no longer free.")
        values: dict[str, Any] = {"chosen_option": index}
        if index is None:
            current = session.get(Loop, loop_id)
            assert current is not None
            values["chosen_option"] = len(current.proposals or [])
            values["proposals"] = [*(current.proposals or []), option]
        won = transition(
            Loop,
            loop_id,
            LoopState.PENDING,
            session=session,
            expected=[LoopState.PROPOSED],
            values=values,
        )
        if not won:
            return ChooseResult("already", f"Loop `{short_id}` was booked by someone else.")
        request_ids = create_sessions(
            loop_id,
            option,
            stages,
            session=session,
            now=services.clock(),
            nudge_after=services.settings.confirm_nudge_after,
        )
        audit(
            "loop.chosen",
            session=session,
            actor=actor,
            loop_id=loop_id,
            details={"option": values["chosen_option"]},
        )
        return ChooseResult("booked", booked_message, request_ids=tuple(request_ids))
