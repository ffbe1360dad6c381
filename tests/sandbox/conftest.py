"""A sandbox server in this process on a free port, with its data in a temporary directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.org import load_org_file
from bot.sandbox.server import SandboxServer

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_ORG = ROOT / "org.example.yaml"


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxServer]:
    server = SandboxServer(load_org_file(EXAMPLE_ORG), EXAMPLE_ORG, tmp_path / "sandbox")
    server.start()
    try:
        yield server
    finally:
        server.stop()
