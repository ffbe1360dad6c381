"""bolt's SocketModeHandler connects to the Socket Mode fake through apps.connections.open."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltRequest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.socket_mode.builtin import SocketModeClient

from integrations.sandbox.slack_api import FakeSlack
from integrations.sandbox.slack_requests import RequestFactory, app_home_opened_event, text_input
from tests.fakes.socket_mode import (
    SocketModeServer,
    start_socket_mode_handler,
    stop_socket_mode_handler,
)

Connect = Callable[[App], SocketModeHandler]


def make_app(fake: FakeSlack) -> App:
    app = App(client=WebClient(token=fake.bot_token, base_url=fake.url))

    @app.command("/interview")
    def interview(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        ack()
        client.chat_postMessage(channel=command["user_id"], text=f"got: {command['text']}")

    return app


def test_slash_command_over_socket_mode(
    fake_slack: FakeSlack,
    socket_mode_server: SocketModeServer,
    socket_mode_handlers: Connect,
    slack_requests: RequestFactory,
) -> None:
    handler = socket_mode_handlers(make_app(fake_slack))

    # The default handler is built on slack_sdk's dependency-free built-in client ...
    assert isinstance(handler.client, SocketModeClient)
    # ... which got its URL from apps.connections.open on the fake, with the app-level token.
    opened = fake_slack.last("apps.connections.open")
    assert opened.token == fake_slack.app_token
    assert socket_mode_server.connection_paths[0].startswith("/link/?ticket=")

    payload = slack_requests.slash_command_payload("status", user_id="U0RECRUIT")
    ack = socket_mode_server.send_envelope("slash_commands", payload)

    assert set(ack) == {"envelope_id"}  # ack() with no content
    (call,) = fake_slack.wait_for("chat.postMessage")
    assert call.args["channel"] == "U0RECRUIT"
    assert call.args["text"] == "got: status"


def test_interactive_ack_payload_and_event_retries(
    fake_slack: FakeSlack,
    socket_mode_server: SocketModeServer,
    socket_mode_handlers: Connect,
    slack_requests: RequestFactory,
) -> None:
    app = make_app(fake_slack)
    retries: list[Any] = []
    seen = threading.Event()

    @app.view("schedule_loop")
    def submit(ack: Ack) -> None:
        ack(response_action="errors", errors={"email": "required"})

    @app.event("app_home_opened")
    def home(request: BoltRequest) -> None:
        retries.append(request.headers.get("x-slack-retry-num"))
        seen.set()

    socket_mode_handlers(app)

    submission = slack_requests.view_submission_payload(
        "schedule_loop", {"email": {"email_input": text_input(None)}}
    )
    ack = socket_mode_server.send_envelope("interactive", submission)
    assert ack["payload"] == {"response_action": "errors", "errors": {"email": "required"}}

    event = slack_requests.event_callback_payload(app_home_opened_event("U01ANA"))
    ack = socket_mode_server.send_envelope(
        "events_api", event, retry_attempt=2, retry_reason="timeout"
    )
    assert set(ack) == {"envelope_id"}
    assert seen.wait(5)
    assert retries == [["2"]]  # bolt >= 1.29 mirrors Socket Mode retries as HTTP headers


def test_disconnect_message_makes_the_client_reconnect(
    fake_slack: FakeSlack,
    socket_mode_server: SocketModeServer,
    socket_mode_handlers: Connect,
    slack_requests: RequestFactory,
) -> None:
    socket_mode_handlers(make_app(fake_slack))

    socket_mode_server.send_disconnect()
    socket_mode_server.wait_for_connection(count=2)

    assert len(fake_slack.calls("apps.connections.open")) == 2
    payload = slack_requests.slash_command_payload("again")
    socket_mode_server.send_envelope("slash_commands", payload)
    fake_slack.wait_for("chat.postMessage", text="got: again")


def test_handlers_close_quickly_without_fixtures(fake_slack: FakeSlack) -> None:
    with SocketModeServer() as server:
        fake_slack.attach_socket_mode(server)
        handler = start_socket_mode_handler(
            make_app(fake_slack), server, app_token=fake_slack.app_token
        )
        started = time.monotonic()
        stop_socket_mode_handler(handler, server)
        assert time.monotonic() - started < 2
        assert server.open_connections == 0
