"""Typed `@name` in the sandbox reaches the bot as Slack sends a picked mention."""

from __future__ import annotations

from bot.sandbox.seed import Person
from bot.sandbox.web import mention_people

PEOPLE = [
    Person("U01ANA", "Ana Lima", "ana@corp.example", "Europe/London", "interviewer"),
    Person("U0RECRUIT", "Recruiter 1", None, "Europe/London", "recruiter"),
]


def test_typed_mentions_become_slack_mentions() -> None:
    assert mention_people("swap LAB12 @ana @U0RECRUIT", PEOPLE) == (
        "swap LAB12 <@U01ANA|ana> <@U0RECRUIT|U0RECRUIT>"
    )


def test_emails_and_unknown_names_stay_as_typed() -> None:
    text = "schedule ada@cand.example backend-swe @nobody"
    assert mention_people(text, PEOPLE) == text
