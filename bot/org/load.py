"""Reading the org file and turning any problem into one line: file, field path, reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.org.schema import OrgConfig


class OrgFileError(ValueError):
    """The org file is unreadable or invalid; the message is one line naming file and field."""


def _path(location: tuple[int | str, ...]) -> str:
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _first_error(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    location = tuple(part for part in first["loc"] if not str(part).startswith("function-"))
    message = str(first["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    path = _path(location)
    if first["type"] == "extra_forbidden":
        message = "unknown field"
    elif first["type"] == "missing":
        message = "field required"
    if "input" in first and first["type"] not in {"missing", "extra_forbidden"}:
        shown = first["input"]
        if not isinstance(shown, dict | list) and repr(shown) not in message:
            message = f"{message} (got {shown!r})"
    if path:
        return f"{path}: {message}"
    return message


def parse_org(data: Any, *, source: str = "org file") -> OrgConfig:
    if not isinstance(data, dict):
        raise OrgFileError(f"{source}: expected a mapping at the top level")
    try:
        return OrgConfig.model_validate(data)
    except ValidationError as error:
        raise OrgFileError(f"{source}: {_first_error(error)}") from None


def load_org_file(path: Path) -> OrgConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OrgFileError(f"{path}: file not found (set ORG_CONFIG or pass the file)") from None
    except OSError as error:
        raise OrgFileError(f"{path}: cannot read ({error.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "invalid YAML"
        raise OrgFileError(f"{path}: invalid YAML{where}: {problem}") from None
    return parse_org(data, source=str(path))
