"""Text safety: command text is unescaped on input; person-supplied text is escaped on output.

Every assertion is on what reached the fake Slack Web API (messages, response URL bodies,
views) through the real bolt app and signed requests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from sqlmodel import select

from storage.engine import session_scope
from storage.models import Candidate, Interviewer, Loop, LoopTemplate
from tests.slack.conftest import RECRUITER, Harness

EVIL_LINK = "<https://evil.example|Re-confirm here>"
EVIL_LINK_SHOWN = "&lt;https://evil.example|Re-confirm here&gt;"
ALL = ("U01ANA", "U02BEN", "U03CHI", "U04DAN", "U05EVA", "U06FAY", "U07GUS")


def slack_escaped(text: str) -> str:
    """How Slack delivers typed text in a slash command."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn_texts(payload: Any) -> Iterator[str]:
    """Every string Slack parses for markup: top-level `text` and mrkdwn text objects."""
    if isinstance(payload, dict):
        if isinstance(payload.get("text"), str) and payload.get("type") != "plain_text":
            yield payload["text"]
        for key, value in payload.items():
            if key != "text" or not isinstance(value, str):
                yield from mrkdwn_texts(value)
    elif isinstance(payload, list):
        for item in payload:
            yield from mrkdwn_texts(item)


def everything_sent(harness: Harness) -> list[str]:
    sent: list[str] = []
    for method in ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url"):
        for call in harness.slack.calls(method):
            sent += mrkdwn_texts(call.args)
    for call in harness.slack.calls("views.publish"):
        sent += mrkdwn_texts(call.args.get("view"))
    return sent


def assert_no_live_markup(harness: Harness, *raw: str) -> None:
    texts = everything_sent(harness)
    assert texts, "nothing was sent"
    for text in texts:
        for bad in raw:
            assert bad not in text, f"{bad!r} reached Slack unescaped in {text!r}"


def confirm_everything(harness: Harness) -> None:
    for person in ALL:
        for button in harness.pending_request_buttons(person):
            harness.click(button["action_id"], button["value"], person)


def test_command_text_is_unescaped_and_stored_as_typed(harness: Harness) -> None:
    with session_scope(harness.engine) as session:
        session.exec(select(LoopTemplate)).one().title = "R&D Backend"
    harness.command(
        f'schedule ada@cand.example backend-swe name="{slack_escaped("Tom & Jerry")}" '
        "tz=Europe/London from=2026-12-02 to=2026-12-04"
    )
    with session_scope(harness.engine) as session:
        (candidate,) = session.exec(select(Candidate)).all()
        assert candidate.name == "Tom & Jerry"
    proposal = harness.dms(RECRUITER)[-1]
    header = proposal["blocks"][0]
    assert header["text"] == {
        "type": "plain_text",
        "text": "Interview options for Tom & Jerry",
        "emoji": True,
    }
    assert "Tom &amp; Jerry" in proposal["text"]
    assert all("&amp;amp;" not in text for text in everything_sent(harness))
    button = harness.buttons(proposal, "choose_option")[0]
    harness.click(button["action_id"], button["value"], RECRUITER)
    asked = [m for u in ALL for m in harness.dms(u) if harness.buttons(m, "confirm_slot")]
    assert len(asked) == 4
    assert all("*Candidate:* Tom &amp; Jerry" in str(m["blocks"]) for m in asked)
    confirm_everything(harness)
    summaries = {event["summary"] for event in harness.calendar.events.values()}
    assert len(summaries) == 3  # calendar text is not Slack text: nothing escaped there
    assert all(summary.endswith(" — R&D Backend") for summary in summaries), summaries


def test_hostile_candidate_name_and_reason_never_become_markup(harness: Harness) -> None:
    name = "<!channel> <@U0RECRUIT> <!date^1392734382^{date}|x>"
    harness.command(
        f'schedule ada@cand.example backend-swe name="{slack_escaped(name)}" '
        "tz=Europe/London from=2026-12-02 to=2026-12-04"
    )
    proposal = harness.dms(RECRUITER)[-1]
    assert (
        "&lt;!channel&gt; &lt;@U0RECRUIT&gt; &lt;!date^1392734382^{date}|x&gt;"
        in (proposal["text"])
    )
    button = harness.buttons(proposal, "choose_option")[0]
    harness.click(button["action_id"], button["value"], RECRUITER)
    short_id = harness.loops()[0].short_id
    harness.command(f"status {short_id}")
    harness.command(f'cancel {short_id} reason="{slack_escaped("<!here> & " + EVIL_LINK)}"')
    with session_scope(harness.engine) as session:
        loop = session.exec(select(Loop)).one()
        assert loop.cancel_reason == "<!here> & " + EVIL_LINK
    notices = [c.args["text"] for c in harness.slack.calls("chat.postMessage")]
    cancelled = [text for text in notices if "Interview cancelled" in text]
    assert len(cancelled) == 4
    assert all(f"Reason: &lt;!here&gt; &amp; {EVIL_LINK_SHOWN}" in text for text in cancelled)
    assert_no_live_markup(harness, "<!channel>", "<!here>", "<!date", "<https://evil")


def test_hostile_profile_names_and_titles_reach_recruiters_escaped(harness: Harness) -> None:
    """Slack profile names (set by anyone) and template titles are shown escaped."""
    with session_scope(harness.engine) as session:
        for person in session.exec(select(Interviewer)).all():
            person.name = EVIL_LINK
            if person.slack_id in ("U06FAY", "U07GUS"):
                person.slack_id = None  # unreachable: named in the recruiter's DM
        template = session.exec(select(LoopTemplate)).one()
        template.title = "<!everyone> Backend & Infra"
    harness.book_first_option()
    notes = [m["text"] for m in harness.dms(RECRUITER) if "could not reach" in m["text"]]
    assert notes == [
        f":warning: Loop `{harness.loops()[0].short_id}`: could not reach "
        f"{EVIL_LINK_SHOWN} (no Slack account found)."
    ]
    proposal_blocks = str(harness.dms(RECRUITER)[0]["blocks"])
    assert "&lt;!everyone&gt; Backend &amp; Infra" in proposal_blocks
    # People with a Slack id are shown as mentions, not by their (hostile) profile name.
    mentioned = set(re.findall(r"<@(U0\w+)>", proposal_blocks))
    assert mentioned and mentioned <= {"U01ANA", "U02BEN", "U03CHI", "U04DAN", "U05EVA"}
    assert f"{EVIL_LINK_SHOWN} (" in proposal_blocks  # Fay or Gus: no Slack id, escaped name
    assert_no_live_markup(harness, "<!everyone>", "<https://evil")


def test_decline_notice_names_the_decliner_by_mention(harness: Harness) -> None:
    with session_scope(harness.engine) as session:
        for person in session.exec(select(Interviewer)).all():
            person.name = EVIL_LINK
    harness.book_first_option()
    user = next(u for u in ("U06FAY", "U07GUS") if harness.pending_request_buttons(u))
    button = harness.pending_request_buttons(user)[0]
    harness.click(f"decline_slot:{button['value']}", str(button["value"]), user)
    note = harness.dms(RECRUITER)[-1]["text"]
    assert f"<@{user}> declined" in note
    other = "U07GUS" if user == "U06FAY" else "U06FAY"
    assert f"asked <@{other}> to step in" in note
    assert_no_live_markup(harness, "<https://evil")


def test_bad_argument_echo_is_escaped(harness: Harness) -> None:
    response = harness.command(f"status {slack_escaped('<!channel>')}")
    assert "&lt;!channel&gt;" in response.body
    assert "<!channel>" not in response.body
