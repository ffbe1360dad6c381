"""Nudges and reminders driven by the real dispatcher against the real services."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.reminders.dispatcher import ReminderDispatcher
from bot.services.unanswered import UnansweredRequests
from storage.models import LoopState
from tests.slack.conftest import NOW, RECRUITER, Harness

ALL = ("U01ANA", "U02BEN", "U03CHI", "U04DAN", "U05EVA", "U06FAY", "U07GUS")


def dispatch_at(harness: Harness, moment: datetime) -> None:
    harness.clock.now = moment
    dispatcher = ReminderDispatcher(
        harness.engine,
        harness.services.messenger,
        worker_id="test",
        handler=UnansweredRequests(harness.services),
        now=harness.clock,
    )
    try:
        dispatcher.tick()
    finally:
        close = getattr(dispatcher, "close", None)
        if close is not None:
            close()
    harness.settle()


def nudges(harness: Harness, user: str) -> list[dict[str, object]]:
    return [m for m in harness.dms(user) if "waiting for your answer" in str(m.get("blocks"))]


def test_nudge_carries_working_buttons(harness: Harness) -> None:
    harness.book_first_option()
    dispatch_at(harness, NOW + timedelta(hours=4, minutes=1))
    user = next(u for u in ("U06FAY", "U07GUS") if nudges(harness, u))
    (nudge,) = nudges(harness, user)
    (confirm,) = harness.buttons(nudge, "confirm_slot")
    harness.click(confirm["action_id"], confirm["value"], user)
    assert harness.requests_state()[int(confirm["value"])] == "confirmed"
    dispatch_at(harness, NOW + timedelta(hours=8, minutes=1))
    assert len(nudges(harness, user)) == 1  # answered: no second nudge


def test_silence_far_ahead_is_replaced_from_the_pool(harness: Harness) -> None:
    harness.command(
        "schedule ada@cand.example backend-swe tz=Europe/London from=2026-12-07 to=2026-12-08"
    )
    proposal = harness.dms(RECRUITER)[-1]
    button = harness.buttons(proposal, "choose_option")[0]
    harness.click(button["action_id"], button["value"], RECRUITER)
    silent = next(u for u in ("U06FAY", "U07GUS") if harness.pending_request_buttons(u))
    other = "U07GUS" if silent == "U06FAY" else "U06FAY"
    for user in ALL:
        if user != silent:
            for answer in harness.pending_request_buttons(user):
                harness.click(answer["action_id"], answer["value"], user)
    for hours in (4, 8, 12):
        dispatch_at(harness, NOW + timedelta(hours=hours, minutes=1))
    assert len(nudges(harness, silent)) >= 1
    assert harness.pending_request_buttons(other), "the other retro interviewer was not asked"
    assert "did not answer" in harness.dms(RECRUITER)[-1]["text"]
    assert harness.loops()[0].state is LoopState.PENDING


def test_booked_loop_sends_reminders_once_and_never_after_start(harness: Harness) -> None:
    harness.book_first_option()
    for user in ALL:
        for button in harness.pending_request_buttons(user):
            harness.click(button["action_id"], button["value"], user)
    assert harness.loops()[0].state is LoopState.BOOKED
    before = len(harness.slack.calls("chat.postMessage"))
    session_start = datetime.fromisoformat("2026-12-02T09:00:00+00:00")
    dispatch_at(harness, session_start - timedelta(minutes=59))
    first = harness.slack.calls("chat.postMessage")[before:]
    reminders = [c for c in first if "Your interview" in str(c.args.get("blocks"))]
    assert len(reminders) >= 1
    assert all("meet" in str(c.args).lower() for c in reminders)
    dispatch_at(harness, session_start - timedelta(minutes=58))
    assert len(harness.slack.calls("chat.postMessage")) == before + len(first)
