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


def verify(file: str, seed: int = 0, batch: int = 1, format_name: str = "table", max_memory: int | None = None) -> int:
    """Runs the NumPy executor and holds the report against it; 1 when any figure disagrees."""
    from .formats import verification
    from .verify import verify_file

    result = verify_file(file, seed=seed, batch=batch, max_memory=max_memory)
    verification.write(result, format_name, sys.stdout)
    return 1 if result.mismatches else 0


def types(name: str | None = None) -> int:
    """Lists the layer types, or describes one: its arguments, defaults and rules."""
    import textwrap  # here, not at the top: it compiles regular expressions when imported

    from .errors import UsageError, did_you_mean
    from .layers.base import _show, lookup
    from .spec import type_names

    if name is None:
        for type_name in type_names():
            layer_type = lookup(type_name)[0]
            first_line = layer_type.doc.split("\n")[0]
            sys.stdout.write(f"{type_name:16} {first_line}\n")
        sys.stdout.write("\n`cnncalc types NAME` describes one type and its arguments.\n")
        return 0
    try:
        layer_type, _ = lookup(name)
    except KeyError:
        raise UsageError(f"unknown layer type {name!r}{did_you_mean(name, type_names())}") from None
    out = [layer_type.name + (f" (also: {', '.join(layer_type.aliases)})" if layer_type.aliases else ""), ""]
    first, _, rest = layer_type.doc.partition("\n")
    out += ["  " + line for line in [first, *textwrap.dedent(rest).splitlines()]]
    if layer_type.args:
        out += ["", "arguments:"]
        for arg in layer_type.args:
            if arg.required:
                default = "required"
            else:
                default = "optional" if arg.default is None else f"default {_show(arg.default)}"
            primary = ", the primary value" if arg.name == layer_type.primary else ""
            out.append(f"  {arg.name:18} {arg.kind.expected} ({default}{primary})")
            if arg.doc:
                out.append(f"  {'':18} {arg.doc}")
    sys.stdout.write("\n".join(out) + "\n")
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
