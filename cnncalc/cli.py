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


def parse_size(text: str) -> int:
    """``24GiB``, ``512MiB``, ``2G`` or a number of bytes."""
    units = {
        "": 1,
        "k": 2**10,
        "kb": 10**3,
        "kib": 2**10,
        "m": 2**20,
        "mb": 10**6,
        "mib": 2**20,
        "g": 2**30,
        "gb": 10**9,
        "gib": 2**30,
        "t": 2**40,
        "tb": 10**12,
        "tib": 2**40,
    }
    number = text.strip().rstrip("bBiIkKmMgGtT ")
    unit = text.strip()[len(number) :].strip().lower()
    try:
        return int(float(number) * units[unit])
    except (ValueError, KeyError):
        raise click.BadParameter(f"{text!r} is not a size such as 8GiB, 512MiB or 1000000") from None


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random weights and input.")
@click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True, help="Examples in the batch run.")
@click.option("--format", "format_name", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option(
    "--max-memory",
    type=str,
    default=None,
    help="Refuse runs estimated to need more (e.g. 8GiB). Default: half the memory available.",
)
def verify(file: str, seed: int, batch: int, format_name: str, max_memory: str | None) -> None:
    """Run the network in NumPy and check every figure of the report against it.

    Shapes, parameter and buffer counts, MACs and receptive fields are measured on the
    executor. Exit 0 when all agree, 1 on any mismatch, 2 when the file cannot be used.
    """
    limit = None if max_memory is None else parse_size(max_memory)
    sys.exit(app.run(app.verify, file, seed, batch, format_name, limit))


@main.command()
@click.argument("name", required=False)
def types(name: str | None) -> None:
    """The layer types a file may use; with NAME, that type's arguments."""
    sys.exit(app.run(app.types, name))
