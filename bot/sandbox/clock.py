"""The sandbox's clock: real time plus an offset the page moves forward, kept across restarts."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path


class ShiftedClock:
    """`now()` = the real UTC time + an offset; shared by services and the reminder dispatcher.

    Time only moves forward: the offset never shrinks, so nothing the bot recorded ends up in the
    future. The offset is saved to `path` (when given) so a restart keeps the sandbox's day.
    """

    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._lock = threading.Lock()
        offset = timedelta()
        if path is not None and path.exists():
            seconds = json.loads(path.read_text(encoding="utf-8")).get("offset_seconds", 0)
            offset = timedelta(seconds=max(0.0, float(seconds)))
        self._initial = self._offset = offset
        self._history: list[tuple[float, timedelta]] = []  # (real epoch seconds, new offset)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self._offset

    @property
    def offset(self) -> timedelta:
        return self._offset

    def at(self, real_epoch: float) -> datetime:
        """The sandbox time it was at a real moment (a Slack `ts`) of this run."""
        offset = self._initial
        for changed_at, new_offset in self._history:
            if changed_at <= real_epoch:
                offset = new_offset
        return datetime.fromtimestamp(real_epoch, UTC) + offset

    def advance(self, delta: timedelta) -> datetime:
        if delta <= timedelta():
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += delta
            self._history.append((datetime.now(UTC).timestamp(), self._offset))
            if self._path is not None:
                self._path.parent.mkdir(parents=True, exist_ok=True)
                self._path.write_text(
                    json.dumps({"offset_seconds": self._offset.total_seconds()}), encoding="utf-8"
                )
        return self()
