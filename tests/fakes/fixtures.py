"""Pytest fixtures for the Slack fakes.

Enable them for the whole suite by adding to ``tests/conftest.py``::

    pytest_plugins = ["tests.fakes.fixtures"]

Fixtures (all function-scoped, so each test starts clean):

* ``slack_signing_secret`` — the signing secret the request builders sign with.
* ``fake_slack`` — a running :class:`FakeSlack`; environment proxies are removed for the test
  (slack_sdk would otherwise send 127.0.0.1 traffic to ``HTTPS_PROXY``).
* ``slack_client`` — a ``WebClient`` on the fake with the fake's bot token.
* ``slack_env`` — sets ``SLACK_API_URL``, ``SLACK_BOT_TOKEN``, ``SLACK_APP_TOKEN`` and
  ``SLACK_SIGNING_SECRET`` to match the fake; returns them as a dict.
* ``slack_requests`` — a :class:`RequestFactory` bound to the secret and the fake.
* ``socket_mode_server`` — a running :class:`SocketModeServer` attached to ``fake_slack``.
* ``socket_mode_handlers`` — ``connect(app) -> SocketModeHandler``; connected handlers are
  closed at teardown (before the server stops).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

from integrations.sandbox.slack_api import FakeSlack
from integrations.sandbox.slack_requests import DEFAULT_SIGNING_SECRET, RequestFactory
from tests.fakes.socket_mode import (
    SocketModeServer,
    start_socket_mode_handler,
    stop_socket_mode_handler,
)

_PROXY_KEYS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


@pytest.fixture
def slack_signing_secret() -> str:
    return DEFAULT_SIGNING_SECRET


@pytest.fixture
def fake_slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    for key in _PROXY_KEYS:
        monkeypatch.delenv(key, raising=False)
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def slack_client(fake_slack: FakeSlack) -> WebClient:
    return WebClient(token=fake_slack.bot_token, base_url=fake_slack.url)


@pytest.fixture
def slack_env(
    monkeypatch: pytest.MonkeyPatch, fake_slack: FakeSlack, slack_signing_secret: str
) -> dict[str, str]:
    values = {
        "SLACK_API_URL": fake_slack.url,
        "SLACK_BOT_TOKEN": fake_slack.bot_token,
        "SLACK_APP_TOKEN": fake_slack.app_token,
        "SLACK_SIGNING_SECRET": slack_signing_secret,
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


@pytest.fixture
def slack_requests(fake_slack: FakeSlack, slack_signing_secret: str) -> RequestFactory:
    return RequestFactory(slack_signing_secret, fake_slack)


@pytest.fixture
def socket_mode_server(fake_slack: FakeSlack) -> Iterator[SocketModeServer]:
    with SocketModeServer(app_id=fake_slack.app_id) as server:
        fake_slack.attach_socket_mode(server)
        yield server


@pytest.fixture
def socket_mode_handlers(
    fake_slack: FakeSlack, socket_mode_server: SocketModeServer
) -> Iterator[Callable[[App], SocketModeHandler]]:
    handlers: list[SocketModeHandler] = []

    def connect(app: App) -> SocketModeHandler:
        handler = start_socket_mode_handler(app, socket_mode_server, app_token=fake_slack.app_token)
        handlers.append(handler)
        return handler

    yield connect
    for handler in handlers:
        stop_socket_mode_handler(handler, socket_mode_server)
