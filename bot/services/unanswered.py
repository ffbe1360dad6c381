"""What the reminder dispatcher calls when an interviewer stays silent after two nudges."""

from __future__ import annotations

import logging

from bot.mrkdwn import who
from bot.reminders.outbox import cancel_request_follow_ups
from bot.services.asks import notify, send_requests, show_outcome
from bot.services.context import Services
from bot.services.directory import display_name
from bot.services.vacancy import fill_vacancy
from storage.engine import session_scope
from storage.models import Interviewer, InterviewerRequest, InterviewSession, Loop, RequestState
from storage.repo import audit
from storage.states import transition

log = logging.getLogger(__name__)


class UnansweredRequests:
    def __init__(self, services: Services) -> None:
        self.services = services

    def replace_unresponsive(self, request_id: int) -> bool:
        with session_scope(self.services.engine) as session:
            ask = session.get(InterviewerRequest, request_id)
            if ask is None:
                return False
            if not transition(
                InterviewerRequest,
                request_id,
                RequestState.CANCELLED,
                session=session,
                expected=[RequestState.PENDING],
                values={"answered_at": self.services.clock()},
            ):
                return True  # answered meanwhile: nothing to replace, nobody to tell
            cancel_request_follow_ups(request_id, session=session, reason="no answer; replaced")
            person = session.get(Interviewer, ask.interviewer_id)
            item = session.get(InterviewSession, ask.session_id)
            assert person is not None and item is not None
            loop = session.get(Loop, item.loop_id)
            assert loop is not None
            audit(
                "request.expired",
                session=session,
                actor="system",
                loop_id=loop.id,
                details={"request": request_id},
            )
            name = who(person.slack_id, display_name(person))
            session_id, short_id = ask.session_id, loop.short_id
        show_outcome(self.services, request_id, "No answer in time; someone else was asked")
        outcome = fill_vacancy(self.services, session_id, reason=f"{name} did not answer")
        if outcome.request_ids:
            unreachable = send_requests(self.services, outcome.request_ids)
            if unreachable:
                notify(
                    self.services,
                    outcome.recruiter,
                    f"Loop `{short_id}`: could not reach {', '.join(unreachable)}.",
                    short_id,
                )
        for cancelled in outcome.cancelled_request_ids:
            show_outcome(self.services, cancelled, "Session moved; you are no longer needed")
        notify(self.services, outcome.recruiter, outcome.message, short_id)
        return bool(outcome.request_ids)
