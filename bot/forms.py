"""Parsing what a recruiter submitted in the scheduling modal (built in bot/blocks/modal.py).

Pure: the view state in, a `ScheduleForm` or per-field error messages out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.blocks.common import clip
from bot.grammar import UsageError, parse_email, parse_zone
from bot.ids import BlockId
from bot.planner.wallclock import ZoneClock
from bot.ports import TimeRange

LINE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s+(.+)$")
SPAN = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)\s*-\s*([01]\d|2[0-4]):([0-5]\d)$")


@dataclass(frozen=True)
class ScheduleForm:
    name: str
    email: str
    template: str
    timezone: str
    date_from: date | None
    date_to: date | None
    availability: tuple[TimeRange, ...] | None
    notes: str | None


def _value(state: dict[str, Any], block: BlockId) -> Any:
    element = state.get(block.value, {}).get("value", {})
    kind = element.get("type")
    if kind == "static_select":
        selected = element.get("selected_option")
        return selected.get("value") if selected else None
    if kind == "datepicker":
        return element.get("selected_date")
    return element.get("value")


def parse_availability(text: str, zone: str) -> tuple[TimeRange, ...]:
    clock = ZoneClock(ZoneInfo(zone))
    spans: list[TimeRange] = []
    for number, raw in enumerate(text.strip().splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        match = LINE.match(line)
        if match is None:
            raise ValueError(f"line {number}: expected `YYYY-MM-DD HH:MM-HH:MM`")
        try:
            day = date.fromisoformat(match.group(1))
        except ValueError:
            raise ValueError(f"line {number}: {match.group(1)} is not a date") from None
        for part in match.group(2).split(","):
            span = SPAN.match(part.strip())
            if span is None:
                raise ValueError(f"line {number}: `{part.strip()}` is not like 09:00-12:00")
            a = int(span.group(1)) * 60 + int(span.group(2))
            b = int(span.group(3)) * 60 + int(span.group(4))
            if a >= b or b > 24 * 60:
                raise ValueError(f"line {number}: `{part.strip()}` ends before it starts")
            spans.append(
                TimeRange(
                    datetime.fromtimestamp(clock.to_utc(day, a), UTC),
                    datetime.fromtimestamp(clock.to_utc(day, b), UTC),
                )
            )
    if not spans:
        raise ValueError("no times given")
    return tuple(spans)


def parse_schedule_form(state: dict[str, Any]) -> ScheduleForm | dict[str, str]:
    """The form's values, or `{block_id: message}` for `response_action: errors`."""
    errors: dict[str, str] = {}
    name = (_value(state, BlockId.CANDIDATE_NAME) or "").strip()
    if not name:
        errors[BlockId.CANDIDATE_NAME] = "Enter the candidate's name."
    email = ""
    try:
        email = parse_email(_value(state, BlockId.CANDIDATE_EMAIL) or "")
    except UsageError as error:
        errors[BlockId.CANDIDATE_EMAIL] = error.problem
    template = _value(state, BlockId.TEMPLATE) or ""
    if not template:
        errors[BlockId.TEMPLATE] = "Choose a template."
    zone = (_value(state, BlockId.TIMEZONE) or "").strip()
    try:
        parse_zone(zone)
    except UsageError as error:
        errors[BlockId.TIMEZONE] = error.problem
        zone = ""
    date_from = _value(state, BlockId.DATE_FROM)
    date_to = _value(state, BlockId.DATE_TO)
    first = date.fromisoformat(date_from) if date_from else None
    last = date.fromisoformat(date_to) if date_to else None
    if first and last and last < first:
        errors[BlockId.DATE_TO] = "The latest date is before the earliest."
    availability = None
    raw = _value(state, BlockId.AVAILABILITY)
    if raw and raw.strip() and zone:
        try:
            availability = parse_availability(raw, zone)
        except ValueError as error:
            errors[BlockId.AVAILABILITY] = str(error)
    if errors:
        return {key: clip(message, 150) for key, message in errors.items()}
    notes = (_value(state, BlockId.NOTES) or "").strip() or None
    return ScheduleForm(name, email, template, zone, first, last, availability, notes)
