from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.durations import format_duration, parse_duration, parse_duration_list
from bot.settings import MissingSettingError, Settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "SLACK_API_URL",
        "DATABASE_URL",
        "REMINDER_OFFSETS",
        "CONFIRM_NUDGE_AFTER",
        "LOG_LEVEL",
        "ORG_CONFIG",
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_match_the_contract() -> None:
    settings = Settings()
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.database_url == "sqlite:///interview_bot.db"
    assert settings.org_config == Path("org.yaml")
    assert settings.reminder_offsets == (timedelta(hours=24), timedelta(hours=1))
    assert settings.confirm_nudge_after == timedelta(hours=4)
    assert settings.log_level == "INFO"
    assert settings.slack_bot_token is None


def test_environment_and_dotenv_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-file\nREMINDER_OFFSETS=2d,30m\n")
    monkeypatch.setenv("CONFIRM_NUDGE_AFTER", "90m")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api")
    settings = Settings()
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-from-file"
    assert "xoxb-from-file" not in repr(settings)
    assert settings.reminder_offsets == (timedelta(days=2), timedelta(minutes=30))
    assert settings.confirm_nudge_after == timedelta(minutes=90)
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"


@pytest.mark.parametrize(
    ("key", "value"),
    [("REMINDER_OFFSETS", "24h,soon"), ("CONFIRM_NUDGE_AFTER", "4 hours"), ("LOG_LEVEL", "LOUD")],
)
def test_bad_values_are_rejected(monkeypatch: pytest.MonkeyPatch, key: str, value: str) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(ValidationError) as raised:
        Settings()
    assert raised.value.errors()[0]["loc"] == (key.lower(),)


def test_require_names_the_key() -> None:
    settings = Settings()
    with pytest.raises(MissingSettingError) as raised:
        settings.require("SLACK_BOT_TOKEN", "to run the bot")
    assert raised.value.key == "SLACK_BOT_TOKEN"
    assert ".env.example" in str(raised.value)
    assert "manifest.yml" in str(raised.value)


def test_blank_tokens_count_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "  ")
    assert Settings().slack_bot_token is None


def test_durations_round_trip() -> None:
    assert parse_duration("2d") == timedelta(days=2)
    assert parse_duration_list("24h, 1h") == (timedelta(hours=24), timedelta(hours=1))
    assert parse_duration_list("") == ()
    assert [format_duration(parse_duration(t)) for t in ("90m", "2h", "3d")] == ["90m", "2h", "3d"]
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration("1w")
