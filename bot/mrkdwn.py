"""Person-supplied text in Slack's `text` and mrkdwn, made safe in one place.

Slack parses `&`, `<` and `>` in message text: `<https://…|label>` is a link, `<@U…>` a
mention, `<!channel>` a broadcast, `<!date^…>` a date token. It escapes those three characters
in text it sends us (slash commands) and expects the same from us. So text typed by people is
unescaped once on input (`unescape`) and stored as typed, and every person-supplied string the
bot shows in `text` or mrkdwn (profile names, candidate names, reasons, titles, notes) goes
through `escape`; people are shown as mentions when Slack can render them (`who`). Neutral:
services, builders, reminders and the command grammar all use it. Pure functions.
"""

from __future__ import annotations

import re

SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")


def escape(text: str) -> str:
    """The one escaping function: a name like `<https://evil.example|Re-confirm here>` then
    shows as typed and can never become a link, mention, date token or broadcast."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Undo Slack's escaping of text it sends us: store the real characters."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def who(slack_id: str | None, name: str | None) -> str:
    """A person in mrkdwn: a mention Slack renders (`<@U…>`), else their escaped name.

    The id is checked, so an org file's `slack_id` can never smuggle markup in either.
    """
    if slack_id and SLACK_USER_ID.match(slack_id):
        return f"<@{slack_id}>"
    return escape(name or "someone")
