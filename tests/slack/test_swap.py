"""`/interview swap LOOP_ID @old [@new]` through signed slash commands."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage.models import LoopState
from tests.slack.conftest import RECRUITER, Harness
from tests.slack.test_backout import (
    RETRO,
    book_everything,
    confirmed_request,
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
    assert button["value"]


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
