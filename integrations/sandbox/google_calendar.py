"""A local fake of the Google Calendar API (and Google's OAuth token endpoint) for tests.

It speaks real HTTP on 127.0.0.1 so the real google-api-python-client, google-auth and httplib2
run unmodified against it. Nothing here touches the network.

    from integrations.sandbox.google_calendar import FakeCalendar

    with FakeCalendar.start() as fake:
        key = fake.write_service_account_key(tmp_path / "sa.json")
        settings = Settings(_env_file=None, google_service_account_file=key,
                            google_organizer_email="organizer@corp.example",
                            google_api_endpoint=fake.url)
        fake.set_busy("ana@corp.example", [("2026-12-02T10:00:00Z", "2026-12-02T11:00:00Z")])
        fake.calendar_error("ghost@corp.example", "notFound")
        ... run the code under test ...
        assert len(fake.events) == 1
        assert fake.api_requests("POST", "/events")[0].query["sendUpdates"] == "all"

Served:
- `POST /token` — the service-account JWT-bearer grant. The assertion's RS256 signature is
  checked against keys written by `write_service_account_key` (unknown keys → 400
  invalid_grant); `aud` must be Google's token endpoint (what google-auth signs for). Issued
  tokens remember the JWT's `sub`: calendar id `primary` means that user's calendar.
- `POST /calendar/v3/freeBusy` — busy from `set_busy` plus live events the calendar attends
  (not declined) or organises, clipped to the window. ≤50 items and ≤`max_query_days` days,
  else 400 like Google. `calendar_error(email, reason)` answers that calendar with `errors`.
- `POST /calendar/v3/calendars/{cal}/events` and `GET|PATCH|PUT|DELETE …/events/{id}` —
  client ids (base32hex, 5–1024 chars) with 409 on reuse (deleted ones too, as Google keeps
  them as `cancelled`); 404 unknown, 410 deleting twice; Meet link when
  `conferenceData.createRequest` comes with `conferenceDataVersion=1`; PATCH/PUT without
  `conferenceDataVersion=1` drop the conference, as Google does.

Faults and instrumentation: `fail_next`, `drop_next`, `latency`, `set_token_error`,
`requests` (every request, in arrival order), `max_in_flight`.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import itertools
import json
import re
import secrets
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

API_PREFIX = "/calendar/v3"
TOKEN_PATH = "/token"
# google-auth always signs for Google's endpoint, whatever token_uri the key names.
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
# events.list parameters Google refuses next to syncToken, and those after which it gives none.
_NOT_WITH_SYNC_TOKEN = (
    "timeMin",
    "timeMax",
    "updatedMin",
    "orderBy",
    "q",
    "iCalUID",
    "privateExtendedProperty",
)
_NO_SYNC_TOKEN_FROM = ("privateExtendedProperty", "q", "updatedMin", "sharedExtendedProperty")
EVENTS_PATH = re.compile(r"^/calendars/(?P<cal>[^/]+)/events(?:/(?P<event>[^/]+))?$")

_REASON_FOR_STATUS = {
    400: "badRequest",
    401: "authError",
    403: "forbidden",
    404: "notFound",
    409: "duplicate",
    410: "deleted",
    429: "rateLimitExceeded",
    500: "internalError",
    503: "backendError",
}
_STATUS_TEXT = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    410: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}

Interval = tuple[datetime | str, datetime | str]


def _parse_time(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        raise ValueError(f"naive time {value!r}: give an offset or Z")
    return moment.astimezone(UTC)


def _fmt(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@cache
def _shared_private_key() -> rsa.RSAPrivateKey:
    """One RSA key per test process unless a test asks for a fresh one (keygen is ~50 ms)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def google_error(
    status: int, message: str, reason: str | None = None, domain: str = "global"
) -> dict[str, Any]:
    """A Google API error body as Calendar sends it."""
    return {
        "error": {
            "code": status,
            "message": message,
            "errors": [
                {
                    "domain": domain,
                    "reason": reason or _REASON_FOR_STATUS.get(status, "error"),
                    "message": message,
                }
            ],
            "status": _STATUS_TEXT.get(status, "UNKNOWN"),
        }
    }


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake saw it. `query` keeps the last value of each parameter."""

    method: str
    path: str  # without the query string, e.g. /calendar/v3/freeBusy
    query: dict[str, str]
    body: Any  # parsed JSON, the form dict for /token, else the raw text
    headers: dict[str, str]  # lower-case names
    started: float  # time.monotonic() on arrival
    kind: str  # "api" | "token"
    status: int | None = None  # None when the response was dropped


@dataclass
class _Fault:
    status: int | None  # None: drop the connection after processing
    reason: str | None
    message: str
    count: int
    match: str | None
    retry_after: float | None

    def matches(self, method: str, path: str) -> bool:
        return self.match is None or self.match in f"{method} {path}"


@dataclass
class _Token:
    subject: str | None
    client_email: str
    scopes: tuple[str, ...]
    claims: dict[str, Any] = field(default_factory=dict)


class FakeCalendar:
    """The fake server. Start with `FakeCalendar.start()`; stop with `.stop()` or `with`."""

    def __init__(
        self,
        *,
        latency: float = 0.0,
        require_auth: bool = True,
        max_query_days: int = 60,
        meet_url: str = "https://meet.google.com/",
    ) -> None:
        self.meet_url = meet_url  # Meet links are this + a code (the sandbox serves its own)
        self.latency = latency  # seconds added to every Calendar API request
        self.require_auth = require_auth
        self.max_query_days = max_query_days
        self._lock = threading.RLock()
        self._busy: dict[str, list[tuple[datetime, datetime]]] = {}
        self._calendar_errors: dict[str, str] = {}
        self._events: dict[str, dict[str, dict[str, Any]]] = {}  # calendar -> id -> event
        self._faults: list[_Fault] = []
        self._token_error: tuple[int, str, str] | None = None
        self._keys: dict[str, rsa.RSAPublicKey] = {}  # private_key_id -> public key
        self._tokens: dict[str, _Token] = {}
        self._requests: list[RecordedRequest] = []
        self._in_flight = 0
        self._max_in_flight = 0
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._init_sync()

    # -- lifecycle -------------------------------------------------------------------------

    @classmethod
    def start(cls, **options: Any) -> FakeCalendar:
        """Create and start a fake on a free port; options as for the constructor."""
        fake = cls(**options)
        fake._serve()
        return fake

    def _serve(self) -> None:
        handler = type("Handler", (_Handler,), {"fake": self})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeCalendar:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "the fake is not running"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The Calendar API root, for GOOGLE_API_ENDPOINT."""
        return f"{self.base_url}{API_PREFIX}/"

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}{TOKEN_PATH}"

    # -- credentials -----------------------------------------------------------------------

    def write_service_account_key(
        self,
        path: Path | str,
        *,
        client_email: str = "interview-bot@fake-project.iam.gserviceaccount.com",
        client_id: str = "123456789012345678901",
        fresh_key: bool = False,
    ) -> Path:
        """Write a service-account JSON key whose token_uri is this fake; returns the path.

        The key's public half is registered, so the fake verifies the JWT signature.
        `fresh_key=True` generates a new RSA key instead of the per-process shared one.
        """
        key = (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            if fresh_key
            else _shared_private_key()
        )
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")
        key_id = secrets.token_hex(20)
        with self._lock:
            self._keys[key_id] = key.public_key()
        info = {
            "type": "service_account",
            "project_id": "fake-project",
            "private_key_id": key_id,
            "private_key": pem,
            "client_email": client_email,
            "client_id": client_id,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.token_uri,
        }
        target = Path(path)
        target.write_text(json.dumps(info, indent=2), encoding="utf-8")
        return target

    def set_token_error(
        self,
        error: str | None = "unauthorized_client",
        description: str = "Client is unauthorized to retrieve access tokens using this method, "
        "or client not authorized for any of the scopes requested.",
        status: int = 401,
    ) -> None:
        """Make the token endpoint refuse every grant (None restores normal service)."""
        with self._lock:
            self._token_error = None if error is None else (status, error, description)

    def revoke_tokens(self) -> None:
        """Forget issued tokens: the next API request gets 401 and the client must refresh."""
        with self._lock:
            self._tokens.clear()

    @property
    def token_grants(self) -> list[dict[str, Any]]:
        """Claims of every JWT grant that got a token, oldest first."""
        with self._lock:
            return [dict(token.claims) for token in self._tokens.values()]

    # -- calendars -------------------------------------------------------------------------

    def set_busy(self, email: str, intervals: Iterable[Interval]) -> None:
        """Replace a calendar's busy intervals (`[start, end)`, datetimes or RFC 3339 text)."""
        parsed = [(_parse_time(start), _parse_time(end)) for start, end in intervals]
        with self._lock:
            self._busy[email.casefold()] = parsed

    def add_busy(self, email: str, start: datetime | str, end: datetime | str) -> None:
        with self._lock:
            self._busy.setdefault(email.casefold(), []).append(
                (_parse_time(start), _parse_time(end))
            )

    def snapshot(self) -> dict[str, Any]:
        """Every event on every calendar, as JSON-ready data (busy times are not included)."""
        with self._lock:
            return {"events": copy.deepcopy(self._events)}

    def restore(self, state: dict[str, Any]) -> None:
        """Put back the events of :meth:`snapshot` (the sandbox keeps them across restarts)."""
        with self._lock:
            for calendar, events in state.get("events", {}).items():
                self._events.setdefault(calendar, {}).update(copy.deepcopy(events))

    def busy_of(self, email: str) -> list[tuple[datetime, datetime]]:
        """The busy intervals set for a calendar (not its events), sorted."""
        with self._lock:
            return sorted(self._busy.get(email.casefold(), []))

    def calendar_error(self, email: str, reason: str | None = "notFound") -> None:
        """Answer this calendar in freeBusy with `errors: [{reason}]` (None clears it)."""
        with self._lock:
            if reason is None:
                self._calendar_errors.pop(email.casefold(), None)
            else:
                self._calendar_errors[email.casefold()] = reason

    # -- events ----------------------------------------------------------------------------

    @property
    def events(self) -> dict[str, dict[str, Any]]:
        """Live (not cancelled) events on every calendar, by event id (deep copies)."""
        with self._lock:
            return {
                event_id: copy.deepcopy(event)
                for calendar in self._events.values()
                for event_id, event in calendar.items()
                if event.get("status") != "cancelled"
            }

    @property
    def all_events(self) -> dict[str, dict[str, Any]]:
        """Every event ever created, cancelled ones included (Google keeps them)."""
        with self._lock:
            return {
                event_id: copy.deepcopy(event)
                for calendar in self._events.values()
                for event_id, event in calendar.items()
            }

    def events_on(self, calendar_id: str) -> dict[str, dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._events.get(calendar_id.casefold(), {}))

    def set_response(self, event_id: str, email: str, status: str) -> None:
        """Record an attendee's answer (needsAction/declined/tentative/accepted)."""
        with self._lock:
            for calendar in self._events.values():
                event = calendar.get(event_id)
                if event is None:
                    continue
                for attendee in event.get("attendees", []):
                    if attendee.get("email", "").casefold() == email.casefold():
                        attendee["responseStatus"] = status
                        event["updated"] = _fmt(datetime.now(UTC))
                        self._touch_event(event_id)
                        return
                raise KeyError(f"{email} is not an attendee of {event_id}")
            raise KeyError(f"no event {event_id}")

    # -- changes, incremental sync and push (events.list, events.watch, channels.stop) -----
    #
    # Every write to an event (insert, patch, update, delete, an attendee's answer, the
    # "someone else" helpers below) takes the next number of a per-fake change counter.
    # A sync token remembers the counter when it was issued; `events.list(syncToken=…)`
    # returns the events changed since, deleted ones as `{id, status: "cancelled"}` only
    # (what Google guarantees for them). `expire_sync_tokens()` makes every issued token
    # answer 410 `fullSyncRequired`, as Google does when a token is too old.
    # Assumption kept conservative: a listing filtered with `privateExtendedProperty`, `q`
    # or `updatedMin` carries no `nextSyncToken` (those filters cannot go with a sync token).

    def _init_sync(self) -> None:
        self._change_counter = 0
        self._changed: dict[tuple[str, str], int] = {}  # (calendar, event id) -> change no
        self._sync_tokens: dict[str, tuple[str, int]] = {}  # token -> (calendar, change no)
        self._page_tokens: dict[str, tuple[list[dict[str, Any]], str | None, int]] = {}
        self._channels: dict[str, dict[str, Any]] = {}  # channel id -> channel
        self._message_numbers = itertools.count(1)
        self.push_results: list[tuple[str, int]] = []  # (channel id, HTTP status) per push

    def _touch(self, calendar: str, event_id: str) -> None:
        with self._lock:
            self._change_counter += 1
            self._changed[(calendar, event_id)] = self._change_counter

    def _touch_event(self, event_id: str) -> None:
        with self._lock:
            for calendar, events in self._events.items():
                if event_id in events:
                    self._touch(calendar, event_id)

    def _find(self, event_id: str) -> tuple[str, dict[str, Any]]:
        for calendar, events in self._events.items():
            if event_id in events:
                return calendar, events[event_id]
        raise KeyError(f"no event {event_id}")

    def expire_sync_tokens(self) -> None:
        """Every sync token issued so far answers 410 Gone (`fullSyncRequired`) from now on."""
        with self._lock:
            self._sync_tokens.clear()

    def delete_by_someone_else(self, event_id: str) -> None:
        """Someone deletes the event in Calendar (it stays, `cancelled`, as Google keeps it)."""
        with self._lock:
            calendar, event = self._find(event_id)
            event["status"] = "cancelled"
            event["updated"] = _fmt(datetime.now(UTC))
            self._etag(event)
            self._touch(calendar, event_id)

    def move_by_someone_else(
        self, event_id: str, start: datetime | str, end: datetime | str
    ) -> None:
        """Someone drags the event to another time in Calendar."""
        with self._lock:
            calendar, event = self._find(event_id)
            event["start"] = {"dateTime": _fmt(_parse_time(start))}
            event["end"] = {"dateTime": _fmt(_parse_time(end))}
            event["sequence"] = int(event.get("sequence", 0)) + 1
            event["updated"] = _fmt(datetime.now(UTC))
            self._etag(event)
            self._touch(calendar, event_id)

    def add_foreign_event(
        self,
        calendar_id: str,
        start: datetime | str,
        end: datetime | str,
        summary: str = "Someone else's meeting",
    ) -> str:
        """An event the bot did not make (no private properties) on a calendar; returns its id."""
        event_id = base64.b32hexencode(secrets.token_bytes(10)).decode().lower()
        body = {
            "id": event_id,
            "summary": summary,
            "start": {"dateTime": _fmt(_parse_time(start))},
            "end": {"dateTime": _fmt(_parse_time(end))},
        }
        status, _ = self._insert(calendar_id.casefold(), body, False)
        assert status == 200
        return event_id

    @property
    def channels(self) -> dict[str, dict[str, Any]]:
        """Open push channels by id (stopped ones are removed)."""
        with self._lock:
            return copy.deepcopy(self._channels)

    def expire_channels(self) -> None:
        """Forget every channel, as Google does once `expiration` has passed."""
        with self._lock:
            self._channels.clear()

    def push(self, state: str = "exists", *, token: str | None = None) -> list[int]:
        """Deliver a notification on every open channel, as Google would after a change.

        POSTs to the channel's address with the X-Goog-* headers and an empty body; `token`
        overrides the channel token sent (to test a forged or stale notification). Returns the
        HTTP status of each delivery (also appended to `push_results`).
        """
        import urllib.error
        import urllib.request

        with self._lock:
            channels = [copy.deepcopy(c) for c in self._channels.values()]
        statuses = []
        for channel in channels:
            headers = {
                "X-Goog-Channel-ID": channel["id"],
                "X-Goog-Channel-Expiration": channel["expiration_text"],
                "X-Goog-Resource-ID": channel["resourceId"],
                "X-Goog-Resource-URI": channel["resourceUri"],
                "X-Goog-Resource-State": state,
                "X-Goog-Message-Number": str(next(self._message_numbers)),
            }
            sent_token = channel.get("token") if token is None else token
            if sent_token:
                headers["X-Goog-Channel-Token"] = sent_token
            request = urllib.request.Request(
                channel["address"], data=b"", headers=headers, method="POST"
            )
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            try:
                with opener.open(request, timeout=10) as response:
                    status = int(response.status)
            except urllib.error.HTTPError as error:
                status = int(error.code)
            statuses.append(status)
            with self._lock:
                self.push_results.append((channel["id"], status))
        return statuses

    def _list(self, calendar: str, query: dict[str, str]) -> tuple[int, Any]:
        page_token = query.get("pageToken")
        if page_token:
            with self._lock:
                page = self._page_tokens.pop(page_token, None)
            if page is None:
                return 400, google_error(400, "Invalid page token.", "invalid")
            rest, carried, page_size = page
            return 200, self._page(rest, carried, query, page_size)
        try:
            size = int(query.get("maxResults", "250"))
        except ValueError:
            return 400, google_error(400, "Invalid maxResults.", "invalid")
        if not 1 <= size <= 2500:
            return 400, google_error(400, "Invalid maxResults.", "invalid")
        sync_token = query.get("syncToken")
        with self._lock:
            if sync_token is not None:
                clash = [k for k in _NOT_WITH_SYNC_TOKEN if k in query]
                if clash:
                    return 400, google_error(
                        400, f"{clash[0]} cannot be combined with syncToken.", "invalid"
                    )
                issued = self._sync_tokens.get(sync_token)
                if issued is None or issued[0] != calendar:
                    return 410, google_error(
                        410,
                        "Sync token is no longer valid, a full sync is required.",
                        "fullSyncRequired",
                    )
                items = self._changes_since(calendar, issued[1])
            else:
                error, items = self._full_listing(calendar, query)
                if error is not None:
                    return error
            token: str | None = None
            if not any(k in query for k in _NO_SYNC_TOKEN_FROM):
                token = f"sync-{self._change_counter}-{secrets.token_hex(6)}"
                self._sync_tokens[token] = (calendar, self._change_counter)
        return 200, self._page(items, token, query, size)

    def _page(
        self, items: list[dict[str, Any]], sync_token: str | None, query: dict[str, str], size: int
    ) -> dict[str, Any]:
        here, rest = items[:size], items[size:]
        answer: dict[str, Any] = {"kind": "calendar#events", "items": here}
        if rest:
            next_page = secrets.token_hex(8)
            with self._lock:
                self._page_tokens[next_page] = (rest, sync_token, size)
            answer["nextPageToken"] = next_page
        elif sync_token is not None:
            answer["nextSyncToken"] = sync_token
        fields = query.get("fields")
        if fields:
            wanted = {f.strip().split("(")[0].split("/")[0] for f in fields.split(",")}
            answer = {k: v for k, v in answer.items() if k in wanted}
        return answer

    def _changes_since(self, calendar: str, number: int) -> list[dict[str, Any]]:
        changed = sorted(
            (n, event_id)
            for (cal, event_id), n in self._changed.items()
            if cal == calendar and n > number
        )
        items = []
        for _, event_id in changed:
            event = self._events.get(calendar, {}).get(event_id)
            if event is None:
                continue
            if event.get("status") == "cancelled":
                items.append(
                    {
                        "kind": "calendar#event",
                        "id": event_id,
                        "status": "cancelled",
                        "etag": event.get("etag"),
                    }
                )
            else:
                items.append(copy.deepcopy(event))
        return items

    def _full_listing(
        self, calendar: str, query: dict[str, str]
    ) -> tuple[tuple[int, Any] | None, list[dict[str, Any]]]:
        try:
            time_min = _parse_time(query["timeMin"]) if "timeMin" in query else None
            time_max = _parse_time(query["timeMax"]) if "timeMax" in query else None
        except ValueError:
            return (400, google_error(400, "Invalid timeMin/timeMax.", "invalid")), []
        wanted: dict[str, str] = {}
        prop = query.get("privateExtendedProperty")
        if prop is not None:
            name, sep, value = prop.partition("=")
            if not sep or not name:
                return (400, google_error(400, "Invalid extended property.", "invalid")), []
            wanted[name] = value
        show_deleted = query.get("showDeleted") == "true"
        items = []
        for event_id, event in self._events.get(calendar, {}).items():
            if event.get("status") == "cancelled" and not show_deleted:
                continue
            private = (event.get("extendedProperties") or {}).get("private") or {}
            if any(private.get(k) != v for k, v in wanted.items()):
                continue
            try:
                start = _parse_time(event["start"]["dateTime"])
                end = _parse_time(event["end"]["dateTime"])
            except (KeyError, TypeError, ValueError):
                continue
            if time_min is not None and end <= time_min:
                continue
            if time_max is not None and start >= time_max:
                continue
            items.append((self._changed.get((calendar, event_id), 0), copy.deepcopy(event)))
        return None, [event for _, event in sorted(items, key=lambda pair: pair[0])]

    def _watch(self, calendar: str, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict) or not body.get("id") or not body.get("address"):
            return 400, google_error(400, "Channel id and address are required.", "required")
        if body.get("type") not in ("web_hook", "webhook"):
            return 400, google_error(400, "Unsupported channel type.", "invalid")
        address = urlsplit(str(body["address"]))
        if address.scheme != "https" and address.hostname not in ("127.0.0.1", "localhost"):
            return 400, google_error(
                400, f"WebHook callback must be HTTPS: {body['address']}", "push.webhookUrlNotHttps"
            )
        with self._lock:
            if body["id"] in self._channels:
                return 400, google_error(400, "Channel id not unique.", "channelIdNotUnique")
            ttl = float((body.get("params") or {}).get("ttl", 7 * 24 * 3600))
            expiration = int((time.time() + ttl) * 1000)
            channel = {
                "kind": "api#channel",
                "id": body["id"],
                "resourceId": hashlib.sha1(calendar.encode()).hexdigest()[:27],
                "resourceUri": f"https://www.googleapis.com/calendar/v3/calendars/"
                f"{calendar}/events?alt=json",
                "expiration": str(expiration),
            }
            if body.get("token"):
                channel["token"] = body["token"]
            self._channels[body["id"]] = {
                **channel,
                "address": str(body["address"]),
                "calendar": calendar,
                "expiration_text": datetime.fromtimestamp(expiration / 1000, UTC).strftime(
                    "%a, %d %b %Y %H:%M:%S GMT"
                ),
            }
        return 200, channel

    def _stop_channel(self, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict):
            return 400, google_error(400, "Bad Request")
        with self._lock:
            channel = self._channels.get(str(body.get("id")))
            if channel is None or channel["resourceId"] != body.get("resourceId"):
                return 404, google_error(404, "Channel not found for project.")
            del self._channels[channel["id"]]
        return 204, None

    # -- faults and instrumentation --------------------------------------------------------

    def fail_next(
        self,
        status: int,
        *,
        reason: str | None = None,
        count: int = 1,
        match: str | None = None,
        message: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Answer the next `count` matching API requests with `status` (not processed).

        `match` is a substring of "METHOD /calendar/v3/path" (None: any API request);
        `reason` defaults by status (503 backendError, 429 rateLimitExceeded, 403 forbidden…).
        """
        text = message or {
            403: "The request is forbidden.",
            429: "Rate Limit Exceeded",
            503: "The service is currently unavailable.",
        }.get(status, f"Injected failure {status}")
        with self._lock:
            self._faults.append(_Fault(status, reason, text, count, match, retry_after))

    def drop_next(self, *, count: int = 1, match: str | None = None) -> None:
        """Process the next `count` matching API requests, then close without answering."""
        with self._lock:
            self._faults.append(_Fault(None, None, "dropped", count, match, None))

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def api_requests(
        self, method: str | None = None, path_contains: str | None = None
    ) -> list[RecordedRequest]:
        """Calendar API requests (not token grants), filtered by method and path substring."""
        return [
            r
            for r in self.requests
            if r.kind == "api"
            and (method is None or r.method == method)
            and (path_contains is None or path_contains in r.path)
        ]

    @property
    def freebusy_requests(self) -> list[RecordedRequest]:
        return self.api_requests("POST", "/freeBusy")

    @property
    def max_in_flight(self) -> int:
        """Most Calendar API requests being served at the same moment since the last reset."""
        with self._lock:
            return self._max_in_flight

    def reset_requests(self) -> None:
        with self._lock:
            self._requests.clear()
            self._max_in_flight = 0

    # -- internals used by the handler -----------------------------------------------------

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _record(self, request: RecordedRequest) -> int:
        with self._lock:
            self._requests.append(request)
            return len(self._requests) - 1

    def _set_status(self, index: int, status: int | None) -> None:
        with self._lock:
            old = self._requests[index]
            self._requests[index] = RecordedRequest(
                old.method,
                old.path,
                old.query,
                old.body,
                old.headers,
                old.started,
                old.kind,
                status,
            )

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    # -- token endpoint --------------------------------------------------------------------

    def _token_grant(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        def refuse(status: int, error: str, description: str) -> tuple[int, dict[str, Any]]:
            return status, {"error": error, "error_description": description}

        if form.get("grant_type") != JWT_BEARER:
            return refuse(400, "unsupported_grant_type", "Invalid grant_type.")
        try:
            head, payload, signature = form["assertion"].split(".")
            header = json.loads(_b64url_decode(head))
            claims = json.loads(_b64url_decode(payload))
        except (KeyError, ValueError):
            return refuse(400, "invalid_grant", "Invalid JWT: malformed assertion.")
        with self._lock:
            public_key = self._keys.get(str(header.get("kid")))
            token_error = self._token_error
        if header.get("alg") != "RS256" or public_key is None:
            return refuse(400, "invalid_grant", "Invalid JWT Signature.")
        try:
            public_key.verify(
                _b64url_decode(signature),
                f"{head}.{payload}".encode("ascii"),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature:
            return refuse(400, "invalid_grant", "Invalid JWT Signature.")
        now = time.time()
        if claims.get("aud") not in (GOOGLE_TOKEN_AUDIENCE, self.token_uri):
            return refuse(400, "invalid_grant", "Invalid JWT: wrong audience.")
        if not (float(claims.get("iat", 0)) - 300 <= now < float(claims.get("exp", 0))):
            return refuse(400, "invalid_grant", "Invalid JWT: token must be a short-lived token.")
        if not claims.get("scope"):
            return refuse(400, "invalid_scope", "No scopes requested.")
        if token_error is not None:
            return refuse(*token_error)
        access_token = f"fake-token-{next(self._ids)}-{secrets.token_hex(8)}"
        with self._lock:
            self._tokens[access_token] = _Token(
                subject=claims.get("sub"),
                client_email=str(claims.get("iss")),
                scopes=tuple(str(claims["scope"]).split()),
                claims=claims,
            )
        return 200, {"access_token": access_token, "token_type": "Bearer", "expires_in": 3600}

    # -- Calendar API ----------------------------------------------------------------------

    def _authorise(self, headers: dict[str, str]) -> _Token | tuple[int, dict[str, Any]] | None:
        value = headers.get("authorization", "")
        token = value[7:] if value.lower().startswith("bearer ") else None
        with self._lock:
            known = self._tokens.get(token) if token else None
        if known is None and self.require_auth:
            return 401, google_error(401, "Request had invalid authentication credentials.")
        return known

    def _api(
        self, method: str, path: str, query: dict[str, str], body: Any, token: _Token | None
    ) -> tuple[int, Any]:
        route = path[len(API_PREFIX) :]
        if route == "/freeBusy" and method == "POST":
            return self._freebusy(body)
        if route == "/channels/stop" and method == "POST":
            return self._stop_channel(body)
        match = EVENTS_PATH.match(route)
        if match is None:
            return 404, google_error(404, "Not Found")
        calendar = unquote(match["cal"])
        if calendar == "primary" and token is not None and token.subject:
            calendar = token.subject
        calendar = calendar.casefold()
        event_id = unquote(match["event"]) if match["event"] else None
        conference = query.get("conferenceDataVersion") == "1"
        if event_id == "watch" and method == "POST":
            return self._watch(calendar, body)
        if event_id is None:
            if method == "POST":
                return self._insert(calendar, body, conference)
            if method == "GET":
                return self._list(calendar, query)
            return 405, google_error(405, "Method not allowed", "methodNotAllowed")
        if method == "GET":
            return self._get(calendar, event_id)
        if method in ("PATCH", "PUT"):
            return self._modify(calendar, event_id, body, conference, replace=method == "PUT")
        if method == "DELETE":
            return self._delete(calendar, event_id)
        return 405, google_error(405, "Method not allowed", "methodNotAllowed")

    def _freebusy(self, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict):
            return 400, google_error(400, "Bad Request")
        try:
            start = _parse_time(body["timeMin"])
            end = _parse_time(body["timeMax"])
        except (KeyError, TypeError, ValueError):
            return 400, google_error(400, "Missing or invalid timeMin/timeMax.", "required")
        if end <= start:
            return 400, google_error(400, "The specified time range is empty.", "timeRangeEmpty")
        if end - start > timedelta(days=self.max_query_days):
            return 400, google_error(
                400, "The specified time range is too long.", "timeRangeTooLong"
            )
        items = body.get("items") or []
        if len(items) > 50:
            return 400, google_error(
                400, "Too many calendars requested.", "tooManyCalendarsRequested"
            )
        calendars: dict[str, Any] = {}
        with self._lock:
            for item in items:
                calendar_id = str(item.get("id"))
                folded = calendar_id.casefold()
                reason = self._calendar_errors.get(folded)
                if reason is not None:
                    calendars[calendar_id] = {
                        "errors": [{"domain": "global", "reason": reason}],
                        "busy": [],
                    }
                    continue
                intervals = list(self._busy.get(folded, []))
                intervals.extend(self._event_busy(folded))
                busy = sorted(
                    (max(a, start), min(b, end)) for a, b in intervals if a < end and b > start
                )
                calendars[calendar_id] = {
                    "busy": [{"start": _fmt(a), "end": _fmt(b)} for a, b in busy]
                }
        return 200, {
            "kind": "calendar#freeBusy",
            "timeMin": _fmt(start),
            "timeMax": _fmt(end),
            "calendars": calendars,
        }

    def _event_busy(self, folded_email: str) -> Iterator[tuple[datetime, datetime]]:
        for calendar_id, events in self._events.items():
            for event in events.values():
                if event.get("status") == "cancelled" or event.get("transparency") == "transparent":
                    continue
                attending = calendar_id == folded_email or any(
                    a.get("email", "").casefold() == folded_email
                    and a.get("responseStatus") != "declined"
                    for a in event.get("attendees", [])
                )
                if attending:
                    try:
                        yield (
                            _parse_time(event["start"]["dateTime"]),
                            _parse_time(event["end"]["dateTime"]),
                        )
                    except (KeyError, TypeError, ValueError):
                        continue

    def _insert(self, calendar: str, body: Any, conference: bool) -> tuple[int, Any]:
        if not isinstance(body, dict):
            return 400, google_error(400, "Bad Request")
        error = self._check_times(body)
        if error is not None:
            return error
        event_id = body.get("id") or base64.b32hexencode(secrets.token_bytes(10)).decode().lower()
        if not EVENT_ID.match(str(event_id)):
            return 400, google_error(400, "Invalid resource id value.", "invalid")
        with self._lock:
            store = self._events.setdefault(calendar, {})
            if event_id in store:
                return 409, google_error(409, "The requested identifier already exists.")
            now = _fmt(datetime.now(UTC))
            event = copy.deepcopy(body)
            event.pop("conferenceData", None)
            event.update(
                {
                    "kind": "calendar#event",
                    "id": event_id,
                    "status": body.get("status", "confirmed"),
                    "htmlLink": "https://www.google.com/calendar/event?eid="
                    + base64.urlsafe_b64encode(f"{event_id} {calendar}".encode()).decode(),
                    "created": now,
                    "updated": now,
                    "iCalUID": f"{event_id}@google.com",
                    "sequence": 0,
                    "organizer": {"email": calendar, "self": True},
                    "creator": {"email": calendar, "self": True},
                    "attendees": self._attendees(calendar, body.get("attendees"), []),
                }
            )
            if conference:
                self._apply_conference(event, body.get("conferenceData"))
            self._etag(event)
            store[event_id] = event
            self._touch(calendar, event_id)
            return 200, copy.deepcopy(event)

    def _get(self, calendar: str, event_id: str) -> tuple[int, Any]:
        with self._lock:
            event = self._events.get(calendar, {}).get(event_id)
            if event is None:
                return 404, google_error(404, "Not Found")
            return 200, copy.deepcopy(event)

    def _modify(
        self, calendar: str, event_id: str, body: Any, conference: bool, *, replace: bool
    ) -> tuple[int, Any]:
        if not isinstance(body, dict):
            return 400, google_error(400, "Bad Request")
        with self._lock:
            event = self._events.get(calendar, {}).get(event_id)
            if event is None:
                return 404, google_error(404, "Not Found")
            kept: dict[str, Any] = {
                k: event[k]
                for k in (
                    "kind",
                    "id",
                    "htmlLink",
                    "created",
                    "iCalUID",
                    "organizer",
                    "creator",
                    "sequence",
                )
                if k in event
            }
            old_attendees = event.get("attendees", [])
            old_conference = event.get("conferenceData")
            old_hangout = event.get("hangoutLink")
            updated = copy.deepcopy(body) if replace else _merge(event, body)
            updated.pop("conferenceData", None)
            updated.pop("hangoutLink", None)
            updated.update(kept)
            updated.setdefault("status", "confirmed")
            if "attendees" in body:
                updated["attendees"] = self._attendees(calendar, body["attendees"], old_attendees)
            elif replace:
                updated["attendees"] = []
            else:
                updated["attendees"] = old_attendees
            if conference:
                # With conferenceDataVersion=1 Google keeps the conference unless told otherwise.
                if old_conference is not None:
                    updated["conferenceData"] = old_conference
                    if old_hangout:
                        updated["hangoutLink"] = old_hangout
                else:
                    self._apply_conference(updated, body.get("conferenceData"))
            error = self._check_times(updated)
            if error is not None:
                return error
            updated["sequence"] = int(event.get("sequence", 0)) + 1
            updated["updated"] = _fmt(datetime.now(UTC))
            self._etag(updated)
            self._events[calendar][event_id] = updated
            self._touch(calendar, event_id)
            return 200, copy.deepcopy(updated)

    def _delete(self, calendar: str, event_id: str) -> tuple[int, Any]:
        with self._lock:
            event = self._events.get(calendar, {}).get(event_id)
            if event is None:
                return 404, google_error(404, "Not Found")
            if event.get("status") == "cancelled":
                return 410, google_error(410, "Resource has been deleted")
            event["status"] = "cancelled"
            event["updated"] = _fmt(datetime.now(UTC))
            self._etag(event)
            self._touch(calendar, event_id)
            return 204, None

    @staticmethod
    def _check_times(body: dict[str, Any]) -> tuple[int, Any] | None:
        try:
            start = _parse_time(body["start"]["dateTime"])
            end = _parse_time(body["end"]["dateTime"])
        except (KeyError, TypeError, ValueError):
            return 400, google_error(400, "Missing or invalid start/end dateTime.", "required")
        if end < start:
            return 400, google_error(400, "The specified time range is empty.", "timeRangeEmpty")
        return None

    @staticmethod
    def _attendees(
        calendar: str, requested: Any, previous: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        answers = {a.get("email", "").casefold(): a.get("responseStatus") for a in previous}
        result = []
        for attendee in requested or []:
            email = str(attendee.get("email", ""))
            folded = email.casefold()
            entry = dict(attendee)
            entry["email"] = folded
            if folded == calendar:
                entry.update({"organizer": True, "self": True})
                entry.setdefault("responseStatus", "accepted")
            entry.setdefault("responseStatus", answers.get(folded) or "needsAction")
            result.append(entry)
        return result

    def _apply_conference(self, event: dict[str, Any], requested: Any) -> None:
        create = requested.get("createRequest") if isinstance(requested, dict) else None
        if not isinstance(create, dict):
            return
        kind = (create.get("conferenceSolutionKey") or {}).get("type")
        if kind != "hangoutsMeet":
            return
        digest = hashlib.sha256(str(create.get("requestId")).encode()).hexdigest()
        letters = "".join(chr(ord("a") + int(c, 16) % 26) for c in digest[:10])
        code = f"{letters[:3]}-{letters[3:7]}-{letters[7:10]}"
        uri = f"{self.meet_url}{code}"
        event["hangoutLink"] = uri
        event["conferenceData"] = {
            "createRequest": {
                "requestId": create.get("requestId"),
                "conferenceSolutionKey": {"type": "hangoutsMeet"},
                "status": {"statusCode": "success"},
            },
            "entryPoints": [
                {"entryPointType": "video", "uri": uri, "label": uri.split("://", 1)[-1]}
            ],
            "conferenceSolution": {"key": {"type": "hangoutsMeet"}, "name": "Google Meet"},
            "conferenceId": code,
        }

    @staticmethod
    def _etag(event: dict[str, Any]) -> None:
        event.pop("etag", None)
        digest = hashlib.sha1(json.dumps(event, sort_keys=True).encode()).hexdigest()[:16]
        event["etag"] = f'"{digest}"'


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """PATCH semantics: objects merge recursively, everything else (lists too) replaces."""
    merged = copy.deepcopy(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


class _Handler(BaseHTTPRequestHandler):
    fake: FakeCalendar
    protocol_version = "HTTP/1.1"  # keep-alive, as Google does; httplib2 reuses connections
    # Headers and body go out in two writes; without TCP_NODELAY, Nagle plus the client's
    # delayed ACK adds ~40 ms to every response and would swamp latency measurements.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet test output

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _handle(self) -> None:
        fake = self.fake
        started = time.monotonic()
        split = urlsplit(self.path)
        path = split.path
        query = {key: values[-1] for key, values in parse_qs(split.query).items()}
        headers = {key.lower(): value for key, value in self.headers.items()}
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: Any
        if path == TOKEN_PATH:
            body = {key: values[-1] for key, values in parse_qs(raw.decode()).items()}
        else:
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
        kind = "token" if path == TOKEN_PATH else "api"
        index = fake._record(
            RecordedRequest(self.command, path, query, body, headers, started, kind)
        )
        if kind == "token":
            status, payload = fake._token_grant(body if self.command == "POST" else {})
            fake._set_status(index, status)
            self._send(status, payload)
            return
        fake._enter()
        try:
            if fake.latency > 0:
                time.sleep(fake.latency)
            self._api(index, path, query, body, headers)
        finally:
            fake._leave()

    def _api(
        self, index: int, path: str, query: dict[str, str], body: Any, headers: dict[str, str]
    ) -> None:
        fake = self.fake
        if not path.startswith(API_PREFIX + "/"):
            fake._set_status(index, 404)
            self._send(404, google_error(404, "Not Found"))
            return
        authorised = fake._authorise(headers)
        if isinstance(authorised, tuple):
            fake._set_status(index, authorised[0])
            self._send(*authorised)
            return
        fault = fake._take_fault(self.command, path)
        if fault is not None and fault.status is not None:
            fake._set_status(index, fault.status)
            domain = "usageLimits" if fault.status in (403, 429) else "global"
            extra = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            self._send(
                fault.status, google_error(fault.status, fault.message, fault.reason, domain), extra
            )
            return
        status, payload = fake._api(self.command, path, query, body, authorised)
        if fault is not None:  # processed, but the answer is lost
            fake._set_status(index, None)
            self.close_connection = True
            return
        fake._set_status(index, status)
        self._send(status, payload)

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = b"" if payload is None else json.dumps(payload).encode("utf-8")
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if data:
            self.wfile.write(data)
