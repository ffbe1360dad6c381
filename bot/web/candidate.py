"""The candidate page: `/c/TOKEN` (CONTRACT.md section 7), a thin edge over `CandidatePages`.

Routes parse, check (link, rate, origin, CSRF) and render; the service decides. Times are
instants in the view and only become wall times here, in the zone the candidate sees — the loop's
own zone (which decides the candidate's hours) never changes with it. POSTs answer with a
redirect (post/redirect/get), so a reload never submits twice.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from cachetools import TTLCache
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import HTTPException

from bot.services.candidate_links import LinkLookup, LinkStatus, lookup, mark_opened
from bot.services.candidate_page import CandidatePages, PageOption, TimedItem
from bot.services.context import Services
from bot.timefmt import clock_label, local

AVAILABILITY_ROWS = 5
GET_LIMIT_PER_MINUTE = 60
POST_LIMIT_PER_MINUTE = 12
CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    # same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on our own
    # form POSTs, which would blind the Origin check. The token still never leaves our origin.
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
COMMON_ZONES = (
    "Pacific/Honolulu",
    "America/Anchorage",
    "America/Los_Angeles",
    "America/Denver",
    "America/Phoenix",
    "America/Chicago",
    "America/New_York",
    "America/Toronto",
    "America/Mexico_City",
    "America/Bogota",
    "America/Lima",
    "America/Santiago",
    "America/Sao_Paulo",
    "America/Argentina/Buenos_Aires",
    "Atlantic/Reykjavik",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Madrid",
    "Europe/Paris",
    "Europe/Amsterdam",
    "Europe/Berlin",
    "Europe/Zurich",
    "Europe/Rome",
    "Europe/Stockholm",
    "Europe/Warsaw",
    "Europe/Athens",
    "Europe/Helsinki",
    "Europe/Istanbul",
    "Europe/Kyiv",
    "Africa/Lagos",
    "Africa/Cairo",
    "Africa/Johannesburg",
    "Africa/Nairobi",
    "Asia/Jerusalem",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Dhaka",
    "Asia/Bangkok",
    "Asia/Jakarta",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Manila",
    "Asia/Seoul",
    "Asia/Tokyo",
    "Australia/Perth",
    "Australia/Adelaide",
    "Australia/Brisbane",
    "Australia/Sydney",
    "Pacific/Auckland",
    "UTC",
)
KNOWN_ZONES = frozenset(available_timezones())


class RateLimit:
    """Requests per key per clock minute, in memory (per process: a brake, not an account)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._counts: TTLCache[tuple[str, int], int] = TTLCache(maxsize=50_000, ttl=120)
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        window = (key, int(time.monotonic() // 60))
        with self._lock:
            count = self._counts.get(window, 0) + 1
            self._counts[window] = count
        return count <= self.per_minute


def _zone_choice(raw: str | None, fallback: str) -> tuple[str, bool]:
    """The zone to show (a known IANA name, else the loop's) and whether one was asked for."""
    if raw and raw in KNOWN_ZONES:
        return raw, True
    return fallback, bool(raw)


def zone_options(shown: str, loop_zone: str) -> list[str]:
    zones = list(COMMON_ZONES)
    for extra in (loop_zone, shown):
        if extra not in zones:
            zones.append(extra)
    return sorted(zones, key=lambda z: (z != "UTC", z))


def day_heading(instant: datetime, zone: str) -> str:
    value = local(instant, zone)
    return f"{value:%A} {value.day} {value:%B %Y}"


def group_by_day(options: tuple[PageOption, ...], zone: str) -> list[tuple[str, list[PageOption]]]:
    groups: dict[str, list[PageOption]] = {}
    for option in sorted(options, key=lambda o: o.start):
        groups.setdefault(day_heading(option.start, zone), []).append(option)
    return list(groups.items())


def item_time(item: TimedItem, zone: str) -> str:
    return clock_label(item.start, item.end, zone)


def option_label(option: PageOption, zone: str) -> str:
    first, last = option.items[0], option.items[-1]
    return f"{day_heading(first.start, zone)}, {clock_label(first.start, last.end, zone)}"


def add_candidate_pages(services: Services, app: Flask) -> None:
    """Register `/c/TOKEN` and its assets on the public app."""
    pages = CandidatePages(services)
    app.extensions["candidate_pages"] = pages
    app.config.update(SESSION_COOKIE_NAME="candidate_session", SESSION_COOKIE_PATH="/c/")
    allowed_origin = _origin(services.settings.public_url or "")
    reads, writes = RateLimit(GET_LIMIT_PER_MINUTE), RateLimit(POST_LIMIT_PER_MINUTE)
    blueprint = Blueprint(
        "candidate",
        __name__,
        template_folder="templates",
        static_folder="static",
        static_url_path="/c/assets",
    )

    def resolve(token: str, limiter: RateLimit) -> LinkLookup:
        found = lookup(services, token)
        if found.status is LinkStatus.INVALID:
            abort(404)
        if found.status is not LinkStatus.OK:
            abort(410, description=found.revoked_reason or "")
        assert found.public_id is not None
        if not limiter.allow(found.public_id):
            abort(429)
        return found

    def csrf_token() -> str:
        token = session.get("csrf")
        if not isinstance(token, str):
            token = secrets.token_urlsafe(24)
            session["csrf"] = token
        return token

    def check_post() -> None:
        if request.headers.get("Origin") != allowed_origin:
            abort(403)
        sent = request.form.get("csrf", "")
        expected = session.get("csrf")
        if not isinstance(expected, str) or not hmac.compare_digest(sent, expected):
            abort(403)

    def render(found: LinkLookup, token: str, **extra: Any) -> Response:
        assert found.loop_id is not None
        view = pages.view(found.loop_id, note=extra.pop("note", None))
        zone, chosen = _zone_choice(request.values.get("tz"), view.loop_zone)
        body = render_template(
            "candidate/page.html",
            view=view,
            token=token,
            zone=zone,
            zone_chosen=chosen,
            zones=zone_options(zone, view.loop_zone),
            days=group_by_day(view.options, zone),
            item_time=item_time,
            option_label=option_label,
            day_heading=day_heading,
            csrf=csrf_token(),
            rows=extra.pop("rows", None) or [("", "", "")] * AVAILABILITY_ROWS,
            **extra,
        )
        status = extra.get("status", 200)
        return make_response(body, status)

    @blueprint.get("/c/<token>")
    def show(token: str) -> Response:
        found = resolve(token, reads)
        assert found.link_id is not None
        if not found.opened:  # refreshes never take the write lock
            mark_opened(services, found.link_id)
        done = request.args.get("done")
        return render(found, token, done=done if done in ("picked", "times") else None)

    @blueprint.post("/c/<token>/pick")
    def pick(token: str) -> Any:
        found = resolve(token, writes)
        check_post()
        assert found.loop_id is not None and found.link_id is not None
        zone = request.form.get("tz", "")
        outcome = pages.pick(found.loop_id, found.link_id, request.form.get("option", ""))
        if outcome == "stale":
            return render(
                found,
                token,
                note="Sorry — that time was just taken. Here are the times that are free now.",
            )
        return redirect(url_for("candidate.show", token=token, tz=zone or None, done="picked"))

    @blueprint.post("/c/<token>/times")
    def times(token: str) -> Any:
        found = resolve(token, writes)
        check_post()
        assert found.loop_id is not None and found.link_id is not None
        zone, _ = _zone_choice(request.form.get("tz"), "UTC")
        rows = [
            (
                request.form.get(f"date_{n}", "").strip()[:20],
                request.form.get(f"from_{n}", "").strip()[:8],
                request.form.get(f"to_{n}", "").strip()[:8],
            )
            for n in range(1, AVAILABILITY_ROWS + 1)
        ]
        problems = pages.give_times(found.loop_id, found.link_id, rows, zone)
        if problems:
            return render(found, token, errors=problems, rows=rows)
        return redirect(url_for("candidate.show", token=token, tz=zone, done="times"))

    @blueprint.app_errorhandler(404)
    @blueprint.app_errorhandler(410)
    @blueprint.app_errorhandler(429)
    @blueprint.app_errorhandler(403)
    def plain_error(error: HTTPException) -> Response:
        code = error.code or 500
        body = render_template("candidate/plain.html", code=code, reason=error.description)
        return make_response(body, code)

    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    app.register_blueprint(blueprint)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
