"""Named crash points for tests: `INTERVIEW_BOT_FAULT=name` kills the process there (kill -9).

Crash tests set the variable in a child process and check that a restart converges to the state
a run without the crash reaches. Unset (always, in production) a check costs one dict lookup.
"""

from __future__ import annotations

import os
import signal

FAULT_ENV = "INTERVIEW_BOT_FAULT"


def fault_point(name: str) -> None:
    if os.environ.get(FAULT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
