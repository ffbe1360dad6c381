"""A local fake of Slack's Socket Mode WebSocket endpoint.

``SocketModeServer`` runs a ``websockets`` (sync API) server on ``127.0.0.1`` (free port,
background thread). Each client that connects gets Slack's ``hello`` message; a test then
pushes envelopes and waits for the app's acknowledgement::

    with FakeSlack() as fake, SocketModeServer() as server:
        fake.attach_socket_mode(server)           # apps.connections.open hands out server.url
        handler = start_socket_mode_handler(app, server, app_token=fake.app_token)
        try:
            ack = server.send_envelope("slash_commands", slash_command_payload("help"))
            assert ack["envelope_id"]
        finally:
            stop_socket_mode_handler(handler, server)

Works with bolt's default ``slack_bolt.adapter.socket_mode.SocketModeHandler``, which is built
on ``slack_sdk.socket_mode.builtin.SocketModeClient`` (slack_sdk's own dependency-free
WebSocket client). That client uses a plain TCP socket for any port other than 443, so a
``ws://127.0.0.1:PORT/...`` URL works without TLS; it sends no ``Host`` port and no
extensions, and it answers the server's pings.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

if TYPE_CHECKING:
    from slack_bolt import App
    from slack_bolt.adapter.socket_mode import SocketModeHandler

__all__ = [
    "ENVELOPE_TYPES",
    "SocketModeServer",
    "start_socket_mode_handler",
    "stop_socket_mode_handler",
]

ENVELOPE_TYPES = frozenset({"slash_commands", "interactive", "events_api"})

# Interactive payload types whose ack may carry a response (errors, response_action, options).
_RESPONSE_PAYLOAD_TYPES = frozenset(
    {"view_submission", "block_suggestion", "dialog_suggestion", "dialog_submission"}
)


class SocketModeServer:
    """A Socket Mode endpoint that sends envelopes and collects acks.

    Attributes:
        url: ``ws://127.0.0.1:PORT/link/`` (``apps.connections.open`` adds ``?ticket=…``).
        acks: every acknowledgement received, in order (``{"envelope_id": …, "payload"?: …}``).
        received: every text message received from clients, decoded when JSON.
        connection_paths: the request path (with ticket) of every connection, in order.
    """

    def __init__(self, *, app_id: str = "A0APP0001", host: str = "127.0.0.1") -> None:
        self.app_id = app_id
        self._host = host
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._cond = threading.Condition()
        self._open: list[ServerConnection] = []
        self._connection_count = 0
        self._acks: dict[str, dict[str, Any]] = {}
        self._superseded: list[ServerConnection] = []
        self.acks: list[dict[str, Any]] = []
        self.received: list[Any] = []
        self.connection_paths: list[str] = []
        self._ids = itertools.count(1)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Start listening (idempotent). Returns self."""
        if self._server is not None:
            return self
        server = serve(
            self._serve_connection,
            self._host,
            0,
            compression=None,
            close_timeout=1,
            ping_interval=None,
        )
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name=f"SocketModeServer:{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close all connections (code 1001) and stop listening (idempotent)."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("SocketModeServer is not running; call start() first")
        return int(self._server.socket.getsockname()[1])

    @property
    def url(self) -> str:
        return f"ws://{self._host}:{self.port}/link/"

    # ------------------------------------------------------------------ connections

    @property
    def connection_count(self) -> int:
        """Connections accepted so far (including closed ones)."""
        with self._cond:
            return self._connection_count

    @property
    def open_connections(self) -> int:
        with self._cond:
            return len(self._open)

    def wait_for_connection(self, count: int = 1, timeout: float = 5.0) -> None:
        """Block until ``count`` connections were accepted in total (and one is open)."""
        self._wait(
            lambda: self._connection_count >= count and bool(self._open),
            timeout,
            lambda: f"{count} connection(s); got {self._connection_count}",
        )

    def wait_for_disconnect(self, timeout: float = 5.0) -> None:
        """Block until no connection is open."""
        self._wait(lambda: not self._open, timeout, lambda: "all connections to close")

    def close_connections(self, code: int = 1001, reason: str = "") -> None:
        """Close every open connection from the server side (the client may reconnect)."""
        with self._cond:
            connections = list(self._open)
        for connection in connections:
            connection.close(code, reason)

    # ------------------------------------------------------------------ envelopes

    def send_envelope(
        self,
        type: str,
        payload: Mapping[str, Any],
        *,
        envelope_id: str | None = None,
        accepts_response_payload: bool | None = None,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
        timeout: float = 5.0,
    ) -> dict[str, Any]:
        """Push an envelope to the newest connection and return the client's ack.

        ``type`` is ``"slash_commands"``, ``"interactive"`` or ``"events_api"``.
        ``accepts_response_payload`` defaults to Slack's choice: true for slash commands and
        for view submissions / suggestions, false otherwise. ``retry_attempt`` /
        ``retry_reason`` model an Events API redelivery (bolt turns them into
        ``x-slack-retry-num`` / ``x-slack-retry-reason`` headers). Raises ``AssertionError``
        when no ack arrives within ``timeout`` seconds.
        """
        envelope_id = self.push_envelope(
            type,
            payload,
            envelope_id=envelope_id,
            accepts_response_payload=accepts_response_payload,
            retry_attempt=retry_attempt,
            retry_reason=retry_reason,
            timeout=timeout,
        )
        return self.wait_for_ack(envelope_id, timeout)

    def push_envelope(
        self,
        type: str,
        payload: Mapping[str, Any],
        *,
        envelope_id: str | None = None,
        accepts_response_payload: bool | None = None,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
        timeout: float = 5.0,
    ) -> str:
        """Like :meth:`send_envelope` without waiting for the ack; returns the envelope id."""
        if type not in ENVELOPE_TYPES:
            raise ValueError(f"unknown envelope type {type!r}; use one of {sorted(ENVELOPE_TYPES)}")
        if accepts_response_payload is None:
            accepts_response_payload = type == "slash_commands" or (
                type == "interactive" and payload.get("type") in _RESPONSE_PAYLOAD_TYPES
            )
        envelope_id = envelope_id or str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": dict(payload),
            "type": type,
            "accepts_response_payload": accepts_response_payload,
        }
        if retry_attempt is not None:
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason or "timeout"
        self.send_raw(envelope, timeout=timeout)
        return envelope_id

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """Block until the client acknowledged ``envelope_id``; returns the ack message."""
        self._wait(
            lambda: envelope_id in self._acks,
            timeout,
            lambda: f"the ack of envelope {envelope_id}",
        )
        with self._cond:
            return self._acks[envelope_id]

    def send_disconnect(self, reason: str = "refresh_requested", timeout: float = 5.0) -> None:
        """Send Slack's ``disconnect`` message to the newest connection.

        slack_sdk's client then fetches a new URL through ``apps.connections.open`` and
        reconnects (wait with ``wait_for_connection(count=n + 1)``). Like Slack, the fake
        closes the old connection once the new one is open; without that, slack_sdk's
        built-in client blocks for its 3 s read timeout before it reads from the new one.
        """
        connection = self._newest(timeout)
        with self._cond:
            self._superseded.append(connection)
        connection.send(
            json.dumps(
                {"type": "disconnect", "reason": reason, "debug_info": {"host": "fake-applink"}}
            )
        )

    def send_raw(self, message: Mapping[str, Any] | str, timeout: float = 5.0) -> None:
        """Send any message to the newest open connection (waits for one up to ``timeout``)."""
        connection = self._newest(timeout)
        connection.send(message if isinstance(message, str) else json.dumps(message))

    # ------------------------------------------------------------------ internals

    def _newest(self, timeout: float) -> ServerConnection:
        self.wait_for_connection(timeout=timeout)
        with self._cond:
            return self._open[-1]

    def _wait(self, ready: Any, timeout: float, describe: Any) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not ready():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"timed out after {timeout}s waiting for {describe()}"
                        f" (open connections: {len(self._open)}, acks: {len(self.acks)})"
                    )
                self._cond.wait(remaining)

    def _serve_connection(self, connection: ServerConnection) -> None:
        path = connection.request.path if connection.request is not None else ""
        with self._cond:
            num_connections = len(self._open) + 1
        try:
            # hello first, so that nothing a test sends can overtake it
            connection.send(
                json.dumps(
                    {
                        "type": "hello",
                        "num_connections": num_connections,
                        "debug_info": {
                            "host": "fake-applink",
                            "build_number": 1,
                            "approximate_connection_time": 18060,
                        },
                        "connection_info": {"app_id": self.app_id},
                    }
                )
            )
        except ConnectionClosed:
            return
        with self._cond:
            self._open.append(connection)
            self._connection_count += 1
            self.connection_paths.append(path)
            superseded, self._superseded = self._superseded, []
            self._cond.notify_all()
        for old in superseded:
            # close() waits for the peer's close frame; don't hold up this connection for it.
            threading.Thread(target=old.close, args=(1001, "replaced"), daemon=True).start()
        try:
            for raw in connection:
                self._on_message(raw)
        except ConnectionClosed:
            pass
        finally:
            with self._cond:
                if connection in self._open:
                    self._open.remove(connection)
                self._cond.notify_all()

    def _on_message(self, raw: str | bytes) -> None:
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        try:
            message: Any = json.loads(text)
        except json.JSONDecodeError:
            message = text
        with self._cond:
            self.received.append(message)
            if isinstance(message, dict) and "envelope_id" in message:
                self._acks[str(message["envelope_id"])] = message
                self.acks.append(message)
            self._cond.notify_all()


def start_socket_mode_handler(
    app: App,
    server: SocketModeServer,
    *,
    app_token: str,
    timeout: float = 5.0,
) -> SocketModeHandler:
    """Connect bolt's default ``SocketModeHandler`` for ``app`` and wait until ``server`` has
    the connection.

    The handler asks ``apps.connections.open`` (on ``app.client``'s base URL, i.e. a
    :class:`FakeSlack` with :meth:`FakeSlack.attach_socket_mode`) for the URL, like in
    production. Close it with :func:`stop_socket_mode_handler`.
    """
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    before = server.connection_count
    handler = SocketModeHandler(app, app_token=app_token)
    handler.connect()  # type: ignore[no-untyped-call]
    server.wait_for_connection(count=before + 1, timeout=timeout)
    return handler


def stop_socket_mode_handler(handler: SocketModeHandler, server: SocketModeServer) -> None:
    """Close a handler in milliseconds instead of seconds.

    ``SocketModeHandler.close()`` alone is slow with slack_sdk's built-in client: its reader
    holds the lock that ``close()`` needs while blocked in a ``recv`` with a 3 s timeout, and
    its message processor sits in ``queue.get(timeout=1)``. So: turn auto-reconnect off, close
    the connection from the server side (the reader wakes on the close frame), wake the
    processor, then close.
    """
    client = handler.client
    client.auto_reconnect_enabled = False
    client.default_auto_reconnect_enabled = False
    server.close_connections()
    server.wait_for_disconnect()
    client.closed = True
    client.message_queue.put(None)
    handler.close()  # type: ignore[no-untyped-call]
