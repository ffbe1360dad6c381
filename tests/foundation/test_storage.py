from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage.engine import make_engine, session_scope
from storage.migrate import pending_model_changes, upgrade
from storage.models import Candidate, Loop, LoopState, ProcessedDelivery
from storage.repo import claim_delivery, compare_and_set


def _loop(session: Session, short_id: str = "L7F3K") -> Loop:
    candidate = Candidate(email=f"{short_id.lower()}@example.com", name="Ada")
    session.add(candidate)
    session.flush()
    assert candidate.id is not None
    loop = Loop(
        short_id=short_id,
        candidate_id=candidate.id,
        template_key="backend-swe",
        recruiter_slack_id="U0RECRUIT",
        candidate_timezone="Europe/London",
        window_start="2026-12-01",
        window_end="2026-12-10",
    )
    session.add(loop)
    session.flush()
    return loop


def test_migrations_match_models(engine: Engine) -> None:
    assert pending_model_changes(engine) == []


def test_upgrade_is_idempotent(database_url: str) -> None:
    upgrade(database_url)
    upgrade(database_url)
    engine = make_engine(database_url)
    assert "loop" in sa.inspect(engine).get_table_names()
    engine.dispose()


def test_sqlite_connection_settings(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/p.db")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    engine.dispose()


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(sa.exc.IntegrityError), session_scope(engine) as session:
        session.add(
            Loop(
                short_id="LBAD1",
                candidate_id=999,
                template_key="x",
                recruiter_slack_id="U1",
                candidate_timezone="UTC",
                window_start="2026-12-01",
                window_end="2026-12-02",
            )
        )
    with session_scope(engine) as session:
        assert session.exec(select(Loop)).all() == []


def test_datetimes_come_back_aware_utc(engine: Engine) -> None:
    kolkata = timezone(timedelta(hours=5, minutes=30))
    with session_scope(engine) as session:
        candidate = Candidate(
            email="a@example.com", created_at=datetime(2026, 3, 1, 9, 0, tzinfo=kolkata)
        )
        session.add(candidate)
    with session_scope(engine) as session:
        row = session.exec(select(Candidate)).one()
        assert row.created_at == datetime(2026, 3, 1, 3, 30, tzinfo=UTC)
        assert row.created_at.tzinfo is UTC


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    with pytest.raises(sa.exc.StatementError), session_scope(engine) as session:
        session.add(Candidate(email="b@example.com", created_at=datetime(2026, 3, 1, 9, 0)))


def test_compare_and_set_only_moves_from_expected_state(engine: Engine) -> None:
    with session_scope(engine) as session:
        loop_id = _loop(session).id
    assert loop_id is not None
    with session_scope(engine) as session:
        assert compare_and_set(
            Loop,
            loop_id,
            session=session,
            expected=[LoopState.PROPOSED],
            values={"state": LoopState.PENDING},
        )
        assert not compare_and_set(
            Loop,
            loop_id,
            session=session,
            expected=[LoopState.PROPOSED],
            values={"state": LoopState.CANCELLED},
        )
    with session_scope(engine) as session:
        assert session.get(Loop, loop_id).state is LoopState.PENDING  # type: ignore[union-attr]


def test_concurrent_compare_and_set_has_one_winner(engine: Engine) -> None:
    with session_scope(engine) as session:
        loop_id = _loop(session).id
    assert loop_id is not None
    barrier = threading.Barrier(8)
    wins: list[bool] = []
    lock = threading.Lock()

    def contender(target: LoopState) -> None:
        barrier.wait()
        with session_scope(engine) as session:
            won = compare_and_set(
                Loop,
                loop_id,
                session=session,
                expected=[LoopState.PROPOSED],
                values={"state": target},
            )
        with lock:
            wins.append(won)

    targets = [LoopState.PENDING, LoopState.CANCELLED] * 4
    threads = [threading.Thread(target=contender, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False] * 7 + [True]


def test_delivery_keys_are_claimed_once(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert claim_delivery("cmd:abc", session=session)
        assert not claim_delivery("cmd:abc", session=session)
    with session_scope(engine) as session:
        assert not claim_delivery("cmd:abc", session=session)
        assert len(session.exec(select(ProcessedDelivery)).all()) == 1
