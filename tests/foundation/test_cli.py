"""The console script as operators run it: a real subprocess, a clean environment."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "org.example.yaml"


def cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {
        key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "GOOGLE_"))
    }
    clean.pop("DATABASE_URL", None)
    clean.pop("ORG_CONFIG", None)
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = cli("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("run", "db", "sync-org", "plan", "free-busy", "doctor"):
        assert command in result.stdout


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    result = cli("db", "upgrade", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "interview_bot.db") as connection:
        tables = {row[0] for row in connection.execute("select name from sqlite_master")}
    assert {"loop", "interview_session", "reminder", "audit_log", "alembic_version"} <= tables


def _dump(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as connection:
        names = [
            row[0]
            for row in connection.execute(
                "select name from sqlite_master where type='table' order by name"
            )
        ]
        return [
            (name, *row) for name in names for row in connection.execute(f"select * from {name}")
        ]


def test_sync_org_twice_changes_nothing(tmp_path: Path) -> None:
    first = cli("sync-org", str(EXAMPLE), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "created" in first.stdout
    before = _dump(tmp_path / "interview_bot.db")
    second = cli("sync-org", str(EXAMPLE), cwd=tmp_path)
    assert second.returncode == 0
    assert second.stdout.strip() == "org file loaded: no changes"
    assert _dump(tmp_path / "interview_bot.db") == before


def test_sync_org_reads_org_config(tmp_path: Path) -> None:
    result = cli("sync-org", cwd=tmp_path, env={"ORG_CONFIG": str(EXAMPLE)})
    assert result.returncode == 0, result.stderr


def test_invalid_org_file_exits_2_and_changes_nothing(tmp_path: Path) -> None:
    assert cli("sync-org", str(EXAMPLE), cwd=tmp_path).returncode == 0
    before = _dump(tmp_path / "interview_bot.db")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        EXAMPLE.read_text().replace("timezone: Asia/Kolkata", "timezone: Asia/Bangalore")
    )
    result = cli("sync-org", str(bad), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "interviewers[8].timezone" in result.stderr and "Traceback" not in result.stderr
    assert _dump(tmp_path / "interview_bot.db") == before


def test_missing_org_file_is_bad_input(tmp_path: Path) -> None:
    result = cli("sync-org", cwd=tmp_path)
    assert result.returncode == 2
    assert "org.yaml: file not found" in result.stderr


@pytest.mark.parametrize(
    ("args", "env", "key"),
    [
        ((), {}, "SLACK_BOT_TOKEN"),
        ((), {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN"),
        (("--http",), {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        (
            (),
            {
                "SLACK_BOT_TOKEN": "xoxb-1",
                "SLACK_APP_TOKEN": "xapp-1",
                "PUBLIC_URL": "https://x.test",
            },
            "SECRET_KEY",
        ),
    ],
)
def test_run_without_configuration_exits_2_quickly(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], key: str
) -> None:
    started = time.monotonic()
    result = cli("run", *args, cwd=tmp_path, env=env)
    assert time.monotonic() - started < 5
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert key in lines[0] and ".env.example" in lines[0] and "manifest.yml" in lines[0]
    assert not (tmp_path / "interview_bot.db").exists()


def test_bad_setting_value_exits_2(tmp_path: Path) -> None:
    result = cli("db", "upgrade", cwd=tmp_path, env={"REMINDER_OFFSETS": "soon"})
    assert result.returncode == 2
    assert result.stderr.startswith("error: REMINDER_OFFSETS:")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("frobnicate",), "No such command 'frobnicate'"),
        (("plan",), "Missing argument 'FILE'"),
        (("run", "--port", "abc"), "Invalid value for '--port'"),
    ],
)
def test_usage_errors_are_one_line(tmp_path: Path, args: tuple[str, ...], words: str) -> None:
    result = cli(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and words in result.stderr
