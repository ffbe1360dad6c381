"""The swap form's submission: close it, run the same swap as `/interview swap`, DM the result."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App

from bot.blocks.backout import SWAP_NEW_ACTION, SWAP_NEW_BLOCK, SWAP_OLD_ACTION, SWAP_OLD_BLOCK
from bot.ids import CallbackId
from bot.listeners.delivery import submit_once
from bot.listeners.events.app_home import publish_home
from bot.logging_setup import log_context
from bot.services.asks import notify
from bot.services.context import Services
from bot.services.errors import UserFacingError
from bot.services.swap import swap

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.view(CallbackId.SWAP_MODAL.value)
    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        state = view.get("state", {}).get("values", {})
        old = state.get(SWAP_OLD_BLOCK, {}).get(SWAP_OLD_ACTION, {}).get("selected_option") or {}
        new = state.get(SWAP_NEW_BLOCK, {}).get(SWAP_NEW_ACTION, {}).get("selected_user")
        old_id = str(old.get("value") or "")
        if not old_id:
            ack(response_action="errors", errors={SWAP_OLD_BLOCK: "Pick who to take off."})
            return
        if new == old_id:
            ack(response_action="errors", errors={SWAP_NEW_BLOCK: "That is the same person."})
            return
        ack()
        user = str(body.get("user", {}).get("id", ""))
        short_id = str(view.get("private_metadata", ""))
        submit_once(services, body, run_swap, services, short_id, user, old_id, new or None)


def run_swap(services: Services, short_id: str, user: str, old: str, new: str | None) -> None:
    with log_context(loop=short_id, user=user):
        try:
            message = swap(services, short_id=short_id, user_id=user, old=old, new=new)
        except UserFacingError as error:
            message = str(error)
        notify(services, user, message, short_id)
        publish_home(services, user)
