"""`/interview swap LOOP_ID @old [@new]` through signed slash commands."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage.models import LoopState
from tests.slack.conftest import RECRUITER, Harness
from tests.slack.test_backout import (
    RETRO,
    back_out,
    book_everything,
    confirmed_request,
    email,
    session_of,
    snapshot,
)


def reply(harness: Harness, text: str, user: str = RECRUITER) -> str:
    """The ack's text plus the last ephemeral reply sent through the response URL."""
    before = len(harness.slack.responses())
    response = harness.command(text, user=user)
    assert response.status == 200
    texts = [response.body]
    for answer in harness.slack.responses()[before:]:
        assert answer["response_type"] == "ephemeral"
        texts.append(str(answer.get("text", "")))
    return "\n".join(texts)


def test_swap_with_new_asks_that_person(harness: Harness) -> None:
    short_id = book_everything(harness)
    old, request_id = confirmed_request(harness, RETRO)
    new = RETRO[1] if old == RETRO[0] else RETRO[0]
    answer = reply(harness, f"swap {short_id} <@{old}|old> <@{new}|new>")
    assert f"Took <@{old}> off 1 session of loop `{short_id}`" in answer
    assert harness.requests_state()[request_id] == "cancelled"
    (button,) = harness.pending_request_buttons(new)
    assert "step in" in str(harness.dms(new)[-1]["blocks"])
    assert "taken off" in harness.dms(old)[-1]["text"]
    assert harness.loops()[0].state is LoopState.BOOKED
    event_id = session_of(harness, request_id).calendar_event_id
    assert event_id is not None
    harness.click(button["action_id"], button["value"], new)
    event = harness.calendar.events[event_id]
    assert {a["email"] for a in event["attendees"]} == {email(new), "ada@cand.example"}
    assert harness.calendar.api_requests("PATCH")[-1].query.get("sendUpdates") == "all"
    assert len(harness.calendar.events) == 3


def test_a_booked_loop_left_uncovered_is_fixed_by_a_swap(harness: Harness) -> None:
    short_id = book_everything(harness)
    old, request_id = confirmed_request(harness, RETRO)
    other = RETRO[1] if old == RETRO[0] else RETRO[0]
    # The other retro interviewer is busy then, so nobody can cover; the loop needs attention.
    item = session_of(harness, request_id)
    harness.calendar.add_busy(
        email(other), item.start - timedelta(hours=12), item.end + timedelta(hours=12)
    )
    back_out(harness, old, request_id)
    loop = harness.loops()[0]
    assert loop.state is LoopState.NEEDS_ATTENTION
    assert (loop.attention_reason or "").startswith("Open seat: ")
    assert item.calendar_event_id in harness.calendar.events  # the event stays meanwhile
    # The recruiter frees the other person's calendar and asks them for the open seat.
    harness.calendar.set_busy(email(other), [])
    answer = reply(harness, f"swap {short_id} <@{old}> <@{other}>")
    assert f"Refilling the seat <@{old}> left on 1 session of loop `{short_id}`" in answer
    (ask,) = [
        b
        for b in harness.pending_request_buttons(other)
        if harness.requests_state()[int(b["value"])] == "pending"
    ]
    harness.click(ask["action_id"], ask["value"], other)
    loop = harness.loops()[0]
    assert loop.state is LoopState.BOOKED and loop.attention_reason is None
    assert item.calendar_event_id is not None
    event = harness.calendar.events[item.calendar_event_id]
    assert {a["email"] for a in event["attendees"]} == {email(other), "ada@cand.example"}


def test_swap_without_new_picks_from_the_pool(harness: Harness) -> None:
    short_id = book_everything(harness)
    old, request_id = confirmed_request(harness, RETRO)
    other = RETRO[1] if old == RETRO[0] else RETRO[0]
    answer = reply(harness, f"swap {short_id} <@{old}>")
    assert "replacements from the pool" in answer
    assert harness.requests_state()[request_id] == "cancelled"
    assert len(harness.pending_request_buttons(other)) == 1
    assert "asked" in harness.dms(RECRUITER)[-1]["text"]


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        ("swap LZZZZ <@{old}>", "No loop `LZZZZ`"),
        ("swap {loop} <@U0NOBODY|nobody>", "<@U0NOBODY> is not on loop `{loop}`"),
        ("swap {loop} <@{old}> <@{outsider}|x>", "<@{outsider}> is not in the `retro` pool"),
        ("swap {loop} <@{old}> <@U0NOBODY>", "<@U0NOBODY> is not an interviewer"),
        ("swap {loop} @fay", "is not a mention"),
        ("swap {loop}", "Usage: `/interview swap LOOP_ID @old [@new]`"),
    ],
)
def test_bad_swaps_name_the_problem_and_change_nothing(
    harness: Harness, command: str, problem: str
) -> None:
    short_id = book_everything(harness)
    old, _ = confirmed_request(harness, RETRO)
    before = snapshot(harness)
    code_review = ("U01ANA", "U02BEN")
    outsider = next(u for u in code_review if not harness.pending_request_buttons(u))
    answer = reply(harness, command.format(loop=short_id, old=old, outsider=outsider))
    assert problem.format(loop=short_id, outsider=outsider) in answer
    assert "Nothing changed" in answer or "nothing changed" in answer or "Usage" in answer
    assert snapshot(harness) == before


def test_swap_of_a_started_session_is_refused(harness: Harness) -> None:
    short_id = book_everything(harness)
    old, request_id = confirmed_request(harness, RETRO)
    harness.clock.now = session_of(harness, request_id).start + timedelta(minutes=5)
    before = snapshot(harness)
    answer = reply(harness, f"swap {short_id} <@{old}>")
    assert "already started" in answer and "nothing changed" in answer
    assert snapshot(harness) == before


def test_swap_to_someone_busy_is_refused(harness: Harness) -> None:
    short_id = book_everything(harness)
    old, request_id = confirmed_request(harness, RETRO)
    new = RETRO[1] if old == RETRO[0] else RETRO[0]
    item = session_of(harness, request_id)
    harness.calendar.add_busy(
        f"{'fay' if new == 'U06FAY' else 'gus'}@corp.example", item.start, item.end
    )
    before = snapshot(harness)
    answer = reply(harness, f"swap {short_id} <@{old}> <@{new}>")
    assert f"<@{new}> cannot take *Retrospective*" in answer and "Nothing changed" in answer
    assert snapshot(harness) == before


def test_only_recruiters_swap(harness: Harness) -> None:
    short_id = book_everything(harness)
    old, _ = confirmed_request(harness, RETRO)
    before = snapshot(harness)
    answer = reply(harness, f"swap {short_id} <@{old}>", user="U01ANA")
    assert "Only recruiters" in answer and "Nothing changed" in answer
    assert snapshot(harness) == before
