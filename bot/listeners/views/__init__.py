from __future__ import annotations

from slack_bolt import App

from bot.listeners.views import schedule_modal
from bot.services.context import Services


def register(app: App, services: Services) -> None:
    schedule_modal.register(app, services)
