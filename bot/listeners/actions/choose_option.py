"""`choose_option`: the recruiter books one of the proposed options."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.blocks.proposals import proposals_message
from bot.ids import ActionId, action_pattern
from bot.listeners.delivery import submit_once
from bot.listeners.replies import report_failure
from bot.logging_setup import log_context
from bot.services.asks import notify, send_requests
from bot.services.choose import choose
from bot.services.context import Services
from bot.services.errors import UserFacingError

log = logging.getLogger(__name__)
BUTTON_VALUE = re.compile(r"^(L[0-9A-Z]{4,8}):([0-9]{1,3})(?::([0-9a-f]{1,64}))?$")


def register(app: App, services: Services) -> None:
    @app.action(action_pattern(ActionId.CHOOSE_OPTION))
    def choose_option(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        ack()
        user = str(body.get("user", {}).get("id", ""))
        value = str(action.get("value", ""))
        submit_once(services, body, run_choose, services, value, user, respond)


def parse_value(value: str) -> tuple[str, int, str | None] | None:
    """`LOOP:INDEX[:FINGERPRINT]` as the proposals message writes it, or None if malformed."""
    match = BUTTON_VALUE.match(value)
    if match is None:
        return None
    return match.group(1), int(match.group(2)), match.group(3)


def run_choose(services: Services, value: str, user: str, respond: Respond) -> None:
    parsed = parse_value(value)
    if parsed is None:
        respond(
            response_type="ephemeral",
            replace_original=False,
            text="That button is malformed; nothing changed.",
        )
        return
    short_id, index, fingerprint = parsed
    with log_context(loop=short_id, user=user):
        try:
            result = choose(
                services, short_id=short_id, index=index, user_id=user, fingerprint=fingerprint
            )
        except UserFacingError as error:
            respond(response_type="ephemeral", replace_original=False, text=str(error))
            return
        except Exception:
            report_failure(respond, f"booking loop `{short_id}`")
            raise
        if result.outcome == "stale" and result.proposal is not None:
            text, blocks = proposals_message(result.proposal)
            respond(replace_original=True, text=text, blocks=blocks)
            return
        if result.outcome != "booked":
            respond(response_type="ephemeral", replace_original=False, text=result.message)
            return
        respond(
            replace_original=True,
            text=result.message,
            blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": result.message}}],
        )
        unreachable = send_requests(services, result.request_ids)
        if unreachable:
            notify(
                services,
                user,
                f":warning: Loop `{short_id}`: could not reach {', '.join(unreachable)}.",
                short_id,
            )
