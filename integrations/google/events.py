"""Interview events on the organizer's calendar: create (idempotent), move, cancel, responses.

- The event id is derived from `EventSpec.key` (SHA-256 → base32hex, lower case), so any
  repeat of an insert — ours after a lost response, httplib2's own resend, a second click — gets
  409 `duplicate`, which is answered by reading the existing event: never a second event.
- Google keeps deleted events (status `cancelled`) and their ids stay taken; creating a
  session again after it was cancelled therefore revives that event with `update`.
- Every write passes `sendUpdates="all"`; insert/patch/update pass `conferenceDataVersion=1`
  (without it a patch silently drops the Meet link).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.event_ids import event_id_for

__all__ = [
    "ALREADY_GONE",
    "EventWriter",
    "event_body",
    "event_id_for",
    "event_ref",
    "meet_link",
]
from bot.ports import EventRef, EventSpec
from integrations.google.errors import GoogleApiError
from integrations.google.freebusy import rfc3339
from integrations.google.service import CalendarApi

ALREADY_GONE = frozenset({404, 410})
OWN_MARKER = ("interviewBot", "1")  # extendedProperties.private on every event the bot makes


def _validate(spec: EventSpec) -> None:
    if spec.end <= spec.start:
        raise ValueError(f"event {spec.key!r} ends ({spec.end}) before it starts ({spec.start})")
    if not spec.attendees:
        raise ValueError(f"event {spec.key!r} has no attendees")


def event_body(spec: EventSpec) -> dict[str, Any]:
    """The events.insert body for a session (attendees deduplicated, no preset responses)."""
    _validate(spec)
    event_id = event_id_for(spec.key)
    attendees: dict[str, str] = {}
    for email in spec.attendees:
        attendees.setdefault(email.strip().casefold(), email.strip())
    return {
        "id": event_id,
        "summary": spec.summary,
        "description": spec.description,
        "start": {"dateTime": rfc3339(spec.start)},
        "end": {"dateTime": rfc3339(spec.end)},
        "attendees": [{"email": email} for email in attendees.values()],
        "guestsCanInviteOthers": False,
        "extendedProperties": {
            # OWN_MARKER lets a full resync list exactly the bot's events (changes.py).
            "private": {
                **{str(k): str(v) for k, v in spec.private_properties.items()},
                OWN_MARKER[0]: OWN_MARKER[1],
            }
        },
        "conferenceData": {
            "createRequest": {
                # Same id on every retry, so Google creates one conference for the event.
                "requestId": event_id,
                "conferenceSolutionKey": {"type": "hangoutsMeet"},
            }
        },
    }


def meet_link(event: Mapping[str, Any]) -> str | None:
    """The Meet URL, or None while the conference is still being created (status `pending`)."""
    link = event.get("hangoutLink")
    if isinstance(link, str) and link:
        return link
    conference = event.get("conferenceData")
    if isinstance(conference, dict):
        for entry in conference.get("entryPoints") or []:
            if isinstance(entry, dict) and entry.get("entryPointType") == "video":
                uri = entry.get("uri")
                if isinstance(uri, str) and uri:
                    return uri
    return None


def event_ref(event: Mapping[str, Any]) -> EventRef:
    link = event.get("htmlLink")
    return EventRef(
        event_id=str(event["id"]),
        html_link=link if isinstance(link, str) else None,
        meet_link=meet_link(event),
    )


class EventWriter:
    """Events on one calendar (the organizer's own, `primary` when impersonating them)."""

    def __init__(self, api: CalendarApi, organizer: str, calendar_id: str = "primary") -> None:
        self.api = api
        self.organizer = organizer
        self.calendar_id = calendar_id

    def _on_calendar(self) -> str:
        return f"on {self.organizer}'s calendar"

    def create(self, spec: EventSpec) -> tuple[EventRef, dict[str, Any]]:
        """Insert the session's event, or return the one an earlier attempt made."""
        body = event_body(spec)
        event_id = body["id"]
        what = f"Creating the event {spec.summary!r} {self._on_calendar()}"
        try:
            created = self.api.call(
                what,
                lambda service: service.events().insert(
                    calendarId=self.calendar_id,
                    body=body,
                    sendUpdates="all",
                    conferenceDataVersion=1,
                ),
            )
            return event_ref(created), created
        except GoogleApiError as error:
            if error.status != 409:
                raise
        existing = self.get(event_id, what=f"{what} (reading back the existing event {event_id})")
        if existing.get("status") != "cancelled":
            return event_ref(existing), existing
        revived = self.api.call(
            f"{what} (reviving its cancelled event {event_id})",
            lambda service: service.events().update(
                calendarId=self.calendar_id,
                eventId=event_id,
                body={**body, "status": "confirmed"},
                sendUpdates="all",
                conferenceDataVersion=1,
            ),
        )
        return event_ref(revived), revived

    def get(self, event_id: str, *, what: str | None = None) -> dict[str, Any]:
        event = self.api.call(
            what or f"Reading event {event_id} {self._on_calendar()}",
            lambda service: service.events().get(calendarId=self.calendar_id, eventId=event_id),
        )
        if not isinstance(event, dict):
            raise GoogleApiError(f"Reading event {event_id}: Google sent an unreadable answer")
        return event

    def _patch(
        self, what: str, event_id: str, body: dict[str, Any]
    ) -> tuple[EventRef, dict[str, Any]]:
        """PATCH with updates sent and `conferenceDataVersion=1` (else Google drops the Meet)."""
        patched = self.api.call(
            what,
            lambda service: service.events().patch(
                calendarId=self.calendar_id,
                eventId=event_id,
                body=body,
                sendUpdates="all",
                conferenceDataVersion=1,
            ),
        )
        return event_ref(patched), patched

    def patch(self, event_id: str, spec: EventSpec) -> tuple[EventRef, dict[str, Any]]:
        """Make the event match `spec` (title, text, times, attendees); keeps its Meet link."""
        body = event_body(spec)
        for field in ("id", "conferenceData"):
            body.pop(field)
        return self._patch(f"Updating event {event_id} {self._on_calendar()}", event_id, body)

    def cancel(self, event_id: str) -> None:
        """Delete the event and notify attendees; an event already gone is fine."""
        try:
            self.api.call(
                f"Cancelling event {event_id} {self._on_calendar()}",
                lambda service: service.events().delete(
                    calendarId=self.calendar_id, eventId=event_id, sendUpdates="all"
                ),
            )
        except GoogleApiError as error:
            if error.status not in ALREADY_GONE:
                raise
