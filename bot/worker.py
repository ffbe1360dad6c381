"""The pool that runs slow work after Slack has been acknowledged.

Handlers ack first and submit here. Worker threads are started up front and fed through a
queue, so `submit` never creates a thread or takes `concurrent.futures`' process-wide lock:
under a burst of commands that lock, held while a new thread starts, made acks queue behind
each other. `wait_idle` lets tests and shutdown wait for in-flight work without sleeping.

Why not bolt's own ack-then-run (`app.command(...)(ack=…, lazy=[…])`): measured with
`benchmarks/slack_ack.py --burst 50 --rounds 3 --samples 3 --no-realistic` on the shared 2-core
machine (2026-12-06), each pair run back to back. Every listener converted to `lazy=` (commit
"Listeners use bolt's own ack-then-run", reverted) against this hand-off:
  load ≈ 8–12: p99 ack lazy 396 ms vs here 196 ms; 273 vs 197; 334 vs 228
  load ≈ 1 (only `/interview` lazy): 139 ms vs 170 ms
Under load the lazy variant was slower in all three pairs and missed the 300 ms target twice;
this hand-off met it every time. (Bolt's extra work per request, copying the request for the
lazy half, costs only ~0.09 ms, so the gap is scheduling under contention, but it is the
measured one.) Listeners therefore ack, then hand the slow part to this pool themselves
(`bot/listeners/delivery.py`, which also de-duplicates Slack's redeliveries).
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
