"""Rendering reports. Each format is a module with ``write(report, stream)``; modules are
imported only when used, so ``--format json`` never pays for rich."""

from __future__ import annotations

FORMATS = ("table", "json", "csv", "markdown")


def write(report, format_name: str, stream) -> None:
    if format_name not in FORMATS:
        raise ValueError(f"unknown format {format_name!r}")
    __import__(f"{__name__}.{format_name}", fromlist=["write"]).write(report, stream)
