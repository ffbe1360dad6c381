"""The scheduling modal (inline validation) and the App Home tab."""

from __future__ import annotations

import json
from typing import Any

from integrations.sandbox.slack_requests import (
    app_home_opened_event,
    datepicker,
    static_select,
    text_input,
)
from tests.slack.conftest import RECRUITER, Harness


def form(**overrides: Any) -> dict[str, dict[str, Any]]:
    values: dict[str, Any] = {
        "candidate_name": text_input("Ada Lovelace"),
        "candidate_email": text_input("ada@cand.example"),
        "template": static_select("backend-swe"),
        "timezone": text_input("Europe/London"),
        "date_from": datepicker("2026-12-02"),
        "date_to": datepicker("2026-12-04"),
        "availability": text_input(None),
        "notes": text_input(None),
    }
    values.update(overrides)
    return {block: {"value": element} for block, element in values.items()}


def test_schedule_without_arguments_opens_the_modal(harness: Harness) -> None:
    harness.command("schedule")
    (call,) = harness.slack.calls("views.open")
    view = call.args["view"]
    assert view["callback_id"] == "schedule_modal"
    blocks = {b["block_id"] for b in view["blocks"]}
    assert {"candidate_email", "template", "timezone", "availability"} <= blocks
    template = next(b for b in view["blocks"] if b["block_id"] == "template")
    assert template["element"]["options"][0]["value"] == "backend-swe"


def test_modal_errors_are_inline_and_change_nothing(harness: Harness) -> None:
    bad = form(
        candidate_email=text_input("not-an-email"),
        timezone=text_input("Narnia/Cair"),
        date_from=datepicker("2026-12-09"),
        date_to=datepicker("2026-12-02"),
    )
    response = harness.send(
        harness.requests.view_submission("schedule_modal", bad, user_id=RECRUITER)
    )
    body = json.loads(response.body)
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"candidate_email", "timezone", "date_to"}
    assert harness.loops() == []


def test_modal_availability_is_parsed_in_the_candidate_zone(harness: Harness) -> None:
    bad = form(availability=text_input("tomorrow morning"))
    response = harness.send(
        harness.requests.view_submission("schedule_modal", bad, user_id=RECRUITER)
    )
    assert "availability" in json.loads(response.body)["errors"]
    good = form(availability=text_input("2026-12-03 13:00-18:00"))
    response = harness.send(
        harness.requests.view_submission("schedule_modal", good, user_id=RECRUITER)
    )
    assert response.body == ""
    proposal = harness.dms(RECRUITER)[-1]
    text = str(proposal["blocks"])
    assert "Thu 3 Dec 2026" in text and "Wed 2 Dec" not in text
    assert "13:00–14:00 GMT" in text


def test_modal_refuses_non_recruiters(harness: Harness) -> None:
    response = harness.send(
        harness.requests.view_submission("schedule_modal", form(), user_id="U01ANA")
    )
    assert json.loads(response.body)["response_action"] == "errors"
    assert harness.loops() == []


def test_home_shows_pending_requests_with_working_buttons(harness: Harness) -> None:
    harness.book_first_option()
    user = next(u for u in ("U06FAY", "U07GUS") if harness.pending_request_buttons(u))
    harness.send(harness.requests.event_callback(app_home_opened_event(user)))
    view = harness.slack.home_view(user)
    assert view is not None
    confirm = harness.buttons(view, "confirm_slot")
    assert len(confirm) == 1
    harness.click(
        confirm[0]["action_id"],
        confirm[0]["value"],
        user,
        view={"id": "VHOME", "type": "home"},
        container={"type": "view", "view_id": "VHOME"},
    )
    assert harness.requests_state()[int(confirm[0]["value"])] == "confirmed"
    view = harness.slack.home_view(user)
    assert view is not None and harness.buttons(view, "confirm_slot") == []
    assert "Retrospective" in str(view["blocks"])


def test_recruiter_home_lists_loops_in_flight(harness: Harness) -> None:
    short_id = harness.book_first_option()
    harness.send(harness.requests.event_callback(app_home_opened_event(RECRUITER)))
    view = harness.slack.home_view(RECRUITER)
    assert view is not None and short_id in str(view["blocks"])


def test_redelivered_event_is_handled_once(harness: Harness) -> None:
    signed = harness.requests.event_callback(app_home_opened_event(RECRUITER), event_id="Ev123")
    harness.send(signed)
    body, headers = signed
    harness.send((body, dict(headers, **{"X-Slack-Retry-Num": "1"})))
    assert len(harness.slack.calls("views.publish")) == 1
