"""What the App Home shows a given user."""

from __future__ import annotations

from sqlmodel import col, select

from bot.services.asks import request_view
from bot.services.context import Services
from bot.services.directory import interviewer_by_slack_id, is_recruiter, org_view
from bot.services.loops import status
from bot.services.read import bundle
from bot.views import HomeView, RequestView
from storage.engine import read_scope
from storage.models import InterviewerRequest, InterviewSession, Loop, RequestState

MAX_ITEMS = 15


def home_for(services: Services, user_id: str, notice: str | None = None) -> HomeView:
    """`notice` (mrkdwn) answers a click made on the Home tab, which has no response URL."""
    now = services.clock()
    upcoming: list[RequestView] = []
    pending: list[RequestView] = []
    with read_scope(services.engine) as session:
        zone = org_view(session=session).timezone
        person = interviewer_by_slack_id(user_id, session=session)
        if person is not None:
            rows = session.exec(
                select(InterviewerRequest, InterviewSession)
                .join(
                    InterviewSession, col(InterviewSession.id) == col(InterviewerRequest.session_id)
                )
                .where(
                    InterviewerRequest.interviewer_id == person.id,
                    col(InterviewerRequest.state).in_(
                        [RequestState.PENDING.value, RequestState.CONFIRMED.value]
                    ),
                    col(InterviewSession.end) > now,
                )
                .order_by(col(InterviewSession.start))
                .limit(MAX_ITEMS * 2)
            ).all()
            for ask, item in rows:
                loop = session.get(Loop, item.loop_id)
                assert loop is not None
                view = request_view(bundle(loop, session=session), ask, zone)
                (pending if ask.state is RequestState.PENDING else upcoming).append(view)
        recruiter = is_recruiter(user_id, session=session)
    loops = status(services, None, user_id)[1] if recruiter else None
    return HomeView(
        upcoming=tuple(upcoming[:MAX_ITEMS]),
        pending=tuple(pending[:MAX_ITEMS]),
        loops=tuple(loops) if loops is not None else None,
        notice=notice,
    )
