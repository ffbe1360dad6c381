"""The whole flow as users meet it: schedule → proposals → choose → confirmations → booked."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from sqlmodel import select

from storage.engine import session_scope
from storage.models import InterviewSession, LoopState, Reminder, ReminderKind
from tests.slack.conftest import RECRUITER, Harness


def test_help_is_ephemeral_and_lists_the_grammar(harness: Harness) -> None:
    response = harness.command("help", user="U0SOMEONE")
    assert response.status == 200
    assert json.loads(response.body)["response_type"] == "ephemeral"
    for word in ("schedule", "status", "cancel", "reschedule", "templates", "pools"):
        assert word in response.body
    assert harness.slack.calls("chat.postMessage") == []


def test_schedule_proposes_options_with_dates_and_times(harness: Harness) -> None:
    response = harness.command(
        'schedule ada@cand.example backend-swe name="Ada Lovelace" tz=Europe/London '
        "from=2026-12-02 to=2026-12-04"
    )
    assert response.status == 200
    assert "ephemeral" in response.body
    proposal = harness.dms(RECRUITER)[-1]
    loop = harness.loops()[0]
    assert loop.state is LoopState.PROPOSED
    text = str(proposal["blocks"])
    assert f"`{loop.short_id}`" in text
    assert "Wed 2 Dec 2026" in text and "09:00–10:00 GMT" in text  # earliest: code review
    assert "10:00–11:00 GMT" in text and "11:00–11:45 GMT" in text
    # each interviewer's own zone: all Londoners here
    own_times = re.findall(r"<@(U\w+)> \(\d\d:\d\d–\d\d:\d\d (\w+)\)", text)
    assert own_times
    assert {label for _, label in own_times} == {"GMT"}
    buttons = harness.buttons(proposal, "choose_option")
    assert 1 <= len(buttons) <= 5
    assert [b["action_id"] for b in buttons] == [f"choose_option:{i}" for i in range(len(buttons))]


def test_each_interviewer_sees_times_in_their_own_zone(harness: Harness) -> None:
    # Ana is busy all week, so code review goes to Ben, who lives in New York
    harness.calendar.set_busy(
        "ana@corp.example",
        [(datetime(2026, 11, 30, tzinfo=UTC), datetime(2026, 12, 8, tzinfo=UTC))],
    )
    harness.command(
        'schedule ada@cand.example backend-swe name="Ada Lovelace" tz=Europe/London '
        "from=2026-12-02 to=2026-12-04"
    )
    text = str(harness.dms(RECRUITER)[-1]["blocks"])
    assert "<@U01ANA>" not in text
    lines = re.findall(
        r"• (\d\d):\d\d–\d\d:\d\d GMT \*Code review\* with <@U02BEN> \(([^)]*)\)", text
    )
    assert lines
    for london_hour, own in lines:
        assert own.endswith(" EST")
        assert int(own[:2]) == int(london_hour) - 5


def test_happy_path_books_events_with_meet_links(harness: Harness) -> None:
    short_id = harness.book_first_option()
    with session_scope(harness.engine) as session:
        sessions = list(session.exec(select(InterviewSession)))
    assert len(sessions) == 3
    asked = {
        user: harness.pending_request_buttons(user)
        for user in ("U01ANA", "U02BEN", "U03CHI", "U04DAN", "U05EVA", "U06FAY", "U07GUS")
    }
    assert sum(len(b) for b in asked.values()) == 4  # 1 + 2 + 1 interviewers
    for user, buttons in asked.items():
        for button in buttons:
            harness.click(button["action_id"], button["value"], user)
    loop = harness.loops()[0]
    assert loop.state is LoopState.BOOKED
    events = harness.calendar.events
    assert len(events) == 3
    for event in events.values():
        attendees = {a["email"] for a in event["attendees"]}
        assert "ada@cand.example" in attendees
        assert event["conferenceData"]["entryPoints"][0]["uri"].startswith("https://meet")
    inserts = [r for r in harness.calendar.api_requests("POST") if r.path.endswith("/events")]
    assert all(r.query.get("sendUpdates") == "all" for r in inserts)
    assert all(r.query.get("conferenceDataVersion") == "1" for r in inserts)
    summary = harness.dms(RECRUITER)[-1]
    assert "booked" in summary["text"].lower() and short_id in summary["text"]
    assert "Meet" in str(summary["blocks"])
    with session_scope(harness.engine) as session:
        kinds = {r.kind for r in session.exec(select(Reminder))}
    assert ReminderKind.SESSION_REMINDER in kinds and ReminderKind.FEEDBACK_DUE in kinds


def test_request_dm_buttons_are_replaced_by_the_outcome(harness: Harness) -> None:
    harness.book_first_option()
    user = next(u for u in ("U01ANA", "U02BEN") if harness.pending_request_buttons(u))
    button = harness.pending_request_buttons(user)[0]
    harness.click(button["action_id"], button["value"], user)
    update = harness.slack.last("chat.update")
    assert "You confirmed" in str(update.args["blocks"])
    assert harness.buttons(update.args, "confirm_slot") == []
