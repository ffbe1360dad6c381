from __future__ import annotations

from slack_bolt import App

from bot.listeners.actions import (
    answer_request,
    candidate_link,
    cant_make_it,
    choose_option,
    loop_buttons,
    retry_booking,
    swap_interviewer,
)
from bot.services.context import Services


def register(app: App, services: Services) -> None:
    choose_option.register(app, services)
    answer_request.register(app, services)
    cant_make_it.register(app, services)
    loop_buttons.register(app, services)
    swap_interviewer.register(app, services)
    candidate_link.register(app, services)
    retry_booking.register(app, services)
