"""The state table, enumerated: every allowed move works, every other move is refused."""

from __future__ import annotations

import ast
import enum
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from storage.engine import session_scope
from storage.models import (
    Candidate,
    Interviewer,
    InterviewerRequest,
    InterviewSession,
    Loop,
    LoopState,
    RequestState,
    SessionState,
)
from storage.states import MOVES, IllegalMoveError, allowed, transition
from tests.slack.conftest import NOW

MODELS: list[tuple[type[SQLModel], type[enum.Enum]]] = [
    (Loop, LoopState),
    (InterviewSession, SessionState),
    (InterviewerRequest, RequestState),
]


def _rows(engine: Engine) -> dict[type[SQLModel], int]:
    with session_scope(engine) as session:
        person = Candidate(email="c@cand.example")
        who = Interviewer(email="i@corp.example")
        session.add_all([person, who])
        session.flush()
        loop = Loop(
            short_id="LSTATE",
            candidate_id=person.id or 0,
            template_key="t",
            recruiter_slack_id="U0R",
            candidate_timezone="UTC",
            window_start="2026-12-01",
            window_end="2026-12-02",
        )
        session.add(loop)
        session.flush()
        item = InterviewSession(
            loop_id=loop.id or 0,
            position=0,
            stage_name="s",
            title="S",
            pool="p",
            start=NOW,
            end=NOW,
        )
        session.add(item)
        session.flush()
        ask = InterviewerRequest(session_id=item.id or 0, interviewer_id=who.id or 0)
        session.add(ask)
        session.flush()
        return {Loop: loop.id or 0, InterviewSession: item.id or 0, InterviewerRequest: ask.id or 0}


def _put(engine: Engine, model: Any, row_id: int, state: enum.Enum) -> None:
    with engine.begin() as connection:
        connection.execute(sa.update(model).where(model.id == row_id).values(state=state))


def _state(engine: Engine, model: Any, row_id: int) -> enum.Enum:
    with session_scope(engine) as session:
        row = session.get(model, row_id)
        assert row is not None
        return row.state  # type: ignore[no-any-return]


def test_every_move_in_the_table_works_and_every_other_is_refused(engine: Engine) -> None:
    ids = _rows(engine)
    checked = 0
    for model, states in MODELS:
        row_id = ids[model]
        for source in states:
            for target in states:
                _put(engine, model, row_id, source)
                if allowed(model, source, target):
                    with session_scope(engine) as session:
                        assert transition(model, row_id, target, session=session)
                    assert _state(engine, model, row_id) == target, (model, source, target)
                    _put(engine, model, row_id, source)
                    with session_scope(engine) as session:  # default sources include `source`
                        assert transition(model, row_id, target, session=session)
                else:
                    with session_scope(engine) as session, pytest.raises(IllegalMoveError):
                        transition(model, row_id, target, session=session, expected=[source])
                    with session_scope(engine) as session:  # from wherever it is allowed
                        assert not transition(model, row_id, target, session=session)
                    assert _state(engine, model, row_id) == source, (model, source, target)
                checked += 1
    assert checked == sum(len(list(states)) ** 2 for _, states in MODELS)


def test_a_move_is_refused_once_someone_else_moved_the_row(engine: Engine) -> None:
    ids = _rows(engine)
    with session_scope(engine) as session:
        assert transition(Loop, ids[Loop], LoopState.PENDING, session=session)
    with session_scope(engine) as session:
        # a second chooser still believes the loop is PROPOSED
        assert not transition(
            Loop, ids[Loop], LoopState.PENDING, session=session, expected=[LoopState.PROPOSED]
        )
    assert _state(engine, Loop, ids[Loop]) is LoopState.PENDING


def test_terminal_states_have_no_way_out() -> None:
    assert MOVES[Loop][LoopState.CANCELLED] == frozenset()
    assert MOVES[Loop][LoopState.COMPLETED] == frozenset()
    assert MOVES[InterviewSession][SessionState.CANCELLED] == frozenset()
    assert MOVES[InterviewerRequest][RequestState.DECLINED] == frozenset()


def test_services_never_assign_a_state_directly() -> None:
    """Every state write in services goes through `transition` (a compare-and-set)."""
    root = Path(__file__).resolve().parents[2] / "bot" / "services"
    offenders = []
    for path in sorted(root.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Attribute) and leaf.attr == "state":
                        offenders.append(f"{path.name}:{node.lineno}")
            if isinstance(node, ast.Name) and node.id == "compare_and_set":
                offenders.append(f"{path.name}:{node.lineno} compare_and_set")
    assert offenders == []
