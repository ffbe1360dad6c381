"""Clicks on buttons that no longer apply: a clear ephemeral answer, no change, no error logged.

Every case goes through the real bolt app with signed requests; the database is compared
before and after the click, and the log must hold no ERROR record or traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select

from bot.services.unanswered import UnansweredRequests
from integrations.sandbox.slack_requests import app_home_opened_event
from storage.engine import session_scope
from storage.models import (
    AuditLog,
    InterviewerRequest,
    InterviewSession,
    Loop,
    LoopState,
    Reminder,
)
from tests.slack.conftest import RECRUITER, Harness

ALL = ("U01ANA", "U02BEN", "U03CHI", "U04DAN", "U05EVA", "U06FAY", "U07GUS")
HOME = {"view": {"id": "VHOME", "type": "home"}, "container": {"type": "view", "view_id": "VHOME"}}


def snapshot(harness: Harness) -> dict[str, list[dict[str, Any]]]:
    """Every row a click could change (delivery keys aside)."""
    with session_scope(harness.engine) as session:
        return {
            model.__name__: [
                row.model_dump() for row in session.exec(select(model).order_by(model.id))
            ]
            for model in (Loop, InterviewSession, InterviewerRequest, Reminder, AuditLog)
        }


@pytest.fixture
def quiet_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.INFO)
    yield caplog
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert bad == [], [f"{r.name}: {r.getMessage()}" for r in bad]


def asked(harness: Harness) -> tuple[str, dict[str, Any]]:
    user = next(u for u in ("U06FAY", "U07GUS") if harness.pending_request_buttons(u))
    return user, harness.pending_request_buttons(user)[0]


def stale_click(
    harness: Harness, action_id: str, value: str, user: str, **fields: Any
) -> dict[str, Any]:
    """Click; check nothing changed and exactly one ephemeral answer came back."""
    before = snapshot(harness)
    posts = len(harness.slack.calls("chat.postMessage"))
    updates = len(harness.slack.calls("chat.update"))
    replies = len(harness.slack.responses())
    response = harness.click(action_id, value, user, **fields)
    assert response.status == 200
    assert snapshot(harness) == before
    assert len(harness.slack.calls("chat.postMessage")) == posts
    assert len(harness.slack.calls("chat.update")) == updates
    new = harness.slack.responses()[replies:]
    if "container" in fields:  # App Home: no response URL; the answer tops the Home tab
        assert new == []
        return {}
    assert len(new) == 1
    (answer,) = new
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    return answer


def test_confirm_after_the_loop_was_cancelled(harness: Harness, quiet_log: Any) -> None:
    short_id = harness.book_first_option()
    user, button = asked(harness)
    harness.command(f"cancel {short_id}")
    answer = stale_click(harness, button["action_id"], button["value"], user)
    assert answer["text"] == (
        f"This request no longer applies: loop `{short_id}` was cancelled. Nothing changed; "
        "any new request comes in its own message."
    )


def test_confirm_and_decline_after_a_reschedule(harness: Harness, quiet_log: Any) -> None:
    short_id = harness.book_first_option()
    user, button = asked(harness)
    harness.command(f"reschedule {short_id}")
    assert harness.loops()[0].state is LoopState.PROPOSED
    for action in (button["action_id"], f"decline_slot:{button['value']}"):
        answer = stale_click(harness, action, button["value"], user)
        assert (
            f"this session of loop `{short_id}` was moved or the loop was rescheduled"
            in (answer["text"])
        )


def test_confirm_after_the_request_was_withdrawn(harness: Harness, quiet_log: Any) -> None:
    short_id = harness.book_first_option()
    user, button = asked(harness)
    assert UnansweredRequests(harness.services).replace_unresponsive(int(button["value"]))
    answer = stale_click(harness, button["action_id"], button["value"], user)
    assert f"the request was withdrawn (loop `{short_id}` no longer needs you" in answer["text"]


def test_decline_after_confirming(harness: Harness, quiet_log: Any) -> None:
    short_id = harness.book_first_option()
    user, button = asked(harness)
    harness.click(button["action_id"], button["value"], user)
    answer = stale_click(harness, f"decline_slot:{button['value']}", button["value"], user)
    assert answer["text"] == (
        f"You already answered this one (confirmed) for loop `{short_id}`; nothing changed."
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("987654", "That interview request no longer exists; nothing changed."),
        ("abc", "That button is malformed; nothing changed."),
        ("99999999999999999999", "That button is malformed; nothing changed."),
        ("²", "That button is malformed; nothing changed."),
        ("", "That button is malformed; nothing changed."),
    ],
)
def test_request_that_does_not_exist_or_malformed_value(
    harness: Harness, quiet_log: Any, value: str, text: str
) -> None:
    harness.book_first_option()
    user, _ = asked(harness)
    for action in ("confirm_slot:1", "decline_slot:1"):
        assert stale_click(harness, action, value, user)["text"] == text


def test_stale_click_on_app_home_shows_why_on_the_home_tab(
    harness: Harness, quiet_log: Any
) -> None:
    short_id = harness.book_first_option()
    user, _ = asked(harness)
    harness.send(harness.requests.event_callback(app_home_opened_event(user)))
    view = harness.slack.home_view(user)
    assert view is not None
    (button,) = harness.buttons(view, "confirm_slot")
    harness.command(f"cancel {short_id}")
    stale_click(harness, button["action_id"], button["value"], user, **HOME)
    view = harness.slack.home_view(user)
    assert view is not None
    notice = view["blocks"][1]
    assert notice["type"] == "context"
    assert f"loop `{short_id}` was cancelled" in notice["elements"][0]["text"]
    assert harness.buttons(view, "confirm_slot") == []
    stale_click(harness, button["action_id"], "junk", user, **HOME)
    view = harness.slack.home_view(user)
    assert view is not None and "malformed" in str(view["blocks"][1])


def test_choose_after_the_loop_was_cancelled(harness: Harness, quiet_log: Any) -> None:
    proposal = harness.propose()
    button = harness.buttons(proposal, "choose_option")[0]
    short_id = harness.loops()[0].short_id
    harness.command(f"cancel {short_id}")
    answer = stale_click(harness, button["action_id"], button["value"], RECRUITER)
    assert answer["text"] == f"Loop `{short_id}` is already cancelled; nothing changed."


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("LZZZZ:0", "Loop `LZZZZ` does not exist."),
        ("<!channel>:0", "That button is malformed; nothing changed."),
        ("LZZZZ:x", "That button is malformed; nothing changed."),
        ("LZZZZ", "That button is malformed; nothing changed."),
        ("LZZZZ:99999", "That button is malformed; nothing changed."),
        ("LZZZZ:²", "That button is malformed; nothing changed."),
    ],
)
def test_choose_with_unknown_loop_or_malformed_value(
    harness: Harness, quiet_log: Any, value: str, text: str
) -> None:
    harness.propose()
    assert stale_click(harness, "choose_option:0", value, RECRUITER)["text"] == text


def test_choose_on_proposals_replaced_by_a_reschedule(harness: Harness, quiet_log: Any) -> None:
    old = harness.propose()
    old_button = harness.buttons(old, "choose_option")[0]
    short_id = harness.loops()[0].short_id
    emails = [f"{name}@corp.example" for name in ("ana", "ben", "chi", "dan", "eva", "fay", "gus")]
    for email in emails:  # Wednesday is gone
        harness.calendar.add_busy(
            email, datetime(2026, 12, 2, 0, 0, tzinfo=UTC), datetime(2026, 12, 3, 0, 0, tzinfo=UTC)
        )
    assert harness.services.calendar is not None
    harness.services.calendar.invalidate(emails)  # as if the free/busy cache had expired
    harness.command(f"reschedule {short_id}")
    fresh = harness.dms(RECRUITER)[-1]
    assert old_button["value"] not in [b["value"] for b in harness.buttons(fresh, "choose_option")]
    answer = stale_click(harness, old_button["action_id"], old_button["value"], RECRUITER)
    assert answer["text"] == (
        f"Those options for loop `{short_id}` are out of date (it was re-planned since); "
        "use the newest proposals message. Nothing changed."
    )
    new_button = harness.buttons(fresh, "choose_option")[0]
    harness.click(new_button["action_id"], new_button["value"], RECRUITER)
    assert harness.loops()[0].state is LoopState.PENDING
