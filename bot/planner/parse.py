"""The planning request's JSON form (CONTRACT.md section 5) to the validated model.

Why strict: the JSON dict is the interface between the Slack service, the offline `plan` command and
the planner, so a typo (`max_per_weak`) must fail loudly instead of silently meaning "unlimited".
Every error is a `PlanInputError` whose message is one line starting with the field's path, e.g.
`interviewers[2].timezone: unknown time zone 'Mars/Base'`.

Choices beyond the contract's text (documented in docs/planner.md): unknown fields are errors;
`null` for an optional field means its default; an interviewer's `busy`, `booked_interviews` and
`email` are optional; interviewer ids must be unique; a window spans at most 366 days within the
years 1900-9000; a loop has at most 12 stages; a session lasts at most a week.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import date
from fractions import Fraction
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.planner.instants import Exact, parse_date, parse_instant
from bot.planner.model import (
    MINUTES_PER_DAY,
    WEEKDAYS,
    Candidate,
    Interviewer,
    LoopSpec,
    Order,
    PlanInputError,
    PlanRequest,
    Settings,
    Span,
    Stage,
    WeekHours,
)

MAX_WINDOW_DAYS = 366
MAX_STAGES = 12
MAX_DURATION_MINUTES = 7 * 24 * 60
_MIN_YEAR, _MAX_YEAR = 1900, 9000
_HHMM = re.compile(r"(\d{2}):(\d{2})")

T = TypeVar("T")


def _week(start: int, end: int, days: tuple[str, ...]) -> WeekHours:
    return tuple(((start, end),) if day in days else () for day in WEEKDAYS)


INTERVIEWER_HOURS: WeekHours = _week(9 * 60, 17 * 60, WEEKDAYS[:5])
"""Contract default: Mon-Fri 09:00-17:00 in the interviewer's zone."""
CANDIDATE_HOURS: WeekHours = _week(9 * 60, 18 * 60, WEEKDAYS[:5])
"""Contract default: Mon-Fri 09:00-18:00 in the candidate's zone."""


def _show(value: object) -> str:
    """A short one-line rendering of a JSON value for error messages."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _object(
    value: object, path: str, allowed: tuple[str, ...], *, strict: bool = False
) -> Mapping[str, object]:
    """A JSON object. Fields the contract does not define are ignored (callers may annotate
    requests, e.g. with names), except where `strict`: a day key like `monday` in working
    hours would otherwise silently mean "not working that day"."""
    if not isinstance(value, dict):
        where = path or "request"
        raise PlanInputError(path, f"{where} must be an object, not {_kind(value)}")
    if strict:
        for key in value:
            if not isinstance(key, str) or key not in allowed:
                raise PlanInputError(
                    _join(path, str(key)), f"unknown field (allowed: {', '.join(allowed)})"
                )
    return value


def _required(obj: Mapping[str, object], key: str, path: str) -> object:
    value = obj.get(key)
    if value is None:
        raise PlanInputError(_join(path, key), "is required")
    return value


def _optional(
    obj: Mapping[str, object], key: str, path: str, convert: Callable[[object, str], T], default: T
) -> T:
    value = obj.get(key)
    return default if value is None else convert(value, _join(path, key))


def _string(value: object, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PlanInputError(path, f"must be a non-empty string, not {_show(value)}")
    return value


def _boolean(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise PlanInputError(path, f"must be true or false, not {_show(value)}")
    return value


def _integer(value: object, path: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        adjective = "positive" if minimum > 0 else "non-negative"
        raise PlanInputError(path, f"must be a {adjective} integer, not {_show(value)}")
    return value


def _positive(value: object, path: str) -> int:
    return _integer(value, path, 1)


def _non_negative(value: object, path: str) -> int:
    return _integer(value, path, 0)


def _list(value: object, path: str) -> list[object]:
    if not isinstance(value, list):
        raise PlanInputError(path, f"must be a list, not {_kind(value)}")
    return value


def _zone(value: object, path: str) -> ZoneInfo:
    name = _string(value, path)
    try:
        return ZoneInfo(name)
    except Exception:  # ZoneInfoNotFoundError, ValueError for malformed keys, OSError, ...
        raise PlanInputError(path, f"unknown time zone {name!r}") from None


def _instant(value: object, path: str) -> Exact:
    if not isinstance(value, str):
        raise PlanInputError(path, f"must be an RFC 3339 date-time string, not {_show(value)}")
    try:
        return parse_instant(value)
    except ValueError as error:
        raise PlanInputError(path, str(error)) from None


def _date(value: object, path: str) -> date:
    if not isinstance(value, str):
        raise PlanInputError(path, f"must be a date string like 2026-12-02, not {_show(value)}")
    try:
        parsed = parse_date(value)
    except ValueError as error:
        raise PlanInputError(path, str(error)) from None
    if not _MIN_YEAR <= parsed.year <= _MAX_YEAR:
        raise PlanInputError(path, f"year {parsed.year} is outside {_MIN_YEAR}-{_MAX_YEAR}")
    return parsed


def _wall_time(value: object, path: str, *, is_end: bool) -> int:
    if not isinstance(value, str) or (match := _HHMM.fullmatch(value)) is None:
        raise PlanInputError(path, f'must be a time like "09:30", not {_show(value)}')
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours == 24 and minutes == 0:
        if not is_end:
            raise PlanInputError(path, '"24:00" is only allowed as the end of an interval')
        return MINUTES_PER_DAY
    if hours > 23 or minutes > 59:
        raise PlanInputError(path, f"{value!r} is not a time of day")
    return hours * 60 + minutes


def _week_hours(value: object, path: str) -> WeekHours:
    obj = _object(value, path, WEEKDAYS, strict=True)
    days: list[tuple[tuple[int, int], ...]] = []
    for day in WEEKDAYS:
        day_path = _join(path, day)
        raw = obj.get(day)
        if raw is None:
            days.append(())
            continue
        intervals: list[tuple[int, int]] = []
        for index, pair in enumerate(_list(raw, day_path)):
            pair_path = f"{day_path}[{index}]"
            if not isinstance(pair, list) or len(pair) != 2:
                raise PlanInputError(
                    pair_path, f'must be a pair like ["09:00", "17:00"], not {_show(pair)}'
                )
            start = _wall_time(pair[0], f"{pair_path}[0]", is_end=False)
            end = _wall_time(pair[1], f"{pair_path}[1]", is_end=True)
            if end <= start:
                raise PlanInputError(
                    pair_path,
                    f"ends before it starts ({_show(pair)}); write time across "
                    "midnight as two intervals on consecutive days",
                )
            intervals.append((start, end))
        days.append(tuple(sorted(intervals)))
    return tuple(days)


def _spans(value: object, path: str, *, inward: bool) -> tuple[Span, ...]:
    """Intervals of instants; fractional seconds rounded inward (availability) or outward (busy).

    With whole-second sessions both roundings decide every rule exactly as the exact value would.
    """
    spans: list[Span] = []
    for index, item in enumerate(_list(value, path)):
        # Fast path for the common well-formed case; anything else gets the careful path below,
        # which also produces the error message.
        if type(item) is dict and len(item) == 2:
            start_text, end_text = item.get("start"), item.get("end")
            if type(start_text) is str and type(end_text) is str:
                try:
                    low, high = parse_instant(start_text), parse_instant(end_text)
                except ValueError:
                    pass
                else:
                    if type(low) is int and type(high) is int and low < high:
                        spans.append(Span(low, high))
                        continue
        item_path = f"{path}[{index}]"
        obj = _object(item, item_path, ("start", "end"))
        start = _instant(_required(obj, "start", item_path), f"{item_path}.start")
        end = _instant(_required(obj, "end", item_path), f"{item_path}.end")
        if end <= start:
            raise PlanInputError(
                f"{item_path}.end", f"{_show(obj['end'])} is not after start {_show(obj['start'])}"
            )
        if type(start) is int and type(end) is int:
            spans.append(Span(start, end))
        elif inward:
            low, high = math.ceil(start), math.floor(end)
            if low < high:
                spans.append(Span(low, high))
        else:
            spans.append(Span(math.floor(start), math.ceil(end)))
    return tuple(spans)


def _candidate(value: object, path: str) -> Candidate:
    obj = _object(value, path, ("timezone", "working_hours", "availability"))
    zone = _zone(_required(obj, "timezone", path), _join(path, "timezone"))
    hours = _optional(obj, "working_hours", path, _week_hours, CANDIDATE_HOURS)
    raw = obj.get("availability")
    availability = None
    if raw is not None:
        availability = _spans(raw, _join(path, "availability"), inward=True)
    return Candidate(zone, hours, availability)


def _duration(value: object, path: str) -> int:
    minutes = _positive(value, path)
    if minutes > MAX_DURATION_MINUTES:
        raise PlanInputError(path, f"{minutes} minutes is longer than a week")
    return minutes


def _stage(value: object, path: str) -> Stage:
    obj = _object(value, path, ("name", "duration_minutes", "pool", "interviewers"))
    return Stage(
        name=_string(_required(obj, "name", path), _join(path, "name")),
        duration_minutes=_duration(
            _required(obj, "duration_minutes", path), _join(path, "duration_minutes")
        ),
        pool=_string(_required(obj, "pool", path), _join(path, "pool")),
        interviewers=_optional(obj, "interviewers", path, _positive, 1),
    )


def _order(value: object, path: str) -> Order:
    if value == "fixed":
        return "fixed"
    if value == "any":
        return "any"
    raise PlanInputError(path, f'must be "fixed" or "any", not {_show(value)}')


def _loop(value: object, path: str) -> LoopSpec:
    obj = _object(
        value,
        path,
        ("stages", "same_day", "order", "min_break_minutes", "max_break_minutes"),
    )
    stages_path = _join(path, "stages")
    raw_stages = _list(_required(obj, "stages", path), stages_path)
    if not raw_stages:
        raise PlanInputError(stages_path, "must list at least one stage")
    if len(raw_stages) > MAX_STAGES:
        raise PlanInputError(stages_path, f"has {len(raw_stages)} stages; at most {MAX_STAGES}")
    stages: list[Stage] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_stages):
        stage = _stage(raw, f"{stages_path}[{index}]")
        if stage.name in seen:
            raise PlanInputError(
                f"{stages_path}[{index}].name",
                f"duplicate stage name {stage.name!r} (also {stages_path}[{seen[stage.name]}])",
            )
        seen[stage.name] = index
        stages.append(stage)
    return LoopSpec(
        stages=tuple(stages),
        same_day=_optional(obj, "same_day", path, _boolean, True),
        order=_optional(obj, "order", path, _order, "fixed"),
        min_break_minutes=_optional(obj, "min_break_minutes", path, _non_negative, 0),
        max_break_minutes=_optional(obj, "max_break_minutes", path, _non_negative, 60),
    )


def _pools(value: object, path: str) -> frozenset[str]:
    return frozenset(
        _string(item, f"{path}[{index}]") for index, item in enumerate(_list(value, path))
    )


def _cap(value: object, path: str) -> int | None:
    return _non_negative(value, path)


def _email(value: object, path: str) -> str | None:
    if not isinstance(value, str):
        raise PlanInputError(path, f"must be a string, not {_show(value)}")
    return value


def _interviewer(value: object, path: str) -> Interviewer:
    obj = _object(
        value,
        path,
        (
            "id",
            "email",
            "timezone",
            "pools",
            "working_hours",
            "busy",
            "booked_interviews",
            "max_per_day",
            "max_per_week",
        ),
    )
    return Interviewer(
        id=_string(_required(obj, "id", path), _join(path, "id")),
        email=_optional(obj, "email", path, _email, None),
        zone=_zone(_required(obj, "timezone", path), _join(path, "timezone")),
        pools=_pools(_required(obj, "pools", path), _join(path, "pools")),
        working_hours=_optional(obj, "working_hours", path, _week_hours, INTERVIEWER_HOURS),
        busy=_optional(obj, "busy", path, _outward_spans, ()),
        booked=_optional(obj, "booked_interviews", path, _outward_spans, ()),
        max_per_day=_optional(obj, "max_per_day", path, _cap, None),
        max_per_week=_optional(obj, "max_per_week", path, _cap, None),
    )


def _outward_spans(value: object, path: str) -> tuple[Span, ...]:
    return _spans(value, path, inward=False)


def _settings(value: object, path: str) -> Settings:
    obj = _object(
        value,
        path,
        ("slot_step_minutes", "min_notice_minutes", "buffer_minutes", "max_options"),
    )
    default = Settings()
    return Settings(
        slot_step_minutes=_optional(
            obj, "slot_step_minutes", path, _positive, default.slot_step_minutes
        ),
        min_notice_minutes=_optional(
            obj, "min_notice_minutes", path, _non_negative, default.min_notice_minutes
        ),
        buffer_minutes=_optional(obj, "buffer_minutes", path, _non_negative, 0),
        max_options=_optional(obj, "max_options", path, _positive, default.max_options),
    )


def _window(value: object, path: str) -> tuple[date, date]:
    obj = _object(value, path, ("start", "end"))
    start = _date(_required(obj, "start", path), _join(path, "start"))
    end = _date(_required(obj, "end", path), _join(path, "end"))
    if end < start:
        raise PlanInputError(_join(path, "end"), f"{end} is before window.start {start}")
    days = (end - start).days + 1
    if days > MAX_WINDOW_DAYS:
        raise PlanInputError(_join(path, "end"), f"window spans {days} days; at most 366")
    return start, end


def parse_request(data: object) -> PlanRequest:
    """Validate a planning request in its JSON form and apply the contract's defaults."""
    obj = _object(data, "", ("now", "window", "candidate", "loop", "interviewers", "settings"))
    now = _instant(_required(obj, "now", ""), "now")
    window_start, window_end = _window(_required(obj, "window", ""), "window")
    candidate = _candidate(_required(obj, "candidate", ""), "candidate")
    loop = _loop(_required(obj, "loop", ""), "loop")
    interviewers: list[Interviewer] = []
    seen: dict[str, int] = {}
    # No interviewers is a valid request with no possible loop, like an empty pool.
    people = obj.get("interviewers")
    for index, raw in enumerate(_list([] if people is None else people, "interviewers")):
        interviewer = _interviewer(raw, f"interviewers[{index}]")
        if interviewer.id in seen:
            raise PlanInputError(
                f"interviewers[{index}].id",
                f"duplicate id {interviewer.id!r} (also interviewers[{seen[interviewer.id]}])",
            )
        seen[interviewer.id] = index
        interviewers.append(interviewer)
    settings = _optional(obj, "settings", "", _settings, Settings())
    return PlanRequest(
        now=math.ceil(now) if isinstance(now, Fraction) else now,
        window_start=window_start,
        window_end=window_end,
        candidate=candidate,
        loop=loop,
        interviewers=tuple(interviewers),
        settings=settings,
    )
