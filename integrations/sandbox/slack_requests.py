"""Build requests exactly as Slack sends them to an app, signed, plus ways to deliver them.

Every builder has two forms:

* ``*_payload(...)`` returns the payload ``dict`` (what a Socket Mode envelope carries);
* the plain name (``slash_command``, ``block_action``, ``view_submission``, ``event_callback``)
  returns ``(body, headers)`` for HTTP mode: the raw body as Slack encodes it and the headers
  with a valid ``X-Slack-Signature`` for ``signing_secret`` at ``timestamp`` (now by default).

Encodings: slash commands are form-encoded fields; interactivity (block actions, view
submissions) is ``payload=`` + the URL-encoded JSON; Events API deliveries are JSON.

Deliver in process with ``app.dispatch(to_bolt_request(body, headers))`` or over HTTP with
``post(url, body, headers)``::

    body, headers = slash_command("schedule", user_id="U0RECRUIT", signing_secret=SECRET,
                                  response_url=fake.response_url("cmd"))
    response = app.dispatch(to_bolt_request(body, headers))
    assert response.status == 200

:class:`RequestFactory` binds the signing secret and a :class:`FakeSlack` so that response URLs
and trigger ids point at the fake by default.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple
from urllib.parse import urlencode

from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier

from integrations.sandbox.slack_api import FakeSlack

__all__ = [
    "DEFAULT_API_APP_ID",
    "DEFAULT_BOT_USER_ID",
    "DEFAULT_SIGNING_SECRET",
    "DEFAULT_TEAM_DOMAIN",
    "DEFAULT_TEAM_ID",
    "DEFAULT_USER_ID",
    "VERIFICATION_TOKEN",
    "HttpResult",
    "RequestFactory",
    "SignedRequest",
    "app_home_opened_event",
    "block_action",
    "block_action_payload",
    "datepicker",
    "event_callback",
    "event_callback_payload",
    "multi_users_select",
    "post",
    "sign",
    "slash_command",
    "slash_command_payload",
    "static_select",
    "text_input",
    "to_bolt_request",
    "url_verification",
    "users_select",
    "view_submission",
    "view_submission_payload",
]

DEFAULT_SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
# Identities match FakeSlack's defaults so payloads and API answers agree.
DEFAULT_TEAM_ID = "T0TEAM001"
DEFAULT_TEAM_DOMAIN = "fake-corp"
DEFAULT_API_APP_ID = "A0APP0001"
DEFAULT_BOT_USER_ID = "U0BOT0001"
DEFAULT_USER_ID = "U0RECRUIT"
VERIFICATION_TOKEN = "legacy-verification-token"

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

SignedRequest = tuple[str, dict[str, str]]
"""``(raw body, headers)`` of one HTTP delivery."""


class HttpResult(NamedTuple):
    """What :func:`post` got back; ``headers`` has lower-case names."""

    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


# ---------------------------------------------------------------------- signing and delivery


def sign(
    body: str,
    *,
    content_type: str,
    signing_secret: str = DEFAULT_SIGNING_SECRET,
    timestamp: int | None = None,
    retry_num: int | None = None,
    retry_reason: str | None = None,
) -> dict[str, str]:
    """Headers Slack sends with ``body``: content type, timestamp, ``v0=`` signature, retries.

    ``timestamp`` is Unix seconds (now by default); bolt rejects one more than 300 s away.
    ``retry_num`` / ``retry_reason`` add ``X-Slack-Retry-Num`` / ``X-Slack-Retry-Reason``
    (Slack's reasons: ``http_timeout``, ``too_many_requests``, ``http_error``,
    ``connection_failed``, ``ssl_error``, ``unknown_error``).
    """
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(signing_secret).generate_signature(timestamp=ts, body=body)
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature or "",
    }
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
    elif retry_reason is not None:
        headers["X-Slack-Retry-Reason"] = retry_reason
    return headers


SIGNING_KEYS = ("signing_secret", "timestamp", "retry_num", "retry_reason")


def _pop_signing(
    fields: dict[str, Any], signing_secret: str = DEFAULT_SIGNING_SECRET
) -> dict[str, Any]:
    """Take :func:`sign`'s keyword arguments out of a builder's ``fields``."""
    signing = {key: fields.pop(key) for key in SIGNING_KEYS if key in fields}
    signing.setdefault("signing_secret", signing_secret)
    return signing


def to_bolt_request(body: str, headers: Mapping[str, str], query: str | None = None) -> BoltRequest:
    """A ``BoltRequest`` for ``app.dispatch(...)`` (bolt lower-cases the header names)."""
    return BoltRequest(body=body, headers=dict(headers), query=query)


def post(url: str, body: str, headers: Mapping[str, str], timeout: float = 10.0) -> HttpResult:
    """POST ``body`` to a running server over real HTTP; never raises for 4xx/5xx.

    Environment proxies are ignored (the target is a local test server).
    """
    request = urllib.request.Request(
        url, data=body.encode("utf-8"), headers=dict(headers), method="POST"
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            return HttpResult(
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read().decode("utf-8"),
            )
    except urllib.error.HTTPError as error:
        with error:
            return HttpResult(
                error.code,
                {k.lower(): v for k, v in error.headers.items()},
                error.read().decode("utf-8"),
            )


def _interactive_body(payload: Mapping[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))})


def _new_trigger_id() -> str:
    return FakeSlack.new_trigger_id()


def _new_ts() -> str:
    return f"{time.time():.6f}"


def _user(user_id: str, user_name: str | None, team_id: str) -> dict[str, Any]:
    name = user_name or user_id.lower()
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


# ---------------------------------------------------------------------- slash commands


def slash_command_payload(
    text: str = "",
    user_id: str = DEFAULT_USER_ID,
    *,
    command: str = "/interview",
    user_name: str | None = None,
    channel_id: str = "C0GENERAL",
    channel_name: str = "general",
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    api_app_id: str = DEFAULT_API_APP_ID,
    response_url: str | None = None,
    trigger_id: str | None = None,
    token: str = VERIFICATION_TOKEN,
) -> dict[str, str]:
    """The fields of a slash command invocation (all strings, as Slack form-encodes them).

    ``response_url`` defaults to a hooks.slack.com-shaped URL that goes nowhere; pass
    ``fake.response_url(...)`` when the app may call ``respond()``.
    """
    return {
        "token": token,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name or user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url
        or f"https://hooks.slack.com/commands/{team_id}/{uuid.uuid4().int % 10**13}/fake",
        "trigger_id": trigger_id or _new_trigger_id(),
    }


def slash_command(
    text: str = "",
    user_id: str = DEFAULT_USER_ID,
    *,
    command: str = "/interview",
    **fields: Any,
) -> SignedRequest:
    """A signed, form-encoded slash command request; ``fields`` are :func:`sign`'s keywords
    and those of :func:`slash_command_payload` (``channel_id``, ``response_url`` …)."""
    signing = _pop_signing(fields)
    body = urlencode(slash_command_payload(text, user_id, command=command, **fields))
    return body, sign(body, content_type=FORM, **signing)


# ---------------------------------------------------------------------- block actions


def block_action_payload(
    action_id: str,
    value: str | None = None,
    user_id: str = DEFAULT_USER_ID,
    *,
    block_id: str | None = None,
    action_type: str = "button",
    action_text: str = "Button",
    action: Mapping[str, Any] | None = None,
    message: Mapping[str, Any] | None = None,
    message_ts: str | None = None,
    channel_id: str | None = None,
    channel_name: str | None = None,
    container: Mapping[str, Any] | None = None,
    ephemeral: bool = False,
    view: Mapping[str, Any] | None = None,
    state_values: Mapping[str, Mapping[str, Any]] | None = None,
    response_url: str | None = None,
    trigger_id: str | None = None,
    user_name: str | None = None,
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    api_app_id: str = DEFAULT_API_APP_ID,
    bot_user_id: str = DEFAULT_BOT_USER_ID,
    token: str = VERIFICATION_TOKEN,
) -> dict[str, Any]:
    """A ``block_actions`` payload for a click on ``action_id`` (e.g. ``"confirm_slot:3"``).

    By default the click comes from a button in a bot message in the user's DM with the app
    (``channel_id`` defaults to :meth:`FakeSlack.dm_channel_id` of ``user_id``, the id the fake
    gives that DM). ``message`` replaces the generated message (its ``ts`` wins over
    ``message_ts``). ``ephemeral=True`` models a click in an ephemeral message: Slack sends no
    ``message`` then, only the container. ``view`` models a click inside a modal or App Home
    (``container.type == "view"``, no channel/message/response_url). ``action`` is merged into
    ``actions[0]`` (e.g. ``{"selected_option": {...}}`` for a select).
    """
    block_id = block_id or f"b-{action_id.split(':', 1)[0]}"
    action_ts = _new_ts()
    element: dict[str, Any] = {
        "type": action_type,
        "action_id": action_id,
        "block_id": block_id,
        "action_ts": action_ts,
    }
    if action_type == "button":
        element["text"] = {"type": "plain_text", "text": action_text, "emoji": True}
    if value is not None:
        element["value"] = value
    element.update(action or {})

    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, user_name, team_id),
        "api_app_id": api_app_id,
        "token": token,
        "trigger_id": trigger_id or _new_trigger_id(),
        "team": {"id": team_id, "domain": team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
        "state": {"values": dict(state_values or {})},
        "actions": [element],
    }
    if view is not None:
        payload["container"] = dict(
            container or {"type": "view", "view_id": view.get("id", "V0000000001")}
        )
        payload["view"] = dict(view)
        return payload

    channel = channel_id or FakeSlack.dm_channel_id(user_id)
    if channel_name is None:
        channel_name = "directmessage" if channel.startswith("D") else "general"
    if message is not None:
        message_ts = str(message.get("ts") or message_ts or _new_ts())
    message_ts = message_ts or _new_ts()
    payload["container"] = dict(
        container
        or {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": ephemeral,
        }
    )
    payload["channel"] = {"id": channel, "name": channel_name}
    if not ephemeral:
        payload["message"] = dict(
            message
            or {
                "type": "message",
                "user": bot_user_id,
                "ts": message_ts,
                "bot_id": "B0BOT0001",
                "app_id": api_app_id,
                "text": "fallback text",
                "team": team_id,
                "blocks": [
                    {
                        "type": "actions",
                        "block_id": block_id,
                        "elements": [
                            {k: v for k, v in element.items() if k not in ("block_id", "action_ts")}
                        ],
                    }
                ],
            }
        )
    payload["response_url"] = (
        response_url
        or f"https://hooks.slack.com/actions/{team_id}/{uuid.uuid4().int % 10**13}/fake"
    )
    return payload


def block_action(
    action_id: str,
    value: str | None = None,
    user_id: str = DEFAULT_USER_ID,
    **fields: Any,
) -> SignedRequest:
    """A signed ``payload=`` request; ``fields`` are :func:`sign`'s keywords and those of
    :func:`block_action_payload`."""
    signing = _pop_signing(fields)
    return _signed_interactive(block_action_payload(action_id, value, user_id, **fields), signing)


# ---------------------------------------------------------------------- view submissions


def text_input(value: str | None) -> dict[str, Any]:
    """State of a ``plain_text_input`` element."""
    return {"type": "plain_text_input", "value": value}


def static_select(value: str | None, text: str | None = None) -> dict[str, Any]:
    """State of a ``static_select`` element (``None`` for nothing selected)."""
    selected = (
        None
        if value is None
        else {
            "text": {"type": "plain_text", "text": text or value, "emoji": True},
            "value": value,
        }
    )
    return {"type": "static_select", "selected_option": selected}


def datepicker(date: str | None) -> dict[str, Any]:
    """State of a ``datepicker`` element (``"YYYY-MM-DD"``)."""
    return {"type": "datepicker", "selected_date": date}


def users_select(user_id: str | None) -> dict[str, Any]:
    return {"type": "users_select", "selected_user": user_id}


def multi_users_select(user_ids: Sequence[str]) -> dict[str, Any]:
    return {"type": "multi_users_select", "selected_users": list(user_ids)}


def _normalise_state(
    state_values: Mapping[str, Mapping[str, Any]],
) -> dict[str, dict[str, Any]]:
    """``{block_id: {action_id: state}}``; a plain string state means a text input."""
    return {
        block_id: {
            action_id: text_input(state) if isinstance(state, str) or state is None else state
            for action_id, state in actions.items()
        }
        for block_id, actions in state_values.items()
    }


def view_submission_payload(
    callback_id: str,
    state_values: Mapping[str, Mapping[str, Any]] | None = None,
    user_id: str = DEFAULT_USER_ID,
    *,
    private_metadata: str = "",
    view_id: str | None = None,
    external_id: str = "",
    title: str = "Schedule interview",
    blocks: Sequence[Mapping[str, Any]] | None = None,
    view_hash: str | None = None,
    previous_view_id: str | None = None,
    root_view_id: str | None = None,
    response_urls: Sequence[Mapping[str, Any]] = (),
    trigger_id: str | None = None,
    user_name: str | None = None,
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    api_app_id: str = DEFAULT_API_APP_ID,
    token: str = VERIFICATION_TOKEN,
) -> dict[str, Any]:
    """A ``view_submission`` payload for the modal ``callback_id``.

    ``state_values`` is ``{block_id: {action_id: element_state}}``, as in
    ``view.state.values``; build element states with :func:`text_input`,
    :func:`static_select`, :func:`datepicker`, :func:`users_select`, … — a plain string is
    taken as a text input's value.
    """
    view_id = view_id or f"V{uuid.uuid4().hex[:10].upper()}"
    view = {
        "id": view_id,
        "team_id": team_id,
        "type": "modal",
        "blocks": [dict(b) for b in blocks or ()],
        "private_metadata": private_metadata,
        "callback_id": callback_id,
        "state": {"values": _normalise_state(state_values or {})},
        "hash": view_hash or f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
        "title": {"type": "plain_text", "text": title, "emoji": True},
        "clear_on_close": False,
        "notify_on_close": False,
        "close": {"type": "plain_text", "text": "Cancel", "emoji": True},
        "submit": {"type": "plain_text", "text": "Submit", "emoji": True},
        "previous_view_id": previous_view_id,
        "root_view_id": root_view_id or view_id,
        "app_id": api_app_id,
        "external_id": external_id,
        "app_installed_team_id": team_id,
        "bot_id": "B0BOT0001",
    }
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": team_domain},
        "user": _user(user_id, user_name, team_id),
        "api_app_id": api_app_id,
        "token": token,
        "trigger_id": trigger_id or _new_trigger_id(),
        "view": view,
        "response_urls": [dict(r) for r in response_urls],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def view_submission(
    callback_id: str,
    state_values: Mapping[str, Mapping[str, Any]] | None = None,
    user_id: str = DEFAULT_USER_ID,
    **fields: Any,
) -> SignedRequest:
    """A signed ``payload=`` request; ``fields`` are :func:`sign`'s keywords and those of
    :func:`view_submission_payload`."""
    signing = _pop_signing(fields)
    payload = view_submission_payload(callback_id, state_values, user_id, **fields)
    return _signed_interactive(payload, signing)


def _signed_interactive(payload: Mapping[str, Any], signing: dict[str, Any]) -> SignedRequest:
    body = _interactive_body(payload)
    return body, sign(body, content_type=FORM, **signing)


# ---------------------------------------------------------------------- Events API


def app_home_opened_event(
    user_id: str = DEFAULT_USER_ID,
    *,
    tab: str = "home",
    view: Mapping[str, Any] | None = None,
    channel: str | None = None,
) -> dict[str, Any]:
    """The inner ``event`` of an ``app_home_opened`` delivery."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": channel or FakeSlack.dm_channel_id(user_id),
        "tab": tab,
        "event_ts": _new_ts(),
    }
    if view is not None:
        event["view"] = dict(view)
    return event


def event_callback_payload(
    event: Mapping[str, Any],
    *,
    event_id: str | None = None,
    event_time: int | None = None,
    team_id: str = DEFAULT_TEAM_ID,
    api_app_id: str = DEFAULT_API_APP_ID,
    bot_user_id: str = DEFAULT_BOT_USER_ID,
    token: str = VERIFICATION_TOKEN,
) -> dict[str, Any]:
    """An Events API ``event_callback`` envelope around ``event``; ``event_id`` is unique."""
    return {
        "token": token,
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": dict(event),
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{uuid.uuid4().hex}",
    }


def event_callback(event: Mapping[str, Any], **fields: Any) -> SignedRequest:
    """A signed JSON Events API request; ``fields`` are :func:`sign`'s keywords and those of
    :func:`event_callback_payload` (reuse ``event_id`` to model a redelivery)."""
    signing = _pop_signing(fields)
    body = json.dumps(event_callback_payload(event, **fields))
    return body, sign(body, content_type=JSON, **signing)


def url_verification(
    challenge: str = "challenge-token", *, signing_secret: str = DEFAULT_SIGNING_SECRET
) -> SignedRequest:
    """The signed ``url_verification`` handshake Slack sends when the request URL is saved."""
    body = json.dumps(
        {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
    )
    return body, sign(body, content_type=JSON, signing_secret=signing_secret)


# ---------------------------------------------------------------------- bound factory


class RequestFactory:
    """Builders bound to one signing secret and (optionally) a :class:`FakeSlack`.

    With a fake, ``response_url`` defaults to a fresh ``fake.response_url()`` for each request
    and the identities (team, app, bot user) come from the fake. Methods take the same
    arguments as the module-level functions of the same name, minus ``signing_secret``::

        requests = RequestFactory(SECRET, fake)
        body, headers = requests.slash_command("status", user_id="U0RECRUIT")
        payload = requests.block_action_payload("confirm_slot:3", "s-42", user_id="U01ANA")
    """

    def __init__(
        self, signing_secret: str = DEFAULT_SIGNING_SECRET, fake: FakeSlack | None = None
    ) -> None:
        self.signing_secret = signing_secret
        self.fake = fake

    def _fields(
        self, fields: dict[str, Any], *, bot: bool, domain: bool, response_url: bool
    ) -> dict[str, Any]:
        if self.fake is None:
            return fields
        defaults: dict[str, Any] = {"team_id": self.fake.team_id, "api_app_id": self.fake.app_id}
        if domain:
            defaults["team_domain"] = self.fake.team_domain
        if bot:
            defaults["bot_user_id"] = self.fake.bot_user_id
        if response_url and fields.get("response_url") is None:
            defaults["response_url"] = self.fake.response_url()
        return {**defaults, **{k: v for k, v in fields.items() if v is not None}}

    def slash_command_payload(self, text: str = "", **fields: Any) -> dict[str, str]:
        fields = self._fields(fields, bot=False, domain=True, response_url=True)
        return slash_command_payload(text, **fields)

    def slash_command(self, text: str = "", **fields: Any) -> SignedRequest:
        signing = _pop_signing(fields, self.signing_secret)
        fields = self._fields(fields, bot=False, domain=True, response_url=True)
        return slash_command(text, **signing, **fields)

    def block_action_payload(
        self, action_id: str, value: str | None = None, **fields: Any
    ) -> dict[str, Any]:
        in_view = fields.get("view") is not None
        fields = self._fields(fields, bot=True, domain=True, response_url=not in_view)
        return block_action_payload(action_id, value, **fields)

    def block_action(
        self, action_id: str, value: str | None = None, **fields: Any
    ) -> SignedRequest:
        signing = _pop_signing(fields, self.signing_secret)
        return _signed_interactive(self.block_action_payload(action_id, value, **fields), signing)

    def view_submission_payload(
        self,
        callback_id: str,
        state_values: Mapping[str, Mapping[str, Any]] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        fields = self._fields(fields, bot=False, domain=True, response_url=False)
        return view_submission_payload(callback_id, state_values, **fields)

    def view_submission(
        self,
        callback_id: str,
        state_values: Mapping[str, Mapping[str, Any]] | None = None,
        **fields: Any,
    ) -> SignedRequest:
        signing = _pop_signing(fields, self.signing_secret)
        payload = self.view_submission_payload(callback_id, state_values, **fields)
        return _signed_interactive(payload, signing)

    def event_callback_payload(self, event: Mapping[str, Any], **fields: Any) -> dict[str, Any]:
        fields = self._fields(fields, bot=True, domain=False, response_url=False)
        return event_callback_payload(event, **fields)

    def event_callback(self, event: Mapping[str, Any], **fields: Any) -> SignedRequest:
        signing = _pop_signing(fields, self.signing_secret)
        fields = self._fields(fields, bot=True, domain=False, response_url=False)
        return event_callback(event, **signing, **fields)
