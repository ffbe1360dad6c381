"""Slack and Google failing under the bot: retried when passing, reported when permanent."""

from __future__ import annotations

import time

from storage.models import LoopState
from tests.slack.conftest import RECRUITER, Harness


def test_rate_limited_post_is_retried_after_retry_after(harness: Harness) -> None:
    harness.slack.fail_next("chat.postMessage", retry_after=1)
    started = time.monotonic()
    harness.propose()
    assert time.monotonic() - started >= 1  # Retry-After honoured
    attempts = harness.slack.calls("chat.postMessage")
    assert [c.status for c in attempts] == [429, 200]


def test_unreachable_interviewer_is_reported_to_the_recruiter(harness: Harness) -> None:
    harness.slack.fail("conversations.open", "account_inactive", match={"users": "U06FAY"})
    harness.slack.fail("conversations.open", "account_inactive", match={"users": "U07GUS"})
    harness.book_first_option()
    notes = [m["text"] for m in harness.dms(RECRUITER) if "could not reach" in m["text"]]
    assert len(notes) == 1 and "account_inactive" in notes[0]


def test_google_outage_while_planning_is_told_to_the_recruiter(harness: Harness) -> None:
    harness.calendar.fail_next(403, reason="quotaExceeded", count=1)
    harness.command("schedule ada@cand.example backend-swe from=2026-12-02 to=2026-12-04")
    reply = harness.slack.responses()[-1]
    assert reply["response_type"] == "ephemeral"
    assert "Google Calendar failed" in reply["text"]
    assert harness.loops() == []


def test_unreadable_calendar_is_left_out_and_named(harness: Harness) -> None:
    harness.calendar.calendar_error("ana@corp.example", "notFound")
    proposal = harness.propose()
    text = str(proposal["blocks"])
    assert "could not read" in text and "Ana (notFound" in text
    assert "<@U01ANA>" not in text


def test_booking_failure_leaves_loop_needing_attention(harness: Harness) -> None:
    harness.book_first_option()
    harness.calendar.fail_next(400, reason="badRequest", count=5)
    for user in ("U01ANA", "U02BEN", "U03CHI", "U04DAN", "U05EVA", "U06FAY", "U07GUS"):
        for button in harness.pending_request_buttons(user):
            harness.click(button["action_id"], button["value"], user)
    assert harness.loops()[0].state is LoopState.NEEDS_ATTENTION
    assert "creating the calendar events failed" in harness.dms(RECRUITER)[-1]["text"]
