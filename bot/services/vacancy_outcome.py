"""What covering a vacancy did: the recruiter's note, and which requests to send or withdraw."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VacancyOutcome:
    message: str
    recruiter: str | None
    request_ids: tuple[int, ...] = ()
    cancelled_request_ids: tuple[int, ...] = ()
