"""`reschedule_loop` / `cancel_loop`: a recruiter resolves a loop from App Home or a notice.

The services check who clicks (recruiters only) and what state the loop is in; the answer goes
back ephemerally where the click came from, or by DM when it came from App Home (which has no
ephemeral replies), and App Home is published again so the list shows what is left.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.blocks.proposals import proposals_message
from bot.ids import ActionId, action_pattern
from bot.listeners.actions.clicker import clicker
from bot.listeners.delivery import submit_once
from bot.listeners.events.app_home import publish_home
from bot.listeners.replies import report_failure
from bot.logging_setup import log_context
from bot.services import loops
from bot.services.asks import notify
from bot.services.context import Services
from bot.services.errors import UserFacingError

log = logging.getLogger(__name__)
Task = Callable[[Services, str, str], str | None]


def register(app: App, services: Services) -> None:
    def listener(task: Task, doing: str) -> Callable[..., None]:
        def handle(
            ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
        ) -> None:
            ack()
            user, from_home = clicker(body)
            short_id = str(action.get("value", "")).strip().upper()
            submit_once(
                services, body, run, services, task, doing, short_id, user, respond, from_home
            )

        return handle

    app.action(action_pattern(ActionId.RESCHEDULE_LOOP))(listener(reschedule, "rescheduling"))
    app.action(action_pattern(ActionId.CANCEL_LOOP))(listener(cancel, "cancelling"))


def reschedule(services: Services, short_id: str, user: str) -> str | None:
    view = loops.reschedule(services, short_id=short_id, user_id=user)
    text, blocks = proposals_message(view)
    services.messenger.send_dm(user, text, blocks)
    return None  # the fresh options are the answer


def cancel(services: Services, short_id: str, user: str) -> str | None:
    return loops.cancel(services, short_id=short_id, user_id=user, reason=None)


def run(
    services: Services,
    task: Task,
    doing: str,
    short_id: str,
    user: str,
    respond: Respond,
    from_home: bool,
) -> None:
    with log_context(loop=short_id, user=user):
        try:
            message = task(services, short_id, user)
        except UserFacingError as error:
            message = str(error)
        except Exception:
            if not from_home:
                report_failure(respond, f"{doing} loop `{short_id}`")
            raise
        if message is not None:
            if from_home:
                notify(services, user, message, short_id)
            else:
                respond(response_type="ephemeral", replace_original=False, text=message)
        publish_home(services, user)
