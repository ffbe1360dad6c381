"""Google Calendar adapter: the only package that imports googleapiclient / google-auth.

Public surface: `GoogleCalendar` (implements `bot.ports.CalendarPort`), `check` (the doctor
line), `event_id_for`, `RetryPolicy`, `SCOPES`, and the errors `GoogleApiError` (a
`bot.ports.CalendarError`) and `GoogleConfigError`. See docs/google.md.
"""

from bot.retry import RetryPolicy
from integrations.google.auth import SCOPES
from integrations.google.calendar import GoogleCalendar, check
from integrations.google.errors import GoogleApiError, GoogleConfigError
from integrations.google.events import event_id_for

__all__ = [
    "SCOPES",
    "GoogleApiError",
    "GoogleCalendar",
    "GoogleConfigError",
    "RetryPolicy",
    "check",
    "event_id_for",
]
