"""Short loop ids like `L7F3K`: easy to read aloud and type, no 0/O or 1/I confusion."""

from __future__ import annotations

import secrets

from sqlmodel import Session, select

from storage.models import Loop

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_short_id(*, session: Session, length: int = 4) -> str:
    for attempt in range(50):
        size = length + attempt // 10
        candidate = "L" + "".join(secrets.choice(ALPHABET) for _ in range(size))
        if session.exec(select(Loop.id).where(Loop.short_id == candidate)).first() is None:
            return candidate
    raise RuntimeError("could not find a free loop id")
