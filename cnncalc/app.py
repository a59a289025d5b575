"""What each command does, without click: compute with the core, write with a format, and
turn expected failures into a message and an exit code (shared/SPEC.md section 4).

Both the click CLI (``cli.py``) and the console script's fast lane (``entry.py``) call
these functions, so a command behaves the same whichever way it was reached.
"""

from __future__ import annotations

import os
import sys

from .errors import CnncalcError


def summarize(
    file: str | None,
    batch: int = 1,
    dtype: str = "float32",
    format_name: str = "table",
    pattern: str | None = None,
    depth: int | None = None,
) -> int:
    """The per-layer report of a file, or of a one-line ``pattern`` (see cnncalc.pattern)."""
    from . import formats
    from .report import analyze, analyze_file

    if pattern is None:
        report = analyze_file(file, batch, dtype)
    else:
        from .graph import build
        from .pattern import FILE, document
        from .spec import parse

        report = analyze(build(parse(document(pattern), FILE)), batch, dtype)
    formats.write(report, format_name, sys.stdout, depth)
    return 0


def verify(file: str, seed: int = 0, batch: int = 1, format_name: str = "table", max_memory: int | None = None) -> int:
    """Runs the NumPy executor and holds the report against it; 1 when any figure disagrees."""
    from .formats import verification
    from .verify import verify_file

    result = verify_file(file, seed=seed, batch=batch, max_memory=max_memory)
    verification.write(result, format_name, sys.stdout)
    return 1 if result.mismatches else 0


def check(file: str, format_name: str = "text") -> int:
    """Marks every ``expect:`` answer right or wrong; 1 when any is wrong."""
    from .formats.homework import write_check
    from .graph import build
    from .homework import check as check_answers
    from .homework import given_values
    from .report import analyze
    from .spec import read

    graph = build(read(file))
    report = analyze(graph)
    values = given_values(graph, report) if graph.network.values is not None else None
    verdicts = check_answers(report, values)
    write_check(verdicts, format_name, sys.stdout)
    return 0 if all(v.correct for v in verdicts) else 1


def explain(file: str, layer: str | None = None) -> int:
    """The worked arithmetic for every figure of one layer, or of all."""
    from .errors import UsageError, did_you_mean
    from .formats.homework import write_explain
    from .homework import worked
    from .report import analyze_file

    report = analyze_file(file)
    names = [item.name for item in report.layers]
    if layer is not None and layer not in names:
        same_but_case = [name for name in names if name.lower() == layer.lower()]
        hint = f' (did you mean "{same_but_case[0]}"?)' if same_but_case else did_you_mean(layer, names)
        raise UsageError(f"{file}: error: no layer named {layer!r}{hint}; the layers: {', '.join(names)}")
    chosen = [item for item in report.layers if layer is None or item.name == layer]
    write_explain(report, {item.name: worked(item, report) for item in chosen}, sys.stdout)
    return 0


def run_values(file: str) -> int:
    """Prints every layer's output values for the file's input values and weights; 1 when an
    ``expect: values`` answer is wrong."""
    from .errors import SpecError
    from .formats.homework import write_check, write_values
    from .graph import build
    from .homework import check as check_answers
    from .homework import given_values
    from .report import analyze
    from .spec import read

    graph = build(read(file))
    report = analyze(graph)
    values = given_values(graph, report)
    if values is None:
        raise SpecError.at(
            graph.network.loc,
            "nothing to run: give the input's values under `values:` ([C][H][W], or [H][W] for one channel) and each "
            "weighted layer's `weights:` and `bias:`, e.g. `values: [[1, 2], [3, 4]]` for input: [1, 2, 2]",
        )
    write_values(values, report, sys.stdout)
    verdicts = [v for v in check_answers(report, values) if v.field == "values"]
    if verdicts:
        write_check(verdicts, "text", sys.stdout)
    return 0 if all(v.correct for v in verdicts) else 1


def calculate(kind: str, input_text: str, arguments: dict) -> int:
    """One layer on one input, every figure with its arithmetic (``cnncalc conv`` and friends)."""
    from .formats.homework import write_explain
    from .graph import build
    from .homework import worked
    from .report import analyze
    from .source import parse as parse_yaml
    from .spec import parse

    shape, convention = parse_shape(input_text)
    args = ", ".join(f"{key}: {value}" for key, value in arguments.items() if value is not None)
    text = f"input: [{', '.join(map(str, shape))}]\nlayers:\n  - {kind}: {{{args}}}\n"
    report = analyze(build(parse(parse_yaml(text, "<options>"), "<options>")))
    layer = report.layers[0]
    sys.stdout.write(f"input {input_text}: read as {convention}, that is {list(shape)} channels first\n")
    out = layer.shape
    hwc = "x".join(str(n) for n in (*out[1:], out[0])) if len(out) > 1 else str(out[0])
    sys.stdout.write(f"output {hwc}" + (" (H x W x C)" if len(out) == 3 else "") + f", channels first {list(out)}\n")
    sys.stdout.write(f"parameters {layer.params:,}\nMACs {layer.macs:,}\n\n")
    write_explain(report, {layer.name: worked(layer, report)}, sys.stdout)
    return 0


def parse_shape(text: str) -> tuple:
    """``32x32x3`` (H x W x C, the course notes' order) or ``3,32,32`` (channels first)."""
    from .errors import UsageError

    cleaned = text.replace(" ", "").lower()
    try:
        if "x" in cleaned:
            numbers = [int(part) for part in cleaned.split("x")]
            if len(numbers) == 1:
                return tuple(numbers), "one flat vector"
            names = {2: "L x C", 3: "H x W x C", 4: "D x H x W x C"}.get(len(numbers), "... x C")
            return (numbers[-1], *numbers[:-1]), f"{names} (the course notes' order)"
        numbers = [int(part) for part in cleaned.split(",")]
    except ValueError:
        raise UsageError(
            f"--input {text!r}: write a shape as 32x32x3 (H x W x C) or 3,32,32 (channels first)"
        ) from None
    if not numbers or min(numbers) < 1:
        raise UsageError(f"--input {text!r}: every size must be a positive whole number")
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
) -> int:
    """Inference or training memory, and with ``budget`` the largest batch that fits."""
    from .formats import memory as memory_format
    from .graph import build
    from .memory import plan
    from .report import analyze
    from .spec import read

    graph = build(read(file))
    report = analyze(graph, batch, dtype)
    memory_format.write(
        plan(graph, report, train, optimizer, mixed_precision, inplace, budget), format_name, sys.stdout
    )
    return 0


def lint(paths, format_name: str = "text", select=None, ignore=(), strict: bool = False) -> int:
    """Lints files and directories: 0 no errors (no warnings either with ``strict``), 1 some,
    2 when nothing could be read."""
    from .errors import UsageError
    from .formats import lint as lint_format
    from .lint import ENGINE_RULES, lint_paths
    from .lint.config import load
    from .lint.rules import RULES

    config, configured_strict = load(select, ignore)
    problems, files, missing = lint_paths(paths, config)
    for path in missing:
        sys.stderr.write(f"{path}: error: no such file, directory or match\n")
    if not files:
        raise UsageError("no architecture files to lint (*.yaml or *.yml)")
    rules = {rule: ("error", text) for rule, text in ENGINE_RULES.items()}
    rules.update({rule.ID: (rule.SEVERITY, rule.RATIONALE) for rule in RULES})
    lint_format.write(problems, format_name, sys.stdout, rules)
    failing = [p for p in problems if p.severity == "error" or strict or configured_strict]
    return 1 if failing or missing else 0


def schema() -> int:
    """A JSON Schema of the architecture file, for editors' YAML language servers."""
    from .formats.json import dumps
    from .schema import architecture_schema

    sys.stdout.write(dumps(architecture_schema()) + "\n")
    return 0


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


def import_model(file: str, output: str | None = None) -> int:
    """Writes the architecture file of a model in another format (ONNX), to ``output`` or stdout."""
    from .analysis import propagate
    from .errors import UsageError
    from .graph import build
    from .interop import onnx

    if not file.lower().endswith(".onnx"):
        raise UsageError(f"{file}: error: cnncalc imports ONNX models (*.onnx)")
    text = onnx.document_text(file)
    propagate(build(onnx.parse_text(text, file)))  # a problem shows here, not when the written file is used
    return _write_text(text, output)


def _write_text(text: str, output: str | None) -> int:
    """Writes what import or export made to ``output``, or to stdout."""
    from .errors import UsageError

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
    """Writes the network of an architecture file for a framework (``pytorch``: a standalone
    ``nn.Module`` source file), to ``output`` or stdout."""
    from .graph import build
    from .interop.export import pytorch_source
    from .report import analyze
    from .spec import read

    graph = build(read(file))
    return _write_text(pytorch_source(graph, analyze(graph)), output)
