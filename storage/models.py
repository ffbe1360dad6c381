"""Tables. States are explicit enums; rows that change state carry it in a column that
repository functions only move with compare-and-set updates (see `storage.repo.cas`).

Time columns are UTC instants (`UTCDateTime`); wall-clock data (working hours) is kept as the
org file wrote it, with the zone beside it, because the meaning of 09:00 changes with DST.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, enum_column_type, json_type, utcnow


class LoopState(enum.StrEnum):
    PROPOSED = "proposed"  # options shown to the recruiter, nothing chosen yet
    PENDING = "pending"  # an option chosen, waiting for interviewers to confirm
    BOOKING = "booking"  # everyone confirmed, calendar events being created
    BOOKED = "booked"  # events exist
    NEEDS_ATTENTION = "needs_attention"  # a decline could not be covered automatically
    CANCELLED = "cancelled"
    COMPLETED = "completed"  # the last session has ended


class SessionState(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    BOOKED = "booked"
    CANCELLED = "cancelled"


class RequestState(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    CANCELLED = "cancelled"  # withdrawn by the bot (loop cancelled, replaced, timed out)


class ReminderKind(enum.StrEnum):
    SESSION_REMINDER = "session_reminder"
    CONFIRM_NUDGE = "confirm_nudge"
    CONFIRM_ESCALATION = "confirm_escalation"
    FEEDBACK_DUE = "feedback_due"
    LOOP_FINISHED = "loop_finished"
    LOOP_BOOKED = "loop_booked"  # the booked loop's summary to its recruiter
    BOOKING_FAILED = "booking_failed"  # the failed booking's notice, with the Retry button


class ReminderState(enum.StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DROPPED = "dropped"  # no longer useful when it came due (e.g. its session already began)


class IntentKind(enum.StrEnum):
    INSERT = "insert"  # create the session's event (409 = it exists: done)
    PATCH = "patch"  # make the session's event match the database
    DELETE = "delete"  # remove the session's event (404/410 = already gone: done)


class IntentState(enum.StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    DONE = "done"
    FAILED = "failed"  # retry budget spent (the loop was escalated)
    CANCELLED = "cancelled"  # superseded before it started (e.g. the loop was cancelled)


def _now_column() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class OrgSettings(SQLModel, table=True):
    """The org file's org-wide part (zone, recruiters, defaults); a single row, id 1."""

    __tablename__ = "org_settings"

    id: int | None = Field(default=None, primary_key=True)
    timezone: str = Field(max_length=64)
    recruiters: list[str] = Field(default_factory=list, sa_type=json_type())
    defaults: dict[str, Any] = Field(default_factory=dict, sa_type=json_type())
    company: str | None = Field(default=None, max_length=200)  # shown to candidates
    candidate_page: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    source_digest: str = Field(max_length=64)
    updated_at: datetime = _now_column()


class Interviewer(SQLModel, table=True):
    __tablename__ = "interviewer"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)
    slack_id: str | None = Field(default=None, max_length=32, unique=True, index=True)
    name: str | None = Field(default=None, max_length=200)
    timezone: str | None = Field(default=None, max_length=64)
    working_hours: dict[str, list[list[str]]] | None = Field(default=None, sa_type=json_type())
    max_per_day: int | None = None
    max_per_week: int | None = None
    active: bool = Field(default=True)
    created_at: datetime = _now_column()
    updated_at: datetime = _now_column()


class PoolMembership(SQLModel, table=True):
    __tablename__ = "pool_membership"
    __table_args__ = (sa.UniqueConstraint("pool", "interviewer_id", name="uq_pool_member"),)

    id: int | None = Field(default=None, primary_key=True)
    pool: str = Field(max_length=100, index=True)
    interviewer_id: int = Field(foreign_key="interviewer.id", index=True)
    active: bool = Field(default=True)
    updated_at: datetime = _now_column()


class LoopTemplate(SQLModel, table=True):
    __tablename__ = "loop_template"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=100, unique=True, index=True)
    title: str = Field(max_length=200)
    same_day: bool = True
    any_order: bool = False
    min_break_minutes: int = 0
    max_break_minutes: int = 60
    active: bool = True
    updated_at: datetime = _now_column()


class TemplateStage(SQLModel, table=True):
    __tablename__ = "template_stage"
    __table_args__ = (sa.UniqueConstraint("template_id", "name", name="uq_template_stage"),)

    id: int | None = Field(default=None, primary_key=True)
    template_id: int = Field(foreign_key="loop_template.id", index=True)
    position: int
    name: str = Field(max_length=100)
    title: str = Field(max_length=200)
    duration_minutes: int
    pool: str = Field(max_length=100)
    interviewers: int = 1
    prep: str | None = Field(default=None, sa_type=sa.Text)


class Candidate(SQLModel, table=True):
    __tablename__ = "candidate"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)
    name: str | None = Field(default=None, max_length=200)
    timezone: str | None = Field(default=None, max_length=64)
    created_at: datetime = _now_column()


class Loop(SQLModel, table=True):
    __tablename__ = "loop"

    id: int | None = Field(default=None, primary_key=True)
    short_id: str = Field(max_length=12, unique=True, index=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    template_key: str = Field(max_length=100)
    recruiter_slack_id: str = Field(max_length=32, index=True)
    state: LoopState = Field(
        default=LoopState.PROPOSED, sa_type=enum_column_type(LoopState), index=True
    )
    candidate_timezone: str = Field(max_length=64)
    window_start: str = Field(max_length=10)  # candidate-local YYYY-MM-DD
    window_end: str = Field(max_length=10)
    notes: str | None = Field(default=None, sa_type=sa.Text)
    request: dict[str, Any] | None = Field(default=None, sa_type=json_type())  # last planner input
    proposals: list[dict[str, Any]] | None = Field(default=None, sa_type=json_type())
    chosen_option: int | None = None
    swaps: int = 0
    cancel_reason: str | None = Field(default=None, sa_type=sa.Text)
    attention_reason: str | None = Field(default=None, sa_type=sa.Text)  # why NEEDS_ATTENTION
    created_at: datetime = _now_column()
    updated_at: datetime = _now_column()


class InterviewSession(SQLModel, table=True):
    __tablename__ = "interview_session"

    id: int | None = Field(default=None, primary_key=True)
    loop_id: int = Field(foreign_key="loop.id", index=True)
    position: int
    stage_name: str = Field(max_length=100)
    title: str = Field(max_length=200)
    pool: str = Field(max_length=100)
    panel_size: int = 1
    prep: str | None = Field(default=None, sa_type=sa.Text)
    start: datetime = Field(sa_type=UTCDateTime, index=True)
    end: datetime = Field(sa_type=UTCDateTime)
    state: SessionState = Field(
        default=SessionState.PENDING, sa_type=enum_column_type(SessionState)
    )
    calendar_event_id: str | None = Field(default=None, max_length=1024, index=True)
    meet_link: str | None = Field(default=None, max_length=500)
    # Changes people made to this session's event in Calendar that were already reported
    # (e.g. "deleted", "moved:<start>/<end>", "candidate:declined"), so each is reported once.
    calendar_changes: list[str] | None = Field(default=None, sa_type=json_type())
    updated_at: datetime = _now_column()


class InterviewerRequest(SQLModel, table=True):
    """One ask to one interviewer to take one session; pending/confirmed ones are assignments."""

    __tablename__ = "interviewer_request"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="interview_session.id", index=True)
    interviewer_id: int = Field(foreign_key="interviewer.id", index=True)
    state: RequestState = Field(
        default=RequestState.PENDING, sa_type=enum_column_type(RequestState), index=True
    )
    dm_channel: str | None = Field(default=None, max_length=32)
    dm_ts: str | None = Field(default=None, max_length=32)
    nudges_sent: int = 0
    created_at: datetime = _now_column()
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The interviewer's answer to the calendar invitation (accepted, tentative, declined,
    # needsAction), as last seen by the calendar sync.
    calendar_response: str | None = Field(default=None, max_length=20)


class Reminder(SQLModel, table=True):
    """Outbox row: written with the change that causes it, claimed atomically, sent once."""

    __tablename__ = "reminder"
    __table_args__ = (sa.Index("ix_reminder_due", "state", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: ReminderKind = Field(sa_type=enum_column_type(ReminderKind))
    dedupe_key: str = Field(max_length=200, unique=True)
    due_at: datetime = Field(sa_type=UTCDateTime)
    not_after: datetime | None = Field(default=None, sa_type=UTCDateTime)
    target_slack_id: str = Field(max_length=32)
    loop_id: int | None = Field(default=None, foreign_key="loop.id", index=True)
    session_id: int | None = Field(default=None, foreign_key="interview_session.id", index=True)
    request_id: int | None = Field(default=None, foreign_key="interviewer_request.id", index=True)
    payload: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    state: ReminderState = Field(
        default=ReminderState.PENDING, sa_type=enum_column_type(ReminderState)
    )
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = _now_column()
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CalendarSync(SQLModel, table=True):
    """Sync state of the organizer's calendar: one row, written only by the lease holder.

    `sync_token` is Google's `nextSyncToken` from the last sync (None: the next sync is a full
    one). The lease (`lease_holder` until `lease_until`) makes one replica at a time run the
    sync; `requested_at` is set by a push notification that arrived while a sync was running,
    so that sync runs once more. The `channel_*` columns are the open `events.watch` channel;
    `channel_token` is the secret Google echoes in `X-Goog-Channel-Token`.
    """

    __tablename__ = "calendar_sync"

    name: str = Field(primary_key=True, max_length=100)
    sync_token: str | None = Field(default=None, sa_type=sa.Text)
    synced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    full_syncs: int = 0
    requested_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lease_holder: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    channel_id: str | None = Field(default=None, max_length=64)
    channel_resource_id: str | None = Field(default=None, max_length=200)
    channel_token: str | None = Field(default=None, max_length=100)
    channel_expiration: datetime | None = Field(default=None, sa_type=UTCDateTime)
    channel_owner: str | None = Field(default=None, max_length=100)


class CalendarIntent(SQLModel, table=True):
    """Outbox row for one Google write about one session's event.

    Written in the transaction that makes the change necessary (everyone confirmed, loop
    cancelled, …) and carried out by a leased worker (`bot.services.calendar_intents`), so a
    crash between the decision and the Google call can never lose or double the write.
    """

    __tablename__ = "calendar_intent"
    __table_args__ = (sa.Index("ix_calendar_intent_due", "state", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    loop_id: int = Field(foreign_key="loop.id", index=True)
    session_id: int = Field(foreign_key="interview_session.id", index=True)
    kind: IntentKind = Field(sa_type=enum_column_type(IntentKind))
    event_id: str = Field(max_length=1024)
    state: IntentState = Field(default=IntentState.PENDING, sa_type=enum_column_type(IntentState))
    due_at: datetime = Field(sa_type=UTCDateTime)
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = _now_column()
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class JobLease(SQLModel, table=True):
    """Which replica runs a singleton periodic job (e.g. the sweeper) until when."""

    __tablename__ = "job_lease"

    name: str = Field(primary_key=True, max_length=100)
    holder: str = Field(max_length=100)
    lease_until: datetime = Field(sa_type=UTCDateTime)


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _now_column()
    actor: str = Field(max_length=64)  # Slack user id, or "system"
    action: str = Field(max_length=64, index=True)
    loop_id: int | None = Field(default=None, foreign_key="loop.id", index=True)
    details: dict[str, Any] | None = Field(default=None, sa_type=json_type())


class ProcessedDelivery(SQLModel, table=True):
    """Keys of Slack deliveries already handled, so retries and double clicks act once."""

    __tablename__ = "processed_delivery"

    key: str = Field(primary_key=True, max_length=200)
    at: datetime = _now_column()


class CandidateLinkState(enum.StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"  # the loop was cancelled or rescheduled (`revoked_reason` says which)


class CandidateLink(SQLModel, table=True):
    """A link sent to a candidate: the token signs `public_id`, which holds nothing personal.

    `opened_at` and `candidate_action` let `/interview status` say whether the candidate looked
    and what they did ("picked" an option, or "gave_times" of their own).
    """

    __tablename__ = "candidate_link"

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=64, unique=True, index=True)
    loop_id: int = Field(foreign_key="loop.id", index=True)
    state: CandidateLinkState = Field(
        default=CandidateLinkState.ACTIVE, sa_type=enum_column_type(CandidateLinkState)
    )
    created_by: str = Field(max_length=32)
    created_at: datetime = _now_column()
    expires_at: datetime = Field(sa_type=UTCDateTime)
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    candidate_action: str | None = Field(default=None, max_length=32)
    action_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_reason: str | None = Field(default=None, max_length=32)
