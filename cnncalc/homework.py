"""Homework mode: the answers written under ``expect:`` marked right or wrong, each with the
worked arithmetic that gives the right one; worked arithmetic for any layer; and the output
values of small exercises whose inputs and weights the file gives (SPEC section 6).

The arithmetic text comes from the layer types themselves (``worked_shape``,
``worked_params``, ``worked_macs``, ``worked_field`` in ``cnncalc/layers``), next to the
arithmetic it explains.

Answers are read as students write them:

- ``shape``: a list, channels first like ``input:`` (``[8, 28, 28]``), or a string in the
  course notes' order, H x W x C (``28x28x8``, ``(28, 28, 8)``, ``[28x28x8]``; ``L x C`` in
  1-D, ``D x H x W x C`` in 3-D); a vector with any axes of size 1 around it (``1x1x4096``,
  ``(120, 1)``);
- ``params``, ``trainable_params``, ``buffers``, ``macs``, ``activation_bytes``: whole numbers
  (``48,120``, ``48_120`` and a product ``28*28*8`` are read too);
- ``size``: the number of values in the output, ``28*28*8 = 6,272`` (judged by the result);
- ``receptive_field``: a number (the size on every axis), a list (one size per axis),
  ``global``, or a mapping with any of ``size``, ``jump`` and ``start``;
- ``values``: the output's values for the file's ``values:`` input, [C][H][W] (or [H][W]
  when C is 1); a fraction (``4/3``) is its value, and a number written with decimals is
  right when it is the computed one rounded to them (``1.33``).
"""

from __future__ import annotations

from .errors import Loc, SpecError
from .geometry import GLOBAL, Field, axis_name
from .layers.base import prod
from .record import Record, plain
from .spec import (
    COUNT_FIELDS,
    INPUT_NAME,
    NUMBER_FORMS,
    SHAPE_FORMS,
    fraction,
    shape_answer,
    shape_numbers,
    whole_number,
)

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
            "expected": plain(self.expected),
            "actual": plain(self.answer),
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


def arrays_text(layer, shapes: tuple) -> list:
    """Each learnable array's shape, its axes named: ``weights 8 x 3 x 5 x 5 (C_out x C_in x
    F_H x F_W) = 600 values``."""
    lines = []
    for weight in layer.weights:
        if weight.buffer:
            continue
        names = weight.axes  # declared by the layer type (layers.base.Weight)
        named = f" ({' x '.join(names)})" if names and len(names) == len(weight.shape) else ""
        sizes = " x ".join(str(n) for n in weight.shape)
        lines.append(f"{weight.name} {sizes}{named} = {prod(weight.shape):,} values")
    return lines


def same_padding_meanings(spatial: tuple, window) -> list:
    """What "same" padding means, per axis, in the three places a student meets it:

    - the course notes: the output as large as the input, W = (W - F + 2P)/S + 1, so
      P = ((W-1)*S - W + F)/2 on each side; with a stride above 1 that is often not whole
      (P = 3.5), and then neither P rounded down nor up keeps the size exactly;
    - TensorFlow's "SAME" (cnncalc's ``same``): the output ceil(W/S), the padding it needs
      split with the odd one after;
    - PyTorch's ``padding="same"``: convolutions at stride 1 only (refused for strided ones,
      and its pooling layers take numbers); there the total D*(F-1) is split the same way.

    ``window`` is the layer's resolved ``geometry.Window`` (its kernel, stride, dilation)."""
    lines = ['"same" padding, three meanings:']
    ndim = len(spatial)
    axes = zip(spatial, window.kernel, window.stride, window.dilation)
    for axis, (size, kernel, stride, dilation) in enumerate(axes):
        name = axis_name(axis, ndim)
        span = dilation * (kernel - 1) + 1
        span_text = f"{kernel}" if dilation == 1 else f"{dilation}*({kernel}-1)+1"
        need = (size - 1) * stride - size + span  # 2P
        notes = f"{name}, the notes (output = input, {size}): P = (({size}-1)*{stride} - {size} + {span_text})/2 = "
        if need % 2 == 0:
            lines.append(notes + f"{need // 2} on each side")
        else:
            low, high = need // 2, need // 2 + 1
            outs = [(size + 2 * p - span) // stride + 1 for p in (low, high)]
            lines.append(
                notes + f"{need}/2 = {need / 2:g}, not whole: floor P = {low} gives "
                f"floor(({size} + 2*{low} - {span})/{stride}) + 1 = {outs[0]}, ceil P = {high} gives "
                f"floor(({size} + 2*{high} - {span})/{stride}) + 1 = {outs[1]}"
            )
        out = -(-size // stride)
        total = max((out - 1) * stride + span - size, 0)
        lines.append(
            f"{name}, TensorFlow's SAME (cnncalc's same): output ceil({size}/{stride}) = {out}, padding "
            f"max(({out}-1)*{stride} + {span} - {size}, 0) = {total}: {total // 2} before, {total - total // 2} after"
        )
        if stride == 1:
            total = span - 1
            torch = f"{total} in all, {total // 2} before, {total - total // 2} after: output {size}"
        else:
            torch = f"refused at stride {stride} (allowed only at stride 1)"
        lines.append(f"{name}, PyTorch's padding='same' (convolutions only): {torch}")
    return lines


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
        "arrays": arrays_text(layer, shapes),
        "shape": layer_type.worked_shape(args, shapes, layer.shape)
        + [f"output {list(layer.shape)}"]
        + (
            same_padding_meanings(shapes[0][1:], layer_type.window(args, shapes[0]))
            if args.get("padding") == "same" and hasattr(layer_type, "window")
            else []
        ),
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
                    lines += _difference_lines(expected, answer)
                verdicts.append(Verdict(layer.name, field, expected, answer, same, loc, lines))
                continue
            answer, correct = _judge(field, expected, layer, loc)
            lines = list(work.get(field, []))
            if field == "shape" and not correct:
                lines[:0] = _shape_order_hint(expected, tuple(layer.shape))
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


def _squeezed(shape) -> tuple:
    return tuple(n for n in shape if n != 1)


def _judge_shape(expected, shape: tuple, loc: Loc):
    """A list is channels first, like ``input:``; text is the notes' H x W x C. A vector may
    be written with any axes of size 1 around it: 1x1x4096, (4096, 1) or 4096 for [4096]."""
    written = shape_answer(expected)
    if written is None:
        raise SpecError.at(loc, f"{SHAPE_FORMS}; not {expected!r}")
    vector = len(_squeezed(shape)) <= 1 and _squeezed(written) == _squeezed(shape)
    return list(shape), written == tuple(shape) or vector


def _shape_order_hint(expected, shape: tuple) -> list:
    """When the answer is right in the other order: a list read as H x W x C, or text read
    channels first."""
    if isinstance(expected, list) and len(expected) > 1 and (expected[-1], *expected[:-1]) == shape:
        return ["lists are read channels first, like `input:`; as H x W x C your answer is right"]
    numbers = shape_numbers(expected) if isinstance(expected, str) else None
    if numbers and len(numbers) > 1 and tuple(numbers) == shape:
        return ["text is read H x W x C, as the notes write shapes; channels first your answer is right"]
    return []


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
        raise SpecError.at(loc, f"{field} is a whole number ({NUMBER_FORMS}), not {value!r}")
    return number


def _same_values(expected, actual) -> bool:
    """Lists cell by cell. A number written with decimals is right when it is the computed
    value rounded to them (1.33 for 4/3); a fraction (``"4/3"``) is read as its value."""
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(_same_values(e, a) for e, a in zip(expected, actual))
    if isinstance(expected, str) and fraction(expected) is not None:
        expected = fraction(expected)
    if _is_number(expected) and _is_number(actual):
        written = repr(expected)
        if isinstance(expected, float) and "." in written and "e" not in written:
            decimals = len(written.partition(".")[2])
            if abs(expected - actual) <= 0.5 * 10**-decimals * (1 + 1e-9):
                return True
        return _close(expected, actual)
    return False


MAX_CELLS_SHOWN = 50


def _differences(expected, actual, where: tuple = ()) -> list:
    """Every cell where two nested lists differ, ``[1][2]: 15 written, 14 computed``, in
    reading order; a list of the wrong length is one difference."""
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            index = "".join(f"[{i}]" for i in where) or "the top"
            return [f"{index}: {len(expected)} entries written, {len(actual)} computed"]
        found = []
        for i, (e, a) in enumerate(zip(expected, actual)):
            if not _same_values(e, a):
                found += _differences(e, a, (*where, i))
        return found
    return [f"{''.join(f'[{i}]' for i in where)}: {expected} written, {actual} computed"]


def _difference_lines(expected, actual) -> list:
    cells = _differences(expected, actual)
    axes = {1: " ([index])", 2: " ([row][column])", 3: " ([channel][row][column])"}.get(_depth(actual), "")
    lines = [f"{len(cells)} {'cell differs' if len(cells) == 1 else 'cells differ'}{axes}:"]
    lines += ["  " + cell for cell in cells[:MAX_CELLS_SHOWN]]
    if len(cells) > MAX_CELLS_SHOWN:
        lines.append(f"  and {len(cells) - MAX_CELLS_SHOWN} more")
    return lines


def _depth(values) -> int:
    return 1 + _depth(values[0]) if isinstance(values, list) and values else 0


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _close(a, b) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def _nested(array):
    """One example's output as nested lists, without the channel axis when there is one channel."""
    values = array.tolist()
    if array.ndim >= 2 and array.shape[0] == 1:
        values = values[0]
    return tidy(values)


def tidy(values, decimals: int = 9):
    """Nested values as people write them: floats rounded to ``decimals`` places (so 63 *
    1/9 shows as 7, not 6.999999999999999), whole ones as integers."""
    if isinstance(values, list):
        return [tidy(v, decimals) for v in values]
    if isinstance(values, float) and values - values == 0:  # finite
        values = round(values, decimals)
        return int(values) if values == int(values) else values
    return values


def _axes(values) -> str:
    texts = [str(v) for v in values]
    return texts[0] if len(set(texts)) == 1 else "x".join(texts)


def max_switches(layer, inputs) -> list:
    """Where each output of a max pooling came from: per channel, a grid of input positions
    ``(row, column)`` (one index per spatial axis), the first largest value of the window in
    reading order, as PyTorch's ``return_indices`` picks it (its flat index is
    ``row * W + column``, what ``MaxUnpool2d`` takes). ``inputs``: the layer's input, one
    example, channels first."""
    import itertools

    import numpy as np

    inputs = np.asarray(inputs)
    window = layer.spec.type.window(layer.spec.args, inputs.shape)
    spatial = inputs.shape[1:]
    out = layer.shape[1:]
    grids = []
    for channel in inputs:
        grid = np.empty(out, dtype=object)
        for place in itertools.product(*(range(n) for n in out)):
            per_axis = [
                [o * s - before + k * d for k in range(f) if 0 <= o * s - before + k * d < n]
                for o, s, (before, _), f, d, n in zip(
                    place, window.stride, window.pads, window.kernel, window.dilation, spatial
                )
            ]
            candidates = list(itertools.product(*per_axis))
            values = [channel[index] for index in candidates]
            grid[place] = candidates[values.index(max(values))]
        grids.append(grid.tolist())
    return grids


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
    """Every weighted layer's arrays written out: a list shaped like the array, or one number
    for every entry."""
    for node, layer in zip(graph.nodes, report.layers):
        for weight in layer.weights:
            given = node.spec.args.get(weight.name)
            if weight.buffer or isinstance(given, tuple) or _is_number(given):
                continue
            # Only an array the layer can go without (`bias: false`) gets that hint.
            arg = node.spec.type.arg(weight.name)
            hint = f" (or {weight.name}: false)" if arg is not None and arg.default is True else ""
            raise SpecError.at(
                node.spec.type_loc,
                f'layer "{node.name}" needs its {weight.name} written out{hint} to compute values: a list '
                f"shaped {list(weight.shape)}, or one number for every entry (fractions such as 1/9 are fine)",
            )


def given_values(graph, report):
    """Runs the file's ``values:`` through the layers with their given weights; returns
    {layer name: output of the one example} (and the input under ``input``), or None when
    the file gives no values.
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
    outputs = {name: output[0] for name, output in run.outputs.items()}
    outputs[INPUT_NAME] = inputs.astype(dtype)
    return outputs
