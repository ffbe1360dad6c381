"""A second bot process for race and crash tests: its own engine, Slack and Google clients.

Started with multiprocessing's `spawn`, so it shares nothing with the test process but the
database, the fake Slack and the fake calendar: exactly what two replicas share.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.blocks.kit import BlockKit
from bot.reminders.dispatcher import send_now
from bot.services import answers
from bot.services.context import Services
from bot.settings import Settings
from integrations.google import GoogleCalendar, RetryPolicy
from integrations.slack.messenger import SlackMessenger, make_web_client
from storage.engine import make_engine


@dataclass(frozen=True)
class ReplicaConfig:
    database_url: str
    slack_url: str
    slack_token: str
    calendar_url: str
    key_file: str
    organizer: str
    now: datetime
    fault: str | None = None


def build(config: ReplicaConfig) -> Services:
    settings = Settings(
        _env_file=None,
        slack_bot_token=config.slack_token,
        slack_api_url=config.slack_url,
        google_service_account_file=config.key_file,
        google_organizer_email=config.organizer,
        google_api_endpoint=config.calendar_url,
        database_url=config.database_url,
    )
    calendar = GoogleCalendar.from_settings(
        settings, retry=RetryPolicy(max_attempts=3, initial_backoff=0.01, deadline=5)
    )
    return Services(
        settings=settings,
        engine=make_engine(config.database_url),
        messenger=SlackMessenger(make_web_client(config.slack_token, config.slack_url)),
        calendar=calendar,
        render=BlockKit(),
        send_outbox=send_now,
        clock=lambda: config.now,
    )


def confirm_in_replica(
    config: ReplicaConfig,
    request_id: int,
    user: str,
    barrier: Any | None = None,
    results: Any | None = None,
) -> str:
    """Confirm one request in this process (after `barrier`, if given); the outcome is
    returned and put on `results`."""
    if config.fault:
        os.environ["INTERVIEW_BOT_FAULT"] = config.fault
    services = build(config)
    if barrier is not None:
        barrier.wait(timeout=30)
    outcome = answers.confirm(services, request_id=request_id, user_id=user).outcome
    if results is not None:
        results.put(outcome)
    return outcome


def decline_in_replica(config: ReplicaConfig, request_id: int, user: str) -> str:
    if config.fault:
        os.environ["INTERVIEW_BOT_FAULT"] = config.fault
    return answers.decline(build(config), request_id=request_id, user_id=user).outcome
