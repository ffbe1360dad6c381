"""Slack ack latency and command-to-proposals time of `interview-bot run --http`.

Starts FakeSlack and FakeCalendar (100 ms per Calendar API request) in this process, writes an
org file and a service-account key to a temporary directory, and runs
`python -m bot run --http` (gunicorn) as a subprocess against them. Then, over real HTTP with
signed requests exactly as Slack sends them:

1. Ack latency: `--rounds` bursts of `--burst` concurrent `/interview` commands (one thread
   each, released together by a barrier; an even mix of `help`, `status`, `templates`, `pools`
   and `schedule EMAIL backend-swe …`). Latency is from the POST to the HTTP 200. Every request
   must get 200. After each burst the benchmark waits until every scheduled candidate's
   proposals DM has arrived, so rounds do not overlap.
2. Command to proposals: `--samples` sequential `schedule` commands (a new candidate each),
   timed from the POST to the recruiter's proposals DM (`chat.postMessage` with
   `choose_option` buttons) reaching FakeSlack. "Cold": every window is new to the bot, so
   free/busy really goes to the fake Google; "warm": half of them again, answered from the
   bot's free/busy cache. Run for the test org (tests/slack/conftest.py, 7 interviewers) and
   for `org.example.yaml` (12 interviewers in 8 zones; Kai has no Slack id and FakeSlack
   answers his `users.lookupByEmail` with `users_not_found`, which the bot reports).

    .venv/bin/python benchmarks/slack_ack.py [--burst 50] [--rounds 3] [--samples 10]
                                             [--latency 0.1] [--no-realistic]

Prints one markdown report on stdout and nothing else (the bot's log goes to a temporary file,
whose tail is printed to stderr on failure). Targets (issue 5): p99 ack < 300 ms, command to
proposals < 2 s. Exit 1 if a request is not acked with 200 or a target is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from integrations.sandbox.google_calendar import FakeCalendar  # noqa: E402
from integrations.sandbox.slack_api import Call, FakeSlack  # noqa: E402
from integrations.sandbox.slack_requests import RequestFactory, post  # noqa: E402
from tests.slack.conftest import ORGANIZER, RECRUITER, org_data  # noqa: E402

ACK_TARGET_MS = 300.0
PROPOSALS_TARGET_S = 2.0
SECRET = "bench-signing-secret-0123456789abcdef"
COMMANDS = ("help", "status", "templates", "pools", "schedule")
PROXY_KEYS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


# ---------------------------------------------------------------------- machine and statistics


def cpu_model() -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=5).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 0


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (p99 of 50 samples is the maximum)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


# ---------------------------------------------------------------------- the bot under test


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def first_window_day() -> date:
    """A Wednesday at least 3 days after today (real clock: the subprocess uses it)."""
    day = datetime.now(UTC).date() + timedelta(days=3)
    return day + timedelta(days=(2 - day.weekday()) % 7)


def realistic_org() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "org.example.yaml").read_text(encoding="utf-8")))


@dataclass
class Bot:
    """A running `interview-bot run --http` with its fakes."""

    slack: FakeSlack
    calendar: FakeCalendar
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    requests: RequestFactory = field(init=False)
    started: float = field(default_factory=time.perf_counter)
    exit_code: int | None = None
    tracebacks: int = 0

    def __post_init__(self) -> None:
        self.requests = RequestFactory(SECRET, self.slack)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextlib.contextmanager
def running_bot(org: dict[str, Any], latency: float) -> Iterator[Bot]:
    with (
        tempfile.TemporaryDirectory(prefix="slack-ack-") as tmp,
        FakeSlack() as slack,
        FakeCalendar.start(latency=latency) as calendar,
    ):
        folder = Path(tmp)
        key = calendar.write_service_account_key(folder / "sa.json")
        org_file = folder / "org.yaml"
        org_file.write_text(yaml.safe_dump(org), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GOOGLE_"))}
        for proxy in PROXY_KEYS:
            env.pop(proxy, None)
        env.update(
            SLACK_BOT_TOKEN=slack.bot_token,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack.url,
            GOOGLE_SERVICE_ACCOUNT_FILE=str(key),
            GOOGLE_ORGANIZER_EMAIL=ORGANIZER,
            GOOGLE_API_ENDPOINT=calendar.url,
            DATABASE_URL=f"sqlite:///{folder / 'bot.db'}",
            ORG_CONFIG=str(org_file),
            LOG_LEVEL="INFO",
        )
        port = free_port()
        log_path = folder / "bot.log"
        began = time.perf_counter()
        command = [sys.executable, "-m", "bot", "run", "--http", "--host", "127.0.0.1"]
        command += ["--port", str(port)]
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command,
                cwd=folder,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        bot = Bot(slack, calendar, process, port, log_path, started=began)
        try:
            wait_healthy(bot)
            yield bot
        except BaseException:
            sys.stderr.write(f"--- bot log (tail) ---\n{bot.log()[-6000:]}\n")
            raise
        finally:
            bot.exit_code = stop(process)
            bot.tracebacks = bot.log().count("Traceback")


def wait_healthy(bot: Bot, deadline: float = 60) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    until = time.monotonic() + deadline
    while time.monotonic() < until:
        if bot.process.poll() is not None:
            raise RuntimeError(f"the bot exited early with code {bot.process.returncode}")
        try:
            with opener.open(f"http://127.0.0.1:{bot.port}/healthz", timeout=1) as response:
                if json.loads(response.read()) == {"ok": True}:
                    return
        except OSError:
            pass
        time.sleep(0.05)  # polling another process's readiness
    raise RuntimeError("the bot never became healthy")


def stop(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM, as a process manager stops the bot; SIGKILL only if it hangs. The exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=25)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return int(process.returncode)


# ---------------------------------------------------------------------- measurements


def week(first: date, k: int) -> date:
    """The k-th window: distinct windows miss the bot's free/busy cache."""
    return first + timedelta(days=7 * k)


def schedule_text(email: str, first: date) -> str:
    return (
        f"schedule {email} backend-swe tz=Europe/London from={first} to={first + timedelta(days=2)}"
    )


def mentions(email: str) -> Callable[[Call], bool]:
    return lambda call: email in json.dumps(call.args)


def has_options(call: Call) -> bool:
    return "choose_option" in json.dumps(call.args.get("blocks") or [])


@dataclass
class Burst:
    latencies: dict[str, list[float]]  # command -> seconds
    statuses: list[int]
    drained_after: float  # seconds from the burst's start until every proposals DM arrived
    with_options: int
    scheduled: int

    @property
    def all(self) -> list[float]:
        return [value for values in self.latencies.values() for value in values]


def send_burst(
    url: str, signed: list[tuple[str, tuple[str, dict[str, str]]]]
) -> tuple[float, list[tuple[str, int, float]]]:
    """Send all requests at once from a separate process.

    Returns the wall-clock time the burst was released and (kind, status, seconds) each.
    """
    job = json.dumps({"url": url, "requests": signed})
    done = subprocess.run(
        [sys.executable, __file__, "--client"],
        input=job,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    answer = json.loads(done.stdout)
    return float(answer["began"]), [tuple(row) for row in answer["results"]]  # type: ignore[misc]


def client_main() -> int:
    """The load client: read the burst on stdin, release all threads at once, print results."""
    job = json.loads(sys.stdin.read())
    signed = job["requests"]
    results: list[tuple[str, int, float]] = [(kind, 0, 60.0) for kind, _ in signed]
    gate = threading.Barrier(len(signed) + 1)

    def send(index: int) -> None:
        kind, (body, headers) = signed[index]
        gate.wait()
        began = time.perf_counter()
        try:
            status = post(job["url"], body, headers, timeout=30).status
        except OSError:
            status = -1
        results[index] = (kind, status, time.perf_counter() - began)

    threads = [threading.Thread(target=send, args=(i,), daemon=True) for i in range(len(signed))]
    for thread in threads:
        thread.start()
    gate.wait()
    began = time.time()
    for thread in threads:
        thread.join(timeout=60)
    print(json.dumps({"began": began, "results": results}))
    return 0


def burst(bot: Bot, size: int, tag: str, first: date) -> Burst:
    signed: list[tuple[str, tuple[str, dict[str, str]]]] = []
    emails = []
    for i in range(size):
        kind = COMMANDS[i % len(COMMANDS)]
        text = kind
        if kind == "schedule":
            email = f"ada+{tag}n{i}@cand.example"
            emails.append(email)
            text = schedule_text(email, first)
        signed.append((kind, bot.requests.slash_command(text, user_id=RECRUITER)))
    # The client runs in its own process: the fakes answering the bot's own calls in this
    # process must not delay the client's threads and so inflate the measured ack times.
    began, results = send_burst(bot.url, signed)
    latencies: dict[str, list[float]] = {kind: [] for kind in COMMANDS}
    for kind, _, seconds in results:
        latencies[kind].append(seconds)
    done = [
        bot.slack.wait_for("chat.postMessage", timeout=60, where=mentions(email))[0]
        for email in emails
    ]
    return Burst(
        latencies,
        [status for _, status, _ in results],
        max(call.time for call in done) - began if done else 0.0,
        sum(has_options(call) for call in done),
        len(emails),
    )


@dataclass
class Proposals:
    seconds: list[float]
    with_options: int
    calendar_requests: list[int]


def command_to_proposals(bot: Bot, windows: list[date], tag: str) -> Proposals:
    """One `schedule` per window, sequentially; a new candidate each time."""
    seconds, with_options, google = [], 0, []
    for i, first in enumerate(windows):
        email = f"ada+{tag}{i}@cand.example"
        body, headers = bot.requests.slash_command(schedule_text(email, first), user_id=RECRUITER)
        before = len(bot.calendar.api_requests())
        began = time.time()
        status = post(bot.url, body, headers, timeout=30).status
        if status != 200:
            raise AssertionError(f"schedule for {email} was answered {status}")
        (dm,) = bot.slack.wait_for("chat.postMessage", timeout=30, where=mentions(email))
        seconds.append(dm.time - began)
        with_options += has_options(dm)
        google.append(len(bot.calendar.api_requests()) - before)
    return Proposals(seconds, with_options, google)


def proposals_runs(bot: Bot, samples: int, first: date, offset: int) -> tuple[Proposals, Proposals]:
    """Cold: each window new to the bot, so free/busy really goes to Google (100 ms). Warm: the
    same windows again at once, answered from the bot's free/busy cache (60 s TTL)."""
    windows = [week(first, offset + i) for i in range(samples)]
    cold = command_to_proposals(bot, windows, "c")
    warm = command_to_proposals(bot, windows[: max(1, samples // 2)], "w")
    return cold, warm


def warm_up(bot: Bot, first: date) -> None:
    """One of each command, sequentially: imports and connection pools, not counted."""
    for kind in COMMANDS:
        email = "warm-up@cand.example"
        text = schedule_text(email, first) if kind == "schedule" else kind
        status = post(bot.url, *bot.requests.slash_command(text, user_id=RECRUITER)).status
        if status != 200:
            raise AssertionError(f"warm-up `{kind}` was answered {status}")
    bot.slack.wait_for("chat.postMessage", timeout=30, where=mentions("warm-up@cand.example"))


def directory_note(bot: Bot) -> str:
    lines = [line for line in bot.log().splitlines() if "directory:" in line]
    if not lines:
        return "directory resolved without problems"
    text = lines[-1].split("directory:", 1)[1].strip()
    return f"directory: {text}"


# ---------------------------------------------------------------------- report


def ack_table(rounds: list[Burst]) -> list[str]:
    rows = [
        "| round | requests | non-200 | p50 ms | p95 ms | p99 ms | max ms | proposals drained |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for number, result in enumerate(rounds, 1):
        values = result.all
        rows.append(
            f"| {number} | {len(values)} | {sum(s != 200 for s in result.statuses)} "
            f"| {ms(percentile(values, 50))} | {ms(percentile(values, 95))} "
            f"| {ms(percentile(values, 99))} | {ms(max(values))} "
            f"| {result.scheduled} DMs ({result.with_options} with options) after "
            f"{result.drained_after:.2f} s |"
        )
    values = [value for result in rounds for value in result.all]
    statuses = [status for result in rounds for status in result.statuses]
    rows.append(
        f"| **all** | {len(values)} | {sum(s != 200 for s in statuses)} "
        f"| {ms(percentile(values, 50))} | {ms(percentile(values, 95))} "
        f"| **{ms(percentile(values, 99))}** | {ms(max(values))} | |"
    )
    return rows


def by_command_table(rounds: list[Burst]) -> list[str]:
    rows = ["| command | n | p50 ms | p99 ms | max ms |", "|---|---:|---:|---:|---:|"]
    for kind in COMMANDS:
        values = [value for result in rounds for value in result.latencies[kind]]
        rows.append(
            f"| `{kind}` | {len(values)} | {ms(percentile(values, 50))} "
            f"| {ms(percentile(values, 99))} | {ms(max(values))} |"
        )
    return rows


def describe(org: dict[str, Any]) -> str:
    people = org.get("interviewers") or []
    found = {p.get("timezone") for p in people if p.get("timezone")}
    unresolved = sum(1 for p in people if not p.get("slack_id"))
    extra = f", {unresolved} without Slack id" if unresolved else ""
    return f"{len(people)} interviewers in {len(found)} zones{extra}"


def proposals_rows(label: str, cold: Proposals, warm: Proposals, note: str) -> list[str]:
    rows = []
    for kind, result in (("cold", cold), ("warm", warm)):
        values = result.seconds
        shown = note if kind == "cold" else ""
        rows.append(
            f"| {label} | {kind} | {len(values)} | {result.with_options}/{len(values)} "
            f"| {statistics.median(values):.2f} | **{max(values):.2f}** "
            f"| {statistics.median(result.calendar_requests):.0f} | {shown} |"
        )
    return rows


def load() -> str:
    try:
        return " / ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "n/a"


def main() -> int:
    if sys.argv[1:] == ["--client"]:
        return client_main()
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--burst", type=int, default=50, help="concurrent commands per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--samples", type=int, default=10, help="sequential schedule commands")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per Calendar request")
    parser.add_argument("--no-realistic", action="store_true", help="skip org.example.yaml")
    args = parser.parse_args()

    first = first_window_day()
    load_before = load()
    began = time.perf_counter()
    rows: list[str] = []
    worst: list[float] = []
    small_org = org_data()
    bots: list[Bot] = []
    with running_bot(small_org, args.latency) as bot:
        bots.append(bot)
        startup = time.perf_counter() - bot.started
        warm_up(bot, first)
        rounds = [burst(bot, args.burst, f"r{n}", week(first, 1 + n)) for n in range(args.rounds)]
        cold, warm = proposals_runs(bot, args.samples, first, 1 + args.rounds)
        rows += proposals_rows(f"test org ({describe(small_org)})", cold, warm, "")
        worst += cold.seconds + warm.seconds
    if not args.no_realistic:
        big_org = realistic_org()
        with running_bot(big_org, args.latency) as bot:
            bots.append(bot)
            warm_up(bot, first)
            cold, warm = proposals_runs(bot, args.samples, first, 1)
            label = f"`org.example.yaml` ({describe(big_org)})"
            rows += proposals_rows(label, cold, warm, directory_note(bot))
            worst += cold.seconds + warm.seconds
    total = time.perf_counter() - began

    all_acks = [value for result in rounds for value in result.all]
    p99 = percentile(all_acks, 99)
    non_200 = sum(status != 200 for result in rounds for status in result.statuses)
    ack_ok = non_200 == 0 and p99 * 1000 < ACK_TARGET_MS
    proposals_ok = max(worst) < PROPOSALS_TARGET_S

    out = [
        "### Slack ack latency and command-to-proposals time (`benchmarks/slack_ack.py`)",
        "",
        "| machine | |",
        "|---|---|",
        f"| CPUs (nproc) | {cpus()} |",
        f"| CPU model (lscpu) | {cpu_model()} |",
        f"| Python | {platform.python_version()} ({platform.python_implementation()}) |",
        f"| load average 1/5/15 min | before {load_before}; after {load()} |",
        f"| run | {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; bot start to healthy {startup:.1f} s; "
        f"whole benchmark {total:.0f} s |",
        "| bot after SIGTERM | "
        + "; ".join(f"exit {b.exit_code}, {b.tracebacks} tracebacks in its log" for b in bots)
        + " |",
        "",
        f"**Ack latency**: {args.rounds} rounds of {args.burst} concurrent signed `/interview` "
        f"commands over HTTP (mix: {', '.join(COMMANDS)}), Calendar latency "
        f"{args.latency * 1000:.0f} ms.",
        "",
        *ack_table(rounds),
        "",
        *by_command_table(rounds),
        "",
        f"**Command to proposals DM**: {args.samples} sequential `schedule` commands per org, "
        f"each for a window new to the bot (cold: free/busy goes to the fake Google, "
        f"{args.latency * 1000:.0f} ms a request), then half of them again (warm: the bot's "
        "free/busy cache answers).",
        "",
        "| org | cache | samples | with options | median s | max s "
        "| Calendar requests / plan | note |",
        "|---|---|---:|---:|---:|---:|---:|---|",
        *rows,
        "",
        f"Targets: p99 ack < {ACK_TARGET_MS:.0f} ms — "
        f"**{'met' if ack_ok else 'MISSED'}** ({ms(p99)} ms, {non_200} not acked with 200); "
        f"command to proposals < {PROPOSALS_TARGET_S:.0f} s — "
        f"**{'met' if proposals_ok else 'MISSED'}** (worst {max(worst):.2f} s).",
    ]
    print("\n".join(out))
    if non_200:
        sys.stderr.write(f"{non_200} slash commands were not acked with HTTP 200\n")
    return 0 if ack_ok and proposals_ok else 1


if __name__ == "__main__":
    sys.exit(main())
