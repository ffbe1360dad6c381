"""The sandbox's Block Kit renderer draws every block the bot builds, and shows unknown ones.

Real outputs of every builder in bot/blocks/ and bot/reminders/render.py are rendered; for each
block the words of every text in it, and every action id, must appear in the HTML.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest

from bot.blocks.booking import booking_failed_notice
from bot.blocks.home import home_view
from bot.blocks.kit import BlockKit
from bot.blocks.loops import (
    booked_summary,
    cancelled_notice,
    pools_message,
    status_message,
    templates_message,
)
from bot.blocks.modal import schedule_modal
from bot.blocks.proposals import chosen_message, proposals_message
from bot.blocks.requests import answered_message, request_message
from bot.reminders import render as reminders
from bot.sandbox.mrkdwn import mrkdwn_html
from bot.sandbox.render import KNOWN_BLOCKS, render_blocks
from bot.views import (
    BookedView,
    HomeView,
    LoopStatus,
    OptionView,
    PersonTime,
    ProposalView,
    RequestView,
    SessionView,
)

START = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
NAMES = {"U01ANA": "Ana Souza", "U02BEN": "Ben Carter", "U0RECRUIT": "Recruiter 1"}

ANA = PersonTime("Ana Souza", "U01ANA", "Europe/London")
BEN = PersonTime("Ben Carter", "U02BEN", "America/New_York")


def session(stage: str, hours: int, *people: PersonTime, state: str = "proposed") -> SessionView:
    start = START + timedelta(hours=hours)
    return SessionView(
        stage, stage.title(), start, start + timedelta(hours=1), tuple(people), state,
        "https://meet.example/abc",
    )  # fmt: skip


def request(request_id: int = 7) -> RequestView:
    return RequestView(
        request_id, "L7F3K", "Ada <Lovelace> & co", "Code review", "Backend", START,
        START + timedelta(hours=1), "Asia/Kolkata", "Read the *PR*", ("Ben Carter",),
        notes="Focus on testing",
    )  # fmt: skip


def proposal() -> ProposalView:
    options = tuple(
        OptionView(
            i, (session("code-review", i, ANA), session("design", i + 1, ANA, BEN)), f"why {i}", 0.5
        )
        for i in range(3)
    )
    return ProposalView(
        "L7F3K", "Ada Lovelace", "Europe/London", "Backend", options,
        note="Two calendars could not be read",
    )  # fmt: skip


def loop_status() -> LoopStatus:
    return LoopStatus(
        "L7F3K", "Ada Lovelace", "Backend", "needs attention", "Europe/London",
        (session("code-review", 0, ANA, state="booked"),), START, attention="event moved",
    )  # fmt: skip


def booked() -> BookedView:
    return BookedView(
        "L7F3K",
        "Ada",
        "Backend",
        "Europe/London",
        (session("code-review", 0, ANA, state="booked"),),
    )


def every_built_message() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Every builder in bot/blocks/ (and the reminders' messages), with real view data."""
    kit = BlockKit()
    yield "proposals", proposals_message(proposal())[1]
    yield (
        "proposals-none",
        proposals_message(
            ProposalView("L7F3K", "Ada", "Europe/London", "Backend", (), reason="No one is free")
        )[1],
    )
    yield "chosen", chosen_message(proposal(), 1, "U0RECRUIT")[1]
    yield "request", request_message(request())[1]
    yield "answered", answered_message(request(), "You confirmed")[1]
    yield "booked", booked_summary(booked())[1]
    yield "booking-failed", booking_failed_notice("L7F3K", "Google answered 500")[1]
    yield "kit-note", kit.note("*Loop* `L7F3K`: asking interviewers")[1]
    yield "status", status_message("Loops for ada@example.com", [loop_status()])[1]
    yield "status-empty", status_message("Loops", [])[1]
    yield "templates", templates_message([("backend-swe", "Backend", ["Code review"])])[1]
    yield "pools", pools_message([("code-review", ["Ana Souza 1/4"])])[1]
    yield "home", home_view(HomeView((request(8),), (request(9),), (loop_status(),)))["blocks"]
    yield "home-interviewer", home_view(HomeView((), (), None))["blocks"]
    yield "modal", schedule_modal([("backend-swe", "Backend")], "Europe/London")["blocks"]
    about = reminders.Interview(
        "L7F3K", "Ada", "Code review", START, START + timedelta(hours=1), "Europe/London"
    )
    yield (
        "reminder",
        reminders.session_reminder(
            about, prep="Read it", meet_link="https://meet.example/abc", lead=timedelta(hours=1)
        ).blocks,
    )
    yield "nudge", reminders.confirm_nudge(about, nudge_number=2, request_id=7).blocks
    yield (
        "escalation",
        reminders.unanswered_escalation(
            about, interviewer_name="Ana Souza", interviewer_slack_id="U01ANA", nudges=2
        ).blocks,
    )
    yield "feedback", reminders.feedback_due(about).blocks
    yield (
        "finished",
        reminders.loop_finished(
            short_id="L7F3K",
            candidate_name="Ada",
            loop_title="Backend",
            timezone="Europe/London",
            sessions=[
                reminders.SessionLine(
                    "Code review", START, START + timedelta(hours=1), ("Ana Souza",)
                )
            ],
        ).blocks,
    )
    yield (
        "unreachable",
        reminders.unreachable(
            short_id="L7F3K",
            who_name="Ana",
            who_slack_id="U01ANA",
            what="a reminder",
            error="account_inactive",
        ).blocks,
    )


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # a placeholder or a prefilled value is on screen too
        self.parts += [
            v or "" for k, v in attrs if k in ("placeholder", "value") and tag != "option"
        ]

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def visible(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def texts(value: Any) -> Iterator[str]:
    """Every text a person would read in a block (text objects' text, recursively)."""
    if isinstance(value, dict):
        if value.get("type") in ("mrkdwn", "plain_text") and isinstance(value.get("text"), str):
            yield value["text"]
        for key, inner in value.items():
            if key not in ("value", "action_id", "block_id"):
                yield from texts(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from texts(inner)


def words(text: str) -> list[str]:
    text = re.sub(r"<@([A-Z0-9]+)>", lambda m: NAMES.get(m.group(1), m.group(1)), text)
    text = re.sub(r"<[^|<>]+\|([^<>]+)>", r"\1", text)  # a link shows its label
    text = re.sub(r":[a-z0-9_+-]+:", " ", text)  # emoji names become emoji
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return re.findall(r"[A-Za-z0-9]{2,}", text)


def action_ids(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if "action_id" in value:
            yield str(value["action_id"])
        for inner in value.values():
            yield from action_ids(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from action_ids(inner)


MESSAGES = list(every_built_message())


def test_the_bot_builds_only_block_types_the_renderer_draws() -> None:
    built = {block["type"] for _, blocks in MESSAGES for block in blocks}
    assert built <= KNOWN_BLOCKS
    # the builders really cover the interesting types
    assert {"header", "section", "context", "divider", "actions", "input"} <= built


@pytest.mark.parametrize(("name", "blocks"), MESSAGES, ids=[name for name, _ in MESSAGES])
def test_every_block_shows_its_content(name: str, blocks: list[dict[str, Any]]) -> None:
    assert blocks, name
    for block in blocks:
        html = str(render_blocks([block], NAMES))
        shown = visible(html)
        assert "not drawn by the sandbox" not in shown, block
        for text in texts(block):
            for word in words(text):
                assert word in shown, (word, text, html)
        for action_id in action_ids(block):
            assert f'data-action-id="{action_id}"' in html, (action_id, html)


def test_section_fields_and_accessory_select() -> None:
    block = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "Pick"},
        "fields": [{"type": "mrkdwn", "text": "*Left*"}, {"type": "plain_text", "text": "Right"}],
        "accessory": {
            "type": "static_select",
            "action_id": "pick:1",
            "options": [{"text": {"type": "plain_text", "text": "One"}, "value": "1"}],
        },
    }
    html = str(render_blocks([block]))
    assert '<div class="bk-field"><strong>Left</strong></div>' in html
    assert "Right" in html
    assert 'data-action-id="pick:1"' in html and ">One</option>" in html


def test_unknown_block_types_are_shown_not_dropped() -> None:
    html = str(render_blocks([{"type": "video", "title": {"type": "plain_text", "text": "<b>"}}]))
    assert "video" in visible(html)
    assert "&lt;b&gt;" in html and "<b>" not in html  # escaped, never markup


def test_mrkdwn_is_escaped_before_formatting() -> None:
    html = str(
        mrkdwn_html(
            "*bold* <@U01ANA> &lt;script&gt; `a*b*` <https://x.example/a_b|go> <javascript:x|no>",
            NAMES,
        )
    )
    assert "<strong>bold</strong>" in html
    assert '<span class="bk-mention">@Ana Souza</span>' in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "<code>a*b*</code>" in html
    assert '<a href="https://x.example/a_b"' in html and ">go</a>" in html
    assert "javascript" not in html


def test_cancelled_notice_text_renders() -> None:
    text = cancelled_notice("L7F3K", "Ada <x>", "Code review", "Mon 7 Dec", "moved")
    shown = visible(str(mrkdwn_html(text, NAMES)))
    for word in words(text):
        assert word in shown
