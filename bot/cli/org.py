"""`interview-bot sync-org [FILE]`: validate the org file and load it into the database."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import load_settings, open_database, read_org
from bot.org.sync import sync_org
from storage.engine import session_scope

log = logging.getLogger(__name__)


def sync_org_command(
    file: Annotated[
        Path | None, typer.Argument(help="Org file (YAML); defaults to ORG_CONFIG.")
    ] = None,
) -> None:
    """Validate the org file and load it into the database; an invalid file changes nothing."""
    settings = load_settings()
    org = read_org(file or settings.org_config)
    engine = open_database(settings)
    with session_scope(engine) as session:
        report = sync_org(org, session=session)
    typer.echo(report.summary())
    if settings.slack_bot_token is not None:
        # Interviewers listed by email only get their Slack id and zone now, not at next start.
        from bot.services.directory import resolve_directory
        from integrations.slack.messenger import SlackMessenger, make_web_client

        client = make_web_client(
            settings.slack_bot_token.get_secret_value(), settings.slack_api_url
        )
        with session_scope(engine) as session:
            problems = resolve_directory(SlackMessenger(client), session=session)
        for problem in problems:
            typer.echo(f"directory: {problem}")
    engine.dispose()


def register(app: typer.Typer) -> None:
    app.command("sync-org")(sync_org_command)
