"""The scheduling modal and the pure parsing of what the recruiter typed into it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.blocks.common import Block, clip, plain
from bot.grammar import UsageError, parse_email, parse_zone
from bot.ids import BlockId, CallbackId
from bot.planner.wallclock import ZoneClock
from bot.ports import TimeRange

OPTION_TEXT_MAX = 75
LINE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s+(.+)$")
SPAN = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)\s*-\s*([01]\d|2[0-4]):([0-5]\d)$")


def _input(
    block_id: BlockId, label: str, element: Block, optional: bool = False, hint: str | None = None
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id.value,
        "label": plain(label, 2000),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def schedule_modal(templates: Sequence[tuple[str, str]], default_zone: str) -> Block:
    """`templates` are (key, title) pairs; at most 100 fit a static select."""
    options = [
        {"text": plain(f"{title} ({key})", OPTION_TEXT_MAX), "value": key[:150]}
        for key, title in templates[:100]
    ]
    template_element: Block = {"type": "static_select", "action_id": "value", "options": options}
    if options:
        template_element["initial_option"] = options[0]
    return {
        "type": "modal",
        "callback_id": CallbackId.SCHEDULE_MODAL.value,
        "title": plain("Schedule interviews", 24),
        "submit": plain("Find times", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            _input(
                BlockId.CANDIDATE_NAME,
                "Candidate name",
                {"type": "plain_text_input", "action_id": "value", "max_length": 200},
            ),
            _input(
                BlockId.CANDIDATE_EMAIL,
                "Candidate email",
                {"type": "email_text_input", "action_id": "value"},
            ),
            _input(BlockId.TEMPLATE, "Loop template", template_element),
            _input(
                BlockId.TIMEZONE,
                "Candidate time zone",
                {"type": "plain_text_input", "action_id": "value", "initial_value": default_zone},
                hint="IANA name, e.g. Europe/London or America/Sao_Paulo",
            ),
            _input(
                BlockId.DATE_FROM,
                "Earliest date (candidate's)",
                {"type": "datepicker", "action_id": "value"},
                optional=True,
            ),
            _input(
                BlockId.DATE_TO,
                "Latest date (candidate's)",
                {"type": "datepicker", "action_id": "value"},
                optional=True,
            ),
            _input(
                BlockId.AVAILABILITY,
                "Candidate availability",
                {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "placeholder": plain("2026-12-02 09:00-12:00, 14:00-17:00", 150),
                },
                optional=True,
                hint="One date per line, in the candidate's time zone. Empty: their usual hours.",
            ),
            _input(
                BlockId.NOTES,
                "Notes for interviewers",
                {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "max_length": 1000,
                },
                optional=True,
            ),
        ],
    }


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
