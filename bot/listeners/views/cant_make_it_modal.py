"""The "can't make it" modal's submission: close it at once, release the interviewer after."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App

from bot.blocks.backout import REASON_ACTION, REASON_BLOCK
from bot.ids import CallbackId
from bot.listeners.delivery import submit_once
from bot.listeners.events.app_home import publish_home
from bot.logging_setup import log_context
from bot.services.asks import notify
from bot.services.backout import back_out
from bot.services.context import Services

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.view(CallbackId.CANT_MAKE_IT_MODAL.value)
    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        ack()
        user = str(body.get("user", {}).get("id", ""))
        value = str(view.get("private_metadata", ""))
        state = view.get("state", {}).get("values", {})
        reason = str(state.get(REASON_BLOCK, {}).get(REASON_ACTION, {}).get("value") or "")
        if value.isdigit():
            submit_once(services, body, run_back_out, services, int(value), user, reason)


def run_back_out(services: Services, request_id: int, user: str, reason: str) -> None:
    with log_context(user=user, request=str(request_id)):
        result = back_out(services, request_id=request_id, user_id=user, reason=reason)
        notify(services, user, result.message, result.short_id)
        publish_home(services, user)
