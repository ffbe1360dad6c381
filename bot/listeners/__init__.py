"""Slack listeners by surface; each package registers its own with `register(app, services)`."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import actions, commands, events, views
from bot.services.context import Services


def register_all(app: App, services: Services) -> None:
    for surface in (commands, actions, views, events):
        surface.register(app, services)
