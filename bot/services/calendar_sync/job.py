"""One calendar sync: leased, incremental with the stored token, full after a 410.

    sync = CalendarSync(services, worker_id="host:pid")
    sync.run()        # from the APScheduler job every CALENDAR_SYNC_EVERY, and after a push

Only the lease holder syncs; a replica that finds the lease taken records a request instead, and
the holder syncs once more before letting go, so a push that arrives mid-sync is never lost.
The new token is stored only after every reaction was carried out: if one fails, the next run
sees the same changes again (reactions are idempotent against the database).

A full resync lists the bot's own upcoming events (a fresh token first) and also reads each
event the database expects but the listing lacks (deleted, or moved into the past).
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.ports import CalendarEvent, CalendarPort, EventListing, SyncTokenExpiredError
from bot.services.calendar_sync import channel, state
from bot.services.calendar_sync.classify import Reaction, SessionFacts, classify
from bot.services.calendar_sync.facts import load_facts, upcoming_event_ids
from bot.services.calendar_sync.reactions import apply
from bot.services.context import Services
from storage.engine import read_scope

log = logging.getLogger(__name__)
DEFAULT_LEASE = timedelta(minutes=5)
MAX_RERUNS = 3


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class SyncReport:
    full: bool
    requests: int  # Calendar API requests this sync made
    events: int  # events listed
    reactions: int


class CalendarSync:
    def __init__(
        self,
        services: Services,
        *,
        worker_id: str | None = None,
        lease: timedelta = DEFAULT_LEASE,
    ) -> None:
        self.services = services
        self.worker_id = worker_id or default_worker_id()
        self.lease = lease

    def run(self) -> SyncReport | None:
        """Sync now if this replica gets the lease; None when another one holds it."""
        calendar = self.services.calendar
        if calendar is None:
            return None
        engine = self.services.engine
        if not state.take_lease(engine, self.worker_id, now=datetime.now(UTC), ttl=self.lease):
            state.request_sync(engine, now=datetime.now(UTC))
            return None
        try:
            for _ in range(MAX_RERUNS):
                started = datetime.now(UTC)
                report = self._once(calendar)
                requested = state.read(engine).requested_at
                if requested is None or requested < started:
                    break
            channel.maintain(self.services, calendar, self.worker_id)
            return report
        finally:
            state.release_lease(engine, self.worker_id)

    def tick(self) -> None:
        """The scheduler's entry point: never raises (the next tick tries again)."""
        try:
            report = self.run()
        except Exception:
            log.exception("calendar sync failed")
            return
        if report is not None and (report.full or report.reactions):
            log.info(
                "calendar sync: %s, %d events, %d reactions, %d requests",
                "full" if report.full else "incremental",
                report.events,
                report.reactions,
                report.requests,
            )

    def _once(self, calendar: CalendarPort) -> SyncReport:
        engine = self.services.engine
        now = self.services.clock()
        token = state.read(engine).sync_token
        listing: EventListing | None = None
        if token is not None:
            try:
                listing = calendar.list_changes(token)
            except SyncTokenExpiredError:
                log.warning("calendar sync token expired (410): doing a full resync")
                state.drop_token(engine, self.worker_id)
        full = listing is None
        if listing is None:
            listing = calendar.list_own_events(now)
        events = list(listing.events)
        requests = listing.requests
        if full:
            with read_scope(engine) as session:
                expected = upcoming_event_ids(session=session, now=now)
            for event_id in sorted(set(expected) - {e.event_id for e in events}):
                seen = calendar.read_event(event_id)
                requests += 1
                events.append(seen or CalendarEvent(event_id, "cancelled"))
        with read_scope(engine) as session:
            facts = load_facts(events, session=session)
        decided: list[tuple[SessionFacts, Reaction]] = []
        for event in events:
            found = facts.get(event.event_id)
            if found is not None:
                decided += [(found, r) for r in classify(event, found, now=now)]
        apply(self.services, decided)
        state.save_token(engine, self.worker_id, listing.sync_token, now=now, full=full)
        return SyncReport(full, requests, len(events), len(decided))
