"""The candidate page in headless Chromium, served by a real WSGI server on 127.0.0.1.

Interviewer confirmations go through the signed Slack harness, exactly as in Slack.
Screenshots (desktop and phone) go to docs/ with SAVE_SCREENSHOTS=1 (the README shows them).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from bot.web.app import create_public_app
from storage.models import LoopState
from tests.candidate.conftest import LINK, Site, enable_public, load_org
from tests.fakes.browser import axe_violations
from tests.slack.conftest import RECRUITER, Harness

PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1100, "height": 900}


class LiveSite:
    """The public app on a free 127.0.0.1 port, in a thread (werkzeug's threaded server), until
    `stop`. The port is bound first because PUBLIC_URL (the allowed Origin) must name it."""

    def __init__(self, harness: Harness) -> None:
        self.app: Flask | None = None
        self.server: Any = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        enable_public(harness, self.url)
        load_org(harness, company="Example Corp")
        self.app = create_public_app(harness.services)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _wsgi(self, environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
        assert self.app is not None
        return self.app.wsgi_app(environ, start)

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server_close()


@pytest.fixture
def live(harness: Harness) -> Iterator[tuple[LiveSite, Site]]:
    server = LiveSite(harness)
    assert server.app is not None
    try:
        yield server, Site(harness, server.app, server.app.test_client())
    finally:
        server.stop()


def _link(site: Site, server: LiveSite) -> str:
    site.invite()
    found = LINK.search(str(site.harness.dms(RECRUITER)[-1]["blocks"]))
    assert found is not None
    return f"{server.url}/c/{found.group(1)}"


def _no_horizontal_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, width


def _no_serious_a11y(page: Any, axe_source: str) -> None:
    found = axe_violations(page, axe_source)
    assert found == [], [(v["id"], v["impact"], v["help"]) for v in found]


def test_detected_zone_switch_pick_confirm_itinerary(
    browser: Any, axe_source: str, live: tuple[LiveSite, Site], screenshot_dir: Path
) -> None:
    server, site = live
    url = _link(site, server)
    # bypass_csp only lets the test inject axe-core; test_keyboard_only_pick runs under the CSP.
    context = browser.new_context(timezone_id="America/New_York", viewport=DESKTOP, bypass_csp=True)
    page = context.new_page()
    page.goto(url)
    page.wait_for_url(re.compile(r"tz=America%2FNew_York"))
    assert "in America/New York" in page.inner_text(".hint")
    assert "04:00–05:00 EST" in page.content()
    _no_serious_a11y(page, axe_source)
    page.screenshot(path=str(screenshot_dir / "candidate-page-desktop.png"), full_page=True)

    page.select_option("#tz", "Asia/Tokyo")
    with page.expect_navigation():
        page.get_by_role("button", name="Show times").click()
    page.wait_for_url(re.compile(r"tz=Asia%2FTokyo"))
    assert "18:00–19:00 JST" in page.content()  # 09:00 GMT, shown in Tokyo

    # Bad own times: the messages are announced and pass the scan too; nothing was sent.
    page.fill("#date_2", "2026-12-03")
    page.fill("#from_2", "09:00")
    with page.expect_navigation():
        page.get_by_role("button", name="Send my times").click()
    assert "Row 2: give a date, a start time and an end time." in page.content()
    _no_serious_a11y(page, axe_source)
    assert site.links()[0].candidate_action is None

    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("^Choose ")).first.click()
    site.harness.settle()
    assert "We're confirming it with your interviewers" in page.content()
    assert "18:00–19:00 JST" in page.content()
    assert site.loop().state is LoopState.PENDING

    site.confirm_all()
    assert site.loop().state is LoopState.BOOKED
    page.reload()
    assert "Your interview schedule" in page.content()
    assert page.get_by_role("link", name=re.compile("Join on Google Meet")).count() == 3
    _no_serious_a11y(page, axe_source)
    context.close()


def test_without_javascript_on_a_phone(
    browser: Any, live: tuple[LiveSite, Site], screenshot_dir: Path
) -> None:
    server, site = live
    url = _link(site, server)
    context = browser.new_context(
        java_script_enabled=False,
        timezone_id="Asia/Tokyo",
        viewport=PHONE,
        is_mobile=True,
        bypass_csp=True,
    )
    page = context.new_page()
    page.goto(url)
    assert "in Europe/London" in page.inner_text(".hint")  # no script: the loop's own zone
    _no_horizontal_scroll(page)
    page.screenshot(path=str(screenshot_dir / "candidate-page-phone.png"), full_page=True)

    page.select_option("#tz", "America/New_York")
    with page.expect_navigation():
        page.get_by_role("button", name="Show times").click()
    assert "in America/New York" in page.inner_text(".hint")
    _no_horizontal_scroll(page)

    # Bad own times: messages on the page, still no scroll, nothing sent.
    page.fill("#date_1", "2026-12-03")
    page.fill("#from_1", "12:00")
    page.fill("#to_1", "09:00")
    with page.expect_navigation():
        page.get_by_role("button", name="Send my times").click()
    assert "Row 1: the end time must be after the start time." in page.content()
    _no_horizontal_scroll(page)
    assert site.links()[0].candidate_action is None

    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("^Choose ")).first.click()
    site.harness.settle()
    assert "We're confirming it with your interviewers" in page.content()
    assert "04:00–05:00 EST" in page.content()
    _no_horizontal_scroll(page)
    site.confirm_all()
    page.reload(wait_until="load")
    assert "Your interview schedule" in page.content()
    _no_horizontal_scroll(page)
    context.close()


def test_keyboard_only_pick(browser: Any, live: tuple[LiveSite, Site]) -> None:
    server, site = live
    url = _link(site, server)
    context = browser.new_context(timezone_id="Europe/London", viewport=DESKTOP)
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    page.goto(url)
    focused: list[str] = []
    for _ in range(8):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.textContent.trim().slice(0, 40)"))
        if focused[-1] == "Choose this time":
            break
    assert focused[0] == "Skip to content"
    assert "Show times" in focused and focused[-1] == "Choose this time"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    site.harness.settle()
    assert site.loop().state is LoopState.PENDING
    assert refused == []  # the page's own CSS and script load under its CSP
    context.close()
