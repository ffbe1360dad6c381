"""Errors a service raises for the person who asked, and the checks that raise them."""

from __future__ import annotations

from bot.ports import CalendarPort
from bot.services.context import Services


class UserFacingError(Exception):
    """Something the person who asked must fix or know; the text is shown to them as is."""


def require_calendar(services: Services) -> CalendarPort:
    if services.calendar is None:
        raise UserFacingError(
            "Google Calendar is not configured (GOOGLE_SERVICE_ACCOUNT_FILE and "
            "GOOGLE_ORGANIZER_EMAIL), so I cannot read calendars."
        )
    return services.calendar
