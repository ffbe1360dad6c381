from __future__ import annotations

from slack_bolt import App

from bot.listeners.views import cant_make_it_modal, schedule_modal, swap_modal
from bot.services.context import Services


def register(app: App, services: Services) -> None:
    schedule_modal.register(app, services)
    cant_make_it_modal.register(app, services)
    swap_modal.register(app, services)
