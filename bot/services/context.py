"""Everything a service needs, built once at start (or per test) and passed explicitly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from bot.ports import CalendarPort, MessagingPort
from bot.settings import Settings
from bot.views import Renderer
from bot.worker import BackgroundWork


def system_clock() -> datetime:
    return datetime.now(UTC)


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
