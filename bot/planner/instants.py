"""RFC 3339 instants to and from whole UTC seconds.

Why hand-written: `datetime.fromisoformat` accepts far more than RFC 3339 (no offset, week dates,
missing seconds), and a request may hold thousands of busy intervals, so parsing must be both strict
and cheap.  Fractional seconds are kept exactly (as a `Fraction`) only when present, so callers can
compare instants exactly and round them in the direction their rule needs.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from functools import lru_cache

_RFC3339 = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})"
)
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Exact = int | Fraction
"""An instant in UTC seconds: an int, or a Fraction when the text had fractional seconds."""


# The three parts of an instant repeat a lot (thousands of busy intervals over a few weeks), so
# each is converted once; invalid parts raise and are therefore never cached.


@lru_cache(maxsize=8192)
def _day_seconds(text: str) -> int:
    year, month, day = int(text[0:4]), int(text[5:7]), int(text[8:10])
    return (date(year, month, day).toordinal() - _EPOCH_ORDINAL) * 86400


@lru_cache(maxsize=8192)
def _clock_seconds(text: str) -> int:
    hours, minutes, seconds = int(text[0:2]), int(text[3:5]), int(text[6:8])
    if hours > 23 or minutes > 59 or seconds > 60:
        raise ValueError("impossible time of day")
    return hours * 3600 + minutes * 60 + seconds


@lru_cache(maxsize=1024)
def _offset_seconds(text: str) -> int:
    if text in ("Z", "z"):
        return 0
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 23 or minutes > 59:
        raise ValueError("impossible UTC offset")
    return (hours * 3600 + minutes * 60) * (1 if text[0] == "+" else -1)


def parse_instant(text: str) -> Exact:
    """Parse an RFC 3339 date-time with offset; raise ValueError with a short reason otherwise."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not an RFC 3339 date-time with offset")
    day, clock, fraction, offset = match.groups()
    try:
        value = _day_seconds(day) + _clock_seconds(clock) - _offset_seconds(offset)
    except ValueError as error:
        reason = str(error) if "impossible" in str(error) else "impossible date"
        raise ValueError(f"{text!r} has an {reason}") from None
    if fraction is not None and fraction.strip("0"):
        return value + Fraction(int(fraction), 10 ** len(fraction))
    return value


def parse_date(text: str) -> date:
    """Parse a calendar date `YYYY-MM-DD`; raise ValueError with a short reason otherwise."""
    match = _DATE.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a date like 2026-12-02")
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise ValueError(f"{text!r} is an impossible date") from None


def format_instant(seconds: int) -> str:
    """Render whole UTC seconds as RFC 3339 in the `Z` form, e.g. `2026-12-02T14:00:00Z`."""
    moment = _EPOCH + timedelta(seconds=seconds)
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )
