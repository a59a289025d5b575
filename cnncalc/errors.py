"""One family of errors, each knowing where in which file it points.

Users see ``FILE:LINE:COL: error: WHAT``. Code deep inside (a layer's shape rule, an
argument check) does not know the file, so it raises a small error with only the message
(and, where it knows, which argument is at fault); the layer that does know the position
turns it into a :class:`SpecError`.
"""

from __future__ import annotations

from .record import Record

# A file with thousands of problems (one mistake repeated 4,000 times) lists the first ones.
MAX_SHOWN = 50


class Loc(Record, fields="file line column"):
    """A place in a source file. ``line`` and ``column`` count from 1; either may be None."""

    __slots__ = ()

    def __str__(self) -> str:
        parts = [str(self.file)]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


class Diagnostic(Record, fields="loc message"):
    """One problem at one place."""

    __slots__ = ()

    def __str__(self) -> str:
        return f"{self.loc}: error: {self.message}"


class CnncalcError(Exception):
    """Base of every error a user may see; ``exit_code`` follows the contract (2: input unusable)."""

    exit_code = 2


class SpecError(CnncalcError):
    """An architecture file that cannot be used, with every problem found in it."""

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics = list(diagnostics)
        super().__init__(str(self))

    @classmethod
    def at(cls, loc: Loc, message: str) -> SpecError:
        return cls([Diagnostic(loc, message)])

    def __str__(self) -> str:
        shown = [str(d) for d in self.diagnostics[:MAX_SHOWN]]
        if len(self.diagnostics) > MAX_SHOWN:
            shown.append(f"... and {len(self.diagnostics) - MAX_SHOWN:,} more problems")
        return "\n".join(shown)


class UsageError(CnncalcError):
    """A bad option or value given on the command line (exit 2)."""


class ArgError(Exception):
    """A single value does not fit what an argument accepts. Raised without a position."""


class LayerError(Exception):
    """A layer's arithmetic refuses its input (a shape rule, not a syntax problem).

    ``arg`` names the argument at fault, if any, so the position can point at it.
    """

    def __init__(self, message: str, arg: str | None = None):
        super().__init__(message)
        self.arg = arg


def did_you_mean(word: str, choices) -> str:
    """A ' (did you mean "x"?)' suffix, or '' when nothing is close."""
    import difflib  # only on the error path: it costs more to import than a whole summary

    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""
