"""The `/interview` grammar (CONTRACT.md section 3), parsed without touching anything.

A parse error carries one sentence naming the problem plus the usage line of that subcommand,
so the listener can answer ephemerally and change nothing.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from datetime import date
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.mrkdwn import escape, unescape

SCHEDULE_USAGE = (
    '/interview schedule EMAIL TEMPLATE [name="Full Name"] [tz=Area/City] '
    "[from=YYYY-MM-DD] [to=YYYY-MM-DD]"
)

INVITE_USAGE = (
    '/interview invite EMAIL TEMPLATE [name="Full Name"] [tz=Area/City] '
    "[from=YYYY-MM-DD] [to=YYYY-MM-DD]"
)

HELP = f"""*/interview* — interview-loop scheduling
• `/interview schedule` — open the scheduling form
• `{SCHEDULE_USAGE}` — plan at once (`from`/`to` are candidate-local dates; default: the next \
10 business days; `tz` defaults to the org's zone)
• `{INVITE_USAGE}` — a link for the candidate to pick a time themselves
• `/interview status [EMAIL|LOOP_ID]` — loops and each session's state
• `/interview cancel LOOP_ID [reason="…"]` — cancel a loop, its events and pending requests
• `/interview reschedule LOOP_ID` — drop the current times and propose new ones
• `/interview swap LOOP_ID @old [@new]` — take @old off the sessions not started yet; ask @new \
(from the stage's pool), or let me pick a replacement from the pool
• `/interview templates` — loop templates and their stages
• `/interview pools` — interviewer pools and this week's load
• `/interview help` — this text"""


USAGES = {
    "schedule": f"`/interview schedule` (form) or `{SCHEDULE_USAGE}`",
    "invite": f"`{INVITE_USAGE}`",
    "status": "`/interview status [EMAIL|LOOP_ID]`",
    "cancel": '`/interview cancel LOOP_ID [reason="…"]`',
    "reschedule": "`/interview reschedule LOOP_ID`",
    "swap": "`/interview swap LOOP_ID @old [@new]`",
    "templates": "`/interview templates`",
    "pools": "`/interview pools`",
    "help": "`/interview help`",
}
EMAIL = re.compile(r"^[^@\s<>|]+@[^@\s<>|]+\.[^@\s<>|]+$")
LOOP_ID = re.compile(r"^L[0-9A-Z]{4,8}$")
MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
SLACK_MAILTO = re.compile(r"^<mailto:([^|>]+)(?:\|[^>]*)?>$")
QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})


class UsageError(ValueError):
    """`str(error)` is mrkdwn (what was typed is escaped); `problem` is the raw sentence."""

    def __init__(self, problem: str, command: str | None = None) -> None:
        usage = USAGES.get(command or "", "`/interview help` lists the commands")
        super().__init__(f"{escape(problem)}\nUsage: {usage}")
        self.problem = problem


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class OpenScheduleForm:
    pass


@dataclass(frozen=True)
class LoopRequest:
    """What `schedule` and `invite` both name: a candidate, a template and optional limits."""

    email: str
    template: str
    name: str | None = None
    timezone: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class Schedule(LoopRequest):
    """Plan a loop now; the recruiter picks one of the proposed options."""


@dataclass(frozen=True)
class Invite(LoopRequest):
    """Like Schedule, but the candidate gets a link to pick a time (CONTRACT.md section 7)."""


@dataclass(frozen=True)
class Status:
    query: str | None


@dataclass(frozen=True)
class Cancel:
    loop_id: str
    reason: str | None


@dataclass(frozen=True)
class Reschedule:
    loop_id: str


@dataclass(frozen=True)
class Swap:
    loop_id: str
    old: str  # Slack user ids
    new: str | None


@dataclass(frozen=True)
class Templates:
    pass


@dataclass(frozen=True)
class Pools:
    pass


Command = (
    Help
    | OpenScheduleForm
    | Schedule
    | Invite
    | Status
    | Cancel
    | Reschedule
    | Swap
    | Templates
    | Pools
)
_Request = TypeVar("_Request", Schedule, Invite)


def _tokens(text: str, command: str | None) -> list[str]:
    try:
        return shlex.split(text.translate(QUOTES))
    except ValueError:
        raise UsageError("A quote is not closed.", command) from None


def _split(tokens: list[str], allowed: set[str], command: str) -> tuple[list[str], dict[str, str]]:
    positional: list[str] = []
    options: dict[str, str] = {}
    for token in tokens:
        key, sep, value = token.partition("=")
        if sep and re.fullmatch(r"[a-z_]+", key):
            if key not in allowed:
                raise UsageError(f"Unknown option `{key}=`.", command)
            if key in options:
                raise UsageError(f"`{key}=` is given twice.", command)
            options[key] = value
        else:
            positional.append(token)
    return positional, options


def parse_email(text: str, command: str = "schedule") -> str:
    match = SLACK_MAILTO.match(text)
    value = (match.group(1) if match else text).strip().lower()
    if not EMAIL.match(value):
        raise UsageError(f"`{text}` is not an email address.", command)
    return value


def parse_zone(text: str, command: str = "schedule") -> str:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"`{text}` is not a time zone; use an IANA name like Europe/London.", command
        ) from None
    return text


def parse_date(text: str, key: str, command: str = "schedule") -> date:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"`{key}={text}` is not a date like 2026-12-01.", command) from None


def parse_loop_id(text: str, command: str) -> str:
    value = text.strip().strip("`").upper()
    if not LOOP_ID.match(value):
        raise UsageError(f"`{text}` is not a loop id like L7F3K.", command)
    return value


def parse_mention(text: str, command: str) -> str:
    """`<@U123|name>` (how Slack sends a mention in command text) → `U123`."""
    match = MENTION.match(text.strip())
    if match is None:
        raise UsageError(
            f"`{text}` is not a mention; pick the person with @ so Slack fills in who it is.",
            command,
        )
    return match.group(1)


def _swap(tokens: list[str]) -> Swap:
    if len(tokens) not in (2, 3):
        raise UsageError(
            "Give a loop id, the interviewer to take off, and optionally who to ask.", "swap"
        )
    loop_id = parse_loop_id(tokens[0], "swap")
    old = parse_mention(tokens[1], "swap")
    new = parse_mention(tokens[2], "swap") if len(tokens) == 3 else None
    if new == old:
        raise UsageError("@old and @new are the same person.", "swap")
    return Swap(loop_id, old, new)


def _loop_request(tokens: list[str], command: str, kind: type[_Request]) -> _Request:
    """The arguments shared by `schedule` and `invite`, parsed into `kind`."""
    positional, options = _split(tokens, {"name", "tz", "from", "to"}, command)
    if len(positional) < 2:
        raise UsageError("Give the candidate's email and a template.", command)
    if len(positional) > 2:
        raise UsageError(
            f'Unexpected `{positional[2]}`; put a full name in quotes: name="Ada Lovelace".',
            command,
        )
    email = parse_email(positional[0], command)
    template = positional[1]
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,100}", template):
        raise UsageError(f"`{template}` is not a template name.", command)
    name = options.get("name")
    if name is not None and not name.strip():
        raise UsageError("`name=` is empty.", command)
    date_from = parse_date(options["from"], "from", command) if "from" in options else None
    date_to = parse_date(options["to"], "to", command) if "to" in options else None
    if date_from and date_to and date_to < date_from:
        raise UsageError(f"`to={date_to}` is before `from={date_from}`.", command)
    return kind(
        email=email,
        template=template,
        name=name.strip()[:200] if name else None,
        timezone=parse_zone(options["tz"], command) if "tz" in options else None,
        date_from=date_from,
        date_to=date_to,
    )


def parse_command(text: str) -> Command:
    """`text` as Slack sends it (`&`, `<`, `>` escaped); values come back unescaped."""
    text = unescape(text)
    tokens = _tokens(text.strip(), None)
    if not tokens:
        return Help()
    verb, rest = tokens[0].lower(), tokens[1:]
    if verb == "help":
        return Help()
    if verb == "schedule":
        rest_tokens = _tokens(text.strip()[len(tokens[0]) :], "schedule")
        if not rest_tokens:
            return OpenScheduleForm()
        return _loop_request(rest_tokens, "schedule", Schedule)
    if verb == "invite":
        rest_tokens = _tokens(text.strip()[len(tokens[0]) :], "invite")
        if not rest_tokens:
            raise UsageError("Give the candidate's email and a template.", "invite")
        return _loop_request(rest_tokens, "invite", Invite)
    if verb == "status":
        if len(rest) > 1:
            raise UsageError("Give at most one email or loop id.", "status")
        if not rest:
            return Status(None)
        query = rest[0]
        if "@" in query:
            return Status(parse_email(query, "status"))
        return Status(parse_loop_id(query, "status"))
    if verb == "cancel":
        positional, options = _split(rest, {"reason"}, "cancel")
        if len(positional) != 1:
            raise UsageError("Give exactly one loop id.", "cancel")
        reason = options.get("reason")
        return Cancel(
            parse_loop_id(positional[0], "cancel"), reason.strip()[:500] if reason else None
        )
    if verb == "reschedule":
        if len(rest) != 1:
            raise UsageError("Give exactly one loop id.", "reschedule")
        return Reschedule(parse_loop_id(rest[0], "reschedule"))
    if verb == "swap":
        return _swap(rest)
    if verb in ("templates", "pools"):
        if rest:
            raise UsageError(f"`{verb}` takes no arguments.", verb)
        return Templates() if verb == "templates" else Pools()
    raise UsageError(f"Unknown command `{tokens[0]}`.")
