"""`cant_make_it`: a confirmed interviewer backs out (confirmation DM, reminder, App Home).

The click opens a small modal for an optional reason; the trigger id lives 3 seconds, so the
check (one read) and `views.open` happen before returning. Anyone but that interviewer, and a
click that no longer applies, gets an answer and nothing changes: ephemeral in a DM, a notice
modal in App Home (which has no ephemeral replies).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks.backout import cant_make_it_modal, notice_modal
from bot.ids import ActionId, action_pattern
from bot.listeners.actions.clicker import clicker
from bot.logging_setup import log_context
from bot.services.backout import check_back_out
from bot.services.context import Services

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.action(action_pattern(ActionId.CANT_MAKE_IT))
    def clicked(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        user, from_home = clicker(body)
        value = str(action.get("value", ""))
        with log_context(user=user, request=value):
            if not value.isdigit():
                answer(
                    respond, client, body, from_home, "That button is malformed; nothing changed."
                )
                return
            checked = check_back_out(services, request_id=int(value), user_id=user)
            if checked.refusal is not None:
                answer(respond, client, body, from_home, checked.refusal)
                return
            client.views_open(
                trigger_id=body["trigger_id"], view=cant_make_it_modal(int(value), checked.what)
            )


def answer(
    respond: Respond, client: WebClient, body: dict[str, Any], from_home: bool, text: str
) -> None:
    if from_home:
        client.views_open(trigger_id=body["trigger_id"], view=notice_modal("Can't make it", text))
    else:
        respond(response_type="ephemeral", replace_original=False, text=text)
