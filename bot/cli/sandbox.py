"""`interview-bot sandbox`: the real bot against local fakes, in one page, with no credentials."""

from __future__ import annotations

import ipaddress
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import read_org
from bot.cli.errors import BadInputError
from bot.logging_setup import configure_logging

if TYPE_CHECKING:
    from bot.sandbox.server import SandboxServer

log = logging.getLogger(__name__)

EXAMPLE_ORG = Path("org.example.yaml")


def host_warning(host: str) -> str | None:
    """A warning when `host` lets other machines in (everyone who reaches it acts as anyone)."""
    if host == "localhost":
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    return (
        f"warning: the sandbox listens on {host}, not only on this machine; anyone who can "
        "reach it can act as every person in the org file"
    )


def sandbox_org_path() -> Path:
    """`ORG_CONFIG` when set, else `org.example.yaml` (the sandbox needs no org.yaml of its own)."""
    configured = os.environ.get("ORG_CONFIG", "").strip()
    return Path(configured) if configured else EXAMPLE_ORG


def sandbox_command(
    port: Annotated[int, typer.Option(help="Port of the sandbox page.", min=0, max=65535)] = 3000,
    reset: Annotated[
        bool, typer.Option("--reset", help="Start afresh: forget the sandbox's data.")
    ] = False,
    host: Annotated[
        str | None,
        typer.Option(
            help="Address to bind (default 127.0.0.1; anything else is refused unless "
            "given here explicitly)."
        ),
    ] = None,
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Where the sandbox keeps its SQLite file.")
    ] = Path(".sandbox"),
) -> None:
    """A local sandbox: the real bot, an imitation of Slack and a local calendar in one page."""
    configure_logging(os.environ.get("LOG_LEVEL", "").strip().upper() or "WARNING")
    # bolt says the bot token is ignored because we authorize ourselves; true and expected
    logging.getLogger("slack_bolt.App").setLevel(logging.ERROR)
    bind = host or "127.0.0.1"  # loopback unless --host says otherwise
    warning = host_warning(bind)
    if warning is not None:
        print(warning, file=sys.stderr)
    org_path = sandbox_org_path()
    org = read_org(org_path)
    from bot.sandbox.seed import people

    if not people(org):
        raise BadInputError(
            f"{org_path}: names no recruiters or interviewers; the sandbox plays them, so it "
            "needs at least one"
        )

    from bot.sandbox.server import SandboxServer
    from bot.sandbox.world import clear_data

    if reset:
        clear_data(data_dir)
    try:
        server = SandboxServer(org, org_path, data_dir, host=bind, port=port)
    except OSError as error:
        raise BadInputError(
            f"--port {port}: cannot listen on {bind}:{port} ({error.strerror})"
        ) from None

    def announce() -> None:
        print(
            f"sandbox: open {server.url}/  (org file {org_path}; data in {data_dir}/; Ctrl-C stops)"
        )
        sys.stdout.flush()

    done = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):  # before start: a signal during it counts too
        signal.signal(signum, lambda *_: done.set())
    server.start(on_page=announce)
    try:
        done.wait()
    finally:
        _stop_within(server, STOP_SECONDS)


STOP_SECONDS = 20


def _stop_within(server: SandboxServer, seconds: float) -> None:
    """Stop the sandbox (its data is saved first); a part that does not finish in `seconds`
    is named on stderr and the process exits anyway, so Ctrl-C always ends the sandbox."""
    stopper = threading.Thread(target=server.stop, name="sandbox-stop", daemon=True)
    stopper.start()
    stopper.join(timeout=seconds)
    if stopper.is_alive():
        busy = sorted(t.name for t in threading.enumerate() if t is not threading.current_thread())
        print(
            f"sandbox: stopping took over {seconds:.0f} s; exiting anyway (still running: "
            f"{', '.join(busy)})",
            file=sys.stderr,
        )
        sys.stderr.flush()
        sys.stdout.flush()
        os._exit(0)


def register(app: typer.Typer) -> None:
    app.command("sandbox")(sandbox_command)
