"""Who the sandbox's people are and when they are busy, derived from the org file.

Busy times are plausible rather than random noise: each interviewer gets one to three meetings
on most working days, in their own zone and working hours, from a generator seeded by their
email, so the same org file gives the same week every time (relative to the sandbox's day).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.org import OrgConfig

MEETING_MINUTES = (30, 30, 45, 60, 60, 90)


@dataclass(frozen=True)
class Person:
    slack_id: str
    name: str
    email: str | None
    timezone: str
    role: str  # "recruiter" or "interviewer"
    pools: tuple[str, ...] = ()


def sandbox_slack_id(email: str) -> str:
    """A stable Slack-like id for someone the org file names only by email."""
    return "U" + hashlib.sha1(email.lower().encode()).hexdigest()[:9].upper()


def people(org: OrgConfig) -> list[Person]:
    """Recruiters first, then interviewers in file order (the page's "who are you" list)."""
    found: list[Person] = []
    for number, slack_id in enumerate(org.recruiters, start=1):
        found.append(Person(slack_id, f"Recruiter {number}", None, org.timezone, "recruiter"))
    recruiters = set(org.recruiters)
    for person in org.interviewers:
        slack_id = person.slack_id or sandbox_slack_id(person.email)
        if slack_id in recruiters:
            continue
        found.append(
            Person(
                slack_id,
                person.name or person.email.split("@")[0].title(),
                person.email,
                person.timezone or org.timezone,
                "interviewer",
                tuple(person.pools),
            )
        )
    return found


def busy_times(
    email: str, zone: str, first: date, days: int
) -> Iterator[tuple[datetime, datetime]]:
    """Meetings for `days` days from `first`, Monday to Friday, 09:00–17:00 in `zone`."""
    tz = ZoneInfo(zone)
    for offset in range(days):
        day = first + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        rng = random.Random(f"{email.lower()}|{day.isoformat()}")
        count = rng.choice((0, 1, 1, 2, 2, 3))
        starts = sorted(rng.sample(range(9 * 4, 16 * 4), count))  # quarter hours
        for quarter in starts:
            minutes = rng.choice(MEETING_MINUTES)
            start = datetime.combine(day, time(quarter // 4, quarter % 4 * 15), tz)
            yield start.astimezone(UTC), (start + timedelta(minutes=minutes)).astimezone(UTC)
