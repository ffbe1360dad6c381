"""Candidate links: issued by invite and by the proposals button, signed, expiring, revoked."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

from bot.services.candidate_links import LinkStatus, lookup, sign, unsign
from storage.models import CandidateLinkState, LoopState
from tests.candidate.conftest import PUBLIC_URL, Site
from tests.slack.conftest import RECRUITER, Harness

SECRET_WORDS = ("Ada", "Lovelace", "ada@cand.example", "Software Engineer", "Code review")


def _reveals_nothing(body: str) -> None:
    visible = re.sub(r"/c/[A-Za-z0-9_.\-]+", "/c/TOKEN", body)  # a random token may spell anything
    for word in (*SECRET_WORDS, "GMT", "Dec 2026", "Example Corp"):
        assert word not in visible, word


def test_invite_gives_the_recruiter_a_signed_link_without_personal_data(site: Site) -> None:
    token = site.invite()
    message = site.harness.dms(RECRUITER)[-1]
    assert f"{PUBLIC_URL}/c/{token}" in str(message["blocks"])
    assert f"`{site.loop().short_id}`" in message["text"]
    payload = token.split(".")[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    for word in SECRET_WORDS:
        assert word.lower() not in decoded.lower()
    assert site.loop().state is LoopState.PROPOSED
    [link] = site.links()
    assert link.state is CandidateLinkState.ACTIVE and link.opened_at is None


def test_invite_is_refused_without_public_url(harness: Harness) -> None:
    response = harness.command("invite ada@cand.example backend-swe")
    assert "PUBLIC_URL" in response.body and "ephemeral" in response.body
    assert harness.loops() == []
    assert harness.dms(RECRUITER) == []


def test_invite_refuses_others_and_names_bad_arguments(site: Site) -> None:
    refused = site.harness.command("invite ada@cand.example backend-swe", user="U01ANA")
    assert "Only recruiters" in refused.body
    bad = site.harness.command("invite not-an-email backend-swe")
    assert "not an email address" in bad.body and "/interview invite EMAIL TEMPLATE" in bad.body
    wrong_date = site.harness.command("invite ada@cand.example backend-swe from=2026-13-01")
    assert "from=2026-13-01" in wrong_date.body and "Usage" in wrong_date.body
    assert site.harness.loops() == [] and site.links() == []


def test_proposals_offer_the_candidate_link_button(site: Site) -> None:
    proposal = site.harness.propose()
    [button] = site.harness.buttons(proposal, "candidate_link")
    site.harness.click(button["action_id"], button["value"], RECRUITER)
    reply = site.harness.slack.calls("response_url")[-1].args
    assert reply["response_type"] == "ephemeral" and f"{PUBLIC_URL}/c/" in str(reply["blocks"])
    [link] = site.links()
    assert link.loop_id == site.loop().id
    site.harness.click(button["action_id"], button["value"], "U01ANA")
    assert "Only recruiters" in site.harness.slack.calls("response_url")[-1].args["text"]
    assert len(site.links()) == 1  # an interviewer's click made no link


def test_no_button_without_public_url(harness: Harness) -> None:
    assert harness.buttons(harness.propose(), "candidate_link") == []


def test_tampered_and_unknown_tokens_are_404(site: Site) -> None:
    token = site.invite()
    assert site.page(token)[0] == 200
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    status, body = site.page(tampered)
    assert status == 404
    _reveals_nothing(body)
    forged = sign(site.harness.services, "not-a-link")
    assert site.page(forged)[0] == 404
    assert unsign(site.harness.services, tampered) is None
    assert site.page("x" * 500)[0] == 404


def test_links_expire_after_the_ttl(site: Site) -> None:
    token = site.invite()
    ttl = site.harness.services.settings.candidate_link_ttl
    site.harness.clock.now += ttl - timedelta(seconds=1)
    assert lookup(site.harness.services, token).status is LinkStatus.OK
    site.harness.clock.now += timedelta(seconds=1)
    assert lookup(site.harness.services, token).status is LinkStatus.EXPIRED
    status, body = site.page(token)
    assert status == 410
    _reveals_nothing(body)


def test_cancelling_revokes_the_link(site: Site) -> None:
    token = site.invite()
    site.harness.command(f"cancel {site.loop().short_id}")
    status, body = site.page(token)
    assert status == 410 and "cancelled" in body
    _reveals_nothing(body)
    assert site.links()[0].state is CandidateLinkState.REVOKED


def test_rescheduling_revokes_and_issues_a_new_link(site: Site) -> None:
    token = site.invite()
    assert site.pick(token).status_code == 302
    site.harness.command(f"reschedule {site.loop().short_id}")
    status, body = site.page(token)
    assert status == 410 and "no longer works" in body
    _reveals_nothing(body)
    [message] = [
        m for m in site.harness.dms(RECRUITER) if "old link no longer works" in str(m["blocks"])
    ]
    new = site.links()[-1]
    assert new.state is CandidateLinkState.ACTIVE and len(site.links()) == 2
    new_token = str(message["blocks"]).split("/c/")[1].split()[0].rstrip("'\"}")
    assert site.page(new_token)[0] == 200


def test_status_shows_whether_the_link_was_opened_and_used(site: Site) -> None:
    token = site.invite()
    short_id = site.loop().short_id

    def status_text() -> str:
        site.harness.command(f"status {short_id}")
        return str(site.harness.slack.calls("response_url")[-1].args)

    assert "not opened yet" in status_text()
    site.page(token)
    assert "opened; no choice made yet" in status_text()
    site.pick(token)
    assert "the candidate picked an option" in status_text()
