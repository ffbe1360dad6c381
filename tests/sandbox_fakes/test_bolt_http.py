"""Signed requests from slack_requests drive a real bolt App whose WebClient talks to FakeSlack."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import Ack, App, BoltContext, BoltRequest, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from integrations.sandbox.slack_api import FakeSlack
from integrations.sandbox.slack_requests import (
    RequestFactory,
    app_home_opened_event,
    block_action,
    post,
    slash_command,
    static_select,
    to_bolt_request,
    url_verification,
)


def make_app(fake: FakeSlack, signing_secret: str) -> App:
    """A bolt App on the fake: the token must be on the client (App ignores token= then)."""
    app = App(
        signing_secret=signing_secret,
        client=WebClient(token=fake.bot_token, base_url=fake.url),
    )
    seen_scopes: list[Any] = []

    @app.command("/interview")
    def interview(
        ack: Ack, command: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        ack()
        seen_scopes.append(
            context.authorize_result.bot_scopes if context.authorize_result else None
        )
        client.chat_postMessage(channel=command["user_id"], text=f"got: {command['text']}")

    app.seen_scopes = seen_scopes  # type: ignore[attr-defined]
    return app


def test_slash_command_is_acked_and_listener_posts(
    fake_slack: FakeSlack, slack_signing_secret: str
) -> None:
    app = make_app(fake_slack, slack_signing_secret)
    assert fake_slack.last("auth.test").token == fake_slack.bot_token  # App() verified the token

    body, headers = slash_command(
        "schedule ana@corp.example backend-swe", "U0RECRUIT", signing_secret=slack_signing_secret
    )
    response = app.dispatch(to_bolt_request(body, headers))

    assert response.status == 200
    (call,) = fake_slack.wait_for("chat.postMessage")
    assert call.args == {
        "channel": "U0RECRUIT",
        "text": "got: schedule ana@corp.example backend-swe",
        # bolt builds a client per request with team_id=<request's team>: it is sent on every call
        "team_id": fake_slack.team_id,
    }
    assert call.token == fake_slack.bot_token
    # bolt found the scopes in the (lower-case) x-oauth-scopes header of auth.test
    assert app.seen_scopes == [fake_slack.scopes]  # type: ignore[attr-defined]


def test_listener_client_inherits_retry_handlers_from_app_client(
    fake_slack: FakeSlack, slack_signing_secret: str
) -> None:
    app = make_app(fake_slack, slack_signing_secret)
    # bolt copies app.client's retry handlers into each request's client
    app.client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    fake_slack.fail_next("chat.postMessage", retry_after=0)

    body, headers = slash_command("status", signing_secret=slack_signing_secret)
    assert app.dispatch(to_bolt_request(body, headers)).status == 200

    calls = fake_slack.wait_for("chat.postMessage", count=2)
    assert [c.status for c in calls] == [429, 200]


def test_bad_signature_is_rejected_with_401(
    fake_slack: FakeSlack, slack_signing_secret: str
) -> None:
    app = make_app(fake_slack, slack_signing_secret)
    body, headers = slash_command("help", signing_secret="not-the-secret")

    response = app.dispatch(to_bolt_request(body, headers))

    assert response.status == 401
    assert json.loads(response.body) == {"error": "invalid request"}
    assert fake_slack.calls("chat.postMessage") == []


def test_request_older_than_five_minutes_is_rejected(
    fake_slack: FakeSlack, slack_signing_secret: str
) -> None:
    app = make_app(fake_slack, slack_signing_secret)
    stale, stale_headers = slash_command(
        "help", signing_secret=slack_signing_secret, timestamp=int(time.time()) - 301
    )
    fresh, fresh_headers = slash_command(
        "help", signing_secret=slack_signing_secret, timestamp=int(time.time()) - 200
    )

    assert app.dispatch(to_bolt_request(stale, stale_headers)).status == 401
    assert app.dispatch(to_bolt_request(fresh, fresh_headers)).status == 200


def test_block_action_with_suffix_reaches_regex_listener_and_responds(
    fake_slack: FakeSlack, slack_requests: RequestFactory, slack_signing_secret: str
) -> None:
    app = make_app(fake_slack, slack_signing_secret)
    seen: dict[str, Any] = {}

    @app.action(re.compile(r"^confirm_slot(:\d+)?$"))
    def confirm(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        seen.update(body=body, action=action)
        ack()
        respond(text="Thanks, confirmed", replace_original=True)

    response_url = fake_slack.response_url("click")
    body, headers = slack_requests.block_action(
        "confirm_slot:3", "session-42", user_id="U01ANA", response_url=response_url
    )
    response = app.dispatch(to_bolt_request(body, headers))

    assert response.status == 200
    assert seen["action"]["action_id"] == "confirm_slot:3"
    assert seen["action"]["value"] == "session-42"
    assert seen["action"]["block_id"]
    assert seen["action"]["action_ts"]
    assert seen["body"]["user"]["id"] == "U01ANA"
    assert seen["body"]["channel"]["id"] == "D01ANA"
    assert seen["body"]["container"]["message_ts"] == seen["body"]["message"]["ts"]
    (reply,) = fake_slack.wait_for_response("click")
    assert reply == {"text": "Thanks, confirmed", "replace_original": True}


def test_block_action_not_matching_is_unhandled(
    fake_slack: FakeSlack, slack_signing_secret: str
) -> None:
    app = make_app(fake_slack, slack_signing_secret)
    app.action(re.compile(r"^confirm_slot(:\d+)?$"))(lambda ack: ack())

    body, headers = block_action("decline_slot:3", "x", signing_secret=slack_signing_secret)

    assert app.dispatch(to_bolt_request(body, headers)).status == 404


def test_view_submission_reaches_listener_and_returns_errors(
    fake_slack: FakeSlack, slack_requests: RequestFactory, slack_signing_secret: str
) -> None:
    app = make_app(fake_slack, slack_signing_secret)
    seen: dict[str, Any] = {}

    @app.view("schedule_loop")
    def submit(ack: Ack, view: dict[str, Any], body: dict[str, Any]) -> None:
        seen.update(view=view, body=body)
        ack(response_action="errors", errors={"email": "Not an email address"})

    body, headers = slack_requests.view_submission(
        "schedule_loop",
        {"email": {"email_input": "ana@"}, "template": {"pick": static_select("backend-swe")}},
        user_id="U0RECRUIT",
        private_metadata='{"loop": "L7F3K"}',
    )
    response = app.dispatch(to_bolt_request(body, headers))

    assert response.status == 200
    assert json.loads(response.body) == {
        "response_action": "errors",
        "errors": {"email": "Not an email address"},
    }
    values = seen["view"]["state"]["values"]
    assert values["email"]["email_input"] == {"type": "plain_text_input", "value": "ana@"}
    assert values["template"]["pick"]["selected_option"]["value"] == "backend-swe"
    assert seen["view"]["private_metadata"] == '{"loop": "L7F3K"}'
    assert seen["body"]["user"]["id"] == "U0RECRUIT"


def test_event_callback_and_retry_headers(
    fake_slack: FakeSlack, slack_requests: RequestFactory, slack_signing_secret: str
) -> None:
    app = make_app(fake_slack, slack_signing_secret)
    retries: list[Any] = []

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient, request: BoltRequest) -> None:
        retries.append(request.headers.get("x-slack-retry-num"))
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": []})

    event = app_home_opened_event("U01ANA")
    body, headers = slack_requests.event_callback(event, event_id="Ev0001")
    assert app.dispatch(to_bolt_request(body, headers)).status == 200
    redelivery, retry_headers = slack_requests.event_callback(
        event, event_id="Ev0001", retry_num=1, retry_reason="http_timeout"
    )
    assert retry_headers["X-Slack-Retry-Num"] == "1"
    assert app.dispatch(to_bolt_request(redelivery, retry_headers)).status == 200

    calls = fake_slack.wait_for("views.publish", count=2, user_id="U01ANA")
    assert len(calls) == 2
    assert retries.count(None) == 1  # first delivery
    assert retries.count(["1"]) == 1  # bolt lower-cases header names; values are lists
    assert fake_slack.home_view("U01ANA") is not None


@pytest.fixture
def wsgi_url(fake_slack: FakeSlack, slack_signing_secret: str) -> Iterator[str]:
    """The test App behind bolt's WSGI adapter on a real local HTTP server."""
    handler = SlackRequestHandler(make_app(fake_slack, slack_signing_secret))

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server: WSGIServer = make_server("127.0.0.1", 0, handler, handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/slack/events"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_requests_over_real_http(
    wsgi_url: str, fake_slack: FakeSlack, slack_signing_secret: str
) -> None:
    body, headers = slash_command("status", "U0RECRUIT", signing_secret=slack_signing_secret)
    result = post(wsgi_url, body, headers)
    assert result.status == 200
    fake_slack.wait_for("chat.postMessage", text="got: status")

    forged, forged_headers = slash_command("status", signing_secret="wrong")
    rejected = post(wsgi_url, forged, forged_headers)
    assert rejected.status == 401
    assert rejected.json() == {"error": "invalid request"}

    challenge, challenge_headers = url_verification("abc", signing_secret=slack_signing_secret)
    assert post(wsgi_url, challenge, challenge_headers).json() == {"challenge": "abc"}
