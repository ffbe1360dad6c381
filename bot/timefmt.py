"""How times, dates and durations are written for people, in one place.

Every Slack message (proposals, requests, status, App Home, reminders, notices) formats
instants here, so a session reads the same in all of them. English day and month names come
from tables, not the process locale. Pure functions: no clock, no I/O.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def zone(name: str | None) -> tzinfo:
    """The named IANA zone, or UTC when the name is missing or unknown."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def local(instant: datetime, zone_name: str) -> datetime:
    """`instant` in the named zone (which must exist)."""
    return instant.astimezone(ZoneInfo(zone_name))


def zone_label(moment: datetime) -> str:
    """`GMT`, `PST`, `CET`; numeric abbreviations (`-03`, `+0545`) become `UTC-03:00`."""
    label = moment.tzname() or "UTC"
    if label[:1] not in "+-":
        return label
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def short_day(moment: datetime) -> str:
    """`Tue 8 Dec` for a local datetime."""
    return f"{_DAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]}"


def day_label(instant: datetime, zone_name: str) -> str:
    """`Wed 2 Dec 2026` in `zone_name`."""
    value = local(instant, zone_name)
    return f"{short_day(value)} {value.year}"


def clock_label(start: datetime, end: datetime, zone_name: str) -> str:
    """`14:00–15:00 GMT` in `zone_name` (abbreviation, or UTC offset where the zone has none)."""
    a, b = local(start, zone_name), local(end, zone_name)
    return f"{a:%H:%M}–{b:%H:%M} {zone_label(a)}"


def time_range(start: datetime, end: datetime, timezone: str | None) -> str:
    """`Tue 8 Dec, 14:00–15:00 GMT` in `timezone` (a range over midnight names both days)."""
    where = zone(timezone)
    local_start, local_end = start.astimezone(where), end.astimezone(where)
    if local_start.date() == local_end.date():
        return (
            f"{short_day(local_start)}, {local_start:%H:%M}–{local_end:%H:%M} "
            f"{zone_label(local_start)}"
        )
    return (
        f"{short_day(local_start)}, {local_start:%H:%M} {zone_label(local_start)} – "
        f"{short_day(local_end)}, {local_end:%H:%M} {zone_label(local_end)}"
    )


def duration(lead: timedelta) -> str:
    """`24 hours`, `1 hour`, `30 minutes`, `2 days`, `1 hour 30 minutes`."""
    minutes = max(0, int(lead.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days >= 2 and not hours and not minutes:
        return f"{days} day{'s' if days != 1 else ''}"
    hours += days * 24
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes or not parts:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)
