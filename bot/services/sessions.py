"""Turning a chosen option into sessions and the requests that ask their interviewers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from bot.services.asks import open_requests
from bot.services.planning import parse_instant
from storage.models import InterviewSession, TemplateStage


def create_sessions(
    loop_id: int,
    option: dict[str, Any],
    stages: list[TemplateStage],
    *,
    session: Session,
    now: datetime,
    nudge_after: timedelta,
) -> list[int]:
    by_name = {stage.name: stage for stage in stages}
    request_ids: list[int] = []
    for item in option["sessions"]:
        stage = by_name[item["stage"]]
        row = InterviewSession(
            loop_id=loop_id,
            position=stage.position,
            stage_name=stage.name,
            title=stage.title,
            pool=stage.pool,
            panel_size=stage.interviewers,
            prep=stage.prep,
            start=parse_instant(item["start"]),
            end=parse_instant(item["end"]),
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        request_ids.extend(
            open_requests(
                row.id,
                [int(i) for i in item["interviewers"]],
                session=session,
                now=now,
                nudge_after=nudge_after,
            )
        )
    return request_ids
