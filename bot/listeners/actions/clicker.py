"""Who clicked a button, and where: in a message or on App Home.

A click on App Home has no message to answer in (`respond` goes nowhere useful), so the
listeners that can be clicked from both places answer by DM and refresh Home instead.
"""

from __future__ import annotations

from typing import Any


def clicker(body: dict[str, Any]) -> tuple[str, bool]:
    """The clicking user's Slack id, and whether the button sat on App Home (a view)."""
    user = str(body.get("user", {}).get("id", ""))
    return user, body.get("container", {}).get("type") == "view"
