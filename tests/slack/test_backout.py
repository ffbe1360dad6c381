"""Changes after booking, through signed Slack requests: "can't make it" and its modal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot.blocks.backout import REASON_ACTION, REASON_BLOCK
from integrations.sandbox.slack_requests import app_home_opened_event, text_input
from storage.engine import session_scope
from storage.models import (
    Interviewer,
    InterviewerRequest,
    InterviewSession,
    LoopState,
    Reminder,
    ReminderState,
    RequestState,
    SessionState,
)
from tests.slack.conftest import RECRUITER, Harness
from tests.slack.test_reminders_flow import dispatch_at

ALL = ("U01ANA", "U02BEN", "U03CHI", "U04DAN", "U05EVA", "U06FAY", "U07GUS")
RETRO = ("U06FAY", "U07GUS")


def book_everything(harness: Harness) -> str:
    """Choose the first option and have everyone confirm: the loop is BOOKED with 3 events."""
    short_id = harness.book_first_option()
    confirm_all(harness)
    assert harness.loops()[0].state is LoopState.BOOKED
    assert len(harness.calendar.events) == 3
    return short_id


def confirm_all(harness: Harness) -> None:
    for person in ALL:
        for button in harness.pending_request_buttons(person):
            if harness.requests_state()[int(button["value"])] == "pending":
                harness.click(button["action_id"], button["value"], person)


def confirmed_request(harness: Harness, users: tuple[str, ...]) -> tuple[str, int]:
    """(Slack id, request id) of a confirmed request held by one of `users`."""
    with session_scope(harness.engine) as session:
        for user in users:
            person = session.exec(select(Interviewer).where(Interviewer.slack_id == user)).one()
            ask = session.exec(
                select(InterviewerRequest).where(
                    InterviewerRequest.interviewer_id == person.id,
                    InterviewerRequest.state == RequestState.CONFIRMED,
                )
            ).first()
            if ask is not None:
                return user, ask.id or 0
    raise AssertionError(f"none of {users} holds a confirmed request")


def session_of(harness: Harness, request_id: int) -> InterviewSession:
    with session_scope(harness.engine) as session:
        ask = session.get(InterviewerRequest, request_id)
        assert ask is not None
        item = session.get(InterviewSession, ask.session_id)
        assert item is not None
        session.expunge(item)
        return item


def cant_make_it_button(harness: Harness, user: str, request_id: int) -> dict[str, Any]:
    """The button on the confirmation message (the request DM, updated after Confirm)."""
    for call in reversed(harness.slack.calls("chat.update")):
        for button in harness.buttons(call.args, "cant_make_it"):
            if button["value"] == str(request_id):
                return button
    raise AssertionError(f"no cant_make_it button for request {request_id}")


def back_out(harness: Harness, user: str, request_id: int, reason: str | None = None) -> None:
    """Click "Can't make it" on the confirmation message, then submit the modal."""
    opened = len(harness.slack.calls("views.open"))
    button = cant_make_it_button(harness, user, request_id)
    harness.click(button["action_id"], button["value"], user)
    modals = harness.slack.calls("views.open")
    assert len(modals) == opened + 1, harness.slack.responses()[-1:]
    view = modals[-1].args["view"]
    assert view["callback_id"] == "cant_make_it_modal"
    harness.send(
        harness.requests.view_submission(
            "cant_make_it_modal",
            {REASON_BLOCK: {REASON_ACTION: text_input(reason)}},
            user_id=user,
            private_metadata=view["private_metadata"],
        )
    )


def snapshot(harness: Harness) -> tuple[Any, ...]:
    """Everything a refused click must leave as it was."""
    with session_scope(harness.engine) as session:
        sessions = sorted(
            (s.id, s.state.value, s.start) for s in session.exec(select(InterviewSession))
        )
        reminders = sorted((r.id, r.state.value) for r in session.exec(select(Reminder)))
    events = {
        k: sorted(a["email"] for a in v["attendees"]) for k, v in harness.calendar.events.items()
    }
    return (
        harness.requests_state(),
        [loop.state for loop in harness.loops()],
        sessions,
        reminders,
        events,
    )


def test_confirmation_message_reminder_and_home_carry_the_button(harness: Harness) -> None:
    book_everything(harness)
    user, request_id = confirmed_request(harness, RETRO)
    assert (
        cant_make_it_button(harness, user, request_id)["action_id"] == f"cant_make_it:{request_id}"
    )
    harness.send(harness.requests.event_callback(app_home_opened_event(user)))
    home = harness.slack.home_view(user)
    assert home is not None
    assert [b["value"] for b in harness.buttons(home, "cant_make_it")] == [str(request_id)]
    # The 24 h reminder carries the button too, and it works.
    item = session_of(harness, request_id)
    dispatch_at(harness, item.start - timedelta(hours=24) + timedelta(minutes=1))
    reminder = harness.dms(user)[-1]
    assert "Reminder" in reminder["text"]
    (button,) = harness.buttons(reminder, "cant_make_it")
    assert button["value"] == str(request_id)
    harness.click(button["action_id"], button["value"], user)
    assert harness.slack.calls("views.open")[-1].args["view"]["callback_id"] == "cant_make_it_modal"


def test_someone_else_clicking_is_refused_and_nothing_changes(harness: Harness) -> None:
    book_everything(harness)
    user, request_id = confirmed_request(harness, RETRO)
    before = snapshot(harness)
    button = cant_make_it_button(harness, user, request_id)
    harness.click(button["action_id"], button["value"], "U01ANA")
    reply = harness.slack.responses()[-1]
    assert reply["response_type"] == "ephemeral"
    assert f"<@{user}>" in reply["text"] and "Nothing changed" in reply["text"]
    assert harness.slack.calls("views.open") == []
    # A forged modal submission by someone else changes nothing either.
    harness.send(
        harness.requests.view_submission(
            "cant_make_it_modal",
            {REASON_BLOCK: {REASON_ACTION: text_input("not me")}},
            user_id="U01ANA",
            private_metadata=str(request_id),
        )
    )
    assert snapshot(harness) == before


def test_a_stale_click_gets_a_clear_answer(harness: Harness) -> None:
    short_id = book_everything(harness)
    user, request_id = confirmed_request(harness, RETRO)
    harness.command(f"cancel {short_id}")
    before = snapshot(harness)
    button = cant_make_it_button(harness, user, request_id)
    harness.click(button["action_id"], button["value"], user)
    reply = harness.slack.responses()[-1]
    assert reply["response_type"] == "ephemeral"
    assert f"`{short_id}` was cancelled" in reply["text"]
    assert snapshot(harness) == before


def test_cant_make_it_30_minutes_before_tells_the_recruiter(harness: Harness) -> None:
    short_id = book_everything(harness)
    user, request_id = confirmed_request(harness, RETRO)
    item = session_of(harness, request_id)
    harness.clock.now = item.start - timedelta(minutes=30)
    back_out(harness, user, request_id, reason="sick <b>today</b>")
    assert harness.requests_state()[request_id] == "declined"
    note = "\n".join(m["text"] for m in harness.dms(RECRUITER)[-2:])
    assert "starts in 30 minutes" in note and f"`{short_id}`" in note
    assert "sick &lt;b&gt;today&lt;/b&gt;" in note
    with session_scope(harness.engine) as session:
        stored = session.get(InterviewSession, item.id)
        assert stored is not None and stored.start == item.start  # never moved this close
        open_reminders = session.exec(
            select(Reminder).where(
                Reminder.request_id == request_id, Reminder.state == ReminderState.PENDING
            )
        ).all()
    assert open_reminders == []
    assert "you are off" in harness.dms(user)[-1]["text"]


def test_a_started_session_is_refused(harness: Harness) -> None:
    book_everything(harness)
    user, request_id = confirmed_request(harness, RETRO)
    item = session_of(harness, request_id)
    harness.clock.now = item.start + timedelta(minutes=1)
    before = snapshot(harness)
    button = cant_make_it_button(harness, user, request_id)
    harness.click(button["action_id"], button["value"], user)
    assert "already started" in harness.slack.responses()[-1]["text"]
    assert snapshot(harness) == before


def test_backing_out_before_everyone_confirmed_asks_a_replacement(harness: Harness) -> None:
    harness.book_first_option()
    for user in RETRO:
        for button in harness.pending_request_buttons(user):
            harness.click(button["action_id"], button["value"], user)
    user, request_id = confirmed_request(harness, RETRO)
    other = RETRO[1] if user == RETRO[0] else RETRO[0]
    back_out(harness, user, request_id)
    assert harness.requests_state()[request_id] == "declined"
    assert harness.loops()[0].state is LoopState.PENDING
    assert session_of(harness, request_id).state is SessionState.PENDING
    assert len(harness.pending_request_buttons(other)) == 1
    assert "asked" in harness.dms(RECRUITER)[-1]["text"]


def test_from_app_home_the_owner_gets_the_modal_and_a_stale_click_a_notice(
    harness: Harness,
) -> None:
    book_everything(harness)
    user, request_id = confirmed_request(harness, RETRO)
    home = {"id": "VHOME", "type": "home"}
    harness.click(f"cant_make_it:{request_id}", str(request_id), user, view=home)
    assert harness.slack.calls("views.open")[-1].args["view"]["callback_id"] == "cant_make_it_modal"
    back_out(harness, user, request_id)
    before = snapshot(harness)
    harness.click(f"cant_make_it:{request_id}", str(request_id), user, view=home)
    notice = harness.slack.calls("views.open")[-1].args["view"]
    assert "no longer on" in str(notice["blocks"]) and "declined" in str(notice["blocks"])
    assert snapshot(harness) == before
    # The home republished after backing out no longer offers it.
    published = harness.slack.home_view(user)
    assert published is not None and harness.buttons(published, "cant_make_it") == []


def test_a_second_submission_changes_nothing(harness: Harness) -> None:
    book_everything(harness)
    user, request_id = confirmed_request(harness, RETRO)
    back_out(harness, user, request_id)
    before = snapshot(harness)
    harness.send(
        harness.requests.view_submission(
            "cant_make_it_modal", {}, user_id=user, private_metadata=str(request_id)
        )
    )
    assert snapshot(harness) == before
    assert "no longer on" in harness.dms(user)[-1]["text"]


def test_a_calendar_decline_goes_through_the_same_release(harness: Harness) -> None:
    from bot.services.release import release_interviewer

    short_id = book_everything(harness)
    user, request_id = confirmed_request(harness, RETRO)
    other = RETRO[1] if user == RETRO[0] else RETRO[0]
    with session_scope(harness.engine) as session:
        ask = session.get(InterviewerRequest, request_id)
        assert ask is not None
        session_id, interviewer_id = ask.session_id, ask.interviewer_id
    result = release_interviewer(
        harness.services,
        session_id=session_id,
        interviewer_id=interviewer_id,
        reason="",
        actor="calendar",
    )
    harness.settle()
    assert result.released and result.short_id == short_id and len(result.asked) == 1
    assert harness.requests_state()[request_id] == "declined"
    assert len(harness.pending_request_buttons(other)) == 1
    note = harness.dms(RECRUITER)[-1]["text"]
    assert "declined the invitation to *Retrospective*" in note and "asked" in note
    assert harness.loops()[0].state is LoopState.BOOKED
    again = release_interviewer(
        harness.services,
        session_id=session_id,
        interviewer_id=interviewer_id,
        reason="",
        actor="calendar",
    )
    assert again.outcome == "not_on_session"


def attendees(harness: Harness, event_id: str) -> set[str]:
    return {a["email"] for a in harness.calendar.events[event_id]["attendees"]}


def email(user: str) -> str:
    return f"{user[3:].lower()}@corp.example"


def test_cant_make_it_on_a_booked_loop_patches_the_same_event(harness: Harness) -> None:
    short_id = book_everything(harness)
    user, request_id = confirmed_request(harness, RETRO)
    other = RETRO[1] if user == RETRO[0] else RETRO[0]
    item = session_of(harness, request_id)
    event_id = item.calendar_event_id
    assert event_id is not None and attendees(harness, event_id) == {
        email(user),
        "ada@cand.example",
    }
    events_before = set(harness.calendar.events)
    back_out(harness, user, request_id, reason="family emergency")
    assert harness.requests_state()[request_id] == "declined"
    assert harness.loops()[0].state is LoopState.BOOKED
    note = harness.dms(RECRUITER)[-1]["text"]
    assert f"`{short_id}`" in note and "can't make *Retrospective*" in note
    assert "family emergency" in note
    (ask,) = harness.pending_request_buttons(other)
    assert harness.calendar.api_requests("PATCH") == []  # nothing changes before they confirm
    harness.click(ask["action_id"], ask["value"], other)
    # The same event, now with the replacement; no second event; everyone told.
    assert set(harness.calendar.events) == events_before
    assert attendees(harness, event_id) == {email(other), "ada@cand.example"}
    (patch,) = harness.calendar.api_requests("PATCH")
    assert event_id in patch.path and patch.query.get("sendUpdates") == "all"
    assert session_of(harness, request_id).state is SessionState.BOOKED
    assert harness.loops()[0].state is LoopState.BOOKED
    assert "calendar event is being updated" in harness.dms(RECRUITER)[-1]["text"]
    with session_scope(harness.engine) as session:
        reminders = session.exec(
            select(Reminder).where(
                Reminder.request_id == int(ask["value"]),
                Reminder.state == ReminderState.PENDING,
            )
        ).all()
    assert reminders  # the replacement gets the session reminders


def test_a_decline_in_calendar_is_replaced_and_the_same_event_patched(harness: Harness) -> None:
    """The sync's decline → `release_interviewer` → replacement → confirm → patch, and the
    bot's own patch is not reported as a change at the next sync."""
    from tests.slack.test_calendar_sync import (
        attention_dms,
        booked,
        seat_email,
        session_event,
        sync,
    )

    booked(harness)
    item, event = session_event(harness, "Retrospective")
    decliner, slack_id = seat_email(harness, item)
    other = RETRO[1] if slack_id == RETRO[0] else RETRO[0]
    harness.calendar.set_response(event["id"], decliner, "declined")
    sync(harness)
    assert "declined the invitation to *Retrospective*" in harness.dms(RECRUITER)[-1]["text"]
    (ask,) = harness.pending_request_buttons(other)
    harness.click(ask["action_id"], ask["value"], other)
    assert attendees(harness, event["id"]) == {email(other), "ada@cand.example"}
    assert harness.calendar.api_requests("PATCH")[-1].query.get("sendUpdates") == "all"
    told = len(harness.dms(RECRUITER))
    sync(harness)
    assert len(harness.dms(RECRUITER)) == told  # the bot's own patch is no news
    assert attention_dms(harness) == [] and harness.loops()[0].state is LoopState.BOOKED
