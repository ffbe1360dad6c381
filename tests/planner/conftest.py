"""Shared helpers for the planner tests: request builders on top of the contract's JSON form."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import settings

settings.register_profile("planner-fresh", database=None)
"""`pytest --hypothesis-profile=planner-fresh` ignores saved examples (e.g. to mutation-test)."""

Request = dict[str, Any]

BASE_REQUEST: Request = {
    "now": "2026-12-01T08:00:00Z",
    "window": {"start": "2026-12-02", "end": "2026-12-02"},
    "candidate": {"timezone": "UTC", "working_hours": {"wed": [["09:00", "18:00"]]}},
    "loop": {
        "stages": [{"name": "talk", "duration_minutes": 60, "pool": "p"}],
    },
    "interviewers": [
        {
            "id": "U1",
            "timezone": "UTC",
            "pools": ["p"],
            "working_hours": {"wed": [["09:00", "17:00"]]},
        }
    ],
    "settings": {"slot_step_minutes": 15},
}
"""2026-12-02 is a Wednesday; one 60-minute stage, one interviewer, everything in UTC."""


@pytest.fixture
def request_dict() -> Request:
    return copy.deepcopy(BASE_REQUEST)
