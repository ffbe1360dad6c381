"""The classifier alone: what a changed event means, given what the database says (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.ports import CalendarEvent
from bot.services.calendar_sync.classify import (
    InterviewerDeclined,
    PersonChanged,
    RecordAnswer,
    Seat,
    SessionFacts,
    classify,
)
from storage.models import LoopState, RequestState, SessionState

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
START = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
END = START + timedelta(hours=1)
ANA = Seat(1, 11, "ana@corp.example", "Ana", RequestState.CONFIRMED, None)
BEN = Seat(2, 12, "ben@corp.example", "Ben", RequestState.CONFIRMED, "accepted")
FACTS = SessionFacts(
    session_id=7,
    loop_id=3,
    short_id="L7F3K",
    loop_state=LoopState.BOOKED,
    session_state=SessionState.BOOKED,
    title="Code <review>",
    start=START,
    end=END,
    event_id="ev1",
    candidate_email="ada@cand.example",
    zone="Europe/London",
    seats=(ANA, BEN),
    reported=frozenset(),
    open_intent=False,
)


def event(**changes: object) -> CalendarEvent:
    fields: dict[str, object] = {
        "event_id": "ev1",
        "status": "confirmed",
        "start": START,
        "end": END,
        "attendees": {
            "ana@corp.example": "needsAction",
            "ben@corp.example": "accepted",
            "ada@cand.example": "needsAction",
        },
    }
    fields.update(changes)
    return CalendarEvent(**fields)  # type: ignore[arg-type]


def answers(**who: str) -> dict[str, str]:
    base = dict(event().attendees)
    base.update(
        {f"{k}@corp.example" if k != "ada" else "ada@cand.example": v for k, v in who.items()}
    )
    return base


def test_an_event_matching_the_database_means_nothing() -> None:
    assert classify(event(), FACTS, now=NOW) == []


def test_an_interviewer_declining_is_released_and_the_answer_recorded() -> None:
    reactions = classify(event(attendees=answers(ana="declined")), FACTS, now=NOW)
    assert reactions == [RecordAnswer(11, "declined"), InterviewerDeclined(7, 1, 11)]


def test_a_decline_already_recorded_or_of_a_withdrawn_seat_is_not_acted_on_again() -> None:
    recorded = replace(FACTS, seats=(replace(ANA, calendar_response="declined"), BEN))
    assert classify(event(attendees=answers(ana="declined")), recorded, now=NOW) == []
    pending = replace(FACTS, seats=(replace(ANA, state=RequestState.PENDING), BEN))
    assert classify(event(attendees=answers(ana="declined")), pending, now=NOW) == [
        RecordAnswer(11, "declined")
    ]
    gone = replace(FACTS, seats=(BEN,))  # Ana's request was released: not a seat any more
    assert classify(event(attendees=answers(ana="declined")), gone, now=NOW) == []


@pytest.mark.parametrize("answer", ["accepted", "tentative"])
def test_accepted_and_tentative_are_recorded_only(answer: str) -> None:
    assert classify(event(attendees=answers(ana=answer)), FACTS, now=NOW) == [
        RecordAnswer(11, answer)
    ]


def test_deleted_by_someone_else_needs_attention_once() -> None:
    (change,) = classify(CalendarEvent("ev1", "cancelled"), FACTS, now=NOW)
    assert isinstance(change, PersonChanged) and change.fingerprint == "deleted"
    assert "deleted" in change.what and "“Code <review>” event" in change.what
    reported = replace(FACTS, reported=frozenset({"deleted"}))
    assert classify(CalendarEvent("ev1", "cancelled"), reported, now=NOW) == []


def test_moved_by_someone_else_names_both_times() -> None:
    later = START + timedelta(days=1)
    (change,) = classify(event(start=later, end=later + timedelta(hours=1)), FACTS, now=NOW)
    assert isinstance(change, PersonChanged) and change.fingerprint.startswith("moved:")
    assert "Wed 02 Dec 10:00–11:00" in change.what and "Thu 03 Dec 10:00–11:00" in change.what
    reported = replace(FACTS, reported=frozenset({change.fingerprint}))
    assert classify(event(start=later, end=later + timedelta(hours=1)), reported, now=NOW) == []


def test_the_candidate_declining_needs_attention() -> None:
    (change,) = classify(event(attendees=answers(ada="declined")), FACTS, now=NOW)
    assert isinstance(change, PersonChanged) and change.fingerprint == "candidate:declined"


@pytest.mark.parametrize(
    "facts",
    [
        replace(FACTS, open_intent=True),  # the bot is changing this event itself
        replace(FACTS, loop_state=LoopState.CANCELLED),  # the bot's own delete
        replace(FACTS, loop_state=LoopState.PROPOSED),  # rescheduled: old events withdrawn
        replace(FACTS, session_state=SessionState.CANCELLED),
        replace(FACTS, event_id="an-older-event"),
        replace(FACTS, end=NOW),  # already over
    ],
    ids=[
        "open-intent",
        "cancelled-loop",
        "rescheduled",
        "cancelled-session",
        "other-event",
        "over",
    ],
)
def test_the_bots_own_changes_and_finished_sessions_are_ignored(facts: SessionFacts) -> None:
    assert classify(CalendarEvent("ev1", "cancelled"), facts, now=NOW) == []
    assert classify(event(attendees=answers(ana="declined")), facts, now=NOW) == []


def test_an_event_of_no_session_is_ignored() -> None:
    assert classify(CalendarEvent("ev1", "cancelled"), None, now=NOW) == []


def test_the_recruiters_notice_escapes_what_people_wrote() -> None:
    from bot.blocks.attention import calendar_change_notice

    text, blocks = calendar_change_notice("L7F3K", ["the “Code <review>” event was deleted"])
    assert "&lt;review&gt;" in text and "<review>" not in text
    assert "&lt;review&gt;" in blocks[0]["text"]["text"]
