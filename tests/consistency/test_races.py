"""Real concurrency: threads and replica processes racing the same loop; kill -9 mid-way.

Runs on SQLite and PostgreSQL (the `postgres`-marked parameter); PostgreSQL is where
transactions really overlap (on SQLite every writer begins IMMEDIATE, one at a time).
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from sqlmodel import select

from bot.org import parse_org
from bot.org.sync import sync_org
from bot.services import answers, loops
from bot.services.choose import choose
from bot.services.intent_worker import LEASE, run_intents
from bot.services.sweeper import sweep
from storage.engine import session_scope
from storage.models import AuditLog, InterviewerRequest, Loop, LoopState, RequestState
from tests.consistency.helpers import (
    confirm_all,
    inconsistencies,
    loop_id_of,
    open_intents,
    pending_requests,
)
from tests.consistency.replica import ReplicaConfig, confirm_in_replica, decline_in_replica
from tests.slack.conftest import ORGANIZER, RECRUITER, Harness, org_data

SPAWN = multiprocessing.get_context("spawn")


def _race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at the same moment on separate threads; their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def _loop(harness: Harness, loop_id: int) -> Loop:
    with session_scope(harness.engine) as session:
        loop = session.get(Loop, loop_id)
        assert loop is not None
        return loop


def _audits(harness: Harness, loop_id: int, action: str) -> int:
    with session_scope(harness.engine) as session:
        rows = session.exec(
            select(AuditLog).where(AuditLog.loop_id == loop_id, AuditLog.action == action)
        ).all()
        return len(rows)


def _config(harness: Harness, fault: str | None = None) -> ReplicaConfig:
    settings = harness.services.settings
    assert settings.google_service_account_file is not None
    return ReplicaConfig(
        database_url=str(harness.engine.url.render_as_string(hide_password=False)),
        slack_url=harness.slack.url,
        slack_token=harness.slack.bot_token,
        calendar_url=harness.calendar.url,
        key_file=str(settings.google_service_account_file),
        organizer=ORGANIZER,
        now=harness.clock.now,
        fault=fault,
    )


def _booked_once(harness: Harness, loop_id: int) -> None:
    assert _loop(harness, loop_id).state is LoopState.BOOKED
    assert _audits(harness, loop_id, "loop.booking") == 1
    assert _audits(harness, loop_id, "loop.booked") == 1
    assert open_intents(harness.engine) == 0
    assert inconsistencies(harness.engine, harness.calendar) == []


def test_racing_last_confirms_on_threads_book_exactly_once(harness: Harness) -> None:
    for _ in range(3):
        loop_id = loop_id_of(harness.engine, harness.book_first_option())
        (a, user_a), (b, user_b) = confirm_all(harness.services, loop_id, leave=2)
        results = _race(
            partial(answers.confirm, harness.services, request_id=a, user_id=user_a),
            partial(answers.confirm, harness.services, request_id=b, user_id=user_b),
        )
        assert [r.outcome for r in results] == ["confirmed", "confirmed"]
        _booked_once(harness, loop_id)
    assert len(harness.calendar.events) == 9


def test_racing_last_confirms_in_two_replica_processes_book_exactly_once(
    harness: Harness,
) -> None:
    for _ in range(2):
        loop_id = loop_id_of(harness.engine, harness.book_first_option())
        last_two = confirm_all(harness.services, loop_id, leave=2)
        barrier = SPAWN.Barrier(2)
        results = SPAWN.Queue()
        config = _config(harness)
        processes = [
            SPAWN.Process(
                target=confirm_in_replica, args=(config, request_id, user, barrier, results)
            )
            for request_id, user in last_two
        ]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=120)
        assert [p.exitcode for p in processes] == [0, 0]
        outcomes = [results.get(timeout=5), results.get(timeout=5)]
        assert outcomes == ["confirmed", "confirmed"]
        _booked_once(harness, loop_id)


def test_confirm_racing_decline_of_one_request_records_one_answer(harness: Harness) -> None:
    loop_id = loop_id_of(harness.engine, harness.book_first_option())
    for request_id, user in pending_requests(harness.engine, loop_id)[:3]:
        results = _race(
            partial(answers.confirm, harness.services, request_id=request_id, user_id=user),
            partial(answers.decline, harness.services, request_id=request_id, user_id=user),
        )
        outcomes = sorted(r.outcome for r in results)
        assert outcomes in (["already", "confirmed"], ["already", "declined"])
        winner = next(r.outcome for r in results if r.outcome != "already")
        with session_scope(harness.engine) as session:
            ask = session.get(InterviewerRequest, request_id)
            assert ask is not None
            assert ask.state.value == winner
        assert inconsistencies(harness.engine, harness.calendar, idle=False) == []


def test_cancel_racing_the_booking_leaves_no_event(harness: Harness) -> None:
    harness.calendar.latency = 0.05  # inserts take a while, so the cancel lands among them
    for _ in range(3):
        short_id = harness.book_first_option()
        loop_id = loop_id_of(harness.engine, short_id)
        [(request_id, user)] = confirm_all(harness.services, loop_id, leave=1)
        _race(
            partial(answers.confirm, harness.services, request_id=request_id, user_id=user),
            partial(
                loops.cancel, harness.services, short_id=short_id, user_id=RECRUITER, reason=None
            ),
        )
        run_intents(harness.services)
        assert _loop(harness, loop_id).state is LoopState.CANCELLED
        assert open_intents(harness.engine) == 0
        assert harness.calendar.events == {}
        assert inconsistencies(harness.engine, harness.calendar) == []


def test_choose_racing_choose_across_recruiters_never_double_books(harness: Harness) -> None:
    data = org_data()
    data["recruiters"] = [RECRUITER, "U0RECRUI2"]
    with session_scope(harness.engine) as session:
        sync_org(parse_org(data), session=session)
    first = harness.propose()
    harness.command(
        'schedule bea@cand.example backend-swe name="Bea" tz=Europe/London '
        "from=2026-12-02 to=2026-12-04",
        user="U0RECRUI2",
    )
    second = harness.dms("U0RECRUI2")[-1]
    a = harness.buttons(first, "choose_option")[0]["value"].split(":")[0]
    b = harness.buttons(second, "choose_option")[0]["value"].split(":")[0]
    with session_scope(harness.engine) as session:
        options = {
            loop.short_id: loop.proposals[0]  # type: ignore[index]
            for loop in session.exec(select(Loop)).all()
        }
    assert options[a] == options[b]  # both recruiters were offered the very same slots
    results = _race(
        lambda: choose(harness.services, short_id=a, index=0, user_id=RECRUITER),
        lambda: choose(harness.services, short_id=b, index=0, user_id="U0RECRUI2"),
    )
    assert sorted(r.outcome for r in results) == ["booked", "stale"]
    pending = [loop for loop in harness.loops() if loop.state is LoopState.PENDING]
    assert len(pending) == 1


FAULTS = [
    "confirm.before_commit",
    "intent.before_insert",
    "intent.after_insert",
    "intent.before_commit",
]


@pytest.mark.parametrize("fault", FAULTS)
def test_kill_9_at_any_point_then_restart_converges(harness: Harness, fault: str) -> None:
    loop_id = loop_id_of(harness.engine, harness.book_first_option())
    [(request_id, user)] = confirm_all(harness.services, loop_id, leave=1)
    process = SPAWN.Process(
        target=confirm_in_replica, args=(_config(harness, fault), request_id, user)
    )
    process.start()
    process.join(timeout=120)
    assert process.exitcode == -9  # killed at the fault point
    if fault == "confirm.before_commit":
        # Nothing was recorded: to the interviewer the click failed, and they click again.
        with session_scope(harness.engine) as session:
            ask = session.get(InterviewerRequest, request_id)
            assert ask is not None and ask.state is RequestState.PENDING
        answers.confirm(harness.services, request_id=request_id, user_id=user)
    # The restart: the dead replica's leases run out, and the sweeper picks everything up.
    harness.clock.now += LEASE + timedelta(seconds=1)
    sweep(harness.services, holder="restarted")
    _booked_once(harness, loop_id)
    assert len(harness.calendar.events) == 3


def test_kill_9_after_a_decline_then_restart_finds_cover(harness: Harness) -> None:
    loop_id = loop_id_of(harness.engine, harness.book_first_option())
    design = {"U03CHI", "U04DAN", "U05EVA"}  # a pool with someone left to ask, same zone
    request_id, user = next(
        (r, u) for r, u in pending_requests(harness.engine, loop_id) if u in design
    )
    with session_scope(harness.engine) as session:
        ask = session.get(InterviewerRequest, request_id)
        assert ask is not None
        session_id = ask.session_id
    process = SPAWN.Process(
        target=decline_in_replica,
        args=(_config(harness, "decline.before_cover"), request_id, user),
    )
    process.start()
    process.join(timeout=120)
    assert process.exitcode == -9
    [other] = _holders(harness, session_id)  # the panel's second seat; nobody new was asked
    sweep(harness.services, holder="restarted")  # too soon: the decline may still be handled
    assert _holders(harness, session_id) == [other]
    harness.clock.now += timedelta(minutes=3)
    sweep(harness.services, holder="restarted")
    replacement = _holders(harness, session_id)
    assert len(replacement) == 2 and request_id not in replacement
    sweep(harness.services, holder="restarted")  # covered: nothing more happens
    assert _holders(harness, session_id) == replacement
    assert _loop(harness, loop_id).state is LoopState.PENDING


def _holders(harness: Harness, session_id: int) -> list[int]:
    with session_scope(harness.engine) as session:
        rows = session.exec(
            select(InterviewerRequest.id).where(
                InterviewerRequest.session_id == session_id,
                InterviewerRequest.state == RequestState.PENDING,
            )
        ).all()
        return [r for r in rows if r is not None]
