"""`interview-bot db upgrade`: bring DATABASE_URL to the newest schema."""

from __future__ import annotations

import typer

from bot.cli.common import load_settings, open_database

db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade_command() -> None:
    """Apply Alembic migrations to DATABASE_URL (run does this too)."""
    settings = load_settings()
    open_database(settings).dispose()
    typer.echo("database is at the newest schema")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
