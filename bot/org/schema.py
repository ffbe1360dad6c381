"""Validated shape of the org file (CONTRACT.md section 6).

Validation happens entirely here, before anything touches the database, so an invalid file is
rejected whole and a valid one can be loaded in a single transaction.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from bot.durations import parse_duration
from bot.org.hours import WeekHours, parse_week_hours


def _zone(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a known IANA time zone") from None
    return value


def _positive_duration(value: Any) -> Any:
    if isinstance(value, str):
        parsed = parse_duration(value)
    elif isinstance(value, timedelta):
        parsed = value
    else:
        raise ValueError(f"{value!r} is not a duration like 30m, 1h or 2d")
    if parsed <= timedelta(0):
        raise ValueError(f"{value!r} must be longer than zero")
    return parsed


def _non_negative_duration(value: Any) -> Any:
    if isinstance(value, str):
        return parse_duration(value)
    if isinstance(value, timedelta):
        return value
    raise ValueError(f"{value!r} is not a duration like 30m, 1h or 2d")


def _week_hours(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError('expected a mapping like {mon-fri: "09:00-17:00"}')
    return parse_week_hours({str(key): str(text) for key, text in value.items()})


Zone = Annotated[str, BeforeValidator(_zone)]
PositiveDuration = Annotated[timedelta, BeforeValidator(_positive_duration)]
Duration = Annotated[timedelta, BeforeValidator(_non_negative_duration)]
Hours = Annotated[WeekHours, BeforeValidator(_week_hours)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
SlackId = Annotated[str, StringConstraints(pattern=r"^[UW][A-Z0-9]{2,30}$")]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]
PositiveInt = Annotated[int, Field(gt=0, strict=True)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Defaults(_Strict):
    max_per_day: PositiveInt | None = None
    max_per_week: PositiveInt | None = None
    buffer: Duration = timedelta(0)
    min_notice: Duration = timedelta(0)
    slot_step: PositiveDuration = timedelta(minutes=15)
    working_hours: Hours = Field(
        default_factory=lambda: parse_week_hours({"mon-fri": "09:00-17:00"})
    )
    candidate_hours: Hours = Field(
        default_factory=lambda: parse_week_hours({"mon-fri": "09:00-18:00"})
    )

    @field_validator("slot_step")
    @classmethod
    def _whole_minutes(cls, value: timedelta) -> timedelta:
        if value.total_seconds() % 60 or value > timedelta(hours=24):
            raise ValueError("must be whole minutes and at most 24h")
        return value


class InterviewerEntry(_Strict):
    email: Email
    slack_id: SlackId | None = None
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    timezone: Zone | None = None
    pools: list[Name] = Field(min_length=1)
    working_hours: Hours | None = None
    max_per_day: PositiveInt | None = None
    max_per_week: PositiveInt | None = None


class StageEntry(_Strict):
    name: Name
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    duration: PositiveDuration
    pool: Name
    interviewers: PositiveInt = 1
    prep: str | None = None

    @field_validator("duration")
    @classmethod
    def _whole_minutes(cls, value: timedelta) -> timedelta:
        if value.total_seconds() % 60:
            raise ValueError("must be whole minutes")
        return value

    @property
    def duration_minutes(self) -> int:
        return int(self.duration.total_seconds() // 60)


class TemplateEntry(_Strict):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    same_day: bool = True
    order: Literal["fixed", "any"] = "fixed"
    min_break: Duration = timedelta(0)
    max_break: Duration = timedelta(minutes=60)
    stages: list[StageEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> TemplateEntry:
        names = [stage.name for stage in self.stages]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"stage names must be unique; repeated: {', '.join(duplicates)}")
        if self.max_break < self.min_break:
            raise ValueError("max_break is shorter than min_break")
        return self


class CandidatePage(_Strict):
    show_interviewer_names: bool = False  # first names only when true


class OrgConfig(_Strict):
    timezone: Zone
    company: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] | None = None
    candidate_page: CandidatePage = Field(default_factory=CandidatePage)
    recruiters: list[SlackId] = Field(default_factory=list)
    defaults: Defaults = Field(default_factory=Defaults)
    interviewers: list[InterviewerEntry] = Field(default_factory=list)
    templates: dict[Name, TemplateEntry] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _cross_references(self) -> OrgConfig:
        seen_emails: dict[str, int] = {}
        seen_ids: dict[str, int] = {}
        for index, person in enumerate(self.interviewers):
            if person.email in seen_emails:
                raise ValueError(
                    f"interviewers[{index}].email: {person.email!r} is already used by "
                    f"interviewers[{seen_emails[person.email]}]"
                )
            seen_emails[person.email] = index
            if person.slack_id is not None:
                if person.slack_id in seen_ids:
                    raise ValueError(
                        f"interviewers[{index}].slack_id: {person.slack_id!r} is already used by "
                        f"interviewers[{seen_ids[person.slack_id]}]"
                    )
                seen_ids[person.slack_id] = index
        pools = self.pools()
        for key, template in self.templates.items():
            for index, stage in enumerate(template.stages):
                if stage.pool not in pools:
                    raise ValueError(
                        f"templates.{key}.stages[{index}].pool: unknown pool {stage.pool!r} "
                        "(no interviewer lists it; known pools: "
                        f"{', '.join(sorted(pools)) or 'none'})"
                    )
        return self

    def pools(self) -> set[str]:
        return {pool for person in self.interviewers for pool in person.pools}
