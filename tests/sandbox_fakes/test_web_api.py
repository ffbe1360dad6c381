"""FakeSlack answers the real slack_sdk WebClient like Slack does."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from types import SimpleNamespace

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_handlers
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from integrations.sandbox.slack_api import FakeSlack


def test_url_and_lifecycle() -> None:
    fake = FakeSlack()
    with fake:
        assert fake.url == f"http://127.0.0.1:{fake.port}/api/"
        assert WebClient(token=fake.bot_token, base_url=fake.url).api_test()["ok"] is True
    with pytest.raises(RuntimeError):
        _ = fake.url
    fake.stop()  # idempotent


def test_auth_test_reports_identity_and_scopes_header(fake_slack: FakeSlack) -> None:
    fake_slack.scopes = ["chat:write", "im:write"]
    response = WebClient(token=fake_slack.bot_token, base_url=fake_slack.url).auth_test()

    assert response["user_id"] == fake_slack.bot_user_id
    assert response["team_id"] == fake_slack.team_id
    assert response["bot_id"] == fake_slack.bot_id
    # Lower-case name on purpose: bolt reads headers.get("x-oauth-scopes") from a plain dict.
    assert response.headers["x-oauth-scopes"] == "chat:write,im:write"


def test_post_message_json_body_is_recorded_with_token_and_headers(
    fake_slack: FakeSlack, slack_client: WebClient
) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    first = slack_client.chat_postMessage(channel="C0GENERAL", text="hi", blocks=blocks)
    second = slack_client.chat_postMessage(channel="U01ANA", text="dm")

    assert first["channel"] == "C0GENERAL"
    assert first["message"]["blocks"] == blocks
    assert first["message"]["user"] == fake_slack.bot_user_id
    assert float(second["ts"]) > float(first["ts"])
    assert second["channel"] == "D01ANA"  # posting to a user id lands in the DM

    call = fake_slack.calls("chat.postMessage")[0]
    assert call.args == {"channel": "C0GENERAL", "text": "hi", "blocks": blocks}
    assert call.token == fake_slack.bot_token
    assert call.headers["content-type"].startswith("application/json")
    assert call.ok
    assert call.status == 200
    assert [m["text"] for m in fake_slack.messages("D01ANA")] == ["dm"]
    assert fake_slack.last("chat.postMessage", channel="U01ANA").response["ts"] == second["ts"]


def test_form_encoded_methods_and_json_strings_in_forms_are_normalised(
    fake_slack: FakeSlack, slack_client: WebClient
) -> None:
    opened = slack_client.conversations_open(users="U01ANA")
    assert opened["channel"]["id"] == "D01ANA" == FakeSlack.dm_channel_id("U01ANA")
    again = slack_client.conversations_open(users=["U01ANA"])
    assert again["already_open"] is True

    blocks = [{"type": "divider"}]
    slack_client.api_call(
        "chat.postMessage", data={"channel": "C1", "text": "t", "blocks": json.dumps(blocks)}
    )
    call = fake_slack.last("chat.postMessage")
    assert call.headers["content-type"] == "application/x-www-form-urlencoded"
    assert call.args == {"channel": "C1", "text": "t", "blocks": blocks}

    slack_client.api_call(
        "files.upload", data={"channels": "C1", "title": "notes"}, files={"file": b"\x00\x01"}
    )
    upload = fake_slack.last("files.upload")
    assert upload.headers["content-type"].startswith("multipart/form-data")
    assert upload.args == {"channels": "C1", "title": "notes", "file": b"\x00\x01"}
    assert (
        fake_slack.calls("conversations.open", users="U01ANA")[0]
        .headers["content-type"]
        .startswith("application/x-www-form-urlencoded")
    )


def test_chat_update_delete_and_ephemeral(fake_slack: FakeSlack, slack_client: WebClient) -> None:
    posted = slack_client.chat_postMessage(channel="U01ANA", text="before")
    updated = slack_client.chat_update(channel=posted["channel"], ts=posted["ts"], text="after")
    assert updated["ts"] == posted["ts"]
    assert [m["text"] for m in fake_slack.messages("D01ANA")] == ["after"]

    slack_client.chat_delete(channel=posted["channel"], ts=posted["ts"])
    assert fake_slack.messages() == []

    ephemeral = slack_client.chat_postEphemeral(channel="C1", user="U01ANA", text="psst")
    assert ephemeral["message_ts"]
    assert fake_slack.last("chat.postEphemeral").args == {
        "channel": "C1",
        "user": "U01ANA",
        "text": "psst",
    }


def test_strict_mode_rejects_unknown_targets() -> None:
    with FakeSlack(strict=True) as fake:
        client = WebClient(token=fake.bot_token, base_url=fake.url)
        with pytest.raises(SlackApiError) as error:
            client.chat_update(channel="C1", ts="1.000001", text="x")
        assert error.value.response["error"] == "message_not_found"
        with pytest.raises(SlackApiError) as error:
            client.conversations_open(users="U0NOBODY")
        assert error.value.response["error"] == "user_not_found"


def test_users_info_and_lookup_by_email(fake_slack: FakeSlack, slack_client: WebClient) -> None:
    fake_slack.add_user("U01ANA", real_name="Ana Lima", email="Ana@corp.example", tz="Asia/Kolkata")

    user = slack_client.users_info(user="U01ANA")["user"]
    assert user["tz"] == "Asia/Kolkata"
    assert user["tz_offset"] == 5 * 3600 + 30 * 60
    assert user["real_name"] == "Ana Lima"
    assert user["profile"]["email"] == "Ana@corp.example"
    assert slack_client.users_lookupByEmail(email="ana@corp.example")["user"]["id"] == "U01ANA"

    with pytest.raises(SlackApiError) as error:
        slack_client.users_info(user="U0NOBODY")
    assert error.value.response["error"] == "user_not_found"
    with pytest.raises(SlackApiError) as error:
        slack_client.users_lookupByEmail(email="nobody@corp.example")
    assert error.value.response["error"] == "users_not_found"


def test_views_and_single_use_trigger_ids(fake_slack: FakeSlack, slack_client: WebClient) -> None:
    view = {
        "type": "modal",
        "callback_id": "schedule",
        "title": {"type": "plain_text", "text": "Schedule"},
        "blocks": [],
        "private_metadata": "m",
    }
    trigger = fake_slack.new_trigger_id()
    opened = slack_client.views_open(trigger_id=trigger, view=view)["view"]
    assert opened["id"].startswith("V")
    assert opened["callback_id"] == "schedule"
    assert opened["private_metadata"] == "m"

    with pytest.raises(SlackApiError) as error:
        slack_client.views_open(trigger_id=trigger, view=view)
    assert error.value.response["error"] == "expired_trigger_id"

    updated = slack_client.views_update(view_id=opened["id"], view=view)["view"]
    assert updated["id"] == opened["id"]
    home = slack_client.views_publish(user_id="U01ANA", view={"type": "home", "blocks": []})
    assert home["view"]["type"] == "home"
    assert fake_slack.home_view("U01ANA") == home["view"]
    assert fake_slack.last("views.open").args["view"] == view


def test_permanent_failures_with_match(fake_slack: FakeSlack, slack_client: WebClient) -> None:
    fake_slack.fail("chat.postMessage", "channel_not_found", match={"channel": "C404"})
    fake_slack.fail("conversations.open", "user_not_found", match={"users": "U0GONE"})

    for _ in range(2):
        with pytest.raises(SlackApiError) as error:
            slack_client.chat_postMessage(channel="C404", text="x")
        assert error.value.response.status_code == 200
        assert error.value.response["error"] == "channel_not_found"
    assert slack_client.chat_postMessage(channel="C200", text="x")["ok"] is True
    with pytest.raises(SlackApiError):
        slack_client.conversations_open(users="U0GONE")

    fake_slack.clear_failures("chat.postMessage")
    assert slack_client.chat_postMessage(channel="C404", text="x")["ok"] is True
    with pytest.raises(SlackApiError):
        slack_client.conversations_open(users="U0GONE")


def test_fail_next_account_inactive_once(fake_slack: FakeSlack, slack_client: WebClient) -> None:
    fake_slack.fail_next("users.info", "account_inactive")
    fake_slack.add_user("U01ANA")
    with pytest.raises(SlackApiError) as error:
        slack_client.users_info(user="U01ANA")
    assert error.value.response["error"] == "account_inactive"
    assert slack_client.users_info(user="U01ANA")["ok"] is True


def test_rate_limit_is_retried_by_retry_handler_honouring_retry_after(
    fake_slack: FakeSlack,
) -> None:
    client = WebClient(token=fake_slack.bot_token, base_url=fake_slack.url)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    fake_slack.fail_next("chat.postMessage", retry_after=0)

    started = time.monotonic()
    response = client.chat_postMessage(channel="C1", text="hello")
    elapsed = time.monotonic() - started

    assert response["ok"] is True
    attempts = fake_slack.calls("chat.postMessage")
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[0].response == {"ok": False, "error": "ratelimited"}
    # slack_sdk sleeps Retry-After + random() seconds: [0, 1) for Retry-After: 0.
    assert elapsed < 1.5


def test_retry_handler_sleeps_for_retry_after_plus_jitter(
    fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(builtin_handlers, "time", SimpleNamespace(sleep=slept.append))
    client = WebClient(token=fake_slack.bot_token, base_url=fake_slack.url)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    fake_slack.fail_next("users.info", retry_after=3, times=2)
    fake_slack.add_user("U01ANA")

    assert client.users_info(user="U01ANA")["ok"] is True

    assert len(slept) == 2
    assert all(3 <= s < 4 for s in slept)
    assert [c.status for c in fake_slack.calls("users.info")] == [429, 429, 200]


def test_rate_limit_without_retry_handler_raises_with_retry_after(
    fake_slack: FakeSlack, slack_client: WebClient
) -> None:
    fake_slack.fail_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as error:
        slack_client.chat_postMessage(channel="C1", text="hello")
    assert error.value.response.status_code == 429
    assert error.value.response["error"] == "ratelimited"
    assert error.value.response.headers["Retry-After"] == "7"  # slack_sdk adds both casings
    assert error.value.response.headers["retry-after"] == "7"


def test_tokens_are_checked(fake_slack: FakeSlack) -> None:
    cases = {
        None: "not_authed",
        "xoxb-wrong": "invalid_auth",
        fake_slack.app_token: "not_allowed_token_type",
    }
    for token, expected in cases.items():
        with pytest.raises(SlackApiError) as error:
            WebClient(token=token, base_url=fake_slack.url).auth_test()
        assert error.value.response["error"] == expected
    with pytest.raises(SlackApiError) as error:
        WebClient(token=fake_slack.bot_token, base_url=fake_slack.url).apps_connections_open(
            app_token=fake_slack.bot_token
        )
    assert error.value.response["error"] == "not_allowed_token_type"


def test_unknown_methods_answer_ok_and_custom_handlers(
    fake_slack: FakeSlack, slack_client: WebClient
) -> None:
    assert slack_client.api_call("reactions.add", params={"name": "tada"})["ok"] is True
    assert fake_slack.last("reactions.add").args == {"name": "tada"}

    fake_slack.set_handler("team.info", lambda args: {"ok": True, "team": {"id": "T9"}})
    assert slack_client.team_info()["team"]["id"] == "T9"


def test_response_urls_record_posts_and_enforce_limits(fake_slack: FakeSlack) -> None:
    url = fake_slack.response_url("cmd")
    webhook = WebhookClient(url)
    for n in range(5):
        assert webhook.send(text=f"reply {n}", response_type="ephemeral").status_code == 200
    assert webhook.send(text="one too many").status_code == 404
    assert [r["text"] for r in fake_slack.responses("cmd")] == [f"reply {n}" for n in range(5)] + [
        "one too many"
    ]
    assert fake_slack.last("response_url").response == {"ok": False, "error": "used_url"}

    other = fake_slack.response_url("late")
    fake_slack.expire_response_url("late")
    assert WebhookClient(other).send(text="x").status_code == 404


def test_wait_for_wakes_on_calls_from_other_threads(
    fake_slack: FakeSlack, slack_client: WebClient
) -> None:
    def later() -> None:
        for n in range(3):
            slack_client.chat_postMessage(channel="C1", text=str(n))

    thread = threading.Thread(target=later)
    thread.start()
    calls = fake_slack.wait_for("chat.postMessage", count=3, timeout=5)
    thread.join()
    assert [c.args["text"] for c in calls] == ["0", "1", "2"]

    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"timed out after 0\.1s waiting for 1 views\.open"):
        fake_slack.wait_for("views.open", timeout=0.1)
    assert time.monotonic() - started < 1

    fake_slack.reset()
    assert fake_slack.calls() == []


def test_get_requests_with_query_strings_are_parsed(fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U01ANA")
    request = urllib.request.Request(
        f"{fake_slack.url}users.info?user=U01ANA",
        headers={"Authorization": f"Bearer {fake_slack.bot_token}"},
    )
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request) as response:
        assert json.loads(response.read())["user"]["id"] == "U01ANA"
    assert fake_slack.last("users.info").http_method == "GET"
