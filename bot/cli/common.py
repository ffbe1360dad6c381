"""What every command needs: settings that fail as bad configuration, an engine, the org."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.engine import Engine

from bot.cli.errors import BadInputError, RuntimeFailureError
from bot.org import OrgConfig, OrgFileError, load_org_file
from bot.settings import ENV_HELP, Settings


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        key = str(first["loc"][0]).upper() if first["loc"] else "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise BadInputError(f"{key}: {message}; {ENV_HELP}") from None


def open_database(settings: Settings) -> Engine:
    """Engine on DATABASE_URL, migrated; an unreachable database is a runtime failure (exit 1)."""
    from sqlalchemy.exc import ArgumentError, OperationalError

    from storage.engine import make_engine
    from storage.migrate import upgrade

    try:
        engine = make_engine(settings.database_url)
    except (ArgumentError, ValueError) as error:
        raise BadInputError(f"DATABASE_URL: {error}") from None
    try:
        upgrade(settings.database_url)
    except OperationalError as error:
        raise RuntimeFailureError(f"database unreachable: {error.orig}") from None
    return engine


def read_org(path: Path) -> OrgConfig:
    try:
        return load_org_file(path)
    except OrgFileError as error:
        raise BadInputError(str(error)) from None
