"""Propagation: shapes, parameters, MACs and receptive fields, layer by layer, per example.

``propagate(graph)`` walks the graph in topological order and asks each node's layer type
for its figures (shared/SPEC.md section 2). It returns plain data, an :class:`Analysis`:
everything a network is for one example, no batch and no bytes. Bytes are memory.py's
(activations, liveness, training); the report with both is report.py's ``analyze``;
turning it into text is the job of ``cnncalc.formats``.

>>> from cnncalc.graph import build
>>> from cnncalc.spec import read
>>> propagate(build(read("architectures/vgg16.yaml"))).layers[-1].shape
(1000,)
"""

from __future__ import annotations

from .errors import LayerError, SpecError
from .geometry import field_of, input_reach
from .graph import Graph
from .layers.base import needs_spatial, prod
from .record import Record
from .spec import INPUT_NAME

# One example's tensor may hold at most this many values (a 65,536 x 65,536 image): beyond
# it a file is a typo or an attack, not a network.
MAX_TENSOR_VALUES = 2**32


class LayerFigures(
    Record,
    fields="name type inputs shape params trainable_params buffers macs receptive_field weights spec module",
):
    """The figures of one layer for one example. ``shape`` leaves the batch out;
    ``receptive_field`` is a ``Field`` or ``"global"``; ``weights`` the arrays it holds
    (``layers.base.Weight``)."""

    __slots__ = ()


class Analysis(Record, fields="name file input layers params buffers"):
    """A network for one example: its layers' figures in file order, and the parameter and
    buffer counts summed over them."""

    __slots__ = ()


def propagate(graph: Graph) -> Analysis:
    input_shape = graph.input_shape
    if prod(input_shape) > MAX_TENSOR_VALUES:
        raise SpecError.at(
            graph.network.input_loc,
            f"the input holds {prod(input_shape):,} values, more than cnncalc's limit of {MAX_TENSOR_VALUES:,}",
        )
    shapes = {INPUT_NAME: input_shape}
    # Exact reaches (geometry.Reach per axis) flow between layers; reports show field_of().
    fields = {INPUT_NAME: input_reach(len(input_shape) - 1)}
    figures = [None] * len(graph.nodes)
    for index in graph.order:
        node = graph.nodes[index]
        in_shapes = tuple(shapes[name] for name in node.inputs)
        try:
            layer, reach = _layer_figures(node, in_shapes, tuple(fields[name] for name in node.inputs))
        except LayerError as error:
            spec = node.spec
            raise SpecError.at(spec.arg_loc(error.arg), f'layer "{node.name}" ({spec.written_type}): {error}') from None
        shapes[node.name] = layer.shape
        fields[node.name] = reach
        figures[index] = layer
    params = sum(layer.params for layer in figures)
    buffers = sum(layer.buffers for layer in figures)
    return Analysis(graph.network.name, graph.network.file, input_shape, tuple(figures), params, buffers)


def shapes(graph: Graph) -> dict:
    """Every layer's output shape (and the input's, under ``input``), checked as ``propagate``
    checks them, without the other figures: a fraction of its time, for callers that try
    many inputs (the receptive-field probe)."""
    result = {INPUT_NAME: graph.input_shape}
    for index in graph.order:
        node = graph.nodes[index]
        try:
            result[node.name] = layer_shape(node, tuple(result[name] for name in node.inputs))
        except LayerError as error:
            spec = node.spec
            raise SpecError.at(spec.arg_loc(error.arg), f'layer "{node.name}" ({spec.written_type}): {error}') from None
    return result


def layer_shape(node, in_shapes: tuple) -> tuple:
    spec = node.spec
    layer_type = spec.type
    if layer_type.spatial:
        needs_spatial(layer_type.name, in_shapes[0])
    if spec.dims is not None and len(in_shapes[0]) - 1 != spec.dims:
        raise LayerError(
            f"{spec.written_type} works on {spec.dims} spatial {'axis' if spec.dims == 1 else 'axes'}, but its input "
            f"{list(in_shapes[0])} has {len(in_shapes[0]) - 1}"
        )
    shape = layer_type.output_shape(spec.args, in_shapes)
    if prod(shape) > MAX_TENSOR_VALUES:
        raise LayerError(f"its output holds {prod(shape):,} values, more than cnncalc's limit of {MAX_TENSOR_VALUES:,}")
    return shape


def _layer_figures(node, in_shapes: tuple, in_fields: tuple) -> tuple:
    """The layer's figures, and its exact receptive field (geometry.Reach per axis) for the
    layers it feeds."""
    spec = node.spec
    layer_type, a = spec.type, spec.args
    shape = layer_shape(node, in_shapes)
    weights = layer_type.weights(a, in_shapes)
    _check_given_values(a, weights)
    params = sum(w.size for w in weights if not w.buffer)
    reach = layer_type.receptive_field(a, in_fields, in_shapes)
    figures = LayerFigures(
        name=node.name,
        type=layer_type.name,
        inputs=node.inputs,
        shape=shape,
        params=params,
        trainable_params=params if spec.trainable else 0,
        buffers=sum(w.size for w in weights if w.buffer),
        macs=layer_type.macs(a, in_shapes, shape),
        receptive_field=field_of(reach),
        weights=weights,
        spec=spec,
        module=node.module,
    )
    return figures, reach


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
