"""`POST /google/notifications`: Google Calendar push notifications (events.watch).

Google's POST carries no body worth trusting, only headers. It is accepted when
`X-Goog-Channel-ID` is the open channel and `X-Goog-Channel-Token` its secret (compared in
constant time); anything else gets 4xx and triggers nothing. An accepted notification is
answered at once and the same leased sync the poller runs is started in the background.
The first message of a channel (`X-Goog-Resource-State: sync`) only confirms it.
"""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Flask, Response, request

from bot.services.calendar_sync import state
from bot.services.calendar_sync.channel import NOTIFICATION_PATH
from bot.services.calendar_sync.job import CalendarSync
from bot.services.context import Services

log = logging.getLogger(__name__)


def add_google_push(services: Services, app: Flask) -> None:
    """Register the notification endpoint on the public app (see `bot/web/app.py`)."""
    sync = CalendarSync(services)
    blueprint = Blueprint("google_push", __name__)

    @blueprint.post(NOTIFICATION_PATH)
    def notification() -> Response:
        channel_id = request.headers.get("X-Goog-Channel-ID", "")
        token = request.headers.get("X-Goog-Channel-Token", "")
        if not channel_id or not token:
            return Response("missing channel headers\n", status=400, mimetype="text/plain")
        row = state.read(services.engine)
        if (
            row.channel_id is None
            or row.channel_token is None
            or not hmac.compare_digest(channel_id.encode(), row.channel_id.encode())
            or not hmac.compare_digest(token.encode(), row.channel_token.encode())
        ):
            log.warning("Calendar notification refused: unknown channel or wrong token")
            return Response("unknown channel or wrong token\n", status=403, mimetype="text/plain")
        if request.headers.get("X-Goog-Resource-State") != "sync":
            services.work.submit(sync.tick)
        return Response(status=204)

    app.register_blueprint(blueprint)
