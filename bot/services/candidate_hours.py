"""When a candidate can be interviewed, as UTC intervals over the loop's window.

Their stated availability if they gave one; else their weekly wall-clock hours (or the org's
default candidate hours) expanded day by day in their zone, DST included.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.planner.wallclock import ZoneClock, week_hours_to_utc
from bot.services.planning import parse_instant
from storage.models import Loop

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def candidate_intervals(
    loop: Loop, org_defaults: dict[str, Any]
) -> list[tuple[datetime, datetime]]:
    """When the candidate can be interviewed: their stated availability, else their hours."""
    original = loop.request or {}
    availability = original.get("candidate", {}).get("availability")
    if availability is not None:
        return [(parse_instant(a["start"]), parse_instant(a["end"])) for a in availability]
    hours_json = original.get("candidate", {}).get("working_hours") or org_defaults.get(
        "candidate_hours", {}
    )
    hours = tuple(
        tuple((_minutes(a), _minutes(b)) for a, b in hours_json.get(day, [])) for day in DAYS
    )
    clock = ZoneClock(ZoneInfo(loop.candidate_timezone))
    spans = week_hours_to_utc(
        clock, hours, date.fromisoformat(loop.window_start), date.fromisoformat(loop.window_end)
    )
    return [(datetime.fromtimestamp(a, UTC), datetime.fromtimestamp(b, UTC)) for a, b in spans]


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)
