"""The ``cnncalc`` command (``scripts/cnncalc`` calls ``main``; so does ``python -m cnncalc``).

Most calls go straight to the click CLI. One does not: a plain ``cnncalc summarize FILE``
with well-formed ``--batch``, ``--dtype`` and ``--format`` options, which scripts and CI run
over and over. Importing click takes longer than starting Python (see bench/), so that
call is parsed here and handed to the same ``app.summarize`` the click command calls.
Anything this parser does not fully understand, from ``--help`` to a misspelt option or a
bad value, goes to click, which gives the proper help or error.
"""

from __future__ import annotations

import gc
import sys

FAST_OPTIONS = ("--batch", "--dtype", "--format")


def main(argv: list | None = None) -> int:
    # One command, then exit: the cyclic garbage collector's passes over every live object
    # only cost time here (a fifth of a 20,000-layer summary; reference counting still
    # frees what is let go). The library, imported by long-running programs, keeps it.
    gc.disable()
    # Figures are exact integers and may outgrow the 4,300 digits Python prints by default
    # (an upsampled input of 10**2000 pixels); that limit guards the reading of numbers, which
    # cnncalc bounds itself wherever a number is read (source.MAX_DIGITS).
    if hasattr(sys, "set_int_max_str_digits"):  # Python 3.10.7 and later
        sys.set_int_max_str_digits(0)
    argv = sys.argv[1:] if argv is None else list(argv)
    request = fast_summarize_request(argv)
    if request is None:
        from .cli import main as cli_main

        return cli_main(args=argv, prog_name="cnncalc")
    from . import app

    return app.run(app.summarize, *request)


def fast_summarize_request(argv: list):
    """``(file, batch, dtype, format)`` for a plain, valid summarize call, else None."""
    if not argv or argv[0] != "summarize":
        return None
    from .formats import FORMATS
    from .memory import DTYPE_BYTES, MAX_BATCH

    file, options = None, {}
    words = iter(argv[1:])
    for word in words:
        if word.startswith("-"):
            name, has_value, value = word.partition("=")
            if name not in FAST_OPTIONS or name in options:
                return None
            if not has_value:
                value = next(words, None)
                if value is None:
                    return None
            options[name] = value
        elif file is None:
            file = word
        else:
            return None
    batch = options.get("--batch", "1")
    dtype = options.get("--dtype", "float32")
    format_name = options.get("--format", "table")
    # ASCII digits only ("²" is a digit to str.isdigit, not to int); a long one goes to click,
    # which says it is out of range.
    if not (batch.isascii() and batch.isdecimal() and len(batch) <= 10) or not 1 <= int(batch) <= MAX_BATCH:
        return None
    if file is None or dtype not in DTYPE_BYTES or format_name not in FORMATS:
        return None
    return file, int(batch), dtype, format_name


if __name__ == "__main__":
    sys.exit(main())
