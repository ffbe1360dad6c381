"""`app_home_opened`: publish the user's Home tab."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.blocks.home import home_view
from bot.listeners.delivery import submit_once
from bot.ports import MessagingError
from bot.services.context import Services
from bot.services.home import home_for

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.event("app_home_opened")
    def opened(event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        submit_once(services, body, publish_home, services, str(event.get("user", "")))


def publish_home(services: Services, user_id: str, notice: str | None = None) -> None:
    """`notice` (mrkdwn) answers a click on the Home tab, which has no response URL."""
    if not user_id:
        return
    try:
        services.messenger.publish_home(user_id, home_view(home_for(services, user_id, notice)))
    except MessagingError as error:
        log.warning("could not publish home: %s", error.code, extra={"user": user_id})
