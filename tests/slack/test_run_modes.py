"""`interview-bot run` as a real subprocess: HTTP under gunicorn, and Socket Mode."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from integrations.sandbox.google_calendar import FakeCalendar
from integrations.sandbox.slack_api import FakeSlack
from integrations.sandbox.slack_requests import RequestFactory, post
from tests.fakes.socket_mode import SocketModeServer
from tests.slack.conftest import ORGANIZER, RECRUITER, org_data

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def next_wednesday() -> date:
    """A window safely in the future of the real clock (the subprocess uses it)."""
    today = datetime.now(UTC).date() + timedelta(days=3)
    return today + timedelta(days=(2 - today.weekday()) % 7)


@pytest.fixture
def bot_env(
    tmp_path: Path, fake_slack: FakeSlack, slack_signing_secret: str
) -> Iterator[dict[str, str]]:
    calendar = FakeCalendar.start()
    key = calendar.write_service_account_key(tmp_path / "sa.json")
    org = tmp_path / "org.yaml"
    org.write_text(yaml.safe_dump(org_data()))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GOOGLE_"))}
    env.update(
        SLACK_BOT_TOKEN=fake_slack.bot_token,
        SLACK_APP_TOKEN=fake_slack.app_token,
        SLACK_SIGNING_SECRET=slack_signing_secret,
        SLACK_API_URL=fake_slack.url,
        GOOGLE_SERVICE_ACCOUNT_FILE=str(key),
        GOOGLE_ORGANIZER_EMAIL=ORGANIZER,
        GOOGLE_API_ENDPOINT=calendar.url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
        ORG_CONFIG=str(org),
        LOG_LEVEL="INFO",
    )
    for proxy in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        env.pop(proxy, None)
    yield env
    calendar.stop()


def start(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.Popen[bytes]:
    log = (tmp_path / "bot.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run", *args],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen[bytes], tmp_path: Path) -> str:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    return (tmp_path / "bot.log").read_text(errors="replace")


def wait_healthy(
    port: int, process: subprocess.Popen[bytes], deadline: float = 30
) -> dict[str, object]:
    until = time.monotonic() + deadline
    while time.monotonic() < until:
        assert process.poll() is None, "the bot exited early"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                return dict(json.loads(response.read()))
        except OSError:
            time.sleep(0.1)  # readiness poll of a separate process; no clock to inject here
    raise AssertionError("the bot never became healthy")


def test_http_mode_walks_the_happy_path(
    bot_env: dict[str, str], fake_slack: FakeSlack, slack_requests: RequestFactory, tmp_path: Path
) -> None:
    port = free_port()
    process = start(["--http", "--host", "127.0.0.1", "--port", str(port)], bot_env, tmp_path)
    try:
        assert wait_healthy(port, process) == {"ok": True}
        url = f"http://127.0.0.1:{port}/slack/events"
        unsigned = post(
            url, "token=x&text=help", {"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert unsigned.status == 401
        first = next_wednesday()
        text = (
            f"schedule ada@cand.example backend-swe tz=Europe/London "
            f"from={first} to={first + timedelta(days=2)}"
        )
        started = time.monotonic()
        reply = post(url, *slack_requests.slash_command(text, user_id=RECRUITER))
        assert reply.status == 200 and time.monotonic() - started < 3
        (proposal,) = fake_slack.wait_for(
            "chat.postMessage",
            channel="DU0RECRUIT" if False else fake_slack.dm_channel_id(RECRUITER),
            timeout=20,
        )
        choose = next(b["accessory"] for b in proposal.args["blocks"] if b.get("accessory"))
        assert (
            post(
                url,
                *slack_requests.block_action(
                    choose["action_id"], choose["value"], user_id=RECRUITER
                ),
            ).status
            == 200
        )
        asks = fake_slack.wait_for(
            "chat.postMessage", count=4, timeout=20, where=lambda c: "confirm_slot" in str(c.args)
        )
        for ask in asks:
            user = next(
                u
                for u in ("U01ANA", "U02BEN", "U03CHI", "U04DAN", "U05EVA", "U06FAY", "U07GUS")
                if ask.args["channel"] == fake_slack.dm_channel_id(u)
            )
            button = next(
                e
                for b in ask.args["blocks"]
                for e in b.get("elements", [])
                if str(e.get("action_id", "")).startswith("confirm_slot")
            )
            assert (
                post(
                    url,
                    *slack_requests.block_action(
                        button["action_id"], button["value"], user_id=user
                    ),
                ).status
                == 200
            )
        fake_slack.wait_for(
            "chat.postMessage",
            timeout=20,
            where=lambda c: "booked" in str(c.args.get("text", "")).lower(),
        )
    finally:
        log = stop(process, tmp_path)
    assert "Traceback" not in log, log
    assert fake_slack.bot_token not in log


def test_socket_mode_carries_a_slash_command(
    bot_env: dict[str, str], fake_slack: FakeSlack, slack_requests: RequestFactory, tmp_path: Path
) -> None:
    with SocketModeServer(app_id=fake_slack.app_id) as server:
        fake_slack.attach_socket_mode(server)
        process = start([], bot_env, tmp_path)
        try:
            server.wait_for_connection(timeout=30)
            ack = server.send_envelope(
                "slash_commands",
                slack_requests.slash_command_payload("help", user_id="U01ANA"),
                timeout=10,
            )
            assert "schedule" in json.dumps(ack.get("payload", {}))
            refusal = server.send_envelope(
                "slash_commands",
                slack_requests.slash_command_payload("cancel L7F3K", user_id="U01ANA"),
                timeout=10,
            )
            assert "Only recruiters" in json.dumps(refusal.get("payload", {}))
        finally:
            server.close_connections()
            log = stop(process, tmp_path)
    assert "Traceback" not in log, log
