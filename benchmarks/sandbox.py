"""How fast the sandbox is for a new user: `make run` to a page that answers, a click to the DM.

1. Start-up: `make run` as a subprocess with no Slack credentials (environment cleaned, `ENV_FILE`
   pointing nowhere, so `scripts/run` picks the sandbox), `SANDBOX_ARGS="--reset --port P
   --data-dir TMP"`; timed from spawning `make` to the first `GET /` answered 200. Needs the
   environment already installed (`make install`), as the target assumes. Repeated `--starts`
   times, each from a fresh `--reset`.
2. Clicks, in headless Debian Chromium (Playwright) on the last sandbox started, once its bot
   is ready: for
   `--loops` candidates in turn, as the recruiter, (a) send `/interview schedule …` and wait
   for the proposals DM's first "Book this" button to be in the page, (b) click it and wait
   for the message to say the interviewers are being asked, then, as the first asked
   interviewer, (c) click Confirm and wait for the "You confirmed" message. Each is timed from
   just before Playwright's click to the moment the awaited element is in the DOM, so it
   includes the browser, the page's request, the signed request to `/slack/events`, the bot,
   the fake Web API and the page's long-poll update.

    .venv/bin/python benchmarks/sandbox.py [--starts 3] [--loops 5]

Prints a markdown report. Targets (issue 13): start-up < 5 s; click to DM on screen < 1 s.
Exit 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
RECRUITER = "U0RECRUIT"
INTERVIEWERS = [
    "U01ANA", "U02BEN", "U03CHI", "U04DAN", "U05EVA", "U06FAY", "U07GUS", "U08HAL", "U09IRA",
    "U10JAI", "U12LEA",
]  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(data_dir: Path) -> tuple[subprocess.Popen[str], str, tuple[float, float], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(
        ENV_FILE=str(data_dir / "no.env"),
        SANDBOX_ARGS=f"--reset --port {port} --data-dir {data_dir / 'sandbox'}",
    )
    url = f"http://127.0.0.1:{port}"
    began = time.perf_counter()
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while True:
        if process.poll() is not None:
            raise SystemExit(f"make run exited with {process.returncode}")
        try:
            with opener.open(url + "/", timeout=2) as response:
                if response.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.perf_counter() - began > 60:
            raise SystemExit("the sandbox did not answer within 60 s")
        time.sleep(0.02)
    ready = time.perf_counter() - began
    while True:  # the page answers first; /healthz once the bot itself is built
        try:
            with opener.open(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.perf_counter() - began > 60:
            raise SystemExit("the bot did not become ready within 60 s")
        time.sleep(0.02)
    bot_ready = time.perf_counter() - began
    assert process.stdout is not None
    first_line = process.stdout.readline().strip()
    return process, url, (ready, bot_ready), first_line


def stop(process: subprocess.Popen[str]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def timed(page: Any, click: str, wait: str) -> float:
    began = time.perf_counter()
    page.click(click)
    page.wait_for_function(wait, timeout=15000)
    return time.perf_counter() - began


def clicks(url: str, loops: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    found: dict[str, list[float]] = {"command": [], "book": [], "confirm": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page()
        page.goto(f"{url}/?as={RECRUITER}")
        for number in range(loops):
            buttons = "#pane-messages [data-action-id^='choose_option']"
            page.fill(
                "#command",
                f'/interview schedule cand{number}@candidate.example backend-swe name="C {number}"',
            )
            found["command"].append(
                timed(
                    page,
                    "#composer button[type=submit]",
                    f'() => document.querySelectorAll("{buttons}").length >= 1',
                )
            )
            asking = "asking interviewers"
            before = page.inner_text("#pane-messages").count(asking)
            found["book"].append(
                timed(
                    page,
                    f"{buttons} >> nth=0",
                    "() => document.querySelector('#pane-messages').innerText"
                    f".split('{asking}').length - 1 > {before}",
                )
            )
            other = browser.new_page()
            for user in INTERVIEWERS:
                other.goto(f"{url}/?as={user}")
                confirm = "#pane-messages [data-action-id^='confirm_slot']"
                if other.query_selector(confirm) is None:
                    continue
                done = other.inner_text("#pane-messages").count("You confirmed")
                found["confirm"].append(
                    timed(
                        other,
                        f"{confirm} >> nth=0",
                        "() => document.querySelector('#pane-messages').innerText"
                        f".split('You confirmed').length - 1 > {done}",
                    )
                )
                break
            other.close()
        browser.close()
    return found


def summary(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    every = ", ".join(f"{v:.0f}" for v in ms)
    return f"{statistics.median(ms):.0f} / {max(ms):.0f} ms (n={len(ms)}: {every})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--loops", type=int, default=5)
    options = parser.parse_args()
    starts: list[float] = []
    bots: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        process = None
        first_line = ""
        for number in range(options.starts):
            if process is not None:
                stop(process)
            process, url, (ready, bot_ready), first_line = start(Path(tmp) / str(number))
            starts.append(ready)
            bots.append(bot_ready)
        assert process is not None
        try:
            measured = clicks(url, options.loops)
        finally:
            stop(process)
    load = os.getloadavg()
    print("## Sandbox speed\n")
    print(f"{platform.python_version()}, {os.cpu_count()} CPUs, load {load[0]:.2f}\n")
    print(f"`make run` first line: {first_line}\n")
    print("| measure | median / max |")
    print("|---|---|")
    print(f"| `make run` → `GET /` answers 200 | {summary(starts)} |")
    print(f"| `make run` → `GET /healthz` 200 (the bot built) | {summary(bots)} |")
    command = summary(measured["command"])
    print(f"| send `/interview schedule …` → proposals DM on screen | {command} |")
    print(f"| click Book this → message updated on screen | {summary(measured['book'])} |")
    print(f"| click Confirm → answer on screen | {summary(measured['confirm'])} |")
    ok = max(starts) < 5 and all(max(v) < 1 for v in measured.values() if v)
    ok = ok and all(measured.values())
    print("\nTargets (start-up < 5 s, click to DM < 1 s):", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
