"""Files as git has them in a revision: ``cnncalc diff HEAD~1:net.yaml net.yaml``.

``REV:path`` is read with ``git cat-file blob REV:path``, the plumbing behind ``git show
REV:path``: the file's bytes exactly (no pager, no textconv filter), and an error for
anything that is not a file (a folder, a commit). git runs without a shell, with the
argument as one word; one starting with ``-`` is refused before git sees it, so no
argument is ever read as an option.
"""

from __future__ import annotations

import os

from .errors import Loc, SpecError, UsageError

TIMEOUT = 60  # seconds: git reads one object; a hung git must not hang CI


def is_revision(text: str) -> bool:
    """``REV:path`` that is no existing file (a path that exists always wins)."""
    rev, colon, path = text.partition(":")
    return bool(colon and rev and path) and not os.path.exists(text)


def read_revision(text: str) -> str:
    """The text of ``REV:path``; a UsageError (exit 2) naming it when git cannot give it."""
    from .source import MAX_BYTES, _decoded

    if text.startswith("-"):
        raise UsageError(f"{text}: error: a revision cannot start with '-'")
    size = _git(text, "cat-file", "-s", text).strip()  # first the size: a huge blob is never read
    if not size.isdigit() or int(size) > MAX_BYTES:
        raise SpecError.at(
            Loc(text, None, None), f"{int(size or 0) / 2**20:.1f} MiB: larger than cnncalc's limit of 8.0 MiB"
        )
    return _decoded(_git(text, "cat-file", "blob", text), text)


def _git(text: str, *arguments: str) -> bytes:
    import subprocess

    try:
        result = subprocess.run(
            ["git", *arguments], capture_output=True, stdin=subprocess.DEVNULL, timeout=TIMEOUT, check=False
        )
    except FileNotFoundError:
        raise UsageError(f"{text}: error: reading a revision needs git, which is not installed") from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"{text}: error: git gave no answer in {TIMEOUT} seconds") from None
    if result.returncode != 0:
        said = result.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = said[-1] if said else f"git exited with {result.returncode}"
        raise UsageError(f"{text}: error: git cannot read it: {reason}")
    return result.stdout
