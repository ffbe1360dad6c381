"""The public web app: one Flask app holding every blueprint that needs `PUBLIC_URL`."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from bot.services.context import Services
from bot.web.candidate import add_candidate_pages

BlueprintFactory = Callable[[Services, Flask], None]

# Each feature that serves public pages registers itself here: a function that adds its routes
# (usually one blueprint) to the app. Kept as an explicit list so the set of public endpoints is
# visible in one place.
PUBLIC_FEATURES: list[BlueprintFactory] = [add_candidate_pages]


def create_public_app(services: Services) -> Flask | None:
    """The app behind `PUBLIC_URL`, or None when `PUBLIC_URL` is not set (nothing is public)."""
    if services.settings.public_url is None:
        return None
    services.settings.require_public()
    app = Flask("interview_bot_public")
    app.config.update(
        SECRET_KEY=services.settings.require(
            "SECRET_KEY", "when PUBLIC_URL is set"
        ).get_secret_value(),
        SESSION_COOKIE_SECURE=services.settings.public_url.startswith("https://"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    for add_feature in PUBLIC_FEATURES:
        add_feature(services, app)
    return app


def _google_push(services: Services, app: Flask) -> None:
    from bot.web.google_push import add_google_push

    add_google_push(services, app)


PUBLIC_FEATURES.append(_google_push)
