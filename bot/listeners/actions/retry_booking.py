"""`retry_booking`: the recruiter retries a loop whose calendar events could not be created."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.ids import ActionId, action_pattern
from bot.listeners.actions.clicker import clicker
from bot.listeners.delivery import submit_once
from bot.listeners.events.app_home import publish_home
from bot.listeners.replies import report_failure
from bot.logging_setup import log_context
from bot.services.asks import notify
from bot.services.booking import retry_booking
from bot.services.context import Services

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.action(action_pattern(ActionId.RETRY_BOOKING))
    def retry(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        user, from_home = clicker(body)
        submit_once(
            services,
            body,
            run_retry,
            services,
            str(action.get("value", "")),
            user,
            respond,
            from_home,
        )


def run_retry(
    services: Services, short_id: str, user: str, respond: Respond, from_home: bool = False
) -> None:
    """From App Home (the attention list) there is no ephemeral reply: DM, then refresh Home."""
    with log_context(loop=short_id, user=user):
        try:
            message = retry_booking(services, short_id=short_id, user_id=user)
        except Exception:
            if not from_home:
                report_failure(respond, f"retrying the booking of loop `{short_id}`")
            raise
        if from_home:
            notify(services, user, message, short_id)
            publish_home(services, user)
        else:
            respond(response_type="ephemeral", replace_original=False, text=message)
