"""Rendering reports. Each format is a module with ``write(report, stream)``; modules are
imported only when used, so ``--format json`` never pays for rich."""

from __future__ import annotations

FORMATS = ("table", "json", "csv", "markdown", "notes")


# The formats that fold module instances into one row each with ``--depth``.
FOLDING = ("table", "csv", "markdown")


def write(report, format_name: str, stream, depth: int | None = None, color: str = "auto") -> None:
    """``depth`` folds module instances for the tables (table, csv, markdown); the JSON report
    and the notes' memory table always list every layer. ``color`` (auto, always, never) is
    the rich table's."""
    if format_name not in FORMATS:
        raise ValueError(f"unknown format {format_name!r}")
    module = __import__(f"{__name__}.{format_name}", fromlist=["write"])
    if format_name == "table":
        module.write(report, stream, depth, color)
    elif depth is None or format_name not in FOLDING:
        module.write(report, stream)
    else:
        module.write(report, stream, depth)
