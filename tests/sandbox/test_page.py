"""The sandbox page's endpoints without a browser: origin checks, the clock, loopback only."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

import pytest

from bot.sandbox.clock import ShiftedClock
from bot.sandbox.server import SandboxServer
from bot.sandbox.world import NotLoopbackError, require_loopback
from integrations.sandbox.slack_api import FakeSlack


def post(url: str, data: Any, **headers: str) -> tuple[int, dict[str, Any]]:
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json", **headers}
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=20) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, {}


def test_another_origin_or_a_form_post_changes_nothing(sandbox: SandboxServer) -> None:
    url = f"{sandbox.url}/sandbox/api/command"
    command = {"as": "U0RECRUIT", "text": "/interview schedule"}
    calls_at_start = len(sandbox.world.slack.calls())  # start-up look-ups by email
    assert post(url, command, Origin="http://evil.example")[0] == 403
    assert post(url, b"as=U0RECRUIT&text=x", **{"Content-Type": "text/plain"})[0] == 415
    assert sandbox.world.typed == []
    assert len(sandbox.world.slack.calls()) == calls_at_start
    assert post(url, command, Origin=sandbox.url)[0] == 200
    assert len(sandbox.world.typed) == 1
    assert sandbox.world.slack.open_views("U0RECRUIT")[0]["title"]["text"] == "Schedule interviews"


def test_the_clock_moves_forward_only(sandbox: SandboxServer) -> None:
    url = f"{sandbox.url}/sandbox/api/clock"
    before = sandbox.world.clock.offset
    for bad in ("-1h", "0m", "soon", "40d"):
        status, answer = post(url, {"advance": bad})
        assert status == 200 and answer["ok"] is False, bad
    assert sandbox.world.clock.offset == before
    status, answer = post(url, {"advance": "1d"})
    assert answer["ok"] is True
    assert sandbox.world.clock.offset == before + timedelta(days=1)


def test_shifted_clock_is_kept_and_maps_past_moments(tmp_path: Any) -> None:
    clock = ShiftedClock(tmp_path / "clock.json")
    real = clock().timestamp()
    clock.advance(timedelta(hours=2))
    assert clock.at(real) < clock.at(real + 1) - timedelta(hours=1)  # before the jump: no offset
    assert ShiftedClock(tmp_path / "clock.json").offset == timedelta(hours=2)
    with pytest.raises(ValueError, match="forward"):
        clock.advance(timedelta(0))


@pytest.mark.parametrize("url", ["https://slack.com/api/", "http://10.0.0.1:9000/calendar/v3/"])
def test_only_loopback_urls_are_accepted(url: str) -> None:
    with pytest.raises(NotLoopbackError):
        require_loopback("SLACK_API_URL", url)
    require_loopback("SLACK_API_URL", "http://127.0.0.1:1234/api/")


def test_the_bot_is_wired_to_loopback_only(sandbox: SandboxServer) -> None:
    settings = sandbox.world.settings
    assert settings is not None
    assert settings.slack_api_url.startswith("http://127.0.0.1:")
    assert (settings.google_api_endpoint or "").startswith("http://127.0.0.1:")
    assert settings.public_url == sandbox.url


def test_fake_slack_keeps_what_each_person_sees() -> None:
    with FakeSlack(check_tokens=False) as slack:
        from slack_sdk import WebClient

        client = WebClient(token="x", base_url=slack.url)
        posted = client.chat_postMessage(channel="U01ANA", text="hello")
        url = slack.response_url(user="U01ANA", channel="D01ANA", message_ts=posted["ts"])
        client.chat_postEphemeral(channel="D01ANA", user="U01ANA", text="only you")
        from urllib.request import Request, urlopen

        def respond(body: dict[str, Any]) -> None:
            request = Request(url, data=json.dumps(body).encode(), method="POST")
            request.add_header("Content-Type", "application/json")
            urlopen(request).close()

        respond({"text": "a new ephemeral"})
        respond({"replace_original": True, "text": "replaced"})
        assert [e["text"] for e in slack.ephemerals("U01ANA")] == ["only you", "a new ephemeral"]
        assert slack.ephemerals("U02BEN") == []
        assert [m["text"] for m in slack.messages("D01ANA")] == ["replaced"]
        trigger = slack.trigger_id_for("U01ANA")
        view = client.views_open(trigger_id=trigger, view={"type": "modal", "blocks": []})["view"]
        assert [v["id"] for v in slack.open_views("U01ANA")] == [view["id"]]
        slack.close_view("U01ANA", view["id"])
        assert slack.open_views("U01ANA") == []
        saved = slack.snapshot()
    with FakeSlack() as again:
        again.restore(json.loads(json.dumps(saved)))
        assert [m["text"] for m in again.messages("D01ANA")] == ["replaced"]
        assert len(again.ephemerals("U01ANA")) == 2


def test_candidate_pages_open_in_the_sandbox_marked_as_such(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """Whatever registers on the public app (the candidate pages) is served under /c/…."""
    from flask import Flask

    from bot.org import load_org_file
    from bot.services.context import Services
    from tests.sandbox.conftest import EXAMPLE_ORG

    def feature(services: Services, app: Flask) -> None:
        @app.get("/c/<token>")
        def candidate(token: str) -> str:
            assert services.settings.public_url is not None
            return f"<!doctype html><html><body class='x'><h1>Hello {token}</h1></body></html>"

    monkeypatch.setattr("bot.web.app.PUBLIC_FEATURES", [feature])
    server = SandboxServer(load_org_file(EXAMPLE_ORG), EXAMPLE_ORG, tmp_path / "sandbox")
    server.start()
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"{server.url}/c/abc", timeout=10) as response:
            page = response.read().decode()
            length = int(response.headers["Content-Length"])
        assert (
            "<body class='x'><p role=\"note\" data-sandbox-banner><strong>SANDBOX</strong>" in page
        )
        assert "<h1>Hello abc</h1>" in page
        assert length == len(page.encode())
    finally:
        server.stop()


def test_moving_the_clock_delivers_a_nudge_at_once(sandbox: SandboxServer) -> None:
    """An interviewer who has not answered gets the nudge as soon as the clock passes 4 h."""
    world = sandbox.world
    services = world.services
    assert services is not None
    api = f"{sandbox.url}/sandbox/api"
    command = '/interview schedule ada@candidate.example backend-swe name="Ada"'
    post(f"{api}/command", {"as": "U0RECRUIT", "text": command})
    services.work.wait_idle(timeout=20)
    (proposal,) = world.slack.messages("D0RECRUIT")
    button = proposal["blocks"][3]["accessory"]
    post(
        f"{api}/action",
        {"as": "U0RECRUIT", "surface": "message", "channel": "D0RECRUIT", "ts": proposal["ts"],
         "type": "button", "action_id": button["action_id"], "value": button["value"]},
    )  # fmt: skip
    services.work.wait_idle(timeout=20)
    asked = [m["channel"] for m in world.slack.messages() if "Can you take" in m["text"]]
    assert asked
    nudged_before = [m for m in world.slack.messages() if m["text"].startswith("Please answer:")]
    assert nudged_before == []
    status, answer = post(f"{api}/clock", {"advance": "3h"})
    assert answer["sent"] == 0
    status, answer = post(f"{api}/clock", {"advance": "2h"})  # past CONFIRM_NUDGE_AFTER (4h)
    assert status == 200 and answer["sent"] >= len(asked)
    nudged = {
        m["channel"] for m in world.slack.messages() if m["text"].startswith("Please answer:")
    }
    assert nudged == set(asked)


def test_declining_in_the_calendar_reaches_the_bot(sandbox: SandboxServer) -> None:
    """The calendar view's "decline in Calendar": the fake Google notifies the bot by push."""
    world = sandbox.world
    services = world.services
    assert services is not None and world.calendar is not None
    api = f"{sandbox.url}/sandbox/api"
    command = '/interview schedule ada@candidate.example backend-swe name="Ada"'
    post(f"{api}/command", {"as": "U0RECRUIT", "text": command})
    services.work.wait_idle(timeout=20)
    (proposal,) = world.slack.messages("D0RECRUIT")
    button = proposal["blocks"][3]["accessory"]
    click = {"surface": "message", "type": "button"}
    post(f"{api}/action", {**click, "as": "U0RECRUIT", "channel": "D0RECRUIT",
                           "ts": proposal["ts"], "action_id": button["action_id"],
                           "value": button["value"]})  # fmt: skip
    services.work.wait_idle(timeout=20)
    for message in world.slack.messages():
        for block in message.get("blocks") or []:
            for element in block.get("elements") or []:
                if str(element.get("action_id", "")).startswith("confirm_slot"):
                    post(f"{api}/action", {**click, "as": "U" + message["channel"][1:],
                                           "channel": message["channel"], "ts": message["ts"],
                                           "action_id": element["action_id"],
                                           "value": element["value"]})  # fmt: skip
    services.work.wait_idle(timeout=20)
    event_id, event = next(iter(world.calendar.events.items()))
    interviewer = next(
        a["email"] for a in event["attendees"] if a["email"] != "ada@candidate.example"
    )
    page = urllib.request.urlopen(f"{sandbox.url}/?as=U0RECRUIT").read().decode()
    assert "decline in Calendar" in page

    # a recruiter cannot answer for an interviewer; nothing changes
    body = {"as": "U0RECRUIT", "event_id": event_id, "response": "declined"}
    assert post(f"{api}/invitation", {**body, "email": interviewer})[0] == 403
    assert world.calendar.events[event_id] == event

    # anyone may play the candidate: the decline reaches the bot, which tells the recruiter
    assert post(f"{api}/invitation", {**body, "email": "ada@candidate.example"})[0] == 200
    (answer,) = [
        a for a in world.calendar.events[event_id]["attendees"]
        if a["email"] == "ada@candidate.example"
    ]  # fmt: skip
    assert answer["responseStatus"] == "declined"
    last = world.slack.messages("D0RECRUIT")[-1]["text"]
    assert "needs attention" in last and "declined" in last
