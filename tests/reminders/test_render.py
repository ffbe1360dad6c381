"""Message rendering: pure functions, no database."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from bot import timefmt
from bot.reminders import render

START = datetime(2026, 12, 8, 14, 0, tzinfo=UTC)
END = START + timedelta(hours=1)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Europe/London", "Tue 8 Dec, 14:00–15:00 GMT"),
        ("America/New_York", "Tue 8 Dec, 09:00–10:00 EST"),
        ("Asia/Kolkata", "Tue 8 Dec, 19:30–20:30 IST"),
        ("America/Sao_Paulo", "Tue 8 Dec, 11:00–12:00 UTC-03:00"),
        ("Asia/Kathmandu", "Tue 8 Dec, 19:45–20:45 UTC+05:45"),
        ("Pacific/Auckland", "Wed 9 Dec, 03:00–04:00 NZDT"),
        (None, "Tue 8 Dec, 14:00–15:00 UTC"),
        ("Not/AZone", "Tue 8 Dec, 14:00–15:00 UTC"),
    ],
)
def test_time_range_is_in_the_readers_zone(zone: str | None, expected: str) -> None:
    assert timefmt.time_range(START, END, zone) == expected


def test_time_range_over_midnight_names_both_days() -> None:
    start = datetime(2026, 12, 8, 23, 30, tzinfo=UTC)
    text = timefmt.time_range(start, start + timedelta(hours=1), "Europe/London")
    assert text == "Tue 8 Dec, 23:30 GMT – Wed 9 Dec, 00:30 GMT"


def test_summer_time_label() -> None:
    start = datetime(2026, 7, 7, 13, 0, tzinfo=UTC)
    assert timefmt.time_range(start, start + timedelta(minutes=45), "Europe/London") == (
        "Tue 7 Jul, 14:00–14:45 BST"
    )


@pytest.mark.parametrize(
    ("lead", "text"),
    [
        (timedelta(hours=24), "24 hours"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(minutes=30), "30 minutes"),
        (timedelta(days=2), "2 days"),
        (timedelta(minutes=90), "1 hour 30 minutes"),
        (timedelta(0), "0 minutes"),
    ],
)
def test_lead(lead: timedelta, text: str) -> None:
    assert timefmt.duration(lead) == text


def test_session_reminder_has_everything_an_interviewer_needs() -> None:
    message = render.session_reminder(
        render.Interview(
            short_id="L7F3K",
            candidate_name="Ada <Lovelace> & Co",
            stage_title="Code review",
            start=START,
            end=END,
            timezone="Europe/London",
        ),
        prep="Ask about *caching*.",
        meet_link="https://meet.google.com/abc-defg-hij",
        lead=timedelta(hours=1),
    )
    body = "\n".join(
        block["text"]["text"] for block in message.blocks if block["type"] == "section"
    )
    assert "Tue 8 Dec, 14:00–15:00 GMT" in body
    assert "Ada &lt;Lovelace&gt; &amp; Co" in body  # escaped for mrkdwn
    assert "starts in 1 hour" in body
    assert "<https://meet.google.com/abc-defg-hij|Join Google Meet>" in body
    assert "Ask about *caching*." in body
    assert "`L7F3K`" in message.blocks[-1]["elements"][0]["text"]
    assert "`L7F3K`" in message.text
    assert "Tue 8 Dec, 14:00–15:00 GMT" in message.text


def _sections(message: render.Message) -> list[str]:
    texts = []
    for block in message.blocks:
        if block["type"] == "section":
            texts.append(block["text"]["text"])
        else:
            texts.extend(element["text"] for element in block["elements"])
    return texts


def test_long_fields_stay_inside_block_kit_limits() -> None:
    huge = "x&y<z> " * 2000
    message = render.session_reminder(
        render.Interview(
            short_id="L7F3K",
            candidate_name=huge,
            stage_title=huge,
            start=START,
            end=END,
            timezone="UTC",
        ),
        prep=huge,
        meet_link="https://meet.example/" + "a" * 4000,
        lead=None,
    )
    for text in [*_sections(message), message.text]:
        assert len(text) <= render.SECTION_LIMIT
    finished = render.loop_finished(
        short_id="L7F3K",
        candidate_name="Ada",
        loop_title=huge,
        sessions=[render.SessionLine(huge, START, END, (huge,))] * 20,
        timezone="UTC",
    )
    assert all(len(text) <= render.SECTION_LIMIT for text in _sections(finished))
    assert len(finished.blocks) <= 50


@pytest.mark.parametrize(
    "text",
    [
        "a" * 2990 + "<https://example.com/very/long|link>",
        "a" * 2995 + "&amp;&amp;",
        "b" * 5000,
    ],
)
def test_clip_never_splits_a_link_or_an_entity(text: str) -> None:
    clipped = render.clip(text)
    assert len(clipped) <= render.SECTION_LIMIT
    assert clipped.endswith(render.ELLIPSIS)
    body = clipped[: -len(render.ELLIPSIS)]
    assert body.count("<") == body.count(">")
    assert "&" not in re.sub(r"&(amp|lt|gt);", "", body)  # no entity cut in half


def test_nudge_escalation_feedback_finished_and_unreachable_name_the_loop() -> None:
    nudge = render.confirm_nudge(
        render.Interview(
            short_id="L7F3K",
            candidate_name="Ada",
            stage_title="Code review",
            start=START,
            end=END,
            timezone="America/New_York",
        ),
        nudge_number=2,
    )
    assert "still waiting" in nudge.blocks[0]["text"]["text"]
    assert "Tue 8 Dec, 09:00–10:00 EST" in nudge.text
    escalation = render.unanswered_escalation(
        render.Interview(
            short_id="L7F3K",
            candidate_name="Ada",
            stage_title="Code review",
            start=START,
            end=END,
            timezone="America/Los_Angeles",
        ),
        interviewer_name="Ana Lima",
        interviewer_slack_id="U01ANA",
        nudges=2,
    )
    assert "Ana Lima (<@U01ANA>)" in escalation.blocks[0]["text"]["text"]
    assert "after 2 reminders" in escalation.blocks[0]["text"]["text"]
    assert "/interview reschedule L7F3K" in escalation.blocks[1]["text"]["text"]
    feedback = render.feedback_due(
        render.Interview(
            short_id="L7F3K",
            candidate_name="Ada",
            stage_title="Code review",
            start=START,
            end=END,
            timezone="UTC",
        ),
    )
    finished = render.loop_finished(
        short_id="L7F3K",
        candidate_name="Ada",
        loop_title="Backend engineer",
        sessions=[render.SessionLine("Code review", START, END, ("Ana Lima",))],
        timezone="UTC",
    )
    assert "Ana Lima" in finished.blocks[1]["text"]["text"]
    gone = render.unreachable(
        short_id="L7F3K",
        who_name="Ana Lima",
        who_slack_id="U01ANA",
        what="a reminder about Code review",
        error="account_inactive",
    )
    assert "Ana Lima" in gone.text
    assert "`account_inactive`" in gone.blocks[0]["text"]["text"]
    for message in (nudge, escalation, feedback, finished, gone):
        assert "`L7F3K`" in message.text
