"""Changes made in Google Calendar, end to end: the real bolt app and Slack client against the
fake Slack, the real Google client against the fake Calendar, the sync job run as the
scheduler runs it. Each person-made change is seen by an incremental sync (one request)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import select

from bot.services.calendar_sync import state
from bot.services.calendar_sync.job import CalendarSync, SyncReport
from storage.engine import session_scope
from storage.models import (
    AuditLog,
    Interviewer,
    InterviewerRequest,
    InterviewSession,
    LoopState,
    RequestState,
)
from tests.slack.conftest import RECRUITER, Harness

ALL = ("U01ANA", "U02BEN", "U03CHI", "U04DAN", "U05EVA", "U06FAY", "U07GUS")
WORKER = "test-replica"


def book_everything(harness: Harness) -> str:
    short_id = harness.book_first_option()
    for person in ALL:
        for button in harness.pending_request_buttons(person):
            harness.click(button["action_id"], button["value"], person)
    assert harness.loops()[0].state is LoopState.BOOKED
    assert len(harness.calendar.events) == 3
    return short_id


def sync(harness: Harness) -> SyncReport:
    report = CalendarSync(harness.services, worker_id=WORKER).run()
    harness.settle()
    assert report is not None
    return report


def booked(harness: Harness) -> str:
    """Book a loop and take the first (full) sync; returns the loop id."""
    short_id = book_everything(harness)
    first = sync(harness)
    assert first.full and first.reactions == 0
    return short_id


def session_event(harness: Harness, title: str) -> tuple[InterviewSession, dict[str, Any]]:
    with session_scope(harness.engine) as session:
        item = session.exec(select(InterviewSession).where(InterviewSession.title == title)).one()
    assert item.calendar_event_id is not None
    return item, harness.calendar.events[item.calendar_event_id]


def seat_email(harness: Harness, item: InterviewSession) -> tuple[str, str]:
    """(email, Slack id) of one confirmed interviewer of the session."""
    with session_scope(harness.engine) as session:
        ask = session.exec(
            select(InterviewerRequest).where(
                InterviewerRequest.session_id == item.id,
                InterviewerRequest.state == RequestState.CONFIRMED,
            )
        ).first()
        assert ask is not None
        person = session.get(Interviewer, ask.interviewer_id)
        assert person is not None and person.slack_id is not None
        return person.email, person.slack_id


def attention_dms(harness: Harness) -> list[dict[str, Any]]:
    return [m for m in harness.dms(RECRUITER) if "needs attention" in m["text"]]


def test_a_first_sync_is_full_and_later_ones_cost_one_request(harness: Harness) -> None:
    booked(harness)
    harness.calendar.reset_requests()
    quiet = sync(harness)
    assert not quiet.full and quiet.requests == 1 and quiet.events == 0
    (listing,) = harness.calendar.api_requests("GET", "/events")
    assert "syncToken" in listing.query
    assert attention_dms(harness) == []


def test_the_candidate_declining_puts_the_loop_in_attention_with_buttons(harness: Harness) -> None:
    short_id = booked(harness)
    _, event = session_event(harness, "Code review")
    harness.calendar.set_response(event["id"], "ada@cand.example", "declined")

    report = sync(harness)

    assert not report.full and report.requests == 1
    assert harness.loops()[0].state is LoopState.NEEDS_ATTENTION
    (notice,) = attention_dms(harness)
    assert f"`{short_id}`" in notice["text"] and "candidate declined" in notice["text"]
    found = harness.buttons(notice, "reschedule_loop") + harness.buttons(notice, "cancel_loop")
    buttons = {b["action_id"]: b["value"] for b in found}
    assert buttons == {f"reschedule_loop:{short_id}": short_id, f"cancel_loop:{short_id}": short_id}
    sync(harness)  # seen again (e.g. after a full resync): told once
    assert len(attention_dms(harness)) == 1


def test_a_deleted_event_is_reported_and_never_recreated(harness: Harness) -> None:
    short_id = booked(harness)
    _, event = session_event(harness, "Retrospective")
    harness.calendar.delete_by_someone_else(event["id"])
    harness.calendar.reset_requests()

    sync(harness)

    assert harness.loops()[0].state is LoopState.NEEDS_ATTENTION
    (notice,) = attention_dms(harness)
    assert f"`{short_id}`" in notice["text"] and "“Retrospective” event" in notice["text"]
    assert "deleted in Google Calendar" in notice["text"]
    assert event["id"] not in harness.calendar.events
    writes = [r for r in harness.calendar.api_requests() if r.method != "GET"]
    assert writes == []
    with session_scope(harness.engine) as session:
        actions = [a.action for a in session.exec(select(AuditLog))]
    assert "loop.calendar_changed" in actions


def test_a_moved_event_is_reported_and_not_moved_back(harness: Harness) -> None:
    short_id = booked(harness)
    item, event = session_event(harness, "Code review")
    later = item.start + timedelta(days=1)
    harness.calendar.move_by_someone_else(event["id"], later, later + timedelta(hours=1))
    harness.calendar.reset_requests()

    sync(harness)

    (notice,) = attention_dms(harness)
    assert f"`{short_id}`" in notice["text"] and "moved in Google Calendar" in notice["text"]
    assert harness.calendar.events[event["id"]]["start"]["dateTime"].startswith(
        later.strftime("%Y-%m-%dT%H:%M")
    )
    assert [r for r in harness.calendar.api_requests() if r.method != "GET"] == []
    status = harness.command(f"status {short_id}")
    assert status.status == 200
    shown = str(harness.slack.responses()[-1])
    assert "needs_attention" in shown and "changed in Google Calendar: the “Code review”" in shown


def test_accepted_and_tentative_answers_show_in_status(harness: Harness) -> None:
    short_id = booked(harness)
    item, event = session_event(harness, "Code review")
    email, slack_id = seat_email(harness, item)
    harness.calendar.set_response(event["id"], email, "accepted")
    retro, retro_event = session_event(harness, "Retrospective")
    retro_email, retro_id = seat_email(harness, retro)
    harness.calendar.set_response(retro_event["id"], retro_email, "tentative")

    sync(harness)

    assert harness.loops()[0].state is LoopState.BOOKED
    assert attention_dms(harness) == []
    harness.command(f"status {short_id}")
    shown = str(harness.slack.responses()[-1])
    assert f"<@{slack_id}> (invite accepted)" in shown
    assert f"<@{retro_id}> (invite tentative)" in shown


def test_an_interviewer_declining_in_calendar_is_handled(harness: Harness) -> None:
    short_id = booked(harness)
    item, event = session_event(harness, "Retrospective")
    email, _ = seat_email(harness, item)
    harness.calendar.set_response(event["id"], email, "declined")

    sync(harness)

    with session_scope(harness.engine) as session:
        asks = session.exec(
            select(InterviewerRequest).where(InterviewerRequest.session_id == item.id)
        ).all()
    assert any(a.calendar_response == "declined" for a in asks)
    told = [m for m in harness.dms(RECRUITER) if f"`{short_id}`" in m["text"]][-1]
    assert "declined" in told["text"]
    before = len(harness.dms(RECRUITER))
    sync(harness)
    assert len(harness.dms(RECRUITER)) == before  # handled once


def test_the_bots_own_cancel_is_not_reported(harness: Harness) -> None:
    short_id = booked(harness)
    harness.command(f'cancel {short_id} reason="withdrew"')
    assert harness.calendar.events == {}
    dms_before = len(harness.dms(RECRUITER))

    report = sync(harness)

    assert report.events == 3 and report.reactions == 0
    assert len(harness.dms(RECRUITER)) == dms_before
    assert harness.loops()[0].state is LoopState.CANCELLED


def test_the_bots_own_reschedule_is_not_reported(harness: Harness) -> None:
    short_id = booked(harness)
    harness.command(f"reschedule {short_id}")
    report = sync(harness)
    assert report.reactions == 0 and attention_dms(harness) == []
    assert harness.loops()[0].state is LoopState.PROPOSED


def test_a_410_triggers_a_full_resync_that_still_finds_deletes(harness: Harness) -> None:
    short_id = booked(harness)
    _, event = session_event(harness, "Design discussion")
    harness.calendar.expire_sync_tokens()
    harness.calendar.delete_by_someone_else(event["id"])
    harness.calendar.reset_requests()

    report = sync(harness)

    assert report.full
    statuses = [r.status for r in harness.calendar.api_requests("GET", "/events")]
    assert statuses[0] == 410
    (notice,) = attention_dms(harness)
    assert f"`{short_id}`" in notice["text"] and "deleted" in notice["text"]
    assert state.read(harness.engine).full_syncs == 2
    again = sync(harness)
    assert not again.full and again.requests == 1


def test_only_the_lease_holder_syncs(harness: Harness) -> None:
    booked(harness)
    now = datetime.now(UTC)  # leases are real time, not the business clock
    assert state.take_lease(harness.engine, "other-replica", now=now, ttl=timedelta(minutes=5))
    harness.calendar.reset_requests()
    assert CalendarSync(harness.services, worker_id=WORKER).run() is None
    assert harness.calendar.api_requests() == []
    assert state.read(harness.engine).requested_at is not None
    state.release_lease(harness.engine, "other-replica")
    assert sync(harness).requests == 1


def test_a_sync_asked_for_during_a_sync_runs_once_more(harness: Harness) -> None:
    booked(harness)
    harness.calendar.reset_requests()
    harness.calendar.latency = 0.3
    holder = CalendarSync(harness.services, worker_id=WORKER)
    running = threading.Thread(target=holder.run)
    running.start()
    deadline = time.monotonic() + 10
    while not harness.calendar.api_requests() and time.monotonic() < deadline:
        time.sleep(0.01)  # waiting for the first listing to be in flight, not for time to pass
    assert CalendarSync(harness.services, worker_id="push-replica").run() is None
    running.join(timeout=10)
    assert len(harness.calendar.api_requests("GET", "/events")) == 2


def test_a_decline_in_calendar_30_minutes_before_goes_to_the_recruiter(harness: Harness) -> None:
    short_id = booked(harness)
    item, event = session_event(harness, "Code review")
    email, _ = seat_email(harness, item)
    harness.clock.now = item.start - timedelta(minutes=30)
    harness.calendar.set_response(event["id"], email, "declined")
    harness.calendar.reset_requests()
    with session_scope(harness.engine) as session:
        asks_before = len(session.exec(select(InterviewerRequest)).all())

    sync(harness)

    told = harness.dms(RECRUITER)[-1]["text"]
    assert f"`{short_id}`" in told and ":rotating_light:" in told
    assert "declined the invitation to *Code review*, which starts in 30 minutes" in told
    with session_scope(harness.engine) as session:
        assert len(session.exec(select(InterviewerRequest)).all()) == asks_before  # nobody asked
    assert harness.loops()[0].state is LoopState.NEEDS_ATTENTION
    # No event is written (a replacement at the same time may be looked for: free/busy reads).
    writes = [r for r in harness.calendar.api_requests() if r.method != "GET"]
    assert [r for r in writes if "freeBusy" not in r.path] == []


def test_the_bots_own_patch_is_not_reported_before_or_after_it_lands(harness: Harness) -> None:
    from bot.services.calendar_intents import request_event_patch
    from bot.services.intent_worker import run_intents

    booked(harness)
    item, event = session_event(harness, "Code review")
    later = item.start + timedelta(hours=2)
    with session_scope(harness.engine) as session:  # the bot moves the session: DB first
        row = session.get(InterviewSession, item.id)
        assert row is not None and row.id is not None
        row.start, row.end = later, later + timedelta(hours=1)
        request_event_patch(row.id, session=session, now=harness.clock())

    email, _ = seat_email(harness, item)
    harness.calendar.set_response(event["id"], email, "accepted")
    before = sync(harness)  # the event still shows the old time, but the intent is open
    assert before.events == 1 and before.reactions == 0
    assert run_intents(harness.services, worker_id=WORKER) == 1
    moved = harness.calendar.events[event["id"]]
    assert moved["start"]["dateTime"].startswith(later.strftime("%Y-%m-%dT%H:%M"))

    after = sync(harness)  # the bot's own patch comes back as a change: it matches the DB
    assert after.events == 1 and after.reactions == 1  # only the answer is recorded
    assert attention_dms(harness) == [] and harness.loops()[0].state is LoopState.BOOKED


def test_an_interviewer_declining_in_calendar_gets_a_replacement_and_the_event_is_patched(
    harness: Harness,
) -> None:
    short_id = booked(harness)
    item, event = session_event(harness, "Retrospective")
    email, decliner = seat_email(harness, item)
    other = "U07GUS" if decliner == "U06FAY" else "U06FAY"
    harness.calendar.set_response(event["id"], email, "declined")

    sync(harness)

    note = harness.dms(RECRUITER)[-1]["text"]
    assert f"`{short_id}`" in note and "declined the invitation to *Retrospective*" in note
    (ask,) = harness.pending_request_buttons(other)
    assert attention_dms(harness) == []
    harness.calendar.reset_requests()
    harness.click(ask["action_id"], ask["value"], other)

    (patch,) = harness.calendar.api_requests("PATCH")
    assert patch.query["sendUpdates"] == "all"
    attendees = {a["email"] for a in harness.calendar.events[event["id"]]["attendees"]}
    assert attendees == {f"{other[3:].lower()}@corp.example", "ada@cand.example"}
    assert harness.loops()[0].state is LoopState.BOOKED
    dms = len(harness.dms(RECRUITER))
    echo = sync(harness)  # the bot's own patch comes back: not a change
    assert echo.events == 1 and len(harness.dms(RECRUITER)) == dms


def test_the_notices_buttons_resolve_the_loop(harness: Harness) -> None:
    booked(harness)
    _, event = session_event(harness, "Retrospective")
    harness.calendar.delete_by_someone_else(event["id"])
    sync(harness)
    (notice,) = attention_dms(harness)
    (cancel,) = harness.buttons(notice, "cancel_loop")

    harness.click(cancel["action_id"], cancel["value"], RECRUITER)

    assert harness.loops()[0].state is LoopState.CANCELLED
    assert harness.calendar.events == {}
    assert sync(harness).reactions == 0  # the bot's own deletes of the other two events
