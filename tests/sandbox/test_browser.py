"""The sandbox in headless Chromium: a whole loop scheduled, confirmed and booked by clicking.

Screenshots go to docs/ with SAVE_SCREENSHOTS=1 (the README shows docs/sandbox.png), else to
the test's temporary folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.sandbox.server import SandboxServer
from tests.fakes.browser import axe_violations

RECRUITER = "U0RECRUIT"

pytestmark = pytest.mark.slow


def open_as(context: Any, sandbox: SandboxServer, user: str) -> Any:
    page = context.new_page()
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{sandbox.url}/?as={user}")
    page.wait_for_selector("#pane-messages")
    return page


def asked_interviewers(sandbox: SandboxServer) -> list[str]:
    """Users who got a DM with a Confirm button (read from the fake Slack, as a check)."""
    asked = []
    for message in sandbox.world.slack.messages():
        for block in message.get("blocks") or []:
            for element in block.get("elements") or []:
                if str(element.get("action_id", "")).startswith("confirm_slot"):
                    asked.append("U" + message["channel"][1:])
    return sorted(set(asked))


def test_schedule_confirm_book_and_remind(
    browser: Any, sandbox: SandboxServer, screenshot_dir: Path
) -> None:
    context = browser.new_context()
    page = open_as(context, sandbox, RECRUITER)
    assert "SANDBOX" in page.inner_text("header")

    page.fill(
        "#command", '/interview schedule ada@candidate.example backend-swe name="Ada Lovelace"'
    )
    page.click("#composer button[type=submit]")
    first = page.wait_for_selector('[data-surface=message] [data-action-id^="choose_option"]')
    page.screenshot(path=str(screenshot_dir / "sandbox-proposals.png"))
    first.click()
    page.wait_for_function(
        "() => document.querySelector('#pane-messages').innerText.includes('asking interviewers')",
        timeout=10000,
    )
    sandbox.world.services.work.wait_idle(timeout=10)  # type: ignore[union-attr]
    interviewers = asked_interviewers(sandbox)
    assert len(interviewers) >= 3, (
        interviewers
    )  # code review, two for design, retro (or fewer people)

    for user in interviewers:
        person_page = open_as(context, sandbox, user)
        assert "Can you take an interview?" in person_page.inner_text("#pane-messages")
        person_page.click('[data-surface=message] [data-action-id^="confirm_slot"]')
        person_page.wait_for_function(
            "() => !document.querySelector('#pane-messages [data-action-id^=\"confirm_slot\"]')"
        )
        person_page.close()

    page.wait_for_function(
        "() => document.querySelector('#pane-messages').innerText.includes('Booked: Ada Lovelace')",
        timeout=10000,
    )
    page.wait_for_function(
        "() => document.querySelectorAll('#pane-calendar .event').length === 3", timeout=10000
    )
    calendar = page.inner_text("#pane-calendar")
    assert "ada@candidate.example" in calendar
    assert "Join meeting" in calendar
    for user in interviewers:
        assert sandbox.world.by_id[user].name in calendar
    meet = page.get_attribute("#pane-calendar a.meet", "href")
    assert meet is not None and meet.startswith(f"{sandbox.url}/sandbox/meet/")
    page.locator("#pane-messages").evaluate("el => el.scrollTop = el.scrollHeight")
    page.screenshot(path=str(screenshot_dir / "sandbox.png"))

    # App Home: the interviewer's upcoming interview, published by the bot when the tab opens.
    reminded = open_as(context, sandbox, interviewers[0])
    reminded.click("#tab-home")
    reminded.wait_for_function(
        "() => document.querySelector('#pane-home').innerText.includes('Your upcoming interviews')"
    )
    assert "Ada Lovelace" in reminded.inner_text("#pane-home")
    assert reminded.is_hidden("#pane-messages")
    reminded.screenshot(path=str(screenshot_dir / "sandbox-home.png"))
    reminded.click("#tab-messages")

    # The clock: move forward until the first interviewer's reminder arrives.
    before = reminded.inner_text("#pane-messages").count("Your interview")
    for _ in range(20):
        reminded.click('[data-advance="4h"]')
        reminded.wait_for_selector("body:not([data-busy])", state="attached")
        if reminded.inner_text("#pane-messages").count("Your interview") > before:
            break
    else:
        pytest.fail("no reminder arrived after moving the clock 80 hours")
    assert "starts in" in reminded.inner_text("#pane-messages")
    reminded.screenshot(path=str(screenshot_dir / "sandbox-reminder.png"))
    context.close()


def test_modal_shows_inline_errors(
    browser: Any, axe_source: str, sandbox: SandboxServer, screenshot_dir: Path
) -> None:
    context = browser.new_context(bypass_csp=True)  # the page's CSP would block axe's script
    page = open_as(context, sandbox, RECRUITER)
    assert axe_violations(page, axe_source) == []
    page.fill("#command", "/interview schedule")
    page.click("#composer button[type=submit]")
    page.wait_for_selector("#pane-modal form[data-surface=modal]")
    assert page.inner_text("#modal-title") == "Schedule interviews"
    page.fill("#in-candidate_name", "Grace Hopper")
    page.fill("#in-candidate_email", "not-an-email")
    page.click("#pane-modal button[type=submit]")
    error = page.wait_for_selector("#pane-modal .bk-error")
    assert "email" in error.inner_text().lower()
    # what was typed is kept, and nothing was planned
    assert page.input_value("#in-candidate_name") == "Grace Hopper"
    assert page.input_value("#in-candidate_email") == "not-an-email"
    assert sandbox.world.slack.calls("chat.postMessage") == []
    page.screenshot(path=str(screenshot_dir / "sandbox-modal.png"))
    assert axe_violations(page, axe_source) == []
    page.set_viewport_size({"width": 360, "height": 740})  # a phone: no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.set_viewport_size({"width": 1400, "height": 900})

    page.fill("#in-candidate_email", "grace@candidate.example")
    page.click("#pane-modal button[type=submit]")
    page.wait_for_selector("#pane-modal form", state="detached")
    page.wait_for_function(
        "() => document.querySelector('#pane-messages').innerText.includes('Interview options')",
        timeout=10000,
    )
    context.close()
