"""Free/busy for many calendars: ≤50 calendars and ≤60 days per query, queries run concurrently.

A calendar that Google answers with `errors` (inside a 200) is *unknown*: it comes back as
`CalendarBusy(error="notFound: …")`, never as free. A query that fails for good (after retries)
fails the whole call with a `CalendarError`: a plan built on a partial picture would be wrong.

Results are cached for a short TTL per (calendar, window) in a `cachetools.TTLCache`;
`invalidate(emails)` drops a calendar's entries, and a query that was already in flight when
its calendar was invalidated does not write its (possibly stale) answer back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, Future
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from cachetools import TTLCache

from bot.ports import CalendarBusy, TimeRange
from integrations.google.service import CalendarApi

T = TypeVar("T")

MAX_CALENDARS_PER_QUERY = 50
MAX_QUERY_SPAN = timedelta(days=60)
DEFAULT_CACHE_TTL = 60.0
DEFAULT_CACHE_ENTRIES = 20_000

REASON_TEXT = {
    "notFound": "no such calendar, or the organizer cannot see its free/busy",
    "internalError": "Google could not read this calendar just now",
    "backendError": "Google could not read this calendar just now",
    "groupTooBig": "the group has too many members to expand",
    "tooManyCalendarsRequested": "too many calendars in one query",
}


def rfc3339(moment: datetime) -> str:
    """An aware datetime as RFC 3339 in UTC with a `Z` suffix."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: calendar times must be aware")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_rfc3339(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:  # Google always sends an offset; be strict but forgiving
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def chunked(items: Sequence[T], size: int) -> list[list[T]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def split_window(
    start: datetime, end: datetime, max_span: timedelta = MAX_QUERY_SPAN
) -> list[tuple[datetime, datetime]]:
    """Consecutive sub-windows of at most `max_span` covering `[start, end)`."""
    windows = []
    cursor = start
    while cursor < end:
        stop = min(end, cursor + max_span)
        windows.append((cursor, stop))
        cursor = stop
    return windows


def merge_ranges(ranges: Iterable[TimeRange]) -> tuple[TimeRange, ...]:
    """Sort and merge overlapping or touching busy intervals (busy is busy)."""
    merged: list[TimeRange] = []
    for item in sorted(ranges, key=lambda r: (r.start, r.end)):
        if item.end <= item.start:
            continue
        if merged and item.start <= merged[-1].end:
            if item.end > merged[-1].end:
                merged[-1] = TimeRange(merged[-1].start, item.end)
        else:
            merged.append(item)
    return tuple(merged)


def describe_calendar_errors(errors: Any) -> str:
    """`[{"domain": "global", "reason": "notFound"}]` → "notFound: no such calendar, …"."""
    reasons = []
    if isinstance(errors, list):
        for error in errors:
            if isinstance(error, dict):
                reasons.append(str(error.get("reason") or error.get("domain") or "error"))
    reasons = list(dict.fromkeys(reasons)) or ["error"]
    first = reasons[0]
    text = REASON_TEXT.get(first, "Google could not report this calendar's free/busy")
    return f"{', '.join(reasons)}: {text}"


class FreeBusyCache:
    """Per-calendar answers keyed by (calendar, start, end) in a `cachetools.TTLCache`.

    What it adds to the TTLCache: a lock (TTLCache is not thread-safe), case-folded keys, no
    caching of unknown calendars, and epochs, so an answer fetched before its calendar was
    invalidated is not written back.
    """

    def __init__(
        self,
        ttl: float = DEFAULT_CACHE_TTL,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = DEFAULT_CACHE_ENTRIES,
    ) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._entries: TTLCache[tuple[str, datetime, datetime], CalendarBusy] = TTLCache(
            maxsize=max_entries, ttl=max(ttl, 0.0), timer=clock
        )
        self._epoch = 0
        self._invalidated_at: dict[str, int] = {}
        self._cleared_at = 0

    @staticmethod
    def _key(email: str, start: datetime, end: datetime) -> tuple[str, datetime, datetime]:
        return (email.casefold(), start.astimezone(UTC), end.astimezone(UTC))

    def epoch(self) -> int:
        """A token to pass to `put` so answers invalidated meanwhile are not stored."""
        with self._lock:
            return self._epoch

    def get(self, email: str, start: datetime, end: datetime) -> CalendarBusy | None:
        if self.ttl <= 0:
            return None
        with self._lock:
            return self._entries.get(self._key(email, start, end))

    def put(
        self, email: str, start: datetime, end: datetime, value: CalendarBusy, since: int
    ) -> None:
        if self.ttl <= 0 or value.error is not None:
            return  # unknown calendars are asked again next time
        key = self._key(email, start, end)
        with self._lock:
            if self._cleared_at > since or self._invalidated_at.get(key[0], -1) > since:
                return
            self._entries[key] = value

    def invalidate(self, emails: Iterable[str]) -> None:
        with self._lock:
            self._epoch += 1
            folded = {email.casefold() for email in emails}
            for email in folded:
                self._invalidated_at[email] = self._epoch
            for key in [k for k in self._entries if k[0] in folded]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._epoch += 1
            self._cleared_at = self._epoch
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            self._entries.expire()
            return len(self._entries)


def run_all(executor: Callable[[], Executor], tasks: Sequence[Callable[[], T]]) -> list[T]:
    """Run tasks concurrently (inline when there is one); results in order.

    Waits for every task, then raises the first failure in task order.
    """
    if len(tasks) == 1:
        return [tasks[0]()]
    pool = executor()
    futures: list[Future[T]] = [pool.submit(task) for task in tasks]
    errors = [future.exception() for future in futures]  # waits for all of them
    for error in errors:
        if error is not None:
            raise error
    return [future.result() for future in futures]


class FreeBusyReader:
    """Answers `free_busy` for any number of calendars over any window."""

    def __init__(
        self,
        api: CalendarApi,
        executor: Callable[[], Executor],
        cache: FreeBusyCache,
        *,
        max_calendars: int = MAX_CALENDARS_PER_QUERY,
        max_span: timedelta = MAX_QUERY_SPAN,
    ) -> None:
        self.api = api
        self.cache = cache
        self._executor = executor
        self.max_calendars = max_calendars
        self.max_span = max_span

    def query(
        self, emails: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, CalendarBusy]:
        for moment in (start, end):
            rfc3339(moment)  # raises ValueError on naive datetimes
        if end < start:
            raise ValueError(f"free/busy window ends ({end}) before it starts ({start})")
        first_spelling: dict[str, str] = {}
        for email in emails:
            first_spelling.setdefault(email.casefold(), email)
        unique = list(first_spelling.values())
        answers: dict[str, CalendarBusy] = {}
        missing = []
        for email in unique:
            cached = self.cache.get(email, start, end)
            if cached is not None:
                answers[email.casefold()] = cached
            else:
                missing.append(email)
        if missing and end > start:
            since = self.cache.epoch()
            fetched = self._fetch(missing, start, end)
            for email in missing:
                value = fetched[email.casefold()]
                answers[email.casefold()] = value
                self.cache.put(email, start, end, value, since)
        elif missing:  # empty window: nothing can be busy in it
            answers.update({email.casefold(): CalendarBusy() for email in missing})
        return {email: answers[email.casefold()] for email in emails}

    def _fetch(self, emails: list[str], start: datetime, end: datetime) -> dict[str, CalendarBusy]:
        windows = split_window(start, end, self.max_span)
        chunks = chunked(emails, self.max_calendars)

        def task(
            chunk: list[str], window: tuple[datetime, datetime]
        ) -> Callable[[], dict[str, tuple[list[TimeRange], str | None]]]:
            return lambda: self._query_chunk(chunk, window[0], window[1])

        tasks = [task(chunk, window) for chunk in chunks for window in windows]
        busy: dict[str, list[TimeRange]] = {email.casefold(): [] for email in emails}
        errors: dict[str, str] = {}
        for partial in run_all(self._executor, tasks):
            for folded, (ranges, error) in partial.items():
                busy[folded].extend(ranges)
                if error is not None:
                    errors.setdefault(folded, error)
        return {
            folded: CalendarBusy(error=errors[folded])
            if folded in errors
            else CalendarBusy(busy=merge_ranges(ranges))
            for folded, ranges in busy.items()
        }

    def _query_chunk(
        self, chunk: list[str], start: datetime, end: datetime
    ) -> dict[str, tuple[list[TimeRange], str | None]]:
        body = {
            "timeMin": rfc3339(start),
            "timeMax": rfc3339(end),
            "timeZone": "UTC",
            "items": [{"id": email} for email in chunk],
        }
        sample = ", ".join(chunk[:3]) + (f" and {len(chunk) - 3} more" if len(chunk) > 3 else "")
        what = f"Google free/busy query for {sample} ({body['timeMin']} to {body['timeMax']})"
        response = self.api.call(what, lambda service: service.freebusy().query(body=body))
        calendars = response.get("calendars") if isinstance(response, dict) else None
        by_folded = {
            str(key).casefold(): value
            for key, value in (calendars or {}).items()
            if isinstance(value, dict)
        }
        result: dict[str, tuple[list[TimeRange], str | None]] = {}
        for email in chunk:
            entry = by_folded.get(email.casefold())
            if entry is None:
                result[email.casefold()] = ([], "missing: Google returned nothing for it")
            elif entry.get("errors"):
                result[email.casefold()] = ([], describe_calendar_errors(entry["errors"]))
            else:
                try:
                    ranges = [
                        TimeRange(parse_rfc3339(item["start"]), parse_rfc3339(item["end"]))
                        for item in entry.get("busy") or []
                    ]
                except (KeyError, TypeError, ValueError) as error:
                    result[email.casefold()] = ([], f"unreadable answer from Google ({error})")
                else:
                    result[email.casefold()] = (ranges, None)
        return result
