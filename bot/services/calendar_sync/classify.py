"""What a change seen in Google Calendar means, decided against the database (pure).

The database leads: the bot writes its state change (and, with the durable-intent outbox, its
calendar intent) before it touches Google. So an event that matches what the database says is
never "someone changed it"; only a difference is. Sessions with an open calendar intent are
skipped (the bot is in the middle of changing that event), as are cancelled sessions and
loops (their events are the bot's own deletes), and sessions already over.

Each person-made change is reported once: `SessionFacts.reported` holds the fingerprints of
those already reported (stored on the session), and an interviewer's decline is acted on only
while their request is still confirmed (releasing them moves it on).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.ports import CalendarEvent
from storage.models import LoopState, RequestState, SessionState

LIVE_LOOPS = frozenset(
    {LoopState.PENDING, LoopState.BOOKING, LoopState.BOOKED, LoopState.NEEDS_ATTENTION}
)
ANSWERS = frozenset({"accepted", "tentative", "declined", "needsAction"})


@dataclass(frozen=True)
class Seat:
    """An interviewer holding a seat on the session (request pending or confirmed)."""

    interviewer_id: int
    request_id: int
    email: str  # lower case
    name: str  # for messages (plain text)
    state: RequestState
    calendar_response: str | None


@dataclass(frozen=True)
class SessionFacts:
    """What the database says about the session an event belongs to."""

    session_id: int
    loop_id: int
    short_id: str
    loop_state: LoopState
    session_state: SessionState
    title: str
    start: datetime
    end: datetime
    event_id: str | None
    candidate_email: str  # lower case
    zone: str  # the candidate's, for wording the change
    seats: tuple[Seat, ...]
    reported: frozenset[str]
    open_intent: bool


@dataclass(frozen=True)
class RecordAnswer:
    """An interviewer's invitation answer changed: store it (shown in status and App Home)."""

    request_id: int
    response: str


@dataclass(frozen=True)
class InterviewerDeclined:
    """A confirmed interviewer declined the invitation: handle like `decline_slot`."""

    session_id: int
    interviewer_id: int
    request_id: int


@dataclass(frozen=True)
class PersonChanged:
    """Someone deleted or moved the event, or the candidate declined: the loop needs attention."""

    session_id: int
    loop_id: int
    fingerprint: str  # stored once reported
    what: str  # plain text, e.g. 'the “Code review” event (…) was deleted in Google Calendar'


Reaction = RecordAnswer | InterviewerDeclined | PersonChanged


def _when(start: datetime, end: datetime, zone: str) -> str:
    tz = ZoneInfo(zone)
    a, b = start.astimezone(tz), end.astimezone(tz)
    return f"{a:%a %d %b %H:%M}–{b:%H:%M} ({zone})"


def classify(event: CalendarEvent, facts: SessionFacts | None, *, now: datetime) -> list[Reaction]:
    """The reactions one changed event calls for; [] when it is not a change a person made."""
    if facts is None or facts.open_intent:
        return []
    if facts.loop_state not in LIVE_LOOPS or facts.session_state is SessionState.CANCELLED:
        return []
    if facts.event_id is not None and facts.event_id != event.event_id:
        return []  # an event from an earlier booking of this session
    if facts.end <= now:
        return []
    title = f"“{facts.title}”"  # plain text: escaped where it is shown
    if event.deleted:
        if "deleted" in facts.reported:
            return []
        what = (
            f"the {title} event ({_when(facts.start, facts.end, facts.zone)}) was deleted "
            "in Google Calendar"
        )
        return [PersonChanged(facts.session_id, facts.loop_id, "deleted", what)]
    reactions: list[Reaction] = []
    if (
        event.start is not None
        and event.end is not None
        and (event.start, event.end) != (facts.start, facts.end)
    ):
        fingerprint = f"moved:{event.start.isoformat()}/{event.end.isoformat()}"
        if fingerprint not in facts.reported:
            what = (
                f"the {title} event was moved in Google Calendar from "
                f"{_when(facts.start, facts.end, facts.zone)} to "
                f"{_when(event.start, event.end, facts.zone)}"
            )
            reactions.append(PersonChanged(facts.session_id, facts.loop_id, fingerprint, what))
    declined = event.attendees.get(facts.candidate_email) == "declined"
    if declined and "candidate:declined" not in facts.reported:
        what = f"the candidate declined the {title} invitation in Google Calendar"
        reactions.append(PersonChanged(facts.session_id, facts.loop_id, "candidate:declined", what))
    for seat in facts.seats:
        answer = event.attendees.get(seat.email)
        if answer not in ANSWERS:
            continue
        if answer != (seat.calendar_response or "needsAction"):
            reactions.append(RecordAnswer(seat.request_id, answer))
        # Acted on once: when the answer first becomes "declined" for a confirmed seat (the
        # answer is stored only after the reaction succeeded, so a failure is retried).
        if (
            answer == "declined"
            and seat.state is RequestState.CONFIRMED
            and seat.calendar_response != "declined"
        ):
            reactions.append(
                InterviewerDeclined(facts.session_id, seat.interviewer_id, seat.request_id)
            )
    return reactions
