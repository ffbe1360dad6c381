"""Scenario harness of tests/slack (real bolt, WebClient, google-api-python-client, fakes)."""

from tests.slack.conftest import harness

__all__ = ["harness"]
