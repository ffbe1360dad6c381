"""Block Kit builders: whole structures compared, and Slack's limits under hostile input."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.blocks.common import clip, escape
from bot.blocks.loops import booked_summary
from bot.blocks.proposals import proposals_message
from bot.blocks.requests import answered_message, request_message
from bot.timefmt import clock_label
from bot.views import BookedView, OptionView, PersonTime, ProposalView, RequestView, SessionView

START = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
END = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


def request(**overrides: Any) -> RequestView:
    values: dict[str, Any] = {
        "request_id": 42,
        "loop_id": "L7F3K",
        "candidate": "Ada Lovelace",
        "stage_title": "Code review",
        "template_title": "Backend",
        "start": START,
        "end": END,
        "timezone": "Asia/Kolkata",
        "prep": "Read the PR",
    }
    values.update(overrides)
    return RequestView(**values)


def test_request_message_structure() -> None:
    text, blocks = request_message(request())
    details = (
        "*Candidate:* Ada Lovelace\n*Session:* Code review — Backend\n"
        "*When:* Wed 2 Dec 2026, 19:30–20:30 IST (60 min)\n*Prep:* Read the PR"
    )
    assert blocks == [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*Can you take an interview? Loop `L7F3K`*"},
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": details}},
        {
            "type": "actions",
            "block_id": "request:42",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Confirm", "emoji": True},
                    "action_id": "confirm_slot:42",
                    "value": "42",
                    "style": "primary",
                },
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Decline", "emoji": True},
                    "action_id": "decline_slot:42",
                    "value": "42",
                    "style": "danger",
                },
            ],
        },
    ]
    assert text.startswith("Can you take an interview? Loop `L7F3K`: Code review with Ada Lovelace")


def test_answered_message_has_no_buttons() -> None:
    _, blocks = answered_message(request(), "You declined")
    assert [b["type"] for b in blocks] == ["section", "section", "context"]
    assert blocks[0]["text"]["text"] == "*You declined* — loop `L7F3K`"


def test_zone_labels_for_odd_offsets() -> None:
    assert clock_label(START, END, "Asia/Kathmandu") == "19:45–20:45 UTC+05:45"
    assert clock_label(START, END, "Pacific/Chatham") == "03:45–04:45 UTC+13:45"
    assert clock_label(START, END, "America/Sao_Paulo") == "11:00–12:00 UTC-03:00"


def _texts(node: Any) -> list[tuple[str, str]]:
    """(kind, text) of every text object in a block tree."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and "text" in node:
            found.append((node["type"], node["text"]))
        for value in node.values():
            found += _texts(value)
    elif isinstance(node, list):
        for item in node:
            found += _texts(item)
    return found


def hostile_proposal(options: int = 5, per_option: int = 12) -> ProposalView:
    name = "Zoë 🧑‍💻 <script>&" * 300
    people = tuple(PersonTime(name, None, "Asia/Kathmandu") for _ in range(3))
    sessions = tuple(
        SessionView(stage="s", title=name, start=START, end=END, interviewers=people)
        for _ in range(per_option)
    )
    return ProposalView(
        loop_id="L7F3K",
        candidate=name,
        candidate_timezone="Pacific/Chatham",
        template_title=name,
        options=tuple(OptionView(i, sessions, why=name, score=0.5) for i in range(options)),
        unknown_calendars={name: "notFound"},
    )


def test_long_unicode_names_never_break_slack_limits() -> None:
    text, blocks = proposals_message(hostile_proposal())
    assert len(blocks) <= 50
    assert len(text) <= 3000
    for kind, value in _texts(blocks):
        assert len(value) <= 3000
        if kind == "plain_text":
            assert len(value) <= 150
    for block in blocks:
        accessory = block.get("accessory")
        if accessory:
            assert len(accessory["text"]["text"]) <= 75
            assert len(accessory["value"]) <= 2000
    # user text is escaped where Slack parses markup (plain_text is shown literally)
    assert not any("<script>" in v for kind, v in _texts(blocks) if kind == "mrkdwn")
    text, blocks = request_message(request(candidate="Ω" * 5000, prep="🙂" * 5000))
    assert all(len(v) <= 3000 for _, v in _texts(blocks))


def test_clip_and_escape() -> None:
    assert clip("abc", 3) == "abc"
    assert clip("abcdef", 4) == "abc…"
    assert clip("ab &amp; cd", 5) == "ab …"
    assert escape("<a&b>") == "&lt;a&amp;b&gt;"


def test_no_options_explains_and_suggests() -> None:
    view = ProposalView(
        "L7F3K", "Ada", "Europe/London", "Backend", (), reason="pool retro is empty"
    )
    text, blocks = proposals_message(view)
    assert "pool retro is empty" in text
    assert "wider window" in blocks[-1]["text"]["text"]


def test_booked_summary_links_meet() -> None:
    session = SessionView(
        "s",
        "Code review",
        START,
        END,
        (PersonTime("Ana", "U01ANA", "Europe/London"),),
        "booked",
        "https://meet.google.com/abc-defg-hij",
    )
    _, blocks = booked_summary(BookedView("L7F3K", "Ada", "Backend", "Europe/London", (session,)))
    assert "<https://meet.google.com/abc-defg-hij|Meet>" in blocks[1]["text"]["text"]
    assert "<@U01ANA>" in blocks[1]["text"]["text"]
