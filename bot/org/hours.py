"""Working hours as people write them (`mon-fri: "09:00-12:00,13:00-17:00"`), normalised to
the planner's form: `{"mon": [["09:00", "12:00"], ["13:00", "17:00"]], ...}`."""

from __future__ import annotations

import re

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")

WeekHours = dict[str, list[list[str]]]


def minutes_of(text: str) -> int:
    """`HH:MM` → minutes since midnight; `24:00` is allowed (end of day)."""
    match = _TIME.match(text.strip())
    if match is None or (match.group(1) == "24" and match.group(2) != "00"):
        raise ValueError(f"{text!r} is not a time like 09:00 (00:00 to 24:00)")
    return int(match.group(1)) * 60 + int(match.group(2))


def parse_days(spec: str) -> list[str]:
    """`mon-fri`, `sat`, `mon,wed,fri`, `fri-mon` (wrapping) → day keys in week order."""
    days: list[str] = []
    for part in spec.lower().replace(" ", "").split(","):
        if "-" in part:
            first, _, last = part.partition("-")
            for name in (first, last):
                if name not in DAYS:
                    raise ValueError(
                        f"unknown day {name!r} (use mon, tue, wed, thu, fri, sat, sun)"
                    )
            i, j = DAYS.index(first), DAYS.index(last)
            span = (j - i) % 7
            days.extend(DAYS[(i + k) % 7] for k in range(span + 1))
        elif part in DAYS:
            days.append(part)
        else:
            raise ValueError(f"unknown day {part!r} (use mon, tue, wed, thu, fri, sat, sun)")
    return [day for day in DAYS if day in days]


def parse_intervals(text: str) -> list[list[str]]:
    """`"09:00-12:00,13:00-17:00"` → `[["09:00","12:00"],["13:00","17:00"]]`, each non-empty."""
    intervals: list[list[str]] = []
    for part in text.split(","):
        start, sep, end = part.strip().partition("-")
        if not sep:
            raise ValueError(f"{part.strip()!r} is not an interval like 09:00-17:00")
        start_min, end_min = minutes_of(start), minutes_of(end)
        if start_min == 24 * 60:
            raise ValueError(f"{part.strip()!r} starts at 24:00; use 00:00 of the next day")
        if end_min <= start_min:
            raise ValueError(f"{part.strip()!r} ends before it starts")
        intervals.append([start.strip(), end.strip()])
    return intervals


def parse_week_hours(spec: dict[str, str]) -> WeekHours:
    """A mapping of day specs to interval lists; days named twice get both sets of intervals."""
    week: WeekHours = {}
    for day_spec, text in spec.items():
        try:
            days = parse_days(str(day_spec))
            intervals = parse_intervals(str(text))
        except ValueError as error:
            raise ValueError(f"{day_spec}: {error}") from None
        for day in days:
            week.setdefault(day, []).extend(intervals)
    return {
        day: sorted(week[day], key=lambda pair: minutes_of(pair[0])) for day in DAYS if day in week
    }
