"""The candidate page over Flask's test client: what it shows, picking, own times, refusals."""

from __future__ import annotations

import re
import threading
from typing import Any

from sqlmodel import select

from bot.web.candidate import SECURITY_HEADERS
from storage.engine import session_scope
from storage.models import InterviewerRequest, InterviewSession, Loop, LoopState, RequestState
from tests.candidate.conftest import PUBLIC_URL, Site, load_org
from tests.slack.conftest import RECRUITER


def _no_double_booking(site: Site) -> None:
    """No interviewer holds two live requests whose sessions overlap."""
    with session_scope(site.harness.engine) as session:
        rows = session.exec(
            select(InterviewerRequest.interviewer_id, InterviewSession.start, InterviewSession.end)
            .join(InterviewSession, InterviewSession.id == InterviewerRequest.session_id)  # type: ignore[arg-type]
            .where(InterviewerRequest.state.in_(["pending", "confirmed"]))  # type: ignore[attr-defined]
        ).all()
    by_person: dict[int, list[tuple[Any, Any]]] = {}
    for person, start, end in rows:
        for other_start, other_end in by_person.get(person, []):
            assert end <= other_start or other_end <= start, (person, start, other_start)
        by_person.setdefault(person, []).append((start, end))


def test_page_shows_company_role_sessions_and_options_by_day(site: Site) -> None:
    token = site.invite()
    status, body = site.page(token)
    assert status == 200
    assert "Example Corp" in body
    assert "Software Engineer, Backend &amp; Infrastructure" in body  # autoescaped
    for stage, minutes in (("Code review", 60), ("Design discussion", 60), ("Retrospective", 45)):
        assert stage in body and f"{minutes} min" in body
    assert "Wednesday 2 December 2026" in body
    assert "09:00–10:00 GMT" in body and "11:00–11:45 GMT" in body
    assert "All times on this page are in <strong>Europe/London</strong>" in body
    assert len(site.option_keys(body)) >= 1
    visible = body.replace(token, "TOKEN")  # a random token may spell anything
    for secret in ("@corp.example", "take-home", "Ana", "Ben", "ada@cand.example", "Lovelace"):
        assert secret not in visible, secret


def test_first_names_only_when_the_org_allows(site: Site) -> None:
    load_org(site.harness, company="Example Corp", candidate_page={"show_interviewer_names": True})
    token = site.invite()
    _, body = site.page(token)
    assert re.search(r"with (Ana|Ben)\b", body)
    assert "@corp.example" not in body


def test_shown_zone_changes_display_not_the_options(site: Site) -> None:
    token = site.invite()
    _, london = site.page(token)
    _, new_york = site.page(token, tz="America/New_York")
    assert site.option_keys(london) == site.option_keys(new_york)
    assert "09:00–10:00 GMT" in london and "04:00–05:00 EST" in new_york
    assert "in <strong>America/New York</strong>" in new_york
    _, unknown = site.page(token, tz="Mars/Olympus")
    assert "in <strong>Europe/London</strong>" in unknown


def test_options_are_cached_briefly_per_loop(site: Site) -> None:
    token = site.invite()
    site.page(token)
    before = len(site.harness.calendar.freebusy_requests)
    for _ in range(3):
        site.page(token)
    assert len(site.harness.calendar.freebusy_requests) == before
    pages = site.app.extensions["candidate_pages"]
    pages.forget(site.loop().id)  # what the TTL does after a minute
    everyone = [f"{n}@corp.example" for n in ("ana", "ben", "chi", "dan", "eva", "fay", "gus")]
    site.harness.services.calendar.invalidate(everyone)  # type: ignore[union-attr]
    site.page(token)
    assert len(site.harness.calendar.freebusy_requests) > before


def test_picking_asks_interviewers_tells_recruiter_then_shows_itinerary(site: Site) -> None:
    token = site.invite()
    response = site.pick(token)
    assert response.status_code == 302
    assert site.loop().state is LoopState.PENDING
    asked = sum(len(site.harness.pending_request_buttons(u)) for u in ("U01ANA", "U02BEN"))
    assert asked == 1
    told = site.harness.dms(RECRUITER)[-1]
    assert "picked a time" in told["text"] and site.loop().short_id in told["text"]
    _, waiting = site.page(token)
    assert "We're confirming it with your interviewers" in waiting
    assert "What happens next" in waiting and "09:00–10:00 GMT" in waiting
    site.confirm_all()
    assert site.loop().state is LoopState.BOOKED
    _, itinerary = site.page(token, tz="America/New_York")
    assert "Your interview schedule" in itinerary
    assert itinerary.count("Join on Google Meet") == 3
    assert "04:00–05:00 EST" in itinerary and "Example Corp" in itinerary
    assert "@corp.example" not in itinerary and "take-home" not in itinerary


def test_double_submit_has_the_effect_of_one(site: Site) -> None:
    token = site.invite()
    csrf = site.csrf(token)
    key = site.option_keys(site.page(token)[1])[0]
    first = site.post(token, "pick", {"csrf": csrf, "option": key, "tz": "Europe/London"})
    second = site.post(token, "pick", {"csrf": csrf, "option": key, "tz": "Europe/London"})
    assert first.status_code == second.status_code == 302
    with session_scope(site.harness.engine) as session:
        assert len(session.exec(select(InterviewerRequest)).all()) == 4
        assert len(session.exec(select(InterviewSession)).all()) == 3
    assert sum("picked a time" in m["text"] for m in site.harness.dms(RECRUITER)) == 1


def test_two_tabs_picking_different_options_at_once_book_one(site: Site) -> None:
    token = site.invite()
    csrf = site.csrf(token)
    keys = site.option_keys(site.page(token)[1])[:2]
    assert len(keys) == 2
    barrier = threading.Barrier(2)
    results: list[int] = []

    def tab(key: str) -> None:
        client = site.app.test_client()
        with client.session_transaction() as cookie:
            cookie["csrf"] = csrf
        barrier.wait()
        response = client.post(
            f"/c/{token}/pick",
            data={"csrf": csrf, "option": key, "tz": "Europe/London"},
            headers={"Origin": PUBLIC_URL},
        )
        results.append(response.status_code)

    threads = [threading.Thread(target=tab, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    site.harness.settle()
    assert sorted(results) == [302, 302]
    with session_scope(site.harness.engine) as session:
        assert len(session.exec(select(InterviewSession)).all()) == 3
        assert len(session.exec(select(InterviewerRequest)).all()) == 4
    assert site.loop().state is LoopState.PENDING
    _no_double_booking(site)


def test_a_slot_the_recruiter_booked_for_another_loop_gives_fresh_options(site: Site) -> None:
    token = site.invite()
    _, body = site.page(token)
    key = site.option_keys(body)[0]
    # Meanwhile a recruiter books the same earliest slot for another candidate.
    other = site.harness.propose()
    button = site.harness.buttons(other, "choose_option")[0]
    site.harness.click(button["action_id"], button["value"], RECRUITER)
    with session_scope(site.harness.engine) as session:
        booked_other = session.exec(select(Loop).where(Loop.state == LoopState.PENDING)).one()
    csrf = site.csrf(token)
    response = site.post(token, "pick", {"csrf": csrf, "option": key, "tz": "Europe/London"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "that time was just taken" in page
    fresh = site.option_keys(page)
    assert fresh and key not in fresh
    with session_scope(site.harness.engine) as session:
        mine = session.exec(select(Loop).where(Loop.id != booked_other.id)).one()
        assert mine.state is LoopState.PROPOSED
    _no_double_booking(site)
    assert site.pick(token, fresh[0]).status_code == 302
    _no_double_booking(site)


def test_cross_site_and_tokenless_posts_change_nothing(site: Site) -> None:
    token = site.invite()
    csrf = site.csrf(token)
    key = site.option_keys(site.page(token)[1])[0]
    data = {"csrf": csrf, "option": key, "tz": "Europe/London"}
    assert site.post(token, "pick", data, origin="https://evil.example").status_code == 403
    assert site.post(token, "pick", data, origin=None).status_code == 403
    assert site.post(token, "pick", {**data, "csrf": "forged"}).status_code == 403
    stranger = site.app.test_client()  # another browser: no session cookie, so no token
    response = stranger.post(f"/c/{token}/pick", data=data, headers={"Origin": PUBLIC_URL})
    assert response.status_code == 403
    times = {"csrf": "forged", "date_1": "2026-12-03", "from_1": "09:00", "to_1": "12:00"}
    assert site.post(token, "times", times).status_code == 403
    assert site.loop().state is LoopState.PROPOSED
    assert site.links()[0].candidate_action is None
    with session_scope(site.harness.engine) as session:
        assert session.exec(select(InterviewerRequest)).all() == []


def test_security_headers_on_pages_and_errors(site: Site) -> None:
    token = site.invite()
    for path in (f"/c/{token}", "/c/nonsense", "/c/assets/candidate.css"):
        response = site.client.get(path)
        for name, value in SECURITY_HEADERS.items():
            if name == "Cache-Control" and "assets" in path:
                continue  # static files may be cached; pages never are
            assert response.headers.get(name) == value, (path, name)
    csp = SECURITY_HEADERS["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    _, body = site.page(token)
    assert "<script>" not in body and "style=" not in body and "onclick" not in body


def test_bad_times_get_clear_messages_and_change_nothing(site: Site) -> None:
    token = site.invite()
    csrf = site.csrf(token)
    before = site.loop()
    dms_before = len(site.harness.dms(RECRUITER))
    cases = [
        ({}, "Enter at least one date"),
        ({"date_1": "2026-12-03", "from_1": "12:00", "to_1": "09:00"}, "Row 1: the end time"),
        ({"date_2": "2026-11-20", "from_2": "09:00", "to_2": "12:00"}, "Row 2: 2026-11-20 has"),
        ({"date_1": "2026-12-03", "from_1": "09:00"}, "Row 1: give a date, a start"),
        ({"date_1": "soon", "from_1": "09:00", "to_1": "10:00"}, "is not a date"),
        ({"date_1": "2026-12-03", "from_1": "9am", "to_1": "10:00"}, "times must look like"),
        ({"date_1": "2027-12-03", "from_1": "09:00", "to_1": "10:00"}, "more than 90 days"),
    ]
    for fields, message in cases:
        response = site.post(token, "times", {"csrf": csrf, "tz": "Europe/London", **fields})
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and message in page, (fields, page[-2000:])
        assert "nothing was sent yet" in page
    after = site.loop()
    assert after.request == before.request and after.proposals == before.proposals
    assert len(site.harness.dms(RECRUITER)) == dms_before
    assert site.links()[0].candidate_action is None


def test_own_times_reach_the_recruiter_as_proposals_within_them(site: Site) -> None:
    token = site.invite()
    csrf = site.csrf(token)
    data = {
        "csrf": csrf,
        "tz": "America/New_York",
        "date_1": "2026-12-03",
        "from_1": "08:00",
        "to_1": "12:00",  # 13:00–17:00 GMT
        "date_3": "2026-12-07",
        "from_3": "09:00",
        "to_3": "10:00",
    }
    response = site.post(token, "times", data)
    assert response.status_code == 302
    assert "done=times" in response.headers["Location"]
    proposal = site.harness.dms(RECRUITER)[-1]
    assert "their own available times" in str(proposal["blocks"])
    loop = site.loop()
    starts = [s["start"] for o in loop.proposals or [] for s in o["sessions"]]
    assert starts, proposal
    for start in starts:
        assert start.startswith("2026-12-03T1") or start.startswith("2026-12-07")
    assert loop.state is LoopState.PROPOSED
    assert site.links()[0].candidate_action == "gave_times"
    _, page = site.page(token, done="times", tz="America/New_York")
    assert "we've sent your times to the recruiter" in page


def test_rate_limit_per_link(site: Site) -> None:
    token = site.invite()
    csrf = site.csrf(token)
    codes = [site.post(token, "times", {"csrf": csrf, "tz": "UTC"}).status_code for _ in range(13)]
    assert codes[:12] == [200] * 12 and codes[12] == 429


def test_picked_loop_cannot_take_own_times(site: Site) -> None:
    token = site.invite()
    csrf = site.csrf(token)
    site.pick(token)
    fields = {"date_1": "2026-12-03", "from_1": "09:00", "to_1": "12:00"}
    response = site.post(token, "times", {"csrf": csrf, "tz": "UTC", **fields})
    assert response.status_code == 200
    assert "already being arranged" in response.get_data(as_text=True)
    assert site.loop().state is LoopState.PENDING
    with session_scope(site.harness.engine) as session:
        states = {r.state for r in session.exec(select(InterviewerRequest))}
    assert states == {RequestState.PENDING}


def test_candidates_for_one_role_share_a_planning_run(site: Site) -> None:
    first = site.invite()
    second = site.invite(email="bo@cand.example")
    pages = site.app.extensions["candidate_pages"]
    assert site.page(first)[0] == site.page(second)[0] == 200
    assert len(pages._answers) == 1  # the same request (role, window, busy, minute): one run
    _, one = site.page(first)
    _, two = site.page(second)
    assert site.option_keys(one) == site.option_keys(two)
    site.harness.calendar.add_busy(
        "ana@corp.example", "2026-12-02T09:00:00Z", "2026-12-02T10:00:00Z"
    )
    for loop in site.harness.loops():
        pages.forget(loop.id)
    site.harness.services.calendar.invalidate(["ana@corp.example"])  # type: ignore[union-attr]
    site.page(first)
    assert len(pages._answers) == 2  # different free/busy: planned afresh
