"""The one retry policy: exponential backoff, bounded by attempts and (optionally) total time.

Two kinds of work retry with it. Google Calendar calls wait in-process between attempts
(`integrations/google/errors.py` runs them through tenacity with `backoff` as the wait and
`sleep`/`clock` from here, so tests never really wait). Reminder sends are put back in the
outbox with a later due time (`delay`), so nothing sleeps and `deadline`/`sleep`/`clock` are
unused there.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Attempt n (from 1) waits `min(max_backoff, initial_backoff · 2^(n-1))` seconds before the
    next one, scaled by `rand()` when `jitter` is on ("full jitter").

    Gives up after `max_attempts` attempts or, when `deadline` is set, when the next wait would
    end more than `deadline` seconds after the first attempt. A `Retry-After` raises the wait to
    at least that many seconds (still capped by `max_backoff`).
    """

    max_attempts: int = 6
    initial_backoff: float = 0.5
    max_backoff: float = 8.0
    deadline: float | None = 30.0
    jitter: bool = True
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)
    rand: Callable[[], float] = field(default=random.random, compare=False)

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after attempt number `attempt` (counting from 1) failed."""
        ceiling = min(self.max_backoff, self.initial_backoff * float(2 ** (attempt - 1)))
        delay = self.rand() * ceiling if self.jitter else ceiling
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_backoff))
        return delay

    def delay(self, attempts: int) -> timedelta:
        """`backoff` as a timedelta, for work that is rescheduled rather than slept on."""
        return timedelta(seconds=self.backoff(max(1, attempts)))
