"""Load the Slack fake fixtures for these tests.

Redundant (and harmless) once ``tests/conftest.py`` declares
``pytest_plugins = ["tests.fakes.fixtures"]``.
"""

from tests.fakes.fixtures import (  # noqa: F401
    fake_slack,
    slack_client,
    slack_env,
    slack_requests,
    slack_signing_secret,
    socket_mode_handlers,
    socket_mode_server,
)
