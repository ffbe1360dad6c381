"""The bolt App: our WebClient, request verification, listeners on our own thread pools.

Redelivered requests are de-duplicated after the ack (see bot/listeners/delivery.py).
"""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from bot.listeners import register_all
from bot.services.context import Services


def build_app(services: Services, *, client: WebClient, signing_secret: str | None) -> App:
    app = App(
        client=client,
        signing_secret=signing_secret or "",
        token_verification_enabled=False,
        request_verification_enabled=signing_secret is not None,
        listener_executor=services.listeners,
        process_before_response=False,
    )
    register_all(app, services)
    return app
