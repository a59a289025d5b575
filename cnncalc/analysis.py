"""Propagation: shapes, parameters, MACs, memory and receptive fields, layer by layer.

``analyze(graph)`` walks the graph in topological order and asks each node's layer type
for its figures (shared/SPEC.md section 2). It returns plain data, a :class:`Report`;
turning it into text is the job of ``cnncalc.formats``.

>>> report = analyze_file("architectures/vgg16.yaml")
>>> report.totals.params
138357544
"""

from __future__ import annotations

from .errors import LayerError, SpecError, UsageError
from .geometry import GLOBAL, field_of, input_reach
from .graph import Graph, build
from .layers.base import needs_spatial, prod
from .record import Record
from .spec import INPUT_NAME, read

DTYPE_BYTES = {"float64": 8, "float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}
# One example's tensor may hold at most this many values (a 65,536 x 65,536 image): beyond
# it a file is a typo or an attack, not a network.
MAX_TENSOR_VALUES = 2**32


class LayerReport(
    Record,
    fields="name type inputs shape params trainable_params buffers macs activation_bytes receptive_field weights spec "
    "module live_bytes",
):
    """The figures of one layer. ``shape`` leaves the batch out; ``receptive_field`` is a
    ``Field`` or ``"global"``; ``weights`` the arrays it holds (``layers.base.Weight``)."""

    __slots__ = ()


class Totals(
    Record,
    fields="params trainable_params frozen_params buffers macs flops activation_bytes param_bytes buffer_bytes input_bytes "
    "peak_live_bytes",
):
    """Sums over all layers; byte counts use the report's batch and dtype."""

    __slots__ = ()


class Report(Record, fields="name file input batch dtype layers totals"):
    """The whole answer for one file."""

    __slots__ = ()

    def to_dict(self) -> dict:
        """The JSON report of shared/SPEC.md section 3, as plain data."""
        return {
            "name": self.name,
            "input": list(self.input),
            "batch": self.batch,
            "dtype": self.dtype,
            "layers": [
                {
                    "name": layer.name,
                    "type": layer.type,
                    "inputs": list(layer.inputs),
                    "shape": list(layer.shape),
                    "params": layer.params,
                    "trainable_params": layer.trainable_params,
                    "buffers": layer.buffers,
                    "macs": layer.macs,
                    "activation_bytes": layer.activation_bytes,
                    "receptive_field": field_to_dict(layer.receptive_field),
                    "module": layer.module[-1][0] if layer.module else "",
                    "live_bytes": layer.live_bytes,
                }
                for layer in self.layers
            ],
            "totals": dict(self.totals._asdict()),
        }


def field_to_dict(field):
    if field == GLOBAL:
        return GLOBAL
    return {"size": list(field.size), "jump": list(field.jump), "start": list(field.start)}


def analyze_file(path: str, batch: int = 1, dtype: str = "float32") -> Report:
    """Reads, builds and analyzes one architecture file."""
    return analyze(build(read(path)), batch, dtype)


def analyze(graph: Graph, batch: int = 1, dtype: str = "float32") -> Report:
    if dtype not in DTYPE_BYTES:
        raise UsageError(f"unknown dtype {dtype!r}; choose one of {', '.join(DTYPE_BYTES)}")
    if not isinstance(batch, int) or batch < 1:
        raise UsageError(f"batch must be a positive whole number, not {batch!r}")
    width = DTYPE_BYTES[dtype]
    input_shape = graph.input_shape
    if prod(input_shape) > MAX_TENSOR_VALUES:
        raise SpecError.at(
            graph.network.input_loc,
            f"the input holds {prod(input_shape):,} values, more than cnncalc's limit of {MAX_TENSOR_VALUES:,}",
        )
    shapes = {INPUT_NAME: input_shape}
    # Exact reaches (geometry.Reach per axis) flow between layers; reports show field_of().
    fields = {INPUT_NAME: input_reach(len(input_shape) - 1)}
    reports = [None] * len(graph.nodes)
    for index in graph.order:
        node = graph.nodes[index]
        in_shapes = tuple(shapes[name] for name in node.inputs)
        try:
            report, reach = _layer_report(node, in_shapes, tuple(fields[name] for name in node.inputs), batch, width)
        except LayerError as error:
            spec = node.spec
            raise SpecError.at(spec.arg_loc(error.arg), f'layer "{node.name}" ({spec.written_type}): {error}') from None
        shapes[node.name] = report.shape
        fields[node.name] = reach
        reports[index] = report
    from .memory import liveness  # here: memory.py reads DTYPE_BYTES from this module

    live = liveness(graph, shapes, input_shape, batch, width)
    reports = [report._replace(live_bytes=after) for report, after in zip(reports, live.after)]
    params = sum(r.params for r in reports)
    trainable = sum(r.trainable_params for r in reports)
    buffers = sum(r.buffers for r in reports)
    macs = sum(r.macs for r in reports)
    totals = Totals(
        params=params,
        trainable_params=trainable,
        frozen_params=params - trainable,
        buffers=buffers,
        macs=macs,
        flops=2 * macs,
        activation_bytes=sum(r.activation_bytes for r in reports),
        param_bytes=params * width,
        buffer_bytes=buffers * width,
        input_bytes=prod(input_shape) * batch * width,
        peak_live_bytes=live.peak,
    )
    name = graph.network.name
    return Report(name, graph.network.file, input_shape, batch, dtype, tuple(reports), totals)


def _layer_report(node, in_shapes: tuple, in_fields: tuple, batch: int, width: int) -> tuple:
    """The layer's report, and its exact receptive field (geometry.Reach per axis) for the
    layers it feeds."""
    spec = node.spec
    layer_type, a = spec.type, spec.args
    if layer_type.spatial:
        needs_spatial(layer_type.name, in_shapes[0])
    if spec.dims is not None and len(in_shapes[0]) - 1 != spec.dims:
        raise LayerError(
            f"{spec.written_type} works on {spec.dims} spatial {'axis' if spec.dims == 1 else 'axes'}, but its input "
            f"{list(in_shapes[0])} has {len(in_shapes[0]) - 1}"
        )
    shape = layer_type.output_shape(a, in_shapes)
    if prod(shape) > MAX_TENSOR_VALUES:
        raise LayerError(f"its output holds {prod(shape):,} values, more than cnncalc's limit of {MAX_TENSOR_VALUES:,}")
    weights = layer_type.weights(a, in_shapes)
    _check_given_values(a, weights)
    params = sum(w.size for w in weights if not w.buffer)
    reach = layer_type.receptive_field(a, in_fields, in_shapes)
    report = LayerReport(
        name=node.name,
        type=layer_type.name,
        inputs=node.inputs,
        shape=shape,
        params=params,
        trainable_params=params if spec.trainable else 0,
        buffers=sum(w.size for w in weights if w.buffer),
        macs=layer_type.macs(a, in_shapes, shape),
        activation_bytes=prod(shape) * batch * width,
        receptive_field=field_of(reach),
        weights=weights,
        spec=spec,
        module=node.module,
        live_bytes=None,
    )
    return report, reach


def _check_given_values(a, weights) -> None:
    """Weights written out in the file (worked examples) must have the weights' shape;
    leading axes of size 1 may be left out (``[[1, 0], [0, 1]]`` for a 1x1x2x2 kernel)."""
    for weight in weights:
        given = a.get(weight.name)
        if not isinstance(given, tuple):
            continue
        shape = nested_shape(given)
        if shape is None:
            raise LayerError(
                f"{weight.name} given as ragged lists; every row must be as long as the others", arg=weight.name
            )
        expected = weight.shape
        while len(expected) > len(shape) and expected[0] == 1:
            expected = expected[1:]
        if shape != expected:
            raise LayerError(
                f"{weight.name} given with shape {list(shape)}, but this layer's {weight.name} have shape {list(weight.shape)}",
                arg=weight.name,
            )


def nested_shape(values) -> tuple | None:
    """The shape of a rectangular nested tuple of numbers, or None if it is ragged."""
    if not isinstance(values, tuple):
        return ()
    inner = [nested_shape(v) for v in values]
    if any(s is None or s != inner[0] for s in inner):
        return None
    return (len(values), *inner[0])
