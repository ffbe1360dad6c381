"""Everything a service needs, built once at start (or per test) and passed explicitly."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from bot.ports import CalendarPort, MessagingPort
from bot.settings import Settings
from bot.views import Renderer
from bot.worker import BackgroundWork


def system_clock() -> datetime:
    return datetime.now(UTC)


# Sends the given reminder-outbox rows at once: the reminder sender
# (`bot.reminders.dispatcher.send_now`), injected because services never import what renders
# Block Kit. Arguments: engine, messenger, clock, row ids.
OutboxSender = Callable[[Engine, MessagingPort, Callable[[], datetime], Sequence[int]], None]


@dataclass
class Services:
    settings: Settings
    engine: Engine
    messenger: MessagingPort
    calendar: CalendarPort | None
    render: Renderer  # bot.blocks.kit.BlockKit: services hand it view data, never build blocks
    clock: Callable[[], datetime] = system_clock
    work: BackgroundWork = field(default_factory=BackgroundWork)
    max_swaps: int = 3
    # Carry out a decision's calendar intents at once in the deciding thread (the periodic
    # worker picks up anything left); off, only the worker runs them.
    inline_intents: bool = True
    # Booking notices are outbox rows written with the move; this sends them right after the
    # commit. None: the dispatcher's next tick sends them (the row makes them durable either way).
    send_outbox: OutboxSender | None = None
