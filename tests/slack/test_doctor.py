"""`interview-bot doctor` as an operator runs it: one line per check, exit 1 on any failure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from bot.slack_scopes import BOT_SCOPES
from integrations.sandbox.google_calendar import FakeCalendar
from integrations.sandbox.slack_api import FakeSlack
from tests.slack.conftest import ORGANIZER, org_data


def doctor(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GOOGLE_"))}
    for proxy in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        clean.pop(proxy, None)
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", "doctor"],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def setup(tmp_path: Path, slack: FakeSlack, calendar: FakeCalendar) -> dict[str, str]:
    org = tmp_path / "org.yaml"
    org.write_text(yaml.safe_dump(org_data()))
    db = f"sqlite:///{tmp_path / 'bot.db'}"
    subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        cwd=tmp_path,
        check=True,
        env=dict(os.environ, DATABASE_URL=db),
        capture_output=True,
    )
    return {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_APP_TOKEN": slack.app_token,
        "SLACK_API_URL": slack.url,
        "GOOGLE_SERVICE_ACCOUNT_FILE": str(calendar.write_service_account_key(tmp_path / "k.json")),
        "GOOGLE_ORGANIZER_EMAIL": ORGANIZER,
        "GOOGLE_API_ENDPOINT": calendar.url,
        "DATABASE_URL": db,
        "ORG_CONFIG": str(org),
    }


def test_all_checks_pass(tmp_path: Path) -> None:
    with (
        FakeSlack(scopes=sorted(BOT_SCOPES)) as slack,
        FakeCalendar.start() as calendar,
    ):
        result = doctor(setup(tmp_path, slack, calendar), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "ok   config",
        "ok   database",
        "ok   org",
        "ok   slack",
        "ok   google",
    ]
    assert slack.calls("auth.test")


def test_missing_scopes_are_named(tmp_path: Path) -> None:
    with FakeSlack(scopes=["commands", "chat:write"]) as slack, FakeCalendar.start() as calendar:
        result = doctor(setup(tmp_path, slack, calendar), tmp_path)
    assert result.returncode == 1
    slack_line = next(line for line in result.stdout.splitlines() if " slack:" in line)
    assert slack_line.startswith("FAIL")
    assert "lacks scopes from manifest.yml: im:history, im:write, users:read, users:read.email" in (
        slack_line
    )


def test_missing_im_history_is_named(tmp_path: Path) -> None:
    granted = sorted(BOT_SCOPES - {"im:history"})
    with FakeSlack(scopes=granted) as slack, FakeCalendar.start() as calendar:
        result = doctor(setup(tmp_path, slack, calendar), tmp_path)
    assert result.returncode == 1
    slack_line = next(line for line in result.stdout.splitlines() if " slack:" in line)
    assert slack_line.startswith("FAIL") and slack_line.endswith(
        "lacks scopes from manifest.yml: im:history (reinstall the app)"
    )


def test_bad_token_and_unmigrated_database_fail(tmp_path: Path) -> None:
    with FakeSlack() as slack, FakeCalendar.start() as calendar:
        env = setup(tmp_path, slack, calendar)
        env["SLACK_BOT_TOKEN"] = "xoxb-wrong"
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'empty.db'}"
        result = doctor(env, tmp_path)
    assert result.returncode == 1
    out = result.stdout
    assert "FAIL slack: auth.test failed: invalid_auth" in out
    assert "FAIL database: schema at nothing" in out
    assert "xoxb-wrong" not in out + result.stderr


def test_sync_org_resolves_slack_ids_by_email(tmp_path: Path) -> None:
    data = org_data()
    data["interviewers"][0].pop("slack_id")
    data["interviewers"][0].pop("timezone")
    data["interviewers"][1].pop("slack_id")
    org = tmp_path / "org.yaml"
    org.write_text(yaml.safe_dump(data))
    with FakeSlack() as slack:
        slack.add_user("U01ANA", email="ana@corp.example", tz="Europe/Dublin")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GOOGLE_"))}
        env.update(
            SLACK_BOT_TOKEN=slack.bot_token,
            SLACK_API_URL=slack.url,
            DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
        )
        result = subprocess.run(
            [sys.executable, "-m", "bot", "sync-org", str(org)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    assert "directory: Ben: no Slack user with that email" in result.stdout
    import sqlite3

    with sqlite3.connect(tmp_path / "bot.db") as db:
        row = db.execute(
            "select slack_id, timezone from interviewer where email='ana@corp.example'"
        ).fetchone()
    assert row == ("U01ANA", "Europe/Dublin")
