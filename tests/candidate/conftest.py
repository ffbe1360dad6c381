"""A site: the Slack scenario harness with PUBLIC_URL set, plus the public Flask app over it.

Candidate links are made the way recruiters make them (signed `/interview invite` requests);
the page is driven with Flask's test client (or a real browser in test_browser.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pydantic import SecretStr
from sqlmodel import select

from bot.org import parse_org
from bot.org.sync import sync_org
from bot.web.app import create_public_app
from storage.engine import session_scope
from storage.models import CandidateLink, Loop
from tests.slack.conftest import RECRUITER, Harness, harness, org_data

__all__ = ["harness"]  # the Slack scenario harness, reused here as a fixture

PUBLIC_URL = "http://candidates.test"
SECRET = "s" * 40
LINK = re.compile(r"/c/([A-Za-z0-9_.\-]+)")
INTERVIEWERS = ("U01ANA", "U02BEN", "U03CHI", "U04DAN", "U05EVA", "U06FAY", "U07GUS")


def enable_public(harness: Harness, url: str = PUBLIC_URL) -> None:
    harness.services.settings = harness.services.settings.model_copy(
        update={"public_url": url, "secret_key": SecretStr(SECRET)}
    )


def load_org(harness: Harness, **changes: Any) -> None:
    data = org_data()
    data.update(changes)
    with session_scope(harness.engine) as session:
        sync_org(parse_org(data), session=session)


@dataclass
class Site:
    harness: Harness
    app: Flask
    client: FlaskClient

    def invite(self, extra: str = "", email: str = "ada@cand.example") -> str:
        """Run `/interview invite` and return the link's token."""
        before = len(self.harness.dms(RECRUITER))
        self.harness.command(
            f'invite {email} backend-swe name="Ada Lovelace" tz=Europe/London '
            f"from=2026-12-02 to=2026-12-04 {extra}"
        )
        messages = self.harness.dms(RECRUITER)
        assert len(messages) == before + 1, messages
        found = LINK.search(str(messages[-1]["blocks"]))
        assert found is not None
        return found.group(1)

    def page(self, token: str, **query: str) -> tuple[int, str]:
        response = self.client.get(f"/c/{token}", query_string=query)
        return response.status_code, response.get_data(as_text=True)

    def csrf(self, token: str) -> str:
        _, body = self.page(token)
        found = re.search(r'name="csrf" value="([^"]+)"', body)
        assert found is not None, body
        return found.group(1)

    def option_keys(self, body: str) -> list[str]:
        return re.findall(r'name="option" value="([0-9a-f]+)"', body)

    def post(
        self, token: str, what: str, data: dict[str, str], origin: str | None = PUBLIC_URL
    ) -> Any:
        headers = {"Origin": origin} if origin is not None else {}
        response = self.client.post(f"/c/{token}/{what}", data=data, headers=headers)
        self.harness.settle()
        return response

    def pick(self, token: str, key: str | None = None, tz: str = "Europe/London") -> Any:
        csrf = self.csrf(token)
        if key is None:
            _, body = self.page(token)
            key = self.option_keys(body)[0]
        return self.post(token, "pick", {"csrf": csrf, "option": key, "tz": tz})

    def loop(self) -> Loop:
        loops = self.harness.loops()
        assert len(loops) >= 1
        return loops[0]

    def links(self) -> list[CandidateLink]:
        with session_scope(self.harness.engine) as session:
            return list(session.exec(select(CandidateLink)).all())

    def confirm_all(self) -> None:
        for user in INTERVIEWERS:
            for button in self.harness.pending_request_buttons(user):
                self.harness.click(button["action_id"], button["value"], user)


@pytest.fixture
def site(harness: Harness) -> Site:
    enable_public(harness)
    load_org(harness, company="Example Corp")
    app = create_public_app(harness.services)
    assert app is not None
    app.config["TESTING"] = True
    return Site(harness, app, app.test_client())
