"""What each command does, without click: compute with the core, write with a format, and
turn expected failures into a message and an exit code (shared/SPEC.md section 4).

Both the click CLI (``cli.py``) and the console script's fast lane (``entry.py``) call
these functions, so a command behaves the same whichever way it was reached.
"""

from __future__ import annotations

import os
import sys

from .errors import CnncalcError


def summarize(file: str, batch: int = 1, dtype: str = "float32", format_name: str = "table") -> int:
    from . import formats
    from .analysis import analyze_file

    report = analyze_file(file, batch, dtype)
    formats.write(report, format_name, sys.stdout)
    return 0


def run(command, *args, **kwargs) -> int:
    """Runs a command; expected failures print their message and give their exit code.

    An unexpected exception is a bug: the user gets one line saying so, and the traceback
    only with CNNCALC_DEBUG=1.
    """
    try:
        code = command(*args, **kwargs)
        sys.stdout.flush()
        return code
    except CnncalcError as error:
        print(error, file=sys.stderr)
        return error.exit_code
    except BrokenPipeError:
        # `cnncalc summarize f.yaml | head`: the reader left; not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # noqa: BLE001 (the one place that turns bugs into a message)
        if os.environ.get("CNNCALC_DEBUG"):
            raise
        print(
            f"cnncalc: internal error: {type(error).__name__}: {error}\n"
            "This is a bug in cnncalc; run again with CNNCALC_DEBUG=1 for the traceback.",
            file=sys.stderr,
        )
        return 3
