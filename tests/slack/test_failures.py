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


def _confirm_everyone(harness: Harness) -> None:
    for user in ("U01ANA", "U02BEN", "U03CHI", "U04DAN", "U05EVA", "U06FAY", "U07GUS"):
        for button in harness.pending_request_buttons(user):
            harness.click(button["action_id"], button["value"], user)


def test_booking_failure_leaves_loop_needing_attention(harness: Harness) -> None:
    harness.book_first_option()
    # One insert is refused for good: the others are not made (or removed again).
    harness.calendar.fail_next(400, reason="badRequest", count=1, match="POST")
    inserts_before = len(harness.calendar.api_requests("POST"))
    _confirm_everyone(harness)
    loop = harness.loops()[0]
    assert loop.state is LoopState.NEEDS_ATTENTION
    assert loop.attention_reason is not None and "booking failed" in loop.attention_reason
    assert harness.calendar.events == {}
    assert len(harness.calendar.api_requests("POST")) > inserts_before
    notice = harness.dms(RECRUITER)[-1]
    assert "creating the calendar events failed" in notice["text"]
    retry = harness.buttons(notice, "retry_booking")
    assert [b["value"] for b in retry] == [loop.short_id]
    harness.command(f"status {loop.short_id}")
    assert "booking failed" in str(harness.slack.responses()[-1])

    harness.click(retry[0]["action_id"], retry[0]["value"], "U01ANA")  # not a recruiter
    assert harness.loops()[0].state is LoopState.NEEDS_ATTENTION
    harness.click(retry[0]["action_id"], retry[0]["value"], RECRUITER)
    assert harness.loops()[0].state is LoopState.BOOKED
    assert len(harness.calendar.events) == 3
