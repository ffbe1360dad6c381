"""The one validated configuration object, read from the environment and `.env`.

Nothing builds a Settings at import time: the CLI builds one per command and tests build
their own, so configuration never leaks between them.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.durations import parse_duration, parse_duration_list

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
ENV_HELP = "see .env.example for every key and manifest.yml for the Slack app"


def _durations(value: Any) -> Any:
    return parse_duration_list(value) if isinstance(value, str) else value


def _duration(value: Any) -> Any:
    return parse_duration(value) if isinstance(value, str) else value


class MissingSettingError(Exception):
    """A key the requested feature needs is not set."""

    def __init__(self, key: str, purpose: str) -> None:
        super().__init__(f"{key} is required {purpose}; {ENV_HELP}")
        self.key = key


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    google_service_account_file: Path | None = None
    google_organizer_email: str | None = None
    google_api_endpoint: str | None = None
    database_url: str = "sqlite:///interview_bot.db"
    org_config: Path = Path("org.yaml")
    reminder_offsets: Annotated[tuple[timedelta, ...], NoDecode, BeforeValidator(_durations)] = (
        Field(default=(timedelta(hours=24), timedelta(hours=1)))
    )
    confirm_nudge_after: Annotated[timedelta, BeforeValidator(_duration)] = timedelta(hours=4)
    log_level: str = "INFO"

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"{value!r} is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("slack_bot_token", "slack_signing_secret", "slack_app_token", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    def require(self, key: str, purpose: str) -> Any:
        """Return a setting's value or raise MissingSettingError naming its env key."""
        value = getattr(self, key.lower())
        if value is None or (isinstance(value, str) and not value.strip()):
            raise MissingSettingError(key.upper(), purpose)
        return value

    @property
    def google_configured(self) -> bool:
        return bool(self.google_service_account_file and self.google_organizer_email)
