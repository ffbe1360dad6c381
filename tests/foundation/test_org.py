from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.org import OrgFileError, load_org_file, parse_org
from bot.org.sync import sync_org
from storage.engine import session_scope
from storage.models import (
    AuditLog,
    Interviewer,
    LoopTemplate,
    OrgSettings,
    PoolMembership,
    TemplateStage,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "org.example.yaml"


def example() -> dict[str, Any]:
    data = yaml.safe_load(EXAMPLE.read_text())
    assert isinstance(data, dict)
    return data


def snapshot(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    tables = (OrgSettings, Interviewer, PoolMembership, LoopTemplate, TemplateStage, AuditLog)
    return {
        model.__name__: sorted(
            tuple(sorted(row.model_dump().items())) for row in session.exec(select(model)).all()
        )
        for model in tables
    }


def test_example_is_valid_and_realistic() -> None:
    org = load_org_file(EXAMPLE)
    assert len(org.interviewers) >= 12
    zones = {person.timezone for person in org.interviewers if person.timezone}
    assert len(zones) >= 4
    stages = org.templates["backend-swe"].stages
    assert [(s.name, s.duration_minutes) for s in stages] == [
        ("code-review", 60),
        ("design-discussion", 60),
        ("retro", 45),
    ]


def test_hours_accept_ranges_single_days_and_several_intervals() -> None:
    data = example()
    data["defaults"]["working_hours"] = {"mon-wed": "09:00-12:00,13:00-17:00", "fri": "10:00-24:00"}
    org = parse_org(data)
    assert org.defaults.working_hours == {
        "mon": [["09:00", "12:00"], ["13:00", "17:00"]],
        "tue": [["09:00", "12:00"], ["13:00", "17:00"]],
        "wed": [["09:00", "12:00"], ["13:00", "17:00"]],
        "fri": [["10:00", "24:00"]],
    }


def _mutate(path: list[Any], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(example())
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


BAD_FILES = {
    "wrong type": (["defaults", "max_per_day"], "two", "defaults.max_per_day"),
    "unknown pool in template": (
        ["templates", "backend-swe", "stages", 1, "pool"],
        "architecture",
        "templates.backend-swe.stages[1].pool: unknown pool 'architecture'",
    ),
    "duplicate email": (
        ["interviewers", 1, "email"],
        "ANA@corp.example",
        "interviewers[1].email: 'ana@corp.example' is already used by interviewers[0]",
    ),
    "bad time zone": (
        ["interviewers", 2, "timezone"],
        "Europe/Atlantis",
        "interviewers[2].timezone: 'Europe/Atlantis' is not a known IANA time zone",
    ),
    "hours end before start": (
        ["interviewers", 0, "working_hours"],
        {"mon-fri": "17:00-09:00"},
        "interviewers[0].working_hours: mon-fri: '17:00-09:00' ends before it starts",
    ),
    "unknown day name": (
        ["defaults", "working_hours"],
        {"mon-fryday": "09:00-17:00"},
        "defaults.working_hours: mon-fryday: unknown day 'fryday'",
    ),
    "non-positive duration": (
        ["templates", "backend-swe", "stages", 0, "duration"],
        "0m",
        "templates.backend-swe.stages[0].duration: '0m' must be longer than zero",
    ),
    "unknown field": (["interviewers", 0, "pool"], ["x"], "interviewers[0].pool: unknown field"),
    "bad org zone": (["timezone"], "PST", "timezone: 'PST' is not a known IANA time zone"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_org_files_are_rejected_with_path_and_reason(
    case: str, engine: Engine, tmp_path: Path
) -> None:
    path, value, expected = BAD_FILES[case]
    with session_scope(engine) as session:
        sync_org(load_org_file(EXAMPLE), session=session)
    with session_scope(engine) as session:
        before = snapshot(session)
    bad = tmp_path / "org.yaml"
    bad.write_text(yaml.safe_dump(_mutate(path, value)))
    with pytest.raises(OrgFileError) as raised:
        load_org_file(bad)
    message = str(raised.value)
    assert message.startswith(f"{bad}: ")
    assert expected in message
    assert "\n" not in message
    with session_scope(engine) as session:
        assert snapshot(session) == before


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "org.yaml"
    bad.write_text("timezone: UTC\ninterviewers: [\n")
    with pytest.raises(OrgFileError, match=r"invalid YAML at line \d+"):
        load_org_file(bad)


def test_sync_is_idempotent(engine: Engine) -> None:
    org = load_org_file(EXAMPLE)
    with session_scope(engine) as session:
        first = sync_org(org, session=session)
    assert first.changed
    with session_scope(engine) as session:
        before = snapshot(session)
    with session_scope(engine) as session:
        second = sync_org(org, session=session)
    assert not second.changed
    with session_scope(engine) as session:
        assert snapshot(session) == before


def test_removed_pool_member_is_ineligible_but_kept(engine: Engine) -> None:
    with session_scope(engine) as session:
        sync_org(load_org_file(EXAMPLE), session=session)
    data = example()
    data["interviewers"][0]["pools"] = ["code-review"]  # Ana leaves retro
    del data["interviewers"][1]  # Ben leaves the company
    with session_scope(engine) as session:
        report = sync_org(parse_org(data), session=session)
    assert "interviewer ben@corp.example" in report.deactivated
    with session_scope(engine) as session:
        ana = session.exec(select(Interviewer).where(Interviewer.email == "ana@corp.example")).one()
        ben = session.exec(select(Interviewer).where(Interviewer.email == "ben@corp.example")).one()
        assert ana.active and not ben.active
        memberships = {
            (m.pool, m.interviewer_id): m.active for m in session.exec(select(PoolMembership))
        }
        assert memberships[("retro", ana.id)] is False
        assert memberships[("code-review", ana.id)] is True
        assert memberships[("design-discussion", ben.id)] is False


def test_looked_up_slack_ids_survive_a_sync(engine: Engine) -> None:
    org = load_org_file(EXAMPLE)
    with session_scope(engine) as session:
        sync_org(org, session=session)
    with session_scope(engine) as session:
        kai = session.exec(select(Interviewer).where(Interviewer.email == "kai@corp.example")).one()
        kai.slack_id, kai.timezone = "U11KAI", "America/Sao_Paulo"
    with session_scope(engine) as session:
        assert not sync_org(org, session=session).changed
        kai = session.exec(select(Interviewer).where(Interviewer.email == "kai@corp.example")).one()
        assert (kai.slack_id, kai.timezone) == ("U11KAI", "America/Sao_Paulo")


def test_template_stage_changes_are_applied(engine: Engine) -> None:
    with session_scope(engine) as session:
        sync_org(load_org_file(EXAMPLE), session=session)
    data = example()
    data["templates"]["backend-swe"]["stages"][2]["duration"] = "30m"
    with session_scope(engine) as session:
        report = sync_org(parse_org(data), session=session)
    assert "template backend-swe stages" in report.updated
    with session_scope(engine) as session:
        retro = session.exec(select(TemplateStage).where(TemplateStage.name == "retro")).all()
        assert sorted(stage.duration_minutes for stage in retro) == [30, 45]
