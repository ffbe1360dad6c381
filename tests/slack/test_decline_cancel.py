"""Declines (with and without cover), cancel, reschedule, status, templates, pools."""

from __future__ import annotations

from sqlmodel import select

from storage.engine import session_scope
from storage.models import Interviewer, LoopState, Reminder, ReminderKind, ReminderState
from tests.slack.conftest import RECRUITER, Harness

ALL = ("U01ANA", "U02BEN", "U03CHI", "U04DAN", "U05EVA", "U06FAY", "U07GUS")


def asked(harness: Harness, pool: tuple[str, ...]) -> tuple[str, dict[str, object]]:
    for user in pool:
        buttons = harness.pending_request_buttons(user)
        if buttons:
            return user, buttons[-1]
    raise AssertionError("nobody in the pool was asked")


def test_decline_asks_a_replacement_from_the_same_pool(harness: Harness) -> None:
    harness.book_first_option()
    user, button = asked(harness, ("U06FAY", "U07GUS"))
    other = "U07GUS" if user == "U06FAY" else "U06FAY"
    harness.click(f"decline_slot:{button['value']}", str(button["value"]), user)
    assert harness.requests_state()[int(str(button["value"]))] == "declined"
    replacement = harness.pending_request_buttons(other)
    assert len(replacement) == 1
    assert "step in" in str(harness.dms(other)[-1]["blocks"])
    note = harness.dms(RECRUITER)[-1]["text"]
    assert "declined" in note and "asked" in note
    harness.click(replacement[0]["action_id"], replacement[0]["value"], other)
    for person in ALL:
        for pending in harness.pending_request_buttons(person):
            if harness.requests_state()[int(pending["value"])] == "pending":
                harness.click(pending["action_id"], pending["value"], person)
    assert harness.loops()[0].state is LoopState.BOOKED
    retro = [e for e in harness.calendar.events.values() if "Retrospective" in e["summary"]]
    assert {a["email"] for a in retro[0]["attendees"]} == {
        f"{other[3:].lower()}@corp.example",
        "ada@cand.example",
    }


def test_decline_without_cover_escalates_to_the_recruiter(harness: Harness) -> None:
    harness.book_first_option()
    first, button = asked(harness, ("U06FAY", "U07GUS"))
    harness.click(f"decline_slot:{button['value']}", str(button["value"]), first)
    second, button = asked(harness, tuple(u for u in ("U06FAY", "U07GUS") if u != first))
    # The other retro interviewer declines too: nobody is left in the pool for any time.
    harness.click(f"decline_slot:{button['value']}", str(button["value"]), second)
    loop = harness.loops()[0]
    assert loop.state is LoopState.NEEDS_ATTENTION
    note = harness.dms(RECRUITER)[-1]["text"]
    assert "needs you" in note and f"/interview reschedule {loop.short_id}" in note


def test_cancel_removes_events_tells_interviewers_and_reminders(harness: Harness) -> None:
    short_id = harness.book_first_option()
    for person in ALL:
        for button in harness.pending_request_buttons(person):
            harness.click(button["action_id"], button["value"], person)
    assert len(harness.calendar.events) == 3
    refused = harness.command(f"cancel {short_id}", user="U01ANA")
    assert "Only recruiters" in refused.body and len(harness.calendar.events) == 3
    harness.command(f'cancel {short_id} reason="candidate withdrew"')
    assert harness.loops()[0].state is LoopState.CANCELLED
    assert harness.calendar.events == {}
    deletes = harness.calendar.api_requests("DELETE")
    assert len(deletes) == 3 and all(r.query.get("sendUpdates") == "all" for r in deletes)
    told = [c for c in harness.slack.calls("chat.postMessage") if "cancelled" in c.args["text"]]
    assert len(told) == 4 and all("candidate withdrew" in c.args["text"] for c in told)
    with session_scope(harness.engine) as session:
        rows = list(session.exec(select(Reminder)))
    states = {r.state for r in rows if r.kind is not ReminderKind.LOOP_BOOKED}
    assert states <= {ReminderState.CANCELLED}
    # the booking summary went out at the booking, before the cancel
    assert [r.state for r in rows if r.kind is ReminderKind.LOOP_BOOKED] == [ReminderState.SENT]
    assert "cancelled" in harness.slack.responses()[-1]["text"]
    again = harness.command(f"cancel {short_id}")
    assert again.status == 200
    assert "already cancelled" in harness.slack.responses()[-1]["text"]


def test_cancel_with_pending_requests_withdraws_them(harness: Harness) -> None:
    short_id = harness.book_first_option()
    harness.command(f"cancel {short_id}")
    assert set(harness.requests_state().values()) == {"cancelled"}
    updates = harness.slack.calls("chat.update")
    assert len(updates) == 4 and all(harness.buttons(u.args, "confirm_slot") == [] for u in updates)


def test_reschedule_withdraws_and_proposes_again(harness: Harness) -> None:
    short_id = harness.book_first_option()
    harness.command(f"reschedule {short_id}")
    loop = harness.loops()[0]
    assert loop.state is LoopState.PROPOSED
    assert set(harness.requests_state().values()) == {"cancelled"}
    fresh = harness.dms(RECRUITER)[-1]
    assert "Rescheduling" in str(fresh["blocks"]) and harness.buttons(fresh, "choose_option")
    button = harness.buttons(fresh, "choose_option")[0]
    harness.click(button["action_id"], button["value"], RECRUITER)
    assert harness.loops()[0].state is LoopState.PENDING


def reply(harness: Harness, text: str, user: str = RECRUITER) -> str:
    """What the user sees: the ack (empty here) plus the ephemeral reply via response_url."""
    response = harness.command(text, user=user)
    assert response.status == 200
    last = harness.slack.responses()[-1]
    assert last["response_type"] == "ephemeral"
    return str(last.get("text", "")) + str(last.get("blocks", ""))


def test_status_by_email_and_by_id(harness: Harness) -> None:
    short_id = harness.book_first_option()
    by_email = reply(harness, "status ada@cand.example")
    assert short_id in by_email and "pending" in by_email
    assert "Code review" in reply(harness, f"status {short_id.lower()}")
    assert "No loop `LZZZZ`" in reply(harness, "status LZZZZ")
    assert short_id in reply(harness, "status")


def test_templates_and_pools(harness: Harness) -> None:
    templates = reply(harness, "templates", user="U01ANA")
    assert "backend-swe" in templates and "Design discussion" in templates
    harness.book_first_option()
    pools = reply(harness, "pools", user="U01ANA")
    assert "design-discussion" in pools and "/10" in pools
    assert "1/10" in pools


def test_directory_resolves_missing_slack_ids_by_email(harness: Harness) -> None:
    from bot.services.directory import resolve_directory

    with session_scope(harness.engine) as session:
        ana = session.exec(select(Interviewer).where(Interviewer.email == "ana@corp.example")).one()
        ana.slack_id, ana.timezone = None, None
    harness.slack.add_user("U01ANA", email="ana@corp.example", tz="Europe/Lisbon")
    with session_scope(harness.engine) as session:
        problems = resolve_directory(harness.services.messenger, session=session)
    assert problems == []
    with session_scope(harness.engine) as session:
        ana = session.exec(select(Interviewer).where(Interviewer.email == "ana@corp.example")).one()
        assert (ana.slack_id, ana.timezone) == ("U01ANA", "Europe/Lisbon")
        ana.slack_id = None
        session.add(Interviewer(email="ghost@corp.example", name="Ghost"))
    harness.slack.remove_user("U01ANA")
    with session_scope(harness.engine) as session:
        problems = resolve_directory(harness.services.messenger, session=session)
    assert sorted(problems) == [
        "Ana: no Slack user with that email",
        "Ghost: no Slack user with that email",
    ]


def test_finished_loops_complete_and_old_delivery_keys_expire(harness: Harness) -> None:
    from datetime import UTC, datetime, timedelta

    from bot.services.housekeeping import complete_finished_loops, prune_delivery_keys
    from storage.models import ProcessedDelivery
    from tests.slack.conftest import NOW

    harness.book_first_option()
    for person in ALL:
        for button in harness.pending_request_buttons(person):
            harness.click(button["action_id"], button["value"], person)
    assert harness.loops()[0].state is LoopState.BOOKED
    assert complete_finished_loops(harness.services, NOW + timedelta(days=1)) == 0
    assert complete_finished_loops(harness.services, NOW + timedelta(days=3)) == 1
    assert harness.loops()[0].state is LoopState.COMPLETED
    with session_scope(harness.engine) as session:
        keys = len(session.exec(select(ProcessedDelivery)).all())
    assert keys > 0
    stored_at = datetime.now(UTC)  # delivery keys are stamped with the real clock
    assert prune_delivery_keys(harness.services, stored_at) == 0
    assert prune_delivery_keys(harness.services, stored_at + timedelta(days=3)) == keys
