"""The command line: a click group whose commands parse options and call ``app``."""

from __future__ import annotations

import sys

import click

from . import __version__, app
from .formats import FORMATS
from .memory import DTYPE_BYTES, MAX_BATCH

BATCH = click.IntRange(min=1, max=MAX_BATCH)
# The counting conventions' names (cnncalc/conventions/__init__.py NAMES), without importing them.
CONVENTIONS = ("cnncalc", "torch", "torchinfo", "fvcore", "ptflops", "thop", "calflops")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="cnncalc")
def main() -> None:
    """Shapes, parameters, memory, MACs and receptive fields of convolutional networks.

    Describe a network in a YAML file and ask: `cnncalc summarize FILE` (FILE may be a
    network of the zoo, e.g. `cnncalc summarize vgg16`; `cnncalc zoo` lists them, and
    `cnncalc types` the layer types a file may use).
    """


# Options every command that writes a report shares (ruff's names).
OUTPUT = click.option(
    "-o", "--output-file", type=click.Path(dir_okay=False, writable=True), help="Write to this file, not stdout."
)
# For an ONNX model whose export left its input's sizes named (dynamic axes).
ONNX_INPUT = click.option(
    "--input",
    "input_text",
    default=None,
    help="For an ONNX model exported with dynamic axes: its input's shape, channels first (3x224x224).",
)
COLOR = click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colors and tables; auto: on a terminal, unless NO_COLOR or TERM=dumb (FORCE_COLOR forces them).",
)


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
@click.option("--batch", type=BATCH, default=1, show_default=True, help="Examples per batch (memory figures).")
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
    help="table (rich on a terminal, plain text when piped), json, csv, markdown, or notes (the course notes'"
    " memory table: values per layer, ReLU in place, weights without biases).",
)
@click.option(
    "--count-as",
    type=click.Choice(CONVENTIONS),
    default=None,
    help="Count as this tool does (cnncalc, torch FlopCounterMode, torchinfo, fvcore, ptflops, thop, calflops): its"
    " figure and parameters per layer and in total, in its unit; `cnncalc conventions` says what each counts.",
)
@click.option(
    "--explain-gap",
    type=click.Choice(CONVENTIONS[1:]),
    default=None,
    metavar="TOOL",
    help="Instead of the report: why TOOL's figure differs from cnncalc's MACs, layer type by layer type.",
)
@ONNX_INPUT
@OUTPUT
@COLOR
def summarize(
    file: str | None,
    pattern: str | None,
    depth: int | None,
    batch: int,
    dtype: str,
    format_name: str,
    count_as: str | None,
    explain_gap: str | None,
    input_text: str | None,
    output_file: str | None,
    color: str,
) -> None:
    """Per-layer shapes, parameters, MACs, memory and receptive fields, with totals.

    FILE is a path, - for standard input, or a network of the zoo (`cnncalc zoo`).

    \b
    The pattern notation: INPUT 32x32x3 -> [CONV5-6 -> RELU -> POOL2]*2 -> FC120 -> FC10
    CONV<kernel>-<filters>, POOL<kernel>, AVGPOOL<kernel>, FC<units>, any layer type name;
    options after "/": s<N> stride, p<N> padding, same, valid. [..]*N repeats.
    """
    if (file is None) == (pattern is None):
        raise click.UsageError("give an architecture FILE or --pattern, one of the two")
    if count_as is not None and explain_gap is not None:
        raise click.UsageError("give --count-as (the report, counted as a tool does) or --explain-gap, not both")
    options = (batch, dtype, format_name, pattern, depth, color, count_as, explain_gap)
    sys.exit(app.run(app.summarize, file, *options, input_text=input_text, output_file=output_file))


def parse_size(text: str, option: str = "size") -> int:
    """``24GiB``, ``512MiB``, ``2G`` or a number of bytes (memory.size_bytes)."""
    from .memory import size_bytes

    size = size_bytes(text)
    if size is None:
        raise click.BadParameter(
            f"{text!r} is not a size such as 8GiB, 512MiB or 1000000 (at most 1024TiB)", param_hint=option
        )
    return size


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random weights and input.")
@click.option("--batch", type=BATCH, default=1, show_default=True, help="Examples in the batch run.")
@click.option("--format", "format_name", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option(
    "--max-memory",
    type=str,
    default=None,
    help="Refuse runs estimated to need more (e.g. 8GiB). Default: half the memory available.",
)
@ONNX_INPUT
@OUTPUT
def verify(
    file: str, seed: int, batch: int, format_name: str, max_memory: str | None, input_text: str | None, output_file
) -> None:
    """Run the network in NumPy and check every figure of the report against it.

    Shapes, parameter and buffer counts, MACs and receptive fields are measured on the
    executor. Exit 0 when all agree, 1 on any mismatch, 2 when the file cannot be used.
    """
    limit = None if max_memory is None else parse_size(max_memory, "--max-memory")
    sys.exit(app.run(app.verify, file, seed, batch, format_name, limit, input_text=input_text, output_file=output_file))


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "format_name", type=click.Choice(["text", "json"]), default="text", show_default=True)
@OUTPUT
def check(file: str, format_name: str, output_file) -> None:
    """Mark every `expect:` answer right or wrong, with the worked arithmetic (exit 1: any wrong)."""
    sys.exit(app.run(app.check, file, format_name, output_file=output_file))


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--layer", default=None, help="Only this layer.")
@click.option(
    "--draw",
    is_flag=True,
    help="Picture each layer's receptive field on the input grid: text after the arithmetic, or with -o NAME.svg "
    "the pictures alone as SVG.",
)
@ONNX_INPUT
@OUTPUT
def explain(file: str, layer: str | None, draw: bool, input_text: str | None, output_file) -> None:
    """The worked arithmetic behind every figure of each layer."""
    picture = None
    if draw:
        picture = "svg" if output_file is not None and output_file.lower().endswith(".svg") else "text"
    sys.exit(app.run(app.explain, file, layer, picture, input_text=input_text, output_file=output_file))


DEPTH = click.option(
    "--depth",
    type=click.IntRange(min=0),
    default=None,
    help="Fold module instances nested deeper than this into one node each (0: every instance one node).",
)
COLOR_BY = click.option(
    "--color-by",
    type=click.Choice(["macs", "params", "memory", "none"]),
    default="macs",
    show_default=True,
    help="Colour the nodes by this figure (log scale).",
)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "-o", "--output-file", default=None, help="The file to write: .svg, .png, .dot or .mmd (default: SVG to stdout)."
)
@click.option(
    "--format",
    "format_name",
    type=click.Choice(["svg", "png", "dot", "mmd"]),
    default=None,
    help="Instead of the output file's suffix: svg (laid out by cnncalc), png (needs a converter), dot (Graphviz), "
    "mmd (Mermaid).",
)
@DEPTH
@COLOR_BY
@click.option("--figures", is_flag=True, help="Also write each node's parameters and MACs.")
@ONNX_INPUT
def draw(file, output_file, format_name, depth, color_by, figures, input_text) -> None:
    """Draw the layer graph, top to bottom, branches side by side, module instances as boxes.

    Each node says its layer's name, type and output shape. SVG needs no other program and is
    the same bytes every time; PNG converts it with rsvg-convert, cairosvg or Graphviz.
    """
    options = (output_file, format_name, depth, color_by, figures)
    sys.exit(app.run(app.draw, file, *options, input_text=input_text))


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output-file", default=None, help="The HTML file to write (default: stdout).")
@click.option("--batch", type=BATCH, default=1, show_default=True, help="Examples per batch (memory figures).")
@click.option("--dtype", type=click.Choice(list(DTYPE_BYTES)), default="float32", show_default=True)
@DEPTH
@COLOR_BY
@click.option("--optimizer", type=click.Choice(["sgd", "momentum", "adam"]), default="adam", show_default=True)
@click.option("--verify", "run_verify", is_flag=True, help="Also run the network in NumPy and check every figure.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --verify's random weights and input.")
@click.option("--max-memory", type=str, default=None, help="--verify refuses runs estimated to need more (8GiB).")
def report(file, output_file, batch, dtype, depth, color_by, optimizer, run_verify, seed, max_memory) -> None:
    """One self-contained HTML page about a network: drawing, table, charts, memory, lint.

    The drawing, a sortable table of the layers, per-layer charts of parameters, MACs and
    memory, receptive field and jump by depth, memory over inference and a training step,
    lint's findings and (with --verify) the verification. No network access is needed to
    view it; clicking a layer shows its arithmetic.
    """
    limit = None if max_memory is None else parse_size(max_memory, "--max-memory")
    options = (output_file, batch, dtype, depth, color_by, run_verify, optimizer, seed, limit)
    sys.exit(app.run(app.report_page, file, *options))


@main.command(name="run")
@click.argument("file", type=click.Path(dir_okay=False))
@OUTPUT
def run_command(file: str, output_file) -> None:
    """Every layer's output values for the input `values:` and weights the file gives."""
    sys.exit(app.run(app.run_values, file, output_file=output_file))


INPUT = click.option("--input", "input_text", required=True, help="32x32x3 (H x W x C) or 3,32,32 (channels first).")
PADDING = click.option("--padding", default="0", show_default=True, help="A number (or one per axis), same or valid.")


def window_options(func):
    for option in reversed(
        [
            click.option("--kernel", required=True, help="Window size (one number, or e.g. 3,5)."),
            click.option("--stride", default=None, help="Step (default: 1 for conv, the kernel for pooling)."),
            PADDING,
            click.option("--dilation", default=None, help="Spacing of the window's taps  [default: 1]"),
        ]
    ):
        func = option(func)
    return func


def sizes(option: str, text: str | None, words: tuple = ()):
    """An option's value as a layer argument: a whole number, one per axis (``3,5``), or one
    of ``words``. Read as values, never as YAML: ``0x2``, ``2 # c`` or ``3, stride: 100``
    are refused, not interpreted."""
    if text is None:
        return None
    if text.strip().lower() in words:
        return text.strip().lower()
    parts = [part.strip() for part in text.split(",")]
    if all(part.isascii() and part.isdecimal() and len(part) <= 18 for part in parts):
        numbers = [int(part) for part in parts]
        return numbers[0] if len(numbers) == 1 else numbers
    also = "".join(f", or {word}" for word in words)
    raise click.BadParameter(f"{text!r}: write a whole number, or one per axis such as 3,5{also}", param_hint=option)


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
        "kernel": sizes("--kernel", kernel),
        "stride": sizes("--stride", stride),
        "padding": sizes("--padding", padding, ("same", "valid")),
        "dilation": sizes("--dilation", dilation),
        "groups": groups,
        "bias": bias,
    }
    sys.exit(app.run(app.calculate, "conv", input_text, arguments))


@main.command()
@INPUT
@window_options
@click.option("--mode", type=click.Choice(["max", "avg"]), default="max", show_default=True)
def pool(input_text, kernel, stride, padding, dilation, mode) -> None:
    """One pooling layer: output shape with its arithmetic (--dilation: max pooling only)."""
    if mode == "avg" and dilation is not None:
        raise click.BadParameter("average pooling has no dilation (max pooling has)", param_hint="--dilation")
    arguments = {
        "kernel": sizes("--kernel", kernel),
        "stride": sizes("--stride", stride),
        "padding": sizes("--padding", padding, ("same", "valid")),
        "dilation": sizes("--dilation", dilation),
    }
    sys.exit(app.run(app.calculate, f"{mode}pool", input_text, arguments))


@main.command()
@INPUT
@click.option("--units", required=True, type=click.IntRange(min=1), help="Output units.")
@click.option("--bias/--no-bias", default=True, show_default=True)
def fc(input_text, units, bias) -> None:
    """One fully connected layer: parameters and MACs with their arithmetic."""
    sys.exit(app.run(app.calculate, "fc", input_text, {"units": units, "bias": bias}))


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--batch", type=BATCH, default=1, show_default=True)
@click.option("--dtype", type=click.Choice(list(DTYPE_BYTES)), default="float32", show_default=True)
@click.option("--train", is_flag=True, help="Training: parameters, gradients, optimizer state, saved activations.")
@click.option("--optimizer", type=click.Choice(["sgd", "momentum", "adam"]), default="adam", show_default=True)
@click.option("--mixed-precision", is_flag=True, help="float16 activations, float32 master weights.")
@click.option("--inplace", is_flag=True, help="Activations overwrite their input where nothing else reads it.")
@click.option("--budget", default=None, help="A memory size (24GiB): also print the largest batch that fits.")
@click.option("--format", "format_name", type=click.Choice(["text", "json"]), default="text", show_default=True)
@ONNX_INPUT
@OUTPUT
def memory(
    file, batch, dtype, train, optimizer, mixed_precision, inplace, budget, format_name, input_text, output_file
) -> None:
    """Memory for inference (peak of live activations) or a training step, and the largest
    batch within a budget."""
    limit = None if budget is None else parse_size(budget, "--budget")
    options = (batch, dtype, train, optimizer, mixed_precision, inplace, limit, format_name)
    sys.exit(app.run(app.memory, file, *options, input_text=input_text, output_file=output_file))


@main.command(name="time")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--device",
    required=True,
    help="A shipped profile's name (`cnncalc devices` lists them) or a profile file's path.",
)
@click.option("--batch", type=BATCH, default=1, show_default=True)
@click.option("--dtype", type=click.Choice(list(DTYPE_BYTES)), default="float32", show_default=True)
@click.option("--train", is_flag=True, help="A training step: forward, backward and the optimizer's update.")
@click.option("--optimizer", type=click.Choice(["sgd", "momentum", "adam"]), default="adam", show_default=True)
@click.option(
    "--format",
    "format_name",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="table (rich on a terminal, plain text when piped), json or csv.",
)
@ONNX_INPUT
@OUTPUT
@COLOR
def time_command(file, device, batch, dtype, train, optimizer, format_name, input_text, output_file, color) -> None:
    """Estimate each layer's time on a device, and the network's: a roofline.

    A layer takes the longer of its arithmetic at the device's peak (lowered for matrix
    products with a short side) and its bytes (inputs, output, weights) at its bandwidth
    (the cache's when they fit), plus a fixed cost per layer, plus laying its weights and a
    strided input out for the kernel where the profile says how fast. An estimate from the
    file alone: layers run one after another, without fusion.
    """
    options = (device, batch, dtype, train, optimizer, format_name, color)
    sys.exit(app.run(app.time_network, file, *options, input_text=input_text, output_file=output_file))


@main.command()
@click.option("--quick", is_flag=True, help="About 3 s instead of 10: shorter trials, rougher figures.")
@click.option(
    "--threads",
    type=click.IntRange(min=1, max=4096),
    default=None,
    help="Threads for the products (default: NumPy's, every core); match your framework's.",
)
@click.option(
    "--fit",
    "fit_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="A framework's measured layer times (JSON lines, as bench/latency.py writes them): fit the "
    "per-layer costs, small products, window and strided rates to them.",
)
@OUTPUT
def calibrate(quick: bool, threads: int | None, fit_file: str | None, output_file) -> None:
    """Measure this machine with NumPy and write its device profile (for `cnncalc time --device`).

    Matrix products give the peak FLOP/s (float32, float64), a + b -> c on large and on
    cache-sized arrays the bandwidths, tiny calls the per-layer overhead. Each figure is
    the best of many trials. With --fit, what a framework's kernels add is fitted to its
    measured times instead. Example: cnncalc calibrate -o mine.yaml
    """
    sys.exit(app.run(app.calibrate, quick, threads, fit_file, output_file=output_file))


@main.command()
def devices() -> None:
    """The device profiles that come with cnncalc, for `cnncalc time --device NAME`."""
    sys.exit(app.run(app.devices))


def comma_list(ctx, param, values) -> tuple:
    """``--select a,b --select c``: repeatable and comma-separated, as in ruff."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--format", "format_name", type=click.Choice(["text", "json", "github", "sarif"]), default="text", show_default=True
)
@click.option("--select", multiple=True, callback=comma_list, help="Only these rules (a,b or repeated; default: all).")
@click.option(
    "--extend-select",
    multiple=True,
    callback=comma_list,
    help="These rules too, on top of the selection (rules off by default: `cnncalc rules` marks them).",
)
@click.option("--ignore", multiple=True, callback=comma_list, help="Not these rules (a,b or repeated).")
@click.option("--strict", is_flag=True, help="Warnings fail too.")
@click.option(
    "--exclude", multiple=True, callback=comma_list, help="Skip paths matching these globs (a,b or repeated)."
)
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Settings from this TOML file only.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when problems are found.")
@click.option("--statistics", is_flag=True, help="How many problems of each rule, instead of the problems.")
@click.option("-q", "--quiet", is_flag=True, help="Only the problems: no closing line, no notes.")
@OUTPUT
@COLOR
def lint(
    paths,
    format_name,
    select,
    extend_select,
    ignore,
    strict,
    exclude,
    config_file,
    exit_zero,
    statistics,
    quiet,
    output_file,
    color,
):
    """Check architecture files (files, directories, globs; - for standard input) as CI would:
    exit 1 on errors.

    `cnncalc rules` lists the rules with their examples. Configure in pyproject.toml under
    [tool.cnncalc.lint]; silence a line with `# cnncalc: ignore[rule-id]`. Budgets set in
    [tool.cnncalc.budgets] are checked too (rule budget).
    """
    options = (list(select) or None, ignore, strict, exclude, config_file, exit_zero, statistics, quiet, color)
    sys.exit(app.run(app.lint, list(paths), format_name, *options, extend_select, output_file=output_file))


@main.command()
@click.argument("rule", required=False)
def rules(rule: str | None) -> None:
    """The lint rules with what they check; with RULE, its documentation and examples."""
    sys.exit(app.run(app.rules, rule))


@main.command()
@click.option(
    "--format", "format_name", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True
)
@OUTPUT
def zoo(format_name: str, output_file: str | None) -> None:
    """The networks that come with cnncalc: input, parameters, MACs, peak memory, last field.

    Any of them can be given by name where a FILE is asked for: `cnncalc summarize vgg16`.
    """
    sys.exit(app.run(app.zoo, format_name, output_file=output_file))


@main.command()
@OUTPUT
def schema(output_file: str | None) -> None:
    """A JSON Schema of the architecture file, for editors (YAML language server)."""
    sys.exit(app.run(app.schema, output_file=output_file))


@main.command()
@click.argument("tool", type=click.Choice(CONVENTIONS), required=False)
@click.option(
    "--format", "format_name", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True
)
@OUTPUT
def conventions(tool: str | None, format_name: str, output_file: str | None) -> None:
    """What each counting tool counts, per layer type, with its arithmetic and its source line.

    `cnncalc summarize FILE --count-as TOOL` counts a network that way; `--explain-gap TOOL`
    says why TOOL's figure differs from cnncalc's.
    """
    sys.exit(app.run(app.conventions, tool, format_name, output_file=output_file))


@main.command()
@click.argument("name", required=False)
def types(name: str | None) -> None:
    """The layer types a file may use; with NAME, that type's arguments."""
    sys.exit(app.run(app.types, name))


@main.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", default=None, help="The architecture file to write (default: print it).")
@click.option(
    "--input",
    "input_shape",
    default=None,
    help="For a PyTorch model, or an ONNX model with dynamic axes: its input, channels first (3x224x224).",
)
def import_command(file: str, output: str | None, input_shape: str | None) -> None:
    """Write the architecture file of an ONNX model, a Caffe network (.prototxt, read as it
    is: no Caffe needed), or a PyTorch model given as `package.module:factory` (traced;
    needs torch). ONNX and PyTorch need `pip install 'cnncalc[onnx]'`.

    Layer names come from the graph's node names, and repeated blocks become modules; only
    shapes are read, so a model's external weights (model.onnx.data) are not needed.
    """
    sys.exit(app.run(app.import_model, file, output, input_shape))


@main.command(name="export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--to", "to", type=click.Choice(["pytorch", "onnx"]), required=True, help="The format to write.")
@click.option("-o", "--output", default=None, help="The file to write (default: print it; onnx needs a file).")
def export_command(file: str, to: str, output: str | None) -> None:
    """Write the network for a framework: `--to pytorch` gives a standalone nn.Module file,
    `--to onnx` a graph with every shape and zero weights (in FILE.data), for Netron and
    runtimes (needs `pip install 'cnncalc[onnx]'`)."""
    sys.exit(app.run(app.export_model, file, to, output))


@main.command(name="diff")
@click.argument("old")
@click.argument("new")
@click.option("--batch", type=BATCH, default=1, show_default=True, help="Examples per batch (memory figures).")
@click.option("--dtype", type=click.Choice(list(DTYPE_BYTES)), default="float32", show_default=True)
@click.option("--optimizer", type=click.Choice(["sgd", "momentum", "adam"]), default="adam", show_default=True)
@click.option(
    "--budget", default=None, help="A memory size (24GiB): also the largest batch that fits, before and after."
)
@click.option(
    "--format",
    "format_name",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="text (a rich table on a terminal, plain when piped), markdown (a pull-request comment), json.",
)
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Budgets from this TOML file only.")
@click.option("--exit-code", is_flag=True, help="Exit 1 when anything changed, as `git diff --exit-code`.")
@click.option(
    "--count-as",
    type=click.Choice(CONVENTIONS),
    default=None,
    help="Also compare the figure and parameters this tool counts (see `cnncalc conventions`).",
)
@OUTPUT
@COLOR
def diff_command(
    old, new, batch, dtype, optimizer, budget, format_name, config_file, exit_code, count_as, output_file, color
):
    """What changed from OLD to NEW: layers added, removed and changed, the totals, memory
    and receptive field, and the verdict of NEW's budgets ([tool.cnncalc.budgets]).

    OLD or NEW may be a revision of a file in git, REV:path (`cnncalc diff HEAD~1:net.yaml
    net.yaml`; the path from the repository's top, or ./path from here). Exit 0 within the
    budgets (changed or not), 1 over a budget (or any change with --exit-code), 2 when a
    file cannot be used.
    """
    limit = None if budget is None else parse_size(budget, "--budget")
    options = (batch, dtype, optimizer, limit, format_name, config_file, exit_code, color, count_as)
    sys.exit(app.run(app.diff, old, new, *options, output_file=output_file))


@main.command(name="sweep")
@click.argument("file")
@click.option("--input", "inputs", default=None, help="Input sizes: 224, 128..512/32, 160,192,224 or 224x320.")
@click.option("--batch", "batches", default=None, help="Batches: 1..64*2 (doubling), 1..8/1, or 1,8,32.")
@click.option(
    "--param",
    "params",
    multiple=True,
    help="A parameter of the file (top-level params:, or MODULE.NAME) and its values: width=0.5,0.75,1.0.",
)
@click.option("--at-batch", "batch", type=BATCH, default=1, show_default=True, help="The batch when not swept.")
@click.option("--dtype", type=click.Choice(list(DTYPE_BYTES)), default="float32", show_default=True)
@click.option("--optimizer", type=click.Choice(["sgd", "momentum", "adam"]), default="adam", show_default=True)
@click.option("--budget", default=None, help="A memory size (24GiB): also the largest training batch that fits.")
@click.option("--layer", default=None, help="Whose receptive field to show (default: the last non-global one).")
@click.option(
    "--format", "format_name", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True
)
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Budgets from this TOML file only.")
@OUTPUT
@COLOR
def sweep_command(
    file, inputs, batches, params, batch, dtype, optimizer, budget, layer, format_name, config_file, output_file, color
):
    """How MACs, parameters, memory, the largest batch and the receptive field change with
    the input size, the batch or a parameter, which settings are invalid and why, and which
    break the file's budgets ([tool.cnncalc.budgets]).

    \b
    cnncalc sweep resnet50 --input 64..512/32
    cnncalc sweep mobilenet_v1 --param width=0.25,0.5,0.75,1 --input 128..224/32
    """
    limit = None if budget is None else parse_size(budget, "--budget")
    options = (inputs, batches, params, batch, dtype, optimizer, limit, layer, format_name, color, config_file)
    sys.exit(app.run(app.sweep, file, *options, output_file=output_file))
