"""One HTTP server for the page, the bot's `/slack/events`, and the candidate pages.

Paths: `/` and `/sandbox/…` are the sandbox page; everything else goes to the bot exactly as
`interview-bot run --http` serves it (`/slack/events`, `/healthz`, and the public app's pages
such as `/c/…` when features register there). The fakes listen on their own loopback ports.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from bot.org import OrgConfig
from bot.sandbox.web import create_sandbox_app
from bot.sandbox.world import Sandbox

log = logging.getLogger(__name__)

WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})
BOT_START_TIMEOUT = 60.0


class _Router:
    """Sends the sandbox's own paths to its page and the rest to the bot.

    The page answers as soon as the fakes run; requests for the bot wait until it is built (a
    second or two at start), so a click made meanwhile is answered late, not lost.
    """

    def __init__(self) -> None:
        self.page: Callable[..., Iterable[bytes]] | None = None
        self.bot: Callable[..., Iterable[bytes]] | None = None
        self.bot_ready = threading.Event()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO") or "/")
        if (path == "/" or path.startswith("/sandbox/")) and self.page is not None:
            return self.page(environ, start_response)
        if self.bot_ready.wait(timeout=BOT_START_TIMEOUT) and self.bot is not None:
            if path == "/slack/events":
                return self.bot(environ, start_response)
            return _with_banner(self.bot, environ, start_response)
        start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
        return [b"the sandbox is still starting"]


BANNER = (
    b'<p role="note" data-sandbox-banner><strong>SANDBOX</strong> \xe2\x80\x94 a page of the '
    b"local interview-bot sandbox; nothing here reaches a real candidate. "
    b'<a href="/">Back to the sandbox</a></p>'
)
BODY_TAG = re.compile(rb"<body[^>]*>", re.IGNORECASE)


def _with_banner(
    app: Callable[..., Iterable[bytes]],
    environ: dict[str, Any],
    start_response: Callable[..., Any],
) -> Iterable[bytes]:
    """Run `app`; an HTML answer (a candidate page) gets a "SANDBOX" line after `<body>`."""
    captured: dict[str, Any] = {}

    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured.update(status=status, headers=headers, exc_info=exc_info)
        return lambda data: None  # nothing of ours writes through this

    result = app(environ, capture)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    headers = list(captured["headers"])
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    if content_type.startswith("text/html"):
        body, found = BODY_TAG.subn(lambda m: m.group(0) + BANNER, body, count=1)
        if not found:
            body = BANNER + body
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
    start_response(captured["status"], headers, captured["exc_info"])
    return [body]


class SandboxServer:
    """Bind, build the sandbox, serve in a thread; `stop()` undoes it all."""

    def __init__(
        self, org: OrgConfig, org_path: Path, data_dir: Path, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per poll
        self.router = _Router()
        # Bind first ourselves: werkzeug turns "address in use" into sys.exit(1), and the CLI
        # must say which --port is the problem (exit 2) instead.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.listen(128)
            self.port = int(sock.getsockname()[1])
            self.server: BaseWSGIServer = make_server(
                host, port, self.router, threaded=True, fd=sock.fileno()
            )
        local = "127.0.0.1" if host in WILDCARD_HOSTS else host
        self.url = (
            f"http://[{local}]:{self.port}" if ":" in local else f"http://{local}:{self.port}"
        )
        self.world = Sandbox(org, org_path, data_dir)
        self._thread: threading.Thread | None = None

    def start(self, on_page: Callable[[], None] | None = None) -> SandboxServer:
        """Serve the page, then build the bot; `on_page` runs once the page answers."""
        self.world.start_fakes(self.url)
        self.router.page = create_sandbox_app(self.world, self.url).wsgi_app
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="sandbox-http", daemon=True
        )
        self._thread.start()
        if on_page is not None:
            on_page()
        self.world.start_bot()
        assert self.world.app is not None
        self.router.bot = self.world.app
        self.router.bot_ready.set()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.world.stop()
