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
    engine.dispose()
    typer.echo(report.summary())


def register(app: typer.Typer) -> None:
    app.command("sync-org")(sync_org_command)
