"""Serialising the check-then-book step across threads and replicas.

SQLite transactions already begin IMMEDIATE (one writer at a time). On PostgreSQL a
transaction-scoped advisory lock gives the same guarantee for booking decisions, so two
recruiters choosing options that share an interviewer cannot both pass the re-check.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

BOOKING_LOCK_KEY = 0x1A7E  # arbitrary, fixed


def booking_lock(*, session: Session) -> None:
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": BOOKING_LOCK_KEY})
