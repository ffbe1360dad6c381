"""Running a listener's slow part after the ack, with bolt's own ack-then-run, once per delivery.

Every listener is registered as `app.<kind>(…)(ack=…, lazy=[after_ack(services)])`. The ack
half parses, checks who asks, answers Slack, and names the slow part with `submit_once` (or
`submit`): the task and its plain-data arguments go into bolt's context, which bolt deep-copies
into the lazy half it runs on `services.work` (`App(listener_executor=…)`) once the ack is
sent. So the decision is made once, on the ack side, and handed over as data.

Slack redelivers an event it thinks was lost (`X-Slack-Retry-Num`), and Socket Mode does the
same. The delivery's key (event id, or the trigger id of a command or click) is claimed in the
database by the lazy half itself, so the ack path never waits for a write and a redelivery
does nothing. Double clicks are different deliveries; compare-and-set on the state they change
makes them harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext, Respond

from bot.services.context import Services
from storage.engine import session_scope
from storage.repo import claim_delivery

log = logging.getLogger(__name__)

AFTER_ACK = "after_ack"


class _RespondSlot:
    """Stands for the lazy half's `respond` among a task's arguments (survives the deep copy)."""

    def __deepcopy__(self, memo: dict[int, Any]) -> _RespondSlot:
        return self

    def __repr__(self) -> str:
        return "RESPOND"


RESPOND = _RespondSlot()


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


def submit_once(context: BoltContext, task: Callable[..., Any], *args: Any) -> None:
    """After the ack, run `task(services, *args)` once per delivery (`RESPOND` → `respond`)."""
    context[AFTER_ACK] = (task, args, True)


def submit(context: BoltContext, task: Callable[..., Any], *args: Any) -> None:
    """Like `submit_once` for read-only work, where a repeated delivery may repeat the answer."""
    context[AFTER_ACK] = (task, args, False)


def after_ack(services: Services) -> Callable[..., None]:
    """The lazy half shared by every listener: runs what its ack half handed over."""

    def run_after_ack(context: BoltContext, body: dict[str, Any], respond: Respond) -> None:
        handed = context.get(AFTER_ACK)
        if handed is None:
            return  # the ack half answered everything itself
        task, args, once = handed
        args = tuple(respond if arg is RESPOND else arg for arg in args)
        key = delivery_key(body) if once else None
        try:
            _run_once(services, key, task, *args)
        except Exception:  # bolt would log one line; keep the traceback
            log.exception("background task %s failed", getattr(task, "__name__", task))

    return run_after_ack


def _run_once(services: Services, key: str | None, task: Callable[..., Any], *args: Any) -> None:
    if key is not None:
        with session_scope(services.engine) as session:
            first = claim_delivery(key, session=session)
        if not first:
            log.info("duplicate delivery %s ignored", key)
            return
    task(services, *args)
