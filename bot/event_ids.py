"""Client-supplied Google event ids, derived from the session so every retry names one event.

Pure (no vendor import) so services can record the id an insert *will* use before making it:
a delete intent can then name an event whose insert is still in flight or whose answer was lost.
"""

from __future__ import annotations

import base64
import hashlib

_ID_NAMESPACE = b"interview-bot/event/v1\x00"


def event_id_for(key: str) -> str:
    """The client-supplied event id for a session key: 52 chars of base32hex (`0-9a-v`)."""
    if not key:
        raise ValueError("an event key must not be empty")
    digest = hashlib.sha256(_ID_NAMESPACE + key.encode("utf-8")).digest()
    return base64.b32hexencode(digest).decode("ascii").rstrip("=").lower()


def session_event_key(short_id: str, session_id: int) -> str:
    """`EventSpec.key` of a session's event (stable for the session's whole life)."""
    return f"{short_id}-{session_id}"


def session_event_id(short_id: str, session_id: int) -> str:
    return event_id_for(session_event_key(short_id, session_id))
