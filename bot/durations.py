"""Durations as operators write them (`Nd`, `Nh`, `Nm`), shared by the org file and settings."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
_DURATION_WITH_SECONDS = re.compile(r"^\s*(\d+)\s*([dhms])\s*$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def parse_duration(text: str) -> timedelta:
    """Parse `90m`, `1h`, `2d`; raise ValueError with the offending text otherwise."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration like 30m, 1h or 2d")
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(**{_UNITS[unit]: amount})


def parse_interval(text: str) -> timedelta:
    """Parse `30s`, `2m`, `1h`, `7d` (settings that may be seconds long); positive only."""
    match = _DURATION_WITH_SECONDS.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration like 30s, 2m, 1h or 7d")
    amount, unit = int(match.group(1)), match.group(2)
    if amount <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    return timedelta(**{_UNITS[unit]: amount})


def parse_duration_list(text: str) -> tuple[timedelta, ...]:
    """Parse a comma-separated list such as `24h,1h` (empty parts are not allowed)."""
    if not text.strip():
        return ()
    return tuple(parse_duration(part) for part in text.split(","))


def format_duration(value: timedelta) -> str:
    """Render a duration the way operators write it, for messages."""
    minutes = int(value.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"
