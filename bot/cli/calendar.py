"""`interview-bot free-busy EMAIL... --from DATE --to DATE`: Google free/busy as JSON.

Dates are calendar days in UTC and both ends are inclusive: `--from 2026-12-02 --to
2026-12-03` asks for [2026-12-02T00:00:00Z, 2026-12-04T00:00:00Z). Output, in argument order:

    {"ana@corp.example": {"busy": [{"start": "2026-12-02T10:00:00Z",
                                    "end": "2026-12-02T11:00:00Z"}], "error": null},
     "ghost@corp.example": {"busy": [], "error": "notFound: no such calendar, …"}}

A calendar with an `error` is unknown, not free. Bad dates or settings exit 2 with one line;
a Google failure exits 1.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

import typer

from bot.cli.common import load_settings
from bot.cli.errors import BadInputError, RuntimeFailureError
from bot.ports import CalendarBusy, CalendarError
from bot.settings import MissingSettingError

DATE_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def parse_day(option: str, value: str | None) -> date:
    if value is None:
        raise BadInputError(f"{option} is required (a date, YYYY-MM-DD)")
    if not DATE_FORMAT.match(value.strip()):
        raise BadInputError(f"{option} {value!r} is not a date in the form YYYY-MM-DD")
    try:
        return date.fromisoformat(value.strip())
    except ValueError as error:
        raise BadInputError(f"{option} {value!r} is not a valid date ({error})") from None


def utc_window(first: date, last: date) -> tuple[datetime, datetime]:
    """Whole UTC days `first`..`last` inclusive as a half-open interval."""
    return (
        datetime.combine(first, time(0), tzinfo=UTC),
        datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC),
    )


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def render(emails: list[str], answer: dict[str, CalendarBusy]) -> str:
    document = {
        email: {
            "busy": [
                {"start": _stamp(item.start), "end": _stamp(item.end)}
                for item in answer[email].busy
            ],
            "error": answer[email].error,
        }
        for email in emails
    }
    return json.dumps(document, indent=2)


def free_busy_command(
    emails: Annotated[
        list[str],
        typer.Argument(metavar="EMAIL", help="Calendars to query (people's email addresses)."),
    ],
    date_from: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="YYYY-MM-DD",
            help="First day, UTC (from 00:00Z).",
            show_default=False,
        ),
    ] = None,
    date_to: Annotated[
        str | None,
        typer.Option(
            "--to",
            metavar="YYYY-MM-DD",
            help="Last day, UTC, inclusive (up to 24:00Z that day).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Print Google free/busy as JSON: {email: {"busy": [{start, end}], "error": null}}.

    --from and --to are whole days in UTC, both inclusive; times are printed in RFC 3339 (UTC).

    A calendar whose "error" is not null could not be read: it is unknown, not free.
    """
    first = parse_day("--from", date_from)
    last = parse_day("--to", date_to)
    if last < first:
        raise BadInputError(f"--to {last.isoformat()} is before --from {first.isoformat()}")
    for email in emails:
        if not EMAIL.match(email):
            raise BadInputError(f"{email!r} is not an email address")
    start, end = utc_window(first, last)

    from integrations.google import GoogleCalendar, GoogleConfigError

    settings = load_settings()
    try:
        calendar = GoogleCalendar.from_settings(settings)
    except (MissingSettingError, GoogleConfigError) as error:
        raise BadInputError(str(error)) from None
    with calendar:
        try:
            answer = calendar.free_busy(emails, start, end)
        except CalendarError as error:
            raise RuntimeFailureError(str(error)) from None
    typer.echo(render(emails, answer))


def register(app: typer.Typer) -> None:
    app.command("free-busy")(free_busy_command)
