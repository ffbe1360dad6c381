"""`confirm_slot` / `decline_slot`: an interviewer answers a request (DM or App Home)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.ids import ActionId, action_pattern
from bot.listeners.actions.clicker import clicker
from bot.listeners.delivery import submit_once
from bot.listeners.events.app_home import publish_home
from bot.listeners.replies import report_failure
from bot.logging_setup import log_context
from bot.services.answers import AnswerResult, confirm, decline
from bot.services.context import Services

log = logging.getLogger(__name__)
Answer = Callable[..., AnswerResult]
MALFORMED = "That button is malformed; nothing changed."
REQUEST_ID = re.compile(r"[0-9]{1,9}")


def register(app: App, services: Services) -> None:
    def listener(answer: Answer) -> Callable[..., None]:
        def handle(
            ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
        ) -> None:
            ack()
            user, from_home = clicker(body)
            submit_once(
                services,
                body,
                run_answer,
                services,
                answer,
                str(action.get("value", "")),
                user,
                respond,
                from_home,
            )

        return handle

    app.action(action_pattern(ActionId.CONFIRM_SLOT))(listener(confirm))
    app.action(action_pattern(ActionId.DECLINE_SLOT))(listener(decline))


def run_answer(
    services: Services, answer: Answer, value: str, user: str, respond: Respond, from_home: bool
) -> None:
    if not REQUEST_ID.fullmatch(value):  # ASCII digits that fit a database integer
        if from_home:
            publish_home(services, user, notice=MALFORMED)
            return
        respond(response_type="ephemeral", replace_original=False, text=MALFORMED)
        return
    with log_context(user=user, request=value):
        try:
            result = answer(services, request_id=int(value), user_id=user)
        except Exception:
            if not from_home:
                report_failure(respond, "recording your answer")
            raise
        unchanged = result.outcome in ("refused", "already", "missing", "stale")
        if from_home:  # no response URL on App Home: the answer is shown at the top of it
            publish_home(services, user, notice=result.message if unchanged else None)
        elif unchanged:
            respond(response_type="ephemeral", replace_original=False, text=result.message)
