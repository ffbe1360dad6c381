"""`MessagingPort` on the real slack_sdk WebClient.

The client retries connection errors, 5xx and 429s (honouring `Retry-After`) on its own; what
is left when a call still fails becomes a `MessagingError` carrying Slack's error code, so the
domain can tell a permanent failure (`user_not_found`) from a passing one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.ports import MessageRef, MessagingError, SlackUser

log = logging.getLogger(__name__)

MAX_TEXT = 3000  # chat.postMessage's `text` fallback is shown in notifications; keep it sane


def make_web_client(token: str, base_url: str, *, max_retries: int = 3) -> WebClient:
    client = WebClient(token=token, base_url=base_url, timeout=15)
    client.retry_handlers = [
        ConnectionErrorRetryHandler(max_retry_count=max_retries),
        RateLimitErrorRetryHandler(max_retry_count=max_retries),
        ServerErrorRetryHandler(max_retry_count=max_retries),
    ]
    return client


def _error(error: SlackClientError, method: str) -> MessagingError:
    if isinstance(error, SlackApiError):
        code = str(error.response.get("error") or f"http_{error.response.status_code}")
        return MessagingError(code, f"Slack {method} failed: {code}")
    return MessagingError("connection_error", f"Slack {method} failed: {error}")


class SlackMessenger:
    def __init__(self, client: WebClient) -> None:
        self.client = client
        self._dm_channels: dict[str, str] = {}

    def _call(self, method: str, **kwargs: Any) -> Any:
        try:
            return self.client.api_call(method, json=kwargs)
        except SlackClientError as error:
            raise _error(error, method) from None

    def dm_channel(self, user_id: str) -> str:
        channel = self._dm_channels.get(user_id)
        if channel is None:
            response = self._call("conversations.open", users=user_id)
            channel = str(response["channel"]["id"])
            self._dm_channels[user_id] = channel
        return channel

    def send_dm(
        self, user_id: str, text: str, blocks: Sequence[Mapping[str, object]] | None = None
    ) -> MessageRef:
        channel = self.dm_channel(user_id)
        args: dict[str, Any] = {"channel": channel, "text": text[:MAX_TEXT]}
        if blocks is not None:
            args["blocks"] = list(blocks)
        response = self._call("chat.postMessage", **args)
        return MessageRef(channel=str(response["channel"]), ts=str(response["ts"]))

    def update_message(
        self, ref: MessageRef, text: str, blocks: Sequence[Mapping[str, object]] | None = None
    ) -> None:
        args: dict[str, Any] = {"channel": ref.channel, "ts": ref.ts, "text": text[:MAX_TEXT]}
        args["blocks"] = list(blocks) if blocks is not None else []
        self._call("chat.update", **args)

    def publish_home(self, user_id: str, view: Mapping[str, object]) -> None:
        self._call("views.publish", user_id=user_id, view=dict(view))

    def lookup_user_by_email(self, email: str) -> SlackUser | None:
        try:
            response = self.client.users_lookupByEmail(email=email)
        except SlackApiError as error:
            if error.response.get("error") == "users_not_found":
                return None
            raise _error(error, "users.lookupByEmail") from None
        except SlackClientError as error:
            raise _error(error, "users.lookupByEmail") from None
        return _user(response["user"])

    def user_info(self, user_id: str) -> SlackUser | None:
        try:
            response = self.client.users_info(user=user_id)
        except SlackApiError as error:
            if error.response.get("error") == "user_not_found":
                return None
            raise _error(error, "users.info") from None
        except SlackClientError as error:
            raise _error(error, "users.info") from None
        return _user(response["user"])


def _user(data: Mapping[str, Any]) -> SlackUser:
    profile = data.get("profile") or {}
    return SlackUser(
        user_id=str(data["id"]),
        email=profile.get("email"),
        name=profile.get("real_name") or data.get("real_name") or data.get("name"),
        timezone=data.get("tz"),
    )
