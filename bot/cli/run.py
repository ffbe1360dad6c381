"""`interview-bot run [--http]`: check configuration, migrate, load the org, serve Slack."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from bot.cli.common import load_settings, open_database, read_org
from bot.cli.errors import BadInputError
from bot.logging_setup import configure_logging
from bot.settings import MissingSettingError, Settings

log = logging.getLogger(__name__)


def check_run_settings(settings: Settings, *, http: bool) -> None:
    """Fail fast, before any I/O, on the first key the chosen mode cannot run without."""
    try:
        settings.require("SLACK_BOT_TOKEN", "to run the bot")
        if http:
            settings.require("SLACK_SIGNING_SECRET", "for run --http")
        else:
            settings.require("SLACK_APP_TOKEN", "for Socket Mode (or use run --http)")
        if settings.public_url is not None:
            settings.require_public()  # SECRET_KEY must come with PUBLIC_URL
    except MissingSettingError as error:
        raise BadInputError(str(error)) from None


def run_command(
    http: Annotated[
        bool, typer.Option("--http", help="Serve HTTP instead of Socket Mode.")
    ] = False,
    host: Annotated[
        str, typer.Option(help="Address to bind (HTTP mode; public pages in Socket Mode).")
    ] = "0.0.0.0",
    port: Annotated[
        int, typer.Option(help="Port (HTTP mode; public pages in Socket Mode).", min=1, max=65535)
    ] = 3000,
) -> None:
    """Start the bot (Socket Mode by default; --http for a production HTTP server)."""
    settings = load_settings()
    check_run_settings(settings, http=http)
    configure_logging(settings.log_level)
    org = read_org(settings.org_config)
    engine = open_database(settings)

    from bot.runtime import serve

    serve(settings, engine, org, http=http, host=host, port=port)


def register(app: typer.Typer) -> None:
    app.command("run")(run_command)
