"""Homework mode: the answers written under ``expect:`` marked right or wrong, each with the
worked arithmetic that gives the right one; worked arithmetic for any layer; and the output
values of small exercises whose inputs and weights the file gives (SPEC section 6).

The arithmetic text comes from the layer types themselves (``worked_shape``,
``worked_params``, ``worked_macs``, ``worked_field`` in ``cnncalc/layers``), next to the
arithmetic it explains.

Answers are read as students write them:

- ``shape``: a list, channels first like ``input:`` (``[8, 28, 28]``), or a string in the
  course notes' order, H x W x C (``28x28x8``; ``L x C`` in 1-D, ``D x H x W x C`` in 3-D);
- ``params``, ``trainable_params``, ``buffers``, ``macs``, ``activation_bytes``: whole numbers
  (``48,120`` and ``48_120`` are read too);
- ``size``: the number of values in the output, ``28*28*8 = 6,272``;
- ``receptive_field``: a number (the size on every axis), a list (one size per axis),
  ``global``, or a mapping with any of ``size``, ``jump`` and ``start``;
- ``values``: the output's values for the file's ``values:`` input, [C][H][W] (or [H][W]
  when C is 1).
"""

from __future__ import annotations

from .errors import Loc, SpecError
from .geometry import GLOBAL, Field
from .record import Record
from .spec import COUNT_FIELDS, INPUT_NAME, shape_answer, whole_number

NEEDS_VALUES = (
    "values can only be checked when the file gives the input's `values:` and the weights of every layer that has any"
)
COUNTS = COUNT_FIELDS


class Verdict(Record, fields="layer field expected answer correct loc work"):
    """One answer: as written (``expected``), the right one (``answer``, displayed as the
    student wrote theirs), whether they agree, where it was written, and the arithmetic."""

    __slots__ = ()

    def to_dict(self) -> dict:
        return {
            "layer": self.layer,
            "field": self.field,
            "expected": _plain(self.expected),
            "actual": _plain(self.answer),
            "correct": self.correct,
        }


def inputs_of(layer, report) -> tuple:
    """``(shapes, fields)`` of a layer's inputs, as reported."""
    shapes = {INPUT_NAME: report.input}
    fields = {INPUT_NAME: input_field(report.input)}
    for other in report.layers:
        shapes[other.name] = other.shape
        fields[other.name] = other.receptive_field
    return tuple(shapes[name] for name in layer.inputs), tuple(fields[name] for name in layer.inputs)


def input_field(shape: tuple):
    ndim = len(shape) - 1
    return Field((1,) * ndim, (1,) * ndim, (0,) * ndim) if ndim else GLOBAL


def worked(layer, report) -> dict:
    """Lines of worked arithmetic for every figure of one layer."""
    layer_type, args = layer.spec.type, layer.spec.args
    shapes, fields = inputs_of(layer, report)
    size = 1
    for n in layer.shape:
        size *= n
    field = layer.receptive_field
    summary = (
        "global"
        if field == GLOBAL
        else f"size {_axes(field.size)}, jump {_axes(field.jump)}, start {_axes(field.start)}"
    )
    return {
        "shape": layer_type.worked_shape(args, shapes, layer.shape) + [f"output {list(layer.shape)}"],
        "params": [layer_type.worked_params(args, shapes)],
        "size": [
            f"{'*'.join(str(n) for n in layer.shape)} = {size:,} values" if len(layer.shape) > 1 else f"{size:,} values"
        ],
        "macs": [layer_type.worked_macs(args, shapes, layer.shape)],
        "receptive_field": layer_type.worked_field(args, fields, shapes) + ([] if field == GLOBAL else [summary]),
        "activation_bytes": [
            f"{size:,} values * batch {report.batch} * {layer.activation_bytes // max(size * report.batch, 1)} bytes "
            f"({report.dtype}) = {layer.activation_bytes:,}"
        ],
        "buffers": [f"{layer.buffers:,}"],
        "trainable_params": [f"{layer.trainable_params:,}" + ("" if layer.spec.trainable else " (trainable: false)")],
    }


def check(report, values: dict | None = None) -> list:
    """Every ``expect:`` answer of the report's layers, as Verdicts in file order.
    ``values`` (layer name -> output array of one example) is needed for ``values`` answers."""
    verdicts = []
    for layer in report.layers:
        expect = layer.spec.expect
        if not expect:
            continue
        work = None
        for field, expected in expect.items():
            loc = expect.value_locs[field]
            if work is None:
                work = worked(layer, report)
            if field == "values":
                if values is None or layer.name not in values:
                    raise SpecError.at(loc, f'layer "{layer.name}": {NEEDS_VALUES}')
                answer = _nested(values[layer.name])
                same = _same_values(expected, answer)
                lines = ["computed from the given input and weights"]
                if not same:
                    lines.append(_first_difference(expected, answer))
                verdicts.append(Verdict(layer.name, field, expected, answer, same, loc, lines))
                continue
            answer, correct = _judge(field, expected, layer, loc)
            lines = list(work.get(field, []))
            if field == "shape" and not correct and isinstance(expected, list) and len(expected) > 1:
                if (expected[-1], *expected[:-1]) == tuple(layer.shape):
                    lines.insert(0, "lists are read channels first, like `input:`; as H x W x C your answer is right")
            verdicts.append(Verdict(layer.name, field, expected, answer, correct, loc, lines))
    return verdicts


def _judge(field: str, expected, layer, loc: Loc):
    if field == "shape":
        return _judge_shape(expected, layer.shape, loc)
    if field in COUNTS:
        number = _whole_number(expected, loc, field)
        actual = layer.activation_bytes if field == "activation_bytes" else getattr(layer, field, None)
        if field == "size":
            actual = 1
            for n in layer.shape:
                actual *= n
        return actual, number == actual
    if field == "receptive_field":
        return _judge_field(expected, layer.receptive_field, loc)
    raise SpecError.at(loc, f"cannot check {field!r}")


def _judge_shape(expected, shape: tuple, loc: Loc):
    channels_first = shape_answer(expected)
    if channels_first is None:
        raise SpecError.at(loc, f"a shape is a list such as [8, 28, 28] or H x W x C such as 28x28x8, not {expected!r}")
    return list(shape), channels_first == tuple(shape)


def _judge_field(expected, field, loc: Loc):
    if expected == GLOBAL or field == GLOBAL:
        return field, expected == field
    shown = {"size": list(field.size), "jump": list(field.jump), "start": list(field.start)}
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        return _axes(field.size), all(size == expected for size in field.size)
    if isinstance(expected, list):
        return list(field.size), [*expected] == list(field.size)
    if isinstance(expected, dict):
        correct = True
        for key, value in expected.items():
            if key not in shown:
                raise SpecError.at(expected.key_locs[key], f"a receptive field has size, jump and start, not {key!r}")
            actual = shown[key]
            correct &= (
                all(_close(value, a) for a in actual) if not isinstance(value, list) else _same_values(value, actual)
            )
        return shown, correct
    raise SpecError.at(
        loc, f"a receptive field is a number, a list, global, or {{size, jump, start}}, not {expected!r}"
    )


def _whole_number(value, loc: Loc, field: str) -> int:
    number = whole_number(value)
    if number is None:
        raise SpecError.at(loc, f"{field} is a whole number (48120, 48,120 or 48_120 are all fine), not {value!r}")
    return number


def _same_values(expected, actual) -> bool:
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(_same_values(e, a) for e, a in zip(expected, actual))
    if isinstance(expected, (int, float)) and not isinstance(expected, bool) and isinstance(actual, (int, float)):
        return _close(expected, actual)
    return False


def _first_difference(expected, actual, where: tuple = ()) -> str:
    """Where two nested lists first differ: ``first difference at [1][2]: 15 written, 14 computed``."""
    index = "".join(f"[{i}]" for i in where)
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return f"at {index or 'the top'}: {len(expected)} entries written, {len(actual)} computed"
        for i, (e, a) in enumerate(zip(expected, actual)):
            if not _same_values(e, a):
                return _first_difference(e, a, (*where, i))
    return f"first difference at {index}: {expected} written, {actual} computed"


def _close(a, b) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def _nested(array):
    """One example's output as nested lists, without the channel axis when there is one channel."""
    values = array.tolist()
    if array.ndim >= 2 and array.shape[0] == 1:
        values = values[0]
    return _tidy(values)


def _tidy(values):
    if isinstance(values, list):
        return [_tidy(v) for v in values]
    if isinstance(values, float) and values == int(values):
        return int(values)
    return values


def _axes(values) -> str:
    texts = [str(v) for v in values]
    return texts[0] if len(set(texts)) == 1 else "x".join(texts)


def _plain(value):
    if isinstance(value, Field):
        return {"size": list(value.size), "jump": list(value.jump), "start": list(value.start)}
    if isinstance(value, tuple):
        return list(value)
    return value


def check_given(graph, report) -> None:
    """Refuses, with a position, an ``expect: values`` answer nothing can check: the file
    gives no input ``values:``, or a weighted layer's weights are not written out. Every
    command that reads a file for its report calls it (summarize and lint too), so that
    they refuse what check would."""
    network = graph.network
    wanted = [layer for layer in report.layers if layer.spec.expect and "values" in layer.spec.expect]
    if not wanted:
        return
    if network.values is None:
        expect = wanted[0].spec.expect
        raise SpecError.at(expect.value_locs["values"], f'layer "{wanted[0].name}": {NEEDS_VALUES}')
    _require_weights(graph, report)


def _require_weights(graph, report) -> None:
    for node, layer in zip(graph.nodes, report.layers):
        for weight in layer.weights:
            if not weight.buffer and not isinstance(node.spec.args.get(weight.name), tuple):
                raise SpecError.at(
                    node.spec.type_loc,
                    f'layer "{node.name}" needs its {weight.name} written out (or bias: false) to compute values',
                )


def given_values(graph, report):
    """Runs the file's ``values:`` through the layers with their given weights; returns
    {layer name: output of the one example}, or None when the file gives no values.
    Exact for integers (int64 arithmetic)."""
    import numpy as np

    from .executor import execute

    network = graph.network
    if network.values is None:
        return None
    _require_weights(graph, report)
    inputs = np.array(network.values)
    whole = inputs.dtype.kind in "iub"
    for node, layer in zip(graph.nodes, report.layers):
        for weight in layer.weights:
            if not weight.buffer:
                whole = whole and np.array(node.spec.args[weight.name]).dtype.kind in "iub"
    if inputs.shape != tuple(network.input):
        inputs = inputs[None]  # [H][W] for one channel (spec.values_shape checked the shape)
    dtype = "int64" if whole else "float64"
    run = execute(graph, inputs=inputs[None].astype(dtype), dtype=dtype, keep="all")
    return {name: output[0] for name, output in run.outputs.items()}
