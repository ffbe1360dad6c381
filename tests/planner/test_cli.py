"""`interview-bot plan FILE`: exit codes, stdin, JSON Lines batches, error lines."""

from __future__ import annotations

import copy
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bot.cli import main
from bot.cli.errors import BadInputError
from bot.cli.plan import register
from tests.planner.conftest import BASE_REQUEST

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "backend-swe.json"
GOOD = json.dumps(BASE_REQUEST)
BAD_ZONE = copy.deepcopy(BASE_REQUEST)
BAD_ZONE["interviewers"][0]["timezone"] = "Mars/Olympus"
BAD = json.dumps(BAD_ZONE)


def run(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *args: str,
    stdin: str | None = None,
) -> tuple[int, str, str]:
    """Run the real entry point in-process; returns (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["interview-bot", "plan", *args])
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = 0
    try:
        main()
    except SystemExit as done:
        code = int(done.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_single_request(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(monkeypatch, capsys, write(tmp_path, "r.json", GOOD))
    assert (code, err) == (0, "")
    answer = json.loads(out)
    assert answer["options"][0]["sessions"][0]["start"] == "2026-12-02T09:00:00Z"
    assert answer["diagnostics"] == {"reason": None}


def test_example_request_is_answered_with_options(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(monkeypatch, capsys, str(EXAMPLE))
    assert code == 0
    answer = json.loads(out)
    assert 1 <= len(answer["options"]) <= 5
    stages = [s["stage"] for s in answer["options"][0]["sessions"]]
    assert stages == ["code-review", "design-discussion", "retro"]


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(monkeypatch, capsys, "-", stdin=GOOD)
    assert code == 0
    assert json.loads(out)["options"]


def test_bad_request_is_one_line_naming_the_field_and_nothing_on_stdout(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "bad.json", BAD)
    code, out, err = run(monkeypatch, capsys, path)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"error: {path}: interviewers[0].timezone: unknown time zone")
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"now": ', "invalid JSON at line 1 column 9"),
        ("", "invalid JSON"),
        ('{"now": NaN}', "NaN is not allowed"),
        ("[1, 2]", "request must be an object"),
    ],
)
def test_invalid_json_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], text: str, words: str
) -> None:
    code, out, err = run(monkeypatch, capsys, "-", stdin=text)
    assert (code, out) == (2, "")
    assert err.startswith("error: stdin: ")
    assert words in err
    assert err.count("\n") == 1


def test_missing_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(monkeypatch, capsys, str(tmp_path / "nope.json"))
    assert (code, out) == (2, "")
    assert "nope.json: cannot read" in err


def test_jsonl_answers_every_line_in_order(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lines = [GOOD, BAD, "", "{not json", GOOD]
    path = write(tmp_path, "batch.jsonl", "\n".join(lines) + "\n")
    code, out, err = run(monkeypatch, capsys, path)
    assert code == 2
    answers = [json.loads(line) for line in out.splitlines()]
    assert len(answers) == 4  # the blank line is skipped
    assert answers[0]["options"] and answers[3]["options"]
    assert answers[1] == {"error": "interviewers[0].timezone: unknown time zone 'Mars/Olympus'"}
    assert answers[2]["error"].startswith("invalid JSON")
    assert err.count("\n") == 1 and "lines 2, 4" in err


def test_jsonl_all_good_exits_zero(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(monkeypatch, capsys, write(tmp_path, "b.jsonl", f"{GOOD}\n{GOOD}\n"))
    assert (code, err) == (0, "")
    assert len(out.splitlines()) == 2


def test_jsonl_flag_reads_stdin_by_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(monkeypatch, capsys, "--jsonl", "-", stdin=f"{GOOD}\n{BAD}\n")
    assert code == 2
    assert [("error" in json.loads(line)) for line in out.splitlines()] == [False, True]


def test_register_adds_the_plan_command(tmp_path: Path) -> None:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """A group, so that `plan` is a subcommand."""

    register(app)
    runner = CliRunner()
    result = runner.invoke(app, ["plan", write(tmp_path, "r.json", GOOD)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["options"]
    result = runner.invoke(app, ["plan", write(tmp_path, "bad.json", BAD)])
    assert isinstance(result.exception, BadInputError)
    assert "interviewers[0].timezone" in str(result.exception)


@pytest.mark.slow
def test_console_entry_point(tmp_path: Path) -> None:
    good = subprocess.run(
        [sys.executable, "-m", "bot", "plan", str(EXAMPLE)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["options"]
    bad = subprocess.run(
        [sys.executable, "-m", "bot", "plan", "-"],
        input=BAD,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert (bad.returncode, bad.stdout) == (2, "")
    assert bad.stderr.startswith("error: stdin: interviewers[0].timezone")
    assert bad.stderr.count("\n") == 1
