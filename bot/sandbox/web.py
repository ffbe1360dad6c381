"""The sandbox page: a Flask app that renders what people see and turns clicks into Slack requests.

Every action on the page becomes the request Slack would send — a signed slash command,
`block_actions`, `view_submission` or `app_home_opened` event — posted over HTTP to the bot's
own `/slack/events`. The page never calls the bot's code directly.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, jsonify, request

from bot.durations import parse_duration
from bot.sandbox.render import render, render_blocks
from bot.sandbox.seed import Person
from bot.sandbox.world import ORGANIZER, Sandbox
from integrations.sandbox.slack_requests import app_home_opened_event, post

log = logging.getLogger(__name__)

MAX_JUMP = timedelta(days=30)
LONG_POLL_SECONDS = 15.0
BUSY_SHOWN = timedelta(days=7)  # how far ahead the page lists a person's other meetings


def _escape_command(text: str) -> str:
    """Slack escapes these three in command text; the bot undoes it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SandboxPage:
    """Renders panes for one person and forwards their actions to `/slack/events`."""

    def __init__(self, world: Sandbox, events_url: str) -> None:
        self.world = world
        self.events_url = events_url
        self.view_errors: dict[str, dict[str, str]] = {}
        self.view_values: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------------ rendering

    def names(self) -> dict[str, str]:
        names = {p.slack_id: p.name for p in self.world.people}
        names[self.world.slack.bot_user_id] = "interview-bot"
        return names

    def person(self, user: str | None) -> Person:
        """The person `user` names, else the first recruiter (the page's default)."""
        return self.world.by_id.get(user or "", self.world.people[0])

    def panes(self, user: str) -> dict[str, str]:
        world = self.world
        person = self.person(user)
        names = self.names()
        slack = world.slack
        channel = slack.dm_channel_id(person.slack_id)
        items: list[dict[str, Any]] = []
        for message in slack.messages(channel):
            items.append({"kind": "message", **message})
        for ephemeral in slack.ephemerals(person.slack_id):
            items.append({"kind": "ephemeral", **ephemeral})
        for typed in world.typed:
            if typed["user"] == person.slack_id:
                items.append({"kind": "typed", **typed})
        items.sort(key=lambda item: float(item["ts"]))
        for item in items:
            item["when"] = world.clock.at(float(item["ts"]))
            item["html"] = render_blocks(item.get("blocks") or [], names)
        home = slack.home_view(person.slack_id)
        views = slack.open_views(person.slack_id)
        modal = views[-1] if views else None
        modal_html = ""
        if modal is not None:
            blocks = self._with_values(modal["blocks"], self.view_values.get(modal["id"], {}))
            modal_html = render(
                "modal.html",
                view=modal,
                body=render_blocks(blocks, names, errors=self.view_errors.get(modal["id"], {})),
            )
        calendar = world.calendar
        events = sorted(
            (calendar.events.values() if calendar is not None else []),
            key=lambda e: str(e.get("start", {}).get("dateTime", "")),
        )
        emails = {p.email.lower(): p.name for p in world.people if p.email}
        now = world.clock()
        busy = (
            [
                (start, end)
                for start, end in world.busy(person.email)
                if end > now and start < now + BUSY_SHOWN
            ]
            if person.email and calendar is not None
            else []
        )
        return {
            "messages": render(
                "messages.html", items=items, zone=person.timezone, names=names, me=person
            ),
            "home": render(
                "home.html",
                home=home,
                body=render_blocks(home["blocks"], names) if home else "",
            ),
            "calendar": render(
                "calendar.html",
                events=events,
                zone=person.timezone,
                emails=emails,
                organizer=ORGANIZER,
                me=person,
                busy=busy,
                may_answer=lambda email: self.may_answer_for(person, email.lower()),
            ),
            "modal": modal_html,
            "clock": render("clock.html", now=world.clock(), zone=person.timezone, world=world),
        }

    def may_answer_for(self, me: Person, email: str) -> bool:
        """People answer their own invitations; anyone may play the candidate (not in the org)."""
        org_emails = {p.email.lower() for p in self.world.people if p.email}
        return email == (me.email or "").lower() or email not in org_emails

    @staticmethod
    def _with_values(blocks: list[dict[str, Any]], values: dict[str, Any]) -> list[dict[str, Any]]:
        """The modal's blocks with what the person last submitted filled back in."""
        if not values:
            return blocks
        blocks = copy.deepcopy(blocks)
        for block in blocks:
            entry = values.get(str(block.get("block_id")))
            element = block.get("element")
            if block.get("type") != "input" or not isinstance(element, dict) or not entry:
                continue
            value = entry.get("value")
            kind = element.get("type")
            if kind == "static_select":
                chosen = [o for o in element.get("options", []) if o.get("value") == value]
                if chosen:
                    element["initial_option"] = chosen[0]
            elif kind == "datepicker":
                element["initial_date"] = value or None
            elif kind == "timepicker":
                element["initial_time"] = value or None
            else:
                element["initial_value"] = value or ""
        return blocks

    # ------------------------------------------------------------------ what people do

    def _post(self, signed: tuple[str, dict[str, str]]) -> tuple[int, str]:
        result = post(self.events_url, *signed)
        if result.status != 200:
            log.warning("sandbox: /slack/events answered %s: %s", result.status, result.body)
        return result.status, result.body

    def command(self, user: str, text: str) -> None:
        world = self.world
        slack = world.slack
        text = text.strip()
        if text.startswith("/interview"):
            text = text[len("/interview") :].strip()
        channel = slack.dm_channel_id(user)
        world.typed.append({"user": user, "text": f"/interview {text}".strip(), "ts": _now_ts()})
        slack.touch()
        signed = world.requests.slash_command(
            _escape_command(text),
            user_id=user,
            user_name=self.person(user).name.split(" ")[0].lower(),
            channel_id=channel,
            channel_name="directmessage",
            trigger_id=slack.trigger_id_for(user),
            response_url=slack.response_url(user=user, channel=channel),
        )
        status, body = self._post(signed)
        if status == 200 and body.strip():
            try:
                answer = json.loads(body)
            except ValueError:
                answer = {"text": body}
            if isinstance(answer, dict) and (answer.get("text") or answer.get("blocks")):
                slack.add_ephemeral(user, channel, answer)

    def action(self, user: str, data: dict[str, Any]) -> None:
        world = self.world
        slack = world.slack
        kind = str(data.get("type") or "button")
        action_id = str(data.get("action_id") or "")
        value = data.get("value")
        extra: dict[str, Any] = {}
        if kind in ("static_select", "external_select", "overflow"):
            extra["selected_option"] = {
                "text": {"type": "plain_text", "text": str(data.get("text") or value)},
                "value": value,
            }
            value = None
        elif kind == "datepicker":
            extra["selected_date"] = value
            value = None
        fields: dict[str, Any] = {
            "user_id": user,
            "block_id": data.get("block_id") or None,
            "action_type": kind,
            "action_text": str(data.get("text") or "Button"),
            "action": extra,
            "trigger_id": slack.trigger_id_for(user),
        }
        surface = data.get("surface")
        if surface == "message":
            channel, ts = str(data.get("channel")), str(data.get("ts"))
            found = [m for m in slack.messages(channel) if m["ts"] == ts]
            if not found:
                abort(404)
            message = {k: v for k, v in found[0].items() if k != "channel"}
            fields.update(
                message=message,
                channel_id=channel,
                response_url=slack.response_url(user=user, channel=channel, message_ts=ts),
            )
        elif surface == "ephemeral":
            ephemeral_id = str(data.get("ephemeral_id"))
            found = [e for e in slack.ephemerals(user) if e["id"] == ephemeral_id]
            if not found:
                abort(404)
            fields.update(
                ephemeral=True,
                channel_id=found[0]["channel"],
                message_ts=found[0]["ts"],
                response_url=slack.response_url(
                    user=user, channel=found[0]["channel"], ephemeral_id=ephemeral_id
                ),
            )
        elif surface in ("home", "modal"):
            view = (
                slack.home_view(user)
                if surface == "home"
                else slack.views().get(str(data.get("view_id")))
            )
            if view is None:
                abort(404)
            fields["view"] = view
        else:
            abort(400)
        self._post(world.requests.block_action(action_id, value, **fields))

    def submit(self, user: str, view_id: str, values: dict[str, Any]) -> dict[str, Any]:
        world = self.world
        slack = world.slack
        view = slack.views().get(view_id)
        if view is None:
            abort(404)
        state = _state_values(view, values)
        self.view_values[view_id] = values
        title = (view.get("title") or {}).get("text", "")
        signed = world.requests.view_submission(
            str(view.get("callback_id") or ""),
            state,
            user_id=user,
            private_metadata=str(view.get("private_metadata") or ""),
            view_id=view_id,
            external_id=str(view.get("external_id") or ""),
            title=title,
            blocks=view.get("blocks") or [],
            trigger_id=slack.trigger_id_for(user),
        )
        status, body = self._post(signed)
        answer: dict[str, Any] = {}
        if body.strip():
            try:
                parsed = json.loads(body)
                answer = parsed if isinstance(parsed, dict) else {}
            except ValueError:
                answer = {}
        action = answer.get("response_action")
        if status != 200:
            return {"ok": False, "status": status}
        if action == "errors":
            self.view_errors[view_id] = {
                str(k): str(v) for k, v in (answer.get("errors") or {}).items()
            }
            slack.touch()
        elif action == "update" and isinstance(answer.get("view"), dict):
            self.view_errors.pop(view_id, None)
            slack.show_view(user, answer["view"], replace=view_id)
        elif action == "push" and isinstance(answer.get("view"), dict):
            slack.show_view(user, answer["view"])
        elif action == "clear":
            slack.close_view(user, all_views=True)
        else:
            self.view_errors.pop(view_id, None)
            self.view_values.pop(view_id, None)
            slack.close_view(user, view_id)
        return {"ok": True, "response_action": action}

    def close(self, user: str, view_id: str) -> None:
        self.world.slack.close_view(user, view_id)

    def open_home(self, user: str) -> None:
        self._post(self.world.requests.event_callback(app_home_opened_event(user)))


def _now_ts() -> str:
    return f"{time.time():.6f}"


def _state_values(view: dict[str, Any], values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`view.state.values` as Slack builds it from the inputs of `view`."""
    state: dict[str, dict[str, Any]] = {}
    for block in view.get("blocks") or []:
        element = block.get("element") if block.get("type") == "input" else None
        if not isinstance(element, dict):
            continue
        block_id = str(block.get("block_id"))
        action_id = str(element.get("action_id"))
        kind = str(element.get("type"))
        raw = (values.get(block_id) or {}).get("value")
        value = str(raw) if raw not in (None, "") else None
        entry: dict[str, Any] = {"type": kind}
        if kind in ("static_select", "radio_buttons"):
            options = [o for o in element.get("options") or [] if o.get("value") == value]
            entry["selected_option"] = options[0] if options else None
        elif kind == "datepicker":
            entry["selected_date"] = value
        elif kind == "timepicker":
            entry["selected_time"] = value
        else:
            entry["value"] = value
        state.setdefault(block_id, {})[action_id] = entry
    return state


def create_sandbox_app(world: Sandbox, base_url: str) -> Flask:
    page = SandboxPage(world, f"{base_url}/slack/events")
    app = Flask(__name__, static_url_path="/sandbox/static")
    expected_origin = "{0.scheme}://{0.netloc}".format(urlsplit(base_url))

    def who() -> str:
        user = str(request.args.get("as") or (request.get_json(silent=True) or {}).get("as") or "")
        return page.person(user).slack_id

    @app.before_request
    def same_origin_only() -> None:
        # A page elsewhere must not drive the sandbox: JSON posts only, from this origin.
        if request.method == "POST":
            origin = request.headers.get("Origin")
            if origin is not None and origin != expected_origin:
                abort(403)
            if not request.is_json:
                abort(415)

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
            " frame-ancestors 'none'",
        )
        return response

    @app.get("/")
    def index() -> str:
        user = who()
        return render(
            "page.html",
            world=world,
            me=page.person(user),
            people=world.people,
            panes=page.panes(user),
            changes=world.slack.changes,
        )

    @app.get("/sandbox/api/state")
    def state() -> Response:
        user = who()
        since = request.args.get("since", type=int)
        if since is not None:
            world.slack.wait_for_change(since, LONG_POLL_SECONDS)
        changes = world.slack.changes
        return jsonify({"changes": changes, "panes": page.panes(user)})

    @app.post("/sandbox/api/command")
    def command() -> Response:
        data = request.get_json()
        text = str(data.get("text") or "")
        if len(text) > 4000:
            abort(413)
        page.command(who(), text)
        return jsonify({"ok": True})

    @app.post("/sandbox/api/action")
    def action() -> Response:
        page.action(who(), request.get_json())
        return jsonify({"ok": True})

    @app.post("/sandbox/api/submit")
    def submit() -> Response:
        data = request.get_json()
        values = data.get("values")
        return jsonify(
            page.submit(who(), str(data.get("view_id")), values if isinstance(values, dict) else {})
        )

    @app.post("/sandbox/api/close")
    def close() -> Response:
        page.close(who(), str(request.get_json().get("view_id")))
        return jsonify({"ok": True})

    @app.post("/sandbox/api/home")
    def home() -> Response:
        page.open_home(who())
        return jsonify({"ok": True})

    @app.post("/sandbox/api/clock")
    def clock() -> Response:
        try:
            delta = parse_duration(str(request.get_json().get("advance") or ""))
        except ValueError as error:
            return jsonify({"ok": False, "error": str(error)})
        if not timedelta() < delta <= MAX_JUMP:
            return jsonify({"ok": False, "error": "move the clock by 1 minute to 30 days"})
        result = world.advance(delta)
        sent = result.sent if result is not None else 0
        return jsonify({"ok": True, "now": world.clock().isoformat(), "sent": sent})

    @app.post("/sandbox/api/invitation")
    def invitation() -> Response:
        """Decline (or accept) an invitation in the calendar: yours, or the candidate's."""
        data = request.get_json()
        me = page.person(who())
        event_id, email = str(data.get("event_id") or ""), str(data.get("email") or "").lower()
        response = str(data.get("response") or "")
        if response not in ("accepted", "declined", "tentative"):
            abort(400)
        event = (world.calendar.events if world.calendar else {}).get(event_id)
        if event is None:
            abort(404)
        attendees = {str(a.get("email", "")).lower() for a in event.get("attendees") or []}
        if email not in attendees or not page.may_answer_for(me, email):
            abort(403)
        world.answer_invitation(event_id, email, response)
        return jsonify({"ok": True})

    @app.get("/sandbox/meet/<code>")
    def meet(code: str) -> str:
        return render("meet.html", code=code, world=world)

    return app
