"""`interview-bot free-busy` and the Google line of `interview-bot doctor`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bot.cli import calendar as calendar_cli
from bot.cli.errors import BadInputError, RuntimeFailureError
from bot.settings import Settings
from integrations.google import RetryPolicy, check
from integrations.sandbox.google_calendar import FakeCalendar
from tests.google.conftest import ORGANIZER

ROOT = Path(__file__).resolve().parents[2]
ANA = "ana@corp.example"
GHOST = "ghost@corp.example"


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    calendar_cli.register(app)

    @app.command("noop", hidden=True)
    def noop() -> None:  # a second command keeps "free-busy" a subcommand name
        pass

    return app


@pytest.fixture
def env(
    fake: FakeCalendar, key_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """GOOGLE_* in the environment, run from an empty directory (no stray .env)."""
    for key in list(os.environ):
        if key.startswith(("GOOGLE_", "SLACK_")):
            monkeypatch.delenv(key)
    values = {
        "GOOGLE_SERVICE_ACCOUNT_FILE": str(key_file),
        "GOOGLE_ORGANIZER_EMAIL": ORGANIZER,
        "GOOGLE_API_ENDPOINT": fake.url,
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    return values


def test_free_busy_prints_json_per_calendar(
    app: typer.Typer, fake: FakeCalendar, env: dict[str, str]
) -> None:
    fake.set_busy(ANA, [("2026-12-02T10:00:00Z", "2026-12-02T11:30:00Z")])
    fake.calendar_error(GHOST, "notFound")
    result = CliRunner().invoke(
        app, ["free-busy", ANA, GHOST, "--from", "2026-12-01", "--to", "2026-12-03"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert list(document) == [ANA, GHOST]
    assert document[ANA] == {
        "busy": [{"start": "2026-12-02T10:00:00Z", "end": "2026-12-02T11:30:00Z"}],
        "error": None,
    }
    assert document[GHOST]["busy"] == []
    assert document[GHOST]["error"].startswith("notFound")
    (request,) = fake.freebusy_requests
    assert request.body["timeMin"] == "2026-12-01T00:00:00Z"
    assert request.body["timeMax"] == "2026-12-04T00:00:00Z"  # --to is inclusive


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([ANA, "--from", "2026-12-32", "--to", "2026-12-33"], "--from '2026-12-32' is not a valid"),
        ([ANA, "--from", "12/01/2026", "--to", "2026-12-03"], "form YYYY-MM-DD"),
        ([ANA, "--from", "2026-12-05", "--to", "2026-12-03"], "--to 2026-12-03 is before --from"),
        ([ANA, "--to", "2026-12-03"], "--from is required"),
        (["not-an-email", "--from", "2026-12-01", "--to", "2026-12-03"], "'not-an-email' is not"),
    ],
)
def test_bad_input_is_one_line_and_asks_nothing(
    app: typer.Typer, fake: FakeCalendar, env: dict[str, str], args: list[str], message: str
) -> None:
    result = CliRunner().invoke(app, ["free-busy", *args])
    assert isinstance(result.exception, BadInputError)
    assert message in str(result.exception)
    assert "\n" not in str(result.exception)
    assert fake.requests == []


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("GOOGLE_SERVICE_ACCOUNT_FILE", None, "GOOGLE_SERVICE_ACCOUNT_FILE is required"),
        ("GOOGLE_SERVICE_ACCOUNT_FILE", "/nonexistent/key.json", "file not found"),
        ("GOOGLE_ORGANIZER_EMAIL", None, "GOOGLE_ORGANIZER_EMAIL is required"),
    ],
)
def test_bad_configuration_is_bad_input(
    app: typer.Typer,
    fake: FakeCalendar,
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str | None,
    message: str,
) -> None:
    if value is None:
        monkeypatch.delenv(variable)
    else:
        monkeypatch.setenv(variable, value)
    result = CliRunner().invoke(
        app, ["free-busy", ANA, "--from", "2026-12-01", "--to", "2026-12-03"]
    )
    assert isinstance(result.exception, BadInputError)
    assert message in str(result.exception)
    assert fake.requests == []


def test_invalid_key_file_is_bad_input(
    app: typer.Typer,
    fake: FakeCalendar,
    env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    monkeypatch.setenv("GOOGLE_SERVICE_ACCOUNT_FILE", str(broken))
    result = CliRunner().invoke(
        app, ["free-busy", ANA, "--from", "2026-12-01", "--to", "2026-12-03"]
    )
    assert isinstance(result.exception, BadInputError)
    assert f"GOOGLE_SERVICE_ACCOUNT_FILE {broken}: not valid JSON" in str(result.exception)


def test_google_failure_is_a_runtime_failure(
    app: typer.Typer, fake: FakeCalendar, env: dict[str, str]
) -> None:
    fake.fail_next(403, reason="quotaExceeded")
    result = CliRunner().invoke(
        app, ["free-busy", ANA, "--from", "2026-12-01", "--to", "2026-12-03"]
    )
    assert isinstance(result.exception, RuntimeFailureError)
    assert "quota" in str(result.exception)
    assert len(fake.freebusy_requests) == 1


@pytest.mark.slow
def test_the_console_script_exits_2_with_one_line(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "SLACK_"))}
    clean["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "free-busy",
            ANA,
            "--from",
            "2026-02-30",
            "--to",
            "2026-03-01",
        ],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "--from '2026-02-30' is not a valid date" in lines[0]


# -- doctor -------------------------------------------------------------------------------


def quick() -> RetryPolicy:
    return RetryPolicy(max_attempts=3, sleep=lambda _: None, rand=lambda: 0.0)


def test_doctor_check_ok(fake: FakeCalendar, settings: Settings) -> None:
    fake.add_busy(ORGANIZER, "2030-01-01T00:00:00Z", "2030-01-01T01:00:00Z")
    ok, message = check(settings, retry=quick())
    assert ok, message
    assert message.startswith(f"Google Calendar ok: free/busy for {ORGANIZER}")
    assert "\n" not in message
    (request,) = fake.freebusy_requests
    assert request.body["items"] == [{"id": ORGANIZER}]


def test_doctor_check_fails_on_an_unknown_organizer(fake: FakeCalendar, settings: Settings) -> None:
    fake.calendar_error(ORGANIZER, "notFound")
    ok, message = check(settings, retry=quick())
    assert not ok
    assert ORGANIZER in message
    assert "notFound" in message


def test_doctor_check_fails_when_delegation_is_refused(
    fake: FakeCalendar, settings: Settings
) -> None:
    fake.set_token_error("unauthorized_client")
    ok, message = check(settings, retry=quick())
    assert not ok
    assert "unauthorized_client" in message
    assert "domain-wide delegation" in message
    assert "\n" not in message


def test_doctor_check_fails_when_google_is_down(fake: FakeCalendar, settings: Settings) -> None:
    fake.fail_next(503, count=10)
    ok, message = check(settings, retry=quick())
    assert not ok
    assert "gave up after 3 attempts" in message


def test_doctor_check_fails_when_not_configured(tmp_path: Path) -> None:
    ok, message = check(Settings(_env_file=None), retry=quick())
    assert not ok
    assert "GOOGLE_SERVICE_ACCOUNT_FILE is required" in message
