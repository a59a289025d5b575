"""The README's examples are what the commands print today, so it cannot drift again.

Every fenced block of README.md whose first line is ``$ cnncalc ...`` is run (in a folder
with the repository's ``architectures/``, ``examples/`` and ``tests/``, and every file the README shows
as a ```yaml block starting ``# NAME.yaml`` or a ```toml block starting ``# NAME.toml``), and its other lines are compared with what
the command printed, stdout and stderr together. A line ``...`` (indented or not) stands
for any number of lines left out; every other line must appear, in order, as printed.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CNNCALC = str(Path(sys.executable).with_name("cnncalc"))
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)


def blocks() -> tuple:
    """``(files, examples)``: the files the README shows, and ``(command, expected lines)``."""
    files, examples = {}, []
    for language, body in FENCE.findall((ROOT / "README.md").read_text(encoding="utf-8")):
        first, _, rest = body.partition("\n")
        if language in ("yaml", "toml") and re.fullmatch(r"# [\w.-]+\.(ya?ml|toml)", first):
            files[first[2:]] = body
        elif first.startswith("$ cnncalc "):
            examples.append((first[2:], rest.rstrip("\n").split("\n")))
    return files, examples


FILES, EXAMPLES = blocks()


def test_the_readme_has_examples_to_check():
    assert len(EXAMPLES) >= 6


def matches(expected: list, printed: list) -> bool:
    """Every expected line in order, ``...`` skipping any number of printed lines."""
    position, skipping = 0, False
    for line in expected:
        if line.strip() == "...":
            skipping = True
            continue
        while position < len(printed) and skipping and printed[position].rstrip() != line.rstrip():
            position += 1
        if position >= len(printed) or printed[position].rstrip() != line.rstrip():
            return False
        position, skipping = position + 1, False
    return skipping or position == len(printed)


def needs_torch(command: str) -> bool:
    """Whether the command imports a PyTorch model (``import package.module:factory``)."""
    words = shlex.split(command)
    return words[1] == "import" and any(re.fullmatch(r"[\w.]+:\w+", word) for word in words[2:])


@pytest.mark.parametrize("command, expected", EXAMPLES, ids=[command for command, _ in EXAMPLES])
def test_readme_example(command, expected, tmp_path):
    if needs_torch(command):
        import importlib.util

        if not all(importlib.util.find_spec(name) for name in ("torch", "torchvision", "onnx")):
            pytest.skip("imports a PyTorch model: needs torch, torchvision and onnx")
    for folder in ("architectures", "examples", "tests"):  # tests/data: the Caffe files
        (tmp_path / folder).symlink_to(ROOT / folder)
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    words = shlex.split(command)
    result = subprocess.run([CNNCALC, *words[1:]], capture_output=True, text=True, cwd=tmp_path)
    printed = (result.stdout + result.stderr).rstrip("\n").split("\n")
    assert matches(expected, printed), (
        "the README says:\n" + "\n".join(expected) + "\n\nprinted:\n" + "\n".join(printed)
    )


@pytest.mark.parametrize(
    "expected, printed, verdict",
    [
        (["a", "...", "d"], ["a", "b", "c", "d"], True),
        (["a", "d"], ["a", "b", "c", "d"], False),
        (["a", "..."], ["a", "b"], True),
        (["a", "  ...", "c", "e"], ["a", "b", "c", "d", "e"], False),
        (["b"], ["a", "b"], False),
    ],
)
def test_the_comparison(expected, printed, verdict):
    assert matches(expected, printed) == verdict


def test_the_readme_zoo_table_is_what_cnncalc_zoo_prints():
    # The table is generated; when a zoo file changes, paste `cnncalc zoo --format markdown`.
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = "<!-- zoo table: cnncalc zoo --format markdown -->\n"
    table = text[text.index(start) + len(start) : text.index("<!-- end of zoo table -->")]
    printed = subprocess.run([CNNCALC, "zoo", "--format", "markdown"], capture_output=True, text=True, check=True)
    assert table == printed.stdout
