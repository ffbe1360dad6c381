"""The `interview-bot` command line; each command lives in its own module with `register(app)`.

Exit codes follow the contract: 0 ok, 1 runtime failure, 2 bad input or configuration, and bad
input is one line on stderr naming the problem, never a traceback.
"""

from __future__ import annotations

import sys

import typer

from bot.cli import calendar, db, doctor, org, plan, run, sandbox
from bot.cli.errors import BadInputError, RuntimeFailureError

app = typer.Typer(
    name="interview-bot",
    help="Interview-loop scheduler for Slack and Google Calendar.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for module in (run, db, org, plan, calendar, doctor, sandbox):
    module.register(app)


def main() -> None:
    """Run the CLI: every error, ours or a usage error, is one line on stderr."""
    try:
        result = app(prog_name="interview-bot", standalone_mode=False)
    except BadInputError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    except RuntimeFailureError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    except typer.TyperException as error:  # usage errors: unknown command, bad option value
        message = " ".join(error.format_message().split())
        print(f"error: {message} (see interview-bot --help)", file=sys.stderr)
        sys.exit(error.exit_code)
    except typer.Abort:
        print("error: aborted", file=sys.stderr)
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)
