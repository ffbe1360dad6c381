from __future__ import annotations

import logging

import pytest

from bot.logging_setup import configure_logging, log_context


def test_one_line_per_event_with_context_and_no_tokens(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO")
    log = logging.getLogger("bot.test")
    with log_context(loop="L7F3K", user="U01ANA"):
        log.info("sent with token xoxb-123-abc and\nsecond line", extra={"session": 12})
    log.debug("hidden at INFO")
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert "loop=L7F3K" in lines[0] and "user=U01ANA" in lines[0] and "session=12" in lines[0]
    assert "xoxb-123-abc" not in err and "[redacted]" in err
    assert "hidden" not in err
    logging.getLogger().handlers.clear()
