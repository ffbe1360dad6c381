from __future__ import annotations

from slack_bolt import App

from bot.listeners.commands import interview
from bot.services.context import Services


def register(app: App, services: Services) -> None:
    interview.register(app, services)
