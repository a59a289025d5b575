"""The command line: a click group whose commands parse options and call ``app``."""

from __future__ import annotations

import sys

import click

from . import __version__, app
from .formats import FORMATS
from .memory import DTYPE_BYTES


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="cnncalc")
def main() -> None:
    """Shapes, parameters, memory, MACs and receptive fields of convolutional networks.

    Describe a network in a YAML file (see README.md) and ask: `cnncalc summarize FILE`.
    """


@main.command()
@click.argument("file", type=click.Path(dir_okay=False), required=False)
@click.option(
    "--pattern", default=None, help='Instead of FILE, a one-line network: "INPUT 32x32x3 -> CONV5-6 -> FC10".'
)
@click.option(
    "--depth",
    type=click.IntRange(min=0),
    default=None,
    help="Fold module instances nested deeper than this into one row each (tables only).",
)
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
def summarize(
    file: str | None, pattern: str | None, depth: int | None, batch: int, dtype: str, format_name: str
) -> None:
    """Per-layer shapes, parameters, MACs, memory and receptive fields, with totals.

    \b
    The pattern notation (README): INPUT 32x32x3 -> [CONV5-6 -> RELU -> POOL2]*2 -> FC120 -> FC10
    CONV<kernel>-<filters>, POOL<kernel>, AVGPOOL<kernel>, FC<units>, any layer type name;
    options after "/": s<N> stride, p<N> padding, same, valid. [..]*N repeats.
    """
    if (file is None) == (pattern is None):
        raise click.UsageError("give an architecture FILE or --pattern, one of the two")
    sys.exit(app.run(app.summarize, file, batch, dtype, format_name, pattern, depth))


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
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "format_name", type=click.Choice(["text", "json"]), default="text", show_default=True)
def check(file: str, format_name: str) -> None:
    """Mark every `expect:` answer right or wrong, with the worked arithmetic (exit 1: any wrong)."""
    sys.exit(app.run(app.check, file, format_name))


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--layer", default=None, help="Only this layer.")
def explain(file: str, layer: str | None) -> None:
    """The worked arithmetic behind every figure of each layer."""
    sys.exit(app.run(app.explain, file, layer))


@main.command(name="run")
@click.argument("file", type=click.Path(dir_okay=False))
def run_command(file: str) -> None:
    """Every layer's output values for the input `values:` and weights the file gives."""
    sys.exit(app.run(app.run_values, file))


INPUT = click.option("--input", "input_text", required=True, help="32x32x3 (H x W x C) or 3,32,32 (channels first).")
PADDING = click.option("--padding", default="0", show_default=True, help="A number, or same, or valid.")


def window_options(func):
    for option in reversed(
        [
            click.option("--kernel", required=True, help="Window size (one number, or e.g. 3,5)."),
            click.option("--stride", default=None, help="Step (default: 1 for conv, the kernel for pooling)."),
            PADDING,
            click.option("--dilation", default="1", show_default=True),
        ]
    ):
        func = option(func)
    return func


def yaml_value(text: str | None):
    """A size as given on the command line (``3`` or ``3,5``) in the file's notation."""
    if text is None:
        return None
    return f"[{text}]" if "," in text else text


@main.command()
@INPUT
@click.option("--filters", required=True, type=click.IntRange(min=1), help="Number of filters (output channels).")
@window_options
@click.option("--groups", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--bias/--no-bias", default=True, show_default=True)
def conv(input_text, filters, kernel, stride, padding, dilation, groups, bias) -> None:
    """One convolution: output shape, parameters and MACs, each with its arithmetic.

    Example: cnncalc conv --input 32x32x3 --filters 10 --kernel 5 --stride 1 --padding 2
    """
    arguments = {
        "filters": filters,
        "kernel": yaml_value(kernel),
        "stride": yaml_value(stride),
        "padding": yaml_value(padding),
        "dilation": yaml_value(dilation),
        "groups": groups,
        "bias": str(bias).lower(),
    }
    sys.exit(app.run(app.calculate, "conv", input_text, arguments))


@main.command()
@INPUT
@window_options
@click.option("--mode", type=click.Choice(["max", "avg"]), default="max", show_default=True)
def pool(input_text, kernel, stride, padding, dilation, mode) -> None:
    """One pooling layer: output shape with its arithmetic."""
    arguments = {"kernel": yaml_value(kernel), "stride": yaml_value(stride), "padding": yaml_value(padding)}
    if mode == "max":
        arguments["dilation"] = yaml_value(dilation)
    sys.exit(app.run(app.calculate, f"{mode}pool", input_text, arguments))


@main.command()
@INPUT
@click.option("--units", required=True, type=click.IntRange(min=1), help="Output units.")
@click.option("--bias/--no-bias", default=True, show_default=True)
def fc(input_text, units, bias) -> None:
    """One fully connected layer: parameters and MACs with their arithmetic."""
    sys.exit(app.run(app.calculate, "fc", input_text, {"units": units, "bias": str(bias).lower()}))


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--dtype", type=click.Choice(list(DTYPE_BYTES)), default="float32", show_default=True)
@click.option("--train", is_flag=True, help="Training: parameters, gradients, optimizer state, saved activations.")
@click.option("--optimizer", type=click.Choice(["sgd", "momentum", "adam"]), default="adam", show_default=True)
@click.option("--mixed-precision", is_flag=True, help="float16 activations, float32 master weights.")
@click.option("--inplace", is_flag=True, help="Activations overwrite their input where nothing else reads it.")
@click.option("--budget", default=None, help="A memory size (24GiB): also print the largest batch that fits.")
@click.option("--format", "format_name", type=click.Choice(["text", "json"]), default="text", show_default=True)
def memory(file, batch, dtype, train, optimizer, mixed_precision, inplace, budget, format_name) -> None:
    """Memory for inference (peak of live activations) or a training step, and the largest
    batch within a budget."""
    limit = None if budget is None else parse_size(budget)
    sys.exit(app.run(app.memory, file, batch, dtype, train, optimizer, mixed_precision, inplace, limit, format_name))


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--format", "format_name", type=click.Choice(["text", "json", "github", "sarif"]), default="text", show_default=True
)
@click.option("--select", multiple=True, help="Only these rules (repeatable; default: all, or pyproject's).")
@click.option("--ignore", multiple=True, help="Not these rules (repeatable).")
@click.option("--strict", is_flag=True, help="Warnings fail too.")
def lint(paths, format_name, select, ignore, strict) -> None:
    """Check architecture files (files, directories, globs) as CI would: exit 1 on errors.

    Rules and their examples: docs/rules.md. Configure in pyproject.toml under
    [tool.cnncalc.lint]; silence a line with `# cnncalc: ignore[rule-id]`.
    """
    sys.exit(app.run(app.lint, list(paths), format_name, list(select) or None, tuple(ignore), strict))


@main.command()
def schema() -> None:
    """A JSON Schema of the architecture file, for editors (YAML language server)."""
    sys.exit(app.run(app.schema))


@main.command()
@click.argument("name", required=False)
def types(name: str | None) -> None:
    """The layer types a file may use; with NAME, that type's arguments."""
    sys.exit(app.run(app.types, name))


@main.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", default=None, help="The architecture file to write (default: print it).")
def import_command(file: str, output: str | None) -> None:
    """Write the architecture file of an ONNX model (needs `pip install 'cnncalc[onnx]'`).

    Layer names come from the graph's node names; only shapes are read, so a model's
    external weights (model.onnx.data) are not needed.
    """
    sys.exit(app.run(app.import_model, file, output))


@main.command(name="export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--to", "to", type=click.Choice(["pytorch"]), required=True, help="The framework to write for.")
@click.option("-o", "--output", default=None, help="The file to write (default: print it).")
def export_command(file: str, to: str, output: str | None) -> None:
    """Write the network for a framework: `--to pytorch` gives a standalone nn.Module file."""
    sys.exit(app.run(app.export_model, file, to, output))
