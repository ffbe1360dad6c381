"""The recruiter's attention list in App Home, its buttons, `status` with no argument, and
interviewers the directory could not resolve."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from bot.blocks.backout import SWAP_NEW_ACTION, SWAP_NEW_BLOCK, SWAP_OLD_ACTION, SWAP_OLD_BLOCK
from integrations.sandbox.slack_requests import app_home_opened_event, static_select, users_select
from storage.engine import session_scope
from storage.models import Interviewer, LoopState
from tests.slack.conftest import RECRUITER, Harness
from tests.slack.test_backout import ALL, RETRO, snapshot

HOME = {"id": "VHOME", "type": "home"}


def needs_attention(harness: Harness) -> str:
    """Both retro interviewers decline: nobody is left, the loop needs the recruiter."""
    short_id = harness.book_first_option()
    for _ in range(2):
        user = next(
            u
            for u in RETRO
            if any(
                harness.requests_state()[int(b["value"])] == "pending"
                for b in harness.pending_request_buttons(u)
            )
        )
        button = harness.pending_request_buttons(user)[-1]
        harness.click(f"decline_slot:{button['value']}", str(button["value"]), user)
    assert harness.loops()[0].state is LoopState.NEEDS_ATTENTION
    return short_id


def home(harness: Harness, user: str = RECRUITER) -> dict[str, Any]:
    harness.send(harness.requests.event_callback(app_home_opened_event(user)))
    view = harness.slack.home_view(user)
    assert view is not None
    return view


def attention_buttons(view: dict[str, Any], short_id: str) -> dict[str, dict[str, Any]]:
    for block in view["blocks"]:
        if block.get("block_id") == f"attention:{short_id}":
            return {e["action_id"].split(":")[0]: e for e in block["elements"]}
    raise AssertionError(f"no attention entry for {short_id}")


def test_home_lists_loops_needing_attention_with_reason_and_buttons(harness: Harness) -> None:
    short_id = needs_attention(harness)
    view = home(harness)
    text = str(view["blocks"])
    assert "Needs your attention" in text and f"`{short_id}`" in text
    assert "declined" in text  # the reason
    buttons = attention_buttons(view, short_id)
    assert set(buttons) == {"swap_interviewer", "reschedule_loop", "cancel_loop"}
    assert all(b["value"] == short_id for b in buttons.values())
    assert "confirm" in buttons["cancel_loop"]
    # Interviewers see no attention list.
    assert "Needs your attention" not in str(home(harness, "U01ANA")["blocks"])


def test_booking_failure_offers_retry(harness: Harness) -> None:
    harness.book_first_option()
    harness.calendar.fail_next(400, reason="badRequest", count=1, match="POST")
    for user in ALL:
        for button in harness.pending_request_buttons(user):
            harness.click(button["action_id"], button["value"], user)
    short_id = harness.loops()[0].short_id
    view = home(harness)
    assert "booking failed: Creating the event" in str(view["blocks"])
    retry = attention_buttons(view, short_id)["retry_booking"]
    harness.click(retry["action_id"], retry["value"], RECRUITER, view=HOME)
    assert harness.loops()[0].state is LoopState.BOOKED
    assert len(harness.calendar.events) == 3
    assert f"attention:{short_id}" not in str(harness.slack.home_view(RECRUITER))


def test_cancel_button_in_home_cancels_and_refreshes(harness: Harness) -> None:
    short_id = needs_attention(harness)
    buttons = attention_buttons(home(harness), short_id)
    before = snapshot(harness)
    harness.click(buttons["cancel_loop"]["action_id"], short_id, "U01ANA", view=HOME)
    assert snapshot(harness) == before  # not a recruiter: nothing changed
    assert "Only recruiters" in harness.dms("U01ANA")[-1]["text"]
    harness.click(buttons["cancel_loop"]["action_id"], short_id, RECRUITER, view=HOME)
    assert harness.loops()[0].state is LoopState.CANCELLED
    assert f"Loop `{short_id}` cancelled" in harness.dms(RECRUITER)[-1]["text"]
    assert f"attention:{short_id}" not in str(harness.slack.home_view(RECRUITER))


def test_reschedule_button_sends_fresh_options(harness: Harness) -> None:
    short_id = needs_attention(harness)
    buttons = attention_buttons(home(harness), short_id)
    harness.click(buttons["reschedule_loop"]["action_id"], short_id, RECRUITER, view=HOME)
    assert harness.loops()[0].state is LoopState.PROPOSED
    fresh = harness.dms(RECRUITER)[-1]
    assert "Rescheduling" in str(fresh["blocks"]) and harness.buttons(fresh, "choose_option")


def test_swap_button_opens_the_form_and_swaps(harness: Harness) -> None:
    short_id = needs_attention(harness)
    buttons = attention_buttons(home(harness), short_id)
    harness.click(buttons["swap_interviewer"]["action_id"], short_id, RECRUITER, view=HOME)
    modal = harness.slack.calls("views.open")[-1].args["view"]
    assert modal["callback_id"] == "swap_modal" and modal["private_metadata"] == short_id
    old_block = next(b for b in modal["blocks"] if b.get("block_id") == SWAP_OLD_BLOCK)
    offered = [o["value"] for o in old_block["element"]["options"]]
    old = next(u for u in ("U03CHI", "U04DAN", "U05EVA") if u in offered)
    new = next(u for u in ("U03CHI", "U04DAN", "U05EVA") if u not in offered)
    # Someone outside the pool is refused by DM and nothing changes.
    outsider = "U06FAY"
    before = snapshot(harness)
    submit_swap(harness, short_id, old, outsider)
    assert "is not in the `design-discussion` pool" in harness.dms(RECRUITER)[-1]["text"]
    assert snapshot(harness) == before
    submit_swap(harness, short_id, old, new)
    assert f"Took <@{old}> off" in harness.dms(RECRUITER)[-1]["text"]
    assert len(harness.pending_request_buttons(new)) == 1


def submit_swap(harness: Harness, short_id: str, old: str, new: str | None) -> None:
    harness.send(
        harness.requests.view_submission(
            "swap_modal",
            {
                SWAP_OLD_BLOCK: {SWAP_OLD_ACTION: static_select(old)},
                SWAP_NEW_BLOCK: {SWAP_NEW_ACTION: users_select(new)},
            },
            user_id=RECRUITER,
            private_metadata=short_id,
        )
    )


def test_status_without_argument_lists_the_recruiters_open_loops(harness: Harness) -> None:
    first = harness.book_first_option()
    harness.command(f"cancel {first}")
    second = harness.book_first_option()
    harness.command("status")
    answer = harness.slack.responses()[-1]
    assert answer["response_type"] == "ephemeral"
    text = answer["text"] + str(answer.get("blocks"))
    assert "Your loops in flight" in text and f"`{second}`" in text and first not in text


def test_unresolved_interviewers_show_in_the_recruiters_home(harness: Harness) -> None:
    with session_scope(harness.engine) as session:
        ana = session.exec(select(Interviewer).where(Interviewer.slack_id == "U01ANA")).one()
        ana.timezone = None
        ben = session.exec(select(Interviewer).where(Interviewer.slack_id == "U02BEN")).one()
        ben.slack_id = None
    text = str(home(harness)["blocks"])
    assert "Interviewers I can't fully resolve" in text
    assert "Ana &lt;ana@corp.example&gt;: no time zone" in text and "Europe/London" in text
    assert "Ben &lt;ben@corp.example&gt;: no Slack account found" in text
