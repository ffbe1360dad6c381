"""Jinja rendering of the sandbox page and of Block Kit (autoescape on: payloads are untrusted)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from bot.sandbox.mrkdwn import mrkdwn_html, plain_html

KNOWN_BLOCKS = frozenset(
    {"header", "section", "context", "divider", "actions", "input", "image", "rich_text"}
)


def text_html(value: Any, names: Mapping[str, str] | None = None) -> Markup:
    """A text object (`mrkdwn` or `plain_text`) or a bare string, as HTML."""
    if isinstance(value, Mapping):
        text = str(value.get("text", ""))
        if value.get("type") == "mrkdwn":
            return mrkdwn_html(text, names)
        return plain_html(text)
    if value is None:
        return Markup("")
    return plain_html(str(value))


def local_time(moment: datetime | str, zone: str, fmt: str = "%a %d %b %H:%M") -> str:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return moment.astimezone(ZoneInfo(zone)).strftime(fmt)


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("bot.sandbox", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["mrkdwn"] = mrkdwn_html
    env.filters["text"] = text_html
    env.filters["local_time"] = local_time
    env.filters["pretty_json"] = pretty_json
    env.globals["KNOWN_BLOCKS"] = KNOWN_BLOCKS
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def render_blocks(
    blocks: Sequence[Mapping[str, Any]],
    names: Mapping[str, str] | None = None,
    *,
    errors: Mapping[str, str] | None = None,
) -> Markup:
    """Block Kit blocks as HTML; unknown block types are shown with their JSON, not dropped."""
    module = environment().get_template("blocks.html").module
    html: str = module.blocks(blocks, names or {}, errors or {})  # type: ignore[attr-defined]
    return Markup(html)
