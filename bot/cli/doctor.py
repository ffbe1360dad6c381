"""`interview-bot doctor`: one line per check (configuration, database, org file, Slack, Google).

Read-only: it reports the schema revision rather than migrating, and never writes to Slack or
Google beyond `auth.test` and one free/busy query.
"""

from __future__ import annotations

from collections.abc import Callable

import typer
from pydantic import ValidationError

from bot.settings import Settings
from bot.slack_scopes import BOT_SCOPES

Check = tuple[bool, str]


def check_config(settings: Settings) -> Check:
    if settings.slack_bot_token is None:
        return False, "SLACK_BOT_TOKEN is not set (see .env.example)"
    modes = []
    if settings.slack_app_token is not None:
        modes.append("Socket Mode")
    if settings.slack_signing_secret is not None:
        modes.append("HTTP")
    if not modes:
        return False, "set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP)"
    google = "Google configured" if settings.google_configured else "Google NOT configured"
    return True, f"ready for {' and '.join(modes)}; {google}"


def check_database(settings: Settings) -> Check:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from storage.engine import make_engine
    from storage.migrate import alembic_config

    try:
        engine = make_engine(settings.database_url)
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
        engine.dispose()
    except Exception as error:  # any driver error is a failed check, reported in one line
        return False, f"cannot connect to DATABASE_URL: {str(error).splitlines()[0]}"
    head = ScriptDirectory.from_config(alembic_config(settings.database_url)).get_current_head()
    if current != head:
        found = current or "nothing"
        return False, f"schema at {found}, newest is {head}: run `interview-bot db upgrade`"
    return True, f"reachable, schema at {head}"


def check_org(settings: Settings) -> Check:
    from bot.org import OrgFileError, load_org_file

    try:
        org = load_org_file(settings.org_config)
    except OrgFileError as error:
        return False, str(error)
    return True, (
        f"{settings.org_config}: {len(org.interviewers)} interviewers, "
        f"{len(org.pools())} pools, {len(org.templates)} templates, "
        f"{len(org.recruiters)} recruiters"
    )


def check_directory(settings: Settings) -> Check:
    """Interviewers sync-org could not resolve: no Slack id (can't be asked) fails the check; no
    zone (planned in the org zone) is listed but passes."""
    from bot.services.attention import unresolved_interviewers
    from bot.services.directory import OrgNotLoadedError
    from storage.engine import make_engine, read_scope

    try:
        engine = make_engine(settings.database_url)
        try:
            with read_scope(engine) as session:
                lines = unresolved_interviewers(session=session)
        finally:
            engine.dispose()
    except OrgNotLoadedError:
        return True, "skipped: no org file loaded into the database yet (`interview-bot sync-org`)"
    except Exception as error:  # an unmigrated or unreachable database: reported above
        return False, f"cannot read interviewers: {str(error).splitlines()[0]}"
    if not lines:
        return True, "every interviewer has a Slack account and a time zone"
    unreachable = [line for line in lines if "can't be asked" in line]
    return not unreachable, f"{len(lines)} unresolved: " + "; ".join(lines)


def check_slack(settings: Settings) -> Check:
    from slack_sdk.errors import SlackApiError, SlackClientError

    from integrations.slack.messenger import make_web_client

    if settings.slack_bot_token is None:
        return False, "skipped: SLACK_BOT_TOKEN is not set"
    token = settings.slack_bot_token.get_secret_value()
    client = make_web_client(token, settings.slack_api_url, max_retries=1)
    try:
        response = client.auth_test()
    except SlackApiError as error:
        return False, f"auth.test failed: {error.response.get('error')}"
    except SlackClientError as error:
        return False, f"cannot reach Slack at {settings.slack_api_url}: {error}"
    header = response.headers.get("x-oauth-scopes") or response.headers.get("X-OAuth-Scopes")
    who = f"as {response.get('user') or response.get('user_id')} in {response.get('team')}"
    if header is None:
        return True, f"auth.test ok {who} (token scopes not reported)"
    granted = {scope.strip() for scope in str(header).split(",") if scope.strip()}
    missing = sorted(BOT_SCOPES - granted)
    if missing:
        return False, (
            f"auth.test ok {who}, but the token lacks scopes from manifest.yml: "
            f"{', '.join(missing)} (reinstall the app)"
        )
    return True, f"auth.test ok {who}; all manifest scopes granted"


def check_google(settings: Settings) -> Check:
    if not settings.google_configured:
        return False, "GOOGLE_SERVICE_ACCOUNT_FILE and GOOGLE_ORGANIZER_EMAIL are not both set"
    from integrations.google import check

    return check(settings)


CHECKS: tuple[tuple[str, Callable[[Settings], Check]], ...] = (
    ("config", check_config),
    ("database", check_database),
    ("org", check_org),
    ("directory", check_directory),
    ("slack", check_slack),
    ("google", check_google),
)


def doctor_command() -> None:
    """Check configuration, database, org file, Slack (auth.test) and Google (free/busy)."""
    try:
        settings = Settings()
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        key = str(first["loc"][0]).upper() if first["loc"] else "settings"
        typer.echo(f"FAIL config: {key}: {first['msg']}")
        raise typer.Exit(1) from None
    failed = 0
    for name, check in CHECKS:
        ok, message = check(settings)
        failed += not ok
        typer.echo(f"{'ok  ' if ok else 'FAIL'} {name}: {message}")
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor_command)
