"""The `events.watch` push channel: opened when `PUBLIC_URL` is set, renewed before it expires,
stopped on shutdown. Polling stays on regardless; push only makes changes arrive sooner.

The channel's secret token is random per channel and kept in the sync row; the notification
endpoint (`bot/web/google_push.py`) accepts only the current channel id with that token.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from bot.ports import CalendarError, CalendarPort
from bot.services.calendar_sync import state
from bot.services.context import Services

log = logging.getLogger(__name__)
NOTIFICATION_PATH = "/google/notifications"
CHANNEL_TTL = timedelta(days=7)
RENEW_BEFORE = timedelta(hours=6)


def notification_address(public_url: str) -> str:
    return public_url.rstrip("/") + NOTIFICATION_PATH


def maintain(services: Services, calendar: CalendarPort, holder: str) -> None:
    """Open the channel if there is none, or a new one when the current expires soon.

    Called by the lease holder after a sync. The new channel is recorded before the old one is
    stopped, so there is no moment without one. Failures are logged: polling still works.
    """
    public_url = services.settings.public_url
    if public_url is None:
        return
    now = datetime.now(UTC)
    row = state.read(services.engine)
    if (
        row.channel_id is not None
        and row.channel_expiration is not None
        and row.channel_expiration - now > RENEW_BEFORE
    ):
        return
    channel_id, token = str(uuid.uuid4()), secrets.token_urlsafe(32)
    try:
        opened = calendar.watch(
            notification_address(public_url), channel_id, token, int(CHANNEL_TTL.total_seconds())
        )
    except CalendarError as error:
        log.warning("could not open the Calendar push channel (polling continues): %s", error)
        return
    if not state.save_channel(
        services.engine,
        holder,
        channel_id=opened.channel_id,
        resource_id=opened.resource_id,
        token=token,
        expiration=opened.expiration,
    ):
        _stop(calendar, opened.channel_id, opened.resource_id)  # lost the lease meanwhile
        return
    log.info("Calendar push channel %s open until %s", opened.channel_id, opened.expiration)
    if row.channel_id is not None and row.channel_resource_id is not None:
        _stop(calendar, row.channel_id, row.channel_resource_id)


def stop_channel(services: Services, holder: str) -> None:
    """On shutdown: stop the channel this process opened (another replica reopens one)."""
    calendar = services.calendar
    if calendar is None:
        return
    row = state.read(services.engine)
    if row.channel_id is None or row.channel_resource_id is None:
        return
    if row.channel_owner != holder:
        return
    _stop(calendar, row.channel_id, row.channel_resource_id)
    state.clear_channel_if(services.engine, row.channel_id)


def _stop(calendar: CalendarPort, channel_id: str, resource_id: str) -> None:
    try:
        calendar.stop_watch(channel_id, resource_id)
    except CalendarError as error:
        log.warning("could not stop Calendar push channel %s: %s", channel_id, error)
