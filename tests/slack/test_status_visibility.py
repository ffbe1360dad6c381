"""`/interview status`: recruiters see every loop, interviewers their own, others nothing.

A refusal is ephemeral, names no candidate and reads the same whether or not the email or the
loop id exists, so it cannot be used to probe for candidates.
"""

from __future__ import annotations

from typing import Any

from tests.slack.conftest import RECRUITER, Harness

STRANGER = "U0STRANGER"


def reply(harness: Harness, text: str, user: str) -> dict[str, Any]:
    before = len(harness.slack.responses())
    response = harness.command(text, user=user)
    assert response.status == 200
    replies = harness.slack.responses()
    assert len(replies) == before + 1
    last = replies[-1]
    assert last["response_type"] == "ephemeral"
    return last


def shown(message: dict[str, Any]) -> str:
    return str(message.get("text", "")) + str(message.get("blocks", ""))


def asked_and_not(harness: Harness) -> tuple[str, str]:
    """The retro interviewer who was asked, and the one who was not."""
    asked = next(u for u in ("U06FAY", "U07GUS") if harness.pending_request_buttons(u))
    return asked, "U07GUS" if asked == "U06FAY" else "U06FAY"


def test_recruiter_sees_every_loop(harness: Harness) -> None:
    short_id = harness.book_first_option()
    for query in ("ada@cand.example", short_id, ""):
        text = shown(reply(harness, f"status {query}", RECRUITER))
        assert short_id in text and "Ada Lovelace" in text
    assert "No loop `LZZZZ`" in shown(reply(harness, "status LZZZZ", RECRUITER))


def test_interviewer_sees_loops_they_are_asked_for(harness: Harness) -> None:
    short_id = harness.book_first_option()
    asked, _ = asked_and_not(harness)
    for query in ("ada@cand.example", short_id, ""):
        text = shown(reply(harness, f"status {query}", asked))
        assert short_id in text and "Ada Lovelace" in text and "Retrospective" in text


def test_interviewer_sees_loops_they_are_booked_on(harness: Harness) -> None:
    short_id = harness.book_first_option()
    asked, _ = asked_and_not(harness)
    button = harness.pending_request_buttons(asked)[0]
    harness.click(button["action_id"], button["value"], asked)
    assert harness.requests_state()[int(button["value"])] == "confirmed"
    assert short_id in shown(reply(harness, f"status {short_id}", asked))


def test_interviewer_not_on_the_loop_is_refused_without_a_hint(harness: Harness) -> None:
    short_id = harness.book_first_option()
    _, other = asked_and_not(harness)
    answers = [
        reply(harness, f"status {query}", other)
        for query in ("ada@cand.example", "nobody@cand.example", short_id, "LZZZZ")
    ]
    texts = {shown(answer) for answer in answers}
    assert len(texts) == 1, texts  # existing and unknown look alike
    (text,) = texts
    assert "asked for or booked on" in text
    for secret in ("Ada", "ada@", short_id, "Retrospective", "<@U"):
        assert secret not in text
    assert short_id not in shown(reply(harness, "status", other))


def test_interviewer_who_declined_no_longer_sees_the_loop(harness: Harness) -> None:
    short_id = harness.book_first_option()
    asked, _ = asked_and_not(harness)
    button = harness.pending_request_buttons(asked)[0]
    harness.click(f"decline_slot:{button['value']}", str(button["value"]), asked)
    text = shown(reply(harness, f"status {short_id}", asked))
    assert short_id not in text and "Ada" not in text


def test_anyone_else_is_refused_naming_no_candidate(harness: Harness) -> None:
    short_id = harness.book_first_option()
    answers = [
        reply(harness, f"status {query}", STRANGER)
        for query in ("ada@cand.example", "nobody@cand.example", short_id, "LZZZZ", "")
    ]
    texts = {shown(answer) for answer in answers}
    assert len(texts) == 1, texts
    (text,) = texts
    assert "Only recruiters and interviewers" in text
    for secret in ("Ada", "ada@", short_id, "Retrospective", "<@U"):
        assert secret not in text
