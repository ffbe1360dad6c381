"""The bolt App: our WebClient, request verification, listeners run on the request thread.

Redelivered requests are de-duplicated after the ack (see bot/listeners/delivery.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from bot.listeners import register_all
from bot.services.context import Services


def cached_authorize(client: WebClient) -> Callable[..., AuthorizeResult]:
    """One `auth.test` for the process, however many requests arrive before it answers.

    Bolt's single-team authorization calls `auth.test` from every request until the first
    answer is cached, so a burst at start-up would send dozens of them on the ack path.
    """
    lock = threading.Lock()
    cached: list[AuthorizeResult] = []

    def authorize() -> AuthorizeResult:
        with lock:
            if not cached:
                cached.append(
                    AuthorizeResult.from_auth_test_response(
                        auth_test_response=client.auth_test(),
                        bot_token=client.token,
                        user_token=None,
                    )
                )
            return cached[0]

    return authorize


def build_app(services: Services, *, client: WebClient, signing_secret: str | None) -> App:
    app = App(
        client=client,
        authorize=cached_authorize(client),
        signing_secret=signing_secret or "",
        token_verification_enabled=False,
        request_verification_enabled=signing_secret is not None,
        # Our listeners only parse, ack and hand slow work to the background pool, so running
        # them on the request thread answers Slack at once (no polling for the ack).
        process_before_response=True,
    )
    register_all(app, services)
    return app
