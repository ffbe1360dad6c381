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

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2}):(\d{2}))"
)
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Exact = int | Fraction
"""An instant in UTC seconds: an int, or a Fraction when the text had fractional seconds."""


def parse_instant(text: str) -> Exact:
    """Parse an RFC 3339 date-time with offset; raise ValueError with a short reason otherwise."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not an RFC 3339 date-time with offset")
    year, month, day, hour, minute, second, fraction, sign, off_h, off_m = match.groups()
    try:
        ordinal = date(int(year), int(month), int(day)).toordinal()
    except ValueError:
        raise ValueError(f"{text!r} has an impossible date") from None
    h, m, s = int(hour), int(minute), int(second)
    if h > 23 or m > 59 or s > 60:
        raise ValueError(f"{text!r} has an impossible time of day")
    value = (ordinal - _EPOCH_ORDINAL) * 86400 + h * 3600 + m * 60 + s
    if sign is not None:
        oh, om = int(off_h), int(off_m)
        if oh > 23 or om > 59:
            raise ValueError(f"{text!r} has an impossible UTC offset")
        offset = oh * 3600 + om * 60
        value += -offset if sign == "+" else offset
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


def to_datetime(seconds: int) -> datetime:
    """An aware UTC datetime for whole UTC seconds."""
    return _EPOCH + timedelta(seconds=seconds)
