"""Messages about whole loops: booked summary, status, cancellation, templates, pools."""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks.common import (
    Block,
    context,
    divider,
    escape,
    fallback,
    fit_message,
    header,
    section,
    who,
)
from bot.timefmt import clock_label, day_label
from bot.views import BookedView, LoopStatus, PersonTime, SessionView

CALENDAR_ANSWERS = {"accepted": "accepted", "tentative": "tentative", "declined": "declined"}


def _person(person: PersonTime) -> str:
    label = who(person.slack_id, person.name)
    answer = CALENDAR_ANSWERS.get(person.calendar_answer or "")
    return f"{label} (invite {answer})" if answer else label


def _session_line(view: SessionView, zone: str) -> str:
    people = ", ".join(_person(p) for p in view.interviewers) or "_nobody yet_"
    line = (
        f"• {day_label(view.start, zone)} {clock_label(view.start, view.end, zone)} "
        f"*{escape(view.title)}* — {people} · _{view.state}_"
    )
    if view.meet_link:
        line += f" · <{view.meet_link}|Meet>"
    return line


def booked_summary(view: BookedView) -> tuple[str, list[Block]]:
    loop_id, candidate, template_title = view.loop_id, view.candidate, view.template_title
    zone, sessions = view.zone, view.sessions
    lines = "\n".join(_session_line(s, zone) for s in sessions)
    blocks = [
        header(f"Booked: {candidate}"),
        section(
            f":calendar: Loop `{loop_id}` for {escape(candidate)} ({escape(template_title)}) is "
            f"booked; invitations with Meet links went to everyone.\n{lines}"
        ),
        context(f"Times in the candidate's zone ({zone})."),
    ]
    return fallback(f"Loop `{loop_id}` booked for {escape(candidate)}"), blocks


def status_message(title: str, loops: Sequence[LoopStatus]) -> tuple[str, list[Block]]:
    if not loops:
        found = f"*{escape(title)}*: nothing found."
        return fallback(f"{escape(title)}: nothing found"), [section(found)]
    blocks: list[Block] = [section(f"*{escape(title)}*")]
    for loop in loops:
        lines = "\n".join(_session_line(s, loop.zone) for s in loop.sessions) or "_no sessions yet_"
        if loop.candidate_link:
            lines += f"\n:link: {loop.candidate_link}"
        blocks.append(divider())
        blocks.append(
            section(
                f"`{loop.loop_id}` · {escape(loop.candidate)} · {escape(loop.template_title)} · "
                f"*{loop.state}*"
                + (f" — {escape(loop.attention)}" if loop.attention else "")
                + f"\n{lines}"
            )
        )
    blocks = fit_message(blocks, "More loops were left out; ask for one loop id to see it.")
    text = "; ".join(f"`{loop.loop_id}` {loop.state}" for loop in loops)
    return fallback(f"{escape(title)}: {text}"), blocks


def cancelled_notice(
    loop_id: str, candidate: str, title: str, when: str, reason: str | None
) -> str:
    why = f" Reason: {escape(reason)}" if reason else ""
    return (
        f":x: Interview cancelled: *{escape(title)}* with {escape(candidate)} on {when} "
        f"(loop `{loop_id}`). Nothing is needed from you.{why}"
    )


def templates_message(
    templates: Sequence[tuple[str, str, Sequence[str]]],
) -> tuple[str, list[Block]]:
    if not templates:
        return "No templates loaded.", [section("No templates are loaded; check the org file.")]
    blocks = [section("*Loop templates*")]
    for key, title, stages in templates:
        blocks.append(
            section(
                f"`{escape(key)}` — {escape(title)}\n" + "\n".join(f"• {escape(s)}" for s in stages)
            )
        )
    blocks = fit_message(blocks, "More templates were left out.")
    return fallback("Templates: " + ", ".join(escape(key) for key, _, _ in templates)), blocks


def pools_message(pools: Sequence[tuple[str, Sequence[str]]]) -> tuple[str, list[Block]]:
    if not pools:
        return "No pools.", [section("No interviewer pools are loaded; check the org file.")]
    blocks = [section("*Interviewer pools* — interviews this week / weekly cap")]
    for name, lines in pools:
        blocks.append(section(f"*{escape(name)}*\n" + "\n".join(lines)))
    blocks = fit_message(blocks, "More pools were left out.")
    return fallback("Pools: " + ", ".join(escape(name) for name, _ in pools)), blocks
