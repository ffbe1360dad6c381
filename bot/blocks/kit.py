"""`BlockKit`: the `bot.views.Renderer` that services are given for the DMs they send."""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks.attention import calendar_change_notice
from bot.blocks.booking import booking_failed_notice
from bot.blocks.candidate import candidate_link_message
from bot.blocks.common import fallback, section
from bot.blocks.loops import booked_summary, cancelled_notice
from bot.blocks.proposals import proposals_message
from bot.blocks.requests import answered_message, request_message
from bot.views import BookedView, CandidateLinkView, ProposalView, Rendered, RequestView


class BlockKit:
    """Renders view data with the builders in this package; holds no state."""

    def request(self, view: RequestView) -> Rendered:
        return request_message(view)

    def answered(self, view: RequestView, outcome: str) -> Rendered:
        return answered_message(view, outcome)

    def note(self, text: str) -> Rendered:
        return fallback(text), [section(text)]

    def booked(self, view: BookedView) -> Rendered:
        return booked_summary(view)

    def cancelled(
        self, loop_id: str, candidate: str, title: str, when: str, reason: str | None
    ) -> str:
        return cancelled_notice(loop_id, candidate, title, when, reason)

    def booking_failed(self, loop_id: str, why: str) -> Rendered:
        return booking_failed_notice(loop_id, why)

    def proposals(self, view: ProposalView) -> Rendered:
        return proposals_message(view)

    def candidate_link(self, view: CandidateLinkView) -> Rendered:
        return candidate_link_message(view)

    def calendar_change(self, loop_id: str, changes: Sequence[str]) -> Rendered:
        return calendar_change_notice(loop_id, changes)
