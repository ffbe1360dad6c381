"""`candidate_link`: the recruiter asks for a link instead of choosing an option themselves."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.ids import ActionId, action_pattern
from bot.listeners.delivery import submit_once
from bot.listeners.replies import report_failure
from bot.logging_setup import log_context
from bot.services.candidate_links import LinkError, link_message
from bot.services.context import Services


def register(app: App, services: Services) -> None:
    @app.action(action_pattern(ActionId.CANDIDATE_LINK))
    def candidate_link(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        ack()
        user = str(body.get("user", {}).get("id", ""))
        short_id = str(action.get("value", ""))[:12]
        submit_once(services, body, run_link, services, short_id, user, respond)


def run_link(services: Services, short_id: str, user: str, respond: Respond) -> None:
    with log_context(loop=short_id, user=user):
        try:
            text, blocks = link_message(services, short_id=short_id, user_id=user)
        except LinkError as error:
            respond(response_type="ephemeral", replace_original=False, text=str(error))
            return
        except Exception:
            report_failure(respond, f"making a candidate link for loop `{short_id}`")
            raise
        respond(response_type="ephemeral", replace_original=False, text=text, blocks=blocks)
