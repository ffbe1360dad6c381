"""Service-account auth against the fake token endpoint, and credential-file validation."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.ports import CalendarError
from bot.settings import MissingSettingError, Settings
from integrations.google import SCOPES, GoogleCalendar, GoogleConfigError, RetryPolicy
from integrations.sandbox.google_calendar import FakeCalendar
from tests.google.conftest import ORGANIZER

START = datetime(2026, 12, 1, tzinfo=UTC)
END = START + timedelta(days=14)


def test_token_flow_signs_a_delegated_grant_with_the_narrow_scopes(
    fake: FakeCalendar, tmp_path: Path, policy: RetryPolicy
) -> None:
    key = fake.write_service_account_key(tmp_path / "sa.json", fresh_key=True)
    settings = Settings(
        _env_file=None,
        google_service_account_file=key,
        google_organizer_email=ORGANIZER,
        google_api_endpoint=fake.url,
    )
    with GoogleCalendar.from_settings(settings, retry=policy, cache_ttl=0) as calendar:
        calendar.free_busy(["ana@corp.example"], START, END)
        calendar.free_busy(["ana@corp.example"], START, END)

    (grant,) = fake.token_grants  # one token, reused by the second call
    assert grant["iss"] == "interview-bot@fake-project.iam.gserviceaccount.com"
    assert grant["sub"] == ORGANIZER
    assert grant["scope"].split() == list(SCOPES)
    assert SCOPES == (
        "https://www.googleapis.com/auth/calendar.events.freebusy",
        "https://www.googleapis.com/auth/calendar.events.owned",
    )
    token_requests = [r for r in fake.requests if r.kind == "token"]
    assert len(token_requests) == 1
    assert token_requests[0].body["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    api = fake.api_requests()
    assert len(api) == 2
    assert all(re.fullmatch(r"Bearer fake-token-\S+", r.headers["authorization"]) for r in api)


def test_a_key_the_fake_does_not_know_is_refused(
    fake: FakeCalendar, tmp_path: Path, policy: RetryPolicy
) -> None:
    key = tmp_path / "sa.json"
    with FakeCalendar.start() as other:  # registers the key with *another* fake
        other.write_service_account_key(key, fresh_key=True)
    info = json.loads(key.read_text())
    info["token_uri"] = fake.token_uri  # right endpoint, wrong signing key
    key.write_text(json.dumps(info))
    settings = Settings(
        _env_file=None,
        google_service_account_file=key,
        google_organizer_email=ORGANIZER,
        google_api_endpoint=fake.url,
    )
    with (
        GoogleCalendar.from_settings(settings, retry=policy) as calendar,
        pytest.raises(CalendarError, match="Invalid JWT Signature"),
    ):
        calendar.free_busy(["ana@corp.example"], START, END)
    assert fake.api_requests() == []


def test_concurrent_cold_start_fetches_one_token(
    fake: FakeCalendar, calendar: GoogleCalendar
) -> None:
    fake.latency = 0.05
    emails = [f"person{i}@corp.example" for i in range(150)]
    calendar.free_busy(emails, START, END)
    assert len(fake.freebusy_requests) == 3
    assert len([r for r in fake.requests if r.kind == "token"]) == 1


def test_refused_delegation_is_a_clear_error_naming_the_client(
    fake: FakeCalendar, calendar: GoogleCalendar, clock: object
) -> None:
    fake.set_token_error("unauthorized_client")
    with pytest.raises(CalendarError) as raised:
        calendar.free_busy(["ana@corp.example"], START, END)
    message = str(raised.value)
    assert "\n" not in message
    assert "unauthorized_client" in message
    assert "domain-wide delegation" in message
    assert "123456789012345678901" in message  # the client id the admin must authorise
    assert "calendar.events.owned" in message
    assert fake.api_requests() == []


def test_an_expired_token_is_refreshed_once(fake: FakeCalendar, calendar: GoogleCalendar) -> None:
    calendar.free_busy(["ana@corp.example"], START, END)
    fake.revoke_tokens()  # Google says 401; AuthorizedHttp refreshes and repeats the call
    calendar.invalidate(["ana@corp.example"])
    calendar.free_busy(["ana@corp.example"], START, END)
    statuses = [r.status for r in fake.freebusy_requests]
    assert statuses == [200, 401, 200]
    assert len(fake.token_grants) == 1  # the revoked one was forgotten, one new grant


def _settings(path: Path | None, organizer: str | None = ORGANIZER) -> Settings:
    return Settings(
        _env_file=None,
        google_service_account_file=path,
        google_organizer_email=organizer,
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "file not found"),
        ("not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"type": "service_account"}', "missing client_email, private_key, token_uri"),
        (
            '{"type": "authorized_user", "client_email": "x", "private_key": "y", '
            '"token_uri": "z"}',
            "expected 'service_account'",
        ),
        (
            '{"type": "service_account", "client_email": "x@y", "private_key": "garbage", '
            '"token_uri": "http://127.0.0.1:1/token"}',
            "unusable private key",
        ),
    ],
)
def test_bad_credential_files_are_named_in_one_line(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    path = tmp_path / "sa.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(GoogleConfigError) as raised:
        GoogleCalendar.from_settings(_settings(path))
    message = str(raised.value)
    assert message.startswith(f"GOOGLE_SERVICE_ACCOUNT_FILE {path}")
    assert expected in message
    assert "\n" not in message


def test_missing_settings_name_the_key(key_file: Path) -> None:
    with pytest.raises(MissingSettingError, match="GOOGLE_SERVICE_ACCOUNT_FILE"):
        GoogleCalendar.from_settings(_settings(None))
    with pytest.raises(MissingSettingError, match="GOOGLE_ORGANIZER_EMAIL"):
        GoogleCalendar.from_settings(_settings(key_file, organizer=None))
    with pytest.raises(GoogleConfigError, match="GOOGLE_ORGANIZER_EMAIL 'nobody'"):
        GoogleCalendar.from_settings(_settings(key_file, organizer="nobody"))
