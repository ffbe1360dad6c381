"""Service-account credentials with domain-wide delegation, impersonating the organizer.

Scopes (the narrowest pair that covers what the bot does; see docs/google.md):

- `calendar.events.freebusy` — "see the availability on Google calendars you have access to":
  `freeBusy.query` on the interviewers' calendars. (`calendar.freebusy` is documented as *your
  own* availability only, so it is not enough for other people's calendars.)
- `calendar.events.owned` — "see, create, change and delete events on Google calendars you
  own": insert/get/patch/update/delete on the organizer's own calendar, nothing else.

The JSON key's `token_uri` is honoured (google-auth posts the JWT grant there), which is also
how tests point the token flow at a local fake.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import google_auth_httplib2
import httplib2
from google.auth.credentials import Credentials
from google.oauth2 import service_account

from integrations.google.errors import GoogleConfigError

SCOPE_FREEBUSY = "https://www.googleapis.com/auth/calendar.events.freebusy"
SCOPE_EVENTS_OWNED = "https://www.googleapis.com/auth/calendar.events.owned"
SCOPES: tuple[str, ...] = (SCOPE_FREEBUSY, SCOPE_EVENTS_OWNED)

_REQUIRED_FIELDS = ("type", "client_email", "private_key", "token_uri")


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    """Delegated credentials plus what an admin needs to recognise the account."""

    credentials: service_account.Credentials
    client_email: str
    client_id: str | None  # the numeric id entered in Admin console > Domain-wide delegation


def load_service_account(
    path: Path | str, organizer: str, scopes: Sequence[str] = SCOPES
) -> ServiceAccount:
    """Credentials from a service-account JSON key, impersonating `organizer`.

    Raises GoogleConfigError with one line naming the file and the problem.
    """
    file = Path(path)
    where = f"GOOGLE_SERVICE_ACCOUNT_FILE {file}"
    if not organizer or "@" not in organizer or organizer.strip() != organizer:
        raise GoogleConfigError(f"GOOGLE_ORGANIZER_EMAIL {organizer!r} is not an email address")
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GoogleConfigError(f"{where}: file not found") from None
    except IsADirectoryError:
        raise GoogleConfigError(f"{where}: is a directory, not a JSON key file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise GoogleConfigError(f"{where}: cannot read it ({error})") from None
    try:
        info: Any = json.loads(text)
    except ValueError as error:
        raise GoogleConfigError(f"{where}: not valid JSON ({error})") from None
    if not isinstance(info, dict):
        raise GoogleConfigError(f"{where}: expected a JSON object (a service-account key)")
    missing = [name for name in _REQUIRED_FIELDS if not info.get(name)]
    if missing:
        raise GoogleConfigError(
            f"{where}: not a service-account key (missing {', '.join(missing)})"
        )
    if info["type"] != "service_account":
        raise GoogleConfigError(
            f"{where}: type is {info['type']!r}, expected 'service_account' "
            "(download a JSON key for a service account, not an OAuth client)"
        )
    try:
        from_info: Callable[..., service_account.Credentials] = (
            service_account.Credentials.from_service_account_info
        )
        credentials = from_info(info, scopes=list(scopes))
    except (ValueError, TypeError, KeyError) as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise GoogleConfigError(f"{where}: unusable private key ({detail})") from None
    client_id = info.get("client_id")
    with_subject: Callable[[str], service_account.Credentials] = credentials.with_subject
    return ServiceAccount(
        credentials=with_subject(organizer),
        client_email=str(info["client_email"]),
        client_id=str(client_id) if client_id else None,
    )


class TokenSource:
    """Refreshes shared credentials once, under a lock, before any thread uses them.

    google-auth credentials are shared by every worker thread; without the lock a cold start
    with three concurrent freeBusy chunks would fetch three tokens.
    """

    def __init__(self, credentials: Credentials, http_factory: Callable[[], Any]) -> None:
        self.credentials = credentials
        self._http_factory = http_factory
        self._lock = threading.Lock()

    def ensure_valid(self) -> None:
        if self.credentials.valid:
            return
        with self._lock:
            if not self.credentials.valid:
                refresh: Callable[[Any], None] = self.credentials.refresh
                refresh(google_auth_httplib2.Request(self._http_factory()))


def new_http(timeout: float) -> Any:
    return httplib2.Http(timeout=timeout)
