"""`choose_option`: the recruiter books one of the proposed options."""

from __future__ import annotations

import logging
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


def register(app: App, services: Services) -> None:
    @app.action(action_pattern(ActionId.CHOOSE_OPTION))
    def choose_option(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        ack()
        user = str(body.get("user", {}).get("id", ""))
        value = str(action.get("value", ""))
        submit_once(services, body, run_choose, services, value, user, respond)


def run_choose(services: Services, value: str, user: str, respond: Respond) -> None:
    short_id, _, index_text = value.partition(":")
    if not index_text.isdigit():
        respond(
            response_type="ephemeral",
            replace_original=False,
            text="That button is malformed; nothing changed.",
        )
        return
    with log_context(loop=short_id, user=user):
        try:
            result = choose(services, short_id=short_id, index=int(index_text), user_id=user)
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
