"""Wiring the running bot: services, the bolt app, background jobs, and the two servers.

HTTP mode runs under gunicorn: `http_workers()` threaded worker processes (one per core, at
most four, `WEB_CONCURRENCY` overrides), each with its own background pool and reminder
scheduler, coordinated only through the database. Socket Mode uses bolt's handler in one
process.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.app import build_app
from bot.blocks.kit import BlockKit
from bot.org import OrgConfig
from bot.reminders.dispatcher import send_now
from bot.services.context import Services
from bot.settings import Settings
from integrations.slack.messenger import SlackMessenger, make_web_client

log = logging.getLogger(__name__)
HTTP_THREADS = 16


def build_services(settings: Settings, engine: Engine) -> Services:
    token = settings.require("SLACK_BOT_TOKEN", "to run the bot").get_secret_value()
    messenger = SlackMessenger(make_web_client(token, settings.slack_api_url))
    calendar = None
    if settings.google_configured:
        from integrations.google.calendar import GoogleCalendar

        calendar = GoogleCalendar.from_settings(settings)
    else:
        log.warning("Google Calendar is not configured: scheduling will explain and refuse")
    return Services(
        settings=settings,
        engine=engine,
        messenger=messenger,
        calendar=calendar,
        render=BlockKit(),
        send_outbox=send_now,
    )


def prepare(settings: Settings, engine: Engine, org: OrgConfig) -> None:
    """Load the org file and resolve Slack ids and zones by email (problems are only logged)."""
    from bot.org.sync import sync_org
    from bot.services.directory import resolve_directory
    from storage.engine import session_scope

    with session_scope(engine) as session:
        report = sync_org(org, session=session)
    log.info(report.summary())
    services = build_services(settings, engine)
    with session_scope(engine) as session:
        problems = resolve_directory(services.messenger, session=session)
    if problems:
        log.warning(
            "directory: %d interviewers need attention: %s", len(problems), "; ".join(problems)
        )


def start_background(services: Services) -> Callable[[], None]:
    """Start the reminder scheduler; returns the function that stops it."""
    from bot.reminders.scheduler import start_reminder_scheduler
    from bot.services.unanswered import UnansweredRequests

    worker_id = f"{socket.gethostname()}:{os.getpid()}"
    scheduler = start_reminder_scheduler(
        services.engine,
        services.messenger,
        services.settings,
        UnansweredRequests(services),
        worker_id=worker_id,
    )
    from bot.services.housekeeping import housekeeping

    scheduler.add_job(
        housekeeping,
        "interval",
        args=[services],
        minutes=10,
        id="housekeeping",
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )
    add_booking_jobs(scheduler, services, worker_id)

    stop_sync = add_calendar_sync(services, scheduler, worker_id)

    def stop() -> None:
        scheduler.shutdown(wait=False)
        stop_sync()
        services.work.wait_idle(timeout=20)

    return stop


def add_calendar_sync(services: Services, scheduler: Any, worker_id: str) -> Callable[[], None]:
    """Poll Google Calendar for changes every CALENDAR_SYNC_EVERY (first run at once); with
    PUBLIC_URL the same job keeps the push channel open. Returns what to run on shutdown."""
    if services.calendar is None:
        return lambda: None
    from datetime import UTC, datetime

    from bot.services.calendar_sync.channel import stop_channel
    from bot.services.calendar_sync.job import CalendarSync

    sync = CalendarSync(services, worker_id=worker_id)
    scheduler.add_job(
        sync.tick,
        "interval",
        seconds=services.settings.calendar_sync_every.total_seconds(),
        id="calendar.sync",
        coalesce=True,
        max_instances=1,
        next_run_time=datetime.now(UTC),
        replace_existing=True,
    )

    def stop() -> None:
        try:
            stop_channel(services, worker_id)
        except Exception:  # shutting down: log and go on
            log.exception("could not stop the Calendar push channel")

    return stop


def add_booking_jobs(scheduler: Any, services: Services, worker_id: str) -> None:
    """Calendar intents every few seconds (leased per row, so every replica may run them) and
    the sweeper every minute (one replica at a time, by its job lease); both run once at start,
    so what a crash left behind is picked up as soon as the bot is back."""
    from datetime import UTC, datetime

    from bot.services.intent_worker import run_intents
    from bot.services.sweeper import sweep

    def intents() -> None:
        try:
            run_intents(services, worker_id=worker_id)
        except Exception:  # keep the job alive: the rows are all in the database
            log.exception("calendar intent run failed")

    def sweeper() -> None:
        try:
            sweep(services, holder=worker_id)
        except Exception:
            log.exception("sweep failed")

    for job, seconds, job_id in ((intents, 5, "calendar.intents"), (sweeper, 60, "sweeper")):
        scheduler.add_job(
            job,
            "interval",
            seconds=seconds,
            id=job_id,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
            next_run_time=datetime.now(UTC),
            replace_existing=True,
        )


def wsgi_app(services: Services, signing_secret: str) -> Callable[..., Iterable[bytes]]:
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    client = make_web_client(
        services.settings.require("SLACK_BOT_TOKEN", "to run the bot").get_secret_value(),
        services.settings.slack_api_url,
    )
    slack = SlackRequestHandler(build_app(services, client=client, signing_secret=signing_secret))
    from bot.web.app import create_public_app

    public = create_public_app(services)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        if public is not None and path not in ("/healthz", "/slack/events"):
            return public.wsgi_app(environ, start_response)
        if path == "/healthz":
            ok = database_ok(services.engine)
            body = json.dumps({"ok": ok}).encode()
            start_response(
                "200 OK" if ok else "503 Service Unavailable",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return slack(environ, start_response)

    return application


def database_ok(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure means "not healthy"; the reason is logged
        log.exception("health check: database unreachable")
        return False


def serve(
    settings: Settings, engine: Engine, org: OrgConfig, *, http: bool, host: str, port: int
) -> None:
    prepare(settings, engine, org)
    if http:
        serve_http(settings, host, port)
    else:
        serve_socket_mode(settings, engine, host=host, port=port)


def http_workers() -> int:
    """Worker processes: one per core (each has its own GIL), `WEB_CONCURRENCY` overrides.

    Every worker runs the background pool and the reminder scheduler too; that is safe because
    all coordination (delivery keys, compare-and-set, reminder leases) lives in the database.
    """
    configured = os.environ.get("WEB_CONCURRENCY", "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return max(1, min(os.cpu_count() or 1, 4))


def serve_http(settings: Settings, host: str, port: int) -> None:
    from gunicorn.app.base import BaseApplication

    secret = settings.require("SLACK_SIGNING_SECRET", "for run --http").get_secret_value()

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", http_workers())
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", HTTP_THREADS)
            self.cfg.set("timeout", 60)
            self.cfg.set("graceful_timeout", 20)
            self.cfg.set("loglevel", settings.log_level.lower())
            # No access log: request lines hold candidate tokens (/c/TOKEN).
            self.cfg.set("accesslog", None)

        def load(self) -> Callable[..., Iterable[bytes]]:
            # Runs in the worker process: engines, pools and the scheduler are made after fork.
            from storage.engine import make_engine

            services = build_services(settings, make_engine(settings.database_url))
            stop = start_background(services)
            import atexit

            atexit.register(stop)
            application = wsgi_app(services, secret)
            # Everything built so far lives as long as the process: keep the collector from
            # walking it again and again while requests are being answered.
            gc.collect()
            gc.freeze()
            return application

    log.info("serving Slack over HTTP on %s:%d (POST /slack/events, GET /healthz)", host, port)
    Server().run()


def start_public_server(services: Services, host: str, port: int) -> Callable[[], None] | None:
    """With PUBLIC_URL set, serve the public pages on `host:port` with waitress in a thread.

    Socket Mode needs no HTTP server for Slack, but candidate pages and Calendar push do.
    Waitress logs no request lines, so no candidate token reaches the logs. Returns the stop
    function, or None when nothing is public.
    """
    from bot.web.app import create_public_app

    public = create_public_app(services)
    if public is None:
        return None
    from waitress.server import create_server  # type: ignore[import-untyped]

    server = create_server(public, host=host, port=port, threads=HTTP_THREADS)
    thread = threading.Thread(target=server.run, name="public-http", daemon=True)
    thread.start()
    log.info("serving public pages on %s:%d", host, port)
    return server.close  # type: ignore[no-any-return]


def serve_socket_mode(
    settings: Settings, engine: Engine, *, host: str = "0.0.0.0", port: int = 3000
) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    app_token = settings.require("SLACK_APP_TOKEN", "for Socket Mode").get_secret_value()
    services = build_services(settings, engine)
    client = make_web_client(
        settings.require("SLACK_BOT_TOKEN", "to run the bot").get_secret_value(),
        settings.slack_api_url,
    )
    app = build_app(services, client=client, signing_secret=None)
    stop = start_background(services)
    stop_public = start_public_server(services, host, port)
    handler = SocketModeHandler(app, app_token)
    done = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: done.set())
    log.info("connecting to Slack in Socket Mode")
    handler.connect()  # type: ignore[no-untyped-call]
    try:
        done.wait()
    finally:
        log.info("shutting down")
        handler.close()  # type: ignore[no-untyped-call]
        if stop_public is not None:
            stop_public()
        stop()
