"""Slack mrkdwn to HTML, safely: escape first, then add only the tags we choose.

Everything here comes from Slack payloads and is untrusted. Slack's own escaping (`&amp;`,
`&lt;`, `&gt;`) is undone and the text is HTML-escaped; `<…>` tokens (links, mentions) and code
spans are swapped for placeholders before `*bold*`, `_italic_` and `~strike~` are applied, so
formatting can never reach inside a URL or a code span. Only http(s) and mailto links become
links.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from markupsafe import Markup, escape

TOKEN = re.compile(r"<([^<>\n]+)>")
CODE_BLOCK = re.compile(r"```(.+?)```", re.DOTALL)
CODE = re.compile(r"`([^`\n]+)`")
BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
EMOJI = re.compile(r":([a-z0-9_+-]+):")
SAFE_SCHEMES = ("http://", "https://", "mailto:")

EMOJIS = {
    "warning": "⚠️",
    "white_check_mark": "✅",
    "heavy_check_mark": "✔️",
    "x": "❌",
    "no_entry": "⛔",
    "calendar": "📆",
    "date": "📅",
    "spiral_calendar_pad": "🗓️",
    "alarm_clock": "⏰",
    "clock1": "🕐",
    "hourglass": "⌛",
    "hourglass_flowing_sand": "⏳",
    "bell": "🔔",
    "memo": "📝",
    "link": "🔗",
    "wave": "👋",
    "tada": "🎉",
    "sparkles": "✨",
    "star": "⭐",
    "information_source": "ℹ️",
    "mag": "🔍",
    "arrows_counterclockwise": "🔄",
    "repeat": "🔁",
    "bust_in_silhouette": "👤",
    "busts_in_silhouette": "👥",
    "video_camera": "📹",
    "thumbsup": "👍",
    "+1": "👍",
    "pray": "🙏",
    "rotating_light": "🚨",
    "email": "📧",
    "incoming_envelope": "📨",
    "pencil": "📝",
    "pencil2": "✏️",
    "speech_balloon": "💬",
    "question": "❓",
    "exclamation": "❗",
    "large_green_circle": "🟢",
    "large_yellow_circle": "🟡",
    "red_circle": "🔴",
}


def unescape_slack(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _emoji(text: str) -> str:
    return EMOJI.sub(lambda m: EMOJIS.get(m.group(1), m.group(0)), text)


def _token(inner: str, names: Mapping[str, str]) -> Markup:
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        user = target[1:]
        name = names.get(user) or unescape_slack(label) or user
        return Markup('<span class="bk-mention">@{}</span>').format(name)
    if target.startswith("#"):
        return Markup('<span class="bk-mention">#{}</span>').format(
            unescape_slack(label) or target[1:]
        )
    if target.startswith("!"):
        if target.startswith("!date^"):
            return Markup("{}").format(unescape_slack(label))
        word = target[1:].split("^", 1)[0]
        return Markup('<span class="bk-mention">@{}</span>').format(word)
    url = unescape_slack(target)
    text = unescape_slack(label) if label else url
    if url.lower().startswith(SAFE_SCHEMES):
        return Markup('<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>').format(
            url, text
        )
    return Markup("{}").format(text)


def mrkdwn_html(text: str, names: Mapping[str, str] | None = None) -> Markup:
    """Render Slack mrkdwn `text`; `names` maps user ids to display names for mentions."""
    names = names or {}
    text = text.replace("\x00", "")
    holders: list[Markup] = []

    def hold(markup: Markup) -> str:
        holders.append(markup)
        return f"\x00{len(holders) - 1}\x00"

    def code_block(match: re.Match[str]) -> str:
        return hold(Markup("<pre>{}</pre>").format(unescape_slack(match.group(1))))

    def code(match: re.Match[str]) -> str:
        return hold(Markup("<code>{}</code>").format(unescape_slack(match.group(1))))

    text = CODE_BLOCK.sub(code_block, text)
    text = CODE.sub(code, text)
    text = TOKEN.sub(lambda m: hold(_token(m.group(1), names)), text)
    html = str(escape(_emoji(unescape_slack(text))))
    html = BOLD.sub(r"<strong>\1</strong>", html)
    html = ITALIC.sub(r"<em>\1</em>", html)
    html = STRIKE.sub(r"<del>\1</del>", html)
    html = html.replace("\n", "<br>")
    restore: Callable[[re.Match[str]], str] = lambda m: str(holders[int(m.group(1))])  # noqa: E731
    return Markup(re.sub(r"\x00(\d+)\x00", restore, html))


def plain_html(text: str) -> Markup:
    """A `plain_text` object's text (emoji names become emoji, nothing else)."""
    return escape(_emoji(text)).replace("\n", Markup("<br>"))
