"""dominant-layer: one layer holds most of the parameters, with weights for every position of a map.

A layer that turns a map into one vector by giving each position weights of its own (a
fully connected layer after a flatten, or a conv whose kernel covers the whole map) grows
with the map: on 7x7 positions it holds 49 times what it would after a global pooling.
Warned when such a layer holds more than a share of the network's parameters (option
``dominant-layer-share``, default 0.8; VGG-16's fc6, with 74%, passes). A conv that slides
over the map holds the most parameters of many small networks, rightly: it is not warned.

FAIL (the fc on 4x4 positions of 8 channels: 8*4*4*1000 + 1000 = 129,000 of 133,616)::

    input: [64, 4, 4]
    layers:
      - conv: {filters: 8, kernel: 3, padding: 1}
      - fc: 1000

PASS (pooled first: 9,000 of 13,616)::

    input: [64, 4, 4]
    layers:
      - conv: {filters: 8, kernel: 3, padding: 1}
      - global_avgpool
      - fc: 1000
"""

from ...layers.base import prod
from ...spec import INPUT_NAME
from ._common import position

ID = "dominant-layer"
SEVERITY = "warning"
RATIONALE = "a layer with weights for every position of a map, and most of the parameters, is a flatten where a pooling would do"


def check(context):
    share = float(context.options.get("dominant-layer-share", 0.8))
    total = context.report.params
    if sum(1 for layer in context.report.layers if layer.params) < 2:
        return  # one layer with parameters holds them all, necessarily
    layers = {layer.name: layer for layer in context.report.layers}
    for node, layer in zip(context.graph.nodes, context.report.layers):
        if layer.params <= share * total or prod(layer.shape[1:]) > 1 or len(node.inputs) != 1:
            continue
        read = _map_read(node.inputs[0], layers, context.report.input)
        if read is not None and prod(read[1:]) > 1:
            positions = "x".join(map(str, read[1:]))
            yield (
                position(node.spec),
                f'"{node.name}" holds {layer.params / total:.0%} of the network\'s {total:,} parameters, with '
                f"weights for each of the {positions} positions of {read[0]} channels it reads; a global pooling "
                f"before it would need {prod(read[1:])} times fewer",
            )


def _map_read(name: str, layers: dict, input_shape: tuple):
    """The map a layer reads: its input's shape when that has positions, else the map the
    input was flattened from, up through layers without parameters that keep every value
    (flatten, dropout, activations). None when there is none."""
    for _ in range(len(layers) + 1):
        shape = input_shape if name == INPUT_NAME else layers[name].shape
        if len(shape) > 1:
            return shape
        layer = layers.get(name)
        if layer is None or layer.params or len(layer.inputs) != 1:
            return None
        before = input_shape if layer.inputs[0] == INPUT_NAME else layers[layer.inputs[0]].shape
        if prod(before) != prod(shape):
            return None
        name = layer.inputs[0]
    return None
