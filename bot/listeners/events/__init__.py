from __future__ import annotations

from slack_bolt import App

from bot.listeners.events import app_home
from bot.services.context import Services


def register(app: App, services: Services) -> None:
    app_home.register(app, services)
