"""What a candidate's link shows and does: live options, picking one, giving own times.

Options are planned live (fresh free/busy, other loops' holds) with the loop's own constraints,
through the same planning code the recruiter's proposals use, and cached briefly per loop so
refreshes do not hammer Google. Picking goes through `book_option`, the very re-check under the
booking lock that the recruiter's `choose_option` uses. Nothing internal leaves this module:
views hold titles, times, Meet links and, only when the org allows it, interviewer first names.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cachetools import TTLCache
from sqlmodel import Session, col, select

from bot.ports import TimeRange
from bot.services.asks import notify, send_requests
from bot.services.candidate_links import mark_action
from bot.services.choose import book_option
from bot.services.context import Services
from bot.services.directory import display_name, find_template, org_view
from bot.services.errors import UserFacingError
from bot.services.planning import parse_instant, run_planner
from bot.services.proposals import plan_for_loop, replan
from bot.services.read import bundle, option_fingerprint
from bot.timefmt import clock_label, day_label
from storage.engine import read_scope
from storage.models import Interviewer, Loop, LoopState, SessionState

log = logging.getLogger(__name__)

OPTIONS_SHOWN = 12
OPTIONS_PLANNED = 24  # options differing only in who interviews look the same to a candidate
OPTIONS_TTL_SECONDS = 60
MAX_AVAILABILITY_ROWS = 20
AVAILABILITY_DAYS_AHEAD = 90
WAITING_STATES = (LoopState.PENDING, LoopState.BOOKING)
ITINERARY_STATES = (LoopState.BOOKED, LoopState.NEEDS_ATTENTION, LoopState.COMPLETED)


@dataclass(frozen=True)
class TimedItem:
    """One session at one time, as the candidate sees it."""

    title: str
    start: datetime
    end: datetime
    people: tuple[str, ...] = ()
    meet_link: str | None = None


@dataclass(frozen=True)
class PageOption:
    key: str  # fingerprint of the option; the pick form posts it back
    items: tuple[TimedItem, ...]

    @property
    def start(self) -> datetime:
        return self.items[0].start


@dataclass(frozen=True)
class StageLine:
    title: str
    minutes: int


@dataclass(frozen=True)
class PageView:
    """Everything the template needs; times are instants, shown in the chosen zone."""

    state: str  # "choose", "waiting", "itinerary", "cancelled", "closed"
    company: str | None
    role: str
    loop_zone: str
    stages: tuple[StageLine, ...]
    options: tuple[PageOption, ...] = ()
    chosen: tuple[TimedItem, ...] = ()
    note: str | None = None
    problem: str | None = None
    attention: bool = False


def distinct_times(options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The best-ranked option for each set of session times (who interviews is not shown)."""
    seen: set[tuple[tuple[str, str, str], ...]] = set()
    kept = []
    for option in options:
        times = tuple(
            sorted(
                (
                    s["stage"],
                    parse_instant(s["start"]).isoformat(),
                    parse_instant(s["end"]).isoformat(),
                )
                for s in option["sessions"]
            )
        )
        if times not in seen:
            seen.add(times)
            kept.append(option)
    return kept


@dataclass
class _Planned:
    options: list[dict[str, Any]]
    titles: dict[str, str]  # stage name → title
    first_names: dict[str, str]  # planner id → first name (shown only if the org allows)
    reason: str | None


@dataclass
class CandidatePages:
    """The candidate page's service, with its short per-loop cache of planned options."""

    services: Services
    ttl_seconds: float = OPTIONS_TTL_SECONDS
    _cache: TTLCache[int, _Planned] = field(init=False)
    _answers: TTLCache[str, dict[str, Any]] = field(init=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, init=False)
    # Striped: one planning run per loop at a time, without a lock object per loop ever seen.
    _loop_locks: tuple[threading.Lock, ...] = field(
        default_factory=lambda: tuple(threading.Lock() for _ in range(64)), init=False
    )

    def __post_init__(self) -> None:
        self._cache = TTLCache(maxsize=2048, ttl=self.ttl_seconds)
        self._answers = TTLCache(maxsize=256, ttl=self.ttl_seconds)

    def _shared_planner(self, request: dict[str, Any]) -> dict[str, Any]:
        """The planner, memoised on its whole request for a short while.

        Candidates for the same role and window, planned in the same minute from the same
        free/busy, send identical requests (the planner is pure), so a burst of them costs one
        planning run instead of one each. Any difference in busy times, holds or hours is a
        different request and is planned afresh.
        """
        key = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
        with self._guard:
            hit = self._answers.get(key)
        if hit is not None:
            return hit
        answer = run_planner(request)
        with self._guard:
            self._answers[key] = answer
        return answer

    # -- planning ----------------------------------------------------------------------------

    def forget(self, loop_id: int) -> None:
        with self._guard:
            self._cache.pop(loop_id, None)

    def _planned(self, loop_id: int) -> _Planned:
        with self._guard:
            hit = self._cache.get(loop_id)
        lock = self._loop_locks[loop_id % len(self._loop_locks)]
        if hit is not None:
            return hit
        with lock:  # one planning run per loop at a time; the others wait and reuse it
            with self._guard:
                hit = self._cache.get(loop_id)
            if hit is not None:
                return hit
            now = self.services.clock().replace(second=0, microsecond=0)
            plan = plan_for_loop(
                self.services,
                loop_id,
                max_options=OPTIONS_PLANNED,
                planner=self._shared_planner,
                now=now,
            )
            options = distinct_times(plan.answer["options"])[:OPTIONS_SHOWN]
            ids = {int(i) for o in options for x in o["sessions"] for i in x["interviewers"]}
            with read_scope(self.services.engine) as session:
                people = session.exec(select(Interviewer).where(col(Interviewer.id).in_(ids)))
                names = {str(p.id): _first_name(p) for p in people}
            planned = _Planned(options, plan.titles, names, plan.answer["diagnostics"]["reason"])
            with self._guard:
                self._cache[loop_id] = planned
            return planned

    # -- reading -----------------------------------------------------------------------------

    def view(self, loop_id: int, *, note: str | None = None) -> PageView:
        with read_scope(self.services.engine) as session:
            loop = session.get(Loop, loop_id)
            assert loop is not None
            org = org_view(session=session)
            company, show_names = org.company, org.show_interviewer_names
            role, stages = _role_and_stages(loop, session=session)
            base = PageView(
                state="choose",
                company=company,
                role=role,
                loop_zone=loop.candidate_timezone,
                stages=stages,
                note=note,
            )
            if loop.state is LoopState.CANCELLED:
                return _replace(base, state="cancelled")
            if loop.state in WAITING_STATES or loop.state in ITINERARY_STATES:
                found = bundle(loop, session=session)
                items = []
                for item in found.sessions:
                    if item.state is SessionState.CANCELLED:
                        continue
                    assert item.id is not None
                    people = (
                        tuple(
                            _first_name(found.people[r.interviewer_id])
                            for r in found.holders(item.id)
                        )
                        if show_names
                        else ()
                    )
                    items.append(
                        TimedItem(
                            item.title,
                            item.start,
                            item.end,
                            people,
                            _safe_link(item.meet_link) if loop.state in ITINERARY_STATES else None,
                        )
                    )
                state = "itinerary" if loop.state in ITINERARY_STATES else "waiting"
                return _replace(
                    base,
                    state=state,
                    chosen=tuple(items),
                    attention=loop.state is LoopState.NEEDS_ATTENTION,
                )
            if loop.state is not LoopState.PROPOSED:
                return _replace(base, state="closed")
        try:
            planned = self._planned(loop_id)
        except UserFacingError as error:
            log.warning("candidate page: cannot plan: %s", error, extra={"loop": loop.short_id})
            return _replace(
                base,
                problem="We can't show interview times right now. Please try again in a few "
                "minutes; your recruiter can help too.",
            )
        return _replace(
            base,
            options=tuple(_page_option(raw, planned, show_names) for raw in planned.options),
        )

    # -- picking -----------------------------------------------------------------------------

    def pick(self, loop_id: int, link_id: int, key: str) -> str:
        """Book the option with fingerprint `key`; "booked", "already" or "stale"."""
        with read_scope(self.services.engine) as session:
            loop = session.get(Loop, loop_id)
            assert loop is not None
            if loop.state is not LoopState.PROPOSED:
                return "already"
        try:
            planned = self._planned(loop_id)
        except UserFacingError:
            return "stale"
        option = next((o for o in planned.options if option_fingerprint(o) == key), None)
        if option is None:
            self.forget(loop_id)
            return "stale"
        try:
            result = book_option(
                self.services,
                loop_id=loop_id,
                option=option,
                index=None,
                actor="candidate",
                booked_message="The candidate picked a time",
            )
        except UserFacingError:
            self.forget(loop_id)
            return "stale"
        self.forget(loop_id)
        if result.outcome == "booked":
            mark_action(self.services, link_id, "picked")
            self.services.work.submit(_after_pick, self.services, loop_id, result.request_ids)
            return "booked"
        return "already" if result.outcome == "already" else "stale"

    # -- the candidate's own times -----------------------------------------------------------

    def give_times(
        self, loop_id: int, link_id: int, rows: Sequence[tuple[str, str, str]], zone: str
    ) -> list[str]:
        """Plan within the candidate's own times and send the options to the recruiter.

        Returns the problems found in the rows (nothing changes then); empty when accepted.
        """
        with read_scope(self.services.engine) as session:
            loop = session.get(Loop, loop_id)
            assert loop is not None
            if loop.state is not LoopState.PROPOSED:
                return ["Your interview is already being arranged, so times can't be added now."]
            loop_zone = loop.candidate_timezone
        ranges, problems = parse_rows(rows, zone, self.services.clock())
        if problems:
            return problems
        local_days = sorted(
            {r.start.astimezone(ZoneInfo(loop_zone)).date() for r in ranges}
            | {
                (r.end - timedelta(microseconds=1)).astimezone(ZoneInfo(loop_zone)).date()
                for r in ranges
            }
        )
        window = (local_days[0], local_days[-1])
        mark_action(self.services, link_id, "gave_times")
        self.forget(loop_id)
        self.services.work.submit(_plan_for_recruiter, self.services, loop_id, ranges, window)
        return []


def _replace(view: PageView, **changes: Any) -> PageView:
    return replace(view, **changes)


def _safe_link(url: str | None) -> str | None:
    return url if url and url.startswith("https://") else None


def _first_name(person: Interviewer) -> str:
    return display_name(person).split()[0]


def _role_and_stages(loop: Loop, *, session: Session) -> tuple[str, tuple[StageLine, ...]]:
    """The role's title and the loop's sessions with their lengths, from its template."""
    found = find_template(loop.template_key, session=session)
    if found is not None:
        template, stages = found
        return template.title, tuple(StageLine(s.title, s.duration_minutes) for s in stages)
    planned = (loop.request or {}).get("loop", {}).get("stages", [])
    return loop.template_key, tuple(
        StageLine(s["name"], int(s["duration_minutes"])) for s in planned
    )


def _page_option(raw: dict[str, Any], planned: _Planned, show_names: bool) -> PageOption:
    return PageOption(
        key=option_fingerprint(raw),
        items=tuple(
            TimedItem(
                planned.titles.get(s["stage"], s["stage"]),
                parse_instant(s["start"]),
                parse_instant(s["end"]),
                tuple(planned.first_names.get(str(i), "") for i in s["interviewers"])
                if show_names
                else (),
            )
            for s in sorted(raw["sessions"], key=lambda s: parse_instant(s["start"]))
        ),
    )


def parse_rows(
    rows: Sequence[tuple[str, str, str]], zone: str, now: datetime
) -> tuple[list[TimeRange], list[str]]:
    """Rows of (date, from, to) in `zone` → UTC ranges, or the problems, one per bad row."""
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    ranges: list[TimeRange] = []
    problems: list[str] = []
    filled = [(n, row) for n, row in enumerate(rows[:MAX_AVAILABILITY_ROWS], 1) if any(row)]
    if not filled:
        return [], ["Enter at least one date with a start and end time."]
    for number, (day_text, from_text, to_text) in filled:
        where = f"Row {number}"
        if not (day_text and from_text and to_text):
            problems.append(f"{where}: give a date, a start time and an end time.")
            continue
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            problems.append(f"{where}: “{day_text[:20]}” is not a date like 2026-12-02.")
            continue
        try:
            start_t, end_t = _clock(from_text), _clock(to_text)
        except ValueError:
            problems.append(f"{where}: times must look like 09:30.")
            continue
        if day < today:
            problems.append(f"{where}: {day.isoformat()} has already passed.")
            continue
        if day > today + timedelta(days=AVAILABILITY_DAYS_AHEAD):
            problems.append(
                f"{where}: {day.isoformat()} is more than {AVAILABILITY_DAYS_AHEAD} days away."
            )
            continue
        if end_t <= start_t:
            problems.append(f"{where}: the end time must be after the start time.")
            continue
        start = _instant(day, start_t, tz)
        end = _instant(day, end_t, tz)
        if end <= now:
            problems.append(f"{where}: that time has already passed.")
            continue
        ranges.append(TimeRange(max(start, now), end))
    return ([], problems) if problems else (ranges, [])


def _clock(text: str) -> time:
    if len(text) not in (5, 8) or text[2] != ":":
        raise ValueError(text)
    return time.fromisoformat(text)


def _instant(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """A local wall time as an instant; a time in a DST gap means the first instant after it
    (CONTRACT.md section 5), an ambiguous one its first occurrence."""
    naive = datetime.combine(day, clock)
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == naive:
        return first
    # In a gap: step from the earlier reading minute by minute to where the wall clock jumps.
    moment = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    while moment.astimezone(tz).replace(tzinfo=None) < naive:
        moment += timedelta(minutes=1)
    return moment


def _after_pick(services: Services, loop_id: int, request_ids: tuple[int, ...]) -> None:
    """As after `choose_option`: ask the interviewers, then tell the recruiter by DM."""
    unreachable = send_requests(services, request_ids)
    with read_scope(services.engine) as session:
        loop = session.get(Loop, loop_id)
        assert loop is not None
        chosen = (loop.proposals or [])[loop.chosen_option or 0]
        recruiter, short_id, zone = loop.recruiter_slack_id, loop.short_id, loop.candidate_timezone
    starts = [parse_instant(s["start"]) for s in chosen["sessions"]]
    ends = [parse_instant(s["end"]) for s in chosen["sessions"]]
    when = f"{day_label(min(starts), zone)} {clock_label(min(starts), max(ends), zone)}"
    text = (
        f":raised_hands: The candidate picked a time on their link for loop `{short_id}`: "
        f"{when}. I'm asking the interviewers now."
    )
    if unreachable:
        text += f"\n:warning: Could not reach {', '.join(unreachable)}."
    notify(services, recruiter, text, short_id)


def _plan_for_recruiter(
    services: Services, loop_id: int, ranges: list[TimeRange], window: tuple[date, date]
) -> None:
    """The candidate's own times → fresh proposals for the recruiter, by DM."""
    with read_scope(services.engine) as session:
        loop = session.get(Loop, loop_id)
        assert loop is not None
        recruiter, short_id = loop.recruiter_slack_id, loop.short_id
    try:
        view = replan(
            services,
            loop_id,
            note=f"The candidate sent their own available times for loop `{short_id}`; "
            "these options fit within them.",
            availability=tuple(ranges),
            window=window,
        )
    except UserFacingError as error:
        notify(
            services,
            recruiter,
            f"The candidate sent their own times for loop `{short_id}`, but I could not plan: "
            f"{error}",
            short_id,
        )
        return
    services.messenger.send_dm(recruiter, *services.render.proposals(view))
