"""`MessagingPort` on the real slack_sdk WebClient.

The client retries 429s (honouring `Retry-After`) on its own, and connection errors and 5xx for
every method but `chat.postMessage`: Slack may have posted a message whose answer was lost, and
`chat.postMessage` has no idempotency key. So each DM carries `metadata`
(`{"event_type": "interview_bot_dm", "event_payload": {"key": …}}`) and, after an answer that
leaves the outcome unknown, `send_dm` looks for that key in the DM's recent history
(`conversations.history`, scope `im:history`) before posting again. What is left when a call
still fails becomes a `MessagingError` carrying Slack's error code, so the domain can tell a
permanent failure (`user_not_found`) from a passing one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Mapping, Sequence
from http.client import HTTPException
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.ports import MessageRef, MessagingError, SlackUser
from bot.retry import RetryPolicy

log = logging.getLogger(__name__)

MAX_TEXT = 3000  # chat.postMessage's `text` fallback is shown in notifications; keep it sane
DM_EVENT_TYPE = "interview_bot_dm"
NOT_RETRIED_BY_CLIENT = ("chat.postMessage",)  # a lost answer may hide a posted message
HISTORY_LIMIT = 100
CLOCK_SKEW = 60.0  # seconds: how far Slack's clock may run behind ours when searching history
DELIVERY_UNKNOWN = "delivery_unknown"
POST_RETRY = RetryPolicy(max_attempts=3, initial_backoff=0.25, max_backoff=2.0, deadline=None)
"""Posts of one DM whose outcome stayed unknown and was not found in the history."""


class _UnlessPost(RetryHandler):
    """Another handler's retries, except for methods that must not be sent twice blindly."""

    def __init__(self, inner: RetryHandler) -> None:
        super().__init__(inner.max_retry_count, inner.interval_calculator)
        self.inner = inner

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if request.url.rstrip("/").endswith(NOT_RETRIED_BY_CLIENT):
            return False
        return self.inner._can_retry(state=state, request=request, response=response, error=error)


def make_web_client(token: str, base_url: str, *, max_retries: int = 3) -> WebClient:
    client = WebClient(token=token, base_url=base_url, timeout=15)
    client.retry_handlers = [
        _UnlessPost(ConnectionErrorRetryHandler(max_retry_count=max_retries)),
        RateLimitErrorRetryHandler(max_retry_count=max_retries),
        _UnlessPost(ServerErrorRetryHandler(max_retry_count=max_retries)),
    ]
    return client


def _error(error: SlackClientError, method: str) -> MessagingError:
    if isinstance(error, SlackApiError):
        code = str(error.response.get("error") or f"http_{error.response.status_code}")
        return MessagingError(code, f"Slack {method} failed: {code}")
    return MessagingError("connection_error", f"Slack {method} failed: {error}")


def content_key(channel: str, text: str, blocks: Sequence[Mapping[str, object]] | None) -> str:
    """A key for a DM that has none of its own: what is sent, and where."""
    data = json.dumps([channel, text, blocks], sort_keys=True, default=str)
    return "content:" + hashlib.sha256(data.encode()).hexdigest()[:24]


class _OutcomeUnknownError(Exception):
    """The post may or may not have reached Slack (connection error, timeout, 5xx)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


class SlackMessenger:
    """`post_retry` bounds the posts of one DM and the pauses between them."""

    def __init__(self, client: WebClient, *, post_retry: RetryPolicy = POST_RETRY) -> None:
        self.client = client
        self.post_retry = post_retry
        self._dm_channels: dict[str, str] = {}

    def _call(self, method: str, **kwargs: Any) -> Any:
        try:
            return self.client.api_call(method, json=kwargs)
        except SlackClientError as error:
            raise _error(error, method) from None
        except (OSError, HTTPException) as error:  # connection refused, reset, timeout
            raise MessagingError("connection_error", f"Slack {method} failed: {error}") from None

    def dm_channel(self, user_id: str) -> str:
        channel = self._dm_channels.get(user_id)
        if channel is None:
            response = self._call("conversations.open", users=user_id)
            channel = str(response["channel"]["id"])
            self._dm_channels[user_id] = channel
        return channel

    def send_dm(
        self,
        user_id: str,
        text: str,
        blocks: Sequence[Mapping[str, object]] | None = None,
        *,
        key: str | None = None,
        check_first: bool = False,
        attempts: int | None = None,
    ) -> MessageRef:
        """Post a DM at most once per `key` (default: derived from the content).

        After an answer that leaves the outcome unknown, the DM's history since this call
        began is searched for `key` before posting again. `check_first` searches the recent
        history before the first post too: for a retry of a send that may already have worked
        (its key must then be unique to the intent). A Slack error that says the message was
        not posted (including 429 after the client's own retries) is raised at once.
        """
        channel = self.dm_channel(user_id)
        args: dict[str, Any] = {"channel": channel, "text": text[:MAX_TEXT]}
        if blocks is not None:
            args["blocks"] = list(blocks)
        key = key or content_key(channel, text, blocks)
        args["metadata"] = {"event_type": DM_EVENT_TYPE, "event_payload": {"key": key}}
        since = time.time() - CLOCK_SKEW
        if check_first:
            found = self._posted(channel, key, oldest=None)
            if found is not None:
                log.info("DM %s was already posted; not sent again", key)
                return found
        attempts = attempts or self.post_retry.max_attempts
        for attempt in range(1, attempts + 1):
            try:
                return self._post(args)
            except _OutcomeUnknownError as unknown:
                code, reason = unknown.code, str(unknown)
            found = self._posted(channel, key, oldest=since)
            if found is not None:
                log.info("DM %s was posted though its answer was lost (%s)", key, reason)
                return found
            log.warning("DM %s not posted (%s), attempt %d", key, reason, attempt)
            if attempt < attempts:
                self.post_retry.sleep(self.post_retry.backoff(attempt))
        raise MessagingError(code, f"Slack chat.postMessage failed: {reason}")

    def _post(self, args: dict[str, Any]) -> MessageRef:
        try:
            response = self.client.api_call("chat.postMessage", json=args)
        except SlackApiError as error:
            status = error.response.status_code
            if status >= 500:
                code = str(error.response.get("error") or f"http_{status}")
                raise _OutcomeUnknownError(code, f"{code} (HTTP {status})") from None
            raise _error(error, "chat.postMessage") from None
        except SlackClientError as error:
            raise _error(error, "chat.postMessage") from None
        except (OSError, HTTPException) as error:
            detail = f"{type(error).__name__}: {error}"
            raise _OutcomeUnknownError("connection_error", detail) from None
        return MessageRef(channel=str(response["channel"]), ts=str(response["ts"]))

    def _posted(self, channel: str, key: str, *, oldest: float | None) -> MessageRef | None:
        """The message carrying `key` in the DM's recent history, if there is one.

        When history cannot be read the outcome stays unknown: a `MessagingError` that is not
        permanent (`delivery_unknown`), so the caller retries later instead of posting twice.
        """
        try:
            response = self.client.conversations_history(
                channel=channel,
                include_all_metadata=True,
                limit=HISTORY_LIMIT,
                oldest=None if oldest is None else f"{oldest:.6f}",
            )
        except (SlackClientError, OSError, HTTPException) as error:
            code = (
                str(error.response.get("error"))
                if isinstance(error, SlackApiError)
                else type(error).__name__
            )
            log.warning("could not read DM history to check for %s: %s", key, code)
            raise MessagingError(
                DELIVERY_UNKNOWN, f"Slack conversations.history failed ({code})"
            ) from None
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == DM_EVENT_TYPE and payload.get("key") == key:
                return MessageRef(channel=channel, ts=str(message["ts"]))
        return None

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
