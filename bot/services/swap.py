"""`/interview swap LOOP_ID @old [@new]` and the swap modal: a recruiter replaces one person.

Everything that can be wrong is checked before anything changes (unknown loop, @old not on it,
only sessions that already started, @new outside the pool, busy or over their caps), and each
answer names the problem. Then @old is taken off every session that has not started, through
the same `take_off` a "can't make it" uses; @new is asked by DM, or the pool is searched.
"""

from __future__ import annotations

from bot.services.context import Services
from bot.services.directory import display_name, interviewer_by_slack_id, is_recruiter
from bot.services.errors import UserFacingError
from bot.services.read import LoopBundle, load_loop
from bot.services.release import RELEASABLE, refill_seat, take_off
from bot.services.stand_in import stand_in_problem
from storage.engine import read_scope
from storage.models import InterviewSession, LoopState, RequestState


def swap(services: Services, *, short_id: str, user_id: str, old: str, new: str | None) -> str:
    """Returns what to tell the recruiter; raises `UserFacingError` (nothing changed)."""
    now = services.clock()
    with read_scope(services.engine) as session:
        if not is_recruiter(user_id, session=session):
            raise UserFacingError("Only recruiters can swap interviewers. Nothing changed.")
        found = load_loop(short_id, session=session)
        if found is None:
            raise UserFacingError(
                f"No loop `{short_id}`; `/interview status EMAIL` lists ids. Nothing changed."
            )
        state = found.loop.state
        if state is LoopState.BOOKING:
            raise UserFacingError(
                f"The invitations for loop `{short_id}` are being sent right now; try again in "
                "a minute. Nothing changed."
            )
        if state not in RELEASABLE:
            raise UserFacingError(
                f"Loop `{short_id}` is {state.value}; there is nobody to swap. Nothing changed."
            )
        person = interviewer_by_slack_id(old, session=session)
        on_loop = [
            item
            for item in found.sessions
            if person is not None
            and item.id is not None
            and any(r.interviewer_id == person.id for r in found.holders(item.id))
        ]
        seats_left = [] if person is None or on_loop else _left_open(found, person.id or 0)
        if person is None or not (on_loop or seats_left):
            raise UserFacingError(f"<@{old}> is not on loop `{short_id}`. Nothing changed.")
        upcoming = [item for item in on_loop or seats_left if item.start > now]
        if not upcoming:
            raise UserFacingError(
                f"<@{old}>'s session on loop `{short_id}` has already started; nothing changed."
            )
        stand_in = None
        if new is not None:
            stand_in = interviewer_by_slack_id(new, session=session)
            if stand_in is None or not stand_in.active:
                raise UserFacingError(
                    f"<@{new}> is not an interviewer in the org file. Nothing changed."
                )
            if any(
                r.interviewer_id == stand_in.id
                for item in found.sessions
                if item.id is not None
                for r in found.holders(item.id)
            ):
                raise UserFacingError(f"<@{new}> is already on loop `{short_id}`. Nothing changed.")
        person_id = person.id
        stand_in_id = stand_in.id if stand_in is not None else None
        session_ids = [item.id for item in upcoming if item.id is not None]
    assert person_id is not None
    if stand_in_id is not None:
        for session_id in session_ids:
            problem = stand_in_problem(services, session_id, stand_in_id)
            if problem is not None:
                raise UserFacingError(f"<@{new}> {problem}. Nothing changed.")
    if seats_left:
        results = [
            refill_seat(
                services,
                session_id=session_id,
                left=person_id,
                actor=user_id,
                stand_in=stand_in_id,
            )
            for session_id in session_ids
        ]
    else:
        results = [
            take_off(
                services,
                session_id=session_id,
                interviewer_id=person_id,
                reason="",
                actor=user_id,
                stand_in=stand_in_id,
            )
            for session_id in session_ids
        ]
    done = [r for r in results if r.released]
    if not done:
        raise UserFacingError(results[0].message)
    count = f"{len(done)} session{'s' if len(done) != 1 else ''}"
    then = (
        f"asked <@{new}> by DM; the calendar event is updated once they confirm."
        if new is not None
        else "I'm finding replacements from the pool; the details follow in a DM."
    )
    if seats_left:
        return f"Refilling the seat <@{old}> left on {count} of loop `{short_id}`; {then}"
    return f"Took <@{old}> off {count} of loop `{short_id}`; {then}"


def _left_open(found: LoopBundle, person_id: int) -> list[InterviewSession]:
    """Sessions whose seat this person left (declined, backed out, taken off) that nobody holds
    yet, typically because no cover was found: a swap from them refills the seat."""
    seats = []
    for item in found.sessions:
        if item.id is None:
            continue
        mine = [r for r in found.requests.get(item.id, []) if r.interviewer_id == person_id]
        if (
            mine
            and mine[-1].state in (RequestState.DECLINED, RequestState.CANCELLED)
            and len(found.holders(item.id)) < item.panel_size
        ):
            seats.append(item)
    return seats


def swap_choices(services: Services, *, short_id: str, user_id: str) -> list[tuple[str, str]]:
    """Who the swap form offers to take off: the loop's interviewers on sessions not started."""
    now = services.clock()
    with read_scope(services.engine) as session:
        if not is_recruiter(user_id, session=session):
            raise UserFacingError("Only recruiters can swap interviewers. Nothing changed.")
        found = load_loop(short_id, session=session)
        if found is None or found.loop.state not in RELEASABLE:
            state = "gone" if found is None else found.loop.state.value
            raise UserFacingError(f"Loop `{short_id}` is {state}; there is nobody to swap.")
        people: dict[str, str] = {}
        for item in found.sessions:
            if item.id is None or item.start <= now:
                continue
            for ask in found.holders(item.id):
                person = found.people[ask.interviewer_id]
                if person.slack_id:
                    people[person.slack_id] = display_name(person)
        for person in found.people.values():
            seats = _left_open(found, person.id) if person.id else []
            if person.slack_id and any(item.start > now for item in seats):
                people[person.slack_id] = f"{display_name(person)} (seat left open)"
    if not people:
        raise UserFacingError(f"Loop `{short_id}` has nobody left to swap on sessions to come.")
    return sorted(people.items(), key=lambda pair: pair[1])
