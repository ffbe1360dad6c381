"""The bolt App: our WebClient, request verification, Slack-retry de-duplication, listeners."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient

from bot.listeners import register_all
from bot.services.context import Services
from storage.engine import session_scope
from storage.repo import claim_delivery

log = logging.getLogger(__name__)


def delivery_key(body: dict[str, Any]) -> str | None:
    """A key that is the same for Slack's retries of one delivery and differs otherwise."""
    if body.get("event_id"):
        return f"event:{body['event_id']}"
    if body.get("trigger_id"):
        return f"trigger:{body['trigger_id']}"
    actions = body.get("actions") or []
    if actions and body.get("container"):
        return f"action:{actions[0].get('action_ts')}:{body.get('user', {}).get('id')}"
    return None


def dedupe_middleware(services: Services) -> Callable[..., BoltResponse | None]:
    def dedupe(req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> Any:
        key = delivery_key(req.body)
        if key is not None:
            with session_scope(services.engine) as session:
                first = claim_delivery(key, session=session)
            if not first:
                retry = (req.headers.get("x-slack-retry-num") or ["-"])[0]
                log.info("duplicate delivery %s (retry %s) ignored", key, retry)
                return BoltResponse(status=200, body="")
        return next()

    return dedupe


def build_app(services: Services, *, client: WebClient, signing_secret: str | None) -> App:
    app = App(
        client=client,
        signing_secret=signing_secret or "",
        token_verification_enabled=False,
        request_verification_enabled=signing_secret is not None,
        listener_executor=services.listeners,
        process_before_response=False,
    )
    app.use(dedupe_middleware(services))
    register_all(app, services)
    return app
