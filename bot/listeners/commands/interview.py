"""`/interview`: parse, check who asks, ack at once; anything slow runs after the ack."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks.common import escape
from bot.blocks.loops import pools_message, status_message, templates_message
from bot.blocks.modal import schedule_modal
from bot.blocks.proposals import proposals_message
from bot.grammar import (
    HELP,
    Cancel,
    Help,
    Invite,
    LoopRequest,
    OpenScheduleForm,
    Pools,
    Reschedule,
    Schedule,
    Status,
    Swap,
    Templates,
    UsageError,
    parse_command,
)
from bot.listeners.delivery import submit_once
from bot.listeners.replies import report_failure
from bot.logging_setup import log_context
from bot.services import loops
from bot.services.candidate_links import LinkError, link_message
from bot.services.context import Services
from bot.services.directory import active_templates, is_recruiter, org_view
from bot.services.errors import UserFacingError
from bot.services.proposals import ScheduleInput, propose
from bot.services.swap import swap
from storage.engine import read_scope

log = logging.getLogger(__name__)
RECRUITERS_ONLY = "Only recruiters can {what}. Nothing changed."
NO_PUBLIC_URL = (
    "Candidate links are off: the bot has no public address (PUBLIC_URL and SECRET_KEY are not "
    "set). Ask whoever runs the bot to set them, or use `/interview schedule`. Nothing changed."
)


def register(app: App, services: Services) -> None:
    @app.command("/interview")
    def interview(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        user = str(body.get("user_id", ""))
        with log_context(user=user):
            handle(services, ack, body, respond, client, user)


def handle(
    services: Services,
    ack: Ack,
    body: dict[str, Any],
    respond: Respond,
    client: WebClient,
    user: str,
) -> None:
    """Ack within milliseconds: only parsing and one read-only look-up happen before it."""
    try:
        command = parse_command(str(body.get("text", "")))
    except UsageError as error:
        ack(response_type="ephemeral", text=str(error))
        return
    if isinstance(command, Help):
        ack(response_type="ephemeral", text=HELP)
        return
    if isinstance(command, Templates | Pools | Status):
        ack()  # read-only: a repeated delivery only repeats an ephemeral answer
        services.work.submit(run_read, services, command, user, respond)
        return
    with read_scope(services.engine) as session:
        recruiter = is_recruiter(user, session=session)
    if not recruiter:
        verb = {
            OpenScheduleForm: "schedule",
            Schedule: "schedule",
            Invite: "invite candidates to",
            Cancel: "cancel",
            Reschedule: "reschedule",
            Swap: "swap",
        }[type(command)]
        ack(response_type="ephemeral", text=RECRUITERS_ONLY.format(what=f"{verb} interviews"))
        return
    if isinstance(command, OpenScheduleForm):
        ack()
        with read_scope(services.engine) as session:
            zone = org_view(session=session).timezone
            choices = [(t.key, t.title) for t, _ in active_templates(session=session)]
        client.views_open(trigger_id=body["trigger_id"], view=schedule_modal(choices, zone))
        return
    if isinstance(command, Schedule):
        ack(
            response_type="ephemeral",
            text=f"Planning a `{command.template}` loop for {escape(command.email)}; options will "
            "arrive in a DM from me.",
        )
        submit_once(services, body, run_schedule, services, _spec(command, user), respond)
        return
    if isinstance(command, Invite):
        if services.settings.public_url is None:
            ack(response_type="ephemeral", text=NO_PUBLIC_URL)
            return
        ack(
            response_type="ephemeral",
            text=f"Making a candidate link for {escape(command.email)} (`{command.template}`); "
            "it will arrive in a DM from me.",
        )
        submit_once(services, body, run_invite, services, _spec(command, user), respond)
        return
    if isinstance(command, Cancel):
        ack(response_type="ephemeral", text=f"Cancelling loop `{command.loop_id}`…")
        submit_once(services, body, run_cancel, services, command, user, respond)
        return
    if isinstance(command, Swap):
        ack(response_type="ephemeral", text=f"Checking the swap on loop `{command.loop_id}`…")
        submit_once(services, body, run_swap, services, command, user, respond)
        return
    ack(
        response_type="ephemeral",
        text=f"Rescheduling loop `{command.loop_id}`; fresh options will arrive in a DM.",
    )
    submit_once(services, body, run_reschedule, services, command, user, respond)


def run_read(
    services: Services, command: Templates | Pools | Status, user: str, respond: Respond
) -> None:
    """The read-only commands, answered through the response URL (ephemeral)."""
    with log_context(user=user):
        try:
            if isinstance(command, Templates):
                text, blocks = templates_message(loops.templates(services))
            elif isinstance(command, Pools):
                text, blocks = pools_message(loops.pool_load(services))
            else:
                title, found = loops.status(services, command.query, user)
                text, blocks = status_message(title, found)
        except UserFacingError as error:
            respond(response_type="ephemeral", replace_original=False, text=str(error))
            return
        except Exception:
            report_failure(respond, "answering your command")
            raise
        respond(response_type="ephemeral", replace_original=False, text=text, blocks=blocks)


def _spec(command: LoopRequest, user: str) -> ScheduleInput:
    """The service's input for `schedule` and `invite` alike, asked for by `user`."""
    return ScheduleInput(
        recruiter=user,
        candidate_email=command.email,
        template_key=command.template,
        candidate_name=command.name,
        timezone=command.timezone,
        date_from=command.date_from,
        date_to=command.date_to,
    )


def run_schedule(services: Services, spec: ScheduleInput, respond: Respond) -> None:
    with log_context(user=spec.recruiter):
        try:
            view = propose(services, spec)
        except UserFacingError as error:
            respond(response_type="ephemeral", replace_original=False, text=str(error))
            return
        except Exception:
            report_failure(respond, "planning the loop")
            raise
        text, blocks = proposals_message(view)
        with log_context(loop=view.loop_id):
            services.messenger.send_dm(spec.recruiter, text, blocks)


def run_invite(services: Services, spec: ScheduleInput, respond: Respond) -> None:
    """Plan the loop (so it exists with its window and zone), then give the recruiter a link."""
    with log_context(user=spec.recruiter):
        try:
            view = propose(services, spec)
            text, blocks = link_message(services, short_id=view.loop_id, user_id=spec.recruiter)
        except (UserFacingError, LinkError) as error:
            respond(response_type="ephemeral", replace_original=False, text=str(error))
            return
        except Exception:
            report_failure(respond, "making the candidate link")
            raise
        with log_context(loop=view.loop_id):
            services.messenger.send_dm(spec.recruiter, text, blocks)


def run_cancel(services: Services, command: Cancel, user: str, respond: Respond) -> None:
    with log_context(loop=command.loop_id, user=user):
        try:
            message = loops.cancel(
                services, short_id=command.loop_id, user_id=user, reason=command.reason
            )
        except UserFacingError as error:
            message = str(error)
        except Exception:
            report_failure(respond, f"cancelling loop `{command.loop_id}`")
            raise
        respond(response_type="ephemeral", replace_original=False, text=message)


def run_reschedule(services: Services, command: Reschedule, user: str, respond: Respond) -> None:
    with log_context(loop=command.loop_id, user=user):
        try:
            view = loops.reschedule(services, short_id=command.loop_id, user_id=user)
        except UserFacingError as error:
            respond(response_type="ephemeral", replace_original=False, text=str(error))
            return
        except Exception:
            report_failure(respond, f"rescheduling loop `{command.loop_id}`")
            raise
        text, blocks = proposals_message(view)
        services.messenger.send_dm(user, text, blocks)


def run_swap(services: Services, command: Swap, user: str, respond: Respond) -> None:
    with log_context(loop=command.loop_id, user=user):
        try:
            message = swap(
                services, short_id=command.loop_id, user_id=user, old=command.old, new=command.new
            )
        except UserFacingError as error:
            message = str(error)
        except Exception:
            report_failure(respond, f"swapping on loop `{command.loop_id}`")
            raise
        respond(response_type="ephemeral", replace_original=False, text=message)
