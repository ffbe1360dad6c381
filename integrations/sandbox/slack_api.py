"""A local fake of the Slack Web API for tests that drive the real slack_sdk ``WebClient``.

``FakeSlack`` is an ``http.server`` running on ``127.0.0.1`` (free port, background thread).
Point a client at it with ``WebClient(token=fake.bot_token, base_url=fake.url)`` or set the
``SLACK_API_URL`` environment key to ``fake.url``. It records every call, answers the methods a
scheduling bot uses with realistic bodies, and can inject rate limits and Slack errors::

    with FakeSlack() as fake:
        fake.add_user("U01ANA", real_name="Ana", email="ana@corp.example", tz="Europe/London")
        client = WebClient(token=fake.bot_token, base_url=fake.url)
        client.chat_postMessage(channel="U01ANA", text="hi")
        (call,) = fake.calls("chat.postMessage")
        assert call.args == {"channel": "U01ANA", "text": "hi"}

        fake.fail_next("chat.postMessage")  # one 429 with Retry-After: 1
        fake.fail("users.info", "user_not_found", match={"user": "U404"})  # until cleared

Calls made from other threads (bolt listeners run in a thread pool, after ``ack()``) are awaited
with ``fake.wait_for("chat.postMessage")``, which blocks on a condition variable.

Wire details that matter:

* slack_sdk sends *every* method as a POST (even the "GET" ones such as ``users.info``), as JSON
  for some methods (``chat.postMessage``, ``views.*``) and form-encoded for others, with the token
  in ``Authorization: Bearer …`` (and sometimes also as a ``token`` form field). Both encodings,
  query strings and multipart bodies are parsed into one ``args`` dict; JSON-encoded strings in
  form posts (``blocks``, ``attachments``, ``view`` …) are decoded so that assertions don't depend
  on the encoding. The token is removed from ``args`` and kept in ``Call.token``.
* Response header names are lower case, as Slack sends them over HTTP/2: bolt reads the scopes
  with ``headers.get("x-oauth-scopes")`` on a plain dict, so ``X-OAuth-Scopes`` would be missed.
"""

from __future__ import annotations

import contextlib
import copy
import email.parser
import email.policy
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, Self
from urllib.parse import parse_qs, quote, unquote, urlsplit
from zoneinfo import ZoneInfo

__all__ = [
    "DEFAULT_SCOPES",
    "Call",
    "FakeSlack",
    "MethodHandler",
]

DEFAULT_SCOPES: tuple[str, ...] = (
    "chat:write",
    "commands",
    "im:history",
    "im:write",
    "users:read",
    "users:read.email",
)

# Parameters that slack_sdk may send as JSON-encoded strings inside form posts.
_JSON_STRING_PARAMS = frozenset(
    {"attachments", "blocks", "metadata", "unfurls", "user_auth_blocks", "view"}
)

MethodHandler = Callable[[dict[str, Any]], dict[str, Any]]
"""A custom answer for a method: receives the parsed ``args``, returns the JSON body."""


class _SocketModeTarget(Protocol):
    @property
    def url(self) -> str: ...


@dataclass(frozen=True)
class Call:
    """One request received by the fake.

    ``method`` is the Web API method (``"chat.postMessage"``) or ``"response_url"`` for posts to a
    URL from :meth:`FakeSlack.response_url` (then ``name`` is that URL's name). ``headers`` has
    lower-case names. ``status`` and ``response`` are what the fake answered.
    """

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    time: float
    token: str | None = None
    name: str | None = None
    http_method: str = "POST"
    path: str = ""
    raw_body: bytes = b""
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the fake answered ``{"ok": true}``."""
        return bool(self.response.get("ok"))


@dataclass
class _Fault:
    method: str
    error: str
    status: int
    retry_after: int | None
    remaining: int | None  # None: permanent
    match: dict[str, Any]

    def matches(self, method: str, args: Mapping[str, Any]) -> bool:
        if self.method not in (method, "*"):
            return False
        return all(_same(args.get(key), value) for key, value in self.match.items())


def _same(actual: Any, expected: Any) -> bool:
    if actual == expected:
        return True
    # Form posts carry strings: match 3 against "3" and True against "1".
    if isinstance(expected, bool):
        return str(actual) in (("1", "true", "True") if expected else ("0", "false", "False"))
    return actual is not None and str(actual) == str(expected)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeSlack


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # One request per connection: urllib closes after each call anyway.
    protocol_version = "HTTP/1.0"

    def do_POST(self) -> None:
        self._handle()

    def do_GET(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default per-request stderr logging."""

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        status, response_headers, payload = self.server.fake._handle_http(
            self.command, self.path, headers, body
        )
        if status == DROP_CONNECTION:  # the call was carried out; its answer is lost
            self.close_connection = True
            return
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("content-type", "application/json; charset=utf-8")
        self.send_header("content-length", str(len(data)))
        for key, value in response_headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


class FakeSlack:
    """A mock Slack Web API server on ``127.0.0.1``.

    Args:
        bot_user_id, bot_id, team_id, team_name, team_domain, app_id: identities reported by
            ``auth.test`` and put into messages and views.
        bot_token: the only bot token accepted when ``check_tokens`` (``invalid_auth`` otherwise;
            no token at all gives ``not_authed``).
        app_token: the app-level token that ``apps.connections.open`` requires
            (any other token gives ``not_allowed_token_type``, as does using it elsewhere).
        scopes: listed in the ``x-oauth-scopes`` response header (bolt exposes them as
            ``context.authorize_result.bot_scopes``).
        check_tokens: enforce the two tokens above.
        strict: also reject user ids not added with :meth:`add_user` (``conversations.open``
            and ``chat.postEphemeral``: ``user_not_found``; ``chat.postMessage`` to a user id:
            ``channel_not_found``), and a ts / view id this fake did not create
            (``chat.update`` / ``chat.delete``: ``message_not_found``; ``views.update``:
            ``not_found``). Off by default so tests may act on payloads they built by hand.
        single_use_triggers: ``views.open`` / ``views.push`` reject a ``trigger_id`` that was
            already used (or expired with :meth:`expire_trigger`) with ``expired_trigger_id``.
        response_url_max_uses: posts accepted per response URL (Slack: 5); later posts get
            404 ``used_url``. ``None`` for no limit.
        host, port: where to listen; port 0 picks a free port.
    """

    def __init__(
        self,
        *,
        bot_user_id: str = "U0BOT0001",
        bot_id: str = "B0BOT0001",
        team_id: str = "T0TEAM001",
        team_name: str = "Fake Corp",
        team_domain: str = "fake-corp",
        app_id: str = "A0APP0001",
        bot_token: str = "xoxb-0000-fake-bot-token",
        app_token: str = "xapp-1-A0APP0001-fake-app-token",
        scopes: Iterable[str] = DEFAULT_SCOPES,
        check_tokens: bool = True,
        strict: bool = False,
        single_use_triggers: bool = True,
        response_url_max_uses: int | None = 5,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.team_id = team_id
        self.team_name = team_name
        self.team_domain = team_domain
        self.app_id = app_id
        self.bot_token = bot_token
        self.app_token = app_token
        self.scopes: list[str] = list(scopes)
        self.check_tokens = check_tokens
        self.strict = strict
        self.single_use_triggers = single_use_triggers
        self.response_url_max_uses = response_url_max_uses
        self.socket_mode_url: str | None = None
        """Base ``ws://`` URL handed out by ``apps.connections.open`` (see attach_socket_mode)."""

        self._host = host
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

        self._cond = threading.Condition()
        self._calls: list[Call] = []
        self._faults: list[_Fault] = []
        self._users: dict[str, dict[str, Any]] = {}
        self._handlers: dict[str, MethodHandler] = {}
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._home_views: dict[str, dict[str, Any]] = {}
        self._used_triggers: set[str] = set()
        self._response_url_uses: dict[str, int] = {}
        self._expired_response_urls: set[str] = set()
        self._open_dms: set[str] = set()
        # What a person sees (the sandbox renders these; tests may read them too).
        self._ephemerals: list[dict[str, Any]] = []
        self._response_contexts: dict[str, dict[str, Any]] = {}
        self._trigger_users: dict[str, str] = {}
        self._view_owners: dict[str, str] = {}
        self._view_stacks: dict[str, list[str]] = {}
        self._changes = 0
        self._last_ts = 0.0
        self._ids = itertools.count(1)
        self._lost_answers: list[_Fault] = []

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Start listening (idempotent). Returns self."""
        if self._server is not None:
            return self
        server = _Server((self._host, self._port), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=f"FakeSlack:{server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and release the port (idempotent)."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSlack is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://{self._host}:{self.port}"

    @property
    def url(self) -> str:
        """The Web API base URL, ``http://127.0.0.1:PORT/api/`` (for ``WebClient(base_url=…)``)."""
        return f"{self.base}/api/"

    # ------------------------------------------------------------------ configuration

    def add_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        email: str | None = None,
        tz: str = "America/Los_Angeles",
        tz_offset: int | None = None,
        is_bot: bool = False,
        deleted: bool = False,
        **extra: Any,
    ) -> dict[str, Any]:
        """Register a user for ``users.info`` / ``users.lookupByEmail`` (and ``strict`` checks).

        ``tz_offset`` (seconds east of UTC) and ``tz_label`` are computed from ``tz`` at the time
        of each call unless ``tz_offset`` is given. ``extra`` keys are merged into the user
        object. Returns the stored object (mutable; changes show in later answers).
        """
        name = name or user_id.lower()
        real_name = real_name if real_name is not None else name
        profile: dict[str, Any] = {
            "real_name": real_name,
            "real_name_normalized": real_name,
            "display_name": name,
            "display_name_normalized": name,
            "team": self.team_id,
        }
        if email is not None:
            profile["email"] = email
        user: dict[str, Any] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": deleted,
            "real_name": real_name,
            "tz": tz,
            "is_admin": False,
            "is_owner": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": int(time.time()),
            "profile": profile,
            **extra,
        }
        if tz_offset is not None:
            user["tz_offset"] = tz_offset
        with self._cond:
            self._users[user_id] = user
        return user

    def remove_user(self, user_id: str) -> None:
        with self._cond:
            self._users.pop(user_id, None)

    def set_handler(self, method: str, handler: MethodHandler | None) -> None:
        """Answer ``method`` with ``handler(args)`` instead of the built-in behaviour.

        Calls are still recorded and faults still apply first. ``None`` restores the default.
        """
        with self._cond:
            if handler is None:
                self._handlers.pop(method, None)
            else:
                self._handlers[method] = handler

    def attach_socket_mode(self, server: _SocketModeTarget | str) -> None:
        """Make ``apps.connections.open`` hand out the URL of a Socket Mode fake."""
        self.socket_mode_url = server if isinstance(server, str) else server.url

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        error: str = "ratelimited",
        *,
        status: int | None = None,
        retry_after: int | None = 1,
        times: int = 1,
        match: Mapping[str, Any] | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (``"*"`` for any) fail with ``error``.

        ``status`` defaults to 429 for ``"ratelimited"`` (with a ``retry-after`` header of
        ``retry_after`` seconds) and to 200 otherwise, which is how Slack reports errors such
        as ``channel_not_found``. ``match`` limits the fault to calls whose args have those
        values, e.g. ``match={"channel": "C404"}``. Faults are checked in the order added.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        self._add_fault(method, error, status, retry_after, times, match)

    def fail(
        self,
        method: str,
        error: str,
        *,
        status: int | None = None,
        retry_after: int | None = 1,
        match: Mapping[str, Any] | None = None,
    ) -> None:
        """Make every matching call of ``method`` fail with ``error`` until cleared.

        For permanent Slack errors: ``fake.fail("chat.postMessage", "account_inactive")``,
        ``fake.fail("conversations.open", "user_not_found", match={"users": "U0GONE"})``.
        """
        self._add_fault(method, error, status, retry_after, None, match)

    def clear_failures(self, method: str | None = None) -> None:
        """Drop pending faults (all, or those of ``method``)."""
        with self._cond:
            self._faults = [f for f in self._faults if method is not None and f.method != method]

    def _add_fault(
        self,
        method: str,
        error: str,
        status: int | None,
        retry_after: int | None,
        times: int | None,
        match: Mapping[str, Any] | None,
    ) -> None:
        if status is None:
            status = 429 if error == "ratelimited" else 200
        fault = _Fault(method, error, status, retry_after, times, dict(match or {}))
        with self._cond:
            self._faults.append(fault)

    # ------------------------------------------------------------------ triggers / response URLs

    @staticmethod
    def new_trigger_id() -> str:
        """A fresh trigger id in Slack's shape (``<seconds>.<n>.<hex>``)."""
        return f"{int(time.time())}.{next(_TRIGGER_COUNTER)}.{uuid.uuid4().hex}"

    def expire_trigger(self, trigger_id: str) -> None:
        """Make ``views.open`` / ``views.push`` reject this trigger id (``expired_trigger_id``)."""
        with self._cond:
            self._used_triggers.add(trigger_id)

    def response_url(
        self,
        name: str | None = None,
        *,
        user: str | None = None,
        channel: str | None = None,
        message_ts: str | None = None,
        ephemeral_id: str | None = None,
    ) -> str:
        """An http URL on this server that records what is posted to it, like a ``response_url``.

        Posts are recorded as calls with ``method == "response_url"`` and ``name == name``;
        read them with :meth:`responses` / :meth:`wait_for_response`.

        With ``user`` the URL also acts as Slack's does on what a person sees: a post becomes an
        ephemeral message for ``user`` (see :meth:`ephemerals`), and ``replace_original`` /
        ``delete_original`` change the message it came from (``channel`` + ``message_ts``, or
        the ephemeral ``ephemeral_id``).
        """
        name = name or f"r{next(self._ids)}"
        if user is not None:
            with self._cond:
                self._response_contexts[name] = {
                    "user": user,
                    "channel": channel,
                    "message_ts": message_ts,
                    "ephemeral_id": ephemeral_id,
                }
        return f"{self.base}/response/{quote(name, safe='')}"

    def trigger_id_for(self, user_id: str) -> str:
        """A fresh trigger id; modals opened with it belong to ``user_id`` (:meth:`open_views`)."""
        trigger_id = self.new_trigger_id()
        with self._cond:
            self._trigger_users[trigger_id] = user_id
        return trigger_id

    def expire_response_url(self, name: str) -> None:
        """Later posts to this response URL get 404 ``expired_url``."""
        with self._cond:
            self._expired_response_urls.add(name)

    def responses(self, name: str | None = None) -> list[dict[str, Any]]:
        """Bodies posted to response URLs (all, or those of ``name``), oldest first."""
        return [c.args for c in self.calls("response_url") if name is None or c.name == name]

    def wait_for_response(
        self, name: str | None = None, count: int = 1, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        """Block until ``count`` posts reached response URL ``name`` (any when None)."""
        calls = self.wait_for(
            "response_url",
            count,
            timeout,
            where=None if name is None else (lambda c: c.name == name),
        )
        return [c.args for c in calls]

    # ------------------------------------------------------------------ inspection

    def calls(
        self,
        method: str | None = None,
        *,
        where: Callable[[Call], bool] | None = None,
        **match: Any,
    ) -> list[Call]:
        """Recorded calls, oldest first: all, or those of ``method`` whose args match ``match``.

        ``fake.calls("chat.postMessage", channel="D01ANA")``; ``where`` adds any predicate.
        Failed calls (faults, errors) are included; check ``Call.ok`` / ``Call.status``.
        """
        with self._cond:
            return self._select(method, where, match)

    def last(self, method: str, **match: Any) -> Call:
        """The most recent call of ``method`` matching ``match`` (AssertionError if none)."""
        found = self.calls(method, **match)
        if not found:
            raise AssertionError(f"no {method} call matching {match}; {self._summary()}")
        return found[-1]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,
        *,
        where: Callable[[Call], bool] | None = None,
        **match: Any,
    ) -> list[Call]:
        """Block until at least ``count`` calls of ``method`` matching ``match`` were recorded.

        Returns all matching calls (oldest first). Raises ``AssertionError`` with a summary of
        what was recorded when ``timeout`` seconds pass first. Uses a condition variable, so it
        returns as soon as the call arrives.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = self._select(method, where, match)
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"timed out after {timeout}s waiting for {count} {method} call(s)"
                        f" matching {match or 'anything'}; got {len(found)}. {self._summary()}"
                    )
                self._cond.wait(remaining)

    def reset(self) -> None:
        """Forget recorded calls, faults, messages, views, used triggers and response URL uses.

        Users, custom handlers and configuration are kept.
        """
        with self._cond:
            self._calls.clear()
            self._faults.clear()
            self._messages.clear()
            self._views.clear()
            self._home_views.clear()
            self._used_triggers.clear()
            self._response_url_uses.clear()
            self._expired_response_urls.clear()
            self._open_dms.clear()
            self._lost_answers.clear()
            self._ephemerals.clear()
            self._response_contexts.clear()
            self._trigger_users.clear()
            self._view_owners.clear()
            self._view_stacks.clear()
            self._changes += 1
            self._cond.notify_all()

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages currently posted (after updates and deletes), oldest first.

        Each is a copy of the stored message with a ``channel`` key. Messages posted to a user
        id are stored under that user's DM channel id (:meth:`dm_channel_id`).
        """
        with self._cond:
            items = sorted(self._messages.items(), key=lambda item: float(item[0][1]))
            return [
                {**msg, "channel": ch} for (ch, _), msg in items if channel is None or ch == channel
            ]

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        """The view last published to ``user_id``'s App Home, if any."""
        with self._cond:
            return self._home_views.get(user_id)

    def views(self) -> dict[str, dict[str, Any]]:
        """Modal views opened / pushed / updated through this fake, by view id."""
        with self._cond:
            return dict(self._views)

    def snapshot(self) -> dict[str, Any]:
        """What people see (messages, App Homes, ephemeral messages), as JSON-ready data."""
        with self._cond:
            return copy.deepcopy(
                {
                    "messages": [
                        {"channel": channel, "message": message}
                        for (channel, _), message in self._messages.items()
                    ],
                    "home_views": self._home_views,
                    "ephemerals": self._ephemerals,
                    "open_dms": sorted(self._open_dms),
                    "last_ts": self._last_ts,
                }
            )

    def restore(self, state: Mapping[str, Any]) -> None:
        """Put back what :meth:`snapshot` returned (the sandbox keeps it across restarts)."""
        with self._cond:
            for item in state.get("messages", []):
                message = copy.deepcopy(item["message"])
                self._messages[(str(item["channel"]), str(message["ts"]))] = message
            self._home_views.update(copy.deepcopy(state.get("home_views", {})))
            self._ephemerals.extend(copy.deepcopy(state.get("ephemerals", [])))
            self._open_dms.update(state.get("open_dms", []))
            self._last_ts = max(self._last_ts, float(state.get("last_ts", 0.0)))
            numbers = [
                int(item_id[1:])
                for item_id in [e["id"] for e in self._ephemerals]
                + [v["id"] for v in self._home_views.values()]
                if item_id[1:].isdigit()
            ]
            self._ids = itertools.count(max(numbers, default=0) + 1)
            self._changes += 1
            self._cond.notify_all()

    @staticmethod
    def dm_channel_id(user_id: str) -> str:
        """The DM channel id this fake uses for a user: ``U01ANA`` → ``D01ANA``."""
        return "D" + user_id[1:] if user_id[:1] in ("U", "W") else "D" + user_id

    def _select(
        self, method: str | None, where: Callable[[Call], bool] | None, match: Mapping[str, Any]
    ) -> list[Call]:
        return [
            c
            for c in self._calls
            if (method is None or c.method == method)
            and all(_same(c.args.get(k), v) for k, v in match.items())
            and (where is None or where(c))
        ]

    def _summary(self) -> str:
        recorded = [f"{c.method}({'ok' if c.ok else c.response.get('error')})" for c in self._calls]
        return f"Recorded: {recorded or 'nothing'}"

    # ------------------------------------------------------------------ HTTP entry point

    def _handle_http(
        self, http_method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        parts = urlsplit(raw_path)
        args = _parse_args(parts.query, headers.get("content-type", ""), body)
        token = _extract_token(headers, args)
        path = parts.path
        name: str | None = None
        if path.startswith("/api/"):
            method = path[len("/api/") :]
        elif path.startswith("/response/"):
            method, name = "response_url", unquote(path[len("/response/") :])
        else:
            method = path

        status, extra_headers, payload = self._answer(method, name, token, args)
        status, payload = self._maybe_lose_answer(method, args, status, payload)
        call = Call(
            method=method,
            args=args,
            headers=headers,
            time=time.time(),
            token=token,
            name=name,
            http_method=http_method,
            path=raw_path,
            raw_body=body,
            status=status,
            response=payload,
        )
        with self._cond:
            self._calls.append(call)
            self._changes += 1
            self._cond.notify_all()
        return status, extra_headers, payload

    def _answer(
        self, method: str, name: str | None, token: str | None, args: dict[str, Any]
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        headers: dict[str, str] = {}
        if method != "response_url":
            headers["x-oauth-scopes"] = ",".join(self.scopes)
        fault = self._take_fault(method, args)
        if fault is not None:
            if fault.status == 429 and fault.retry_after is not None:
                headers["retry-after"] = str(fault.retry_after)
            return fault.status, headers, {"ok": False, "error": fault.error}

        if method == "response_url":
            status, payload = self._response_url(name or "", args)
            return status, {}, payload
        if not method or "/" in method:
            return 404, {}, {"ok": False, "error": "unknown_path"}

        token_error = self._check_token(method, token)
        if token_error is not None:
            return 200, headers, {"ok": False, "error": token_error}

        with self._cond:
            custom = self._handlers.get(method)
        if custom is not None:
            return 200, headers, custom(args)
        builtin = _BUILTIN_METHODS.get(method)
        if builtin is None:
            return 200, headers, {"ok": True}
        return 200, headers, builtin(self, args)

    def _take_fault(self, method: str, args: Mapping[str, Any]) -> _Fault | None:
        with self._cond:
            for fault in self._faults:
                if fault.matches(method, args):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def _check_token(self, method: str, token: str | None) -> str | None:
        if not self.check_tokens:
            return None
        if not token:
            return "not_authed"
        if method == "apps.connections.open":
            return None if token == self.app_token else _token_error(token, self.app_token)
        return None if token == self.bot_token else _token_error(token, self.bot_token)

    def _response_url(self, name: str, args: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._cond:
            if name in self._expired_response_urls:
                return 404, {"ok": False, "error": "expired_url"}
            uses = self._response_url_uses.get(name, 0) + 1
            limit = self.response_url_max_uses
            if limit is not None and uses > limit:
                return 404, {"ok": False, "error": "used_url"}
            self._response_url_uses[name] = uses
            context = self._response_contexts.get(name)
            if context is not None:
                self._apply_response(context, args)
        return 200, {"ok": True}

    def _apply_response(self, context: dict[str, Any], args: dict[str, Any]) -> None:
        """What Slack does with a response URL post (called with the lock held)."""
        channel, message_ts = context["channel"], context["message_ts"]
        ephemeral_id = context["ephemeral_id"]
        if _truthy(args.get("delete_original")):
            if ephemeral_id is not None:
                self._ephemerals = [e for e in self._ephemerals if e["id"] != ephemeral_id]
            elif channel and message_ts:
                self._messages.pop((channel, message_ts), None)
            return
        if _truthy(args.get("replace_original")):
            if ephemeral_id is not None:
                for ephemeral in self._ephemerals:
                    if ephemeral["id"] == ephemeral_id:
                        ephemeral["text"] = args.get("text", "")
                        ephemeral["blocks"] = args.get("blocks") or []
                return
            message = self._messages.get((channel or "", message_ts or ""))
            if message is not None:
                message["text"] = args.get("text", "")
                message["blocks"] = args.get("blocks") or []
                message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
                return
        self._add_ephemeral(context["user"], channel or "", args)

    def _add_ephemeral(self, user: str, channel: str, args: Mapping[str, Any]) -> str:
        ts = f"{max(time.time(), self._last_ts + 0.000001):.6f}"
        self._last_ts = float(ts)
        ephemeral_id = f"E{next(self._ids):08d}"
        self._ephemerals.append(
            {
                "id": ephemeral_id,
                "user": user,
                "channel": channel,
                "ts": ts,
                "text": args.get("text", ""),
                "blocks": args.get("blocks") or [],
                "in_channel": args.get("response_type") == "in_channel",
            }
        )
        return ephemeral_id

    # ------------------------------------------------------------------ what a person sees

    @property
    def changes(self) -> int:
        """A counter bumped by every call and every change to what people see."""
        with self._cond:
            return self._changes

    def touch(self) -> None:
        """Count a change made outside the Web API (wakes :meth:`wait_for_change`)."""
        with self._cond:
            self._changes += 1
            self._cond.notify_all()

    def wait_for_change(self, since: int, timeout: float) -> int:
        """Block until :attr:`changes` differs from ``since`` or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._changes == since:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            return self._changes

    def ephemerals(self, user: str | None = None) -> list[dict[str, Any]]:
        """Ephemeral messages (``chat.postEphemeral`` and response URL posts), oldest first."""
        with self._cond:
            return [copy.deepcopy(e) for e in self._ephemerals if user is None or e["user"] == user]

    def add_ephemeral(self, user: str, channel: str, message: Mapping[str, Any]) -> str:
        """Show ``message`` (text, blocks) to ``user`` only, as a command's ack body is shown."""
        with self._cond:
            ephemeral_id = self._add_ephemeral(user, channel, message)
            self._changes += 1
            self._cond.notify_all()
        return ephemeral_id

    def open_views(self, user: str) -> list[dict[str, Any]]:
        """The modal stack ``user`` sees (bottom first): views opened with their trigger ids."""
        with self._cond:
            return [copy.deepcopy(self._views[v]) for v in self._view_stacks.get(user, [])]

    def close_view(self, user: str, view_id: str | None = None, *, all_views: bool = False) -> None:
        """Close ``view_id`` (and the views above it) or, with ``all_views``, the whole stack."""
        with self._cond:
            stack = self._view_stacks.get(user, [])
            if all_views or view_id is None:
                stack.clear()
            elif view_id in stack:
                del stack[stack.index(view_id) :]
            self._changes += 1
            self._cond.notify_all()

    def show_view(self, user: str, view: Mapping[str, Any], *, replace: str | None = None) -> str:
        """Push ``view`` on ``user``'s stack, or put it in place of view ``replace``.

        This is what a view submission's ``response_action: push`` / ``update`` does.
        """
        built = self._build_view(dict(view), view_id=replace)
        with self._cond:
            self._views[built["id"]] = built
            self._view_owners[built["id"]] = user
            stack = self._view_stacks.setdefault(user, [])
            if built["id"] not in stack:
                stack.append(built["id"])
            self._changes += 1
            self._cond.notify_all()
        return str(built["id"])

    # ------------------------------------------------------------------ helpers for methods

    def _next_ts(self) -> str:
        with self._cond:
            ts = max(time.time(), self._last_ts + 0.000001)
            self._last_ts = ts
        return f"{ts:.6f}"

    def _new_view_id(self) -> str:
        return f"V{next(self._ids):08d}"

    def _known_user(self, user_id: str) -> bool:
        with self._cond:
            return user_id in self._users

    def _user_payload(self, user: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            payload: dict[str, Any] = copy.deepcopy(user)
        if "tz_offset" not in payload:
            zone = ZoneInfo(str(payload.get("tz") or "UTC"))
            now = datetime.now(UTC).astimezone(zone)
            offset = now.utcoffset()
            payload["tz_offset"] = int(offset.total_seconds()) if offset is not None else 0
            payload.setdefault("tz_label", now.tzname() or "")
        return payload

    def _resolve_channel(self, channel: str) -> str:
        """A user id as a chat.postMessage channel means that user's DM."""
        if channel[:1] in ("U", "W"):
            return self.dm_channel_id(channel)
        return channel

    def _bot_message(self, args: Mapping[str, Any], ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "ts": ts,
            "text": args.get("text", ""),
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if key in args:
                message[key] = args[key]
        return message

    def _build_view(self, view: Any, view_id: str | None = None) -> dict[str, Any]:
        if not isinstance(view, dict):
            view = {}
        view_id = view_id or self._new_view_id()
        return {
            "id": view_id,
            "team_id": self.team_id,
            "type": view.get("type", "modal"),
            "title": view.get("title"),
            "submit": view.get("submit"),
            "close": view.get("close"),
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": self.app_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }

    def _use_trigger(self, args: Mapping[str, Any]) -> str | None:
        """Returns an error name, or None when the trigger id may be used."""
        trigger_id = args.get("trigger_id") or args.get("interactivity_pointer")
        if not trigger_id:
            return "invalid_arguments"
        with self._cond:
            if self.single_use_triggers and trigger_id in self._used_triggers:
                return "expired_trigger_id"
            self._used_triggers.add(str(trigger_id))
        return None

    # ------------------------------------------------------------------ built-in methods

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": "interview-bot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not any(args.get(k) for k in ("text", "blocks", "attachments")):
            return {"ok": False, "error": "no_text"}
        if self.strict and channel[:1] in ("U", "W") and not self._known_user(channel):
            return {"ok": False, "error": "channel_not_found"}
        resolved = self._resolve_channel(channel)
        ts = self._next_ts()
        message = self._bot_message(args, ts)
        with self._cond:
            self._messages[(resolved, ts)] = message
        return {"ok": True, "channel": resolved, "ts": ts, "message": dict(message)}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(str(args.get("channel") or ""))
        ts = str(args.get("ts") or "")
        if not channel or not ts:
            return {"ok": False, "error": "invalid_arguments"}
        with self._cond:
            message = self._messages.get((channel, ts))
            if message is None:
                if self.strict:
                    return {"ok": False, "error": "message_not_found"}
                message = self._bot_message({}, ts)
            for key in ("text", "blocks", "attachments", "metadata"):
                if key in args:
                    message[key] = args[key]
            message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
            self._messages[(channel, ts)] = message
            result = dict(message)
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": result.get("text", ""),
            "message": result,
        }

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(str(args.get("channel") or ""))
        ts = str(args.get("ts") or "")
        with self._cond:
            removed = self._messages.pop((channel, ts), None)
        if removed is None and self.strict:
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": channel, "ts": ts}

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        user = str(args.get("user") or "")
        if not user:
            return {"ok": False, "error": "user_not_found"}
        if self.strict and not self._known_user(user):
            return {"ok": False, "error": "user_not_found"}
        if not any(args.get(k) for k in ("text", "blocks", "attachments")):
            return {"ok": False, "error": "no_text"}
        with self._cond:
            self._add_ephemeral(user, str(args["channel"]), args)
            ts = self._ephemerals[-1]["ts"]
        return {"ok": True, "message_ts": ts}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel"):
            return {"ok": True, "channel": {"id": str(args["channel"])}}
        users = [u.strip() for u in str(args.get("users") or "").split(",") if u.strip()]
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        if self.strict:
            for user in users:
                if not self._known_user(user):
                    return {"ok": False, "error": "user_not_found"}
        if len(users) == 1:
            channel_id = self.dm_channel_id(users[0])
        else:
            channel_id = "G" + uuid.uuid5(uuid.NAMESPACE_OID, ",".join(sorted(users))).hex[:10]
        with self._cond:
            already_open = channel_id in self._open_dms
            self._open_dms.add(channel_id)
        channel: dict[str, Any] = {"id": channel_id}
        if args.get("return_im") in (True, "1", "true"):
            channel.update(
                {"is_im": len(users) == 1, "user": users[0], "created": int(time.time())}
            )
        result: dict[str, Any] = {"ok": True, "channel": channel}
        if already_open:
            result.update({"no_op": True, "already_open": True})
        return result

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            user = self._users.get(str(args.get("user") or ""))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": self._user_payload(user)}

    def _users_lookup_by_email(self, args: dict[str, Any]) -> dict[str, Any]:
        wanted = str(args.get("email") or "").strip().lower()
        with self._cond:
            user = next(
                (
                    u
                    for u in self._users.values()
                    if str(u["profile"].get("email", "")).lower() == wanted and wanted
                ),
                None,
            )
        if user is None:
            return {"ok": False, "error": "users_not_found"}
        return {"ok": True, "user": self._user_payload(user)}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        error = self._use_trigger(args)
        if error is not None:
            return {"ok": False, "error": error}
        view = self._build_view(args.get("view"))
        with self._cond:
            self._views[view["id"]] = view
            owner = self._trigger_users.get(str(args.get("trigger_id") or ""))
            if owner is not None:
                self._view_owners[view["id"]] = owner
                self._view_stacks[owner] = [view["id"]]
        return {"ok": True, "view": view}

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        error = self._use_trigger(args)
        if error is not None:
            return {"ok": False, "error": error}
        view = self._build_view(args.get("view"))
        with self._cond:
            owner = self._trigger_users.get(str(args.get("trigger_id") or ""))
            if owner is not None:
                self._view_owners[view["id"]] = owner
                self._view_stacks.setdefault(owner, []).append(view["id"])
        return self._store_view(view)

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id")
        external_id = args.get("external_id")
        with self._cond:
            if view_id is None and external_id is not None:
                view_id = next(
                    (v["id"] for v in self._views.values() if v["external_id"] == external_id),
                    None,
                )
            known = view_id is not None and view_id in self._views
        if not view_id and not external_id:
            return {"ok": False, "error": "invalid_arguments"}
        if not known and self.strict:
            return {"ok": False, "error": "not_found"}
        view = self._build_view(args.get("view"), view_id=str(view_id) if view_id else None)
        return self._store_view(view)

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(args.get("user_id") or "")
        if not user_id:
            return {"ok": False, "error": "invalid_arguments"}
        view = self._build_view(args.get("view"))
        view["type"] = "home"
        with self._cond:
            previous = self._home_views.get(user_id)
            if previous is not None:
                view["id"] = view["root_view_id"] = previous["id"]
            self._home_views[user_id] = view
        return {"ok": True, "view": view}

    def _store_view(self, view: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            self._views[view["id"]] = view
        return {"ok": True, "view": view}

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if self.socket_mode_url is None:
            # not a Slack error: the test forgot attach_socket_mode()
            return {"ok": False, "error": "socket_mode_not_attached"}
        ticket = uuid.uuid4()
        return {"ok": True, "url": f"{self.socket_mode_url}?ticket={ticket}&app_id={self.app_id}"}

    # ------------------------------------------------------------------ lost answers, history

    def lose_answer_next(
        self,
        method: str,
        *,
        status: int = 500,
        times: int = 1,
        match: Mapping[str, Any] | None = None,
    ) -> None:
        """Carry out the next ``times`` matching calls, then lose their answers.

        The call has its effect (a ``chat.postMessage`` is stored and shows in
        ``conversations.history``), but the client gets ``status`` with
        ``{"ok": false, "error": "internal_error"}`` instead of the real answer, or, with
        ``status=DROP_CONNECTION``, no answer at all (the connection is closed). This is the
        case where retrying blindly would post twice.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        fault = _Fault(method, "internal_error", status, None, times, dict(match or {}))
        with self._cond:
            self._lost_answers.append(fault)

    def _maybe_lose_answer(
        self, method: str, args: Mapping[str, Any], status: int, payload: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        if status != 200 or not payload.get("ok"):
            return status, payload
        with self._cond:
            for fault in self._lost_answers:
                if fault.matches(method, args):
                    assert fault.remaining is not None
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._lost_answers.remove(fault)
                    return fault.status, {"ok": False, "error": fault.error}
        return status, payload

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        """Newest first; ``metadata`` only with ``include_all_metadata``; ``oldest``/``latest``
        exclusive unless ``inclusive``; ``limit`` (default 100) with ``has_more``."""
        channel = self._resolve_channel(str(args.get("channel") or ""))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if "im:history" not in self.scopes and channel.startswith("D"):
            return {"ok": False, "error": "missing_scope", "needed": "im:history"}
        inclusive = _same(args.get("inclusive"), True)
        oldest = float(args.get("oldest") or 0)
        latest = float(args.get("latest") or "inf")
        limit = int(args.get("limit") or 100)
        with_metadata = _same(args.get("include_all_metadata"), True)

        def inside(ts: float) -> bool:
            if inclusive:
                return oldest <= ts <= latest
            return oldest < ts < latest

        with self._cond:
            found = [
                copy.deepcopy(message)
                for (ch, ts), message in self._messages.items()
                if ch == channel and inside(float(ts))
            ]
        found.sort(key=lambda message: float(message["ts"]), reverse=True)
        if not with_metadata:
            for message in found:
                message.pop("metadata", None)
        return {"ok": True, "messages": found[:limit], "has_more": len(found) > limit}


DROP_CONNECTION = 0
"""``lose_answer_next(status=DROP_CONNECTION)``: close the connection without any answer."""

_TRIGGER_COUNTER = itertools.count(1)

_BUILTIN_METHODS: dict[str, Callable[[FakeSlack, dict[str, Any]], dict[str, Any]]] = {
    "auth.test": FakeSlack._auth_test,
    "chat.postMessage": FakeSlack._chat_post_message,
    "chat.update": FakeSlack._chat_update,
    "chat.delete": FakeSlack._chat_delete,
    "chat.postEphemeral": FakeSlack._chat_post_ephemeral,
    "conversations.open": FakeSlack._conversations_open,
    "users.info": FakeSlack._users_info,
    "users.lookupByEmail": FakeSlack._users_lookup_by_email,
    "views.open": FakeSlack._views_open,
    "views.push": FakeSlack._views_push,
    "views.update": FakeSlack._views_update,
    "views.publish": FakeSlack._views_publish,
    "apps.connections.open": FakeSlack._apps_connections_open,
    "conversations.history": FakeSlack._conversations_history,
}


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true")


def _token_error(token: str, expected: str) -> str:
    """``not_allowed_token_type`` for the wrong kind of token, ``invalid_auth`` otherwise."""
    if token.split("-", 1)[0] != expected.split("-", 1)[0]:
        return "not_allowed_token_type"
    return "invalid_auth"


def _extract_token(headers: Mapping[str, str], args: dict[str, Any]) -> str | None:
    form_token = args.pop("token", None)
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[len("bearer ") :].strip()
    return str(form_token) if form_token else None


def _parse_args(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    args: dict[str, Any] = _parse_form(query) if query else {}
    mime = content_type.split(";", 1)[0].strip().lower()
    if body:
        if mime == "application/json":
            parsed = json.loads(body.decode("utf-8"))
            if isinstance(parsed, dict):
                args.update(parsed)
        elif mime == "multipart/form-data":
            args.update(_parse_multipart(content_type, body))
        else:
            args.update(_parse_form(body.decode("utf-8")))
    for key in _JSON_STRING_PARAMS & args.keys():
        value = args[key]
        if isinstance(value, str) and value[:1] in ("[", "{"):
            with contextlib.suppress(json.JSONDecodeError):
                args[key] = json.loads(value)
    return args


def _parse_form(text: str) -> dict[str, Any]:
    parsed = parse_qs(text, keep_blank_values=True)
    return {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"content-type: {content_type}\r\n\r\n".encode() + body
    )
    args: dict[str, Any] = {}
    for part in message.iter_parts():
        key = part.get_param("name", header="content-disposition")
        if not isinstance(key, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if part.get_filename():
            args[key] = data
        else:
            args[key] = data.decode("utf-8", errors="replace")
    return args
