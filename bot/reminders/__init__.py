"""Reminders and nudges: a persisted outbox, a leased dispatcher and its scheduler job.

Write side (inside the caller's transaction): `plan_session_reminders`, `plan_confirm_nudges`,
`cancel_reminders`, `cancel_request_follow_ups`. Send side: `ReminderDispatcher.tick()`, run
every few seconds by `start_reminder_scheduler`.
"""

from __future__ import annotations

from bot.reminders.dispatcher import (
    SEND_RETRY,
    ReminderDispatcher,
    TickResult,
    UnansweredRequestHandler,
    claim_due,
)
from bot.reminders.outbox import (
    PlannedReminder,
    PlanResult,
    cancel_reminders,
    cancel_request_follow_ups,
    plan_confirm_nudges,
    plan_session_reminders,
)
from bot.reminders.scheduler import start_reminder_scheduler
from bot.retry import RetryPolicy

__all__ = [
    "SEND_RETRY",
    "PlanResult",
    "PlannedReminder",
    "ReminderDispatcher",
    "RetryPolicy",
    "TickResult",
    "UnansweredRequestHandler",
    "cancel_reminders",
    "cancel_request_follow_ups",
    "claim_due",
    "plan_confirm_nudges",
    "plan_session_reminders",
    "start_reminder_scheduler",
]
