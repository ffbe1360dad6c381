"""Authorization, bad input, retries and double clicks: refusals are ephemeral, nothing changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from integrations.sandbox.slack_requests import to_bolt_request
from storage.engine import read_scope
from storage.models import Interviewer, LoopState
from tests.slack.conftest import RECRUITER, Harness

SCHEDULE = "schedule ada@cand.example backend-swe tz=Europe/London from=2026-12-02 to=2026-12-04"


@pytest.mark.parametrize(
    "text", [SCHEDULE, "schedule", "cancel L7F3K", 'cancel L7F3K reason="x"', "reschedule L7F3K"]
)
def test_only_recruiters_schedule_cancel_reschedule(harness: Harness, text: str) -> None:
    response = harness.command(text, user="U01ANA")
    assert response.status == 200
    assert "ephemeral" in response.body and "Only recruiters" in response.body
    assert harness.loops() == []
    assert harness.slack.calls("chat.postMessage") == []
    assert harness.slack.calls("views.open") == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("schedule not-an-email backend-swe", "is not an email address"),
        ("schedule ada@cand.example", "Give the candidate's email and a template"),
        ("schedule ada@cand.example backend-swe tz=Mars/Olympus", "is not a time zone"),
        ("schedule ada@cand.example backend-swe from=2026-13-01", "is not a date"),
        ("schedule ada@cand.example backend-swe from=2026-12-05 to=2026-12-01", "is before"),
        ("schedule ada@cand.example backend-swe color=red", "Unknown option `color=`"),
        ('schedule ada@cand.example backend-swe name="Ada', "A quote is not closed"),
        ("cancel", "Give exactly one loop id"),
        ("cancel nope!", "is not a loop id"),
        ("status a b", "at most one"),
        ("frobnicate", "Unknown command"),
    ],
)
def test_bad_arguments_name_the_problem_and_show_usage(
    harness: Harness, text: str, problem: str
) -> None:
    response = harness.command(text)
    assert response.status == 200
    assert problem in response.body and "Usage" in response.body
    assert "ephemeral" in response.body
    assert harness.loops() == []
    assert harness.slack.calls("chat.postMessage") == []


def test_unknown_template_is_reported_and_nothing_stored(harness: Harness) -> None:
    harness.command("schedule ada@cand.example frontend-swe")
    (reply,) = harness.slack.responses()
    assert "Unknown template `frontend-swe`" in reply["text"]
    assert reply.get("response_type") == "ephemeral"
    assert harness.loops() == []


def test_slack_retry_of_a_command_acts_once(harness: Harness) -> None:
    body, headers = harness.requests.slash_command(SCHEDULE, user_id=RECRUITER)
    harness.send((body, headers))
    retry_headers = dict(headers, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "timeout"})
    response = harness.send((body, retry_headers))
    assert response.status == 200
    assert len(harness.loops()) == 1
    assert len(harness.dms(RECRUITER)) == 1


def test_double_click_on_an_option_books_once(harness: Harness) -> None:
    proposal = harness.propose()
    button = harness.buttons(proposal, "choose_option")[0]
    harness.click(button["action_id"], button["value"], RECRUITER)
    harness.click(button["action_id"], button["value"], RECRUITER)
    assert harness.loops()[0].state is LoopState.PENDING
    assert len(harness.requests_state()) == 4
    asked = [c for c in harness.slack.calls("chat.postMessage") if "confirm_slot" in str(c.args)]
    assert len(asked) == 4
    assert "already" in harness.slack.responses()[-1]["text"]


def test_only_the_addressed_interviewer_can_answer(harness: Harness) -> None:
    harness.book_first_option()
    owner = next(u for u in ("U01ANA", "U02BEN") if harness.pending_request_buttons(u))
    button = harness.pending_request_buttons(owner)[0]
    before = harness.requests_state()
    harness.click(button["action_id"], button["value"], "U06FAY")
    reply = harness.slack.responses()[-1]
    assert reply["response_type"] == "ephemeral" and reply.get("replace_original") is False
    assert f"<@{owner}>" in reply["text"]
    assert harness.requests_state() == before
    harness.click(button["action_id"], button["value"], RECRUITER)
    assert harness.requests_state() == before


def test_double_click_on_confirm_counts_once(harness: Harness) -> None:
    harness.book_first_option()
    owner = next(u for u in ("U01ANA", "U02BEN") if harness.pending_request_buttons(u))
    button = harness.pending_request_buttons(owner)[0]
    harness.click(button["action_id"], button["value"], owner)
    harness.click(button["action_id"], button["value"], owner)
    progress = [m for m in harness.dms(RECRUITER) if "confirmed" in m["text"]]
    assert len(progress) == 1
    assert "already answered" in harness.slack.responses()[-1]["text"]


def test_confirm_racing_decline_ends_in_one_state(harness: Harness) -> None:
    harness.book_first_option()
    owner = next(u for u in ("U01ANA", "U02BEN") if harness.pending_request_buttons(u))
    confirm = harness.pending_request_buttons(owner)[0]
    value = confirm["value"]
    # Both clicks are in flight before either is processed.
    harness.app.dispatch(
        to_bolt_request(*harness.requests.block_action(confirm["action_id"], value, user_id=owner))
    )
    harness.app.dispatch(
        to_bolt_request(
            *harness.requests.block_action(f"decline_slot:{value}", value, user_id=owner)
        )
    )
    harness.settle()
    state = harness.requests_state()[int(value)]
    assert state in ("confirmed", "declined")
    outcomes = [c for c in harness.slack.calls("chat.update") if "You " in str(c.args)]
    assert len(outcomes) == 1


def test_stale_option_is_not_booked_and_fresh_options_follow(harness: Harness) -> None:
    proposal = harness.propose()
    button = harness.buttons(proposal, "choose_option")[0]
    loop = harness.loops()[0]
    chosen = (loop.proposals or [])[0]["sessions"]
    first = min(chosen, key=lambda s: s["start"])
    interviewer_id = first["interviewers"][0]
    with read_scope(harness.engine) as session:
        person = session.get(Interviewer, interviewer_id)
        assert person is not None
        email = person.email
    assert email in ("ana@corp.example", "ben@corp.example")  # the code-review pool
    harness.calendar.add_busy(
        email, datetime(2026, 12, 2, 0, 0, tzinfo=UTC), datetime(2026, 12, 3, 0, 0, tzinfo=UTC)
    )
    harness.calendar.add_busy(
        "ana@corp.example" if email.startswith("ben") else "ben@corp.example",
        datetime(2026, 12, 2, 0, 0, tzinfo=UTC),
        datetime(2026, 12, 2, 12, 0, tzinfo=UTC),
    )
    harness.click(button["action_id"], button["value"], RECRUITER)
    assert harness.loops()[0].state is LoopState.PROPOSED
    assert harness.requests_state() == {}
    fresh = harness.slack.responses()[-1]
    assert fresh.get("replace_original") is True
    assert "no longer free" in str(fresh["blocks"])
    assert harness.buttons(fresh, "choose_option")
