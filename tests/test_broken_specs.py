"""Every file in tests/broken/ is a mistake; cnncalc must refuse it the way SPEC.md section 4 says.

Each file's first line states what a careful reader of that file expects:

    # expect: LINE:COL substring of the message
    # expect: - substring of the message          (no position makes sense)

and the test holds ``cnncalc summarize FILE`` to it: exit code 2, no traceback anywhere, and
stderr's first line starting ``FILE:LINE:COL: error: `` (or ``FILE: error: ``), with the
substring (compared case-insensitively) in that first error's message. The positions were
decided by reading the files, not by running cnncalc.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

BROKEN = Path(__file__).resolve().parent / "broken"
FILES = sorted(BROKEN.glob("*.yaml"))
EXPECT = re.compile(rb"# expect: (?:(\d+):(\d+)|-) (.+)")
TIMEOUT = 20  # seconds; only a hang gets anywhere near this


def cnncalc_command() -> list:
    script = Path(sys.executable).with_name("cnncalc")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cnncalc"]


def run(path: Path) -> subprocess.CompletedProcess:
    command = [*cnncalc_command(), "summarize", str(path)]
    return subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=TIMEOUT)


def expectation(path: Path) -> tuple:
    """``(prefix, substring)`` from the file's first line (read as bytes: not every file is UTF-8)."""
    first = path.read_bytes().split(b"\n", 1)[0]
    match = EXPECT.fullmatch(first.rstrip(b"\r"))
    assert match, f"{path.name}: the first line must be '# expect: LINE:COL substring' or '# expect: - substring'"
    line, col, substring = match.groups()
    position = f":{int(line)}:{int(col)}" if line else ""
    return f"{path}{position}: error: ", substring.decode().strip()


def first_message(stderr: str, path: Path) -> str:
    """The first error's text after ``error: `` (the file's name is no part of it), with any
    continuation lines before the next diagnostic."""
    lines = stderr.splitlines()
    message = [lines[0].partition(": error: ")[2]] if lines else []
    for line in lines[1:]:
        if line.startswith(str(path)):
            break
        message.append(line)
    return "\n".join(message)


def test_corpus_is_big_enough():
    assert len(FILES) >= 40


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_broken_file_is_refused_where_it_is_wrong(path):
    prefix, substring = expectation(path)
    result = run(path)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == 2, f"exit {result.returncode}\n{output}"
    first_line = result.stderr.splitlines()[0] if result.stderr else ""
    assert first_line.startswith(prefix), f"expected {prefix!r}...\n     got {first_line!r}"
    message = first_message(result.stderr, path)
    assert substring.lower() in message.lower(), f"{substring!r} not in the message:\n{message}"


def test_alias_bomb_fails_fast():
    path = BROKEN / "alias-bomb.yaml"
    started = time.perf_counter()
    result = run(path)
    elapsed = time.perf_counter() - started
    assert result.returncode == 2, result.stdout + result.stderr
    assert elapsed < 2, f"took {elapsed:.2f} s"
