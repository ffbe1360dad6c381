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

from bot.durations import parse_duration, parse_duration_list, parse_interval

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
ENV_HELP = "see .env.example for every key and manifest.yml for the Slack app"


def _durations(value: Any) -> Any:
    return parse_duration_list(value) if isinstance(value, str) else value


def _duration(value: Any) -> Any:
    return parse_duration(value) if isinstance(value, str) else value


def _interval(value: Any) -> Any:
    return parse_interval(value) if isinstance(value, str) else value


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
    public_url: str | None = None
    secret_key: SecretStr | None = None
    candidate_link_ttl: Annotated[timedelta, BeforeValidator(_interval)] = timedelta(days=7)
    calendar_sync_every: Annotated[timedelta, BeforeValidator(_interval)] = timedelta(minutes=2)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"{value!r} is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator(
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "public_url",
        "secret_key",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"{value!r} must start with https:// (or http:// for local use)")
        return value.rstrip("/")

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters")
        return value

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

    def require_public(self) -> tuple[str, SecretStr]:
        """PUBLIC_URL and the SECRET_KEY that must come with it (candidate links, push)."""
        url = self.require("PUBLIC_URL", "for candidate links and Calendar push notifications")
        key = self.require("SECRET_KEY", "when PUBLIC_URL is set (it signs candidate links)")
        return url, key

    @property
    def google_configured(self) -> bool:
        return bool(self.google_service_account_file and self.google_organizer_email)
