"""The installed console script, run as a user runs it: for tests of whole commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CNNCALC = str(Path(sys.executable).with_name("cnncalc"))


def cnncalc(*args, cwd, stdin=None, env=None) -> subprocess.CompletedProcess:
    """``cnncalc ARGS`` in ``cwd``; the user's colour settings left out unless ``env`` sets them."""
    environment = {key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "FORCE_COLOR")}
    return subprocess.run(
        [CNNCALC, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        input=stdin,
        env={**environment, **(env or {})},
    )
