"""`make run` (scripts/run): the bot with Slack credentials, the sandbox without, said first."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "run"


@pytest.fixture
def fake_bot(tmp_path: Path) -> Path:
    """An `interview-bot` stand-in that prints the arguments it was started with."""
    path = tmp_path / "interview-bot"
    path.write_text('#!/bin/sh\necho "ARGV: $*"\n', encoding="utf-8")
    path.chmod(0o755)
    return path


def run(fake_bot: Path, env_file: Path, *args: str, **env: str) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SANDBOX_"))}
    clean.update(INTERVIEW_BOT=str(fake_bot), ENV_FILE=str(env_file), **env)
    result = subprocess.run(
        [str(SCRIPT), *args], env=clean, capture_output=True, text=True, timeout=30, check=True
    )
    return result.stdout.splitlines()


def test_without_credentials_the_sandbox_starts(fake_bot: Path, tmp_path: Path) -> None:
    lines = run(fake_bot, tmp_path / "missing.env")
    assert lines[0].startswith("make run: no SLACK_BOT_TOKEN")
    assert "sandbox" in lines[0] and "SLACK_APP_TOKEN" in lines[0] and "manifest.yml" in lines[0]
    assert lines[1] == "ARGV: sandbox"


def test_sandbox_args_reach_the_sandbox(fake_bot: Path, tmp_path: Path) -> None:
    lines = run(fake_bot, tmp_path / "missing.env", SANDBOX_ARGS="--reset --port 3999")
    assert lines[-1] == "ARGV: sandbox --reset --port 3999"


def test_credentials_in_the_environment_start_the_bot(fake_bot: Path, tmp_path: Path) -> None:
    lines = run(
        fake_bot, tmp_path / "missing.env", SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="xapp-1"
    )
    assert lines[0].startswith("make run: Slack credentials found")
    assert lines[1] == "ARGV: run"


def test_credentials_in_dotenv_start_http_mode(fake_bot: Path, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        '# comment\nSLACK_BOT_TOKEN="xoxb-1"  # the bot\nexport SLACK_SIGNING_SECRET=abc\n',
        encoding="utf-8",
    )
    lines = run(fake_bot, env_file, "--http", "--port", "8080")
    assert lines[1] == "ARGV: run --http --port 8080"
    # the same file without --http lacks the app token: the sandbox, saying what is missing
    lines = run(fake_bot, env_file)
    assert lines[0].startswith("make run: SLACK_BOT_TOKEN is set but SLACK_APP_TOKEN is not")
    assert lines[1] == "ARGV: sandbox"


def test_blank_values_count_as_missing(fake_bot: Path, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("SLACK_BOT_TOKEN=\nSLACK_APP_TOKEN=   \n", encoding="utf-8")
    assert run(fake_bot, env_file)[1] == "ARGV: sandbox"


def test_the_makefile_runs_the_script() -> None:
    result = subprocess.run(
        ["make", "-n", "run", "ARGS=--http"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "scripts/run --http" in result.stdout
