"""The scheduling modal (what it submits is parsed in bot/forms.py)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks.common import Block, plain
from bot.ids import BlockId, CallbackId

OPTION_TEXT_MAX = 75


def _input(
    block_id: BlockId, label: str, element: Block, optional: bool = False, hint: str | None = None
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id.value,
        "label": plain(label, 2000),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def schedule_modal(templates: Sequence[tuple[str, str]], default_zone: str) -> Block:
    """`templates` are (key, title) pairs; at most 100 fit a static select."""
    options = [
        {"text": plain(f"{title} ({key})", OPTION_TEXT_MAX), "value": key[:150]}
        for key, title in templates[:100]
    ]
    template_element: Block = {"type": "static_select", "action_id": "value", "options": options}
    if options:
        template_element["initial_option"] = options[0]
    return {
        "type": "modal",
        "callback_id": CallbackId.SCHEDULE_MODAL.value,
        "title": plain("Schedule interviews", 24),
        "submit": plain("Find times", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            _input(
                BlockId.CANDIDATE_NAME,
                "Candidate name",
                {"type": "plain_text_input", "action_id": "value", "max_length": 200},
            ),
            _input(
                BlockId.CANDIDATE_EMAIL,
                "Candidate email",
                {"type": "email_text_input", "action_id": "value"},
            ),
            _input(BlockId.TEMPLATE, "Loop template", template_element),
            _input(
                BlockId.TIMEZONE,
                "Candidate time zone",
                {"type": "plain_text_input", "action_id": "value", "initial_value": default_zone},
                hint="IANA name, e.g. Europe/London or America/Sao_Paulo",
            ),
            _input(
                BlockId.DATE_FROM,
                "Earliest date (candidate's)",
                {"type": "datepicker", "action_id": "value"},
                optional=True,
            ),
            _input(
                BlockId.DATE_TO,
                "Latest date (candidate's)",
                {"type": "datepicker", "action_id": "value"},
                optional=True,
            ),
            _input(
                BlockId.AVAILABILITY,
                "Candidate availability",
                {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "placeholder": plain("2026-12-02 09:00-12:00, 14:00-17:00", 150),
                },
                optional=True,
                hint="One date per line, in the candidate's time zone. Empty: their usual hours.",
            ),
            _input(
                BlockId.NOTES,
                "Notes for interviewers",
                {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "max_length": 1000,
                },
                optional=True,
            ),
        ],
    }
