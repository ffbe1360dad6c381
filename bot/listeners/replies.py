"""Telling the person whose action failed, without ever failing again while doing so."""

from __future__ import annotations

import logging

from slack_bolt import Respond

log = logging.getLogger(__name__)


def report_failure(respond: Respond, doing: str) -> None:
    try:
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=f":warning: Something went wrong while {doing}; it has been logged. "
            "Please try again in a minute.",
        )
    except Exception:  # the original error is what matters; it is re-raised by the caller
        log.exception("could not report a failure to the user")
