"""`swap_interviewer` (attention list): open the swap form for a loop; recruiters only."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks.backout import notice_modal, swap_modal
from bot.ids import ActionId, action_pattern
from bot.logging_setup import log_context
from bot.services.context import Services
from bot.services.errors import UserFacingError
from bot.services.swap import swap_choices

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.action(action_pattern(ActionId.SWAP_INTERVIEWER))
    def clicked(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        user = str(body.get("user", {}).get("id", ""))
        short_id = str(action.get("value", "")).strip().upper()
        with log_context(loop=short_id, user=user):
            try:
                people = swap_choices(services, short_id=short_id, user_id=user)
            except UserFacingError as error:
                if body.get("container", {}).get("type") == "view":
                    client.views_open(
                        trigger_id=body["trigger_id"], view=notice_modal("Swap", str(error))
                    )
                else:
                    respond(response_type="ephemeral", replace_original=False, text=str(error))
                return
            client.views_open(trigger_id=body["trigger_id"], view=swap_modal(short_id, people))
