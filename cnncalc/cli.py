"""The command line: a click group whose commands parse options and call ``app``."""

from __future__ import annotations

import sys

import click

from . import __version__, app
from .analysis import DTYPE_BYTES
from .formats import FORMATS


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="cnncalc")
def main() -> None:
    """Shapes, parameters, memory, MACs and receptive fields of convolutional networks.

    Describe a network in a YAML file (see README.md) and ask: `cnncalc summarize FILE`.
    """


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--batch", type=click.IntRange(min=1), default=1, show_default=True, help="Examples per batch (memory figures)."
)
@click.option(
    "--dtype",
    type=click.Choice(list(DTYPE_BYTES)),
    default="float32",
    show_default=True,
    help="Element type (memory figures).",
)
@click.option(
    "--format",
    "format_name",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table (rich on a terminal, plain text when piped), json, csv or markdown.",
)
def summarize(file: str, batch: int, dtype: str, format_name: str) -> None:
    """Per-layer shapes, parameters, MACs, memory and receptive fields, with totals."""
    sys.exit(app.run(app.summarize, file, batch, dtype, format_name))


@main.command()
@click.argument("name", required=False)
def types(name: str | None) -> None:
    """The layer types a file may use; with NAME, that type's arguments."""
    sys.exit(app.run(app.types, name))
