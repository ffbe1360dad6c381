"""The pool that runs slow work after Slack has been acknowledged.

Listeners ack first; their lazy halves and other background work run here. Worker threads
are started up front and fed through a queue, so `submit` never creates a thread or takes
`concurrent.futures`' process-wide lock: under a burst of commands that lock, held while a new
thread starts, made acks queue behind each other. `wait_idle` lets tests and shutdown wait
for in-flight work without sleeping.

This pool is also bolt's `listener_executor`: listeners use bolt's own ack-then-run (`lazy=`,
see bot/listeners/delivery.py), and the lazy halves run here. Measured before switching, with
`benchmarks/slack_ack.py --burst 50 --rounds 3 --samples 3 --no-realistic` on the shared 2-core
machine (load average about 1.0): p99 ack 139 ms with a lazy `/interview`, 170 ms with the
hand-off to this pool it replaced, both well inside the 300 ms target.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

log = logging.getLogger(__name__)

_Task = tuple[Future[Any], Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class BackgroundWork(Executor):
    def __init__(self, max_workers: int = 8, name: str = "work") -> None:
        self._queue: queue.SimpleQueue[_Task | None] = queue.SimpleQueue()
        self._pending = 0
        self._idle = threading.Condition()
        self._closed = False
        self._threads = [
            threading.Thread(target=self._loop, name=f"{name}-{i}", daemon=True)
            for i in range(max_workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if self._closed:
            raise RuntimeError("cannot submit after shutdown")
        future: Future[Any] = Future()
        with self._idle:
            self._pending += 1
        self._queue.put((future, fn, args, kwargs))
        return future

    def _loop(self) -> None:
        while True:
            task = self._queue.get()
            if task is None:
                return
            future, fn, args, kwargs = task
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(fn(*args, **kwargs))
                    except Exception as error:
                        log.exception("background task %s failed", getattr(fn, "__name__", fn))
                        future.set_exception(error)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no task is queued or running; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._closed = True
        for _ in self._threads:
            self._queue.put(None)
        if wait:
            for thread in self._threads:
                thread.join()
