"""Pure functions that turn reminder data into a DM: fallback text plus Block Kit blocks.

Nothing here reads the database or the clock; the dispatcher gathers the facts and passes them
in, so every message can be tested on its own. Text coming from people (candidate names, prep
notes, stage titles) is escaped for Slack's mrkdwn (`&`, `<`, `>`) and long fields are cut so
that no section exceeds Block Kit's 3000-character limit without breaking a link or an entity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.blocks.backout import cant_make_it_actions
from bot.blocks.common import actions, button, escape
from bot.blocks.common import clip as clip_text
from bot.ids import ActionId, with_suffix

SECTION_LIMIT = 3000  # Block Kit: section text
PREP_LIMIT = 1500  # prep notes are cut earlier so the rest of the reminder always fits
ELLIPSIS = "…"

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, slots=True)
class Message:
    """A DM ready for `MessagingPort.send_dm`: notification text and the blocks shown."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SessionLine:
    """One session in the recruiter's end-of-loop note."""

    stage_title: str
    start: datetime
    end: datetime
    interviewers: tuple[str, ...] = ()  # display names or Slack ids


# ---------------------------------------------------------------- formatting helpers


def zone(name: str | None) -> tzinfo:
    """The named IANA zone, or UTC when the name is missing or unknown."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def zone_label(moment: datetime) -> str:
    """`GMT`, `PST`, `CET`; numeric abbreviations (`-03`, `+0545`) become `UTC-03:00`."""
    label = moment.tzname() or "UTC"
    if label[:1] not in "+-":
        return label
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def _day(moment: datetime) -> str:
    return f"{_DAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]}"


def format_time_range(start: datetime, end: datetime, timezone: str | None) -> str:
    """`Tue 8 Dec, 14:00–15:00 GMT` in `timezone` (a range over midnight names both days)."""
    where = zone(timezone)
    local_start, local_end = start.astimezone(where), end.astimezone(where)
    if local_start.date() == local_end.date():
        return (
            f"{_day(local_start)}, {local_start:%H:%M}–{local_end:%H:%M} {zone_label(local_start)}"
        )
    return (
        f"{_day(local_start)}, {local_start:%H:%M} {zone_label(local_start)} – "
        f"{_day(local_end)}, {local_end:%H:%M} {zone_label(local_end)}"
    )


def format_lead(lead: timedelta) -> str:
    """`24 hours`, `1 hour`, `30 minutes`, `2 days`, `1 hour 30 minutes`."""
    minutes = max(0, int(lead.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days >= 2 and not hours and not minutes:
        return f"{days} day{'s' if days != 1 else ''}"
    hours += days * 24
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes or not parts:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


def clip(text: str, limit: int = SECTION_LIMIT) -> str:
    return clip_text(text, limit)


def _plain_clip(text: str, limit: int) -> str:
    """Cut raw (unescaped) text to `limit` characters, marking the cut."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def loop_tag(short_id: str) -> str:
    """How a loop is named in every message: its short id in backticks."""
    return f"`{short_id}`"


def mention(slack_id: str | None, name: str | None = None) -> str:
    """`Ana Lima (<@U01ANA>)`, `<@U01ANA>` or the escaped name when there is no Slack id."""
    if slack_id and name:
        return f"{escape(name)} (<@{slack_id}>)"
    if slack_id:
        return f"<@{slack_id}>"
    return escape(name or "someone")


def _link(url: str, label: str) -> str:
    safe = url.replace("<", "%3C").replace(">", "%3E").replace("|", "%7C").replace(" ", "%20")
    return f"<{safe}|{label}>"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text)}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text)}]}


def _message(text: str, *sections: str, context: str | None = None) -> Message:
    blocks = [_section(section) for section in sections if section]
    if context:
        blocks.append(_context(context))
    return Message(text=clip(text), blocks=blocks)


def _what(candidate_name: str, stage_title: str) -> str:
    return f"*{escape(stage_title)}* with *{escape(candidate_name)}*"


# ---------------------------------------------------------------- messages


def session_reminder(
    *,
    short_id: str,
    candidate_name: str,
    stage_title: str,
    start: datetime,
    end: datetime,
    timezone: str | None,
    prep: str | None = None,
    meet_link: str | None = None,
    lead: timedelta | None = None,
    request_id: int | None = None,
) -> Message:
    """An interviewer's reminder before their session, times in their own zone; with the
    request id it carries a "Can't make it" button."""
    when = format_time_range(start, end, timezone)
    soon = f" starts in {format_lead(lead)}" if lead is not None else " is coming up"
    headline = f":alarm_clock: Your interview {_what(candidate_name, stage_title)}{soon}."
    details = [f"*When:* {when}"]
    if meet_link:
        details.append(f"*Where:* {_link(meet_link, 'Join Google Meet')}")
    sections = [headline, "\n".join(details)]
    if prep and prep.strip():
        sections.append(f"*Prep notes*\n{escape(_plain_clip(prep, PREP_LIMIT))}")
    text = (
        f"Reminder: {stage_title} with {candidate_name}{soon} — {when} (loop {loop_tag(short_id)})"
    )
    if meet_link:
        text += f" {meet_link}"
    message = _message(text, *sections, context=f"Loop {loop_tag(short_id)}")
    if request_id is not None:
        message.blocks.insert(len(message.blocks) - 1, cant_make_it_actions(request_id))
    return message


def confirm_nudge(
    *,
    short_id: str,
    candidate_name: str,
    stage_title: str,
    start: datetime,
    end: datetime,
    timezone: str | None,
    nudge_number: int,
    request_id: int | None = None,
) -> Message:
    """Ask an interviewer again to answer a pending request, with working answer buttons."""
    when = format_time_range(start, end, timezone)
    again = "still " if nudge_number > 1 else ""
    what = _what(candidate_name, stage_title)
    headline = f":wave: I'm {again}waiting for your answer: can you take {what} on {when}?"
    ask = "Please answer so the loop can be booked."
    text = (
        f"Please answer: can you take {stage_title} with {candidate_name} on {when}? "
        f"(loop {loop_tag(short_id)})"
    )
    message = _message(text, headline, ask, context=f"Loop {loop_tag(short_id)}")
    if request_id is not None:
        value = str(request_id)
        message.blocks.insert(
            2,
            actions(
                [
                    button("Confirm", with_suffix(ActionId.CONFIRM_SLOT, value), value, "primary"),
                    button("Decline", with_suffix(ActionId.DECLINE_SLOT, value), value, "danger"),
                ],
                block_id=f"nudge:{value}",
            ),
        )
    return message


def unanswered_escalation(
    *,
    short_id: str,
    interviewer_name: str | None,
    interviewer_slack_id: str | None,
    candidate_name: str,
    stage_title: str,
    start: datetime,
    end: datetime,
    timezone: str | None,
    nudges: int,
    replacement_failed: bool = False,
) -> Message:
    """Tell the recruiter that an interviewer has not answered a request despite nudges."""
    who = mention(interviewer_slack_id, interviewer_name)
    when = format_time_range(start, end, timezone)
    asked = f"after {nudges} reminder{'s' if nudges != 1 else ''}" if nudges else "yet"
    headline = (
        f":warning: {who} has not answered the request to take "
        f"{_what(candidate_name, stage_title)} on {when} {asked}."
    )
    if replacement_failed:
        advice = "I could not find a replacement in the pool automatically."
    else:
        advice = "The session is less than 24 hours away, so I did not swap anyone automatically."
    advice += f" Please follow up, or run `/interview reschedule {short_id}`."
    text = (
        f"{interviewer_name or interviewer_slack_id or 'An interviewer'} has not answered the "
        f"request for {stage_title} with {candidate_name} on {when} (loop {loop_tag(short_id)})"
    )
    return _message(text, headline, advice, context=f"Loop {loop_tag(short_id)}")


def feedback_due(
    *,
    short_id: str,
    candidate_name: str,
    stage_title: str,
    start: datetime,
    end: datetime,
    timezone: str | None,
) -> Message:
    """Ask an interviewer for their feedback after their session."""
    when = format_time_range(start, end, timezone)
    headline = (
        f":memo: Thanks for interviewing! Your feedback on {_what(candidate_name, stage_title)}"
        f" ({when}) is due — please write it up while it is fresh."
    )
    text = f"Feedback due: {stage_title} with {candidate_name} (loop {loop_tag(short_id)})"
    return _message(text, headline, context=f"Loop {loop_tag(short_id)}")


def loop_finished(
    *,
    short_id: str,
    candidate_name: str,
    loop_title: str | None,
    sessions: Sequence[SessionLine],
    timezone: str | None,
) -> Message:
    """The recruiter's note when the last session of a loop has ended."""
    title = f" ({escape(loop_title)})" if loop_title else ""
    headline = (
        f":checkered_flag: All interviews of loop {loop_tag(short_id)} with "
        f"*{escape(candidate_name)}*{title} are done. Interviewers have been asked for feedback."
    )
    lines = []
    for line in sessions:
        people = ", ".join(escape(person) for person in line.interviewers) or "—"
        when = format_time_range(line.start, line.end, timezone)
        lines.append(f"• *{escape(line.stage_title)}* — {when} — {people}")
    text = f"Loop {loop_tag(short_id)} with {candidate_name} is complete"
    return _message(text, headline, "\n".join(lines), context=f"Loop {loop_tag(short_id)}")


def unreachable(
    *,
    short_id: str | None,
    who_name: str | None,
    who_slack_id: str | None,
    what: str,
    error: str,
) -> Message:
    """Tell the recruiter that a DM to someone could not be delivered for good."""
    who = mention(who_slack_id, who_name)
    about = f" for loop {loop_tag(short_id)}" if short_id else ""
    headline = (
        f":no_entry: I could not reach {who} by DM{about}: Slack answered `{escape(error)}`. "
        f"The message was: {escape(what)}. Please contact them another way."
    )
    plain_who = who_name or who_slack_id or "an interviewer"
    text = f"Could not reach {plain_who} by DM{about} ({error})"
    context = f"Loop {loop_tag(short_id)}" if short_id else None
    return _message(text, headline, context=context)
