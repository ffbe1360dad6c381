"""The scheduling form's submission: inline errors at once, planning after the ack."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App

from bot.blocks.proposals import proposals_message
from bot.forms import ScheduleForm, parse_schedule_form
from bot.ids import BlockId, CallbackId
from bot.listeners.delivery import submit_once
from bot.logging_setup import log_context
from bot.services.asks import notify
from bot.services.context import Services
from bot.services.directory import find_template, is_recruiter
from bot.services.errors import UserFacingError
from bot.services.proposals import ScheduleInput, propose
from storage.engine import read_scope

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.view(CallbackId.SCHEDULE_MODAL.value)
    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user = str(body.get("user", {}).get("id", ""))
        form = parse_schedule_form(view.get("state", {}).get("values", {}))
        if isinstance(form, ScheduleForm):
            with read_scope(services.engine) as session:
                if not is_recruiter(user, session=session):
                    ack(
                        response_action="errors",
                        errors={BlockId.CANDIDATE_NAME.value: "Only recruiters can schedule."},
                    )
                    return
                if find_template(form.template, session=session) is None:
                    ack(
                        response_action="errors",
                        errors={BlockId.TEMPLATE.value: "That template no longer exists."},
                    )
                    return
        else:
            ack(response_action="errors", errors=form)
            return
        ack()
        spec = ScheduleInput(
            recruiter=user,
            candidate_email=form.email,
            template_key=form.template,
            candidate_name=form.name,
            timezone=form.timezone,
            date_from=form.date_from,
            date_to=form.date_to,
            availability=form.availability,
            notes=form.notes,
        )
        submit_once(services, body, run_form, services, spec)


def run_form(services: Services, spec: ScheduleInput) -> None:
    with log_context(user=spec.recruiter):
        try:
            view = propose(services, spec)
        except UserFacingError as error:
            notify(services, spec.recruiter, f":warning: {error}")
            return
        text, blocks = proposals_message(view)
        services.messenger.send_dm(spec.recruiter, text, blocks)
