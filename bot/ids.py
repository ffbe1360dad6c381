"""Every action_id and callback_id the app sends or listens for, in one place.

Action ids may carry a suffix after `:` (e.g. `choose_option:3`); listeners match the prefix.
"""

from __future__ import annotations

import enum
import re


class ActionId(enum.StrEnum):
    CHOOSE_OPTION = "choose_option"
    CONFIRM_SLOT = "confirm_slot"
    DECLINE_SLOT = "decline_slot"
    CANT_MAKE_IT = "cant_make_it"  # a confirmed interviewer backs out (issue 11)
    RETRY_BOOKING = "retry_booking"  # on the recruiter's "booking failed" notice (issue 10)
    CANDIDATE_LINK = "candidate_link"  # on a proposals message: give the candidate a link
    RESCHEDULE_LOOP = "reschedule_loop"  # attention notices and App Home (recruiter)
    CANCEL_LOOP = "cancel_loop"  # attention notices and App Home (recruiter)
    SWAP_INTERVIEWER = "swap_interviewer"  # attention list: opens the swap modal


class CallbackId(enum.StrEnum):
    SCHEDULE_MODAL = "schedule_modal"
    CANT_MAKE_IT_MODAL = "cant_make_it_modal"  # optional reason for backing out
    SWAP_MODAL = "swap_modal"


class BlockId(enum.StrEnum):
    """Input blocks of the scheduling modal; `response_action: errors` is keyed by these."""

    CANDIDATE_NAME = "candidate_name"
    CANDIDATE_EMAIL = "candidate_email"
    TEMPLATE = "template"
    TIMEZONE = "timezone"
    DATE_FROM = "date_from"
    DATE_TO = "date_to"
    AVAILABILITY = "availability"
    NOTES = "notes"


def action_pattern(action: ActionId) -> re.Pattern[str]:
    """Matches `action` alone or with a `:suffix`."""
    return re.compile(rf"^{re.escape(action.value)}(:.*)?$")


def with_suffix(action: ActionId, suffix: object) -> str:
    return f"{action.value}:{suffix}"
