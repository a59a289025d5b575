"""What each command does, without click: compute with the core, write with a format, and
turn expected failures into a message and an exit code (shared/SPEC.md section 4).

Both the click CLI (``cli.py``) and the console script's fast lane (``entry.py``) call
these functions, so a command behaves the same whichever way it was reached.
"""

from __future__ import annotations

import os
import sys

from .errors import CnncalcError, UsageError

STDIN = "<stdin>"


def network(file: str, input_text: str | None = None):
    """The architecture file ``file`` read and validated: ``-`` is standard input, a name
    of the zoo (``vgg16``) its file when no such path exists (cnncalc.zoo). ``input_text``
    (``3x224x224``): the input of an ONNX model exported with dynamic axes."""
    from .files import read
    from .spec import parse

    shape = None
    if input_text is not None:
        from .interop.torch_import import input_shape

        shape = input_shape(input_text, file)
    if file != "-":
        from .zoo import resolve

        return read(resolve(file), shape)
    if shape is not None:
        raise UsageError(f"{STDIN}: error: --input is for ONNX models; an architecture file gives its own input")
    from .source import parse as parse_yaml
    from .source import read_stream

    text = read_stream(sys.stdin.buffer, STDIN)
    return parse(parse_yaml(text, STDIN), STDIN)


def summarize(
    file: str | None,
    batch: int = 1,
    dtype: str = "float32",
    format_name: str = "table",
    pattern: str | None = None,
    depth: int | None = None,
    color: str = "auto",
    count_as: str | None = None,
    explain_gap: str | None = None,
    input_text: str | None = None,
) -> int:
    """The per-layer report of a file, or of a one-line ``pattern`` (see cnncalc.pattern);
    ``count_as`` counts it as another tool does (cnncalc/conventions/), ``explain_gap``
    prints instead why that tool's figure differs from cnncalc's, type by type;
    ``input_text`` sizes an ONNX model's input that an export left named (dynamic axes)."""
    from . import formats
    from .report import analyze, analyze_network

    if pattern is None:
        report = analyze_network(network(file, input_text), batch, dtype)
    elif input_text is not None:
        raise UsageError("--input is for ONNX models; a pattern gives its own INPUT")
    else:
        from .graph import build
        from .pattern import FILE, document
        from .spec import parse

        report = analyze(build(parse(document(pattern), FILE)), batch, dtype)
    if explain_gap is not None:
        from .conventions import gaps
        from .formats.conventions import write_gaps

        if format_name not in GAP_FORMATS:
            raise UsageError(f"--explain-gap: error: --format {format_name}: it prints {', '.join(GAP_FORMATS)}")
        write_gaps(report, *gaps(report, explain_gap), format_name, sys.stdout)
        return 0
    if count_as is not None:
        from .conventions import counted_report

        if format_name == "notes":
            raise UsageError("--count-as: error: the notes' table counts memory, not operations; use another --format")
        report = counted_report(report, count_as)
    formats.write(report, format_name, sys.stdout, depth, color)
    return 0


# What `summarize --explain-gap` writes ("table" reads as plain text).
GAP_FORMATS = ("table", "json", "markdown")


def conventions(name: str | None = None, format_name: str = "text") -> int:
    """What each counting convention counts, per layer type, with the arithmetic."""
    from . import conventions as presets
    from .formats.conventions import write_page

    names = presets.NAMES if name is None else (name,)
    write_page([presets.get(n) for n in names], format_name, sys.stdout)
    return 0


def verify(
    file: str,
    seed: int = 0,
    batch: int = 1,
    format_name: str = "table",
    max_memory: int | None = None,
    input_text: str | None = None,
) -> int:
    """Runs the NumPy executor and holds the report against it; 1 when any figure disagrees."""
    from .formats import verification
    from .formats.progress import progress
    from .graph import build
    from .verify import verify_graph

    graph = build(network(file, input_text))
    with progress("verifying", sys.stderr) as step:  # a bar on a terminal only
        result = verify_graph(graph, seed=seed, batch=batch, max_memory=max_memory, progress=step)
    verification.write(result, format_name, sys.stdout)
    return 1 if result.mismatches else 0


def check(file: str, format_name: str = "text") -> int:
    """Marks every ``expect:`` answer right or wrong; 1 when any is wrong."""
    from .formats.homework import write_check
    from .graph import build
    from .homework import check as check_answers
    from .homework import check_given, given_values
    from .report import analyze

    graph = build(network(file))
    report = analyze(graph)
    check_given(graph, report)
    wanted = any("values" in (layer.spec.expect or ()) for layer in report.layers)
    values = given_values(graph, report) if wanted else None  # only what an answer needs
    verdicts = check_answers(report, values)
    write_check(verdicts, format_name, sys.stdout)
    return 0 if all(v.correct for v in verdicts) else 1


def explain(file: str, layer: str | None = None, picture: str | None = None, input_text: str | None = None) -> int:
    """The worked arithmetic for every figure of one layer, or of all. ``picture``: "text"
    adds a picture of each receptive field on the input grid after its arithmetic; "svg"
    writes those pictures alone, as one SVG."""
    from .errors import did_you_mean
    from .formats.homework import write_explain
    from .homework import worked
    from .report import analyze_network

    report = analyze_network(network(file, input_text))
    names = [item.name for item in report.layers]
    if layer is not None and layer not in names:
        same_but_case = [name for name in names if name.lower() == layer.lower()]
        hint = f' (did you mean "{same_but_case[0]}"?)' if same_but_case else did_you_mean(layer, names)
        raise UsageError(f"{file}: error: no layer named {layer!r}{hint}; the layers: {', '.join(names)}")
    chosen = [item for item in report.layers if layer is None or item.name == layer]
    if picture is None:
        write_explain(report, {item.name: worked(item, report) for item in chosen}, sys.stdout)
        return 0
    from .formats import field_picture

    if picture == "svg":
        sys.stdout.write(field_picture.svg(report, chosen))
        return 0
    for item in chosen:
        write_explain(report, {item.name: worked(item, report)}, sys.stdout)
        sys.stdout.write(field_picture.text(report, item) + "\n")
    return 0


def draw(
    file: str,
    output: str | None = None,
    format_name: str | None = None,
    depth: int | None = None,
    color_by: str = "macs",
    figures: bool = False,
    input_text: str | None = None,
) -> int:
    """The layer graph as SVG (laid out here), Graphviz DOT, Mermaid or PNG, to ``output`` or
    stdout. The format is ``format_name``, else ``output``'s suffix, else SVG."""
    from .formats import drawing
    from .formats.diagram import build
    from .report import analyze_network

    kind = format_name or _drawing_format(output)
    if kind == "png" and output is None:
        raise UsageError("error: a PNG goes to a file: give -o NAME.png")
    diagram = build(analyze_network(network(file, input_text)), depth, color_by, figures)
    if kind == "png":
        try:
            data = drawing.png(diagram)
        except drawing.NoConverter as error:
            raise UsageError(f"{output}: error: {error}") from None
        return _write_bytes(data, output)
    text = {"svg": drawing.svg, "dot": drawing.dot, "mmd": drawing.mermaid}[kind](diagram)
    return _write_text(text, output)


DRAWING_SUFFIXES = {".svg": "svg", ".dot": "dot", ".gv": "dot", ".mmd": "mmd", ".mermaid": "mmd", ".png": "png"}


def _drawing_format(output: str | None) -> str:

    if output is None or output == "-":
        return "svg"
    suffix = os.path.splitext(output)[1].lower()
    if suffix not in DRAWING_SUFFIXES:
        known = ", ".join(DRAWING_SUFFIXES)
        raise UsageError(
            f"{output}: error: cannot tell the format from {suffix or 'no suffix'!r}: use {known}, or --format"
        )
    return DRAWING_SUFFIXES[suffix]


def _write_bytes(data: bytes, output: str) -> int:

    try:
        with open(output, "wb") as stream:
            stream.write(data)
    except OSError as error:
        raise UsageError(f"{output}: error: cannot write: {error.strerror or error}") from None
    return 0


def report_page(
    file: str,
    output: str | None = None,
    batch: int = 1,
    dtype: str = "float32",
    depth: int | None = None,
    color_by: str = "macs",
    run_verify: bool = False,
    optimizer: str = "adam",
    seed: int = 0,
    max_memory: int | None = None,
) -> int:
    """One self-contained HTML page: the drawing, the table, per-layer charts, receptive
    fields by depth, memory over inference and a training step, lint's findings and, with
    ``run_verify``, the verification."""
    from io import StringIO

    from .formats.diagram import build as build_diagram
    from .formats.homework import write_explain
    from .formats.page import Page, html
    from .graph import build
    from .homework import check_given, worked
    from .lint import lint_file
    from .memory import inference_timeline, training_timeline
    from .report import analyze
    from .source import parse as parse_yaml
    from .source import read_stream
    from .spec import parse

    if file == "-":
        text = read_stream(sys.stdin.buffer, STDIN)
        spec, path = parse(parse_yaml(text, STDIN), STDIN), STDIN
    else:
        from .zoo import resolve

        text, path = None, resolve(file)
        spec = network(file)
    graph = build(spec)
    report = analyze(graph, batch, dtype)
    check_given(graph, report)
    report = report._replace(file=file if file != "-" else STDIN)  # as the reader named it, not a resolved path
    diagram = build_diagram(report, depth, color_by)
    explain = {}
    for layer in report.layers:
        stream = StringIO()
        write_explain(report, {layer.name: worked(layer, report)}, stream)
        explain[layer.name] = stream.getvalue().rstrip("\n")
    for node in diagram.nodes:
        if node.kind == "module":
            explain[node.key] = "\n\n".join(explain[name] for name in node.members)
    verification = None
    if run_verify:
        from .formats.progress import progress
        from .verify import verify_graph

        with progress("verifying", sys.stderr) as step:
            verification = verify_graph(graph, seed=seed, batch=batch, max_memory=max_memory, progress=step)
    page = Page(
        report,
        diagram,
        explain,
        tuple(node.name for node in graph.in_order()),
        tuple(lint_file(path, None, text) or ()),
        verification,
        inference_timeline(graph, report),
        training_timeline(graph, report, optimizer),
        optimizer,
    )
    return _write_text(html(page), output)


def run_values(file: str) -> int:
    """Prints every layer's output values for the file's input values and weights; 1 when an
    ``expect: values`` answer is wrong."""
    from .errors import SpecError
    from .formats.homework import write_check, write_values
    from .graph import build
    from .homework import check as check_answers
    from .homework import given_values, max_switches
    from .report import analyze

    graph = build(network(file))
    report = analyze(graph)
    values = given_values(graph, report)
    if values is None:
        raise SpecError.at(
            graph.network.loc,
            "nothing to run: give the input's values under `values:` ([C][H][W], or [H][W] for one channel) and each "
            "weighted layer's `weights:` and `bias:`, e.g. `values: [[1, 2], [3, 4]]` for input: [1, 2, 2]",
        )
    switched = [layer for layer in report.layers if layer.spec.type.keeps_switches]
    switches = {layer.name: max_switches(layer, values[layer.inputs[0]]) for layer in switched}
    write_values(values, report, sys.stdout, switches)
    verdicts = [v for v in check_answers(report, values) if v.field == "values"]
    if verdicts:
        write_check(verdicts, "text", sys.stdout)
    return 0 if all(v.correct for v in verdicts) else 1


def calculate(kind: str, input_text: str, arguments: dict) -> int:
    """One layer on one input, every figure with its arithmetic (``cnncalc conv`` and friends).

    ``arguments`` are values already read from the options (numbers, lists, words, flags);
    they go to the layer's schema as values, each placed at its option (``--kernel: error:
    ...``), never as text into a YAML document."""
    from .errors import Loc
    from .formats.homework import write_explain
    from .graph import build
    from .homework import worked
    from .report import analyze
    from .source import YList, YMap, _add
    from .spec import parse

    shape, convention = parse_shape(input_text)
    here = Loc("--input", None, None)
    document, values = YMap(here), YMap(Loc(f"cnncalc {kind}", None, None))
    _add(document, "input", here, _located(list(shape), here), here)
    for name, value in arguments.items():
        if value is not None:
            where = Loc(f"--{name}", None, None)
            _add(values, name, where, _located(value, where), where)
    layer_map = YMap(values.loc)
    _add(layer_map, kind, values.loc, values, values.loc)
    layers = YList(values.loc)
    layers.append(layer_map)
    layers.item_locs.append(values.loc)
    _add(document, "layers", here, layers, here)
    report = analyze(build(parse(document, "<options>")))
    layer = report.layers[0]
    sys.stdout.write(f"input {input_text}: read as {convention}, that is {list(shape)} channels first\n")
    out = layer.shape
    hwc = "x".join(str(n) for n in (*out[1:], out[0])) if len(out) > 1 else str(out[0])
    sys.stdout.write(f"output {hwc}" + (" (H x W x C)" if len(out) == 3 else "") + f", channels first {list(out)}\n")
    sys.stdout.write(f"parameters {layer.params:,}\nMACs {layer.macs:,}\n\n")
    write_explain(report, {layer.name: worked(layer, report)}, sys.stdout)
    return 0


def _located(value, loc):
    """A list as the YAML reader would give it (a YList placed at ``loc``); other values as they are."""
    if not isinstance(value, list):
        return value
    from .source import YList

    result = YList(loc)
    for item in value:
        result.append(_located(item, loc))
        result.item_locs.append(loc)
    return result


def parse_shape(text: str) -> tuple:
    """``32x32x3`` (H x W x C, the course notes' order) or ``3,32,32`` (channels first)."""

    cleaned = text.replace(" ", "").lower()
    parts = cleaned.split("x") if "x" in cleaned else cleaned.split(",")
    # ASCII digits only: int() would also take "-3", "+3", "1_000" and other scripts' digits.
    if not all(part.isascii() and part.isdecimal() and len(part) <= 18 for part in parts):
        raise UsageError(
            f"--input {text!r}: write a shape as 32x32x3 (H x W x C) or 3,32,32 (channels first), "
            "each size a positive whole number"
        )
    numbers = [int(part) for part in parts]
    if min(numbers) < 1:
        raise UsageError(f"--input {text!r}: every size must be a positive whole number")
    if "x" in cleaned:
        if len(numbers) == 1:
            return tuple(numbers), "one flat vector"
        names = {2: "L x C", 3: "H x W x C", 4: "D x H x W x C"}.get(len(numbers), "... x C")
        return (numbers[-1], *numbers[:-1]), f"{names} (the course notes' order)"
    return tuple(numbers), "channels first" if len(numbers) > 1 else "one flat vector"


def memory(
    file: str,
    batch: int = 1,
    dtype: str = "float32",
    train: bool = False,
    optimizer: str = "adam",
    mixed_precision: bool = False,
    inplace: bool = False,
    budget: int | None = None,
    format_name: str = "text",
    input_text: str | None = None,
) -> int:
    """Inference or training memory, and with ``budget`` the largest batch that fits."""
    from .formats import memory as memory_format
    from .graph import build
    from .memory import plan
    from .report import analyze

    graph = build(network(file, input_text))
    report = analyze(graph, batch, dtype)
    memory_format.write(
        plan(graph, report, train, optimizer, mixed_precision, inplace, budget), format_name, sys.stdout
    )
    return 0


def lint(
    paths,
    format_name: str = "text",
    select=None,
    ignore=(),
    strict: bool = False,
    exclude=(),
    config_file: str | None = None,
    exit_zero: bool = False,
    statistics: bool = False,
    quiet: bool = False,
    color: str = "auto",
    extend_select=(),
) -> int:
    """Lints files and directories: 0 no errors (no warnings either with ``strict``), 1 some,
    2 when nothing could be read. ``-`` reads standard input."""
    from .formats import lint as lint_format
    from .formats.color import wanted
    from .lint import lint_paths, rule_table
    from .lint.config import Settings

    settings = Settings(select, ignore, strict, exclude, config_file, extend_select)
    from .formats.progress import progress
    from .source import read_stream

    stdin_text = read_stream(sys.stdin.buffer, STDIN) if "-" in paths else None
    with progress("linting", sys.stderr) as step:  # a bar on a terminal only
        outcome = lint_paths(paths, settings, stdin_text, step)
    problems = outcome.problems
    if format_name == "text":
        for path in outcome.missing:
            sys.stderr.write(f"{path}: error: no such file, directory or match\n")
        problems = [p for p in problems if p.rule != "io" or p.file not in outcome.missing]
    if not quiet:
        for path in outcome.skipped:
            sys.stderr.write(f"{path}: note: skipped: no `input:` or `layers:`, so not an architecture file\n")
        if not outcome.files and not outcome.missing:
            sys.stderr.write("warning: no architecture files to lint (*.yaml or *.yml)\n")
    if statistics:
        lint_format.write_statistics(problems, format_name, sys.stdout)
    else:
        unread = len(outcome.missing) if format_name == "text" else 0  # said on stderr above, counted here
        lint_format.write(problems, format_name, sys.stdout, rule_table(), wanted(color, sys.stdout), quiet, unread)
    failing = [p for p in problems if p.severity == "error" or p.file in outcome.strict_files]
    if outcome.missing and not outcome.files:
        return 2
    if exit_zero:
        return 0
    return 1 if failing or outcome.missing else 0


def zoo(format_name: str = "text") -> int:
    """The networks of the zoo, each with its input, parameters, MACs, peak inference memory
    (batch 1, float32) and the receptive field of its last feature map."""
    from . import zoo as the_zoo
    from .formats.zoo import write

    write([zoo_entry(name, the_zoo.find(name)) for name in the_zoo.names()], format_name, sys.stdout)
    return 0


def zoo_entry(name: str, path: str) -> dict:
    """One row of ``cnncalc zoo``: the figures a reader compares networks by."""
    from .files import read
    from .geometry import GLOBAL
    from .graph import build
    from .layers.base import prod
    from .memory import liveness
    from .report import analyze

    graph = build(read(path))
    report = analyze(graph)
    shapes = {layer.name: layer.shape for layer in report.layers}
    peak = liveness(graph, shapes, graph.input_shape, 1, 4).peak
    # The last layer that still has a map (more than one position): what the head pools. Its
    # field may be "global" already (a squeeze-and-excitation gate sees the whole input).
    fields = [layer.receptive_field for layer in report.layers if len(layer.shape) > 1 and prod(layer.shape[1:]) > 1]
    return {
        "name": name,
        "title": report.name,
        "input": list(report.input),
        "params": report.totals.params,
        "macs": report.totals.macs,
        "peak_bytes": peak,
        "last_map_field": None if not fields or fields[-1] == GLOBAL else list(fields[-1].size),
    }


def rules(rule_id: str | None = None) -> int:
    """The lint rules, one a line; with ``rule_id`` that rule's whole documentation."""
    from .errors import did_you_mean
    from .formats.lint import write_rule, write_rules
    from .lint import all_rule_ids, rule_table
    from .lint.docs import rule_text

    table = rule_table()
    if rule_id is None:
        write_rules(table, sys.stdout)
    elif rule_id in table:
        write_rule(rule_text(rule_id), sys.stdout)
    else:
        raise UsageError(f"unknown lint rule {rule_id!r}{did_you_mean(rule_id, all_rule_ids())}")
    return 0


def schema() -> int:
    """A JSON Schema of the architecture file, for editors' YAML language servers."""
    from .formats.json import dumps
    from .schema import architecture_schema

    sys.stdout.write(dumps(architecture_schema()) + "\n")
    return 0


def types(name: str | None = None) -> int:
    """Lists the layer types, or describes one: its arguments, defaults and rules."""
    import textwrap  # here, not at the top: it compiles regular expressions when imported

    from .errors import did_you_mean
    from .formats.plain import plain
    from .layers.base import _show, lookup
    from .spec import type_names

    if name is None:
        for type_name in type_names():
            layer_type = lookup(type_name)[0]
            first_line = plain(layer_type.doc.split("\n")[0])
            sys.stdout.write(f"{type_name:16} {first_line}\n")
        sys.stdout.write("\n`cnncalc types NAME` describes one type and its arguments.\n")
        return 0
    try:
        layer_type, _ = lookup(name)
    except KeyError:
        raise UsageError(f"unknown layer type {name!r}{did_you_mean(name, type_names())}") from None
    out = [layer_type.name + (f" (also: {', '.join(layer_type.aliases)})" if layer_type.aliases else ""), ""]
    first, _, rest = plain(layer_type.doc).partition("\n")
    out += [("  " + line).rstrip() for line in [first, *textwrap.dedent(rest).splitlines()]]
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
                out.append(f"  {'':18} {plain(arg.doc)}")
    sys.stdout.write("\n".join(out) + "\n")
    return 0


def _to_file(path: str, command, *args, **kwargs) -> int:

    try:
        stream = open(path, "w", encoding="utf-8")
    except OSError as error:
        raise UsageError(f"{path}: error: cannot write: {error.strerror or error}") from None
    saved, sys.stdout = sys.stdout, stream
    try:
        return command(*args, **kwargs)
    finally:
        sys.stdout = saved
        stream.close()


def run(command, *args, output_file: str | None = None, **kwargs) -> int:
    """Runs a command; expected failures print their message and give their exit code.
    ``output_file``: what the command writes goes there instead of stdout (``-o``).

    An unexpected exception is a bug: the user gets one line saying so, and the traceback
    only with CNNCALC_DEBUG=1.
    """
    try:
        if output_file is None:
            code = command(*args, **kwargs)
        else:
            code = _to_file(output_file, command, *args, **kwargs)
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


def import_model(file: str, output: str | None = None, input_shape: str | None = None) -> int:
    """Writes the architecture file of a model in another format, to ``output`` or stdout: an
    ONNX file, a Caffe network (.prototxt), or a PyTorch model ``package.module:factory``
    traced on ``input_shape``."""
    from .analysis import propagate
    from .graph import build
    from .interop import caffe, onnx, torch_import

    readers = {".onnx": onnx, caffe.SUFFIX: caffe}
    reader = readers.get(os.path.splitext(file)[1].lower())
    if torch_import.is_target(file) and not os.path.exists(file):
        reader = onnx  # traced by PyTorch's exporter, then read as its ONNX
        text = torch_import.document_text(file, torch_import.input_shape(input_shape, file))
    elif reader is None:
        raise UsageError(
            f"{file}: error: cnncalc imports ONNX models (*.onnx), Caffe networks (*.prototxt) and PyTorch ones "
            "(package.module:factory)"
        )
    elif reader is onnx and input_shape is not None:  # sizes an export with dynamic axes named
        text = onnx.document_text(file, shape=torch_import.input_shape(input_shape, file))
    elif input_shape is not None:
        raise UsageError(f"{file}: error: --input is for ONNX models and PyTorch ones; a Caffe network gives its own")
    else:
        text = reader.document_text(file)
    propagate(build(reader.parse_text(text, file)))  # a problem shows here, not when the written file is used
    return _write_text(text, output)


def _write_text(text: str, output: str | None) -> int:
    """Writes what import or export made to ``output``, or to stdout."""

    if output is None:
        sys.stdout.write(text)
        return 0
    try:
        with open(output, "w", encoding="utf-8") as stream:
            stream.write(text)
    except OSError as error:
        raise UsageError(f"{output}: error: cannot write: {error.strerror or error}") from None
    return 0


def export_model(file: str, to: str, output: str | None = None) -> int:
    """Writes the network of an architecture file for a framework: ``pytorch``, a standalone
    ``nn.Module`` source file (to ``output`` or stdout); ``onnx``, a graph of zero weights
    (``output`` and ``output.data``)."""
    from .files import read
    from .graph import build
    from .report import analyze

    graph = build(read(file))
    if to == "onnx":
        from .interop import onnx_export

        return onnx_export.write(graph, analyze(graph), output)
    from .interop.export import pytorch_source

    return _write_text(pytorch_source(graph, analyze(graph)), output)


def diff(
    old: str,
    new: str,
    batch: int = 1,
    dtype: str = "float32",
    optimizer: str = "adam",
    budget: int | None = None,
    format_name: str = "text",
    config_file: str | None = None,
    exit_code: bool = False,
    color: str = "auto",
    count_as: str | None = None,
) -> int:
    """Two versions of a network compared (cnncalc.diff), held to the new one's budgets: 0
    within them (or none set), 1 over one, or with ``exit_code`` any change (as ``git diff
    --exit-code``), 2 when a file cannot be used. OLD or NEW may be ``REV:path``, read from git.
    ``count_as``: both also counted as that tool does (cnncalc/conventions/)."""
    from .conventions import counted_report
    from .diff import compare
    from .formats import diff as diff_format
    from .graph import build
    from .report import analyze

    sides = []
    for file in (old, new):
        graph = build(versioned_network(file))
        report = analyze(graph, batch, dtype)._replace(file=file)  # named as given: vgg16, HEAD:x
        sides.append((graph, report if count_as is None else counted_report(report, count_as)))
    budgets = budgets_for(_path_of(new), config_file)
    result = compare(*sides, optimizer, budget, budgets)
    diff_format.write(result, format_name, sys.stdout, color)
    from .budget import verdict

    return 1 if verdict(result.budgets) == "over" or (exit_code and result.changed) else 0


def versioned_network(file: str):
    """``network(file)``, or for ``REV:path`` (when no such file exists) the file as git has it
    in that revision: ``HEAD~1:models/net.yaml`` (path from the repository's top) or
    ``main:./net.yaml`` (from the working folder)."""
    from .git import is_revision, read_revision
    from .source import parse as parse_yaml
    from .spec import parse

    if not is_revision(file):
        return network(file)
    return parse(parse_yaml(read_revision(file), file), file)


def _path_of(file: str) -> str:
    """The file whose configuration applies: a zoo network's file, a revision's path."""
    from .git import is_revision
    from .zoo import resolve

    if is_revision(file):
        return file.partition(":")[2]
    return resolve(file) if file != "-" else "."


def budgets_for(path: str, config_file: str | None = None) -> tuple:
    """The budgets (budget.Budget) of the configuration that governs ``path`` (lint's: the
    nearest pyproject.toml with a [tool.cnncalc] table, or ``config_file``)."""
    from .lint.config import BUDGETS, Settings

    return Settings(config_file=config_file).for_path(path).options.get(BUDGETS, ())


def sweep(
    file: str,
    inputs: str | None = None,
    batches: str | None = None,
    params=(),
    batch: int = 1,
    dtype: str = "float32",
    optimizer: str = "adam",
    budget: int | None = None,
    layer: str | None = None,
    format_name: str = "table",
    color: str = "auto",
    config_file: str | None = None,
) -> int:
    """The headline figures over a sweep of input sizes, batches and parameters (cnncalc.sweep),
    each point held to the file's budgets."""
    from .formats import sweep as sweep_format
    from .sweep import Axis, parameter, sizes, sweep, values

    axes = [parameter(text) for text in params]
    if inputs is not None:
        axes.append(Axis("input", sizes(inputs)))
    if batches is not None:
        axes.append(Axis("batch", values(batches, "--batch")))
    if not axes:
        raise UsageError("give what to sweep: --input SIZES, --batch SIZES or --param NAME=VALUES")
    names = [axis.name for axis in axes]
    if len(set(names)) < len(names):
        raise UsageError(f"--param: {next(n for n in names if names.count(n) > 1)!r} is swept twice")
    budgets = budgets_for(_path_of(file), config_file)
    result = sweep(file, _document(file), tuple(axes), batch, dtype, optimizer, budget, layer, budgets)
    sweep_format.write(result, format_name, sys.stdout, color)
    return 0


def _document(file: str):
    """The YAML document of an architecture file (a zoo name, ``-``), read and parsed once."""
    from .source import load, read_stream
    from .source import parse as parse_yaml

    if file == "-":
        return parse_yaml(read_stream(sys.stdin.buffer, STDIN), STDIN)
    if file.lower().endswith(".onnx"):  # read as the architecture file `cnncalc import` writes
        from .interop.onnx import document_text

        return parse_yaml(document_text(file), file)
    from .zoo import resolve

    return load(resolve(file))


def time_network(
    file: str,
    device: str,
    batch: int = 1,
    dtype: str = "float32",
    train: bool = False,
    optimizer: str = "adam",
    format_name: str = "table",
    color: str = "auto",
    input_text: str | None = None,
) -> int:
    """The roofline estimate of a network's time on a device (cnncalc.timing)."""
    from . import timing
    from .device import find
    from .formats import timing as timing_format
    from .graph import build
    from .report import analyze

    profile = find(device)
    if dtype not in profile.peak_flops:
        raise UsageError(
            f"{profile.file}: error: {profile.name} gives no peak for {dtype}; it gives "
            f"{', '.join(profile.peak_flops)} (choose one with --dtype, or add {dtype} under peak_flops)"
        )
    graph = build(network(file, input_text))
    report = analyze(graph, batch, dtype)
    timing_format.write(timing.time_network(graph, report, profile, train, optimizer), format_name, sys.stdout, color)
    return 0


def calibrate(quick: bool = False, threads: int | None = None, fit_file: str | None = None) -> int:
    """Measures this machine with NumPy and writes its device profile; with ``fit_file``
    (a framework's measured layer times) the framework's figures fitted to them."""
    from .calibrate import fitted, measure, profile_text
    from .fit import read_measured

    samples = None if fit_file is None else read_measured(fit_file)  # its mistakes before ten seconds of measuring
    calibration = measure(0.3 if quick else 1.0, threads)
    if samples is not None:
        calibration = fitted(calibration, samples, fit_file)
    sys.stdout.write(profile_text(calibration))
    return 0


def devices() -> int:
    """The shipped device profiles, one a line, with their peak, bandwidth and source."""
    from .device import FOLDER, SUFFIX, names, read
    from .formats.timing import write_devices

    write_devices({name: read(os.path.join(FOLDER, name + SUFFIX)) for name in names()}, sys.stdout)
    return 0
