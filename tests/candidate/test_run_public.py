"""`interview-bot run` with PUBLIC_URL: the candidate page is served in both modes, and the
token never reaches the logs (no access log in gunicorn; waitress logs no requests)."""

from __future__ import annotations

import re
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from integrations.sandbox.slack_api import FakeSlack
from integrations.sandbox.slack_requests import RequestFactory, post
from tests.fakes.socket_mode import SocketModeServer
from tests.slack.conftest import RECRUITER
from tests.slack.test_run_modes import (
    bot_env,
    free_port,
    next_wednesday,
    start,
    stop,
    wait_healthy,
)

__all__ = ["bot_env"]
pytestmark = pytest.mark.slow
LINK = re.compile(r"(http://127\.0\.0\.1:\d+/c/([A-Za-z0-9_.\-]+))")


def _invite_text() -> str:
    first = next_wednesday()
    return (
        f"invite ada@cand.example backend-swe tz=Europe/London from={first} "
        f"to={first + timedelta(days=2)}"
    )


def _link_from_dm(fake_slack: FakeSlack) -> tuple[str, str]:
    (message,) = fake_slack.wait_for(
        "chat.postMessage",
        timeout=30,
        where=lambda c: "/c/" in str(c.args.get("blocks")),
    )
    found = LINK.search(str(message.args["blocks"]))
    assert found is not None
    return found.group(1), found.group(2)


def _get(url: str, deadline: float = 20) -> tuple[int, str]:
    until = time.monotonic() + deadline
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, ""
        except OSError:
            if time.monotonic() > until:
                raise
            time.sleep(0.1)  # readiness poll of a separate process; no clock to inject here


def test_http_mode_serves_the_candidate_page(
    bot_env: dict[str, str], fake_slack: FakeSlack, slack_requests: RequestFactory, tmp_path: Path
) -> None:
    port = free_port()
    bot_env.update(PUBLIC_URL=f"http://127.0.0.1:{port}", SECRET_KEY="k" * 40)
    process = start(["--http", "--host", "127.0.0.1", "--port", str(port)], bot_env, tmp_path)
    try:
        assert wait_healthy(port, process) == {"ok": True}
        url = f"http://127.0.0.1:{port}/slack/events"
        assert post(url, *slack_requests.slash_command(_invite_text(), user_id=RECRUITER)).status
        link, token = _link_from_dm(fake_slack)
        status, body = _get(link)
        assert status == 200 and "Software Engineer" in body
        assert _get(f"http://127.0.0.1:{port}/c/not-a-token")[0] == 404
    finally:
        log = stop(process, tmp_path)
    assert "Traceback" not in log, log
    assert token not in log


def test_socket_mode_serves_the_candidate_page_on_port(
    bot_env: dict[str, str], fake_slack: FakeSlack, slack_requests: RequestFactory, tmp_path: Path
) -> None:
    port = free_port()
    bot_env.update(PUBLIC_URL=f"http://127.0.0.1:{port}", SECRET_KEY="k" * 40)
    with SocketModeServer(app_id=fake_slack.app_id) as server:
        fake_slack.attach_socket_mode(server)
        process = start(["--host", "127.0.0.1", "--port", str(port)], bot_env, tmp_path)
        try:
            server.wait_for_connection(timeout=30)
            server.send_envelope(
                "slash_commands",
                slack_requests.slash_command_payload(_invite_text(), user_id=RECRUITER),
                timeout=10,
            )
            link, token = _link_from_dm(fake_slack)
            status, body = _get(link)
            assert status == 200 and "Choose your interview time" in body
        finally:
            server.close_connections()
            log = stop(process, tmp_path)
    assert "Traceback" not in log, log
    assert token not in log
    assert "serving public pages" in log
