"""`interview-bot plan FILE`: the offline planner (CONTRACT.md sections 1 and 5).

Reads one planning request (or, for a `.jsonl` file or with `--jsonl`, one request per line) and
prints the answer JSON on stdout.  Bad input never produces a traceback: a single bad request is
one `error:` line on stderr naming the field by its path, with nothing on stdout, and exit code 2;
in a batch every line is still answered (a bad one with `{"error": "<path: problem>"}`), and the
exit code is 2 at the end if any line was bad.  Blank lines in a batch are skipped.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.errors import BadInputError
from bot.planner import PlanInputError, plan_json


class _InvalidJSONError(ValueError):
    """The text is not one JSON document; `str()` is one line."""


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not allowed in JSON")


def _load(text: str) -> object:
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise _InvalidJSONError(
            f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
    except ValueError as error:
        raise _InvalidJSONError(f"invalid JSON: {error}") from None
    except RecursionError:
        raise _InvalidJSONError("invalid JSON: nested too deeply") from None


def _answer(text: str) -> dict[str, object]:
    """Plan one request given as JSON text; raises ValueError (one line) for bad input."""
    return plan_json(_load(text))


def _read(file: str) -> tuple[str, str]:
    """(text, name for messages) of FILE, `-` being stdin."""
    if file == "-":
        try:
            return sys.stdin.read(), "stdin"
        except UnicodeDecodeError as error:
            raise BadInputError(f"stdin: not UTF-8 text ({error.reason})") from None
    try:
        return Path(file).read_text(encoding="utf-8-sig"), file
    except UnicodeDecodeError as error:
        raise BadInputError(f"{file}: not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise BadInputError(f"{file}: cannot read ({error.strerror or error})") from None


def _single(text: str, name: str) -> None:
    try:
        answer = _answer(text)
    except (_InvalidJSONError, PlanInputError) as error:
        raise BadInputError(f"{name}: {error}") from None
    sys.stdout.write(json.dumps(answer, indent=2) + "\n")
    sys.stdout.flush()


def _batch(text: str, name: str) -> None:
    bad: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            answer = _answer(line)
        except (_InvalidJSONError, PlanInputError) as error:
            bad.append(number)
            answer = {"error": str(error)}
        sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
    if bad:
        lines = ", ".join(str(number) for number in bad)
        plural = "s" if len(bad) > 1 else ""
        raise BadInputError(
            f'{name}: line{plural} {lines} not a valid request (answered with {{"error": ...}})'
        )


def plan_command(
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE",
            help="Planning request as JSON ('-' reads stdin); a .jsonl file holds one per line.",
            show_default=False,
        ),
    ],
    jsonl: Annotated[
        bool,
        typer.Option("--jsonl", help="Read one request per line whatever the file name."),
    ] = False,
) -> None:
    """Plan interview loops offline and print the answer as JSON."""
    text, name = _read(file)
    if jsonl or file.endswith(".jsonl"):
        _batch(text, name)
    else:
        _single(text, name)


def register(app: typer.Typer) -> None:
    app.command("plan")(plan_command)
