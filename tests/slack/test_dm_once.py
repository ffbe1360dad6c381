"""DMs at most once per intent, never lost: a lost answer is checked against the DM's history.

The real `SlackMessenger` on the real `WebClient` against FakeSlack, which can carry out a
`chat.postMessage` and then lose its answer (a 500, or a connection closed without an answer).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from http.client import RemoteDisconnected
from typing import Any

import pytest

from bot.ports import MessagingError
from integrations.sandbox.slack_api import DROP_CONNECTION, FakeSlack
from integrations.slack.messenger import DM_EVENT_TYPE, POST_RETRY, SlackMessenger, make_web_client
from storage.engine import session_scope
from storage.models import InterviewerRequest
from tests.slack.conftest import Harness

USER = "U01ANA"
CHANNEL = FakeSlack.dm_channel_id(USER)


@pytest.fixture
def messenger(fake_slack: FakeSlack) -> SlackMessenger:
    client = make_web_client(fake_slack.bot_token, fake_slack.url)
    return SlackMessenger(client, post_retry=replace(POST_RETRY, sleep=lambda _: None))


def posted(fake: FakeSlack, channel: str = CHANNEL) -> list[dict[str, Any]]:
    """Messages Slack holds in the channel (whatever the client was told)."""
    return fake.messages(channel)


@pytest.mark.parametrize("lost", [500, DROP_CONNECTION], ids=["http-500", "no-answer"])
def test_a_lost_answer_produces_exactly_one_dm(
    fake_slack: FakeSlack, messenger: SlackMessenger, lost: int
) -> None:
    fake_slack.lose_answer_next("chat.postMessage", status=lost)
    ref = messenger.send_dm(USER, "hello", key="request:7")
    (message,) = posted(fake_slack)
    assert (ref.channel, ref.ts) == (CHANNEL, message["ts"])
    assert message["metadata"] == {
        "event_type": DM_EVENT_TYPE,
        "event_payload": {"key": "request:7"},
    }
    assert len(fake_slack.calls("chat.postMessage")) == 1  # no blind second post
    (lookup,) = fake_slack.calls("conversations.history")
    assert lookup.args["channel"] == CHANNEL
    assert lookup.args["include_all_metadata"] in ("1", "true", True)


def test_a_real_failure_is_retried_and_delivered_once(
    fake_slack: FakeSlack, messenger: SlackMessenger
) -> None:
    fake_slack.fail_next("chat.postMessage", "internal_error", status=500)  # not posted
    ref = messenger.send_dm(USER, "hello", key="request:8")
    (message,) = posted(fake_slack)
    assert ref.ts == message["ts"]
    assert [c.status for c in fake_slack.calls("chat.postMessage")] == [500, 200]
    assert len(fake_slack.calls("conversations.history")) == 1


def test_a_connection_error_without_delivery_is_retried_once_more(
    fake_slack: FakeSlack, messenger: SlackMessenger
) -> None:
    fake_slack.fail_next("chat.postMessage", "internal_error", status=503, times=2)
    messenger.send_dm(USER, "hello", key="k")
    assert len(posted(fake_slack)) == 1
    assert [c.status for c in fake_slack.calls("chat.postMessage")] == [503, 503, 200]


def test_rate_limits_and_refusals_are_not_looked_up(
    fake_slack: FakeSlack, messenger: SlackMessenger
) -> None:
    fake_slack.fail_next("chat.postMessage", retry_after=0)  # 429: retried by the client
    messenger.send_dm(USER, "one", key="a")
    assert [c.status for c in fake_slack.calls("chat.postMessage")] == [429, 200]
    fake_slack.fail_next("chat.postMessage", "is_archived")  # said it was not posted
    with pytest.raises(MessagingError) as raised:
        messenger.send_dm(USER, "two", key="b")
    assert raised.value.code == "is_archived" and raised.value.permanent
    assert fake_slack.calls("conversations.history") == []
    assert [m["text"] for m in posted(fake_slack)] == ["one"]


def test_unreadable_history_leaves_the_outcome_unknown_and_posts_no_second_copy(
    fake_slack: FakeSlack, messenger: SlackMessenger
) -> None:
    fake_slack.scopes.remove("im:history")
    fake_slack.lose_answer_next("chat.postMessage")
    with pytest.raises(MessagingError) as raised:
        messenger.send_dm(USER, "hello", key="c")
    assert raised.value.code == "delivery_unknown" and not raised.value.permanent
    assert len(posted(fake_slack)) == 1
    assert len(fake_slack.calls("chat.postMessage")) == 1


def test_check_first_finds_an_earlier_delivery(
    fake_slack: FakeSlack, messenger: SlackMessenger
) -> None:
    first = messenger.send_dm(USER, "hello", key="reminder:x")
    again = messenger.send_dm(USER, "hello", key="reminder:x", check_first=True)
    assert again == first
    assert len(fake_slack.calls("chat.postMessage")) == 1
    messenger.send_dm(USER, "hello", key="reminder:y", check_first=True)  # a new intent
    assert len(posted(fake_slack)) == 2


def test_the_client_does_not_resend_posts_on_its_own(fake_slack: FakeSlack) -> None:
    """Without the messenger's check, a lost answer is an error, not a second message."""
    client = make_web_client(fake_slack.bot_token, fake_slack.url, max_retries=3)
    fake_slack.lose_answer_next("chat.postMessage", status=DROP_CONNECTION)
    with pytest.raises(RemoteDisconnected):  # the connection closed without an answer
        client.chat_postMessage(channel=CHANNEL, text="hello")
    assert len(fake_slack.calls("chat.postMessage")) == 1
    fake_slack.lose_answer_next("users.info", status=DROP_CONNECTION)
    fake_slack.add_user(USER)
    assert client.users_info(user=USER)["ok"]  # reads are still retried
    assert len(fake_slack.calls("users.info")) == 2


def test_request_dm_whose_answer_was_lost_is_sent_once_and_still_updatable(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for user in ("U06FAY", "U07GUS"):  # whoever of the retro pool is asked
        harness.slack.lose_answer_next(
            "chat.postMessage", status=DROP_CONNECTION, match={"channel": f"D{user[1:]}"}
        )
    harness.book_first_option()
    user = next(u for u in ("U06FAY", "U07GUS") if harness.slack.messages(f"D{u[1:]}"))
    (message,) = harness.slack.messages(f"D{user[1:]}")
    assert message["metadata"]["event_payload"]["key"].startswith("request:")
    request_id = int(message["metadata"]["event_payload"]["key"].split(":")[1])
    with session_scope(harness.engine) as session:
        ask = session.get(InterviewerRequest, request_id)
        assert ask is not None and (ask.dm_channel, ask.dm_ts) == (f"D{user[1:]}", message["ts"])
    assert not any("could not reach" in m["text"] for m in harness.dms("U0RECRUIT"))
    button = harness.buttons(message, "confirm_slot")[0]
    harness.click(button["action_id"], button["value"], user)
    (update,) = harness.slack.calls("chat.update")
    assert update.args["ts"] == message["ts"]
    assert "answer was lost" in caplog.text
