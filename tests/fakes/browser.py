"""Browser fixtures: headless Debian Chromium driven by Playwright, plus an axe-core scan.

`scripts/browser-deps` (run by `make test`) installs Chromium and axe-core. Outside CI a machine
without them skips the browser tests with a message; in CI (`CI=true`) a missing browser fails,
so a green CI run always includes the browser tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[2] / ".cache/npm/node_modules/axe-core/axe.min.js"


def _missing(what: str) -> None:
    message = f"{what} is not installed; run scripts/browser-deps"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session; each test opens its own context."""
    if not CHROMIUM.exists():
        _missing("Chromium (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        _missing("axe-core")
    return AXE.read_text(encoding="utf-8")


def axe_violations(
    page: Any, source: str, impacts: tuple[str, ...] = ("serious", "critical")
) -> list[Any]:
    """Run axe-core in `page`; the violations of the given impacts (id, impact, help, nodes)."""
    page.add_script_tag(content=source)
    result = page.evaluate("async () => await axe.run(document)")
    return [v for v in result["violations"] if v.get("impact") in impacts]


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    """Where browser tests save screenshots: `docs/` when SAVE_SCREENSHOTS=1 (to refresh the
    README's pictures), else the test's temporary folder, so a test run leaves the tree clean."""
    if os.environ.get("SAVE_SCREENSHOTS") == "1":
        return Path(__file__).resolve().parents[2] / "docs"
    return tmp_path
