"""The recruiter's proposals: each option with dates and times for candidate and interviewers."""

from __future__ import annotations

from bot.blocks.common import (
    Block,
    actions,
    button,
    context,
    divider,
    escape,
    fallback,
    fit_message,
    header,
    section,
    who,
)
from bot.ids import ActionId, with_suffix
from bot.timefmt import clock_label, day_label
from bot.views import OptionView, ProposalView, SessionView


def _who(session: SessionView) -> str:
    parts = []
    for person in session.interviewers:
        mention = who(person.slack_id, person.name)
        own = clock_label(session.start, session.end, person.timezone)
        parts.append(f"{mention} ({own})")
    return ", ".join(parts)


def option_lines(option: OptionView, candidate_timezone: str) -> str:
    lines = []
    day = None
    for session in option.sessions:
        this_day = day_label(session.start, candidate_timezone)
        if this_day != day:
            lines.append(f"*{this_day}*")
            day = this_day
        lines.append(
            f"• {clock_label(session.start, session.end, candidate_timezone)} "
            f"*{escape(session.title)}* with {_who(session)}"
        )
    return "\n".join(lines)


def proposals_message(view: ProposalView) -> tuple[str, list[Block]]:
    title = f"Loop `{view.loop_id}`: {escape(view.candidate)} — {escape(view.template_title)}"
    blocks: list[Block] = [header(f"Interview options for {view.candidate}")]
    blocks.append(
        context(
            f"Loop `{view.loop_id}` · {escape(view.template_title)} · candidate times in "
            f"{view.candidate_timezone}"
        )
    )
    if view.note:
        blocks.append(section(escape(view.note)))
    if view.unknown_calendars:
        names = ", ".join(
            f"{escape(n)} ({escape(e)})" for n, e in sorted(view.unknown_calendars.items())
        )
        blocks.append(context(f":warning: Calendars I could not read, left out: {names}"))
    if not view.options:
        reason = view.reason or "no loop fits the constraints"
        blocks.append(
            section(
                f":no_entry: No loop fits: {escape(reason)}\n"
                "Try a wider window (`from=`/`to=`), other candidate availability, or another "
                "template (`/interview templates`)."
            )
        )
        return fallback(f"{title}: no loop fits — {escape(reason)}"), blocks
    for option in view.options:
        label = "Recommended" if option.index == 0 else f"Option {option.index + 1}"
        blocks.append(divider())
        blocks.append(
            section(
                f"*{label}* — {escape(option.why)}\n"
                f"{option_lines(option, view.candidate_timezone)}",
                accessory=button(
                    "Book this",
                    with_suffix(ActionId.CHOOSE_OPTION, option.index),
                    f"{view.loop_id}:{option.index}:{option.fingerprint}",
                    style="primary" if option.index == 0 else None,
                ),
            )
        )
    if view.candidate_link:
        blocks.append(
            actions(
                [
                    button(
                        "Let the candidate pick (link)",
                        ActionId.CANDIDATE_LINK.value,
                        view.loop_id,
                    )
                ]
            )
        )
    first = view.options[0]
    summary = "; ".join(
        f"{day_label(s.start, view.candidate_timezone)} "
        f"{clock_label(s.start, s.end, view.candidate_timezone)} {escape(s.title)}"
        for s in first.sessions
    )
    blocks = fit_message(blocks, "More options were left out to fit Slack's limits.")
    return fallback(f"{title}: {len(view.options)} options. Recommended: {summary}"), blocks


def chosen_message(view: ProposalView, chosen: int, by_user: str) -> tuple[str, list[Block]]:
    """The proposals message once an option is taken: no buttons left to click twice."""
    option = next((o for o in view.options if o.index == chosen), None)
    blocks: list[Block] = [header(f"Interview options for {view.candidate}")]
    if option is None:
        blocks.append(
            section(f"Loop `{view.loop_id}`: option {chosen + 1} chosen by <@{by_user}>.")
        )
        return fallback(f"Loop `{view.loop_id}`: option chosen"), blocks
    blocks.append(
        section(
            f":white_check_mark: Loop `{view.loop_id}`: option {chosen + 1} chosen by "
            f"<@{by_user}>; "
            f"asking the interviewers now.\n{option_lines(option, view.candidate_timezone)}"
        )
    )
    return fallback(f"Loop `{view.loop_id}`: option {chosen + 1} chosen"), blocks
