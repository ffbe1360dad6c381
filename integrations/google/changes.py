"""Changes made in Google Calendar: incremental listings, the bot's own events, push channels.

- `list_changes(token)`: `events.list(syncToken=…)` page by page (`maxResults` 2500) until the
  last page's `nextSyncToken`; a 410 becomes `SyncTokenExpiredError` (then: full resync).
- `list_own_events(since)`: first a fresh token (a listing from `since` that asks only for
  `nextPageToken,nextSyncToken`), then the bot's live events (`privateExtendedProperty`
  `interviewBot=1`, which every event the bot creates carries). Token first, so a change made
  between the two listings is seen again by the next incremental sync rather than missed.
- `watch` / `stop_watch`: `events.watch` with a web_hook channel, `channels.stop`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from bot.ports import CalendarEvent, EventListing, SyncTokenExpiredError, WatchChannel
from integrations.google.errors import GoogleApiError
from integrations.google.events import ALREADY_GONE, OWN_MARKER
from integrations.google.freebusy import rfc3339
from integrations.google.service import CalendarApi

PAGE_SIZE = 2500  # Google's maximum page size for events.list


def parse_event(item: Mapping[str, Any]) -> CalendarEvent:
    """A Calendar event resource as the domain's `CalendarEvent` (all-day times are None)."""

    def instant(key: str) -> datetime | None:
        value = item.get(key)
        text = value.get("dateTime") if isinstance(value, dict) else None
        if not isinstance(text, str):
            return None
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)

    attendees: dict[str, str] = {}
    for attendee in item.get("attendees") or []:
        if not isinstance(attendee, dict) or attendee.get("resource"):
            continue
        email = attendee.get("email")
        if isinstance(email, str) and email:
            attendees[email.casefold()] = str(attendee.get("responseStatus") or "needsAction")
    properties = item.get("extendedProperties")
    private = properties.get("private") if isinstance(properties, dict) else None
    return CalendarEvent(
        event_id=str(item["id"]),
        status=str(item.get("status") or "confirmed"),
        start=instant("start"),
        end=instant("end"),
        attendees=attendees,
        private={str(k): str(v) for k, v in (private or {}).items()},
    )


class ChangeReader:
    """Listings and push channels of one calendar (the organizer's `primary`)."""

    def __init__(self, api: CalendarApi, organizer: str, calendar_id: str = "primary") -> None:
        self.api = api
        self.organizer = organizer
        self.calendar_id = calendar_id

    def _pages(
        self, what: str, params: dict[str, Any], on_error: Callable[[GoogleApiError], None]
    ) -> tuple[list[dict[str, Any]], str | None, int]:
        items: list[dict[str, Any]] = []
        page_token: str | None = None
        requests = 0
        while True:
            query = {**params, **({"pageToken": page_token} if page_token else {})}

            def request(service: Any, query: dict[str, Any] = query) -> Any:
                return service.events().list(calendarId=self.calendar_id, **query)

            try:
                page = self.api.call(f"{what} on {self.organizer}'s calendar", request)
            except GoogleApiError as error:
                on_error(error)
                raise
            requests += 1
            items.extend(i for i in page.get("items") or [] if isinstance(i, dict))
            page_token = page.get("nextPageToken")
            if not page_token:
                return items, page.get("nextSyncToken"), requests

    def list_changes(self, sync_token: str) -> EventListing:
        def expired(error: GoogleApiError) -> None:
            if error.status == 410:
                raise SyncTokenExpiredError(str(error)) from error

        items, token, requests = self._pages(
            "Listing changed events",
            {"syncToken": sync_token, "maxResults": PAGE_SIZE, "showDeleted": True},
            expired,
        )
        if not token:
            raise GoogleApiError("Listing changed events: Google sent no nextSyncToken")
        return EventListing(tuple(parse_event(i) for i in items), token, requests)

    def list_own_events(self, since: datetime) -> EventListing:
        def keep(_error: GoogleApiError) -> None:
            return None

        _, token, first = self._pages(
            "Starting a full sync",
            {
                "timeMin": rfc3339(since),
                "maxResults": PAGE_SIZE,
                "fields": "nextPageToken,nextSyncToken",
            },
            keep,
        )
        if not token:
            raise GoogleApiError("Starting a full sync: Google sent no nextSyncToken")
        items, _, second = self._pages(
            "Listing the bot's events",
            {
                "timeMin": rfc3339(since),
                "maxResults": PAGE_SIZE,
                "privateExtendedProperty": f"{OWN_MARKER[0]}={OWN_MARKER[1]}",
            },
            keep,
        )
        return EventListing(tuple(parse_event(i) for i in items), token, first + second)

    def read(self, event_id: str) -> CalendarEvent | None:
        try:
            item = self.api.call(
                f"Reading event {event_id} on {self.organizer}'s calendar",
                lambda service: service.events().get(calendarId=self.calendar_id, eventId=event_id),
            )
        except GoogleApiError as error:
            if error.status in ALREADY_GONE:
                return None
            raise
        return parse_event(item)

    def watch(self, address: str, channel_id: str, token: str, ttl_seconds: int) -> WatchChannel:
        body = {
            "id": channel_id,
            "type": "web_hook",
            "address": address,
            "token": token,
            "params": {"ttl": str(ttl_seconds)},
        }
        answer = self.api.call(
            f"Opening a push channel to {address} for {self.organizer}'s calendar",
            lambda service: service.events().watch(calendarId=self.calendar_id, body=body),
        )
        expiration = datetime.fromtimestamp(int(answer["expiration"]) / 1000, UTC)
        return WatchChannel(str(answer["id"]), str(answer["resourceId"]), expiration)

    def stop_watch(self, channel_id: str, resource_id: str) -> None:
        try:
            self.api.call(
                f"Stopping push channel {channel_id}",
                lambda service: service.channels().stop(
                    body={"id": channel_id, "resourceId": resource_id}
                ),
            )
        except GoogleApiError as error:
            if error.status not in ALREADY_GONE:
                raise
