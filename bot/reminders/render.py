"""Pure functions that turn reminder data into a DM: fallback text plus Block Kit blocks.

Nothing here reads the database or the clock; the dispatcher gathers the facts and passes them
in, so every message can be tested on its own. Text coming from people (candidate names, prep
notes, stage titles) is escaped for Slack's mrkdwn (`&`, `<`, `>`) and long fields are cut so
that no section exceeds Block Kit's 3000-character limit without breaking a link or an entity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.blocks.common import clip as clip_text
from bot.blocks.common import escape
from bot.blocks.requests import answer_buttons
from bot.mrkdwn import SLACK_USER_ID, who
from bot.timefmt import duration, time_range

SECTION_LIMIT = 3000  # Block Kit: section text
PREP_LIMIT = 1500  # prep notes are cut earlier so the rest of the reminder always fits
ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class Message:
    """A DM ready for `MessagingPort.send_dm`: notification text and the blocks shown."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Interview:
    """The session a message is about: loop, candidate, stage and times in the reader's zone."""

    short_id: str
    candidate_name: str
    stage_title: str
    start: datetime
    end: datetime
    timezone: str | None


@dataclass(frozen=True, slots=True)
class SessionLine:
    """One session in the recruiter's end-of-loop note."""

    stage_title: str
    start: datetime
    end: datetime
    interviewers: tuple[str, ...] = ()  # Slack ids (shown as mentions), else names


# ---------------------------------------------------------------- formatting helpers


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
    if slack_id and name and SLACK_USER_ID.match(slack_id):
        return f"{escape(name)} (<@{slack_id}>)"
    return who(slack_id, name)


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
    about: Interview,
    *,
    prep: str | None = None,
    meet_link: str | None = None,
    lead: timedelta | None = None,
) -> Message:
    """An interviewer's reminder before their session, times in their own zone."""
    short_id, candidate_name, stage_title = about.short_id, about.candidate_name, about.stage_title
    when = time_range(about.start, about.end, about.timezone)
    soon = f" starts in {duration(lead)}" if lead is not None else " is coming up"
    headline = f":alarm_clock: Your interview {_what(candidate_name, stage_title)}{soon}."
    details = [f"*When:* {when}"]
    if meet_link:
        details.append(f"*Where:* {_link(meet_link, 'Join Google Meet')}")
    sections = [headline, "\n".join(details)]
    if prep and prep.strip():
        sections.append(f"*Prep notes*\n{escape(_plain_clip(prep, PREP_LIMIT))}")
    text = (
        f"Reminder: {escape(stage_title)} with {escape(candidate_name)}{soon} — {when} "
        f"(loop {loop_tag(short_id)})"
    )
    if meet_link:
        text += f" {meet_link}"
    return _message(text, *sections, context=f"Loop {loop_tag(short_id)}")


def confirm_nudge(about: Interview, *, nudge_number: int, request_id: int | None = None) -> Message:
    """Ask an interviewer again to answer a pending request, with working answer buttons."""
    short_id, candidate_name, stage_title = about.short_id, about.candidate_name, about.stage_title
    when = time_range(about.start, about.end, about.timezone)
    again = "still " if nudge_number > 1 else ""
    what = _what(candidate_name, stage_title)
    headline = f":wave: I'm {again}waiting for your answer: can you take {what} on {when}?"
    ask = "Please answer so the loop can be booked."
    text = (
        f"Please answer: can you take {escape(stage_title)} with {escape(candidate_name)} "
        f"on {when}? "
        f"(loop {loop_tag(short_id)})"
    )
    message = _message(text, headline, ask, context=f"Loop {loop_tag(short_id)}")
    if request_id is not None:
        message.blocks.insert(2, answer_buttons(request_id, block_id=f"nudge:{request_id}"))
    return message


def unanswered_escalation(
    about: Interview,
    *,
    interviewer_name: str | None,
    interviewer_slack_id: str | None,
    nudges: int,
    replacement_failed: bool = False,
) -> Message:
    """Tell the recruiter that an interviewer has not answered a request despite nudges."""
    short_id, candidate_name, stage_title = about.short_id, about.candidate_name, about.stage_title
    who = mention(interviewer_slack_id, interviewer_name)
    when = time_range(about.start, about.end, about.timezone)
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
        f"{escape(interviewer_name or interviewer_slack_id or 'An interviewer')} has not "
        f"answered the request for {escape(stage_title)} with {escape(candidate_name)} on {when} "
        f"(loop {loop_tag(short_id)})"
    )
    return _message(text, headline, advice, context=f"Loop {loop_tag(short_id)}")


def feedback_due(about: Interview) -> Message:
    """Ask an interviewer for their feedback after their session."""
    short_id, candidate_name, stage_title = about.short_id, about.candidate_name, about.stage_title
    when = time_range(about.start, about.end, about.timezone)
    headline = (
        f":memo: Thanks for interviewing! Your feedback on {_what(candidate_name, stage_title)}"
        f" ({when}) is due — please write it up while it is fresh."
    )
    text = (
        f"Feedback due: {escape(stage_title)} with {escape(candidate_name)} "
        f"(loop {loop_tag(short_id)})"
    )
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
        people = ", ".join(who(person, person) for person in line.interviewers) or "—"
        when = time_range(line.start, line.end, timezone)
        lines.append(f"• *{escape(line.stage_title)}* — {when} — {people}")
    text = f"Loop {loop_tag(short_id)} with {escape(candidate_name)} is complete"
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
    text = f"Could not reach {escape(plain_who)} by DM{about} ({escape(error)})"
    context = f"Loop {loop_tag(short_id)}" if short_id else None
    return _message(text, headline, context=context)
