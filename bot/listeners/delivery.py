"""Running a listener's slow part once per Slack delivery, after the ack.

Slack redelivers an event it thinks was lost (`X-Slack-Retry-Num`), and Socket Mode does the
same. The delivery's key (event id, or the trigger id of a command or click) is claimed in the
database by the background task itself, so the ack path never waits for a write and a
redelivery does nothing. Double clicks are different deliveries; compare-and-set on the state
they change makes them harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot.services.context import Services
from storage.engine import session_scope
from storage.repo import claim_delivery

log = logging.getLogger(__name__)


def delivery_key(body: dict[str, Any]) -> str | None:
    """The same for Slack's retries of one delivery, different for every other delivery."""
    if body.get("event_id"):
        return f"event:{body['event_id']}"
    if body.get("trigger_id"):
        return f"trigger:{body['trigger_id']}"
    actions = body.get("actions") or []
    if actions:
        return f"action:{actions[0].get('action_ts')}:{body.get('user', {}).get('id')}"
    return None


def submit_once(
    services: Services, body: dict[str, Any], task: Callable[..., Any], *args: Any
) -> None:
    services.work.submit(_run_once, services, delivery_key(body), task, *args)


def _run_once(services: Services, key: str | None, task: Callable[..., Any], *args: Any) -> None:
    if key is not None:
        with session_scope(services.engine) as session:
            first = claim_delivery(key, session=session)
        if not first:
            log.info("duplicate delivery %s ignored", key)
            return
    task(*args)
