"""`interview-bot sandbox` as a user starts it: a subprocess, its data dir, `--reset`, `--host`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.cli.sandbox import host_warning

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str) -> tuple[int, str]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def post_json(url: str, data: dict[str, str]) -> None:
    request = urllib.request.Request(
        url, data=json.dumps(data).encode(), headers={"Content-Type": "application/json"}
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as response:
        assert response.status == 200


def start(data_dir: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GOOGLE_"))}
    env.pop("ORG_CONFIG", None)
    # The log goes to a file: a pipe nobody reads fills up (64 KiB) and blocks the process.
    log = (data_dir.parent / f"sandbox-{port}.log").open("w", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--port", str(port), "--data-dir",
         str(data_dir), *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True,
    )  # fmt: skip
    log.close()  # the child has its own copy
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith(f"sandbox: open http://127.0.0.1:{port}/"), line
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while get(url + "/healthz")[0] != 200:  # /healthz answers once the bot is built
        assert time.monotonic() < deadline, "the bot did not start"
        time.sleep(0.05)
    return process, url


def stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0


def test_starts_serves_and_keeps_its_data_until_reset(tmp_path: Path) -> None:
    data = tmp_path / "data"
    process, url = start(data, "--reset")
    try:
        status, page = get(url + "/")
        assert status == 200 and "SANDBOX" in page and "Ana Souza" in page
        assert json.loads(get(url + "/healthz")[1]) == {"ok": True}
        assert (data / "sandbox.db").exists()
        post_json(url + "/sandbox/api/command", {"as": "U0RECRUIT", "text": "/interview pools"})
        deadline = time.monotonic() + 20
        while "Interviewer pools" not in get(url + "/?as=U0RECRUIT")[1]:
            assert time.monotonic() < deadline, "no answer to /interview pools"
            time.sleep(0.05)
    finally:
        stop(process)
    marker = data / "marker"
    marker.write_text("x", encoding="utf-8")
    process, url = start(data)  # no --reset: the data and what people saw stay
    try:
        page = get(url + "/?as=U0RECRUIT")[1]
        assert "/interview pools" in page and "Interviewer pools" in page
    finally:
        stop(process)
    assert marker.exists()
    process, url = start(data, "--reset")  # afresh: no messages; files not ours are left alone
    try:
        assert "Interviewer pools" not in get(url + "/?as=U0RECRUIT")[1]
    finally:
        stop(process)
    assert marker.exists() and (data / "sandbox.db").exists()


def test_a_port_in_use_is_bad_input(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "bot", "sandbox", "--port", str(port), "--data-dir",
             str(tmp_path)],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: --port {port}: cannot listen")
    assert "Traceback" not in result.stderr


def test_only_loopback_binds_without_a_warning() -> None:
    assert host_warning("127.0.0.1") is None
    assert host_warning("::1") is None
    assert host_warning("localhost") is None
    assert "anyone who can reach it" in (host_warning("0.0.0.0") or "")
    assert host_warning("192.168.1.5") is not None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("timezone: Europe/London\n", "names no recruiters or interviewers"),
        ("timezone: Mars/Olympus\n", "timezone"),
    ],
)
def test_an_unusable_org_file_is_bad_input(tmp_path: Path, content: str, message: str) -> None:
    org = tmp_path / "org.yaml"
    org.write_text(content, encoding="utf-8")
    env = {**os.environ, "ORG_CONFIG": str(org)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox", "--port", "0", "--data-dir", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert str(org) in result.stderr
    assert not (tmp_path / "sandbox.db").exists()
