from __future__ import annotations

from slack_bolt import App

from bot.listeners.actions import (
    answer_request,
    candidate_link,
    choose_option,
    retry_booking,
)
from bot.services.context import Services


def register(app: App, services: Services) -> None:
    choose_option.register(app, services)
    answer_request.register(app, services)
    candidate_link.register(app, services)
    retry_booking.register(app, services)
