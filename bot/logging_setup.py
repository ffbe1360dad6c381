"""One logging configuration: a line per event, with the loop/session/user it concerns.

Context travels in a contextvar (`log_context`) so a listener can say once which loop it is
working on and every line below it carries that. Tokens are scrubbed from every line, and
candidate names and emails are only logged at DEBUG by convention of the callers.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_context: ContextVar[dict[str, Any] | None] = ContextVar("log_context", default=None)
_SECRET = re.compile(r"xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|ya29\.[A-Za-z0-9._-]+")
_FIELDS = ("loop", "session", "user", "request")


@contextmanager
def log_context(**values: Any) -> Iterator[None]:
    """Attach `loop=…`, `session=…`, `user=…` to every log line inside the block."""
    merged = dict(_context.get() or {})
    merged.update({key: value for key, value in values.items() if value is not None})
    token = _context.set(merged)
    try:
        yield
    finally:
        _context.reset(token)


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context = dict(_context.get() or {})
        for name in _FIELDS:
            if hasattr(record, name):
                context[name] = getattr(record, name)
        record.context = "".join(f" {key}={context[key]}" for key in sorted(context))
        return True


class _RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record).replace("\n", "\\n")
        return _SECRET.sub("[redacted]", text)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ContextFilter())
    handler.setFormatter(
        _RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s%(context)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("googleapiclient.discovery_cache", "apscheduler.executors.default", "urllib3"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
